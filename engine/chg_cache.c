/*
 * chg_cache.c — the candidate lists of the commit blocks being paged.
 *
 * Every page of one commit's changes (changes.c) starts from the commit's
 * candidates: the entities its LSN ranges touched, in the frozen group
 * order.  Making that list reads every chg entry of the commit and sorts
 * them, O(n log n) for an n-entity commit, so paging through a large
 * commit cost O(n) a page and O(n^2 / page size) in all: a 300,000-entity
 * load took 12 s to list by pages of 8,192 and 9 minutes by pages of 100.
 *
 * A commit's candidates never change: its chg entries and its parent's are
 * history.  So when a page of a large block ends before the block does,
 * the handle keeps its list (the last DB_CHG_CACHE_SLOTS such), and the
 * next page finds it here, then costs about its own size (for a dense
 * group; changes.c).  A list is bound to the commit, the scope's kinds and
 * types (the ops filter applies later, per change) and the catalogs the
 * read saw at the commit and its parent (schema_hist.c: one per schema
 * generation, so a read after a hard drop, which may find the block
 * reclaimed, sees other catalogs and makes its list again; the list's
 * type pointers point into them, and they live until the handle closes).
 *
 * Lists are shared read-only, counted.  The page that delivers a block's
 * last change drops its list (other threads paging the same block make
 * theirs again); an abandoned paging keeps one until a newer one takes
 * its slot or the handle closes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg.h"

struct chg_cached {
	unsigned refs;                  /* holders, guarded by db->chg_mu   */
	bool kept;                      /* in a slot                         */
	uint64_t used;                  /* db->chg_clock at the last use     */
	struct commit_id commit;
	const struct lang_catalog *cat[2]; /* at the parent, at the commit   */
	struct chg_scope scope;         /* kinds, none and types (copies)    */
	struct chg_list l;
	struct chg_named *named;        /* groups named in id order          */
};

/* A group of l, from l.v[lo], named and in id order (changes.c: a large
 * group whose changed ids are sparse among the type's). */
struct chg_named {
	size_t lo, n;
	struct chg_entity *v;           /* its ids live in the same block    */
	struct chg_named *next;
};

static void cached_free(struct chg_cached *c)
{
	chg_scope_free(&c->scope);
	chg_list_free(&c->l);
	while (c->named) {
		struct chg_named *g = c->named;
		c->named = g->next;
		free(g->v);
		free(g);
	}
	free(c);
}

static bool same_scope(const struct chg_scope *a, const struct chg_scope *b)
{
	if (a->kinds != b->kinds || a->none != b->none || a->n_types != b->n_types)
		return false;
	for (uint32_t i = 0; i < a->n_types; i++)
		if (strcmp(a->types[i], b->types[i]))
			return false;
	return true;
}

static struct chg_cached *find(grove_db *db, const struct chg_key *k)
{
	for (unsigned i = 0; i < DB_CHG_CACHE_SLOTS; i++) {
		struct chg_cached *e = db->chg_cache[i];
		if (e && e->cat[0] == k->a->cat && e->cat[1] == k->b->cat &&
		    !memcmp(&e->commit, &k->b->head.id, sizeof e->commit) && same_scope(&e->scope, k->s))
			return e;
	}
	return NULL;
}

const struct chg_list *chg_cache_get(struct chg_cached **ref, grove_db *db, const struct chg_key *k)
{
	pthread_mutex_lock(&db->chg_mu);
	struct chg_cached *e = find(db, k);
	if (e) {
		e->refs++;
		e->used = ++db->chg_clock;
	}
	pthread_mutex_unlock(&db->chg_mu);
	*ref = e;
	return e ? &e->l : NULL;
}

/* Take e out of its slot; freed now if nobody holds it (db->chg_mu held). */
static void unkeep(grove_db *db, struct chg_cached *e)
{
	for (unsigned i = 0; i < DB_CHG_CACHE_SLOTS; i++)
		if (db->chg_cache[i] == e)
			db->chg_cache[i] = NULL;
	e->kept = false;
	if (e->refs == 0)
		cached_free(e);
}

