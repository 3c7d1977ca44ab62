/* layered.c — k-way merge over branch layers (see layered.h). */
#include "index/layered.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "log/error.h"

struct layered_cursor {
	MDB_cursor *cur;
	uint32_t layer;
	uint64_t cutoff;
	bool done;
	/* Current candidate: the newest version <= cutoff of some element. */
	MDB_val key, val;
};

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

uint32_t layered_key(uint8_t *out, uint32_t layer, const void *prefix, uint32_t prefix_len,
		     const void *elem, uint32_t elem_len, uint64_t lsn)
{
	uint32_t n = 4 + prefix_len + elem_len + 8;
	if (n > LAYERED_KEY_MAX)
		return 0;
	put_be32(out, layer);
	memcpy(out + 4, prefix, prefix_len);
	if (elem_len)
		memcpy(out + 4 + prefix_len, elem, elem_len);
	put_be64(out + 4 + prefix_len + elem_len, ~lsn);
	return n;
}

/* Does `k` belong to this layer and prefix? */
static bool in_range(const struct layered_iter *it, const struct layered_cursor *lc,
		     const MDB_val *k)
{
	uint8_t head[4];
	put_be32(head, lc->layer);
	return k->mv_size >= 4 + it->prefix_len + 8 && memcmp(k->mv_data, head, 4) == 0 &&
	       memcmp((uint8_t *)k->mv_data + 4, it->prefix, it->prefix_len) == 0;
}

static uint32_t elem_len_of(const struct layered_iter *it, const MDB_val *k)
{
	return (uint32_t)(k->mv_size - 4 - it->prefix_len - 8);
}

static const uint8_t *elem_of(const struct layered_iter *it, const MDB_val *k)
{
	return (const uint8_t *)k->mv_data + 4 + it->prefix_len;
}

static int seek(struct layered_cursor *lc, uint8_t *key, uint32_t n)
{
	lc->key = (MDB_val){ n, key };
	int rc = mdb_cursor_get(lc->cur, &lc->key, &lc->val, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND) {
		lc->done = true;
		return 0;
	}
	return rc ? views_error(rc, "layered seek") : 0;
}

/* From the cursor's current key, move to the newest version <= cutoff of
 * the first element at or after it. */
static int settle(struct layered_iter *it, struct layered_cursor *lc)
{
	uint8_t key[LAYERED_KEY_MAX];
	int err;

	while (!lc->done) {
		if (!in_range(it, lc, &lc->key)) {
			lc->done = true;
			break;
		}
		uint64_t lsn = ~get_be64((uint8_t *)lc->key.mv_data + lc->key.mv_size - 8);
		if (lsn <= lc->cutoff)
			return 0;
		/* Too new: jump to this element's versions <= cutoff. */
		uint32_t n = layered_key(key, lc->layer, it->prefix, it->prefix_len,
					 elem_of(it, &lc->key), elem_len_of(it, &lc->key), lc->cutoff);
		assert(n);
		if ((err = seek(lc, key, n)) < 0)
			return err;
	}
	return 0;
}

/* LMDB's default key order (memcmp, then the shorter first) of `a`
 * against the key past every version of the element of
 * `cur` (n bytes): its first n - 8 bytes, then ~lsn of LSN 0, all ones. */
static int past_cmp(const MDB_val *a, const uint8_t *cur, uint32_t n)
{
	const uint8_t *k = a->mv_data;
	size_t m = a->mv_size < n ? a->mv_size : n, p = m < n - 8 ? m : n - 8;
	int c = memcmp(k, cur, p);
	if (c)
		return c;
	for (size_t i = p; i < m; i++)
		if (k[i] != 0xff)
			return -1;
	return (a->mv_size > n) - (a->mv_size < n);
}

/* Move past every version of the current element.  An element has few
 * versions, so stepping forward reaches the first key past them sooner
 * than a seek from the root: up to SKIP_STEPS steps, then the seek.  The
 * first key >= the target is what the seek would find.  The current key
 * is compared where it lies: LMDB memory stays put while nothing is
 * written, and nothing is written here. */
#define SKIP_STEPS 4
static int skip_element(struct layered_iter *it, struct layered_cursor *lc)
{
	const uint8_t *cur = lc->key.mv_data;
	uint32_t n = (uint32_t)lc->key.mv_size;
	assert(n >= 8 && n <= LAYERED_KEY_MAX);
	for (int step = 0; step < SKIP_STEPS; step++) {
		int rc = mdb_cursor_get(lc->cur, &lc->key, &lc->val, MDB_NEXT);
		if (rc == MDB_NOTFOUND) {
			lc->done = true;
			return 0;
		}
		if (rc)
			return views_error(rc, "layered step");
		if (past_cmp(&lc->key, cur, n) >= 0)
			return settle(it, lc);
	}
	uint8_t key[LAYERED_KEY_MAX];
	memcpy(key, cur, n - 8);
	memset(key + n - 8, 0xff, 8);
	int err = seek(lc, key, n);
	return err < 0 ? err : settle(it, lc);
}

