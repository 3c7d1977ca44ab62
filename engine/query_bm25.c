/*
 * engine/query_bm25.c — the order of equal BM25 scores.
 *
 * OmniGraph 0.10 leaves a full-text search's order to Lance 10, which
 * passes the matches through three of Rust's binary heaps (std's
 * BinaryHeap): the index partition's WAND search pushes every match in
 * document order into a heap of (score, [(token id, frequency)...],
 * length), keyed in reverse, and hands on its raw array; the partition's search pushes
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
	const uint32_t *terms;            /* (token id, frequency) pairs,
	                                   * by token id                      */
	uint32_t nterms;
	double len;
	struct ranked r;
};

/* a <= b in a heap's order. */
typedef bool (*heap_le)(const struct doc *a, const struct doc *b);

/* Rust's order of the pair lists: pair by pair, then the shorter first. */
static int terms_cmp(const struct doc *a, const struct doc *b)
{
	for (uint32_t i = 0; i < 2 * a->nterms && i < 2 * b->nterms; i++)
		if (a->terms[i] != b->terms[i])
			return a->terms[i] < b->terms[i] ? -1 : 1;
	return (a->nterms > b->nterms) - (a->nterms < b->nterms);
}

/* Reverse((score, pairs, length)): a <= b when a's tuple >= b's. */
static bool le_partition(const struct doc *a, const struct doc *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	int c = terms_cmp(a, b);
	return c != 0 ? c > 0 : a->len >= b->len;
}

/* Reverse(score). */
static bool le_score(const struct doc *a, const struct doc *b)
{
	return a->score >= b->score;
}

/* BinaryHeap::push: append, then sift up while the parent is smaller. */
static void push(struct doc *h, size_t *n, const struct doc *x, heap_le le)
{
	size_t pos = (*n)++;
	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (le(x, &h[parent]))
			break;
		h[pos] = h[parent];
		pos = parent;
	}
	h[pos] = *x;
}

/* BinaryHeap's sift_down_range(pos, end). */
static void sift_down_range(struct doc *h, size_t pos, size_t end, heap_le le)
{
	struct doc x = h[pos];
	size_t child = 2 * pos + 1;
	while (child + 2 <= end) {   /* child <= end.saturating_sub(2) */
		child += le(&h[child], &h[child + 1]);
		if (le(&h[child], &x)) {
			h[pos] = x;
			return;
		}
		h[pos] = h[child];
		pos = child;
		child = 2 * pos + 1;
	}
	if (child == end - 1 && !le(&h[child], &x)) {
		h[pos] = h[child];
		pos = child;
	}
	h[pos] = x;
}

/* BinaryHeap::into_sorted_vec: ascending in the heap's order. */
static void into_sorted(struct doc *h, size_t n, heap_le le)
{
	for (size_t end = n; end > 1;) {
		end--;
		struct doc t = h[0];
		h[0] = h[end];
		h[end] = t;
		sift_down_range(h, 0, end, le);
	}
}

static int by_entity(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	return (a->e > b->e) - (a->e < b->e);
}

/* Document i's (token id, frequency) pairs into out, by token id. */
static uint32_t doc_terms(const struct bm25_corpus *c, long at, uint32_t *out)
{
	uint32_t n = 0;
	for (size_t t = 0; t < c->nterms; t++) {
		double tf = c->tf[(size_t)at * c->nterms + t];
		if (tf <= 0)
			continue;
		uint32_t i = n++;
		for (; i > 0 && out[2 * (i - 1)] > c->token_id[t]; i--) {
			out[2 * i] = out[2 * (i - 1)];
			out[2 * i + 1] = out[2 * (i - 1) + 1];
		}
		out[2 * i] = c->token_id[t];
		out[2 * i + 1] = (uint32_t)tf;
	}
	return n;
}

int bm25_heap_order(struct ranking *r, const struct bm25_corpus *c)
{
	size_t n = r->n, nt = c ? c->nterms : 0, kept = 0, merged = 0;
	struct doc *docs = calloc(3 * n + 1, sizeof *docs), *part = docs + n, *seg = docs + 2 * n;
	uint32_t *pairs = calloc(2 * n * nt + 1, sizeof *pairs);
	if (docs == NULL || pairs == NULL) {
		free(docs);
		free(pairs);
		return -ENOMEM;
	}
	qsort(r->v, n, sizeof *r->v, by_entity);
	for (size_t i = 0; i < n; i++) {
		long at = c ? ranking_find(&c->docs, r->v[i].e) : -1;
		docs[i] = (struct doc){ .score = (float)r->v[i].score, .terms = pairs + 2 * i * nt,
		                        .r = r->v[i] };
		if (at >= 0) {
			docs[i].nterms = doc_terms(c, at, pairs + 2 * i * nt);
			docs[i].len = c->docs.v[at].score;
		}
	}
	for (size_t i = 0; i < n; i++)   /* the partition's WAND heap */
		push(part, &kept, &docs[i], le_partition);
	for (size_t i = 0; i < n; i++)   /* its raw array, into the search's */
		push(seg, &merged, &part[i], le_score);
	into_sorted(seg, n, le_score);
	kept = 0;
	for (size_t i = 0; i < n; i++)   /* the segments' merge */
		push(part, &kept, &seg[i], le_score);
	into_sorted(part, n, le_score);
	for (size_t i = 0; i < n; i++)
		r->v[i] = part[i].r;
	free(pairs);
	free(docs);
	return 0;
}
