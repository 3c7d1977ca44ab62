/*
 * mutate_stmt.c — one mutation statement (spec §3.12) against the staged
 * state: what earlier statements of the same query put or deleted shadows
 * the branch (read-your-writes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/mutate.h"
#include "index/apply.h"
#include "index/layered.h"
#include "log/error.h"

/* ---- the staged state ---- */

typedef int (*entity_fn)(struct mutation *m, const char *id, uint32_t len,
			 const msgpack_object *row, void *arg);

static int with_row(struct mutation *m, const void *buf, size_t len, entity_fn fn, void *arg)
{
	msgpack_unpacked up;
	size_t off = 0;
	int err;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    up.data.type != MSGPACK_OBJECT_ARRAY || up.data.via.array.size < 1 ||
	    up.data.via.array.ptr[0].type != MSGPACK_OBJECT_STR)
		err = db_error(m->plan.db, GROVE_ECORRUPT, "a row does not decode");
	else
		err = fn(m, value_str(&up.data.via.array.ptr[0]), up.data.via.array.ptr[0].via.str.size,
			 &up.data, arg);
	msgpack_unpacked_destroy(&up);
	return err;
}

struct walk {
	struct mutation *m;
	const struct lang_cat_type *t;
	entity_fn fn;
	void *arg;
};

static int visit(void *arg, const char *id, uint32_t len, const msgpack_object *row)
{
	struct walk *w = arg;
	struct load_plan *p = &w->m->plan;
	/* Staged rows and deletions shadow the branch's rows. */
	if (load_staged(p, w->t, id, len) || idset_get(&p->deleted, w->t->id, id, len) >= 0)
		return 0;
	return w->fn(w->m, id, len, row, w->arg);
}

/* Every entity of `t` as the statement sees it. */
static int each_entity(struct mutation *m, const struct lang_cat_type *t, entity_fn fn, void *arg)
{
	struct load_plan *p = &m->plan;
	struct walk w = { m, t, fn, arg };
	int err = engine_each_visible(p->db, p->at.txn, &p->at.chain, t, visit, &w);
	if (err < 0)
		return grove_errmsg(p->db)[0] ? err : db_error(p->db, err, NULL);
	for (size_t i = 0; i < p->nitems; i++) {
		struct load_item *s = &p->items[i];
		if (s->t == t && !s->dead && (err = with_row(m, s->row, s->row_len, fn, arg)) < 0)
			return err;
	}
	return 0;
}

/* ---- values ---- */

static const struct gq_ir_assign *assign_of(const struct gq_ir_mutation *st, uint32_t prop_id)
{
	for (size_t i = 0; i < st->n_assigns; i++)
		if (st->assigns[i].target == GQ_IR_PROPERTY && st->assigns[i].prop_id == prop_id)
			return &st->assigns[i];
	return NULL;
}

static const struct gq_ir_assign *endpoint_of(const struct gq_ir_mutation *st, enum gq_ir_endpoint w)
{
	for (size_t i = 0; i < st->n_assigns; i++)
		if (st->assigns[i].target == w)
			return &st->assigns[i];
	return NULL;
}

static const struct lang_cat_property *prop_by_id(const struct lang_cat_type *t, uint32_t id)
{
	for (uint32_t i = 0; i < t->n_props; i++)
		if (t->props[i].id == id)
			return &t->props[i];
	return NULL;
}

static bool is_key_member(const struct lang_cat_type *t, const char *name)
{
	for (uint32_t i = 0; t->has_key && i < t->key.n; i++)
		if (!strcmp(t->key.columns[i], name))
			return true;
	return false;
}

/* Is `e` an optional parameter (declared `T?`) given as null or not at
 * all?  Its value is then NULL (spec §7.1). */
static bool optional_param_null(const struct mutation *m, const struct gq_ir_expr *e)
{
	if (e->kind != GQ_IR_PARAM)
		return false;
	const json_t *j = json_object_get(m->params, e->name);
	if (j && !json_is_null(j))
		return false;
	for (size_t i = m->ir->n_params; i-- > 0;)  /* the last declaration wins */
		if (!strcmp(m->ir->params[i].name, e->name))
			return m->ir->param_types[i].nullable;
	return false;
}

