/*
 * engine/value_json.c — JSON property values to their stored msgpack form
 * (value_from_json; spec §7.4-7.6, §8.2, §8.5).
 *
 * Every value is first converted into a `struct conv` (a scalar, a list of
 * scalars, or bytes), and packed only once the whole value converted, so a
 * failure packs nothing.
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
#include "engine/numfmt.h"
#include "engine/value_int.h"
#include "grove.h"

enum sc_kind { SC_NIL, SC_STR, SC_BOOL, SC_INT, SC_UINT, SC_F32, SC_F64 };

struct scalar {
	enum sc_kind kind;
	const char *s;        /* SC_STR: borrowed from the JSON value */
	size_t len;
	int64_t i;
	uint64_t u;
	double f;
};

/* What one JSON number is. */
enum jnum { JNUM_NONE, JNUM_INT, JNUM_BIG, JNUM_REAL };

struct num {
	enum jnum kind;
	int64_t i;
	double f;             /* every kind: the value as a double */
	const char *text;     /* JNUM_BIG: the digits               */
};

static enum jnum json_num(struct num *n, const json_t *j)
{
	memset(n, 0, sizeof *n);
	if (json_is_integer(j)) {
		n->i = json_integer_value(j);
		n->f = (double)n->i;
		return n->kind = JNUM_INT;
	}
	if (json_is_real(j)) {
		n->f = json_real_value(j);
		return n->kind = JNUM_REAL;
	}
	if (value_json_is_bigint(j)) {
		n->text = json_string_value(j) + 1;
		n->f = strtod(n->text, NULL);
		return n->kind = JNUM_BIG;
	}
	return JNUM_NONE;
}

/* The number as message text: integers exactly, reals plain. */
static void num_text(char *out, const struct num *n)
{
	if (n->kind == JNUM_INT)
		snprintf(out, NUMFMT_PLAIN_MAX, "%" PRId64, n->i);
	else if (n->kind == JNUM_BIG)
		snprintf(out, NUMFMT_PLAIN_MAX, "%s", n->text);
	else
		numfmt_plain_f64(out, n->f);
}

static int out_of_range(const struct lang_cat_property *p, const struct num *n, const char *range,
	struct value_error *err)
{
	char text[NUMFMT_PLAIN_MAX];
	num_text(text, n);
	return value_error_set(err, GROVE_EINVAL, p->name, "property '%s' value %s exceeds %s range", p->name, text,
		range);
}

/* A value of the wrong JSON type: NULL when lenient, an error when strict. */
static int wrong_type(struct scalar *out, const struct lang_cat_property *p, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	out->kind = SC_NIL;
	if (o->dialect != VALUE_STRICT)
		return 0;
	char type[96], got[VALUE_BRIEF_MAX + 4];
	/* A scalar by its storage (Arrow) type, as OmniGraph's strict reader
	 * names it ("expects Int32"); lists and vectors by their schema name. */
	static const char *const arrow[LANG_SCALAR__COUNT] = {
		[LANG_SCALAR_STRING] = "Utf8", [LANG_SCALAR_BOOL] = "Boolean", [LANG_SCALAR_I32] = "Int32",
		[LANG_SCALAR_I64] = "Int64", [LANG_SCALAR_U32] = "UInt32", [LANG_SCALAR_U64] = "UInt64",
		[LANG_SCALAR_F32] = "Float32", [LANG_SCALAR_F64] = "Float64", [LANG_SCALAR_DATE] = "Date32",
		[LANG_SCALAR_DATETIME] = "Date64",
	};
	if (!p->type.list && p->type.n_enum == 0 && p->type.scalar < LANG_SCALAR__COUNT && arrow[p->type.scalar])
		snprintf(type, sizeof type, "%s", arrow[p->type.scalar]);
	else
		value_type_name(type, sizeof type, &p->type);
	value_json_brief(got, j);
	return value_error_set(err, GROVE_EINVAL, p->name, "strict property '%s' expects %s, got %s", p->name, type,
		got);
}

/* Parse a bigint's digits as a uint64; 0 when they do not fit. */
static int big_to_u64(uint64_t *out, const char *text)
{
	if (text[0] == '-')
		return 0;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	*out = v;
	return 1;
}

