/*
 * tests/engine/test_jsonl.c — the JSONL record reader (spec §8.1, §8.5)
 * and records to rows (§7.7, §8.2): framing, record and line numbers,
 * exact messages of both dialects, big integers, bounds, streaming from a
 * file in chunks, and the rows and ids records produce.
 */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jsonl.h"
#include "grove.h"
#include "lang/catalog.h"

static const char *const schema =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"}\n"
	"node Company { name: String @key }\n"
	"node Note { body: String? }\n"
	"edge Knows: Person -> Person { since: Date? }\n"
	"edge WorksAt: Person -> Company\n"
	"node RenamedPair {\n"
	"    aaaa: Date @rename_from(\"zeta\")\n"
	"    zzzz: U32 @rename_from(\"alpha\")\n"
	"    label: String\n"
	"    @key(aaaa, zzzz)\n"
	"}\n"
	"edge Connects: RenamedPair -> RenamedPair\n"
	"node Counter {\n"
	"    sequence: U64 @key\n"
	"    label: String\n"
	"}\n"
	"interface Named { name: String }\n";

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

TestSuite(jsonl, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

static struct jsonl_reader *open_text(const char *text, int strict)
{
	struct jsonl_options o = JSONL_OPTIONS_INIT;
	o.strict = strict;
	struct jsonl_reader *r = NULL;
	cr_assert_eq(jsonl_reader_open_buffer(&r, cat, text, strlen(text), &o), 0);
	return r;
}

static void next_ok(struct jsonl_reader *r, struct jsonl_record *rec)
{
	struct value_error err;
	int rc = jsonl_reader_next(rec, r, &err);
	cr_assert_eq(rc, 0, "unexpected error %d: %s", rc, err.msg);
}

static void expect_end(struct jsonl_reader *r)
{
	struct jsonl_record rec;
	struct value_error err;
	cr_expect_eq(jsonl_reader_next(&rec, r, &err), GROVE_ENOTFOUND);
}

/* The first failing record's error, after any good ones. */
static int first_error(const char *text, int strict, struct value_error *err)
{
	struct jsonl_reader *r = open_text(text, strict);
	struct jsonl_record rec;
	int rc;
	while ((rc = jsonl_reader_next(&rec, r, err)) == 0)
		;
	jsonl_reader_close(r);
	cr_assert_neq(rc, GROVE_ENOTFOUND, "no error in: %s", text);
	return rc;
}

static void expect_error(const char *text, int strict, const char *msg, unsigned long record, unsigned long line)
{
	struct value_error err;
	first_error(text, strict, &err);
	cr_expect_str_eq(err.msg, msg, "got: %s", err.msg);
	cr_expect_eq(err.record, record, "record %lu", err.record);
	cr_expect_eq(err.line, line, "line %lu", err.line);
}

static int counter_ids;

static int fresh_id(void *arg, char *out)
{
	int *n = arg;
	snprintf(out, JSONL_FRESH_ID_MAX, "01FRESH%04d", ++*n);
	return 0;
}

static char *hex(const char *data, size_t n)
{
	char *s = malloc(3 * n + 1), *at = s;
	*at = '\0';
	for (size_t i = 0; i < n; i++)
		at += sprintf(at, "%s%02x", i ? " " : "", (unsigned char)data[i]);
	return s;
}

/* Convert every record of text; the row of the last one in *row. */
static int rows_of(const char *text, int strict, msgpack_sbuffer *row, struct jsonl_ids *ids, struct value_error *err)
{
	struct jsonl_reader *r = open_text(text, strict);
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = &counter_ids };
	struct jsonl_record rec;
	int rc;
	memset(ids, 0, sizeof *ids);
	while ((rc = jsonl_reader_next(&rec, r, err)) == 0) {
		jsonl_ids_free(ids);
		row->size = 0;
		if (rec.kind == JSONL_NODE)
			rc = jsonl_node_row(row, ids, &rec, &o, err);
		else
			rc = jsonl_edge_row(row, ids, &rec, rec.from, rec.to, &o, err);
		if (rc < 0)
			break;
	}
	jsonl_reader_close(r);
	return rc == GROVE_ENOTFOUND ? 0 : rc;
}

static void expect_row(const char *text, const char *id, const char *bytes)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct jsonl_ids ids;
	struct value_error err;
	int rc = rows_of(text, 0, &sb, &ids, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_str_eq(ids.id, id, "got id %s", ids.id);
	char *h = hex(sb.data, sb.size);
	cr_expect_str_eq(h, bytes, "got %s", h);
	free(h);
	jsonl_ids_free(&ids);
	msgpack_sbuffer_destroy(&sb);
}

static void expect_row_error(const char *text, int strict, const char *msg)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct jsonl_ids ids;
	struct value_error err;
	cr_expect_lt(rows_of(text, strict, &sb, &ids, &err), 0, "should fail: %s", text);
	cr_expect_str_eq(err.msg, msg, "got: %s", err.msg);
	cr_expect_null(ids.id, "a failed conversion keeps no id");
	jsonl_ids_free(&ids);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- the lenient dialect ------------------------------------------------- */

