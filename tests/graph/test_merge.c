/* test_merge.c — three-way merge: outcomes, the truth table of engine §3.8,
 * conflicts leave the target unchanged, concurrent merges of distinct pairs. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"

static const char schema[] =
	"node Person { name: String @key\n age: I32? }\n"
	"edge Knows: Person -> Person\n";

static const char ops[] =
	"query add_eve($a: I32) { insert Person { name: \"Eve\", age: $a } }\n"
	"query remove_alice() { delete Person where name = \"Alice\" }\n"
	"query add_edge() { insert Knows { from: \"Alice\", to: \"Carol\" } }\n"
	"query remove_edges() { delete Knows where from = \"Bob\" }\n"
	"query set_age($a: I32) { update Person set { age: $a } where name = \"Alice\" }\n"
	"query del_edge() { delete Knows where from = \"Alice\" }\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("merge");
	db = gt_init(dir, schema);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Carol\",\"age\":40}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Dan\",\"age\":50}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Carol\"}\n", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "feature", NULL, NULL), 0);
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(merge, .init = setup, .fini = teardown);

static void run(const char *branch, const char *name, const char *params)
{
	grove_mutate_options o = { .branch = branch };
	char *out;
	int err = grove_mutate_json(&out, db, &o, ops, name, params);
	cr_assert_eq(err, 0, "%s on %s: %s", name, branch, grove_errmsg(db));
	grove_free(out);
}

static int merge(char **out)
{
	return grove_merge_json(out, db, "feature", "main", NULL);
}

static void expect_outcome(const char *outcome)
{
	char *out, want[64];
	int err = merge(&out);
	cr_assert_eq(err, 0, "%s", grove_errmsg(db));
	snprintf(want, sizeof want, "\"outcome\":\"%s\"", outcome);
	cr_assert(strstr(out, want), "%s", out);
	grove_free(out);
}

static void expect_conflict(const char *kind, const char *type_key, const char *id)
{
	char *out = NULL, want[128];
	char *before = gt_export(db, "main", NULL);
	int err = merge(&out);
	cr_assert_eq(err, GROVE_EMERGE, "%d %s", err, grove_errmsg(db));
	cr_assert_str_eq(grove_error_kind(err), "MergeConflicts");
	cr_assert(out && strstr(out, kind), "%s", out ? out : "(null)");
	snprintf(want, sizeof want, "\"type_key\":\"%s\"", type_key);
	cr_assert(strstr(out, want), "%s", out);
	if (id && !strcmp(id, "*")) {  /* some id (a generated edge id) */
		cr_assert(strstr(out, "\"entity_id\":\"") && !strstr(out, "\"entity_id\":null"), "%s", out);
	} else if (id) {
		snprintf(want, sizeof want, "\"entity_id\":\"%s\"", id);
		cr_assert(strstr(out, want), "%s", out);
	}
	char *after = gt_export(db, "main", NULL);
	cr_assert_str_eq(before, after, "a conflicted merge writes nothing");
	grove_free(out);
	free(before);
	free(after);
}

Test(merge, nothing_to_merge_is_already_up_to_date)
{
	expect_outcome("already_up_to_date");
}

Test(merge, an_unmoved_target_is_fast_forwarded_with_a_merge_commit)
{
	grove_commit src, head;
	run("feature", "add_eve", "{\"a\":21}");
	cr_assert_eq(grove_branch_head(&src, db, "feature"), 0);
	expect_outcome("fast_forward");
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	cr_assert_str_eq(head.merged_parent, src.id);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 5);
	expect_outcome("already_up_to_date");
}

Test(merge, changes_on_both_sides_merge_cleanly_when_disjoint)
{
	run("feature", "add_eve", "{\"a\":21}");
	run("main", "remove_edges", NULL);
	expect_outcome("merged");
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 5);
	cr_assert_eq(gt_count(db, "main", NULL, "edge:Knows"), 0);
}

/* The 8192-keyed-entities cap limits one load or mutation, not the
 * history a merge carries. */
Test(merge, a_merge_carries_more_keyed_entities_than_one_load_may, .timeout = 120)
{
	for (int part = 0; part < 2; part++) {
		size_t cap = 4600 * 64, n = 0;
		char *jsonl = malloc(cap);
		cr_assert(jsonl);
		for (int i = 0; i < 4600; i++)
			n += (size_t)snprintf(jsonl + n, cap - n,
					      "{\"type\":\"Person\",\"data\":{\"name\":\"p%d-%d\"}}\n", part, i);
		cr_assert_eq(gt_load(db, "feature", GROVE_LOAD_MERGE, jsonl, NULL), 0, "%s", grove_errmsg(db));
		free(jsonl);
	}
	run("main", "remove_edges", NULL);
	expect_outcome("merged");
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 4 + 9200);
	cr_assert_eq(gt_count(db, "main", NULL, "edge:Knows"), 0);
}

