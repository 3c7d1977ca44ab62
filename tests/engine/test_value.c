/*
 * tests/engine/test_value.c — the value layer (engine/value.h): exact
 * msgpack encodings of JSON load values, JSON -> msgpack -> JSON round
 * trips for every type in both render modes, the loader's and the strict
 * dialect's messages, key texts and canonical ids, explicit ids, enum/
 * @range/@check validation, comparison, float rendering, base64 and the
 * JSON writer.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base64.h"
#include "engine/jsonw.h"
#include "engine/numfmt.h"
#include "engine/value.h"
#include "grove.h"
#include "lang/catalog.h"

static const char *const schema =
	"node Everything {\n"
	"    name: String @key\n"
	"    note: String?\n"
	"    flag: Bool?\n"
	"    small: I32?\n"
	"    large: I64?\n"
	"    count: U32?\n"
	"    huge: U64?\n"
	"    ratio: F32?\n"
	"    score: F64?\n"
	"    day: Date?\n"
	"    at: DateTime?\n"
	"    vec: Vector(3)?\n"
	"    blob: Blob?\n"
	"    tags: [String]?\n"
	"    nums: [I32]?\n"
	"    days: [Date]?\n"
	"    role: enum(member, admin, guest)?\n"
	"}\n"
	"node Strict {\n"
	"    code: String @key\n"
	"    need: I32\n"
	"    emb: Vector(2)\n"
	"    doc: Blob\n"
	"    @range(need, 0..100)\n"
	"    @check(code, \"^[A-Z]{3}-\\\\d+$\")\n"
	"}\n"
	"node Measurement {\n"
	"    name: String @key\n"
	"    temperature: F64?\n"
	"    level: F32?\n"
	"    @range(temperature, -40.0..60.0)\n"
	"    @range(level, 0..1)\n"
	"}\n"
	"node RenamedPair {\n"
	"    aaaa: Date @rename_from(\"zeta\")\n"
	"    zzzz: U32 @rename_from(\"alpha\")\n"
	"    label: String\n"
	"    @key(aaaa, zzzz)\n"
	"}\n"
	"node Counter { sequence: U64 @key }\n"
	"node Ratio { r: F32 @key }\n"
	"node When { at: DateTime @key }\n";

static struct lang_catalog *cat;

static void setup(void)
{
	struct lang_diag d = LANG_DIAG_INIT;
	int rc = lang_catalog_from_text(&cat, schema, strlen(schema), &d);
	cr_assert_eq(rc, 0, "schema: %s", d.message ? d.message : "");
	lang_diag_clear(&d);
}

static void teardown(void)
{
	lang_catalog_free(cat);
}

TestSuite(value, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

static const struct lang_cat_type *type_named(const char *t)
{
	const struct lang_cat_type *ty = lang_catalog_node(cat, t);
	cr_assert_not_null(ty, "no type %s", t);
	return ty;
}

static const struct lang_cat_property *prop(const char *t, const char *p)
{
	const struct lang_cat_property *pr = lang_cat_type_prop(type_named(t), p);
	cr_assert_not_null(pr, "no property %s.%s", t, p);
	return pr;
}

/* A JSON integer literal beyond int64, as the JSONL reader makes it. */
static json_t *bigint(const char *digits)
{
	char buf[64];
	buf[0] = '\0';
	snprintf(buf + 1, sizeof buf - 1, "%s", digits);
	return json_stringn(buf, strlen(digits) + 1);
}

static json_t *parse_json(const char *text)
{
	if (text == NULL)
		return NULL;
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	cr_assert_not_null(j, "bad test JSON %s: %s", text, e.text);
	return j;
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
	expect_error("Everything", "day", "\"2024-13-01\"", 0, "invalid Date literal '2024-13-01'");
	expect_error("Everything", "day", "\"2023-02-29\"", 0, "invalid Date literal '2023-02-29'");
	expect_error("Everything", "at", "\"noon\"", 0, "invalid DateTime literal 'noon'");
	expect_error("Everything", "days", "[\"2024-01-01\", \"x\"]", 0, "invalid Date literal 'x'");
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
	expect_error("Everything", "blob", "\"base64:SGV*\"", 0, "invalid base64 blob data: Invalid symbol 42, offset 3.");
	expect_error("Everything", "blob", "\"base64:SGV\"", 0, "invalid base64 blob data: Invalid input length: 3.");
	expect_error("Everything", "blob", "\"base64:SGVsbG9=\"", 0,
		"invalid base64 blob data: Invalid last symbol 57, offset 6.");
	expect_error("Everything", "blob", "\"base64:SG=s\"", 0, "invalid base64 blob data: Invalid padding");
}

