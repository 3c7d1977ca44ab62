/*
 * engine/query_eval.c — expressions and predicates of read queries (spec
 * §3.6, §7.1-7.3): literals and parameters as stored values, property
 * access, node ids, typed comparison with NULL semantics, `contains`
 * (list membership or substring) and `starts_with`.
 *
 * Literals and parameters are converted once per execution and cached in
 * x->consts (keyed by the IR expression, or by the parameter's name for a
 * parameter): a query has few of them, so the cache is a short array.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datetime.h"
#include "engine/query.h"
#include "engine/value.h"
#include "log/error.h"

static const msgpack_object *const_find(const struct qx *x, const void *key)
{
	for (size_t i = 0; i < x->n_consts; i++)
		if (x->consts[i].key == key)
			return &x->consts[i].o;
	return NULL;
}

static int const_add(struct qx *x, const void *key, const msgpack_object *o)
{
	if (x->n_consts == x->cap_consts) {
		size_t cap = x->cap_consts ? 2 * x->cap_consts : 16;
		struct qx_const *v = realloc(x->consts, cap * sizeof(*v));
		if (v == NULL)
			return db_error(x->db, -ENOMEM, "out of memory");
		x->consts = v;
		x->cap_consts = cap;
	}
	x->consts[x->n_consts].key = key;
	x->consts[x->n_consts++].o = *o;
	return 0;
}

static int lit_value(struct qx *x, const struct gq_lit *l, msgpack_object *o)
{
	memset(o, 0, sizeof(*o));
	switch (l->kind) {
	case GQ_LIT_STRING:
		o->type = MSGPACK_OBJECT_STR;
		o->via.str.ptr = l->str;
		o->via.str.size = (uint32_t)l->str_len;
		return 0;
	case GQ_LIT_INT:
		o->type = l->i < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.i64 = l->i;
		return 0;
	case GQ_LIT_FLOAT:
		o->type = MSGPACK_OBJECT_FLOAT64;
		o->via.f64 = l->f;
		return 0;
	case GQ_LIT_BOOL:
		o->type = MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = l->b != 0;
		return 0;
	case GQ_LIT_DATE: {
		int32_t days;
		if (date_parse(&days, l->str, l->str_len) < 0)
			return db_error(x->db, GROVE_EINVAL, "invalid Date literal '%s'", l->str);
		o->type = days < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.i64 = days;
		return 0;
	}
	case GQ_LIT_DATETIME: {
		int64_t ms;
		if (datetime_parse(&ms, l->str, l->str_len) < 0)
			return db_error(x->db, GROVE_EINVAL, "invalid DateTime literal '%s'", l->str);
		o->type = ms < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.i64 = ms;
		return 0;
	}
	case GQ_LIT_LIST:
		break;
	}
	o->type = MSGPACK_OBJECT_ARRAY;
	o->via.array.size = (uint32_t)l->n_items;
	o->via.array.ptr = msgpack_zone_malloc(&x->zone, (l->n_items + 1) * sizeof(msgpack_object));
	if (o->via.array.ptr == NULL)
		return db_error(x->db, -ENOMEM, "out of memory");
	for (size_t i = 0; i < l->n_items; i++) {
		int err = lit_value(x, &l->items[i], &o->via.array.ptr[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

/* ---- parameters (spec §7.1) --------------------------------------------- */

/* Pack then unpack into the execution's zone: the stored encoding. */
/* Where a parameter is packed: storage of its own for the usual small
 * value, the heap past it. */
struct pbuf {
	char *data;
	size_t size, cap;
	char small[256];
};

static int pbuf_write(void *data, const char *buf, size_t len)
{
	struct pbuf *b = data;
	if (b->cap - b->size < len) {
		size_t cap = 2 * b->cap > b->size + len ? 2 * b->cap : b->size + len;
		char *d = b->data == b->small ? malloc(cap) : realloc(b->data, cap);
		if (d == NULL)
			return -1;
		if (b->data == b->small)
			memcpy(d, b->small, b->size);
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->size, buf, len);
	b->size += len;
	return 0;
}

