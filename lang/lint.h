/*
 * lang/lint.h — the query lint of spec §5.1 (`grove lint`, the conformance
 * op lint_query_file).
 *
 * gq_lint() parses a `.gq` text, typechecks every query against a catalog
 * and collects:
 *   - per query: status, the type error if any, the per-query warning
 *     (a mutation without parameters), and for valid queries the
 *     operation descriptor (result fields, graph types read and written);
 *   - findings: Q000 when the file does not parse (then nothing else),
 *     L201 for nullable properties no valid `update` query of the file sets.
 * The report renders as OmniGraph's JSON shape or as text for humans.
 */
#ifndef GROVE_LANG_LINT_H
#define GROVE_LANG_LINT_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"
#include "lang/catalog.h"
#include "lang/diag.h"

enum gq_lint_severity {
	GQ_LINT_ERROR,
	GQ_LINT_WARNING,
	GQ_LINT_INFO,
};

/* A graph type an operation reads or writes. */
struct gq_lint_fact {
	int is_edge;
	const char *type_name;
};

/* One result field of a read query (descriptor names and kinds, §5.1). */
struct gq_lint_field {
	const char *name;
	const char *kind;        /* string, bool, int, bigint, float, date,
	                          * datetime, blob, vector, list, object      */
	const char *item_kind;   /* list: the element kind; else NULL          */
	uint32_t vector_dim;     /* vector: n; else 0                          */
	int nullable;
};

struct gq_lint_result {
	const char *name;
	int is_mutation;
	int ok;
	const char *warning;     /* the per-query warning, or NULL             */
	const char *error;       /* the type error (status error), or NULL     */
	uint32_t line, col;      /* where it is (1-based), or 0                */
	struct gq_lint_field *fields;
	size_t n_fields;
	struct gq_lint_fact *reads;   /* sorted: nodes first, then by name     */
	size_t n_reads;
	struct gq_lint_fact *writes;
	size_t n_writes;
};

struct gq_lint_finding {
	enum gq_lint_severity severity;
	const char *code;        /* "Q000", "L201"                             */
	const char *message;
	const char *type_name;   /* or NULL */
	const char *property;    /* or NULL */
	const char **query_names;     /* sorted */
	size_t n_query_names;
};

struct gq_lint_report {
	int ok;                  /* errors == 0                                */
	size_t queries_processed;
	size_t errors, warnings, infos;
	struct gq_lint_result *results;
	size_t n_results;
	struct gq_lint_finding *findings;  /* by severity, type, property, message */
	size_t n_findings;
	struct lang_diag parse_error;      /* Q000's diagnostic (line:col)     */
	struct lang_arena arena;
};

/* Lint `src` against `cat`.  Returns 0 and a report (free with
 * gq_lint_free), or -1 when out of memory. */
int gq_lint(struct gq_lint_report **out, const struct lang_catalog *cat,
            const char *src, size_t len);

void gq_lint_free(struct gq_lint_report *r);

/* OmniGraph's JSON output (spec §5.1) with schema_source {kind: file,
 * path: schema_path} and query_path.  malloc'd; NULL when out of memory. */
char *gq_lint_render_json(const struct gq_lint_report *r, const char *schema_path,
                          const char *query_path);

/* A human-readable report: one line per query and per finding, parse
 * errors as `query_path:LINE:COL: parse error: ...` with the caret
 * rendering, then a summary line.  malloc'd; NULL when out of memory. */
char *gq_lint_render_text(const struct gq_lint_report *r, const char *query_path);

/* gq_lint + gq_lint_render_json in one call (NULL when out of memory). */
char *gq_lint_json(const struct lang_catalog *cat, const char *src, size_t len,
                   const char *schema_path, const char *query_path);

#endif /* GROVE_LANG_LINT_H */
