/*
 * engine/query_expand.c — EXPAND: walking an edge type's adjacency from a
 * bound node (spec §3.5).
 *
 * Adjacency keys are `layer | edge type | dir | node | edge | ~lsn ->
 * other node` (dir 0: out, 1: in; index/apply.c), so the edges of one
 * node in one direction are one prefix range of the layered iterator.
 *
 *  - With an edge binding: one hop, one row per edge (parallel edges are
 *    distinct rows); undirected walks the out range then the in range,
 *    and a self-loop (found in both) counts once.
 *  - Without: set semantics per source row.  A breadth-first walk with the
 *    source pre-marked visited; a node enters the frontier only on its
 *    first visit and is emitted when first reached at a hop >= min; a
 *    self-loop x->x emits x at the current hop without re-entering the
 *    frontier.  Parallel edges give one destination.  An edge type whose
 *    endpoint types differ cannot chain: hops are capped at 1.
 *  - With the destination already bound the walk is a join check.
 * Destinations (and edges) are bound by id (qx_bind_id): their rows are
 * read only if the query looks at them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/query.h"
#include "index/layered.h"
#include "log/error.h"

/* ---- a set of u64 (open addressing; 0 is never an entity id) ---------- */

/* Sets and vectors start in storage of their own (most walks are a few
 * nodes: no allocation); they must not be moved once used. */
#define SMALL_N 16

struct u64set {
	uint64_t *v;
	size_t cap, n;
	uint64_t small[SMALL_N];
};

static void set_init(struct u64set *s)
{
	memset(s->small, 0, sizeof(s->small));
	s->v = s->small;
	s->cap = SMALL_N;
	s->n = 0;
}

static void set_fini(struct u64set *s)
{
	if (s->v != s->small)
		free(s->v);
}

static int set_grow(struct u64set *s)
{
	size_t cap = 2 * s->cap;
	uint64_t *v = calloc(cap, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->v[i] == 0)
			continue;
		size_t h = adjc_hash64(s->v[i]) & (cap - 1);
		while (v[h] != 0)
			h = (h + 1) & (cap - 1);
		v[h] = s->v[i];
	}
	set_fini(s);
	s->v = v;
	s->cap = cap;
	return 0;
}

/* 1: added, 0: already there, -ENOMEM. */
static int set_add(struct u64set *s, uint64_t k)
{
	if (4 * (s->n + 1) > 3 * s->cap && set_grow(s) < 0)
		return -ENOMEM;
	size_t h = adjc_hash64(k) & (s->cap - 1);
	while (s->v[h] != 0) {
		if (s->v[h] == k)
			return 0;
		h = (h + 1) & (s->cap - 1);
	}
	s->v[h] = k;
	s->n++;
	return 1;
}

struct u64vec {
	uint64_t *v;
	size_t n, cap;
	uint64_t small[SMALL_N];
};

static void vec_init(struct u64vec *a)
{
	a->v = a->small;
	a->n = 0;
	a->cap = SMALL_N;
}

static void vec_fini(struct u64vec *a)
{
	if (a->v != a->small)
		free(a->v);
}

