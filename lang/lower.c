/*
 * lang/lower.c — lowering a typechecked query to the IR of ir.h (spec §6).
 *
 * Per scope (the match block, then each `not { }` block, correlated):
 *  1. each binding whose variable is not yet introduced becomes a SCAN (its
 *     property matches pick the access path: a full @key match is a key
 *     lookup, a match on a single-column index a point read, else a type
 *     scan), and the traversals reachable from it become EXPANDs — walked
 *     from whichever endpoint is already introduced, so a traversal written
 *     "backwards" costs the same adjacency range read;
 *  2. a traversal still unreached belongs to a group of variables no
 *     binding reaches: the query is refused (spec §3.4: each connected group
 *     needs a `$v: Type` binding to run; OmniGraph's lowering drops such a
 *     traversal and its run fails);
 *  3. filter clauses, and the matches of bindings of already-introduced
 *     variables, become FILTER steps;
 *  4. each negation becomes an ANTI_JOIN over its own pipeline.
 */
#include "lang/ir.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PUSH(l, arr, n, cap) gq_push((l)->a, (void **)&(arr), &(n), &(cap), sizeof(*(arr)))

struct neg_scope {
	const struct gq_clause *clause;
	uint32_t scope;
};

struct lower {
	const struct gq_checked *c;
	struct gq_ir_query *ir;
	struct lang_arena *a;
	size_t cap_bindings;
	struct neg_scope *negs;      /* negation clause -> its scope id        */
	size_t n_negs, cap_negs;
	int oom;
	const struct gq_clause *unbound; /* a traversal no binding reaches     */
};

static void *oom(struct lower *l)
{
	l->oom = 1;
	return NULL;
}

/* ---- Expressions ---------------------------------------------------------- */

static uint32_t var_slot(struct lower *l, const char *name, uint32_t scope)
{
	const struct gq_cvar *v = gq_checked_var(l->c, name, scope);
	return v ? (uint32_t)(v - l->c->vars) : GQ_IR_NONE;
}

static struct gq_ir_expr *new_expr(struct lower *l, enum gq_ir_expr_kind kind)
{
	struct gq_ir_expr *x = lang_arena_alloc(l->a, sizeof(*x));
	if (x == NULL)
		return oom(l);
	x->kind = kind;
	x->slot = x->prop_id = x->index = GQ_IR_NONE;
	return x;
}

static const enum gq_ir_expr_kind call_kinds[] = {
	[GQ_EXPR_NEAREST] = GQ_IR_NEAREST, [GQ_EXPR_SEARCH] = GQ_IR_SEARCH,
	[GQ_EXPR_FUZZY] = GQ_IR_FUZZY,     [GQ_EXPR_MATCH_TEXT] = GQ_IR_MATCH_TEXT,
	[GQ_EXPR_BM25] = GQ_IR_BM25,       [GQ_EXPR_RRF] = GQ_IR_RRF,
	[GQ_EXPR_AGG] = GQ_IR_AGG,
};

/* The returned column a bare name in `order` refers to: an alias, else a
 * column's own name (an unaliased `count($f)` is the column `f`); the
 * first of that name, as OmniGraph's executor finds a column by name. */
static uint32_t alias_column(const struct lower *l, const char *name)
{
	const struct gq_query *q = l->c->query;
	for (size_t i = 0; i < q->n_projs; i++)
		if (q->projs[i].alias != NULL && strcmp(q->projs[i].alias, name) == 0)
			return (uint32_t)i;
	for (size_t i = 0; i < q->n_projs; i++)
		if (l->c->columns != NULL && l->c->columns[i].name != NULL &&
		    strcmp(l->c->columns[i].name, name) == 0)
			return (uint32_t)i;
	return GQ_IR_NONE;
}

