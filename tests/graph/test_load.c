/* test_load.c — JSONL loads: modes, checks, atomicity, errors that name the record. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "graph_testutil.h"
#include "index/views.h"
#include "log/error.h"
#include "index/apply.h"
#include "replay/replay.h"

static const char people[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Acme\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\",\"data\":{\"since\":\"2020-01-02\"}}\n"
	"{\"edge\":\"worksAt\",\"from\":\"Alice\",\"to\":\"Acme\"}\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("load");
	db = gt_init(dir, NULL);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, people, NULL), 0, "%s", grove_errmsg(db));
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(load, .init = setup, .fini = teardown);

Test(load, overwrite_loads_every_type_in_one_commit)
{
	grove_commit *v;
	size_t n;
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Company"), 1);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 1);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:WorksAt"), 1);
	cr_assert_eq(grove_commit_list(&v, &n, db, "main"), 0);
	cr_assert_eq(n, 2, "genesis + one load");
	cr_assert_str_eq(v[0].actor, "tester");
	cr_assert_eq(v[0].graph_version, 2);
	cr_assert_str_eq(v[0].parent, v[1].id);
	grove_free(v);
}

Test(load, overwrite_replaces_only_the_types_in_the_input)
{
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Zara\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Zara\",\"to\":\"Zara\"}\n"
			     "{\"edge\":\"WorksAt\",\"from\":\"Zara\",\"to\":\"Acme\"}", NULL), 0,
		     "%s", grove_errmsg(db));
	char *ids;
	grove_target t = { NULL, NULL };
	cr_assert_eq(grove_scan_json(&ids, db, &t, "node:Person"), 0);
	cr_assert(strstr(ids, "\"Zara\"") && !strstr(ids, "\"Alice\""), "%s", ids);
	grove_free(ids);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Company"), 1, "Company was not in the input");
}

Test(load, append_of_an_existing_id_is_a_key_conflict_naming_it)
{
	grove_error_info info;
	int err = gt_load(db, NULL, GROVE_LOAD_APPEND,
			  "{\"type\":\"Person\",\"data\":{\"name\":\"Carol\"}}\n"
			  "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":99}}", NULL);
	cr_assert_eq(err, GROVE_EKEYCONFLICT);
	cr_assert_str_eq(grove_error_kind(err), "KeyConflict");
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.type_key, "node:Person");
	cr_assert_str_eq(info.entity_id, "Alice");
	cr_assert(strstr(grove_errmsg(db), "node type 'Person' already has this id"), "%s",
		  grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2, "nothing was written");
}

Test(load, merge_replaces_whole_rows_and_inserts_new_ones)
{
	char *e;
	grove_target t = { NULL, NULL };
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Dan\",\"age\":5}}", NULL), 0);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 3);
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "Alice"), 0);
	cr_assert_str_eq(e, "{\"id\":\"Alice\",\"name\":\"Alice\",\"age\":null,\"email\":null}");
	grove_free(e);
}

Test(load, a_dangling_edge_is_refused_and_nothing_is_written)
{
	int err = gt_load(db, NULL, GROVE_LOAD_APPEND,
			  "{\"type\":\"Person\",\"data\":{\"name\":\"Eve\"}}\n"
			  "{\"edge\":\"Knows\",\"from\":\"Eve\",\"to\":\"Nobody\"}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "dst 'Nobody' not found in Person (edge Knows, record 2, line 2)"), "%s",
		  grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2);
}

/* 50 new people y00..y49, then 300 Knows edges among them and the
 * committed x00..x49; with `ghosts`, edge 120 ends at Ghost1 and edge 200
 * at Ghost0, which do not exist. */
static char *people_and_edges(bool ghosts)
{
	size_t cap = 64 * 1024, n = 0;
	char *rows = malloc(cap);
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(rows + n, cap - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"y%02d\"}}\n", i);
	for (int i = 0; i < 300; i++) {
		char dst[16];
		snprintf(dst, sizeof dst, "%c%02d", i % 3 ? 'x' : 'y', (i * 7) % 50);
		const char *to = !ghosts ? dst : i == 120 ? "Ghost1" : i == 200 ? "Ghost0" : dst;
		n += (size_t)snprintf(rows + n, cap - n,
				      "{\"edge\":\"Knows\",\"from\":\"%c%02d\",\"to\":\"%s\"}\n",
				      i % 2 ? 'x' : 'y', i % 50, to);
	}
	return rows;
}

/* Append `count` nodes of `type` named `prefix` and their number in
 * `digits` digits. */
