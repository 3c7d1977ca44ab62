/*
 * test_schema.c — schema plan and apply through grove.h (spec languages
 * §10, engine §4.2): renames keep rows and ids, old commits read with the
 * catalog of their time, soft and hard drops, a reincarnated type is a new
 * lifetime, refusals change nothing, replay and rebuild reproduce the
 * catalog, and readers running during applies never see a freed catalog.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"
#include "index/pidx.h"

static const char people[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Acme\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Alice\",\"to\":\"Acme\"}\n";

static const char renamed[] =
	"node Human @rename_from(\"Person\") {\n"
	"    full: String @key @rename_from(\"name\")\n"
	"    age: I32?\n"
	"    email: String? @unique\n"
	"    nick: String?\n"
	"}\n"
	"node Company { name: String @key }\n"
	"edge Knows: Human -> Human { since: Date? }\n"
	"edge WorksAt: Human -> Company @card(0..1)\n";

static grove_db *loaded(char **dir, grove_commit *before)
{
	*dir = gt_dir("schema");
	grove_db *db = gt_init(*dir, NULL);
	cr_assert_eq(gt_load(db, "main", GROVE_LOAD_OVERWRITE, people, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_branch_head(before, db, "main"), 0);
	return db;
}

static json_t *apply(grove_db *db, const char *pg, int allow_data_loss)
{
	char *out = NULL;
	int err = grove_schema_apply_json(&out, db, pg, allow_data_loss, "tester");
	cr_assert_eq(err, 0, "apply: %s", grove_errmsg(db));
	json_t *r = json_loads(out, 0, NULL);
	cr_assert_not_null(r);
	grove_free(out);
	return r;
}

static void expect_refused(grove_db *db, const char *pg, int code, const char *message)
{
	grove_commit before, after;
	char *out = NULL;
	cr_assert_eq(grove_branch_head(&before, db, "main"), 0);
	cr_expect_eq(grove_schema_apply_json(&out, db, pg, 0, NULL), code);
	cr_expect_null(out);
	cr_expect_str_eq(grove_errmsg(db), message);
	cr_assert_eq(grove_branch_head(&after, db, "main"), 0);
	cr_expect_str_eq(after.id, before.id, "a refused apply made a commit");
}

/* The error of a count, or 0. */
static int count_err(grove_db *db, const char *commit, const char *table, uint64_t *n)
{
	grove_target t = { commit ? NULL : "main", commit };
	return grove_count(n, db, &t, table);
}

static char *catalog(grove_db *db, const char *commit)
{
	grove_target t = { commit ? NULL : "main", commit };
	char *out = NULL;
	cr_assert_eq(grove_catalog_json(&out, db, &t), 0, "%s", grove_errmsg(db));
	return out;
}