Test(merge, divergent_inserts_conflict)
{
	run("feature", "add_eve", "{\"a\":21}");
	run("main", "add_eve", "{\"a\":22}");
	expect_conflict("divergent_insert", "node:Person", "Eve");
}

Test(merge, the_same_insert_on_both_sides_is_clean)
{
	run("feature", "add_eve", "{\"a\":21}");
	run("main", "add_eve", "{\"a\":21}");
	expect_outcome("merged");
}

Test(merge, divergent_updates_conflict)
{
	run("feature", "set_age", "{\"a\":31}");
	run("main", "set_age", "{\"a\":32}");
	char *out = NULL;
	cr_assert_eq(merge(&out), GROVE_EMERGE);
	grove_free(out);
	/* OmniGraph's engine text, each conflict with its message. */
	cr_assert_str_eq(grove_errmsg(db), "merge conflicts: node type 'Person', entity id 'Alice' "
			 "(divergent_update): divergent update for id 'Alice'");
	expect_conflict("divergent_update", "node:Person", "Alice");
}

Test(merge, delete_against_update_conflicts)
{
	run("feature", "remove_alice", NULL);
	run("main", "set_age", "{\"a\":32}");
	expect_conflict("delete_vs_update", "node:Person", "Alice");
}

Test(merge, an_edge_to_a_node_the_other_side_deleted_is_an_orphan)
{
	run("feature", "add_edge", NULL);
	run("main", "remove_alice", NULL);
	expect_conflict("orphan_edge", "edge:Knows", "*"); /* the edge's id (engine §3.4) */
}

Test(merge, a_unique_violation_names_the_incoming_entity)
{
	char *udir;
	grove_db *u = gt_scratch(&udir, "merge-unique", 
				  "node User { name: String @key\n email: String?\n @unique(email) }\n");
	const char *ins = "query ins($n: String, $e: String) { insert User { name: $n, email: $e } }";
	grove_mutate_options om = { .branch = "main" }, of = { .branch = "f" };
	char *out = NULL;
	cr_assert_eq(grove_branch_create(u, "f", NULL, NULL), 0, "%s", grove_errmsg(u));
	cr_assert_eq(grove_mutate_json(&out, u, &om, ins, "ins", "{\"n\":\"Bob\",\"e\":\"d@x\"}"), 0);
	grove_free(out);
	cr_assert_eq(grove_mutate_json(&out, u, &of, ins, "ins", "{\"n\":\"Carol\",\"e\":\"d@x\"}"), 0);
	grove_free(out);
	out = NULL;
	cr_assert_eq(grove_merge_json(&out, u, "f", "main", NULL), GROVE_EMERGE, "%s", grove_errmsg(u));
	cr_assert(strstr(out, "\"kind\":\"UniqueViolation\"") || strstr(out, "unique_violation"), "%s", out);
	cr_assert(strstr(out, "\"entity_id\":\"Carol\""), "%s", out);
	grove_free(out);
	gt_scratch_done(u, udir);
}

/* Every violation of the merged image is reported, not the first one
 * only (engine §3.6: merge_conflicts is the full list): two orphan edges,
 * a @unique clash and a @card excess, from one merge. */