Test(value, refuses_external_blob_uris_unless_allowed)
{
	expect_error("Everything", "blob", "\"s3://bucket/key\"", 0,
		"blob property 'blob': external blob URI 's3://bucket/key' is not allowed (the external blob policy "
		"denies URIs; give the bytes as base64:...)");
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
	expect_error("Everything", "small", "\"12\"", 1, "strict property 'small' expects I32, got \"12\"");
	expect_error("Everything", "small", "1.5", 1, "strict property 'small' expects I32, got 1.5");
	expect_error("Everything", "flag", "1", 1, "strict property 'flag' expects Bool, got 1");
	expect_error("Everything", "name", "[1,{\"a\":null}]", 1,
		"strict property 'name' expects String, got [1,{\"a\":null}]");
	expect_error("Everything", "role", "7", 1, "strict property 'role' expects enum(admin, guest, member), got 7");
	expect_error("Everything", "day", "false", 1, "strict property 'day' expects Date, got false");
	expect_error("Everything", "vec", "\"x\"", 1, "strict property 'vec' expects Vector(3), got \"x\"");
	expect_error("Everything", "tags", "[\"a\", 5]", 1, "strict property 'tags' expects [String], got 5");
	expect_error("Strict", "need", "null", 1, "strict property 'need' expects I32, got null");
	expect_error("Strict", "need", NULL, 1, "non-nullable property 'need' has null or invalid values");
}

Test(value, strict_dialect_accepts_declared_types)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct value_error err;
	cr_expect_eq(convert(&sb, "Everything", "score", "3", 1, &err), 0);
	cr_expect_eq(convert(&sb, "Everything", "day", "19723", 1, &err), 0);
	cr_expect_eq(convert(&sb, "Everything", "tags", "[\"a\", null]", 1, &err), 0);
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

/* ---- rows, keys and ids (spec §7.7) ------------------------------------- */

struct row_fixture {
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	struct value_row row;
};

/* The row ["x", v1..vN] of type t from a JSON data object. */
static void row_from_json(struct row_fixture *f, const char *t, const char *data)
{
	const struct lang_cat_type *ty = type_named(t);
	json_t *j = parse_json(data);
	msgpack_sbuffer_init(&f->sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &f->sb, msgpack_sbuffer_write);
	const struct lang_cat_property **by_id;
	uint32_t n;
	cr_assert_eq(value_props_by_id(&by_id, &n, ty), 0);
	msgpack_pack_array(&pk, n + 1);
	msgpack_pack_str_with_body(&pk, "x", 1);
	struct value_opts o = VALUE_OPTS_INIT;
	struct value_error err;
	for (uint32_t k = 0; k < n; k++) {
		if (by_id[k] == NULL) {
			msgpack_pack_nil(&pk);
			continue;
		}
		const json_t *v = json_object_get(j, by_id[k]->name);
		if (v == NULL || json_is_null(v))
			msgpack_pack_nil(&pk);   /* a fixture may leave required values out */
		else
			cr_assert_eq(value_from_json(&pk, by_id[k], v, &o, &err), 0, "%s", err.msg);
	}
	free(by_id);
	json_decref(j);
	msgpack_unpacked_init(&f->u);
	size_t off = 0;
	cr_assert_eq(msgpack_unpack_next(&f->u, f->sb.data, f->sb.size, &off), MSGPACK_UNPACK_SUCCESS);
	cr_assert_eq(value_row_view(&f->row, &f->u.data, ty, &err), 0, "%s", err.msg);
}

static void row_free(struct row_fixture *f)
{
	msgpack_unpacked_destroy(&f->u);
	msgpack_sbuffer_destroy(&f->sb);
}

static void expect_id(const char *t, const char *data, const char *expected)
{
	struct row_fixture f;
	row_from_json(&f, t, data);
	char *id = NULL;
	size_t len = 0;
	struct value_error err;
	int rc = value_canonical_id(&id, &len, type_named(t), &f.row, &err);
	cr_assert_eq(rc, 0, "%s %s: %s", t, data, err.msg);
	cr_expect_str_eq(id, expected, "%s %s: got %s", t, data, id);
	cr_expect_eq(len, strlen(expected));
	free(id);
	row_free(&f);
}

