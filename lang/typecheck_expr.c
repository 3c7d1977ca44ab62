/*
 * lang/typecheck_expr.c — typing expressions and values (spec §4.1, §4.3).
 *
 * tc_expr() is OmniGraph's resolve_expr_type: it returns what an
 * expression denotes and raises the errors found while resolving (the
 * order of checks inside each call is part of the observable behaviour:
 * the first failure wins).
 */
#include "lang/typecheck_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records e's type in the checked result (typecheck.c). */
int tc_record(struct tc *tc, const struct gq_expr *e, const struct gq_ttype *t);

int tc_fail(struct tc *tc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lang_diag_vset(tc->diag, LANG_PREFIX_TYPE, fmt, ap);
	va_end(ap);
	if (tc->at.end > tc->at.start) {
		tc->diag->has_pos = 1;
		tc->diag->pos = tc->at.start;
	}
	return -1;
}

int tc_oom(struct tc *tc)
{
	return lang_diag_set(tc->diag, LANG_PREFIX_TYPE, "out of memory");
}

const char *tc_disp(struct tc *tc, const struct lang_type *t)
{
	char *s = lang_type_display(t);
	const char *copy = s ? lang_arena_strdup(&tc->out->arena, s) : NULL;
	free(s);
	return copy ? copy : "?";
}

const char *tc_tdisp(struct tc *tc, const struct gq_ttype *t)
{
	if (t->kind == GQ_T_AGGREGATE)
		return "aggregate";
	if (t->kind == GQ_T_NODE) {
		char buf[1200];
		snprintf(buf, sizeof(buf), "node `%s`", t->node->name);
		const char *copy = lang_arena_strdup(&tc->out->arena, buf);
		return copy ? copy : "?";
	}
	return tc_disp(tc, &t->t);
}

struct lang_type tc_scalar(enum lang_scalar s)
{
	struct lang_type t;
	memset(&t, 0, sizeof(t));
	t.scalar = (uint8_t)s;
	return t;
}

static int is_integer(const struct lang_type *t)
{
	return !t->list && (t->scalar == LANG_SCALAR_I32 || t->scalar == LANG_SCALAR_I64 ||
	                    t->scalar == LANG_SCALAR_U32 || t->scalar == LANG_SCALAR_U64);
}

static int is_string(const struct lang_type *t)
{
	return !t->list && t->scalar == LANG_SCALAR_STRING;
}

int tc_compatible(const struct lang_type *a, const struct lang_type *b)
{
	if (a->list != b->list)
		return 0;
	if (a->scalar == b->scalar)
		return a->scalar != LANG_SCALAR_VECTOR || a->vector_dim == b->vector_dim;
	return lang_scalar_is_numeric(a->scalar) && lang_scalar_is_numeric(b->scalar);
}

const struct lang_type *tc_param(struct tc *tc, const char *name)
{
	int i = gq_checked_param(tc->out, name);
	return i < 0 ? NULL : &tc->out->param_types[i];
}

const struct tc_binding *tc_env(struct tc *tc, const char *name)
{
	for (size_t i = tc->n_env; i-- > 0;)
		if (strcmp(tc->env[i].name, name) == 0)
			return &tc->env[i];
	return NULL;
}

const struct tc_alias *tc_alias(struct tc *tc, const char *name)
{
	/* A later alias of the same name replaces the earlier (a map insert). */
	for (size_t i = tc->n_aliases; i-- > 0;)
		if (strcmp(tc->aliases[i].name, name) == 0)
			return &tc->aliases[i];
	return NULL;
}

/* ---- Literals ------------------------------------------------------------ */

int tc_literal_type(struct tc *tc, const struct gq_lit *lit, struct lang_type *out)
{
	switch (lit->kind) {
	case GQ_LIT_STRING: *out = tc_scalar(LANG_SCALAR_STRING); return 0;
	case GQ_LIT_INT: *out = tc_scalar(LANG_SCALAR_I64); return 0;
	case GQ_LIT_FLOAT: *out = tc_scalar(LANG_SCALAR_F64); return 0;
	case GQ_LIT_BOOL: *out = tc_scalar(LANG_SCALAR_BOOL); return 0;
	case GQ_LIT_DATE: *out = tc_scalar(LANG_SCALAR_DATE); return 0;
	case GQ_LIT_DATETIME: *out = tc_scalar(LANG_SCALAR_DATETIME); return 0;
	case GQ_LIT_LIST: break;
	}
	if (lit->n_items == 0) {
		*out = tc_scalar(LANG_SCALAR_STRING);  /* `[]` is [String] */
		out->list = 1;
		return 0;
	}
	struct lang_type first;
	if (tc_literal_type(tc, &lit->items[0], &first) != 0)
		return -1;
	if (first.list)
		return tc_fail(tc, "nested list literals are not supported");
	for (size_t i = 1; i < lit->n_items; i++) {
		struct lang_type it;
		if (tc_literal_type(tc, &lit->items[i], &it) != 0)
			return -1;
		if (it.list || !tc_compatible(&first, &it))
			return tc_fail(tc, "list literal elements must share a compatible scalar type");
	}
	*out = tc_scalar((enum lang_scalar)first.scalar);
	out->list = 1;
	return 0;
}