Test(merge, every_violation_of_the_merged_image_is_reported)
{
	char *vdir;
	grove_db *v = gt_scratch(&vdir, "merge-all",
				 "node P { name: String @key\n email: String? @unique }\n"
				 "node C { name: String @key }\n"
				 "edge Knows: P -> P\n"
				 "edge At: P -> C @card(0..1)\n");
	cr_assert_eq(gt_load(v, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"P\",\"data\":{\"name\":\"A\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"B\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"D\"}}\n"
			     "{\"type\":\"C\",\"data\":{\"name\":\"X\"}}\n"
			     "{\"type\":\"C\",\"data\":{\"name\":\"Y\"}}\n", NULL), 0);
	cr_assert_eq(grove_branch_create(v, "f", NULL, NULL), 0);
	const char *on_f[] = { "insert Knows { from: \"A\", to: \"D\" }",
			       "insert Knows { from: \"B\", to: \"D\" }",
			       "update P set { email: \"x\" } where name = \"A\"",
			       "insert At { from: \"B\", to: \"X\" }" };
	const char *on_main[] = { "delete P where name = \"D\"",
				  "update P set { email: \"x\" } where name = \"B\"",
				  "insert At { from: \"B\", to: \"Y\" }" };
	for (int side = 0; side < 2; side++) {
		const char **q = side ? on_main : on_f;
		int n = side ? 3 : 4;
		grove_mutate_options o = { .branch = side ? "main" : "f" };
		for (int i = 0; i < n; i++) {
			char src[160], *out = NULL;
			snprintf(src, sizeof src, "query q() { %s }", q[i]);
			cr_assert_eq(grove_mutate_json(&out, v, &o, src, "q", NULL), 0, "%s: %s", src,
				     grove_errmsg(v));
			grove_free(out);
		}
	}
	char *before = gt_export(v, "main", NULL), *out = NULL;
	cr_assert_eq(grove_merge_json(&out, v, "f", "main", NULL), GROVE_EMERGE, "%s", grove_errmsg(v));
	const char *kinds[] = { "orphan_edge", "unique_violation", "cardinality_violation" };
	int counts[3] = { 0 };
	for (int k = 0; k < 3; k++)
		for (const char *p = out; (p = strstr(p, kinds[k])); p++)
			counts[k]++;
	cr_assert_eq(counts[0], 2, "two orphan edges: %s", out);
	cr_assert_eq(counts[1], 1, "%s", out);
	cr_assert_eq(counts[2], 1, "%s", out);
	char *after = gt_export(v, "main", NULL);
	cr_assert_str_eq(before, after, "a refused merge changes nothing");
	free(before);
	free(after);
	grove_free(out);
	gt_scratch_done(v, vdir);
}

/* The same for edges the target kept that point at a node the source
 * deleted: each one is a conflict of its own. */
Test(merge, every_edge_left_pointing_at_a_deleted_node_is_reported)
{
	char *vdir;
	grove_db *v = gt_scratch(&vdir, "merge-orphans", "node P { name: String @key }\nedge Knows: P -> P\n");
	cr_assert_eq(gt_load(v, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"P\",\"data\":{\"name\":\"A\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"B\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"D\"}}\n", NULL), 0);
	cr_assert_eq(grove_branch_create(v, "f", NULL, NULL), 0);
	grove_mutate_options of = { .branch = "f" }, om = { .branch = "main" };
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, v, &of, "query q() { delete P where name = \"D\" }", "q", NULL), 0);
	grove_free(out);
	cr_assert_eq(grove_mutate_json(&out, v, &om, "query q() { insert Knows { from: \"A\", to: \"D\" }\n"
				       " insert Knows { from: \"B\", to: \"D\" } }", "q", NULL), 0,
		     "%s", grove_errmsg(v));
	grove_free(out);
	out = NULL;
	cr_assert_eq(grove_merge_json(&out, v, "f", "main", NULL), GROVE_EMERGE, "%s", grove_errmsg(v));
	int n = 0;
	for (const char *p = out; (p = strstr(p, "orphan_edge")); p++)
		n++;
	cr_assert_eq(n, 2, "%s", out);
	grove_free(out);
	gt_scratch_done(v, vdir);
}

/* An edge the source moved to another node before deleting the node it
 * pointed at is no orphan: the merged image holds the moved edge (helper
 * 80's differential test; the check read the target's copy). */
Test(merge, an_edge_moved_off_a_node_the_source_deleted_is_no_orphan)
{
	char *vdir;
	grove_db *v = gt_scratch(&vdir, "merge-moved", "node P { name: String @key }\nedge Knows: P -> P\n");
	cr_assert_eq(gt_load(v, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"P\",\"data\":{\"name\":\"P1\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"P2\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"P3\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"P1\",\"to\":\"P2\",\"data\":{\"id\":\"k1\"}}\n", NULL), 0);
	cr_assert_eq(grove_branch_create(v, "f", NULL, NULL), 0);
	cr_assert_eq(gt_load(v, "f", GROVE_LOAD_MERGE,
			     "{\"edge\":\"Knows\",\"from\":\"P1\",\"to\":\"P3\",\"data\":{\"id\":\"k1\"}}\n", NULL), 0);
	grove_mutate_options of = { .branch = "f" };
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, v, &of, "query q() { delete P where name = \"P2\" }", "q", NULL), 0);
	grove_free(out);
	out = NULL;
	cr_assert_eq(grove_merge_json(&out, v, "f", "main", NULL), 0, "%s %s", grove_errmsg(v), out ? out : "");
	cr_assert(strstr(out, "\"outcome\":\"fast_forward\""), "%s", out);
	grove_free(out);
	char *main_now = gt_export(v, "main", NULL), *f = gt_export(v, "f", NULL);
	cr_assert_str_eq(main_now, f);
	cr_assert(strstr(main_now, "\"to\":\"P3\""), "%s", main_now);
	free(main_now);
	free(f);
	gt_scratch_done(v, vdir);
}