static void append_named(const char *type, char prefix, int digits, int count)
{
	size_t cap = (size_t)count * 80u, n = 0;
	char *rows = malloc(cap);
	cr_assert(rows);
	for (int i = 0; i < count; i++)
		n += (size_t)snprintf(rows + n, cap - n,
				      "{\"type\":\"%s\",\"data\":{\"name\":\"%c%0*d\"}}\n", type, prefix,
				      digits, i);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, rows, NULL), 0, "%s", grove_errmsg(db));
	free(rows);
}

/* 20,000 edges, 40,000 new people, 20,000 edges: Knows between people
 * of this load, and in the first block every fourth edge a WorksAt to
 * one of 100 committed companies; with `ghost`, edge 15,001 of the first
 * block and edge 5,001 of the second name nobody. */
static char *big_load(bool ghost)
{
	size_t cap = 80000u * 80u, n = 0;
	char *rows = malloc(cap);
	cr_assert(rows);
	for (int block = 0; block < 3; block++)
		for (int i = 0; i < (block == 1 ? 40000 : 20000); i++) {
			if (block == 1) {
				n += (size_t)snprintf(rows + n, cap - n,
						      "{\"type\":\"Person\",\"data\":{\"name\":\"n%05d\"}}\n", i);
				continue;
			}
			bool works = block == 0 && i % 4 == 0;
			char to[16];
			snprintf(to, sizeof to, works ? "c%05d" : "n%05d", works ? i % 100 : (i * 7) % 40000);
			if (ghost && i == (block ? 5001 : 15001))
				snprintf(to, sizeof to, "Ghost%d", block);
			n += (size_t)snprintf(rows + n, cap - n,
					      "{\"edge\":\"%s\",\"from\":\"n%05d\",\"to\":\"%s\"}\n",
					      works ? "WorksAt" : "Knows", (i * 13 + block) % 40000, to);
		}
	return rows;
}

/* A load big enough that two threads settle its endpoints (each over
 * half of its records) reports the same first dangling edge, and loads
 * the same graph, as a small one would; endpoints the branch settles
 * (the companies) and the input settles (the people) both. */
Test(load, a_big_load_reports_its_first_dangling_edge_in_input_order)
{
	append_named("Company", 'c', 5, 100);
	char *bad = big_load(true), *good = big_load(false);
	uint64_t before = gt_count(db, NULL, NULL, "node:Person");
	uint64_t companies = gt_count(db, NULL, NULL, "node:Company");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, bad, NULL), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db),
			 "dst 'Ghost0' not found in Person (edge Knows, record 15002, line 15002)"),
		  "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), before, "unchanged");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, good, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 40000);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Company"), companies, "not in the input");
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 35000);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:WorksAt"), 5000);
	free(bad);
	free(good);
}

/* Endpoints are looked up in key order, once each, but the edge reported
 * is the first bad one in input order, with the endpoint it misses: the
 * committed, the loaded and the missing nodes interleave, and the missing
 * one that sorts first comes last. */
Test(load, the_first_dangling_edge_in_input_order_is_reported)
{
	append_named("Person", 'x', 2, 50);
	char *bad = people_and_edges(true), *good = people_and_edges(false);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, bad, NULL), GROVE_EINVAL);
	/* edge 120 is record 50 + 121 */
	cr_assert(strstr(grove_errmsg(db), "dst 'Ghost1' not found in Person (edge Knows, record 171, line 171)"),
		  "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 52);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 1);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, good, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 102);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 301);
	free(bad);
	free(good);
	/* Key conflicts of an append are asked in key order too: the first by
	 * position is named, though x05 sorts before x40. */
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"z01\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"x40\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"z02\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"x05\"}}\n", NULL),
		     GROVE_EKEYCONFLICT);
	cr_assert(strstr(grove_errmsg(db), "already has this id: node:Person 'x40' (record 2, line 2)"), "%s",
		  grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 102);
}

/* Thousands of committed endpoints are sorted for their lookups by a
 * radix pass over their first 8 bytes, and runs that share them (a
 * hundred ids each here) by the whole id: every one is
 * found, each edge goes where it says, and the missing one, which sorts
 * first but comes last, is the one reported. */
