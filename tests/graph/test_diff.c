/* test_diff.c — change sets: the net diff between targets, one commit's
 * changes (images, order, pages, the genesis refusal), the change feed. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "engine/base64.h"
#include "graph_testutil.h"

static const char queries[] =
	"query add($n: String, $a: I32?) { insert Person { name: $n, age: $a } }\n"
	"query older($n: String) { update Person set { age: 99 } where name = $n }\n"
	"query mail($n: String, $e: String) { update Person set { email: $e } where name = $n }\n"
	"query drop($n: String) { delete Person where name = $n }\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("diff");
	db = gt_init(dir, NULL);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\",\"data\":{\"id\":\"k1\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Alice\",\"data\":{\"id\":\"k2\"}}\n",
			     NULL), 0);
}

static void teardown(void)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

TestSuite(diff, .init = setup, .fini = teardown);

static void mutate(const char *branch, const char *name, const char *params)
{
	grove_mutate_options o = { .branch = branch };
	char *out = NULL;
	int err = grove_mutate_json(&out, db, &o, queries, name, params);
	cr_assert_eq(err, 0, "%s: %s", name, grove_errmsg(db));
	grove_free(out);
}

struct id {
	char s[GROVE_COMMIT_ID_BYTES];
};

static struct id head(const char *branch)
{
	grove_commit c;
	struct id id;
	cr_assert_eq(grove_branch_head(&c, db, branch), 0, "%s", grove_errmsg(db));
	memcpy(id.s, c.id, sizeof id.s);
	return id;
}

/* The diff's "changes" array and its stats, as text. */
static char *diff(const grove_target *from, const grove_target *to, const char *filter)
{
	char *out = NULL;
	int err = grove_diff_json(&out, db, from, to, filter);
	cr_assert_eq(err, 0, "diff: %s", grove_errmsg(db));
	return out;
}

static void expect_changes(const char *json, const char *changes)
{
	const char *p = strstr(json, "\"changes\":"), *q = strstr(json, ",\"stats\":");
	cr_assert(p && q, "%s", json);
	p += strlen("\"changes\":");
	cr_assert(strlen(changes) == (size_t)(q - p) && !strncmp(p, changes, (size_t)(q - p)),
		  "changes:\n  got      %.*s\n  expected %s", (int)(q - p), p, changes);
}

#define NODE(id, op) "{\"kind\":\"Node\",\"type_name\":\"Person\",\"type_key\":\"node:Person\"," \
		     "\"id\":\"" id "\",\"op\":\"" op "\",\"endpoints\":null}"
#define KNOWS(id, op, s, d) "{\"kind\":\"Edge\",\"type_name\":\"Knows\",\"type_key\":\"edge:Knows\"," \
			    "\"id\":\"" id "\",\"op\":\"" op "\",\"endpoints\":{\"src\":\"" s \
			    "\",\"dst\":\"" d "\"}}"

Test(diff, reports_inserts_updates_and_deletes_edges_first_then_by_id)
{
	struct id c0 = head("main");
	grove_target from = { NULL, c0.s }, to = { "main", NULL };
	mutate(NULL, "add", "{\"n\":\"Carol\",\"a\":7}");
	mutate(NULL, "older", "{\"n\":\"Bob\"}");
	mutate(NULL, "drop", "{\"n\":\"Alice\"}");
	char *d = diff(&from, &to, NULL);
	expect_changes(d, "[" KNOWS("k1", "Delete", "Alice", "Bob") "," KNOWS("k2", "Delete", "Bob", "Alice")
			  "," NODE("Alice", "Delete") "," NODE("Bob", "Update") "," NODE("Carol", "Insert") "]");
	cr_assert(strstr(d, "\"stats\":{\"inserts\":1,\"updates\":1,\"deletes\":3,"
			    "\"types_affected\":[\"Knows\",\"Person\"]}"), "%s", d);
	cr_assert(strstr(d, "{\"from_graph_manifest_version\":2,\"to_graph_manifest_version\":5,"
			    "\"graph_branch\":null,"), "%s", d);
	grove_free(d);
}

Test(diff, shows_nothing_for_an_insert_then_delete_inside_the_range)
{
	struct id c0 = head("main");
	grove_target from = { NULL, c0.s }, to = { NULL, NULL };
	mutate(NULL, "add", "{\"n\":\"Dave\",\"a\":1}");
	mutate(NULL, "drop", "{\"n\":\"Dave\"}");
	char *d = diff(&from, &to, NULL);
	expect_changes(d, "[]");
	cr_assert(strstr(d, "\"inserts\":0,\"updates\":0,\"deletes\":0,\"types_affected\":[]"), "%s", d);
	grove_free(d);
}

Test(diff, an_identical_rewrite_is_no_change_but_null_and_empty_string_differ)
{
	struct id c0 = head("main");
	grove_load_result res;
	grove_target from = { NULL, c0.s }, to = { NULL, NULL };
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n", &res), 0);
	cr_assert_str_neq(res.commit.id, c0.s, "the load commits");
	char *d = diff(&from, &to, NULL);
	expect_changes(d, "[]");
	grove_free(d);
	mutate(NULL, "mail", "{\"n\":\"Alice\",\"e\":\"\"}");
	d = diff(&from, &to, NULL);
	expect_changes(d, "[" NODE("Alice", "Update") "]");
	grove_free(d);
}

Test(diff, compares_the_visible_states_of_two_branches)
{
	cr_assert_eq(grove_branch_create(db, "feature", "main", NULL), 0, "%s", grove_errmsg(db));
	mutate("feature", "add", "{\"n\":\"Eve\",\"a\":2}");
	mutate("feature", "older", "{\"n\":\"Bob\"}");
	mutate(NULL, "add", "{\"n\":\"Zed\",\"a\":3}");
	mutate(NULL, "older", "{\"n\":\"Alice\"}");
	grove_target m = { "main", NULL }, f = { "feature", NULL };
	char *d = diff(&m, &f, "{\"kinds\":[\"node\"]}");
	expect_changes(d, "[" NODE("Alice", "Update") "," NODE("Bob", "Update") "," NODE("Eve", "Insert")
			  "," NODE("Zed", "Delete") "]");
	cr_assert(strstr(d, "\"graph_branch\":\"feature\""), "%s", d);
	grove_free(d);
	d = diff(&f, &m, "{\"ops\":[\"Insert\",\"delete\"]}");
	expect_changes(d, "[" NODE("Eve", "Delete") "," NODE("Zed", "Insert") "]");
	/* To main: the branch named is the from side's (main is null). */
	cr_assert(strstr(d, "\"graph_branch\":\"feature\""), "%s", d);
	grove_free(d);
	d = diff(&m, &m, NULL);
	cr_assert(strstr(d, "\"graph_branch\":null"), "%s", d);
	grove_free(d);
	/* A filter list given empty admits nothing (OmniGraph's Some(vec![])). */
	static const char *const empty[] = { "{\"ops\":[]}", "{\"type_names\":[]}", "{\"kinds\":[]}" };
	for (size_t i = 0; i < 3; i++) {
		d = diff(&m, &f, empty[i]);
		expect_changes(d, "[]");
		grove_free(d);
	}
}

