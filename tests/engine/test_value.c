/*
 * tests/engine/test_value.c — the value layer (engine/value.h), JSON in and
 * out: exact msgpack encodings of JSON load values, JSON -> msgpack -> JSON
 * round trips for every type in both render modes, the loader's and the
 * strict dialect's messages, and query parameters.  Rows, ids, constraints
 * and comparison are in test_value_rows.c; the fixture is value_testutil.c.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jsonw.h"
#include "engine/value.h"
#include "grove.h"
#include "lang/catalog.h"
#include "value_testutil.h"

TestSuite(value, .init = value_setup, .fini = value_teardown);

/* ---- helpers ------------------------------------------------------------ */

/* A JSON integer literal beyond int64, as the JSONL reader makes it. */
static json_t *bigint(const char *digits)
{
	char buf[64];
	buf[0] = '\0';
	snprintf(buf + 1, sizeof buf - 1, "%s", digits);
	return json_stringn(buf, strlen(digits) + 1);
}

static int convert_json(msgpack_sbuffer *sb, const char *t, const char *p, const json_t *j, int strict,
	struct value_error *err)
{
	struct value_opts o = VALUE_OPTS_INIT;
	o.dialect = strict ? VALUE_STRICT : VALUE_LENIENT;
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	return value_from_json(&pk, prop(t, p), j, &o, err);
}

static int convert(msgpack_sbuffer *sb, const char *t, const char *p, const char *json, int strict,
	struct value_error *err)
{
	json_t *j = parse_json(json);
	int rc = convert_json(sb, t, p, j, strict, err);
	json_decref(j);
	return rc;
}

static char *hex(const char *data, size_t n)
{
	char *s = malloc(3 * n + 1), *at = s;
	*at = '\0';
	for (size_t i = 0; i < n; i++)
		at += sprintf(at, "%s%02x", i ? " " : "", (unsigned char)data[i]);
	return s;
}

static void expect_bytes_json(const char *t, const char *p, const json_t *j, const char *expected)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	int rc = convert_json(&sb, t, p, j, 0, &err);
	cr_assert_eq(rc, 0, "%s.%s: %s", t, p, err.msg);
	char *h = hex(sb.data, sb.size);
	cr_expect_str_eq(h, expected, "%s.%s: got %s, expected %s", t, p, h, expected);
	free(h);
	msgpack_sbuffer_destroy(&sb);
}

static void expect_bytes(const char *t, const char *p, const char *json, const char *expected)
{
	json_t *j = parse_json(json);
	expect_bytes_json(t, p, j, expected);
	json_decref(j);
}

static void expect_error(const char *t, const char *p, const char *json, int strict, const char *msg)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	int rc = convert(&sb, t, p, json, strict, &err);
	cr_expect_lt(rc, 0, "%s.%s = %s should fail", t, p, json ? json : "(missing)");
	cr_expect_str_eq(err.msg, msg, "got: %s", err.msg);
	cr_expect_eq(sb.size, 0, "a failed conversion packs nothing");
	msgpack_sbuffer_destroy(&sb);
}