/* The String a from/to expression names (param or literal).  An optional
 * parameter given as null or not at all is NULL (spec §3.3), no id. */
static int endpoint(struct mutation *m, const struct gq_ir_expr *e, const char **out)
{
	if (e->kind == GQ_IR_LIT && e->lit->kind == GQ_LIT_STRING) {
		*out = e->lit->str;
		return 0;
	}
	const json_t *j = e->kind == GQ_IR_PARAM ? json_object_get(m->params, e->name) : NULL;
	if (e->kind == GQ_IR_PARAM && !j && !optional_param_null(m, e))
		return db_error(m->plan.db, GROVE_EINVAL, "parameter '%s' not provided", e->name);
	if (!json_is_string(j))
		return db_error(m->plan.db, GROVE_EINVAL, "an edge endpoint must be a String id");
	*out = json_string_value(j);
	return 0;
}

/* ---- predicates ---- */

struct pred {
	const struct gq_ir_mutation *st;
	msgpack_sbuffer sb;              /* the packed predicate value */
	msgpack_unpacked up;
	const struct lang_type *type;    /* property type, or String for from/to */
	int64_t slot;                    /* row slot of the predicate (or -1: none) */
};

static const struct lang_type string_type = { .scalar = LANG_SCALAR_STRING };

/* A float value compared with an integer column: compared as the number it
 * is (spec §7.2: `count = 2.0` matches 2, `count = 2.7` nothing), never
 * converted to the column's type. */
static bool float_against_int(const struct mutation *m, const struct gq_ir_expr *v,
			      const struct lang_type *col)
{
	if (col->list || col->scalar < LANG_SCALAR_I32 || col->scalar > LANG_SCALAR_U64)
		return false;
	if (v->kind == GQ_IR_LIT)
		return v->lit->kind == GQ_LIT_FLOAT;
	if (v->kind != GQ_IR_PARAM)
		return false;
	if (v->index == GQ_IR_NONE)
		return json_is_real(json_object_get(m->params, v->name));
	return !v->type.t.list && (v->type.t.scalar == LANG_SCALAR_F32 || v->type.t.scalar == LANG_SCALAR_F64);
}

static int pred_init(struct pred *pr, struct mutation *m, const struct gq_ir_mutation *st)
{
	const struct lang_cat_type *t = st->type;
	const struct gq_ir_assign *a = &st->pred_target;
	msgpack_packer pk;
	size_t off = 0;
	int err;

	memset(pr, 0, sizeof *pr);
	pr->st = st;
	msgpack_sbuffer_init(&pr->sb);
	msgpack_unpacked_init(&pr->up);
	if (a->target == GQ_IR_PROPERTY) {
		const struct lang_cat_property *p = prop_by_id(t, a->prop_id);
		if (!p)
			return db_error(m->plan.db, GROVE_EINVAL, "unknown property in a predicate");
		pr->type = &p->type;
		pr->slot = (t->kind == LANG_CAT_EDGE ? 2 : 0) + p->id;
	} else {
		pr->type = &string_type;
		pr->slot = a->target == GQ_IR_FROM ? 1 : 2;
	}
	msgpack_packer_init(&pk, &pr->sb, msgpack_sbuffer_write);
	/* A list property compared with `contains` takes one element. */
	struct lang_type elem = *pr->type;
	if (st->pred_op == GQ_IR_LIST_CONTAINS)
		elem.list = 0;
	if (float_against_int(m, a->value, &elem))
		elem.scalar = LANG_SCALAR_F64;
	if (optional_param_null(m, a->value))
		msgpack_pack_nil(&pk);  /* NULL: the predicate holds for no row */
	else if ((err = mutate_value(m, &pk, a->value, &elem, a->prop ? a->prop : "id")) < 0)
		return err;
	if (msgpack_unpack_next(&pr->up, pr->sb.data, pr->sb.size, &off) != MSGPACK_UNPACK_SUCCESS)
		return db_error(m->plan.db, GROVE_ECORRUPT, "a packed value does not decode");
	return 0;
}

