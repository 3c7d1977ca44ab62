/*
 * lang/typecheck.c — the typechecker's entry points, match clauses and the
 * read-query checks that follow them (spec §4.2):
 *
 *   parameters -> match clauses in source order -> each projection (type,
 *   T24) -> each order key (type, T24) -> T21 -> T17 -> T18 -> T9 grouping.
 *
 * Expressions are typed in typecheck_expr.c, mutations in typecheck_mut.c,
 * result columns in typecheck_cols.c.
 */
#include "lang/typecheck_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define PUSH(tc, arr, n, cap) \
	gq_push(&(tc)->out->arena, (void **)&(arr), &(n), &(cap), sizeof(*(arr)))

/* ---- Expression -> type table ------------------------------------------- */

struct gq_expr_slot {
	const struct gq_expr *expr;
	struct gq_ttype type;
};

static size_t slot_hash(const struct gq_expr *e, size_t n_slots)
{
	uintptr_t h = (uintptr_t)e;
	h ^= h >> 17;
	h *= (uintptr_t)0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 7) & (n_slots - 1);
}

static int table_grow(struct gq_checked *c)
{
	size_t n = c->n_slots ? c->n_slots * 2 : 64;
	struct gq_expr_slot *slots = calloc(n, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < c->n_slots; i++) {
		if (c->slots[i].expr == NULL)
			continue;
		size_t j = slot_hash(c->slots[i].expr, n);
		while (slots[j].expr != NULL)
			j = (j + 1) & (n - 1);
		slots[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = slots;
	c->n_slots = n;
	return 0;
}

int tc_record(struct tc *tc, const struct gq_expr *e, const struct gq_ttype *t);
int tc_record(struct tc *tc, const struct gq_expr *e, const struct gq_ttype *t)
{
	struct gq_checked *c = tc->out;
	/* Keep the load under 1/2 so probes stay short. */
	if ((c->used_slots + 1) * 2 > c->n_slots && table_grow(c) != 0)
		return tc_oom(tc);
	size_t j = slot_hash(e, c->n_slots);
	while (c->slots[j].expr != NULL && c->slots[j].expr != e)
		j = (j + 1) & (c->n_slots - 1);
	if (c->slots[j].expr == NULL)
		c->used_slots++;
	c->slots[j].expr = e;
	c->slots[j].type = *t;
	return 0;
}

const struct gq_ttype *gq_checked_expr_type(const struct gq_checked *c, const struct gq_expr *e)
{
	if (c->n_slots == 0)
		return NULL;
	size_t j = slot_hash(e, c->n_slots);
	while (c->slots[j].expr != NULL) {
		if (c->slots[j].expr == e)
			return &c->slots[j].type;
		j = (j + 1) & (c->n_slots - 1);
	}
	return NULL;
}

/* ---- Accessors ------------------------------------------------------------ */

const struct gq_ctrav *gq_checked_traversal(const struct gq_checked *c, const struct gq_clause *cl)
{
	for (size_t i = 0; i < c->n_travs; i++)
		if (c->travs[i].clause == cl)
			return &c->travs[i];
	return NULL;
}

uint32_t gq_checked_scope_parent(const struct gq_checked *c, uint32_t scope)
{
	assert(scope < c->n_scopes);
	return c->scope_parent[scope];
}

const struct gq_cvar *gq_checked_var(const struct gq_checked *c, const char *name, uint32_t scope)
{
	for (;;) {
		for (size_t i = c->n_vars; i-- > 0;)
			if (c->vars[i].scope == scope && strcmp(c->vars[i].name, name) == 0)
				return &c->vars[i];
		if (scope == 0)
			return NULL;
		scope = gq_checked_scope_parent(c, scope);
	}
}

int gq_checked_param(const struct gq_checked *c, const char *name)
{
	/* A HashMap insert in OmniGraph: the last declaration wins. */
	for (size_t i = c->query->n_params; i-- > 0;)
		if (strcmp(c->query->params[i].name, name) == 0)
			return (int)i;
	return -1;
}

void gq_checked_free(struct gq_checked *c)
{
	if (c == NULL)
		return;
	free(c->slots);
	lang_arena_free(&c->arena);
	free(c);
}

/* ---- Bindings ---------------------------------------------------------- */

static int bind(struct tc *tc, const char *name, const struct lang_cat_type *type, int is_edge,
                const struct gq_clause *cl)
{
	struct tc_binding *b = PUSH(tc, tc->env, tc->n_env, tc->cap_env);
	struct gq_cvar *v = PUSH(tc, tc->out->vars, tc->out->n_vars, tc->cap_vars);
	if (b == NULL || v == NULL)
		return tc_oom(tc);
	b->name = v->name = name;
	b->type = v->type = type;
	b->is_edge = v->is_edge = is_edge;
	v->scope = tc->scope;
	v->clause = cl;
	return 0;
}

/* A binding's property match: T2, T3 blob, then the value (spec §3.4). */
static int check_pmatch(struct tc *tc, const struct lang_cat_type *nt, const struct gq_pmatch *m)
{
	const struct lang_cat_property *p = lang_cat_type_prop(nt, m->prop);
	if (p == NULL)
		return tc_fail(tc, "T2: type `%s` has no property `%s`", nt->name, m->prop);
	if (p->type.scalar == LANG_SCALAR_BLOB)
		return tc_fail(tc, "T3: blob property `%s.%s` cannot be used in match patterns",
		               nt->name, m->prop);
	const struct lang_type *want = &p->type;
	struct lang_type member = *want;
	member.list = 0;
	const struct gq_expr *v = m->value;
	if (v->kind == GQ_EXPR_NOW)
		return tc_check_now(tc, want, m->prop);
	if (v->kind == GQ_EXPR_LIT) {
		if (!want->list)
			return tc_check_literal(tc, &v->lit, want, m->prop);
		struct lang_type lt;
		if (tc_literal_type(tc, &v->lit, &lt) != 0)
			return -1;
		if (lt.list)
			return tc_fail(tc, "T3: list equality is not supported for property `%s`; use a "
			               "scalar value to match list membership", m->prop);
		if (!tc_compatible(&lt, &member))
			return tc_fail(tc, "T3: property `%s` has type %s but membership match got %s",
			               m->prop, tc_disp(tc, want), tc_disp(tc, &lt));
		return 0;
	}
	const struct lang_type *actual = tc_param(tc, v->var);
	if (actual == NULL)
		return 0;  /* undeclared: OmniGraph leaves it to run time (spec §4.3) */
	if (want->list && actual->list)
		return tc_fail(tc, "T7: list equality is not supported for property `%s`; use a "
		               "scalar parameter for membership matching", m->prop);
	if (want->list && !tc_compatible(actual, &member))
		return tc_fail(tc, "T7: cannot compare %s membership against %s for property `%s`",
		               tc_disp(tc, actual), tc_disp(tc, want), m->prop);
	if (!want->list && !tc_compatible(actual, want))
		return tc_fail(tc, "T7: cannot assign/compare %s with %s for property `%s`",
		               tc_disp(tc, actual), tc_disp(tc, want), m->prop);
	return 0;
}

static int check_binding(struct tc *tc, const struct gq_clause *cl)
{
	const struct lang_cat_type *nt = lang_catalog_node(tc->cat, cl->type_name);
	if (nt == NULL)
		return tc_fail(tc, "T1: unknown node type `%s`", cl->type_name);
	for (size_t i = 0; i < cl->n_matches; i++)
		if (check_pmatch(tc, nt, &cl->matches[i]) != 0)
			return -1;
	const struct tc_binding *old = tc_env(tc, cl->var);
	if (old != NULL && old->is_edge)
		return tc_fail(tc, "T23: variable `$%s` is bound to edge type `%s` and cannot be "
		               "rebound as node type `%s`", cl->var, old->type->name, cl->type_name);
	if (old != NULL && old->type != nt)
		return tc_fail(tc, "variable `$%s` already bound to type `%s`, cannot rebind to `%s`",
		               cl->var, old->type->name, cl->type_name);
	if (old != NULL)
		return 0;  /* re-binding to the same type is a no-op */
	return bind(tc, cl->var, nt, 0, cl);
}

/* ---- Traversals (spec §3.5) ------------------------------------------------ */

/* The node type of a bound endpoint; T23 if it is an edge binding. */
static int endpoint_type(struct tc *tc, const struct tc_binding *b, const char *var,
                         const struct lang_cat_type **out)
{
	if (b->is_edge)
		return tc_fail(tc, "T23: edge binding `$%s` cannot be used as a traversal endpoint; "
		               "traversal endpoints must be node bindings", var);
	*out = b->type;
	return 0;
}

/* Give an unbound endpoint the implied type, or check a bound one (T5). */
static int bind_endpoint(struct tc *tc, const struct gq_clause *cl, const char *var,
                         uint32_t want_id, const struct lang_cat_type *edge,
                         const struct lang_cat_type **type_out)
{
	const char *want_name = want_id == edge->from_id ? edge->from_type : edge->to_type;
	const struct lang_cat_type *want = lang_catalog_node(tc->cat, want_name);
	assert(want != NULL && want->id == want_id);
	*type_out = want;
	if (strcmp(var, "_") == 0)
		return 0;  /* anonymous: never bound */
	const struct tc_binding *b = tc_env(tc, var);
	if (b == NULL)
		return bind(tc, var, want, 0, cl);
	const struct lang_cat_type *have = NULL;
	if (endpoint_type(tc, b, var, &have) != 0)
		return -1;
	if (have->id != want_id)
		return tc_fail(tc, "T5: variable `$%s` has type `%s` but edge `%s` expects `%s`",
		               var, have->name, edge->name, want_name);
	return 0;
}

static int check_bounds(struct tc *tc, const struct gq_clause *cl)
{
	if (cl->min_hops == 0)
		return tc_fail(tc, "T15: traversal min hop bound must be >= 1");
	if (cl->max_unbounded)
		return tc_fail(tc, "T15: unbounded traversal is disabled; use bounded traversal "
		               "{min,max}");
	if (cl->max_hops < cl->min_hops)
		return tc_fail(tc, "T15: invalid traversal bounds {%u,%u}; max must be >= min",
		               (unsigned)cl->min_hops, (unsigned)cl->max_hops);
	return 0;
}

static int check_edge_binding(struct tc *tc, const struct gq_clause *cl,
                              const struct lang_cat_type *edge)
{
	const char *eb = cl->edge_binding;
	if (eb == NULL)
		return 0;
	if (cl->min_hops != 1 || cl->max_hops != 1 || cl->max_unbounded)
		return tc_fail(tc, "T23: edge binding `$%s` cannot be combined with traversal bounds; "
		               "a multi-hop traversal matches a path of edges, not one edge", eb);
	if (strcmp(eb, "_") == 0)
		return 0;
	if (strcmp(eb, cl->src) == 0 || strcmp(eb, cl->dst) == 0)
		return tc_fail(tc, "T23: edge binding `$%s` cannot reuse a traversal endpoint name; "
		               "edge bindings and node endpoints need distinct names", eb);
	if (tc_env(tc, eb) != NULL)
		return tc_fail(tc, "T23: variable `$%s` is already bound; an edge binding needs a "
		               "fresh name", eb);
	return bind(tc, eb, edge, 1, cl);
}

/* Orientation from the bound endpoint's type, not word order. */
static int orient(struct tc *tc, const struct gq_clause *cl, const struct lang_cat_type *edge,
                  struct gq_ctrav *tr)
{
	const struct tc_binding *sb = tc_env(tc, cl->src), *db = tc_env(tc, cl->dst);
	const struct lang_cat_type *t = NULL;
	const char *var = sb ? cl->src : cl->dst;
	if (sb == NULL && db == NULL) {
		tr->dir = GQ_DIR_OUT;
		return bind_endpoint(tc, cl, cl->src, edge->from_id, edge, &tr->src_type) ||
		       bind_endpoint(tc, cl, cl->dst, edge->to_id, edge, &tr->dst_type) ? -1 : 0;
	}
	if (endpoint_type(tc, sb ? sb : db, var, &t) != 0)
		return -1;
	/* src bound: From -> Out, To -> In.  Only dst bound: To -> Out, From -> In. */
	uint32_t first = sb ? edge->from_id : edge->to_id;
	uint32_t second = sb ? edge->to_id : edge->from_id;
	if (t->id != first && t->id != second)
		return tc_fail(tc, "T5: variable `$%s` has type `%s`, which is not an endpoint of "
		               "edge `%s: %s -> %s`", var, t->name, edge->name, edge->from_type,
		               edge->to_type);
	tr->dir = t->id == first ? GQ_DIR_OUT : GQ_DIR_IN;
	uint32_t other = t->id == first ? second : first;
	const char *other_var = sb ? cl->dst : cl->src;
	const struct lang_cat_type **other_type = sb ? &tr->dst_type : &tr->src_type;
	*(sb ? &tr->src_type : &tr->dst_type) = t;
	return bind_endpoint(tc, cl, other_var, other, edge, other_type);
}

static int check_traversal(struct tc *tc, const struct gq_clause *cl)
{
	const struct lang_cat_type *edge = lang_catalog_edge(tc->cat, cl->edge);
	if (edge == NULL)
		return tc_fail(tc, "T4: unknown edge type `%s`", cl->edge);
	if (check_bounds(tc, cl) != 0)
		return -1;
	if (cl->undirected && edge->from_id != edge->to_id)
		return tc_fail(tc, "T22: undirected traversal `<%s>` requires a same-endpoint-type "
		               "edge, but `%s: %s -> %s` is asymmetric; use the directional form",
		               edge->name, edge->name, edge->from_type, edge->to_type);
	if (check_edge_binding(tc, cl, edge) != 0)
		return -1;
	struct gq_ctrav tr;
	memset(&tr, 0, sizeof(tr));
	tr.clause = cl;
	tr.edge = edge;
	tr.scope = tc->scope;
	if (orient(tc, cl, edge, &tr) != 0)
		return -1;
	if (cl->undirected)
		tr.dir = GQ_DIR_BOTH;  /* a same-type edge: both readings agree */
	struct gq_ctrav *slot = PUSH(tc, tc->out->travs, tc->out->n_travs, tc->cap_travs);
	if (slot == NULL)
		return tc_oom(tc);
	*slot = tr;
	return 0;
}

/* ---- Filters (spec §3.6) --------------------------------------------------- */

static int check_contains(struct tc *tc, const struct lang_type *l, const struct lang_type *r)
{
	if (!l->list && l->scalar == LANG_SCALAR_STRING) {
		if (r->list || r->scalar != LANG_SCALAR_STRING)
			return tc_fail(tc, "T7: string contains requires a String right operand, got %s",
			               tc_disp(tc, r));
		return 0;
	}
	if (!l->list)
		return tc_fail(tc, "T7: contains requires a list property (membership) or a String "
		               "property (substring) on the left, got %s", tc_disp(tc, l));
	if (r->list)
		return tc_fail(tc, "T7: contains requires a scalar right operand");
	if (l->scalar == LANG_SCALAR_VECTOR || r->scalar == LANG_SCALAR_VECTOR)
		return tc_fail(tc, "T7: vector membership filters are not supported");
	struct lang_type member = *l;
	member.list = 0;
	if (!tc_compatible(&member, r))
		return tc_fail(tc, "T7: cannot test membership of %s in %s", tc_disp(tc, r),
		               tc_disp(tc, l));
	return 0;
}

static int check_filter(struct tc *tc, const struct gq_clause *cl)
{
	struct gq_ttype lt, rt;
	if (tc_expr(tc, cl->left, &lt) != 0 || tc_expr(tc, cl->right, &rt) != 0)
		return -1;
	if (lt.kind != GQ_T_SCALAR || rt.kind != GQ_T_SCALAR)
		return tc_fail(tc, "T7: filter comparisons require scalar operands, got %s and %s",
		               tc_tdisp(tc, &lt), tc_tdisp(tc, &rt));
	const struct lang_type *l = &lt.t, *r = &rt.t;
	/* Ahead of every operator rule, so no shape reaches a Blob. */
	if (l->scalar == LANG_SCALAR_BLOB || r->scalar == LANG_SCALAR_BLOB)
		return tc_fail(tc, "T7: blob comparisons in filters are not supported");
	if (cl->op == GQ_OP_CONTAINS)
		return check_contains(tc, l, r);
	if (cl->op == GQ_OP_STARTS_WITH) {
		if (l->list || l->scalar != LANG_SCALAR_STRING)
			return tc_fail(tc, "T7: starts_with requires a String property on the left, "
			               "got %s", tc_disp(tc, l));
		if (r->list || r->scalar != LANG_SCALAR_STRING)
			return tc_fail(tc, "T7: starts_with requires a String right operand, got %s",
			               tc_disp(tc, r));
		return 0;
	}
	if (l->list || r->list)
		return tc_fail(tc, "T7: list comparisons in filters are not supported; use "
		               "`contains` for list membership");
	if (l->scalar == LANG_SCALAR_VECTOR || r->scalar == LANG_SCALAR_VECTOR)
		return tc_fail(tc, "T7: vector comparisons in filters are not supported");
	if (!tc_compatible(l, r))
		return tc_fail(tc, "T7: cannot compare %s with %s", tc_disp(tc, l), tc_disp(tc, r));
	return 0;
}

/* ---- Negation (spec §3.7) ---------------------------------------------------- */

static int clauses(struct tc *tc, const struct gq_clause *cls, size_t n);

/* Does e mention a variable bound outside (env[0, n_outer))? */
static int mentions_outer(struct tc *tc, const struct gq_expr *e, size_t n_outer)
{
	if (e == NULL)
		return 0;
	const char *v = NULL;
	switch (e->kind) {
	case GQ_EXPR_PROP:
	case GQ_EXPR_VAR: v = e->var; break;
	case GQ_EXPR_NEAREST: v = e->arg[0]->var; break;
	case GQ_EXPR_LIT:
	case GQ_EXPR_NOW:
	case GQ_EXPR_ALIAS: return 0;
	default: break;
	}
	for (size_t i = 0; v != NULL && i < n_outer; i++)
		if (strcmp(tc->env[i].name, v) == 0)
			return 1;
	if (e->kind == GQ_EXPR_PROP || e->kind == GQ_EXPR_VAR)
		return 0;
	int from = e->kind == GQ_EXPR_NEAREST ? 1 : 0;
	for (int i = from; i < 3; i++)
		if (mentions_outer(tc, e->arg[i], n_outer))
			return 1;
	return 0;
}

static int is_outer(struct tc *tc, const char *name, size_t n_outer)
{
	for (size_t i = 0; i < n_outer; i++)
		if (strcmp(tc->env[i].name, name) == 0)
			return 1;
	return 0;
}

/* `n_before`: the bindings of the enclosing scopes made before the block
 * in the text, for T9; the block itself sees those bound when it is
 * checked (clauses, below). */
static int check_negation(struct tc *tc, const struct gq_clause *cl, size_t n_before)
{
	struct gq_checked *out = tc->out;
	size_t n_outer = tc->n_env;
	uint32_t saved = tc->scope;
	uint32_t *parent = PUSH(tc, out->scope_parent, out->n_scopes, tc->cap_scopes);
	if (parent == NULL)
		return tc_oom(tc);
	*parent = saved;
	tc->scope = (uint32_t)(out->n_scopes - 1);
	if (clauses(tc, cl->inner, cl->n_inner) != 0)
		return -1;
	tc->scope = saved;
	int outer = 0;
	for (size_t i = 0; i < cl->n_inner && !outer; i++) {
		const struct gq_clause *in = &cl->inner[i];
		if (in->kind == GQ_CLAUSE_TRAVERSAL)
			outer = is_outer(tc, in->src, n_before) || is_outer(tc, in->dst, n_before);
		else if (in->kind == GQ_CLAUSE_FILTER)
			outer = mentions_outer(tc, in->left, n_before) ||
			        mentions_outer(tc, in->right, n_before);
		else if (in->kind == GQ_CLAUSE_BINDING)
			outer = is_outer(tc, in->var, n_before);
	}
	tc->n_env = n_outer;  /* the block's own bindings end with it */
	tc->at = cl->span;    /* the block, not its last inner clause */
	if (!outer)
		return tc_fail(tc, "T9: negation block must reference at least one outer-bound "
		               "variable");
	return 0;
}

/* A scope's clauses.  In source order (spec §4.2) a `not { }` block is
 * checked where it stands, seeing the variables bound before it, and one
 * it binds first is its own (§3.7).  With negations_last it is checked
 * after its scope's other clauses, and so sees, and is correlated with,
 * every variable the scope binds, also after it in the text — as
 * OmniGraph's lowering runs it (match_clauses).  T9 reads the text
 * either way: a block must name a variable bound before it. */
static int clauses(struct tc *tc, const struct gq_clause *cls, size_t n)
{
	size_t *before = n ? calloc(n, sizeof *before) : NULL;
	if (n && before == NULL)
		return tc_oom(tc);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct gq_clause *cl = &cls[i];
		tc->at = cl->span;
		switch (cl->kind) {
		case GQ_CLAUSE_BINDING: rc = check_binding(tc, cl); break;
		case GQ_CLAUSE_TRAVERSAL: rc = check_traversal(tc, cl); break;
		case GQ_CLAUSE_FILTER: rc = check_filter(tc, cl); break;
		case GQ_CLAUSE_NEGATION:
			before[i] = tc->n_env;
			if (!tc->negations_last)
				rc = check_negation(tc, cl, before[i]);
			break;
		}
	}
	for (size_t i = 0; i < n && rc == 0 && tc->negations_last; i++)
		if (cls[i].kind == GQ_CLAUSE_NEGATION) {
			tc->at = cls[i].span;
			rc = check_negation(tc, &cls[i], before[i]);
		}
	free(before);
	return rc != 0 ? -1 : 0;
}

/* What the match clauses add to the checker's state. */
struct tc_mark {
	size_t n_env, n_vars, n_travs, n_scopes;
};

static struct tc_mark tc_mark(const struct tc *tc)
{
	return (struct tc_mark){ tc->n_env, tc->out->n_vars, tc->out->n_travs, tc->out->n_scopes };
}

static void tc_rewind(struct tc *tc, struct tc_mark m)
{
	tc->n_env = m.n_env;
	tc->out->n_vars = m.n_vars;
	tc->out->n_travs = m.n_travs;
	tc->out->n_scopes = m.n_scopes;
	tc->scope = 0;
}

/* The match clauses, once in source order for the first failure (spec
 * §4.2); then, where a `not { }` block stands among them, again with the
 * blocks last, so that a block is correlated with a variable its scope
 * binds after it (the old check's output is thrown away; a type the
 * scope's expressions were given is given again).  Where that fails — a
 * block's own variable of another type than the scope's later one of the
 * same name — the source order's result stands for the whole query: every
 * block keeps what it binds first as its own.  (Deciding block by block
 * would keep the others correlated; no case has needed it.) */
static int match_clauses(struct tc *tc, const struct gq_clause *cls, size_t n)
{
	struct tc_mark m = tc_mark(tc);
	bool negation = false;
	for (size_t i = 0; i < n; i++)
		negation |= cls[i].kind == GQ_CLAUSE_NEGATION;
	if (clauses(tc, cls, n) != 0)
		return -1;
	if (!negation)
		return 0;
	tc_rewind(tc, m);
	tc->negations_last = true;
	int rc = clauses(tc, cls, n);
	tc->negations_last = false;
	if (rc == 0)
		return 0;
	lang_diag_clear(tc->diag);
	tc_rewind(tc, m);
	return clauses(tc, cls, n);
}

/* ---- The return / order checks ------------------------------------------- */

/* Does an order key contain a standalone nearest() (want_rrf = 0) or an
 * rrf() (want_rrf = 1), looking through aliases?  A nearest inside rrf is
 * rrf's business (T21, not T17/T18).  `depth` bounds alias chains. */
static int contains_rank(struct tc *tc, const struct gq_expr *e, int want_rrf, int depth)
{
	if (e == NULL || depth > GQ_MAX_NESTING)
		return 0;
	switch (e->kind) {
	case GQ_EXPR_NEAREST: return !want_rrf;
	case GQ_EXPR_RRF: return want_rrf;
	case GQ_EXPR_AGG:
	case GQ_EXPR_SEARCH:
	case GQ_EXPR_FUZZY:
	case GQ_EXPR_MATCH_TEXT:
	case GQ_EXPR_BM25:
		for (int i = 0; i < 3; i++)
			if (contains_rank(tc, e->arg[i], want_rrf, depth + 1))
				return 1;
		return 0;
	case GQ_EXPR_ALIAS: {
		const struct tc_alias *a = tc_alias(tc, e->name);
		return a != NULL && contains_rank(tc, a->expr, want_rrf, depth + 1);
	}
	default:
		return 0;
	}
}

static int check_ranking(struct tc *tc)
{
	const struct gq_query *q = tc->q;
	int nearest = 0, rrf = 0, alias = 0;
	for (size_t i = 0; i < q->n_orders; i++) {
		int n = contains_rank(tc, q->orders[i].expr, 0, 0), r = contains_rank(tc, q->orders[i].expr, 1, 0);
		if ((n && !nearest) || (r && !rrf))
			tc->at = q->orders[i].span;   /* the ranking key errors name */
		nearest |= n;
		rrf |= r;
		alias |= q->orders[i].expr->kind == GQ_EXPR_ALIAS;
	}
	if (rrf && !q->has_limit)
		return tc_fail(tc, "T21: rrf ordering requires a limit clause");
	if (nearest && !q->has_limit)
		return tc_fail(tc, "T17: nearest ordering requires a limit clause");
	if (nearest && alias)
		return tc_fail(tc, "T18: alias-based ordering is not supported together with "
		               "nearest in phase 1");
	return 0;
}

static int check_grouping(struct tc *tc)
{
	const struct gq_query *q = tc->q;
	int has_agg = 0;
	for (size_t i = 0; i < q->n_projs; i++)
		has_agg |= q->projs[i].expr->kind == GQ_EXPR_AGG;
	for (size_t i = 0; has_agg && i < q->n_projs; i++) {
		enum gq_expr_kind k = q->projs[i].expr->kind;
		tc->at = q->projs[i].span;
		if (k != GQ_EXPR_AGG && k != GQ_EXPR_PROP && k != GQ_EXPR_VAR)
			return tc_fail(tc, "T9: non-aggregate expressions in an aggregate query must be "
			               "property accesses or variables");
	}
	return 0;
}

int tc_read_query(struct tc *tc)
{
	const struct gq_query *q = tc->q;
	if (match_clauses(tc, q->clauses, q->n_clauses) != 0)
		return -1;
	for (size_t i = 0; i < q->n_projs; i++) {
		struct gq_ttype t;
		tc->at = q->projs[i].span;
		if (tc_expr(tc, q->projs[i].expr, &t) != 0 ||
		    tc_reject_blob(tc, &t, q->projs[i].expr) != 0)
			return -1;
		if (q->projs[i].alias == NULL)
			continue;
		struct tc_alias *a = PUSH(tc, tc->aliases, tc->n_aliases, tc->cap_aliases);
		if (a == NULL)
			return tc_oom(tc);
		a->name = q->projs[i].alias;
		a->type = t;
		a->expr = q->projs[i].expr;
	}
	for (size_t i = 0; i < q->n_orders; i++) {
		struct gq_ttype t;
		tc->at = q->orders[i].span;
		if (tc_expr(tc, q->orders[i].expr, &t) != 0 ||
		    tc_reject_blob(tc, &t, q->orders[i].expr) != 0)
			return -1;
	}
	/* Whole-query checks name the query (its span is tc's first). */
	tc->at = q->span;
	if (check_ranking(tc) != 0 || check_grouping(tc) != 0)
		return -1;
	return tc_columns(tc);
}

/* ---- Entry points ---------------------------------------------------------- */

/* Parameter declarations (spec §3.3). */
static int check_params(struct tc *tc)
{
	const struct gq_query *q = tc->q;
	struct gq_checked *out = tc->out;
	out->param_types = lang_arena_alloc(&out->arena, (q->n_params + 1) * sizeof(struct lang_type));
	if (out->param_types == NULL)
		return tc_oom(tc);
	for (size_t i = 0; i < q->n_params; i++) {
		const struct gq_param *p = &q->params[i];
		if (strcmp(p->name, GQ_NOW_PARAM_NAME) == 0)
			return tc_fail(tc, "parameter name `$%s` is reserved for runtime timestamp "
			               "injection", GQ_NOW_PARAM_NAME);
		struct lang_type *t = &out->param_types[i];
		if (p->type.base == GQ_BASE_VECTOR) {
			if (p->type.vector_dim == 0 || p->type.vector_dim > LANG_VECTOR_DIM_MAX)
				return tc_fail(tc, "unknown parameter type `Vector(%llu)` for `$%s`",
				               (unsigned long long)p->type.vector_dim, p->name);
			t->scalar = LANG_SCALAR_VECTOR;
			t->vector_dim = (uint32_t)p->type.vector_dim;
		} else {
			t->scalar = (uint8_t)lang_scalar_from_name(gq_base_name(p->type.base),
			                                           strlen(gq_base_name(p->type.base)));
			assert(t->scalar != LANG_SCALAR_NONE);
		}
		t->list = p->type.list;
		t->nullable = p->type.nullable;
	}
	return 0;
}

static int check_query(struct tc *tc)
{
	if (check_params(tc) != 0)
		return -1;
	if (!gq_query_is_mutation(tc->q))
		return tc_read_query(tc);
	struct gq_checked *out = tc->out;
	out->is_mutation = 1;
	out->targets = lang_arena_alloc(&out->arena, tc->q->n_mutations * sizeof(*out->targets));
	if (out->targets == NULL)
		return tc_oom(tc);
	for (size_t i = 0; i < tc->q->n_mutations; i++) {
		if (tc_mutation(tc, &tc->q->mutations[i], &out->targets[i]) != 0)
			return -1;
		out->n_targets++;
	}
	return 0;
}

int gq_typecheck(struct gq_checked **out, const struct lang_catalog *cat,
                 const struct gq_query *q, struct lang_diag *diag)
{
	assert(out != NULL && cat != NULL && q != NULL && diag != NULL);
	*out = NULL;
	lang_diag_clear(diag);
	struct gq_checked *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return lang_diag_set(diag, LANG_PREFIX_TYPE, "out of memory");
	c->query = q;
	c->cat = cat;

	struct tc tc;
	memset(&tc, 0, sizeof(tc));
	tc.out = c;
	tc.cat = cat;
	tc.q = q;
	tc.diag = diag;
	/* Scope 0, the match block, is its own parent. */
	uint32_t *root = PUSH(&tc, c->scope_parent, c->n_scopes, tc.cap_scopes);
	if (root == NULL || check_query(&tc) != 0) {
		if (root == NULL)
			tc_oom(&tc);
		assert(lang_diag_failed(diag));
		gq_checked_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int gq_typecheck_read(struct gq_checked **out, const struct lang_catalog *cat,
                      const struct gq_query *q, struct lang_diag *diag)
{
	if (gq_query_is_mutation(q)) {
		*out = NULL;
		return lang_diag_set(diag, LANG_PREFIX_TYPE,
		                     "mutation query cannot be typechecked with read-query API");
	}
	return gq_typecheck(out, cat, q, diag);
}
