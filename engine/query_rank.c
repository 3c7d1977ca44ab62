/*
 * engine/query_rank.c — nearest, bm25 and rrf rankings (spec §3.11).
 *
 * nearest(v.p, q), bm25(v.p, q) and rrf(a, b, k) rank the entities bound
 * to one variable v.  A ranking is made once per query run, before the
 * match runs (qx_search_prepare):
 *   1. candidates: v's entities as the match reaches them, up to the step
 *      that binds v, with every filter and negation over variables bound
 *      by then, so `limit` picks the best entities among those that pass
 *      (never a filtered global top-k), and later traversals expand them;
 *   2. scores: nearest, the squared Euclidean distance of p to q, in
 *      single precision (ascending; rows without a vector are not
 *      ranked); bm25, query_search.c's (descending; rows without a
 *      matching term are not ranked);
 *   3. the best `limit` (all of them for bm25 without a limit); equal
 *      scores keep OmniGraph's order (query_search.h: ranking_sort);
 *   rrf: each arm ranks as above, cut to `limit`; an entity's score is
 *   the sum over the arms that hold it of 1 / (k + rank + 1), ranks from
 *   0, k 60 by default; then as 3.
 * The match then runs as usual; rows of unranked entities are dropped and
 * the rest order by their entity's rank, then by the §3.10 tie-break.
 * A projected score is the row's own (nearest, bm25) or its entity's
 * fused score (rrf; NULL when unranked).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/embed.h"
#include "engine/query.h"
#include "engine/query_search.h"
#include "log/error.h"

#define RRF_K_DEFAULT 60

/* ---- rankings: entities with scores, then an index by entity ---------- */

void ranking_fini(struct ranking *r)
{
	free(r->v);
	idset_free(&r->index);
}


int ranking_add(struct ranking *r, uint64_t e, double score)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct ranked *v = realloc(r->v, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n] = (struct ranked){ e, score, (uint32_t)r->n };
	r->n++;
	return 0;
}

/* nearest: smallest first; equal distances in entity (load) order. */
static int by_distance(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	return (a->e > b->e) - (a->e < b->e);
}

