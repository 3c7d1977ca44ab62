/*
 * engine/query_search.c — full-text predicates and ranking (spec §3.11).
 *
 * search(f, q) and match_text(f, q) hold when the text f shares a term
 * with q; fuzzy(f, q, e) when a term of q is within e edits of a term of
 * f (text.h makes the terms).  They read the row's own text, so a row is
 * searchable the moment it is written, on any branch or snapshot.
 *
 * nearest(v.p, q), bm25(v.p, q) and rrf(a, b, k) rank the entities bound
 * to one variable v.  A ranking is made once per query run, before the
 * match runs (rank_prepare):
 *   1. candidates: v's entities that pass v's own filters (its scan and
 *      every match filter that reads v alone), so `limit` picks the best
 *      entities among those that pass, never a filtered global top-k;
 *   2. scores: nearest, the squared Euclidean distance of p to q
 *      (ascending; rows without a vector are not ranked); bm25, Okapi
 *      BM25 of q's terms in p (k1 1.2, b 0.75; document frequencies and
 *      the mean length over every entity of v's type holding text;
 *      descending; rows without a matching term are not ranked);
 *   3. the best `limit` (all of them for bm25 without a limit); equal
 *      scores rank the greater id first;
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

#include "engine/query.h"
#include "engine/text.h"
#include "log/error.h"

#define RRF_K_DEFAULT 60
#define FUZZY_EDITS_DEFAULT 2
#define BM25_K1 1.2
#define BM25_B 0.75

/* One ranked entity. */
struct ranked {
	uint64_t e;
	double score;
	uint32_t id_off, id_len;          /* its id, in ranking.ids          */
};

/* A ranking of one rank expression (or a bm25's corpus statistics). */
struct ranking {
	const struct gq_ir_expr *expr;
	struct ranked *v;                 /* best first                      */
	size_t n, cap;
	char *ids;
	size_t ids_len, ids_cap;
	uint64_t *table;                  /* entity -> index + 1 (open hash) */
	uint32_t *tpos;
	size_t tcap;
	struct ranking *next;
};

/* A query text analyzed once per run. */
struct analyzed {
	const struct gq_ir_expr *expr;
	unsigned flags;
	struct text_terms terms;
	struct analyzed *next;
};

/* The corpus of one bm25(field, query): per query term, the entities
 * holding it and how often, plus every text's length. */
struct bm25_corpus {
	const struct gq_ir_expr *expr;
	struct text_terms terms;          /* the query's, each once          */
	size_t nterms;
	double n_docs, avg_len;
	double *df;                       /* [nterms]                        */
	double *row_tf;                   /* [nterms]: scratch               */
	struct ranking docs;              /* matching entity -> (len, tf...) */
	double *tf;                       /* [docs.n * nterms]               */
	size_t tf_cap;
	struct bm25_corpus *next;
};

struct qx_search {
	struct text_analyzer *an;
	struct text_terms field;          /* scratch: a row's terms          */
	struct text_terms query;          /* scratch: a per-row query's      */
	struct analyzed *queries;
	struct ranking *rankings;
	struct bm25_corpus *corpora;
	const struct ranking *order;      /* the first order key's ranking   */
	uint32_t order_slot;
};

static struct qx_search *state(struct qx *x)
{
	if (x->search == NULL) {
		struct qx_search *s = calloc(1, sizeof *s);
		int err = s ? text_analyzer_new(&s->an) : -ENOMEM;
		if (err < 0) {
			free(s);
			db_error(x->db, err, err == -ENOMEM ? "out of memory"
			                     : "full-text search needs libstemmer's English stemmer");
			return NULL;
		}
		x->search = s;
	}
	return x->search;
}

static void ranking_fini(struct ranking *r)
{
	free(r->v);
	free(r->ids);
	free(r->table);
	free(r->tpos);
}

