/*
 * engine/query_bm25.c — the order of equal BM25 scores.
 *
 * OmniGraph 0.10 leaves a full-text search's order to Lance 10, which
 * passes the matches through three of Rust's binary heaps (std's
 * BinaryHeap): the index partition's WAND search pushes every match in
 * document order into a heap of (score, term frequencies, length), keyed
 * in reverse, and hands on its raw array; the partition's search pushes
 * that array into a heap of scores and takes `into_sorted_vec()`; the
 * segment merge does the same once more.  A heap sort is not stable, so
 * equal scores come out in an order that depends on everything pushed
 * (four ties loaded a, b, c, d come out c, d, a, b).  Grove's search
 * results must match OmniGraph's, so this file replays those heaps with
 * std's exact sift rules, documents in entity order (the order rows were
 * first loaded: a Lance row's position, as long as no update moved it).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/query_search.h"

struct doc {
	float score;
	const double *tf;                 /* [nterms], or NULL               */
	double len;
	struct ranked r;
};

/* a <= b in a heap's order. */
typedef bool (*heap_le)(const struct doc *a, const struct doc *b, size_t nterms);

/* Reverse((score, freqs, length)): a <= b when a's tuple >= b's. */
static bool le_partition(const struct doc *a, const struct doc *b, size_t nterms)
{
	if (a->score != b->score)
		return a->score > b->score;
	for (size_t t = 0; a->tf && b->tf && t < nterms; t++)
		if (a->tf[t] != b->tf[t])
			return a->tf[t] > b->tf[t];
	return a->len >= b->len;
}

/* Reverse(score). */
static bool le_score(const struct doc *a, const struct doc *b, size_t nterms)
{
	(void)nterms;
	return a->score >= b->score;
}

/* BinaryHeap::push: append, then sift up while the parent is smaller. */
static void push(struct doc *h, size_t *n, const struct doc *x, heap_le le, size_t nt)
{
	size_t pos = (*n)++;
	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (le(x, &h[parent], nt))
			break;
		h[pos] = h[parent];
		pos = parent;
	}
	h[pos] = *x;
}

/* BinaryHeap's sift_down_range(pos, end). */
static void sift_down_range(struct doc *h, size_t pos, size_t end, heap_le le, size_t nt)
{
	struct doc x = h[pos];
	size_t child = 2 * pos + 1;
	while (child + 2 <= end) {   /* child <= end.saturating_sub(2) */
		child += le(&h[child], &h[child + 1], nt);
		if (le(&h[child], &x, nt)) {
			h[pos] = x;
			return;
		}
		h[pos] = h[child];
		pos = child;
		child = 2 * pos + 1;
	}
	if (child == end - 1 && !le(&h[child], &x, nt)) {
		h[pos] = h[child];
		pos = child;
	}
	h[pos] = x;
}

/* BinaryHeap::into_sorted_vec: ascending in the heap's order. */
static void into_sorted(struct doc *h, size_t n, heap_le le, size_t nt)
{
	for (size_t end = n; end > 1;) {
		end--;
		struct doc t = h[0];
		h[0] = h[end];
		h[end] = t;
		sift_down_range(h, 0, end, le, nt);
	}
}

static int by_entity(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	return (a->e > b->e) - (a->e < b->e);
}

int bm25_heap_order(struct ranking *r, const struct bm25_corpus *c)
{
	size_t n = r->n, k = 0, m = 0;
	struct doc *d = calloc(3 * n + 1, sizeof *d), *h = d + n, *g = d + 2 * n;
	if (d == NULL)
		return -ENOMEM;
	qsort(r->v, n, sizeof *r->v, by_entity);
	for (size_t i = 0; i < n; i++) {
		long at = c ? ranking_find(&c->docs, r->v[i].e) : -1;
		d[i] = (struct doc){ .score = (float)r->v[i].score, .r = r->v[i] };
		if (at >= 0) {
			d[i].tf = &c->tf[(size_t)at * c->nterms];
			d[i].len = c->docs.v[at].score;
		}
	}
	size_t nt = c ? c->nterms : 0;
	for (size_t i = 0; i < n; i++)
		push(h, &k, &d[i], le_partition, nt);
	for (size_t i = 0; i < n; i++)   /* the partition's raw array */
		push(d, &m, &h[i], le_score, nt);
	into_sorted(d, n, le_score, nt);
	size_t gn = 0;
	for (size_t i = 0; i < n; i++)   /* the segments' merge */
		push(g, &gn, &d[i], le_score, nt);
	into_sorted(g, n, le_score, nt);
	for (size_t i = 0; i < n; i++)
		r->v[i] = g[i].r;
	free(d);
	return 0;
}
