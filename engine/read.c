/*
 * read.c — reading entities at a target: count, scan, one entity, export
 * (engine §4.2, §7.4; spec §8.6).
 *
 * Counting walks a type's rows through the layer chain.  Anything that
 * must come out in id order (scans, export) walks the global id map of the
 * type — which is sorted by id — and keeps the ids whose row is visible at
 * the target.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/jsonw.h"
#include "engine/schema_hist.h"
#include "engine/value.h"
#include "index/idkey.h"
#include "index/layered.h"
#include "index/apply.h"
#include "index/row.h"
#include "log/error.h"

static void be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* A read at `target` and the table it names there; closed on failure. */
static int open_table(struct read_at *r, const struct lang_cat_type **t, grove_db *db,
		      const grove_target *target, const char *table)
{
	int err = read_at_open(r, db, target);
	if (err < 0)
		return err;
	if ((err = engine_table_at(t, db, r, table)) < 0)
		read_at_close(r);
	return err;
}

/* Hand a JSON result to the caller, or report why there is none. */
static int json_result(char **out, grove_db *db, struct jsonw *w, int err, const char *too_big)
{
	if (!err && (err = jsonw_error(w)) < 0)
		log_error(err, "%s", too_big);
	if (err < 0) {
		jsonw_fini(w);
		return db_error(db, err, NULL);
	}
	*out = w->buf; /* the writer's buffer is the result */
	return 0;
}

int grove_count(uint64_t *out, grove_db *db, const grove_target *target, const char *table)
{
	const struct lang_cat_type *t;
	struct layered_iter it;
	struct read_at r;
	uint8_t prefix[4];
	int err;

	if ((err = open_table(&r, &t, db, target, table)) < 0)
		return err;
	be32(prefix, t->id);
	*out = 0;
	if ((err = layered_open(&it, r.txn, db->views->rows, &r.chain, prefix, 4, NULL, 0)) == 0) {
		while ((err = layered_next(&it)) == 0)
			(*out)++;
		layered_close(&it);
	}
	read_at_close(&r);
	return err == GROVE_ENOTFOUND ? 0 : db_error(db, err, NULL);
}

/* The row of entity e (as the id map gives it) to fn, if visible. */
static int one_row(grove_db *db, struct read_at *r, const struct lang_cat_type *t,
		   const uint8_t prefix[4], const void *e8, engine_row_fn fn, void *arg)
{
	MDB_val row;
	int err = layered_get(&row, NULL, r->txn, db->views->rows, &r->chain, prefix, 4, e8, 8);
	if (err == GROVE_ENOTFOUND)
		return 0;
	if (err < 0)
		return err;
	msgpack_unpacked up;
	size_t off = 0;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, row.mv_data, row.mv_size, &off) != MSGPACK_UNPACK_SUCCESS)
		err = log_error(GROVE_ECORRUPT, "a stored row of %s does not decode", t->name);
	else
		err = fn(arg, t, &up.data);
	msgpack_unpacked_destroy(&up);
	return err;
}

struct named {
	uint8_t e8[8];
	const char *id;
	uint32_t len;
};

static int cmp_named(const void *pa, const void *pb)
{
	const struct named *a = pa, *b = pb;
	int c = memcmp(a->id, b->id, a->len < b->len ? a->len : b->len);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Ids of IDKEY_ORDER_MAX bytes or more that share their first ones lie in
 * the map in their hashes' order (index/idkey.h): the run of keys the
 * cursor is on, sharing them, in id order.  The cursor is left on the
 * run's last key. */
static int long_run(grove_db *db, struct read_at *r, const struct lang_cat_type *t,
		    const uint8_t prefix[4], MDB_cursor *cur, MDB_val *k, MDB_val *d,
		    engine_row_fn fn, void *arg)
{
	uint8_t head[4 + IDKEY_ORDER_MAX];
	struct named *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, err = 0;
	memcpy(head, k->mv_data, sizeof head);
	for (;;) {
		if (d->mv_size != 8) {
			err = log_error(GROVE_ECORRUPT, "an id map entry has %zu bytes", d->mv_size);
			break;
		}
		if (n == cap) {
			struct named *g = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
			if (!g) {
				free(v);
				return log_error(-ENOMEM, "out of memory");
			}
			v = g;
		}
		uint32_t type;
		memcpy(v[n].e8, d->mv_data, 8);
		if ((err = views_id_name(&type, &v[n].id, &v[n].len, r->txn, db->views,
					 layered_rd64(d->mv_data))) < 0)
			break;
		n++;
		if ((rc = idkey_run_next(cur, head, k, d)) != 1)
			break;
	}
	if (!err && rc < 0)
		err = rc;
	if (!err)
		qsort(v, n, sizeof *v, cmp_named);
	for (size_t i = 0; !err && i < n; i++)
		err = one_row(db, r, t, prefix, v[i].e8, fn, arg);
	free(v);
	return err;
}

int engine_each_row(grove_db *db, struct read_at *r, const struct lang_cat_type *t,
		    engine_row_fn fn, void *arg)
{
	uint8_t prefix[4];
	MDB_cursor *cur;
	MDB_val k, d;
	int rc, err = 0;

	be32(prefix, t->id);
	if ((rc = mdb_cursor_open(r->txn, db->views->ids, &cur)) != 0)
		return views_error(rc, "id map");
	k = (MDB_val){ 4, prefix };
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && !err;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size < 4 || memcmp(k.mv_data, prefix, 4))
			break;
		if (d.mv_size != 8)
			err = log_error(GROVE_ECORRUPT, "an id map entry has %zu bytes", d.mv_size);
		else if (k.mv_size >= 4 + IDKEY_ORDER_MAX)
			err = long_run(db, r, t, prefix, cur, &k, &d, fn, arg);
		else
			err = one_row(db, r, t, prefix, d.mv_data, fn, arg);
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND && !err)
		err = views_error(rc, "id map");
	return err;
}

