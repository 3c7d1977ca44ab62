/*
 * adjcache.h — compact in-memory copies of adjacency ranges, for
 * traversals that would otherwise pay one B-tree descent per node.
 *
 * A range is everything the adjacency view holds under one
 * `layer | edge type | dir` prefix, copied at one snapshot: for each node
 * its entries (edge, other node, LSN, tombstone) in key order (edge
 * ascending, newest version first), found by one hash probe.  A range is
 * immutable once built and shared by reference.
 *
 * A read may use a layer's range instead of LMDB when the range holds
 * every entry the read can see (adjcache_slots.c decides):
 *  - the read's cutoff for that layer is <= the LSN the range was built
 *    at (entries are only ever added, under ever larger LSNs), or
 *  - no adjacency write to that layer and edge type has been applied
 *    since: the apply step stamps meta "adj_stamp/<layer>/<type>" with
 *    the LSN of every adjacency write, in the transaction that writes
 *    it (index/apply.c), from the LSN in meta "adj_stamp_from" on.
 * Reads through a range are the layered iterator's (layered.h): per
 * edge, the child-most layer's newest version <= its cutoff decides,
 * and a tombstone hides the edge.
 *
 * Ranges are built by a thread of the views' own, once reads of a layer
 * have missed often enough to pay for the build (a first build after
 * adjc_first_misses reads that wanted it; after a write made a range
 * stale, after as many reads as the range had entries / 16), and only
 * while the views' ranges fit the budget (grove_options.adj_cache_bytes).
 */
#ifndef GROVE_INDEX_ADJCACHE_H
#define GROVE_INDEX_ADJCACHE_H

#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/records.h"

struct views;
struct adjc;            /* a views' ranges and builder (adjcache_slots.c) */
struct adjc_range;      /* one built range (adjcache.c)                   */
struct idc_copy;        /* one type's id map (idcopy.c)                   */

#define ADJC_CHAIN_MAX 8u            /* longer chains read LMDB        */
#define ADJC_DEFAULT_BYTES (512ull << 20)

/* What one read walks: a range per layer of its chain, child first, each
 * with the cutoff of that layer (references held until adjc_release). */
struct adjc_view {
	uint32_t n;
	const struct adjc_range *r[ADJC_CHAIN_MAX];
	uint64_t cutoff[ADJC_CHAIN_MAX];
	/* Per layer: NULL, or the nodes written since its copy was made,
	 * whose edges the read must take from LMDB (adjc_node_clean). */
	const struct adjc_dirty *dirty[ADJC_CHAIN_MAX];
};

/* A 64-bit id's hash for open addressing (MurmurHash3's finalizer
 * halves): ids are dense, and their low bits alone would cluster. */
static inline size_t adjc_hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (size_t)k;
}

/* ---- adjcache.c: ranges ------------------------------------------------ */

/* Build the range of (layer, etype, dir) from `txn` (which holds
 * applied LSN `lsn`), giving up with GROVE_ELIMIT past `max_bytes` and
 * with -ECANCELED once *stop is set. */
int adjc_range_build(struct adjc_range **out, MDB_txn *txn, MDB_dbi adj, uint32_t layer,
		     uint32_t etype, uint8_t dir, uint64_t lsn, size_t max_bytes,
		     const atomic_bool *stop);
void adjc_range_ref(const struct adjc_range *r);
/* The range's dirty set (adjcache_slots.c makes it before the build's
 * snapshot, so that no write after it goes unnoted); set takes the
 * caller's reference. */
const struct adjc_dirty *adjc_range_dirty(const struct adjc_range *r);
void adjc_range_set_dirty(struct adjc_range *r, struct adjc_dirty *d);
void adjc_range_unref(const struct adjc_range *r);
uint64_t adjc_range_lsn(const struct adjc_range *r);
size_t adjc_range_bytes(const struct adjc_range *r);
size_t adjc_range_entries(const struct adjc_range *r);

/* Dirty sets: the nodes of a range that writes touched after its copy
 * was made.  Insert-only and lock-free; `full` once it holds more than
 * half its room (about 2 * expect): the copy is then stale. */
struct adjc_dirty;
struct adjc_dirty *adjc_dirty_new(size_t expect);
void adjc_dirty_ref(struct adjc_dirty *d);
void adjc_dirty_unref(struct adjc_dirty *d);
void adjc_dirty_add(struct adjc_dirty *d, uint64_t node);
bool adjc_dirty_has(const struct adjc_dirty *d, uint64_t node);
bool adjc_dirty_full(const struct adjc_dirty *d);
void adjc_dirty_spoil(struct adjc_dirty *d);  /* make it full */
size_t adjc_dirty_bytes(const struct adjc_dirty *d);
/* Whether the view's copies hold all of node's edges (no layer's dirty
 * set has it): else read them from LMDB. */
