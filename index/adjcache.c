/* adjcache.c — building, finding and walking adjacency ranges (see adjcache.h). */
#include "index/adjcache.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/hugemem.h"
#include "index/layered.h"
#include "index/views.h"
#include "log/error.h"

/* One adjacency entry: the edge, the other node, and the version's LSN
 * with the top bit set for a tombstone. */
struct adjc_entry {
	uint64_t edge, other, lsn;
};
#define TOMB (1ull << 63)

/* Where a node's entries are: open addressing on the node id (0 is
 * never an entity id, so it marks a free slot). */
struct adjc_slot {
	uint64_t node;
	uint32_t start, count;
};

/* A node's entries are found through one of two indexes: where node ids
 * are dense enough (node ids share one sequence with edge ids), an array
 * of offsets by id - lo (a node's entries end where the next id's
 * start); else a hash table. */
struct adjc_range {
	atomic_uint refs;
	uint64_t lsn;                  /* applied LSN of the build's snapshot */
	struct adjc_dirty *dirty;      /* nodes written after lsn (a reference) */
	struct adjc_entry *e;
	size_t n, cap;
	uint32_t *off;                 /* dense: hi - lo + 2 offsets         */
	uint64_t lo, hi;
	struct adjc_slot *h;           /* sparse                             */
	size_t hmask;                  /* capacity - 1 (a power of two)      */
	size_t nodes;
	size_t bytes;
};

/* Ids per node with entries up to which the offsets array is used. */
#define DENSE_SPAN 8

/* The arrays are mappings of their own in huge pages (hugemem_map: a
 * walk's probes land anywhere in tens of MiB, so fewer TLB misses).
 * What a mapping of n bytes takes. */
static size_t pages(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

void adjc_stamp_key(char out[ADJC_STAMP_KEY_MAX], uint32_t layer, uint32_t etype)
{
	snprintf(out, ADJC_STAMP_KEY_MAX, "adj_stamp/%u/%u", layer, etype);
}

static void range_free(struct adjc_range *r)
{
	if (!r)
		return;
	adjc_dirty_unref(r->dirty);
	hugemem_unmap(r->e, r->cap * sizeof *r->e);
	hugemem_unmap(r->off, r->off ? (r->hi - r->lo + 2) * sizeof *r->off : 0);
	hugemem_unmap(r->h, r->h ? (r->hmask + 1) * sizeof *r->h : 0);
	free(r);
}

void adjc_range_ref(const struct adjc_range *r)
{
	atomic_fetch_add_explicit(&((struct adjc_range *)r)->refs, 1, memory_order_relaxed);
}

void adjc_range_unref(const struct adjc_range *r)
{
	struct adjc_range *m = (struct adjc_range *)r;
	if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
		range_free(m);
}

uint64_t adjc_range_lsn(const struct adjc_range *r) { return r->lsn; }
const struct adjc_dirty *adjc_range_dirty(const struct adjc_range *r) { return r->dirty; }


/* ---- dirty sets: insert-only, lock-free --------------------------------- */

struct adjc_dirty {
	atomic_uint refs;
	atomic_bool full;              /* gave up: more nodes than it holds     */
	atomic_size_t n;
	atomic_size_t limit;           /* nodes it takes before it is full      */
	size_t mask;
	_Atomic uint64_t node[];       /* 0: free (0 is never an entity id)     */
};

struct adjc_dirty *adjc_dirty_new(size_t expect)
{
	size_t cap = 1024;
	while (cap < 2 * expect && cap < ((size_t)1 << 30))
		cap *= 2;
	struct adjc_dirty *d = calloc(1, sizeof *d + cap * sizeof d->node[0]);
	if (!d)
		return NULL;
	atomic_init(&d->refs, 1);
	atomic_init(&d->limit, cap / 2);
	d->mask = cap - 1;
	return d;
}

size_t adjc_dirty_bytes(const struct adjc_dirty *d)
{
	return d ? sizeof *d + (d->mask + 1) * sizeof d->node[0] : 0;
}

void adjc_dirty_ref(struct adjc_dirty *d)
{
	atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
}

void adjc_dirty_unref(struct adjc_dirty *d)
{
	if (d && atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) == 1)
		free(d);
}

void adjc_dirty_add(struct adjc_dirty *d, uint64_t node)
{
	if (atomic_load(&d->full))
		return;
	for (size_t s = adjc_hash64(node) & d->mask;; s = (s + 1) & d->mask) {
		uint64_t was = atomic_load(&d->node[s]);
		if (was == node)
			return;
		if (was == 0) {
			if (!atomic_compare_exchange_strong(&d->node[s], &was, node)) {
				if (was == node)
					return;
				continue;  /* taken meanwhile by another node: next */
			}
			/* Half full at most: probes stay short, and a reader
			 * treats a full set as a stale copy. */
			if (atomic_fetch_add(&d->n, 1) + 1 > atomic_load(&d->limit))
				atomic_store(&d->full, true);
			return;
		}
	}
}

void adjc_dirty_spoil(struct adjc_dirty *d)
{
	atomic_store(&d->full, true);
}

