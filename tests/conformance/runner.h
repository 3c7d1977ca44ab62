/*
 * tests/conformance/runner.h — the conformance runner's extension points.
 *
 * The runner (runner.c) reads cases (../shared/conformance/README.md),
 * resolves `$name` references, dispatches each step's `op` through the op
 * tables below and checks every expectation against the step's result.
 *
 * An op turns one step into a *result*: a JSON object the expectations are
 * matched against.  Conventions:
 *   success:  {"ok": true, ...fields...}
 *   failure:  {"error": true, "message": "...", "has_span": bool,
 *              "error_kind": "..."?}
 * Any other field of an expectation is matched against the same-named field
 * of the result by cf_match() (see there: subset matching, `index`-selected
 * list items, `<field>_include` for membership), so an op mostly has to
 * render what it computed in the cases' vocabulary.
 *
 * Adding ops: define a table `const struct cf_op cf_ops_<area>[]` ended by
 * {NULL, NULL} in ops_<area>.c.  The schema ops live in ops_schema.c
 * (cf_ops_schema); the query ops go in ops_query.c (cf_ops_query); the
 * engine ops (graphs, loads, reads, branches, commits, export) in
 * ops_engine.c (cf_ops_engine, cf_pending_engine for the ops not built
 * yet).  Weak, empty tables in runner.c stand in for a missing file.  Ops needing an expectation key
 * that generic matching cannot express register a struct cf_check in
 * cf_checks_<area>[] the same way.
 */
#ifndef GROVE_TESTS_CONFORMANCE_RUNNER_H
#define GROVE_TESTS_CONFORMANCE_RUNNER_H

#include <jansson.h>
#include <stddef.h>

#define CF_WHY_BYTES 1024

struct cf_ctx {
	const char *fixtures_dir;
	const json_t *case_obj;   /* the whole case                         */
	json_t *saved;            /* `save_as` values by name               */
	json_t *results;          /* array: result of each step so far      */
	char skip[CF_WHY_BYTES];  /* set by an op to skip the whole case    */
	void *engine;             /* ops_engine.c's graphs and handles       */
};

/* Run one step (references already resolved).  Return the result object
 * (new reference), or NULL after setting ctx->skip to skip the case. */
typedef json_t *(*cf_op_fn)(struct cf_ctx *ctx, const json_t *step);

struct cf_op {
	const char *name;
	cf_op_fn run;
};

/* A custom expectation check for `key`: return 1 if it holds, else 0 with
 * the reason written to why[CF_WHY_BYTES]. */
typedef int (*cf_check_fn)(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                           const json_t *expectation, char *why);

struct cf_check {
	const char *key;
	cf_check_fn check;
};

/* An op the cases use that Grove does not have (yet): a case naming it is
 * skipped with `why` before anything runs. */
struct cf_pending {
	const char *name;
	const char *why;
};

extern const struct cf_op cf_ops_schema[];
extern const struct cf_op cf_ops_query[];
extern const struct cf_op cf_ops_engine[];
extern const struct cf_check cf_checks_schema[];
extern const struct cf_check cf_checks_query[];
extern const struct cf_check cf_checks_engine[];
extern const struct cf_pending cf_pending_engine[];
/* The `query` op and its result checks (ops_query_run.c). */
extern const struct cf_op cf_ops_query_run[];
extern const struct cf_check cf_checks_query_run[];
/* mutate and the change-set ops (ops_changes.c), their checks
 * (checks_changes.c). */
extern const struct cf_op cf_ops_changes[];
extern const struct cf_check cf_checks_changes[];
/* merge (ops_merge.c). */
extern const struct cf_op cf_ops_merge[];
extern const struct cf_check cf_checks_merge[];
/* schema_plan and schema_apply (ops_schema_apply.c). */
extern const struct cf_op cf_ops_schema_apply[];
extern const struct cf_check cf_checks_schema_apply[];

/* Called once after every case that ran (passed or failed), to release
 * what ops keep in ctx->engine.  ops_engine.c closes its handles and
 * removes the case's temporary directory. */
void cf_engine_case_end(struct cf_ctx *ctx);

/* ---- helpers for ops ---------------------------------------------------- */

/* {"ok": true} */
json_t *cf_ok(void);
/* {"error": true, "message": msg, "has_span": has_span} */
json_t *cf_error(const char *message, int has_span);

/* The text a step field holds: a fixture file name (resolved in the
 * fixtures directory, e.g. "test.pg") or inline text.  Falls back to the
 * case-level field `case_key` ("schema", "data", ...) when the step has no
 * `key`.  Returns a malloc'd string or NULL (absent / unreadable: *why set). */
char *cf_text(struct cf_ctx *ctx, const json_t *step, const char *key, const char *case_key, char *why);

/* The catalog rendered in the cases' vocabulary (ops_schema.c): shared by
 * build_catalog and the engine's catalog op. */
struct lang_catalog;
json_t *cf_catalog_json(const struct lang_catalog *cat);

/* json_loads() that also reads integers above INT64_MAX (a few cases and
 * U64 values hold them): such literals become the nearest double, and the
 * matcher compares numbers by value.  NULL with jerr set on bad JSON. */
json_t *cf_loads(const char *text, json_error_t *jerr);

/* Subset match of an expected value against an actual one:
 *  - objects: every expected key must match the actual's same key; a key
 *    `<k>_include` matches when every expected item is found in actual[k];
 *  - arrays whose items are objects with "index": each selects actual[index];
 *  - other arrays: same length, items matched in order;
 *  - numbers compare by value (1 == 1.0); null only matches null;
 *  - strings exactly, except that a name-like expected string ([A-Za-z_]+,
 *    e.g. the Rust variant "DropType") also matches case- and
 *    underscore-insensitively ("drop_type"), as the README asks.
 * Returns 1 or 0 with why set ("path: expected X, got Y"). */
int cf_match(const json_t *expected, const json_t *actual, const char *path, char *why);

#endif /* GROVE_TESTS_CONFORMANCE_RUNNER_H */