Test(diff, reaches_through_nested_branches_and_their_forks)
{
	cr_assert_eq(grove_branch_create(db, "a", "main", NULL), 0);
	mutate("a", "add", "{\"n\":\"A1\",\"a\":1}");
	cr_assert_eq(grove_branch_create(db, "ab", "a", NULL), 0, "%s", grove_errmsg(db));
	mutate("ab", "drop", "{\"n\":\"Bob\"}");
	mutate("a", "add", "{\"n\":\"A2\",\"a\":2}");   /* after b forked: b does not see it */
	grove_target m = { "main", NULL }, b = { "ab", NULL };
	char *d = diff(&m, &b, "{\"type_names\":[\"Person\"]}");
	expect_changes(d, "[" NODE("A1", "Insert") "," NODE("Bob", "Delete") "]");
	grove_free(d);
}

Test(diff, filters_and_targets_are_checked)
{
	grove_target m = { "main", NULL }, nope = { "nope", NULL }, bad = { NULL, "0123" };
	char *d = NULL;
	cr_assert_eq(grove_diff_json(&d, db, &m, &nope, NULL), GROVE_ENOTFOUND);
	cr_assert_eq(grove_diff_json(&d, db, &bad, &m, NULL), GROVE_ENOTFOUND);
	cr_assert_eq(grove_diff_json(&d, db, &m, &m, "{\"kinds\":[\"vertex\"]}"), GROVE_EINVAL);
	cr_assert_eq(grove_diff_json(&d, db, &m, &m, "{\"colour\":[]}"), GROVE_EINVAL);
	cr_assert_eq(grove_diff_json(&d, db, &m, &m, "[]"), GROVE_EINVAL);
	d = diff(&m, &m, "{\"type_names\":[\"Company\"]}");
	expect_changes(d, "[]");
	grove_free(d);
}

/* ---- one commit's changes ------------------------------------------------- */

static char *page(const char *commit, const char *scope, const char *token, uint32_t n)
{
	char *out = NULL;
	int err = grove_commit_changes_json(&out, db, commit, scope, token, n);
	cr_assert_eq(err, 0, "commit changes: %s", grove_errmsg(db));
	return out;
}

static json_t *parse(char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	cr_assert(j, "%s: %s", e.text, text);
	grove_free(text);
	return j;
}

static char *changes_text(const json_t *page_json)
{
	return json_dumps(json_object_get(page_json, "changes"), JSON_COMPACT | JSON_PRESERVE_ORDER);
}

Test(diff, a_delete_commit_lists_the_node_then_its_cascaded_edges_with_before_images)
{
	mutate(NULL, "drop", "{\"n\":\"Alice\"}");
	struct id c = head("main");
	json_t *p = parse(page(c.s, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT));
	char *ch = changes_text(p);
	cr_assert_str_eq(ch,
		"[{\"kind\":\"node\",\"type\":{\"id\":\"0000000002\",\"name\":\"Person\"},\"id\":\"Alice\","
		"\"op\":\"delete\",\"before\":{\"properties\":{\"name\":\"Alice\",\"age\":30,\"email\":null}}},"
		"{\"kind\":\"edge\",\"type\":{\"id\":\"0000000003\",\"name\":\"Knows\"},\"id\":\"k1\",\"op\":\"delete\","
		"\"before\":{\"properties\":{\"since\":null},\"endpoints\":{\"from\":\"Alice\",\"to\":\"Bob\"}}},"
		"{\"kind\":\"edge\",\"type\":{\"id\":\"0000000003\",\"name\":\"Knows\"},\"id\":\"k2\",\"op\":\"delete\","
		"\"before\":{\"properties\":{\"since\":null},\"endpoints\":{\"from\":\"Bob\",\"to\":\"Alice\"}}}]");
	free(ch);
	const json_t *cause = json_object_get(p, "cause");
	cr_assert_str_eq(json_string_value(json_object_get(cause, "graph_commit_id")), c.s);
	cr_assert(json_is_null(json_object_get(cause, "authored_branch")));
	cr_assert(json_is_null(json_object_get(p, "next_page_token")));
	json_decref(p);
}

Test(diff, an_update_carries_both_images_and_an_insert_only_the_after_image)
{
	mutate(NULL, "older", "{\"n\":\"Bob\"}");
	json_t *p = parse(page(head("main").s, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT));
	char *ch = changes_text(p);
	cr_assert_str_eq(ch, "[{\"kind\":\"node\",\"type\":{\"id\":\"0000000002\",\"name\":\"Person\"},\"id\":\"Bob\","
			     "\"op\":\"update\",\"before\":{\"properties\":{\"name\":\"Bob\",\"age\":25,"
			     "\"email\":null}},\"after\":{\"properties\":{\"name\":\"Bob\",\"age\":99,"
			     "\"email\":null}}}]");
	free(ch);
	json_decref(p);
	mutate(NULL, "add", "{\"n\":\"Carol\"}");
	p = parse(page(head("main").s, "{\"ops\":[\"insert\"]}", NULL, GROVE_CHANGES_PAGE_DEFAULT));
	ch = changes_text(p);
	cr_assert_str_eq(ch, "[{\"kind\":\"node\",\"type\":{\"id\":\"0000000002\",\"name\":\"Person\"},\"id\":\"Carol\","
			     "\"op\":\"insert\",\"after\":{\"properties\":{\"name\":\"Carol\",\"age\":null,"
			     "\"email\":null}}}]");
	free(ch);
	json_decref(p);
}

