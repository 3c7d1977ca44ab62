/*
 * chg.c — candidates and classification of change sets (see chg.h).
 */
#include "engine/chg.h"

#include <errno.h>
#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "engine/schema_hist.h"
#include "engine/value.h"
#include "index/apply.h"
#include "index/chgrun.h"
#include "index/layered.h"
#include "log/error.h"

#define CHG_VALUE_DEPTH_MAX 16   /* nesting of one stored value ([T] is 2) */

/* ---- scope ----------------------------------------------------------- */

static int scope_names(unsigned *bits, grove_db *db, const json_t *a, const char *key,
		       const char *const *names, unsigned n_names, unsigned first_bit)
{
	size_t i;
	const json_t *v;

	if (!json_is_array(a))
		return db_error(db, GROVE_EINVAL, "change filter: '%s' must be an array", key);
	json_array_foreach(a, i, v) {
		unsigned k = 0;
		while (k < n_names && !(json_is_string(v) &&
					!strcasecmp(json_string_value(v), names[k])))
			k++;
		if (k == n_names) {
			char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			int err = db_error(db, GROVE_EINVAL, "change filter: '%s' holds an unknown value %s "
					   "(expected %s%s%s%s%s)", key, got ? got : "?", names[0],
					   n_names > 2 ? ", " : " or ", names[1], n_names > 2 ? " or " : "",
					   n_names > 2 ? names[2] : "");
			free(got);
			return err;
		}
		*bits |= 1u << (k + first_bit);
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scope_types(struct chg_scope *s, grove_db *db, const json_t *a)
{
	size_t i;
	const json_t *v;

	if (!json_is_array(a) || json_array_size(a) > CHG_SCOPE_TYPES_MAX)
		return db_error(db, GROVE_EINVAL, "change filter: 'type_names' must be an array of "
				"at most %u names", CHG_SCOPE_TYPES_MAX);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return db_error(db, GROVE_EINVAL, "change filter: a type name is not a string");
		if (!(s->types[s->n_types] = strdup(json_string_value(v))))
			return db_error(db, -ENOMEM, "out of memory");
		s->n_types++;
	}
	qsort(s->types, s->n_types, sizeof s->types[0], cmp_str);
	uint32_t u = 0;
	for (uint32_t k = 0; k < s->n_types; k++) {
		if (u && !strcmp(s->types[u - 1], s->types[k]))
			free(s->types[k]);
		else
			s->types[u++] = s->types[k];
	}
	s->n_types = u;
	return 0;
}

/* A digest of the canonical scope: tokens and cursors carry it. */
static uint64_t scope_digest(const struct chg_scope *s)
{
	XXH3_state_t *st = XXH3_createState();
	uint64_t h;
	if (!st)
		return 0;
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, &s->kinds, sizeof s->kinds);
	XXH3_64bits_update(st, &s->ops, sizeof s->ops);
	if (s->none)   /* hashed only when set: other scopes keep their digests */
		XXH3_64bits_update(st, "none", 4);
	for (uint32_t i = 0; i < s->n_types; i++)
		XXH3_64bits_update(st, s->types[i], strlen(s->types[i]) + 1);
	h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

int chg_scope_parse(struct chg_scope *out, grove_db *db, const char *json)
{
	static const char *const kinds[] = { "node", "edge" };
	static const char *const ops[] = { "insert", "update", "delete" };
	json_error_t jerr;
	const char *key;
	json_t *o, *v;
	int err = 0;

	memset(out, 0, sizeof *out);
	if (!json || !*json) {
		out->digest = scope_digest(out);
		return 0;
	}
	if (!(o = json_loads(json, 0, &jerr)) || !json_is_object(o)) {
		json_decref(o);
		return db_error(db, GROVE_EINVAL, "change filter: expected a JSON object (%s)",
				jerr.text);
	}
	json_object_foreach(o, key, v) {
		if (err)
			break;
		if (json_is_null(v))
			continue;
		if (json_is_array(v) && json_array_size(v) == 0)
			out->none = true;   /* an empty list admits nothing */
		if (!strcmp(key, "kinds"))
			err = scope_names(&out->kinds, db, v, key, kinds, 2, 0);
		else if (!strcmp(key, "ops"))
			err = scope_names(&out->ops, db, v, key, ops, 3, CHG_INSERT);
		else if (!strcmp(key, "type_names") || !strcmp(key, "types"))
			err = scope_types(out, db, v);
		else
			err = db_error(db, GROVE_EINVAL, "change filter: unknown key '%s' (expected "
				       "kinds, type_names, ops)", key);
	}
	json_decref(o);
	if (err < 0) {
		chg_scope_free(out);
		return err;
	}
	/* Canonical: every kind or every op is no filter on it, so equivalent
	 * scopes share a digest (OmniGraph's filter digest). */
	if (out->kinds == (CHG_KIND_NODE | CHG_KIND_EDGE))
		out->kinds = 0;
	if (out->ops == ((1u << CHG_INSERT) | (1u << CHG_UPDATE) | (1u << CHG_DELETE)))
		out->ops = 0;
	out->digest = scope_digest(out);
	return 0;
}

void chg_scope_free(struct chg_scope *s)
{
	for (uint32_t i = 0; i < s->n_types; i++)
		free(s->types[i]);
	s->n_types = 0;
}

bool chg_scope_wants_type(const struct chg_scope *s, const struct lang_cat_type *t)
{
	unsigned kind = t->kind == LANG_CAT_EDGE ? CHG_KIND_EDGE : CHG_KIND_NODE;
	if (s->none || (s->kinds && !(s->kinds & kind)))
		return false;
	if (!s->n_types)
		return true;
	return bsearch(&t->name, s->types, s->n_types, sizeof s->types[0], cmp_str) != NULL;
}

bool chg_scope_wants_op(const struct chg_scope *s, enum chg_op op)
{
	return !s->none && (!s->ops || (s->ops & (1u << op)));
}

/* ---- read points ----------------------------------------------------- */

int chg_point_commit(struct chg_point *out, grove_db *db, MDB_txn *txn, const struct commit_rec *c)
{
	int err;
	out->head = *c;
	snprintf(out->branch, sizeof out->branch, "%s", c->branch);
	if ((err = layer_chain(&out->chain, txn, db->views, c->layer, c->lsn)) < 0 ||
	    (err = engine_catalog_at(&out->cat, db, txn, c->lsn)) < 0)
		return db_error(db, err, NULL);
	return 0;
}

int chg_point_target(struct chg_point *out, grove_db *db, MDB_txn *txn, const grove_target *t)
{
	char name_buf[BRANCH_NAME_MAX + 1];
	const char *name = t && t->branch ? branch_name_trim(name_buf, t->branch) : MAIN_BRANCH;
	struct branch_rec b;
	int err;

	memset(out, 0, sizeof *out);
	if (t && t->commit) {
		if ((err = engine_commit_resolve(&out->head, db, txn, t->commit)) < 0)
			return err;
		return chg_point_commit(out, db, txn, &out->head);
	}
	if ((err = branch_get(&b, txn, db->views, name)) == GROVE_ENOTFOUND)
		return db_error_no_branch(db, name);
	if (err < 0 || (err = commit_get(&out->head, txn, db->views, &b.head)) < 0 ||
	    (err = layer_chain(&out->chain, txn, db->views, b.layer, b.head_lsn)) < 0 ||
	    (err = engine_catalog_at(&out->cat, db, txn, out->head.lsn)) < 0)
		return db_error(db, err, NULL);
	snprintf(out->branch, sizeof out->branch, "%s", name);
	return 0;
}

/* ---- candidates ------------------------------------------------------ */

struct cand_raw {
	uint32_t type;
	uint64_t entity;
};

/* How candidates are typed: by the catalog in force, else by the `to`
 * side's, else by the `from` side's (chg.h).  Without side catalogs,
 * by the catalog in force alone. */
struct cand_types {
	const struct lang_catalog *cur, *a, *b;
};

static const struct lang_cat_type *cat_type(const struct lang_catalog *cat, uint32_t id)
{
	const struct lang_cat_type *t = engine_cat_type_by_id(cat, LANG_CAT_NODE, id);
	return t ? t : engine_cat_type_by_id(cat, LANG_CAT_EDGE, id);
}

static const struct lang_cat_type *resolve_type(const struct cand_types *k, uint32_t id,
						unsigned *sides)
{
	const struct lang_cat_type *t = cat_type(k->cur, id);
	const struct lang_cat_type *ta = k->a ? cat_type(k->a, id) : t;
	const struct lang_cat_type *tb = k->b ? cat_type(k->b, id) : t;
	*sides = (ta ? CHG_SIDE_A : 0) | (tb ? CHG_SIDE_B : 0);
	return t ? t : tb ? tb : ta;
}

struct cand_buf {
	struct cand_raw *v;
	size_t n, cap, max;   /* max: the bound on distinct entities */
	const struct cand_types *types;
	uint32_t last_type;   /* memo of the last type's scope verdict  */
	int last_wanted;
};

static int cmp_raw(const void *pa, const void *pb)
{
	const struct cand_raw *a = pa, *b = pb;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return a->entity < b->entity ? -1 : a->entity > b->entity;
}

static void raw_unique(struct cand_buf *c)
{
	size_t u = 0;
	if (c->n)
		qsort(c->v, c->n, sizeof c->v[0], cmp_raw);
	for (size_t i = 0; i < c->n; i++)
		if (!u || cmp_raw(&c->v[u - 1], &c->v[i]))
			c->v[u++] = c->v[i];
	c->n = u;
}

/* Append one (type, entity); when the buffer fills up, fold duplicates
 * first, and only fail when the distinct entities exceed the bound. */
static int raw_add(struct cand_buf *c, grove_db *db, uint32_t type, uint64_t entity)
{
	if (c->n == c->cap) {
		raw_unique(c);
		if (c->n > c->max)
			return db_error_limit(db, db_error(db, GROVE_ELIMIT, "a change set touches more "
							   "than %zu entities", c->max),
					      "change_entities", c->max, c->n);
		if (c->n * 2 >= c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 1024;
			struct cand_raw *v = realloc(c->v, cap * sizeof *v);
			if (!v)
				return db_error(db, -ENOMEM, "out of memory");
			c->v = v;
			c->cap = cap;
		}
	}
	c->v[c->n++] = (struct cand_raw){ type, entity };
	return 0;
}

static bool raw_wanted(struct cand_buf *c, const struct chg_scope *s, uint32_t type)
{
	if (c->last_wanted < 0 || c->last_type != type) {
		unsigned sides;
		const struct lang_cat_type *t = resolve_type(c->types, type, &sides);
		c->last_type = type;
		c->last_wanted = t && chg_scope_wants_type(s, t);
	}
	return c->last_wanted;
}

/* Every chg entry of `layer` with an LSN in (lo, hi]. */
static int scan_layer(struct cand_buf *c, grove_db *db, MDB_cursor *cur, uint32_t layer,
		      uint64_t lo, uint64_t hi, const struct chg_scope *s)
{
	uint8_t start[12];
	MDB_val k = { sizeof start, start }, d;
	int rc, err = 0;

	layered_be32(start, layer);
	layered_be64(start + 4, lo + 1);
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && !err;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		uint64_t first, count;
		uint32_t type;
		if (!chg_entry_read(&k, &d, &type, &first, &count))
			return db_error(db, GROVE_ECORRUPT, "a change entry has %zu+%zu bytes",
					k.mv_size, d.mv_size);
		if (memcmp(p, start, 4) || layered_rd64(p + 4) > hi)
			break;
		if (raw_wanted(c, s, type))   /* one entity, or a run of them (chgrun.h) */
			for (uint64_t i = 0; i < count && !err; i++)
				err = raw_add(c, db, type, first + i);
	}
	if (!err && rc && rc != MDB_NOTFOUND)
		err = db_error(db, views_error(rc, "changes"), NULL);
	return err;
}

