/*
 * engine/value_key.c — ids of keyed nodes: scalar key texts, canonical ids
 * and explicit-id checks (spec §7.7, §8.2).
 */
#include "engine/value.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/datetime.h"
#include "engine/jsonw.h"
#include "engine/numfmt.h"
#include "engine/value_int.h"
#include "grove.h"

static int dup_text(char **out, size_t *out_len, const char *s, size_t len, struct value_error *err)
{
	char *copy = malloc(len + 1);
	if (copy == NULL)
		return value_error_set(err, -ENOMEM, NULL, "out of memory rendering a key");
	if (len)   /* an empty string's pointer may be NULL (msgpack) */
		memcpy(copy, s, len);
	copy[len] = '\0';
	*out = copy;
	*out_len = len;
	return 0;
}

static int is_int_object(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

static int is_float_object(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64;
}

static int float_key_text(char *buf, const struct lang_type *t, const msgpack_object *o, struct value_error *err)
{
	double x = o->via.f64;
	if (!isfinite(x)) {
		const char *what = isnan(x) ? "NaN" : x > 0 ? "inf" : "-inf";
		return value_error_set(err, GROVE_EINVAL, NULL,
			"scalar key: non-finite value %s cannot identify an entity", what);
	}
	if (t->scalar == LANG_SCALAR_F32)
		numfmt_plain_f32(buf, (float)x);
	else
		numfmt_plain_f64(buf, x);
	return 0;
}

int value_key_text(char **out, size_t *out_len, const struct lang_type *t, const msgpack_object *o,
	struct value_error *err)
{
	char buf[NUMFMT_PLAIN_MAX];
	if (o->type == MSGPACK_OBJECT_NIL)
		return value_error_set(err, GROVE_EINVAL, NULL, "scalar key: NULL cannot identify an entity");
	if (t->list || t->scalar == LANG_SCALAR_VECTOR || t->scalar == LANG_SCALAR_BLOB) {
		char name[96];
		value_type_name(name, sizeof name, t);
		return value_error_set(err, GROVE_EINVAL, NULL, "scalar key: a %s value cannot identify an entity", name);
	}
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
		if (o->type == MSGPACK_OBJECT_STR)
			return dup_text(out, out_len, o->via.str.ptr, o->via.str.size, err);
		break;
	case LANG_SCALAR_BOOL:
		if (o->type == MSGPACK_OBJECT_BOOLEAN)
			return dup_text(out, out_len, o->via.boolean ? "true" : "false", o->via.boolean ? 4 : 5, err);
		break;
	case LANG_SCALAR_F32: case LANG_SCALAR_F64:
		if (!is_float_object(o))
			break;
		if (float_key_text(buf, t, o, err) < 0)
			return GROVE_EINVAL;
		return dup_text(out, out_len, buf, strlen(buf), err);
	default:   /* integers, Date, DateTime */
		if (!is_int_object(o))
			break;
		if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			snprintf(buf, sizeof buf, "%" PRIu64, o->via.u64);
		else
			snprintf(buf, sizeof buf, "%" PRId64, o->via.i64);
		return dup_text(out, out_len, buf, strlen(buf), err);
	}
	return value_error_set(err, GROVE_ECORRUPT, NULL, "corrupt key value: msgpack type %d for a %s",
		(int)o->type, lang_scalar_name((enum lang_scalar)t->scalar));
}

/* ---- key members -------------------------------------------------------- */

struct members {
	uint32_t n;
	const struct lang_cat_property *by_id[];   /* key order: property ids */
};

static int cmp_prop_id(const void *a, const void *b)
{
	uint32_t x = (*(const struct lang_cat_property *const *)a)->id;
	uint32_t y = (*(const struct lang_cat_property *const *)b)->id;
	return x < y ? -1 : x > y;
}

