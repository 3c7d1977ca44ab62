/* pidx.c — maintaining property indexes (see pidx.h). */
#include "index/pidx.h"

#include <msgpack.h>
#include <string.h>

#include "grove.h"
#include "index/keys.h"
#include "index/layered.h"
#include "index/row.h"
#include "log/error.h"

struct unpacked {
	msgpack_unpacked up;
	const msgpack_object *slots;   /* slot k: property id k */
	uint32_t n;
	bool ok;
};

static void unpack(struct unpacked *u, const MDB_val *row, const struct lang_cat_type *t)
{
	size_t off = 0;
	uint32_t first = t->kind == LANG_CAT_EDGE ? ROW_EDGE_FIRST_PROP : ROW_NODE_FIRST_PROP;
	msgpack_unpacked_init(&u->up);
	u->ok = row && msgpack_unpack_next(&u->up, row->mv_data, row->mv_size, &off) ==
			       MSGPACK_UNPACK_SUCCESS &&
		u->up.data.type == MSGPACK_OBJECT_ARRAY && u->up.data.via.array.size >= first;
	if (u->ok) {
		/* slots[k] = property id k, so slots[0] is the element before the first */
		u->slots = u->up.data.via.array.ptr + first - 1;
		u->n = u->up.data.via.array.size - first + 1;
	}
}

/* The encoded tuple of `cols` in a row; false when a member is NULL. */
static bool tuple(struct key_buf *k, const struct lang_cat_type *t,
		  const struct lang_cat_colset *cols, const struct unpacked *u)
{
	key_buf_init(k);
	if (!u->ok)
		return false;
	static const struct lang_type str_type = { .scalar = LANG_SCALAR_STRING };
	for (uint32_t i = 0; i < cols->n; i++) {
		const char *col = cols->columns[i];
		const struct lang_cat_property *p = lang_cat_type_prop(t, col);
		/* `@unique(src, dst)` on an edge: slots -1 and 0 of the view are
		 * the endpoint ids (row.h: [id, src, dst, props...]). */
		if (!p && t->kind == LANG_CAT_EDGE && (!strcmp(col, "src") || !strcmp(col, "dst"))) {
			const msgpack_object *o = &u->slots[!strcmp(col, "src") ? -1 : 0];
			if (key_put_value(k, &str_type, o) < 0)
				return false;
			continue;
		}
		if (!p || p->id >= u->n || u->slots[p->id].type == MSGPACK_OBJECT_NIL)
			return false;
		if (key_put_value(k, &p->type, &u->slots[p->id]) < 0)
			return false;
	}
	return key_buf_status(k) == 0;
}

static bool is_key(const struct lang_cat_type *t, const struct lang_cat_colset *c)
{
	if (!t->has_key || c->n != t->key.n)
		return false;
	for (uint32_t i = 0; i < c->n; i++)
		if (strcmp(c->columns[i], t->key.columns[i]))
			return false;
	return true;
}

static int write_entry(struct put_batch *out, uint32_t layer, uint32_t type,
		       uint32_t no, const struct key_buf *val, uint64_t e, uint64_t lsn, bool present)
{
	uint8_t prefix[8], elem[KEY_MAX + 8], key[LAYERED_KEY_MAX];
	layered_be32(prefix, type);
	layered_be32(prefix + 4, no);
	memcpy(elem, val->b, val->len);
	layered_be64(elem + val->len, e);
	uint32_t n = layered_key(key, layer, prefix, 8, elem, (uint32_t)val->len + 8, lsn);
	if (!n)
		return log_error(GROVE_ETOOBIG, "an index key of %s is too long", "a property");
	return put_batch_add(out, key, n, "\1", present ? 1 : 0);
}

