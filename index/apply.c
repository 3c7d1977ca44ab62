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

#include <assert.h>
#include <errno.h>
#include <msgpack.h>
#include <xxhash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/layered.h"
#include "index/pidx.h"
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

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
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

/* The leading strings of a row: its id, and for edges src and dst
 * (row.h), read without unpacking the rest. */
struct row_ids {
	const uint8_t *id, *src, *dst;
	uint32_t id_len, src_len, dst_len;
};

static int row_ids(struct row_ids *r, const uint8_t *row, size_t n, bool edge)
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

static int put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kn, const void *d, size_t dn,
	       unsigned flags, const char *what)
{
	MDB_val key = { kn, (void *)k }, val = { dn, (void *)d };
	int rc = mdb_put(txn, dbi, &key, &val, flags);
	/* An optimistic append (keys of new entities and of the change log
	 * usually sort last) that was not last after all: a normal put. */
	if (rc == MDB_KEYEXIST && (flags & MDB_APPEND))
		rc = mdb_put(txn, dbi, &key, &val, flags & ~MDB_APPEND);
	if (rc == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE))
		return 0;
	return rc ? views_error(rc, what) : 0;
}

/* The internal id of (type, id); a new one from meta "next_id" if
 * `create` and there is none (GROVE_ENOTFOUND otherwise). */
/* Ids resolved during one apply, by (type, user id): edges name their
 * endpoints again and again.  Keys point into the event being applied,
 * which outlives the cache. */
struct id_slot {
	uint64_t h;                 /* 0: empty */
	const uint8_t *id;
	uint32_t len, type;
	uint64_t e;
};

struct id_cache {
	struct id_slot *slots;
	size_t cap, n;              /* cap: a power of two */
};

static uint64_t id_hash(uint32_t type, const uint8_t *id, uint32_t len)
{
	uint64_t h = XXH3_64bits_withSeed(id, len, type);
	return h ? h : 1;
}

static struct id_slot *cache_find(struct id_cache *c, uint64_t h, uint32_t type,
				  const uint8_t *id, uint32_t len)
{
	for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
		struct id_slot *s = &c->slots[i];
		if (!s->h || (s->h == h && s->type == type && s->len == len && !memcmp(s->id, id, len)))
			return s;
	}
}

static bool cache_get(uint64_t *e, struct id_cache *c, uint32_t type, const uint8_t *id,
		      uint32_t len)
{
	if (!c || !c->cap)
		return false;
	struct id_slot *s = cache_find(c, id_hash(type, id, len), type, id, len);
	if (s->h)
		*e = s->e;
	return s->h != 0;
}

#define ID_CACHE_MAX (4u << 20)

/* Best effort: a cache that cannot grow just stops caching. */
static void cache_put(struct id_cache *c, uint32_t type, const uint8_t *id, uint32_t len,
		      uint64_t e)
{
	if (!c || c->n >= ID_CACHE_MAX)
		return;
	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		struct id_slot *old = c->slots, *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return;
		size_t ocap = c->cap;
		c->slots = slots;
		c->cap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].h)
				*cache_find(c, old[i].h, old[i].type, old[i].id, old[i].len) = old[i];
		free(old);
	}
	uint64_t h = id_hash(type, id, len);
	struct id_slot *s = cache_find(c, h, type, id, len);
	if (!s->h)
		c->n++;
	*s = (struct id_slot){ h, id, len, type, e };
}

/* The internal id of (type, id); with `next` (create) a new one, taken
 * from *next, when there is none (GROVE_ENOTFOUND otherwise). */
