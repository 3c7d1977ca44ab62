/*
 * apply.c — the apply step (see apply.h).
 *
 * For each effect: read the entity's version visible on the branch before
 * this event (the "old" row), write the new version keyed by this LSN, and
 * keep adjacency in step: an edge whose endpoints changed gets tombstones
 * at its old endpoints in this branch's layer.  Old rows come from the
 * layer chain at the branch head, so a branch shadows its parents without
 * copying them.
 */
#include "index/apply.h"
#include "index/apply_int.h"
#include "index/chgrun.h"

#include <assert.h>
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/adjbulk.h"
#include "index/adjcache.h"
#include "index/idcache.h"
#include "index/idkey.h"
#include "index/layered.h"
#include "index/pidx.h"
#include "index/putbatch.h"
#include "index/records.h"
#include "index/row.h"
#include "index/schemas.h"
#include "log/error.h"

static void be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Skip one msgpack str at *off (fixstr/str8/16/32), returning it. */
static int read_str(const uint8_t **s, uint32_t *len, const uint8_t *p, size_t n, size_t *off)
{
	size_t o = *off;
	if (o >= n)
		return -1;
	uint8_t t = p[o];
	if ((t & 0xe0) == 0xa0) { *len = t & 0x1f; o += 1; }
	else if (t == 0xd9 && o + 2 <= n) { *len = p[o + 1]; o += 2; }
	else if (t == 0xda && o + 3 <= n) { *len = (uint32_t)p[o + 1] << 8 | p[o + 2]; o += 3; }
	else if (t == 0xdb && o + 5 <= n) {
		*len = (uint32_t)p[o + 1] << 24 | (uint32_t)p[o + 2] << 16 |
		       (uint32_t)p[o + 3] << 8 | p[o + 4];
		o += 5;
	} else return -1;
	if (o + *len > n)
		return -1;
	*s = p + o;
	*off = o + *len;
	return 0;
}

int row_ids(struct row_ids *r, const uint8_t *row, size_t n, bool edge)
{
	size_t off;
	uint32_t count;
	if (n < 1)
		return -1;
	if ((row[0] & 0xf0) == 0x90) { count = row[0] & 0x0f; off = 1; }
	else if (row[0] == 0xdc && n >= 3) { count = (uint32_t)row[1] << 8 | row[2]; off = 3; }
	else if (row[0] == 0xdd && n >= 5) {
		count = (uint32_t)row[1] << 24 | (uint32_t)row[2] << 16 | (uint32_t)row[3] << 8 | row[4];
		off = 5;
	} else return -1;
	if (count < 1 || read_str(&r->id, &r->id_len, row, n, &off) < 0)
		return -1;
	if (!edge || count < 3)
		return edge ? -1 : 0;
	if (read_str(&r->src, &r->src_len, row, n, &off) < 0 ||
	    read_str(&r->dst, &r->dst_len, row, n, &off) < 0)
		return -1;
	return 0;
}

/* What one apply step keeps between its effects: the ids it resolved and
 * the puts it defers to its end (putbatch.h).  One per views (writers
 * apply one event at a time); the cache lives as long as one event, whose
 * parts may be applied in several transactions. */
struct apply_state {
	uint64_t lsn;               /* the event the cache belongs to (0: none) */
	struct id_cache ids;
	/* The id map was empty when the event began and every id the event
	 * created since is cached: an id not cached does not exist. */
	bool ids_new_only;
	/* Every id the event created so far is in the cache (the cache has
	 * not been full), so a view as of before the event plus the cache
	 * resolve any id. */
	bool ids_all_cached;
	/* The writer's answers, asked before the id map (event.h). */
	const struct event_id_hints *hints;
	/* Two sets of batches, so that one part's puts can be gathered while
	 * the other's are written (apply_parts.c); b is the one filled. */
	struct put_batch sets[2][NBATCHES];
	struct put_batch *b;
	uint8_t *old;               /* copy of the old row of an effect */
	size_t old_cap;
	/* Per set: the (layer, edge type) pairs its adjacency puts write
	 * (apply_heads.c), and the run of changes entries being extended
	 * (chgrun.h; added to the set when apply_build ends). */
	struct adj_heads heads[2];
	struct chg_run runs[2];
	/* A huge event's adjacency, written at its end (adjbulk.h). */
	struct adj_bulk bulk;
};