/* Row conflicts come in OmniGraph's order: tables by table key (edges
 * before nodes), rows by id (engine §3.2-3.3). */
Test(merge, row_conflicts_are_listed_by_table_key_then_id)
{
	char *vdir;
	grove_db *v = gt_scratch(&vdir, "merge-order",
				 "node P { name: String @key\n age: I32? }\nedge Knows: P -> P { since: I32? }\n");
	cr_assert_eq(gt_load(v, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"P\",\"data\":{\"name\":\"b\"}}\n"
			     "{\"type\":\"P\",\"data\":{\"name\":\"a\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"id\":\"k1\"}}\n", NULL), 0);
	cr_assert_eq(grove_branch_create(v, "f", NULL, NULL), 0);
	const char *sides[][2] = { { "f", "1" }, { "main", "2" } };
	for (int i = 0; i < 2; i++) {
		char data[512];
		snprintf(data, sizeof data,
			 "{\"type\":\"P\",\"data\":{\"name\":\"b\",\"age\":%s}}\n"
			 "{\"type\":\"P\",\"data\":{\"name\":\"a\",\"age\":%s}}\n"
			 "{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"id\":\"k1\",\"since\":%s}}\n",
			 sides[i][1], sides[i][1], sides[i][1]);
		cr_assert_eq(gt_load(v, sides[i][0], GROVE_LOAD_MERGE, data, NULL), 0, "%s", grove_errmsg(v));
	}
	char *out = NULL;
	cr_assert_eq(grove_merge_json(&out, v, "f", "main", NULL), GROVE_EMERGE, "%s", grove_errmsg(v));
	const char *k1 = strstr(out, "\"k1\""), *a = strstr(out, "\"a\""), *b = strstr(out, "\"b\"");
	cr_assert(k1 && a && b && k1 < a && a < b, "%s", out);
	grove_free(out);
	gt_scratch_done(v, vdir);
}

Test(merge, edges_added_on_both_sides_are_both_kept)
{
	run("feature", "add_edge", NULL);
	run("main", "add_edge", NULL);
	expect_outcome("merged");
	cr_assert_eq(gt_count(db, "main", NULL, "edge:Knows"), 3);
}

Test(merge, a_net_zero_branch_merges_and_then_is_up_to_date)
{
	run("feature", "add_edge", NULL);
	run("feature", "del_edge", NULL);
	run("main", "add_eve", "{\"a\":1}");
	expect_outcome("merged");
	cr_assert_eq(gt_count(db, "main", NULL, "edge:Knows"), 1);
	expect_outcome("already_up_to_date");
}

Test(merge, merges_into_a_non_main_target)
{
	char *out;
	cr_assert_eq(grove_branch_create(db, "other", NULL, NULL), 0);
	run("feature", "add_eve", "{\"a\":3}");
	cr_assert_eq(grove_merge_json(&out, db, "feature", "other", NULL), 0);
	cr_assert(strstr(out, "\"target\":\"other\""));
	grove_free(out);
	cr_assert_eq(gt_count(db, "other", NULL, "node:Person"), 5);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 4);
}