static int resolve_id(uint64_t *out, MDB_txn *txn, struct views *v, uint32_t type,
		      const uint8_t *id, uint32_t id_len, uint64_t *next)
{
	uint8_t k[4 + LAYERED_KEY_MAX], ek[8];

	if (!next)
		return views_id_lookup(out, txn, v, type, id, id_len);
	if (id_len > LAYERED_KEY_MAX - 4)
		return log_error(GROVE_ETOOBIG, "an id of %u bytes exceeds the limit of %u bytes",
				 id_len, LAYERED_KEY_MAX - 4);
	/* One descent: offer the next id; an existing entry comes back. */
	be32(k, type);
	memcpy(k + 4, id, id_len);
	be64(ek, *next);
	MDB_val key = { 4 + id_len, k }, val = { 8, ek };
	int rc = mdb_put(txn, v->ids, &key, &val, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		if (val.mv_size != 8)
			return log_error(GROVE_ECORRUPT, "id map entry has %zu bytes", val.mv_size);
		*out = rd64(val.mv_data);
		return 0;
	}
	if (rc)
		return views_error(rc, "id map");
	*out = (*next)++;
	int perr = put(txn, v->names, ek, 8, k, 4 + id_len, MDB_APPEND, "name map");
	return perr < 0 ? perr : 1;
}

/* An adjacency entry waiting to be written.  Within one transaction no
 * apply step reads adjacency, so the entries of a part are written at its
 * end, sorted: random node ids would otherwise scatter the puts over the
 * whole tree, one page descent each. */
struct adj_put {
	uint8_t key[33];            /* layer 4, etype 4, dir 1, node 8, edge 8, ~lsn 8 */
	uint8_t has_val;
	uint8_t val[8];
};

struct apply_branch {
	const char *name;
	struct id_cache *ids;
	struct branch_rec rec;
	struct layer_chain chain;   /* the branch as of before this event */
	uint64_t next_id;           /* meta "next_id", written back once  */
	struct adj_put *adj;        /* pending adjacency writes           */
	size_t nadj, capadj;
};

/* Adjacency entry of edge `e` at node `node` in direction `dir`. */
static int adj_write(MDB_txn *txn, struct views *v, struct apply_branch *b, uint32_t etype,
		     uint8_t dir, uint64_t node, uint64_t e, uint64_t lsn, const uint64_t *other)
{
	uint8_t prefix[13], elem[8];
	(void)txn;
	(void)v;
	if (b->nadj == b->capadj) {
		size_t cap = b->capadj ? b->capadj * 2 : 1024;
		struct adj_put *a = realloc(b->adj, cap * sizeof *a);
		if (!a)
			return log_error(-ENOMEM, "out of memory");
		b->adj = a;
		b->capadj = cap;
	}
	struct adj_put *p = &b->adj[b->nadj++];
	be32(prefix, etype);
	prefix[4] = dir;
	be64(prefix + 5, node);
	be64(elem, e);
	uint32_t n = layered_key(p->key, b->rec.layer, prefix, sizeof prefix, elem, 8, lsn);
	assert(n == sizeof p->key);
	(void)n;
	p->has_val = other != NULL;
	if (other)
		be64(p->val, *other);
	return 0;
}

static int adj_cmp(const void *a, const void *b)
{
	return memcmp(((const struct adj_put *)a)->key, ((const struct adj_put *)b)->key,
		      sizeof ((const struct adj_put *)a)->key);
}

static int adj_flush(MDB_txn *txn, struct views *v, struct apply_branch *b)
{
	int err = 0;
	if (b->nadj)
		qsort(b->adj, b->nadj, sizeof *b->adj, adj_cmp);
	for (size_t i = 0; i < b->nadj && !err; i++)
		err = put(txn, v->adj, b->adj[i].key, sizeof b->adj[i].key, b->adj[i].val,
			  b->adj[i].has_val ? 8 : 0, 0, "adjacency");
	free(b->adj);
	b->adj = NULL;
	b->nadj = b->capadj = 0;
	return err;
}

/* Internal ids of an edge row's endpoints, whose types the catalog names. */
static int endpoint(uint64_t *e, struct apply_branch *b, MDB_txn *txn, struct views *v,
		    uint32_t type, const uint8_t *id, uint32_t len)
{
	if (cache_get(e, b->ids, type, id, len))
		return 0;
	int err = resolve_id(e, txn, v, type, id, len, NULL);
	if (!err)
		cache_put(b->ids, type, id, len, *e);
	return err;
}