/* Render the single packed value in sb. */
static char *render_packed(const struct lang_type *ty, const char *data, size_t n, enum value_render_mode mode)
{
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	cr_assert_eq(msgpack_unpack_next(&u, data, n, &off), MSGPACK_UNPACK_SUCCESS);
	struct jsonw w;
	jsonw_init(&w, 0);
	struct value_error err;
	int rc = value_render(&w, ty, &u.data, mode, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(jsonw_error(&w), 0);
	char *s = strdup(w.buf);
	jsonw_fini(&w);
	msgpack_unpacked_destroy(&u);
	return s;
}

/* JSON -> msgpack -> JSON in both modes (and through json_t). */
static void expect_round_trip(const char *t, const char *p, const char *in, const char *exported, const char *result)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	int rc = convert(&sb, t, p, in, 0, &err);
	cr_assert_eq(rc, 0, "%s.%s = %s: %s", t, p, in, err.msg);
	const struct lang_type *ty = &prop(t, p)->type;
	char *e = render_packed(ty, sb.data, sb.size, VALUE_RENDER_EXPORT);
	char *r = render_packed(ty, sb.data, sb.size, VALUE_RENDER_RESULT);
	cr_expect_str_eq(e, exported, "%s.%s export: got %s", t, p, e);
	cr_expect_str_eq(r, result, "%s.%s result: got %s", t, p, r);
	free(e);
	free(r);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- encodings ---------------------------------------------------------- */

Test(value, encodes_scalars_as_row_h_says)
{
	expect_bytes("Everything", "name", "\"A\"", "a1 41");
	expect_bytes("Everything", "flag", "true", "c3");
	expect_bytes("Everything", "flag", "false", "c2");
	expect_bytes("Everything", "small", "30", "1e");
	expect_bytes("Everything", "small", "-1", "ff");
	expect_bytes("Everything", "small", "-100", "d0 9c");
	expect_bytes("Everything", "small", "-200", "d1 ff 38");
	expect_bytes("Everything", "small", "2147483647", "ce 7f ff ff ff");
	expect_bytes("Everything", "small", "-2147483648", "d2 80 00 00 00");
	expect_bytes("Everything", "large", "-9223372036854775808", "d3 80 00 00 00 00 00 00 00");
	expect_bytes("Everything", "count", "4294967295", "ce ff ff ff ff");
	expect_bytes("Everything", "huge", "300", "cd 01 2c");
	expect_bytes("Everything", "ratio", "0.1", "ca 3d cc cc cd");
	expect_bytes("Everything", "ratio", "3", "ca 40 40 00 00");
	expect_bytes("Everything", "score", "0.1", "cb 3f b9 99 99 99 99 99 9a");
	expect_bytes("Everything", "score", "2", "cb 40 00 00 00 00 00 00 00");
	expect_bytes("Everything", "role", "\"admin\"", "a5 61 64 6d 69 6e");
}

Test(value, encodes_big_unsigned_integers_exactly)
{
	json_t *j = bigint("18446744073709551615");
	expect_bytes_json("Everything", "huge", j, "cf ff ff ff ff ff ff ff ff");
	json_decref(j);
	j = bigint("9223372036854775808");
	expect_bytes_json("Everything", "huge", j, "cf 80 00 00 00 00 00 00 00");
	json_decref(j);
}

Test(value, encodes_dates_as_day_and_millisecond_counts)
{
	expect_bytes("Everything", "day", "\"2024-01-01\"", "cd 4d 0b");
	expect_bytes("Everything", "day", "\"2024-1-1\"", "cd 4d 0b");
	expect_bytes("Everything", "day", "\"20240101\"", "cd 4d 0b");
	expect_bytes("Everything", "day", "19723", "cd 4d 0b");
	expect_bytes("Everything", "day", "\"1969-12-31\"", "ff");
	expect_bytes("Everything", "at", "\"1970-01-01T00:00:01Z\"", "cd 03 e8");
	expect_bytes("Everything", "at", "\"1970-01-01T02:00:01+02:00\"", "cd 03 e8");
	expect_bytes("Everything", "at", "\"1970-01-01\"", "00");
	expect_bytes("Everything", "at", "-1", "ff");
}

Test(value, encodes_vectors_as_little_endian_float32_bytes)
{
	expect_bytes("Everything", "vec", "[1, 2, 0.5]", "c4 0c 00 00 80 3f 00 00 00 40 00 00 00 3f");
	expect_bytes("Everything", "vec", "[0, -0.0, 1e-50]", "c4 0c 00 00 00 00 00 00 00 80 00 00 00 00");
}

Test(value, encodes_base64_blobs_as_bin)
{
	expect_bytes("Everything", "blob", "\"base64:SGVsbG8=\"", "c4 05 48 65 6c 6c 6f");
	expect_bytes("Everything", "blob", "\"base64:\"", "c4 00");
	expect_bytes("Everything", "blob", "\"base64:AAECA/8=\"", "c4 05 00 01 02 03 ff");
}

Test(value, encodes_lists_with_null_elements)
{
	expect_bytes("Everything", "tags", "[\"a\", null, \"b\"]", "93 a1 61 c0 a1 62");
	expect_bytes("Everything", "nums", "[1, 2]", "92 01 02");
	expect_bytes("Everything", "nums", "[]", "90");
	expect_bytes("Everything", "days", "[\"2024-01-01\", 0]", "92 cd 4d 0b 00");
}

Test(value, encodes_missing_and_null_as_nil)
{
	expect_bytes("Everything", "small", NULL, "c0");
	expect_bytes("Everything", "small", "null", "c0");
	expect_bytes("Everything", "vec", "null", "c0");
	expect_bytes("Everything", "blob", "null", "c0");
	expect_bytes("Everything", "tags", "null", "c0");
}

Test(value, loader_turns_wrong_typed_values_into_null)
{
	expect_bytes("Everything", "note", "5", "c0");
	expect_bytes("Everything", "role", "true", "c0");
	expect_bytes("Everything", "flag", "\"true\"", "c0");
	expect_bytes("Everything", "small", "1.5", "c0");
	expect_bytes("Everything", "small", "1.0", "c0");
	expect_bytes("Everything", "small", "\"12\"", "c0");
	expect_bytes("Everything", "score", "\"1.5\"", "c0");
	expect_bytes("Everything", "day", "true", "c0");
	expect_bytes("Everything", "day", "1.5", "c0");
	expect_bytes("Everything", "vec", "\"1,2,3\"", "c0");
	expect_bytes("Everything", "tags", "[\"a\", 5, {}]", "93 a1 61 c0 c0");
	json_t *j = bigint("18446744073709551615");
	expect_bytes_json("Everything", "note", j, "c0");
	json_decref(j);
}

/* ---- round trips -------------------------------------------------------- */

Test(value, round_trips_every_type_in_both_render_modes)
{
	expect_round_trip("Everything", "name", "\"Al\\\"ice\\n\"", "\"Al\\\"ice\\n\"", "\"Al\\\"ice\\n\"");
	expect_round_trip("Everything", "flag", "true", "true", "true");
	expect_round_trip("Everything", "small", "-2147483648", "-2147483648", "-2147483648");
	expect_round_trip("Everything", "large", "9223372036854775807", "9223372036854775807", "9223372036854775807");
	expect_round_trip("Everything", "count", "4294967295", "4294967295", "4294967295");
	expect_round_trip("Everything", "huge", "0", "0", "0");
	expect_round_trip("Everything", "ratio", "0.1", "0.10000000149011612", "0.10000000149011612");
	expect_round_trip("Everything", "ratio", "3.4028234663852886e+38", "3.4028234663852886e38",
		"3.4028234663852886e38");
	expect_round_trip("Everything", "score", "0.1", "0.1", "0.1");
	expect_round_trip("Everything", "score", "2", "2.0", "2.0");
	expect_round_trip("Everything", "score", "1e300", "1e300", "1e300");
	expect_round_trip("Everything", "score", "-0.0", "-0.0", "-0.0");
	expect_round_trip("Everything", "day", "\"2024-01-01\"", "19723", "\"2024-01-01\"");
	expect_round_trip("Everything", "day", "-719162", "-719162", "\"0001-01-01\"");
	expect_round_trip("Everything", "at", "\"2024-01-02T03:04:05.678Z\"", "1704164645678",
		"\"2024-01-02T03:04:05.678Z\"");
	expect_round_trip("Everything", "at", "-1", "-1", "\"1969-12-31T23:59:59.999Z\"");
	expect_round_trip("Everything", "vec", "[1, 0.1, -2.5]", "[1.0,0.10000000149011612,-2.5]",
		"[1.0,0.10000000149011612,-2.5]");
	expect_round_trip("Everything", "blob", "\"base64:SGVsbG8=\"", "\"base64:SGVsbG8=\"", "\"base64:SGVsbG8=\"");
	expect_round_trip("Everything", "blob", "\"base64:\"", "\"base64:\"", "\"base64:\"");
	expect_round_trip("Everything", "tags", "[\"a\",null]", "[\"a\",null]", "[\"a\",null]");
	expect_round_trip("Everything", "days", "[\"2024-01-01\",null,1]", "[19723,null,1]",
		"[\"2024-01-01\",null,\"1970-01-02\"]");
	expect_round_trip("Everything", "role", "\"guest\"", "\"guest\"", "\"guest\"");
	expect_round_trip("Everything", "small", "null", "null", "null");
}

Test(value, round_trips_u64_beyond_int64)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	json_t *j = bigint("18446744073709551615");
	cr_assert_eq(convert_json(&sb, "Everything", "huge", j, 0, &err), 0, "%s", err.msg);
	char *s = render_packed(&prop("Everything", "huge")->type, sb.data, sb.size, VALUE_RENDER_EXPORT);
	cr_expect_str_eq(s, "18446744073709551615");
	free(s);
	json_decref(j);
	msgpack_sbuffer_destroy(&sb);
}

