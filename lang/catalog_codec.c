/*
 * lang/catalog_codec.c — msgpack encoding of a catalog (catalog.h).
 *
 * Layout (all arrays, positional, so equal catalogs give equal bytes):
 *
 *   catalog    = ["grove.catalog", version, next_type_id,
 *                 [type...] interfaces, [type...] nodes, [type...] edges]
 *   type       = [kind, id, name, [prop...], next_prop_id, [implements...],
 *                 key: nil | [col...], [[col...]...] unique, [[col...]...] index,
 *                 [[prop, bound, bound]...] ranges, [[prop, pattern]...] checks,
 *                 from_type|nil, to_type|nil, from_id, to_id, card_min, card_max|nil,
 *                 description|nil, instruction|nil, rename_from|nil, [annotation...]]
 *   prop       = [id, name, ptype, embed_source|nil, embed_model|nil,
 *                 rename_from|nil, description|nil, interface_name|nil, [annotation...]]
 *   ptype      = [scalar, nullable, list, vector_dim, [enum value...]]
 *   annotation = [name, value|nil, [[key, value]...]]
 *   bound      = nil | int64 | float64
 *
 * The decoder trusts nothing: every shape, count, kind and ordering the
 * lookups rely on (names sorted for bisection) is checked.
 */
#include "lang/catalog.h"

#include <assert.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "grove.catalog"
#define TYPE_FIELDS 21
#define PROP_FIELDS 9

/* ---- encoding ----------------------------------------------------------- */

struct enc {
	msgpack_packer pk;
	int rc;              /* sticky: any failed write fails the encode */
};

static void put_str(struct enc *e, const char *s)
{
	if (s == NULL) {
		e->rc |= msgpack_pack_nil(&e->pk);
		return;
	}
	size_t n = strlen(s);
	e->rc |= msgpack_pack_str(&e->pk, n);
	e->rc |= msgpack_pack_str_body(&e->pk, s, n);
}

static void put_u32(struct enc *e, uint32_t v) { e->rc |= msgpack_pack_uint32(&e->pk, v); }
static void put_array(struct enc *e, uint32_t n) { e->rc |= msgpack_pack_array(&e->pk, n); }
static void put_bool(struct enc *e, int v) { e->rc |= v ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk); }

static void put_strs(struct enc *e, const char *const *v, uint32_t n)
{
	put_array(e, n);
	for (uint32_t i = 0; i < n; i++)
		put_str(e, v[i]);
}

static void put_bound(struct enc *e, const struct pg_bound *b)
{
	if (!b->present)
		e->rc |= msgpack_pack_nil(&e->pk);
	else if (b->is_float)
		e->rc |= msgpack_pack_double(&e->pk, b->f);
	else
		e->rc |= msgpack_pack_int64(&e->pk, b->i);
}

static void put_annotations(struct enc *e, const struct lang_cat_annotation *v, uint32_t n)
{
	put_array(e, n);
	for (uint32_t i = 0; i < n; i++) {
		put_array(e, 3);
		put_str(e, v[i].name);
		put_str(e, v[i].value);
		put_array(e, v[i].n_kwargs);
		for (uint32_t k = 0; k < v[i].n_kwargs; k++) {
			put_array(e, 2);
			put_str(e, v[i].kwargs[k].name);
			put_str(e, v[i].kwargs[k].value);
		}
	}
}

static void put_ptype(struct enc *e, const struct lang_type *t)
{
	put_array(e, 5);
	put_u32(e, t->scalar);
	put_bool(e, t->nullable);
	put_bool(e, t->list);
	put_u32(e, t->vector_dim);
	put_strs(e, t->enum_values, t->n_enum);
}

static void put_prop(struct enc *e, const struct lang_cat_property *p)
{
	put_array(e, PROP_FIELDS);
	put_u32(e, p->id);
	put_str(e, p->name);
	put_ptype(e, &p->type);
	put_str(e, p->embed_source);
	put_str(e, p->embed_model);
	put_str(e, p->rename_from);
	put_str(e, p->description);
	put_str(e, p->interface_name);
	put_annotations(e, p->annotations, p->n_annotations);
}

static void put_colsets(struct enc *e, const struct lang_cat_colset *v, uint32_t n)
{
	put_array(e, n);
	for (uint32_t i = 0; i < n; i++)
		put_strs(e, v[i].columns, v[i].n);
}

