/*
 * lang/schema_ast.h — the parse tree of a .pg schema (spec §2).
 *
 * lang_schema_parse() runs the four stages of spec §2.5 and returns the tree
 * after interface resolution: injected interface properties are appended to
 * each node (flagged `injected`) and property-level @key/@unique/@index are
 * desugared into body constraints (flagged `desugared`).  Constraint column
 * lists keep declaration order here; the catalog sorts them.
 *
 * Everything lives in the schema's arena; lang_schema_free() releases it.
 */
#ifndef GROVE_LANG_SCHEMA_AST_H
#define GROVE_LANG_SCHEMA_AST_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"
#include "lang/diag.h"
#include "lang/types.h"

/* Bounds on a schema (each refused with a "parse error: ... limit" message). */
#define PG_MAX_DECLS          10000u
#define PG_MAX_PROPERTIES     4096u   /* per type, injected ones included  */
#define PG_MAX_CONSTRAINTS    4096u   /* per type                          */
#define PG_MAX_ANNOTATIONS    256u    /* per target                        */
#define PG_MAX_KWARGS         64u     /* per annotation                    */
#define PG_MAX_CONSTRAINT_ARGS 256u
#define PG_MAX_ENUM_VALUES    4096u
#define PG_MAX_IMPLEMENTS     256u
#define PG_MAX_INJECTED       65536u  /* interface properties matched against
                                       * implementing nodes, per schema    */
#define PG_MAX_NAME_BYTES     1024u   /* type, property, annotation names  */

struct pg_kwarg {
	const char *name;
	const char *value;          /* literal as text (strings decoded)     */
};

struct pg_annotation {
	const char *name;           /* without '@'                           */
	const char *value;          /* positional argument as text, or NULL  */
	uint32_t n_kwargs;
	struct pg_kwarg *kwargs;    /* sorted by name, unique (last wins)    */
	uint32_t line, col;
};

struct pg_property {
	const char *name;
	struct lang_type type;
	uint32_t n_annotations;
	struct pg_annotation *annotations;
	int injected;               /* copied in from an interface            */
	const char *interface_name; /* the interface it came from, if injected */
	uint32_t line, col;
};

enum pg_constraint_kind {
	PG_CONSTRAINT_KEY = 1,
	PG_CONSTRAINT_UNIQUE,
	PG_CONSTRAINT_INDEX,
	PG_CONSTRAINT_RANGE,
	PG_CONSTRAINT_CHECK,
};

struct pg_bound {
	uint8_t present;
	uint8_t is_float;           /* else integer                           */
	int64_t i;
	double f;
};

struct pg_constraint {
	enum pg_constraint_kind kind;
	uint32_t n_columns;         /* key/unique/index: >= 1; range/check: 1 */
	const char **columns;       /* declaration order                      */
	struct pg_bound min, max;   /* range                                  */
	const char *pattern;        /* check (decoded)                        */
	int desugared;              /* from a property-level annotation       */
	uint32_t line, col;
};

enum pg_decl_kind {
	PG_DECL_INTERFACE = 1,
	PG_DECL_NODE,
	PG_DECL_EDGE,
};

struct pg_decl {
	enum pg_decl_kind kind;
	const char *name;
	uint32_t line, col;
	uint32_t n_annotations;     /* type-level (nodes, edges)              */
	struct pg_annotation *annotations;
	uint32_t n_implements;      /* nodes                                  */
	const char **implements;
	uint32_t n_properties, cap_properties;
	struct pg_property *properties;
	/* Built once interfaces are resolved (the properties are final then):
	 * the properties sorted by name, then by position, for
	 * pg_decl_property().  NULL before. */
	const struct pg_property **by_name;
	uint32_t n_constraints, cap_constraints;
	struct pg_constraint *constraints;
	/* edges */
	const char *from_type;
	const char *to_type;
	int has_cardinality;        /* @card written (else 0..*)              */
	uint32_t card_min;
	int has_card_max;
	uint32_t card_max;
};

struct pg_schema {
	struct lang_arena arena;
	uint32_t n_decls;
	struct pg_decl *decls;      /* source order                           */
};

/* Parse and validate a .pg text.  On success *out is a new schema (free
 * with lang_schema_free) and 0 is returned.  On failure -1 is returned, *out
 * is NULL and diag holds the first error ("parse error: ..."; syntax errors
 * carry a span).  `src` need not be NUL-terminated. */
int lang_schema_parse(struct pg_schema **out, const char *src, size_t len, struct lang_diag *diag);

void lang_schema_free(struct pg_schema *schema);

/* Lookups; NULL when absent.  A property: the first of that name (by
 * bisection once interfaces are resolved, linear before). */
const struct pg_property *pg_decl_property(const struct pg_decl *d, const char *name);
const struct pg_annotation *pg_property_annotation(const struct pg_property *p, const char *name);
const char *pg_decl_kind_name(enum pg_decl_kind k);   /* "node", "edge", "interface" */

/* Stages 3 and 4 of spec §2.5, run by lang_schema_parse() after the grammar
 * (schema_check.c).  Exposed for the parser only. */
int pg_resolve_interfaces(struct pg_schema *s, struct lang_diag *diag);
int pg_validate_annotations(const struct pg_schema *s, struct lang_diag *diag);
int pg_validate_constraints(const struct pg_schema *s, struct lang_diag *diag);

/* Append one element to a decl's properties / constraints (arena-backed). */
struct pg_property *pg_decl_add_property(struct pg_schema *s, struct pg_decl *d);
struct pg_constraint *pg_decl_add_constraint(struct pg_schema *s, struct pg_decl *d);

/* Append the single-column constraints that `prop`'s bare @key / @unique /
 * @index annotations stand for to d's constraints (spec §2.4). */
int pg_desugar_property(struct pg_schema *s, struct pg_decl *d, const struct pg_property *prop);

#endif /* GROVE_LANG_SCHEMA_AST_H */
