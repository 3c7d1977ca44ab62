/*
 * adjcache_slots.c — which copies serve which reads, the thread that
 * builds them, and the notes writes leave in them (see adjcache.h).
 *
 * A slot per (layer, edge type, dir) that reads have asked for, and per
 * node type whose keys they looked up (DIR_IDS): its current copy (or
 * none), the dirty set of a build in progress, the reads that missed
 * since it had none, and the newest read transaction already found to
 * be served whole by it (reads of the same transaction id see the same
 * state: no stamp to read again).  One mutex guards the slots; copies
 * are immutable but for their dirty sets, which are lock-free, and
 * referenced, so a walk holds no lock.
 */
#include "index/adjcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grove.h"
#include "index/idkey.h"
#include "index/layered.h"
#include "index/putbatch.h"
#include "index/views.h"
#include "log/error.h"

uint32_t adjc_first_misses = 64;
bool adjc_bypass;

/* After a range went stale, rebuild once this many reads missed per
 * entry it had (a build costs about what a few seeks do per entry). */
#define REBUILD_ENTRIES_PER_MISS 16

/* dir of a slot holding a type's id copy (layer 0, etype the type). */
#define DIR_IDS 0xff

struct slot {
	uint32_t layer, etype;
	uint8_t dir;
	bool queued;                   /* a build is queued or running      */
	const struct adjc_range *cur;  /* one reference held, or NULL        */
	const struct idc_copy *ids;    /* DIR_IDS: the same                   */
	struct adjc_dirty *tracking;   /* a build in progress: the nodes written
	                                  since it began (one reference)      */
	uint64_t valid_txnid;          /* served a read of this txn id (NONE) */
	uint64_t dirty_txnid;          /* served one with its dirty set (NONE) */
	uint64_t misses;               /* reads that wanted it since cur was NULL */
	uint64_t last_entries;         /* entries of its last range (or build) */
	uint64_t last_used;            /* the tick of the last read it served,
	                                  alone or as one layer of a chain      */
};

#define NONE UINT64_MAX

/* A copy dropped under the mutex, to be let go of after it (a last
 * reference unmaps tens of MiB). */
struct dead {
	const struct adjc_range *r;
	const struct idc_copy *ids;
};

struct adjc {
	struct views *v;
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	struct slot *slots;
	size_t n, cap;
	uint32_t *index;               /* open addressing: slot number + 1    */
	size_t index_cap;
	uint64_t tick;                 /* counts reads that asked (LRU order) */
	struct dead *dead;
	size_t ndead, capdead;
	uint64_t budget, bytes;        /* bytes: of the ranges slots hold */
	/* The builder: started with the first build, stopped at close. */
	pthread_t thread;
	bool running, building;
	atomic_bool stop;
	size_t *queue;                 /* slot indexes, FIFO */
	size_t qhead, qn, qcap;
	uint64_t built, served;        /* copies built; adjacency reads served */
	_Atomic uint64_t noted;        /* LSN of the last adjacency write noted */
	atomic_uint_fast64_t waits;    /* builds that waited for a write (tests) */
	atomic_uint_fast64_t served_ids; /* id lookups served                  */
};

int adjc_open(struct adjc **out, struct views *v)
{
	struct adjc *c = calloc(1, sizeof *c);
	if (!c)
		return log_error(-ENOMEM, "out of memory");
	c->v = v;
	c->budget = ADJC_DEFAULT_BYTES;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->idle, NULL);
	*out = c;
	return 0;
}

void adjc_close(struct adjc *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->mu);
	if (c->running)
		pthread_join(c->thread, NULL);
	for (size_t i = 0; i < c->n; i++) {
		adjc_range_unref(c->slots[i].cur);
		idc_unref(c->slots[i].ids);
		adjc_dirty_unref(c->slots[i].tracking);
	}
	for (size_t i = 0; i < c->ndead; i++) {
		adjc_range_unref(c->dead[i].r);
		idc_unref(c->dead[i].ids);
	}
	free(c->dead);
	free(c->index);
	free(c->slots);
	free(c->queue);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->idle);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void adjc_set_budget(struct adjc *c, uint64_t bytes)
{
	pthread_mutex_lock(&c->mu);
	c->budget = bytes;
	pthread_mutex_unlock(&c->mu);
}