static void pred_fini(struct pred *pr)
{
	msgpack_unpacked_destroy(&pr->up);
	msgpack_sbuffer_destroy(&pr->sb);
}

static bool str_has(const msgpack_object *a, const msgpack_object *b, bool prefix)
{
	if (a->type != MSGPACK_OBJECT_STR || b->type != MSGPACK_OBJECT_STR)
		return false;
	const char *h = value_str(a), *n = value_str(b);
	uint32_t hl = a->via.str.size, nl = b->via.str.size;
	if (prefix)
		return nl <= hl && !memcmp(h, n, nl);
	for (uint32_t i = 0; nl <= hl && i + nl <= hl; i++)
		if (!memcmp(h + i, n, nl))
			return true;
	return false;
}

static bool pred_holds(const struct pred *pr, const msgpack_object *row)
{
	const msgpack_object *v = pr->slot < (int64_t)row->via.array.size
		? &row->via.array.ptr[pr->slot] : NULL;
	const msgpack_object *q = &pr->up.data;
	if (!v || v->type == MSGPACK_OBJECT_NIL || q->type == MSGPACK_OBJECT_NIL)
		return false; /* nothing compares with NULL (spec §7.3) */
	switch (pr->st->pred_op) {
	case GQ_IR_STR_CONTAINS: return str_has(v, q, false);
	case GQ_IR_STARTS_WITH:  return str_has(v, q, true);
	case GQ_IR_LIST_CONTAINS:
		if (v->type != MSGPACK_OBJECT_ARRAY)
			return false;
		for (uint32_t i = 0; i < v->via.array.size; i++)
			if (value_compare(&v->via.array.ptr[i], q) == VALUE_EQ)
				return true;
		return false;
	default:
		break;
	}
	enum value_cmp c = value_compare(v, q);
	if (c == VALUE_NULL || c == VALUE_INCOMPARABLE)
		return false;
	switch (pr->st->pred_op) {
	case GQ_IR_EQ: return c == VALUE_EQ;
	case GQ_IR_NE: return c != VALUE_EQ;
	case GQ_IR_LT: return c == VALUE_LT;
	case GQ_IR_LE: return c != VALUE_GT;
	case GQ_IR_GT: return c == VALUE_GT;
	case GQ_IR_GE: return c != VALUE_LT;
	default:       return false;
	}
}

/* Collect the ids of the entities a predicate matches. */
struct matches {
	const struct pred *pr;
	char **ids;
	uint32_t *lens;
	size_t n, cap;
};

static int collect(struct mutation *m, const char *id, uint32_t len, const msgpack_object *row,
		   void *arg)
{
	struct matches *mt = arg;
	if (!pred_holds(mt->pr, row))
		return 0;
	if (mt->n == mt->cap) {
		size_t cap = mt->cap ? mt->cap * 2 : 64;
		char **ids = realloc(mt->ids, cap * sizeof *ids);
		uint32_t *lens = ids ? realloc(mt->lens, cap * sizeof *lens) : NULL;
		if (ids)
			mt->ids = ids;
		if (!lens)
			return db_error(m->plan.db, -ENOMEM, "out of memory");
		mt->lens = lens;
		mt->cap = cap;
	}
	if (!(mt->ids[mt->n] = strndup(id, len)))
		return db_error(m->plan.db, -ENOMEM, "out of memory");
	mt->lens[mt->n++] = len;
	return 0;
}

static void matches_free(struct matches *mt)
{
	for (size_t i = 0; i < mt->n; i++)
		free(mt->ids[i]);
	free(mt->ids);
	free(mt->lens);
}

/* ---- statements ---- */

