/*
 * engine/value_param.c — JSON query parameters converted by their declared
 * type (spec §7.1), packed like stored values (index/row.h) so they
 * compare with them directly.
 *
 * Range errors carry both OmniGraph wordings (spec §11 item 1):
 * `param 'v': value 2147483648 exceeds I32 (Int32 range)`, and a negative
 * unsigned value `exceeds U32 (UInt32 range)`.
 */
#include "engine/value.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base64.h"
#include "engine/datetime.h"
#include "engine/numfmt.h"
#include "engine/value_int.h"
#include "grove.h"

static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:  return "object";
	case JSON_ARRAY:   return "array";
	case JSON_STRING:  return value_json_is_bigint(j) ? "number" : "string";
	case JSON_INTEGER: case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE:   return "boolean";
	default:           return "null";
	}
}

static int is_text(const json_t *j)
{
	return json_is_string(j) && !value_json_is_bigint(j);
}

__attribute__((format(printf, 3, 4)))
static int param_error(struct value_error *err, const char *name, const char *fmt, ...)
{
	char detail[VALUE_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return value_error_set(err, GROVE_EINVAL, name, "param '%s': %s", name, detail);
}

/* The integer a parameter spells (a JSON integer, a bigint or a decimal
 * string): its sign and magnitude, and its text for messages (for a JSON
 * integer, written only when one is needed). */
struct pint {
	int neg;
	uint64_t mag;
	int fits;            /* mag fits uint64 */
	char text[NUMFMT_PLAIN_MAX];
};

static int parse_decimal(struct pint *v, const char *s)
{
	const char *d = s + (s[0] == '-' || s[0] == '+');
	if (*d == '\0' || strspn(d, "0123456789") != strlen(d))
		return -1;
	v->neg = s[0] == '-';
	errno = 0;
	v->mag = strtoull(d, NULL, 10);
	v->fits = errno == 0;
	snprintf(v->text, sizeof v->text, "%s", s[0] == '+' ? s + 1 : s);
	return 0;
}

/* -1: not an integer of any spelling; -2: a string that is not one. */
static int param_int(struct pint *v, const json_t *j)
{
	memset(v, 0, sizeof *v);
	if (json_is_integer(j)) {
		int64_t i = json_integer_value(j);
		v->neg = i < 0;
		v->mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
		v->fits = 1;
		return 0; /* text: only for a message (param_integer) */
	}
	if (value_json_is_bigint(j))
		return parse_decimal(v, json_string_value(j) + 1);
	if (json_is_string(j))
		return parse_decimal(v, json_string_value(j)) < 0 ? -2 : 0;
	return -1;
}

/* I32/I64/U32/U64: the §7.1 row of each. */
static int param_integer(msgpack_packer *pk, const char *name, enum lang_scalar sc, const json_t *j,
	struct value_error *err)
{
	static const char *const tname[] = { [LANG_SCALAR_I32] = "I32", [LANG_SCALAR_I64] = "I64",
		[LANG_SCALAR_U32] = "U32", [LANG_SCALAR_U64] = "U64" };
	static const char *const arrow[] = { [LANG_SCALAR_I32] = "Int32", [LANG_SCALAR_I64] = "Int64",
		[LANG_SCALAR_U32] = "UInt32", [LANG_SCALAR_U64] = "UInt64" };
	int is_signed = sc == LANG_SCALAR_I32 || sc == LANG_SCALAR_I64;
	struct pint v;
	int rc = param_int(&v, j);
	if (rc == -2) {
		char text[VALUE_TEXT_BRIEF_MAX + 4];
		value_text_brief(text, json_string_value(j), json_string_length(j));
		return param_error(err, name, "expected integer string, got '%s'", text);
	}
	if (rc < 0)
		return param_error(err, name, json_is_number(j) ? (is_signed ? "expected integer number"
			: "expected unsigned integer number") : "expected integer");
	uint64_t lim = sc == LANG_SCALAR_I32 ? (uint64_t)INT32_MAX : sc == LANG_SCALAR_U32 ? UINT32_MAX : (uint64_t)INT64_MAX;
	int ok = v.fits && (is_signed ? v.mag <= lim + (uint64_t)v.neg : (!v.neg || v.mag == 0) && v.mag <= lim);
	if (!ok && json_is_integer(j))
		snprintf(v.text, sizeof v.text, "%" PRId64, (int64_t)json_integer_value(j));
	if (!ok && sc == LANG_SCALAR_U64 && !v.neg)
		return param_error(err, name, "value %s exceeds current engine range for U64 (max 9223372036854775807)",
			v.text);
	/* I64 has no range error (spec §7.1): past int64 a number is no
	 * integer number, a string no integer string. */
	if (!ok && sc == LANG_SCALAR_I64 && json_is_string(j) && !value_json_is_bigint(j)) {
		char text[VALUE_TEXT_BRIEF_MAX + 4];
		value_text_brief(text, json_string_value(j), json_string_length(j));
		return param_error(err, name, "expected integer string, got '%s'", text);
	}
	if (!ok && sc == LANG_SCALAR_I64)
		return param_error(err, name, "expected integer number");
	if (!ok)
		return param_error(err, name, "value %s exceeds %s (%s range)", v.text, tname[sc], arrow[sc]);
	if (v.neg)
		msgpack_pack_int64(pk, (int64_t)((uint64_t)0 - v.mag));
	else if (is_signed)
		msgpack_pack_int64(pk, (int64_t)v.mag);
	else
		msgpack_pack_uint64(pk, v.mag);
	return 0;
}

/* The text of a number parameter for a message: a bigint's digits as
 * given (strtod makes a huge one infinite, which numfmt cannot print),
 * else the shortest plain decimal. */
static void number_text(char *out, size_t cap, const json_t *j, double d)
{
	if (value_json_is_bigint(j) || !isfinite(d)) {
		const char *s = json_string_value(j);
		if (s && value_json_is_bigint(j))
			value_text_brief(out, s + 1, strlen(s + 1));
		else
			snprintf(out, cap, "%s", d > 0 ? "inf" : "-inf");
		return;
	}
	numfmt_plain_f64(out, d);
}

static int param_float(msgpack_packer *pk, const char *name, enum lang_scalar sc, const json_t *j,
	struct value_error *err)
{
	double d;
	if (json_is_number(j))
		d = json_number_value(j);
	else if (value_json_is_bigint(j))
		d = strtod(json_string_value(j) + 1, NULL);
	else
		return param_error(err, name, "expected float");
	if (sc == LANG_SCALAR_F64) {
		msgpack_pack_double(pk, d);
		return 0;
	}
	if (!isfinite((float)d)) {
		char text[NUMFMT_PLAIN_MAX > VALUE_TEXT_BRIEF_MAX + 4 ? NUMFMT_PLAIN_MAX : VALUE_TEXT_BRIEF_MAX + 4];
		number_text(text, sizeof text, j, d);
		return param_error(err, name, "float value %s exceeds Float32 range", text);
	}
	msgpack_pack_float(pk, (float)d);
	return 0;
}

static int param_temporal(msgpack_packer *pk, const char *name, enum lang_scalar sc, const json_t *j,
	struct value_error *err)
{
	int is_date = sc == LANG_SCALAR_DATE;
	if (!is_text(j))
		return param_error(err, name, is_date ? "expected date string" : "expected datetime string");
	const char *s = json_string_value(j);
	size_t len = json_string_length(j);
	char text[VALUE_TEXT_BRIEF_MAX + 4];
	int32_t days;
	int64_t ms;
	if (is_date ? date_parse(&days, s, len) : datetime_parse(&ms, s, len)) {
		value_text_brief(text, s, len);
		return param_error(err, name, "invalid %s literal '%s'", is_date ? "Date" : "DateTime", text);
	}
	msgpack_pack_int64(pk, is_date ? days : ms);
	return 0;
}

static int param_blob(msgpack_packer *pk, const char *name, const json_t *j, const struct value_opts *o,
	struct value_error *err)
{
	if (!is_text(j))
		return param_error(err, name, "expected blob URI string, got %s", json_type_name(j));
	const char *s = json_string_value(j);
	size_t len = json_string_length(j);
	if (len < 7 || memcmp(s, "base64:", 7) != 0) {
		char what[300];   /* as for loads */
		snprintf(what, sizeof what, "param '%s'", name);
		int rc = value_blob_uri_check(err, name, what, s, len, o->allow_external_blobs);
		if (rc < 0)
			return rc;
		msgpack_pack_str_with_body(pk, s, len);
		return 0;
	}
	char what[300];
	snprintf(what, sizeof what, "param '%s'", name);
	int bound = value_blob_bound(err, name, what, s + 7, len - 7);
	if (bound < 0)
		return bound;
	unsigned char *bytes = malloc(base64_decoded_max(len - 7));
	char detail[BASE64_DETAIL_MAX];
	size_t n;
	if (bytes == NULL)
		return value_error_set(err, -ENOMEM, name, "out of memory decoding param '%s'", name);
	int rc = base64_decode(bytes, &n, s + 7, len - 7, detail);
	if (rc == 0)
		msgpack_pack_bin_with_body(pk, bytes, n);
	free(bytes);
	return rc == 0 ? 0 : param_error(err, name, "invalid base64 blob data: %s", detail);
}

static int param_scalar(msgpack_packer *pk, const char *name, const struct lang_type *t, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
		if (!is_text(j))
			return param_error(err, name, "expected string, got %s", json_type_name(j));
		msgpack_pack_str_with_body(pk, json_string_value(j), json_string_length(j));
		return 0;
	case LANG_SCALAR_BOOL:
		if (!json_is_boolean(j))
			return param_error(err, name, "expected boolean");
		json_is_true(j) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		return 0;
	case LANG_SCALAR_I32: case LANG_SCALAR_I64: case LANG_SCALAR_U32: case LANG_SCALAR_U64:
		return param_integer(pk, name, (enum lang_scalar)t->scalar, j, err);
	case LANG_SCALAR_F32: case LANG_SCALAR_F64:
		return param_float(pk, name, (enum lang_scalar)t->scalar, j, err);
	case LANG_SCALAR_DATE: case LANG_SCALAR_DATETIME:
		return param_temporal(pk, name, (enum lang_scalar)t->scalar, j, err);
	case LANG_SCALAR_BLOB:
		return param_blob(pk, name, j, o, err);
	default:
		return param_error(err, name, "unsupported parameter type");
	}
}