/* {"id": ..., <props in schema order>} (edges: "src", "dst" after "id"
 * when `endpoints`). */
int engine_render_entity(struct jsonw *w, const struct lang_cat_type *t, const msgpack_object *o,
			 bool endpoints)
{
	struct value_row row;
	struct value_error verr;
	int err;

	if ((err = value_row_view(&row, o, t, &verr)) < 0)
		return log_error(err, "%s", verr.msg);
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "id");
	jsonw_string(w, row.id, row.id_len);
	if (endpoints && t->kind == LANG_CAT_EDGE) {
		jsonw_key_cstr(w, "src");
		jsonw_string(w, row.src, row.src_len);
		jsonw_key_cstr(w, "dst");
		jsonw_string(w, row.dst, row.dst_len);
	}
	for (uint32_t i = 0; i < t->n_props; i++) {
		const struct lang_cat_property *p = &t->props[i];
		jsonw_key_cstr(w, p->name);
		if ((err = value_render(w, &p->type, value_row_get(&row, p->id),
					VALUE_RENDER_EXPORT, &verr)) < 0)
			return log_error(err, "%s", verr.msg);
	}
	jsonw_object_end(w);
	return 0;
}

static int scan_one(void *arg, const struct lang_cat_type *t, const msgpack_object *row)
{
	return engine_render_entity(arg, t, row, true);
}

int grove_scan_json(char **out, grove_db *db, const grove_target *target, const char *table)
{
	const struct lang_cat_type *t;
	struct read_at r;
	struct jsonw w;
	int err;

	if ((err = open_table(&r, &t, db, target, table)) < 0)
		return err;
	jsonw_init(&w, 0);
	jsonw_array_begin(&w);
	err = engine_each_row(db, &r, t, scan_one, &w);
	jsonw_array_end(&w);
	read_at_close(&r);
	return json_result(out, db, &w, err, "the scan result is too large");
}

int grove_entity_json(char **out, grove_db *db, const grove_target *target, const char *table,
		      const char *id)
{
	const struct lang_cat_type *t;
	struct read_at r;
	struct jsonw w;
	uint64_t e;
	uint8_t prefix[4], elem[8];
	MDB_val row;
	int err;

	if ((err = open_table(&r, &t, db, target, table)) < 0)
		return err;
	be32(prefix, t->id);
	err = views_id_lookup(&e, r.txn, db->views, t->id, id, (uint32_t)strlen(id));
	for (int i = 0; !err && i < 8; i++)
		elem[i] = (uint8_t)(e >> (56 - 8 * i));
	if (!err)
		err = layered_get(&row, NULL, r.txn, db->views->rows, &r.chain, prefix, 4, elem, 8);
	if (err == GROVE_ENOTFOUND) {
		read_at_close(&r);
		return db_error(db, err, "%s '%s' not found", table, id);
	}
	jsonw_init(&w, 0);
	if (!err) {
		msgpack_unpacked up;
		size_t off = 0;
		msgpack_unpacked_init(&up);
		err = msgpack_unpack_next(&up, row.mv_data, row.mv_size, &off) == MSGPACK_UNPACK_SUCCESS
			? engine_render_entity(&w, t, &up.data, true)
			: log_error(GROVE_ECORRUPT, "a stored row of %s does not decode", t->name);
		msgpack_unpacked_destroy(&up);
	}
	read_at_close(&r);
	return json_result(out, db, &w, err, "out of memory");
}

int engine_each_visible(grove_db *db, MDB_txn *txn, const struct layer_chain *chain,
			const struct lang_cat_type *t, engine_visible_fn fn, void *arg)
{
	struct layered_iter it;
	uint8_t prefix[4];
	int err;

	be32(prefix, t->id);
	if ((err = layered_open(&it, txn, db->views->rows, chain, prefix, 4, NULL, 0)) < 0)
		return err;
	while ((err = layered_next(&it)) == 0) {
		msgpack_unpacked up;
		size_t off = 0;
		msgpack_unpacked_init(&up);
		if (msgpack_unpack_next(&up, it.value.mv_data, it.value.mv_size, &off) !=
			    MSGPACK_UNPACK_SUCCESS || up.data.type != MSGPACK_OBJECT_ARRAY ||
		    up.data.via.array.size < 1 || up.data.via.array.ptr[0].type != MSGPACK_OBJECT_STR)
			err = log_error(GROVE_ECORRUPT, "a stored row of %s has no id", t->name);
		else
			err = fn(arg, value_str(&up.data.via.array.ptr[0]),
				 up.data.via.array.ptr[0].via.str.size, &up.data);
		msgpack_unpacked_destroy(&up);
		if (err < 0)
			break;
	}
	layered_close(&it);
	return err == GROVE_ENOTFOUND ? 0 : err;
}