static int key_members(struct members **out, const struct lang_cat_type *t, struct value_error *err)
{
	assert(t->kind == LANG_CAT_NODE && t->has_key && t->key.n >= 1);
	struct members *m = malloc(sizeof *m + t->key.n * sizeof m->by_id[0]);
	if (m == NULL)
		return value_error_set(err, -ENOMEM, NULL, "out of memory rendering a key");
	m->n = t->key.n;
	for (uint32_t i = 0; i < t->key.n; i++) {
		m->by_id[i] = lang_cat_type_prop(t, t->key.columns[i]);
		assert(m->by_id[i] != NULL);   /* the catalog build checked it */
	}
	qsort(m->by_id, m->n, sizeof m->by_id[0], cmp_prop_id);
	*out = m;
	return 0;
}

void value_key_phrase(char *out, size_t cap, const struct lang_cat_type *t)
{
	if (t->key.n == 1) {
		snprintf(out, cap, "@key property '%s'", t->key.columns[0]);
		return;
	}
	size_t at = (size_t)snprintf(out, cap, "@key properties (");
	for (uint32_t i = 0; i < t->key.n && at < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%s%s", i ? ", " : "", t->key.columns[i]);
	if (at < cap)
		snprintf(out + at, cap - at, ")");
}

static int composite_id(char **out, size_t *out_len, const struct members *m, const struct value_row *row,
	struct value_error *err)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_array_begin(&w);
	int rc = 0;
	for (uint32_t i = 0; i < m->n && rc == 0; i++) {
		char *text;
		size_t len;
		rc = value_key_text(&text, &len, &m->by_id[i]->type, value_row_get(row, m->by_id[i]->id), err);
		if (rc == 0) {
			jsonw_string(&w, text, len);
			free(text);
		}
	}
	jsonw_array_end(&w);
	if (rc == 0 && jsonw_error(&w) != 0)
		rc = value_error_set(err, jsonw_error(&w), NULL, "cannot render a composite key");
	if (rc == 0) {
		*out = w.buf;   /* the writer's buffer becomes the id */
		*out_len = w.len;
		w.buf = NULL;
	}
	jsonw_fini(&w);
	return rc;
}

int value_canonical_id(char **out, size_t *out_len, const struct lang_cat_type *t, const struct value_row *row,
	struct value_error *err)
{
	struct members *m;
	int rc = key_members(&m, t, err);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < m->n; i++) {
		if (value_row_get(row, m->by_id[i]->id)->type == MSGPACK_OBJECT_NIL) {
			char phrase[VALUE_ERROR_MSG_MAX / 2];
			value_key_phrase(phrase, sizeof phrase, t);
			free(m);
			return value_error_set(err, GROVE_EINVAL, t->key.n == 1 ? t->key.columns[0] : NULL,
				"node %s missing %s", t->name, phrase);
		}
	}
	if (m->n == 1)
		rc = value_key_text(out, out_len, &m->by_id[0]->type, value_row_get(row, m->by_id[0]->id), err);
	else
		rc = composite_id(out, out_len, m, row, err);
	free(m);
	return rc;
}

/* ---- explicit ids ------------------------------------------------------- */

/* text as a whole decimal integer (an optional '-', then digits). */
static int parse_int_text(int64_t *i, uint64_t *u, int *neg, const char *text)
{
	const char *d = text + (text[0] == '-');
	if (*d < '0' || *d > '9' || strspn(d, "0123456789") != strlen(d))
		return 0;
	errno = 0;
	*neg = text[0] == '-';
	if (*neg)
		*i = strtoll(text, NULL, 10);
	else
		*u = strtoull(text, NULL, 10);
	return errno == 0;
}

static int int_text_matches(const msgpack_object *o, const char *text)
{
	int64_t i = 0;
	uint64_t u = 0;
	int neg;
	if (!parse_int_text(&i, &u, &neg, text))
		return 0;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return neg ? (i == 0 && o->via.u64 == 0) : u == o->via.u64;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return neg && i == o->via.i64;
	return 0;
}

