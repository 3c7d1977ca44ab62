/*
 * engine/query_scan.c — the pipeline driver and the steps that introduce a
 * variable from nothing (SCAN) or only test the row (FILTER, ANTI_JOIN);
 * the slots that hold a row's bindings.
 *
 * SCAN access paths (lang/lower.c chooses them):
 *   KEY_LOOKUP   a full @key match: the canonical id (spec §7.7) looked up
 *                in the global id map, then one row read at the target;
 *   TYPE_SCAN    every row of the type visible at the target, through the
 *                layered iterator (index/layered.h) in internal-id order;
 *   INDEX_POINT  the entries of a single-property @index/@unique at one
 *                value (index/pidx.h, index/keys.h), then each row read
 *                at the target.  A value the index cannot answer for (not
 *                comparable with the property) falls back to a type scan.
 * The binding's matches are always among the scan's filters, so every
 * row found is rechecked whatever the access path (long strings share
 * truncated index keys).
 * Each entity found is bound, checked against the binding's matches, and
 * the rest of the pipeline runs for it; a positive return (QX_STOP) from
 * downstream ends the scan at once, which is how `limit` without `order`
 * stops reading rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jsonw.h"
#include "engine/query.h"
#include "engine/schema_hist.h"
#include "engine/value.h"
#include "index/apply.h"
#include "index/keys.h"
#include "index/layered.h"
#include "index/pidx.h"
#include "log/error.h"

/* ---- slots -------------------------------------------------------------- */

void qx_bind(struct qx *x, uint32_t s, const struct lang_cat_type *t, uint64_t e, const void *row,
             size_t len)
{
	struct qx_slot *sl = &x->slots[s];
	sl->entity = e;
	sl->type = t;
	sl->row = row;
	sl->row_len = len;
	sl->deferred = 0;
	sl->decoded = 0;
}

void qx_bind_id(struct qx *x, uint32_t s, const struct lang_cat_type *t, uint64_t e)
{
	qx_bind(x, s, t, e, NULL, 0);
	x->slots[s].deferred = 1;
}

int qx_fetch(struct qx *x, uint32_t s, const struct lang_cat_type *t, uint64_t e)
{
	uint8_t prefix[4], elem[8];
	MDB_val row;
	layered_be32(prefix, t->id);
	layered_be64(elem, e);
	int err = layered_get_in(&row, NULL, &x->rows_pool, &x->r->chain, prefix, 4, elem, 8);
	if (err == GROVE_ENOTFOUND)
		return err;
	if (err < 0)
		return db_error(x->db, err, NULL);
	x->rows_visited++;
	qx_bind(x, s, t, e, row.mv_data, row.mv_size);
	return 0;
}

/* The row of a slot bound by qx_bind_id, which vouched it is visible. */
static int fetch_deferred(struct qx *x, uint32_t s)
{
	struct qx_slot *sl = &x->slots[s];
	int err = qx_fetch(x, s, sl->type, sl->entity);
	if (err == GROVE_ENOTFOUND)
		return db_error(x->db, GROVE_ECORRUPT, "an adjacency entry names a %s that is not stored",
		                sl->type->name);
	return err;
}

int qx_slot_view(struct qx *x, uint32_t s, const struct value_row **out)
{
	struct qx_slot *sl = &x->slots[s];
	int err;
	if (sl->deferred && (err = fetch_deferred(x, s)) < 0)
		return err;
	if (!sl->zone_ready) {
		if (!msgpack_zone_init(&sl->zone, QX_ZONE_CHUNK_MIN))
			return db_error(x->db, -ENOMEM, "out of memory");
		sl->zone_ready = 1;
	}
	if (!sl->decoded) {
		struct value_error verr;
		msgpack_zone_clear(&sl->zone);
		if (sl->row == NULL || value_row_unpack(&sl->obj, sl->row, sl->row_len, &sl->zone) < 0)
			return db_error(x->db, GROVE_ECORRUPT, "a stored row of %s does not decode",
			                sl->type ? sl->type->name : "?");
		if (value_row_view(&sl->view, &sl->obj, sl->type, &verr) < 0)
			return db_error(x->db, GROVE_ECORRUPT, "%s", verr.msg);
		sl->decoded = 1;
	}
	*out = &sl->view;
	return 0;
}