Test(load, thousands_of_committed_endpoints_are_all_found)
{
	enum { N = 6000 };
	append_named("Person", 'q', 9, N);
	size_t cap = (size_t)(N + 1) * 96u, n = 0;
	char *edges = malloc(cap);
	cr_assert(edges);
	for (int i = 0; i < N; i++)
		n += (size_t)snprintf(edges + n, cap - n,
				      "{\"edge\":\"Knows\",\"from\":\"q%09d\",\"to\":\"q%09d\"}\n", i,
				      (int)((i * 7919L + 13) % N));
	size_t good = n;
	snprintf(edges + n, cap - n, "{\"edge\":\"Knows\",\"from\":\"q%09d\",\"to\":\"a\"}\n", 5);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, edges, NULL), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "dst 'a' not found in Person (edge Knows, record 6001, line 6001)"),
		  "%s", grove_errmsg(db));
	edges[good] = '\0';
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, edges, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), N + 1);
	for (int i = 0; i < N; i += 997) {
		char q[160], want[64], *json = NULL;
		snprintf(q, sizeof q, "query q() { match { $a: Person { name: \"q%09d\" } $a knows $b }"
			 " return { $b.name } }", i);
		cr_assert_eq(grove_query_json(&json, db, NULL, q, NULL, NULL), 0, "%s", grove_errmsg(db));
		snprintf(want, sizeof want, "\"rows\":[{\"b.name\":\"q%09d\"}]", (int)((i * 7919L + 13) % N));
		cr_assert(strstr(json, want), "%s: %s", want, json);
		grove_free(json);
	}
	free(edges);
}

Test(load, overwrite_cannot_drop_a_node_a_kept_edge_still_uses)
{
	int err = gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			  "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "'Bob' not found in Person"), "%s", grove_errmsg(db));
}

Test(load, cardinality_is_checked_for_touched_sources)
{
	int err = gt_load(db, NULL, GROVE_LOAD_APPEND,
			  "{\"type\":\"Company\",\"data\":{\"name\":\"Beta\"}}\n"
			  "{\"edge\":\"WorksAt\",\"from\":\"Alice\",\"to\":\"Beta\"}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	/* Named by the input edge from that source (its record and line). */
	cr_assert_str_eq(grove_errmsg(db), "@card violation on edge WorksAt: source 'Alice' has 2 edges "
			 "(max 1) (record 2, line 2)");
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Company"), 1);
}

Test(load, unique_holds_across_the_input_and_committed_rows)
{
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"email\":\"b@x\"}}", NULL), 0);
	int err = gt_load(db, NULL, GROVE_LOAD_APPEND,
			  "\n{\"type\":\"Person\",\"data\":{\"name\":\"Carl\",\"email\":\"b@x\"}}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	/* The committed holder first, then the written one (OmniGraph's order). */
	cr_assert(strstr(grove_errmsg(db), "@unique violation on Person.email: value 'b@x' held by "
			 "'Bob' and 'Carl' (record 1, line 2)"), "%s", grove_errmsg(db));
}

/* Composite tuples are told apart member by member: ("x,y", "z") and
 * ("x", "y,z") read the same joined with commas, as messages print them. */
Test(load, unique_tuples_whose_joined_texts_agree_are_distinct)
{
	char *gdir;
	grove_db *g = gt_scratch(&gdir, "uniqtuple",
				 "node Item { code: String @key  a: String?  b: String?  @unique(a, b) }\n"
				 "node P { name: String @key }\n"
				 "edge Ref: P -> P { @unique(src, dst) }\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Item\",\"data\":{\"code\":\"1\",\"a\":\"x,y\",\"b\":\"z\"}}\n"
			     "{\"type\":\"Item\",\"data\":{\"code\":\"2\",\"a\":\"x\",\"b\":\"y,z\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"x,y\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"z\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"x\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"y,z\"}}\n"
			     "{\"edge\":\"Ref\",\"from\":\"x,y\",\"to\":\"z\"}\n"
			     "{\"edge\":\"Ref\",\"from\":\"x\",\"to\":\"y,z\"}\n", NULL),
		     0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Item"), 2);
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:Ref"), 2);
	/* A real duplicate is still one, its tuple shown as OmniGraph's
	 * format_tuple shows it. */
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Item\",\"data\":{\"code\":\"3\",\"a\":\"x\",\"b\":\"y,z\"}}", NULL),
		     GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(g), "@unique violation on Item.(a, b): value '(x, y,z)' held by"),
		  "%s", grove_errmsg(g));
	gt_scratch_done(g, gdir);
}

struct progress_seen {
	uint64_t calls, records, bytes;
	int ordered;
};

static void on_progress(void *arg, uint64_t records, uint64_t bytes)
{
	struct progress_seen *p = arg;
	p->ordered &= records > p->records && bytes > p->bytes;
	p->calls++;
	p->records = records;
	p->bytes = bytes;
}

