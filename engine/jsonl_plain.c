/*
 * engine/jsonl_plain.c — plain load records read straight into row
 * values (jsonl_plain.h).
 *
 * The record is walked twice: once for its top-level members (the type
 * may come after "data"), checking that data holds only plain scalars;
 * then data is read again with the type known.  Anything the slow path
 * would treat in a way of its own declines the record: a repeated member,
 * a member this reader does not know, a type or edge the catalog lacks, a
 * property the type does not declare, a value that is not of its
 * property's own type, a missing or null key member, a missing required
 * property.  What remains converts as value_from_json() converts it
 * (value_from_plain(), which shares its range checks and packing).
 */
#include "engine/jsonl_plain.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine/jsonl_lex.h"
#include "engine/value.h"

/* Types with more property ids than this are read the slow way. */
#define PLAIN_PROPS_MAX 64u
/* So are type names longer than this. */
#define PLAIN_NAME_MAX 127u

struct top {
	const char *type, *edge, *from, *to; /* NULL: absent */
	size_t type_n, edge_n, from_n, to_n;
	const char *data;                    /* at its '{'; NULL: absent or null */
	bool seen_data;
};

struct data {
	const struct lang_cat_type *t;
	struct value_plain v[PLAIN_PROPS_MAX]; /* by index into t->props */
	uint64_t given;                        /* bit i: t->props[i] is in data */
	const char *id;                        /* data.id, NULL: absent or null */
	size_t id_n;
	bool seen_id;
};

typedef bool (*member_fn)(void *arg, const char *k, size_t kn, struct jl_cur *c);

static bool is_key(const char *k, size_t kn, const char *word)
{
	return kn == strlen(word) && memcmp(k, word, kn) == 0;
}

/* A plain scalar at c->p into *v. */
static bool scalar(struct jl_cur *c, struct value_plain *v)
{
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '"':
		v->kind = VALUE_PLAIN_STR;
		return jl_plain_string(c, &v->s, &v->len);
	case 't':
		*v = (struct value_plain){ .kind = VALUE_PLAIN_BOOL, .i = 1 };
		return jl_literal(c, "true", 4);
	case 'f':
		*v = (struct value_plain){ .kind = VALUE_PLAIN_BOOL, .i = 0 };
		return jl_literal(c, "false", 5);
	case 'n':
		v->kind = VALUE_PLAIN_NULL;
		return jl_literal(c, "null", 4);
	default:
		v->kind = VALUE_PLAIN_INT;
		return jl_small_int(c, &v->i);
	}
}

/* The object at c->p, each member's value handed to fn at its first byte. */
static bool members(struct jl_cur *c, member_fn fn, void *arg)
{
	if (!jl_take(c, '{'))
		return false;
	jl_skip_ws(c);
	if (jl_take(c, '}'))
		return true;
	for (;;) {
		const char *k;
		size_t kn;
		jl_skip_ws(c);
		if (!jl_plain_string(c, &k, &kn))
			return false;
		jl_skip_ws(c);
		if (!jl_take(c, ':'))
			return false;
		jl_skip_ws(c);
		if (!fn(arg, k, kn, c))
			return false;
		jl_skip_ws(c);
		if (!jl_take(c, ','))
			return jl_take(c, '}');
	}
}

static bool skip_scalar(void *arg, const char *k, size_t kn, struct jl_cur *c)
{
	struct value_plain v;
	(void)arg;
	(void)k;
	(void)kn;
	return scalar(c, &v);
}

/* A top-level string member, given once. */
static bool top_string(const char **s, size_t *n, struct jl_cur *c)
{
	return *s == NULL && jl_plain_string(c, s, n);
}

static bool top_member(void *arg, const char *k, size_t kn, struct jl_cur *c)
{
	struct top *t = arg;
	if (is_key(k, kn, "type"))
		return top_string(&t->type, &t->type_n, c);
	if (is_key(k, kn, "edge"))
		return top_string(&t->edge, &t->edge_n, c);
	if (is_key(k, kn, "from"))
		return top_string(&t->from, &t->from_n, c);
	if (is_key(k, kn, "to"))
		return top_string(&t->to, &t->to_n, c);
	if (!is_key(k, kn, "data") || t->seen_data)
		return false;
	t->seen_data = true;
	if (jl_literal(c, "null", 4))
		return true;
	t->data = c->p;
	return members(c, skip_scalar, NULL);
}

static bool data_member(void *arg, const char *k, size_t kn, struct jl_cur *c)
{
	struct data *d = arg;
	struct value_plain v;
	if (!scalar(c, &v))
		return false;
	if (is_key(k, kn, "id")) {
		/* As the slow path: a null id is no id; another kind is its to report. */
		if (d->seen_id || (v.kind != VALUE_PLAIN_STR && v.kind != VALUE_PLAIN_NULL))
			return false;
		d->seen_id = true;
		d->id = v.kind == VALUE_PLAIN_STR ? v.s : NULL;
		d->id_n = v.len;
		return true;
	}
	for (uint32_t i = 0; i < d->t->n_props; i++) {
		const char *name = d->t->props[i].name;
		if (strncmp(name, k, kn) == 0 && name[kn] == '\0') {
			if (d->given >> i & 1)
				return false;
			d->given |= UINT64_C(1) << i;
			d->v[i] = v;
			return true;
		}
	}
	return false;
}