static int fresh(char out[COMMIT_ID_TEXT_BYTES])
{
	struct commit_id u;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int err = commit_id_new(&u, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	commit_id_format(out, &u);
	return err;
}

/* A required property the insert leaves without a value (spec §9.4; a
 * Blob's message names it, as OmniGraph's). */
static int missing_required(const struct mutation *m, const struct lang_cat_property *p)
{
	return db_error(m->plan.db, GROVE_EINVAL,
			p->type.scalar == LANG_SCALAR_BLOB && !p->type.list
				? "missing required blob property '%s'" : "missing required property '%s'",
			p->name);
}

/* Pack property slots 1..N into `sb` (through pk): assigned values, else
 * `old` slots, else NULL (or the required-property error when `old` is
 * NULL: an insert).  *mark_at is where property `mark`'s slot starts. */
static int pack_slots_marked(struct mutation *m, msgpack_packer *pk, const msgpack_sbuffer *sb,
			     const struct gq_ir_mutation *st, const msgpack_object *old,
			     uint32_t old_first, uint32_t mark, size_t *mark_at)
{
	const struct lang_cat_type *t = st->type;
	for (uint32_t k = 1; k < t->next_prop_id; k++) {
		const struct lang_cat_property *p = prop_by_id(t, k);
		if (k == mark)
			*mark_at = sb->size;
		const struct gq_ir_assign *a = p ? assign_of(st, k) : NULL;
		int err;
		if (a && optional_param_null(m, a->value) && !p->type.nullable) {
			return is_key_member(t, p->name)
				? db_error(m->plan.db, GROVE_EINVAL,
					   "insert @key property '%s' cannot contain null", p->name)
				: missing_required(m, p);
		} else if (a && optional_param_null(m, a->value)) {
			msgpack_pack_nil(pk);
		} else if (a) {
			if ((err = mutate_value(m, pk, a->value, &p->type, p->name)) < 0)
				return err;
		} else if (old) {
			uint32_t at = old_first + k - 1;
			if (at < old->via.array.size)
				msgpack_pack_object(pk, old->via.array.ptr[at]);
			else
				msgpack_pack_nil(pk);
		} else if (!p || p->type.nullable) {
			msgpack_pack_nil(pk);
		} else if (is_key_member(t, p->name)) {
			return db_error(m->plan.db, GROVE_EINVAL, "insert missing @key property '%s'",
					p->name);
		} else {
			return missing_required(m, p);
		}
	}
	return 0;
}

static int pack_slots(struct mutation *m, msgpack_packer *pk, const msgpack_sbuffer *sb,
		      const struct gq_ir_mutation *st, const msgpack_object *old, uint32_t old_first)
{
	return pack_slots_marked(m, pk, sb, st, old, old_first, 0, NULL);
}

/* The property of t's @key when it is a single String (or enum), else
 * NULL: such a key's canonical id is its text unchanged (value_key_text). */
static const struct lang_cat_property *string_key(const struct lang_cat_type *t)
{
	if (t->kind != LANG_CAT_NODE || !t->has_key || t->key.n != 1)
		return NULL;
	const struct lang_cat_property *p = lang_cat_type_prop(t, t->key.columns[0]);
	return p && p->type.scalar == LANG_SCALAR_STRING && !p->type.list ? p : NULL;
}

/* The id of a node whose @key is a single String, read from its packed
 * slot at slots[at..]: 1, or 0 when the slot is not a string (keyed_id
 * then says what is wrong), or an error.  Spares keyed_id's round trip
 * through a whole unpacked row (about 2 us of a one-node insert). */
static int string_key_id(struct mutation *m, char **id, size_t *len, const msgpack_sbuffer *slots,
			 size_t at)
{
	const uint8_t *p = (const uint8_t *)slots->data + at;
	size_t avail = slots->size > at ? slots->size - at : 0, hdr, n;
	if (avail >= 1 && (p[0] & 0xe0) == 0xa0) {
		n = p[0] & 0x1f;
		hdr = 1;
	} else if (avail >= 2 && p[0] == 0xd9) {
		n = p[1];
		hdr = 2;
	} else if (avail >= 3 && p[0] == 0xda) {
		n = (size_t)p[1] << 8 | p[2];
		hdr = 3;
	} else if (avail >= 5 && p[0] == 0xdb) {
		n = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
		hdr = 5;
	} else {
		return 0;
	}
	if (hdr + n > avail)
		return 0;
	if (!(*id = malloc(n + 1)))
		return db_error(m->plan.db, -ENOMEM, "out of memory");
	memcpy(*id, p + hdr, n);
	(*id)[n] = '\0';
	*len = n;
	return 1;
}

/* The canonical id of a keyed node from its packed slots. */
static int keyed_id(struct mutation *m, char **id, size_t *len, const struct lang_cat_type *t,
		    const msgpack_sbuffer *slots)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked up;
	struct value_row row;
	size_t off = 0;
	int err;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, t->next_prop_id);
	msgpack_pack_str_with_body(&pk, "", 0);
	msgpack_sbuffer_write(&sb, slots->data ? slots->data : "", slots->size);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, &off) != MSGPACK_UNPACK_SUCCESS ||
	    value_row_view(&row, &up.data, t, &m->plan.verr) < 0 ||
	    value_canonical_id(id, len, t, &row, &m->plan.verr) < 0)
		err = db_error(m->plan.db, GROVE_EINVAL, "%s", m->plan.verr.msg);
	else
		err = 0;
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	return err;
}