/* The progress callback counts records and the bytes of their text. */
Test(load, progress_reports_records_and_bytes)
{
	enum { N = 140000 };
	size_t cap = (size_t)N * 64, len = 0;
	char *text = malloc(cap);
	cr_assert(text);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"{\"type\":\"Person\",\"data\":{\"name\":\"p%d\"}}\n", i);
	struct progress_seen seen = { .ordered = 1 };
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE, .progress = on_progress,
				 .progress_arg = &seen };
	grove_load_result r;
	char *gdir;   /* overwrite (merge caps keyed rows) into a graph of its own */
	grove_db *g = gt_scratch(&gdir, "progress", NULL);
	cr_assert_eq(grove_load(&r, g, &o, text, len), 0, "%s", grove_errmsg(g));
	gt_scratch_done(g, gdir);
	cr_assert_eq(seen.calls, 2, "every 65536 records");
	cr_assert_eq(seen.records, 131072);
	cr_assert(seen.ordered);
	/* The records' own bytes: all but the newlines of the first 131072. */
	size_t want = 0;
	for (int i = 0; i < 131072; i++)
		want += (size_t)snprintf(NULL, 0, "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\"}}", i);
	cr_assert_eq(seen.bytes, want);
	free(text);
}

Test(load, a_bad_value_names_the_record_line_and_property)
{
	int err = gt_load(db, NULL, GROVE_LOAD_APPEND,
			  "\n\n{\"type\":\"Person\",\"data\":{\"name\":\"Big\",\"age\":3000000000}}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "property 'age' value 3000000000 exceeds Int32 range"),
		  "%s", grove_errmsg(db));
	cr_assert(strstr(grove_errmsg(db), "record 1, line 3"), "%s", grove_errmsg(db));
}

Test(load, an_empty_load_still_makes_a_commit)
{
	grove_load_result r;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, "", &r), 0);
	cr_assert_eq(r.nodes + r.edges, 0);
	cr_assert_eq(r.commit.graph_version, 3);
}

Test(load, duplicate_keys_within_one_input_are_refused)
{
	int err = gt_load(db, NULL, GROVE_LOAD_MERGE,
			  "{\"type\":\"Person\",\"data\":{\"name\":\"DUP\"}}\n\n"
			  "{\"type\":\"Person\",\"data\":{\"name\":\"DUP\"}}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "@unique violation on Person.name: value 'DUP'"), "%s",
		  grove_errmsg(db));
	cr_assert(strstr(grove_errmsg(db), "(record 2, line 3)"), "%s", grove_errmsg(db));
}

/* Lenient records are counted, not lines: a reader's error and a missing
 * endpoint say the line too. */
Test(load, reader_and_endpoint_errors_name_the_line)
{
	int err = gt_load(db, NULL, GROVE_LOAD_MERGE,
			  "\n\n{\"type\":\"Person\",\"data\":{\"name\":\"Z1\"}}\n\n\n"
			  "{\"type\":\"Persn\",\"data\":{\"name\":\"Z2\"}}\n", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "record 2: unknown node type 'Persn' (line 6)"), "%s",
		  grove_errmsg(db));
	err = gt_load(db, NULL, GROVE_LOAD_MERGE,
		      "\n\n{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Nobody\"}\n", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "dst 'Nobody' not found in Person (edge Knows, record 1, "
			 "line 3)"), "%s", grove_errmsg(db));
	/* A raw newline inside a string: jansson's own words hold "line". */
	err = gt_load(db, NULL, GROVE_LOAD_MERGE,
		      "{\"type\":\"Person\",\"data\":{\"name\":\"Z3\"}}\n"
		      "{\"type\":\"Person\",\n\"data\":{\"name\":\"a\nb\"}}\n", NULL);
	cr_assert_eq(err, GROVE_EPARSE);
	cr_assert_str_eq(grove_errmsg(db), "invalid JSON at record 2: unexpected newline near '\"a' "
			 "(line 3)");
}

/* The meta record replay restarts from, read straight from the views. */
static uint64_t replay_from_of(const char *graph)
{
	char vdir[4096];
	struct views *v;
	MDB_txn *txn;
	uint64_t from = 0;

	snprintf(vdir, sizeof vdir, "%s/views", graph);
	cr_assert_eq(views_open(&v, vdir, 0), 0, "%s", log_errmsg());
	cr_assert_eq(views_read_begin(&txn, v), 0);
	cr_assert_eq(meta_get_u64(&from, txn, v, "replay_from"), 0);
	mdb_txn_abort(txn);
	views_close(v);
	return from;
}

/* A replay that commits right after a multi-chunk load's last chunk must
 * record that the next replay starts after the load, not at its first
 * chunk: else every later open decodes the whole load again (a 1M-node
 * graph took a second to open after a rebuild). */