static int vec_push(struct u64vec *a, uint64_t k)
{
	if (a->n == a->cap) {
		size_t cap = 2 * a->cap;
		uint64_t *v = a->v == a->small ? malloc(cap * sizeof(*v)) : realloc(a->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		if (a->v == a->small)
			memcpy(v, a->small, sizeof(a->small));
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = k;
	return 0;
}

/* ---- adjacency ----------------------------------------------------------- */

struct walk {
	struct qx *x;
	const struct gq_ir_step *st;
	const struct lang_cat_type *et;
	int dst_live;                        /* destinations need no read   */
	uint32_t min, max;
	struct u64set visited, emitted;
	struct u64vec queue, out;   /* queue: visited nodes in hop order;
	                             * out: emitted nodes in order         */
};

/* Call fn for each (edge, other node) of `node` in direction dir. */
typedef int (*adj_fn)(struct walk *w, uint64_t node, uint64_t edge, uint64_t other, void *arg);

/* The in-memory ranges serving (etype, dir) at the query's target, or
 * NULL: read LMDB.  Asked once per query; a write transaction's reads
 * (a batch's) never use them. */
static const struct adjc_view *ranges(struct qx *x, uint32_t etype, uint8_t dir)
{
	for (uint32_t i = 0; i < x->n_adjc; i++)
		if (x->adjc[i].etype == etype && x->adjc[i].dir == dir)
			return x->adjc[i].served ? &x->adjc[i].av : NULL;
	if (x->n_adjc == QX_ADJC_MAX || x->r->borrowed)
		return NULL;
	struct qx_adjc *a = &x->adjc[x->n_adjc++];
	a->etype = etype;
	a->dir = dir;
	a->served = adjc_acquire(&a->av, x->db->views->adjc, x->r->txn, &x->r->chain, etype, dir) > 0;
	return a->served ? &a->av : NULL;
}

void qx_adjc_release(struct qx *x)
{
	for (uint32_t i = 0; i < x->n_adjc; i++)
		if (x->adjc[i].served)
			adjc_release(&x->adjc[i].av);
	x->n_adjc = 0;
}

struct cached {
	struct walk *w;
	uint64_t node;
	adj_fn fn;
	void *arg;
};

static int cached_one(void *arg, uint64_t edge, uint64_t other)
{
	struct cached *c = arg;
	return c->fn(c->w, c->node, edge, other, c->arg);
}

static int adj_each(struct walk *w, uint64_t node, uint8_t dir, adj_fn fn, void *arg)
{
	struct qx *x = w->x;
	const struct adjc_view *av = ranges(x, w->et->id, dir);
	if (av && adjc_node_clean(av, node)) {
		struct cached c = { w, node, fn, arg };
		return adjc_each(av, node, cached_one, &c);
	}
	uint8_t prefix[13];
	struct layered_iter it;
	layered_be32(prefix, w->et->id);
	prefix[4] = dir;
	layered_be64(prefix + 5, node);
	int err = layered_open_in(&it, &x->adj_pool, &x->r->chain, prefix, 13, NULL, 0);
	if (err < 0)
		return db_error(x->db, err, NULL);
	for (;;) {
		if ((err = layered_next(&it)) != 0) {
			err = err == GROVE_ENOTFOUND ? 0 : db_error(x->db, err, NULL);
			break;
		}
		if (it.elem_len != 8 || it.value.mv_size != 8) {
			err = db_error(x->db, GROVE_ECORRUPT, "an adjacency entry of %s is malformed", w->et->name);
			break;
		}
		if ((err = fn(w, node, layered_rd64(it.elem), layered_rd64(it.value.mv_data), arg)) != 0)
			break;
	}
	layered_close(&it);
	return err;
}

/* The directions a step walks: out (0), in (1), or both. */
static int dirs_each(struct walk *w, uint64_t node, adj_fn fn, void *arg)
{
	enum gq_dir d = w->st->dir;
	int err = 0;
	if (d != GQ_DIR_IN)
		err = adj_each(w, node, 0, fn, arg);
	if (err == 0 && d != GQ_DIR_OUT)
		err = adj_each(w, node, 1, fn, arg);
	return err;
}

/* ---- with an edge binding: one row per edge ------------------------------ */

struct edge_ctx {
	const struct gq_ir_pipeline *p;
	size_t i;
	qx_sink_fn sink;
	void *arg;
	int in_pass;                 /* undirected: walking the in range */
};

static int edge_row(struct walk *w, uint64_t node, uint64_t edge, uint64_t other, void *arg)
{
	struct edge_ctx *c = arg;
	struct qx *x = w->x;
	const struct gq_ir_step *st = w->st;
	if (c->in_pass && other == node && st->dir == GQ_DIR_BOTH)
		return 0;  /* a self-loop: already met in the out range */
	if (st->dst_bound && x->slots[st->dst_slot].entity != other)
		return 0;
	const struct lang_cat_type *dt = x->ir->bindings[st->dst_slot].type;
	int err = 0;
	qx_bind_id(x, st->edge_slot, w->et, edge);  /* adjacency lists live edges */
	if (!st->dst_bound && w->dst_live)
		qx_bind_id(x, st->dst_slot, dt, other);
	else if (!st->dst_bound)
		err = qx_fetch(x, st->dst_slot, dt, other);
	if (err == GROVE_ENOTFOUND)
		return 0;
	return err < 0 ? err : qx_pipe(x, c->p, c->i + 1, c->sink, c->arg);
}

static int edge_rows(struct walk *w, struct edge_ctx *c)
{
	uint64_t src = w->x->slots[w->st->src_slot].entity;
	enum gq_dir d = w->st->dir;
	int err = 0;
	if (d != GQ_DIR_IN)
		err = adj_each(w, src, 0, edge_row, c);
	c->in_pass = 1;
	if (err == 0 && d != GQ_DIR_OUT)
		err = adj_each(w, src, 1, edge_row, c);
	return err;
}

/* ---- without: the set of destinations ------------------------------------ */

static int emit(struct walk *w, uint64_t node)
{
	int added = set_add(&w->emitted, node);
	if (added < 0)
		return db_error(w->x->db, -ENOMEM, "out of memory");
	return added ? (vec_push(&w->out, node) < 0 ? db_error(w->x->db, -ENOMEM, "out of memory") : 0) : 0;
}

static int reach(struct walk *w, uint64_t node, uint64_t edge, uint64_t other, void *arg)
{
	uint32_t hop = *(const uint32_t *)arg;
	(void)edge;
	if (other == node)  /* a self-loop: emitted, not re-entered */
		return hop >= w->min ? emit(w, other) : 0;
	int added = set_add(&w->visited, other);
	if (added < 0)
		return db_error(w->x->db, -ENOMEM, "out of memory");
	if (!added)
		return 0;
	if (w->visited.n > QX_MAX_FRONTIER)
		return db_error_limit(w->x->db, db_error(w->x->db, GROVE_ELIMIT,
		                      "a traversal visits more than %u nodes", QX_MAX_FRONTIER),
		                      "traversal nodes", QX_MAX_FRONTIER, w->visited.n);
	if (vec_push(&w->queue, other) < 0)
		return db_error(w->x->db, -ENOMEM, "out of memory");
	return hop >= w->min ? emit(w, other) : 0;
}

static int walk_all(struct walk *w, uint64_t src)
{
	int err;
	if (set_add(&w->visited, src) < 0 || vec_push(&w->queue, src) < 0)
		return db_error(w->x->db, -ENOMEM, "out of memory");
	size_t lo = 0;
	for (uint32_t hop = 1; hop <= w->max && lo < w->queue.n; hop++) {
		size_t hi = w->queue.n;  /* this hop's frontier: queue[lo, hi) */
		for (size_t k = lo; k < hi; k++)
			if ((err = dirs_each(w, w->queue.v[k], reach, &hop)) != 0)
				return err;
		lo = hi;
	}
	return 0;
}

static int dest_rows(struct walk *w, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	struct qx *x = w->x;
	const struct gq_ir_step *st = w->st;
	int err = walk_all(w, x->slots[st->src_slot].entity);
	if (err != 0)
		return err;
	const struct lang_cat_type *dt = x->ir->bindings[st->dst_slot].type;
	for (size_t k = 0; k < w->out.n; k++) {
		if (st->dst_bound) {
			if (x->slots[st->dst_slot].entity != w->out.v[k])
				continue;
		} else if (w->dst_live) {
			qx_bind_id(x, st->dst_slot, dt, w->out.v[k]);
		} else if ((err = qx_fetch(x, st->dst_slot, dt, w->out.v[k])) == GROVE_ENOTFOUND) {
			continue;
		} else if (err < 0) {
			return err;
		}
		if ((err = qx_pipe(x, p, i + 1, sink, arg)) != 0)
			return err;
	}
	return 0;
}

/* Adjacency holds live edges between live endpoints (deleting a node
 * deletes its edges; loads and merges refuse orphan edges), so a
 * destination of the walked endpoint's type is visible without a read. */
static int dst_live(const struct gq_ir_step *st, const struct lang_cat_type *et, uint32_t dst_type)
{
	int out_ok = et->to_id == dst_type, in_ok = et->from_id == dst_type;
	return st->dir == GQ_DIR_OUT ? out_ok : st->dir == GQ_DIR_IN ? in_ok : out_ok && in_ok;
}

int qx_expand(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	const struct gq_ir_step *st = &p->steps[i];
	struct walk w;  /* not moved; fields set one by one (the sets' storage
	                 * is cleared by set_init, not twice) */
	w.x = x;
	w.st = st;
	w.et = NULL;
	w.min = st->min_hops;
	w.max = st->max_hops;
	const struct lang_catalog *cat = x->checked->cat;
	for (uint32_t k = 0; k < cat->n_edges; k++)
		if (cat->edges[k].id == st->edge_type_id)
			w.et = &cat->edges[k];
	if (w.et == NULL)
		return db_error(x->db, GROVE_EINVAL, "edge type %u is not in the catalog", st->edge_type_id);
	if (w.et->from_id != w.et->to_id && w.max > 1)
		w.max = 1;  /* cannot chain (spec §3.5) */
	if (w.min < 1)
		w.min = 1;
	if (w.min > w.max)
		return 0;
	w.dst_live = dst_live(st, w.et, x->ir->bindings[st->dst_slot].type_id);
	set_init(&w.visited);
	set_init(&w.emitted);
	vec_init(&w.queue);
	vec_init(&w.out);
	int err;
	if (st->edge_slot != GQ_IR_NONE) {
		struct edge_ctx c = { .p = p, .i = i, .sink = sink, .arg = arg };
		err = edge_rows(&w, &c);
	} else {
		err = dest_rows(&w, p, i, sink, arg);
	}
	set_fini(&w.visited);
	set_fini(&w.emitted);
	vec_fini(&w.queue);
	vec_fini(&w.out);
	return err;
}
