/*
 * apply.h — applying a logged event to the views: the one way the views
 * change.  Deterministic: applying the same events in the same LSN order
 * gives the same views, which is what makes replay, rebuild and verify
 * work.
 */
#ifndef GROVE_INDEX_APPLY_H
#define GROVE_INDEX_APPLY_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "index/layered.h"
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
 * in parts of views_apply_part_effects, leaving the branch head where it
 * is: versions written at `lsn` stay invisible (every read cuts off at
 * the head) until views_apply() applies the rest (here: none) and moves
 * the head.  So one huge event is applied in parts, each part's puts held
 * in memory and written sorted, with memory bounded by two parts.  The
 * engine and replay call it with all of an event's effects (views_apply_
 * head()), inside the one transaction that ends with views_apply(): a page is then copied
 * once however many parts write to it (the parts of a 3M-effect load in
 * transactions of their own copied the adjacency's pages again in each:
 * its puts took 5.9 s instead of 2.5 s).
 *
 * While one part's puts are written, a second thread gathers the next
 * part's, reading the views as they were before the event — which it
 * may only if `may_read`: txn holds nothing but this event so far.  From
 * the first effect that needs txn itself on (a delete, an entity the
 * event touched before, a full id cache; any entity that exists already
 * when it may not read), the part is gathered by the caller
 * (apply_parts.c). */
int views_apply_parts(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
		      uint64_t lsn, const struct event *ev, const struct event_effect *effects,
		      uint32_t n, bool may_read);

/* Effects per part when an event is applied in parts: the apply step
 * holds a part's puts in memory (some 600 bytes an effect) to write them
 * sorted, and bigger parts sort more of them into one pass over the
 * views (200k rather than 50k: a 3M-effect load's adjacency puts 3.8 s
 * -> 2.5 s). */
#define VIEWS_APPLY_PART_EFFECTS 200000u
/* The part size in force: VIEWS_APPLY_PART_EFFECTS (tests lower it, so
 * that small loads come in parts). */
extern uint32_t views_apply_part_effects;

/* The part size in force, at least 1. */
static inline uint32_t views_apply_part(void)
{
	return views_apply_part_effects ? views_apply_part_effects : 1;
}

/* An event naming about n ids (effects and the endpoints they name) will
 * be applied soon: make its id cache's table ready on a thread of its own
 * meanwhile (idcache.h), if it is big.  Any thread, at any time; a hint.
 * n == 0: it will not come after all (the table is freed).  Worth it only
 * where a core is idle meanwhile: a replay reading a load's chunks, a
 * load checking its rows. */
void views_prepare_ids(struct views *v, size_t n);

/* How many of effects fx[0, n) an apply keeps in its id cache: all but
 * the puts of edges with fresh ids (event.h), which nothing looks up. */
static inline uint32_t views_cached_ids(const struct event_effect *fx, uint32_t n)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++)
		k += !(fx[i].op == EFFECT_PUT_EDGE && (fx[i].flags & EFFECT_FRESH_ID));
	return k;
}

/* How many of an event's n effects views_apply_parts() takes: all of an
 * event of more than one part (views_apply() then applies none), none of
 * a smaller one. */
static inline uint32_t views_apply_head(uint32_t n)
{
	return n > views_apply_part() ? n : 0;
}

/* Drop apply.c's per-event id cache (views_close does). */
void views_apply_cache_free(struct views *v);

/* Internal entity id of (type, id) in the global id map, or ENOTFOUND.
 * Any length of id (index/idkey.h). */
int views_id_lookup(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t type,
		    const void *id, uint32_t id_len);
/* The entity under id-map key `key` (idkey_make), unconfirmed. */
int views_id_lookup_key(uint64_t *out, MDB_txn *txn, const struct views *v, const uint8_t *key,
			uint32_t key_len);
/* The same as views_id_lookup through a cursor on the id map (v->ids),
 * for lookups in key order: LMDB then searches only the page the cursor
 * is on when the next key is there. */
int views_id_lookup_at(uint64_t *out, MDB_cursor *c, const struct views *v, uint32_t type,
		       const void *id, uint32_t id_len);
/* The user id of internal entity `e` (points into the txn's memory). */
int views_id_name(uint32_t *type, const char **id, uint32_t *id_len, MDB_txn *txn,
		  const struct views *v, uint64_t e);

#endif
