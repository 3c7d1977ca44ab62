/*
 * tests/fuzz/fuzz_jsonl.c — libFuzzer target for the JSONL data a load reads.
 *
 * The input is JSONL text.  It is read in both dialects (lenient and
 * strict) against the catalog of SCHEMA below, and each record the reader
 * accepts becomes a stored row the way a load makes it (jsonl_node_row,
 * jsonl_edge_row).  For every row that converts:
 *
 *  - it unpacks (value_row_unpack) and views as a row of its type, and its
 *    constraints are checked (value_validate: a violation must say so);
 *  - it exports and loads back to the same bytes: the row rendered as an
 *    export line (engine_render_entity, as grove export writes it), read
 *    again in the lenient dialect and converted, gives the identical row.
 *    (A load of an export reproduces the graph: docs/cli.md, export.)
 *
 * The lenient dialect is read a second time with plain rows on
 * (engine/jsonl_plain.h), in step with the first: every record must read
 * and convert the same, error messages and row bytes alike.
 *
 * Every error the reader or a conversion reports must carry a message.
 * At most MAX_RECORDS records are read per dialect.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/jsonl.h"
#include "engine/jsonw.h"
#include "engine/value.h"
#include "fuzz.h"
#include "lang/catalog.h"
#include "lang/diag.h"

#define MAX_RECORDS 64

/* Keys single and composite (of several scalar types), unkeyed nodes,
 * enums, lists, Date/DateTime, Blob, floats of both widths, unsigned and
 * wide integers, constraints (@range, @check), edges with and without
 * properties. */
static const char SCHEMA[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    score: F64?\n"
	"    ratio: F32?\n"
	"    rank: U32?\n"
	"    big: I64?\n"
	"    ubig: U64?\n"
	"    active: Bool?\n"
	"    born: Date?\n"
	"    seen: DateTime?\n"
	"    tags: [String]?\n"
	"    nums: [I64]?\n"
	"    days: [Date]?\n"
	"    status: enum(active, away, in-progress)?\n"
	"    photo: Blob?\n"
	"    @range(age, 0..150)\n"
	"    @check(name, \"^[A-Za-z ]+$\")\n"
	"}\n"
	"node Day { day: Date @key  note: String? }\n"
	"node Doc {\n"
	"    slug: String\n"
	"    lang: String\n"
	"    n: I32\n"
	"    title: String?\n"
	"    @key(slug, lang, n)\n"
	"}\n"
	"node Note { text: String?  weight: F32? }\n"
	"edge Knows: Person -> Person { since: Date?  weight: F32? }\n"
	"edge Wrote: Person -> Doc\n"
	"edge On: Note -> Day { at: DateTime? }\n";

static struct lang_catalog *cat;
static struct value_validator *validators;   /* by type id */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct lang_diag d = LANG_DIAG_INIT;
	struct value_error verr;
	(void)argc;
	(void)argv;
	if (lang_catalog_from_text(&cat, SCHEMA, strlen(SCHEMA), &d) != 0) {
		fprintf(stderr, "fuzz_jsonl: the built-in schema does not build: %s\n", d.message);
		abort();
	}
	validators = calloc(cat->next_type_id + 1, sizeof *validators);
	FUZZ_CHECK(validators != NULL);
	for (uint32_t i = 0; i < cat->n_nodes; i++)
		FUZZ_CHECK(value_validator_init(&validators[cat->nodes[i].id], &cat->nodes[i], &verr) == 0);
	for (uint32_t i = 0; i < cat->n_edges; i++)
		FUZZ_CHECK(value_validator_init(&validators[cat->edges[i].id], &cat->edges[i], &verr) == 0);
	return 0;
}

/* Fresh ids are deterministic here, so that a reproducer reproduces. */
static int fresh_id(void *arg, char *out)
{
	unsigned *n = arg;
	snprintf(out, JSONL_FRESH_ID_MAX, "01FUZZ%020u", (*n)++);
	return 0;
}

/* Convert the record to a row in *sb (reset first); 0 or an error that
 * carries a message. */