Test(value, renders_non_finite_floats_as_strings)
{
	const struct lang_type *f64 = &prop("Everything", "score")->type;
	const struct lang_type *f32 = &prop("Everything", "ratio")->type;
	msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT64 };
	const struct { double v; const char *text; } cases[] = {
		{ NAN, "\"NaN\"" }, { INFINITY, "\"Infinity\"" }, { -INFINITY, "\"-Infinity\"" },
	};
	for (size_t i = 0; i < 3; i++) {
		struct jsonw w;
		struct value_error err;
		jsonw_init(&w, 0);
		o.via.f64 = cases[i].v;
		cr_assert_eq(value_render(&w, i == 0 ? f32 : f64, &o, VALUE_RENDER_RESULT, &err), 0);
		cr_expect_str_eq(w.buf, cases[i].text);
		jsonw_fini(&w);
	}
}

Test(value, builds_json_t_values_with_the_same_meaning)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 19723 };
	struct value_error err;
	json_t *j;
	cr_assert_eq(value_to_json(&j, &prop("Everything", "day")->type, &o, VALUE_RENDER_RESULT, &err), 0);
	cr_expect_str_eq(json_string_value(j), "2024-01-01");
	json_decref(j);
	cr_assert_eq(value_to_json(&j, &prop("Everything", "day")->type, &o, VALUE_RENDER_EXPORT, &err), 0);
	cr_expect_eq(json_integer_value(j), 19723);
	json_decref(j);
	o.via.u64 = UINT64_MAX;
	cr_assert_eq(value_to_json(&j, &prop("Everything", "huge")->type, &o, VALUE_RENDER_EXPORT, &err), 0);
	cr_expect(value_json_is_bigint(j));
	struct jsonw w;
	jsonw_init(&w, 0);
	value_json_write(&w, j);
	cr_expect_str_eq(w.buf, "18446744073709551615");
	jsonw_fini(&w);
	json_decref(j);
	msgpack_object f = { .type = MSGPACK_OBJECT_FLOAT32, .via.f64 = (double)0.1f };
	cr_assert_eq(value_to_json(&j, &prop("Everything", "ratio")->type, &f, VALUE_RENDER_RESULT, &err), 0);
	char *dump = json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	cr_expect_str_eq(dump, "0.10000000149011612");
	free(dump);
	json_decref(j);
}

