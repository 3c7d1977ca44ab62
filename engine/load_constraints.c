/*
 * load_constraints.c — @unique and @card over the image a load leaves
 * (spec §8.4): uniqueness among the input's rows and the committed rows it
 * keeps; cardinality for the sources the load touches.
 */
#include <errno.h>
#include <stdbool.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg.h"
#include "engine/load.h"
#include "index/apply.h"
#include "index/layered.h"
#include "log/error.h"

int load_unique(struct load_plan *p);
int load_cardinality(struct load_plan *p);

/* Append n bytes to a malloc'd text (kept NUL-terminated); -ENOMEM. */
static int text_add(char **buf, size_t *len, const char *s, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, s, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

/* A member's text: an edge's endpoint (`@unique(src, dst)`) or a
 * property's key text; NULL in *txt when the member is NULL. */
static int member_text(char **txt, size_t *tl, const struct lang_cat_type *t,
		       const struct value_row *row, const char *col, struct value_error *verr)
{
	const struct lang_cat_property *prop = lang_cat_type_prop(t, col);
	*txt = NULL;
	if (!prop && t->kind == LANG_CAT_EDGE && (!strcmp(col, "src") || !strcmp(col, "dst"))) {
		bool s = !strcmp(col, "src");
		*tl = s ? row->src_len : row->dst_len;
		return (*txt = strndup(s ? row->src : row->dst, *tl)) ? 0 : -ENOMEM;
	}
	const msgpack_object *v = prop ? value_row_get(row, prop->id) : NULL;
	if (v && v->type != MSGPACK_OBJECT_NIL && value_key_text(txt, tl, &prop->type, v, verr) < 0)
		*txt = NULL;
	return 0;
}

/* The tuple of `cols` in a row, malloc'd: *key tells tuples apart (each
 * member's length in decimal and ':' before it, so ("x,y", "z") and
 * ("x", "y,z") differ) and *shown is what messages print ("x" of one
 * member, "(x, y, z)" of several, as OmniGraph's format_tuple).  NULL in both when a member is NULL (NULLs are
 * never duplicates). */
static int tuple_text(char **key, size_t *key_len, char **shown, const struct lang_cat_type *t,
		      const struct lang_cat_colset *cols, const msgpack_object *o,
		      struct value_error *verr)
{
	struct value_row row;
	size_t shown_len = 0;
	int err = value_row_view(&row, o, t, verr);

	*key = *shown = NULL;
	*key_len = 0;
	for (uint32_t i = 0; !err && i < cols->n; i++) {
		char *txt, head[24];
		size_t tl;
		if ((err = member_text(&txt, &tl, t, &row, cols->columns[i], verr)) < 0 || !txt)
			break;
		int hn = snprintf(head, sizeof head, "%zu:", tl);
		bool many = cols->n > 1;
		if ((err = text_add(key, key_len, head, (size_t)hn)) == 0 &&
		    (err = text_add(key, key_len, txt, tl)) == 0 &&
		    (err = text_add(shown, &shown_len, i ? ", " : "(", i ? 2 : many)) == 0)
			err = text_add(shown, &shown_len, txt, tl);
		free(txt);
		if (i + 1 == cols->n && !err)
			return many ? text_add(shown, &shown_len, ")", 1) : 0;
	}
	free(*key);
	free(*shown);
	*key = *shown = NULL;
	return err;
}

struct uniq {
	struct load_plan *p;
	const struct lang_cat_type *t;
	const struct lang_cat_colset *cols;
	struct idset seen;      /* tuple -> index into owners */
	char **owners;          /* ids holding each tuple */
	const struct load_item **owner_items;  /* their input records, or NULL */
	size_t nowners;
	const struct load_item *cur;           /* the input row being added */
	bool committed;         /* adding committed rows (after the input's) */
};

/* `at`: the earlier holder's index in owners. */
static int violation(struct uniq *u, const char *tuple, size_t at, const char *b)
{
	const char *a = u->owners[at];
	/* The offending entity is the written one: of two input rows the
	 * later (b); against a committed row (b) the input's (a). */
	const struct load_item *it = u->committed ? u->owner_items[at] : u->cur;
	char where[64] = "";
	if (it && it->record && it->line)   /* a JSONL record (not a mutation's row) */
		snprintf(where, sizeof where, " (record %lu, line %lu)", it->record, it->line);
	char cols[256] = "";
	size_t n = 0;
	for (uint32_t i = 0; i < u->cols->n; i++)
		n += (size_t)snprintf(cols + n, n < sizeof cols ? sizeof cols - n : 0, "%s%s",
				      i ? ", " : "", u->cols->columns[i]);
	char key[256];
	chg_type_key(key, sizeof key, u->t);
	/* Named as OmniGraph does: the committed holder first, then the
	 * written one; of two input rows, in input order. */
	db_error(u->p->db, GROVE_EINVAL,
		 u->cols->n > 1 ? "@unique violation on %s.(%s): value '%s' held by '%s' and '%s'%s"
				: "@unique violation on %s.%s: value '%s' held by '%s' and '%s'%s",
		 u->t->name, cols, tuple, u->committed ? b : a, u->committed ? a : b, where);
	const char *off = u->committed ? a : b;
	struct load_violation v = { LOAD_VIOLATION_UNIQUE, u->t, off, strlen(off) };
	return load_violation(u->p, db_error_entity(u->p->db, GROVE_EINVAL, key, off, strlen(off)), &v);
}

static int uniq_add(struct uniq *u, const msgpack_object *row, const char *id, uint32_t id_len)
{
	char *tuple, *shown;
	size_t len;
	int err = tuple_text(&tuple, &len, &shown, u->t, u->cols, row, &u->p->verr);
	if (err < 0 || !tuple)
		return err == -ENOMEM ? db_error(u->p->db, err, "out of memory")
		     : err < 0 ? db_error(u->p->db, err, "%s", u->p->verr.msg) : 0;
	int64_t at = idset_get(&u->seen, 0, tuple, (uint32_t)len);
	char *mine = strndup(id, id_len);
	if (!mine) {
		err = db_error(u->p->db, -ENOMEM, "out of memory");
	} else if (at >= 0) {
		err = violation(u, shown, (size_t)at, mine);
	} else {
		char **no = realloc(u->owners, (u->nowners + 1) * sizeof *no);
		if (no)
			u->owners = no;
		const struct load_item **ni = realloc(u->owner_items, (u->nowners + 1) * sizeof *ni);
		if (ni)
			u->owner_items = ni;
		if (!no || !ni ||
		    idset_put(&u->seen, 0, tuple, (uint32_t)len, (uint32_t)u->nowners) < 0) {
			err = db_error(u->p->db, -ENOMEM, "out of memory");
		} else {
			u->owner_items[u->nowners] = u->committed ? NULL : u->cur;
			u->owners[u->nowners++] = mine;
			mine = NULL;
		}
	}
	free(mine);
	free(tuple);
	free(shown);
	return err;
}

static int unpack_and(struct uniq *u, const void *buf, size_t len, const char *id, uint32_t id_len)
{
	msgpack_unpacked up;
	size_t off = 0;
	int err;
	msgpack_unpacked_init(&up);
	err = msgpack_unpack_next(&up, buf, len, &off) == MSGPACK_UNPACK_SUCCESS
		? uniq_add(u, &up.data, id, id_len)
		: db_error(u->p->db, GROVE_ECORRUPT, "a row of %s does not decode", u->t->name);
	msgpack_unpacked_destroy(&up);
	return err;
}

static int uniq_kept(void *arg, const char *id, uint32_t len, const msgpack_object *row)
{
	struct uniq *u = arg;
	if (idset_get(&u->p->input, u->t->id, id, len) >= 0 ||
	    idset_get(&u->p->deleted, u->t->id, id, len) >= 0)
		return 0;
	return uniq_add(u, row, id, len);
}

/* Committed rows the load keeps: not replaced by the input, not deleted. */
static int uniq_committed(struct uniq *u)
{
	struct load_plan *p = u->p;
	int err = engine_each_visible(p->db, p->at.txn, &p->at.chain, u->t, uniq_kept, u);
	return err < 0 && !grove_errmsg(p->db)[0] ? db_error(p->db, err, NULL) : err;
}

static int unique_colset(struct load_plan *p, const struct lang_cat_type *t,
			 const struct lang_cat_colset *cols)
{
	struct uniq u = { .p = p, .t = t, .cols = cols };
	int err = 0;

	idset_init(&u.seen);
	for (size_t i = 0; i < p->nitems && !err; i++) {
		const struct load_item *it = &p->items[i];
		if (it->t == t && !it->dead) {
			u.cur = it;
			err = unpack_and(&u, it->row, it->row_len, it->id, it->id_len);
		}
	}
	u.cur = NULL;
	u.committed = true;
	if (!err)
		err = uniq_committed(&u);
	for (size_t i = 0; i < u.nowners; i++)
		free(u.owners[i]);
	free(u.owners);
	free(u.owner_items);
	idset_free(&u.seen);
	return err;
}

int load_unique(struct load_plan *p)
{
	const struct lang_catalog *cat = p->db->cat;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t n = pass ? cat->n_edges : cat->n_nodes;
		const struct lang_cat_type *types = pass ? cat->edges : cat->nodes;
		for (uint32_t i = 0; i < n; i++) {
			const struct lang_cat_type *t = &types[i];
			if (!p->present[t->id])
				continue;
			for (uint32_t u = 0; u < t->n_unique; u++) {
				int err = unique_colset(p, t, &t->unique[u]);
				if (err < 0)
					return err;
			}
		}
	}
	return 0;
}