/* [id, (src, dst,) slots] staged as the entity's new version. */
static int stage(struct mutation *m, const struct lang_cat_type *t, const char *id, size_t id_len,
		 const char *src, const char *dst, const msgpack_sbuffer *slots, unsigned long n)
{
	bool edge = t->kind == LANG_CAT_EDGE;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int err;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, t->next_prop_id - 1 + (edge ? 3 : 1));
	msgpack_pack_str_with_body(&pk, id, id_len);
	if (edge) {
		msgpack_pack_str_with_body(&pk, src, strlen(src));
		msgpack_pack_str_with_body(&pk, dst, strlen(dst));
	}
	msgpack_sbuffer_write(&sb, slots->data ? slots->data : "", slots->size);
	err = load_put_row(&m->plan, t, &sb, n);
	msgpack_sbuffer_destroy(&sb);
	return err;
}

static int insert(struct mutation *m, const struct gq_ir_mutation *st, unsigned long n)
{
	const struct lang_cat_type *t = st->type;
	const char *src = NULL, *dst = NULL;
	char ulid[COMMIT_ID_TEXT_BYTES], *id = NULL;
	size_t id_len = 0;
	msgpack_sbuffer slots;
	msgpack_packer pk;
	int err;

	if (st->is_edge) {
		const struct gq_ir_assign *f = endpoint_of(st, GQ_IR_FROM), *to = endpoint_of(st, GQ_IR_TO);
		if (!f || !to)
			return db_error(m->plan.db, GROVE_EINVAL, "insert %s needs from and to", t->name);
		if ((err = endpoint(m, f->value, &src)) < 0 || (err = endpoint(m, to->value, &dst)) < 0)
			return err;
	}
	const struct lang_cat_property *skey = st->is_edge ? NULL : string_key(t);
	size_t key_at = 0;
	msgpack_sbuffer_init(&slots);
	msgpack_packer_init(&pk, &slots, msgpack_sbuffer_write);
	if ((err = pack_slots_marked(m, &pk, &slots, st, NULL, 0, skey ? skey->id : 0, &key_at)) == 0) {
		if (skey && (err = string_key_id(m, &id, &id_len, &slots, key_at)) != 0) {
			err = err < 0 ? err : 0;
		} else if (!st->is_edge && t->has_key) {
			err = keyed_id(m, &id, &id_len, t, &slots);
		} else {
			(void)fresh(ulid); /* the time part alone still makes an id */
			id = strdup(ulid);
			id_len = strlen(ulid);
			err = id ? 0 : db_error(m->plan.db, -ENOMEM, "out of memory");
		}
	}
	if (!err && (err = stage(m, t, id, id_len, src, dst, &slots, n)) == 0) {
		if (st->is_edge)
			m->affected_edges++;
		else
			m->affected_nodes++;
	}
	free(id);
	msgpack_sbuffer_destroy(&slots);
	return err;
}

