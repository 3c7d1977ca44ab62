/*
 * load_check.c — the checks of a load that need the branch (spec §8.3,
 * §8.4): key conflicts of append, what overwrite removes, referential
 * integrity, @unique across input and committed rows, @card of touched
 * sources; then the effects in the order apply needs them.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg.h"
#include "engine/load.h"
#include "index/apply.h"
#include "index/hugemem.h"
#include "index/layered.h"
#include "log/error.h"

int load_exists_now(struct load_plan *p, const struct lang_cat_type *t, const char *id,
		    uint32_t len, MDB_val *row)
{
	uint8_t prefix[4], elem[8];
	uint64_t e;
	MDB_val scratch;
	int err = views_id_lookup(&e, p->at.txn, p->db->views, t->id, id, len);
	if (err < 0)
		return err == GROVE_ENOTFOUND ? 0 : err;
	layered_be32(prefix, t->id);
	layered_be64(elem, e);
	err = layered_get(row ? row : &scratch, NULL, p->at.txn, p->db->views->rows, &p->at.chain,
			  prefix, 4, elem, 8);
	return err == 0 ? 1 : err == GROVE_ENOTFOUND ? 0 : err;
}

static bool live(const struct load_plan *p, const struct load_item *it)
{
	(void)p;
	return !it->dead;
}

static int key_conflicts(struct load_plan *p)
{
	for (size_t i = 0; i < p->nitems; i++) {
		struct load_item *it = &p->items[i];
		if (!live(p, it) || it->fresh) /* a new ULID names nothing yet */
			continue;
		int r = load_exists_now(p, it->t, it->id, it->id_len, NULL);
		if (r < 0)
			return db_error(p->db, r, NULL);
		if (r) {
			const char *kind = it->t->kind == LANG_CAT_EDGE ? "edge" : "node";
			char key[256];
			snprintf(key, sizeof key, "%s:%s", kind, it->t->name);
			db_error(p->db, GROVE_EKEYCONFLICT,
				 "%s type '%s' already has this id: %s '%.*s' (record %lu, line %lu)", kind,
				 it->t->name, key, (int)it->id_len, it->id, it->record, it->line);
			return db_error_entity(p->db, GROVE_EKEYCONFLICT, key, it->id, it->id_len);
		}
	}
	return 0;
}

struct overwrite_ctx {
	struct load_plan *p;
	const struct lang_cat_type *t;
};

static int mark_replaced(void *arg, const char *id, uint32_t len, const msgpack_object *row)
{
	struct overwrite_ctx *x = arg;
	(void)row;
	int64_t in = idset_get(&x->p->input, x->t->id, id, len);
	if ((in < 0 || x->p->items[in].dead) && idset_put(&x->p->deleted, x->t->id, id, len, 0) < 0)
		return -ENOMEM;
	return 0;
}

/* Overwrite: every existing entity of a type in the input that the input
 * does not hold again is deleted. */
static int overwrite_deletions(struct load_plan *p, const struct lang_cat_type *t)
{
	struct overwrite_ctx x = { p, t };
	int err = engine_each_visible(p->db, p->at.txn, &p->at.chain, t, mark_replaced, &x);
	return err < 0 ? db_error(p->db, err, NULL) : 0;
}

/* Overwrite removed node `id` of `t`: no edge of a type the input leaves
 * alone may still point at it. */
