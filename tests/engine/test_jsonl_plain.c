/*
 * tests/engine/test_jsonl_plain.c — plain records read straight into row
 * values (engine/jsonl_plain.h) give exactly what the JSON tree gives.
 *
 * Each record below is read twice, with and without plain_rows, and
 * converted to a row: the reader's return code and message, the row's
 * bytes, its ids and any conversion error must be the same.  The records
 * that must take the quick path are checked to take it (a reader that
 * declined everything would pass the comparison), and so are the ones
 * that must not.
 */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jsonl.h"
#include "engine/jsonl_plain.h"
#include "grove.h"
#include "lang/catalog.h"

static const char *const schema =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    big: I64?\n"
	"    small: U32?\n"
	"    huge: U64?\n"
	"    ok: Bool?\n"
	"    score: F64?\n"
	"    born: Date?\n"
	"    tags: [String]?\n"
	"    mood: enum(calm, busy)?\n"
	"    city: String\n"
	"}\n"
	"node Note { body: String? n: I32 }\n"
	"node Pair {\n"
	"    a: String\n"
	"    b: I32\n"
	"    @key(a, b)\n"
	"}\n"
	"edge Knows: Person -> Person { since: I32? }\n"
	"edge Tagged: Note -> Person\n";

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

TestSuite(jsonl_plain, .init = setup, .fini = teardown);

static int fresh_id(void *arg, char *out)
{
	int *n = arg;
	snprintf(out, JSONL_FRESH_ID_MAX, "01FRESH%04d", ++*n);
	return 0;
}

/* What reading and converting one record gave. */
struct outcome {
	int read_rc, row_rc, plain;
	char msg[1024];
	char *row, *id, *given;
	size_t row_len;
};

static void outcome_free(struct outcome *o)
{
	free(o->row);
	free(o->id);
	free(o->given);
}

static struct outcome convert(const char *text, int plain_rows)
{
	struct outcome out = { 0 };
	struct jsonl_options jo = JSONL_OPTIONS_INIT;
	jo.plain_rows = plain_rows;
	struct jsonl_reader *r = NULL;
	cr_assert_eq(jsonl_reader_open_buffer(&r, cat, text, strlen(text), &jo), 0);
	struct jsonl_record rec;
	struct value_error err = { 0 };
	int counter = 0;
	msgpack_sbuffer scratch, row;
	msgpack_sbuffer_init(&scratch);
	msgpack_sbuffer_init(&row);
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = &counter, .scratch = &scratch };
	struct jsonl_ids ids = { 0 };
	out.read_rc = jsonl_reader_next(&rec, r, &err);
	if (out.read_rc == 0) {
		out.plain = rec.slots != NULL;
		out.row_rc = rec.kind == JSONL_NODE ? jsonl_node_row(&row, &ids, &rec, &o, &err)
						    : jsonl_edge_row(&row, &ids, &rec, rec.from, rec.to, &o, &err);
	}
	if (out.read_rc < 0 || out.row_rc < 0)
		snprintf(out.msg, sizeof out.msg, "%s [%s] %lu/%lu", err.msg, err.field, err.record, err.line);
	out.row = malloc(row.size + 1);
	memcpy(out.row, row.data ? row.data : "", row.size);
	out.row_len = row.size;
	out.id = ids.id ? strdup(ids.id) : NULL;
	out.given = ids.given ? strdup(ids.given) : NULL;
	jsonl_ids_free(&ids);
	msgpack_sbuffer_destroy(&scratch);
	msgpack_sbuffer_destroy(&row);
	jsonl_reader_close(r);
	return out;
}

enum want { QUICK, SLOW };

static void same(const char *text, enum want want)
{
	struct outcome a = convert(text, 0), b = convert(text, 1);
	cr_expect_eq(a.plain, 0, "a tree was asked for: %s", text);
	cr_expect_eq(b.plain, want == QUICK, "%s path expected: %s", want == QUICK ? "quick" : "slow", text);
	cr_expect_eq(a.read_rc, b.read_rc, "read %d vs %d: %s", a.read_rc, b.read_rc, text);
	cr_expect_eq(a.row_rc, b.row_rc, "row %d vs %d: %s", a.row_rc, b.row_rc, text);
	cr_expect_str_eq(a.msg, b.msg, "%s", text);
	cr_expect_eq(a.row_len, b.row_len, "row length %zu vs %zu: %s", a.row_len, b.row_len, text);
	cr_expect(a.row_len != b.row_len || memcmp(a.row, b.row, a.row_len) == 0, "row bytes differ: %s", text);
	cr_expect_str_eq(a.id ? a.id : "-", b.id ? b.id : "-", "%s", text);
	cr_expect_str_eq(a.given ? a.given : "-", b.given ? b.given : "-", "%s", text);
	outcome_free(&a);
	outcome_free(&b);
}

