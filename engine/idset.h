/*
 * idset.h — a hash map from (type id, entity id bytes) to a u32 value,
 * for planning writes: which ids an input holds, which it deletes.
 * Keys are copied into the set's own arena of chunks.
 */
#ifndef GROVE_ENGINE_IDSET_H
#define GROVE_ENGINE_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idset_slot;

struct idset {
	struct idset_slot *slots;
	size_t cap, n;           /* cap: a power of two */
	char **chunks;           /* key bytes live here */
	size_t nchunks, chunk_used, chunk_cap;
	char *open;              /* the chunk small keys go to */
};

void idset_init(struct idset *s);
void idset_free(struct idset *s);

/* The value stored for (type, id), or -1 when absent. */
int64_t idset_get(const struct idset *s, uint32_t type, const void *id, uint32_t len);

/* Start fetching the slot idset_get() would probe first into the CPU
 * cache (call it some lookups ahead: a big set is far larger than the
 * caches, and each probe would wait on memory). */
void idset_prefetch(const struct idset *s, uint32_t type, const void *id, uint32_t len);

/* The second step, some lookups after the first: if that slot holds the
 * id's hash, start fetching the id it points to (compared on lookup) and
 * return its value (a caller may fetch what it indexes); else -1. */
int64_t idset_prefetch_id(const struct idset *s, uint32_t type, const void *id, uint32_t len);

/* Store (type, id) -> val, replacing any earlier value.  -ENOMEM. */
int idset_put(struct idset *s, uint32_t type, const void *id, uint32_t len, uint32_t val);

/* Iterate: *i starts at 0; returns false at the end. */
bool idset_next(const struct idset *s, size_t *i, uint32_t *type, const char **id,
		uint32_t *len, uint32_t *val);

#endif
