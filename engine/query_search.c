/*
 * engine/query_search.c — full-text predicates and BM25 statistics (spec
 * §3.11); the rankings are query_rank.c's.
 *
 * search(f, q) and match_text(f, q) hold when the text f shares a term
 * with q (text.h makes the terms); fuzzy(f, q, e) when a word of q, as
 * written (split into letter and digit runs only), is within e edits of a
 * term of f.  They read the row's own text, so a row is
 * searchable the moment it is written, on any branch or snapshot.
 *
 * bm25(v.p, q) scores with Okapi BM25 (k1 1.2, b 0.75): document
 * frequencies and the mean length come from every entity of v's type that
 * holds text in p, counted once per query run (bm25_corpus_build).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/query.h"
#include "engine/query_search.h"
#include "engine/text.h"
#include "log/error.h"

#define FUZZY_EDITS_DEFAULT 2
#define FUZZY_EDITS_MAX (4 * TEXT_TOKEN_MAX)
#define BM25_K1 1.2f
#define BM25_B 0.75f

int qx_search_state(struct qx *x, struct qx_search **out)
{
	if (x->search == NULL) {
		struct qx_search *s = calloc(1, sizeof *s);
		int err = s ? text_analyzer_new(&s->an) : -ENOMEM;
		if (err < 0) {
			free(s);
			return err == -ENOMEM ? db_error(x->db, err, "out of memory")
			       : db_error(x->db, GROVE_EINVAL, "full-text search needs libstemmer's English "
			                  "stemmer, PCRE2 with Unicode properties and glibc's C.UTF-8 locale");
		}
		x->search = s;
	}
	*out = x->search;
	return 0;
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
		free(c->first);
		free(c->token_id);
		free(c->tf);
		free(c);
	}
	for (struct embedded *m = s->embeddings, *n; m; m = n) {
		n = m->next;
		free(m->bytes);
		free(m);
	}
	text_terms_free(&s->field);
	text_terms_free(&s->query);
	text_analyzer_free(s->an);
	free(s);
	x->search = NULL;
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

int qx_int_arg(struct qx *x, const struct gq_ir_expr *e, int64_t dflt, int64_t *out)
{
	msgpack_object v;
	*out = dflt;
	if (e == NULL)
		return 0;
	int err = qx_eval(x, e, &v);
	if (err < 0)
		return err;
	if (v.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*out = v.via.i64;
	else if (v.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		*out = v.via.u64 > INT64_MAX ? INT64_MAX : (int64_t)v.via.u64;
	return 0;
}

static int fuzzy_edits(struct qx *x, const struct gq_ir_expr *e, unsigned *out)
{
	int64_t v;
	int err = qx_int_arg(x, e, FUZZY_EDITS_DEFAULT, &v);
	if (err < 0)
		return err;
	if (v < 0)
		return db_error(x->db, GROVE_EINVAL, "fuzzy(): max edits must not be negative, got %lld",
		                (long long)v);
	/* more edits than a term has letters: the same */
	*out = v > FUZZY_EDITS_MAX ? FUZZY_EDITS_MAX : (unsigned)v;
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
	struct qx_search *s;
	const struct text_terms *q;
	msgpack_object field;
	/* fuzzy's query terms are its words as written (Lance 10 neither
	 * lowercases nor stems them): "Introductio" is 3 edits from the term
	 * "introduct". */
	unsigned flags = e->kind == GQ_IR_FUZZY ? 0 : TEXT_FULL, edits = 0;
	int err = qx_search_state(x, &s);
	if (err < 0)
		return err;
	memset(out, 0, sizeof *out);
	out->type = MSGPACK_OBJECT_BOOLEAN;
	if ((err = qx_eval(x, e->arg[0], &field)) < 0 ||
	    (err = query_terms(x, e->arg[1], flags, &q)) < 0 ||
	    (e->kind == GQ_IR_FUZZY && (err = fuzzy_edits(x, e->arg[2], &edits)) < 0))
		return err;
	if (field.type != MSGPACK_OBJECT_STR || q->n == 0)
		return 0;
	if ((err = analyze(x, &field, TEXT_FULL, &s->field)) < 0)
		return err;
	if (e->kind == GQ_IR_FUZZY) {
		out->via.boolean = any_within(q, &s->field, edits);
		return 0;
	}
	for (size_t i = 0; i < q->n && !out->via.boolean; i++)
		out->via.boolean = text_terms_has(&s->field, text_term(q, i));
	return 0;
}