static int integer_value(struct scalar *out, const struct lang_cat_property *p, enum lang_scalar sc,
	const struct num *n, struct value_error *err)
{
	static const char *const names[] = {
		[LANG_SCALAR_I32] = "Int32", [LANG_SCALAR_I64] = "Int64",
		[LANG_SCALAR_U32] = "UInt32", [LANG_SCALAR_U64] = "UInt64",
	};
	int is_signed = sc == LANG_SCALAR_I32 || sc == LANG_SCALAR_I64;
	if (n->kind == JNUM_BIG) {
		if (sc == LANG_SCALAR_U64 && big_to_u64(&out->u, n->text)) {
			out->kind = SC_UINT;
			return 0;
		}
		return out_of_range(p, n, names[sc], err);
	}
	assert(n->kind == JNUM_INT);
	int64_t v = n->i;
	int ok = sc == LANG_SCALAR_I64 || (sc == LANG_SCALAR_I32 && v >= INT32_MIN && v <= INT32_MAX) ||
		(sc == LANG_SCALAR_U32 && v >= 0 && v <= (int64_t)UINT32_MAX) || (sc == LANG_SCALAR_U64 && v >= 0);
	if (!ok)
		return out_of_range(p, n, names[sc], err);
	if (is_signed) {
		out->kind = SC_INT;
		out->i = v;
	} else {
		out->kind = SC_UINT;
		out->u = (uint64_t)v;
	}
	return 0;
}

static int temporal_value(struct scalar *out, const struct lang_cat_property *p, enum lang_scalar sc,
	const json_t *j, const struct value_opts *o, struct value_error *err)
{
	int is_date = sc == LANG_SCALAR_DATE;
	struct num n;
	if (json_is_string(j) && !value_json_is_bigint(j)) {
		const char *s = json_string_value(j);
		size_t len = json_string_length(j);
		int32_t days;
		int rc = is_date ? date_parse(&days, s, len) : datetime_parse(&out->i, s, len);
		if (rc < 0) {
			char text[VALUE_TEXT_BRIEF_MAX + 4];
			value_text_brief(text, s, len);
			return value_error_set(err, GROVE_EINVAL, p->name, "property '%s': invalid %s literal '%s'",
				p->name, is_date ? "Date" : "DateTime", text);
		}
		if (is_date)
			out->i = days;
		out->kind = SC_INT;
		return 0;
	}
	switch (json_num(&n, j)) {
	case JNUM_INT:
		if (is_date && (n.i < INT32_MIN || n.i > INT32_MAX))
			return out_of_range(p, &n, "Date32", err);
		out->kind = SC_INT;
		out->i = n.i;
		return 0;
	case JNUM_BIG:
		return out_of_range(p, &n, is_date ? "Date32" : "Date64", err);
	default:
		return wrong_type(out, p, j, o, err);
	}
}

static int float_value(struct scalar *out, const struct lang_cat_property *p, enum lang_scalar sc,
	const struct num *n, struct value_error *err)
{
	if (sc == LANG_SCALAR_F64) {
		out->kind = SC_F64;
		out->f = n->f;
		return 0;
	}
	/* Within float32 after rounding: FLT_MAX plus less than half an ulp
	 * rounds down to FLT_MAX; anything above becomes infinite. */
	float f = (float)n->f;
	if (!isfinite(f))
		return out_of_range(p, n, "Float32", err);
	out->kind = SC_F32;
	out->f = f;
	return 0;
}

