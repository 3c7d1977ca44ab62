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