Test(load, a_replayed_load_does_not_hold_the_next_replay_back)
{
	char *gdir = gt_dir("load-replay");
	grove_options o = GROVE_OPTIONS_INIT;
	grove_db *g;
	char rows[40 * 64];
	size_t n = 0;

	o.load_chunk_bytes = 256; /* 40 rows make several chunks */
	cr_assert_eq(grove_init(&g, gdir, gt_schema, &o), 0, "%s", grove_errmsg(NULL));
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(rows + n, sizeof rows - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"r%d\",\"age\":%d}}\n", i, i);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, rows, NULL), 0, "%s", grove_errmsg(g));
	uint64_t last = grove_log_last_lsn(g);
	grove_close(g);
	cr_assert_eq(replay_from_of(gdir), last + 1, "the live apply");

	replay_txn_max_events = 1; /* commit after every event */
	int err = grove_rebuild(gdir, NULL);
	replay_txn_max_events = 10000;
	cr_assert_eq(err, 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(replay_from_of(gdir), last + 1, "after a rebuild: %lu",
		     (unsigned long)replay_from_of(gdir));
	cr_assert_eq(grove_open(&g, gdir, &o), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), 40);
	gt_scratch_done(g, gdir);
}

/* A load bigger than an apply part is applied part by part in one LMDB
 * transaction: edges in a later part find endpoints made by an earlier
 * one, a second load updates rows and moves edges across parts, and the
 * result is what a rebuild (in parts too) and an export give. */
Test(load, a_load_applied_in_parts_is_whole)
{
	char *gdir;
	grove_db *g = gt_scratch(&gdir, "load-parts", NULL);
	char rows[60 * 96];
	size_t n = 0;

	views_apply_part_effects = 7;
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(rows + n, sizeof rows - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"age\":%d}}\n", i, i);
	for (int i = 0; i < 29; i++)
		n += (size_t)snprintf(rows + n, sizeof rows - n,
				      "{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n", i, 29 - i);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, rows, NULL), 0, "%s", grove_errmsg(g));
	n = 0;
	for (int i = 0; i < 30; i += 3)
		n += (size_t)snprintf(rows + n, sizeof rows - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"age\":%d}}\n", i, 100 + i);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, rows, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), 30);
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:Knows"), 29);
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, g, NULL,
				      "query q() { match { $a: Person { name: \"p3\" } $a knows $b }"
				      " return { $a.age, $b.name } }", NULL, NULL), 0, "%s", grove_errmsg(g));
	cr_assert(strstr(json, "\"rows\":[{\"a.age\":103,\"b.name\":\"p26\"}]") != NULL, "%s", json);
	free(json);
	char *before = gt_export(g, NULL, NULL);
	grove_close(g);
	cr_assert_eq(grove_verify(gdir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_rebuild(gdir, NULL), 0, "%s", grove_errmsg(NULL));
	views_apply_part_effects = VIEWS_APPLY_PART_EFFECTS;
	cr_assert_eq(grove_open(&g, gdir, NULL), 0, "%s", grove_errmsg(NULL));
	char *after = gt_export(g, NULL, NULL);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	gt_scratch_done(g, gdir);
}

/* A rebuild moves the old views aside and deletes them while it replays;
 * what a rebuild that died left aside is deleted by the next one. */
Test(load, a_rebuild_deletes_the_old_views_and_any_left_aside)
{
	char *gdir;
	grove_db *g = gt_scratch(&gdir, "load-rebuild-aside", NULL);
	char old[1024], junk[1100];
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, people, NULL), 0, "%s", grove_errmsg(g));
	grove_close(g);
	snprintf(old, sizeof old, "%s/views.old", gdir);
	snprintf(junk, sizeof junk, "%s/data.mdb", old);
	cr_assert_eq(mkdir(old, 0755), 0);
	FILE *f = fopen(junk, "w");
	cr_assert(f && fputs("left by a rebuild that died", f) >= 0 && fclose(f) == 0);
	cr_assert_eq(grove_rebuild(gdir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_neq(access(old, F_OK), 0, "%s is still there", old);
	cr_assert_eq(grove_open(&g, gdir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), 2);
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:Knows"), 1);
	grove_close(g);
	cr_assert_eq(grove_rebuild(gdir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_neq(access(old, F_OK), 0, "%s is still there", old);
	gt_rmtree(gdir);
	free(gdir);
}

Test(load, an_invalid_check_pattern_fails_only_rows_it_must_check)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-badcheck", 
				  "node R { name: String @key\n c: String?\n @check(c, \"^(a\") }\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE, "{\"type\":\"R\",\"data\":{\"name\":\"x\"}}\n", NULL),
		     0, "a NULL is never checked: %s", grove_errmsg(g));
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND,
			     "{\"type\":\"R\",\"data\":{\"name\":\"y\",\"c\":\"a\"}}\n", NULL), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(g), "@check on R.c has invalid regex '^(a': missing closing parenthesis"),
		  "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, "main", NULL, "node:R"), 1);
	gt_scratch_done(g, d);
}