static int retained_edges(struct load_plan *p, const struct lang_cat_type *t, const char *id,
			  uint32_t len)
{
	const struct lang_catalog *cat = p->db->cat;
	uint8_t prefix[13];
	uint64_t e;
	int err = views_id_lookup(&e, p->at.txn, p->db->views, t->id, id, len);

	if (err < 0)
		return err == GROVE_ENOTFOUND ? 0 : db_error(p->db, err, NULL);
	for (uint32_t i = 0; i < cat->n_edges; i++) {
		const struct lang_cat_type *et = &cat->edges[i];
		if (p->mode == GROVE_LOAD_OVERWRITE && p->present[et->id])
			continue; /* replaced whole: its new edges were checked */
		for (int dir = 0; dir < 2; dir++) {
			if ((dir == 0 ? et->from_id : et->to_id) != t->id)
				continue;
			struct layered_iter it;
			layered_be32(prefix, et->id);
			prefix[4] = (uint8_t)dir;
			layered_be64(prefix + 5, e);
			if ((err = layered_open(&it, p->at.txn, p->db->views->adj, &p->at.chain, prefix,
						sizeof prefix, NULL, 0)) < 0)
				return db_error(p->db, err, NULL);
			/* Each edge left pointing at nothing is a violation (a merge
			 * hears of every one); an edge the same write deletes does
			 * not count, nor one it writes again: its new row's endpoints
			 * are what the write leaves, and load_edge_endpoints checked
			 * them (a merge's source may have moved the edge to another
			 * node before deleting this one). */
			const char *eid = NULL;
			uint32_t elen = 0;
			bool said = false;
			while ((err = layered_next(&it)) == 0) {
				uint32_t type;
				if ((err = views_id_name(&type, &eid, &elen, p->at.txn, p->db->views,
							 layered_rd64(it.elem))) < 0)
					break;
				if (idset_get(&p->deleted, et->id, eid, elen) >= 0 ||
				    load_staged(p, et, eid, elen))
					continue;
				char key[256];
				chg_type_key(key, sizeof key, et);
				db_error(p->db, GROVE_EINVAL,
					 "%s '%.*s' not found in %s: an edge %s still references it",
					 dir == 0 ? "src" : "dst", (int)len, id, t->name, et->name);
				struct load_violation v = { LOAD_VIOLATION_ORPHAN, et, eid, elen };
				if ((err = load_violation(p, db_error_entity(p->db, GROVE_EINVAL, key,
									    eid, elen), &v)) < 0) {
					said = true;
					break;
				}
			}
			layered_close(&it);
			if (said)
				return err;
			if (err != GROVE_ENOTFOUND)
				return db_error(p->db, err, NULL);
		}
	}
	return 0;
}

static int check_retained(struct load_plan *p)
{
	size_t i = 0;
	uint32_t type, val, len;
	const char *id;
	int err;
	while (idset_next(&p->deleted, &i, &type, &id, &len, &val)) {
		const struct lang_cat_type *t = engine_type_by_id(p->db, type);
		if (t->kind == LANG_CAT_NODE && (err = retained_edges(p, t, id, len)) < 0)
			return err;
	}
	return 0;
}

/* Effects, in the order apply needs: node puts first (edges resolve their
 * endpoints through them), then edge deletes and puts, node deletes last. */
static int add_effect(struct load_plan *p, uint8_t op, const struct lang_cat_type *t,
		      const uint8_t *row, uint32_t row_len, uint64_t flags)
{
	if (p->nfx == p->capfx) {
		size_t cap = p->capfx ? p->capfx * 2 : 1024;
		struct event_effect *v = hugemem_realloc(p->fx, p->capfx * sizeof *v, cap * sizeof *v);
		if (!v)
			return db_error(p->db, -ENOMEM, "out of memory");
		p->fx = v;
		p->capfx = cap;
	}
	p->fx[p->nfx++] = (struct event_effect){ .op = op, .type_id = t->id, .flags = flags,
						 .row = { row, row_len } };
	return 0;
}

static int delete_effects(struct load_plan *p, enum lang_cat_kind kind)
{
	size_t i = 0;
	uint32_t type, val, len;
	const char *id;
	int err;

	while (idset_next(&p->deleted, &i, &type, &id, &len, &val)) {
		const struct lang_cat_type *t = engine_type_by_id(p->db, type);
		if (t->kind != kind)
			continue;
		msgpack_sbuffer sb;
		msgpack_packer pk;
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_array(&pk, 1);
		msgpack_pack_str_with_body(&pk, id, len);
		uint8_t **v = realloc(p->del_rows, (p->ndel_rows + 1) * sizeof *v);
		if (!sb.data || !v) {
			msgpack_sbuffer_destroy(&sb);
			if (v)
				p->del_rows = v;
			return db_error(p->db, -ENOMEM, "out of memory");
		}
		p->del_rows = v;
		p->del_rows[p->ndel_rows++] = (uint8_t *)sb.data;
		if ((err = add_effect(p, kind == LANG_CAT_NODE ? EFFECT_DELETE_NODE : EFFECT_DELETE_EDGE,
				      t, (uint8_t *)sb.data, (uint32_t)sb.size, 0)) < 0)
			return err;
	}
	return 0;
}