Test(value, refuses_dates_outside_their_range_as_corrupt)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = (uint64_t)INT32_MAX + 1 };
	struct jsonw w;
	struct value_error err;
	jsonw_init(&w, 0);
	cr_expect_eq(value_render(&w, &prop("Everything", "day")->type, &o, VALUE_RENDER_RESULT, &err), GROVE_ECORRUPT);
	o.via.u64 = UINT64_MAX;
	cr_expect_eq(value_render(&w, &prop("Everything", "at")->type, &o, VALUE_RENDER_RESULT, &err), GROVE_ECORRUPT);
	jsonw_fini(&w);
}

Test(value, refuses_a_stored_value_of_the_wrong_kind_as_corrupt)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_STR, .via.str = { 1, "x" } };
	struct jsonw w;
	struct value_error err;
	jsonw_init(&w, 0);
	cr_expect_eq(value_render(&w, &prop("Everything", "small")->type, &o, VALUE_RENDER_EXPORT, &err), GROVE_ECORRUPT);
	cr_expect_str_eq(err.msg, "corrupt stored value: msgpack type 5 for type I32");
	jsonw_fini(&w);
}

/* ---- the loader's messages (spec §8.2) ---------------------------------- */

Test(value, range_checks_integers_with_the_loader_wording)
{
	expect_error("Everything", "small", "2147483648", 0, "property 'small' value 2147483648 exceeds Int32 range");
	expect_error("Everything", "small", "-2147483649", 0, "property 'small' value -2147483649 exceeds Int32 range");
	expect_error("Everything", "count", "4294967296", 0, "property 'count' value 4294967296 exceeds UInt32 range");
	expect_error("Everything", "count", "-1", 0, "property 'count' value -1 exceeds UInt32 range");
	expect_error("Everything", "huge", "-1", 0, "property 'huge' value -1 exceeds UInt64 range");
	expect_error("Everything", "day", "2147483648", 0, "property 'day' value 2147483648 exceeds Date32 range");
}