static void expect_id_error(const char *t, const char *data, const char *msg)
{
	struct row_fixture f;
	row_from_json(&f, t, data);
	char *id = NULL;
	size_t len;
	struct value_error err;
	cr_expect_eq(value_canonical_id(&id, &len, type_named(t), &f.row, &err), GROVE_EINVAL);
	cr_expect_null(id);
	cr_expect_str_eq(err.msg, msg, "got: %s", err.msg);
	row_free(&f);
}

static void expect_key_text(const char *t, const char *p, const msgpack_object *o, const char *expected)
{
	char *text = NULL;
	size_t len;
	struct value_error err;
	int rc = value_key_text(&text, &len, &prop(t, p)->type, o, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_str_eq(text, expected, "got %s", text);
	free(text);
}

Test(value, renders_scalar_key_texts_per_type)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_STR, .via.str = { 5, "Alice" } };
	expect_key_text("Everything", "name", &o, "Alice");
	o = (msgpack_object){ .type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true };
	expect_key_text("Everything", "flag", &o, "true");
	o = (msgpack_object){ .type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = -5 };
	expect_key_text("Everything", "small", &o, "-5");
	o = (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = UINT64_MAX };
	expect_key_text("Everything", "huge", &o, "18446744073709551615");
	o = (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = 19723 };
	expect_key_text("Everything", "day", &o, "19723");
	o = (msgpack_object){ .type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = -1 };
	expect_key_text("Everything", "at", &o, "-1");
}

Test(value, renders_float_keys_shortest_without_exponent)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT32, .via.f64 = (double)0.1f };
	expect_key_text("Everything", "ratio", &o, "0.1");
	o.via.f64 = (double)FLT_MAX;
	expect_key_text("Everything", "ratio", &o, "340282350000000000000000000000000000000");
	o.via.f64 = -0.0;
	expect_key_text("Everything", "ratio", &o, "0");
	o = (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = 2.0 };
	expect_key_text("Everything", "score", &o, "2");
	o.via.f64 = 0.1;
	expect_key_text("Everything", "score", &o, "0.1");
	o.via.f64 = 1e-7;
	expect_key_text("Everything", "score", &o, "0.0000001");
	o.via.f64 = -123.456;
	expect_key_text("Everything", "score", &o, "-123.456");
	o.via.f64 = 1e21;
	expect_key_text("Everything", "score", &o, "1000000000000000000000");
}

Test(value, refuses_non_finite_and_unkeyable_key_values)
{
	const char *msgs[] = {
		"scalar key: non-finite value NaN cannot identify an entity",
		"scalar key: non-finite value inf cannot identify an entity",
		"scalar key: non-finite value -inf cannot identify an entity",
	};
	double vals[] = { NAN, INFINITY, -INFINITY };
	for (int i = 0; i < 3; i++) {
		msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = vals[i] };
		char *text = NULL;
		size_t len;
		struct value_error err;
		cr_expect_eq(value_key_text(&text, &len, &prop("Everything", "score")->type, &o, &err), GROVE_EINVAL);
		cr_expect_str_eq(err.msg, msgs[i]);
	}
	msgpack_object bin = { .type = MSGPACK_OBJECT_BIN };
	char *text;
	size_t len;
	struct value_error err;
	cr_expect_eq(value_key_text(&text, &len, &prop("Everything", "vec")->type, &bin, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "scalar key: a Vector(3) value cannot identify an entity");
}

Test(value, derives_single_member_ids)
{
	expect_id("Everything", "{\"name\": \"Alice\"}", "Alice");
	expect_id("Counter", "{\"sequence\": 9223372036854775807}", "9223372036854775807");
	expect_id("Ratio", "{\"r\": 0.1}", "0.1");
	expect_id("When", "{\"at\": \"1970-01-01T00:00:01Z\"}", "1000");
}

Test(value, derives_composite_ids_in_property_id_order)
{
	expect_id("RenamedPair", "{\"aaaa\": 19723, \"zzzz\": 7}", "[\"19723\",\"7\"]");
	expect_id("RenamedPair", "{\"zzzz\": 8, \"aaaa\": \"2024-01-02\"}", "[\"19724\",\"8\"]");
}