void qx_search_free(struct qx *x)
{
	struct qx_search *s = x->search;
	if (s == NULL)
		return;
	for (struct analyzed *a = s->queries, *n; a; a = n) {
		n = a->next;
		text_terms_free(&a->terms);
		free(a);
	}
	for (struct ranking *r = s->rankings, *n; r; r = n) {
		n = r->next;
		ranking_fini(r);
		free(r);
	}
	for (struct bm25_corpus *c = s->corpora, *n; c; c = n) {
		n = c->next;
		ranking_fini(&c->docs);
		text_terms_free(&c->terms);
		free(c->df);
		free(c->row_tf);
		free(c->tf);
		free(c);
	}
	text_terms_free(&s->field);
	text_terms_free(&s->query);
	text_analyzer_free(s->an);
	free(s);
	x->search = NULL;
}

/* ---- rankings: entities with scores, then an index by entity ---------- */

static int rk_add(struct ranking *r, uint64_t e, double score, const char *id, uint32_t id_len)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct ranked *v = realloc(r->v, cap * sizeof *v);
		if (v == NULL)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	if (r->ids_len + id_len > r->ids_cap) {
		size_t cap = r->ids_cap ? 2 * r->ids_cap : 1024;
		while (cap < r->ids_len + id_len)
			cap *= 2;
		char *p = realloc(r->ids, cap);
		if (p == NULL)
			return -ENOMEM;
		r->ids = p;
		r->ids_cap = cap;
	}
	if (id_len > 0)
		memcpy(r->ids + r->ids_len, id, id_len);
	r->v[r->n++] = (struct ranked){ e, score, (uint32_t)r->ids_len, id_len };
	r->ids_len += id_len;
	return 0;
}