static struct gq_ir_expr *lower_expr(struct lower *l, const struct gq_expr *e, uint32_t scope)
{
	struct gq_ir_expr *x;
	switch (e->kind) {
	case GQ_EXPR_LIT:
		if ((x = new_expr(l, GQ_IR_LIT)) != NULL)
			x->lit = &e->lit;
		break;
	case GQ_EXPR_NOW:
		x = new_expr(l, GQ_IR_NOW);
		break;
	case GQ_EXPR_VAR: {
		int pi = gq_checked_param(l->c, e->var);
		x = new_expr(l, pi >= 0 ? GQ_IR_PARAM : GQ_IR_NODE);
		if (x != NULL && pi >= 0) {
			x->index = (uint32_t)pi;
			x->name = e->var;
		} else if (x != NULL) {
			x->slot = var_slot(l, e->var, scope);
		}
		break;
	}
	case GQ_EXPR_PROP: {
		if ((x = new_expr(l, GQ_IR_PROP)) == NULL)
			break;
		x->slot = var_slot(l, e->var, scope);
		assert(x->slot != GQ_IR_NONE);  /* the query typechecked */
		const struct lang_cat_property *p =
			lang_cat_type_prop(l->c->vars[x->slot].type, e->name);
		assert(p != NULL);
		x->prop_id = p->id;
		break;
	}
	case GQ_EXPR_ALIAS:
		if ((x = new_expr(l, GQ_IR_COLUMN)) != NULL)
			x->index = alias_column(l, e->name);
		break;
	default:
		if ((x = new_expr(l, call_kinds[e->kind])) == NULL)
			break;
		x->agg = e->agg;
		for (int i = 0; i < 3; i++)
			if (e->arg[i] != NULL && (x->arg[i] = lower_expr(l, e->arg[i], scope)) == NULL)
				return NULL;
		if (x->kind == GQ_IR_NEAREST)
			x->slot = x->arg[0]->slot;
		break;
	}
	const struct gq_ttype *t = x ? gq_checked_expr_type(l->c, e) : NULL;
	if (t != NULL)
		x->type = *t;
	return x;
}

/* A match / mutation value: literal, parameter (possibly undeclared in a
 * binding match: reported at run time) or now(). */
static struct gq_ir_expr *lower_value(struct lower *l, const struct gq_expr *v)
{
	struct gq_ir_expr *x = new_expr(l, v->kind == GQ_EXPR_LIT ? GQ_IR_LIT
	                                   : v->kind == GQ_EXPR_NOW ? GQ_IR_NOW : GQ_IR_PARAM);
	if (x == NULL)
		return NULL;
	x->type.kind = GQ_T_SCALAR;
	if (v->kind == GQ_EXPR_LIT) {
		x->lit = &v->lit;
	} else if (v->kind == GQ_EXPR_NOW) {
		x->type.t.scalar = LANG_SCALAR_DATETIME;
	} else {
		int pi = gq_checked_param(l->c, v->var);
		x->name = v->var;
		x->index = pi >= 0 ? (uint32_t)pi : GQ_IR_NONE;
		if (pi >= 0)
			x->type.t = l->c->param_types[pi];
	}
	return x;
}

static enum gq_ir_cmp cmp_of(enum gq_op op, const struct gq_ir_expr *left)
{
	switch (op) {
	case GQ_OP_EQ: return GQ_IR_EQ;
	case GQ_OP_NE: return GQ_IR_NE;
	case GQ_OP_LT: return GQ_IR_LT;
	case GQ_OP_LE: return GQ_IR_LE;
	case GQ_OP_GT: return GQ_IR_GT;
	case GQ_OP_GE: return GQ_IR_GE;
	case GQ_OP_STARTS_WITH: return GQ_IR_STARTS_WITH;
	case GQ_OP_CONTAINS: break;
	}
	/* contains dispatches on the left operand (spec §3.6). */
	return left != NULL && left->type.kind == GQ_T_SCALAR && left->type.t.list ? GQ_IR_LIST_CONTAINS
	                                                          : GQ_IR_STR_CONTAINS;
}