Test(jsonl_plain, plain_records_take_the_quick_path_and_pack_the_same)
{
	same("{\"type\":\"Person\",\"data\":{\"name\":\"ann\",\"city\":\"Oslo\"}}", QUICK);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"ann\",\"age\":-41,\"big\":123456789012345678,"
	     "\"small\":4294967295,\"huge\":7,\"ok\":true,\"city\":\"\"}}", QUICK);
	same(" { \"data\" : { \"city\" : \"x\" , \"name\" : \"b\" , \"ok\" : false } , \"type\" : \"Person\" } ", QUICK);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"c\",\"city\":\"y\",\"age\":null,\"mood\":\"busy\"}}", QUICK);
	/* An enum's membership is checked later, the same for both paths. */
	same("{\"type\":\"Person\",\"data\":{\"name\":\"d\",\"city\":\"y\",\"mood\":\"sleepy\"}}", QUICK);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"e\",\"city\":\"y\",\"id\":\"e\"}}", QUICK);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"f\",\"city\":\"y\",\"id\":null}}", QUICK);
	/* An explicit id that disagrees with the key: the row step reports it. */
	same("{\"type\":\"Person\",\"data\":{\"name\":\"g\",\"city\":\"y\",\"id\":\"other\"}}", QUICK);
	same("{\"type\":\"Note\",\"data\":{\"n\":0}}", QUICK);
	same("{\"type\":\"Note\",\"data\":{\"n\":3,\"body\":\"hi\",\"id\":\"n1\"}}", QUICK);
	same("{\"type\":\"Pair\",\"data\":{\"b\":-7,\"a\":\"x y\"}}", QUICK);
	same("{\"edge\":\"Knows\",\"from\":\"ann\",\"to\":\"bob\"}", QUICK);
	same("{\"edge\":\"Knows\",\"from\":\"ann\",\"to\":\"bob\",\"data\":null}", QUICK);
	same("{\"edge\":\"Knows\",\"from\":\"\",\"to\":\"bob\",\"data\":{\"since\":2020,\"id\":\"k1\"}}", QUICK);
	same("{\"to\":\"bob\",\"data\":{},\"edge\":\"Tagged\",\"from\":\"n1\"}", QUICK);
}

Test(jsonl_plain, whatever_needs_the_tree_takes_the_slow_path)
{
	/* Values the quick path does not convert. */
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"score\":1.5}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"score\":2}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"born\":\"2020-01-02\"}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"tags\":[\"t\"]}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\\u00e9\",\"city\":\"y\"}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"caf\xc3\xa9\",\"city\":\"y\"}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"big\":1234567890123456789}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"big\":99999999999999999999}}", SLOW);
	/* Values the slow path coerces or refuses. */
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"age\":2147483648}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"small\":-1}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"age\":\"41\"}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"ok\":1}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":7}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\"}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":null}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"city\":\"y\"}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":null,\"city\":\"y\"}}", SLOW);
	same("{\"type\":\"Pair\",\"data\":{\"a\":\"x\"}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"id\":7}}", SLOW);
	same("{\"type\":\"Note\",\"data\":{\"n\":1,\"id\":true}}", SLOW);
	/* Shapes: undeclared, repeated or unknown members, other types. */
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"extra\":1}}", SLOW);
	same("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"city\":\"y\",\"city\":\"z\"}}", SLOW);
	same("{\"type\":\"Person\",\"type\":\"Note\",\"data\":{\"n\":1}}", SLOW);
	same("{\"type\":\"Person\",\"note\":1,\"data\":{\"name\":\"a\",\"city\":\"y\"}}", SLOW);
	same("{\"type\":\"Person\",\"edge\":\"Knows\",\"data\":{\"name\":\"a\",\"city\":\"y\"}}", SLOW);
	same("{\"type\":\"Nobody\",\"data\":{}}", SLOW);
	same("{\"edge\":\"Knows\",\"from\":\"a\"}", SLOW);
	same("{\"edge\":\"Knows\",\"from\":\"a\",\"to\":7}", SLOW);
	same("{\"edge\":\"Nowhere\",\"from\":\"a\",\"to\":\"b\"}", SLOW);
	same("{\"type\":\"Note\",\"data\":[1]}", SLOW);
	same("{\"type\":\"Note\",\"data\":{\"n\":1,\"body\":{\"x\":1}}}", SLOW);
	same("{\"data\":{\"n\":1}}", SLOW);
	same("[1,2]", SLOW);
}

