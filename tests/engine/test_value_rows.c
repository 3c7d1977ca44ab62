/*
 * tests/engine/test_value_rows.c — the value layer (engine/value.h) on rows:
 * key texts and canonical ids, explicit ids, row views, enum/@range/@check
 * validation, and value comparison.  The fixture is value_testutil.c.
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "engine/value.h"
#include "grove.h"
#include "lang/catalog.h"
#include "value_testutil.h"

TestSuite(value, .init = value_setup, .fini = value_teardown);

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
	/* a float key is spelled in decimal: strtod's hex and padding are not */
	cr_expect_eq(check_id("Ratio", "{\"r\": 0.5}", "0.50", 0, &err), 0);
	cr_expect_eq(check_id("Ratio", "{\"r\": 0.5}", "5e-1", 0, &err), 0);
	cr_expect_eq(check_id("Ratio", "{\"r\": 0.5}", "0x1p-1", 0, &err), GROVE_EINVAL);
	cr_expect_eq(check_id("Ratio", "{\"r\": 0.5}", "0.5 ", 0, &err), GROVE_EINVAL);
}

Test(value, strict_explicit_ids_must_be_the_canonical_spelling)
{
	struct value_error err;
	cr_expect_eq(check_id("When", "{\"at\": 1000}", "1000", 1, &err), 0);
	cr_expect_eq(check_id("When", "{\"at\": 1000}", "1970-01-01T00:00:01Z", 1, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "node When explicit id '1970-01-01T00:00:01Z' does not match its canonical @key "
		"id '1000'");
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

Test(value, checks_patterns_with_perl_classes)
{
	struct value_error err;
	cr_expect_eq(validate("Strict", "{\"code\": \"ABC-123\", \"need\": 1}", &err), 0);
	expect_violation("Strict", "{\"code\": \"abc-123\", \"need\": 1}",
		"@check violation on Strict.code: value 'abc-123' does not match pattern '^[A-Z]{3}-\\d+$'");
	expect_violation("Strict", "{\"code\": \"ABC-\", \"need\": 1}",
		"@check violation on Strict.code: value 'ABC-' does not match pattern '^[A-Z]{3}-\\d+$'");
}

/* Validate {"code": value} (JSON text, maybe null) of Strict with only
 * @check(code, pattern). */
static int check_with(const char *pattern, const char *value, struct value_error *err)
{
	struct lang_cat_type t = *type_named("Strict");
	struct lang_cat_check chk = { .property = "code", .pattern = pattern };
	t.n_check = 1;
	t.checks = &chk;
	t.n_range = 0;
	struct value_validator v;
	cr_assert_eq(value_validator_init(&v, &t, err), 0, "%s", err->msg);
	char data[256];
	snprintf(data, sizeof data, "{\"code\": %s, \"need\": 1}", value);
	struct row_fixture f;
	row_from_json(&f, "Strict", data);
	int rc = value_validate(&v, &f.row, err);
	row_free(&f);
	value_validator_fini(&v);
	return rc;
}

Test(value, reports_patterns_that_do_not_compile_when_a_value_meets_them)
{
	struct value_error err;
	cr_expect_eq(check_with("[a-z", "\"x\"", &err), GROVE_EINVAL);
	cr_expect_eq(strncmp(err.msg, "@check on Strict.code has invalid regex '[a-z': missing terminating ]", 69), 0,
		     "%s", err.msg);
	cr_expect_eq(check_with("a{2,1}", "\"x\"", &err), GROVE_EINVAL);
	cr_expect_eq(strncmp(err.msg, "@check on Strict.code has invalid regex 'a{2,1}': ", 50), 0, "%s", err.msg);
	/* Compiled only when a value is validated: NULL is exempt. */
	cr_expect_eq(check_with("[a-z", "null", &err), 0, "%s", err.msg);
	/* RE2 has no backreferences and no look-around. */
	cr_expect_eq(check_with("^(a)\\1$", "\"aa\"", &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "@check on Strict.code has invalid regex '^(a)\\1$': backreferences are not supported");
	cr_expect_eq(check_with("a(?=b)", "\"ab\"", &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "@check on Strict.code has invalid regex 'a(?=b)': look-around, including "
			 "look-ahead and look-behind, is not supported");
	cr_expect_eq(check_with("[(?=]", "\"=\"", &err), 0, "inside brackets it is a set: %s", err.msg);
	const char *refused[] = { "a++", "(a)(?1)", "\\Ka", "(?|a)", "\\Ca", "(a)\\g1" };
	for (int i = 0; i < 6; i++)
		cr_expect_eq(check_with(refused[i], "\"a\"", &err), GROVE_EINVAL, "%s is not RE2", refused[i]);
	/* A pattern that backtracks exponentially in PCRE2's default matcher
	 * is still answered at once. */
	char value[128];
	memset(value, 'a', 60);
	strcpy(value + 60, "b\"");
	char quoted[130] = "\"";
	strcat(quoted, value);
	cr_expect_eq(check_with("^(a|a)*$", quoted, &err), GROVE_EINVAL);
	cr_expect(strstr(err.msg, "does not match pattern") != NULL, "%s", err.msg);
}

Test(value, patterns_read_the_re2_dialect)
{
	struct value_error err;
	cr_expect_eq(check_with("[\\w.+\\-]+@[\\w-]+", "\"a.b@c\"", &err), 0, "%s", err.msg);
	cr_expect_eq(check_with("^[\\S]+$", "\"abc\"", &err), 0, "%s", err.msg);
	cr_expect_eq(check_with("(?i)^abc$", "\"AbC\"", &err), 0, "%s", err.msg);
	cr_expect_eq(check_with("^(?:ab)+$", "\"abab\"", &err), 0, "%s", err.msg);
	cr_expect_eq(check_with("^\\p{Lu}+$", "\"ÉTÉ\"", &err), 0, "%s", err.msg);
	cr_expect_eq(check_with("^\\p{Lu}+$", "\"été\"", &err), GROVE_EINVAL);
	cr_expect_eq(check_with("^\\x41$", "\"A\"", &err), 0, "%s", err.msg);
	cr_expect_eq(check_with("^.$", "\"é\"", &err), 0, ". is one character: %s", err.msg);
	cr_expect_eq(check_with("^\\d+$", "\"١٢\"", &err), 0, "\\d is Unicode: %s", err.msg);
	cr_expect_eq(check_with("^a$", "\"a\\n\"", &err), GROVE_EINVAL, "$ is the very end");
	cr_expect_str_eq(err.msg, "@check violation on Strict.code: value 'a\n' does not match pattern '^a$'");
	cr_expect_eq(check_with("b", "\"abc\"", &err), 0, "unanchored: %s", err.msg);
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