uint32_t views_apply_part_effects = VIEWS_APPLY_PART_EFFECTS;

/* Batch memory kept between events (more is freed after each event). */
#define APPLY_KEEP_BYTES (4u << 20)

static struct apply_state *state_of(struct views *v, MDB_txn *txn, uint64_t lsn, int *err)
{
	struct apply_state *s = v->apply_cache;
	*err = 0;
	if (!s) {
		if (!(s = v->apply_cache = calloc(1, sizeof *s))) {
			*err = log_error(-ENOMEM, "out of memory");
			return NULL;
		}
		for (int k = 0; k < 2; k++) {
			struct put_batch *b = s->sets[k];
			put_batch_init(&b[B_IDMAP], v->ids, "id map");
			put_batch_init(&b[B_NAMES], v->names, "name map");
			put_batch_init(&b[B_ROWS], v->rows, "rows");
			put_batch_init(&b[B_ADJ], v->adj, "adjacency");
			put_batch_init(&b[B_PIDX], v->pidx, "property index");
			put_batch_init(&b[B_CHG], v->chg, "changes");
		}
		s->b = s->sets[0];
		s->ids.spare = &v->ids_spare;
	}
	if (s->lsn != lsn) {
		MDB_stat st;
		int rc = mdb_stat(txn, v->ids, &st);
		if (rc) {
			*err = views_error(rc, "id map");
			return NULL;
		}
		id_cache_clear(&s->ids);
		s->lsn = lsn;
		s->ids_new_only = st.ms_entries == 0;
		s->ids_all_cached = true;
	}
	return s;
}

static void trim(struct put_batch *b)
{
	if (b->capbytes + b->cap * 64 > APPLY_KEEP_BYTES)
		put_batch_free(b);
}

/* The event is done (or failed): its cached keys must not outlive it. */
static void state_end(struct views *v)
{
	struct apply_state *s = v->apply_cache;
	if (!s)
		return;
	id_cache_clear(&s->ids);
	s->lsn = 0;
	s->hints = NULL;
	s->heads[0].n = s->heads[1].n = 0;
	chg_run_drop(&s->runs[0]);
	chg_run_drop(&s->runs[1]);
	adj_bulk_clear(&s->bulk);
	s->bulk.on = false;
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < NBATCHES; i++) {
			put_batch_clear(&s->sets[k][i]);
			trim(&s->sets[k][i]);
		}
	if (s->old_cap > APPLY_KEEP_BYTES) {
		free(s->old);
		s->old = NULL;
		s->old_cap = 0;
	}
}

void views_apply_cache_free(struct views *v)
{
	struct apply_state *s = v->apply_cache;
	if (!s)
		return;
	id_cache_clear(&s->ids);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < NBATCHES; i++)
			put_batch_free(&s->sets[k][i]);
	adj_bulk_clear(&s->bulk);
	free(s->old);
	free(s->heads[0].at);
	free(s->heads[1].at);
	free(s);
	v->apply_cache = NULL;
}

/* Room for the puts and ids of n effects at once, rather than growing
 * (copying) step by step.  A hint: failing here is harmless. */
static void reserve(struct apply_state *s, const struct event_effect *fx, uint32_t n)
{
	static const struct { uint8_t per_effect, bytes; } guess[NBATCHES] = {
		[B_IDMAP] = { 1, 40 }, [B_NAMES] = { 1, 40 }, [B_ROWS] = { 1, 44 },
		[B_ADJ] = { 2, 49 }, [B_PIDX] = { 0, 0 }, [B_CHG] = { 0, 0 }, /* runs */
	};
	(void)id_cache_reserve(&s->ids, views_cached_ids(fx, n)); /* not fresh edges' */
	for (int i = 0; i < NBATCHES; i++)
		if (i != B_ADJ || !s->bulk.on)   /* held back for the event's end */
			(void)put_batch_reserve(&s->b[i], (size_t)n * guess[i].per_effect,
						(size_t)n * guess[i].per_effect * guess[i].bytes);
}

static struct adj_heads *heads_of(struct apply_state *s, const struct put_batch *set)
{
	return &s->heads[set == s->sets[0] ? 0 : 1];
}