static int elem_cmp(const struct layered_iter *it, const MDB_val *a, const MDB_val *b)
{
	uint32_t la = elem_len_of(it, a), lb = elem_len_of(it, b);
	int c = memcmp(elem_of(it, a), elem_of(it, b), la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

/* Start it over `prefix` (its cursors are not set yet). */
static int iter_begin(struct layered_iter *it, MDB_txn *txn, MDB_dbi dbi, const void *prefix,
		      uint32_t prefix_len)
{
	memset(it, 0, offsetof(struct layered_iter, elem_buf));
	if (prefix_len > LAYERED_PREFIX_MAX)
		return log_error(GROVE_EINVAL, "layered prefix too long");
	it->txn = txn;
	it->dbi = dbi;
	memcpy(it->prefix, prefix, prefix_len);
	it->prefix_len = prefix_len;
	return 0;
}

/* Put each layer's cursor (open, it->n of them) on the newest version
 * <= its cutoff of the first element >= `from`. */
static int position(struct layered_iter *it, const struct layer_chain *chain, const void *from,
		    uint32_t from_len)
{
	uint8_t key[LAYERED_KEY_MAX];
	int err;

	assert(it->n == chain->n);
	for (uint32_t i = 0; i < chain->n; i++) {
		struct layered_cursor *lc = &it->lc[i];
		lc->layer = chain->at[i].layer;
		lc->cutoff = chain->at[i].cutoff;
		lc->done = false;
		/* The first key of `from` (or the prefix) at any version. */
		uint32_t n = layered_key(key, lc->layer, it->prefix, it->prefix_len, from,
					 from ? from_len : 0, UINT64_MAX);
		if (!n)
			return log_error(GROVE_ETOOBIG, "key too long");
		if ((err = seek(lc, key, n - 8)) < 0 || (err = settle(it, lc)) < 0)
			return err;
	}
	return 0;
}

int layered_open(struct layered_iter *it, MDB_txn *txn, MDB_dbi dbi,
		 const struct layer_chain *chain, const void *prefix, uint32_t prefix_len,
		 const void *from, uint32_t from_len)
{
	int rc, err = iter_begin(it, txn, dbi, prefix, prefix_len);

	if (err < 0)
		return err;
	it->lc = calloc(chain->n ? chain->n : 1, sizeof *it->lc);
	if (!it->lc)
		return log_error(GROVE_ETOOBIG, "out of memory for %u cursors", chain->n);
	for (uint32_t i = 0; i < chain->n; i++) {
		if ((rc = mdb_cursor_open(txn, dbi, &it->lc[i].cur)) != 0) {
			layered_close(it);
			return views_error(rc, "layered cursor");
		}
		it->n = i + 1;
	}
	if ((err = position(it, chain, from, from_len)) < 0)
		layered_close(it);
	return err;
}

/* ---- pools ---------------------------------------------------------------- */

struct layered_set {
	struct layered_set *next;
	struct layered_cursor lc[];  /* the pool's chain_n, cursors open */
};

static void set_free(struct layered_set *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (s->lc[i].cur)
			mdb_cursor_close(s->lc[i].cur);
	free(s);
}

void layered_pool_init(struct layered_pool *p, MDB_txn *txn, MDB_dbi dbi, const struct layer_chain *chain)
{
	*p = (struct layered_pool){ .txn = txn, .dbi = dbi, .chain_n = chain->n };
}

void layered_pool_fini(struct layered_pool *p)
{
	while (p->idle) {
		struct layered_set *s = p->idle;
		p->idle = s->next;
		set_free(s, p->chain_n);
	}
}

/* An idle set, or a new one with its cursors open. */
static int set_take(struct layered_set **out, struct layered_pool *p)
{
	struct layered_set *s = p->idle;

	if (s) {
		p->idle = s->next;
		*out = s;
		return 0;
	}
	s = calloc(1, sizeof *s + (p->chain_n ? p->chain_n : 1) * sizeof s->lc[0]);
	if (!s)
		return log_error(GROVE_ETOOBIG, "out of memory for %u cursors", p->chain_n);
	for (uint32_t i = 0; i < p->chain_n; i++) {
		int rc = mdb_cursor_open(p->txn, p->dbi, &s->lc[i].cur);
		if (rc) {
			set_free(s, p->chain_n);
			return views_error(rc, "layered cursor");
		}
	}
	*out = s;
	return 0;
}

static void set_give(struct layered_pool *p, struct layered_set *s)
{
	s->next = p->idle;
	p->idle = s;
}

int layered_open_in(struct layered_iter *it, struct layered_pool *pool, const struct layer_chain *chain,
		    const void *prefix, uint32_t prefix_len, const void *from, uint32_t from_len)
{
	int err = iter_begin(it, pool->txn, pool->dbi, prefix, prefix_len);

	assert(chain->n == pool->chain_n);
	if (err < 0 || (err = set_take(&it->set, pool)) < 0)
		return err;
	it->pool = pool;
	it->lc = it->set->lc;
	it->n = chain->n;
	if ((err = position(it, chain, from, from_len)) < 0)
		layered_close(it);
	return err;
}

/* Move every cursor holding w's element past it. */
static int skip_everywhere(struct layered_iter *it, const struct layered_cursor *w)
{
	MDB_val cur = { w->key.mv_size, NULL };
	uint8_t curkey[LAYERED_KEY_MAX];
	int err;

	cur.mv_data = curkey;
	memcpy(curkey, w->key.mv_data, cur.mv_size);
	for (uint32_t i = 0; i < it->n; i++)
		if (!it->lc[i].done && elem_cmp(it, &it->lc[i].key, &cur) == 0)
			if ((err = skip_element(it, &it->lc[i])) < 0)
				return err;
	return 0;
}

int layered_next(struct layered_iter *it)
{
	int err;

	for (;;) {
		int best = -1;
		for (uint32_t i = 0; i < it->n; i++)
			if (!it->lc[i].done &&
			    (best < 0 || elem_cmp(it, &it->lc[i].key, &it->lc[best].key) < 0))
				best = (int)i;
		if (best < 0)
			return GROVE_ENOTFOUND;
		/* The child-most layer holding this element decides (best is
		 * the lowest index among equals, since ties keep the first). */
		struct layered_cursor *w = &it->lc[best];
		it->elem_len = elem_len_of(it, &w->key);
		it->value = w->val;
		it->lsn = ~get_be64((uint8_t *)w->key.mv_data + w->key.mv_size - 8);
		it->depth = (uint32_t)best;
		/* Keep a copy of the element: advancing cursors moves keys. */
		memcpy(it->elem_buf, elem_of(it, &w->key), it->elem_len);
		it->elem = it->elem_buf;
		/* One layer: no other cursor can hold the element. */
		if ((err = it->n == 1 ? skip_element(it, w) : skip_everywhere(it, w)) < 0)
			return err;
		if (it->value.mv_size > 0)
			return 0;
		/* A tombstone: the element is deleted here; look further. */
	}
}

void layered_close(struct layered_iter *it)
{
	if (it->pool) {
		set_give(it->pool, it->set);
		it->pool = NULL;
		it->set = NULL;
	} else {
		for (uint32_t i = 0; i < it->n; i++)
			if (it->lc[i].cur)
				mdb_cursor_close(it->lc[i].cur);
		free(it->lc);
	}
	it->lc = NULL;
	it->n = 0;
}

/* layered_get with an open cursor (any position). */
static int get_with(MDB_val *out, uint64_t *lsn_out, MDB_cursor *cur, const struct layer_chain *chain,
		    const void *prefix, uint32_t prefix_len, const void *elem, uint32_t elem_len)
{
	uint8_t key[LAYERED_KEY_MAX];
	int rc = 0;

	for (uint32_t i = 0; i < chain->n; i++) {
		uint32_t n = layered_key(key, chain->at[i].layer, prefix, prefix_len, elem, elem_len,
					 chain->at[i].cutoff);
		MDB_val k = { n, key }, d;
		if (!n)
			return log_error(GROVE_ETOOBIG, "key too long");
		rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
		if (rc == MDB_NOTFOUND)
			continue;
		if (rc)
			break;
		/* Same layer, prefix and element, any version (<= cutoff by
		 * construction of the seek)? */
		if (k.mv_size == n && memcmp(k.mv_data, key, n - 8) == 0) {
			if (d.mv_size == 0)
				return GROVE_ENOTFOUND; /* deleted at this level */
			*out = d;
			if (lsn_out)
				*lsn_out = ~get_be64((uint8_t *)k.mv_data + n - 8);
			return 0;
		}
	}
	return rc && rc != MDB_NOTFOUND ? views_error(rc, "layered get") : GROVE_ENOTFOUND;
}

int layered_get(MDB_val *out, uint64_t *lsn_out, MDB_txn *txn, MDB_dbi dbi,
		const struct layer_chain *chain, const void *prefix, uint32_t prefix_len,
		const void *elem, uint32_t elem_len)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, dbi, &cur);

	if (rc)
		return views_error(rc, "layered get");
	int err = get_with(out, lsn_out, cur, chain, prefix, prefix_len, elem, elem_len);
	mdb_cursor_close(cur);
	return err;
}

int layered_get_in(MDB_val *out, uint64_t *lsn_out, struct layered_pool *pool,
		   const struct layer_chain *chain, const void *prefix, uint32_t prefix_len,
		   const void *elem, uint32_t elem_len)
{
	struct layered_set *s;
	int err;

	assert(chain->n == pool->chain_n);
	if (chain->n == 0)
		return GROVE_ENOTFOUND;
	if ((err = set_take(&s, pool)) < 0)
		return err;
	err = get_with(out, lsn_out, s->lc[0].cur, chain, prefix, prefix_len, elem, elem_len);
	set_give(pool, s);
	return err;
}