/* Elements of a non-empty all-numeric list literal, else 0. */
static size_t numeric_list_dim(const struct gq_lit *lit)
{
	if (lit->kind != GQ_LIT_LIST || lit->n_items == 0)
		return 0;
	for (size_t i = 0; i < lit->n_items; i++)
		if (lit->items[i].kind != GQ_LIT_INT && lit->items[i].kind != GQ_LIT_FLOAT)
			return 0;
	return lit->n_items;
}

static int enum_has(const struct lang_type *t, const char *v)
{
	for (uint32_t i = 0; i < t->n_enum; i++)
		if (strcmp(t->enum_values[i], v) == 0)
			return 1;
	return 0;
}

static int enum_fail(struct tc *tc, const struct lang_type *t, const char *prop, const char *got)
{
	size_t len = 1;
	for (uint32_t i = 0; i < t->n_enum; i++)
		len += strlen(t->enum_values[i]) + 2;
	char *set = lang_arena_alloc(&tc->out->arena, len);
	if (set == NULL)
		return tc_oom(tc);
	for (uint32_t i = 0; i < t->n_enum; i++) {
		if (i > 0)
			strcat(set, ", ");
		strcat(set, t->enum_values[i]);
	}
	return tc_fail(tc, "T3: property `%s` expects one of [%s], got '%s'", prop, set, got);
}

static int check_enum_literal(struct tc *tc, const struct gq_lit *lit,
                              const struct lang_type *expected, const char *prop)
{
	if (lit->kind == GQ_LIT_STRING && !enum_has(expected, lit->str))
		return enum_fail(tc, expected, prop, lit->str);
	if (lit->kind == GQ_LIT_LIST && expected->list)
		for (size_t i = 0; i < lit->n_items; i++)
			if (lit->items[i].kind == GQ_LIT_STRING && !enum_has(expected, lit->items[i].str))
				return enum_fail(tc, expected, prop, lit->items[i].str);
	return 0;
}

int tc_check_literal(struct tc *tc, const struct gq_lit *lit, const struct lang_type *expected,
                     const char *prop)
{
	size_t dim = numeric_list_dim(lit);
	if (!expected->list && expected->scalar == LANG_SCALAR_VECTOR && dim > 0) {
		if (dim == expected->vector_dim)
			return 0;
		return tc_fail(tc, "T3: property `%s` has type Vector(%u) but got vector literal "
		               "with %zu elements", prop, (unsigned)expected->vector_dim, dim);
	}
	struct lang_type lt;
	if (tc_literal_type(tc, lit, &lt) != 0)
		return -1;
	if (!tc_compatible(&lt, expected))
		return tc_fail(tc, "T3: property `%s` has type %s but got %s", prop,
		               tc_disp(tc, expected), tc_disp(tc, &lt));
	if (expected->n_enum > 0)
		return check_enum_literal(tc, lit, expected, prop);
	return 0;
}

int tc_check_now(struct tc *tc, const struct lang_type *expected, const char *prop)
{
	if (expected->list || expected->scalar != LANG_SCALAR_DATETIME)
		return tc_fail(tc, "T7: cannot assign/compare DateTime with %s for property `%s`",
		               tc_disp(tc, expected), prop);
	return 0;
}