/* rrf: greatest first; equal scores in the order they were added. */
static int by_fused(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int ranking_sort(struct ranking *r, enum rank_order how, const struct bm25_corpus *c,
                 int has_limit, uint64_t limit)
{
	if (how == RANK_BM25 && r->n > 1) {
		if (bm25_heap_order(r, c) < 0)
			return -ENOMEM;
	} else if (r->n > 1) {
		qsort(r->v, r->n, sizeof *r->v, how == RANK_NEAREST ? by_distance : by_fused);
	}
	if (has_limit && r->n > limit)
		r->n = (size_t)limit;
	return 0;
}

/* Index the ranking by entity (after sorting and cutting). */
int ranking_index(struct ranking *r)
{
	idset_free(&r->index);
	for (size_t i = 0; i < r->n; i++)
		if (idset_put(&r->index, 0, &r->v[i].e, sizeof r->v[i].e, (uint32_t)i) < 0)
			return -ENOMEM;
	return 0;
}

/* Entity e's place in the ranking as last indexed, or -1. */
long ranking_find(const struct ranking *r, uint64_t e)
{
	return (long)idset_get(&r->index, 0, &e, sizeof e);
}

static struct ranking *ranking_new(struct qx_search *s, const struct gq_ir_expr *e)
{
	struct ranking *r = calloc(1, sizeof *r);
	if (r != NULL) {
		r->expr = e;
		r->next = s->rankings;
		s->rankings = r;
	}
	return r;
}

static struct ranking *ranking_of(const struct qx_search *s, const struct gq_ir_expr *e)
{
	for (struct ranking *r = s->rankings; r; r = r->next)
		if (r->expr == e)
			return r;
	return NULL;
}

/* ---- nearest ------------------------------------------------------------- */

/* The length of a vector value: a stored Vector (little-endian float32
 * bytes) or a list of numbers (a literal). */
static bool vec_len(const msgpack_object *o, size_t *n)
{
	if (o->type == MSGPACK_OBJECT_BIN && o->via.bin.size % 4 == 0) {
		*n = o->via.bin.size / 4;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_ARRAY) {
		*n = o->via.array.size;
		return true;
	}
	return false;
}

/* Element i of a vector value, as the float32 it is stored as. */
static double vec_at(const msgpack_object *o, size_t i)
{
	if (o->type == MSGPACK_OBJECT_BIN) {
		const unsigned char *p = (const unsigned char *)o->via.bin.ptr + 4 * i;
		uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		float f;
		memcpy(&f, &u, sizeof f);
		return f;
	}
	const msgpack_object *v = &o->via.array.ptr[i];
	switch (v->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return (float)v->via.f64;
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return (float)v->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (float)v->via.i64;
	default: return NAN;
	}
}

/* nearest()'s String query as a stored Vector (a BIN of float32s) in *q,
 * embedded on first use (embed.h). */
static int embedded_query(struct qx *x, const struct gq_ir_expr *e, msgpack_object *q)
{
	struct qx_search *s = x->search;
	struct embedded *m = s->embeddings;
	while (m && m->expr != e)
		m = m->next;
	if (m == NULL) {
		const struct lang_cat_type *t = x->ir->bindings[e->arg[0]->slot].type;
		const struct lang_cat_property *p = NULL;
		for (uint32_t i = 0; i < t->n_props && p == NULL; i++)
			p = t->props[i].id == e->arg[0]->prop_id ? &t->props[i] : NULL;
		size_t dim = p ? p->type.vector_dim : 0;
		float *v = calloc(dim + 1, sizeof *v);
		if ((m = calloc(1, sizeof *m)) == NULL || v == NULL ||
		    (m->bytes = malloc(4 * dim + 1)) == NULL) {
			free(v);
			if (m)
				free(m);
			return db_error(x->db, -ENOMEM, "out of memory");
		}
		int err = p ? embed_query(x->db, t, p, q->via.str.ptr, q->via.str.size, v, dim)
		            : db_error(x->db, GROVE_EINVAL, "nearest(): no such property");
		for (size_t i = 0; err == 0 && i < dim; i++) {
			uint32_t u;
			memcpy(&u, &v[i], 4);
			for (int b = 0; b < 4; b++)
				m->bytes[4 * i + b] = (unsigned char)(u >> (8 * b));
		}
		free(v);
		if (err < 0) {
			free(m->bytes);
			free(m);
			return err;
		}
		m->expr = e;
		m->dim = dim;
		m->next = s->embeddings;
		s->embeddings = m;
	}
	memset(q, 0, sizeof *q);
	q->type = MSGPACK_OBJECT_BIN;
	q->via.bin.ptr = (const char *)m->bytes;
	q->via.bin.size = (uint32_t)(4 * m->dim);
	return 0;
}

/* The current row's squared Euclidean distance to the query: 1, or 0 when
 * the row has no vector. */
static int nearest_score(struct qx *x, const struct gq_ir_expr *e, double *out)
{
	msgpack_object p, q;
	size_t np = 0, nq = 0;
	int err;
	if ((err = qx_eval(x, e->arg[0], &p)) < 0 || (err = qx_eval(x, e->arg[1], &q)) < 0 ||
	    (q.type == MSGPACK_OBJECT_STR && (err = embedded_query(x, e, &q)) < 0))
		return err;
	if (!vec_len(&p, &np))
		return 0;
	if (!vec_len(&q, &nq) || nq != np)
		return db_error(x->db, GROVE_EINVAL, "nearest(): the query vector has %zu elements, "
		                "the property %zu", vec_len(&q, &nq) ? nq : (size_t)0, np);
	double d = 0;
	for (size_t i = 0; i < np; i++) {
		double t = vec_at(&p, i) - vec_at(&q, i);
		d += t * t;
	}
	if (isnan(d))
		return db_error(x->db, GROVE_EINVAL, "nearest(): the query vector holds a value that is not a number");
	*out = (float)d;   /* Lance's distances are float32: so are its ties */
	return 1;
}

/* ---- candidates: the ranked variable's entities within its scope -------- */

/* Mark in `need` the slots expression e reads that are not bound[]. */
static void expr_reads_unbound(const struct gq_ir_expr *e, uint8_t *need, const uint8_t *bound)
{
	if (e == NULL)
		return;
	if ((e->kind == GQ_IR_PROP || e->kind == GQ_IR_NODE) && !bound[e->slot])
		need[e->slot] = 1;
	for (int i = 0; i < 3; i++)
		expr_reads_unbound(e->arg[i], need, bound);
}

static void filter_reads_unbound(const struct gq_ir_filter *f, uint8_t *need, const uint8_t *bound)
{
	expr_reads_unbound(f->left, need, bound);
	expr_reads_unbound(f->right, need, bound);
}

/* Mark in `need` the slots pipeline p reads before binding them (an
 * anti-join's outer variables), marking what it binds in `bound`.
 * Literals, parameters and key values read no slot. */
static void pipe_needs(const struct gq_ir_pipeline *p, uint8_t *need, uint8_t *bound)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct gq_ir_step *st = &p->steps[i];
		uint8_t *reads = need;   /* read before bound: needed */
		if (st->kind == GQ_IR_SCAN) {
			bound[st->slot] = 1;   /* its filters read it: bound first */
			for (size_t k = 0; k < st->n_filters; k++)
				filter_reads_unbound(&st->filters[k], reads, bound);
		} else if (st->kind == GQ_IR_EXPAND) {
			if (!bound[st->src_slot])
				need[st->src_slot] = 1;
			if (st->dst_bound && !bound[st->dst_slot])
				need[st->dst_slot] = 1;
			bound[st->dst_slot] = 1;
			if (st->edge_slot != GQ_IR_NONE)
				bound[st->edge_slot] = 1;
		} else if (st->kind == GQ_IR_FILTER) {
			filter_reads_unbound(&st->filter, reads, bound);
		} else {
			pipe_needs(&st->inner, need, bound);
		}
	}
}

