/*
 * layered.h — reading a versioned, branch-layered key space.
 *
 * Every view stores keys of the form
 *
 *     layer (u32 BE) | prefix | element | ~lsn (u64 BE)
 *
 * where `prefix` picks a range (a type, or a type + node for adjacency),
 * `element` names one thing in it (an entity, an edge, a value + entity)
 * and ~lsn (bitwise NOT) makes the newest version of an element sort
 * first.  The value is the element's data at that version, or empty for a
 * tombstone.
 *
 * What a branch sees at LSN L is, for each element, the newest version
 * <= L in its own layer, else the newest version <= fork LSN in its parent
 * layer, and so on (records.h's layer_chain).  A layered iterator walks
 * every layer of a chain in element order at once (a k-way merge) and
 * yields each visible element once, child layers shadowing parents and
 * tombstones hiding what they shadow.  Cost: one seek per element per
 * layer that holds it, never a scan of invisible versions.
 */
#ifndef GROVE_INDEX_LAYERED_H
#define GROVE_INDEX_LAYERED_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "index/records.h"

#define LAYERED_KEY_MAX 511u
#define LAYERED_PREFIX_MAX 64u

struct layered_cursor;   /* one per layer, private */
struct layered_set;      /* a pool's cursors for one reader, private */

/* Cursors kept for the reads of one transaction on one database through
 * one chain (layered_open_in, layered_get_in), so a read does not open,
 * allocate and close a cursor per layer.  Reads may nest (an iterator
 * stays open while others run inside its loop): each open iterator holds
 * a set of cursors of its own and gives it back at layered_close.  Not
 * thread-safe (a transaction is one thread's). */
struct layered_pool {
	MDB_txn *txn;
	MDB_dbi dbi;
	uint32_t chain_n;            /* layers of the chain it serves */
	struct layered_set *idle;    /* sets not in use */
};

void layered_pool_init(struct layered_pool *p, MDB_txn *txn, MDB_dbi dbi, const struct layer_chain *chain);
/* Close the cursors (every iterator of the pool closed first). */
void layered_pool_fini(struct layered_pool *p);

struct layered_iter {
	MDB_txn *txn;
	MDB_dbi dbi;
	uint8_t prefix[LAYERED_PREFIX_MAX];
	uint32_t prefix_len;
	uint32_t n;
	struct layered_cursor *lc;   /* n of them, child first */
	struct layered_pool *pool;   /* where lc came from, or NULL */
	struct layered_set *set;
	/* The current element (valid after a successful layered_next). */
	const uint8_t *elem;
	uint32_t elem_len;
	MDB_val value;               /* never a tombstone */
	uint64_t lsn;                /* the version's LSN */
	uint32_t depth;              /* which chain entry it came from (0: own layer) */
	uint8_t elem_buf[LAYERED_KEY_MAX];
};

/* Start iterating the elements under `prefix` visible through `chain`,
 * from the first element >= `from` (NULL: the start). */
int layered_open(struct layered_iter *it, MDB_txn *txn, MDB_dbi dbi,
		 const struct layer_chain *chain, const void *prefix, uint32_t prefix_len,
		 const void *from, uint32_t from_len);

/* layered_open with the pool's cursors (`chain` is the pool's). */
int layered_open_in(struct layered_iter *it, struct layered_pool *pool, const struct layer_chain *chain,
		    const void *prefix, uint32_t prefix_len, const void *from, uint32_t from_len);

/* 0 and the next visible element; GROVE_ENOTFOUND at the end. */
int layered_next(struct layered_iter *it);

void layered_close(struct layered_iter *it);

/* The one visible version of exactly `elem`: 0 (value in *out, never a
 * tombstone), or GROVE_ENOTFOUND (absent or deleted). */
int layered_get(MDB_val *out, uint64_t *lsn_out, MDB_txn *txn, MDB_dbi dbi,
		const struct layer_chain *chain, const void *prefix, uint32_t prefix_len,
		const void *elem, uint32_t elem_len);
/* layered_get with a cursor of the pool (`chain` is the pool's). */
int layered_get_in(MDB_val *out, uint64_t *lsn_out, struct layered_pool *pool,
		   const struct layer_chain *chain, const void *prefix, uint32_t prefix_len,
		   const void *elem, uint32_t elem_len);

/* Big-endian fields of keys. */
static inline void layered_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void layered_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t layered_rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Build "layer | prefix | elem | ~lsn" into `out` (LAYERED_KEY_MAX bytes);
 * returns the length, or 0 if it would not fit. */
uint32_t layered_key(uint8_t *out, uint32_t layer, const void *prefix, uint32_t prefix_len,
		     const void *elem, uint32_t elem_len, uint64_t lsn);

#endif