int tc_check_value(struct tc *tc, const struct gq_expr *v, const struct lang_type *expected,
                   const char *prop)
{
	if (v->kind == GQ_EXPR_LIT)
		return tc_check_literal(tc, &v->lit, expected, prop);
	if (v->kind == GQ_EXPR_NOW)
		return tc_check_now(tc, expected, prop);
	assert(v->kind == GQ_EXPR_VAR);
	const struct lang_type *actual = tc_param(tc, v->var);
	if (actual == NULL)
		return tc_fail(tc, "T14: mutation variable `$%s` must be a declared query parameter",
		               v->var);
	/* A String parameter is the input spelling of a Blob (spec §7.6). */
	int blob_uri = expected->scalar == LANG_SCALAR_BLOB && is_string(actual);
	if (!tc_compatible(actual, expected) && !blob_uri)
		return tc_fail(tc, "T7: cannot assign/compare %s with %s for property `%s`",
		               tc_disp(tc, actual), tc_disp(tc, expected), prop);
	return 0;
}

int tc_reject_blob(struct tc *tc, const struct gq_ttype *t, const struct gq_expr *e)
{
	if (t->kind != GQ_T_SCALAR || t->t.scalar != LANG_SCALAR_BLOB)
		return 0;
	const char *tail = "is not available as a .gq read value; Blob values require a dedicated API";
	if (e->kind == GQ_EXPR_VAR)
		return tc_fail(tc, "T24: Blob parameter `$%s` %s", e->var, tail);
	if (e->kind == GQ_EXPR_ALIAS)
		return tc_fail(tc, "T24: Blob alias `%s` %s", e->name, tail);
	return tc_fail(tc, "T24: Blob expression %s", tail);
}

/* ---- Expressions ----------------------------------------------------------- */

static void set_scalar(struct gq_ttype *out, struct lang_type t)
{
	memset(out, 0, sizeof(*out));
	out->kind = GQ_T_SCALAR;
	out->t = t;
}

/* $v.p: T6, then T24 for a Blob property (spec §4.3). */
static int prop_type(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	const struct tc_binding *b = tc_env(tc, e->var);
	if (b == NULL)
		return tc_fail(tc, "T6: variable `$%s` is not bound", e->var);
	const struct lang_cat_property *p = lang_cat_type_prop(b->type, e->name);
	if (p == NULL)
		return tc_fail(tc, b->is_edge ? "T6: edge `%s` has no property `%s`"
		                              : "T6: type `%s` has no property `%s`",
		               b->type->name, e->name);
	if (p->type.scalar == LANG_SCALAR_BLOB)
		return tc_fail(tc, "T24: Blob property `$%s.%s` is not available as a .gq read "
		               "value; Blob values require a dedicated API", e->var, e->name);
	set_scalar(out, p->type);
	return 0;
}

/* nearest($v.p, q): T23/T15 on the target, then the query (spec §3.11). */
static int nearest_type(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	const struct gq_expr *f = e->arg[0], *q = e->arg[1];
	const struct tc_binding *b = tc_env(tc, f->var);
	if (b != NULL && b->is_edge)
		return tc_fail(tc, "T23: nearest cannot target edge binding `$%s`; vector search "
		               "runs on node properties", f->var);
	if (b == NULL)
		return tc_fail(tc, "T15: variable `$%s` is not bound", f->var);
	const struct lang_cat_property *p = lang_cat_type_prop(b->type, f->name);
	if (p == NULL)
		return tc_fail(tc, "T15: type `%s` has no property `%s`", b->type->name, f->name);
	if (p->type.scalar != LANG_SCALAR_VECTOR)
		return tc_fail(tc, "T15: nearest requires a Vector property, got %s.%s: %s",
		               b->type->name, f->name, tc_disp(tc, &p->type));
	if (p->type.list)
		return tc_fail(tc, "T15: nearest does not support list-wrapped vectors");
	unsigned dim = p->type.vector_dim;
	set_scalar(out, tc_scalar(LANG_SCALAR_F64));
	size_t ldim = q->kind == GQ_EXPR_LIT ? numeric_list_dim(&q->lit) : 0;
	if (ldim > 0) {
		if (ldim != dim)
			return tc_fail(tc, "T15: nearest vector dimension mismatch: property is "
			               "Vector(%u), query literal has %zu elements", dim, ldim);
		return 0;
	}
	struct gq_ttype qt;
	if (tc_expr(tc, q, &qt) != 0)
		return -1;
	if (qt.kind != GQ_T_SCALAR)
		return tc_fail(tc, "T15: nearest query must be a scalar expression");
	if (!qt.t.list && qt.t.scalar == LANG_SCALAR_VECTOR) {
		if (qt.t.vector_dim != dim)
			return tc_fail(tc, "T15: nearest vector dimension mismatch: property is "
			               "Vector(%u), query is Vector(%u)", dim, (unsigned)qt.t.vector_dim);
		return 0;
	}
	if (is_string(&qt.t))
		return 0;  /* embedded at query time through @embed */
	return tc_fail(tc, "T15: nearest query must be Vector(%u) or String, got %s", dim,
	               tc_disp(tc, &qt.t));
}