void adjc_release(struct adjc_view *av)
{
	for (uint32_t i = 0; i < av->n; i++)
		adjc_range_unref(av->r[i]);
	av->n = 0;
}

/* Give up a reference under mu: kept for unlock() to let go of. */
static void bury(struct adjc *c, const struct adjc_range *r, const struct idc_copy *ids)
{
	if (c->ndead == c->capdead) {
		size_t cap = c->capdead ? 2 * c->capdead : 8;
		struct dead *d = realloc(c->dead, cap * sizeof *d);
		if (!d) {
			adjc_range_unref(r);  /* no room: let go now, under mu */
			idc_unref(ids);
			return;
		}
		c->dead = d;
		c->capdead = cap;
	}
	c->dead[c->ndead++] = (struct dead){ r, ids };
}

/* Unlock mu, then let go of the copies dropped under it. */
static void unlock(struct adjc *c)
{
	struct dead *d = c->dead;
	size_t n = c->ndead;
	c->dead = NULL;
	c->ndead = c->capdead = 0;
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < n; i++) {
		adjc_range_unref(d[i].r);
		idc_unref(d[i].ids);
	}
	free(d);
}

/* Drop a slot's copy (under mu). */
static void drop(struct adjc *c, struct slot *s)
{
	if (s->cur) {
		c->bytes -= adjc_range_bytes(s->cur);
		s->last_entries = adjc_range_entries(s->cur);
		bury(c, s->cur, NULL);
		s->cur = NULL;
	}
	if (s->ids) {
		c->bytes -= idc_bytes(s->ids);
		s->last_entries = idc_entries(s->ids);
		bury(c, NULL, s->ids);
		s->ids = NULL;
	}
	s->misses = 0;
	s->valid_txnid = s->dirty_txnid = NONE;
}

static size_t slot_hash(uint32_t layer, uint32_t etype, uint8_t dir)
{
	uint64_t k = ((uint64_t)layer << 32 | etype) * 0x9e3779b97f4a7c15ULL ^ dir;
	return (size_t)(k ^ k >> 29);
}

/* Index slot i (index_cap > 2 * slots). */
static void index_put(struct adjc *c, size_t i)
{
	const struct slot *s = &c->slots[i];
	size_t h = slot_hash(s->layer, s->etype, s->dir) & (c->index_cap - 1);
	while (c->index[h])
		h = (h + 1) & (c->index_cap - 1);
	c->index[h] = (uint32_t)i + 1;
}

static int index_grow(struct adjc *c)
{
	size_t cap = c->index_cap ? 2 * c->index_cap : 64;
	uint32_t *x = calloc(cap, sizeof *x);
	if (!x)
		return -ENOMEM;
	free(c->index);
	c->index = x;
	c->index_cap = cap;
	for (size_t i = 0; i < c->n; i++)
		index_put(c, i);
	return 0;
}

static struct slot *find(struct adjc *c, uint32_t layer, uint32_t etype, uint8_t dir, bool add)
{
	if (c->index_cap) {
		size_t h = slot_hash(layer, etype, dir) & (c->index_cap - 1);
		for (; c->index[h]; h = (h + 1) & (c->index_cap - 1)) {
			struct slot *s = &c->slots[c->index[h] - 1];
			if (s->layer == layer && s->etype == etype && s->dir == dir)
				return s;
		}
	}
	if (!add || c->n >= UINT32_MAX - 1)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct slot *p = realloc(c->slots, cap * sizeof *p);
		if (!p)
			return NULL;
		c->slots = p;
		c->cap = cap;
	}
	if (2 * (c->n + 1) > c->index_cap && index_grow(c) < 0)
		return NULL;
	struct slot *s = &c->slots[c->n];
	*s = (struct slot){ .layer = layer, .etype = etype, .dir = dir, .valid_txnid = NONE,
			    .dirty_txnid = NONE };
	index_put(c, c->n++);
	return s;
}

/* A copy that served a read among the last EVICT_AFTER_READS is never
 * dropped to make room: when the copies wanted exceed the budget, the
 * ones built stay and the others read LMDB, rather than taking turns. */
#define EVICT_AFTER_READS 512

/* Drop the least recently used copy other than `keep`'s that has not
 * been read lately (under mu): false if there is none. */