/* The ids of a page's changes, joined by ','. */
static void page_ids(char *buf, size_t cap, const json_t *p)
{
	size_t i, n = 0;
	const json_t *c;
	buf[0] = '\0';
	json_array_foreach(json_object_get(p, "changes"), i, c)
		n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", i ? "," : "",
				      json_string_value(json_object_get(c, "id")));
}

Test(diff, pages_continue_where_the_token_says_and_end_without_one)
{
	grove_load_result res;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"p5\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"p1\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"p3\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"p2\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"p4\"}}\n", &res), 0);
	const char *want[] = { "p1,p2", "p3,p4", "p5" };
	char ids[256], *token = NULL;
	for (int i = 0; i < 3; i++) {
		json_t *p = parse(page(res.commit.id, NULL, token, 2));
		page_ids(ids, sizeof ids, p);
		cr_assert_str_eq(ids, want[i], "page %d", i);
		const char *next = json_string_value(json_object_get(p, "next_page_token"));
		cr_assert_eq(next != NULL, i < 2, "page %d", i);
		free(token);
		token = next ? strdup(next) : NULL;
		if (i == 0) {
			/* A token continues its own commit and scope only. */
			char *out = NULL;
			cr_assert_eq(grove_commit_changes_json(&out, db, res.commit.id, "{\"ops\":[\"insert\"]}",
							       token, 2), GROVE_ECURSOR);
			cr_assert_str_eq(grove_error_kind(GROVE_ECURSOR), "ChangeCursorRejected");
			cr_assert_eq(grove_commit_changes_json(&out, db, res.commit.parent, NULL, token, 2),
				     GROVE_ECURSOR);
			cr_assert_eq(grove_commit_changes_json(&out, db, res.commit.id, NULL, "xyz", 2),
				     GROVE_ECURSOR);
		}
		json_decref(p);
	}
}

Test(diff, the_genesis_commit_is_refused_and_page_sizes_are_bounded)
{
	grove_commit *v;
	size_t n;
	char *out = NULL;
	cr_assert_eq(grove_commit_list(&v, &n, db, "main"), 0);
	int err = grove_commit_changes_json(&out, db, v[n - 1].id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT);
	cr_assert_eq(err, GROVE_ENOPARENT);
	cr_assert_str_eq(grove_error_kind(err), "CommitHasNoParent");
	grove_error_info info;
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.entity_id, v[n - 1].id);
	cr_assert_eq(grove_commit_changes_json(&out, db, v[0].id, NULL, NULL, 0), GROVE_EINVAL, "limit=0");
	cr_assert_str_eq(grove_errmsg(db), "change page limit must be greater than zero");
	err = grove_commit_changes_json(&out, db, v[0].id, NULL, NULL, GROVE_CHANGES_PAGE_MAX + 1);
	cr_assert_eq(err, GROVE_ELIMIT);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "commit_changes_page_changes");
	/* OmniGraph's ResourceLimitExceeded text is in the message. */
	char want[128];
	snprintf(want, sizeof want, "resource limit exceeded for commit_changes_page_changes: actual %u, limit %u",
		 GROVE_CHANGES_PAGE_MAX + 1, GROVE_CHANGES_PAGE_MAX);
	cr_assert(strstr(grove_errmsg(db), want), "%s", grove_errmsg(db));
	err = grove_commit_changes_page_json(&out, db, v[0].id, NULL, NULL, 10, GROVE_CHANGES_PAGE_MAX_BYTES + 1ull);
	cr_assert_eq(err, GROVE_ELIMIT);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "commit_changes_page_bytes");
	cr_assert_eq(grove_commit_changes_page_json(&out, db, v[0].id, NULL, NULL, 10, 0), GROVE_EINVAL);
	cr_assert_eq(grove_commit_changes_json(&out, db, "01ARZ3NDEKTSV4RRFFQ69G5FAV", NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT),
		     GROVE_ENOTFOUND);
	grove_free(v);
}

Test(diff, type_ids_sort_as_strings_in_the_frozen_order)
{
	/* Twelve types: ids 1..12 would sort "10" before "2" as strings. */
	char pg[1024] = "", jsonl[1024] = "", *gdir;
	size_t pn = 0, jn = 0;
	for (int i = 0; i < 12; i++) {
		pn += (size_t)snprintf(pg + pn, sizeof pg - pn, "node T%02d { name: String @key }\n", i);
		jn += (size_t)snprintf(jsonl + jn, sizeof jsonl - jn,
				       "{\"type\":\"T%02d\",\"data\":{\"name\":\"x\"}}\n", i);
	}
	grove_db *g = gt_scratch(&gdir, "diff_types", pg);
	grove_load_result r;
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE, jsonl, &r), 0, "%s", grove_errmsg(g));
	char *out = NULL;
	cr_assert_eq(grove_commit_changes_json(&out, g, r.commit.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT), 0,
		     "%s", grove_errmsg(g));
	json_t *p = parse(out), *ch = json_object_get(p, "changes");
	cr_assert_eq(json_array_size(ch), 12);
	for (size_t i = 1; i < 12; i++) {
		const char *a = json_string_value(json_object_get(json_object_get(json_array_get(ch, i - 1), "type"), "id"));
		const char *b = json_string_value(json_object_get(json_object_get(json_array_get(ch, i), "type"), "id"));
		cr_assert(strcmp(a, b) < 0, "type ids out of string order: %s then %s", a, b);
	}
	json_decref(p);
	gt_scratch_done(g, gdir);
}

Test(diff, an_empty_load_and_a_branch_first_commit_have_exact_blocks)
{
	grove_load_result res;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, "", &res), 0);
	json_t *p = parse(page(res.commit.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT));
	cr_assert_eq(json_array_size(json_object_get(p, "changes")), 0);
	json_decref(p);
	cr_assert_eq(grove_branch_create(db, "f", "main", NULL), 0);
	mutate("f", "add", "{\"n\":\"Fay\",\"a\":4}");
	p = parse(page(head("f").s, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT));
	char ids[64];
	page_ids(ids, sizeof ids, p);
	cr_assert_str_eq(ids, "Fay");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "cause"), "authored_branch")), "f");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "cause"), "parent_commit_id")),
			 res.commit.id);
	json_decref(p);
}

