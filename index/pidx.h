/*
 * pidx.h — property indexes (@index, @unique): versioned, layered entries
 *
 *     layer | type | index no | value tuple | entity | ~lsn  ->  "\1" or tombstone
 *
 * kept in step with rows by the apply step.  Index numbers: 1 + position
 * in the type's @index sets, 0x10000 + position in its @unique sets.  A
 * tuple with a NULL member is not indexed; the @key set is not indexed here
 * (the global id map answers key lookups).  Values use index/keys.h's
 * order-preserving encoding, so a range of values is a range of keys.
 */
#ifndef GROVE_INDEX_PIDX_H
#define GROVE_INDEX_PIDX_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "index/putbatch.h"
#include "index/views.h"
#include "lang/catalog.h"

#define PIDX_UNIQUE_BASE 0x10000u

/* Update t's indexes for entity `e` of layer `layer` at `lsn` from `old`
 * (the visible row before, or NULL) to `now` (the new row, or NULL for a
 * delete): the puts go to batch `out` (the pidx view's). */
int pidx_update(struct put_batch *out, uint32_t layer, const struct lang_cat_type *t,
		uint64_t e, uint64_t lsn, const MDB_val *old, const MDB_val *now);

/* After a schema change in `layer` (the only layer a migration may find
 * live, main's): every type whose @index/@unique sets changed — added,
 * removed, reordered, so their numbers moved — gets its entries deleted
 * and derived again from its rows, every version in order, with `cat`'s
 * sets, as the applies that wrote the rows would have under `cat`. */
int pidx_rebuild(MDB_txn *txn, const struct views *v, uint32_t layer, const struct lang_catalog *old,
		 const struct lang_catalog *cat);

/* The rebuild writes its entries whenever they pass this many bytes
 * (64 MiB; tests lower it). */
extern size_t pidx_rebuild_flush_bytes;

#endif