Test(jsonl, reads_values_separated_by_any_whitespace)
{
	struct jsonl_reader *r = open_text(
		"{\"type\":\"Person\",\"data\":{\"name\":\"A\"}} {\"type\":\"Person\",\"data\":{\"name\":\"B\"}}\n"
		"\n"
		"  {\n"
		"   \"edge\": \"knows\", \"from\": \"A\",\n"
		"   \"to\": \"B\", \"data\": {\"since\": \"2024-06-15\"}}{\"type\":\"Note\"}\n\n", 0);
	struct jsonl_record rec;
	next_ok(r, &rec);
	cr_expect_eq(rec.kind, JSONL_NODE);
	cr_expect_str_eq(rec.type->name, "Person");
	cr_expect_str_eq(json_string_value(json_object_get(rec.data, "name")), "A");
	cr_expect_eq(rec.record, 1);
	cr_expect_eq(rec.line, 1);
	next_ok(r, &rec);
	cr_expect_eq(rec.record, 2);
	cr_expect_eq(rec.line, 1);
	next_ok(r, &rec);
	cr_expect_eq(rec.kind, JSONL_EDGE);
	cr_expect_str_eq(rec.type->name, "Knows");
	cr_expect_str_eq(rec.from, "A");
	cr_expect_str_eq(rec.to, "B");
	cr_expect_eq(rec.record, 3);
	cr_expect_eq(rec.line, 3);
	next_ok(r, &rec);
	cr_expect_str_eq(rec.type->name, "Note");
	cr_expect(json_is_object(rec.data) && json_object_size(rec.data) == 0);
	cr_expect_eq(rec.record, 4);
	cr_expect_eq(rec.line, 5);
	expect_end(r);
	expect_end(r);
	jsonl_reader_close(r);
}

Test(jsonl, reads_an_empty_or_blank_input_as_no_records)
{
	struct jsonl_reader *r = open_text("", 0);
	expect_end(r);
	jsonl_reader_close(r);
	r = open_text(" \n\t\r\n", 0);
	expect_end(r);
	jsonl_reader_close(r);
}

Test(jsonl, ignores_extra_top_level_keys_and_takes_null_data_as_empty)
{
	struct jsonl_reader *r = open_text("{\"type\":\"Note\",\"data\":null,\"extra\":[1]}", 0);
	struct jsonl_record rec;
	next_ok(r, &rec);
	cr_expect_eq(json_object_size(rec.data), 0);
	jsonl_reader_close(r);
}

Test(jsonl, names_records_without_a_kind)
{
	expect_error("{\"type\":\"Person\",\"data\":{\"name\":\"A\"}}\n{\"x\":1}", 0,
		"record 2: expected 'type' or 'edge' field", 2, 2);
	expect_error("[1, 2]", 0, "record 1: expected 'type' or 'edge' field", 1, 1);
	expect_error("\"Person\"", 0, "record 1: expected 'type' or 'edge' field", 1, 1);
	expect_error("{\"type\": 5}", 0, "record 1: expected 'type' or 'edge' field", 1, 1);
}

Test(jsonl, names_unknown_types)
{
	expect_error("{\"type\":\"Ghost\"}", 0, "record 1: unknown node type 'Ghost'", 1, 1);
	expect_error("{\"type\":\"person\"}", 0, "record 1: unknown node type 'person'", 1, 1);
	expect_error("{\"type\":\"Named\"}", 0, "record 1: unknown node type 'Named'", 1, 1);
	expect_error("\n\n{\"edge\":\"Nope\",\"from\":\"a\",\"to\":\"b\"}", 0, "record 1: unknown edge type 'Nope'", 1, 3);
	expect_error("{\"edge\":\"Person\",\"from\":\"a\",\"to\":\"b\"}", 0, "record 1: unknown edge type 'Person'", 1, 1);
}

Test(jsonl, requires_string_endpoints_on_edges)
{
	expect_error("{\"edge\":\"Knows\",\"to\":\"b\"}", 0, "record 1: edge missing 'from'", 1, 1);
	expect_error("{\"edge\":\"Knows\",\"from\":1,\"to\":\"b\"}", 0, "record 1: edge missing 'from'", 1, 1);
	expect_error("{\"edge\":\"Knows\",\"from\":\"a\"}", 0, "record 1: edge missing 'to'", 1, 1);
	expect_error("{\"edge\":\"Knows\",\"from\":\"a\",\"to\":null}", 0, "record 1: edge missing 'to'", 1, 1);
}

Test(jsonl, refuses_data_that_is_not_an_object)
{
	expect_error("{\"type\":\"Note\",\"data\":[1]}", 0, "record 1: 'data' must be a JSON object", 1, 1);
}