Test(value, names_missing_key_members)
{
	expect_id_error("Everything", "{}", "node Everything missing @key property 'name'");
	expect_id_error("RenamedPair", "{\"aaaa\": 1}", "node RenamedPair missing @key properties (aaaa, zzzz)");
}

static int check_id(const char *t, const char *data, const char *given, int exact, struct value_error *err)
{
	struct row_fixture f;
	row_from_json(&f, t, data);
	char *id = NULL;
	size_t len;
	cr_assert_eq(value_canonical_id(&id, &len, type_named(t), &f.row, err), 0);
	int rc = value_check_explicit_id(type_named(t), &f.row, id, given, strlen(given), exact, err);
	free(id);
	row_free(&f);
	return rc;
}

Test(value, accepts_explicit_ids_that_spell_the_key_in_its_type)
{
	struct value_error err;
	cr_expect_eq(check_id("Everything", "{\"name\": \"Alice\"}", "Alice", 0, &err), 0);
	cr_expect_eq(check_id("When", "{\"at\": 1000}", "1970-01-01T00:00:01Z", 0, &err), 0);
	cr_expect_eq(check_id("When", "{\"at\": 1000}", "1000", 0, &err), 0);
	cr_expect_eq(check_id("Ratio", "{\"r\": 0.1}", "0.100000001", 0, &err), 0);
	cr_expect_eq(check_id("Counter", "{\"sequence\": 7}", "007", 0, &err), 0);
	cr_expect_eq(check_id("RenamedPair", "{\"aaaa\": 19723, \"zzzz\": 7}", "[\"19723\",\"7\"]", 0, &err), 0);
	/* legacy scalar ids: one member's value */
	cr_expect_eq(check_id("RenamedPair", "{\"aaaa\": 19723, \"zzzz\": 7}", "7", 0, &err), 0);
	cr_expect_eq(check_id("RenamedPair", "{\"aaaa\": \"2024-01-02\", \"zzzz\": 8}", "2024-01-02", 0, &err), 0);
	cr_expect_eq(check_id("RenamedPair", "{\"aaaa\": \"2024-01-02\", \"zzzz\": 8}", "19724", 0, &err), 0);
	cr_expect_eq(check_id("RenamedPair", "{\"aaaa\": \"2024-01-02\", \"zzzz\": 8}", "20240102", 0, &err), 0);
}