Test(load, a_report_counts_each_type_loaded)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-report", 
				  "node P { name: String @key }\nnode Q { name: String @key }\nedge E: P -> P\n");
	const char *in = "{\"type\":\"P\",\"data\":{\"name\":\"a\"}}\n{\"type\":\"P\",\"data\":{\"name\":\"b\"}}\n"
			 "{\"edge\":\"E\",\"from\":\"a\",\"to\":\"b\"}\n";
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE, .branch = "f", .from = "main", .actor = "ann",
				 .report = 1 };
	grove_load_result r;
	cr_assert_eq(grove_load(&r, g, &o, in, strlen(in)), 0, "%s", grove_errmsg(g));
	char want[1024];
	snprintf(want, sizeof want,
		 "{\"branch\":\"f\",\"base_branch\":\"main\",\"branch_created\":true,\"mode\":\"overwrite\","
		 "\"nodes\":[{\"name\":\"P\",\"entities_loaded\":2}],\"edges\":[{\"name\":\"E\",\"entities_loaded\":1}],"
		 "\"total_entities\":3,\"actor_id\":\"ann\",\"commit\":{\"graph_commit_id\":\"%s\","
		 "\"graph_branch\":\"f\",\"graph_manifest_version\":%lu,\"parent_commit_id\":\"%s\","
		 "\"merged_parent_commit_id\":null,\"actor_id\":\"ann\",\"created_at\":%ld}}",
		 r.commit.id, (unsigned long)r.commit.graph_version, r.commit.parent, (long)r.commit.created_at_us);
	cr_assert_str_eq(r.report_json, want);
	grove_free(r.report_json);
	o.report = 0;  /* not asked: none */
	cr_assert_eq(grove_load(&r, g, &o, in, strlen(in)), 0, "%s", grove_errmsg(g));
	cr_assert_null(r.report_json);
	gt_scratch_done(g, d);
}

Test(load, an_unkeyed_id_twice_is_a_key_conflict_unless_merging)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-dupid", "node Thing { value: String }\n");
	const char *in = "{\"type\":\"Thing\",\"data\":{\"id\":\"DUP\",\"value\":\"a\"}}\n"
			 "{\"type\":\"Thing\",\"data\":{\"id\":\"DUP\",\"value\":\"b\"}}\n";
	grove_error_info info;
	for (int mode = GROVE_LOAD_OVERWRITE; mode <= GROVE_LOAD_APPEND; mode++) {
		cr_assert_eq(gt_load(g, NULL, mode, in, NULL), GROVE_EKEYCONFLICT, "mode %d", mode);
		cr_assert_str_eq(grove_errmsg(g), "node type 'Thing' already has this id: node:Thing 'DUP' "
				 "(record 2, line 2)");
		grove_error_info_get(&info, g);
		cr_assert_str_eq(info.type_key, "node:Thing");
		cr_assert_str_eq(info.entity_id, "DUP");
		cr_assert_eq(gt_count(g, "main", NULL, "node:Thing"), 0);
	}
	/* In a merge they collapse, the last wins (spec §8.3). */
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, in, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, "main", NULL, "node:Thing"), 1);
	gt_scratch_done(g, d);
}

Test(load, one_legacy_id_naming_two_keyed_nodes_is_refused)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-ambiguous",
				 "node Slot { tenant: String\n slot: String\n @key(tenant, slot) }\n");
	const char *in = "{\"type\":\"Slot\",\"data\":{\"id\":\"7\",\"tenant\":\"acme\",\"slot\":\"7\"}}\n"
			 "{\"type\":\"Slot\",\"data\":{\"id\":\"7\",\"tenant\":\"globex\",\"slot\":\"7\"}}\n";
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE, in, NULL), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(g), "refusing ambiguous edge endpoint remap"), "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, "main", NULL, "node:Slot"), 0);
	gt_scratch_done(g, d);
}

Test(load, a_row_of_the_largest_line_fits_one_log_record)
{
	/* A 20 MiB string: more than the old 16 MiB record, less than the
	 * 32 MiB line limit (the row is one record: no row is split). */
	size_t n = 20u << 20;
	char *in = malloc(n + 128);
	cr_assert_not_null(in);
	int at = snprintf(in, 128, "{\"type\":\"Person\",\"data\":{\"name\":\"Big\",\"email\":\"");
	memset(in + at, 'x', n);
	strcpy(in + at + n, "\"}}\n");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, in, NULL), 0, "%s", grove_errmsg(db));
	free(in);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 3);
	/* And the log reads it back: a fresh replay, a rebuild, an open. */
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_rebuild(dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 3);
}