Test(merge, a_branch_cannot_merge_into_itself)
{
	char *out;
	cr_assert_eq(grove_merge_json(&out, db, "main", "main", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "branch_merge requires distinct source and target branches");
}

struct pair {
	int i;
	int err;
};

static void *merge_pair(void *arg)
{
	struct pair *p = arg;
	char src[16], dst[16], *out;
	snprintf(src, sizeof src, "s%d", p->i);
	snprintf(dst, sizeof dst, "t%d", p->i);
	p->err = grove_merge_json(&out, db, src, dst, NULL);
	if (!p->err)
		grove_free(out);
	return NULL;
}

Test(merge, concurrent_merges_of_distinct_pairs_land_in_their_own_targets, .timeout = 120)
{
	enum { PAIRS = 6 };
	struct pair p[PAIRS];
	pthread_t t[PAIRS];
	for (int i = 0; i < PAIRS; i++) {
		char s[16], d[16], params[32];
		grove_mutate_options o = { .branch = s };
		char *out;
		snprintf(s, sizeof s, "s%d", i);
		snprintf(d, sizeof d, "t%d", i);
		cr_assert_eq(grove_branch_create(db, s, NULL, NULL), 0);
		cr_assert_eq(grove_branch_create(db, d, NULL, NULL), 0);
		snprintf(params, sizeof params, "{\"a\":%d}", 100 + i);
		cr_assert_eq(grove_mutate_json(&out, db, &o, ops, "set_age", params), 0);
		grove_free(out);
	}
	for (int i = 0; i < PAIRS; i++) {
		p[i] = (struct pair){ i, 0 };
		pthread_create(&t[i], NULL, merge_pair, &p[i]);
	}
	for (int i = 0; i < PAIRS; i++) {
		char d[16], *e, want[32];
		grove_target tg = { d, NULL };
		pthread_join(t[i], NULL);
		cr_assert_eq(p[i].err, 0);
		snprintf(d, sizeof d, "t%d", i);
		cr_assert_eq(grove_entity_json(&e, db, &tg, "node:Person", "Alice"), 0);
		snprintf(want, sizeof want, "\"age\":%d", 100 + i);
		cr_assert(strstr(e, want), "target %s got %s", d, e);
		grove_free(e);
	}
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
}

/* Writes to main racing merges into main: each merge revalidates against
 * the head it commits on, so no write is lost and no merge lands twice. */
static void *write_main(void *arg)
{
	int *err = arg;
	for (int i = 0; i < 60 && !*err; i++) {
		char row[96];
		snprintf(row, sizeof row, "{\"type\":\"Person\",\"data\":{\"name\":\"w%02d\"}}\n", i);
		*err = gt_load(db, NULL, GROVE_LOAD_APPEND, row, NULL);
	}
	return NULL;
}

static void *merge_many(void *arg)
{
	int *err = arg;
	for (int i = 0; i < 15 && !*err; i++) {
		char b[16], row[160], *out = NULL;
		snprintf(b, sizeof b, "c%02d", i);
		snprintf(row, sizeof row, "{\"type\":\"Person\",\"data\":{\"name\":\"%s_0\"}}\n"
			 "{\"type\":\"Person\",\"data\":{\"name\":\"%s_1\"}}\n", b, b);
		grove_merge_options mo = { .delete_branch = 1 };
		if ((*err = grove_branch_create(db, b, "main", NULL)) == 0 &&
		    (*err = gt_load(db, b, GROVE_LOAD_APPEND, row, NULL)) == 0 &&
		    (*err = grove_merge_json(&out, db, b, "main", &mo)) == 0 &&
		    !strstr(out, "\"outcome\":\"merged\"") && !strstr(out, "\"outcome\":\"fast_forward\""))
			*err = -1;
		grove_free(out);
	}
	return NULL;
}

Test(merge, writes_to_the_target_during_merges_are_never_lost, .timeout = 120)
{
	int werr = 0, merr = 0;
	pthread_t w, m;
	pthread_create(&w, NULL, write_main, &werr);
	pthread_create(&m, NULL, merge_many, &merr);
	pthread_join(w, NULL);
	pthread_join(m, NULL);
	cr_assert_eq(werr, 0, "write: %s", grove_errmsg(db));
	cr_assert_eq(merr, 0, "merge: %s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 4 + 60 + 15 * 2);
	grove_target t = { "main", NULL };
	for (int i = 0; i < 60; i++) {
		char name[8], *e = NULL;
		snprintf(name, sizeof name, "w%02d", i);
		cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", name), 0, "%s is lost", name);
		grove_free(e);
	}
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
}

Test(merge, delete_branch_reports_whether_the_source_was_deleted)
{
	grove_merge_options o = { .delete_branch = 1 };
	grove_commit c;
	char *out = NULL;
	run("feature", "add_eve", "{\"a\":7}");
	/* A branch created from the source: the delete is refused, the merge
	 * still lands and says so (engine §3.7). */
	cr_assert_eq(grove_branch_create(db, "child", "feature", NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_merge_json(&out, db, "feature", "main", &o), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"branch_deleted\":false,\"branch_delete_error\":\"cannot delete branch "
			      "'feature' because descendant branch 'child' still depends on it\""), "%s", out);
	grove_free(out);
	cr_assert_eq(grove_branch_head(&c, db, "feature"), 0);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 5);
	/* Without the child: deleted, also when there is nothing to merge. */
	cr_assert_eq(grove_branch_delete(db, "child", NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_merge_json(&out, db, "feature", "main", &o), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"outcome\":\"already_up_to_date\""), "%s", out);
	cr_assert(strstr(out, "\"branch_deleted\":true}"), "%s", out);
	grove_free(out);
	cr_assert_eq(grove_branch_head(&c, db, "feature"), GROVE_ENOTFOUND);
	/* Not asked: no such fields. */
	cr_assert_eq(grove_branch_create(db, "f2", NULL, NULL), 0);
	cr_assert_eq(grove_merge_json(&out, db, "f2", "main", NULL), 0, "%s", grove_errmsg(db));
	cr_assert_null(strstr(out, "branch_deleted"), "%s", out);
	grove_free(out);
}

/* A merge carrying more than one log record's worth of rows is logged in
 * chunks with one commit, and replays to the same views. */
Test(merge, a_merge_larger_than_a_log_record_is_logged_in_chunks)
{
	char *mdir = gt_dir("merge-chunks");
	grove_options go = GROVE_OPTIONS_INIT;
	go.load_chunk_bytes = 512;  /* a few rows per record */
	grove_db *g;
	cr_assert_eq(grove_init(&g, mdir, schema, &go), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_branch_create(g, "big", NULL, NULL), 0);
	char in[8192] = "";
	for (int i = 0; i < 60; i++) {
		char line[128];
		snprintf(line, sizeof line, "{\"type\":\"Person\",\"data\":{\"name\":\"p%02d\",\"age\":%d}}\n", i, i);
		strcat(in, line);
	}
	cr_assert_eq(gt_load(g, "big", GROVE_LOAD_APPEND, in, NULL), 0, "%s", grove_errmsg(g));
	uint64_t before = grove_log_last_lsn(g);
	char *out = NULL;
	cr_assert_eq(grove_merge_json(&out, g, "big", "main", NULL), 0, "%s", grove_errmsg(g));
	cr_assert(strstr(out, "\"outcome\":\"fast_forward\"") || strstr(out, "\"outcome\":\"merged\""), "%s", out);
	grove_free(out);
	cr_assert_gt(grove_log_last_lsn(g) - before, 2, "the merge took several records");
	cr_assert_eq(gt_count(g, "main", NULL, "node:Person"), 60);
	grove_close(g);
	cr_assert_eq(grove_verify(mdir), 0);
	cr_assert_eq(grove_rebuild(mdir, NULL), 0);
	cr_assert_eq(grove_open(&g, mdir, &go), 0);
	cr_assert_eq(gt_count(g, "main", NULL, "node:Person"), 60);
	gt_scratch_done(g, mdir);
}

/* Merging feature into main is refused with GROVE_ELIMIT on `resource`
 * (limit 32 MiB) and writes nothing; returns the demand. */
static uint64_t merge_refused(grove_db *g, const char *resource)
{
	grove_commit before, after;
	grove_error_info info;
	char *out = NULL;
	cr_assert_eq(grove_branch_head(&before, g, "main"), 0);
	cr_assert_eq(grove_merge_json(&out, g, "feature", "main", NULL), GROVE_ELIMIT, "%s", grove_errmsg(g));
	cr_assert_null(out);
	grove_error_info_get(&info, g);
	cr_assert_str_eq(info.resource, resource);
	cr_assert_eq(info.limit, 32u << 20);
	cr_assert_eq(grove_branch_head(&after, g, "main"), 0);
	cr_assert_str_eq(after.id, before.id, "nothing written");
	return info.actual;
}

/* A Document whose Blob holds n bytes of `c` (base64 in the JSONL). */
static char *blob_row(const char *title, size_t n, char c)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t enc = 4 * ((n + 2) / 3);
	char *row = malloc(enc + 256);
	cr_assert_not_null(row);
	int at = snprintf(row, 256, "{\"type\":\"Doc\",\"data\":{\"title\":\"%s\",\"body\":\"base64:", title);
	uint8_t b = (uint8_t)c;
	for (size_t i = 0; i < n; i += 3) {
		size_t k = n - i < 3 ? n - i : 3;
		uint32_t v = (uint32_t)b << 16 | (k > 1 ? (uint32_t)b << 8 : 0) | (k > 2 ? b : 0);
		char *o = row + at + 4 * (i / 3);
		o[0] = b64[v >> 18 & 63];
		o[1] = b64[v >> 12 & 63];
		o[2] = k > 1 ? b64[v >> 6 & 63] : '=';
		o[3] = k > 2 ? b64[v & 63] : '=';
	}
	strcpy(row + at + enc, "\"}}\n");
	return row;
}