Test(value, range_checks_big_integers)
{
	const struct { const char *prop, *digits, *msg; } cases[] = {
		{ "large", "9223372036854775808", "property 'large' value 9223372036854775808 exceeds Int64 range" },
		{ "huge", "18446744073709551616", "property 'huge' value 18446744073709551616 exceeds UInt64 range" },
		{ "huge", "-9223372036854775809", "property 'huge' value -9223372036854775809 exceeds UInt64 range" },
		{ "small", "99999999999999999999", "property 'small' value 99999999999999999999 exceeds Int32 range" },
		{ "at", "9223372036854775808", "property 'at' value 9223372036854775808 exceeds Date64 range" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		msgpack_sbuffer sb;
		msgpack_sbuffer_init(&sb);
		struct value_error err;
		json_t *j = bigint(cases[i].digits);
		cr_expect_eq(convert_json(&sb, "Everything", cases[i].prop, j, 0, &err), GROVE_EINVAL);
		cr_expect_str_eq(err.msg, cases[i].msg);
		cr_expect_str_eq(err.field, cases[i].prop);
		json_decref(j);
		msgpack_sbuffer_destroy(&sb);
	}
}

Test(value, converts_big_integers_for_float_properties)
{
	json_t *j = bigint("18446744073709551615");
	expect_bytes_json("Everything", "score", j, "cb 43 f0 00 00 00 00 00 00");
	json_decref(j);
}

Test(value, range_checks_float32_after_rounding)
{
	expect_bytes("Everything", "ratio", "3.4028235e38", "ca 7f 7f ff ff");
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	cr_expect_eq(convert(&sb, "Everything", "ratio", "1.7976931348623157e+308", 0, &err), GROVE_EINVAL);
	cr_expect_eq(strncmp(err.msg, "property 'ratio' value 17976931348623157000", 43), 0, "%s", err.msg);
	size_t n = strlen(err.msg);
	cr_expect_str_eq(err.msg + n - 22, " exceeds Float32 range");
	cr_expect_eq(convert(&sb, "Everything", "ratio", "3.5e38", 0, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "property 'ratio' value 350000000000000000000000000000000000000 exceeds Float32 range");
	msgpack_sbuffer_destroy(&sb);
}

Test(value, refuses_malformed_date_strings)
{
	expect_error("Everything", "day", "\"2024-13-01\"", 0, "property 'day': invalid Date literal '2024-13-01'");
	expect_error("Everything", "day", "\"2023-02-29\"", 0, "property 'day': invalid Date literal '2023-02-29'");
	expect_error("Everything", "at", "\"noon\"", 0, "property 'at': invalid DateTime literal 'noon'");
	expect_error("Everything", "days", "[\"2024-01-01\", \"x\"]", 0, "property 'days': invalid Date literal 'x'");
}

Test(value, checks_vector_dimensions_and_elements)
{
	expect_error("Everything", "vec", "[0.1, 0.2]", 0, "vector property 'vec' expects 3 dimensions, got 2");
	expect_error("Everything", "vec", "[0.1, null, 0.3]", 0, "vector property 'vec' elements must be numeric, got null");
	expect_error("Everything", "vec", "[0.1, \"0.2\", 0.3]", 0,
		"vector property 'vec' elements must be numeric, got \"0.2\"");
	expect_error("Everything", "vec", "[0.1, 1e39, 0.3]", 0,
		"vector property 'vec' element 1000000000000000000000000000000000000000 exceeds Float32 range");
}

Test(value, refuses_lists_that_are_not_arrays)
{
	expect_error("Everything", "tags", "\"a\"", 0, "list property 'tags' expects a JSON array, got \"a\"");
	expect_error("Everything", "nums", "{\"a\":1}", 0, "list property 'nums' expects a JSON array, got {\"a\":1}");
	expect_error("Everything", "nums", "[1, 4294967296]", 0, "property 'nums' value 4294967296 exceeds Int32 range");
}

Test(value, refuses_bad_blobs)
{
	expect_error("Everything", "blob", "5", 0, "blob property 'blob' must be a URI string or base64: prefixed data");
	expect_error("Everything", "blob", "[\"base64:\"]", 0,
		"blob property 'blob' must be a URI string or base64: prefixed data");
	expect_error("Everything", "blob", "\"base64:SGV*\"", 0, "property 'blob': invalid base64 blob data: Invalid symbol 42, offset 3.");
	expect_error("Everything", "blob", "\"base64:SGV\"", 0, "property 'blob': invalid base64 blob data: Invalid input length: 3.");
	expect_error("Everything", "blob", "\"base64:SGVsbG9=\"", 0,
		"property 'blob': invalid base64 blob data: Invalid last symbol 57, offset 6.");
	expect_error("Everything", "blob", "\"base64:SG=s\"", 0, "property 'blob': invalid base64 blob data: Invalid padding");
}

Test(value, refuses_external_blob_uris_unless_allowed)
{
	expect_error("Everything", "blob", "\"s3://bucket/key\"", 0,
		"blob property 'blob': external blob URI 's3://bucket/key' is not allowed: new external Blob URI "
		"ingress is denied for this graph (give the bytes as base64:...)");
	/* OmniGraph's order: the URI's size and emptiness before the policy. */
	expect_error("Everything", "blob", "\"\"", 0, "blob property 'blob': external Blob URI must be non-empty");
	size_t n = 65537;
	char *big = malloc(n + 3);
	big[0] = '"';
	memset(big + 1, 'u', n);
	strcpy(big + 1 + n, "\"");
	expect_error("Everything", "blob", big, 0,
		"blob property 'blob': resource limit exceeded: external Blob URI bytes: 65537 > 65536");
	free(big);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	struct value_opts o = { VALUE_LENIENT, 1 };
	struct value_error err;
	json_t *j = json_string("file:///x");
	cr_assert_eq(value_from_json(&pk, prop("Everything", "blob"), j, &o, &err), 0);
	char *s = render_packed(&prop("Everything", "blob")->type, sb.data, sb.size, VALUE_RENDER_EXPORT);
	cr_expect_str_eq(s, "\"file:///x\"");
	free(s);
	json_decref(j);
	msgpack_sbuffer_destroy(&sb);
}

Test(value, refuses_null_for_non_nullable_properties)
{
	expect_error("Strict", "need", NULL, 0, "non-nullable property 'need' has null or invalid values");
	expect_error("Strict", "need", "null", 0, "non-nullable property 'need' has null or invalid values");
	expect_error("Strict", "need", "\"12\"", 0, "non-nullable property 'need' has null or invalid values");
	expect_error("Strict", "emb", NULL, 0, "non-nullable vector property 'emb' has null values");
	expect_error("Strict", "emb", "\"x\"", 0, "non-nullable vector property 'emb' has null values");
	expect_error("Strict", "doc", "null", 0, "non-nullable blob property 'doc' has null values");
}

/* ---- the strict dialect (spec §8.5) ------------------------------------- */

Test(value, strict_dialect_refuses_wrong_types_instead_of_nulling_them)
{
	expect_error("Everything", "small", "\"12\"", 1, "strict property 'small' expects Int32, got \"12\"");
	expect_error("Everything", "small", "1.5", 1, "strict property 'small' expects Int32, got 1.5");
	expect_error("Everything", "flag", "1", 1, "strict property 'flag' expects Boolean, got 1");
	expect_error("Everything", "name", "[1,{\"a\":null}]", 1,
		"strict property 'name' expects Utf8, got [1,{\"a\":null}]");
	expect_error("Everything", "role", "7", 1, "strict property 'role' expects enum(admin, guest, member), got 7");
	expect_error("Everything", "day", "false", 1, "strict property 'day' expects Date32, got false");
	expect_error("Everything", "vec", "\"x\"", 1, "strict property 'vec' expects Vector(3), got \"x\"");
	/* A list keeps no null or unconvertible item (OmniGraph's words). */
	expect_error("Everything", "tags", "[\"a\", 5]", 1, "strict list property 'tags' contains a null or invalid item");
	expect_error("Everything", "tags", "[\"a\", null]", 1,
		"strict list property 'tags' contains a null or invalid item");
	expect_error("Everything", "tags", "7", 1, "strict property 'tags' expects [String], got 7");
	expect_error("Strict", "need", "null", 1, "strict property 'need' expects Int32, got null");
	expect_error("Strict", "need", NULL, 1, "non-nullable property 'need' has null or invalid values");
}

Test(value, strict_dialect_accepts_declared_types)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	cr_expect_eq(convert(&sb, "Everything", "score", "3", 1, &err), 0);
	cr_expect_eq(convert(&sb, "Everything", "day", "19723", 1, &err), 0);
	cr_expect_eq(convert(&sb, "Everything", "tags", "[\"a\", \"b\"]", 1, &err), 0);
	cr_expect_eq(convert(&sb, "Everything", "small", "null", 1, &err), 0);
	msgpack_sbuffer_destroy(&sb);
}

Test(value, quotes_long_values_in_messages_briefly)
{
	char json[600];
	memset(json, 'x', sizeof json);
	json[0] = '[';
	json[sizeof json - 2] = ']';
	json[sizeof json - 1] = '\0';
	for (size_t i = 1; i < sizeof json - 2; i++)
		json[i] = i % 2 ? '1' : ',';
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	cr_expect_eq(convert(&sb, "Everything", "name", json, 1, &err), GROVE_EINVAL);
	cr_expect_lt(strlen(err.msg), 250);
	cr_expect_str_eq(err.msg + strlen(err.msg) - 3, "...");
	msgpack_sbuffer_destroy(&sb);
}

/* ---- query parameters (spec §7.1, §11) ---------------------------------- */

static struct lang_type base_type(enum lang_scalar s, int nullable)
{
	return (struct lang_type){ .scalar = (uint8_t)s, .nullable = (uint8_t)nullable };
}

static int param(msgpack_sbuffer *sb, const struct lang_type *t, const char *json, struct value_error *err)
{
	struct value_opts o = VALUE_OPTS_INIT;
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	json_t *j = parse_json(json);
	int rc = value_from_param(&pk, "v", t, j, &o, err);
	json_decref(j);
	return rc;
}

static void expect_param(struct lang_type t, const char *json, const char *bytes)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	cr_assert_eq(param(&sb, &t, json, &err), 0, "%s: %s", json ? json : "(absent)", err.msg);
	char *h = hex(sb.data, sb.size);
	cr_expect_str_eq(h, bytes, "%s: got %s", json ? json : "(absent)", h);
	free(h);
	msgpack_sbuffer_destroy(&sb);
}