/* Log records are bounded by the handle's log_max_record_bytes (here
 * 1 MiB): chunks stay under it, and a row that cannot fit one record (an
 * F64 list: 4 bytes an element in JSON, 9 in the row) is refused while
 * planning, naming its record, with nothing logged and the handle well. */
Test(load, rows_and_chunks_are_held_to_the_log_record_limit)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-reclimit", "node V { k: String @key\n xs: [F64]?\n s: String? }\n");
	grove_close(g);
	grove_options o = GROVE_OPTIONS_INIT;
	o.log_max_record_bytes = 1u << 20;
	cr_assert_eq(grove_open(&g, d, &o), 0, "%s", grove_errmsg(NULL));
	/* 4,000 rows of 600 bytes: 2.4 MB of rows, in records under 1 MiB. */
	size_t cap = 8u << 20, at = 0;
	char *in = malloc(cap);
	for (int i = 0; i < 4000; i++)
		at += (size_t)snprintf(in + at, cap - at, "{\"type\":\"V\",\"data\":{\"k\":\"v%d\",\"s\":\"%0600d\"}}\n", i, i);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, in, NULL), 0, "%s", grove_errmsg(g));
	/* Then a small row and one of 150,000 F64s: 600 KB of JSON, 1.35 MB stored. */
	at = (size_t)snprintf(in, cap, "{\"type\":\"V\",\"data\":{\"k\":\"small\"}}\n{\"type\":\"V\",\"data\":{\"k\":\"wide\",\"xs\":[");
	for (int i = 0; i < 150000; i++)
		at += (size_t)snprintf(in + at, cap - at, "%s1.5", i ? "," : "");
	strcpy(in + at, "]}}\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, in, NULL), GROVE_ETOOBIG);
	cr_assert(strstr(grove_errmsg(g), "node V: its stored row of"), "%s", grove_errmsg(g));
	cr_assert(strstr(grove_errmsg(g), "(record 2, line 2)"), "%s", grove_errmsg(g));
	free(in);
	cr_assert_eq(gt_count(g, NULL, NULL, "node:V"), 4000);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, "{\"type\":\"V\",\"data\":{\"k\":\"after\"}}\n", NULL), 0,
		     "the handle is not poisoned: %s", grove_errmsg(g));
	grove_close(g);
	cr_assert_eq(grove_verify(d), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&g, d, &o), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:V"), 4001);
	gt_scratch_done(g, d);
}

/* One line of `n` bytes of text in Person.email (key `name`). */
static char *wide_person(const char *name, size_t n)
{
	char *in = malloc(n + 128);
	cr_assert_not_null(in);
	int at = snprintf(in, 128, "{\"type\":\"Person\",\"data\":{\"name\":\"%s\",\"email\":\"", name);
	memset(in + at, 'w', n);
	strcpy(in + at + n, "\"}}\n");
	return in;
}

/* Engine §5.8: an append or merge takes at most 32 MiB of one keyed
 * type's rows; a single line longer than that is judged by this bound
 * too (OmniGraph's lenient reader has no line bound of its own), while the
 * strict dialect bounds a line at 32 MiB (graph_batch_line_bytes). */
Test(load, keyed_rows_over_32_mib_are_refused_by_their_byte_bound, .timeout = 120)
{
	char *in = wide_person("wide", (32u << 20) + 1024);
	grove_error_info info;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, in, NULL), GROVE_ELIMIT, "%s", grove_errmsg(db));
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "keyed entity bytes for node:Person");
	cr_assert_eq(info.limit, 32u << 20);
	cr_assert_gt(info.actual, info.limit);
	grove_load_options so = { .mode = GROVE_LOAD_APPEND, .strict = 1 };
	grove_load_result r;
	cr_assert_eq(grove_load(&r, db, &so, in, strlen(in)), GROVE_ELIMIT, "%s", grove_errmsg(db));
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "graph_batch_line_bytes");
	cr_assert(strstr(grove_errmsg(db), "line 1"), "%s", grove_errmsg(db));
	free(in);
	/* Two rows of 17 MiB: each fine alone, too much together. */
	char *a = wide_person("a", 17u << 20), *b = wide_person("b", 17u << 20);
	size_t la = strlen(a), lb = strlen(b);
	char *both = malloc(la + lb + 1);
	memcpy(both, a, la);
	memcpy(both + la, b, lb + 1);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, both, NULL), GROVE_ELIMIT);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "keyed entity bytes for node:Person");
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2, "nothing written");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, a, NULL), 0, "%s", grove_errmsg(db));
	free(a);
	free(b);
	free(both);
}