/* ---- the change feed ------------------------------------------------------ */

/* max 0: the default. */
static json_t *poll_feed(const char *branch, const char *position, uint32_t max)
{
	char *out = NULL;
	int err = grove_changes_poll_json(&out, db, branch, position, NULL,
					  max ? max : GROVE_FEED_COMMITS_DEFAULT);
	cr_assert_eq(err, 0, "poll: %s", grove_errmsg(db));
	return parse(out);
}

/* The first change id of each block, joined by ','. */
static void block_ids(char *buf, size_t cap, const json_t *p)
{
	size_t i, n = 0;
	const json_t *b;
	buf[0] = '\0';
	json_array_foreach(json_object_get(p, "blocks"), i, b) {
		const json_t *c = json_array_get(json_object_get(b, "changes"), 0);
		const char *id = c ? json_string_value(json_object_get(c, "id")) : "-";
		n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", i ? "," : "", id);
	}
}

Test(diff, the_feed_follows_commits_from_a_cursor_once_each)
{
	json_t *p = poll_feed(NULL, "now", 0);
	cr_assert_eq(json_array_size(json_object_get(p, "blocks")), 0);
	cr_assert(json_is_true(json_object_get(p, "caught_up")));
	char *cursor = strdup(json_string_value(json_object_get(p, "cursor")));
	json_decref(p);
	mutate(NULL, "add", "{\"n\":\"Gus\",\"a\":1}");
	mutate(NULL, "add", "{\"n\":\"Hal\",\"a\":1}");
	char ids[256];
	p = poll_feed(NULL, cursor, 0);
	block_ids(ids, sizeof ids, p);
	cr_assert_str_eq(ids, "Gus,Hal");
	free(cursor);
	cursor = strdup(json_string_value(json_object_get(p, "cursor")));
	json_decref(p);
	p = poll_feed(NULL, cursor, 0);
	cr_assert_eq(json_array_size(json_object_get(p, "blocks")), 0);
	json_decref(p);
	/* From the beginning, one commit at a time: the load first. */
	p = poll_feed(NULL, "beginning", 1);
	block_ids(ids, sizeof ids, p);
	cr_assert_str_eq(ids, "Alice");
	cr_assert(json_is_false(json_object_get(p, "caught_up")));
	json_decref(p);
	/* A cursor of main is not one of another branch. */
	cr_assert_eq(grove_branch_create(db, "other", "main", NULL), 0);
	char *out = NULL;
	cr_assert_eq(grove_changes_poll_json(&out, db, "other", cursor, NULL, GROVE_FEED_COMMITS_DEFAULT), GROVE_ECURSOR);
	cr_assert(strstr(grove_errmsg(db), "change cursor rejected"), "%s", grove_errmsg(db));
	cr_assert_eq(grove_changes_poll_json(&out, db, NULL, cursor, "{\"ops\":[\"delete\"]}", GROVE_FEED_COMMITS_DEFAULT),
		     GROVE_ECURSOR);
	/* Every kind and every op is no filter: the same scope as none. */
	cr_assert_eq(grove_changes_poll_json(&out, db, NULL, cursor, "{\"kinds\":[\"edge\",\"node\"],"
					     "\"ops\":[\"delete\",\"insert\",\"update\"]}", GROVE_FEED_COMMITS_DEFAULT), 0, "%s", grove_errmsg(db));
	grove_free(out);
	/* A token of another kind is refused naming both kinds. */
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	cr_assert_eq(grove_commit_changes_json(&out, db, head.id, NULL, cursor, GROVE_CHANGES_PAGE_DEFAULT),
		     GROVE_ECURSOR);
	cr_assert(strstr(grove_errmsg(db), "expected a commit changes page token, got a change feed cursor"),
		  "%s", grove_errmsg(db));
	free(cursor);
}

/* A growing buffer for grove_changes_baseline's writer. */
struct sink {
	char *buf;
	size_t len;
	bool fail;
};

static int sink_write(void *arg, const char *buf, size_t len)
{
	struct sink *s = arg;
	if (s->fail)
		return -1;
	s->buf = realloc(s->buf, s->len + len + 1);
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

Test(diff, a_baseline_is_the_export_at_the_head_and_its_cursor_resumes_after_it)
{
	struct sink s = { 0 };
	char *out = NULL, *exported = gt_export(db, NULL, NULL);
	struct id at = head("main");
	cr_assert_eq(grove_changes_baseline(&out, db, NULL, NULL, sink_write, &s), 0, "%s", grove_errmsg(db));
	cr_assert_str_eq(s.buf, exported);
	json_t *r = parse(out), *b = json_object_get(r, "baseline");
	cr_assert_str_eq(json_string_value(json_object_get(b, "snapshot_commit_id")), at.s);
	char *cursor = strdup(json_string_value(json_object_get(b, "resume_cursor")));
	json_decref(r);
	/* A commit after the handshake is the first block from its cursor. */
	mutate(NULL, "add", "{\"n\":\"Gus\",\"a\":1}");
	char ids[64];
	json_t *p = poll_feed(NULL, cursor, 0);
	block_ids(ids, sizeof ids, p);
	cr_assert_str_eq(ids, "Gus");
	json_decref(p);
	free(cursor);
	free(exported);
	free(s.buf);

	/* The scope's kinds and types choose the tables; nothing else. */
	s = (struct sink){ 0 };
	cr_assert_eq(grove_changes_baseline(&out, db, NULL, "{\"kinds\":[\"edge\"]}", sink_write, &s), 0);
	cr_assert(s.buf && strstr(s.buf, "\"edge\":\"Knows\"") && !strstr(s.buf, "\"type\":\"Person\""),
		  "%s", s.buf);
	grove_free(out);
	free(s.buf);
	s = (struct sink){ 0 };
	cr_assert_eq(grove_changes_baseline(&out, db, NULL, "{\"kinds\":[]}", sink_write, &s), 0);
	cr_assert_null(s.buf);
	grove_free(out);

	/* A failing writer, an unknown type or branch: no record at all. */
	out = NULL;
	s.fail = true;
	cr_assert_eq(grove_changes_baseline(&out, db, NULL, NULL, sink_write, &s), GROVE_EINVAL);
	cr_assert_null(out);
	s.fail = false;
	cr_assert_eq(grove_changes_baseline(&out, db, NULL, "{\"type_names\":[\"Nope\"]}", sink_write, &s),
		     GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "unknown export type 'Nope'");
	cr_assert_eq(grove_changes_baseline(&out, db, "nope", NULL, sink_write, &s), GROVE_ENOTFOUND);
	cr_assert_null(out);
	cr_assert_null(s.buf);
}

/* Load a page and `extra` more people (n00000, n00001, ...) in one commit
 * and poll main's feed from just before it. */
static json_t *poll_after_bulk_load(size_t extra)
{
	size_t n = GROVE_CHANGES_PAGE_DEFAULT + extra, len = 0;
	char *jsonl = malloc(n * 64), pos[64];
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(jsonl + len, "{\"type\":\"Person\",\"data\":{\"name\":\"n%05zu\"}}\n", i);
	struct id before = head("main");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, jsonl, NULL), 0);
	free(jsonl);
	snprintf(pos, sizeof pos, "after:%s", before.s);
	return poll_feed(NULL, pos, 0);
}