static bool evict_one(struct adjc *c, const struct slot *keep)
{
	struct slot *lru = NULL;
	for (size_t i = 0; i < c->n; i++) {
		struct slot *s = &c->slots[i];
		if (s != keep && (s->cur || s->ids) && s->last_used + EVICT_AFTER_READS <= c->tick &&
		    (!lru || s->last_used < lru->last_used))
			lru = s;
	}
	if (lru)
		drop(c, lru);
	return lru != NULL;
}

/* Make room for a build (under mu): the budget is spent. */
static void evict(struct adjc *c, const struct slot *keep)
{
	while (c->bytes >= c->budget && evict_one(c, keep))
		;
}

/* ---- the builder ---------------------------------------------------------- */

/* Room for the nodes written while a copy of s's range is in use: an
 * eighth of its entries (then the copy is stale), known from its last
 * copy, else guessed from the whole adjacency view, at most 64k nodes
 * (512 KiB: a small range's first copy must not take more). */
static size_t dirty_expect(struct adjc *c, const struct slot *s)
{
	MDB_txn *txn;
	MDB_stat st;
	if (s->last_entries)
		return s->last_entries / 8;
	if (views_read_begin(&txn, c->v) < 0)
		return 0;
	int rc = mdb_stat(txn, c->v->adj, &st);
	views_read_end(c->v, txn);
	return rc ? 0 : st.ms_entries / 8 < ((size_t)1 << 16) ? st.ms_entries / 8 : (size_t)1 << 16;
}

/* A read transaction for a build whose dirty set is registered: one that
 * holds every adjacency write noted before the registration (those were
 * not noted in the set).  A write is noted before its transaction
 * commits, so one noted but not committed yet is waited for. */
static int snapshot(struct adjc *c, MDB_txn **txn, uint64_t *lsn)
{
	uint64_t noted = atomic_load(&c->noted);
	for (int tries = 0;; tries++) {
		int err = views_read_begin(txn, c->v);
		if (err == 0 && (err = meta_get_u64(lsn, *txn, c->v, "applied_lsn")) == 0 &&
		    *lsn >= noted)
			return 0;
		if (err == 0)
			views_read_end(c->v, *txn);
		if (err < 0)
			return err;
		if (atomic_load(&c->stop) || tries == 10000)
			return -ECANCELED;  /* a write that never commits */
		if (tries == 0)
			atomic_fetch_add(&c->waits, 1);
		usleep(200);
	}
}

/* Build slot i's range in a read transaction of its own and publish it;
 * called with mu held, returns with it held. */
static void build_one(struct adjc *c, size_t i)
{
	struct slot s = c->slots[i];
	/* A fresher copy replaces the one it was built for. */
	uint64_t held = s.ids ? idc_bytes(s.ids) : s.cur ? adjc_range_bytes(s.cur) : 0;
	uint64_t room = c->budget > c->bytes - held ? c->budget - (c->bytes - held) : 0;
	struct adjc_range *r = NULL;
	struct idc_copy *ids = NULL;
	MDB_txn *txn;
	uint64_t lsn;
	size_t built_entries = 0;
	int err;

	/* Writes from now on note their nodes in `dirty` (adjc_note_writes);
	 * the snapshot must then hold every write noted before (see
	 * snapshot()). */
	struct adjc_dirty *dirty = NULL;
	if (s.dir != DIR_IDS) {
		pthread_mutex_unlock(&c->mu);
		size_t expect = dirty_expect(c, &s);
		pthread_mutex_lock(&c->mu);
		if (!(dirty = adjc_dirty_new(expect))) {
			c->slots[i].queued = false;
			return;
		}
		adjc_dirty_ref(dirty);
		c->slots[i].tracking = dirty;
	}
	pthread_mutex_unlock(&c->mu);
	if (s.dir == DIR_IDS) {
		if ((err = views_read_begin(&txn, c->v)) == 0) {
			err = idc_build(&ids, txn, c->v->ids, s.etype, (size_t)room, &c->stop);
			views_read_end(c->v, txn);
		}
	} else if ((err = snapshot(c, &txn, &lsn)) == 0) {
		err = adjc_range_build(&r, txn, c->v->adj, s.layer, s.etype, s.dir, lsn, (size_t)room,
				       &c->stop);
		views_read_end(c->v, txn);
	}
	if (r) {
		adjc_dirty_ref(dirty);
		adjc_range_set_dirty(r, dirty);  /* its room counts as the copy's */
		if (adjc_dirty_full(dirty)) {
			/* Written too much while it was made: stale already. */
			built_entries = adjc_range_entries(r);
			adjc_range_unref(r);
			r = NULL;
			err = GROVE_EBUSY;
		}
	}
	pthread_mutex_lock(&c->mu);
	struct slot *t = &c->slots[i];  /* slots may have moved */
	t->queued = false;
	if (dirty) {
		t->tracking = NULL;
		adjc_dirty_unref(dirty);  /* the slot's */
		adjc_dirty_unref(dirty);  /* this build's */
	}
	if (err < 0 || c->stop) {
		/* Too big, or no memory: try again after as many misses as a
		 * rebuild would wait for, with the least recently used copy
		 * gone if it did not fit beside the others. */
		t->misses = 0;
		t->last_entries = err == GROVE_ELIMIT ? room / 24
				  : built_entries ? built_entries : t->last_entries;
		if (err == GROVE_ELIMIT && !c->stop)
			evict_one(c, t);
		adjc_range_unref(r);
		idc_unref(ids);
		return;
	}
	drop(c, t);
	t->cur = r;
	t->ids = ids;
	t->valid_txnid = t->dirty_txnid = NONE;
	t->last_used = c->tick;
	c->bytes += r ? adjc_range_bytes(r) : idc_bytes(ids);
	c->built++;
}