/* The cutoff of `layer` in chain c; false when c does not contain it. */
static bool cutoff_in(uint64_t *out, const struct layer_chain *c, uint32_t layer)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (c->at[i].layer == layer) {
			*out = c->at[i].cutoff;
			return true;
		}
	*out = 0;
	return false;
}

/* Layer by layer: the range between the two chains' cutoffs, a layer one
 * chain lacks counting as cutoff 0 there.  Layers of a first, then those
 * only b has. */
static int scan_chains(struct cand_buf *c, grove_db *db, MDB_txn *txn,
		       const struct layer_chain *a, const struct layer_chain *b,
		       const struct chg_scope *s)
{
	MDB_cursor *cur;
	uint64_t other;
	int rc = mdb_cursor_open(txn, db->views->chg, &cur), err = 0;

	if (rc)
		return db_error(db, views_error(rc, "changes"), NULL);
	for (uint32_t i = 0; i < a->n && !err; i++) {
		uint64_t ca = a->at[i].cutoff;
		cutoff_in(&other, b, a->at[i].layer);
		if (ca != other)
			err = scan_layer(c, db, cur, a->at[i].layer, ca < other ? ca : other,
					 ca < other ? other : ca, s);
	}
	for (uint32_t i = 0; i < b->n && !err; i++)
		if (!cutoff_in(&other, a, b->at[i].layer) && b->at[i].cutoff)
			err = scan_layer(c, db, cur, b->at[i].layer, 0, b->at[i].cutoff, s);
	mdb_cursor_close(cur);
	return err;
}