/* Convert one non-null JSON value to a scalar of `sc`. */
static int scalar_from_json(struct scalar *out, const struct lang_cat_property *p, enum lang_scalar sc,
	const json_t *j, const struct value_opts *o, struct value_error *err)
{
	assert(j != NULL && !json_is_null(j));
	memset(out, 0, sizeof *out);
	struct num n;
	json_num(&n, j);
	switch (sc) {
	case LANG_SCALAR_STRING:
		if (!json_is_string(j) || n.kind == JNUM_BIG)
			return wrong_type(out, p, j, o, err);
		out->kind = SC_STR;
		out->s = json_string_value(j);
		out->len = json_string_length(j);
		return 0;
	case LANG_SCALAR_BOOL:
		if (!json_is_boolean(j))
			return wrong_type(out, p, j, o, err);
		out->kind = SC_BOOL;
		out->i = json_is_true(j);
		return 0;
	case LANG_SCALAR_I32: case LANG_SCALAR_I64: case LANG_SCALAR_U32: case LANG_SCALAR_U64:
		if (n.kind != JNUM_INT && n.kind != JNUM_BIG)
			return wrong_type(out, p, j, o, err);
		return integer_value(out, p, sc, &n, err);
	case LANG_SCALAR_F32: case LANG_SCALAR_F64:
		if (n.kind == JNUM_NONE)
			return wrong_type(out, p, j, o, err);
		return float_value(out, p, sc, &n, err);
	case LANG_SCALAR_DATE: case LANG_SCALAR_DATETIME:
		return temporal_value(out, p, sc, j, o, err);
	default:
		return value_error_set(err, GROVE_EINVAL, p->name, "property '%s': %s values cannot be list elements",
			p->name, lang_scalar_name(sc) ? lang_scalar_name(sc) : "?");
	}
}

/* 0, or non-zero if the packer's buffer could not grow. */
static int pack_scalar(msgpack_packer *pk, const struct scalar *s)
{
	switch (s->kind) {
	case SC_NIL:  return msgpack_pack_nil(pk);
	case SC_STR:  return msgpack_pack_str(pk, s->len) | msgpack_pack_str_body(pk, s->s, s->len);
	case SC_BOOL: return s->i ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	case SC_INT:  return msgpack_pack_int64(pk, s->i);
	case SC_UINT: return msgpack_pack_uint64(pk, s->u);
	case SC_F32:  return msgpack_pack_float(pk, (float)s->f);
	case SC_F64:  return msgpack_pack_double(pk, s->f);
	}
	return 0;
}

/* ---- lists, vectors, blobs ---------------------------------------------- */

static int list_from_json(msgpack_packer *pk, int *is_nil, const struct lang_cat_property *p, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	if (!json_is_array(j)) {
		char got[VALUE_BRIEF_MAX + 4];
		struct scalar ignored;
		if (o->dialect == VALUE_STRICT)
			return wrong_type(&ignored, p, j, o, err);
		value_json_brief(got, j);
		return value_error_set(err, GROVE_EINVAL, p->name, "list property '%s' expects a JSON array, got %s",
			p->name, got);
	}
	size_t n = json_array_size(j);
	if (n > VALUE_LIST_MAX_ITEMS)
		return value_error_set(err, GROVE_ETOOBIG, p->name, "list property '%s' has %zu elements (at most %u)",
			p->name, n, VALUE_LIST_MAX_ITEMS);
	struct scalar *items = calloc(n ? n : 1, sizeof *items);
	if (items == NULL)
		return value_error_set(err, -ENOMEM, p->name, "out of memory converting list property '%s'", p->name);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const json_t *e = json_array_get(j, i);
		if (!json_is_null(e))
			rc = scalar_from_json(&items[i], p, (enum lang_scalar)p->type.scalar, e, o, err);
		/* The strict reader takes no item it cannot keep (OmniGraph's
		 * words for a null or unconvertible element). */
		if (o->dialect == VALUE_STRICT && (json_is_null(e) || rc == GROVE_EINVAL))
			rc = value_error_set(err, GROVE_EINVAL, p->name,
					     "strict list property '%s' contains a null or invalid item", p->name);
	}
	if (rc == 0) {
		msgpack_pack_array(pk, n);
		for (size_t i = 0; i < n; i++)
			pack_scalar(pk, &items[i]);
		*is_nil = 0;
	}
	free(items);
	return rc;
}

