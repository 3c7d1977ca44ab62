/*
 * apply.h — applying a logged event to the views: the one way the views
 * change.  Deterministic: applying the same events in the same LSN order
 * gives the same views, which is what makes replay, rebuild and verify
 * work.
 */
#ifndef GROVE_INDEX_APPLY_H
#define GROVE_INDEX_APPLY_H

#include <lmdb.h>
#include <stdint.h>

#include "index/views.h"
#include "lang/catalog.h"
#include "log/event.h"

#define MAIN_BRANCH "main"
#define MAIN_LAYER 1u

/* Apply `ev`, logged at `lsn`, inside write transaction `txn`.  For a load
 * the effects of all its chunks are passed in `effects` (n of them) and
 * `ev` is its last chunk; otherwise effects = ev->effects.  `cat` is the
 * catalog in force (NULL only for the genesis schema event).  Updates the
 * branch head, the commit graph and meta "applied_lsn". */
int views_apply(MDB_txn *txn, struct views *v, const struct lang_catalog *cat, uint64_t lsn,
		const struct event *ev, const struct event_effect *effects, uint32_t n);

/* Apply only effects [0, n) of an effect event (mutation, load, merge),
 * leaving the branch head where it is: versions written at `lsn` stay
 * invisible (every read cuts off at the head) until views_apply() applies
 * the rest and moves the head.  So one huge event can be applied in
 * several LMDB transactions, and a crash between them loses nothing: the
 * event is replayed, and applying an effect again writes the same keys. */
int views_apply_effects(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			uint64_t lsn, const struct event *ev, const struct event_effect *effects,
			uint32_t n);

/* Effects per LMDB transaction when an event is applied in parts. */
#define VIEWS_APPLY_PART_EFFECTS 50000u

/* Drop apply.c's per-event id cache (views_close does). */
void views_apply_cache_free(struct views *v);

/* Internal entity id of (type, id) in the global id map, or ENOTFOUND. */
int views_id_lookup(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t type,
		    const void *id, uint32_t id_len);
/* The user id of internal entity `e` (points into the txn's memory). */
int views_id_name(uint32_t *type, const char **id, uint32_t *id_len, MDB_txn *txn,
		  const struct views *v, uint64_t e);

#endif