int chg_entity_name(struct chg_entity *e, grove_db *db, MDB_txn *txn)
{
	uint32_t type;
	int err = views_id_name(&type, &e->id, &e->id_len, txn, db->views, e->entity);
	if (err < 0)
		return db_error(db, err, NULL);
	if (type != e->t->id)
		return db_error(db, GROVE_ECORRUPT, "entity %lu is of type %u, its change says %u",
				(unsigned long)e->entity, type, e->t->id);
	return 0;
}

static int add_entity(struct chg_list *out, grove_db *db, MDB_txn *txn,
		      const struct cand_types *k, const struct cand_raw *r, bool named)
{
	struct chg_entity *e;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 256;
		if (!(e = realloc(out->v, cap * sizeof *e)))
			return db_error(db, -ENOMEM, "out of memory");
		out->v = e;
		out->cap = cap;
	}
	e = &out->v[out->n];
	e->t = resolve_type(k, r->type, &e->sides);
	e->entity = r->entity;
	e->id = NULL;
	e->id_len = 0;
	out->n++;
	return named ? chg_entity_name(e, db, txn) : 0;
}

/* Every row of type `t` visible through `chain`: a table one side lacks. */
static int scan_table(struct cand_buf *c, grove_db *db, MDB_txn *txn,
		      const struct layer_chain *chain, const struct lang_cat_type *t)
{
	struct layered_iter it;
	uint8_t prefix[4];
	int err;

	layered_be32(prefix, t->id);
	if ((err = layered_open(&it, txn, db->views->rows, chain, prefix, 4, NULL, 0)) < 0)
		return db_error(db, err, NULL);
	while ((err = layered_next(&it)) == 0)
		if (it.elem_len != 8 || (err = raw_add(c, db, t->id, layered_rd64(it.elem))) < 0)
			break;
	layered_close(&it);
	if (err == 0)
		return db_error(db, GROVE_ECORRUPT, "a row key of %s is malformed", t->name);
	return err == GROVE_ENOTFOUND ? 0 : err;
}