static void expect_param_error(struct lang_type t, const char *json, const char *msg)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	cr_expect_lt(param(&sb, &t, json, &err), 0, "%s should fail", json ? json : "(absent)");
	cr_expect_str_eq(err.msg, msg, "got: %s", err.msg);
	cr_expect_eq(sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
}

Test(value, converts_parameters_by_declared_type)
{
	expect_param(base_type(LANG_SCALAR_STRING, 0), "\"x\"", "a1 78");
	expect_param(base_type(LANG_SCALAR_I32, 0), "5", "05");
	expect_param(base_type(LANG_SCALAR_I32, 0), "\"-5\"", "fb");
	expect_param(base_type(LANG_SCALAR_I64, 0), "-9223372036854775808", "d3 80 00 00 00 00 00 00 00");
	expect_param(base_type(LANG_SCALAR_U32, 0), "4294967295", "ce ff ff ff ff");
	expect_param(base_type(LANG_SCALAR_U64, 0), "\"9223372036854775807\"", "cf 7f ff ff ff ff ff ff ff");
	expect_param(base_type(LANG_SCALAR_F64, 0), "2", "cb 40 00 00 00 00 00 00 00");
	expect_param(base_type(LANG_SCALAR_F32, 0), "0.1", "ca 3d cc cc cd");
	expect_param(base_type(LANG_SCALAR_BOOL, 0), "false", "c2");
	expect_param(base_type(LANG_SCALAR_DATE, 0), "\"2024-01-01\"", "cd 4d 0b");
	expect_param(base_type(LANG_SCALAR_DATETIME, 0), "\"1970-01-01T00:00:01Z\"", "cd 03 e8");
	expect_param(base_type(LANG_SCALAR_BLOB, 0), "\"base64:AAE=\"", "c4 02 00 01");
	struct lang_type list = base_type(LANG_SCALAR_I32, 0);
	list.list = 1;
	expect_param(list, "[1, null, \"2\"]", "93 01 c0 02");
	struct lang_type vec = base_type(LANG_SCALAR_VECTOR, 0);
	vec.vector_dim = 2;
	expect_param(vec, "[1, 0.5]", "c4 08 00 00 80 3f 00 00 00 3f");
	expect_param(base_type(LANG_SCALAR_I32, 1), NULL, "c0");
	expect_param(base_type(LANG_SCALAR_I32, 1), "null", "c0");
}