static int put_effects(struct load_plan *p, enum lang_cat_kind kind)
{
	for (size_t i = 0; i < p->nitems; i++) {
		struct load_item *it = &p->items[i];
		if (!live(p, it) || it->t->kind != kind)
			continue;
		uint64_t flags = load_fresh_edge(p, it) ? EFFECT_FRESH_ID : 0;
		int err = add_effect(p, kind == LANG_CAT_NODE ? EFFECT_PUT_NODE : EFFECT_PUT_EDGE,
				     it->t, it->row, it->row_len, flags);
		if (err < 0)
			return err;
		if (kind == LANG_CAT_NODE)
			p->nodes++;
		else
			p->edges++;
		if (p->loaded)
			p->loaded[it->t->id]++;
	}
	return 0;
}

int load_unique(struct load_plan *p);
int load_cardinality(struct load_plan *p);

static int keyed_over(struct load_plan *p, const char *what, const struct lang_cat_type *t,
		      uint64_t limit, uint64_t n)
{
	char res[160];
	snprintf(res, sizeof res, "%s for node:%s", what, t->name);
	db_error(p->db, GROVE_ELIMIT, "resource limit exceeded: %s: %llu > %llu", res,
		 (unsigned long long)n, (unsigned long long)limit);
	return db_error_limit(p->db, GROVE_ELIMIT, res, limit, n);
}

/* append and merge loads, mutations: at most GROVE_LOAD_KEYED_MAX
 * entities of a keyed type, and GROVE_LOAD_KEYED_MAX_BYTES of their rows
 * (OmniGraph's bounds on keyed input, engine §5.8). */
static int keyed_cap(struct load_plan *p)
{
	const struct lang_catalog *cat = p->db->cat;
	uint64_t *count = calloc(2 * ((size_t)cat->next_type_id + 1), sizeof *count);
	uint64_t *bytes = count + cat->next_type_id + 1;
	int err = 0;
	if (!count)
		return db_error(p->db, -ENOMEM, "out of memory");
	for (size_t k = 0; k < p->nitems; k++) {
		const struct load_item *it = &p->items[k];
		count[it->t->id] += !it->dead;
		bytes[it->t->id] += it->dead ? 0 : it->row_len;
	}
	for (uint32_t i = 0; !err && i < cat->n_nodes; i++) {
		const struct lang_cat_type *t = &cat->nodes[i];
		if (!t->has_key)
			continue;
		if (count[t->id] > GROVE_LOAD_KEYED_MAX)
			err = keyed_over(p, "keyed entities", t, GROVE_LOAD_KEYED_MAX, count[t->id]);
		else if (bytes[t->id] > GROVE_LOAD_KEYED_MAX_BYTES)
			err = keyed_over(p, "keyed entity bytes", t, GROVE_LOAD_KEYED_MAX_BYTES, bytes[t->id]);
	}
	free(count);
	return err;
}

int load_violation(struct load_plan *p, int err, const struct load_violation *v)
{
	return p->on_violation ? p->on_violation(p->violation_arg, err, v) : err;
}

int load_finish(struct load_plan *p)
{
	const struct lang_catalog *cat = p->db->cat;
	int err = 0;

	if (p->mode != GROVE_LOAD_OVERWRITE && !p->uncapped && (err = keyed_cap(p)) < 0)
		return err;
	if (p->mode == GROVE_LOAD_APPEND && (err = key_conflicts(p)) < 0)
		return err;
	if (p->final_values && (err = load_final_values(p)) < 0)
		return err;
	for (uint32_t i = 0; p->mode == GROVE_LOAD_OVERWRITE && !err && i < cat->n_nodes; i++)
		if (p->present[cat->nodes[i].id])
			err = overwrite_deletions(p, &cat->nodes[i]);
	for (uint32_t i = 0; p->mode == GROVE_LOAD_OVERWRITE && !err && i < cat->n_edges; i++)
		if (p->present[cat->edges[i].id])
			err = overwrite_deletions(p, &cat->edges[i]);
	if (err || (err = load_edge_endpoints(p)) < 0 || (err = check_retained(p)) < 0 ||
	    (err = load_unique(p)) < 0 || (err = load_cardinality(p)) < 0)
		return err;
	if ((err = put_effects(p, LANG_CAT_NODE)) < 0 || (err = delete_effects(p, LANG_CAT_EDGE)) < 0 ||
	    (err = put_effects(p, LANG_CAT_EDGE)) < 0 || (err = delete_effects(p, LANG_CAT_NODE)) < 0)
		return err;
	return 0;
}