/* The types `mine` has and `other` lacks, in scope: all their rows at `p`. */
static int scan_lone_types(struct cand_buf *c, grove_db *db, MDB_txn *txn,
			   const struct chg_point *p, const struct lang_catalog *other,
			   const struct chg_scope *s)
{
	const struct lang_catalog *mine = p->cat;
	int err = 0;
	for (uint32_t i = 0; !err && i < mine->n_nodes + mine->n_edges; i++) {
		const struct lang_cat_type *t = i < mine->n_nodes ? &mine->nodes[i]
								  : &mine->edges[i - mine->n_nodes];
		if (!cat_type(other, t->id) && raw_wanted(c, s, t->id))
			err = scan_table(c, db, txn, &p->chain, t);
	}
	return err;
}

static int finish(struct chg_list *out, struct cand_buf *c, grove_db *db, MDB_txn *txn,
		  bool named)
{
	int err = 0;
	raw_unique(c);
	if (c->n > c->max)
		err = db_error_limit(db, db_error(db, GROVE_ELIMIT, "a change set touches more "
						  "than %zu entities", c->max),
				     "change_entities", c->max, c->n);
	for (size_t i = 0; !err && i < c->n; i++)
		err = add_entity(out, db, txn, c->types, &c->v[i], named);
	free(c->v);
	if (err < 0)
		chg_list_free(out);
	return err;
}

int chg_candidates(struct chg_list *out, grove_db *db, MDB_txn *txn, const struct layer_chain *a,
		   const struct layer_chain *b, const struct chg_scope *s, size_t max)
{
	struct cand_types k = { engine_catalog(db), NULL, NULL };
	struct cand_buf c = { .max = max, .types = &k, .last_wanted = -1 };
	int err;

	memset(out, 0, sizeof *out);
	if ((err = scan_chains(&c, db, txn, a, b, s)) < 0) {
		free(c.v);
		return err;
	}
	return finish(out, &c, db, txn, true);
}