static int float_text_matches(const struct lang_type *t, const msgpack_object *o, const char *text)
{
	char *end;
	/* Decimal spellings only, as upstream's float parse takes them:
	 * strtod would also read hex ("0x64" for 100), which it refuses.
	 * (Infinities and NaN are never keys, so they need no spelling.) */
	if (!is_float_object(o) || text[0] == '\0' || text[strspn(text, "0123456789+-.eE")] != '\0')
		return 0;
	double d = strtod(text, &end);
	if (*end != '\0')
		return 0;
	if (t->scalar == LANG_SCALAR_F32)
		return (float)d == (float)o->via.f64;
	return d == o->via.f64;
}

static int temporal_text_matches(const struct lang_type *t, const msgpack_object *o, const char *text,
	size_t len)
{
	if (int_text_matches(o, text))
		return 1;
	if (!is_int_object(o))
		return 0;
	int64_t v = o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? o->via.i64 : (int64_t)o->via.u64;
	if (t->scalar == LANG_SCALAR_DATE) {
		int32_t days;
		return date_parse(&days, text, len) == 0 && days == v;
	}
	int64_t ms;
	return datetime_parse(&ms, text, len) == 0 && ms == v;
}

/* Does `given` spell stored member value o in the member's type? */
static int member_matches(const struct lang_type *t, const msgpack_object *o, const char *given, size_t len)
{
	if (t->scalar == LANG_SCALAR_STRING)
		return o->type == MSGPACK_OBJECT_STR && o->via.str.size == len &&
		       (len == 0 || memcmp(o->via.str.ptr, given, len) == 0);
	if (t->scalar == LANG_SCALAR_BOOL)
		return o->type == MSGPACK_OBJECT_BOOLEAN && len == (o->via.boolean ? 4u : 5u) &&
			memcmp(given, o->via.boolean ? "true" : "false", len) == 0;
	char text[NUMFMT_PLAIN_MAX + 1];   /* numbers: no longer spelling matters */
	if (len > NUMFMT_PLAIN_MAX || memchr(given, '\0', len) != NULL)
		return 0;
	memcpy(text, given, len);
	text[len] = '\0';
	if (t->scalar == LANG_SCALAR_F32 || t->scalar == LANG_SCALAR_F64)
		return float_text_matches(t, o, text);
	if (t->scalar == LANG_SCALAR_DATE || t->scalar == LANG_SCALAR_DATETIME)
		return temporal_text_matches(t, o, text, len);
	return int_text_matches(o, text);
}

static int legacy_match(const struct lang_cat_type *t, const struct value_row *row, const char *given, size_t len,
	struct value_error *err)
{
	struct members *m;
	int rc = key_members(&m, t, err);
	if (rc < 0)
		return rc;
	/* One member: its value in any spelling of its type.  Several: the
	 * scalar ids of older versions, which named an entity by one member
	 * (which one changed with renames, so any member is accepted). */
	int found = 0;
	for (uint32_t i = 0; i < m->n && !found; i++)
		found = member_matches(&m->by_id[i]->type, value_row_get(row, m->by_id[i]->id), given, len);
	free(m);
	return found;
}

int value_check_explicit_id(const struct lang_cat_type *t, const struct value_row *row, const char *canonical,
	const char *given, size_t given_len, int exact, struct value_error *err)
{
	assert(t->has_key && canonical != NULL);
	if (strlen(canonical) == given_len && memcmp(canonical, given, given_len) == 0)
		return 0;
	if (!exact) {
		int rc = legacy_match(t, row, given, given_len, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	char x[VALUE_TEXT_BRIEF_MAX + 4], y[VALUE_TEXT_BRIEF_MAX + 4], phrase[VALUE_ERROR_MSG_MAX / 4];
	value_text_brief(x, given, given_len);
	value_text_brief(y, canonical, strlen(canonical));
	if (exact)  /* the strict dialect's reader, as OmniGraph words it */
		return value_error_set(err, GROVE_EINVAL, "id", "node %s explicit id '%s' does not match its canonical "
			"@key id '%s'", t->name, x, y);
	value_key_phrase(phrase, sizeof phrase, t);
	return value_error_set(err, GROVE_EINVAL, "id", "node %s has explicit id '%s' that does not match %s canonical value '%s'",
		t->name, x, phrase, y);
}
