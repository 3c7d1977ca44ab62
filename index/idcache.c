/* idcache.c — open-addressing hash of resolved ids (see idcache.h). */
#include "index/idcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "grove.h"
#include "index/hugemem.h"

size_t id_cache_max = ID_CACHE_MAX;

struct id_slot {
	uint64_t h;                 /* 0: empty */
	const uint8_t *id;
	uint32_t len, type;
	uint64_t e;
};
_Static_assert(sizeof(struct id_slot) == 32, "id cache slot");

static uint64_t id_hash(uint32_t type, const uint8_t *id, uint32_t len)
{
	uint64_t h = XXH3_64bits_withSeed(id, len, type);
	return h ? h : 1;
}

/* The slot of (type, id), or the empty slot where it would go.  The table
 * is never more than half full, so the probe ends. */
static struct id_slot *find(const struct id_cache *c, uint64_t h, uint32_t type,
			    const uint8_t *id, uint32_t len)
{
	for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
		struct id_slot *s = &c->slots[i];
		if (!s->h || (s->h == h && s->type == type && s->len == len && !memcmp(s->id, id, len)))
			return s;
	}
}

bool id_cache_get(uint64_t *e, const struct id_cache *c, uint32_t type, const uint8_t *id,
		  uint32_t len)
{
	if (!c->n)
		return false;
	const struct id_slot *s = find(c, id_hash(type, id, len), type, id, len);
	if (s->h)
		*e = s->e;
	return s->h != 0;
}

void id_cache_prefetch(const struct id_cache *c, uint32_t type, const uint8_t *id, uint32_t len)
{
	if (c->cap)
		__builtin_prefetch(&c->slots[id_hash(type, id, len) & (c->cap - 1)]);
}

static int grow(struct id_cache *c, size_t cap)
{
	struct id_slot *old = c->slots, *slots = hugemem_zalloc(cap * sizeof *slots);
	if (!slots)
		return -ENOMEM;
	size_t ocap = c->cap;
	c->slots = slots;
	c->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].h)
			*find(c, old[i].h, old[i].type, old[i].id, old[i].len) = old[i];
	hugemem_free(old, ocap * sizeof *old);
	return 0;
}

/* Room for one more entry. */
static int room(struct id_cache *c)
{
	if ((c->n + 1) * 2 <= c->cap)
		return 0;
	if (c->n >= id_cache_max)
		return GROVE_ETOOBIG;
	return grow(c, c->cap ? c->cap * 2 : 16);
}

size_t id_cache_room(const struct id_cache *c)
{
	return c->n < id_cache_max ? id_cache_max - c->n : 0;
}

int id_cache_reserve(struct id_cache *c, size_t n)
{
	size_t want = c->n + n < id_cache_max ? c->n + n : id_cache_max, cap = 16;
	while (cap < want * 2)
		cap *= 2;
	return cap > c->cap ? grow(c, cap) : 0;
}

int id_cache_put(struct id_cache *c, uint32_t type, const uint8_t *id, uint32_t len, uint64_t e)
{
	int err = room(c);
	if (err < 0)
		return err;
	uint64_t h = id_hash(type, id, len);
	struct id_slot *s = find(c, h, type, id, len);
	if (!s->h)
		c->n++;
	*s = (struct id_slot){ h, id, len, type, e };
	return 0;
}

int id_cache_claim(uint64_t *e, struct id_cache *c, uint32_t type, const uint8_t *id,
		   uint32_t len, uint64_t fresh)
{
	int err = room(c);
	if (err < 0)
		return err;
	uint64_t h = id_hash(type, id, len);
	struct id_slot *s = find(c, h, type, id, len);
	if (s->h) {
		*e = s->e;
		return 0;
	}
	c->n++;
	*s = (struct id_slot){ h, id, len, type, fresh };
	*e = fresh;
	return 1;
}

void id_cache_clear(struct id_cache *c)
{
	hugemem_free(c->slots, c->cap * sizeof *c->slots);
	memset(c, 0, sizeof *c);
}