static struct chg_cached *cached_new(const struct chg_key *k)
{
	const struct chg_scope *s = k->s;
	struct chg_cached *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->commit = k->b->head.id;
	e->cat[0] = k->a->cat;
	e->cat[1] = k->b->cat;
	e->scope.kinds = s->kinds;
	e->scope.none = s->none;
	for (uint32_t i = 0; i < s->n_types; i++) {
		if (!(e->scope.types[i] = strdup(s->types[i]))) {
			cached_free(e);
			return NULL;
		}
		e->scope.n_types = i + 1;
	}
	return e;
}

const struct chg_list *chg_cache_put(struct chg_cached **ref, grove_db *db, const struct chg_key *k,
				     struct chg_list *l)
{
	struct chg_cached *e = cached_new(k);
	*ref = NULL;
	if (!e)
		return NULL;   /* not kept: the caller still owns l */
	pthread_mutex_lock(&db->chg_mu);
	if (find(db, k)) {  /* another thread kept the same list meanwhile */
		pthread_mutex_unlock(&db->chg_mu);
		cached_free(e);
		return NULL;
	}
	/* Its final size: lists grow by doubling. */
	struct chg_entity *v = realloc(l->v, l->n * sizeof *v);
	e->l = (struct chg_list){ v ? v : l->v, l->n, l->n };
	memset(l, 0, sizeof *l);
	e->refs = 1;
	e->kept = true;
	e->used = ++db->chg_clock;
	unsigned slot = 0;   /* an empty slot, else the least recently used */
	for (unsigned i = 0; i < DB_CHG_CACHE_SLOTS; i++) {
		if (!db->chg_cache[i]) {
			slot = i;
			break;
		}
		if (db->chg_cache[i]->used < db->chg_cache[slot]->used)
			slot = i;
	}
	if (db->chg_cache[slot])
		unkeep(db, db->chg_cache[slot]);
	db->chg_cache[slot] = e;
	pthread_mutex_unlock(&db->chg_mu);
	*ref = e;
	return &e->l;
}

void chg_cache_release(grove_db *db, struct chg_cached *ref, bool done)
{
	if (!ref)
		return;
	pthread_mutex_lock(&db->chg_mu);
	ref->refs--;
	if (ref->kept && done)
		unkeep(db, ref);
	else if (!ref->kept && ref->refs == 0)
		cached_free(ref);
	pthread_mutex_unlock(&db->chg_mu);
}

static const struct chg_entity *named_find(const struct chg_cached *e, size_t lo, size_t *n)
{
	for (const struct chg_named *g = e->named; g; g = g->next)
		if (g->lo == lo) {
			*n = g->n;
			return g->v;
		}
	return NULL;
}

const struct chg_entity *chg_cache_named(grove_db *db, struct chg_cached *ref, size_t lo, size_t *n)
{
	pthread_mutex_lock(&db->chg_mu);
	const struct chg_entity *v = named_find(ref, lo, n);
	pthread_mutex_unlock(&db->chg_mu);
	return v;
}

const struct chg_entity *chg_cache_named_put(grove_db *db, struct chg_cached *ref, size_t lo,
					     struct chg_entity *v, size_t *n)
{
	struct chg_named *g = malloc(sizeof *g);
	pthread_mutex_lock(&db->chg_mu);
	const struct chg_entity *kept = named_find(ref, lo, n);
	if (!kept && g) {
		*g = (struct chg_named){ lo, *n, v, ref->named };
		ref->named = g;
		kept = v;
		g = NULL;
		v = NULL;
	}
	pthread_mutex_unlock(&db->chg_mu);
	free(g);
	free(v);
	return kept;
}

void chg_cache_free(grove_db *db)
{
	for (unsigned i = 0; i < DB_CHG_CACHE_SLOTS; i++)
		if (db->chg_cache[i]) {
			cached_free(db->chg_cache[i]);
			db->chg_cache[i] = NULL;
		}
}