/* ---- bm25 ---------------------------------------------------------------- */

struct bm25_corpus *bm25_corpus_of(const struct qx_search *s, const struct gq_ir_expr *e)
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
	msgpack_object field;
	uint32_t slot = c->expr->arg[0]->slot;
	int err;
	if ((err = qx_eval(x, c->expr->arg[0], &field)) < 0)
		return err;
	if (field.type != MSGPACK_OBJECT_STR)
		return 0;
	if ((err = analyze(x, &field, TEXT_FULL, &s->field)) < 0)
		return err;
	if (s->field.n == 0)
		return 0;   /* no term: not a document (Lance 10) */
	c->n_docs += 1;
	c->avg_len += (double)s->field.n;   /* a sum until the scan ends */
	bool any = false;
	for (size_t i = 0; i < c->nterms; i++) {
		c->row_tf[i] = 0;
		for (size_t j = 0; j < s->field.n; j++)
			if (!strcmp(text_term(&c->terms, i), text_term(&s->field, j))) {
				if (c->row_tf[i]++ == 0 && c->first[i] == 0)
					c->first[i] = c->n_docs * 65536.0 + (double)j;
			}
		any |= c->row_tf[i] > 0;
	}
	if (!any)
		return 0;
	if (ranking_add(&c->docs, x->slots[slot].entity, (double)s->field.n) < 0)
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

/* Run the caller's steps as a pipeline into sink (QX_STOP is no error). */
int qx_run_steps(struct qx *x, struct gq_ir_step *steps, size_t n, qx_sink_fn sink, void *arg)
{
	struct gq_ir_pipeline p = { steps, n };
	int err = qx_pipe(x, &p, 0, sink, arg);
	return err == QX_STOP ? 0 : err;
}

/* The statistics of bm25 expression e over every entity of its type. */
int bm25_corpus_build(struct qx *x, const struct gq_ir_expr *e)
{
	struct qx_search *s = x->search;
	const struct gq_ir_expr *q = e->arg[1];
	const struct text_terms *all;
	int err;
	if (bm25_corpus_of(s, e) != NULL)
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
	c->first = calloc(c->nterms + 1, sizeof *c->first);
	c->token_id = calloc(c->nterms + 1, sizeof *c->token_id);
	if (c->df == NULL || c->row_tf == NULL || c->first == NULL || c->token_id == NULL)
		return db_error(x->db, -ENOMEM, "out of memory");
	struct gq_ir_step scan = { .kind = GQ_IR_SCAN, .slot = e->arg[0]->slot,
	                           .access = GQ_ACCESS_TYPE_SCAN };
	if (c->nterms > 0 && (err = qx_run_steps(x, &scan, 1, corpus_sink, c)) < 0)
		return err;
	if (c->n_docs > 0)
		c->avg_len /= c->n_docs;
	/* Lance numbers the index's tokens as it meets them, document after
	 * document: its tie-break compares those numbers (query_bm25.c). */
	for (size_t i = 0; i < c->nterms; i++)
		for (size_t j = 0; j < c->nterms; j++)
			c->token_id[i] += c->first[j] < c->first[i] || (c->first[j] == c->first[i] && j < i);
	return ranking_index(&c->docs) < 0 ? db_error(x->db, -ENOMEM, "out of memory") : 0;
}

/* Okapi BM25 of entity `ent` for corpus c: 1, or 0 when it holds no
 * query term. */
int bm25_score(const struct bm25_corpus *c, uint64_t ent, double *out)
{
	long i = ranking_find(&c->docs, ent);
	if (i < 0)
		return 0;
	/* In single precision, as Lance 10: its ties are ours. */
	float len = (float)c->docs.v[i].score, n = (float)c->n_docs, avg = (float)c->avg_len;
	float norm = avg > 0 ? len / avg : 1.0f, score = 0;
	for (size_t t = 0; t < c->nterms; t++) {
		float tf = (float)c->tf[(size_t)i * c->nterms + t], df = (float)c->df[t];
		if (tf <= 0)
			continue;
		float idf = logf((n - df + 0.5f) / (df + 0.5f) + 1.0f);
		score += idf * ((BM25_K1 + 1.0f) * tf / (tf + BM25_K1 * (1.0f - BM25_B + BM25_B * norm)));
	}
	*out = score;
	return 1;
}