Test(jsonl, reports_malformed_json_with_record_and_line)
{
	struct value_error err;
	int rc = first_error("{\"type\":\"Note\"}\n{\"type\":\n\n }", 0, &err);
	cr_expect_eq(rc, GROVE_EPARSE);
	cr_expect_eq(strncmp(err.msg, "invalid JSON at record 2: ", 26), 0, "%s", err.msg);
	cr_expect_eq(err.record, 2);
	cr_expect_eq(err.line, 4);
	rc = first_error("{\"type\":\"Note\"", 0, &err);
	cr_expect_eq(rc, GROVE_EPARSE);
	cr_expect_eq(strncmp(err.msg, "invalid JSON at record 1: ", 26), 0, "%s", err.msg);
	rc = first_error("{\"type\":\"Note\"}}", 0, &err);
	cr_expect_eq(strncmp(err.msg, "invalid JSON at record 2: ", 26), 0, "%s", err.msg);
	rc = first_error("nul", 0, &err);
	cr_expect_eq(strncmp(err.msg, "invalid JSON at record 1: ", 26), 0, "%s", err.msg);
	rc = first_error("{\"type\":\"Note\",\"data\":{\"body\":\"\xff\"}}", 0, &err);
	cr_expect_eq(strncmp(err.msg, "invalid JSON at record 1: ", 26), 0, "%s", err.msg);
}

Test(jsonl, stays_failed_after_an_error)
{
	struct jsonl_reader *r = open_text("{\"x\":1}\n{\"type\":\"Note\"}", 0);
	struct jsonl_record rec;
	struct value_error err, again;
	cr_expect_eq(jsonl_reader_next(&rec, r, &err), GROVE_EINVAL);
	cr_expect_eq(jsonl_reader_next(&rec, r, &again), GROVE_EINVAL);
	cr_expect_str_eq(again.msg, err.msg);
	jsonl_reader_close(r);
}

Test(jsonl, refuses_nul_characters_in_strings)
{
	expect_error("{\"type\":\"Note\",\"data\":{\"body\":\"a\\u0000b\"}}", 0,
		"invalid JSON at record 1: \\u0000 is not allowed in strings", 1, 1);
	struct jsonl_reader *r = open_text("{\"type\":\"Note\",\"data\":{\"body\":\"a\\\\u0000b\"}}", 0);
	struct jsonl_record rec;
	next_ok(r, &rec);   /* an escaped backslash, then text */
	cr_expect_str_eq(json_string_value(json_object_get(rec.data, "body")), "a\\u0000b");
	jsonl_reader_close(r);
}