/* Engine §3.7: the managed Blob payloads one merge carries are at most
 * 32 MiB together, though each row was loaded alone; Blob bytes do not
 * count toward validation (§3.4's projection), so 20 MiB of Blob and 14
 * MiB of text merge. */
Test(merge, blob_payloads_a_merge_carries_are_bounded_apart_from_validation, .timeout = 120)
{
	char *d;
	grove_db *g = gt_scratch(&d, "merge-blob", "node Doc { title: String @key\n body: Blob?\n note: String? }\n");
	cr_assert_eq(grove_branch_create(g, "feature", NULL, NULL), 0);
	cr_assert_eq(grove_branch_create(g, "small", NULL, NULL), 0);
	for (int i = 0; i < 2; i++) {
		char title[16], *row;
		snprintf(title, sizeof title, "managed-%d", i);
		row = blob_row(title, (16u << 20) + 1, 'Z');
		cr_assert_eq(gt_load(g, "feature", GROVE_LOAD_APPEND, row, NULL), 0, "%s", grove_errmsg(g));
		free(row);
	}
	cr_assert_eq(merge_refused(g, "materialized blob payload bytes"), (32u << 20) + 2);
	char *out = NULL;

	char *row = blob_row("blob", 20u << 20, 'Q');
	cr_assert_eq(gt_load(g, "small", GROVE_LOAD_APPEND, row, NULL), 0, "%s", grove_errmsg(g));
	free(row);
	size_t n = 14u << 20;
	row = malloc(n + 128);
	int at = snprintf(row, 128, "{\"type\":\"Doc\",\"data\":{\"title\":\"text\",\"note\":\"");
	memset(row + at, 'n', n);
	strcpy(row + at + n, "\"}}\n");
	cr_assert_eq(gt_load(g, "small", GROVE_LOAD_APPEND, row, NULL), 0, "%s", grove_errmsg(g));
	free(row);
	cr_assert_eq(grove_merge_json(&out, g, "small", "main", NULL), 0, "%s", grove_errmsg(g));
	grove_free(out);
	cr_assert_eq(gt_count(g, "main", NULL, "node:Doc"), 2);
	gt_scratch_done(g, d);
}