int chg_candidates_at(struct chg_list *out, grove_db *db, MDB_txn *txn, const struct chg_point *a,
		      const struct chg_point *b, const struct chg_scope *s, size_t max)
{
	int err = chg_candidates_unnamed_at(out, db, txn, a, b, s, max);
	return err < 0 ? err : chg_name_all(out, db, txn);
}

int chg_name_all(struct chg_list *l, grove_db *db, MDB_txn *txn)
{
	int err = 0;
	for (size_t i = 0; !err && i < l->n; i++)
		err = chg_entity_name(&l->v[i], db, txn);
	if (err < 0)
		chg_list_free(l);
	return err;
}

int chg_candidates_unnamed_at(struct chg_list *out, grove_db *db, MDB_txn *txn,
			      const struct chg_point *a, const struct chg_point *b,
			      const struct chg_scope *s, size_t max)
{
	/* A commit's block names its types as they were at that commit (a
	 * type renamed since keeps its old name there), as OmniGraph's
	 * commit-era physical schema does. */
	struct cand_types k = { b->cat ? b->cat : engine_catalog(db), a->cat, b->cat };
	struct cand_buf c = { .max = max, .types = &k, .last_wanted = -1 };
	int err;

	memset(out, 0, sizeof *out);
	/* Changes at or across a snapshot whose history a hard drop reclaimed
	 * would list that type's rows as inserted, or not at all: refused
	 * (engine §4.2). */
	if ((a->cat && (err = engine_reclaimed_error(db, a->cat)) < 0) ||
	    (b->cat && (err = engine_reclaimed_error(db, b->cat)) < 0))
		return err;
	if ((err = scan_chains(&c, db, txn, &a->chain, &b->chain, s)) < 0 ||
	    (a->cat != b->cat && ((err = scan_lone_types(&c, db, txn, a, b->cat, s)) < 0 ||
				  (err = scan_lone_types(&c, db, txn, b, a->cat, s)) < 0))) {
		free(c.v);
		return err;
	}
	return finish(out, &c, db, txn, false);
}

void chg_list_free(struct chg_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- orders ---------------------------------------------------------- */

static int cmp_id(const char *a, uint32_t an, const char *b, uint32_t bn)
{
	int c = an && bn ? memcmp(a, b, an < bn ? an : bn) : 0;   /* "" may be NULL */
	return c ? c : (an > bn) - (an < bn);
}

static int cmp_table(const void *pa, const void *pb)
{
	const struct chg_entity *a = pa, *b = pb;
	if (a->t != b->t) {
		/* "edge:" sorts before "node:"; then the type name. */
		unsigned ka = chg_kind_rank(a->t), kb = chg_kind_rank(b->t);
		if (ka != kb)
			return ka > kb ? -1 : 1;
		int c = strcmp(a->t->name, b->t->name);
		if (c)
			return c;
		/* One name, two identities (dropped and added again). */
		if (a->t->id != b->t->id)
			return a->t->id < b->t->id ? -1 : 1;
	}
	return cmp_id(a->id, a->id_len, b->id, b->id_len);
}

int chg_frozen_cmp(const struct chg_entity *e, unsigned kind_rank, uint32_t type_id,
		   const char *id, uint32_t id_len)
{
	unsigned k = chg_kind_rank(e->t);
	if (k != kind_rank)
		return k < kind_rank ? -1 : 1;
	if (e->t->id != type_id)
		return e->t->id < type_id ? -1 : 1;
	return cmp_id(e->id, e->id_len, id, id_len);
}

void chg_sort_by_table(struct chg_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof l->v[0], cmp_table);
}


/* ---- classification -------------------------------------------------- */