/* ---- Steps ------------------------------------------------------------------ */

struct scope_state {
	struct gq_ir_pipeline *pipe;
	size_t cap_steps;
	uint32_t scope;
	unsigned char *introduced;    /* per slot */
	unsigned char *done;          /* per clause of this scope */
	uint32_t *trav_src;           /* per clause: a traversal's named */
	uint32_t *trav_dst;           /* endpoint slots (GQ_IR_NONE: `$_`) */
};

static struct gq_ir_step *add_step(struct lower *l, struct scope_state *s, enum gq_ir_step_kind k)
{
	struct gq_ir_step *st = PUSH(l, s->pipe->steps, s->pipe->n_steps, s->cap_steps);
	if (st == NULL)
		return oom(l);
	st->kind = k;
	st->slot = st->src_slot = st->dst_slot = st->edge_slot = GQ_IR_NONE;
	st->index_prop_id = GQ_IR_NONE;
	return st;
}

/* A float literal or parameter meeting an F32 column is read as an F32,
 * the way the column holds it (OmniGraph converts both to the column's
 * type): `ratio <= 0.1` and `ratio <= $x` with $x = 0.1 hold for a stored
 * 0.1.  Marked here, once, for every place the value is compared
 * (filters, matches, index lookups); the executor narrows a float value
 * of an expression so marked.  An undeclared parameter is marked too: its
 * value's JSON type decides whether it is a float. */
static void narrow_to(struct gq_ir_expr *v, const struct lang_type *col)
{
	/* A [F32] column too: a scalar met with one is an element, for
	 * membership (`fl: 0.1`, `$n.fl contains 0.1`).  A list value is
	 * never narrowed (the checks below want a scalar float). */
	if (v == NULL || col->scalar != LANG_SCALAR_F32)
		return;
	int flt = v->kind == GQ_IR_LIT ? v->lit->kind == GQ_LIT_FLOAT
	         : v->kind == GQ_IR_PARAM && (v->index == GQ_IR_NONE ||
	                                      (v->type.kind == GQ_T_SCALAR && !v->type.t.list &&
	                                       v->type.t.scalar == LANG_SCALAR_F64));
	if (flt) {
		v->type.kind = GQ_T_SCALAR;
		v->type.t.scalar = LANG_SCALAR_F32;
	}
}

/* A binding's property match as a filter: membership for list properties. */
static int pmatch_filter(struct lower *l, uint32_t slot, const struct gq_pmatch *m,
                         struct gq_ir_filter *f)
{
	const struct lang_cat_property *p = lang_cat_type_prop(l->c->vars[slot].type, m->prop);
	assert(p != NULL);
	struct gq_ir_expr *left = new_expr(l, GQ_IR_PROP);
	if (left == NULL || (f->right = lower_value(l, m->value)) == NULL)
		return -1;
	left->slot = slot;
	left->prop_id = p->id;
	left->type.kind = GQ_T_SCALAR;
	left->type.t = p->type;
	f->left = left;
	narrow_to(f->right, &p->type);
	f->op = p->type.list ? GQ_IR_LIST_CONTAINS : GQ_IR_EQ;
	return 0;
}

static const struct gq_pmatch *eq_match(const struct gq_clause *b, const struct lang_cat_type *t,
                                        const char *prop)
{
	for (size_t i = 0; i < b->n_matches; i++) {
		const struct lang_cat_property *p = lang_cat_type_prop(t, b->matches[i].prop);
		if (strcmp(b->matches[i].prop, prop) == 0 && p != NULL && !p->type.list)
			return &b->matches[i];
	}
	return NULL;
}