/* Does step st bind `slot` (a node variable: a scan, or a traversal's
 * destination)? */
static bool binds(const struct gq_ir_step *st, uint32_t slot)
{
	return (st->kind == GQ_IR_SCAN && st->slot == slot) ||
	       (st->kind == GQ_IR_EXPAND && st->dst_slot == slot && !st->dst_bound);
}

/* Does step st (a filter or a negation) read only slots bound[]?  -ENOMEM. */
static int filters_within(const struct gq_ir_step *st, const uint8_t *bound, size_t n_slots)
{
	if (st->kind != GQ_IR_FILTER && st->kind != GQ_IR_ANTI_JOIN)
		return 0;
	uint8_t *need = calloc(2 * n_slots + 1, 1), *scratch = need + n_slots;
	if (need == NULL)
		return -ENOMEM;
	memcpy(scratch, bound, n_slots);
	if (st->kind == GQ_IR_FILTER)
		filter_reads_unbound(&st->filter, need, scratch);
	else
		pipe_needs(&st->inner, need, scratch);
	int ok = 1;
	for (size_t k = 0; k < n_slots && ok; k++)
		ok = !need[k];
	free(need);
	return ok;
}

/* The steps that produce the ranked variable's candidates: the match up
 * to the step that binds `slot` (so a variable reached by a traversal is
 * ranked within what it is reached from), then every filter and negation
 * that reads only variables bound by then.  Later traversals expand the
 * picked entities instead (spec §3.11).  *out is malloc'd. */
