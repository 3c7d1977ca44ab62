/* adjbulk.c — a huge event's adjacency, written sorted at its end (see
 * adjbulk.h). */
#include "index/adjbulk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "index/hugemem.h"
#include "index/layered.h"
#include "index/putbatch.h"
#include "index/views.h"
#include "log/error.h"
#include "grove.h"

struct adj_bulk_ent {
	uint64_t node, edge, other;
};

/* `other` of a tombstone (no internal id is this big). */
#define NO_OTHER UINT64_MAX

/* A node range at most this many times the entries is counted directly;
 * a sparser one is sorted by comparison. */
#define COUNT_SPAN_PER_ENTRY 4u

#define PREFETCH_AHEAD 8u

static struct adj_bulk_list *list_of(struct adj_bulk *b, uint32_t etype, uint8_t dir)
{
	if (b->last < b->n && b->lists[b->last].etype == etype && b->lists[b->last].dir == dir)
		return &b->lists[b->last];
	for (uint32_t i = 0; i < b->n; i++)
		if (b->lists[i].etype == etype && b->lists[i].dir == dir)
			return &b->lists[b->last = i];
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? 2 * b->cap : 4;
		struct adj_bulk_list *v = realloc(b->lists, cap * sizeof *v);
		if (!v)
			return NULL;
		b->lists = v;
		b->cap = cap;
	}
	b->lists[b->n] = (struct adj_bulk_list){ .etype = etype, .dir = dir };
	return &b->lists[b->last = b->n++];
}

int adj_bulk_add(struct adj_bulk *b, uint32_t etype, uint8_t dir, uint64_t node, uint64_t edge,
		 const uint64_t *other)
{
	struct adj_bulk_list *l = list_of(b, etype, dir);
	if (!l)
		return log_error(-ENOMEM, "out of memory holding adjacency puts");
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1u << 16;
		struct adj_bulk_ent *v = hugemem_realloc(l->v, l->cap * sizeof *v, cap * sizeof *v);
		if (!v)
			return log_error(-ENOMEM, "out of memory holding adjacency puts");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct adj_bulk_ent){ node, edge, other ? *other : NO_OTHER };
	return 0;
}

size_t adj_bulk_count(const struct adj_bulk *b)
{
	size_t n = 0;
	for (uint32_t i = 0; i < b->n; i++)
		n += b->lists[i].n;
	return n;
}

void adj_bulk_clear(struct adj_bulk *b)
{
	for (uint32_t i = 0; i < b->n; i++)
		hugemem_free(b->lists[i].v, b->lists[i].cap * sizeof *b->lists[i].v);
	free(b->lists);
	bool on = b->on;
	*b = (struct adj_bulk){ .on = on };
}

/* ---- order ---------------------------------------------------------------- */

static const struct adj_bulk_ent *sort_ents;

/* By node, then edge, then the order put (the later of equal keys last). */
static int by_key(const void *x, const void *y)
{
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	const struct adj_bulk_ent *a = &sort_ents[i], *b = &sort_ents[j];
	if (a->node != b->node)
		return a->node < b->node ? -1 : 1;
	if (a->edge != b->edge)
		return a->edge < b->edge ? -1 : 1;
	return (i > j) - (i < j);
}

/* Within runs of one node (in the order put), order by edge, stably: an
 * event mostly puts a node's edges in id order already. */
static void order_edges(uint32_t *perm, size_t n, const struct adj_bulk_ent *v)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t x = perm[i];
		size_t j = i;
		while (j > 0 && v[perm[j - 1]].node == v[x].node && v[perm[j - 1]].edge > v[x].edge) {
			perm[j] = perm[j - 1];
			j--;
		}
		perm[j] = x;
	}
}

/* perm: the list's entries in key order (equal keys in the order put). */
static int order(uint32_t **out, const struct adj_bulk_list *l)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (size_t i = 0; i < l->n; i++) {
		lo = l->v[i].node < lo ? l->v[i].node : lo;
		hi = l->v[i].node > hi ? l->v[i].node : hi;
	}
	uint32_t *perm = malloc(l->n * sizeof *perm);
	if (!perm)
		return -ENOMEM;
	uint64_t span = hi - lo + 1;
	uint32_t *at = span <= (uint64_t)COUNT_SPAN_PER_ENTRY * l->n + 1024
		? calloc(span + 1, sizeof *at) : NULL;
	if (at) {
		/* A counting sort by node: stable, so a node's entries keep the
		 * order they were put in. */
		for (size_t i = 0; i < l->n; i++)
			at[l->v[i].node - lo + 1]++;
		for (uint64_t k = 1; k <= span; k++)
			at[k] += at[k - 1];
		for (size_t i = 0; i < l->n; i++)
			perm[at[l->v[i].node - lo]++] = (uint32_t)i;
		free(at);
		order_edges(perm, l->n, l->v);
	} else {
		for (size_t i = 0; i < l->n; i++)
			perm[i] = (uint32_t)i;
		sort_ents = l->v;   /* the writer's thread alone sorts */
		qsort(perm, l->n, sizeof *perm, by_key);
	}
	*out = perm;
	return 0;
}