Test(load, an_external_blob_uri_is_refused_by_the_policy_with_its_own_kind)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-blob-policy", "node Doc { name: String @key\n body: Blob? }\n");
	const char *in = "{\"type\":\"Doc\",\"data\":{\"name\":\"a\",\"body\":\"s3://bucket/a\"}}\n";
	grove_load_options o = { .mode = GROVE_LOAD_MERGE };
	grove_load_result r;
	cr_assert_eq(grove_load(&r, g, &o, in, strlen(in)), GROVE_EBLOBPOLICY);
	cr_assert_str_eq(grove_error_kind(GROVE_EBLOBPOLICY), "ExternalBlobPolicy");
	cr_assert(strstr(grove_errmsg(g), "external blob URI 's3://bucket/a' is not allowed"), "%s", grove_errmsg(g));
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, g, NULL, "query m($b: Blob) { insert Doc { name: \"b\", body: $b } }",
				       "m", "{\"b\":\"https://x/y\"}"), GROVE_EBLOBPOLICY);
	cr_assert(strstr(grove_errmsg(g), "param 'b': external blob URI 'https://x/y' is not allowed"), "%s",
		  grove_errmsg(g));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Doc"), 0);
	gt_scratch_done(g, d);
}

/* A managed Blob as large as the bound loads (its base64 line is longer
 * than the log record limit); one byte more is a resource limit. */
static char *blob_record(size_t bytes)
{
	size_t b64 = (bytes + 2) / 3 * 4;
	char *s = malloc(b64 + 128), *p = s;
	p += sprintf(p, "{\"type\":\"Doc\",\"data\":{\"name\":\"big\",\"body\":\"base64:");
	memset(p, 'A', b64);
	for (size_t pad = (3 - bytes % 3) % 3, i = 0; i < pad; i++)
		p[b64 - 1 - i] = '=';
	strcpy(p + b64, "\"}}\n");
	return s;
}

Test(load, a_blob_up_to_32_mib_loads_and_a_larger_one_is_a_resource_limit)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-blob-bound", "node Doc { name: String @key\n body: Blob? }\n");
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE };
	grove_load_result r;
	char *ok = blob_record(32u << 20), *big = blob_record((32u << 20) + 1);
	cr_assert_eq(grove_load(&r, g, &o, ok, strlen(ok)), 0, "%s", grove_errmsg(g));
	cr_assert_eq(grove_load(&r, g, &o, big, strlen(big)), GROVE_ELIMIT);
	grove_error_info info;
	grove_error_info_get(&info, g);
	cr_assert_str_eq(info.resource, "decoded blob input bytes");
	cr_assert_eq(info.actual, (32u << 20) + 1);
	cr_assert(strstr(grove_errmsg(g), "blob property 'body': resource limit exceeded: decoded blob input "
			 "bytes: 33554433 > 33554432 (record 1, line 1)"), "%s", grove_errmsg(g));
	free(ok);
	free(big);
	gt_scratch_done(g, d);
}

/* An edge without data.id gets a new ULID, which nothing can name or
 * repeat, so the plan keeps it out of its id checks (load.c keep_item);
 * an id the input gives is checked as ever, against the input and the
 * branch, in every mode that refuses duplicates. */
Test(load, edges_with_made_ids_never_conflict_but_given_ids_do)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-edgeids", "node P { name: String @key }\nedge E: P -> P\n");
	const char *pq = "{\"type\":\"P\",\"data\":{\"name\":\"a\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"b\"}}\n";
	const char *made = "{\"edge\":\"E\",\"from\":\"a\",\"to\":\"b\"}\n"
			   "{\"edge\":\"E\",\"from\":\"a\",\"to\":\"b\"}\n";
	const char *given = "{\"edge\":\"E\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"id\":\"e1\"}}\n";
	const char *twice = "{\"edge\":\"E\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"id\":\"e2\"}}\n"
			    "{\"edge\":\"E\",\"from\":\"b\",\"to\":\"a\",\"data\":{\"id\":\"e2\"}}\n";
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, pq, NULL), 0, "%s", grove_errmsg(g));
	for (int i = 0; i < 2; i++)
		cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, made, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, "main", NULL, "edge:E"), 4, "two loads of two edges each");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, given, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, given, NULL), GROVE_EKEYCONFLICT);
	cr_assert_str_eq(grove_errmsg(g), "edge type 'E' already has this id: edge:E 'e1' "
			 "(record 1, line 1)");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, twice, NULL), GROVE_EKEYCONFLICT);
	cr_assert(strstr(grove_errmsg(g), "'e2'"), "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, "main", NULL, "edge:E"), 5, "the refused loads changed nothing");
	/* A merge of the given id again replaces that edge, made ids add. */
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, given, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, made, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, "main", NULL, "edge:E"), 7);
	cr_assert_eq(grove_verify(d), 0, "%s", grove_errmsg(NULL));
	gt_scratch_done(g, d);
}
