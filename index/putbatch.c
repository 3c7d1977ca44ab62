/* putbatch.c — sorted, cursor-written batches of puts (see putbatch.h). */
#include "index/putbatch.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/hugemem.h"
#include "index/views.h"
#include "log/error.h"

/* An entry in bytes[]: this header, the key, then the value's bytes or
 * (by reference) a pointer to them. */
struct put_batch_ent {
	uint32_t vlen;
	uint16_t klen;
	uint8_t ref;
	uint8_t pad;
};
_Static_assert(sizeof(struct put_batch_ent) == 8, "put batch entry header");

/* What the sort moves: 16 key bytes after the batch's common prefix,
 * big-endian and zero padded (most comparisons end there), and where the
 * entry is in bytes[], which also orders entries as they were added. */
struct put_batch_sort {
	uint64_t hi, lo;
	uint64_t off;
};

static struct put_batch_ent head(const struct put_batch *b, uint64_t off)
{
	struct put_batch_ent h;
	memcpy(&h, b->bytes + off, sizeof h);
	return h;
}

static const uint8_t *key_of(const struct put_batch *b, uint64_t off)
{
	return b->bytes + off + sizeof(struct put_batch_ent);
}

static const uint8_t *value_of(const struct put_batch *b, uint64_t off,
			       const struct put_batch_ent *h)
{
	const uint8_t *p = key_of(b, off) + h->klen;
	if (!h->ref)
		return p;
	const uint8_t *ref;
	memcpy(&ref, p, sizeof ref);
	return ref;
}

static size_t ent_bytes(const struct put_batch_ent *h)
{
	return sizeof *h + h->klen + (h->ref ? sizeof(void *) : h->vlen);
}

void put_batch_init(struct put_batch *b, MDB_dbi dbi, const char *what)
{
	memset(b, 0, sizeof *b);
	b->dbi = dbi;
	b->what = what;
}

void put_batch_free(struct put_batch *b)
{
	hugemem_free(b->bytes, b->capbytes);
	hugemem_free(b->sort, 2 * b->cap * sizeof *b->sort);
	b->bytes = NULL;
	b->sort = NULL;
	b->sorted = NULL;
	b->n = b->cap = b->nbytes = b->capbytes = 0;
}

void put_batch_clear(struct put_batch *b)
{
	b->n = b->nbytes = 0;
	b->sorted = NULL;
}

static int grow(struct put_batch *b, size_t more, size_t more_bytes)
{
	if (b->n + more > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		while (cap < b->n + more)
			cap *= 2;
		struct put_batch_sort *t = hugemem_realloc(b->sort, 2 * b->cap * sizeof *t,
							   2 * cap * sizeof *t);
		if (!t)
			return log_error(-ENOMEM, "out of memory batching %s puts", b->what);
		b->sort = t;
		b->cap = cap;
	}
	if (b->nbytes + more_bytes > b->capbytes) {
		size_t cap = b->capbytes ? b->capbytes : 64 * 1024;
		while (cap < b->nbytes + more_bytes)
			cap *= 2;
		uint8_t *p = hugemem_realloc(b->bytes, b->capbytes, cap);
		if (!p)
			return log_error(-ENOMEM, "out of memory batching %s puts", b->what);
		b->bytes = p;
		b->capbytes = cap;
	}
	return 0;
}

int put_batch_reserve(struct put_batch *b, size_t entries, size_t bytes)
{
	return grow(b, entries, bytes);
}

static int add(struct put_batch *b, const void *k, uint32_t kn, const void *d, uint32_t dn,
	       bool copy)
{
	struct put_batch_ent h = { dn, (uint16_t)kn, !copy, 0 };
	int err;

	assert(kn >= 1 && kn <= PUT_BATCH_KEY_MAX);
	if (b->n >= UINT32_MAX)
		return log_error(GROVE_ETOOBIG, "too many %s puts in one apply", b->what);
	if ((err = grow(b, 1, ent_bytes(&h))) < 0)
		return err;
	uint8_t *p = b->bytes + b->nbytes;
	memcpy(p, &h, sizeof h);
	memcpy(p + sizeof h, k, kn);
	if (!copy)
		memcpy(p + sizeof h + kn, &d, sizeof d);
	else if (dn)
		memcpy(p + sizeof h + kn, d, dn);
	b->nbytes += ent_bytes(&h);
	b->n++;
	b->sorted = NULL;
	return 0;
}

int put_batch_add(struct put_batch *b, const void *k, uint32_t kn, const void *d, uint32_t dn)
{
	return add(b, k, kn, d, dn, true);
}