static int vector_from_json(msgpack_packer *pk, int *is_nil, const struct lang_cat_property *p, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	if (!json_is_array(j)) {
		struct scalar ignored;
		return wrong_type(&ignored, p, j, o, err);   /* lenient: NULL */
	}
	size_t n = json_array_size(j);
	if (n != p->type.vector_dim)
		return value_error_set(err, GROVE_EINVAL, p->name, "vector property '%s' expects %u dimensions, got %zu",
			p->name, (unsigned)p->type.vector_dim, n);
	unsigned char *bytes = malloc(n ? 4 * n : 1);
	if (bytes == NULL)
		return value_error_set(err, -ENOMEM, p->name, "out of memory converting vector property '%s'", p->name);
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(j, i);
		struct num num;
		char got[VALUE_BRIEF_MAX + 4];
		if (json_num(&num, e) == JNUM_NONE) {
			value_json_brief(got, e);
			free(bytes);
			return value_error_set(err, GROVE_EINVAL, p->name,
				"vector property '%s' elements must be numeric, got %s", p->name, got);
		}
		float f = (float)num.f;
		if (!isfinite(f)) {
			num_text(got, &num);
			free(bytes);
			return value_error_set(err, GROVE_EINVAL, p->name,
				"vector property '%s' element %s exceeds Float32 range", p->name, got);
		}
		uint32_t bits;
		memcpy(&bits, &f, 4);
		for (int b = 0; b < 4; b++)   /* little-endian, whatever the host */
			bytes[4 * i + (size_t)b] = (unsigned char)(bits >> (8 * b));
	}
	msgpack_pack_bin(pk, 4 * n);
	msgpack_pack_bin_body(pk, bytes, 4 * n);
	free(bytes);
	*is_nil = 0;
	return 0;
}

/* "<what>: resource limit exceeded: <resource>: <actual> > <limit>", with
 * the resource, limit and actual value set for grove_error_info. */
static int limit_error(struct value_error *err, const char *field, const char *what,
		       const char *resource, unsigned limit, size_t actual)
{
	value_error_set(err, GROVE_ELIMIT, field, "%s: resource limit exceeded: %s: %zu > %u", what,
			resource, actual, limit);
	snprintf(err->resource, sizeof err->resource, "%s", resource);
	err->limit = limit;
	err->actual = actual;
	return GROVE_ELIMIT;
}

int value_blob_bound(struct value_error *err, const char *field, const char *what, const char *b64,
		     size_t len)
{
	/* What it decodes to, exactly for valid text (a multiple of 4
	 * characters, padding counted); text the decoder refuses anyway is
	 * only over-estimated. */
	size_t n = (len + 3) / 4 * 3;
	for (size_t i = 0; i < 2 && i < len && b64[len - 1 - i] == '=' && n > 0; i++)
		n--;
	if (n <= VALUE_BLOB_MAX_BYTES)
		return 0;
	return limit_error(err, field, what, "decoded blob input bytes", VALUE_BLOB_MAX_BYTES, n);
}

int value_blob_uri_check(struct value_error *err, const char *field, const char *what, const char *s,
			 size_t len, bool allow)
{
	if (len > VALUE_BLOB_URI_MAX_BYTES)
		return limit_error(err, field, what, "external Blob URI bytes",
				   VALUE_BLOB_URI_MAX_BYTES, len);
	if (len == 0)
		return value_error_set(err, GROVE_EINVAL, field, "%s: external Blob URI must be non-empty",
				       what);
	if (!allow) {   /* upstream's ExternalBlobPolicy */
		char text[VALUE_TEXT_BRIEF_MAX + 4];
		value_text_brief(text, s, len);
		return value_error_set(err, GROVE_EBLOBPOLICY, field, "%s: external blob URI '%s' is not "
				       "allowed: new external Blob URI ingress is denied for this graph "
				       "(give the bytes as base64:...)", what, text);
	}
	return 0;
}

static int blob_base64(msgpack_packer *pk, const struct lang_cat_property *p, const char *b64, size_t len,
	struct value_error *err)
{
	char what[300];
	snprintf(what, sizeof what, "blob property '%s'", p->name);
	int rc = value_blob_bound(err, p->name, what, b64, len);
	if (rc < 0)
		return rc;
	unsigned char *bytes = malloc(base64_decoded_max(len));
	if (bytes == NULL)
		return value_error_set(err, -ENOMEM, p->name, "out of memory decoding blob property '%s'", p->name);
	char detail[BASE64_DETAIL_MAX];
	size_t n;
	if (base64_decode(bytes, &n, b64, len, detail) < 0) {
		free(bytes);
		return value_error_set(err, GROVE_EINVAL, p->name, "property '%s': invalid base64 blob data: %s",
				       p->name, detail);
	}
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, bytes, n);
	free(bytes);
	return 0;
}

