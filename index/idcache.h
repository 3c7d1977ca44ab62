/*
 * idcache.h — the internal ids an apply resolved, by (type, user id).
 *
 * Edges name their endpoints again and again, and an id created by an
 * apply step is written to the id map only when the step ends
 * (putbatch.h), so lookups must find it here first.  Ids up to 40 bytes
 * are copied into their slot; a longer one is not copied: it points into
 * the event being applied, which outlives the cache.
 */
#ifndef GROVE_INDEX_IDCACHE_H
#define GROVE_INDEX_IDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries a cache holds at most (a bound on its memory: 64 bytes a slot,
 * 10 slots for every 7 entries: 366 MiB). */
#define ID_CACHE_MAX (4u << 20)
/* The bound in force: ID_CACHE_MAX (tests lower it, so that small events
 * fill the cache). */
extern size_t id_cache_max;

struct id_slot;   /* private */

struct id_cache {
	struct id_slot *slots;
	size_t cap, n;    /* slots, entries */
};

/* Internal id of (type, id) into *e if cached. */
bool id_cache_get(uint64_t *e, const struct id_cache *c, uint32_t type, const uint8_t *id,
		  uint32_t len);

/* Remember (type, id) -> e.  0, or GROVE_ETOOBIG when full, -ENOMEM. */
int id_cache_put(struct id_cache *c, uint32_t type, const uint8_t *id, uint32_t len, uint64_t e);

/* The internal id of (type, id) if cached (0); else remember it as
 * `fresh` (1).  GROVE_ETOOBIG when full, -ENOMEM. */
int id_cache_claim(uint64_t *e, struct id_cache *c, uint32_t type, const uint8_t *id,
		   uint32_t len, uint64_t fresh);

/* Start fetching the slot where (type, id) is or would go into the CPU
 * cache: an apply step calls it some effects ahead of the lookup, whose
 * probe would otherwise wait on memory (the table of a big event is far
 * larger than the caches). */
void id_cache_prefetch(const struct id_cache *c, uint32_t type, const uint8_t *id, uint32_t len);

/* Entries it can take before it is full. */
size_t id_cache_room(const struct id_cache *c);

/* Make room for n more entries at once (a hint: -ENOMEM is harmless). */
int id_cache_reserve(struct id_cache *c, size_t n);

/* Forget everything (memory is freed). */
void id_cache_clear(struct id_cache *c);

#endif