static void put_type(struct enc *e, const struct lang_cat_type *t)
{
	put_array(e, TYPE_FIELDS);
	put_u32(e, t->kind);
	put_u32(e, t->id);
	put_str(e, t->name);
	put_array(e, t->n_props);
	for (uint32_t i = 0; i < t->n_props; i++)
		put_prop(e, &t->props[i]);
	put_u32(e, t->next_prop_id);
	put_strs(e, t->implements, t->n_implements);
	if (t->has_key)
		put_strs(e, t->key.columns, t->key.n);
	else
		e->rc |= msgpack_pack_nil(&e->pk);
	put_colsets(e, t->unique, t->n_unique);
	put_colsets(e, t->index, t->n_index);
	put_array(e, t->n_range);
	for (uint32_t i = 0; i < t->n_range; i++) {
		put_array(e, 3);
		put_str(e, t->ranges[i].property);
		put_bound(e, &t->ranges[i].min);
		put_bound(e, &t->ranges[i].max);
	}
	put_array(e, t->n_check);
	for (uint32_t i = 0; i < t->n_check; i++) {
		put_array(e, 2);
		put_str(e, t->checks[i].property);
		put_str(e, t->checks[i].pattern);
	}
	put_str(e, t->from_type);
	put_str(e, t->to_type);
	put_u32(e, t->from_id);
	put_u32(e, t->to_id);
	put_u32(e, t->card_min);
	if (t->has_card_max)
		put_u32(e, t->card_max);
	else
		e->rc |= msgpack_pack_nil(&e->pk);
	put_str(e, t->description);
	put_str(e, t->instruction);
	put_str(e, t->rename_from);
	put_annotations(e, t->annotations, t->n_annotations);
}

int lang_catalog_encode(void **out, size_t *out_len, const struct lang_catalog *cat)
{
	assert(out != NULL && out_len != NULL && cat != NULL);
	msgpack_sbuffer sbuf;
	msgpack_sbuffer_init(&sbuf);
	struct enc e = { .rc = 0 };
	msgpack_packer_init(&e.pk, &sbuf, msgpack_sbuffer_write);
	put_array(&e, 6);
	put_str(&e, MAGIC);
	put_u32(&e, LANG_CATALOG_FORMAT_VERSION);
	put_u32(&e, cat->next_type_id);
	const struct lang_cat_type *lists[3] = { cat->interfaces, cat->nodes, cat->edges };
	const uint32_t counts[3] = { cat->n_interfaces, cat->n_nodes, cat->n_edges };
	for (int k = 0; k < 3; k++) {
		put_array(&e, counts[k]);
		for (uint32_t i = 0; i < counts[k]; i++)
			put_type(&e, &lists[k][i]);
	}
	if (e.rc != 0) {
		msgpack_sbuffer_destroy(&sbuf);
		return -1;
	}
	*out_len = sbuf.size;
	*out = msgpack_sbuffer_release(&sbuf);
	return 0;
}

/* ---- decoding ----------------------------------------------------------- */

struct dec {
	struct lang_arena *arena;
	struct lang_diag *diag;
	int failed;
};

static int bad(struct dec *d, const char *what)
{
	if (!d->failed)
		lang_diag_set(d->diag, LANG_PREFIX_CATALOG, "corrupt encoded catalog: %s", what);
	d->failed = 1;
	return -1;
}

/* The array items of o, requiring exactly n (or any count up to max when
 * n is 0 and max > 0). */
static const msgpack_object *arr(struct dec *d, const msgpack_object *o, uint32_t n, uint32_t max,
                                 uint32_t *count, const char *what)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || (n > 0 && o->via.array.size != n)
	    || (n == 0 && o->via.array.size > max)) {
		bad(d, what);
		return NULL;
	}
	if (count != NULL)
		*count = o->via.array.size;
	return o->via.array.ptr;
}

static const char *str(struct dec *d, const msgpack_object *o, int nullable, const char *what)
{
	if (o->type == MSGPACK_OBJECT_NIL && nullable)
		return NULL;
	if (o->type != MSGPACK_OBJECT_STR || memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL) {
		bad(d, what);
		return NULL;
	}
	const char *s = lang_arena_strndup(d->arena, o->via.str.ptr, o->via.str.size);
	if (s == NULL)
		bad(d, "out of memory");
	return s;
}

static uint32_t u32(struct dec *d, const msgpack_object *o, const char *what)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX) {
		bad(d, what);
		return 0;
	}
	return (uint32_t)o->via.u64;
}

static int boolean(struct dec *d, const msgpack_object *o, const char *what)
{
	if (o->type != MSGPACK_OBJECT_BOOLEAN)
		return bad(d, what), 0;
	return o->via.boolean ? 1 : 0;
}