static int id_cmp(const struct ranking *r, const struct ranked *a, const struct ranked *b)
{
	uint32_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
	int c = n ? memcmp(r->ids + a->id_off, r->ids + b->id_off, n) : 0;
	return c ? c : (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

struct rk_order {
	const struct ranking *r;
	int ascending;
};

/* Best first; equal scores: the greater id first. */
static int rk_cmp(const void *pa, const void *pb, void *arg)
{
	const struct rk_order *o = arg;
	const struct ranked *a = pa, *b = pb;
	if (a->score != b->score)
		return (a->score < b->score) == (o->ascending != 0) ? -1 : 1;
	return -id_cmp(o->r, a, b);
}

static void rk_sort(struct ranking *r, int ascending, int has_limit, uint64_t limit)
{
	struct rk_order o = { r, ascending };
	if (r->n > 1)
		qsort_r(r->v, r->n, sizeof *r->v, rk_cmp, &o);
	if (has_limit && r->n > limit)
		r->n = (size_t)limit;
}

static size_t rk_hash(uint64_t e, size_t cap)
{
	e *= 0x9e3779b97f4a7c15ull;
	return (size_t)(e >> 32) & (cap - 1);
}

/* Index the ranking by entity (after sorting and cutting). */
static int rk_index(struct ranking *r)
{
	size_t cap = 16;
	while (cap < 2 * r->n + 2)
		cap *= 2;
	free(r->table);
	free(r->tpos);
	r->table = calloc(cap, sizeof *r->table);
	r->tpos = calloc(cap, sizeof *r->tpos);
	r->tcap = cap;
	if (r->table == NULL || r->tpos == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		size_t h = rk_hash(r->v[i].e, cap);
		while (r->table[h] != 0)
			h = (h + 1) & (cap - 1);
		r->table[h] = r->v[i].e;
		r->tpos[h] = (uint32_t)i;
	}
	return 0;
}

/* Entity e's place in the ranking, or -1.  (Entity ids are never 0.) */
static long rk_find(const struct ranking *r, uint64_t e)
{
	if (r->tcap == 0)
		return -1;
	for (size_t h = rk_hash(e, r->tcap); r->table[h] != 0; h = (h + 1) & (r->tcap - 1))
		if (r->table[h] == e)
			return (long)r->tpos[h];
	return -1;
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

/* ---- text predicates ---------------------------------------------------- */

static int analyze(struct qx *x, const msgpack_object *o, unsigned flags, struct text_terms *t)
{
	text_terms_reset(t);
	if (o->type != MSGPACK_OBJECT_STR)
		return 0;
	int err = text_analyze(x->search->an, o->via.str.ptr, o->via.str.size, flags, t);
	return err < 0 ? db_error(x->db, err, "out of memory") : 0;
}

/* The terms of query expression q: made once per run when q is a
 * parameter or a literal, else from the current row. */
static int query_terms(struct qx *x, const struct gq_ir_expr *q, unsigned flags,
		       const struct text_terms **out)
{
	struct qx_search *s = x->search;
	bool constant = q->kind == GQ_IR_LIT || q->kind == GQ_IR_PARAM;
	for (struct analyzed *a = s->queries; constant && a; a = a->next)
		if (a->expr == q && a->flags == flags) {
			*out = &a->terms;
			return 0;
		}
	msgpack_object v;
	int err = qx_eval(x, q, &v);
	if (err < 0)
		return err;
	if (!constant) {
		*out = &s->query;
		return analyze(x, &v, flags, &s->query);
	}
	struct analyzed *a = calloc(1, sizeof *a);
	if (a == NULL)
		return db_error(x->db, -ENOMEM, "out of memory");
	a->expr = q;
	a->flags = flags;
	a->next = s->queries;
	s->queries = a;
	*out = &a->terms;
	return analyze(x, &v, flags, &a->terms);
}

static int fuzzy_edits(struct qx *x, const struct gq_ir_expr *e, unsigned *out)
{
	msgpack_object v;
	*out = FUZZY_EDITS_DEFAULT;
	if (e == NULL)
		return 0;
	int err = qx_eval(x, e, &v);
	if (err < 0)
		return err;
	if (v.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return db_error(x->db, GROVE_EINVAL, "fuzzy(): max edits must not be negative, got %lld",
		                (long long)v.via.i64);
	if (v.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		*out = v.via.u64 > TEXT_TOKEN_MAX ? TEXT_TOKEN_MAX : (unsigned)v.via.u64;
	return 0;
}

static bool any_within(const struct text_terms *q, const struct text_terms *f, unsigned edits)
{
	for (size_t i = 0; i < q->n; i++) {
		const char *a = text_term(q, i);
		for (size_t j = 0; j < f->n; j++) {
			const char *b = text_term(f, j);
			if (text_edit_distance(a, strlen(a), b, strlen(b), edits) <= edits)
				return true;
		}
	}
	return false;
}

int qx_search_eval(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out)
{
	struct qx_search *s = state(x);
	const struct text_terms *q;
	msgpack_object field;
	unsigned flags = e->kind == GQ_IR_FUZZY ? TEXT_STOP : TEXT_FULL, edits = 0;
	int err;
	if (s == NULL)
		return -ENOMEM;
	memset(out, 0, sizeof *out);
	out->type = MSGPACK_OBJECT_BOOLEAN;
	if ((err = qx_eval(x, e->arg[0], &field)) < 0 ||
	    (err = query_terms(x, e->arg[1], flags, &q)) < 0 ||
	    (e->kind == GQ_IR_FUZZY && (err = fuzzy_edits(x, e->arg[2], &edits)) < 0))
		return err;
	if (field.type != MSGPACK_OBJECT_STR || q->n == 0)
		return 0;
	if ((err = analyze(x, &field, flags, &s->field)) < 0)
		return err;
	if (e->kind == GQ_IR_FUZZY) {
		out->via.boolean = any_within(q, &s->field, edits);
		return 0;
	}
	for (size_t i = 0; i < q->n && !out->via.boolean; i++)
		out->via.boolean = text_terms_has(&s->field, text_term(q, i));
	return 0;
}

/* ---- nearest ------------------------------------------------------------- */

/* Element i of a vector value: a stored Vector (little-endian float32
 * bytes) or a list of numbers. */
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
	case MSGPACK_OBJECT_FLOAT64: return v->via.f64;
	case MSGPACK_OBJECT_POSITIVE_INTEGER: return (double)v->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return (double)v->via.i64;
	default: return NAN;
	}
}

/* The current row's squared Euclidean distance to the query: 1, or 0 when
 * the row has no vector. */
static int nearest_score(struct qx *x, const struct gq_ir_expr *e, double *out)
{
	msgpack_object p, q;
	size_t np = 0, nq = 0;
	int err;
	if ((err = qx_eval(x, e->arg[0], &p)) < 0 || (err = qx_eval(x, e->arg[1], &q)) < 0)
		return err;
	if (q.type == MSGPACK_OBJECT_STR)
		return db_error(x->db, GROVE_EINVAL, "nearest(): a String query needs an embedding model "
		                "to turn it into a vector, and Grove has none; pass a Vector(n) instead");
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
	*out = d;
	return 1;
}

/* ---- bm25 ---------------------------------------------------------------- */

static struct bm25_corpus *corpus_of(const struct qx_search *s, const struct gq_ir_expr *e)
{
	for (struct bm25_corpus *c = s->corpora; c; c = c->next)
		if (c->expr == e)
			return c;
	return NULL;
}

/* One entity of the corpus scan: its length, and its term counts when it
 * holds a query term. */
static int corpus_sink(struct qx *x, void *arg)
{
	struct bm25_corpus *c = arg;
	struct qx_search *s = x->search;
	const struct value_row *v;
	msgpack_object field;
	uint32_t slot = c->expr->arg[0]->slot;
	int err;
	if ((err = qx_eval(x, c->expr->arg[0], &field)) < 0)
		return err;
	if (field.type != MSGPACK_OBJECT_STR)
		return 0;
	if ((err = analyze(x, &field, TEXT_FULL, &s->field)) < 0)
		return err;
	c->n_docs += 1;
	c->avg_len += (double)s->field.n;   /* a sum until the scan ends */
	bool any = false;
	for (size_t i = 0; i < c->nterms; i++) {
		c->row_tf[i] = 0;
		for (size_t j = 0; j < s->field.n; j++)
			c->row_tf[i] += !strcmp(text_term(&c->terms, i), text_term(&s->field, j));
		any |= c->row_tf[i] > 0;
	}
	if (!any)
		return 0;
	if ((err = qx_slot_view(x, slot, &v)) < 0)
		return err;
	if (rk_add(&c->docs, x->slots[slot].entity, (double)s->field.n, v->id, (uint32_t)v->id_len) < 0)
		return db_error(x->db, -ENOMEM, "out of memory");
	if (c->docs.n * c->nterms > c->tf_cap) {
		size_t cap = c->tf_cap ? 2 * c->tf_cap : 64 * c->nterms;
		double *p = realloc(c->tf, cap * sizeof *p);
		if (p == NULL)
			return db_error(x->db, -ENOMEM, "out of memory");
		c->tf = p;
		c->tf_cap = cap;
	}
	for (size_t i = 0; i < c->nterms; i++) {
		c->tf[(c->docs.n - 1) * c->nterms + i] = c->row_tf[i];
		c->df[i] += c->row_tf[i] > 0;
	}
	return 0;
}

/* Run pipeline p (built here) into sink with slot `slot` unbound first. */
static int run_steps(struct qx *x, struct gq_ir_step *steps, size_t n, qx_sink_fn sink, void *arg)
{
	struct gq_ir_pipeline p = { steps, n };
	int err = qx_pipe(x, &p, 0, sink, arg);
	return err == QX_STOP ? 0 : err;
}

/* The statistics of bm25 expression e over every entity of its type. */
static int corpus_build(struct qx *x, const struct gq_ir_expr *e)
{
	struct qx_search *s = x->search;
	const struct gq_ir_expr *q = e->arg[1];
	const struct text_terms *all;
	int err;
	if (corpus_of(s, e) != NULL)
		return 0;
	if (q->kind != GQ_IR_LIT && q->kind != GQ_IR_PARAM)
		return db_error(x->db, GROVE_EINVAL, "bm25(): the query must be a parameter or a literal");
	struct bm25_corpus *c = calloc(1, sizeof *c);
	if (c == NULL)
		return db_error(x->db, -ENOMEM, "out of memory");
	c->expr = e;
	c->next = s->corpora;
	s->corpora = c;
	if ((err = query_terms(x, q, TEXT_FULL, &all)) < 0)
		return err;
	for (size_t i = 0; i < all->n; i++)
		if (!text_terms_has(&c->terms, text_term(all, i)) &&
		    text_analyze(s->an, text_term(all, i), strlen(text_term(all, i)), 0, &c->terms) < 0)
			return db_error(x->db, -ENOMEM, "out of memory");
	c->nterms = c->terms.n;
	c->df = calloc(c->nterms + 1, sizeof *c->df);
	c->row_tf = calloc(c->nterms + 1, sizeof *c->row_tf);
	if (c->df == NULL || c->row_tf == NULL)
		return db_error(x->db, -ENOMEM, "out of memory");
	struct gq_ir_step scan = { .kind = GQ_IR_SCAN, .slot = e->arg[0]->slot,
	                           .access = GQ_ACCESS_TYPE_SCAN };
	if (c->nterms > 0 && (err = run_steps(x, &scan, 1, corpus_sink, c)) < 0)
		return err;
	if (c->n_docs > 0)
		c->avg_len /= c->n_docs;
	return rk_index(&c->docs) < 0 ? db_error(x->db, -ENOMEM, "out of memory") : 0;
}

/* Okapi BM25 of entity `ent` for corpus c: 1, or 0 when it holds no
 * query term. */
static int bm25_score(const struct bm25_corpus *c, uint64_t ent, double *out)
{
	long i = rk_find(&c->docs, ent);
	if (i < 0)
		return 0;
	double len = c->docs.v[i].score, score = 0;
	for (size_t t = 0; t < c->nterms; t++) {
		double tf = c->tf[(size_t)i * c->nterms + t];
		if (tf <= 0)
			continue;
		double idf = log(1 + (c->n_docs - c->df[t] + 0.5) / (c->df[t] + 0.5));
		double norm = c->avg_len > 0 ? len / c->avg_len : 1;
		score += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * norm));
	}
	*out = score;
	return 1;
}

/* ---- candidates: the ranked variable's entities passing its own filters */

static bool reads_only(const struct gq_ir_expr *e, uint32_t slot)
{
	if (e == NULL)
		return true;
	switch (e->kind) {
	case GQ_IR_LIT:
	case GQ_IR_PARAM:
	case GQ_IR_NOW:
		return true;
	case GQ_IR_PROP:
	case GQ_IR_NODE:
		return e->slot == slot;
	case GQ_IR_SEARCH:
	case GQ_IR_FUZZY:
	case GQ_IR_MATCH_TEXT:
		return reads_only(e->arg[0], slot) && reads_only(e->arg[1], slot) &&
		       reads_only(e->arg[2], slot);
	default:
		return false;
	}
}

/* The steps that bind `slot` and filter it alone: its scan (or a scan of
 * its type when a traversal binds it) and its single-variable filters.
 * *out is malloc'd. */
static int candidate_steps(struct qx *x, uint32_t slot, struct gq_ir_step **out, size_t *n)
{
	const struct gq_ir_pipeline *p = &x->ir->pipeline;
	struct gq_ir_step *v = calloc(p->n_steps + 1, sizeof *v);
	if (v == NULL)
		return db_error(x->db, -ENOMEM, "out of memory");
	v[0] = (struct gq_ir_step){ .kind = GQ_IR_SCAN, .slot = slot, .access = GQ_ACCESS_TYPE_SCAN };
	*n = 1;
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct gq_ir_step *st = &p->steps[i];
		if (st->kind == GQ_IR_SCAN && st->slot == slot)
			v[0] = *st;
		else if (st->kind == GQ_IR_FILTER && reads_only(st->filter.left, slot) &&
		         reads_only(st->filter.right, slot))
			v[(*n)++] = *st;
	}
	*out = v;
	return 0;
}

