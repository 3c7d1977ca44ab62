/* idcache.c — open-addressing hash of resolved ids (see idcache.h). */
#include "index/idcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "grove.h"
#include "index/hugemem.h"

size_t id_cache_max = ID_CACHE_MAX;

/* Ids up to this long are kept in the slot itself: a probe that finds
 * its slot then compares bytes in the same cache line instead of
 * following a pointer into the event, a second miss per lookup (the
 * cache of a big event is far larger than the CPU caches).  ULIDs (26)
 * and most keys fit; a longer id is pointed to. */
#define ID_INLINE 40u

struct id_slot {
	uint64_t h;                 /* 0: empty */
	uint64_t e;
	uint32_t type, len;
	union {
		uint8_t bytes[ID_INLINE];
		const uint8_t *ptr; /* len > ID_INLINE */
	} id;
};
_Static_assert(sizeof(struct id_slot) == 64, "id cache slot: one cache line");

/* Slots per entry at most: the table is never more than 70% full (a
 * linear probe then ends after ~2.2 slots for an id it holds). */
#define ID_LOAD_NUM 7u
#define ID_LOAD_DEN 10u

static uint64_t id_hash(uint32_t type, const uint8_t *id, uint32_t len)
{
	uint64_t h = XXH3_64bits_withSeed(id, len, type);
	return h ? h : 1;
}

/* The home slot of hash h: h scaled to [0, cap), so cap need not be a
 * power of two. */
static size_t home(const struct id_cache *c, uint64_t h)
{
	return (size_t)(((unsigned __int128)h * c->cap) >> 64);
}

static bool holds(const struct id_slot *s, uint64_t h, uint32_t type, const uint8_t *id,
		  uint32_t len)
{
	if (s->h != h || s->type != type || s->len != len)
		return false;
	return !memcmp(len <= ID_INLINE ? s->id.bytes : s->id.ptr, id, len);
}

/* The slot a linear probe looks at after slot i. */
static size_t next(const struct id_cache *c, size_t i)
{
	return i + 1 == c->cap ? 0 : i + 1;
}

/* The slot of (type, id), or the empty slot where it would go.  The table
 * is never full, so the probe ends. */
static struct id_slot *find(const struct id_cache *c, uint64_t h, uint32_t type,
			    const uint8_t *id, uint32_t len)
{
	for (size_t i = home(c, h);; i = next(c, i)) {
		struct id_slot *s = &c->slots[i];
		if (!s->h || holds(s, h, type, id, len))
			return s;
	}
}

static void fill(struct id_slot *s, uint64_t h, uint32_t type, const uint8_t *id, uint32_t len,
		 uint64_t e)
{
	s->h = h;
	s->e = e;
	s->type = type;
	s->len = len;
	if (len <= ID_INLINE)
		memcpy(s->id.bytes, id, len);
	else
		s->id.ptr = id;
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
		__builtin_prefetch(&c->slots[home(c, id_hash(type, id, len))]);
}

static struct id_slot *take_spare(struct id_spare *s, size_t *cap);

static int grow(struct id_cache *c, size_t cap)
{
	struct id_slot *old = c->slots, *slots = NULL;
	if (c->spare && cap >= ID_SPARE_MIN)
		slots = take_spare(c->spare, &cap);
	if (!slots && !(slots = hugemem_zalloc(cap * sizeof *slots)))
		return -ENOMEM;
	size_t ocap = c->cap;
	c->slots = slots;
	c->cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].h) {
			size_t j = home(c, old[i].h);
			while (slots[j].h)
				j = next(c, j);
			slots[j] = old[i];
		}
	hugemem_free(old, ocap * sizeof *old);
	return 0;
}

/* Slots for n entries. */
static size_t slots_for(size_t n)
{
	return n / ID_LOAD_NUM * ID_LOAD_DEN + 16;
}

/* Room for one more entry. */
static int room(struct id_cache *c)
{
	if ((c->n + 1) * ID_LOAD_DEN <= c->cap * ID_LOAD_NUM)
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
	size_t want = c->n + n < id_cache_max ? c->n + n : id_cache_max;
	size_t cap = slots_for(want);
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
	fill(s, h, type, id, len, e);
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
	fill(s, h, type, id, len, fresh);
	*e = fresh;
	return 1;
}

void id_cache_clear(struct id_cache *c)
{
	hugemem_free(c->slots, c->cap * sizeof *c->slots);
	*c = (struct id_cache){ .spare = c->spare };
}

/* ---- the spare --------------------------------------------------------- */

void id_spare_init(struct id_spare *s)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->done, NULL);
}

/* Under mu: wait until no thread is filling the slots. */
static void settle(struct id_spare *s)
{
	while (s->running)
		pthread_cond_wait(&s->done, &s->mu);
}

/* Under mu, settled: free the slots. */
static void drop(struct id_spare *s)
{
	if (s->slots)
		hugemem_free(s->slots, s->cap * sizeof *s->slots);
	s->slots = NULL;
	s->cap = 0;
}

void id_spare_free(struct id_spare *s)
{
	pthread_mutex_lock(&s->mu);
	s->want = 0;
	settle(s);
	drop(s);
	pthread_mutex_unlock(&s->mu);
	pthread_cond_destroy(&s->done);
	pthread_mutex_destroy(&s->mu);
}

/* The spare's slots if there are at least *cap of them (*cap becomes
 * their number), else NULL. */
static struct id_slot *take_spare(struct id_spare *s, size_t *cap)
{
	struct id_slot *slots = NULL;
	pthread_mutex_lock(&s->mu);
	settle(s);
	if (s->slots && s->cap >= *cap) {
		slots = s->slots;
		*cap = s->cap;
		s->slots = NULL;
		s->cap = 0;
		s->want = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return slots;
}

/* Zeroed slots with every page faulted in here, not by their first use
 * (hugemem_zalloc maps tables this big lazily), or NULL. */
static struct id_slot *faulted(size_t cap)
{
	size_t bytes = cap * sizeof(struct id_slot);
	volatile uint8_t *p = hugemem_zalloc(bytes);
	for (size_t off = 0; p && off < bytes; off += 4096)
		p[off] = 0;
	return (struct id_slot *)p;
}

/* The thread: make slots until there are as many as wanted.  A smaller
 * table made earlier is freed first: memory freed just now is the
 * cheapest to fault in again. */
static void *fill_main(void *arg)
{
	struct id_spare *s = arg;
	pthread_mutex_lock(&s->mu);
	while (s->want > s->cap) {
		size_t cap = s->want;
		drop(s);
		pthread_mutex_unlock(&s->mu);
		struct id_slot *slots = faulted(cap);
		pthread_mutex_lock(&s->mu);
		if (!slots)
			break;
		s->slots = slots;
		s->cap = cap;
	}
	s->running = false;
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

void id_spare_prepare(struct id_spare *s, size_t n)
{
	size_t cap = slots_for(n < id_cache_max ? n : id_cache_max);
	pthread_attr_t attr;
	pthread_t thread;
	pthread_mutex_lock(&s->mu);
	if (n == 0) {
		s->want = 0;
		settle(s);
		drop(s);
	} else if (cap >= ID_SPARE_MIN && cap > s->want && cap > s->cap) {
		s->want = cap;
		if (!s->running && pthread_attr_init(&attr) == 0) {
			pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
			s->running = pthread_create(&thread, &attr, fill_main, s) == 0;
			pthread_attr_destroy(&attr);
		}
	}
	pthread_mutex_unlock(&s->mu);
}