/* The entity's current row (staged, else the branch's) in `out`. */
static int current(struct mutation *m, const struct lang_cat_type *t, const char *id,
		   uint32_t len, msgpack_unpacked *out)
{
	struct load_item *s = load_staged(&m->plan, t, id, len);
	MDB_val row;
	size_t off = 0;
	const void *buf;
	size_t n;

	if (s) {
		buf = s->row;
		n = s->row_len;
	} else {
		int r = load_exists_now(&m->plan, t, id, len, &row);
		if (r <= 0)
			return r < 0 ? db_error(m->plan.db, r, NULL) : GROVE_ENOTFOUND;
		buf = row.mv_data;
		n = row.mv_size;
	}
	return msgpack_unpack_next(out, buf, n, &off) == MSGPACK_UNPACK_SUCCESS
		? 0 : db_error(m->plan.db, GROVE_ECORRUPT, "a row does not decode");
}

/* `where <key> = v` on a node type with a one-column @key names at most
 * one entity: its id is the key's text (ids of keyed nodes are canonical),
 * so it is one lookup, not a walk of the type.  1: done (mt filled);
 * 0: the predicate is not of that shape. */
static int match_by_key(struct mutation *m, const struct gq_ir_mutation *st, struct matches *mt)
{
	const struct lang_cat_type *t = st->type;
	const struct gq_ir_assign *a = &st->pred_target;
	struct load_plan *p = &m->plan;
	msgpack_unpacked up;
	char *id;
	size_t len;
	int err;

	if (st->is_edge || !t->has_key || t->key.n != 1 || st->pred_op != GQ_IR_EQ ||
	    a->target != GQ_IR_PROPERTY || !a->prop || strcmp(a->prop, t->key.columns[0]) ||
	    value_key_text(&id, &len, mt->pr->type, &mt->pr->up.data, &p->verr) < 0)
		return 0;
	msgpack_unpacked_init(&up);
	if (!load_staged(p, t, id, (uint32_t)len) && idset_get(&p->deleted, t->id, id, (uint32_t)len) >= 0)
		err = 0;
	else if ((err = current(m, t, id, (uint32_t)len, &up)) == GROVE_ENOTFOUND)
		err = 0;
	else if (err == 0)
		err = collect(m, id, (uint32_t)len, &up.data, mt);
	msgpack_unpacked_destroy(&up);
	free(id);
	return err < 0 ? err : 1;
}

/* The entities a statement's predicate matches. */
static int match(struct mutation *m, const struct gq_ir_mutation *st, struct matches *mt)
{
	int err = match_by_key(m, st, mt);
	return err != 0 ? (err < 0 ? err : 0) : each_entity(m, st->type, collect, mt);
}

static int update(struct mutation *m, const struct gq_ir_mutation *st, unsigned long n)
{
	const struct lang_cat_type *t = st->type;
	struct matches mt = { 0 };
	struct pred pr;
	int err;

	for (size_t i = 0; i < st->n_assigns; i++)
		if (st->assigns[i].target == GQ_IR_PROPERTY && is_key_member(t, st->assigns[i].prop))
			return db_error(m->plan.db, GROVE_EINVAL,
					"cannot update @key property '%s' — delete and re-insert instead",
					st->assigns[i].prop);
	if ((err = pred_init(&pr, m, st)) == 0) {
		mt.pr = &pr;
		err = match(m, st, &mt);
	}
	for (size_t i = 0; !err && i < mt.n; i++) {
		msgpack_unpacked up;
		msgpack_sbuffer slots;
		msgpack_packer pk;
		msgpack_unpacked_init(&up);
		msgpack_sbuffer_init(&slots);
		msgpack_packer_init(&pk, &slots, msgpack_sbuffer_write);
		/* Copy the old row: staging may move the buffer it lives in. */
		if ((err = current(m, t, mt.ids[i], mt.lens[i], &up)) == 0 &&
		    (err = pack_slots(m, &pk, &slots, st, &up.data, 1)) == 0 &&
		    (err = stage(m, t, mt.ids[i], mt.lens[i], NULL, NULL, &slots, n)) == 0)
			m->affected_nodes++;
		msgpack_sbuffer_destroy(&slots);
		msgpack_unpacked_destroy(&up);
	}
	matches_free(&mt);
	pred_fini(&pr);
	return err;
}

