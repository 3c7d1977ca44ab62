/*
 * lang/typecheck_cols.c — the result columns of a read query.
 *
 * Two namings coexist (spec §3.8): the executor's result columns
 * (`p.name`, `p`, `__nanograph_now`, an unaliased aggregate named after its
 * argument's column) and the lint descriptor's (`name`, `now`, `count`).
 * Types follow OmniGraph's result-schema inference: aggregates are
 * nullable, count is I64, sum/avg F64, min/max their argument's type; a
 * bare node variable is an object.
 */
#include "lang/typecheck_int.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const char *call_name(enum gq_expr_kind k)
{
	switch (k) {
	case GQ_EXPR_NEAREST: return "nearest";
	case GQ_EXPR_SEARCH: return "search";
	case GQ_EXPR_FUZZY: return "fuzzy";
	case GQ_EXPR_MATCH_TEXT: return "match_text";
	case GQ_EXPR_BM25: return "bm25";
	case GQ_EXPR_RRF: return "rrf";
	default: return NULL;
	}
}

/* The executor's column name of an unaliased expression. */
static const char *result_name(struct tc *tc, const struct gq_expr *e)
{
	switch (e->kind) {
	case GQ_EXPR_PROP: {
		size_t n = strlen(e->var) + strlen(e->name) + 2;
		char *s = lang_arena_alloc(&tc->out->arena, n);
		if (s != NULL)
			snprintf(s, n, "%s.%s", e->var, e->name);
		return s;
	}
	case GQ_EXPR_VAR: return e->var;
	case GQ_EXPR_LIT: return "literal";
	case GQ_EXPR_NOW: return GQ_NOW_PARAM_NAME;
	case GQ_EXPR_ALIAS: return e->name;
	case GQ_EXPR_AGG: return result_name(tc, e->arg[0]);
	default: return call_name(e->kind);
	}
}

/* The lint descriptor's name of an unaliased expression (spec §5.1). */
static const char *desc_name(const struct gq_expr *e)
{
	switch (e->kind) {
	case GQ_EXPR_PROP: return e->name;
	case GQ_EXPR_VAR: return e->var;
	case GQ_EXPR_LIT: return "literal";
	case GQ_EXPR_NOW: return "now";
	case GQ_EXPR_ALIAS: return e->name;
	case GQ_EXPR_AGG: return gq_agg_name(e->agg);
	default: return call_name(e->kind);
	}
}

static void column_type(struct tc *tc, const struct gq_expr *e, struct gq_ccolumn *col)
{
	const struct gq_ttype *t = gq_checked_expr_type(tc->out, e);
	assert(t != NULL);
	memset(&col->type, 0, sizeof(col->type));
	col->type.kind = GQ_T_SCALAR;
	if (e->kind == GQ_EXPR_AGG) {
		col->is_aggregate = 1;
		col->nullable = 1;
		const struct gq_ttype *arg = gq_checked_expr_type(tc->out, e->arg[0]);
		assert(arg != NULL);
		if ((e->agg == GQ_AGG_MIN || e->agg == GQ_AGG_MAX) && arg->kind == GQ_T_NODE) {
			col->type.kind = GQ_T_NODE;
			col->type.node = arg->node;
			return;
		}
		col->type.t = t->t;
		col->type.t.nullable = 1;
		return;
	}
	if (t->kind == GQ_T_NODE) {
		col->type = *t;
		col->nullable = 0;
		return;
	}
	if (t->kind == GQ_T_AGGREGATE) {
		/* An alias OmniGraph cannot see through reports as a nullable I64. */
		col->type.t = tc_scalar(LANG_SCALAR_I64);
		col->type.t.nullable = 1;
		col->nullable = 1;
		return;
	}
	col->type.t = t->t;
	col->nullable = t->t.nullable;
}

int tc_columns(struct tc *tc)
{
	const struct gq_query *q = tc->q;
	struct gq_checked *out = tc->out;
	out->columns = lang_arena_alloc(&out->arena, (q->n_projs + 1) * sizeof(*out->columns));
	if (out->columns == NULL)
		return tc_oom(tc);
	for (size_t i = 0; i < q->n_projs; i++) {
		const struct gq_proj *p = &q->projs[i];
		struct gq_ccolumn *col = &out->columns[i];
		col->name = p->alias ? p->alias : result_name(tc, p->expr);
		col->desc_name = p->alias ? p->alias : desc_name(p->expr);
		if (col->name == NULL)
			return tc_oom(tc);
		column_type(tc, p->expr, col);
		out->n_columns++;
	}
	return 0;
}