int put_batch_add_ref(struct put_batch *b, const void *k, uint32_t kn, const void *d,
		      uint32_t dn)
{
	return add(b, k, kn, d, dn, false);
}

void put_batch_each_key(const struct put_batch *b, put_batch_key_fn fn, void *arg)
{
	for (size_t off = 0; off < b->nbytes;) {
		struct put_batch_ent h = head(b, off);
		fn(arg, key_of(b, off), h.klen);
		off += ent_bytes(&h);
	}
}

/* LMDB's default order (mdb_cmp_memn): bytes, then the shorter first. */
static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an > bn) - (an < bn);
}

/* Order of entries: by key, then by the order they were added.  The
 * 16-byte window orders keys that differ in it: all keys share the common
 * prefix before it, and a key ending inside it (zero padding) is the
 * shorter one. */
static int sort_cmp(const struct put_batch_sort *a, const struct put_batch_sort *b,
		    const struct put_batch *pb)
{
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	int c = key_cmp(key_of(pb, a->off), head(pb, a->off).klen, key_of(pb, b->off),
			head(pb, b->off).klen);
	return c ? c : (a->off > b->off) - (a->off < b->off);
}

/* Offsets of the entries, in adding order, into s[]; returns the length
 * of the prefix every key shares. */
static size_t offsets(struct put_batch_sort *s, const struct put_batch *b)
{
	const uint8_t *k0 = key_of(b, 0);
	size_t cp = head(b, 0).klen;
	uint64_t off = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct put_batch_ent h = head(b, off);
		const uint8_t *k = key_of(b, off);
		size_t l = 0, m = h.klen < cp ? h.klen : cp;
		while (l < m && k[l] == k0[l])
			l++;
		cp = l;
		s[i].off = off;
		off += ent_bytes(&h);
	}
	return cp;
}

static uint64_t window(const uint8_t *k, size_t klen, size_t from)
{
	uint64_t v = 0;
	for (size_t j = from; j < from + 8; j++)
		v = v << 8 | (j < klen ? k[j] : 0);
	return v;
}

static void merge(struct put_batch_sort *out, const struct put_batch_sort *a, size_t na,
		  const struct put_batch_sort *b, size_t nb, const struct put_batch *pb)
{
	size_t i = 0, j = 0;
	/* Already in order across the seam: copy. */
	if (na && nb && sort_cmp(&a[na - 1], &b[0], pb) <= 0) {
		memcpy(out, a, na * sizeof *a);
		memcpy(out + na, b, nb * sizeof *b);
		return;
	}
	while (i < na && j < nb)
		*out++ = sort_cmp(&b[j], &a[i], pb) < 0 ? b[j++] : a[i++];
	memcpy(out, a + i, (na - i) * sizeof *a);
	memcpy(out + (na - i), b + j, (nb - j) * sizeof *b);
}

/* Stable bottom-up merge sort of src[0, n), with dst[0, n) as scratch;
 * returns whichever of the two holds the result. */
static struct put_batch_sort *merge_sort(struct put_batch_sort *src, struct put_batch_sort *dst,
					 size_t n, const struct put_batch *b)
{
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			merge(dst + lo, src + lo, mid - lo, src + mid, hi - mid, b);
		}
		struct put_batch_sort *t = src;
		src = dst;
		dst = t;
	}
	return src;
}

/* Ranges this small are merge sorted (they sit in the CPU's caches). */
#define RADIX_MIN 256u

/* Byte d of the window, the most significant first. */
static uint8_t digit(const struct put_batch_sort *e, unsigned d)
{
	return (uint8_t)((d < 8 ? e->hi >> (56 - 8 * d) : e->lo >> (56 - 8 * (d - 8))) & 0xff);
}

static void merge_sort_in_place(struct put_batch_sort *src, struct put_batch_sort *dst, size_t n,
				const struct put_batch *b)
{
	struct put_batch_sort *r = merge_sort(src, dst, n, b);
	if (r != src)
		memcpy(src, r, n * sizeof *r);
}

/* Stable MSD radix sort of src[0, n) in place (dst[0, n): scratch) from
 * window byte d on: one pass splits the range by its first byte that
 * differs into 256 buckets, in order, and each bucket is sorted the same
 * way from the next byte; small buckets, and ties over the whole window,
 * are merge sorted (sort_cmp, whose last resort is the adding order).
 * Random keys (ids, hashes) take one split and then sorts that stay in
 * the caches, where a merge sort of the whole range makes log2(n)
 * passes over memory. */