Test(value, words_parameter_errors_as_omnigraph_does)
{
	expect_param_error(base_type(LANG_SCALAR_STRING, 0), "5", "param 'v': expected string, got number");
	expect_param_error(base_type(LANG_SCALAR_STRING, 0), "[]", "param 'v': expected string, got array");
	expect_param_error(base_type(LANG_SCALAR_I32, 0), "2147483648", "param 'v': value 2147483648 exceeds I32 (Int32 range)");
	expect_param_error(base_type(LANG_SCALAR_I32, 0), "\"-2147483649\"",
		"param 'v': value -2147483649 exceeds I32 (Int32 range)");
	expect_param_error(base_type(LANG_SCALAR_I32, 0), "1.5", "param 'v': expected integer number");
	expect_param_error(base_type(LANG_SCALAR_I32, 0), "\"12a\"", "param 'v': expected integer string, got '12a'");
	expect_param_error(base_type(LANG_SCALAR_I32, 0), "true", "param 'v': expected integer");
	expect_param_error(base_type(LANG_SCALAR_U32, 0), "4294967296", "param 'v': value 4294967296 exceeds U32 (UInt32 range)");
	expect_param_error(base_type(LANG_SCALAR_U32, 0), "-1", "param 'v': value -1 exceeds U32 (UInt32 range)");
	expect_param_error(base_type(LANG_SCALAR_U32, 0), "2.5", "param 'v': expected unsigned integer number");
	expect_param_error(base_type(LANG_SCALAR_U64, 0), "\"9223372036854775808\"",
		"param 'v': value 9223372036854775808 exceeds current engine range for U64 (max 9223372036854775807)");
	expect_param_error(base_type(LANG_SCALAR_F64, 0), "\"1.5\"", "param 'v': expected float");
	expect_param_error(base_type(LANG_SCALAR_F32, 0), "3.5e38",
		"param 'v': float value 350000000000000000000000000000000000000 exceeds Float32 range");
	expect_param_error(base_type(LANG_SCALAR_BOOL, 0), "1", "param 'v': expected boolean");
	expect_param_error(base_type(LANG_SCALAR_DATE, 0), "19723", "param 'v': expected date string");
	expect_param_error(base_type(LANG_SCALAR_DATETIME, 0), "1", "param 'v': expected datetime string");
	expect_param_error(base_type(LANG_SCALAR_DATE, 0), "\"2024-02-30\"", "param 'v': invalid Date literal '2024-02-30'");
	expect_param_error(base_type(LANG_SCALAR_BLOB, 0), "{}", "param 'v': expected blob URI string, got object");
	expect_param_error(base_type(LANG_SCALAR_BLOB, 0), "\"base64:@@@@\"",
		"param 'v': invalid base64 blob data: Invalid symbol 64, offset 0.");
	struct lang_type vec3 = base_type(LANG_SCALAR_VECTOR, 0);
	vec3.vector_dim = 3;
	expect_param_error(vec3, "[1, 3.5e38, 0]",
		"param 'v': vector element 350000000000000000000000000000000000000 exceeds Float32 range");
	/* A URI's size and emptiness before the policy, as for loads. */
	expect_param_error(base_type(LANG_SCALAR_BLOB, 0), "\"\"", "param 'v': external Blob URI must be non-empty");
	expect_param_error(base_type(LANG_SCALAR_BLOB, 0), "\"s3://b/k\"",
		"param 'v': external blob URI 's3://b/k' is not allowed: new external Blob URI ingress is denied "
		"for this graph (give the bytes as base64:...)");
	char *big = malloc(65537 + 3);
	big[0] = '"';
	memset(big + 1, 'u', 65537);
	strcpy(big + 65538, "\"");
	expect_param_error(base_type(LANG_SCALAR_BLOB, 0), big,
		"param 'v': resource limit exceeded: external Blob URI bytes: 65537 > 65536");
	free(big);
	expect_param_error(base_type(LANG_SCALAR_I32, 0), "null", "param 'v': null is not accepted for non-nullable parameter");
	expect_param_error(base_type(LANG_SCALAR_I32, 0), NULL, "parameter 'v' not provided");
}

Test(value, words_list_and_vector_parameter_errors)
{
	struct lang_type list = base_type(LANG_SCALAR_STRING, 0);
	list.list = 1;
	expect_param_error(list, "\"a\"", "param 'v': expected array for [String]");
	expect_param_error(list, "[\"a\", 1]", "param 'v': expected string, got number");
	struct lang_type vec = base_type(LANG_SCALAR_VECTOR, 0);
	vec.vector_dim = 3;
	expect_param_error(vec, "{}", "param 'v': expected array for Vector(3)");
	expect_param_error(vec, "[1, 2]", "param 'v': expected 3 values for Vector(3), got 2");
	expect_param_error(vec, "[1, \"2\", 3]", "param 'v': vector element is not numeric");
}