/* A bad record read with the quick path on is reported exactly as the
 * slow path alone reports it, also when it follows plain ones. */
Test(jsonl_plain, malformed_records_keep_the_readers_message)
{
	same("{\"type\":\"Note\",\"data\":{\"n\":1}", SLOW);
	same("{\"type\":\"Note\",\"data\":{\"n\":01}}", SLOW);
	same("{\"type\":\"Note\",\"data\":{\"n\":1,}}", SLOW);
	same("{\"type\":\"Note\" \"data\":{\"n\":1}}", SLOW);
	same("{\"type\":\"Note\",\"data\":{\"n\":tru}}", SLOW);
}

/* Types whose rows the quick reader leaves alone entirely. */
Test(jsonl_plain, a_property_named_id_is_left_to_the_slow_path)
{
	static const char *const s = "node Odd { id: String? n: I32 }\n";
	struct lang_catalog *odd = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	if (lang_catalog_from_text(&odd, s, strlen(s), &d) != 0) {
		/* the schema language refuses such a property: nothing to test */
		lang_diag_clear(&d);
		return;
	}
	lang_diag_clear(&d);
	struct jsonl_plain pl;
	msgpack_sbuffer buf;
	msgpack_sbuffer_init(&buf);
	const char *rec = "{\"type\":\"Odd\",\"data\":{\"n\":1,\"id\":\"x\"}}";
	cr_expect_eq(jsonl_plain_read(&pl, &buf, odd, rec, strlen(rec)), 0);
	cr_expect_eq(buf.size, 0);
	msgpack_sbuffer_destroy(&buf);
	lang_catalog_free(odd);
}

/* The reader's quick records point into bytes it reuses: the next record
 * replaces them (the load feed copies them out first, load_feed.c). */
Test(jsonl_plain, several_records_in_one_stream)
{
	const char *text = "{\"type\":\"Note\",\"data\":{\"n\":1,\"body\":\"one\"}}\n"
			   "{\"type\":\"Note\",\"data\":{\"n\":2.5}}\n"
			   "{\"edge\":\"Tagged\",\"from\":\"n1\",\"to\":\"ann\"}\n";
	struct jsonl_options jo = JSONL_OPTIONS_INIT;
	jo.plain_rows = 1;
	struct jsonl_reader *r = NULL;
	cr_assert_eq(jsonl_reader_open_buffer(&r, cat, text, strlen(text), &jo), 0);
	struct jsonl_record rec;
	struct value_error err;
	cr_assert_eq(jsonl_reader_next(&rec, r, &err), 0);
	cr_expect_neq(rec.slots, NULL);
	cr_expect_eq(rec.record, 1);
	cr_expect_eq(rec.line, 1);
	cr_assert_eq(jsonl_reader_next(&rec, r, &err), 0);
	cr_expect_eq(rec.slots, NULL);   /* a float: the tree */
	cr_expect_eq(rec.line, 2);
	cr_assert_eq(jsonl_reader_next(&rec, r, &err), 0);
	cr_expect_neq(rec.slots, NULL);
	cr_expect_str_eq(rec.from, "n1");
	cr_expect_str_eq(rec.to, "ann");
	cr_expect_eq(rec.record, 3);
	cr_expect_eq(rec.line, 3);
	cr_expect_eq(jsonl_reader_next(&rec, r, &err), GROVE_ENOTFOUND);
	jsonl_reader_close(r);
}