static int single_index(const struct lang_cat_type *t, const char *prop)
{
	for (uint32_t i = 0; i < t->n_index; i++)
		if (t->index[i].n == 1 && strcmp(t->index[i].columns[0], prop) == 0)
			return 1;
	for (uint32_t i = 0; i < t->n_unique; i++)
		if (t->unique[i].n == 1 && strcmp(t->unique[i].columns[0], prop) == 0)
			return 1;
	return 0;
}

/* The access path of a SCAN from the binding's equality matches. */
static int choose_access(struct lower *l, struct gq_ir_step *st, const struct gq_clause *b)
{
	const struct lang_cat_type *t = l->c->vars[st->slot].type;
	int full_key = t->has_key && t->key.n > 0;
	for (uint32_t i = 0; full_key && i < t->key.n; i++)
		full_key = eq_match(b, t, t->key.columns[i]) != NULL;
	if (full_key) {
		st->access = GQ_ACCESS_KEY_LOOKUP;
		st->key_values = lang_arena_alloc(l->a, t->key.n * sizeof(*st->key_values));
		if (st->key_values == NULL)
			return -1;
		for (uint32_t i = 0; i < t->key.n; i++)
			if ((st->key_values[i] = lower_value(l, eq_match(b, t, t->key.columns[i])->value)) == NULL)
				return -1;
		return 0;
	}
	for (size_t i = 0; b != NULL && i < b->n_matches; i++) {
		const struct gq_pmatch *m = &b->matches[i];
		if (eq_match(b, t, m->prop) == m && single_index(t, m->prop)) {
			st->access = GQ_ACCESS_INDEX_POINT;
			st->index_prop_id = lang_cat_type_prop(t, m->prop)->id;
			st->index_value = lower_value(l, m->value);
			narrow_to(st->index_value, &lang_cat_type_prop(t, m->prop)->type);
			return st->index_value ? 0 : -1;
		}
	}
	st->access = GQ_ACCESS_TYPE_SCAN;
	return 0;
}

static int emit_scan(struct lower *l, struct scope_state *s, uint32_t slot, const struct gq_clause *b)
{
	struct gq_ir_step *st = add_step(l, s, GQ_IR_SCAN);
	if (st == NULL)
		return -1;
	st->slot = slot;
	s->introduced[slot] = 1;
	if (b == NULL)
		return 0;
	st->filters = lang_arena_alloc(l->a, (b->n_matches + 1) * sizeof(*st->filters));
	if (st->filters == NULL)
		return -1;
	for (size_t i = 0; i < b->n_matches; i++)
		if (pmatch_filter(l, slot, &b->matches[i], &st->filters[st->n_filters++]) != 0)
			return -1;
	return choose_access(l, st, b);
}

static uint32_t new_anon_slot(struct lower *l, const struct lang_cat_type *t)
{
	struct gq_ir_binding *b = PUSH(l, l->ir->bindings, l->ir->n_bindings, l->cap_bindings);
	if (b == NULL) {
		oom(l);
		return GQ_IR_NONE;
	}
	b->name = "_";
	b->type = t;
	b->type_id = t->id;
	return (uint32_t)(l->ir->n_bindings - 1);
}

static uint32_t endpoint_slot(struct lower *l, struct scope_state *s, const char *name,
                              const struct lang_cat_type *t)
{
	if (strcmp(name, "_") == 0)
		return new_anon_slot(l, t);
	return var_slot(l, name, s->scope);
}

