/*
 * engine/value_render.c — stored values back to JSON (spec §7.4-7.6, §8.6,
 * §9.1): as text through a jsonw, or as a json_t.
 */
#include "engine/value.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base64.h"
#include "engine/datetime.h"
#include "engine/jsonw.h"
#include "engine/value_int.h"
#include "grove.h"

static int corrupt(const struct lang_type *t, const msgpack_object *o, struct value_error *err)
{
	char name[96];
	value_type_name(name, sizeof name, t);
	return value_error_set(err, GROVE_ECORRUPT, NULL, "corrupt stored value: msgpack type %d for type %s",
		(int)o->type, name);
}

static int is_int(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

static int is_float(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64;
}

/* The float32 at vector element i of a little-endian bin. */
static float vector_elem(const msgpack_object *o, uint32_t i)
{
	const unsigned char *b = (const unsigned char *)o->via.bin.ptr + 4 * (size_t)i;
	uint32_t bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

/* "base64:<data>" as a malloc'd string (no quotes). */
static char *blob_text(const msgpack_object *o, size_t *len)
{
	size_t n = 7 + base64_encoded_len(o->via.bin.size);
	char *s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, "base64:", 7);
	base64_encode(s + 7, o->via.bin.ptr, o->via.bin.size);
	s[n] = '\0';
	*len = n;
	return s;
}

/* The text of a stored Date/DateTime integer; -1 when it is outside the
 * type's range (Date32 days, Date64 ms): a corrupt value. */
static int temporal_text(char *buf, const struct lang_type *t, const msgpack_object *o)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 > INT64_MAX)
		return -1;
	int64_t v = o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? o->via.i64 : (int64_t)o->via.u64;
	if (t->scalar == LANG_SCALAR_DATE)
		return v < INT32_MIN || v > INT32_MAX ? -1 : (int)date_format(buf, v);
	return (int)datetime_format(buf, v);
}

/* ---- text --------------------------------------------------------------- */

static int render_scalar(struct jsonw *w, const struct lang_type *t, const msgpack_object *o,
	enum value_render_mode mode, struct value_error *err)
{
	char buf[DATETIME_TEXT_MAX];
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
		if (o->type != MSGPACK_OBJECT_STR)
			return corrupt(t, o, err);
		jsonw_string(w, o->via.str.ptr, o->via.str.size);
		return 0;
	case LANG_SCALAR_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return corrupt(t, o, err);
		jsonw_bool(w, o->via.boolean);
		return 0;
	case LANG_SCALAR_F32: case LANG_SCALAR_F64:
		if (!is_float(o))
			return corrupt(t, o, err);
		jsonw_double(w, t->scalar == LANG_SCALAR_F32 ? (double)(float)o->via.f64 : o->via.f64);
		return 0;
	default:   /* integers, Date, DateTime */
		if (!is_int(o))
			return corrupt(t, o, err);
		if ((t->scalar == LANG_SCALAR_DATE || t->scalar == LANG_SCALAR_DATETIME) && mode == VALUE_RENDER_RESULT) {
			int n = temporal_text(buf, t, o);
			if (n < 0)
				return corrupt(t, o, err);
			jsonw_string(w, buf, (size_t)n);
		} else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			jsonw_uint(w, o->via.u64);
		} else {
			jsonw_int(w, o->via.i64);
		}
		return 0;
	}
}

static int render_special(struct jsonw *w, const struct lang_type *t, const msgpack_object *o,
	struct value_error *err)
{
	if (t->scalar == LANG_SCALAR_VECTOR) {
		if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size % 4 != 0)
			return corrupt(t, o, err);
		jsonw_array_begin(w);
		for (uint32_t i = 0; i < o->via.bin.size / 4; i++)
			jsonw_double(w, (double)vector_elem(o, i));
		jsonw_array_end(w);
		return 0;
	}
	assert(t->scalar == LANG_SCALAR_BLOB);
	if (o->type == MSGPACK_OBJECT_STR) {   /* an external URI */
		jsonw_string(w, o->via.str.ptr, o->via.str.size);
		return 0;
	}
	if (o->type != MSGPACK_OBJECT_BIN)
		return corrupt(t, o, err);
	size_t len;
	char *s = blob_text(o, &len);
	if (s == NULL)
		return value_error_set(err, -ENOMEM, NULL, "out of memory rendering a blob");
	jsonw_string(w, s, len);   /* base64 needs no escapes: a plain copy */
	free(s);
	return 0;
}