/* ---- SCAN --------------------------------------------------------------- */

static int scan_filters(struct qx *x, const struct gq_ir_step *st)
{
	for (size_t k = 0; k < st->n_filters; k++) {
		int ok = qx_filter(x, &st->filters[k]);
		if (ok <= 0)
			return ok;
	}
	return 1;
}

/* The current slot passed its matches: on to the next step. */
static int scan_emit(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	int ok = scan_filters(x, &p->steps[i]);
	if (ok <= 0)
		return ok;
	return qx_pipe(x, p, i + 1, sink, arg);
}

static int type_scan(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	const struct gq_ir_step *st = &p->steps[i];
	const struct lang_cat_type *t = x->ir->bindings[st->slot].type;
	struct layered_iter it;
	uint8_t prefix[4];
	layered_be32(prefix, t->id);
	int err = layered_open_in(&it, &x->rows_pool, &x->r->chain, prefix, 4, NULL, 0);
	if (err < 0)
		return db_error(x->db, err, NULL);
	for (;;) {
		if ((err = layered_next(&it)) != 0) {
			err = err == GROVE_ENOTFOUND ? 0 : db_error(x->db, err, NULL);
			break;
		}
		if (it.elem_len != 8) {
			err = db_error(x->db, GROVE_ECORRUPT, "a row key of %s is malformed", t->name);
			break;
		}
		x->rows_visited++;
		qx_bind(x, st->slot, t, layered_rd64(it.elem), it.value.mv_data, it.value.mv_size);
		if ((err = scan_emit(x, p, i, sink, arg)) != 0)
			break;
	}
	layered_close(&it);
	return err;
}

/* The canonical id of the key values (spec §7.7): one member's scalar
 * text, or a compact JSON array of the members' texts in property-id
 * order.  1: computed; 0: no entity can match (a NULL or unfit value). */
