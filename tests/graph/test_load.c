/* test_load.c — JSONL loads: modes, checks, atomicity, errors that name the record. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"

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
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
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
	cr_assert(strstr(grove_errmsg(db), "dst 'Nobody' not found in Person (edge Knows, record 2)"), "%s",
		  grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2);
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
	cr_assert(strstr(grove_errmsg(db),
			 "@card violation on edge WorksAt: source 'Alice' has 2 edges (max 1)"),
		  "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Company"), 1);
}

Test(load, unique_holds_across_the_input_and_committed_rows)
{
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"email\":\"b@x\"}}", NULL), 0);
	int err = gt_load(db, NULL, GROVE_LOAD_APPEND,
			  "{\"type\":\"Person\",\"data\":{\"name\":\"Carl\",\"email\":\"b@x\"}}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "@unique violation on Person.email: value 'b@x'"), "%s",
		  grove_errmsg(db));
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
			  "{\"type\":\"Person\",\"data\":{\"name\":\"DUP\"}}\n"
			  "{\"type\":\"Person\",\"data\":{\"name\":\"DUP\"}}", NULL);
	cr_assert_eq(err, GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "@unique violation on Person.name: value 'DUP'"), "%s",
		  grove_errmsg(db));
}
