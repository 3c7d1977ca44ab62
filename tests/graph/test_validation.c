/* test_validation.c — a mutation's value rules (enum, @range, @check) are
 * judged on the final state of the whole change (spec §3.12, §8.4): a
 * value a later statement of the same mutation replaces never counts, a
 * value left in place fails the mutation with nothing written.  Also how
 * a required Blob and a composite key duplicate are worded. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"

static const char schema[] =
	"node P {\n"
	"    name: String @key\n"
	"    role: enum(admin, guest)?\n"
	"    age: I32?\n"
	"    code: String?\n"
	"    @range(age, 0..100)\n"
	"    @check(code, \"^[A-Z]+$\")\n"
	"}\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	db = gt_scratch(&dir, "validation", schema);
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(validation, .init = setup, .fini = teardown);

static void commits(const char *gq, const char *params, uint32_t affected)
{
	char *out = NULL, want[64];
	cr_assert_eq(grove_mutate_json(&out, db, NULL, gq, "q", params), 0, "%s: %s", gq,
		     grove_errmsg(db));
	snprintf(want, sizeof want, "\"affected_nodes\":%u", affected);
	cr_assert(strstr(out, want) && !strstr(out, "\"commit\":null"), "%s", out);
	grove_free(out);
}

static void refused(const char *gq, const char *params, const char *message)
{
	char *out = NULL, *before = gt_export(db, NULL, NULL);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, gq, "q", params), GROVE_EINVAL, "%s", gq);
	cr_assert_null(out);
	cr_assert_str_eq(grove_errmsg(db), message);
	char *after = gt_export(db, NULL, NULL);
	cr_assert_str_eq(before, after, "a refused mutation wrote nothing");
	free(before);
	free(after);
}

static void holds(const char *id, const char *fragment)
{
	char *e = NULL;
	grove_target t = { "main", NULL };
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:P", id), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(e, fragment), "%s lacks %s", e, fragment);
	grove_free(e);
}

Test(validation, a_value_a_later_statement_replaces_never_counts)
{
	commits("query q($r: String) { insert P { name: \"A\", role: $r } "
		"insert P { name: \"A\", role: \"admin\" } }", "{\"r\":\"boss\"}", 2);
	holds("A", "\"role\":\"admin\"");
	commits("query q() { insert P { name: \"B\", age: 300 } update P set { age: 3 } where name = \"B\" }",
		NULL, 2);
	holds("B", "\"age\":3");
	commits("query q() { insert P { name: \"C\", code: \"x\" } insert P { name: \"C\", code: \"X\" } }",
		NULL, 2);
	holds("C", "\"code\":\"X\"");
}

Test(validation, a_value_left_in_the_final_state_fails_the_whole_mutation)
{
	refused("query q($r: String) { insert P { name: \"A\", role: \"admin\" } "
		"insert P { name: \"D\", role: $r } }", "{\"r\":\"boss\"}",
		"invalid enum value 'boss' for P.role (expected: admin, guest)");
	commits("query q() { insert P { name: \"A\", age: 1 } }", NULL, 1);
	refused("query q() { update P set { age: 300 } where name = \"A\" }", NULL,
		"@range violation on P.age: value 300 > max 100");
	refused("query q() { insert P { name: \"E\", code: \"X\" } update P set { code: \"x\" } where name = \"E\" }",
		NULL, "@check violation on P.code: value 'x' does not match pattern '^[A-Z]+$'");
	/* An update that matches nothing writes no value: nothing to judge. */
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL,
				       "query q() { update P set { age: 300 } where name = \"nobody\" }", "q", NULL),
		     0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"commit\":null"), "%s", out);
	grove_free(out);
}

/* A required Blob left without a value at run time (a null parameter;
 * leaving it out is T12) is named as one (spec §9.4, as OmniGraph's
 * insert words it); other properties keep the plain message. */
Test(validation, a_required_blob_without_a_value_is_named_as_a_blob)
{
	char *bdir, *out = NULL;
	grove_db *g = gt_scratch(&bdir, "validation-blob",
				 "node B {\n    name: String @key\n    bl: Blob\n    note: String\n}\n");
	static const char gq[] =
		"query q($b: String?) { insert B { name: \"a\", bl: $b, note: \"n\" } }\n"
		"query plain($b: String, $n: String?) { insert B { name: \"a\", bl: $b, note: $n } }\n";
	cr_assert_eq(grove_mutate_json(&out, g, NULL, gq, "q", "{\"b\":null}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(g), "missing required blob property 'bl'");
	cr_assert_eq(grove_mutate_json(&out, g, NULL, gq, "plain", "{\"b\":\"base64:AA==\",\"n\":null}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(g), "missing required property 'note'");
	cr_assert_null(out);
	cr_assert_eq(gt_count(g, NULL, NULL, "node:B"), 0);
	gt_scratch_done(g, bdir);
}

/* A duplicate of a composite @key shows the key's tuple as OmniGraph's
 * format_tuple does, `(x, 7)`, and the ids holding it (spec §8.2). */
Test(validation, a_duplicate_composite_key_shows_its_tuple)
{
	char *kdir;
	grove_db *g = gt_scratch(&kdir, "validation-key",
				 "node K {\n    a: String\n    b: I32\n    @key(a, b)\n}\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND,
			     "{\"type\":\"K\",\"data\":{\"a\":\"x\",\"b\":7}}\n"
			     "{\"type\":\"K\",\"data\":{\"a\":\"x\",\"b\":7}}\n", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(g), "@unique violation on K.(a, b): value '(x, 7)' held by "
			 "'[\"x\",\"7\"]' and '[\"x\",\"7\"]' (record 2, line 2)");
	cr_assert_eq(gt_count(g, NULL, NULL, "node:K"), 0);
	gt_scratch_done(g, kdir);
}