static int param_vector(msgpack_packer *pk, const char *name, const struct lang_type *t, const json_t *j,
	struct value_error *err)
{
	unsigned dim = (unsigned)t->vector_dim;
	if (!json_is_array(j))
		return param_error(err, name, "expected array for Vector(%u)", dim);
	size_t n = json_array_size(j);
	if (n != dim)
		return param_error(err, name, "expected %u values for Vector(%u), got %zu", dim, dim, n);
	unsigned char *bytes = malloc(n ? 4 * n : 1);
	if (bytes == NULL)
		return value_error_set(err, -ENOMEM, name, "out of memory converting param '%s'", name);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(j, i);
		if (!json_is_number(e) && !value_json_is_bigint(e)) {
			free(bytes);
			return param_error(err, name, "vector element is not numeric");
		}
		double d = json_is_number(e) ? json_number_value(e) : strtod(json_string_value(e) + 1, NULL);
		float f = (float)d;
		if (!isfinite(f)) {   /* stored as "Infinity", no load would take it back */
			char text[NUMFMT_PLAIN_MAX > VALUE_TEXT_BRIEF_MAX + 4 ? NUMFMT_PLAIN_MAX : VALUE_TEXT_BRIEF_MAX + 4];
			number_text(text, sizeof text, e, d);
			free(bytes);
			return param_error(err, name, "vector element %s exceeds Float32 range", text);
		}
		uint32_t bits;
		memcpy(&bits, &f, 4);
		for (int b = 0; b < 4; b++)
			bytes[4 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
	}
	msgpack_pack_bin_with_body(pk, bytes, 4 * n);
	free(bytes);
	return 0;
}