static int param_object(struct qx *x, const char *name, const struct lang_type *t, const json_t *j,
                        msgpack_object *o)
{
	struct pbuf b;
	msgpack_packer pk;
	struct value_error verr;
	struct value_opts opts = VALUE_OPTS_INIT;
	b.data = b.small;
	b.size = 0;
	b.cap = sizeof b.small;
	msgpack_packer_init(&pk, &b, pbuf_write);
	opts.allow_external_blobs = 1;
	int err = value_from_param(&pk, name, t, j, &opts, &verr);
	if (err == GROVE_ENOTFOUND) {
		err = db_error(x->db, GROVE_EINVAL, "parameter '%s' not provided", name);
	} else if (err < 0) {   /* the conversion's code, and its resource (as mutations) */
		db_error(x->db, err, "%s", verr.msg);
		if (verr.resource[0])
			db_error_limit(x->db, err, verr.resource, verr.limit, verr.actual);
	}
	char *copy = err == 0 ? msgpack_zone_malloc(&x->zone, b.size + 1) : NULL;
	if (err == 0 && copy == NULL)
		err = db_error(x->db, -ENOMEM, "out of memory");
	if (err == 0) {
		size_t off = 0;
		memcpy(copy, b.data, b.size);
		if (msgpack_unpack(copy, b.size, &off, &x->zone, o) < 0)
			err = db_error(x->db, GROVE_ECORRUPT, "param '%s' did not convert", name);
	}
	if (b.data != b.small)
		free(b.data);
	return err;
}

int qx_params(struct qx *x)
{
	const struct gq_ir_query *ir = x->ir;
	int undeclared = engine_params_undeclared(x->db, x->params, ir);
	if (undeclared < 0)
		return undeclared;
	for (size_t i = 0; i < ir->n_params; i++) {
		msgpack_object o;
		const char *name = ir->params[i].name;
		if (engine_param_shadowed(ir, i))
			continue;   /* the last declaration of a name is the one used */
		const json_t *j = json_object_get(x->params, name);
		if (j == NULL && !ir->param_types[i].nullable)
			continue;   /* "not provided" where it is used, if it is (spec §9.4);
				       null is refused here, used or not (§7.1) */
		int err = param_object(x, name, &ir->param_types[i], j, &o);
		if (err < 0)
			return err;
		if ((err = const_add(x, &ir->params[i], &o)) < 0)
			return err;
	}
	return 0;
}

/* An undeclared parameter (a binding match may name one, spec §4.3): its
 * JSON value's own type decides (spec §7.1, "Undeclared keys"). */
static int undeclared_param(struct qx *x, const struct gq_ir_expr *e, msgpack_object *o)
{
	const json_t *j = json_object_get(x->params, e->name);
	struct lang_type t = { .scalar = LANG_SCALAR_STRING, .nullable = 1 };
	if (j == NULL || json_is_null(j))
		return db_error(x->db, GROVE_EINVAL, "parameter '%s' not provided", e->name);
	if (json_is_object(j))
		return db_error(x->db, GROVE_EINVAL, "param '%s': object is not supported", e->name);
	const json_t *s = json_is_array(j) ? json_array_get(j, 0) : j;
	t.list = json_is_array(j);
	if (json_is_boolean(s))
		t.scalar = LANG_SCALAR_BOOL;
	else if (json_is_integer(s))
		t.scalar = LANG_SCALAR_I64;
	else if (json_is_real(s))
		t.scalar = LANG_SCALAR_F64;
	return param_object(x, e->name, &t, j, o);
}

static int param_value(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out)
{
	const void *key = e->index == GQ_IR_NONE ? (const void *)e : (const void *)&x->ir->params[e->index];
	const msgpack_object *c = const_find(x, key);
	if (c != NULL) {
		*out = *c;
		return 0;
	}
	int err = undeclared_param(x, e, out);
	return err < 0 ? err : const_add(x, key, out);
}

/* ---- expressions -------------------------------------------------------- */

static int prop_value(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out)
{
	const struct value_row *v;
	int err = qx_slot_view(x, e->slot, &v);
	if (err < 0)
		return err;
	*out = *value_row_get(v, e->prop_id);
	return 0;
}

static int node_value(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out)
{
	const struct value_row *v;
	int err = qx_slot_view(x, e->slot, &v);
	if (err < 0)
		return err;
	memset(out, 0, sizeof(*out));
	out->type = MSGPACK_OBJECT_STR;
	out->via.str.ptr = v->id;
	out->via.str.size = v->id_len;
	return 0;
}