static int endpoints(uint64_t *src, uint64_t *dst, struct apply_branch *b, MDB_txn *txn,
		     struct views *v, const struct lang_cat_type *et, const struct row_ids *r)
{
	int err;
	if ((err = endpoint(src, b, txn, v, et->from_id, r->src, r->src_len)) < 0 ||
	    (err = endpoint(dst, b, txn, v, et->to_id, r->dst, r->dst_len)) < 0)
		return err == GROVE_ENOTFOUND
			? log_error(GROVE_ECORRUPT, "an %s edge names an endpoint that does not exist",
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
	/* The old row lives in a copy freed after this effect: do not cache
	 * ids that point into it. */
	if (old && (err = resolve_id(&osrc, txn, v, et->from_id, o.src, o.src_len, NULL)) == 0)
		err = resolve_id(&odst, txn, v, et->to_id, o.dst, o.dst_len, NULL);
	if (err < 0)
		return err == GROVE_ENOTFOUND
			? log_error(GROVE_ECORRUPT, "a stored %s edge names a missing endpoint", et->name)
			: err;
	if (now && (err = endpoints(&src, &dst, b, txn, v, et, now)) < 0)
		return err;
	bool moved = old && (!now || osrc != src || odst != dst);
	if (moved && ((err = adj_write(txn, v, b, et->id, 0, osrc, e, lsn, NULL)) < 0 ||
		      (err = adj_write(txn, v, b, et->id, 1, odst, e, lsn, NULL)) < 0))
		return err;
	if (now && (!old || moved) &&
	    ((err = adj_write(txn, v, b, et->id, 0, src, e, lsn, &dst)) < 0 ||
	     (err = adj_write(txn, v, b, et->id, 1, dst, e, lsn, &src)) < 0))
		return err;
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
	MDB_val found, old = { 0, NULL };
	int err;

	if (!t)
		return log_error(GROVE_ECORRUPT, "an effect names unknown %s type %u",
				 edge ? "edge" : "node", fx->type_id);
	if (row_ids(&r, fx->row.ptr, fx->row.len, edge && !del) < 0)
		return log_error(GROVE_ECORRUPT, "an effect row of type %u is malformed", fx->type_id);
	err = resolve_id(&e, txn, v, fx->type_id, r.id, r.id_len, del ? NULL : &b->next_id);
	if (err == GROVE_ENOTFOUND)
		return 0; /* deleting what never existed changes nothing */
	if (err < 0)
		return err;
	bool fresh = err == 1; /* a new entity has no older version anywhere */
	if (!edge && !del)
		cache_put(b->ids, fx->type_id, r.id, r.id_len, e);
	layered_be32(prefix, fx->type_id);
	layered_be64(elem, e);
	err = fresh ? GROVE_ENOTFOUND
		    : layered_get(&found, NULL, txn, v->rows, &b->chain, prefix, 4, elem, 8);
	if (err < 0 && err != GROVE_ENOTFOUND)
		return err;
	bool had = err == 0;
	if (del && !had)
		return 0;
	/* Copy the old row: LMDB memory is only valid until the next put. */
	if (had && !(old.mv_data = malloc(found.mv_size ? found.mv_size : 1)))
		return log_error(-ENOMEM, "out of memory");
	if (had) {
		memcpy(old.mv_data, found.mv_data, found.mv_size);
		old.mv_size = found.mv_size;
	}
	MDB_val now = { fx->row.len, (void *)fx->row.ptr };
	if (!(edge && (err = edge_adjacency(txn, v, b, t, e, lsn, had ? &old : NULL,
					    del ? NULL : &r)) < 0) &&
	    (err = pidx_update(txn, v, b->rec.layer, t, e, lsn, had ? &old : NULL,
			       del ? NULL : &now)) == 0) {
		uint32_t n = layered_key(key, b->rec.layer, prefix, 4, elem, 8, lsn);
		err = put(txn, v->rows, key, n, del ? NULL : fx->row.ptr, del ? 0 : fx->row.len,
			  fresh ? MDB_APPEND : 0, "rows");
	}
	if (!err) {
		/* chg: layer | lsn | type | entity, for LSN-range change reads. */
		uint8_t ck[24], op = del ? 2 : 1;
		layered_be32(ck, b->rec.layer);
		layered_be64(ck + 4, lsn);
		layered_be32(ck + 12, fx->type_id);
		layered_be64(ck + 16, e);
		err = put(txn, v->chg, ck, sizeof ck, &op, 1, MDB_APPEND, "changes");
	}
	free(old.mv_data);
	return err;
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

/* The branch an effect event writes, as of before the event. */
static int open_branch(struct apply_branch *b, char *name, MDB_txn *txn, struct views *v,
		       uint64_t lsn, const struct event *ev)
{
	int err;
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
	return 0;
}

void views_apply_cache_free(struct views *v)
{
	struct id_cache *c = v->apply_cache;
	if (c)
		free(c->slots);
	free(c);
	v->apply_cache = NULL;
}

/* The id cache of event `lsn`: the parts of one event share it; its keys
 * point into that event's effects, so it never outlives the event. */
static struct id_cache *event_cache(struct views *v, uint64_t lsn)
{
	struct id_cache *c = v->apply_cache;
	if (!c && !(c = v->apply_cache = calloc(1, sizeof *c)))
		return NULL;
	if (v->apply_cache_lsn != lsn) {
		free(c->slots);
		memset(c, 0, sizeof *c);
		v->apply_cache_lsn = lsn;
	}
	return c;
}

static int apply_all(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
		     struct apply_branch *b, uint64_t lsn, const struct event_effect *fx, uint32_t n)
{
	int err = 0;
	b->adj = NULL;
	b->nadj = b->capadj = 0;
	b->ids = event_cache(v, lsn);
	for (uint32_t i = 0; i < n && !err; i++)
		err = apply_effect(txn, v, cat, b, lsn, &fx[i]);
	if (err) {
		free(b->adj);
		return err;
	}
	if ((err = adj_flush(txn, v, b)) < 0)
		return err;
	return meta_put_u64(txn, v, "next_id", b->next_id);
}

int views_apply_effects(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			uint64_t lsn, const struct event *ev, const struct event_effect *fx,
			uint32_t n)
{
	struct apply_branch b;
	char name[BRANCH_NAME_MAX + 1];
	int err = open_branch(&b, name, txn, v, lsn, ev);
	return err < 0 ? err : apply_all(txn, v, cat, &b, lsn, fx, n);
}

static int commit_effects(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			  uint64_t lsn, const struct event *ev, const struct event_effect *fx,
			  uint32_t n)
{
	struct apply_branch b;
	char name[BRANCH_NAME_MAX + 1];
	int err;

	if ((err = open_branch(&b, name, txn, v, lsn, ev)) < 0 ||
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
	/* The event is done (or failed): its cached keys must not outlive it. */
	views_apply_cache_free(v);
	v->apply_cache_lsn = 0;
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
		err = commit_effects(txn, v, cat, lsn, ev, effects, n);
		break;
	default:
		err = log_error(GROVE_ECORRUPT, "event %lu has unknown kind %u", (unsigned long)lsn,
				ev->kind);
	}
	return err < 0 ? err : meta_put_u64(txn, v, "applied_lsn", lsn);
}

int views_id_lookup(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t type,
		    const void *id, uint32_t id_len)
{
	uint8_t k[4 + LAYERED_KEY_MAX];
	if (id_len > LAYERED_KEY_MAX - 4)
		return GROVE_ENOTFOUND;
	be32(k, type);
	memcpy(k + 4, id, id_len);
	MDB_val key = { 4 + id_len, k }, d;
	int rc = mdb_get(txn, v->ids, &key, &d);
	if (rc)
		return views_error(rc, "id map");
	if (d.mv_size != 8)
		return log_error(GROVE_ECORRUPT, "id map entry has %zu bytes", d.mv_size);
	*out = rd64(d.mv_data);
	return 0;
}

int views_id_name(uint32_t *type, const char **id, uint32_t *id_len, MDB_txn *txn,
		  const struct views *v, uint64_t e)
{
	uint8_t ek[8];
	be64(ek, e);
	MDB_val key = { 8, ek }, d;
	int rc = mdb_get(txn, v->names, &key, &d);
	if (rc)
		return views_error(rc, "name map");
	if (d.mv_size < 4)
		return log_error(GROVE_ECORRUPT, "name map entry has %zu bytes", d.mv_size);
	const uint8_t *p = d.mv_data;
	*type = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	*id = (const char *)p + 4;
	*id_len = (uint32_t)d.mv_size - 4;
	return 0;
}