Test(schema_apply, a_rename_keeps_rows_ids_and_history)
{
	char *dir;
	grove_commit before, head;
	grove_db *db = loaded(&dir, &before);
	json_t *r = apply(db, renamed, 0);
	cr_expect(json_is_true(json_object_get(r, "applied")));
	cr_expect_eq(json_integer_value(json_object_get(r, "step_count")), 3);
	cr_expect_eq(json_integer_value(json_object_get(r, "graph_manifest_version")),
		     (json_int_t)before.graph_version + 1);
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	cr_expect_str_eq(head.parent, before.id);
	cr_expect_str_eq(head.actor, "tester");
	cr_expect_str_eq(json_string_value(json_object_get(r, "graph_commit_id")), head.id);
	json_decref(r);

	cr_expect_eq(gt_count(db, "main", NULL, "node:Human"), 2);
	cr_expect_eq(gt_count(db, "main", NULL, "edge:Knows"), 1);
	uint64_t n;
	cr_expect_eq(count_err(db, NULL, "node:Person", &n), GROVE_EINVAL, "the old name still resolves at main");
	/* Before the apply: the new name reads by identity, the old one too. */
	cr_expect_eq(gt_count(db, NULL, before.id, "node:Human"), 2);
	cr_expect_eq(gt_count(db, NULL, before.id, "node:Person"), 2);
	char *out = NULL;
	grove_target t = { "main", NULL };
	cr_assert_eq(grove_entity_json(&out, db, &t, "node:Human", "Alice"), 0);
	cr_expect_str_eq(out, "{\"id\":\"Alice\",\"full\":\"Alice\",\"age\":30,\"email\":null,\"nick\":null}");
	grove_free(out);
	char *schema = NULL;
	cr_assert_eq(grove_schema_text(&schema, db), 0);
	cr_expect_str_eq(schema, renamed);
	grove_free(schema);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

Test(schema_apply, an_unchanged_schema_writes_nothing)
{
	char *dir;
	grove_commit before, after;
	grove_db *db = loaded(&dir, &before);
	json_t *r = apply(db, gt_schema, 0);
	cr_expect(json_is_false(json_object_get(r, "applied")));
	cr_expect(json_is_true(json_object_get(r, "supported")));
	cr_expect_eq(json_array_size(json_object_get(r, "steps")), 0);
	json_decref(r);
	cr_assert_eq(grove_branch_head(&after, db, "main"), 0);
	cr_expect_str_eq(after.id, before.id);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

Test(schema_apply, refusals_change_nothing)
{
	char *dir;
	grove_commit before;
	grove_db *db = loaded(&dir, &before);
	char *typed = strdup(gt_schema);
	memcpy(strstr(typed, "I32?"), "I64?", 4);
	expect_refused(db, typed, GROVE_EINVAL,
		       "[OG-MF-106] changing property type for 'Person.age' is not supported in schema migration v1");
	expect_refused(db, "node Human @rename_from(\"Nobody\") { name: String @key }\n", GROVE_EINVAL,
		       "schema identity resolution failed: node 'Human' declares @rename_from(\"Nobody\") but no "
		       "accepted declaration has that name");
	expect_refused(db, "edge E: A -> B\n", GROVE_EPARSE, "catalog error: edge E references unknown source type: A");
	cr_assert_eq(grove_branch_create(db, "feature", "main", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "alpha", "main", NULL), 0);
	expect_refused(db, renamed, GROVE_ECONFLICT,
		       "schema apply requires a graph with only main; found non-main branches: alpha, feature");
	/* plan needs no lone main */
	char *plan = NULL;
	cr_expect_eq(grove_schema_plan_json(&plan, db, renamed, 0), 0);
	grove_free(plan);
	free(typed);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

Test(schema_apply, a_soft_drop_keeps_the_past_and_a_reincarnation_is_a_new_lifetime)
{
	char *dir;
	grove_commit before, dropped;
	grove_db *db = loaded(&dir, &before);
	const char *without = "node Person { name: String @key\n age: I32?\n email: String? @unique }\n"
			      "edge Knows: Person -> Person { since: Date? }\n";
	json_decref(apply(db, without, 0));
	cr_assert_eq(grove_branch_head(&dropped, db, "main"), 0);
	uint64_t n;
	cr_expect_eq(count_err(db, NULL, "node:Company", &n), GROVE_EINVAL);
	cr_expect_eq(gt_count(db, NULL, before.id, "node:Company"), 1);
	cr_expect_eq(gt_count(db, NULL, before.id, "edge:WorksAt"), 1);
	char *old = catalog(db, before.id), *now = catalog(db, NULL);
	cr_expect(strstr(old, "\"name\":\"Company\"") != NULL);
	cr_expect(strstr(now, "\"name\":\"Company\"") == NULL);
	grove_free(old);
	grove_free(now);
	/* Company again: a new type; the old rows are not its rows. */
	json_decref(apply(db, gt_schema, 0));
	cr_expect_eq(gt_count(db, "main", NULL, "node:Company"), 0);
	cr_expect_eq(count_err(db, before.id, "node:Company", &n), GROVE_EINVAL);
	cr_expect_str_eq(grove_errmsg(db), "node type 'Company' does not exist at this snapshot");
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

static int discard(void *arg, const char *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
	return 0;
}

Test(schema_apply, a_hard_drop_makes_the_past_unreachable)
{
	char *dir;
	grove_commit before;
	grove_db *db = loaded(&dir, &before);
	const char *smaller = "node Person { name: String @key\n email: String? @unique }\nnode Company { name: String @key }\n"
			      "edge Knows: Person -> Person { since: Date? }\n";
	json_t *r = apply(db, smaller, 1);
	char *steps = json_dumps(json_object_get(r, "steps"), JSON_COMPACT);
	cr_expect_str_eq(steps, "[{\"kind\":\"drop_property\",\"type_kind\":\"node\",\"type_name\":\"Person\","
				"\"property_name\":\"age\",\"mode\":\"hard\"},{\"kind\":\"drop_type\",\"type_kind\":"
				"\"edge\",\"name\":\"WorksAt\",\"mode\":\"hard\"}]");
	free(steps);
	json_decref(r);
	uint64_t n;
	cr_expect_eq(gt_count(db, "main", NULL, "node:Person"), 2);
	cr_expect_eq(count_err(db, before.id, "node:Person", &n), GROVE_EINVAL);
	cr_expect(strstr(grove_errmsg(db), "unavailable at this snapshot") != NULL, "%s", grove_errmsg(db));
	cr_expect_eq(count_err(db, before.id, "edge:WorksAt", &n), GROVE_EINVAL);
	/* Types untouched by the drops keep their history, an edge type whose
	 * endpoint type's past was reclaimed too (OmniGraph counts its rows). */
	cr_expect_eq(gt_count(db, NULL, before.id, "node:Company"), 1);
	cr_expect_eq(gt_count(db, NULL, before.id, "edge:Knows"), 1);
	char *old = catalog(db, before.id);
	cr_expect(strstr(old, "WorksAt") == NULL && strstr(old, "\"kind\":\"node\",\"name\":\"Person\"") == NULL &&
		  strstr(old, "\"name\":\"Knows\"") != NULL, "%s", old);
	grove_free(old);
	/* A query that needs the reclaimed endpoint type says so. */
	char *json = NULL;
	cr_expect_eq(grove_query_json(&json, db, &(grove_target){ NULL, before.id },
				      "query q() { match { $a: Person $a knows $b } return { $b.name } }", NULL, NULL),
		     GROVE_EINVAL);
	cr_expect(strstr(grove_errmsg(db), "'Person'") != NULL, "%s", grove_errmsg(db));
	/* Whole reads of that past are refused, not answered without the
	 * reclaimed types: an export, a diff and a commit's changes. */
	grove_target at = { NULL, before.id }, now = { "main", NULL };
	const char *company[] = { "Company" };
	char *out = NULL;
	cr_expect_eq(grove_export(db, &at, discard, NULL), GROVE_EINVAL);
	cr_expect(strstr(grove_errmsg(db), "node type 'Person' is unavailable at this snapshot: its "
			 "history before LSN"), "%s", grove_errmsg(db));
	grove_error_info info;
	grove_error_info_get(&info, db);
	cr_expect_str_eq(info.kind, "HistoricalVersionReclaimed");
	cr_expect_eq(grove_export_types(db, &at, company, 1, discard, NULL), 0, "%s", grove_errmsg(db));
	const char *typo[] = { "Compny" };   /* a name no catalog has: not the reclaim's fault */
	cr_expect_eq(grove_export_types(db, &at, typo, 1, discard, NULL), GROVE_EINVAL);
	cr_expect_str_eq(grove_errmsg(db), "unknown export type 'Compny'");
	cr_expect_eq(grove_diff_json(&out, db, &at, &now, NULL), GROVE_EINVAL);
	cr_expect(strstr(grove_errmsg(db), "unavailable at this snapshot"), "%s", grove_errmsg(db));
	cr_expect_eq(grove_commit_changes_json(&out, db, before.id, NULL, NULL, 100), GROVE_EINVAL);
	cr_expect(strstr(grove_errmsg(db), "unavailable at this snapshot"), "%s", grove_errmsg(db));
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

Test(schema_apply, added_properties_and_enum_values_take_effect_at_once)
{
	char *dir = gt_dir("schema");
	grove_db *db = gt_init(dir, "node T { k: String @key\n st: enum(todo, done) }\n");
	cr_assert_eq(gt_load(db, "main", GROVE_LOAD_MERGE, "{\"type\":\"T\",\"data\":{\"k\":\"a\",\"st\":\"todo\"}}", NULL), 0);
	json_decref(apply(db, "node T { k: String @key\n st: enum(todo, done, blocked)\n n: I64? }\n", 0));
	cr_expect_eq(gt_load(db, "main", GROVE_LOAD_MERGE, "{\"type\":\"T\",\"data\":{\"k\":\"b\",\"st\":\"blocked\",\"n\":7}}",
			     NULL), 0, "%s", grove_errmsg(db));
	char *x = gt_export(db, "main", NULL);
	cr_expect_str_eq(x, "{\"type\":\"T\",\"data\":{\"id\":\"a\",\"k\":\"a\",\"st\":\"todo\",\"n\":null}}\n"
			    "{\"type\":\"T\",\"data\":{\"id\":\"b\",\"k\":\"b\",\"st\":\"blocked\",\"n\":7}}\n");
	free(x);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

Test(schema_apply, reopen_rebuild_and_verify_reproduce_the_catalog)
{
	char *dir;
	grove_commit before;
	grove_db *db = loaded(&dir, &before);
	json_decref(apply(db, renamed, 0));
	json_decref(apply(db, "node Human { full: String @key\n zip: I64? }\nnode Company { name: String @key }\n", 1));
	/* Human.age and nick again: new lifetimes (new ids) */
	json_decref(apply(db, "node Human { full: String @key\n age: I32?\n nick: String? }\n"
			      "node Company { name: String @key }\n", 0));
	char *live = catalog(db, NULL), *past = catalog(db, before.id);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	cr_assert_eq(grove_rebuild(dir, NULL), 0, "rebuild: %s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0);
	char *again = catalog(db, NULL), *past_again = catalog(db, before.id);
	cr_expect_str_eq(again, live);
	cr_expect_str_eq(past_again, past);
	cr_expect_eq(gt_count(db, "main", NULL, "node:Human"), 2);
	grove_free(live);
	grove_free(past);
	grove_free(again);
	grove_free(past_again);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

/* ---- readers during applies ---------------------------------------------- */

struct reader {
	grove_db *db;
	volatile int *stop;
	unsigned reads;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	while (!*r->stop) {
		uint64_t n;
		char *out = NULL;
		grove_target t = { "main", NULL };
		(void)grove_count(&n, r->db, &t, "node:Person");
		if (grove_query_json(&out, r->db, NULL, "query q() { match { $p: Person } return { $p.name } }", NULL,
				     NULL) == 0)
			grove_free(out);
		if (grove_catalog_json(&out, r->db, NULL) == 0)
			grove_free(out);
		r->reads++;
	}
	return NULL;
}

Test(schema_apply, readers_running_through_applies_finish_with_their_catalog, .timeout = 300)
{
	char *dir;
	grove_commit before;
	grove_db *db = loaded(&dir, &before);
	volatile int stop = 0;
	struct reader rs[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		rs[i] = (struct reader){ db, &stop, 0 };
		cr_assert_eq(pthread_create(&th[i], NULL, read_loop, &rs[i]), 0);
	}
	const char *with_nick = "node Person { name: String @key\n age: I32?\n email: String? @unique\n nick: String? }\n"
				"node Company { name: String @key }\nedge Knows: Person -> Person { since: Date? }\n"
				"edge WorksAt: Person -> Company @card(0..1)\n";
	for (int i = 0; i < 40; i++)
		json_decref(apply(db, i % 2 ? gt_schema : with_nick, 0));
	stop = 1;
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		cr_expect_gt(rs[i].reads, 0);
	}
	cr_expect_eq(gt_count(db, "main", NULL, "node:Person"), 2);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	gt_rmtree(dir);
	free(dir);
}

/* ---- writers during applies ------------------------------------------------ */

struct writer {
	grove_db *db;
	volatile int *stop;
	unsigned ok, refused;
	int bad;                 /* an error other than a refusal */
};

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	char line[128];
	for (unsigned i = 0; !*w->stop; i++) {
		snprintf(line, sizeof line, "{\"type\":\"Company\",\"data\":{\"name\":\"c%u\"}}\n", i);
		grove_load_options o = { .mode = GROVE_LOAD_APPEND };
		grove_load_result r;
		int err = grove_load(&r, w->db, &o, line, strlen(line));
		if (err == 0)
			w->ok++;
		else if (err == GROVE_ECONFLICT || err == GROVE_EINVAL || err == GROVE_EPARSE)
			w->refused++; /* planned under a schema that dropped Company, or none had it */
		else
			w->bad = err;
	}
	return NULL;
}

Test(schema_apply, writes_planned_before_an_apply_never_poison_the_handle, .timeout = 300)
{
	char *dir;
	grove_commit before;
	grove_db *db = loaded(&dir, &before);
	volatile int stop = 0;
	struct writer w = { db, &stop, 0, 0, 0 };
	pthread_t th;
	const char *without = "node Person { name: String @key\n age: I32?\n email: String? @unique }\n"
			      "edge Knows: Person -> Person { since: Date? }\n";
	cr_assert_eq(pthread_create(&th, NULL, write_loop, &w), 0);
	for (int i = 0; i < 30; i++)
		json_decref(apply(db, i % 2 ? gt_schema : without, 0));
	stop = 1;
	pthread_join(th, NULL);
	cr_expect_eq(w.bad, 0, "a write failed with %s: %s", grove_strerror(w.bad), grove_errmsg(db));
	cr_log_info("loads: %u committed, %u refused", w.ok, w.refused);
	cr_expect_eq(gt_load(db, "main", GROVE_LOAD_MERGE, people, NULL), 0, "the handle is unusable: %s",
		     grove_errmsg(db));
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	gt_rmtree(dir);
	free(dir);
}

/* A type's compiled @check patterns are kept for the handle's life
 * (engine/validators.c): each type keeps its own, many mutations in. */
Test(schema, check_patterns_are_kept_per_type)
{
	static const char pg[] = "node P {\n    name: String @key\n    code: String?\n"
				 "    @check(code, \"^[a-z]+$\")\n}\n"
				 "node Q {\n    name: String @key\n    code: String?\n"
				 "    @check(code, \"^[0-9]+$\")\n}\n";
	static const char q[] = "query p($n: String, $c: String) { insert P { name: $n, code: $c } }\n"
				"query q($n: String, $c: String) { insert Q { name: $n, code: $c } }\n";
	char *dir = gt_dir("schema-check"), *out = NULL, params[96];
	grove_db *db = gt_init(dir, pg);
	for (int i = 0; i < 20; i++) {
		snprintf(params, sizeof params, "{\"n\":\"a%d\",\"c\":\"abc\"}", i);
		cr_assert_eq(grove_mutate_json(&out, db, NULL, q, "p", params), 0, "%s", grove_errmsg(db));
		grove_free(out);
	}
	cr_assert_eq(grove_mutate_json(&out, db, NULL, q, "p", "{\"n\":\"x\",\"c\":\"123\"}"), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "@check"), "%s", grove_errmsg(db));
	cr_assert_eq(grove_mutate_json(&out, db, NULL, q, "q", "{\"n\":\"y\",\"c\":\"123\"}"), 0, "%s",
		     grove_errmsg(db));
	grove_free(out);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, q, "q", "{\"n\":\"z\",\"c\":\"abc\"}"), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "@check"), "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:P"), 20);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Q"), 1);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

/* The names a query finds by one property value, joined by ','. */
static char *names_by(grove_db *db, const char *commit, const char *prop, const char *value)
{
	char q[256], params[128], *json = NULL;
	grove_target t = { commit ? NULL : "main", commit };
	snprintf(q, sizeof q, "query q($v: String) { match { $n: N { %s: $v } } return { $n.name } order { $n.name } }",
		 prop);
	snprintf(params, sizeof params, "{\"v\":\"%s\"}", value);
	cr_assert_eq(grove_query_json(&json, db, &t, q, NULL, params), 0, "%s", grove_errmsg(db));
	const char *rows = strstr(json, "\"rows\":");
	char *out = calloc(1, 256);
	for (const char *r = rows; r && (r = strstr(r, "\"n.name\":\"")); ) {
		r += strlen("\"n.name\":\"");
		strncat(out, r, strcspn(r, "\""));
		strcat(out, ",");
	}
	grove_free(json);
	return out;
}

#define EXPECT_NAMES(db, commit, prop, value, want)                                  \
	do {                                                                         \
		char *got_ = names_by(db, commit, prop, value);                      \
		cr_expect_str_eq(got_, want, "%s = %s", prop, value);                \
		free(got_);                                                          \
	} while (0)

Test(schema_apply, an_added_index_covers_rows_written_before_it)
{
	char *dir = gt_dir("schema-index");
	grove_db *db = gt_init(dir, "node N { name: String @key\n a: String?\n b: String? @index }\n");
	cr_assert_eq(gt_load(db, "main", GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"N\",\"data\":{\"name\":\"x\",\"a\":\"A1\",\"b\":\"B\"}}\n"
			     "{\"type\":\"N\",\"data\":{\"name\":\"y\",\"a\":\"A2\",\"b\":\"B\"}}\n"
			     "{\"type\":\"N\",\"data\":{\"name\":\"z\",\"a\":\"A3\"}}\n", NULL), 0, "%s", grove_errmsg(db));
	/* Versions before the index: x changes its a, z goes. */
	const char *ops = "query up() { update N set { a: \"A9\" } where name = \"x\" }\n"
			  "query rm() { delete N where name = \"z\" }\n";
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL, ops, "up", NULL), 0, "%s", grove_errmsg(db));
	grove_free(out);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, ops, "rm", NULL), 0, "%s", grove_errmsg(db));
	grove_free(out);
	grove_commit before;
	cr_assert_eq(grove_branch_head(&before, db, "main"), 0);
	/* @index(a) declared before b's: b's index number moves too.  The
	 * rebuild writes after every entity here. */
	pidx_rebuild_flush_bytes = 1;
	json_decref(apply(db, "node N { name: String @key\n a: String? @index\n b: String? @index }\n", 0));
	EXPECT_NAMES(db, NULL, "a", "A9", "x,");
	EXPECT_NAMES(db, NULL, "a", "A1", "");
	EXPECT_NAMES(db, NULL, "a", "A2", "y,");
	EXPECT_NAMES(db, NULL, "a", "A3", "");
	EXPECT_NAMES(db, NULL, "b", "B", "x,y,");
	EXPECT_NAMES(db, NULL, "a", "B", "");
	EXPECT_NAMES(db, before.id, "a", "A9", "x,");  /* the old commit reads with its catalog */
	/* Written after the apply, then all of it again after a rebuild. */
	cr_assert_eq(gt_load(db, "main", GROVE_LOAD_APPEND,
			     "{\"type\":\"N\",\"data\":{\"name\":\"w\",\"a\":\"A9\"}}\n", NULL), 0, "%s", grove_errmsg(db));
	EXPECT_NAMES(db, NULL, "a", "A9", "w,x,");
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0);
	cr_assert_eq(grove_rebuild(dir, NULL), 0);
	cr_assert_eq(grove_open(&db, dir, NULL), 0);
	EXPECT_NAMES(db, NULL, "a", "A9", "w,x,");
	EXPECT_NAMES(db, NULL, "b", "B", "x,y,");
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}