static int param_list(msgpack_packer *pk, const char *name, const struct lang_type *t, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	if (!json_is_array(j)) {
		char type[96];
		value_type_name(type, sizeof type, t);
		return param_error(err, name, "expected array for %s", type);
	}
	size_t n = json_array_size(j);
	if (n > VALUE_LIST_MAX_ITEMS)
		return value_error_set(err, GROVE_ETOOBIG, name, "param '%s': %zu elements (at most %u)", name, n,
			VALUE_LIST_MAX_ITEMS);
	struct lang_type elem = *t;
	elem.list = 0;
	/* Elements go to a scratch buffer first: a failure packs nothing. */
	msgpack_sbuffer sb;
	msgpack_packer epk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&epk, &sb, msgpack_sbuffer_write);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const json_t *e = json_array_get(j, i);
		if (json_is_null(e))
			msgpack_pack_nil(&epk);
		else
			rc = param_scalar(&epk, name, &elem, e, o, err);
	}
	if (rc == 0) {
		msgpack_pack_array(pk, n);
		pk->callback(pk->data, sb.data ? sb.data : "", sb.size);
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

int value_from_param(msgpack_packer *pk, const char *name, const struct lang_type *t, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	assert(pk != NULL && name != NULL && t != NULL && o != NULL && err != NULL);
	if (j == NULL || json_is_null(j)) {
		if (t->nullable) {
			msgpack_pack_nil(pk);
			return 0;
		}
		if (j == NULL)
			return value_error_set(err, GROVE_ENOTFOUND, name, "parameter '%s' not provided", name);
		return param_error(err, name, "null is not accepted for non-nullable parameter");
	}
	if (t->list)
		return param_list(pk, name, t, j, o, err);
	if (t->scalar == LANG_SCALAR_VECTOR)
		return param_vector(pk, name, t, j, err);
	return param_scalar(pk, name, t, j, o, err);
}