int value_render(struct jsonw *w, const struct lang_type *t, const msgpack_object *o,
	enum value_render_mode mode, struct value_error *err)
{
	if (o->type == MSGPACK_OBJECT_NIL) {
		jsonw_null(w);
		return 0;
	}
	if (t->list) {
		if (o->type != MSGPACK_OBJECT_ARRAY)
			return corrupt(t, o, err);
		struct lang_type elem = *t;
		elem.list = 0;
		elem.nullable = 1;
		jsonw_array_begin(w);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			int rc = value_render(w, &elem, &o->via.array.ptr[i], mode, err);
			if (rc < 0)
				return rc;
		}
		jsonw_array_end(w);
		return 0;
	}
	if (t->scalar == LANG_SCALAR_VECTOR || t->scalar == LANG_SCALAR_BLOB)
		return render_special(w, t, o, err);
	return render_scalar(w, t, o, mode, err);
}

/* ---- json_t ------------------------------------------------------------- */

static json_t *json_double(double d)
{
	if (isnan(d))
		return json_string("NaN");
	if (isinf(d))
		return json_string(d > 0 ? "Infinity" : "-Infinity");
	return json_real(d);
}

static json_t *json_uint(uint64_t u)
{
	if (u <= INT64_MAX)
		return json_integer((json_int_t)u);
	char big[24];
	int n = snprintf(big, sizeof big, "%c%" PRIu64, '\0', u);   /* a bigint */
	return json_stringn(big, (size_t)n);
}

static json_t *scalar_json(const struct lang_type *t, const msgpack_object *o, enum value_render_mode mode)
{
	char buf[DATETIME_TEXT_MAX];
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
		return o->type == MSGPACK_OBJECT_STR ? json_stringn(value_str(o), o->via.str.size) : NULL;
	case LANG_SCALAR_BOOL:
		return o->type == MSGPACK_OBJECT_BOOLEAN ? json_boolean(o->via.boolean) : NULL;
	case LANG_SCALAR_F32: case LANG_SCALAR_F64:
		if (!is_float(o))
			return NULL;
		return json_double(t->scalar == LANG_SCALAR_F32 ? (double)(float)o->via.f64 : o->via.f64);
	case LANG_SCALAR_VECTOR: {
		if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size % 4 != 0)
			return NULL;
		json_t *a = json_array();
		for (uint32_t i = 0; a != NULL && i < o->via.bin.size / 4; i++)
			json_array_append_new(a, json_double((double)vector_elem(o, i)));
		return a;
	}
	case LANG_SCALAR_BLOB: {
		if (o->type == MSGPACK_OBJECT_STR)
			return json_stringn(value_str(o), o->via.str.size);
		size_t len;
		char *s = o->type == MSGPACK_OBJECT_BIN ? blob_text(o, &len) : NULL;
		json_t *j = s ? json_stringn(s, len) : NULL;
		free(s);
		return j;
	}
	default:
		if (!is_int(o))
			return NULL;
		if ((t->scalar == LANG_SCALAR_DATE || t->scalar == LANG_SCALAR_DATETIME) && mode == VALUE_RENDER_RESULT) {
			int n = temporal_text(buf, t, o);
			return n < 0 ? NULL : json_stringn(buf, (size_t)n);
		}
		if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			return json_uint(o->via.u64);
		return json_integer(o->via.i64);
	}
}

int value_to_json(json_t **out, const struct lang_type *t, const msgpack_object *o,
	enum value_render_mode mode, struct value_error *err)
{
	*out = NULL;
	if (o->type == MSGPACK_OBJECT_NIL) {
		*out = json_null();
		return 0;
	}
	if (!t->list) {
		*out = scalar_json(t, o, mode);
		return *out != NULL ? 0 : corrupt(t, o, err);   /* or out of memory */
	}
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return corrupt(t, o, err);
	struct lang_type elem = *t;
	elem.list = 0;
	json_t *a = json_array();
	if (a == NULL)
		return value_error_set(err, -ENOMEM, NULL, "out of memory rendering a list");
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		json_t *e;
		int rc = value_to_json(&e, &elem, &o->via.array.ptr[i], mode, err);
		if (rc < 0) {
			json_decref(a);
			return rc;
		}
		json_array_append_new(a, e);
	}
	*out = a;
	return 0;
}