static const char **strs(struct dec *d, const msgpack_object *o, uint32_t max, uint32_t *n, const char *what)
{
	const msgpack_object *v = arr(d, o, 0, max, n, what);
	if (v == NULL || *n == 0)
		return NULL;
	const char **out = lang_arena_alloc(d->arena, sizeof(char *) * *n);
	if (out == NULL)
		return bad(d, "out of memory"), NULL;
	for (uint32_t i = 0; i < *n; i++)
		out[i] = str(d, &v[i], 0, what);
	return out;
}

static void bound(struct dec *d, const msgpack_object *o, struct pg_bound *b)
{
	memset(b, 0, sizeof(*b));
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			break;
		b->present = 1;
		b->i = (int64_t)o->via.u64;
		return;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		b->present = 1;
		b->i = o->via.i64;
		return;
	case MSGPACK_OBJECT_FLOAT64:
	case MSGPACK_OBJECT_FLOAT32:
		b->present = 1;
		b->is_float = 1;
		b->f = o->via.f64;
		return;
	default:
		break;
	}
	bad(d, "range bound");
}

static struct lang_cat_annotation *annotations(struct dec *d, const msgpack_object *o, uint32_t *n)
{
	const msgpack_object *v = arr(d, o, 0, PG_MAX_ANNOTATIONS, n, "annotation list");
	if (v == NULL || *n == 0)
		return NULL;
	struct lang_cat_annotation *out = lang_arena_alloc(d->arena, sizeof(*out) * *n);
	if (out == NULL)
		return bad(d, "out of memory"), NULL;
	for (uint32_t i = 0; i < *n && !d->failed; i++) {
		const msgpack_object *f = arr(d, &v[i], 3, 0, NULL, "annotation");
		if (f == NULL)
			break;
		out[i].name = str(d, &f[0], 0, "annotation name");
		out[i].value = str(d, &f[1], 1, "annotation value");
		const msgpack_object *kw = arr(d, &f[2], 0, PG_MAX_KWARGS, &out[i].n_kwargs, "annotation kwargs");
		if (kw == NULL || out[i].n_kwargs == 0)
			continue;
		out[i].kwargs = lang_arena_alloc(d->arena, sizeof(*out[i].kwargs) * out[i].n_kwargs);
		if (out[i].kwargs == NULL)
			return bad(d, "out of memory"), NULL;
		for (uint32_t k = 0; k < out[i].n_kwargs && !d->failed; k++) {
			const msgpack_object *pair = arr(d, &kw[k], 2, 0, NULL, "annotation kwarg");
			if (pair == NULL)
				break;
			out[i].kwargs[k].name = str(d, &pair[0], 0, "kwarg name");
			out[i].kwargs[k].value = str(d, &pair[1], 0, "kwarg value");
		}
	}
	return out;
}

static void ptype(struct dec *d, const msgpack_object *o, struct lang_type *t)
{
	const msgpack_object *f = arr(d, o, 5, 0, NULL, "property type");
	if (f == NULL)
		return;
	uint32_t scalar = u32(d, &f[0], "scalar");
	if (scalar == LANG_SCALAR_NONE || scalar >= LANG_SCALAR__COUNT)
		bad(d, "scalar");
	t->scalar = (uint8_t)scalar;
	t->nullable = (uint8_t)boolean(d, &f[1], "nullable");
	t->list = (uint8_t)boolean(d, &f[2], "list");
	t->vector_dim = u32(d, &f[3], "vector dimension");
	t->enum_values = strs(d, &f[4], PG_MAX_ENUM_VALUES, &t->n_enum, "enum values");
	if (d->failed)
		return;
	if ((t->scalar == LANG_SCALAR_VECTOR) != (t->vector_dim > 0) || t->vector_dim > LANG_VECTOR_DIM_MAX)
		bad(d, "vector dimension");
	if (t->n_enum > 0 && (t->scalar != LANG_SCALAR_STRING || t->list))
		bad(d, "enum type");
	for (uint32_t i = 1; i < t->n_enum && !d->failed; i++)
		if (strcmp(t->enum_values[i - 1], t->enum_values[i]) >= 0)
			bad(d, "enum values not sorted and unique");
}