/* Engine §3.4: validating a merged image retains at most 32 MiB of the rows
 * it changes; a merge over that is refused and writes nothing. */
Test(merge, a_merge_changing_more_than_32_mib_of_rows_is_refused, .timeout = 120)
{
	char *d;
	grove_db *g = gt_scratch(&d, "merge-wide", "node Alpha { key: String @key\n payload: String }\n"
						  "node Beta { key: String @key\n payload: String }\n");
	cr_assert_eq(grove_branch_create(g, "feature", NULL, NULL), 0);
	size_t n = 18u << 20;
	char *row = malloc(n + 128);
	cr_assert_not_null(row);
	const char *types[] = { "Alpha", "Beta" };
	for (int i = 0; i < 2; i++) {
		int at = snprintf(row, 128, "{\"type\":\"%s\",\"data\":{\"key\":\"k\",\"payload\":\"", types[i]);
		memset(row + at, 'a' + i, n);
		strcpy(row + at + n, "\"}}\n");
		cr_assert_eq(gt_load(g, "feature", GROVE_LOAD_APPEND, row, NULL), 0, "%s", grove_errmsg(g));
	}
	free(row);
	cr_assert_gt(merge_refused(g, "branch-merge retained validation delta bytes"), 32u << 20);
	gt_scratch_done(g, d);
}

static int merge_between(char **out, const char *source, const char *target)
{
	*out = NULL;
	return grove_merge_json(out, db, source, target, NULL);
}

static void expect_pair(const char *source, const char *target, int want_err, const char *want)
{
	char *out = NULL;
	int err = merge_between(&out, source, target);
	cr_assert_eq(err, want_err, "%s -> %s: %d %s", source, target, err, grove_errmsg(db));
	cr_assert(out && strstr(out, want), "%s -> %s: %s", source, target, out ? out : "(null)");
	grove_free(out);
}

/* The merge base comes from the two branches' own lineages (engine §2.5,
 * first-parent chains): a commit a third branch brought in through a merge
 * is not one of them.  Branches a and b fork from main; main adds Eve and
 * both take it by fast-forward; a changes Eve; merging a into b then finds
 * their fork point, where Eve did not exist, as the base: both inserted
 * Eve, differently (OmniGraph's DivergentInsert), not a clean merge. */
Test(merge, the_base_comes_from_the_two_lineages_only)
{
	cr_assert_eq(grove_branch_create(db, "a", "main", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "b", "main", NULL), 0);
	run(NULL, "add_eve", "{\"a\":30}");
	expect_pair("main", "a", 0, "\"outcome\":\"fast_forward\"");
	expect_pair("main", "b", 0, "\"outcome\":\"fast_forward\"");
	grove_mutate_options o = { .branch = "a" };
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, &o, "query q() { update Person set { age: 31 } where name = \"Eve\" }",
				       "q", NULL), 0, "%s", grove_errmsg(db));
	grove_free(out);
	expect_pair("a", "b", GROVE_EMERGE, "\"kind\":\"divergent_insert\"");
}