bool adjc_node_clean(const struct adjc_view *av, uint64_t node);

/* Call fn for each edge of `node` visible through the view, in edge
 * order: (edge id, the other node).  A non-zero return stops the walk
 * and is returned. */
typedef int (*adjc_fn)(void *arg, uint64_t edge, uint64_t other);
int adjc_each(const struct adjc_view *av, uint64_t node, adjc_fn fn, void *arg);

/* ---- idcopy.c: one type's part of the id map ---------------------------- */

/* Copy the id map entries of `type` (ids short enough to be whole keys:
 * IDKEY_WHOLE_MAX bytes or less); GROVE_ELIMIT past max_bytes. */
int idc_build(struct idc_copy **out, MDB_txn *txn, MDB_dbi ids, uint32_t type, size_t max_bytes,
	      const atomic_bool *stop);
void idc_ref(const struct idc_copy *c);
void idc_unref(const struct idc_copy *c);
size_t idc_bytes(const struct idc_copy *c);
size_t idc_entries(const struct idc_copy *c);
/* true and *entity when the copy has (its type, id). */
bool idc_find(const struct idc_copy *c, const void *id, uint32_t len, uint64_t *entity);

/* ---- adjcache_slots.c: which copies serve which reads -------------------- */

int adjc_open(struct adjc **out, struct views *v);
/* Stop the builder (a build in progress is abandoned) and free every
 * range; references still held are a caller's bug. */
void adjc_close(struct adjc *c);
/* Memory the ranges may take (0: none are built; ranges already built
 * stay until they go stale). */
void adjc_set_budget(struct adjc *c, uint64_t bytes);

/* 1: every layer of `chain` is served by a range for (etype, dir) at the
 * reader's snapshot `txn` (a read transaction: never a write's), *av
 * holds them; 0: not (the read uses LMDB; the miss counts toward a
 * build); <0: error. */
int adjc_acquire(struct adjc_view *av, struct adjc *c, MDB_txn *txn,
		 const struct layer_chain *chain, uint32_t etype, uint8_t dir);
void adjc_release(struct adjc_view *av);

/* 1 and *entity when type's id copy has `id` (an entity id that exists
 * now, maybe not yet at the reader's snapshot: see idcopy.c); 0: look it
 * up in LMDB (the miss counts toward a copy, or a fresher one). */
int adjc_id_lookup(uint64_t *entity, struct adjc *c, uint32_t type, const void *id, uint32_t len);

/* The adjacency puts `adj` are about to be written (the apply step,
 * before its transaction commits), to the (layer, edge type) pairs of
 * w[0, n) at their LSNs: note their nodes in the dirty sets of the
 * copies and builds of those ranges. */
struct put_batch;
struct adjc_written {
	uint32_t layer, etype;
	uint64_t lsn;
};
void adjc_note_writes(struct adjc *c, const struct put_batch *adj, const struct adjc_written *w,
		      uint32_t n);
/* The same for the keys each(src, fn, arg) hands to fn (adjbulk.c). */
typedef void (*adjc_key_fn)(void *arg, const uint8_t *key, uint32_t len);
typedef void (*adjc_keys_fn)(const void *src, adjc_key_fn fn, void *arg);
void adjc_note_keys(struct adjc *c, adjc_keys_fn each, const void *src, const struct adjc_written *w,
		    uint32_t n);

/* Tests: misses before a first build (default 64), waiting until no
 * build is queued or running, and how many ranges were built and reads
 * served since the views opened. */
extern uint32_t adjc_first_misses;
extern bool adjc_bypass;        /* set: every read uses LMDB, nothing is built */
void adjc_wait_idle(struct adjc *c);
void adjc_counts(struct adjc *c, uint64_t *built, uint64_t *served);
uint64_t adjc_ids_served(struct adjc *c);
uint64_t adjc_build_waits(struct adjc *c);  /* builds that waited for a write */

/* Stamps (index/apply.c writes them; the slots read them). */
#define ADJC_STAMP_FROM "adj_stamp_from"
#define ADJC_STAMP_KEY_MAX 40
void adjc_stamp_key(char out[ADJC_STAMP_KEY_MAX], uint32_t layer, uint32_t etype);

#endif