/* Pages of `max` changes from just before two loads: P1, P2 then Q1-Q3. */
static json_t *poll_two_loads(uint32_t max, bool empty_between, struct id *second)
{
	char pos[64], *out = NULL;
	struct id before = head("main");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, "{\"type\":\"Person\",\"data\":{\"name\":\"P1\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"P2\"}}\n", NULL), 0);
	if (empty_between)
		cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, "", NULL), 0);
	*second = head("main");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, "{\"type\":\"Person\",\"data\":{\"name\":\"Q1\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Q2\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Q3\"}}\n", NULL), 0);
	snprintf(pos, sizeof pos, "after:%s", before.s);
	cr_assert_eq(grove_changes_poll_page_json(&out, db, NULL, pos, NULL, GROVE_FEED_COMMITS_DEFAULT, max,
						  GROVE_CHANGES_PAGE_BYTES), 0, "%s", grove_errmsg(db));
	return parse(out);
}

Test(diff, a_feed_page_ends_inside_a_later_block_or_where_its_budget_ran_out)
{
	struct id mid;
	char ids[256];
	/* 3 changes: P1, P2, then Q1 of the next block, and a token for Q2. */
	json_t *p = poll_two_loads(3, false, &mid);
	block_ids(ids, sizeof ids, p);
	cr_assert_str_eq(ids, "P1,Q1");
	cr_assert_eq(json_array_size(json_object_get(json_array_get(json_object_get(p, "blocks"), 1), "changes")), 1);
	cr_assert_null(json_object_get(p, "cursor"));
	cr_assert(json_is_string(json_object_get(p, "next_page_token")));
	json_decref(p);
}

Test(diff, a_spent_feed_budget_ends_the_page_before_the_next_commit)
{
	struct id mid;
	char ids[256];
	/* 2 changes: P1, P2; the empty commit after them waits for the next
	 * poll, whose cursor starts after the P commit. */
	json_t *p = poll_two_loads(2, true, &mid);
	block_ids(ids, sizeof ids, p);
	cr_assert_str_eq(ids, "P1");
	cr_assert(json_is_string(json_object_get(p, "cursor")));
	cr_assert(json_is_false(json_object_get(p, "caught_up")));
	char *cursor = strdup(json_string_value(json_object_get(p, "cursor")));
	json_decref(p);
	p = poll_feed(NULL, cursor, 0);
	block_ids(ids, sizeof ids, p);
	cr_assert_str_eq(ids, "-,Q1");   /* the empty commit, then Q */
	json_decref(p);
	free(cursor);
}

Test(diff, a_feed_page_ending_inside_a_block_continues_by_token)
{
	json_t *p = poll_after_bulk_load(200);
	const json_t *b = json_array_get(json_object_get(p, "blocks"), 0);
	cr_assert_eq(json_array_size(json_object_get(b, "changes")), GROVE_CHANGES_PAGE_DEFAULT);
	cr_assert_null(json_object_get(p, "cursor"), "a partial block is never checkpointed");
	char *token = strdup(json_string_value(json_object_get(p, "next_page_token")));
	json_decref(p);
	p = poll_feed(NULL, token, 0);
	b = json_array_get(json_object_get(p, "blocks"), 0);
	cr_assert_eq(json_array_size(json_object_get(b, "changes")), 200);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(b, "changes"), 0), "id")),
			 "n01000");
	cr_assert(json_is_true(json_object_get(p, "caught_up")));
	cr_assert(json_is_string(json_object_get(p, "cursor")));
	free(token);
	json_decref(p);
}

/* A token re-sealed with one member changed: what a hand-made token with a
 * valid checksum looks like (tokens are checksummed, not signed). */