/* One String argument of a text call: "Tnn: <fn> <role> must be String". */
static int text_arg(struct tc *tc, const struct gq_expr *a, const char *code, const char *fn,
                    const char *role)
{
	struct gq_ttype t;
	if (tc_expr(tc, a, &t) != 0)
		return -1;
	if (t.kind != GQ_T_SCALAR)
		return tc_fail(tc, "%s: %s %s must be a scalar String expression", code, fn, role);
	if (!is_string(&t.t))
		return tc_fail(tc, "%s: %s %s must be String, got %s", code, fn, role,
		               tc_disp(tc, &t.t));
	return 0;
}

/* An integer argument (fuzzy max_edits, rrf k). */
static int int_arg(struct tc *tc, const struct gq_expr *a, const char *what)
{
	struct gq_ttype t;
	if (tc_expr(tc, a, &t) != 0)
		return -1;
	if (t.kind != GQ_T_SCALAR)
		return tc_fail(tc, "%s must be an integer scalar expression", what);
	if (!is_integer(&t.t))
		return tc_fail(tc, "%s must be an integer scalar, got %s", what, tc_disp(tc, &t.t));
	return 0;
}

/* search / fuzzy / match_text / bm25 (spec §3.11, T19, T20, T23). */
static int text_call_type(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	const char *fn, *code;
	switch (e->kind) {
	case GQ_EXPR_SEARCH: fn = "search"; code = "T19"; break;
	case GQ_EXPR_FUZZY: fn = "fuzzy"; code = "T19"; break;
	case GQ_EXPR_MATCH_TEXT: fn = "match_text"; code = "T20"; break;
	default: fn = "bm25"; code = "T20"; break;
	}
	const struct gq_expr *f = e->arg[0];
	if (f->kind == GQ_EXPR_PROP) {
		const struct tc_binding *b = tc_env(tc, f->var);
		if (b != NULL && b->is_edge)
			return tc_fail(tc, "T23: %s cannot target edge property `$%s.%s`; text/rank "
			               "search runs on node properties \xe2\x80\x94 edge properties "
			               "support comparison filters and projection", fn, f->var, f->name);
	}
	if (text_arg(tc, f, code, fn, "field") != 0 || text_arg(tc, e->arg[1], code, fn, "query") != 0)
		return -1;
	if (e->kind == GQ_EXPR_FUZZY && e->arg[2] != NULL &&
	    int_arg(tc, e->arg[2], "T19: fuzzy max_edits") != 0)
		return -1;
	set_scalar(out, tc_scalar(e->kind == GQ_EXPR_BM25 ? LANG_SCALAR_F64 : LANG_SCALAR_BOOL));
	return 0;
}

static int rrf_type(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	/* The grammar only admits nearest/bm25 arms; keep OmniGraph's check for
	 * trees built by other means. */
	for (int i = 0; i < 2; i++)
		if (e->arg[i]->kind != GQ_EXPR_NEAREST && e->arg[i]->kind != GQ_EXPR_BM25)
			return tc_fail(tc, "T21: rrf %s expression must be nearest(...) or bm25(...)",
			               i == 0 ? "primary" : "secondary");
	struct gq_ttype arm[2];
	if (tc_expr(tc, e->arg[0], &arm[0]) != 0 || tc_expr(tc, e->arg[1], &arm[1]) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (arm[i].kind != GQ_T_SCALAR)
			return tc_fail(tc, "T21: rrf rank expressions must be scalar numeric expressions");
		if (arm[i].t.list || arm[i].t.scalar != LANG_SCALAR_F64)
			return tc_fail(tc, "T21: rrf rank expressions must evaluate to F64, got %s",
			               tc_disp(tc, &arm[i].t));
	}
	const struct gq_expr *k = e->arg[2];
	if (k != NULL) {
		if (int_arg(tc, k, "T21: rrf k") != 0)
			return -1;
		if (k->kind == GQ_EXPR_LIT && k->lit.kind == GQ_LIT_INT && k->lit.i <= 0)
			return tc_fail(tc, "T21: rrf k must be greater than 0");
	}
	set_scalar(out, tc_scalar(LANG_SCALAR_F64));
	return 0;
}