static int blob_from_json(msgpack_packer *pk, int *is_nil, const struct lang_cat_property *p, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	if (!json_is_string(j) || value_json_is_bigint(j))
		return value_error_set(err, GROVE_EINVAL, p->name,
			"blob property '%s' must be a URI string or base64: prefixed data", p->name);
	const char *s = json_string_value(j);
	size_t len = json_string_length(j);
	if (len >= 7 && memcmp(s, "base64:", 7) == 0) {
		int rc = blob_base64(pk, p, s + 7, len - 7, err);
		*is_nil = rc < 0;
		return rc;
	}
	char what[300];
	snprintf(what, sizeof what, "blob property '%s'", p->name);
	int rc = value_blob_uri_check(err, p->name, what, s, len, o->allow_external_blobs);
	if (rc < 0)
		return rc;
	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
	*is_nil = 0;
	return 0;
}

/* ---- the entry point ---------------------------------------------------- */

static int null_refused(const struct lang_cat_property *p, const json_t *j, const struct value_opts *o,
	struct value_error *err)
{
	if (p->type.scalar == LANG_SCALAR_VECTOR && !p->type.list)
		return value_error_set(err, GROVE_EINVAL, p->name, "non-nullable vector property '%s' has null values",
			p->name);
	if (p->type.scalar == LANG_SCALAR_BLOB && !p->type.list)
		return value_error_set(err, GROVE_EINVAL, p->name, "non-nullable blob property '%s' has null values",
			p->name);
	if (o->dialect == VALUE_STRICT && json_is_null(j)) {
		struct scalar ignored;
		return wrong_type(&ignored, p, j, o, err);
	}
	return value_error_set(err, GROVE_EINVAL, p->name, "non-nullable property '%s' has null or invalid values",
		p->name);
}

int value_from_json(msgpack_packer *pk, const struct lang_cat_property *p, const json_t *j,
	const struct value_opts *o, struct value_error *err)
{
	assert(pk != NULL && p != NULL && o != NULL && err != NULL);
	int is_nil = 1, rc = 0;
	if (j != NULL && !json_is_null(j)) {
		if (p->type.list)
			rc = list_from_json(pk, &is_nil, p, j, o, err);
		else if (p->type.scalar == LANG_SCALAR_VECTOR)
			rc = vector_from_json(pk, &is_nil, p, j, o, err);
		else if (p->type.scalar == LANG_SCALAR_BLOB)
			rc = blob_from_json(pk, &is_nil, p, j, o, err);
		else {
			struct scalar s;
			rc = scalar_from_json(&s, p, (enum lang_scalar)p->type.scalar, j, o, err);
			if (rc == 0 && s.kind != SC_NIL) {
				pack_scalar(pk, &s);
				is_nil = 0;
			}
		}
	}
	if (rc < 0)
		return rc;
	if (!is_nil)
		return 0;
	if (!p->type.nullable)
		return null_refused(p, j, o, err);
	msgpack_pack_nil(pk);
	return 0;
}

int value_from_plain(msgpack_packer *pk, const struct lang_cat_property *p, const struct value_plain *v)
{
	enum lang_scalar sc = (enum lang_scalar)p->type.scalar;
	struct scalar s = { .kind = SC_NIL };
	if (p->type.list)
		return 0;
	switch (v->kind) {
	case VALUE_PLAIN_NULL:
		if (!p->type.nullable)
			return 0;
		break;
	case VALUE_PLAIN_STR:
		if (sc != LANG_SCALAR_STRING)
			return 0;
		s = (struct scalar){ .kind = SC_STR, .s = v->s, .len = v->len };
		break;
	case VALUE_PLAIN_BOOL:
		if (sc != LANG_SCALAR_BOOL)
			return 0;
		s = (struct scalar){ .kind = SC_BOOL, .i = v->i };
		break;
	case VALUE_PLAIN_INT:
		if (sc != LANG_SCALAR_I32 && sc != LANG_SCALAR_I64 && sc != LANG_SCALAR_U32 &&
		    sc != LANG_SCALAR_U64)
			return 0;
		struct num n = { .kind = JNUM_INT, .i = v->i, .f = (double)v->i };
		struct value_error ignored;
		if (integer_value(&s, p, sc, &n, &ignored) < 0)
			return 0;
		break;
	}
	return pack_scalar(pk, &s) == 0;
}