static char *forge(const char *token, const char *member, const char *value)
{
	size_t len = strlen(token), n = 0, b64len = (len + 3) / 4 * 4;
	char *b64 = calloc(b64len + 1, 1), detail[BASE64_DETAIL_MAX];
	uint8_t *raw = malloc(base64_decoded_max(b64len));
	for (size_t i = 0; i < b64len; i++)
		b64[i] = i >= len ? '=' : token[i] == '-' ? '+' : token[i] == '_' ? '/' : token[i];
	cr_assert_eq(base64_decode(raw, &n, b64, b64len, detail), 0, "%s", detail);
	json_t *j = json_loadb((const char *)raw, n - 8, 0, NULL);
	cr_assert_not_null(j);
	json_object_set_new(j, member, json_string(value));
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	size_t tn = strlen(text);
	uint64_t d = XXH3_64bits(text, tn);
	uint8_t *sealed = malloc(tn + 8);
	memcpy(sealed, text, tn);
	for (int i = 0; i < 8; i++)
		sealed[tn + i] = (uint8_t)(d >> (56 - 8 * i));
	char *out = calloc(base64_encoded_len(tn + 8) + 1, 1);
	base64_encode(out, sealed, tn + 8);
	for (char *c = out; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c == '=' ? '\0' : *c;
	free(b64);
	free(raw);
	free(text);
	free(sealed);
	return out;
}

Test(diff, a_forged_page_token_whose_cut_is_off_the_branch_is_refused)
{
	cr_assert_eq(grove_branch_create(db, "side", "main", NULL), 0);
	mutate("side", "add", "{\"n\":\"Sid\",\"a\":1}");
	struct id side = head("side");
	json_t *p = poll_after_bulk_load(10);
	const char *token = json_string_value(json_object_get(p, "next_page_token"));
	cr_assert_not_null(token);
	/* The same token re-sealed unchanged still works: forge() is faithful. */
	char *same = forge(token, "branch", "main"), *out = NULL;
	cr_assert_eq(grove_changes_poll_json(&out, db, NULL, same, NULL, GROVE_FEED_COMMITS_DEFAULT), 0, "%s", grove_errmsg(db));
	grove_free(out);
	/* A cut on another branch would replay that branch's commits as main's;
	 * a cut that is no commit at all is not corruption of the graph. */
	const char *cuts[] = { side.s, "01M8PE9NED3R6TWNAJTPJAC27Z" };
	for (int i = 0; i < 2; i++) {
		char *forged = forge(token, "cut", cuts[i]);
		cr_assert_eq(grove_changes_poll_json(&out, db, NULL, forged, NULL, GROVE_FEED_COMMITS_DEFAULT), GROVE_ECURSOR);
		cr_assert_str_eq(grove_errmsg(db), "change cursor rejected: the page token's cut is not "
				 "a commit of branch 'main'");
		free(forged);
	}
	free(same);
	json_decref(p);
}

/* ---- across schema changes ------------------------------------------------ */

/* Without allow_data_loss: a dropped type is dropped softly, its history
 * stays readable (a hard drop erases it from every snapshot). */
static void apply(const char *pg)
{
	char *out = NULL;
	int err = grove_schema_apply_json(&out, db, pg, 0, NULL);
	cr_assert_eq(err, 0, "schema apply: %s", grove_errmsg(db));
	grove_free(out);
}

Test(diff, a_renamed_type_pairs_by_identity_and_a_readded_one_is_a_new_table)
{
	static const char base[] = "node Company { name: String @key }\n";
	apply("node Human @rename_from(\"Person\") { name: String @key\n age: I32?\n"
	      " email: String? @unique }\n" "node Company { name: String @key }\n");
	struct id renamed = head("main");
	grove_target from = { NULL, renamed.s }, to = { NULL, NULL };
	apply(base);
	struct id dropped = head("main");
	apply("node Human { name: String @key }\n" "node Company { name: String @key }\n");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Human\",\"data\":{\"name\":\"Bob\"}}\n", NULL), 0);
	/* By table key, then identity: the old Human's rows, then the new one's. */
	char *d = diff(&from, &to, "{\"kinds\":[\"node\"]}");
	expect_changes(d, "[{\"kind\":\"Node\",\"type_name\":\"Human\",\"type_key\":\"node:Human\","
			  "\"id\":\"Alice\",\"op\":\"Delete\",\"endpoints\":null},"
			  "{\"kind\":\"Node\",\"type_name\":\"Human\",\"type_key\":\"node:Human\","
			  "\"id\":\"Bob\",\"op\":\"Delete\",\"endpoints\":null},"
			  "{\"kind\":\"Node\",\"type_name\":\"Human\",\"type_key\":\"node:Human\","
			  "\"id\":\"Bob\",\"op\":\"Insert\",\"endpoints\":null}]");
	grove_free(d);
	/* The drop's own block would be the whole table: refused. */
	char *out = NULL;
	cr_assert_eq(grove_commit_changes_json(&out, db, dropped.s, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT), GROVE_EBOUNDARY);
	cr_assert(strstr(grove_errmsg(db), "schema_boundary"), "%s", grove_errmsg(db));
}

/* ---- pages of large commits ------------------------------------------------ */

/* Every page of a commit's changes: the ids in delivery order, joined by
 * ','; *pages: how many pages. */
static char *all_pages(const char *commit, uint32_t size, unsigned *pages)
{
	size_t cap = 1 << 20, n = 0;
	char *ids = malloc(cap), *token = NULL;
	*pages = 0;
	ids[0] = '\0';
	do {
		json_t *p = parse(page(commit, NULL, token, size));
		size_t i;
		const json_t *c;
		json_array_foreach(json_object_get(p, "changes"), i, c)
			n += (size_t)snprintf(ids + n, cap - n, "%s%s", n ? "," : "",
					      json_string_value(json_object_get(c, "id")));
		cr_assert_lt(n, cap - 1);
		const char *next = json_string_value(json_object_get(p, "next_page_token"));
		free(token);
		token = next ? strdup(next) : NULL;
		(*pages)++;
		json_decref(p);
	} while (token);
	return ids;
}

Test(diff, pages_of_a_bulk_insert_come_in_id_order_whatever_the_density)
{
	/* 90,000 people, then a commit of 5,000 more, one after every 18th
	 * (sparse in the type's id order: the id-map walk hands over to
	 * sorting), and 300 updates of existing ones in between. */
	size_t cap = 90000 * 48, len = 0, ecap = 5300 * 16, xn = 0;
	char *jsonl = malloc(cap), *exp = malloc(ecap);
	mutate(NULL, "drop", "{\"n\":\"Alice\"}");
	mutate(NULL, "drop", "{\"n\":\"Bob\"}");
	for (int i = 0; i < 90000; i++)
		len += (size_t)snprintf(jsonl + len, cap - len,
					"{\"type\":\"Person\",\"data\":{\"name\":\"b%05d\"}}\n", i);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, jsonl, NULL), 0, "%s", grove_errmsg(db));
	len = 0;
	for (int i = 0; i < 90000; i += 18) {
		len += (size_t)snprintf(jsonl + len, cap - len,
					"{\"type\":\"Person\",\"data\":{\"name\":\"b%05dx\"}}\n", i);
		xn += (size_t)snprintf(exp + xn, ecap - xn, "%sb%05dx", xn ? "," : "", i);
		if (i % 300 == 0) {
			len += (size_t)snprintf(jsonl + len, cap - len, "{\"type\":\"Person\","
						"\"data\":{\"name\":\"b%05d\",\"age\":1}}\n", i + 1);
			xn += (size_t)snprintf(exp + xn, ecap - xn, ",b%05d", i + 1);
		}
	}
	grove_load_result res;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, jsonl, &res), 0, "%s", grove_errmsg(db));
	free(jsonl);
	unsigned pages;
	char *got = all_pages(res.commit.id, GROVE_CHANGES_PAGE_DEFAULT, &pages);
	cr_assert_eq(pages, 6, "5,300 changes in pages of 1,000");
	cr_assert(!strcmp(got, exp), "the pages differ from the id order (%zu vs %zu bytes)",
		  strlen(got), strlen(exp));
	free(got);
	got = all_pages(res.commit.id, 700, &pages);
	cr_assert_eq(pages, 8);
	cr_assert(!strcmp(got, exp), "pages of 700 differ");
	free(got);
	free(exp);
}