/* count/sum/avg/min/max: the argument (T24 first), then T8 (spec §3.9). */
static int agg_type(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	struct gq_ttype a;
	if (tc_expr(tc, e->arg[0], &a) != 0 || tc_reject_blob(tc, &a, e->arg[0]) != 0)
		return -1;
	const char *fn = gq_agg_name(e->agg);
	int numeric = a.kind == GQ_T_SCALAR && !a.t.list && lang_scalar_is_numeric(a.t.scalar);
	if ((e->agg == GQ_AGG_SUM || e->agg == GQ_AGG_AVG) && a.kind == GQ_T_SCALAR && !numeric)
		return tc_fail(tc, "T8: %s requires numeric type, got %s", fn, tc_disp(tc, &a.t));
	if ((e->agg == GQ_AGG_MIN || e->agg == GQ_AGG_MAX) && a.kind == GQ_T_SCALAR && !numeric &&
	    !is_string(&a.t))
		return tc_fail(tc, "T8: %s requires numeric or string type, got %s", fn,
		               tc_disp(tc, &a.t));
	memset(out, 0, sizeof(*out));
	out->kind = GQ_T_AGGREGATE;
	switch (e->agg) {
	case GQ_AGG_COUNT: out->t = tc_scalar(LANG_SCALAR_I64); break;
	case GQ_AGG_SUM:
	case GQ_AGG_AVG: out->t = tc_scalar(LANG_SCALAR_F64); break;
	default:
		out->t = a.kind == GQ_T_SCALAR ? a.t : tc_scalar(LANG_SCALAR_I64);
		out->node = a.node;
		break;
	}
	out->t.nullable = e->agg != GQ_AGG_COUNT;  /* empty input: null, count 0 */
	return 0;
}

/* $x: a parameter first, then a bound variable (spec §3.8). */
static int var_type(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	const struct lang_type *pt = tc_param(tc, e->var);
	if (pt != NULL) {
		set_scalar(out, *pt);
		return 0;
	}
	const struct tc_binding *b = tc_env(tc, e->var);
	if (b == NULL)
		return tc_fail(tc, "variable `$%s` is not bound", e->var);
	if (b->is_edge)
		return tc_fail(tc, "T23: edge binding `$%s` cannot be used bare; access one of its "
		               "properties (`$%s.{prop}`)", e->var, e->var);
	memset(out, 0, sizeof(*out));
	out->kind = GQ_T_NODE;
	out->node = b->type;
	return 0;
}

static int expr_type(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	switch (e->kind) {
	case GQ_EXPR_NOW:
		set_scalar(out, tc_scalar(LANG_SCALAR_DATETIME));
		return 0;
	case GQ_EXPR_PROP: return prop_type(tc, e, out);
	case GQ_EXPR_NEAREST: return nearest_type(tc, e, out);
	case GQ_EXPR_SEARCH:
	case GQ_EXPR_FUZZY:
	case GQ_EXPR_MATCH_TEXT:
	case GQ_EXPR_BM25: return text_call_type(tc, e, out);
	case GQ_EXPR_RRF: return rrf_type(tc, e, out);
	case GQ_EXPR_VAR: return var_type(tc, e, out);
	case GQ_EXPR_AGG: return agg_type(tc, e, out);
	case GQ_EXPR_LIT: {
		struct lang_type t;
		if (tc_literal_type(tc, &e->lit, &t) != 0)
			return -1;
		set_scalar(out, t);
		return 0;
	}
	case GQ_EXPR_ALIAS: {
		const struct tc_alias *a = tc_alias(tc, e->name);
		if (a != NULL) {
			*out = a->type;
			return 0;
		}
		/* Possibly a forward reference: OmniGraph lets it through as an
		 * aggregate. */
		memset(out, 0, sizeof(*out));
		out->kind = GQ_T_AGGREGATE;
		out->t = tc_scalar(LANG_SCALAR_I64);
		out->t.nullable = 1;
		return 0;
	}
	}
	return tc_fail(tc, "unexpected expression");
}

int tc_expr(struct tc *tc, const struct gq_expr *e, struct gq_ttype *out)
{
	assert(e != NULL && out != NULL);
	/* A failure names the innermost expression checked. */
	struct gq_span outer = tc->at;
	if (e->span.end > e->span.start)
		tc->at = e->span;
	if (expr_type(tc, e, out) != 0)
		return -1;
	tc->at = outer;
	return tc_record(tc, e, out);
}