Test(jsonl, bounds_nesting_and_record_size)
{
	char deep[600] = "{\"type\":\"Note\",\"data\":{\"body\":";
	size_t n = strlen(deep);
	for (int i = 0; i < 200; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	expect_error(deep, 0, "invalid JSON at record 1: nesting deeper than 128 levels", 1, 1);

	struct jsonl_options o = { .strict = 0, .record_max_bytes = 64 };
	const char *text = "{\"type\":\"Note\"}\n{\"type\":\"Note\",\"data\":{\"body\":\"0123456789012345678901234567890123456789\"}}";
	struct jsonl_reader *r;
	cr_assert_eq(jsonl_reader_open_buffer(&r, cat, text, strlen(text), &o), 0);
	struct jsonl_record rec;
	struct value_error err;
	next_ok(r, &rec);
	cr_expect_eq(jsonl_reader_next(&rec, r, &err), GROVE_ELIMIT);
	cr_expect_str_eq(err.msg, "record 2 exceeds the maximum record size of 64 bytes");
	cr_expect_str_eq(err.resource, "jsonl_record_bytes");
	cr_expect_eq(err.line, 2);
	jsonl_reader_close(r);
}

Test(jsonl, turns_integers_beyond_int64_into_bigints)
{
	struct jsonl_reader *r = open_text(
		"{\"type\":\"Counter\",\"data\":{\"sequence\":18446744073709551615,\"label\":\"18446744073709551615\","
		"\"n\":[-9223372036854775809, 9223372036854775807, 1e400000000000000000000]}}", 0);
	struct jsonl_record rec;
	struct value_error err;
	int rc = jsonl_reader_next(&rec, r, &err);
	jsonl_reader_close(r);
	/* 1e400... is a real out of range: jansson refuses it */
	cr_expect_eq(rc, GROVE_EPARSE);
	r = open_text("{\"type\":\"Counter\",\"data\":{\"sequence\":18446744073709551615,\"label\":\"18446744073709551615\","
		"\"n\":[-9223372036854775809, 9223372036854775807, -9223372036854775808]}}", 0);
	next_ok(r, &rec);
	const json_t *seq = json_object_get(rec.data, "sequence"), *label = json_object_get(rec.data, "label");
	const json_t *n = json_object_get(rec.data, "n");
	cr_expect(value_json_is_bigint(seq));
	cr_expect_str_eq(json_string_value(seq) + 1, "18446744073709551615");
	cr_expect(!value_json_is_bigint(label));
	cr_expect_str_eq(json_string_value(label), "18446744073709551615");
	cr_expect(value_json_is_bigint(json_array_get(n, 0)));
	cr_expect_str_eq(json_string_value(json_array_get(n, 0)) + 1, "-9223372036854775809");
	cr_expect_eq(json_integer_value(json_array_get(n, 1)), INT64_MAX);
	cr_expect_eq(json_integer_value(json_array_get(n, 2)), INT64_MIN);
	jsonl_reader_close(r);
}

Test(jsonl, reads_a_top_level_big_integer_as_a_record_without_a_kind)
{
	expect_error("18446744073709551615", 0, "record 1: expected 'type' or 'edge' field", 1, 1);
}

/* ---- files, in chunks ---------------------------------------------------- */

static FILE *temp_with(const char *const *parts, size_t nparts, size_t repeat)
{
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	for (size_t k = 0; k < repeat; k++)
		for (size_t i = 0; i < nparts; i++)
			fputs(parts[i], f);
	rewind(f);
	return f;
}

static unsigned long newlines(const char *s)
{
	unsigned long n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(jsonl, streams_a_file_larger_than_its_chunks)
{
	/* ~5 MB: records cut by chunk ends everywhere, one long record of
	 * 300 KB spanning several chunks, multi-line records. */
	static char big[300 * 1024];
	memset(big, 'x', sizeof big);
	memcpy(big, "{\"type\":\"Note\",\"data\":{\"body\":\"", 31);
	memcpy(big + sizeof big - 5, "\"}}\n", 5);
	const char *parts[] = {
		"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"age\":1}}\n",
		"{\n  \"edge\": \"Knows\",\n  \"from\": \"A\", \"to\": \"B\"\n}\n",
		"   {\"type\":\"Counter\",\"data\":{\"sequence\":18446744073709551615,\"label\":\"x\"}}\n\n",
	};
	enum { ROUNDS = 20000, RECORDS = 3 * ROUNDS + 1 };
	static unsigned long lines[RECORDS];
	unsigned long line = 1, n = 0;
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	for (int k = 0; k < ROUNDS; k++) {
		for (size_t i = 0; i < 3; i++) {
			fputs(parts[i], f);
			lines[n++] = line;
			line += newlines(parts[i]);
		}
		if (k == 7000) {
			fputs(big, f);
			lines[n++] = line++;
		}
	}
	rewind(f);
	struct jsonl_reader *r;
	cr_assert_eq(jsonl_reader_open_file(&r, cat, f, NULL), 0);
	struct jsonl_record rec;
	unsigned long count = 0, nodes = 0, edges = 0, bigs = 0;
	struct value_error err;
	int rc;
	while ((rc = jsonl_reader_next(&rec, r, &err)) == 0) {
		count++;
		cr_assert_eq(rec.record, count);
		cr_assert_eq(rec.line, lines[count - 1], "record %lu at line %lu, not %lu", count, rec.line, lines[count - 1]);
		nodes += rec.kind == JSONL_NODE;
		edges += rec.kind == JSONL_EDGE;
		bigs += value_json_is_bigint(json_object_get(rec.data, "sequence"));
		if (count == 3 * 7001 + 1)
			cr_assert_eq(json_string_length(json_object_get(rec.data, "body")), sizeof big - 36);
	}
	cr_expect_eq(rc, GROVE_ENOTFOUND, "%s", err.msg);
	cr_expect_eq(count, RECORDS);
	cr_expect_eq(nodes, 2 * ROUNDS + 1);
	cr_expect_eq(edges, ROUNDS);
	cr_expect_eq(bigs, ROUNDS);
	jsonl_reader_close(r);
	fclose(f);
}

Test(jsonl, frames_numbers_longer_than_a_chunk)
{
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	fputs("{\"type\":\"Note\",\"data\":{\"n\":[1.", f);
	for (int i = 0; i < 200000; i++)
		fputc('0', f);
	fputs("1, 18446744073709551615", f);
	for (int i = 0; i < 70000; i++)
		fputc(' ', f);
	fputs("]}}\n{\"type\":\"Note\"}", f);
	rewind(f);
	struct jsonl_reader *r;
	cr_assert_eq(jsonl_reader_open_file(&r, cat, f, NULL), 0);
	struct jsonl_record rec;
	next_ok(r, &rec);
	const json_t *n = json_object_get(rec.data, "n");
	cr_expect_eq(json_real_value(json_array_get(n, 0)), 1.0);
	cr_expect(value_json_is_bigint(json_array_get(n, 1)));
	next_ok(r, &rec);
	cr_expect_eq(rec.line, 2);
	expect_end(r);
	jsonl_reader_close(r);
	fclose(f);
}

Test(jsonl, bounds_a_record_read_from_a_file)
{
	FILE *f = tmpfile();
	fputs("{\"type\":\"Note\"}\n[", f);
	for (int i = 0; i < 300000; i++)
		fputs("1,", f);
	fputs("1]\n", f);
	rewind(f);
	struct jsonl_options o = { .strict = 0, .record_max_bytes = 100000 };
	struct jsonl_reader *r;
	cr_assert_eq(jsonl_reader_open_file(&r, cat, f, &o), 0);
	struct jsonl_record rec;
	struct value_error err;
	next_ok(r, &rec);
	cr_expect_eq(jsonl_reader_next(&rec, r, &err), GROVE_ELIMIT);
	cr_expect_str_eq(err.msg, "record 2 exceeds the maximum record size of 100000 bytes");
	jsonl_reader_close(r);
	fclose(f);
}

Test(jsonl, reads_strict_lines_from_a_file)
{
	const char *parts[] = { "{\"type\":\"Note\"}\n", "\n", "{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\"}\n" };
	FILE *f = temp_with(parts, 3, 30000);
	fseek(f, 0, SEEK_END);
	fputs("{\"type\":\"Note\"}{\"type\":\"Note\"}", f);   /* two objects on the last line */
	rewind(f);
	struct jsonl_options o = { .strict = 1 };
	struct jsonl_reader *r;
	cr_assert_eq(jsonl_reader_open_file(&r, cat, f, &o), 0);
	struct jsonl_record rec;
	struct value_error err;
	unsigned long count = 0;
	int rc;
	while ((rc = jsonl_reader_next(&rec, r, &err)) == 0) {
		count++;
		cr_assert_eq(rec.line, (count - 1) / 2 * 3 + (count % 2 ? 1 : 3));
		cr_assert_eq(rec.kind, count % 2 ? JSONL_NODE : JSONL_EDGE);
	}
	cr_expect_eq(count, 60000);
	cr_expect_eq(rc, GROVE_EPARSE);
	cr_expect_str_eq(err.msg, "invalid strict JSON at line 90001: end of file expected near '{'");
	cr_expect_eq(err.record, 60001);
	jsonl_reader_close(r);
	fclose(f);
}

/* ---- the strict dialect -------------------------------------------------- */

Test(jsonl, strict_reads_one_object_per_non_blank_line)
{
	struct jsonl_reader *r = open_text("\n{\"type\":\"Person\",\"data\":{\"name\":\"A\"}}\r\n   \n"
		"{\"edge\":\"knows\",\"from\":\"A\",\"to\":\"A\"}", 1);
	struct jsonl_record rec;
	next_ok(r, &rec);
	cr_expect_eq(rec.record, 1);
	cr_expect_eq(rec.line, 2);
	cr_expect(rec.strict);
	next_ok(r, &rec);
	cr_expect_eq(rec.record, 2);
	cr_expect_eq(rec.line, 4);
	cr_expect_str_eq(rec.type->name, "Knows");
	expect_end(r);
	jsonl_reader_close(r);
}

Test(jsonl, strict_refuses_malformed_lines)
{
	struct value_error err;
	first_error("{\"type\":\"Note\",\n\"data\":{}}", 1, &err);
	cr_expect_eq(strncmp(err.msg, "invalid strict JSON at line 1: ", 31), 0, "%s", err.msg);
	expect_error("{\"type\":\"Note\"} {\"type\":\"Note\"}", 1,
		"invalid strict JSON at line 1: end of file expected near '{'", 1, 1);
	expect_error("\n{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"name\":\"b\"}}", 1,
		"invalid strict JSON at line 2: duplicate JSON member 'name'", 1, 2);
	expect_error("[1]", 1, "invalid strict JSON at line 1: expected a JSON object", 1, 1);
	expect_error("{\"type\":\"Note\",\"data\":{\"body\":\"\\u0000\"}}", 1,
		"invalid strict JSON at line 1: \\u0000 is not allowed in strings", 1, 1);
}

Test(jsonl, strict_refuses_unknown_and_ambiguous_records)
{
	expect_error("{\"data\":{}}", 1, "line 1: graph batch record must contain exactly one of 'type' or 'edge'", 1, 1);
	expect_error("{\"type\":\"Note\",\"edge\":\"Knows\"}", 1,
		"line 1: graph batch record must contain exactly one of 'type' or 'edge'", 1, 1);
	expect_error("{\"type\":\"Note\",\"extra\":1}", 1, "line 1: unknown top-level graph batch field 'extra'", 1, 1);
	expect_error("{\"type\":\"Note\",\"from\":\"a\"}", 1, "line 1: unknown top-level graph batch field 'from'", 1, 1);
	expect_error("{\"type\":5}", 1, "line 1: graph batch field 'type' must be a string", 1, 1);
	expect_error("{\"type\":\"Note\"}\n{\"type\":\"Ghost\"}", 1, "line 2: unknown node type 'Ghost'", 2, 2);
	expect_error("{\"edge\":\"Nope\",\"from\":\"a\",\"to\":\"b\"}", 1, "line 1: unknown edge type 'Nope'", 1, 1);
	expect_error("{\"edge\":\"Knows\",\"to\":\"b\"}", 1, "line 1: edge missing 'from'", 1, 1);
	expect_error("{\"type\":\"Note\",\"data\":null}", 1, "line 1: 'data' must be a JSON object", 1, 1);
}

Test(jsonl, strict_refuses_undeclared_and_reserved_data_fields)
{
	expect_error("{\"type\":\"Person\",\"data\":{\"name\":\"a\",\"nickname\":\"b\"}}", 1,
		"line 1: unknown input field 'nickname' for 'node:Person'", 1, 1);
	expect_error("{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"src\":\"a\"}}", 1,
		"line 1: edge data field 'src' is reserved structural state", 1, 1);
	expect_error("{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"dst\":\"a\"}}", 1,
		"line 1: edge data field 'dst' is reserved structural state", 1, 1);
	expect_error("{\"type\":\"Note\",\"data\":{\"_tombstone\":true}}", 1,
		"line 1: input field '_tombstone' is reserved physical state", 1, 1);
	expect_error("{\"type\":\"Note\",\"data\":{\"_rowid\":1}}", 1,
		"line 1: input field '_rowid' is reserved physical state", 1, 1);
	struct jsonl_reader *r = open_text("{\"type\":\"Note\",\"data\":{\"id\":\"n1\",\"body\":\"b\"}}", 1);
	struct jsonl_record rec;
	next_ok(r, &rec);
	jsonl_reader_close(r);
}

/* ---- rows ---------------------------------------------------------------- */

Test(jsonl, packs_a_keyed_node_row_with_its_canonical_id)
{
	/* Person: age is property 1, name property 2: ["Alice", 30, "Alice"] */
	expect_row("{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}", "Alice",
		"93 a5 41 6c 69 63 65 1e a5 41 6c 69 63 65");
	expect_row("{\"type\":\"Person\",\"data\":{\"name\":\"Al\",\"id\":\"Al\"}}", "Al", "93 a2 41 6c c0 a2 41 6c");
	expect_row("{\"type\":\"Counter\",\"data\":{\"sequence\":18446744073709551615,\"label\":\"x\"}}",
		"18446744073709551615", "93 b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 35 a1 78 cf ff ff ff "
		"ff ff ff ff ff");
}

Test(jsonl, packs_an_edge_row_with_string_endpoints)
{
	expect_row("{\"edge\":\"Knows\",\"from\":\"A\",\"to\":\"B\",\"data\":{\"id\":\"k1\",\"since\":\"2024-06-15\"}}", "k1",
		"94 a2 6b 31 a1 41 a1 42 cd 4d b1");
	expect_row("{\"edge\":\"WorksAt\",\"from\":\"A\",\"to\":\"C\",\"data\":{\"id\":\"w\"}}", "w", "93 a1 77 a1 41 a1 43");
}

Test(jsonl, gives_fresh_ids_to_unkeyed_nodes_and_edges_without_one)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct jsonl_ids ids;
	struct value_error err;
	counter_ids = 0;
	cr_assert_eq(rows_of("{\"type\":\"Note\",\"data\":{\"body\":\"b\"}}", 0, &sb, &ids, &err), 0, "%s", err.msg);
	cr_expect_str_eq(ids.id, "01FRESH0001");
	cr_expect(ids.fresh);
	jsonl_ids_free(&ids);
	cr_assert_eq(rows_of("{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"id\":5}}", 0, &sb, &ids, &err), 0);
	cr_expect_str_eq(ids.id, "01FRESH0002", "a non-string edge id is ignored");
	jsonl_ids_free(&ids);
	cr_assert_eq(rows_of("{\"type\":\"Note\",\"data\":{\"id\":\"n-7\"}}", 0, &sb, &ids, &err), 0);
	cr_expect_str_eq(ids.id, "n-7");
	cr_expect(!ids.fresh);
	jsonl_ids_free(&ids);
	msgpack_sbuffer_destroy(&sb);
}

Test(jsonl, accepts_legacy_scalar_ids_of_composite_keys_and_reports_them)
{
	const char *text =
		"{\"edge\":\"Connects\",\"from\":\"7\",\"to\":\"2024-01-02\",\"data\":{\"id\":\"mixed-generation\"}}\n"
		"{\"type\":\"RenamedPair\",\"data\":{\"id\":\"7\",\"aaaa\":19723,\"zzzz\":7,\"label\":\"pre-rename\"}}\n"
		"{\"type\":\"RenamedPair\",\"data\":{\"id\":\"2024-01-02\",\"aaaa\":\"2024-01-02\",\"zzzz\":8,\"label\":\"post\"}}\n";
	struct jsonl_reader *r = open_text(text, 0);
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = &counter_ids };
	struct jsonl_record rec;
	struct jsonl_ids ids;
	struct value_error err;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	next_ok(r, &rec);
	cr_assert_eq(jsonl_edge_row(&sb, &ids, &rec, "[\"19723\",\"7\"]", "[\"19724\",\"8\"]", &o, &err), 0);
	cr_expect_str_eq(ids.id, "mixed-generation");
	jsonl_ids_free(&ids);
	const char *expect_id[] = { "[\"19723\",\"7\"]", "[\"19724\",\"8\"]" };
	const char *expect_given[] = { "7", "2024-01-02" };
	for (int i = 0; i < 2; i++) {
		next_ok(r, &rec);
		cr_assert_eq(jsonl_node_row(&sb, &ids, &rec, &o, &err), 0, "%s", err.msg);
		cr_expect_str_eq(ids.id, expect_id[i]);
		cr_expect_str_eq(ids.given, expect_given[i]);
		jsonl_ids_free(&ids);
	}
	msgpack_sbuffer_destroy(&sb);
	jsonl_reader_close(r);
}