static int to_row(msgpack_sbuffer *sb, const struct jsonl_record *rec, unsigned *fresh)
{
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = fresh };
	struct jsonl_ids ids = { 0 };
	struct value_error verr;
	int rc;

	msgpack_sbuffer_clear(sb);
	memset(&verr, 0, sizeof verr);
	if (rec->kind == JSONL_NODE)
		rc = jsonl_node_row(sb, &ids, rec, &o, &verr);
	else
		rc = jsonl_edge_row(sb, &ids, rec, rec->from, rec->to, &o, &verr);
	jsonl_ids_free(&ids);
	FUZZ_CHECK(rc == 0 || verr.msg[0] != '\0');
	return rc;
}

/* The export line of a row of type t (NUL-terminated, malloc'd), or NULL
 * when the row does not render (then it must have said why). */
static char *export_line(const struct lang_cat_type *t, const msgpack_object *o)
{
	struct value_row row;
	struct value_error verr;
	struct jsonw w;

	FUZZ_CHECK(value_row_view(&row, o, t, &verr) == 0);
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	if (t->kind == LANG_CAT_EDGE) {
		jsonw_key_cstr(&w, "edge");
		jsonw_cstr(&w, t->name);
		jsonw_key_cstr(&w, "from");
		jsonw_string(&w, row.src, row.src_len);
		jsonw_key_cstr(&w, "to");
		jsonw_string(&w, row.dst, row.dst_len);
	} else {
		jsonw_key_cstr(&w, "type");
		jsonw_cstr(&w, t->name);
	}
	jsonw_key_cstr(&w, "data");
	int rc = engine_render_entity(&w, t, o, false);
	jsonw_object_end(&w);
	if (rc < 0 || jsonw_error(&w) < 0) {
		jsonw_fini(&w);
		return NULL;
	}
	return w.buf;
}

/* The row exports and loads back to the same bytes. */
static void round_trip(const struct lang_cat_type *t, const msgpack_object *o, const msgpack_sbuffer *orig)
{
	char *line = export_line(t, o);
	if (line == NULL)
		return;
	struct jsonl_options jo = JSONL_OPTIONS_INIT;
	struct jsonl_reader *r = NULL;
	struct jsonl_record rec;
	struct value_error verr;
	msgpack_sbuffer again;
	unsigned fresh = 0;

	msgpack_sbuffer_init(&again);
	FUZZ_CHECK(jsonl_reader_open_buffer(&r, cat, line, strlen(line), &jo) == 0);
	int rc = jsonl_reader_next(&rec, r, &verr);
	if (rc != 0)
		fprintf(stderr, "fuzz_jsonl: an export line does not read back: %s\n%s\n", verr.msg, line);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(rec.type == t);
	rc = to_row(&again, &rec, &fresh);
	if (rc != 0)
		fprintf(stderr, "fuzz_jsonl: an export line does not load back\n%s\n", line);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(fresh == 0);   /* the id was exported, so none is made up */
	if (again.size != orig->size || memcmp(again.data, orig->data, orig->size) != 0)
		fprintf(stderr, "fuzz_jsonl: an export line loads back to another row\n%s\n", line);
	FUZZ_CHECK(again.size == orig->size && memcmp(again.data, orig->data, orig->size) == 0);
	msgpack_sbuffer_destroy(&again);
	jsonl_reader_close(r);
	free(line);
}

static void check_row(const struct jsonl_record *rec, const msgpack_sbuffer *sb)
{
	msgpack_zone zone;
	msgpack_object o;
	struct value_row row;
	struct value_error verr;

	FUZZ_CHECK(msgpack_zone_init(&zone, 1024));
	FUZZ_CHECK(value_row_unpack(&o, sb->data, sb->size, &zone) == 0);
	FUZZ_CHECK(value_row_view(&row, &o, rec->type, &verr) == 0);
	FUZZ_CHECK(row.id != NULL);   /* "" is a key like any other */
	memset(&verr, 0, sizeof verr);
	if (value_validate(&validators[rec->type->id], &row, &verr) != 0)
		FUZZ_CHECK(verr.msg[0] != '\0');
	round_trip(rec->type, &o, sb);
	msgpack_zone_destroy(&zone);
}