static int emit_expand(struct lower *l, struct scope_state *s, const struct gq_ctrav *tr)
{
	const struct gq_clause *cl = tr->clause;
	uint32_t src = endpoint_slot(l, s, cl->src, tr->src_type);
	uint32_t dst = endpoint_slot(l, s, cl->dst, tr->dst_type);
	struct gq_ir_step *st = add_step(l, s, GQ_IR_EXPAND);
	if (st == NULL || src == GQ_IR_NONE || dst == GQ_IR_NONE)
		return -1;
	enum gq_dir dir = tr->dir;
	if (!s->introduced[src]) {  /* walk from the destination instead */
		uint32_t tmp = src;
		src = dst;
		dst = tmp;
		dir = dir == GQ_DIR_OUT ? GQ_DIR_IN : dir == GQ_DIR_IN ? GQ_DIR_OUT : dir;
	}
	st->src_slot = src;
	st->dst_slot = dst;
	st->dst_bound = s->introduced[dst];
	st->dir = dir;
	st->edge_type_id = tr->edge->id;
	st->min_hops = cl->min_hops;
	st->max_hops = cl->max_hops;
	if (cl->edge_binding != NULL && strcmp(cl->edge_binding, "_") != 0)
		st->edge_slot = var_slot(l, cl->edge_binding, s->scope);
	s->introduced[src] = s->introduced[dst] = 1;
	if (st->edge_slot != GQ_IR_NONE)
		s->introduced[st->edge_slot] = 1;
	return 0;
}

/* Expand every traversal of the scope touching an introduced endpoint,
 * until none is left that can.  Passes repeat while one makes progress (a
 * chain written backwards takes one pass per link), so the endpoint slots
 * are looked up once per scope (lower_scope), not per pass. */
static int expand_reachable(struct lower *l, struct scope_state *s, const struct gq_clause *cls,
                            size_t n)
{
	int progress = 1;
	while (progress) {
		progress = 0;
		for (size_t i = 0; i < n; i++) {
			if (cls[i].kind != GQ_CLAUSE_TRAVERSAL || s->done[i])
				continue;
			uint32_t src = s->trav_src[i], dst = s->trav_dst[i];
			int reach = (src != GQ_IR_NONE && s->introduced[src]) ||
			            (dst != GQ_IR_NONE && s->introduced[dst]);
			if (!reach)
				continue;
			s->done[i] = 1;
			progress = 1;
			if (emit_expand(l, s, gq_checked_traversal(l->c, &cls[i])) != 0)
				return -1;
		}
	}
	return 0;
}

static int lower_scope(struct lower *l, const struct gq_clause *cls, size_t n, uint32_t scope,
                       const unsigned char *introduced, struct gq_ir_pipeline *pipe);

static uint32_t negation_scope(const struct lower *l, const struct gq_clause *cl)
{
	for (size_t i = 0; i < l->n_negs; i++)
		if (l->negs[i].clause == cl)
			return l->negs[i].scope;
	assert(0 && "negation without a scope");
	return 0;
}

static int emit_filter(struct lower *l, struct scope_state *s, const struct gq_clause *cl)
{
	struct gq_ir_step *st = add_step(l, s, GQ_IR_FILTER);
	if (st == NULL || (st->filter.left = lower_expr(l, cl->left, s->scope)) == NULL ||
	    (st->filter.right = lower_expr(l, cl->right, s->scope)) == NULL)
		return -1;
	st->filter.op = cmp_of(cl->op, st->filter.left);
	if (st->filter.left->kind == GQ_IR_PROP)
		narrow_to(st->filter.right, &st->filter.left->type.t);
	if (st->filter.right->kind == GQ_IR_PROP)
		narrow_to(st->filter.left, &st->filter.right->type.t);
	return 0;
}

/* Matches of a binding whose variable was introduced by another clause. */
static int emit_match_filters(struct lower *l, struct scope_state *s, const struct gq_clause *b)
{
	uint32_t slot = var_slot(l, b->var, s->scope);
	for (size_t i = 0; i < b->n_matches; i++) {
		struct gq_ir_step *st = add_step(l, s, GQ_IR_FILTER);
		if (st == NULL || pmatch_filter(l, slot, &b->matches[i], &st->filter) != 0)
			return -1;
	}
	return 0;
}

