/*
 * chgrun.h — entries of the changes view (`chg`), written as runs.
 *
 * The view says which entities each event changed: its key is
 * (layer u32, LSN u64, type u32, entity u64), all big-endian, so that the
 * changes between two states are a range scan per layer.  A bulk load
 * changes millions of entities whose internal ids are consecutive (they
 * are given out in effect order), so one entry may stand for a run:
 *
 *   value = op u8                    the entity `entity` alone
 *   value = op u8, count u32 (BE)    entities entity .. entity+count-1
 *
 * (op 1: put, 2: delete.)  A 3M-row load writes a few dozen entries
 * instead of 3M (110 MB of views).  Only the entities an event makes form
 * runs (their ids are given out in order, so runs never overlap); one it
 * makes and then touches again is not noted twice, and an entity that was
 * there before gets an entry of its own, so no two entries of an event
 * share a key.  Readers take the set of entities and never the op.  Views
 * written before runs existed hold only one-entity entries, which read
 * the same.
 */
#ifndef GROVE_INDEX_CHGRUN_H
#define GROVE_INDEX_CHGRUN_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "index/putbatch.h"

#define CHG_KEY_BYTES 24u

/* The run an apply is extending (per set of batches). */
struct chg_run {
	uint32_t layer, type;
	uint64_t lsn, first, count;   /* count 0: no run is open */
	uint8_t op;
};

/* Effect of event `lsn` on (type, entity) in `layer`: extend the open run
 * when this continues it, else add the open run to `b` and open another.
 * 0 or -ENOMEM. */
int chg_run_note(struct chg_run *r, struct put_batch *b, uint32_t layer, uint64_t lsn,
		 uint32_t type, uint64_t entity, uint8_t op);

/* An entry for one entity, beside any open run.  The caller sees to it
 * that no run starts at the same key (apply.c: runs are of the event's
 * new entities only, singles of older ones). */
int chg_single(struct put_batch *b, uint32_t layer, uint64_t lsn, uint32_t type, uint64_t entity,
	       uint8_t op);

/* Add the open run to `b` (before b is sorted or written). */
int chg_run_close(struct chg_run *r, struct put_batch *b);

/* Forget the open run (b's puts are being discarded). */
static inline void chg_run_drop(struct chg_run *r)
{
	r->count = 0;
}

/* An entry read back: its type, first entity and number of entities.
 * false when it is malformed. */
bool chg_entry_read(const MDB_val *k, const MDB_val *d, uint32_t *type, uint64_t *first,
		    uint64_t *count);

#endif
