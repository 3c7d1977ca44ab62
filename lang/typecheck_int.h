/*
 * lang/typecheck_int.h — private to the typechecker (typecheck*.c).
 *
 * The checker walks the query once, in the order of spec §4.2, and stops at
 * the first failure.  `env` is the set of bindings visible at the current
 * clause: a stack, because a `not { }` block sees the outer bindings and
 * its own, and its own vanish when it ends (OmniGraph checks a negation in
 * a copy of the context).  Everything permanent goes to `out`.
 */
#ifndef GROVE_LANG_TYPECHECK_INT_H
#define GROVE_LANG_TYPECHECK_INT_H

#include <stdbool.h>

#include "lang/typecheck.h"

struct tc_binding {
	const char *name;
	const struct lang_cat_type *type;
	int is_edge;
};

struct tc_alias {
	const char *name;
	struct gq_ttype type;
	const struct gq_expr *expr;
};

struct tc {
	struct gq_checked *out;
	const struct lang_catalog *cat;
	const struct gq_query *q;
	struct lang_diag *diag;

	struct tc_binding *env;
	size_t n_env, cap_env;
	uint32_t scope;
	bool negations_last;  /* see clauses() in typecheck.c */

	struct tc_alias *aliases;
	size_t n_aliases, cap_aliases;

	size_t cap_vars, cap_travs, cap_columns, cap_scopes;
	struct gq_span at;   /* what is being checked: tc_fail's position */
};

/* Set "type error: <fmt>" and return -1. */
int tc_fail(struct tc *tc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Out of memory: returns -1 with a message. */
int tc_oom(struct tc *tc);

/* Display names (arena copies) for messages: `I32?`, `[String]`, and for
 * resolved types also "node `Person`" and "aggregate". */
const char *tc_disp(struct tc *tc, const struct lang_type *t);
const char *tc_tdisp(struct tc *tc, const struct gq_ttype *t);

/* Spec §4.1: both lists or both scalars, and equal base types (vectors of
 * equal dimension) or both numeric.  Nullability and enums are ignored. */
int tc_compatible(const struct lang_type *a, const struct lang_type *b);
struct lang_type tc_scalar(enum lang_scalar s);

/* Declared parameter type, or NULL. */
const struct lang_type *tc_param(struct tc *tc, const char *name);
/* Visible binding, or NULL. */
const struct tc_binding *tc_env(struct tc *tc, const char *name);
/* Known return alias, or NULL. */
const struct tc_alias *tc_alias(struct tc *tc, const char *name);

/* Resolve an expression's type (recording it), with every check OmniGraph
 * runs while resolving (T6, T15, T19-T21, T23, T24 on properties, T8). */
int tc_expr(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out);
/* T24 for a Blob value reached other than through a property. */
int tc_reject_blob(struct tc *tc, const struct gq_ttype *t, const struct gq_expr *e);

/* Literal typing (spec §4.1) and its uncoded list errors. */
int tc_literal_type(struct tc *tc, const struct gq_lit *lit, struct lang_type *out);
/* T3 checks of a literal against a property type (matches and mutations). */
int tc_check_literal(struct tc *tc, const struct gq_lit *lit, const struct lang_type *expected,
                     const char *prop);
/* now() against a property: DateTime only (T7). */
int tc_check_now(struct tc *tc, const struct lang_type *expected, const char *prop);
/* A mutation value (literal, declared parameter, now()) against a
 * property type: T3 / T14 / T7. */
int tc_check_value(struct tc *tc, const struct gq_expr *v, const struct lang_type *expected,
                   const char *prop);

/* Read queries (typecheck.c) and mutations (typecheck_mut.c). */
int tc_read_query(struct tc *tc);
int tc_mutation(struct tc *tc, const struct gq_mutation *m, struct gq_ctarget *target);

/* Result columns of the return clause (typecheck_cols.c). */
int tc_columns(struct tc *tc);

#endif /* GROVE_LANG_TYPECHECK_INT_H */