static void *builder(void *arg)
{
	struct adjc *c = arg;
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		if (!c->qn) {
			pthread_cond_broadcast(&c->idle);
			pthread_cond_wait(&c->work, &c->mu);
			continue;
		}
		size_t i = c->queue[c->qhead];
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qn--;
		c->building = true;
		build_one(c, i);
		c->building = false;
		unlock(c);
		pthread_mutex_lock(&c->mu);
	}
	pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Queue slot i's build (under mu).  Best effort: a build that cannot be
 * queued is asked for again by the next miss. */
static void enqueue(struct adjc *c, size_t i)
{
	if (c->qn == c->qcap) {
		size_t cap = c->qcap ? 2 * c->qcap : 8;
		size_t *q = malloc(cap * sizeof *q);
		if (!q)
			return;
		for (size_t k = 0; k < c->qn; k++)
			q[k] = c->queue[(c->qhead + k) % c->qcap];
		free(c->queue);
		c->queue = q;
		c->qhead = 0;
		c->qcap = cap;
	}
	if (!c->running) {
		if (pthread_create(&c->thread, NULL, builder, c) != 0)
			return;
		c->running = true;
	}
	c->queue[(c->qhead + c->qn) % c->qcap] = i;
	c->qn++;
	c->slots[i].queued = true;
	pthread_cond_signal(&c->work);
}

void adjc_counts(struct adjc *c, uint64_t *built, uint64_t *served)
{
	pthread_mutex_lock(&c->mu);
	*built = c->built;
	*served = c->served;
	pthread_mutex_unlock(&c->mu);
}

uint64_t adjc_build_waits(struct adjc *c)
{
	return atomic_load(&c->waits);
}

uint64_t adjc_ids_served(struct adjc *c)
{
	return atomic_load_explicit(&c->served_ids, memory_order_relaxed);
}