static struct chg_run *run_of(struct apply_state *s, const struct put_batch *set)
{
	return &s->runs[set == s->sets[0] ? 0 : 1];
}

void apply_discard(struct apply_state *s, struct put_batch *set)
{
	chg_run_drop(run_of(s, set));
	for (int i = 0; i < NBATCHES; i++)
		put_batch_clear(&set[i]);
}

void apply_end(struct views *v)
{
	state_end(v);
}

void views_prepare_ids(struct views *v, size_t n)
{
	id_spare_prepare(&v->ids_spare, n);
}

void apply_reserve_ids(struct apply_branch *b, uint32_t n)
{
	(void)id_cache_reserve(&b->s->ids, n);
}

void apply_take_hints(struct apply_branch *b, const struct event_id_hints *h)
{
	b->s->hints = h && h->get ? h : NULL;
}

void apply_sort(struct apply_branch *b)
{
	for (int i = 0; i < NBATCHES; i++)
		put_batch_sort(&b->s->b[i]);
}

void apply_discard_all(struct apply_branch *b)
{
	apply_discard(b->s, b->s->sets[0]);
	apply_discard(b->s, b->s->sets[1]);
}

int apply_flush(MDB_txn *txn, struct views *v, struct put_batch *set, uint64_t next_id)
{
	struct adj_heads *h = heads_of(v->apply_cache, set);
	int err = 0;
	/* Copies of adjacency in memory learn which nodes this changes before
	 * the transaction can commit (adjcache.h). */
	if (set[B_ADJ].n)
		adjc_note_writes(v->adjc, &set[B_ADJ], h->at, h->n);
	for (int i = 0; i < NBATCHES; i++) {
		int e = put_batch_flush(&set[i], txn);
		if (!err)
			err = e;
	}
	if (err < 0) {
		h->n = 0;
		return err;
	}
	if ((err = adj_heads_stamp(txn, v, h)) < 0)
		return err;
	return meta_put_u64(txn, v, "next_id", next_id);
}

void apply_bulk_begin(struct apply_branch *b)
{
	b->s->bulk.on = true;
}

size_t apply_bulk_count(const struct apply_branch *b)
{
	return adj_bulk_count(&b->s->bulk);
}

int apply_bulk_end(MDB_txn *txn, struct views *v, struct apply_branch *b, uint64_t lsn, bool write)
{
	struct adj_bulk *bulk = &b->s->bulk;
	bulk->on = false;
	if (!write) {
		adj_bulk_clear(bulk);
		return 0;
	}
	return adj_bulk_flush(bulk, txn, v->adj, v->adjc, b->rec.layer, lsn);
}

struct put_batch *apply_switch(struct apply_branch *b)
{
	struct apply_state *s = b->s;
	struct put_batch *built = s->b;
	s->b = built == s->sets[0] ? s->sets[1] : s->sets[0];
	return built;
}

/* Record new entity e = (type, id): batched when the cache holds it (so
 * lookups find it before the batch is written) or nothing will look it
 * up (a fresh edge id), else written through. */
static int new_id(MDB_txn *txn, struct views *v, struct apply_state *s, uint32_t type,
		  const uint8_t *id, uint32_t id_len, uint64_t e, bool cached)
{
	uint8_t k[IDKEY_MAX], ek[8], *name = k;
	uint32_t kn = idkey_make(k, type, id, id_len);
	int err;

	be64(ek, e);
	if (kn != 4 + id_len) {
		/* A long id: the name map holds it whole (idkey.h). */
		if (!(name = malloc(4 + (size_t)id_len)))
			return log_error(-ENOMEM, "out of memory");
		memcpy(name, k, 4);
		memcpy(name + 4, id, id_len);
	}
	if (cached) {
		err = put_batch_add(&s->b[B_IDMAP], k, kn, ek, 8);
		if (err >= 0)
			err = put_batch_add(&s->b[B_NAMES], ek, 8, name, 4 + id_len);
		if (name != k)
			free(name);
		return err < 0 ? err : 1;
	}
	/* The cache is full: ids must be looked up in the map from now on. */
	s->ids_new_only = false;
	s->ids_all_cached = false;
	MDB_val key = { kn, k }, val = { 8, ek }, nk = { 8, ek }, nv = { 4 + (size_t)id_len, name };
	int rc = mdb_put(txn, v->ids, &key, &val, MDB_NOOVERWRITE);
	if (!rc)
		rc = mdb_put(txn, v->names, &nk, &nv, 0);
	if (name != k)
		free(name);
	return rc ? views_error(rc, "id map") : 1;
}