struct score_run {
	const struct gq_ir_expr *e;       /* NEAREST or BM25                  */
	uint32_t slot;
	const struct bm25_corpus *corpus; /* BM25                             */
	struct ranking *r;
};

static int score_sink(struct qx *x, void *arg)
{
	struct score_run *sr = arg;
	const struct value_row *v;
	uint64_t ent = x->slots[sr->slot].entity;
	double score;
	int has = sr->corpus ? bm25_score(sr->corpus, ent, &score) : nearest_score(x, sr->e, &score);
	if (has <= 0)
		return has;
	int err = qx_slot_view(x, sr->slot, &v);
	if (err < 0)
		return err;
	return rk_add(sr->r, ent, score, v->id, (uint32_t)v->id_len) < 0
	       ? db_error(x->db, -ENOMEM, "out of memory") : 0;
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
		if ((err = corpus_build(x, e)) < 0)
			return err;
		sr.corpus = corpus_of(x->search, e);
	}
	if ((err = candidate_steps(x, sr.slot, &steps, &n)) < 0)
		return err;
	err = run_steps(x, steps, n, score_sink, &sr);
	free(steps);
	if (err < 0)
		return err;
	rk_sort(r, e->kind == GQ_IR_NEAREST, x->ir->has_limit, x->ir->limit);
	return 0;
}