static void prop(struct dec *d, const msgpack_object *o, struct lang_cat_property *p)
{
	const msgpack_object *f = arr(d, o, PROP_FIELDS, 0, NULL, "property");
	if (f == NULL)
		return;
	p->id = u32(d, &f[0], "property id");
	p->name = str(d, &f[1], 0, "property name");
	ptype(d, &f[2], &p->type);
	p->embed_source = str(d, &f[3], 1, "embed source");
	p->embed_model = str(d, &f[4], 1, "embed model");
	p->rename_from = str(d, &f[5], 1, "property rename_from");
	p->description = str(d, &f[6], 1, "property description");
	p->interface_name = str(d, &f[7], 1, "property interface");
	p->annotations = annotations(d, &f[8], &p->n_annotations);
	if (!d->failed && p->id == 0)
		bad(d, "property id 0");
}

static struct lang_cat_colset *colsets(struct dec *d, const msgpack_object *o, uint32_t *n, const char *what)
{
	const msgpack_object *v = arr(d, o, 0, PG_MAX_CONSTRAINTS + 1, n, what);
	if (v == NULL || *n == 0)
		return NULL;
	struct lang_cat_colset *out = lang_arena_alloc(d->arena, sizeof(*out) * *n);
	if (out == NULL)
		return bad(d, "out of memory"), NULL;
	for (uint32_t i = 0; i < *n && !d->failed; i++) {
		out[i].columns = strs(d, &v[i], PG_MAX_CONSTRAINT_ARGS, &out[i].n, what);
		if (!d->failed && out[i].n == 0)
			bad(d, what);
	}
	return out;
}