static int candidate_steps(struct qx *x, uint32_t slot, struct gq_ir_step **out, size_t *n)
{
	const struct gq_ir_pipeline *p = &x->ir->pipeline;
	size_t n_slots = x->n_slots, at = 0;
	struct gq_ir_step *v = calloc(p->n_steps + 1, sizeof *v);
	uint8_t *bound = calloc(n_slots + 1, 1);
	if (v == NULL || bound == NULL) {
		free(v);
		free(bound);
		return db_error(x->db, -ENOMEM, "out of memory");
	}
	while (at < p->n_steps && !binds(&p->steps[at], slot))
		at++;
	*n = 0;
	if (at == p->n_steps) {   /* not bound at the top: its type's entities */
		v[(*n)++] = (struct gq_ir_step){ .kind = GQ_IR_SCAN, .slot = slot,
		                                 .access = GQ_ACCESS_TYPE_SCAN };
		bound[slot] = 1;
	} else {
		struct gq_ir_pipeline prefix = { p->steps, at + 1 };
		uint8_t *ignored = calloc(n_slots + 1, 1);
		if (ignored == NULL) {
			free(v);
			free(bound);
			return db_error(x->db, -ENOMEM, "out of memory");
		}
		pipe_needs(&prefix, ignored, bound);
		free(ignored);
		memcpy(v, p->steps, (at + 1) * sizeof *v);
		*n = at + 1;
	}
	int err = 0;
	for (size_t i = at + 1; i < p->n_steps && err >= 0; i++)
		if ((err = filters_within(&p->steps[i], bound, n_slots)) > 0)
			v[(*n)++] = p->steps[i];
	free(bound);
	if (err < 0) {
		free(v);
		return db_error(x->db, -ENOMEM, "out of memory");
	}
	*out = v;
	return 0;
}

struct score_run {
	const struct gq_ir_expr *e;       /* NEAREST or BM25                  */
	uint32_t slot;
	const struct bm25_corpus *corpus; /* BM25                             */
	struct ranking *r;
	struct idset seen;                /* entities scored                  */
};

/* Has entity e been scored already (a variable reached twice)?  Marks it.
 * 1, 0, or -ENOMEM. */
static int seen_before(struct score_run *sr, uint64_t e)
{
	if (idset_get(&sr->seen, 0, &e, sizeof e) >= 0)
		return 1;
	return idset_put(&sr->seen, 0, &e, sizeof e, 0);
}

static int score_sink(struct qx *x, void *arg)
{
	struct score_run *sr = arg;
	uint64_t ent = x->slots[sr->slot].entity;
	double score;
	int dup = seen_before(sr, ent);
	if (dup != 0)
		return dup < 0 ? db_error(x->db, -ENOMEM, "out of memory") : 0;
	int has = sr->corpus ? bm25_score(sr->corpus, ent, &score) : nearest_score(x, sr->e, &score);
	if (has <= 0)
		return has;
	return ranking_add(sr->r, ent, score) < 0 ? db_error(x->db, -ENOMEM, "out of memory") : 0;
}

/* ---- rankings ------------------------------------------------------------ */

static uint32_t rank_slot(const struct gq_ir_expr *e)
{
	switch (e->kind) {
	case GQ_IR_NEAREST: return e->slot;
	case GQ_IR_BM25: return e->arg[0]->slot;
	case GQ_IR_RRF: return rank_slot(e->arg[0]);
	default: return GQ_IR_NONE;
	}
}

static int rank_expr(struct qx *x, const struct gq_ir_expr *e, const struct ranking **out);

/* nearest or bm25: score the candidates, keep the best `limit`. */
static int rank_simple(struct qx *x, const struct gq_ir_expr *e, struct ranking *r)
{
	struct score_run sr = { .e = e, .slot = rank_slot(e), .r = r };
	struct gq_ir_step *steps = NULL;
	size_t n = 0;
	int err;
	if (e->kind == GQ_IR_BM25) {
		if ((err = bm25_corpus_build(x, e)) < 0)
			return err;
		sr.corpus = bm25_corpus_of(x->search, e);
	}
	if ((err = candidate_steps(x, sr.slot, &steps, &n)) < 0)
		return err;
	err = qx_run_steps(x, steps, n, score_sink, &sr);
	free(steps);
	idset_free(&sr.seen);
	if (err < 0)
		return err;
	if (ranking_sort(r, e->kind == GQ_IR_NEAREST ? RANK_NEAREST : RANK_BM25, sr.corpus,
	                 x->ir->has_limit, x->ir->limit) < 0)
		return db_error(x->db, -ENOMEM, "out of memory");
	return 0;
}