Test(jsonl, refuses_explicit_ids_that_do_not_match_the_key)
{
	expect_row_error("{\"type\":\"Counter\",\"data\":{\"id\":\"wrong-id\",\"sequence\":18446744073709551615,\"label\":\"l\"}}",
		0, "node Counter has explicit id 'wrong-id' that does not match @key property 'sequence' canonical value "
		"'18446744073709551615'");
	expect_row_error("{\"type\":\"Person\",\"data\":{\"id\":5,\"name\":\"A\"}}", 0,
		"node Person explicit id must be a string, got 5");
	expect_row_error("{\"type\":\"RenamedPair\",\"data\":{\"id\":\"7\",\"aaaa\":19723,\"zzzz\":7,\"label\":\"l\"}}", 1,
		"line 1: node RenamedPair explicit id '7' does not match its canonical @key id '[\"19723\",\"7\"]'");
}

Test(jsonl, requires_every_key_member)
{
	expect_row_error("{\"type\":\"Person\",\"data\":{\"age\":3}}", 0, "node Person missing @key property 'name'");
	expect_row_error("{\"type\":\"Person\",\"data\":{\"name\":null}}", 0, "node Person missing @key property 'name'");
	expect_row_error("{\"type\":\"RenamedPair\",\"data\":{\"aaaa\":1,\"label\":\"l\"}}", 0,
		"node RenamedPair missing @key properties (aaaa, zzzz)");
}