bool adjc_dirty_full(const struct adjc_dirty *d)
{
	return atomic_load(&((struct adjc_dirty *)d)->full);
}

bool adjc_dirty_has(const struct adjc_dirty *d, uint64_t node)
{
	struct adjc_dirty *m = (struct adjc_dirty *)d;
	for (size_t s = adjc_hash64(node) & d->mask;; s = (s + 1) & d->mask) {
		uint64_t v = atomic_load_explicit(&m->node[s], memory_order_acquire);
		if (v == node)
			return true;
		if (v == 0)
			return false;
	}
}

void adjc_range_set_dirty(struct adjc_range *r, struct adjc_dirty *d)
{
	adjc_dirty_unref(r->dirty);
	r->dirty = d;
	if (!d)
		return;
	/* Stale past an eighth of the copy's entries (or 512 nodes). */
	size_t limit = r->n / 8 > 512 ? r->n / 8 : 512;
	if (limit < atomic_load(&d->limit))
		atomic_store(&d->limit, limit);
	if (atomic_load(&d->n) > limit)
		atomic_store(&d->full, true);
	r->bytes += adjc_dirty_bytes(d);
}

bool adjc_node_clean(const struct adjc_view *av, uint64_t node)
{
	for (uint32_t i = 0; i < av->n; i++)
		if (av->dirty[i] && adjc_dirty_has(av->dirty[i], node))
			return false;
	return true;
}
size_t adjc_range_bytes(const struct adjc_range *r) { return r->bytes; }
size_t adjc_range_entries(const struct adjc_range *r) { return r->n; }

static int push(struct adjc_range *r, const struct adjc_entry *e, size_t max_bytes)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		if (cap * sizeof *e > max_bytes)
			cap = max_bytes / sizeof *e;
		if (cap <= r->n)
			return GROVE_ELIMIT;
		struct adjc_entry *p = hugemem_remap(r->e, r->cap * sizeof *p, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		r->e = p;
		r->cap = cap;
	}
	r->e[r->n++] = *e;
	return 0;
}

static int index_dense(struct adjc_range *r, const uint64_t *node_of, size_t max_bytes)
{
	size_t span = r->hi - r->lo + 1;
	r->bytes = pages(r->cap * sizeof *r->e) + pages((span + 1) * sizeof *r->off);
	if (r->bytes > max_bytes)
		return GROVE_ELIMIT;
	if (!(r->off = hugemem_map((span + 1) * sizeof *r->off)))
		return -ENOMEM;
	/* off[k]: the first entry of node lo + k, or of the next node. */
	size_t i = 0;
	for (size_t k = 0; k <= span; k++) {
		while (i < r->n && node_of[i] < r->lo + k)
			i++;
		r->off[k] = (uint32_t)i;
	}
	return 0;
}

/* The node index over the entries (sorted by node, so each node's are
 * one run). */
static int index_nodes(struct adjc_range *r, const uint64_t *node_of, size_t max_bytes)
{
	if (r->n == 0)
		return 0;
	r->lo = node_of[0];
	r->hi = node_of[r->n - 1];
	if ((r->hi - r->lo) / DENSE_SPAN < r->nodes)
		return index_dense(r, node_of, max_bytes);
	size_t cap = 16;
	while (cap < 2 * r->nodes)
		cap *= 2;
	r->bytes = pages(r->cap * sizeof *r->e) + pages(cap * sizeof *r->h);
	if (r->bytes > max_bytes)
		return GROVE_ELIMIT;
	if (!(r->h = hugemem_map(cap * sizeof *r->h)))  /* zeroed */
		return -ENOMEM;
	r->hmask = cap - 1;
	for (size_t i = 0; i < r->n;) {
		size_t j = i;
		while (j < r->n && node_of[j] == node_of[i])
			j++;
		size_t s = adjc_hash64(node_of[i]) & r->hmask;
		while (r->h[s].node)
			s = (s + 1) & r->hmask;
		r->h[s] = (struct adjc_slot){ node_of[i], (uint32_t)i, (uint32_t)(j - i) };
		i = j;
	}
	return 0;
}