static int list_cmp(const void *x, const void *y)
{
	const struct adj_bulk_list *a = x, *b = y;
	if (a->etype != b->etype)
		return a->etype < b->etype ? -1 : 1;
	return (a->dir > b->dir) - (a->dir < b->dir);
}

/* ---- writing -------------------------------------------------------------- */

static uint32_t make_key(uint8_t key[33], uint32_t layer, const struct adj_bulk_list *l,
			 const struct adj_bulk_ent *e, uint64_t lsn)
{
	uint8_t prefix[13], elem[8];
	layered_be32(prefix, l->etype);
	prefix[4] = l->dir;
	layered_be64(prefix + 5, e->node);
	layered_be64(elem, e->edge);
	return layered_key(key, layer, prefix, sizeof prefix, elem, sizeof elem, lsn);
}

struct keys_src {
	const struct adj_bulk *b;
	uint32_t layer;
	uint64_t lsn;
};

static void each_key(const void *src, adjc_key_fn fn, void *arg)
{
	const struct keys_src *s = src;
	uint8_t key[33];
	for (uint32_t i = 0; i < s->b->n; i++) {
		const struct adj_bulk_list *l = &s->b->lists[i];
		for (size_t k = 0; k < l->n; k++)
			fn(arg, key, make_key(key, s->layer, l, &l->v[k], s->lsn));
	}
}

/* The view's last key into key[] (*n 0: the view is empty). */
static int last_key(MDB_cursor *cur, uint8_t key[PUT_BATCH_KEY_MAX], size_t *n)
{
	MDB_val k, d;
	int rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
	*n = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return views_error(rc, "adjacency");
	if (k.mv_size > PUT_BATCH_KEY_MAX)
		return log_error(GROVE_ECORRUPT, "an adjacency key of %zu bytes", k.mv_size);
	memcpy(key, k.mv_data, k.mv_size);   /* LMDB's copy moves as the view is written */
	*n = k.mv_size;
	return 0;
}

/* Write list l in key order, appending once its keys pass the view's last
 * key; the later of equal keys wins. */
static int write_list(MDB_cursor *cur, const struct adj_bulk_list *l, uint32_t layer, uint64_t lsn)
{
	uint8_t last[PUT_BATCH_KEY_MAX], key[33], val[8];
	size_t last_n;
	uint32_t *perm;
	int err = last_key(cur, last, &last_n);
	if (err < 0)
		return err;
	if ((err = order(&perm, l)) < 0)
		return log_error(err, "out of memory sorting adjacency puts");
	bool append = last_n == 0;
	for (size_t k = 0; k < l->n && !err; k++) {
		if (k + PREFETCH_AHEAD < l->n)
			__builtin_prefetch(&l->v[perm[k + PREFETCH_AHEAD]]);
		const struct adj_bulk_ent *e = &l->v[perm[k]];
		if (k + 1 < l->n && l->v[perm[k + 1]].node == e->node && l->v[perm[k + 1]].edge == e->edge)
			continue;
		MDB_val kv = { make_key(key, layer, l, e, lsn), key }, dv = { 0, val };
		if (!append) {
			size_t m = kv.mv_size < last_n ? kv.mv_size : last_n;
			int c = memcmp(key, last, m);
			append = c > 0 || (c == 0 && kv.mv_size > last_n);
		}
		if (e->other != NO_OTHER) {
			layered_be64(val, e->other);
			dv.mv_size = 8;
		}
		int rc = mdb_cursor_put(cur, &kv, &dv, append ? MDB_APPEND : 0);
		if (rc)
			err = views_error(rc, "adjacency");
	}
	free(perm);
	return err;
}

int adj_bulk_flush(struct adj_bulk *b, MDB_txn *txn, MDB_dbi dbi, struct adjc *c, uint32_t layer,
		   uint64_t lsn)
{
	MDB_cursor *cur;
	int err = 0, rc;

	if (b->n == 0)
		return 0;
	qsort(b->lists, b->n, sizeof *b->lists, list_cmp);
	b->last = 0;
	/* The copies learn the nodes before the transaction can commit. */
	struct adjc_written *w = malloc(b->n * sizeof *w);
	if (!w) {
		adj_bulk_clear(b);
		return log_error(-ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < b->n; i++)
		w[i] = (struct adjc_written){ layer, b->lists[i].etype, lsn };
	struct keys_src src = { b, layer, lsn };
	adjc_note_keys(c, each_key, &src, w, b->n);
	free(w);
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		err = views_error(rc, "adjacency");
	for (uint32_t i = 0; i < b->n && !err; i++)
		err = write_list(cur, &b->lists[i], layer, lsn);
	if (rc == 0)
		mdb_cursor_close(cur);
	adj_bulk_clear(b);
	return err;
}