Test(jsonl, reports_value_errors_with_record_and_line)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	struct jsonl_ids ids;
	struct value_error err;
	cr_expect_eq(rows_of("{\"type\":\"Note\"}\n\n{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"age\":2147483648}}", 0,
		&sb, &ids, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "property 'age' value 2147483648 exceeds Int32 range");
	cr_expect_str_eq(err.field, "age");
	cr_expect_eq(err.record, 2);
	cr_expect_eq(err.line, 3);
	cr_expect_eq(rows_of("{\"type\":\"Note\"}\n{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"age\":\"x\"}}", 1,
		&sb, &ids, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "line 2: strict property 'age' expects Int32, got \"x\"");
	cr_expect_eq(err.line, 2);
	cr_expect_eq(rows_of("{\"type\":\"Note\",\"data\":{\"id\":5}}", 1, &sb, &ids, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "line 1: data field 'id' must be a string, got 5");
	msgpack_sbuffer_destroy(&sb);
}

Test(jsonl, needs_an_id_generator_for_fresh_ids)
{
	struct jsonl_reader *r = open_text("{\"type\":\"Note\"}", 0);
	struct jsonl_record rec;
	struct jsonl_ids ids;
	struct value_error err;
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	next_ok(r, &rec);
	cr_expect_eq(jsonl_node_row(&sb, &ids, &rec, NULL, &err), GROVE_EINVAL);
	cr_expect_str_eq(err.msg, "node Note needs a fresh id but no id generator was given");
	cr_expect_eq(sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
	jsonl_reader_close(r);
}

/* ---- robustness ---------------------------------------------------------- */

Test(jsonl, survives_random_corruption_of_valid_input)
{
	const char *seed =
		"{\"type\":\"Person\",\"data\":{\"name\":\"A\\\"b\",\"age\":30}}\n"
		"{\"edge\":\"Knows\",\"from\":\"A\",\"to\":\"B\",\"data\":{\"since\":\"2024-01-01\",\"id\":\"k\"}}\n"
		"{\"type\":\"Counter\",\"data\":{\"sequence\":18446744073709551615,\"label\":\"x\\u00e9\"}}\n"
		"[{\"a\":[1,2,{\"b\":null}]}, -12345678901234567890123, true]\n";
	const char alphabet[] = "{}[]\":,\\u0 \n-1e.9tfn";
	size_t len = strlen(seed);
	char *buf = malloc(len + 1);
	uint64_t s = 0x243F6A8885A308D3ULL;
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = &counter_ids };
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(buf, seed, len + 1);
		for (int k = 0; k < 1 + iter % 4; k++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			buf[s % len] = alphabet[(s >> 32) % (sizeof alphabet - 1)];
		}
		for (int strict = 0; strict < 2; strict++) {
			struct jsonl_options jo = { .strict = strict };
			struct jsonl_reader *r;
			cr_assert_eq(jsonl_reader_open_buffer(&r, cat, buf, len, &jo), 0);
			struct jsonl_record rec;
			struct value_error err;
			int rc, n = 0;
			while ((rc = jsonl_reader_next(&rec, r, &err)) == 0 && n++ < 100) {
				msgpack_sbuffer sb;
				struct jsonl_ids ids;
				msgpack_sbuffer_init(&sb);
				if (rec.kind == JSONL_NODE)
					rc = jsonl_node_row(&sb, &ids, &rec, &o, &err);
				else
					rc = jsonl_edge_row(&sb, &ids, &rec, rec.from, rec.to, &o, &err);
				if (rc == 0)
					jsonl_ids_free(&ids);
				else
					cr_assert(err.msg[0] != '\0');
				msgpack_sbuffer_destroy(&sb);
			}
			cr_assert(rc == GROVE_ENOTFOUND || (rc < 0 && err.msg[0] != '\0'), "rc %d", rc);
			jsonl_reader_close(r);
		}
	}
	free(buf);
}

/* ---- the quick parse of plain records (jsonl_fast.h) ---------------------- */

#include "engine/jsonl_fast.h"

/* The quick parse gives jansson's DOM, keys in the same order. */
static void expect_same_dom(const char *text, bool reject_duplicates)
{
	json_error_t je;
	json_t *fast = jsonl_fast_parse(text, strlen(text), reject_duplicates);
	json_t *slow = json_loadb(text, strlen(text),
				  JSON_DECODE_ANY | (reject_duplicates ? JSON_REJECT_DUPLICATES : 0), &je);
	cr_assert_not_null(fast, "the quick parse declined %s", text);
	cr_assert_not_null(slow, "jansson refused %s: %s", text, je.text);
	char *a = json_dumps(fast, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	char *b = json_dumps(slow, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	cr_expect_str_eq(a, b, "%s", text);
	cr_expect(json_equal(fast, slow), "%s", text);
	free(a);
	free(b);
	json_decref(fast);
	json_decref(slow);
}

Test(jsonl_fast, parses_plain_records_exactly_as_jansson_does)
{
	expect_same_dom("{\"type\":\"Person\",\"data\":{\"name\":\"p0a1\",\"age\":42,\"city\":\"Rome\"}}", false);
	expect_same_dom("{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\"}", false);
	expect_same_dom(" { \"a\" : [ 1 , -2 , 0 , -0 , true , false , null , [ ] , { } ] , \"\" : \"\" } ", false);
	expect_same_dom("{\"n\":123456789012345678,\"m\":-123456789012345678}", false);
	expect_same_dom("{\"k\":1,\"k\":2}", false);   /* the later duplicate wins */
	expect_same_dom("[{\"x\":{\"y\":[{\"z\":\"deep\"}]}}]", false);
}

Test(jsonl_fast, declines_what_is_not_plain_and_never_reports_an_error)
{
	static const char *const declined[] = {
		"{\"s\":\"tab\\tescaped\"}", "{\"s\":\"caf\xc3\xa9\"}", "{\"f\":1.5}", "{\"f\":1e3}",
		"{\"n\":1234567890123456789}", "{\"n\":-98765432109876543210987654321}",
		"{\"n\":01}", "{\"n\":-}", "{\"n\":12x}",
		"\"bare\"", "42", "{\"a\":1", "{\"a\":1}}", "{\"a\":1,}", "{a:1}", "{\"a\" 1}",
		"{\"a\":tru}", "{\"a\":\"ctl\x01\"}", "",
	};
	for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
		json_t *j = jsonl_fast_parse(declined[i], strlen(declined[i]), false);
		cr_expect_null(j, "the quick parse took %s", declined[i]);
		json_decref(j);
	}
	json_t *dup = jsonl_fast_parse("{\"k\":1,\"k\":2}", 13, true);
	cr_expect_null(dup, "a duplicate key is jansson's to refuse in the strict dialect");
	json_decref(dup);
}

/* A raw NUL byte, between records or inside one, is named as such (jansson
 * would read it as the end of the input: "end of file expected"). */
Test(jsonl, names_a_raw_nul_byte)
{
	static const char text[] = "{\"type\":\"Person\",\"data\":{\"name\":\"A\"}}\0\n"
				   "{\"type\":\"Person\",\"data\":{\"name\":\"B\"}}\n";
	static const char inside[] = "{\"type\":\"Person\",\"data\":{\"name\":\"A\0B\"}}\n";
	const struct { const char *t; size_t n; int strict; const char *msg; unsigned long rec; } cases[] = {
		{ text, sizeof text - 1, 0, "invalid JSON at record 2: a NUL byte", 2 },
		{ text, sizeof text - 1, 1, "invalid strict JSON at line 1: a NUL byte", 1 },
		{ inside, sizeof inside - 1, 0, "invalid JSON at record 1: a NUL byte", 1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct jsonl_options o = JSONL_OPTIONS_INIT;
		o.strict = cases[i].strict;
		struct jsonl_reader *r = NULL;
		struct jsonl_record rec;
		struct value_error err;
		int rc;
		cr_assert_eq(jsonl_reader_open_buffer(&r, cat, cases[i].t, cases[i].n, &o), 0);
		while ((rc = jsonl_reader_next(&rec, r, &err)) == 0)
			;
		jsonl_reader_close(r);
		cr_expect_eq(rc, GROVE_EPARSE, "case %zu: %d", i, rc);
		cr_expect_str_eq(err.msg, cases[i].msg, "case %zu", i);
		cr_expect_eq(err.line, 1, "case %zu: line %lu", i, err.line);
	}
}