/* The src of a stored edge row (into the row's memory). */
static int row_src(const char **src, uint32_t *len, const MDB_val *row)
{
	msgpack_unpacked up;
	size_t off = 0;
	int ok;
	msgpack_unpacked_init(&up);
	ok = msgpack_unpack_next(&up, row->mv_data, row->mv_size, &off) == MSGPACK_UNPACK_SUCCESS &&
	     up.data.type == MSGPACK_OBJECT_ARRAY && up.data.via.array.size >= 3 &&
	     up.data.via.array.ptr[1].type == MSGPACK_OBJECT_STR;
	if (ok) {
		*src = value_str(&up.data.via.array.ptr[1]);
		*len = up.data.via.array.ptr[1].via.str.size;
	}
	msgpack_unpacked_destroy(&up);
	return ok ? 0 : log_error(GROVE_ECORRUPT, "a stored edge row has no src");
}

/* Edges of `et` out of node `src` on the branch that the load keeps. */
static int kept_edges(uint64_t *count, struct load_plan *p, const struct lang_cat_type *et,
		      const char *src, uint32_t len)
{
	const struct lang_cat_type *from = engine_type_by_id(p->db, et->from_id);
	struct layered_iter it;
	uint8_t prefix[13];
	uint64_t e;
	int err = views_id_lookup(&e, p->at.txn, p->db->views, from->id, src, len);

	*count = 0;
	if (err < 0)
		return err == GROVE_ENOTFOUND ? 0 : err;
	layered_be32(prefix, et->id);
	prefix[4] = 0;
	layered_be64(prefix + 5, e);
	if ((err = layered_open(&it, p->at.txn, p->db->views->adj, &p->at.chain, prefix,
				sizeof prefix, NULL, 0)) < 0)
		return err;
	while ((err = layered_next(&it)) == 0) {
		uint32_t type, id_len;
		const char *id;
		if ((err = views_id_name(&type, &id, &id_len, p->at.txn, p->db->views,
					 layered_rd64(it.elem))) < 0)
			break;
		if (idset_get(&p->input, et->id, id, id_len) < 0 &&
		    idset_get(&p->deleted, et->id, id, id_len) < 0)
			(*count)++;
	}
	layered_close(&it);
	return err == GROVE_ENOTFOUND ? 0 : err;
}

