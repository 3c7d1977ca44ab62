/*
 * putbatch.h — puts into one named database, gathered while an apply step
 * runs and written at its end in key order.
 *
 * Why: an apply writes keys in effect order, which for most views is no
 * order at all (random node ids in adjacency, user ids in the id map).
 * Each such put is a descent from the root.  Written sorted through one
 * cursor, consecutive keys mostly land on the page the cursor is already
 * on (LMDB then searches that page only), and keys beyond the end of the
 * database are appended (MDB_APPEND: no search, and full pages instead of
 * half-full ones when they split).
 *
 * Only for views that nothing reads back before the batch is flushed.
 * The same key added twice keeps the last value, exactly as two puts in
 * that order would.
 */
#ifndef GROVE_INDEX_PUTBATCH_H
#define GROVE_INDEX_PUTBATCH_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#define PUT_BATCH_KEY_MAX 511u       /* LMDB's default key limit */

struct put_batch_sort;               /* private */

struct put_batch {
	MDB_dbi dbi;
	const char *what;                /* names the view in errors */
	uint8_t *bytes;                  /* the entries: keys and values */
	size_t nbytes, capbytes;
	size_t n, cap;                   /* entries; room in sort */
	struct put_batch_sort *sort;     /* 2 * cap: sorting space */
	const struct put_batch_sort *sorted; /* the entries in order, or NULL */
};

void put_batch_init(struct put_batch *b, MDB_dbi dbi, const char *what);
void put_batch_free(struct put_batch *b);

/* Add a put of key k (kn bytes, 1..PUT_BATCH_KEY_MAX) and value d (dn
 * bytes), both copied.  put_batch_add_ref does not copy the value: it
 * must stay valid until the flush. */
int put_batch_add(struct put_batch *b, const void *k, uint32_t kn, const void *d, uint32_t dn);
int put_batch_add_ref(struct put_batch *b, const void *k, uint32_t kn, const void *d,
		      uint32_t dn);

/* Make room for `entries` more puts of `bytes` in all (keys and copied
 * values, plus 8 bytes each). */
int put_batch_reserve(struct put_batch *b, size_t entries, size_t bytes);

/* Call fn for the key of every put added since the last flush, in the
 * order they were added. */
typedef void (*put_batch_key_fn)(void *arg, const uint8_t *key, uint32_t len);
void put_batch_each_key(const struct put_batch *b, put_batch_key_fn fn, void *arg);

/* Forget every put added since the last flush (the apply failed). */
void put_batch_clear(struct put_batch *b);

/* Put the entries in key order now (needs no transaction, so another
 * thread may do it); a put added later undoes it.  A flush sorts what
 * is not sorted. */
void put_batch_sort(struct put_batch *b);

/* Write every put in key order inside `txn` and empty the batch (its
 * memory is kept for the next use).  On error the batch is emptied too. */
int put_batch_flush(struct put_batch *b, MDB_txn *txn);

#endif