static int key_id(struct qx *x, const struct gq_ir_step *st, const struct lang_cat_type *t, char **out,
                  size_t *out_len)
{
	const struct lang_cat_property *m[64];
	uint32_t order[64], n = t->key.n;
	if (n == 0 || n > 64)
		return 0;
	for (uint32_t k = 0; k < n; k++) {
		if ((m[k] = lang_cat_type_prop(t, t->key.columns[k])) == NULL)
			return 0;
		uint32_t j = k;  /* insertion sort of member indexes by property id */
		for (; j > 0 && m[order[j - 1]]->id > m[k]->id; j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
	if (n == 1) {  /* the member's text itself */
		msgpack_object v;
		struct value_error verr;
		return qx_eval(x, st->key_values[0], &v) == 0 &&
		       value_key_text(out, out_len, &m[0]->type, &v, &verr) == 0;
	}
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_array_begin(&w);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t bi = order[k];
		msgpack_object v;
		char *text = NULL;
		size_t len = 0;
		struct value_error verr;
		if (qx_eval(x, st->key_values[bi], &v) < 0 ||
		    value_key_text(&text, &len, &m[bi]->type, &v, &verr) < 0) {
			jsonw_fini(&w);
			return 0;
		}
		jsonw_string(&w, text, len);
		free(text);
	}
	jsonw_array_end(&w);
	if (jsonw_error(&w) < 0) {
		jsonw_fini(&w);
		return 0;
	}
	*out = w.buf;
	*out_len = w.len;
	return 1;
}

/* Does the id map answer the step's filters exactly?  They must be the
 * key's equality matches and nothing else, one per member, on members
 * whose canonical text spells exactly one value (strings, booleans,
 * integers, dates): an entity's id is its key's canonical text (explicit
 * ids must spell it, spec §8.2), @key properties are never updated and a
 * migration cannot change a key, so the entity the map names has those
 * values wherever it is visible. */
static bool key_filters_exact(const struct gq_ir_step *st, const struct lang_cat_type *t)
{
	uint64_t seen = 0;
	if (st->n_filters != t->key.n || t->key.n > 64)
		return false;
	for (size_t k = 0; k < st->n_filters; k++) {
		const struct gq_ir_filter *f = &st->filters[k];
		if (f->op != GQ_IR_EQ || f->left->kind != GQ_IR_PROP || f->left->slot != st->slot)
			return false;
		uint32_t m = 0;
		while (m < t->key.n && lang_cat_type_prop(t, t->key.columns[m])->id != f->left->prop_id)
			m++;
		if (m == t->key.n || (seen >> m & 1))
			return false;
		seen |= 1ull << m;
		const struct lang_type *ty = &lang_cat_type_prop(t, t->key.columns[m])->type;
		if (ty->list || ty->scalar == LANG_SCALAR_F32 || ty->scalar == LANG_SCALAR_F64 ||
		    ty->scalar == LANG_SCALAR_VECTOR || ty->scalar == LANG_SCALAR_BLOB)
			return false;
	}
	return true;
}

/* Can entity e, found in the id map, be bound without reading its row?
 * When the filters need no row and the next step walks e's adjacency: an
 * edge is visible only between endpoints visible at the target (deleting
 * a node deletes its edges; loads and merges refuse orphan edges), so if e
 * is not visible there the walk finds nothing, as the read would have. */
static bool key_row_unneeded(const struct gq_ir_pipeline *p, size_t i, const struct lang_cat_type *t)
{
	const struct gq_ir_step *st = &p->steps[i];
	return i + 1 < p->n_steps && p->steps[i + 1].kind == GQ_IR_EXPAND &&
	       p->steps[i + 1].src_slot == st->slot && key_filters_exact(st, t);
}

static int key_lookup(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	const struct gq_ir_step *st = &p->steps[i];
	const struct lang_cat_type *t = x->ir->bindings[st->slot].type;
	char *id = NULL;
	size_t len = 0;
	if (!key_id(x, st, t, &id, &len))
		return type_scan(x, p, i, sink, arg);  /* the filters decide */
	/* The id map's copy in memory first (index/adjcache.h): an id it has
	 * but the target lacks is an entity not visible there, which the
	 * row or adjacency read next finds, as for a deleted one. */
	uint64_t e;
	int err = !x->r->borrowed && adjc_id_lookup(&e, x->db->views->adjc, t->id, id, (uint32_t)len) > 0
		? 0 : views_id_lookup(&e, x->r->txn, x->db->views, t->id, id, (uint32_t)len);
	free(id);
	if (err == GROVE_ENOTFOUND)
		return 0;
	if (err < 0)
		return db_error(x->db, err, NULL);
	if (key_row_unneeded(p, i, t)) {
		qx_bind_id(x, st->slot, t, e);  /* read if the query looks at it */
		return qx_pipe(x, p, i + 1, sink, arg);
	}
	if ((err = qx_fetch(x, st->slot, t, e)) == GROVE_ENOTFOUND)
		return 0;
	return err < 0 ? err : scan_emit(x, p, i, sink, arg);
}

/* The property index over exactly `prop` (pidx.h numbering), or 0. */
static uint32_t index_no(const struct lang_cat_type *t, const struct lang_cat_property *prop)
{
	for (uint32_t i = 0; i < t->n_index; i++)
		if (t->index[i].n == 1 && strcmp(t->index[i].columns[0], prop->name) == 0 &&
		    !(t->has_key && t->key.n == 1 && strcmp(t->key.columns[0], prop->name) == 0))
			return 1 + i;
	for (uint32_t i = 0; i < t->n_unique; i++)
		if (t->unique[i].n == 1 && strcmp(t->unique[i].columns[0], prop->name) == 0)
			return PIDX_UNIQUE_BASE + i;
	return 0;
}

/* The entities under index key range [k, succ(k)): one row each. */
static int index_range(struct qx *x, const struct gq_ir_pipeline *p, size_t i, uint32_t no,
                       const struct key_buf *k, qx_sink_fn sink, void *arg)
{
	const struct gq_ir_step *st = &p->steps[i];
	const struct lang_cat_type *t = x->ir->bindings[st->slot].type;
	uint8_t prefix[8];
	struct layered_iter it;
	layered_be32(prefix, t->id);
	layered_be32(prefix + 4, no);
	int err = layered_open_in(&it, &x->pidx_pool, &x->r->chain, prefix, 8, k->b, (uint32_t)k->len);
	if (err < 0)
		return db_error(x->db, err, NULL);
	for (;;) {
		if ((err = layered_next(&it)) != 0) {
			err = err == GROVE_ENOTFOUND ? 0 : db_error(x->db, err, NULL);
			break;
		}
		if (it.elem_len < k->len + 8 || memcmp(it.elem, k->b, k->len) != 0)
			break;  /* past the value */
		err = qx_fetch(x, st->slot, t, layered_rd64(it.elem + it.elem_len - 8));
		if (err == GROVE_ENOTFOUND)
			continue;
		if (err < 0 || (err = scan_emit(x, p, i, sink, arg)) != 0)
			break;
	}
	layered_close(&it);
	return err;
}

/* `t` as the views number its indexes in this read: by the newest catalog
 * the snapshot holds, which a query compiled before a schema apply does
 * not know (the apply renumbers every entry, index/pidx.h), or NULL. */
static const struct lang_cat_type *indexed_type(struct qx *x, const struct lang_cat_type *t)
{
	if (x->views_cat == NULL && engine_catalog_at(&x->views_cat, x->db, x->r->txn, UINT64_MAX) < 0)
		return NULL;
	return engine_cat_type_by_id(x->views_cat, t->kind, t->id);
}

static int index_point(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	const struct gq_ir_step *st = &p->steps[i];
	const struct lang_cat_type *t = indexed_type(x, x->ir->bindings[st->slot].type);
	const struct lang_cat_property *prop = NULL;
	for (uint32_t k = 0; t != NULL && k < t->n_props; k++)
		if (t->props[k].id == st->index_prop_id)
			prop = &t->props[k];
	uint32_t no = prop != NULL && st->index_value != NULL ? index_no(t, prop) : 0;
	if (no == 0)
		return type_scan(x, p, i, sink, arg);
	msgpack_object q;
	int err = qx_eval(x, st->index_value, &q);
	if (err < 0)
		return err;
	if (q.type == MSGPACK_OBJECT_NIL)
		return 0;  /* `= NULL` holds for no row */
	struct key_buf k;
	key_buf_init(&k);
	int b = key_put_bound(&k, &prop->type, &q, KEY_ROUND_UP);
	if (b == KEY_BOUND_ROUNDED || b == KEY_BOUND_NONE)
		return 0;  /* no value of the property equals q */
	if (b < 0)
		return type_scan(x, p, i, sink, arg);
	return index_range(x, p, i, no, &k, sink, arg);
}

/* ---- ANTI_JOIN, the driver ---------------------------------------------- */

static int found_sink(struct qx *x, void *arg)
{
	(void)x;
	(void)arg;
	return QX_STOP;
}

static int anti_join(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	int rc = qx_pipe(x, &p->steps[i].inner, 0, found_sink, NULL);
	if (rc < 0)
		return rc;
	return rc == QX_STOP ? 0 : qx_pipe(x, p, i + 1, sink, arg);
}

int qx_pipe(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg)
{
	if (i == p->n_steps)
		return sink(x, arg);
	const struct gq_ir_step *st = &p->steps[i];
	switch (st->kind) {
	case GQ_IR_SCAN:
		if (st->access == GQ_ACCESS_KEY_LOOKUP)
			return key_lookup(x, p, i, sink, arg);
		if (st->access == GQ_ACCESS_INDEX_POINT)
			return index_point(x, p, i, sink, arg);
		return type_scan(x, p, i, sink, arg);
	case GQ_IR_EXPAND:
		return qx_expand(x, p, i, sink, arg);
	case GQ_IR_FILTER: {
		int ok = qx_filter(x, &st->filter);
		return ok <= 0 ? ok : qx_pipe(x, p, i + 1, sink, arg);
	}
	case GQ_IR_ANTI_JOIN:
		return anti_join(x, p, i, sink, arg);
	}
	return db_error(x->db, GROVE_EINVAL, "unknown pipeline step");
}
