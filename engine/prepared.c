/*
 * engine/prepared.c — the per-handle cache of compiled queries (see
 * prepared.h): PREPARED_MAX slots under one mutex, clock eviction.
 *
 * The mutex covers only finding and publishing entries (a compare of the
 * slots' hashes, then one key compare on a match); compiling runs outside
 * it, so a slow compile never holds up readers of other queries.  Two
 * threads missing on one key both compile; the second to publish adopts
 * the first one's entry and frees its own.
 */
#include "engine/prepared.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "engine/schema_hist.h"
#include "log/error.h"

struct prepared_cache {
	pthread_mutex_t mu;
	struct prepared *slot[PREPARED_MAX];  /* NULL: free                  */
	uint64_t hash[PREPARED_MAX];          /* slot[i]->hash, scanned first */
	uint32_t hand;                        /* the clock's next candidate  */
	uint32_t n;
	uint64_t hits, misses, evictions;
};

/* What a lookup compares (the caller's text, not yet copied). */
struct prepared_key {
	uint64_t hash;
	enum prepared_kind kind;
	const struct lang_catalog *cat;
	const char *name;
	const char *src;
	size_t src_len;
};

static void entry_free(struct prepared *p)
{
	gq_ir_free(p->ir);
	gq_checked_free(p->checked);
	gq_file_free(p->file);
	free(p->name);
	free(p->src);
	free(p);
}

void prepared_release(struct prepared *p)
{
	if (p != NULL && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0)
		entry_free(p);
}

static uint64_t key_hash(const struct prepared_key *k)
{
	uint64_t seed = (uint64_t)(uintptr_t)k->cat * 0x9e3779b97f4a7c15ULL + (uint64_t)k->kind;
	uint64_t h = XXH3_64bits_withSeed(k->src, k->src_len, seed);
	/* A missing name and an empty one are different keys. */
	return k->name == NULL ? h : XXH3_64bits_withSeed(k->name, strlen(k->name), h + 1);
}

static bool same_key(const struct prepared *p, const struct prepared_key *k)
{
	if (p->kind != k->kind || p->cat != k->cat || p->src_len != k->src_len)
		return false;
	if ((p->name == NULL) != (k->name == NULL) || (p->name != NULL && strcmp(p->name, k->name) != 0))
		return false;
	return memcmp(p->src, k->src, k->src_len) == 0;
}

/* Under c->mu: the entry for k with a new reference, or NULL. */
static struct prepared *find(struct prepared_cache *c, const struct prepared_key *k)
{
	for (uint32_t i = 0; i < PREPARED_MAX; i++) {
		struct prepared *p = c->slot[i];
		if (p == NULL || c->hash[i] != k->hash || !same_key(p, k))
			continue;
		p->used = 1;
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
		return p;
	}
	return NULL;
}

/* Under c->mu: a free slot, emptying one by the clock if none is free;
 * *victim is the entry taken out (the caller releases it unlocked). */
static uint32_t take_slot(struct prepared_cache *c, struct prepared **victim)
{
	*victim = NULL;
	/* Two sweeps at most: the first clears every reference bit. */
	for (uint32_t step = 0; step < 2 * PREPARED_MAX; step++) {
		uint32_t i = c->hand;
		c->hand = (c->hand + 1) % PREPARED_MAX;
		struct prepared *p = c->slot[i];
		if (p != NULL && p->used) {
			p->used = 0;
			continue;
		}
		if (p != NULL) {
			*victim = p;
			c->slot[i] = NULL;
			c->n--;
			c->evictions++;
		}
		return i;
	}
	assert(!"the clock found no slot in two sweeps");
	return 0;
}

/* Publish p (holding the caller's reference) or adopt an equal entry
 * another thread published meanwhile; returns what the caller uses. */
static struct prepared *publish(struct prepared_cache *c, struct prepared *p)
{
	struct prepared_key k = { p->hash, p->kind, p->cat, p->name, p->src, p->src_len };
	struct prepared *victim = NULL;
	pthread_mutex_lock(&c->mu);
	struct prepared *found = find(c, &k);
	if (found == NULL) {
		uint32_t i = take_slot(c, &victim);
		__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);  /* the cache's */
		p->used = 1;
		c->slot[i] = p;
		c->hash[i] = p->hash;
		c->n++;
	}
	pthread_mutex_unlock(&c->mu);
	prepared_release(victim);
	if (found == NULL)
		return p;
	prepared_release(p);
	return found;
}

/* A new entry for k (one reference: the caller's), compiled from its own
 * copy of the text. */
static int build(struct prepared **out, grove_db *db, const struct prepared_key *k,
                 prepared_compile_fn compile)
{
	struct prepared *p = calloc(1, sizeof(*p));
	*out = NULL;
	if (p == NULL || (p->src = malloc(k->src_len + 1)) == NULL ||
	    (k->name != NULL && (p->name = strdup(k->name)) == NULL)) {
		if (p != NULL)
			entry_free(p);
		return db_error(db, -ENOMEM, "out of memory");
	}
	memcpy(p->src, k->src, k->src_len);
	p->src[k->src_len] = '\0';
	p->src_len = k->src_len;
	p->hash = k->hash;
	p->kind = k->kind;
	p->cat = k->cat;
	p->refs = 1;
	int err = compile(p, db, k->cat, p->src, p->name);
	if (err < 0) {
		entry_free(p);
		return err;
	}
	assert(p->file != NULL && p->checked != NULL && p->ir != NULL);
	*out = p;
	return 0;
}

/* The handle's cache, made on first use; NULL when out of memory (then
 * queries compile uncached). */
static struct prepared_cache *cache_of(grove_db *db)
{
	struct prepared_cache *c = __atomic_load_n(&db->prepared, __ATOMIC_ACQUIRE);
	if (c != NULL)
		return c;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	struct prepared_cache *had = NULL;
	if (__atomic_compare_exchange_n(&db->prepared, &had, c, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return c;
	pthread_mutex_destroy(&c->mu);  /* another thread made it first */
	free(c);
	return had;
}

int prepared_get(struct prepared **out, grove_db *db, enum prepared_kind kind, const char *src,
                 const char *name, prepared_compile_fn compile)
{
	struct prepared_key k = { 0, kind, engine_catalog(db), name, src, strlen(src) };
	struct prepared_cache *c = k.src_len <= PREPARED_SRC_MAX ? cache_of(db) : NULL;
	struct prepared *p = NULL;
	*out = NULL;
	k.hash = key_hash(&k);
	if (c != NULL) {
		pthread_mutex_lock(&c->mu);
		if ((p = find(c, &k)) != NULL)
			c->hits++;
		else
			c->misses++;
		pthread_mutex_unlock(&c->mu);
	}
	if (p == NULL) {
		int err = build(&p, db, &k, compile);
		if (err < 0)
			return err;
		if (c != NULL)
			p = publish(c, p);
	}
	assert(p->ir != NULL && p->cat == k.cat);
	*out = p;
	return 0;
}

void prepared_stats(struct prepared_stats *out, grove_db *db)
{
	struct prepared_cache *c = __atomic_load_n(&db->prepared, __ATOMIC_ACQUIRE);
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	out->hits = c->hits;
	out->misses = c->misses;
	out->evictions = c->evictions;
	out->entries = c->n;
	pthread_mutex_unlock(&c->mu);
}

void prepared_cache_free(struct prepared_cache *c)
{
	if (c == NULL)
		return;
	for (uint32_t i = 0; i < PREPARED_MAX; i++)
		prepared_release(c->slot[i]);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