static int update_set(struct put_batch *out, uint32_t layer,
		      const struct lang_cat_type *t, const struct lang_cat_colset *cols, uint32_t no,
		      uint64_t e, uint64_t lsn, const struct unpacked *old, const struct unpacked *now)
{
	struct key_buf a, b;
	bool had = tuple(&a, t, cols, old), has = tuple(&b, t, cols, now);
	int err;

	if (had && has && a.len == b.len && !memcmp(a.b, b.b, a.len))
		return 0;
	if (had && (err = write_entry(out, layer, t->id, no, &a, e, lsn, false)) < 0)
		return err;
	return has ? write_entry(out, layer, t->id, no, &b, e, lsn, true) : 0;
}

int pidx_update(struct put_batch *out, uint32_t layer, const struct lang_cat_type *t,
		uint64_t e, uint64_t lsn, const MDB_val *old, const MDB_val *now)
{
	struct unpacked uo, un;
	int err = 0;
	bool any = false;

	/* Most types index only their key, which the id map serves. */
	for (uint32_t i = 0; !any && i < t->n_index; i++)
		any = !is_key(t, &t->index[i]);
	for (uint32_t i = 0; !any && i < t->n_unique; i++)
		any = !is_key(t, &t->unique[i]);
	if (!any)
		return 0;
	unpack(&uo, old, t);
	unpack(&un, now, t);
	for (uint32_t i = 0; !err && i < t->n_index; i++)
		if (!is_key(t, &t->index[i]))
			err = update_set(out, layer, t, &t->index[i], 1 + i, e, lsn, &uo, &un);
	for (uint32_t i = 0; !err && i < t->n_unique; i++)
		if (!is_key(t, &t->unique[i]))
			err = update_set(out, layer, t, &t->unique[i], PIDX_UNIQUE_BASE + i, e, lsn,
					 &uo, &un);
	msgpack_unpacked_destroy(&uo.up);
	msgpack_unpacked_destroy(&un.up);
	return err;
}

/* ---- rebuilding after a schema change -------------------------------------- */

size_t pidx_rebuild_flush_bytes = 64u << 20;

/* Same property ids, in the same order, in every non-key set?  Then the
 * type's index numbers and entries are unchanged. */
static bool colsets_same(const struct lang_cat_type *a, const struct lang_cat_colset *x, uint32_t nx,
			 const struct lang_cat_type *b, const struct lang_cat_colset *y, uint32_t ny)
{
	if (nx != ny)
		return false;
	for (uint32_t i = 0; i < nx; i++) {
		if (x[i].n != y[i].n || is_key(a, &x[i]) != is_key(b, &y[i]))
			return false;
		for (uint32_t j = 0; j < x[i].n; j++) {
			const struct lang_cat_property *p = lang_cat_type_prop(a, x[i].columns[j]);
			const struct lang_cat_property *q = lang_cat_type_prop(b, y[i].columns[j]);
			if ((p == NULL) != (q == NULL) || (p && p->id != q->id) ||
			    (!p && strcmp(x[i].columns[j], y[i].columns[j])))  /* src, dst */
				return false;
		}
	}
	return true;
}

static bool layout_same(const struct lang_cat_type *a, const struct lang_cat_type *b)
{
	return a && b && colsets_same(a, a->index, a->n_index, b, b->index, b->n_index) &&
	       colsets_same(a, a->unique, a->n_unique, b, b->unique, b->n_unique);
}

/* Delete every entry of `type` in `layer`. */
static int drop_entries(MDB_txn *txn, const struct views *v, uint32_t layer, uint32_t type)
{
	uint8_t prefix[8];
	MDB_cursor *c;
	MDB_val k = { sizeof prefix, prefix }, d;
	layered_be32(prefix, layer);
	layered_be32(prefix + 4, type);
	int rc = mdb_cursor_open(txn, v->pidx, &c);
	if (rc)
		return views_error(rc, "property index");
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	     rc == 0 && k.mv_size >= sizeof prefix && !memcmp(k.mv_data, prefix, sizeof prefix);
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	mdb_cursor_close(c);
	return rc && rc != MDB_NOTFOUND ? views_error(rc, "property index") : 0;
}

/* Write t's entries of one entity from its versions, oldest first, as the
 * applies that wrote them would have (vals[i] empty: a delete). */