/* Sources whose count of `et` edges this load may change. */
static int touched_sources(struct idset *touched, struct idset *incoming, struct load_plan *p,
			   const struct lang_cat_type *et)
{
	size_t i = 0;
	uint32_t type, val, len;
	const char *id;
	MDB_val row;
	int r;

	for (size_t k = 0; k < p->nitems; k++) {
		const struct load_item *it = &p->items[k];
		if (it->t != et || it->dead)
			continue;
		int64_t c = idset_get(incoming, 0, it->src, it->src_len);
		if (idset_put(incoming, 0, it->src, it->src_len, (uint32_t)(c < 0 ? 1 : c + 1)) < 0 ||
		    idset_put(touched, 0, it->src, it->src_len, 0) < 0)
			return -ENOMEM;
		/* An edge that exists already may move: its old source is touched too. */
		if ((r = load_exists_now(p, et, it->id, it->id_len, &row)) < 0)
			return r;
		const char *old;
		uint32_t old_len;
		if (r && ((r = row_src(&old, &old_len, &row)) < 0 ||
			  idset_put(touched, 0, old, old_len, 0) < 0))
			return r < 0 ? r : -ENOMEM;
	}
	while (idset_next(&p->deleted, &i, &type, &id, &len, &val)) {
		if (type != et->id)
			continue;
		const char *old;
		uint32_t old_len;
		if ((r = load_exists_now(p, et, id, len, &row)) < 0)
			return r;
		if (r && row_src(&old, &old_len, &row) == 0 && idset_put(touched, 0, old, old_len, 0) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* " (record N, line L)" of the last input edge of type et from `src`, a
 * JSONL record's (a mutation's rows have no line), or "". */
static void card_where(char *out, size_t cap, const struct load_plan *p,
		       const struct lang_cat_type *et, const char *src, uint32_t len)
{
	out[0] = '\0';
	for (size_t i = p->nitems; i-- > 0;) {
		const struct load_item *it = &p->items[i];
		if (!it->dead && it->t == et && it->src_len == len && !memcmp(it->src, src, len)) {
			if (it->record && it->line)
				snprintf(out, cap, " (record %lu, line %lu)", it->record, it->line);
			return;
		}
	}
}

static int card_of(struct load_plan *p, const struct lang_cat_type *et)
{
	const struct lang_cat_type *from = engine_type_by_id(p->db, et->from_id);
	struct idset touched, incoming;
	size_t i = 0;
	uint32_t type, val, len;
	const char *src;
	int err;

	idset_init(&touched);
	idset_init(&incoming);
	if ((err = touched_sources(&touched, &incoming, p, et)) < 0 && err != -ENOMEM)
		err = db_error(p->db, err, NULL);
	while (!err && idset_next(&touched, &i, &type, &src, &len, &val)) {
		uint64_t n;
		if (idset_get(&p->deleted, from->id, src, len) >= 0)
			continue; /* a deleted node has no edges to count */
		if ((err = kept_edges(&n, p, et, src, len)) < 0) {
			err = db_error(p->db, err, NULL);
			break;
		}
		int64_t in = idset_get(&incoming, 0, src, len);
		struct load_violation v = { LOAD_VIOLATION_CARD, et, NULL, 0 };
		n += in > 0 ? (uint64_t)in : 0;
		bool over = et->has_card_max && n > et->card_max;
		if (!over && n >= et->card_min)
			continue;
		char where[64];   /* a scan of the input: only for a violation */
		card_where(where, sizeof where, p, et, src, len);
		err = load_violation(p, db_error(p->db, GROVE_EINVAL,
			       "@card violation on edge %s: source '%.*s' has %lu edges (%s %u)%s",
			       et->name, (int)len, src, (unsigned long)n, over ? "max" : "min",
			       over ? et->card_max : et->card_min, where), &v);
	}
	idset_free(&touched);
	idset_free(&incoming);
	return err == -ENOMEM ? db_error(p->db, err, "out of memory") : err;
}

int load_cardinality(struct load_plan *p)
{
	const struct lang_catalog *cat = p->db->cat;
	for (uint32_t i = 0; i < cat->n_edges; i++) {
		const struct lang_cat_type *et = &cat->edges[i];
		if ((et->card_min == 0 && !et->has_card_max) || !p->present[et->id])
			continue;
		int err = card_of(p, et);
		if (err < 0)
			return err;
	}
	return 0;
}