/* The internal id of (type, id), made if there is none: 1 and a new id
 * taken from *next, else 0. */
static int resolve_new(uint64_t *out, MDB_txn *txn, struct views *v, struct apply_state *s,
		       uint32_t type, const uint8_t *id, uint32_t id_len, uint64_t *next,
		       bool no_txn)
{
	int err;

	if (s->ids_new_only) {
		/* Not cached means new: find or add it in one probe. */
		err = id_cache_claim(out, &s->ids, type, id, id_len, *next);
		/* Seen before (its old row is in the views) or not cached (its
		 * id goes straight to the map): the views are needed.  The
		 * claim changed nothing in either case. */
		if (no_txn && err != 1)
			return APPLY_NEED_TXN;
		if (err == 0)
			return 0;
		if (err < 0)
			*out = *next; /* not cached, so new all the same */
		(*next)++;
		return new_id(txn, v, s, type, id, id_len, *out, err == 1);
	}
	if (id_cache_get(out, &s->ids, type, id, id_len))
		return no_txn ? APPLY_NEED_TXN : 0; /* maybe touched by this event */
	if ((err = views_id_lookup(out, txn, v, type, id, id_len)) != GROVE_ENOTFOUND)
		return err;
	*out = (*next)++;
	bool cached = id_cache_put(&s->ids, type, id, id_len, *out) == 0;
	if (no_txn && !cached) {
		(*next)--; /* out of memory: the id must be written through */
		return APPLY_NEED_TXN;
	}
	return new_id(txn, v, s, type, id, id_len, *out, cached);
}

/* Internal id of an existing entity (an edge endpoint, a deleted entity):
 * GROVE_ENOTFOUND if it has none. */
static int resolve(uint64_t *out, MDB_txn *txn, struct views *v, struct apply_state *s,
		   uint32_t type, const uint8_t *id, uint32_t id_len, bool cache)
{
	if (id_cache_get(out, &s->ids, type, id, id_len))
		return 0;
	if (s->ids_new_only)
		return GROVE_ENOTFOUND;
	/* The id map only gains entries: an id the plan found there is
	 * still that entity's. */
	int err = s->hints && s->hints->get(s->hints->arg, type, id, id_len, out)
		? 0 : views_id_lookup(out, txn, v, type, id, id_len);
	if (!err && cache && id_cache_put(&s->ids, type, id, id_len, *out) < 0)
		s->ids_all_cached = false; /* maybe a touched entity: see apply_effect */
	return err;
}

/* Adjacency entry of edge `e` at node `node` in direction `dir`. */
static int adj_write(struct apply_branch *b, uint32_t etype, uint8_t dir, uint64_t node,
		     uint64_t e, uint64_t lsn, const uint64_t *other)
{
	uint8_t prefix[13], elem[8], key[33], val[8];
	be32(prefix, etype);
	prefix[4] = dir;
	be64(prefix + 5, node);
	be64(elem, e);
	uint32_t n = layered_key(key, b->rec.layer, prefix, sizeof prefix, elem, 8, lsn);
	assert(n == sizeof key);
	if (other)
		be64(val, *other);
	int err = adj_heads_note(heads_of(b->s, b->s->b), b->rec.layer, etype, lsn);
	if (err >= 0 && b->s->bulk.on)
		return adj_bulk_add(&b->s->bulk, etype, dir, node, e, other);
	return err < 0 ? err : put_batch_add(&b->s->b[B_ADJ], key, n, val, other ? 8 : 0);
}

/* Internal ids of an edge row's endpoints, whose types the catalog names. */
static int endpoints(uint64_t *src, uint64_t *dst, struct apply_branch *b, MDB_txn *txn,
		     struct views *v, const struct lang_cat_type *et, const struct row_ids *r)
{
	int err;
	if ((err = resolve(src, txn, v, b->s, et->from_id, r->src, r->src_len, true)) < 0 ||
	    (err = resolve(dst, txn, v, b->s, et->to_id, r->dst, r->dst_len, true)) < 0)
		return err == GROVE_ENOTFOUND
			? log_error(GROVE_ECORRUPT, "a stored %s edge names an endpoint that does not exist",
				    et->name)
			: err;
	return 0;
}

