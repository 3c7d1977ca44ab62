/*
 * schemas.h — the catalog history of the views: what a schema apply after
 * genesis writes, and how a read finds the catalog in force at an LSN.
 *
 * Keys in the meta database:
 *
 *   "catalog"                   the catalog in force (msgpack, catalog.h)
 *   "schema"                    its .pg text
 *   "catalog@<lsn, 20 digits>"  the catalog in force from that LSN on.
 *                               Every schema apply after genesis writes
 *                               one; the first also records the catalog it
 *                               replaced under LSN 0 ("since the start").
 *                               A graph never migrated has none: its one
 *                               catalog is "catalog".
 *   "dropped@<type id, 10 digits>"
 *                               u64: the LSN of the apply whose hard drop
 *                               (allow_data_loss) made that type's history
 *                               before it unreachable.
 *
 * Decimal digits, zero-padded, so LMDB's byte order is numeric order and a
 * cursor finds "the newest catalog at or before LSN L" with one seek.
 *
 * A schema apply event carries the new schema text and the plan
 * (lang_plan_encode).  Applying it evolves the views' own catalog with the
 * text (lang_schema_evolve: the same function the engine planned with, so
 * the same ids), checks the result against the hash the plan carries, and
 * makes one commit on main (parent: main's head) that moves main's head.
 * No row changes: ids are stable, so renames and added properties read
 * the old rows as they are (row.h).
 */
#ifndef GROVE_INDEX_SCHEMAS_H
#define GROVE_INDEX_SCHEMAS_H

#include <lmdb.h>
#include <stdint.h>

#include "index/views.h"
#include "lang/catalog.h"
#include "log/event.h"

/* 0 when the views hold a catalog (a graph exists), GROVE_ENOTFOUND when
 * not (the next schema event is the genesis). */
int schemas_exist(MDB_txn *txn, const struct views *v);

/* Apply schema apply event `ev`, logged at `lsn` (not the genesis). */
int schemas_apply(MDB_txn *txn, struct views *v, uint64_t lsn, const struct event *ev);

/* The encoded catalog in force at `lsn` and the LSN it took force
 * (*since), read in txn; GROVE_ENOTFOUND when the history is empty (a
 * graph never migrated: use meta "catalog").  *out points into txn's
 * memory. */
int schemas_catalog_at(MDB_val *out, uint64_t *since, MDB_txn *txn, const struct views *v, uint64_t lsn);

/* The LSN of the newest catalog of the history (0: empty).  Names the
 * state of the whole history, hard drops included: the history only
 * changes when a schema apply adds to it. */
int schemas_generation(uint64_t *out, MDB_txn *txn, const struct views *v);

/* The LSN of the hard drop of type `id` (0: none). */
int schemas_dropped_at(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t id);

/* The same, only when the type held rows then (history was lost: reads
 * across it cannot be answered whole); 0 otherwise. */
int schemas_reclaimed_at(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t id);

/* The catalog schema apply event `ev` (at `lsn`) makes of `old`: the
 * event's text evolved from `old` (lang_schema_evolve), checked against
 * the hash its plan carries (GROVE_ECORRUPT when it differs: evolving must
 * be deterministic, or ids would change).  With `enc`, also its encoding
 * (malloc'd).  Replay and the views both use it. */
int schemas_evolve(struct lang_catalog **out, void **enc, size_t *enc_len, const struct lang_catalog *old,
		   uint64_t lsn, const struct event *ev);

/* The hash a plan carries of its encoded catalog (XXH3, 64 bits). */
uint64_t schemas_catalog_hash(const void *buf, size_t len);

#endif
