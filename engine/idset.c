/* idset.c — open addressing with linear probing, XXH3 hashes (idset.h). */
#include "engine/idset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "index/hugemem.h"

/* Key chunks start small (most sets hold a write's few ids) and double
 * up to CHUNK_BYTES; keys longer than a quarter of that get their own. */
#define CHUNK_FIRST (1u << 12)
#define CHUNK_BYTES (1u << 20)

struct idset_slot {
	uint64_t hash;           /* 0: empty */
	const char *id;
	uint32_t len, type, val;
};

void idset_init(struct idset *s)
{
	memset(s, 0, sizeof *s);
}

void idset_free(struct idset *s)
{
	for (size_t i = 0; i < s->nchunks; i++)
		free(s->chunks[i]);
	free(s->chunks);
	hugemem_free(s->slots, s->cap * sizeof *s->slots);
	memset(s, 0, sizeof *s);
}

static uint64_t hash_of(uint32_t type, const void *id, uint32_t len)
{
	uint64_t h = XXH3_64bits_withSeed(id, len, type);
	return h ? h : 1;
}

static struct idset_slot *find(const struct idset *s, uint64_t h, uint32_t type,
			       const void *id, uint32_t len)
{
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		struct idset_slot *e = &s->slots[i];
		if (!e->hash || (e->hash == h && e->type == type && e->len == len &&
				 (!len || !memcmp(e->id, id, len))))
			return e;
	}
}

int64_t idset_get(const struct idset *s, uint32_t type, const void *id, uint32_t len)
{
	if (!s->cap)
		return -1;
	struct idset_slot *e = find(s, hash_of(type, id, len), type, id, len);
	return e->hash ? (int64_t)e->val : -1;
}

void idset_prefetch(const struct idset *s, uint32_t type, const void *id, uint32_t len)
{
	if (s->cap)
		__builtin_prefetch(&s->slots[hash_of(type, id, len) & (s->cap - 1)]);
}

int64_t idset_prefetch_id(const struct idset *s, uint32_t type, const void *id, uint32_t len)
{
	if (!s->cap)
		return -1;
	uint64_t h = hash_of(type, id, len);
	const struct idset_slot *e = &s->slots[h & (s->cap - 1)];
	if (e->hash != h)
		return -1;
	__builtin_prefetch(e->id);
	return e->val;
}

static int grow(struct idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 16; /* small first: most writes touch a few ids */
	struct idset_slot *old = s->slots, *slots = hugemem_zalloc(cap * sizeof *slots);
	size_t ocap = s->cap;

	if (!slots)
		return -ENOMEM;
	s->slots = slots;
	s->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].hash)
			*find(s, old[i].hash, old[i].type, old[i].id, old[i].len) = old[i];
	hugemem_free(old, ocap * sizeof *old);
	return 0;
}

static int add_chunk(struct idset *s, char *c)
{
	char **nc = realloc(s->chunks, (s->nchunks + 1) * sizeof *nc);
	if (!nc)
		return -ENOMEM;
	s->chunks = nc;
	s->chunks[s->nchunks++] = c;
	return 0;
}

/* Copy a key into the arena: small keys share the open chunk, a long key
 * gets an allocation of its own. */
static const char *keep(struct idset *s, const void *id, uint32_t len)
{
	char *p;
	if (len > CHUNK_BYTES / 4) {
		if (!(p = malloc(len ? len : 1)) || add_chunk(s, p) < 0) {
			free(p);
			return NULL;
		}
	} else {
		if (!s->open || s->chunk_used + len > s->chunk_cap) {
			size_t cap = s->open ? 2 * s->chunk_cap : CHUNK_FIRST;
			if (cap > CHUNK_BYTES)
				cap = CHUNK_BYTES;
			while (cap < len)
				cap *= 2;
			char *c = malloc(cap);
			if (!c || add_chunk(s, c) < 0) {
				free(c);
				return NULL;
			}
			s->open = c;
			s->chunk_used = 0;
			s->chunk_cap = cap;
		}
		p = s->open + s->chunk_used;
		s->chunk_used += len;
	}
	if (len)   /* an empty id's pointer may be NULL */
		memcpy(p, id, len);
	return p;
}

int idset_put(struct idset *s, uint32_t type, const void *id, uint32_t len, uint32_t val)
{
	if ((s->n + 1) * 4 > s->cap * 3 && grow(s) < 0)
		return -ENOMEM;
	uint64_t h = hash_of(type, id, len);
	struct idset_slot *e = find(s, h, type, id, len);
	if (e->hash) {
		e->val = val;
		return 0;
	}
	const char *k = keep(s, id, len);
	if (!k)
		return -ENOMEM;
	*e = (struct idset_slot){ h, k, len, type, val };
	s->n++;
	return 0;
}

bool idset_next(const struct idset *s, size_t *i, uint32_t *type, const char **id,
		uint32_t *len, uint32_t *val)
{
	for (; *i < s->cap; (*i)++)
		if (s->slots[*i].hash) {
			const struct idset_slot *e = &s->slots[(*i)++];
			*type = e->type;
			*id = e->id;
			*len = e->len;
			*val = e->val;
			return true;
		}
	return false;
}