static int rrf_k(struct qx *x, const struct gq_ir_expr *e, double *k)
{
	int64_t v;
	int err = qx_int_arg(x, e, RRF_K_DEFAULT, &v);
	if (err < 0)
		return err;
	if (v <= 0)
		return db_error(x->db, GROVE_EINVAL, "rrf(): k must be an integer greater than 0");
	*k = (double)v;
	return 0;
}

/* Reciprocal-rank fusion of the two arms (each already cut to `limit`). */
static int rank_rrf(struct qx *x, const struct gq_ir_expr *e, struct ranking *r)
{
	const struct ranking *arm[2];
	double k = RRF_K_DEFAULT;
	int err;
	if (rank_slot(e->arg[0]) != rank_slot(e->arg[1]))
		return db_error(x->db, GROVE_EINVAL, "rrf(): both arms must rank the same variable");
	if ((err = rrf_k(x, e->arg[2], &k)) < 0 || (err = rank_expr(x, e->arg[0], &arm[0])) < 0 ||
	    (err = rank_expr(x, e->arg[1], &arm[1])) < 0)
		return err;
	for (int a = 0; a < 2; a++) {
		if (ranking_index(r) < 0)
			return db_error(x->db, -ENOMEM, "out of memory");
		for (size_t i = 0; i < arm[a]->n; i++) {
			const struct ranked *v = &arm[a]->v[i];
			double add = 1.0 / (k + (double)i + 1);
			long at = ranking_find(r, v->e);
			if (at >= 0)
				r->v[at].score += add;
			else if (ranking_add(r, v->e, add) < 0)
				return db_error(x->db, -ENOMEM, "out of memory");
		}
	}
	if (ranking_sort(r, RANK_FUSED, NULL, x->ir->has_limit, x->ir->limit) < 0)
		return db_error(x->db, -ENOMEM, "out of memory");
	return 0;
}

