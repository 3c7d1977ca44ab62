/*
 * idkey.h — the id map's key of an entity: (type, user id).
 *
 * LMDB keys hold at most 511 bytes (keys.h, KEY_MAX), a user id any
 * number.  An id of up to IDKEY_WHOLE_MAX bytes is kept whole after its
 * type, so the map's order is the ids' order.  A longer one is keyed by
 * its first IDKEY_PREFIX_BYTES bytes and the XXH3-128 of the whole id
 * (big-endian), which makes a key of exactly IDKEY_MAX bytes; the name
 * map (entity -> type, id) always holds the whole id.
 *
 * A key of IDKEY_MAX bytes may thus stand for more than one id (a whole
 * id of 507 bytes, or two long ids whose prefixes and hashes are equal):
 * lookups confirm it by the name map, and idkey_check() refuses a write
 * that would give one key to two ids before the write is logged.  Among
 * long ids sharing a prefix the map's order is their hashes' order; a
 * walk that must follow the ids' order (export and scans in engine/read.c,
 * change pages in engine/changes.c) names and sorts each run of keys of
 * IDKEY_ORDER_MAX + 4 bytes or more that share their head where it meets
 * one: ids that differ earlier compare as their keys do.
 */
#ifndef GROVE_INDEX_IDKEY_H
#define GROVE_INDEX_IDKEY_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "index/keys.h"

struct views;
struct event_effect;

#define IDKEY_MAX          KEY_MAX                 /* 511 */
#define IDKEY_WHOLE_MAX    (IDKEY_MAX - 4)         /* 507: longest id kept whole */
#define IDKEY_HASH_BYTES   16u
#define IDKEY_PREFIX_BYTES (IDKEY_MAX - 4 - IDKEY_HASH_BYTES)  /* 491 */
/* Ids shorter than this compare with any other id as their keys do. */
#define IDKEY_ORDER_MAX    IDKEY_PREFIX_BYTES

/* The key of (type, id) into k; returns its length. */
uint32_t idkey_make(uint8_t k[IDKEY_MAX], uint32_t type, const void *id, uint32_t id_len);

/* A run of keys sharing their first 4 + IDKEY_ORDER_MAX bytes `head` (ids
 * in hash order): step the cursor to the run's next key into *k, *d (1),
 * or leave it on the run's last key (0, the run ended), or an error
 * (views_error's). */
int idkey_run_next(MDB_cursor *cur, const uint8_t head[4 + IDKEY_ORDER_MAX], MDB_val *k, MDB_val *d);

/* May a key of this length stand for more than one id? */
static inline bool idkey_shared(size_t key_len)
{
	return key_len == IDKEY_MAX;
}

/* Is entity `e` (found under a shared key) the entity of (type, id)?
 * 1 yes, 0 no (another id holds the key), or an error. */
int idkey_confirm(MDB_txn *txn, const struct views *v, uint64_t e, uint32_t type,
		  const void *id, uint32_t id_len);

/* Does the write put an id with a shared key (IDKEY_WHOLE_MAX bytes or
 * more)?  Such writes must be checked and applied one at a time
 * (engine/sequencer.c): idkey_check reads the views as `txn` sees them. */
bool idkey_any_shared(const struct event_effect *fx, uint32_t n);

/* Before a write is logged: refuse (GROVE_ECONFLICT, *bad = the effect's
 * index) a put of an id with a shared key (IDKEY_WHOLE_MAX bytes or more)
 * that another id holds in the views or in the same write.  Reads through
 * `txn` (the write transaction the write will be applied in), or, when it
 * is NULL, a read transaction of its own, opened only when such an id is
 * there. */
int idkey_check(const struct views *v, MDB_txn *txn, const struct event_effect *fx, uint32_t n,
		uint32_t *bad);

#endif