/* A merged into b, b into main: main's lineage holds b's merge commit,
 * not a's commit, so merging a into main is a merge, not "up to date". */
Test(merge, a_commit_that_came_through_a_third_branch_is_still_merged)
{
	cr_assert_eq(grove_branch_create(db, "a", "main", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "b", "main", NULL), 0);
	run("a", "add_eve", "{\"a\":22}");
	expect_pair("a", "b", 0, "\"outcome\":\"fast_forward\"");
	expect_pair("b", "main", 0, "\"outcome\":\"fast_forward\"");
	expect_pair("a", "main", 0, "\"outcome\":\"merged\"");
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 5);
}

/* An edge that lost both ends in the merged image is two violations, one
 * per end, as OmniGraph's validation reports them. */
Test(merge, an_edge_without_both_ends_reports_each)
{
	grove_mutate_options o = { .branch = "feature" };
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, &o, "query q() { insert Knows { from: \"Carol\", to: \"Dan\" } }",
				       "q", NULL), 0, "%s", grove_errmsg(db));
	grove_free(out);
	o.branch = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, &o, "query q() { delete Person where name = \"Carol\" "
				       "delete Person where name = \"Dan\" }", "q", NULL), 0, "%s", grove_errmsg(db));
	grove_free(out);
	cr_assert_eq(merge(&out), GROVE_EMERGE, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "src 'Carol' not found in Person") && strstr(out, "dst 'Dan' not found in Person"),
		  "%s", out);
	grove_free(out);
}

/* The base is the common ancestor nearest in summed distance, also when
 * one head reaches it in one step and the other in three, while their
 * fork point is two and five steps away (engine §2.5; the searches stop
 * early, so this checks where they stop).  a inserts Eve (a1, a2); b
 * commits (b0) and merges a in (b1: merged parent a2); a updates Eve (a3)
 * and Bob (a4, a5).  Base a2: only a changed Eve — a clean merge carrying
 * age 31.  The fork point as base would make both sides insert Eve,
 * differently: a divergent insert. */
Test(merge, the_nearest_common_ancestor_wins_over_the_fork_point)
{
	cr_assert_eq(grove_branch_create(db, "a", "main", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "b", "main", NULL), 0);
	run("a", "add_eve", "{\"a\":29}");
	run("a", "add_eve", "{\"a\":30}");
	run("b", "set_age", "{\"a\":70}");
	expect_pair("a", "b", 0, "\"outcome\":\"merged\"");
	grove_mutate_options o = { .branch = "a" };
	char *out = NULL;
	const char *steps[] = { "query q() { update Person set { age: 31 } where name = \"Eve\" }",
				"query q() { update Person set { age: 26 } where name = \"Bob\" }",
				"query q() { update Person set { age: 27 } where name = \"Bob\" }" };
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(grove_mutate_json(&out, db, &o, steps[i], "q", NULL), 0, "%s", grove_errmsg(db));
		grove_free(out);
	}
	expect_pair("a", "b", 0, "\"outcome\":\"merged\"");
	grove_target t = { "b", NULL };
	cr_assert_eq(grove_entity_json(&out, db, &t, "node:Person", "Eve"), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"age\":31"), "%s", out);
	grove_free(out);
	cr_assert_eq(grove_entity_json(&out, db, &t, "node:Person", "Alice"), 0);
	cr_assert(strstr(out, "\"age\":70"), "b's own change stays: %s", out);
	grove_free(out);
}

/* A commit whose merged parent this graph does not hold (a record appended
 * from another graph) is passed by the merge base's search: the parent is
 * on no lineage (found by review of the early-stopping search, which read
 * every parent before asking). */
Test(merge, a_merged_parent_from_another_graph_is_on_no_lineage)
{
	const char *ev = "{\"kind\":\"mutation\",\"commit\":\"01M8PZASQG8Q7HPRXSGJM57Y22\","
			 "\"merged_parent\":\"01M8PZASQG8Q7HPRXSGJM57Y33\","
			 "\"time_us\":1,\"branch\":\"main\",\"op\":\"x\",\"effects\":[]}";
	cr_assert_eq(grove_log_append_json(NULL, db, ev), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_branch_create(db, "f", NULL, NULL), 0, "%s", grove_errmsg(db));
	run("f", "add_eve", "{\"a\":3}");
	run(NULL, "set_age", "{\"a\":44}");
	expect_pair("f", "main", 0, "\"outcome\":\"merged\"");
}