Test(value, refuses_explicit_ids_that_name_another_key)
{
	struct value_error err;
	cr_expect_eq(check_id("Counter", "{\"sequence\": 9223372036854775807}", "wrong-id", 0, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "node Counter has explicit id 'wrong-id' that does not match @key property "
		"'sequence' canonical value '9223372036854775807'");
	cr_expect_eq(check_id("RenamedPair", "{\"aaaa\": 19723, \"zzzz\": 7}", "8", 0, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "node RenamedPair has explicit id '8' that does not match @key properties "
		"(aaaa, zzzz) canonical value '[\"19723\",\"7\"]'");
	cr_expect_eq(check_id("Everything", "{\"name\": \"Alice\"}", "alice", 0, &err), GROVE_EINVAL);
}

Test(value, strict_explicit_ids_must_be_the_canonical_spelling)
{
	struct value_error err;
	cr_expect_eq(check_id("When", "{\"at\": 1000}", "1000", 1, &err), 0);
	cr_expect_eq(check_id("When", "{\"at\": 1000}", "1970-01-01T00:00:01Z", 1, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "node When has explicit id '1970-01-01T00:00:01Z' that does not match @key "
		"property 'at' canonical value '1000'");
	cr_expect_eq(check_id("RenamedPair", "{\"aaaa\": 19723, \"zzzz\": 7}", "7", 1, &err), GROVE_EINVAL);
}

Test(value, views_rows_and_reads_slots_past_the_end_as_nil)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_str_with_body(&pk, "Alice", 5);
	msgpack_pack_str_with_body(&pk, "x", 1);
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	cr_assert_eq(msgpack_unpack_next(&u, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
	struct value_row row;
	struct value_error err;
	cr_assert_eq(value_row_view(&row, &u.data, type_named("Everything"), &err), 0);
	cr_expect_eq(row.id_len, 5);
	cr_expect_eq(memcmp(row.id, "Alice", 5), 0);
	cr_expect_eq(row.n_slots, 1);
	cr_expect_eq(value_row_get(&row, 1)->type, MSGPACK_OBJECT_STR);
	cr_expect_eq(value_row_get(&row, 9)->type, MSGPACK_OBJECT_NIL);
	msgpack_object notarow = { .type = MSGPACK_OBJECT_NIL };
	cr_expect_eq(value_row_view(&row, &notarow, type_named("Everything"), &err), GROVE_ECORRUPT);
	cr_expect_str_eq(err.msg, "corrupt row of Everything: not an array of at least 1 items");
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- constraints (spec §8.4) -------------------------------------------- */

static int validate(const char *t, const char *data, struct value_error *err)
{
	struct value_validator v;
	int rc = value_validator_init(&v, type_named(t), err);
	cr_assert_eq(rc, 0, "%s", err->msg);
	struct row_fixture f;
	row_from_json(&f, t, data);
	rc = value_validate(&v, &f.row, err);
	row_free(&f);
	value_validator_fini(&v);
	return rc;
}

static void expect_violation(const char *t, const char *data, const char *msg)
{
	struct value_error err;
	cr_expect_eq(validate(t, data, &err), GROVE_EINVAL, "%s should violate", data);
	cr_expect_str_eq(err.msg, msg, "got: %s", err.msg);
}

Test(value, checks_enum_membership)
{
	struct value_error err;
	cr_expect_eq(validate("Everything", "{\"name\": \"a\", \"role\": \"admin\"}", &err), 0);
	cr_expect_eq(validate("Everything", "{\"name\": \"a\"}", &err), 0);
	expect_violation("Everything", "{\"name\": \"a\", \"role\": \"superadmin\"}",
		"invalid enum value 'superadmin' for Everything.role (expected: admin, guest, member)");
	expect_violation("Everything", "{\"name\": \"a\", \"role\": \"Admin\"}",
		"invalid enum value 'Admin' for Everything.role (expected: admin, guest, member)");
	expect_violation("Everything", "{\"name\": \"a\", \"role\": \"adm\"}",
		"invalid enum value 'adm' for Everything.role (expected: admin, guest, member)");
}

Test(value, checks_integer_ranges)
{
	struct value_error err;
	cr_expect_eq(validate("Strict", "{\"code\": \"ABC-1\", \"need\": 0}", &err), 0);
	cr_expect_eq(validate("Strict", "{\"code\": \"ABC-1\", \"need\": 100}", &err), 0);
	expect_violation("Strict", "{\"code\": \"ABC-1\", \"need\": 250}", "@range violation on Strict.need: value 250 > max 100");
	expect_violation("Strict", "{\"code\": \"ABC-1\", \"need\": -1}", "@range violation on Strict.need: value -1 < min 0");
}

Test(value, checks_float_ranges_mathematically)
{
	struct value_error err;
	cr_expect_eq(validate("Measurement", "{\"name\": \"x\", \"temperature\": -20.0}", &err), 0);
	cr_expect_eq(validate("Measurement", "{\"name\": \"x\", \"temperature\": 60}", &err), 0);
	expect_violation("Measurement", "{\"name\": \"x\", \"temperature\": -50.0}",
		"@range violation on Measurement.temperature: value -50 < min -40");
	expect_violation("Measurement", "{\"name\": \"x\", \"temperature\": 60.000001}",
		"@range violation on Measurement.temperature: value 60.000001 > max 60");
	expect_violation("Measurement", "{\"name\": \"x\", \"level\": 1.1}",
		"@range violation on Measurement.level: value 1.1 > max 1");
}

Test(value, reports_nan_against_a_range)
{
	const struct lang_cat_type *t = type_named("Measurement");
	uint32_t temp = prop("Measurement", "temperature")->id;
	msgpack_object slots[8];
	for (int i = 0; i < 8; i++)
		slots[i] = (msgpack_object){ .type = MSGPACK_OBJECT_NIL };
	slots[temp - 1] = (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = NAN };
	struct value_row row = { .id = "x", .id_len = 1, .slots = slots, .n_slots = t->next_prop_id - 1 };
	struct value_validator v;
	struct value_error err;
	cr_assert_eq(value_validator_init(&v, t, &err), 0);
	cr_expect_eq(value_validate(&v, &row, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "@range violation on Measurement.temperature: value is NaN");
	value_validator_fini(&v);
}

Test(value, checks_patterns_with_perl_classes_translated)
{
	struct value_error err;
	cr_expect_eq(validate("Strict", "{\"code\": \"ABC-123\", \"need\": 1}", &err), 0);
	expect_violation("Strict", "{\"code\": \"abc-123\", \"need\": 1}",
		"@check violation on Strict.code: value 'abc-123' does not match pattern '^[A-Z]{3}-\\d+$'");
	expect_violation("Strict", "{\"code\": \"ABC-\", \"need\": 1}",
		"@check violation on Strict.code: value 'ABC-' does not match pattern '^[A-Z]{3}-\\d+$'");
}

static int compile_pattern(const char *pattern, struct value_error *err)
{
	struct lang_cat_type t = *type_named("Strict");
	struct lang_cat_check chk = { .property = "code", .pattern = pattern };
	t.n_check = 1;
	t.checks = &chk;
	struct value_validator v;
	int rc = value_validator_init(&v, &t, err);
	if (rc == 0)
		value_validator_fini(&v);
	return rc;
}

Test(value, reports_patterns_that_do_not_compile)
{
	struct value_error err;
	cr_expect_eq(compile_pattern("[a-z", &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "@check on Strict.code: invalid pattern '[a-z': unterminated bracket expression");
	cr_expect_eq(compile_pattern("a{2,1}", &err), GROVE_EINVAL);
	cr_expect_eq(strncmp(err.msg, "@check on Strict.code: invalid pattern 'a{2,1}': ", 49), 0, "%s", err.msg);
	cr_expect_eq(compile_pattern("[\\w.+\\-]+@[\\w-]+", &err), 0, "%s", err.msg);
	cr_expect_eq(compile_pattern("[\\S]", &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "@check on Strict.code: invalid pattern '[\\S]': unsupported escape \\S inside brackets");
}

/* ---- comparison (spec §7.3) --------------------------------------------- */

static msgpack_object num_u(uint64_t u) { return (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = u }; }
static msgpack_object num_i(int64_t i) { return (msgpack_object){ .type = MSGPACK_OBJECT_NEGATIVE_INTEGER, .via.i64 = i }; }
static msgpack_object num_f(double f) { return (msgpack_object){ .type = MSGPACK_OBJECT_FLOAT64, .via.f64 = f }; }
static msgpack_object str_o(const char *s) { return (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { (uint32_t)strlen(s), s } }; }

#define CMP(a, b) ({ msgpack_object x_ = (a), y_ = (b); value_compare(&x_, &y_); })

Test(value, compares_numbers_mathematically_across_encodings)
{
	cr_expect_eq(CMP(num_u(2), num_f(2.0)), VALUE_EQ);
	cr_expect_eq(CMP(num_u(2), num_f(2.7)), VALUE_LT);
	cr_expect_eq(CMP(num_f(2.7), num_u(2)), VALUE_GT);
	cr_expect_eq(CMP(num_i(-3), num_f(-2.5)), VALUE_LT);
	cr_expect_eq(CMP(num_i(-3), num_u(0)), VALUE_LT);
	cr_expect_eq(CMP(num_u(UINT64_MAX), num_i(INT64_MIN)), VALUE_GT);
	cr_expect_eq(CMP(num_u(UINT64_MAX), num_f(18446744073709551616.0)), VALUE_LT);
	cr_expect_eq(CMP(num_u(9007199254740993ULL), num_f(9007199254740992.0)), VALUE_GT);
	cr_expect_eq(CMP(num_i(INT64_MIN), num_f(-9223372036854775808.0)), VALUE_EQ);
	cr_expect_eq(CMP(num_f(-0.0), num_f(0.0)), VALUE_EQ);
	cr_expect_eq(CMP(num_f(NAN), num_f(NAN)), VALUE_EQ);
	cr_expect_eq(CMP(num_f(NAN), num_f(INFINITY)), VALUE_GT);
	cr_expect_eq(CMP(num_u(5), num_f(NAN)), VALUE_LT);
	msgpack_object f32 = { .type = MSGPACK_OBJECT_FLOAT32, .via.f64 = (double)0.1f };
	cr_expect_eq(CMP(f32, num_f(0.1)), VALUE_GT);
}

Test(value, compares_strings_bytewise_and_bools_false_first)
{
	cr_expect_eq(CMP(str_o("a"), str_o("b")), VALUE_LT);
	cr_expect_eq(CMP(str_o("ab"), str_o("a")), VALUE_GT);
	cr_expect_eq(CMP(str_o("Z"), str_o("a")), VALUE_LT);
	cr_expect_eq(CMP(str_o("\xc3\xa9"), str_o("z")), VALUE_GT);
	cr_expect_eq(CMP(str_o(""), str_o("")), VALUE_EQ);
	msgpack_object t = { .type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true };
	msgpack_object f = { .type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = false };
	cr_expect_eq(CMP(f, t), VALUE_LT);
}

Test(value, reports_null_and_incomparable_pairs_apart)
{
	msgpack_object nil = { .type = MSGPACK_OBJECT_NIL };
	cr_expect_eq(CMP(nil, num_u(1)), VALUE_NULL);
	cr_expect_eq(CMP(str_o("a"), nil), VALUE_NULL);
	cr_expect_eq(CMP(nil, nil), VALUE_NULL);
	cr_expect_eq(CMP(str_o("1"), num_u(1)), VALUE_INCOMPARABLE);
}

/* ---- numbers, base64, the JSON writer ----------------------------------- */

static void expect_json_num(double x, const char *expected)
{
	char buf[NUMFMT_JSON_MAX];
	size_t n = numfmt_json_f64(buf, x);
	cr_expect_str_eq(buf, expected, "got %s", buf);
	cr_expect_eq(n, strlen(expected));
}

Test(numfmt, prints_json_floats_like_serde)
{
	expect_json_num(0.1, "0.1");
	expect_json_num((double)0.1f, "0.10000000149011612");
	expect_json_num(2.0, "2.0");
	expect_json_num(-0.0, "-0.0");
	expect_json_num(0.0, "0.0");
	expect_json_num(1e300, "1e300");
	expect_json_num(1.5e300, "1.5e300");
	expect_json_num(1e-7, "1e-7");
	expect_json_num(0.001234, "0.001234");
	expect_json_num(12340000000.0, "12340000000.0");
	expect_json_num(1e15, "1000000000000000.0");
	expect_json_num(1e16, "1e16");
	expect_json_num(123.456, "123.456");
	expect_json_num(5e-324, "5e-324");
	expect_json_num(DBL_MAX, "1.7976931348623157e308");
	expect_json_num(-2.5e-5, "-0.000025");
}

Test(numfmt, prints_plain_floats_at_their_width)
{
	char buf[NUMFMT_PLAIN_MAX];
	numfmt_plain_f32(buf, 0.1f);
	cr_expect_str_eq(buf, "0.1");
	numfmt_plain_f32(buf, 16777216.0f);
	cr_expect_str_eq(buf, "16777216");
	numfmt_plain_f32(buf, 1e-45f);
	cr_expect_str_eq(buf, "0.000000000000000000000000000000000000000000001");
	numfmt_plain_f64(buf, (double)0.1f);
	cr_expect_str_eq(buf, "0.10000000149011612");
	numfmt_plain_f64(buf, -0.0);
	cr_expect_str_eq(buf, "0");
	numfmt_plain_f64(buf, 5e-324);
	cr_expect_eq(strlen(buf), 326);
	numfmt_plain_f64(buf, -DBL_MAX);
	cr_expect_eq(strlen(buf), 310);
}

Test(numfmt, round_trips_random_doubles_and_floats)
{
	uint64_t s = 0x9E3779B97F4A7C15ULL;
	char buf[NUMFMT_PLAIN_MAX];
	for (int i = 0; i < 20000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		double d;
		memcpy(&d, &s, 8);
		if (!isfinite(d))
			continue;
		numfmt_json_f64(buf, d);
		cr_assert_eq(strtod(buf, NULL), d, "%s", buf);
		numfmt_plain_f64(buf, d);
		cr_assert(strtod(buf, NULL) == d || d == 0, "%s", buf);
		float f;
		uint32_t b = (uint32_t)s;
		memcpy(&f, &b, 4);
		if (!isfinite(f))
			continue;
		numfmt_plain_f32(buf, f);
		cr_assert(strtof(buf, NULL) == f, "%s", buf);
	}
}

Test(base64, encodes_rfc4648_vectors)
{
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	for (int i = 0; i < 7; i++) {
		char buf[16] = { 0 };
		base64_encode(buf, in[i], strlen(in[i]));
		cr_expect_str_eq(buf, out[i]);
		cr_expect_eq(base64_encoded_len(strlen(in[i])), strlen(out[i]));
	}
}

Test(base64, round_trips_every_length_and_byte)
{
	unsigned char data[300], back[310];
	char text[420], detail[BASE64_DETAIL_MAX];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof data; n++) {
		size_t len = base64_encoded_len(n), got;
		base64_encode(text, data, n);
		cr_assert_eq(base64_decode(back, &got, text, len, detail), 0, "%zu: %s", n, detail);
		cr_assert_eq(got, n);
		cr_assert_eq(memcmp(back, data, n), 0);
	}
}

Test(base64, refuses_non_canonical_input)
{
	unsigned char out[16];
	size_t n;
	char detail[BASE64_DETAIL_MAX];
	cr_expect_eq(base64_decode(out, &n, "Zg=", 3, detail), GROVE_EINVAL);
	cr_expect_str_eq(detail, "Invalid input length: 3.");
	cr_expect_eq(base64_decode(out, &n, "Zh==", 4, detail), GROVE_EINVAL);
	cr_expect_str_eq(detail, "Invalid last symbol 104, offset 1.");
	cr_expect_eq(base64_decode(out, &n, "Z===", 4, detail), GROVE_EINVAL);
	cr_expect_eq(base64_decode(out, &n, "Zg== ", 5, detail), GROVE_EINVAL);
	cr_expect_eq(base64_decode(out, &n, "Zm 9", 4, detail), GROVE_EINVAL);
	cr_expect_str_eq(detail, "Invalid symbol 32, offset 2.");
	cr_expect_eq(base64_decode(out, &n, "Zm9v", 4, detail), 0);
	cr_expect_eq(n, 3);
}

Test(jsonw, escapes_strings_like_serde_json)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_string(&w, "a\"b\\c\n\t\x01\x1f/\x7f\xc3\xa9", 13);
	cr_expect_str_eq(w.buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\x7f\xc3\xa9\"");
	jsonw_fini(&w);
}

Test(jsonw, writes_compact_documents_and_json_lines)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_key_cstr(&w, "a");
	jsonw_array_begin(&w);
	jsonw_int(&w, -1);
	jsonw_uint(&w, UINT64_MAX);
	jsonw_double(&w, 0.5);
	jsonw_bool(&w, 0);
	jsonw_null(&w);
	jsonw_raw(&w, "{}", 2);
	jsonw_array_end(&w);
	jsonw_key_cstr(&w, "b");
	jsonw_cstr(&w, "x");
	jsonw_object_end(&w);
	jsonw_newline(&w);
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_newline(&w);
	cr_expect_eq(jsonw_error(&w), 0);
	cr_expect_str_eq(w.buf, "{\"a\":[-1,18446744073709551615,0.5,false,null,{}],\"b\":\"x\"}\n[]\n");
	jsonw_fini(&w);
}

Test(jsonw, reports_misuse_and_its_byte_bound_stickily)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_int(&w, 1);   /* a value without a key */
	cr_expect_eq(jsonw_error(&w), GROVE_EINVAL);
	jsonw_reset(&w);
	jsonw_array_end(&w);
	cr_expect_eq(jsonw_error(&w), GROVE_EINVAL);
	jsonw_fini(&w);
	jsonw_init(&w, 8);
	jsonw_cstr(&w, "0123456789");
	cr_expect_eq(jsonw_error(&w), GROVE_ETOOBIG);
	jsonw_null(&w);
	cr_expect_eq(jsonw_error(&w), GROVE_ETOOBIG);
	jsonw_fini(&w);
	jsonw_init(&w, 0);
	for (int i = 0; i <= JSONW_DEPTH_MAX; i++)
		jsonw_array_begin(&w);
	cr_expect_eq(jsonw_error(&w), GROVE_EINVAL);
	jsonw_fini(&w);
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
	expect_param_error(base_type(LANG_SCALAR_DATE, 0), "\"2024-02-30\"", "invalid Date literal '2024-02-30'");
	expect_param_error(base_type(LANG_SCALAR_BLOB, 0), "{}", "param 'v': expected blob URI string, got object");
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