static const struct lang_cat_type *type_of(const struct lang_catalog *cat, uint32_t id, bool edge)
{
	const struct lang_cat_type *v = edge ? cat->edges : cat->nodes;
	uint32_t n = edge ? cat->n_edges : cat->n_nodes;
	for (uint32_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

static int edge_adjacency(MDB_txn *txn, struct views *v, struct apply_branch *b,
			  const struct lang_cat_type *et, uint64_t e, uint64_t lsn,
			  const MDB_val *old, const struct row_ids *now)
{
	uint64_t osrc = 0, odst = 0, src = 0, dst = 0;
	struct row_ids o;
	int err = 0;

	if (old && row_ids(&o, old->mv_data, old->mv_size, true) < 0)
		return log_error(GROVE_ECORRUPT, "a stored edge row is malformed");
	/* The old row lives in a copy overwritten by the next effect: do
	 * not cache ids that point into it. */
	if (old && (err = resolve(&osrc, txn, v, b->s, et->from_id, o.src, o.src_len, false)) == 0)
		err = resolve(&odst, txn, v, b->s, et->to_id, o.dst, o.dst_len, false);
	if (err < 0)
		return err == GROVE_ENOTFOUND
			? log_error(GROVE_ECORRUPT, "a stored %s edge names a missing endpoint", et->name)
			: err;
	if (now && (err = endpoints(&src, &dst, b, txn, v, et, now)) < 0)
		return err;
	bool moved = old && (!now || osrc != src || odst != dst);
	if (moved && ((err = adj_write(b, et->id, 0, osrc, e, lsn, NULL)) < 0 ||
		      (err = adj_write(b, et->id, 1, odst, e, lsn, NULL)) < 0))
		return err;
	if (now && (!old || moved) &&
	    ((err = adj_write(b, et->id, 0, src, e, lsn, &dst)) < 0 ||
	     (err = adj_write(b, et->id, 1, dst, e, lsn, &src)) < 0))
		return err;
	return 0;
}

/* The visible version of entity e before this event, copied into *old
 * (LMDB memory is only valid until the next put): 0, or GROVE_ENOTFOUND. */
static int old_row(MDB_val *old, MDB_txn *txn, struct views *v, struct apply_branch *b,
		   const uint8_t *prefix, const uint8_t *elem)
{
	struct apply_state *s = b->s;
	MDB_val found;
	int err = layered_get(&found, NULL, txn, v->rows, &b->chain, prefix, 4, elem, 8);
	if (err < 0)
		return err;
	if (found.mv_size > s->old_cap) {
		size_t cap = found.mv_size * 2;
		uint8_t *p = realloc(s->old, cap);
		if (!p)
			return log_error(-ENOMEM, "out of memory");
		s->old = p;
		s->old_cap = cap;
	}
	if (found.mv_size)
		memcpy(s->old, found.mv_data, found.mv_size);
	*old = (MDB_val){ found.mv_size, s->old };
	return 0;
}

static int apply_effect(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			struct apply_branch *b, uint64_t lsn, const struct event_effect *fx)
{
	uint8_t prefix[4], elem[8], key[LAYERED_KEY_MAX];
	bool edge = fx->op == EFFECT_PUT_EDGE || fx->op == EFFECT_DELETE_EDGE;
	bool del = fx->op == EFFECT_DELETE_NODE || fx->op == EFFECT_DELETE_EDGE;
	const struct lang_cat_type *t = type_of(cat, fx->type_id, edge);
	struct row_ids r;
	uint64_t e;
	MDB_val old = { 0, NULL };
	int err;

	if (!t)
		return log_error(GROVE_ECORRUPT, "an effect names unknown %s type %u",
				 edge ? "edge" : "node", fx->type_id);
	if (row_ids(&r, fx->row.ptr, fx->row.len, edge && !del) < 0)
		return log_error(GROVE_ECORRUPT, "an effect row of type %u is malformed", fx->type_id);
	/* Without the write transaction (another thread writes through it),
	 * txn is b->rtxn: the views as of before this event, or none.  So
	 * nothing may be written (the cache must not fill), an entity this
	 * event touched already must not be read there (touched entities
	 * are cached, and resolve_new stops at a cached one), and without
	 * rtxn only new entities into an empty id map can be applied. */
	if (b->no_txn && (del || !b->s->ids_all_cached || id_cache_room(&b->s->ids) < 3 ||
			  (!txn && !b->s->ids_new_only)))
		return APPLY_NEED_TXN;
	if (!del && edge && (fx->flags & EFFECT_FRESH_ID)) {
		/* An id the load made: nothing has it, nothing will ask for
		 * it (event.h), so it is neither looked up nor cached. */
		e = b->next_id++;
		err = new_id(txn, v, b->s, fx->type_id, r.id, r.id_len, e, true);
	} else {
		err = del ? resolve(&e, txn, v, b->s, fx->type_id, r.id, r.id_len, true)
			  : resolve_new(&e, txn, v, b->s, fx->type_id, r.id, r.id_len, &b->next_id,
					b->no_txn);
	}
	if (err == APPLY_NEED_TXN)
		return err;
	if (err == GROVE_ENOTFOUND)
		return 0; /* deleting what never existed changes nothing */
	if (err < 0)
		return err;
	bool fresh = err == 1; /* a new entity has no older version anywhere */
	/* A touched entity is cached (see above); if it cannot be, the helper
	 * may not trust the views as of before the event any more. */
	if (!fresh && id_cache_put(&b->s->ids, fx->type_id, r.id, r.id_len, e) < 0) {
		if (b->no_txn)
			return APPLY_NEED_TXN;
		b->s->ids_all_cached = false;
	}
	layered_be32(prefix, fx->type_id);
	layered_be64(elem, e);
	err = fresh ? GROVE_ENOTFOUND : old_row(&old, txn, v, b, prefix, elem);
	if (err < 0 && err != GROVE_ENOTFOUND)
		return err;
	bool had = err == 0;
	if (del && !had)
		return 0;
	MDB_val now = { fx->row.len, (void *)fx->row.ptr };
	if ((edge && (err = edge_adjacency(txn, v, b, t, e, lsn, had ? &old : NULL,
					   del ? NULL : &r)) < 0) ||
	    (err = pidx_update(&b->s->b[B_PIDX], b->rec.layer, t, e, lsn, had ? &old : NULL,
			       del ? NULL : &now)) < 0)
		return err;
	uint32_t n = layered_key(key, b->rec.layer, prefix, 4, elem, 8, lsn);
	if ((err = put_batch_add_ref(&b->s->b[B_ROWS], key, n, del ? NULL : fx->row.ptr,
				     del ? 0 : fx->row.len)) < 0)
		return err;
	/* chg: layer | lsn | type | entity, for LSN-range change reads.  The
	 * entities this event makes come in id order and may share an entry
	 * (chgrun.h); one it made and touches again is noted already; one
	 * that was there before has an entry of its own, whose key no run's
	 * can be (runs start at ids from first_new on). */
	if (fresh)
		return chg_run_note(run_of(b->s, b->s->b), &b->s->b[B_CHG], b->rec.layer, lsn,
				    fx->type_id, e, del ? 2 : 1);
	if (e >= b->first_new)
		return 0;
	return chg_single(&b->s->b[B_CHG], b->rec.layer, lsn, fx->type_id, e, del ? 2 : 1);
}

static void copy_bytes(char *dst, size_t cap, struct event_bytes b)
{
	size_t n = b.len < cap - 1 ? b.len : cap - 1;
	if (n)
		memcpy(dst, b.ptr, n);
	dst[n] = '\0';
}

static int put_commit(MDB_txn *txn, struct views *v, uint64_t lsn, const struct event *ev,
		      const char *branch, uint32_t layer, const struct commit_id *parent,
		      uint64_t version)
{
	struct commit_rec c = { .id = ev->commit, .merged_parent = ev->merged_parent,
				.lsn = lsn, .time_us = ev->time_us, .version = version,
				.layer = layer, .kind = ev->kind };
	if (parent)
		c.parent = *parent;
	snprintf(c.branch, sizeof c.branch, "%s", branch);
	copy_bytes(c.actor, sizeof c.actor, ev->actor);
	return commit_put(txn, v, &c);
}

static int genesis(MDB_txn *txn, struct views *v, const struct lang_catalog *cat, uint64_t lsn,
		   const struct event *ev)
{
	struct layer_rec l = { 0, 0, 0 };
	struct branch_rec b = { .layer = MAIN_LAYER, .head_lsn = lsn, .head = ev->commit,
				.created_lsn = lsn, .version = 1 };
	void *enc;
	size_t enc_len;
	int err;

	if ((err = lang_catalog_encode(&enc, &enc_len, cat)) < 0)
		return log_error(GROVE_EINVAL, "cannot encode the catalog");
	err = meta_put(txn, v, "catalog", enc, enc_len);
	free(enc);
	if (err < 0 ||
	    (err = meta_put(txn, v, "schema", ev->schema_text.ptr, ev->schema_text.len)) < 0 ||
	    (err = meta_put_u64(txn, v, "next_layer", MAIN_LAYER + 1)) < 0 ||
	    (err = layer_put(txn, v, MAIN_LAYER, &l)) < 0 ||
	    (err = branch_put(txn, v, MAIN_BRANCH, &b)) < 0)
		return err;
	return put_commit(txn, v, lsn, ev, MAIN_BRANCH, MAIN_LAYER, NULL, 1);
}

static int branch_create(MDB_txn *txn, struct views *v, uint64_t lsn, const struct event *ev)
{
	char name[BRANCH_NAME_MAX + 1], from[BRANCH_NAME_MAX + 1];
	struct branch_rec src, b;
	uint64_t next;
	int err;

	copy_bytes(name, sizeof name, ev->name);
	copy_bytes(from, sizeof from, ev->from);
	if ((err = branch_get(&src, txn, v, from)) < 0 ||
	    (err = meta_get_u64(&next, txn, v, "next_layer")) < 0)
		return err == GROVE_ENOTFOUND
			? log_error(GROVE_ECORRUPT, "event %lu creates a branch from missing '%s'",
				    (unsigned long)lsn, from)
			: err;
	struct layer_rec l = { src.layer, 0, src.head_lsn };
	b = (struct branch_rec){ .layer = (uint32_t)next, .parent_layer = src.layer,
				 .head_lsn = lsn, .head = src.head, .created_lsn = lsn,
				 .version = src.version };
	if ((err = layer_put(txn, v, (uint32_t)next, &l)) < 0 ||
	    (err = meta_put_u64(txn, v, "next_layer", next + 1)) < 0)
		return err;
	return branch_put(txn, v, name, &b);
}

int apply_begin(struct apply_branch *b, char *name, MDB_txn *txn, struct views *v,
		uint64_t lsn, const struct event *ev)
{
	int err;
	memset(b, 0, sizeof *b);
	copy_bytes(name, BRANCH_NAME_MAX + 1, ev->branch);
	b->name = name;
	if ((err = branch_get(&b->rec, txn, v, name)) < 0)
		return err == GROVE_ENOTFOUND
			? log_error(GROVE_ECORRUPT, "event %lu writes to missing branch '%s'",
				    (unsigned long)lsn, name)
			: err;
	if ((err = layer_chain(&b->chain, txn, v, b->rec.layer, b->rec.head_lsn)) < 0 ||
	    (err = meta_get_u64(&b->next_id, txn, v, "next_id")) < 0)
		return err;
	if (!b->next_id)
		b->next_id = 1;
	b->first_new = b->next_id;
	return (b->s = state_of(v, txn, lsn, &err)) ? 0 : err;
}

/* Effects ahead of the one applied whose ids are fetched into the cache. */
#define PREFETCH_EFFECTS 8u

/* Start fetching the id cache slots effect fx will look up. */
static void prefetch_ids(const struct id_cache *c, const struct lang_catalog *cat,
			 const struct event_effect *fx)
{
	bool edge = fx->op == EFFECT_PUT_EDGE, del = fx->op == EFFECT_DELETE_EDGE ||
						     fx->op == EFFECT_DELETE_NODE;
	const struct lang_cat_type *t;
	struct row_ids r;
	if (del || row_ids(&r, fx->row.ptr, fx->row.len, edge) < 0)
		return;
	if (!(edge && (fx->flags & EFFECT_FRESH_ID)))   /* not looked up: apply_effect */
		id_cache_prefetch(c, fx->type_id, r.id, r.id_len);
	if (edge && (t = type_of(cat, fx->type_id, true)) != NULL) {
		id_cache_prefetch(c, t->from_id, r.src, r.src_len);
		id_cache_prefetch(c, t->to_id, r.dst, r.dst_len);
	}
}

int apply_build(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
		struct apply_branch *b, uint64_t lsn, const struct event_effect *fx, uint32_t n,
		uint32_t *done)
{
	int err = 0;
	if (*done == 0)
		reserve(b->s, fx, n);
	for (uint32_t i = *done; i < n; i++) {
		if (i + PREFETCH_EFFECTS < n)
			prefetch_ids(&b->s->ids, cat, &fx[i + PREFETCH_EFFECTS]);
		if ((err = apply_effect(txn, v, cat, b, lsn, &fx[i])) != 0)
			return err;
		*done = i + 1;
	}
	return chg_run_close(run_of(b->s, b->s->b), &b->s->b[B_CHG]);
}

/* Apply effects [0, n) in one part, in the caller. */
static int apply_all(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
		     struct apply_branch *b, uint64_t lsn, const struct event_effect *fx, uint32_t n)
{
	uint32_t done = 0;
	int err = apply_build(txn, v, cat, b, lsn, fx, n, &done);
	if (err) {
		apply_discard(b->s, b->s->b);
		return err;
	}
	return apply_flush(txn, v, b->s->b, b->next_id);
}

static int commit_effects(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			  uint64_t lsn, const struct event *ev, const struct event_effect *fx,
			  uint32_t n)
{
	struct apply_branch b;
	char name[BRANCH_NAME_MAX + 1];
	int err;

	if ((err = apply_begin(&b, name, txn, v, lsn, ev)) < 0 ||
	    (err = apply_all(txn, v, cat, &b, lsn, fx, n)) < 0)
		return err;
	if ((err = put_commit(txn, v, lsn, ev, name, b.rec.layer, &b.rec.head,
			      b.rec.version + 1)) < 0)
		return err;
	b.rec.head = ev->commit;
	b.rec.head_lsn = lsn;
	b.rec.version++;
	return branch_put(txn, v, name, &b.rec);
}

static int views_apply_event(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			     uint64_t lsn, const struct event *ev, const struct event_effect *effects,
			     uint32_t n);

int views_apply(MDB_txn *txn, struct views *v, const struct lang_catalog *cat, uint64_t lsn,
		const struct event *ev, const struct event_effect *effects, uint32_t n)
{
	int err = views_apply_event(txn, v, cat, lsn, ev, effects, n);
	state_end(v);
	return err;
}

static int views_apply_event(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			     uint64_t lsn, const struct event *ev, const struct event_effect *effects,
			     uint32_t n)
{
	char name[BRANCH_NAME_MAX + 1];
	int err;

	switch (ev->kind) {
	case EVENT_SCHEMA_APPLY:
		/* The first schema event creates the graph; a later one
		 * migrates it (index/schemas.c). */
		err = schemas_exist(txn, v);
		if (err == 0)
			err = schemas_apply(txn, v, lsn, ev);
		else if (err == GROVE_ENOTFOUND)
			err = genesis(txn, v, cat, lsn, ev);
		break;
	case EVENT_BRANCH_CREATE:
		err = branch_create(txn, v, lsn, ev);
		break;
	case EVENT_BRANCH_DELETE:
		copy_bytes(name, sizeof name, ev->name);
		err = branch_del(txn, v, name);
		break;
	case EVENT_MUTATION:
	case EVENT_LOAD_CHUNK:
	case EVENT_MERGE:
	case EVENT_OPTIMIZE:   /* a commit of its own, without effects */
		err = commit_effects(txn, v, cat, lsn, ev, effects, n);
		break;
	default:
		err = log_error(GROVE_ECORRUPT, "event %lu has unknown kind %u", (unsigned long)lsn,
				ev->kind);
	}
	return err < 0 ? err : meta_put_u64(txn, v, "applied_lsn", lsn);
}