/* The ranking of e (nearest, bm25 or rrf), made once per run. */
static int rank_expr(struct qx *x, const struct gq_ir_expr *e, const struct ranking **out)
{
	struct qx_search *s = x->search;
	struct ranking *r = ranking_of(s, e);
	if (r == NULL) {
		if ((r = ranking_new(s, e)) == NULL)
			return db_error(x->db, -ENOMEM, "out of memory");
		int err = e->kind == GQ_IR_RRF ? rank_rrf(x, e, r) : rank_simple(x, e, r);
		if (err < 0)
			return err;
		if (ranking_index(r) < 0)
			return db_error(x->db, -ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

/* Every bm25 corpus and rrf ranking expression e needs, before any row. */
static int prepare_expr(struct qx *x, const struct gq_ir_expr *e)
{
	const struct ranking *r;
	if (e == NULL)
		return 0;
	if (e->kind == GQ_IR_RRF)
		return rank_expr(x, e, &r);
	if (e->kind == GQ_IR_BM25)
		return bm25_corpus_build(x, e);
	for (int i = 0; i < 3; i++) {
		int err = prepare_expr(x, e->arg[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

static bool has_rank(const struct gq_ir_expr *e)
{
	if (e == NULL)
		return false;
	if (e->kind == GQ_IR_NEAREST || e->kind == GQ_IR_BM25 || e->kind == GQ_IR_RRF)
		return true;
	return has_rank(e->arg[0]) || has_rank(e->arg[1]) || has_rank(e->arg[2]);
}

static const char *rank_name(const struct gq_ir_expr *e)
{
	if (e == NULL)
		return NULL;
	switch (e->kind) {
	case GQ_IR_NEAREST: return "nearest";
	case GQ_IR_BM25: return "bm25";
	case GQ_IR_RRF: return "rrf";
	default: break;
	}
	for (int i = 0; i < 3; i++) {
		const char *n = rank_name(e->arg[i]);
		if (n != NULL)
			return n;
	}
	return NULL;
}

/* A rank in a match filter (of p or a negation in it), or NULL. */
static const char *rank_in_filters(const struct gq_ir_pipeline *p)
{
	const char *n = NULL;
	for (size_t i = 0; n == NULL && i < p->n_steps; i++) {
		const struct gq_ir_step *st = &p->steps[i];
		if (st->kind == GQ_IR_FILTER && (n = rank_name(st->filter.left)) == NULL)
			n = rank_name(st->filter.right);
		else if (st->kind == GQ_IR_ANTI_JOIN)
			n = rank_in_filters(&st->inner);
	}
	return n;
}

/* Ranks go in `order` (first) and `return` only (spec §3.11). */
static int rank_placement(struct qx *x)
{
	const struct gq_ir_query *ir = x->ir;
	const char *n = rank_in_filters(&ir->pipeline);
	if (n != NULL)
		return db_error(x->db, GROVE_EINVAL, "%s() ranks rows: use it as the first order key or "
		                "return it, not in a match filter", n);
	for (size_t k = 1; !ir->rank_first && k < ir->n_orders; k++) {
		const struct gq_ir_expr *e = ir->orders[k].expr;
		if (e->kind == GQ_IR_COLUMN && e->index < ir->n_columns)
			e = ir->columns[e->index].expr;
		if ((n = rank_name(e)) != NULL)
			return db_error(x->db, GROVE_EINVAL, "%s() orders rows only as the first order key", n);
	}
	return 0;
}

int qx_search_prepare(struct qx *x)
{
	const struct gq_ir_query *ir = x->ir;
	int err = rank_placement(x);
	if (err < 0)
		return err;
	bool any = false;
	for (size_t i = 0; i < ir->n_columns; i++)
		any |= has_rank(ir->columns[i].expr);
	for (size_t i = 0; i < ir->n_orders; i++)
		any |= has_rank(ir->orders[i].expr);
	if (!any)
		return 0;
	if (ir->has_aggregates)
		return db_error(x->db, GROVE_EINVAL, "nearest(), bm25() and rrf() cannot be used in a query "
		                "with aggregates");
	struct qx_search *s;
	if ((err = qx_search_state(x, &s)) < 0)
		return err;
	for (size_t i = 0; err == 0 && i < ir->n_columns; i++)
		err = prepare_expr(x, ir->columns[i].expr);
	if (err == 0 && ir->rank_first) {
		const struct gq_ir_expr *k = ir->orders[0].expr;
		if (k->kind == GQ_IR_COLUMN && k->index < ir->n_columns)
			k = ir->columns[k->index].expr;
		x->search->order_slot = rank_slot(k);
		err = rank_expr(x, k, &x->search->order);
	}
	return err;
}

int qx_rank_position(struct qx *x, uint64_t *pos)
{
	const struct qx_search *s = x->search;
	long at = ranking_find(s->order, x->slots[s->order_slot].entity);
	if (at < 0)
		return 0;
	*pos = (uint64_t)at;
	return 1;
}

int qx_rank_eval(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out)
{
	struct qx_search *s = x->search;
	double score;
	int has = 0;
	memset(out, 0, sizeof *out);
	out->type = MSGPACK_OBJECT_NIL;
	if (s == NULL)
		return db_error(x->db, GROVE_EINVAL, "this expression cannot be evaluated per row");
	if (e->kind == GQ_IR_NEAREST) {
		has = nearest_score(x, e, &score);
	} else {
		uint64_t ent = x->slots[rank_slot(e)].entity;
		const struct bm25_corpus *c = e->kind == GQ_IR_BM25 ? bm25_corpus_of(s, e) : NULL;
		const struct ranking *r = e->kind == GQ_IR_RRF ? ranking_of(s, e) : NULL;
		long at = r ? ranking_find(r, ent) : -1;
		if (c != NULL) {
			has = bm25_score(c, ent, &score);   /* NULL without a query term */
		} else if (at >= 0) {
			score = r->v[at].score;
			has = 1;
		}
	}
	if (has < 0)
		return has;
	if (has > 0) {
		out->type = MSGPACK_OBJECT_FLOAT64;
		out->via.f64 = score;
	}
	return 0;
}