static int entity_entries(struct put_batch *out, uint32_t layer, const struct lang_cat_type *t,
			  uint64_t e, const MDB_val *vals, const uint64_t *lsns, size_t n)
{
	const MDB_val *prev = NULL;
	int err = 0;
	for (size_t i = n; i-- > 0 && !err;) {
		const MDB_val *now = vals[i].mv_size ? &vals[i] : NULL;
		err = pidx_update(out, layer, t, e, lsns[i], prev, now);
		prev = now;
	}
	return err;
}

/* Re-derive t's entries in `layer` from its rows (every version). */
static int derive(struct put_batch *out, MDB_txn *txn, const struct views *v, uint32_t layer,
		  const struct lang_cat_type *t)
{
	uint8_t prefix[8];
	MDB_cursor *c;
	MDB_val k = { sizeof prefix, prefix }, d;
	MDB_val *vals = NULL;
	uint64_t *lsns = NULL, e = 0;
	size_t n = 0, cap = 0;
	int err = 0, rc;
	layered_be32(prefix, layer);
	layered_be32(prefix + 4, t->id);
	if ((rc = mdb_cursor_open(txn, v->rows, &c)) != 0)
		return views_error(rc, "rows");
	for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0 && !err;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		if (k.mv_size != 24 || memcmp(k.mv_data, prefix, sizeof prefix))
			break;
		uint64_t ke = layered_rd64((const uint8_t *)k.mv_data + 8);
		if (n && ke != e) {
			err = entity_entries(out, layer, t, e, vals, lsns, n);
			n = 0;
			/* Bounded memory: written as it goes (the rows this reads
			 * are not written; nothing refers to the batch's entries). */
			if (!err && out->nbytes > pidx_rebuild_flush_bytes)
				err = put_batch_flush(out, txn);
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			MDB_val *nv = realloc(vals, cap * sizeof *nv);
			uint64_t *nl = nv ? realloc(lsns, cap * sizeof *nl) : NULL;
			if (nv)
				vals = nv;
			if (nl)
				lsns = nl;
			if (!nv || !nl) {
				err = log_error(GROVE_ETOOBIG, "out of memory rebuilding an index");
				break;
			}
		}
		e = ke;
		vals[n] = d;  /* rows are not written while this runs */
		lsns[n++] = ~layered_rd64((const uint8_t *)k.mv_data + 16);
	}
	if (!err && rc && rc != MDB_NOTFOUND)
		err = views_error(rc, "rows");
	if (!err && n)
		err = entity_entries(out, layer, t, e, vals, lsns, n);
	mdb_cursor_close(c);
	free(vals);
	free(lsns);
	return err;
}

int pidx_rebuild(MDB_txn *txn, const struct views *v, uint32_t layer, const struct lang_catalog *old,
		 const struct lang_catalog *cat)
{
	struct put_batch out;
	int err = 0;
	put_batch_init(&out, v->pidx, "property index");
	for (int pass = 0; pass < 2 && !err; pass++) {
		uint32_t n = pass ? cat->n_edges : cat->n_nodes;
		const struct lang_cat_type *ts = pass ? cat->edges : cat->nodes;
		for (uint32_t i = 0; i < n && !err; i++) {
			const struct lang_cat_type *t = &ts[i], *was = NULL;
			uint32_t on = pass ? old->n_edges : old->n_nodes;
			const struct lang_cat_type *os = pass ? old->edges : old->nodes;
			for (uint32_t j = 0; j < on && !was; j++)
				if (os[j].id == t->id)
					was = &os[j];
			if (!was || layout_same(was, t))
				continue;  /* a new type has no rows; an unchanged one keeps its entries */
			if ((err = drop_entries(txn, v, layer, t->id)) == 0 &&
			    (err = derive(&out, txn, v, layer, t)) == 0)
				err = put_batch_flush(&out, txn);
		}
	}
	put_batch_free(&out);
	return err;
}