void adjc_wait_idle(struct adjc *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->running && (c->qn || c->building))
		pthread_cond_wait(&c->idle, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

/* ---- reads ---------------------------------------------------------------- */

static void miss(struct adjc *c, struct slot *s)
{
	uint64_t had = s->ids ? idc_entries(s->ids) : s->last_entries;
	uint64_t need = had / REBUILD_ENTRIES_PER_MISS;
	if (need < adjc_first_misses)
		need = adjc_first_misses;
	s->misses++;
	if (s->queued || c->stop || s->misses < need || !c->budget)
		return;
	evict(c, s);
	if (c->bytes < c->budget)
		enqueue(c, (size_t)(s - c->slots));
}

/* Does s's range hold every entry a read at `cutoff` in `txn` sees?
 * 1 with *dirty NULL: all of them; 1 with *dirty set: all but those of
 * the nodes in it; 0: no (under mu; a range found stale is dropped). */
static int serves(struct adjc *c, struct slot *s, MDB_txn *txn, uint64_t txnid, uint64_t cutoff,
		  const struct adjc_dirty **dirty)
{
	char key[ADJC_STAMP_KEY_MAX];
	uint64_t from, stamp;
	int err;

	*dirty = NULL;
	if (!s->cur)
		return 0;
	if (cutoff <= adjc_range_lsn(s->cur) || s->valid_txnid == txnid)
		return 1;
	const struct adjc_dirty *d = adjc_range_dirty(s->cur);
	if (s->dirty_txnid == txnid && d && !adjc_dirty_full(d)) {
		*dirty = d;  /* the stamps were read for this state already */
		return 1;
	}
	adjc_stamp_key(key, s->layer, s->etype);
	if ((err = meta_get_u64(&from, txn, c->v, ADJC_STAMP_FROM)) < 0 ||
	    (err = meta_get_u64(&stamp, txn, c->v, key)) < 0)
		return err;
	/* Without "adj_stamp_from" writes were not stamped: nothing says the
	 * range is whole past its LSN. */
	if (from && stamp <= adjc_range_lsn(s->cur)) {
		s->valid_txnid = txnid;
		return 1;
	}
	/* Written since: whole but for the nodes its dirty set names, unless
	 * there are too many of them. */
	if (d && !adjc_dirty_full(d)) {
		s->dirty_txnid = txnid;
		*dirty = d;
		return 1;
	}
	drop(c, s);
	return 0;
}

int adjc_acquire(struct adjc_view *av, struct adjc *c, MDB_txn *txn,
		 const struct layer_chain *chain, uint32_t etype, uint8_t dir)
{
	uint64_t txnid = mdb_txn_id(txn);
	size_t at[ADJC_CHAIN_MAX];
	int ok = 1;

	av->n = 0;
	if (!c || adjc_bypass || chain->n == 0 || chain->n > ADJC_CHAIN_MAX)
		return 0;
	pthread_mutex_lock(&c->mu);
	if (!c->budget && !c->n) {
		unlock(c);
		return 0;
	}
	/* The chain's slots first: adding one may move them all. */
	c->tick++;
	for (uint32_t i = 0; i < chain->n; i++) {
		struct slot *s = find(c, chain->at[i].layer, etype, dir, true);
		at[i] = s ? (size_t)(s - c->slots) : SIZE_MAX;
	}
	for (uint32_t i = 0; i < chain->n; i++) {
		struct slot *s = at[i] != SIZE_MAX ? &c->slots[at[i]] : NULL;
		int rc = s ? serves(c, s, txn, txnid, chain->at[i].cutoff, &av->dirty[i]) : 0;
		if (rc < 0) {
			unlock(c);
			return rc;
		}
		if (rc)
			s->last_used = c->tick;  /* wanted, even if others miss */
		else if (s)
			miss(c, s);
		ok &= rc;
	}
	if (ok) {
		for (uint32_t i = 0; i < chain->n; i++) {
			struct slot *s = &c->slots[at[i]];
			av->r[i] = s->cur;
			adjc_range_ref(s->cur);
			av->cutoff[i] = chain->at[i].cutoff;
		}
		av->n = chain->n;
		c->served++;
	}
	unlock(c);
	return ok;
}

int adjc_id_lookup(uint64_t *entity, struct adjc *c, uint32_t type, const void *id, uint32_t len)
{
	const struct idc_copy *ids = NULL;
	struct slot *s;

	/* An id of IDKEY_WHOLE_MAX bytes or more may have a shared key
	 * (idkey.h): never in a copy (idcopy.c); LMDB and the name map decide. */
	if (!c || adjc_bypass || len >= IDKEY_WHOLE_MAX)
		return 0;
	pthread_mutex_lock(&c->mu);
	if ((c->budget || c->n) && (s = find(c, 0, type, DIR_IDS, true)) != NULL) {
		c->tick++;
		if ((ids = s->ids) != NULL) {
			idc_ref(ids);
			s->last_used = c->tick;
		} else {
			miss(c, s);
		}
	}
	unlock(c);
	if (!ids)
		return 0;
	bool found = idc_find(ids, id, len, entity);
	if (!found) {
		/* An id newer than the copy (or none at all): enough of
		 * them and a fresher copy is made. */
		pthread_mutex_lock(&c->mu);
		if ((s = find(c, 0, type, DIR_IDS, false)) != NULL && s->ids == ids)
			miss(c, s);
		unlock(c);
	} else {
		atomic_fetch_add_explicit(&c->served_ids, 1, memory_order_relaxed);
	}
	idc_unref(ids);
	return found;
}

/* ---- writes ----------------------------------------------------------------- */

struct note {
	struct target {
		uint32_t layer, etype;
		uint8_t dir;
		struct adjc_dirty *d;
	} *t, small[8];
	uint32_t n, cap;
};

static void note_key(void *arg, const uint8_t *k, uint32_t len)
{
	struct note *nt = arg;
	if (len < 17)
		return;
	uint32_t layer = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
	uint32_t etype = (uint32_t)k[4] << 24 | (uint32_t)k[5] << 16 | (uint32_t)k[6] << 8 | k[7];
	for (uint32_t i = 0; i < nt->n; i++)
		if (nt->t[i].layer == layer && nt->t[i].etype == etype && nt->t[i].dir == k[8])
			adjc_dirty_add(nt->t[i].d, layered_rd64(k + 9));
}

/* Take a reference to the dirty sets that writes to slot s must fill
 * (under mu): its copy's and its build's.  One that cannot be noted in
 * (no memory) is made full: its copy is then stale. */
static void note_targets(struct note *nt, struct slot *s)
{
	struct adjc_dirty *ds[2] = { s->cur ? (struct adjc_dirty *)adjc_range_dirty(s->cur) : NULL,
				     s->tracking };
	for (int k = 0; k < 2; k++) {
		if (!ds[k] || adjc_dirty_full(ds[k]))
			continue;
		if (nt->n == nt->cap) {
			uint32_t cap = 2 * nt->cap;
			struct target *t = nt->t == nt->small ? malloc(cap * sizeof *t)
							    : realloc(nt->t, cap * sizeof *t);
			if (!t) {
				adjc_dirty_spoil(ds[k]);
				continue;
			}
			if (nt->t == nt->small)
				memcpy(t, nt->small, sizeof nt->small);
			nt->t = t;
			nt->cap = cap;
		}
		adjc_dirty_ref(ds[k]);
		nt->t[nt->n++] = (struct target){ s->layer, s->etype, s->dir, ds[k] };
	}
}

static void batch_keys(const void *src, adjc_key_fn fn, void *arg)
{
	put_batch_each_key(src, fn, arg);
}

void adjc_note_writes(struct adjc *c, const struct put_batch *adj, const struct adjc_written *w,
		      uint32_t n)
{
	adjc_note_keys(c, batch_keys, adj, w, n);
}

void adjc_note_keys(struct adjc *c, adjc_keys_fn each, const void *src, const struct adjc_written *w,
		    uint32_t n)
{
	struct note nt = { .n = 0, .cap = sizeof nt.small / sizeof nt.small[0] };
	uint64_t lsn = 0;
	if (!c)
		return;
	nt.t = nt.small;
	for (uint32_t i = 0; i < n; i++)
		lsn = w[i].lsn > lsn ? w[i].lsn : lsn;
	/* Before looking for dirty sets: a build registering one after this
	 * waits for a snapshot with this write (snapshot()). */
	uint64_t was = atomic_load(&c->noted);
	while (was < lsn && !atomic_compare_exchange_weak(&c->noted, &was, lsn))
		;
	pthread_mutex_lock(&c->mu);
	for (uint32_t i = 0; i < n && c->n; i++)
		for (uint8_t dir = 0; dir < 2; dir++) {
			struct slot *s = find(c, w[i].layer, w[i].etype, dir, false);
			if (s && (s->cur || s->tracking))
				note_targets(&nt, s);
		}
	pthread_mutex_unlock(&c->mu);
	if (nt.n)
		each(src, note_key, &nt);
	for (uint32_t i = 0; i < nt.n; i++)
		adjc_dirty_unref(nt.t[i].d);
	if (nt.t != nt.small)
		free(nt.t);
}