static void ranges_checks(struct dec *d, const msgpack_object *f, struct lang_cat_type *t)
{
	const msgpack_object *r = arr(d, &f[9], 0, PG_MAX_CONSTRAINTS, &t->n_range, "ranges");
	const msgpack_object *c = arr(d, &f[10], 0, PG_MAX_CONSTRAINTS, &t->n_check, "checks");
	if (d->failed)
		return;
	t->ranges = t->n_range ? lang_arena_alloc(d->arena, sizeof(*t->ranges) * t->n_range) : NULL;
	t->checks = t->n_check ? lang_arena_alloc(d->arena, sizeof(*t->checks) * t->n_check) : NULL;
	if ((t->n_range && !t->ranges) || (t->n_check && !t->checks)) {
		bad(d, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < t->n_range && !d->failed; i++) {
		const msgpack_object *x = arr(d, &r[i], 3, 0, NULL, "range");
		if (x == NULL)
			break;
		t->ranges[i].property = str(d, &x[0], 0, "range property");
		bound(d, &x[1], &t->ranges[i].min);
		bound(d, &x[2], &t->ranges[i].max);
	}
	for (uint32_t i = 0; i < t->n_check && !d->failed; i++) {
		const msgpack_object *x = arr(d, &c[i], 2, 0, NULL, "check");
		if (x == NULL)
			break;
		t->checks[i].property = str(d, &x[0], 0, "check property");
		t->checks[i].pattern = str(d, &x[1], 0, "check pattern");
	}
}

static int cmp_prop_name(const void *a, const void *b)
{
	return strcmp((*(const struct lang_cat_property *const *)a)->name,
	              (*(const struct lang_cat_property *const *)b)->name);
}

static int cmp_prop_id(const void *a, const void *b)
{
	uint32_t x = (*(const struct lang_cat_property *const *)a)->id;
	uint32_t y = (*(const struct lang_cat_property *const *)b)->id;
	return (x > y) - (x < y);
}

/* Property names and ids are unique within a type (lookups by name return
 * the first; ids identify stored columns), and every id is below the next
 * id to hand out. */
static void props_distinct(struct dec *d, const struct lang_cat_type *t)
{
	if (d->failed || t->n_props == 0)
		return;
	const struct lang_cat_property **v = malloc(t->n_props * sizeof(*v));
	if (v == NULL) {
		bad(d, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < t->n_props; i++) {
		v[i] = &t->props[i];
		if (v[i]->id >= t->next_prop_id)
			bad(d, "property id not below the next property id");
	}
	qsort(v, t->n_props, sizeof(*v), cmp_prop_name);
	for (uint32_t i = 1; i < t->n_props && !d->failed; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0)
			bad(d, "property names not unique");
	qsort(v, t->n_props, sizeof(*v), cmp_prop_id);
	for (uint32_t i = 1; i < t->n_props && !d->failed; i++)
		if (v[i - 1]->id == v[i]->id)
			bad(d, "property ids not unique");
	free(v);
}

static void type(struct dec *d, const msgpack_object *o, struct lang_cat_type *t, enum lang_cat_kind kind)
{
	const msgpack_object *f = arr(d, o, TYPE_FIELDS, 0, NULL, "type");
	if (f == NULL)
		return;
	if (u32(d, &f[0], "type kind") != (uint32_t)kind)
		bad(d, "type kind");
	t->kind = kind;
	t->id = u32(d, &f[1], "type id");
	t->name = str(d, &f[2], 0, "type name");
	const msgpack_object *pv = arr(d, &f[3], 0, PG_MAX_PROPERTIES, &t->n_props, "properties");
	if (pv != NULL && t->n_props > 0) {
		t->props = lang_arena_alloc(d->arena, sizeof(*t->props) * t->n_props);
		if (t->props == NULL)
			bad(d, "out of memory");
		for (uint32_t i = 0; i < t->n_props && !d->failed; i++)
			prop(d, &pv[i], &t->props[i]);
	}
	t->next_prop_id = u32(d, &f[4], "next property id");
	props_distinct(d, t);
	t->implements = strs(d, &f[5], PG_MAX_IMPLEMENTS, &t->n_implements, "implements");
	if (f[6].type != MSGPACK_OBJECT_NIL) {
		t->has_key = 1;
		t->key.columns = strs(d, &f[6], PG_MAX_CONSTRAINT_ARGS, &t->key.n, "key");
		if (!d->failed && (t->key.n == 0 || kind != LANG_CAT_NODE))
			bad(d, "key");
	}
	t->unique = colsets(d, &f[7], &t->n_unique, "unique sets");
	t->index = colsets(d, &f[8], &t->n_index, "index sets");
	ranges_checks(d, f, t);
	t->from_type = str(d, &f[11], 1, "edge source");
	t->to_type = str(d, &f[12], 1, "edge target");
	t->from_id = u32(d, &f[13], "edge source id");
	t->to_id = u32(d, &f[14], "edge target id");
	t->card_min = u32(d, &f[15], "cardinality min");
	if (f[16].type != MSGPACK_OBJECT_NIL) {
		t->has_card_max = 1;
		t->card_max = u32(d, &f[16], "cardinality max");
	}
	t->description = str(d, &f[17], 1, "description");
	t->instruction = str(d, &f[18], 1, "instruction");
	t->rename_from = str(d, &f[19], 1, "rename_from");
	t->annotations = annotations(d, &f[20], &t->n_annotations);
	if (!d->failed && (kind == LANG_CAT_EDGE) != (t->from_type != NULL && t->to_type != NULL))
		bad(d, "edge endpoints");
}

static struct lang_cat_type *types(struct dec *d, const msgpack_object *o, uint32_t *n, enum lang_cat_kind kind)
{
	const msgpack_object *v = arr(d, o, 0, PG_MAX_DECLS, n, "type list");
	if (v == NULL)
		return NULL;
	struct lang_cat_type *out = lang_arena_alloc(d->arena, sizeof(*out) * (*n + 1));
	if (out == NULL)
		return bad(d, "out of memory"), NULL;
	for (uint32_t i = 0; i < *n && !d->failed; i++) {
		type(d, &v[i], &out[i], kind);
		/* Lookups bisect: names must be strictly increasing. */
		if (!d->failed && i > 0 && strcmp(out[i - 1].name, out[i].name) >= 0)
			bad(d, "type names not sorted and unique");
	}
	return out;
}

/* Cross-references: edge endpoints name existing nodes with those ids. */
static void check_references(struct dec *d, struct lang_catalog *cat)
{
	for (uint32_t i = 0; i < cat->n_edges && !d->failed; i++) {
		const struct lang_cat_type *e = &cat->edges[i];
		const struct lang_cat_type *from = lang_catalog_node(cat, e->from_type);
		const struct lang_cat_type *to = lang_catalog_node(cat, e->to_type);
		if (from == NULL || to == NULL || from->id != e->from_id || to->id != e->to_id)
			bad(d, "edge endpoint reference");
	}
}

/* Big-endian unsigned of `n` bytes at p. */
static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Walk the msgpack bytes without allocating and check that every array and
 * map announces no more items than bytes remain.  msgpack-c sizes its
 * allocations from those announced counts, so without this a corrupt
 * 5-byte header could make it ask for tens of gigabytes. */
static int sane_msgpack(const unsigned char *p, size_t len)
{
	size_t pos = 0, pending = 1;
	while (pending > 0) {
		if (pos >= len)
			return 0;
		unsigned b = p[pos];
		size_t head = 1, body = 0, items = 0;
		int lenbytes = 0;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
			/* fixint, nil, bool */
		} else if ((b & 0xf0) == 0x80) {
			items = 2u * (b & 0x0f);
		} else if ((b & 0xf0) == 0x90) {
			items = b & 0x0f;
		} else if ((b & 0xe0) == 0xa0) {
			body = b & 0x1f;
		} else if (b == 0xc4 || b == 0xd9) { lenbytes = 1;
		} else if (b == 0xc5 || b == 0xda) { lenbytes = 2;
		} else if (b == 0xc6 || b == 0xdb) { lenbytes = 4;
		} else if (b == 0xc7 || b == 0xc8 || b == 0xc9) {
			lenbytes = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
			head = 2;   /* + the ext type byte */
		} else if (b == 0xca || b == 0xce || b == 0xd2) { head = 5;
		} else if (b == 0xcb || b == 0xcf || b == 0xd3) { head = 9;
		} else if (b == 0xcc || b == 0xd0) { head = 2;
		} else if (b == 0xcd || b == 0xd1) { head = 3;
		} else if (b >= 0xd4 && b <= 0xd8) { head = 2 + ((size_t)1 << (b - 0xd4));
		} else if (b == 0xdc || b == 0xde) {
			if (len - pos < 3)
				return 0;
			items = (size_t)be(p + pos + 1, 2) * (b == 0xde ? 2 : 1);
			head = 3;
		} else if (b == 0xdd || b == 0xdf) {
			if (len - pos < 5)
				return 0;
			items = (size_t)be(p + pos + 1, 4) * (b == 0xdf ? 2 : 1);
			head = 5;
		} else {
			return 0;   /* 0xc1 is never used */
		}
		if (lenbytes > 0) {
			if (len - pos < 1 + (size_t)lenbytes)
				return 0;
			body = (size_t)be(p + pos + 1, lenbytes);
			head += (size_t)lenbytes;
		}
		if (len - pos < head || len - pos - head < body)
			return 0;
		pos += head + body;
		/* Each announced item needs at least one more byte. */
		if (items > len - pos)
			return 0;
		pending = pending - 1 + items;
	}
	return pos == len;
}

int lang_catalog_decode(struct lang_catalog **out, const void *buf, size_t len, struct lang_diag *diag)
{
	assert(out != NULL && diag != NULL);
	*out = NULL;
	if (len > LANG_CATALOG_ENCODED_MAX_BYTES)
		return lang_diag_set(diag, LANG_PREFIX_CATALOG, "corrupt encoded catalog: %zu bytes exceeds the limit", len);
	struct lang_catalog *cat = calloc(1, sizeof(*cat));
	if (cat == NULL)
		return lang_diag_set(diag, LANG_PREFIX_CATALOG, "out of memory decoding the catalog");
	struct dec d = { &cat->arena, diag, 0 };
	msgpack_unpacked msg;
	msgpack_unpacked_init(&msg);
	size_t off = 0;
	/* msgpack-c's unpacker has a fixed-depth stack: deep nesting fails
	 * with a parse error instead of recursing. */
	msgpack_unpack_return r = MSGPACK_UNPACK_PARSE_ERROR;
	if (sane_msgpack(buf, len))
		r = msgpack_unpack_next(&msg, buf, len, &off);
	if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
		bad(&d, "not a single msgpack value");
	} else {
		const msgpack_object *f = arr(&d, &msg.data, 6, 0, NULL, "header");
		if (f != NULL) {
			if (f[0].type != MSGPACK_OBJECT_STR || f[0].via.str.size != strlen(MAGIC)
			    || memcmp(f[0].via.str.ptr, MAGIC, strlen(MAGIC)) != 0)
				bad(&d, "magic");
			if (!d.failed && u32(&d, &f[1], "version") != LANG_CATALOG_FORMAT_VERSION)
				bad(&d, "unknown format version");
			cat->next_type_id = u32(&d, &f[2], "next type id");
			if (!d.failed)
				cat->interfaces = types(&d, &f[3], &cat->n_interfaces, LANG_CAT_INTERFACE);
			if (!d.failed)
				cat->nodes = types(&d, &f[4], &cat->n_nodes, LANG_CAT_NODE);
			if (!d.failed)
				cat->edges = types(&d, &f[5], &cat->n_edges, LANG_CAT_EDGE);
			check_references(&d, cat);
		}
	}
	msgpack_unpacked_destroy(&msg);
	if (d.failed) {
		lang_catalog_free(cat);
		return -1;
	}
	*out = cat;
	return 0;
}
