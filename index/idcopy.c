/*
 * idcopy.c — an in-memory copy of one type's part of the id map (see
 * adjcache.h): user id -> internal entity id, by one hash probe and one
 * comparison instead of a B-tree descent.
 *
 * The id map only ever gains entries, and an entry never changes (an
 * entity keeps its internal id through deletes and re-inserts, and on
 * every branch), so a copy is never wrong, only incomplete: an id it
 * lacks is looked up in LMDB.  An id the copy has may not exist yet at a
 * reader's snapshot: callers use the id where the entity's visibility
 * at the target is decided by the rows or adjacency they read next,
 * exactly as for an id LMDB gives them.
 */
#include "index/adjcache.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "grove.h"
#include "index/hugemem.h"
#include "index/idkey.h"
#include "index/layered.h"
#include "index/views.h"
#include "log/error.h"

struct idc_slot {
	uint64_t hash;               /* 0: free (a hash of 0 is stored as 1) */
	uint64_t entity;
	uint32_t off, len;           /* the id's bytes in the arena          */
};

struct idc_copy {
	atomic_uint refs;
	struct idc_slot *h;
	size_t hmask, n;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	size_t bytes;
};

static uint64_t hash_of(const void *id, size_t len)
{
	uint64_t h = XXH3_64bits(id, len);
	return h ? h : 1;
}

static void copy_free(struct idc_copy *c)
{
	if (!c)
		return;
	if (c->h)
		hugemem_unmap(c->h, (c->hmask + 1) * sizeof *c->h);
	free(c->arena);
	free(c);
}

void idc_ref(const struct idc_copy *c)
{
	atomic_fetch_add_explicit(&((struct idc_copy *)c)->refs, 1, memory_order_relaxed);
}

void idc_unref(const struct idc_copy *c)
{
	struct idc_copy *m = (struct idc_copy *)c;
	if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
		copy_free(m);
}

size_t idc_bytes(const struct idc_copy *c) { return c->bytes; }
size_t idc_entries(const struct idc_copy *c) { return c->n; }

/* Call fn for each whole-key entry of the type (a long id's shared key
 * is left to LMDB and the name map), checking `stop` now and then. */
typedef int (*entry_fn)(void *arg, const uint8_t *id, size_t len, const MDB_val *d);

static int each_entry(MDB_cursor *cur, const uint8_t head[4], const atomic_bool *stop,
		      entry_fn fn, void *arg)
{
	MDB_val k = { 4, (void *)head }, d;
	size_t seen = 0;
	int rc, err = 0;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && !err;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size < 4 || memcmp(k.mv_data, head, 4) != 0)
			break;
		if ((seen++ & 0xffff) == 0 && atomic_load_explicit(stop, memory_order_relaxed))
			return -ECANCELED;
		if (!idkey_shared(k.mv_size))
			err = fn(arg, (const uint8_t *)k.mv_data + 4, k.mv_size - 4, &d);
	}
	if (err)
		return err;
	return rc && rc != MDB_NOTFOUND ? views_error(rc, "id copy") : 0;
}

/* Entries of the type, counted first so that the table is sized once. */
struct counts {
	size_t n, bytes;
};

static int count_one(void *arg, const uint8_t *id, size_t len, const MDB_val *d)
{
	struct counts *k = arg;
	(void)id;
	(void)d;
	k->n++;
	k->bytes += len;
	return 0;
}

static int fill_one(void *arg, const uint8_t *id, size_t len, const MDB_val *d)
{
	struct idc_copy *c = arg;
	if (d->mv_size != 8)
		return log_error(GROVE_ECORRUPT, "id map entry has %zu bytes", d->mv_size);
	if (c->arena_len + len > c->arena_cap || c->n > c->hmask / 2)
		return log_error(GROVE_ECORRUPT, "the id map grew under a read");
	memcpy(c->arena + c->arena_len, id, len);
	uint64_t h = hash_of(id, len);
	size_t s = h & c->hmask;
	while (c->h[s].hash)
		s = (s + 1) & c->hmask;
	c->h[s] = (struct idc_slot){ h, layered_rd64(d->mv_data), (uint32_t)c->arena_len,
				     (uint32_t)len };
	c->arena_len += len;
	c->n++;
	return 0;
}

int idc_build(struct idc_copy **out, MDB_txn *txn, MDB_dbi ids, uint32_t type, size_t max_bytes,
	      const atomic_bool *stop)
{
	struct idc_copy *c = calloc(1, sizeof *c);
	MDB_cursor *cur = NULL;
	uint8_t head[4];
	struct counts k = { 0, 0 };
	size_t cap = 16;
	int err, rc;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	layered_be32(head, type);
	if ((rc = mdb_cursor_open(txn, ids, &cur)) != 0) {
		free(c);
		return views_error(rc, "id copy");
	}
	if ((err = each_entry(cur, head, stop, count_one, &k)) < 0)
		goto done;
	while (cap < 2 * k.n)
		cap *= 2;
	c->bytes = ((cap * sizeof *c->h + 4095) & ~(size_t)4095) + k.bytes;
	if (c->bytes > max_bytes || k.bytes > UINT32_MAX) {
		err = GROVE_ELIMIT;
		goto done;
	}
	if (!(c->h = hugemem_map(cap * sizeof *c->h))) {   /* zeroed, huge pages */
		err = -ENOMEM;
		goto done;
	}
	c->hmask = cap - 1;
	c->arena_cap = k.bytes;
	if (!(c->arena = malloc(k.bytes ? k.bytes : 1)))
		err = -ENOMEM;
	else
		err = each_entry(cur, head, stop, fill_one, c);
done:
	mdb_cursor_close(cur);
	if (err < 0) {
		copy_free(c);
		return err;
	}
	atomic_init(&c->refs, 1);
	*out = c;
	return 0;
}

bool idc_find(const struct idc_copy *c, const void *id, uint32_t len, uint64_t *entity)
{
	uint64_t h = hash_of(id, len);
	for (size_t s = h & c->hmask;; s = (s + 1) & c->hmask) {
		const struct idc_slot *e = &c->h[s];
		if (!e->hash)
			return false;
		if (e->hash == h && e->len == len && !memcmp(c->arena + e->off, id, len)) {
			*entity = e->entity;
			return true;
		}
	}
}