static int mark_deleted(struct mutation *m, const struct lang_cat_type *t, const char *id,
			uint32_t len)
{
	struct load_plan *p = &m->plan;
	if (idset_get(&p->deleted, t->id, id, len) >= 0)
		return 0; /* deletes count distinct entities */
	if (idset_put(&p->deleted, t->id, id, len, 0) < 0)
		return db_error(p->db, -ENOMEM, "out of memory");
	p->present[t->id] = true;
	if (t->kind == LANG_CAT_EDGE)
		m->affected_edges++;
	else
		m->affected_nodes++;
	return 0;
}

/* A deleted node takes every edge that starts or ends at it. */
static int cascade(struct mutation *m, const struct lang_cat_type *t, const char *id, uint32_t len)
{
	const struct lang_catalog *cat = m->plan.db->cat;
	struct load_plan *p = &m->plan;
	uint8_t prefix[13];
	uint64_t e;
	int err = views_id_lookup(&e, p->at.txn, p->db->views, t->id, id, len);

	if (err < 0)
		return err == GROVE_ENOTFOUND ? 0 : db_error(p->db, err, NULL);
	for (uint32_t i = 0; i < cat->n_edges; i++) {
		const struct lang_cat_type *et = &cat->edges[i];
		for (int dir = 0; dir < 2; dir++) {
			struct layered_iter it;
			if ((dir == 0 ? et->from_id : et->to_id) != t->id)
				continue;
			layered_be32(prefix, et->id);
			prefix[4] = (uint8_t)dir;
			layered_be64(prefix + 5, e);
			if ((err = layered_open(&it, p->at.txn, p->db->views->adj, &p->at.chain, prefix,
						sizeof prefix, NULL, 0)) < 0)
				return db_error(p->db, err, NULL);
			while ((err = layered_next(&it)) == 0) {
				uint32_t type, elen;
				const char *eid;
				if ((err = views_id_name(&type, &eid, &elen, p->at.txn, p->db->views,
							 layered_rd64(it.elem))) < 0 ||
				    (err = mark_deleted(m, et, eid, elen)) < 0)
					break;
			}
			layered_close(&it);
			if (err != GROVE_ENOTFOUND)
				return err < 0 ? db_error(p->db, err, NULL) : 0;
		}
	}
	return 0;
}

static int delete(struct mutation *m, const struct gq_ir_mutation *st)
{
	const struct lang_cat_type *t = st->type;
	struct matches mt = { 0 };
	struct pred pr;
	int err;

	if ((err = pred_init(&pr, m, st)) == 0) {
		mt.pr = &pr;
		err = match(m, st, &mt);
	}
	for (size_t i = 0; !err && i < mt.n; i++) {
		err = mark_deleted(m, t, mt.ids[i], mt.lens[i]);
		if (!err && !st->is_edge)
			err = cascade(m, t, mt.ids[i], mt.lens[i]);
	}
	matches_free(&mt);
	pred_fini(&pr);
	return err;
}

int mutate_statement(struct mutation *m, const struct gq_ir_mutation *st, unsigned long n)
{
	switch (st->kind) {
	case GQ_MUT_INSERT: return insert(m, st, n);
	case GQ_MUT_UPDATE: return update(m, st, n);
	case GQ_MUT_DELETE: return delete(m, st);
	}
	return db_error(m->plan.db, GROVE_EINVAL, "unknown mutation statement");
}
