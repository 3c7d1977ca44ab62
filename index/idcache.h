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

#include <pthread.h>
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
struct id_spare;

struct id_cache {
	struct id_slot *slots;
	size_t cap, n;    /* slots, entries */
	struct id_spare *spare;  /* where big growth looks first, or NULL */
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

/* ---- a table made ready ahead of time ---------------------------------- */

/* A big cache's table is hundreds of MiB that its first lookups fault in
 * page by page, with the apply waiting (a 3M-id table: ~0.5 s where fresh
 * memory is dear, as on a hypervisor that takes back what the guest
 * frees).  Whoever knows a big event is coming (a replay holding a load's
 * chunks, a load checking its rows) asks a spare to fault in zeroed slots on
 * a thread of its own meanwhile; the cache's next growth to at least
 * ID_SPARE_MIN slots takes them if they are enough. */
#define ID_SPARE_MIN ((size_t)1 << 17)   /* slots (8 MiB) */

struct id_spare {
	pthread_mutex_t mu;
	pthread_cond_t done;     /* running became false                  */
	bool running;            /* a (detached) thread is making slots   */
	struct id_slot *slots;   /* cap zeroed slots, faulted in; or NULL */
	size_t cap, want;        /* slots ready; slots asked for          */
};

void id_spare_init(struct id_spare *s);
void id_spare_free(struct id_spare *s);   /* waits for its thread */

/* Make room for n entries ready on a thread of its own, unless a table as
 * big is ready or being made (a hint: nothing is reported).  n == 0 frees
 * a ready table (the event it was for will not come). */
void id_spare_prepare(struct id_spare *s, size_t n);

#endif