/* Steps 1 and 2 of the file comment: scans and expands. */
static int scans_and_expands(struct lower *l, struct scope_state *s, const struct gq_clause *cls,
                             size_t n, unsigned char *deferred)
{
	/* In a negation the outer slots are bound: expand from them first. */
	if (expand_reachable(l, s, cls, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (cls[i].kind != GQ_CLAUSE_BINDING)
			continue;
		uint32_t slot = var_slot(l, cls[i].var, s->scope);
		assert(slot != GQ_IR_NONE);
		if (s->introduced[slot]) {
			deferred[i] = 1;
			continue;
		}
		if (emit_scan(l, s, slot, &cls[i]) != 0 || expand_reachable(l, s, cls, n) != 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (cls[i].kind == GQ_CLAUSE_TRAVERSAL && !s->done[i]) {
			l->unbound = &cls[i];   /* no binding reaches it */
			return -1;
		}
	return 0;
}

/* An operand whose evaluation cannot fail at run time. */
static bool plain_operand(const struct gq_ir_expr *e)
{
	switch (e->kind) {
	case GQ_IR_LIT:
	case GQ_IR_NOW:
	case GQ_IR_PROP:
	case GQ_IR_NODE:
		return true;
	case GQ_IR_PARAM:
		return e->index != GQ_IR_NONE; /* undeclared: "not provided" */
	default:
		return false;
	}
}

/* The n filter steps of a scope run in turn on every row, and a row one
 * rejects never meets the next.  When no filter can fail, which runs first
 * changes nothing but the work: equalities go first (stably), being the
 * likelier to reject a row (a 1M-row scan for `$p.age > $a $p.city = $c`:
 * 71-77 -> 64-68 ns a row).  With one that can fail (a search call, an
 * undeclared parameter) the written order stands, so that the same rows
 * meet it. */
static int equalities_first(struct lower *l, struct gq_ir_step *st, size_t n)
{
	size_t neq = 0;
	for (size_t i = 0; i < n; i++) {
		if (!plain_operand(st[i].filter.left) || !plain_operand(st[i].filter.right))
			return 0;
		neq += st[i].filter.op == GQ_IR_EQ;
	}
	if (neq == 0 || neq == n)
		return 0;
	struct gq_ir_step *tmp = lang_arena_alloc(l->a, n * sizeof *tmp);
	if (tmp == NULL)
		return -1;
	size_t a = 0, b = neq;
	for (size_t i = 0; i < n; i++)
		tmp[st[i].filter.op == GQ_IR_EQ ? a++ : b++] = st[i];
	memcpy(st, tmp, n * sizeof *tmp);
	return 0;
}

static int lower_scope(struct lower *l, const struct gq_clause *cls, size_t n, uint32_t scope,
                       const unsigned char *introduced, struct gq_ir_pipeline *pipe)
{
	size_t n_slots = l->c->n_vars + 2 * l->c->n_travs + 1;
	struct scope_state s = { .pipe = pipe, .scope = scope };
	s.introduced = lang_arena_alloc(l->a, n_slots);
	s.done = lang_arena_alloc(l->a, n + 1);
	unsigned char *deferred = lang_arena_alloc(l->a, n + 1);
	s.trav_src = lang_arena_alloc(l->a, (n + 1) * sizeof(*s.trav_src));
	s.trav_dst = lang_arena_alloc(l->a, (n + 1) * sizeof(*s.trav_dst));
	if (s.introduced == NULL || s.done == NULL || deferred == NULL ||
	    s.trav_src == NULL || s.trav_dst == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (cls[i].kind == GQ_CLAUSE_TRAVERSAL) {
			s.trav_src[i] = var_slot(l, cls[i].src, scope);
			s.trav_dst[i] = var_slot(l, cls[i].dst, scope);
		}
	}
	if (introduced != NULL)
		memcpy(s.introduced, introduced, n_slots);  /* correlated: outer slots are bound */
	if (scans_and_expands(l, &s, cls, n, deferred) != 0)
		return -1;
	size_t first_filter = pipe->n_steps;
	for (size_t i = 0; i < n; i++) {
		if (cls[i].kind == GQ_CLAUSE_FILTER && emit_filter(l, &s, &cls[i]) != 0)
			return -1;
		if (deferred[i] && emit_match_filters(l, &s, &cls[i]) != 0)
			return -1;
	}
	if (equalities_first(l, pipe->steps + first_filter, pipe->n_steps - first_filter) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (cls[i].kind != GQ_CLAUSE_NEGATION)
			continue;
		struct gq_ir_step *st = add_step(l, &s, GQ_IR_ANTI_JOIN);
		if (st == NULL || lower_scope(l, cls[i].inner, cls[i].n_inner,
		                              negation_scope(l, &cls[i]), s.introduced, &st->inner) != 0)
			return -1;
	}
	return 0;
}

/* Scope ids of negations: pre-order in source order, as the typechecker
 * numbered them. */
static int number_negations(struct lower *l, const struct gq_clause *cls, size_t n, uint32_t *next)
{
	for (size_t i = 0; i < n; i++) {
		if (cls[i].kind != GQ_CLAUSE_NEGATION)
			continue;
		struct neg_scope *ns = PUSH(l, l->negs, l->n_negs, l->cap_negs);
		if (ns == NULL)
			return -1;
		ns->clause = &cls[i];
		ns->scope = (*next)++;
		if (number_negations(l, cls[i].inner, cls[i].n_inner, next) != 0)
			return -1;
	}
	return 0;
}

/* ---- Read-query tail and mutations ------------------------------------- */

static int lower_tail(struct lower *l)
{
	const struct gq_query *q = l->c->query;
	struct gq_ir_query *ir = l->ir;
	ir->columns = lang_arena_alloc(l->a, (q->n_projs + 1) * sizeof(*ir->columns));
	ir->orders = lang_arena_alloc(l->a, (q->n_orders + 1) * sizeof(*ir->orders));
	if (ir->columns == NULL || ir->orders == NULL)
		return -1;
	for (size_t i = 0; i < q->n_projs; i++)
		ir->has_aggregates |= q->projs[i].expr->kind == GQ_EXPR_AGG;
	for (size_t i = 0; i < q->n_projs; i++) {
		struct gq_ir_column *col = &ir->columns[ir->n_columns++];
		const struct gq_ccolumn *cc = &l->c->columns[i];
		col->name = cc->name;
		col->type = cc->type;
		col->nullable = cc->nullable;
		col->is_aggregate = cc->is_aggregate;
		col->is_group_key = ir->has_aggregates && !cc->is_aggregate;
		if ((col->expr = lower_expr(l, q->projs[i].expr, 0)) == NULL)
			return -1;
	}
	for (size_t i = 0; i < q->n_orders; i++) {
		struct gq_ir_order *o = &ir->orders[ir->n_orders++];
		o->descending = q->orders[i].descending;
		if ((o->expr = lower_expr(l, q->orders[i].expr, 0)) == NULL)
			return -1;
	}
	if (ir->n_orders > 0) {
		const struct gq_ir_expr *k = ir->orders[0].expr;
		if (k->kind == GQ_IR_COLUMN && k->index != GQ_IR_NONE)
			k = ir->columns[k->index].expr;
		ir->rank_first = k->kind == GQ_IR_NEAREST || k->kind == GQ_IR_BM25 ||
		                 k->kind == GQ_IR_RRF;
	}
	ir->has_limit = q->has_limit;
	ir->limit = q->limit;
	return 0;
}

static void assign_target(const struct gq_ir_mutation *m, const char *prop, struct gq_ir_assign *a)
{
	a->prop = prop;
	a->prop_id = GQ_IR_NONE;
	a->target = GQ_IR_PROPERTY;
	if (m->is_edge && strcmp(prop, "from") == 0)
		a->target = GQ_IR_FROM;
	else if (m->is_edge && strcmp(prop, "to") == 0)
		a->target = GQ_IR_TO;
	else
		a->prop_id = lang_cat_type_prop(m->type, prop)->id;
}

static int lower_mutation(struct lower *l, size_t i)
{
	const struct gq_mutation *src = &l->c->query->mutations[i];
	struct gq_ir_mutation *m = &l->ir->mutations[i];
	m->kind = src->kind;
	m->is_edge = l->c->targets[i].is_edge;
	m->type = l->c->targets[i].type;
	m->type_id = m->type->id;
	m->assigns = lang_arena_alloc(l->a, (src->n_assigns + 1) * sizeof(*m->assigns));
	if (m->assigns == NULL)
		return -1;
	for (size_t k = 0; k < src->n_assigns; k++) {
		struct gq_ir_assign *a = &m->assigns[m->n_assigns++];
		assign_target(m, src->assigns[k].prop, a);
		if ((a->value = lower_value(l, src->assigns[k].value)) == NULL)
			return -1;
	}
	if (src->kind == GQ_MUT_INSERT)
		return 0;
	assign_target(m, src->pred.prop, &m->pred_target);
	m->pred_op = cmp_of(src->pred.op, NULL);
	m->pred_target.value = lower_value(l, src->pred.value);
	return m->pred_target.value ? 0 : -1;
}

static int lower_query(struct lower *l)
{
	const struct gq_checked *c = l->c;
	struct gq_ir_query *ir = l->ir;
	ir->name = c->query->name;
	ir->is_mutation = c->is_mutation;
	ir->params = c->query->params;
	ir->param_types = c->param_types;
	ir->n_params = c->query->n_params;
	for (size_t i = 0; i < c->n_vars; i++) {
		struct gq_ir_binding *b = PUSH(l, ir->bindings, ir->n_bindings, l->cap_bindings);
		if (b == NULL)
			return -1;
		b->name = c->vars[i].name;
		b->is_edge = c->vars[i].is_edge;
		b->type = c->vars[i].type;
		b->type_id = b->type->id;
	}
	if (c->is_mutation) {
		ir->mutations = lang_arena_alloc(l->a, (c->n_targets + 1) * sizeof(*ir->mutations));
		if (ir->mutations == NULL)
			return -1;
		for (size_t i = 0; i < c->n_targets; i++, ir->n_mutations++)
			if (lower_mutation(l, i) != 0)
				return -1;
		return 0;
	}
	uint32_t next = 1;
	if (number_negations(l, c->query->clauses, c->query->n_clauses, &next) != 0)
		return -1;
	assert(next == c->n_scopes);
	if (lower_scope(l, c->query->clauses, c->query->n_clauses, 0, NULL, &ir->pipeline) != 0)
		return -1;
	return lower_tail(l);
}

int gq_lower(struct gq_ir_query **out, const struct gq_checked *c, struct lang_diag *diag)
{
	assert(out != NULL && c != NULL && diag != NULL);
	*out = NULL;
	struct gq_ir_query *ir = calloc(1, sizeof(*ir));
	if (ir == NULL)
		return lang_diag_set(diag, LANG_PREFIX_TYPE, "out of memory");
	struct lower l = { .c = c, .ir = ir, .a = &ir->arena };
	if (lower_query(&l) != 0) {
		gq_ir_free(ir);
		if (l.unbound == NULL)
			return lang_diag_set(diag, LANG_PREFIX_TYPE, "out of memory while lowering");
		lang_diag_set(diag, "", "traversal `$%s %s $%s` is not connected to a node binding: each "
			      "connected group of match variables needs a `$v: Type` binding",
			      l.unbound->src, l.unbound->edge, l.unbound->dst);
		return GQ_LOWER_UNBOUND;
	}
	*out = ir;
	return 0;
}

void gq_ir_free(struct gq_ir_query *ir)
{
	if (ir == NULL)
		return;
	lang_arena_free(&ir->arena);
	free(ir);
}