int qx_eval(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out)
{
	switch (e->kind) {
	case GQ_IR_PROP:
		return prop_value(x, e, out);
	case GQ_IR_NODE:
		return node_value(x, e, out);
	case GQ_IR_PARAM: {
		int err = param_value(x, e, out);
		if (err == 0 && out->type == MSGPACK_OBJECT_FLOAT64 && e->type.kind == GQ_T_SCALAR &&
		    e->type.t.scalar == LANG_SCALAR_F32)
			out->via.f64 = (double)(float)out->via.f64;  /* narrowed by lang/lower.c */
		return err;
	}
	case GQ_IR_NOW:
		memset(out, 0, sizeof(*out));
		out->type = x->now_ms < 0 ? MSGPACK_OBJECT_NEGATIVE_INTEGER : MSGPACK_OBJECT_POSITIVE_INTEGER;
		out->via.i64 = x->now_ms;
		return 0;
	case GQ_IR_LIT: {
		const msgpack_object *c = const_find(x, e);
		if (c != NULL) {
			*out = *c;
			return 0;
		}
		int err = lit_value(x, e->lit, out);
		if (err == 0 && out->type == MSGPACK_OBJECT_FLOAT64 && e->type.kind == GQ_T_SCALAR &&
		    e->type.t.scalar == LANG_SCALAR_F32)
			out->via.f64 = (double)(float)out->via.f64;  /* narrowed by lang/lower.c */
		return err < 0 ? err : const_add(x, e, out);
	}
	case GQ_IR_SEARCH:
	case GQ_IR_FUZZY:
	case GQ_IR_MATCH_TEXT:
		return qx_search_eval(x, e, out);
	case GQ_IR_NEAREST:
	case GQ_IR_BM25:
	case GQ_IR_RRF:
		return qx_rank_eval(x, e, out);
	default:
		return db_error(x->db, GROVE_EINVAL, "this expression cannot be evaluated per row");
	}
}

/* ---- predicates (spec §3.6, §7.3) --------------------------------------- */

static int list_contains(const msgpack_object *list, const msgpack_object *item)
{
	if (list->type != MSGPACK_OBJECT_ARRAY || item->type == MSGPACK_OBJECT_NIL)
		return 0;
	for (uint32_t i = 0; i < list->via.array.size; i++)
		if (value_compare(&list->via.array.ptr[i], item) == VALUE_EQ)
			return 1;
	return 0;
}

static int str_contains(const msgpack_object *hay, const msgpack_object *needle)
{
	if (hay->type != MSGPACK_OBJECT_STR || needle->type != MSGPACK_OBJECT_STR)
		return 0;
	if (needle->via.str.size == 0)
		return 1;
	return hay->via.str.size &&
	       memmem(hay->via.str.ptr, hay->via.str.size, needle->via.str.ptr, needle->via.str.size) != NULL;
}

static int starts_with(const msgpack_object *s, const msgpack_object *prefix)
{
	if (s->type != MSGPACK_OBJECT_STR || prefix->type != MSGPACK_OBJECT_STR)
		return 0;
	if (prefix->via.str.size == 0)
		return 1;  /* an empty string's pointer may be NULL */
	return s->via.str.size >= prefix->via.str.size &&
	       memcmp(s->via.str.ptr, prefix->via.str.ptr, prefix->via.str.size) == 0;
}

static int holds(enum gq_ir_cmp op, const msgpack_object *l, const msgpack_object *r)
{
	switch (op) {
	case GQ_IR_LIST_CONTAINS: return list_contains(l, r);
	case GQ_IR_STR_CONTAINS: return str_contains(l, r);
	case GQ_IR_STARTS_WITH: return starts_with(l, r);
	default: break;
	}
	enum value_cmp c = value_compare(l, r);
	if (c == VALUE_NULL || c == VALUE_INCOMPARABLE)
		return 0;
	switch (op) {
	case GQ_IR_EQ: return c == VALUE_EQ;
	case GQ_IR_NE: return c != VALUE_EQ;
	case GQ_IR_LT: return c == VALUE_LT;
	case GQ_IR_LE: return c != VALUE_GT;
	case GQ_IR_GT: return c == VALUE_GT;
	case GQ_IR_GE: return c != VALUE_LT;
	default: return 0;
	}
}

int qx_filter(struct qx *x, const struct gq_ir_filter *f)
{
	msgpack_object l, r;
	int err;
	if ((err = qx_eval(x, f->left, &l)) < 0 || (err = qx_eval(x, f->right, &r)) < 0)
		return err;
	return holds(f->op, &l, &r);
}