/* The type a top-level string names, or NULL. */
static const struct lang_cat_type *named(const struct lang_catalog *cat, const char *s, size_t n, bool edge)
{
	char name[PLAIN_NAME_MAX + 1];
	if (n > PLAIN_NAME_MAX)
		return NULL;
	memcpy(name, s, n);
	name[n] = '\0';
	return edge ? lang_catalog_edge(cat, name) : lang_catalog_node(cat, name);
}

/* Every key member given, and not null. */
static bool keyed(const struct data *d)
{
	const struct lang_cat_type *t = d->t;
	for (uint32_t k = 0; t->has_key && k < t->key.n; k++) {
		const struct lang_cat_property *p = lang_cat_type_prop(t, t->key.columns[k]);
		if (p == NULL)
			return false;
		size_t i = (size_t)(p - t->props);
		if (!(d->given >> i & 1) || d->v[i].kind == VALUE_PLAIN_NULL)
			return false;
	}
	return true;
}

/* [v1..vN] onto pk: a missing property is null, if it may be. */
static bool pack(msgpack_packer *pk, const struct data *d)
{
	const struct lang_cat_type *t = d->t;
	const struct lang_cat_property *by_id[PLAIN_PROPS_MAX];
	uint32_t n = t->next_prop_id - 1;
	value_props_fill(by_id, t);
	if (msgpack_pack_array(pk, n) != 0)
		return false;
	for (uint32_t k = 0; k < n; k++) {
		const struct lang_cat_property *p = by_id[k];
		size_t i = p ? (size_t)(p - t->props) : 0;
		if (p == NULL || !(d->given >> i & 1)) {
			if ((p != NULL && !p->type.nullable) || msgpack_pack_nil(pk) != 0)
				return false;
		} else if (!value_from_plain(pk, p, &d->v[i])) {
			return false;
		}
	}
	return true;
}

/* Append s[0, n) and a NUL to buf; its offset into *at. */
static bool put_text(msgpack_sbuffer *buf, size_t *at, const char *s, size_t n)
{
	*at = buf->size;
	return msgpack_sbuffer_write(buf, s, n) == 0 && msgpack_sbuffer_write(buf, "", 1) == 0;
}

/* The type and shape of the record, from its top-level members. */
static bool classify(struct jsonl_plain *out, const struct top *top, const struct lang_catalog *cat)
{
	if ((top->type != NULL) == (top->edge != NULL))
		return false;
	if (top->type != NULL) {
		out->kind = JSONL_NODE;
		out->type = named(cat, top->type, top->type_n, false);
		return out->type != NULL && top->from == NULL && top->to == NULL;
	}
	out->kind = JSONL_EDGE;
	out->type = named(cat, top->edge, top->edge_n, true);
	return out->type != NULL && top->from != NULL && top->to != NULL;
}

static bool plain_types(const struct lang_cat_type *t)
{
	if (t->n_props > PLAIN_PROPS_MAX || t->next_prop_id - 1 > PLAIN_PROPS_MAX)
		return false;
	for (uint32_t i = 0; i < t->n_props; i++)
		if (strcmp(t->props[i].name, "id") == 0)   /* both a property and the id */
			return false;
	return true;
}

int jsonl_plain_read(struct jsonl_plain *out, msgpack_sbuffer *buf, const struct lang_catalog *cat,
	const char *p, size_t n)
{
	struct top top = { 0 };
	struct jl_cur c = { p, p + n };
	size_t start = buf->size;

	jl_skip_ws(&c);
	if (!members(&c, top_member, &top))
		return 0;
	jl_skip_ws(&c);
	if (c.p != c.end || !classify(out, &top, cat) || !plain_types(out->type))
		return 0;
	struct data d = { .t = out->type };
	struct jl_cur dc = { top.data, p + n };
	if (top.data != NULL && !members(&dc, data_member, &d))
		return 0;
	if (!keyed(&d))
		return 0;
	msgpack_packer pk;
	msgpack_packer_init(&pk, buf, msgpack_sbuffer_write);
	bool ok = pack(&pk, &d);
	out->slots_len = buf->size - start;
	out->id_len = d.id != NULL ? d.id_n : SIZE_MAX;
	if (ok && out->kind == JSONL_EDGE)
		ok = put_text(buf, &out->from, top.from, top.from_n) && put_text(buf, &out->to, top.to, top.to_n);
	if (ok && d.id != NULL)
		ok = put_text(buf, &out->id, d.id, d.id_n);
	if (!ok) {
		/* Declined, or out of memory: the slow path finds out which. */
		buf->size = start;
		return 0;
	}
	return 1;
}