static bool is_int(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	       o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

/* Typed equality of two stored values: same kind and same value; floats
 * by their bits (an identical rewrite is equal, NaN included), null, ""
 * and [] all distinct, lists element by element. */
static bool value_equal(const msgpack_object *a, const msgpack_object *b, int depth)
{
	if (a->type != b->type)
		return is_int(a) && is_int(b) && value_compare(a, b) == VALUE_EQ;
	switch (a->type) {
	case MSGPACK_OBJECT_NIL:
		return true;
	case MSGPACK_OBJECT_BOOLEAN:
		return a->via.boolean == b->via.boolean;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return a->via.u64 == b->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return a->via.i64 == b->via.i64;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return memcmp(&a->via.f64, &b->via.f64, sizeof(double)) == 0;
	case MSGPACK_OBJECT_STR:
		return a->via.str.size == b->via.str.size &&
		       (!a->via.str.size || !memcmp(a->via.str.ptr, b->via.str.ptr, a->via.str.size));
	case MSGPACK_OBJECT_BIN:
		return a->via.bin.size == b->via.bin.size &&
		       (!a->via.bin.size || !memcmp(a->via.bin.ptr, b->via.bin.ptr, a->via.bin.size));
	case MSGPACK_OBJECT_ARRAY:
		if (a->via.array.size != b->via.array.size || depth >= CHG_VALUE_DEPTH_MAX)
			return false;
		for (uint32_t i = 0; i < a->via.array.size; i++)
			if (!value_equal(&a->via.array.ptr[i], &b->via.array.ptr[i], depth + 1))
				return false;
		return true;
	default:
		return false;   /* maps and extensions are never stored */
	}
}

int chg_row_view(struct value_row *r, msgpack_unpacked *up, grove_db *db,
		 const struct lang_cat_type *t, const MDB_val *row)
{
	struct value_error verr;
	size_t off = 0;
	int err;

	msgpack_unpacked_init(up);
	if (msgpack_unpack_next(up, row->mv_data, row->mv_size, &off) != MSGPACK_UNPACK_SUCCESS)
		return db_error(db, GROVE_ECORRUPT, "a stored row of %s does not decode", t->name);
	if ((err = value_row_view(r, &up->data, t, &verr)) < 0)
		return db_error(db, err, "%s", verr.msg);
	return 0;
}

void chg_type_key(char *buf, size_t cap, const struct lang_cat_type *t)
{
	snprintf(buf, cap, "%s:%s", t->kind == LANG_CAT_EDGE ? "edge" : "node", t->name);
}

/* Every user column: id, endpoints, each property of the type in force. */
static int rows_equal(bool *eq, grove_db *db, const struct lang_cat_type *t, const MDB_val *a,
		      const MDB_val *b)
{
	msgpack_unpacked ua, ub;
	struct value_row ra, rb;
	int err;

	msgpack_unpacked_init(&ua);
	msgpack_unpacked_init(&ub);
	if ((err = chg_row_view(&ra, &ua, db, t, a)) == 0 &&
	    (err = chg_row_view(&rb, &ub, db, t, b)) == 0) {
		*eq = !cmp_id(ra.id, ra.id_len, rb.id, rb.id_len) &&
		      (t->kind != LANG_CAT_EDGE ||
		       (!cmp_id(ra.src, ra.src_len, rb.src, rb.src_len) &&
			!cmp_id(ra.dst, ra.dst_len, rb.dst, rb.dst_len)));
		for (uint32_t i = 0; *eq && i < t->n_props; i++)
			*eq = value_equal(value_row_get(&ra, t->props[i].id),
					  value_row_get(&rb, t->props[i].id), 0);
	}
	msgpack_unpacked_destroy(&ua);
	msgpack_unpacked_destroy(&ub);
	return err;
}

static int visible(MDB_val *out, grove_db *db, MDB_txn *txn, const struct layer_chain *c,
		   const struct chg_entity *e)
{
	uint8_t prefix[4], elem[8];
	int err;

	layered_be32(prefix, e->t->id);
	layered_be64(elem, e->entity);
	err = layered_get(out, NULL, txn, db->views->rows, c, prefix, 4, elem, 8);
	if (err == GROVE_ENOTFOUND) {
		*out = (MDB_val){ 0, NULL };
		return 0;
	}
	return err < 0 ? db_error(db, err, NULL) : 0;
}

int chg_classify(enum chg_op *op, struct chg_rows *rows, grove_db *db, MDB_txn *txn,
		 const struct layer_chain *a, const struct layer_chain *b,
		 const struct chg_entity *e)
{
	bool eq = false;
	int err;

	rows->before = rows->after = (MDB_val){ 0, NULL };
	if ((e->sides & CHG_SIDE_A && (err = visible(&rows->before, db, txn, a, e)) < 0) ||
	    (e->sides & CHG_SIDE_B && (err = visible(&rows->after, db, txn, b, e)) < 0))
		return err;
	if (!rows->before.mv_data)
		*op = rows->after.mv_data ? CHG_INSERT : CHG_NONE;
	else if (!rows->after.mv_data)
		*op = CHG_DELETE;
	else if ((err = rows_equal(&eq, db, e->t, &rows->before, &rows->after)) < 0)
		return err;
	else
		*op = eq ? CHG_NONE : CHG_UPDATE;
	return 0;
}