static int rrf_k(struct qx *x, const struct gq_ir_expr *e, double *k)
{
	msgpack_object v;
	*k = RRF_K_DEFAULT;
	if (e == NULL)
		return 0;
	int err = qx_eval(x, e, &v);
	if (err < 0)
		return err;
	if (v.type != MSGPACK_OBJECT_POSITIVE_INTEGER || v.via.u64 == 0)
		return db_error(x->db, GROVE_EINVAL, "rrf(): k must be an integer greater than 0");
	*k = (double)v.via.u64;
	return 0;
}

/* Reciprocal-rank fusion of the two arms (each already cut to `limit`). */
static int rank_rrf(struct qx *x, const struct gq_ir_expr *e, struct ranking *r)
{
	const struct ranking *arm[2];
	double k;
	int err;
	if (rank_slot(e->arg[0]) != rank_slot(e->arg[1]))
		return db_error(x->db, GROVE_EINVAL, "rrf(): both arms must rank the same variable");
	if ((err = rrf_k(x, e->arg[2], &k)) < 0 || (err = rank_expr(x, e->arg[0], &arm[0])) < 0 ||
	    (err = rank_expr(x, e->arg[1], &arm[1])) < 0)
		return err;
	for (int a = 0; a < 2; a++) {
		if (rk_index(r) < 0)
			return db_error(x->db, -ENOMEM, "out of memory");
		for (size_t i = 0; i < arm[a]->n; i++) {
			const struct ranked *v = &arm[a]->v[i];
			double add = 1.0 / (k + (double)i + 1);
			long at = rk_find(r, v->e);
			if (at >= 0)
				r->v[at].score += add;
			else if (rk_add(r, v->e, add, arm[a]->ids + v->id_off, v->id_len) < 0)
				return db_error(x->db, -ENOMEM, "out of memory");
		}
	}
	rk_sort(r, 0, x->ir->has_limit, x->ir->limit);
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
		if (rk_index(r) < 0)
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
		return corpus_build(x, e);
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

int qx_search_prepare(struct qx *x)
{
	const struct gq_ir_query *ir = x->ir;
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
	if (state(x) == NULL)
		return -ENOMEM;
	int err = 0;
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
	long at = rk_find(s->order, x->slots[s->order_slot].entity);
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
		const struct bm25_corpus *c = e->kind == GQ_IR_BM25 ? corpus_of(s, e) : NULL;
		const struct ranking *r = e->kind == GQ_IR_RRF ? ranking_of(s, e) : NULL;
		long at = r ? rk_find(r, ent) : -1;
		if (c != NULL && (has = bm25_score(c, ent, &score)) == 0) {
			score = 0;  /* no query term: scores nothing */
			has = 1;
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
