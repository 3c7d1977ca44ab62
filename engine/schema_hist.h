/*
 * schema_hist.h — the catalogs a handle reads with: the one in force
 * (db->cat) and those of the past, for reads at older targets (engine
 * §4.2; the views' history is index/schemas.h).
 *
 * Lifetime.  Every catalog a reader may hold a pointer into lives until
 * the handle closes: a schema apply does not free the catalog it replaces
 * but retires it here, and the historical catalogs decoded for reads are
 * cached here, never evicted.  So a reader that took db->cat (or a read
 * target's catalog) before an apply finishes with it safely, without a
 * reference count on the read path.  The cost is bounded by the number of
 * schema applies in one handle's life: one catalog each.
 */
#ifndef GROVE_ENGINE_SCHEMA_HIST_H
#define GROVE_ENGINE_SCHEMA_HIST_H

#include <lmdb.h>
#include <stdint.h>

#include "engine/db.h"
#include "engine/engine.h"
#include "lang/catalog.h"

struct schema_hist;

int schema_hist_new(struct schema_hist **out);
/* Frees every catalog retired or cached (not db->cat). */
void schema_hist_free(struct schema_hist *h);

/* The catalog in force (an acquire load: a schema apply swaps it). */
const struct lang_catalog *engine_catalog(const grove_db *db);

/* Make `cat` the catalog in force (taking ownership); the one it replaces
 * is retired, not freed, so readers holding it finish with it. */
void engine_catalog_swap(grove_db *db, struct lang_catalog *cat);

/* The catalog readable at LSN `lsn` in read transaction `txn`: the catalog
 * in force then, without the types whose history a later hard drop made
 * unreachable (and the edge types touching them).  Lives until close. */
int engine_catalog_at(const struct lang_catalog **out, grove_db *db, MDB_txn *txn, uint64_t lsn);

/* A read of everything at a snapshot whose catalog (engine_catalog_at's)
 * lost types that held rows to a later hard drop (history reclaimed;
 * an empty type's drop loses nothing) cannot be answered whole: GROVE_EINVAL
 * (kind HistoricalVersionReclaimed, engine §4.2) naming the first such
 * type, "... is unavailable at this snapshot: its history before LSN n
 * was dropped with allow_data_loss"; else 0. */
int engine_reclaimed_error(grove_db *db, const struct lang_catalog *cat);

/* "node:Person" / "edge:Knows" at a read target (engine §4.2): a name of
 * the catalog in force resolves by identity (a renamed type reads its old
 * rows under the new name), and must have existed at the target ("node
 * type 'X' does not exist at this snapshot"); a name the catalog in force
 * no longer has resolves in the target's own catalog (a type dropped
 * since stays readable in the past).  Errors: GROVE_EINVAL. */
int engine_table_at(const struct lang_cat_type **out, grove_db *db, const struct read_at *r,
		    const char *table);

/* Refuse (GROVE_ECONFLICT, "retry") effects naming a type the catalog in
 * force does not have: a write planned before a schema apply that dropped
 * its type.  Called by the sequencer under the writer's branch lock, which
 * an apply also needs, so the catalog cannot change between this check
 * and the log. */
int engine_effects_check(grove_db *db, const struct event_effect *fx, uint32_t n);

/* The type of `kind` with id `id` in `cat`, or NULL. */
const struct lang_cat_type *engine_cat_type_by_id(const struct lang_catalog *cat, enum lang_cat_kind kind,
						  uint32_t id);

#endif