static void read_all(const char *text, size_t len, int strict)
{
	struct jsonl_options jo = { .strict = strict, .record_max_bytes = 1u << 20 };
	struct jsonl_reader *r = NULL;
	struct jsonl_record rec;
	struct value_error verr;
	msgpack_sbuffer sb;
	unsigned fresh = 0;

	FUZZ_CHECK(jsonl_reader_open_buffer(&r, cat, text, len, &jo) == 0);
	msgpack_sbuffer_init(&sb);
	for (int n = 0; n < MAX_RECORDS; n++) {
		memset(&verr, 0, sizeof verr);
		int rc = jsonl_reader_next(&rec, r, &verr);
		if (rc == GROVE_ENOTFOUND)
			break;
		if (rc != 0) {
			FUZZ_CHECK(verr.msg[0] != '\0');
			/* A failed reader stays failed. */
			FUZZ_CHECK(jsonl_reader_next(&rec, r, &verr) == rc);
			break;
		}
		FUZZ_CHECK(rec.type != NULL && rec.record == (unsigned long)n + 1);
		FUZZ_CHECK((rec.kind == JSONL_EDGE) == (rec.type->kind == LANG_CAT_EDGE));
		FUZZ_CHECK(rec.kind != JSONL_EDGE || (rec.from != NULL && rec.to != NULL));
		if (to_row(&sb, &rec, &fresh) == 0)
			check_row(&rec, &sb);
	}
	msgpack_sbuffer_destroy(&sb);
	jsonl_reader_close(r);
}

/* Convert the record to a row in *sb (reset first); its error's message
 * into msg. */
static int to_row_msg(msgpack_sbuffer *sb, const struct jsonl_record *rec, unsigned *fresh, char *msg)
{
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = fresh };
	struct jsonl_ids ids = { 0 };
	struct value_error verr;
	memset(&verr, 0, sizeof verr);
	msgpack_sbuffer_clear(sb);
	int rc = rec->kind == JSONL_NODE ? jsonl_node_row(sb, &ids, rec, &o, &verr)
					 : jsonl_edge_row(sb, &ids, rec, rec->from, rec->to, &o, &verr);
	jsonl_ids_free(&ids);
	memcpy(msg, verr.msg, sizeof verr.msg);
	return rc;
}

/* The lenient dialect with and without plain rows (engine/jsonl_plain.h)
 * reads and converts every record the same: same return codes, messages
 * and row bytes. */
static void read_twice(const char *text, size_t len)
{
	struct jsonl_reader *r[2] = { NULL, NULL };
	msgpack_sbuffer sb[2];
	unsigned fresh[2] = { 0, 0 };
	for (int k = 0; k < 2; k++) {
		struct jsonl_options jo = { .record_max_bytes = 1u << 20, .plain_rows = k };
		FUZZ_CHECK(jsonl_reader_open_buffer(&r[k], cat, text, len, &jo) == 0);
		msgpack_sbuffer_init(&sb[k]);
	}
	for (int n = 0; n < MAX_RECORDS; n++) {
		struct jsonl_record rec[2];
		struct value_error verr[2];
		char msg[2][VALUE_ERROR_MSG_MAX];
		int rc[2], row[2];
		for (int k = 0; k < 2; k++) {
			memset(&verr[k], 0, sizeof verr[k]);
			rc[k] = jsonl_reader_next(&rec[k], r[k], &verr[k]);
		}
		FUZZ_CHECK(rc[0] == rc[1]);
		if (rc[0] != 0) {
			FUZZ_CHECK(strcmp(verr[0].msg, verr[1].msg) == 0);
			break;
		}
		FUZZ_CHECK(rec[0].slots == NULL && rec[0].type == rec[1].type);
		for (int k = 0; k < 2; k++)
			row[k] = to_row_msg(&sb[k], &rec[k], &fresh[k], msg[k]);
		/* An empty buffer may have no memory at all (data NULL). */
		bool same_row = sb[0].size == sb[1].size &&
				(sb[0].size == 0 || memcmp(sb[0].data, sb[1].data, sb[0].size) == 0);
		if (row[0] != row[1] || strcmp(msg[0], msg[1]) != 0 || !same_row)
			fprintf(stderr, "fuzz_jsonl: record %d converts otherwise when plain: %d %s / %d %s\n",
				n + 1, row[0], msg[0], row[1], msg[1]);
		FUZZ_CHECK(row[0] == row[1] && strcmp(msg[0], msg[1]) == 0);
		FUZZ_CHECK(same_row);
	}
	for (int k = 0; k < 2; k++) {
		msgpack_sbuffer_destroy(&sb[k]);
		jsonl_reader_close(r[k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (cat == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	read_all((const char *)data, size, 0);
	read_all((const char *)data, size, 1);
	read_twice((const char *)data, size);
	return 0;
}