static void radix_sort(struct put_batch_sort *src, struct put_batch_sort *dst, size_t n, unsigned d,
		       const struct put_batch *b)
{
	size_t count[256];
	for (;;) {
		if (n < RADIX_MIN || d == 16) {
			merge_sort_in_place(src, dst, n, b);
			return;
		}
		memset(count, 0, sizeof count);
		for (size_t i = 0; i < n; i++)
			count[digit(&src[i], d)]++;
		if (count[digit(&src[0], d)] != n)
			break;
		d++; /* every entry has this byte: split on the next */
	}
	size_t at[256], sum = 0;
	for (unsigned v = 0; v < 256; v++) {
		at[v] = sum;
		sum += count[v];
	}
	for (size_t i = 0; i < n; i++)
		dst[at[digit(&src[i], d)]++] = src[i];
	memcpy(src, dst, n * sizeof *src);
	for (unsigned v = 0, from = 0; v < 256; from += (unsigned)count[v], v++)
		if (count[v] > 1)
			radix_sort(src + from, dst + from, count[v], d + 1, b);
}

/* Sort the entries (stable: keys added in order, as appends are, cost
 * one pass); returns the sorted array, one of the two halves of b->sort. */
static const struct put_batch_sort *sort(struct put_batch *b)
{
	struct put_batch_sort *src = b->sort, *dst = b->sort + b->cap;
	size_t cp = offsets(src, b);
	bool sorted = true;
	for (size_t i = 0; i < b->n; i++) {
		const uint8_t *k = key_of(b, src[i].off);
		size_t klen = head(b, src[i].off).klen;
		src[i].hi = window(k, klen, cp);
		src[i].lo = window(k, klen, cp + 8);
		if (i && sorted && sort_cmp(&src[i - 1], &src[i], b) > 0)
			sorted = false;
	}
	if (sorted)
		return src;
	radix_sort(src, dst, b->n, 0, b);
	return src;
}

/* The first position (in sorted order) whose key is beyond the database's
 * last key: from there on every put may append. */
static int append_from(size_t *out, struct put_batch *b, const struct put_batch_sort *s,
		       MDB_cursor *cur)
{
	MDB_val k, d;
	int rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
	if (rc == MDB_NOTFOUND) {
		*out = 0;
		return 0;
	}
	if (rc)
		return views_error(rc, b->what);
	size_t lo = 0, hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(key_of(b, s[mid].off), head(b, s[mid].off).klen, k.mv_data, k.mv_size) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*out = lo;
	return 0;
}

static bool same_key(const struct put_batch *b, const struct put_batch_sort *x,
		     const struct put_batch_sort *y)
{
	if (x->hi != y->hi || x->lo != y->lo)
		return false;
	size_t n = head(b, x->off).klen;
	return n == head(b, y->off).klen && !memcmp(key_of(b, x->off), key_of(b, y->off), n);
}

#define PREFETCH_AHEAD 8

static int write_sorted(struct put_batch *b, const struct put_batch_sort *s, MDB_cursor *cur)
{
	size_t from = 0;
	int err = append_from(&from, b, s, cur);
	for (size_t i = 0; i < b->n && !err; i++) {
		/* Sorted order visits the entries at random: fetch ahead. */
		if (i + PREFETCH_AHEAD < b->n)
			__builtin_prefetch(b->bytes + s[i + PREFETCH_AHEAD].off);
		/* Equal keys are adjacent, in adding order: the last one wins. */
		if (i + 1 < b->n && same_key(b, &s[i], &s[i + 1]))
			continue;
		struct put_batch_ent h = head(b, s[i].off);
		MDB_val k = { h.klen, (void *)key_of(b, s[i].off) };
		MDB_val d = { h.vlen, (void *)value_of(b, s[i].off, &h) };
		int rc = mdb_cursor_put(cur, &k, &d, i >= from ? MDB_APPEND : 0);
		if (rc)
			err = views_error(rc, b->what);
	}
	return err;
}

void put_batch_sort(struct put_batch *b)
{
	if (b->n && !b->sorted)
		b->sorted = sort(b);
}

int put_batch_flush(struct put_batch *b, MDB_txn *txn)
{
	MDB_cursor *cur;
	int err = 0, rc;

	if (!b->n)
		return 0;
	put_batch_sort(b);
	const struct put_batch_sort *s = b->sorted;
	if ((rc = mdb_cursor_open(txn, b->dbi, &cur)) != 0)
		err = views_error(rc, b->what);
	else {
		err = write_sorted(b, s, cur);
		mdb_cursor_close(cur);
	}
	put_batch_clear(b);
	return err;
}