Test(diff, a_commit_names_its_types_as_they_were_then)
{
	char *d;
	grove_db *g = gt_scratch(&d, "diff-era", "node Document { title: String @key\n payload: String? }\n");
	grove_load_result old;
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"Document\",\"data\":{\"title\":\"old\",\"payload\":\"keep\"}}", &old), 0);
	char *out = NULL;
	cr_assert_eq(grove_schema_apply_json(&out, g, "node Article @rename_from(\"Document\") { title: String @key\n"
					      " payload: String? }\n", 0, NULL), 0, "%s", grove_errmsg(g));
	grove_free(out);
	cr_assert_eq(grove_commit_changes_json(&out, g, old.commit.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT), 0, "%s", grove_errmsg(g));
	cr_assert(strstr(out, "\"name\":\"Document\""), "the commit-era name: %s", out);
	cr_assert_null(strstr(out, "Article"), "%s", out);
	grove_free(out);
	gt_scratch_done(g, d);
}

Test(diff, a_schema_apply_adding_a_property_to_rows_is_a_schema_boundary)
{
	char *d;
	grove_db *g = gt_scratch(&d, "diff-boundary",
				 "node Person { name: String @key\n age: I32? }\nnode Ghost { name: String @key }\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}", NULL), 0);
	char *out = NULL;
	grove_commit head;
	cr_assert_eq(grove_schema_apply_json(&out, g, "node Person { name: String @key\n age: I32?\n note: String? }\n"
					      "node Ghost { name: String @key }\n", 0, NULL), 0, "%s", grove_errmsg(g));
	grove_free(out);
	cr_assert_eq(grove_branch_head(&head, g, "main"), 0);
	cr_assert_eq(grove_commit_changes_json(&out, g, head.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT), GROVE_EBOUNDARY);
	cr_assert(strstr(grove_errmsg(g), "cross an unprovable schema boundary at type 'Person'"), "%s",
		  grove_errmsg(g));
	cr_assert_str_eq(grove_error_kind(GROVE_EBOUNDARY), "ChangeSchemaBoundary");
	/* Dropping the empty Ghost and adding a type: nothing to refuse. */
	cr_assert_eq(grove_schema_apply_json(&out, g, "node Person { name: String @key\n age: I32?\n note: String? }\n"
					      "node Anchor { name: String @key }\n", 1, NULL), 0, "%s", grove_errmsg(g));
	grove_free(out);
	cr_assert_eq(grove_branch_head(&head, g, "main"), 0);
	cr_assert_eq(grove_commit_changes_json(&out, g, head.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT), 0, "%s", grove_errmsg(g));
	cr_assert(strstr(out, "\"changes\":[]"), "%s", out);
	grove_free(out);
	/* A property renamed rewrites the type's columns too (OmniGraph's
	 * fingerprint holds names); so does one added to a type without rows. */
	cr_assert_eq(grove_schema_apply_json(&out, g, "node Person { name: String @key\n"
					      " years: I32? @rename_from(\"age\")\n note: String? }\n"
					      "node Anchor { name: String @key }\n", 0, NULL), 0, "%s", grove_errmsg(g));
	grove_free(out);
	cr_assert_eq(grove_branch_head(&head, g, "main"), 0);
	cr_assert_eq(grove_commit_changes_json(&out, g, head.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT), GROVE_EBOUNDARY);
	cr_assert(strstr(grove_errmsg(g), "at type 'Person'"), "%s", grove_errmsg(g));
	grove_error_info info;
	grove_error_info_get(&info, g);
	cr_assert_str_eq(info.type_key, "node:Person");
	cr_assert_str_eq(info.entity_id, head.id);
	cr_assert_eq(grove_schema_apply_json(&out, g, "node Person { name: String @key\n years: I32?\n note: String? }\n"
					      "node Anchor { name: String @key\n at: String? }\n", 0, NULL), 0,
		     "%s", grove_errmsg(g));
	grove_free(out);
	cr_assert_eq(grove_branch_head(&head, g, "main"), 0);
	cr_assert_eq(grove_commit_changes_json(&out, g, head.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT), GROVE_EBOUNDARY);
	cr_assert(strstr(grove_errmsg(g), "at type 'Anchor'"), "%s", grove_errmsg(g));
	gt_scratch_done(g, d);
}

/* A schema boundary inside a poll's window (engine §4.5): the page ends
 * before it, with a cursor and caught_up false; the next poll, starting
 * at it, refuses it.  The refusal ignores the scope (a boundary is the
 * commit's, not a view's). */
Test(diff, a_poll_ends_before_a_schema_boundary_and_the_next_refuses_it)
{
	char *d, *out = NULL;
	grove_db *g = gt_scratch(&d, "diff-feed-boundary",
				 "node Person { name: String @key\n age: I32? }\nnode Pet { name: String @key }\n");
	grove_load_result r;
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}", &r), 0);
	char after[64];
	snprintf(after, sizeof after, "after:%s", r.commit.parent);
	cr_assert_eq(grove_schema_apply_json(&out, g, "node Person { name: String @key\n age: I32?\n note: String? }\n"
					      "node Pet { name: String @key }\n", 0, NULL), 0, "%s", grove_errmsg(g));
	grove_free(out);
	cr_assert_eq(grove_changes_poll_json(&out, g, "main", after, NULL, GROVE_FEED_COMMITS_DEFAULT), 0,
		     "%s", grove_errmsg(g));
	json_t *p = parse(out);
	cr_assert_eq(json_array_size(json_object_get(p, "blocks")), 1, "the load's block only");
	cr_assert(json_is_false(json_object_get(p, "caught_up")));
	char *cursor = strdup(json_string_value(json_object_get(p, "cursor")));
	json_decref(p);
	cr_assert_eq(grove_changes_poll_json(&out, g, "main", cursor, NULL, GROVE_FEED_COMMITS_DEFAULT), GROVE_EBOUNDARY);
	cr_assert(strstr(grove_errmsg(g), "(schema_boundary"), "%s", grove_errmsg(g));
	free(cursor);
	/* A property added to Pet, which holds a row, is a boundary under any
	 * scope. */
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, "{\"type\":\"Pet\",\"data\":{\"name\":\"Rex\"}}", NULL), 0);
	cr_assert_eq(grove_schema_apply_json(&out, g, "node Person { name: String @key\n age: I32?\n note: String? }\n"
					      "node Pet { name: String @key\n legs: I32? }\n", 0, NULL), 0, "%s", grove_errmsg(g));
	grove_free(out);
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, g, "main"), 0);
	cr_assert_eq(grove_commit_changes_json(&out, g, head.id, "{\"type_names\":[\"Person\"]}", NULL,
					       GROVE_CHANGES_PAGE_DEFAULT), GROVE_EBOUNDARY);
	cr_assert(strstr(grove_errmsg(g), "'Pet'"), "%s", grove_errmsg(g));
	gt_scratch_done(g, d);
}