/* Copy the range's entries (and, beside them, each entry's node). */
static int copy_entries(struct adjc_range *r, uint64_t **node_of, MDB_txn *txn, MDB_dbi adj,
			const uint8_t head[9], size_t max_bytes, const atomic_bool *stop)
{
	MDB_cursor *cur;
	MDB_val k = { 9, (void *)head }, d;
	size_t ncap = 0;
	int rc = mdb_cursor_open(txn, adj, &cur), err = 0;
	if (rc)
		return views_error(rc, "adjacency cache");
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && !err;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		if (k.mv_size < 9 || memcmp(p, head, 9) != 0)
			break;
		if (k.mv_size != 33 || (d.mv_size != 8 && d.mv_size != 0)) {
			err = log_error(GROVE_ECORRUPT, "an adjacency entry is malformed");
			break;
		}
		if ((r->n & 0xffff) == 0 && atomic_load_explicit(stop, memory_order_relaxed)) {
			err = -ECANCELED;
			break;
		}
		uint64_t node = layered_rd64(p + 9), lsn = ~layered_rd64(p + 25);
		struct adjc_entry e = { layered_rd64(p + 17), d.mv_size ? layered_rd64(d.mv_data) : 0,
					(lsn & ~TOMB) | (d.mv_size ? 0 : TOMB) };
		if (r->n == ncap) {
			ncap = ncap ? 2 * ncap : 4096;
			uint64_t *q = realloc(*node_of, ncap * sizeof *q);
			if (!q) {
				err = -ENOMEM;
				break;
			}
			*node_of = q;
		}
		/* The node of each entry is kept beside them while building
		 * (8 bytes more an entry): within the budget too. */
		if ((r->n + 1) * (sizeof(struct adjc_entry) + 8) > max_bytes) {
			err = GROVE_ELIMIT;
			break;
		}
		(*node_of)[r->n] = node;
		if (r->n == 0 || node != (*node_of)[r->n - 1])
			r->nodes++;
		err = push(r, &e, max_bytes);
	}
	mdb_cursor_close(cur);
	if (!err && rc && rc != MDB_NOTFOUND)
		err = views_error(rc, "adjacency cache");
	if (!err && r->n > UINT32_MAX)
		err = GROVE_ELIMIT;
	return err;
}

int adjc_range_build(struct adjc_range **out, MDB_txn *txn, MDB_dbi adj, uint32_t layer,
		     uint32_t etype, uint8_t dir, uint64_t lsn, size_t max_bytes,
		     const atomic_bool *stop)
{
	struct adjc_range *r = calloc(1, sizeof *r);
	uint64_t *node_of = NULL;
	uint8_t head[9];
	int err;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	layered_be32(head, layer);
	layered_be32(head + 4, etype);
	head[8] = dir;
	r->lsn = lsn;
	if ((err = copy_entries(r, &node_of, txn, adj, head, max_bytes, stop)) == 0 &&
	    pages(r->n * sizeof *r->e) < pages(r->cap * sizeof *r->e)) {
		/* Give back what the doubling over-allocated. */
		size_t cap = r->n ? r->n : 1;
		struct adjc_entry *e = hugemem_remap(r->e, r->cap * sizeof *e, cap * sizeof *e);
		if (e) {
			r->e = e;
			r->cap = cap;
		}
	}
	if (!err)
		err = index_nodes(r, node_of, max_bytes);
	free(node_of);
	if (err < 0) {
		range_free(r);
		return err;
	}
	atomic_init(&r->refs, 1);
	*out = r;
	return 0;
}

static const struct adjc_entry *node_entries(const struct adjc_range *r, uint64_t node, size_t *n)
{
	if (r->off) {
		if (node < r->lo || node > r->hi) {
			*n = 0;
			return NULL;
		}
		const uint32_t *o = r->off + (node - r->lo);
		*n = o[1] - o[0];
		return r->e + o[0];
	}
	if (!r->h) {
		*n = 0;
		return NULL;
	}
	size_t s = adjc_hash64(node) & r->hmask;
	for (;;) {
		const struct adjc_slot *h = &r->h[s];
		if (h->node == node) {
			*n = h->count;
			return r->e + h->start;
		}
		if (h->node == 0) {
			*n = 0;
			return NULL;
		}
		s = (s + 1) & r->hmask;
	}
}

/* One layer's position in a node's entries. */
struct pos {
	const struct adjc_entry *at, *end;
	uint64_t cutoff;
};

/* On the newest version <= cutoff of the first edge at or after `at`
 * (entries run edge ascending, newest first): skip versions too new. */
static void settle(struct pos *p)
{
	while (p->at < p->end && (p->at->lsn & ~TOMB) > p->cutoff)
		p->at++;
}

static void skip_edge(struct pos *p, uint64_t edge)
{
	while (p->at < p->end && p->at->edge == edge)
		p->at++;
	settle(p);
}

int adjc_each(const struct adjc_view *av, uint64_t node, adjc_fn fn, void *arg)
{
	struct pos p[ADJC_CHAIN_MAX];
	for (uint32_t i = 0; i < av->n; i++) {
		size_t n;
		p[i].at = node_entries(av->r[i], node, &n);
		p[i].end = n ? p[i].at + n : p[i].at;
		p[i].cutoff = av->cutoff[i];
		settle(&p[i]);
	}
	for (;;) {
		int best = -1;
		for (uint32_t i = 0; i < av->n; i++)
			if (p[i].at < p[i].end && (best < 0 || p[i].at->edge < p[best].at->edge))
				best = (int)i;
		if (best < 0)
			return 0;
		/* The child-most layer holding the edge decides (ties keep the
		 * first, the child-most). */
		struct adjc_entry e = *p[best].at;
		for (uint32_t i = (uint32_t)best; i < av->n; i++)
			if (p[i].at < p[i].end && p[i].at->edge == e.edge)
				skip_edge(&p[i], e.edge);
		int rc;
		if (!(e.lsn & TOMB) && (rc = fn(arg, e.edge, e.other)) != 0)
			return rc;
	}
}