/* A poll's page budget (engine §4.4-4.5): a page that fills inside a block
 * answers with a page token, never a cursor; a single change larger than
 * the byte budget still comes, alone. */
Test(diff, a_poll_pages_by_the_budget_it_is_given)
{
	grove_load_result r;
	cr_assert_eq(gt_load(db, "main", GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"b1\",\"age\":1}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"b2\",\"age\":2}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"b3\",\"age\":3}}\n", &r), 0);
	char *out = NULL, after[64];
	snprintf(after, sizeof after, "after:%s", r.commit.parent);
	cr_assert_eq(grove_changes_poll_page_json(&out, db, "main", after, NULL, GROVE_FEED_COMMITS_DEFAULT, 2, GROVE_CHANGES_PAGE_BYTES), 0,
		     "%s", grove_errmsg(db));
	json_t *p = parse(out);  /* frees out */
	cr_assert_eq(json_array_size(json_object_get(json_array_get(json_object_get(p, "blocks"), 0), "changes")), 2);
	cr_assert(json_is_string(json_object_get(p, "next_page_token")));
	cr_assert_null(json_object_get(p, "cursor"), "a partial block is never checkpointed");
	json_decref(p);
	cr_assert_eq(grove_changes_poll_page_json(&out, db, "main", after, NULL, GROVE_FEED_COMMITS_DEFAULT, 100, 1), 0, "%s", grove_errmsg(db));
	p = parse(out);
	cr_assert_eq(json_array_size(json_object_get(json_array_get(json_object_get(p, "blocks"), 0), "changes")), 1,
		     "one change per page when each is larger than the budget");
	json_decref(p);
	cr_assert_eq(grove_changes_poll_page_json(&out, db, "main", after, NULL, GROVE_FEED_COMMITS_DEFAULT, 0, 1), GROVE_EINVAL);
	/* The feed's limits: the page's as commit changes names them, then
	 * the commits a poll examines (engine §4.4, §4.5). */
	grove_error_info info;
	cr_assert_eq(grove_changes_poll_page_json(&out, db, "main", after, NULL, GROVE_FEED_COMMITS_MAX + 1,
						  GROVE_CHANGES_PAGE_MAX + 1, 1), GROVE_ELIMIT);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "commit_changes_page_changes");
	/* OmniGraph's ResourceLimitExceeded text is in the message. */
	char want[128];
	snprintf(want, sizeof want, "resource limit exceeded for commit_changes_page_changes: actual %u, limit %u",
		 GROVE_CHANGES_PAGE_MAX + 1, GROVE_CHANGES_PAGE_MAX);
	cr_assert(strstr(grove_errmsg(db), want), "%s", grove_errmsg(db));
	cr_assert_eq(grove_changes_poll_page_json(&out, db, "main", after, NULL, GROVE_FEED_COMMITS_DEFAULT, 10,
						  GROVE_CHANGES_PAGE_MAX_BYTES + 1ull), GROVE_ELIMIT);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "commit_changes_page_bytes");
	cr_assert_eq(grove_changes_poll_json(&out, db, "main", after, NULL, GROVE_FEED_COMMITS_MAX + 1), GROVE_ELIMIT);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.resource, "change_feed_commits_per_poll");
	cr_assert_eq(info.limit, GROVE_FEED_COMMITS_MAX);
	cr_assert_eq(grove_changes_poll_json(&out, db, "main", after, NULL, 0), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "change feed commit ceiling must be greater than zero");
}

/* ---- optimize ------------------------------------------------------------- */

Test(diff, an_optimize_commit_is_an_empty_block_and_steady_state_commits_nothing)
{
	grove_commit c, again, now;
	struct id before = head("main");
	cr_assert_eq(grove_optimize(&c, db), 1, "%s", grove_errmsg(db));
	cr_assert_str_eq(c.parent, before.s);
	cr_assert_str_eq(c.actor, "", "maintenance records no actor (engine §2.2)");
	cr_assert_eq(grove_branch_head(&now, db, "main"), 0);
	cr_assert_str_eq(now.id, c.id);
	json_t *p = parse(page(c.id, NULL, NULL, GROVE_CHANGES_PAGE_DEFAULT));
	cr_assert_eq(json_array_size(json_object_get(p, "changes")), 0);
	cr_assert(json_is_null(json_object_get(p, "next_page_token")));
	json_decref(p);
	/* Steady state: nothing written, however often. */
	cr_assert_eq(grove_optimize(&again, db), 0);
	cr_assert_eq(grove_optimize(&again, db), 0);
	cr_assert_eq(grove_branch_head(&now, db, "main"), 0);
	cr_assert_str_eq(now.id, c.id);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2);
	/* A write makes work again; a branch's writes are not main's. */
	cr_assert_eq(grove_branch_create(db, "side", "main", NULL), 0);
	mutate("side", "add", "{\"n\":\"Sid\",\"a\":1}");
	cr_assert_eq(grove_optimize(&again, db), 0);
	mutate(NULL, "add", "{\"n\":\"Gus\",\"a\":1}");
	cr_assert_eq(grove_optimize(&again, db), 1);
	cr_assert_eq(again.graph_version, c.graph_version + 2);
	cr_assert_eq(grove_verify(dir), 0, "replay gives the same views");
}
