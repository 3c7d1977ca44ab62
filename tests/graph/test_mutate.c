/* test_mutate.c — mutations: upserts, updates, cascading deletes, atomicity,
 * preconditions, and many threads writing at once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "engine/db.h"
#include "graph_testutil.h"
#include "index/apply.h"
#include "log/failpoint.h"

static const char queries[] =
	"query add($n: String, $a: I32?) { insert Person { name: $n, age: $a } }\n"
	"query knows($a: String, $b: String) { insert Knows { from: $a, to: $b } }\n"
	"query older($n: String) { update Person set { age: 99 } where name = $n }\n"
	"query bump() {\n"
	"    update Person set { age: 50 } where name = \"Alice\"\n"
	"    update Person set { email: \"old@x\" } where age > 40\n"
	"}\n"
	"query rename($n: String) { update Person set { name: $n } where name = \"Alice\" }\n"
	"query drop($n: String) { delete Person where name = $n }\n"
	"query gone($n: String) {\n"
	"    delete Person where name = $n\n"
	"    delete Person where name = $n\n"
	"}\n"
	"query fresh($n: String) {\n"
	"    insert Person { name: $n, age: 1 }\n"
	"    update Person set { age: 8 } where name = $n\n"
	"}\n"
	"query all() { update Person set { age: 7 } where age > 0 }\n"
	"query two($n: String) {\n"
	"    insert Person { name: $n, age: 1 }\n"
	"    insert Knows { from: $n, to: \"Nobody\" }\n"
	"}\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("mutate");
	db = gt_init(dir, NULL);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Alice\"}\n", NULL), 0);
}

static void teardown(void)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

TestSuite(mutate, .init = setup, .fini = teardown);

static char *mutate(const char *branch, const char *name, const char *params, int expect)
{
	grove_mutate_options o = { .branch = branch, .actor = "t" };
	char *out = NULL;
	int err = grove_mutate_json(&out, db, &o, queries, name, params);
	cr_assert_eq(err, expect, "%s: %d %s", name, err, grove_errmsg(db));
	return out;
}

Test(mutate, insert_on_an_existing_key_updates_it)
{
	char *r = mutate(NULL, "add", "{\"n\":\"Alice\",\"a\":31}", 0), *e;
	grove_target t = { NULL, NULL };
	cr_assert(strstr(r, "\"affected_nodes\":1,\"affected_edges\":0"), "%s", r);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2);
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "Alice"), 0);
	cr_assert(strstr(e, "\"age\":31"), "%s", e);
	grove_free(e);
	grove_free(r);
}

Test(mutate, statements_see_the_writes_of_earlier_ones)
{
	char *r = mutate(NULL, "bump", NULL, 0), *e;
	grove_target t = { NULL, NULL };
	cr_assert(strstr(r, "\"affected_nodes\":2"), "Alice matched by both statements: %s", r);
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "Alice"), 0);
	cr_assert(strstr(e, "\"age\":50,\"email\":\"old@x\""), "%s", e);
	grove_free(e);
	grove_free(r);
}

/* `where <key> = v` is a lookup by id: it must see the same staged state
 * as a walk of the type would. */
Test(mutate, a_key_lookup_sees_earlier_inserts_and_deletes)
{
	grove_target t = { NULL, NULL };
	char *r = mutate(NULL, "fresh", "{\"n\":\"Dana\"}", 0), *e;
	cr_assert(strstr(r, "\"affected_nodes\":2"), "insert, then update of the staged row: %s", r);
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "Dana"), 0);
	cr_assert(strstr(e, "\"age\":8"), "%s", e);
	grove_free(e);
	grove_free(r);
	r = mutate(NULL, "gone", "{\"n\":\"Bob\"}", 0);
	cr_assert(strstr(r, "\"affected_nodes\":1,\"affected_edges\":2"),
		  "the second delete finds nothing more: %s", r);
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "Bob"), GROVE_ENOTFOUND);
	grove_free(r);
	r = mutate(NULL, "older", "{\"n\":\"Bob\"}", 0);
	cr_assert(strstr(r, "\"commit\":null"), "%s", r);
	grove_free(r);
}

Test(mutate, deleting_a_node_deletes_its_edges)
{
	char *r = mutate(NULL, "drop", "{\"n\":\"Bob\"}", 0);
	cr_assert(strstr(r, "\"affected_nodes\":1,\"affected_edges\":2"), "%s", r);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 0);
	grove_free(r);
}

Test(mutate, a_mutation_that_matches_nothing_commits_nothing)
{
	grove_commit before, after;
	cr_assert_eq(grove_branch_head(&before, db, "main"), 0);
	char *r = mutate(NULL, "older", "{\"n\":\"Nobody\"}", 0);
	cr_assert(strstr(r, "\"commit\":null"), "%s", r);
	cr_assert_eq(grove_branch_head(&after, db, "main"), 0);
	cr_assert_str_eq(before.id, after.id);
	grove_free(r);
}

Test(mutate, a_failing_statement_leaves_the_graph_unchanged)
{
	mutate(NULL, "two", "{\"n\":\"Carl\"}", GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "dst 'Nobody' not found in Person"), "%s",
		  grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2, "the first statement is undone too");
}

Test(mutate, key_properties_cannot_be_updated)
{
	mutate(NULL, "rename", "{\"n\":\"Alicia\"}", GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db),
			 "cannot update @key property 'name' — delete and re-insert instead");
}

Test(mutate, an_expected_head_that_moved_fails_the_precondition)
{
	grove_commit head;
	grove_mutate_options o = { .expected_head = NULL };
	char *out;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	free(mutate(NULL, "add", "{\"n\":\"X\"}", 0));
	o.expected_head = head.id;
	cr_assert_eq(grove_mutate_json(&out, db, &o, queries, "add", "{\"n\":\"Y\"}"),
		     GROVE_EPRECONDITION);
	cr_assert_str_eq(grove_error_kind(GROVE_EPRECONDITION), "PreconditionFailed");
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 3);
}

Test(mutate, errors_name_missing_parameters_and_queries)
{
	mutate(NULL, "older", "{}", GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "parameter 'n' not provided");
	mutate(NULL, "nope", NULL, GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "query 'nope' not found");
}

struct writer {
	const char *branch;
	int id, n;
	int err;
};

static void *write_many(void *arg)
{
	struct writer *w = arg;
	grove_mutate_options o = { .branch = w->branch };
	for (int i = 0; i < w->n && !w->err; i++) {
		char params[96], *out;
		/* Every thread also upserts the same key: serialized, never refused. */
		snprintf(params, sizeof params, "{\"n\":\"%s\",\"a\":%d}",
			 i % 2 ? "Shared" : "", w->id * 1000 + i);
		if (!(i % 2))
			snprintf(params, sizeof params, "{\"n\":\"w%d_%d\",\"a\":%d}", w->id, i, i);
		w->err = grove_mutate_json(&out, db, &o, queries, "add", params);
		if (!w->err)
			grove_free(out);
	}
	return NULL;
}

Test(mutate, many_threads_on_two_branches_lose_no_write, .timeout = 300)
{
	enum { THREADS = 8, EACH = 40 };
	struct writer w[THREADS];
	pthread_t t[THREADS];
	cr_assert_eq(grove_branch_create(db, "side", NULL, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ i % 2 ? "side" : "main", i, EACH, 0 };
		pthread_create(&t[i], NULL, write_many, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].err, 0, "writer %d: %s", i, grove_errmsg(db));
	}
	/* Each branch: 2 loaded + its threads' distinct names + "Shared". */
	uint64_t per_branch = 2 + (THREADS / 2) * (EACH / 2) + 1;
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), per_branch);
	cr_assert_eq(gt_count(db, "side", NULL, "node:Person"), per_branch);
	grove_commit *v;
	size_t n;
	cr_assert_eq(grove_commit_list(&v, &n, db, "main"), 0);
	cr_assert_eq(n, 2 + (THREADS / 2) * EACH, "one commit per mutation");
	grove_free(v);
}

/* Mutations of one branch are combined (one thread runs a queue of them,
 * engine/branch_lock.c): each caller still gets its own result and its
 * own error message, in its own thread. */
struct mixed {
	int id, ok, failed;
	char bad[160];
};

static void *write_mixed(void *arg)
{
	struct mixed *w = arg;
	for (int i = 0; i < 60 && !w->bad[0]; i++) {
		char params[96], want[64], *out = NULL;
		grove_mutate_options o = { .actor = "mixed" };
		if (i % 3 == 2) {
			/* key properties cannot change: an error naming this thread's key */
			snprintf(params, sizeof params, "{\"n\":\"m%d_%d\"}", w->id, i);
			snprintf(want, sizeof want, "m%d_%d", w->id, i);
			int err = grove_mutate_json(&out, db, &o, queries, "older", params);
			if (err != 0 || !strstr(out, "\"affected_nodes\":0"))
				snprintf(w->bad, sizeof w->bad, "older %s: %d %s", want, err,
					 grove_errmsg(db));
			grove_free(out);
			err = grove_mutate_json(&out, db, &o, queries, "add", "{\"a\":1}");
			if (err != GROVE_EINVAL || strcmp(grove_errmsg(db), "parameter 'n' not provided"))
				snprintf(w->bad, sizeof w->bad, "missing n: %d '%s'", err, grove_errmsg(db));
			else
				w->failed++;
			continue;
		}
		snprintf(params, sizeof params, "{\"n\":\"m%d_%d\",\"a\":%d}", w->id, i, i);
		snprintf(want, sizeof want, "\"affected_nodes\":1");
		int err = grove_mutate_json(&out, db, &o, queries, "add", params);
		if (err != 0 || !strstr(out, want))
			snprintf(w->bad, sizeof w->bad, "add m%d_%d: %d %s", w->id, i, err,
				 grove_errmsg(db));
		else
			w->ok++;
		grove_free(out);
	}
	return NULL;
}

/* A failure inside the combined section: an expected head that moved. */
static void *expect_stale(void *arg)
{
	struct mixed *w = arg;
	for (int i = 0; i < 40 && !w->bad[0]; i++) {
		char expected[GROVE_COMMIT_ID_BYTES], want[96], *out = NULL;
		snprintf(expected, sizeof expected, "00000000000000000000%06d", w->id * 100 + i);
		grove_mutate_options o = { .expected_head = expected };
		int err = grove_mutate_json(&out, db, &o, queries, "add", "{\"n\":\"never\"}");
		snprintf(want, sizeof want, "expected head '%s' but current is ", expected);
		if (err != GROVE_EPRECONDITION || !strstr(grove_errmsg(db), want))
			snprintf(w->bad, sizeof w->bad, "stale %s: %d '%s'", expected, err,
				 grove_errmsg(db));
		else
			w->failed++;
	}
	return NULL;
}

static void combined_writers(void)
{
	enum { THREADS = 12 };
	struct mixed w[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct mixed){ .id = i };
		pthread_create(&t[i], NULL, i % 3 == 2 ? expect_stale : write_mixed, &w[i]);
	}
	int ok = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].bad[0], '\0', "writer %d: %s", i, w[i].bad);
		ok += w[i].ok;
		cr_assert_eq(w[i].failed, i % 3 == 2 ? 40 : 20, "writer %d", i);
	}
	cr_assert_eq(ok, (THREADS - THREADS / 3) * 40);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), (uint64_t)(2 + ok));
	char *e = NULL;
	grove_target tg = { "main", NULL };
	cr_assert_eq(grove_entity_json(&e, db, &tg, "node:Person", "never"), GROVE_ENOTFOUND);
}

Test(mutate, combined_writers_each_get_their_own_result_and_error, .timeout = 300)
{
	combined_writers();
}

/* A batch's callers sleep on their generation's word too and are woken
 * together (futex_waitv); where that call is missing, each on its own. */
Test(mutate, combined_writers_woken_one_by_one_where_futex_waitv_is_missing, .timeout = 300)
{
	db_branch_wake_each();
	combined_writers();
}

/* Optimistic writers: each reads the head and writes only if it is
 * still the head (expected_head), retrying when it moved.  Combined
 * writes share one LMDB transaction (engine/sequencer.h), and each must
 * plan on the ones before it: were a write to see the head its batch
 * started from, two writes expecting the same head would both succeed.
 * So: every success reports, and stores, the head it expected as its
 * parent, and the commits form one chain. */
struct cas {
	int id, wins, retries;
	char bad[200];
};

static void *cas_writer(void *arg)
{
	struct cas *w = arg;
	while (w->wins < 25 && !w->bad[0]) {
		grove_commit h;
		char params[64], parent[96], *out = NULL;
		if (grove_branch_head(&h, db, "main") != 0) {
			snprintf(w->bad, sizeof w->bad, "head: %s", grove_errmsg(db));
			break;
		}
		grove_mutate_options o = { .expected_head = h.id };
		snprintf(params, sizeof params, "{\"n\":\"c%d_%d\",\"a\":%d}", w->id, w->wins, w->id);
		int err = grove_mutate_json(&out, db, &o, queries, "add", params);
		snprintf(parent, sizeof parent, "\"parent_commit_id\":\"%s\"", h.id);
		const char *at = out ? strstr(out, "\"graph_commit_id\":\"") : NULL;
		grove_commit c = { .parent = "?" };
		if (at) {
			char id[GROVE_COMMIT_ID_BYTES];
			snprintf(id, sizeof id, "%s", at + strlen("\"graph_commit_id\":\""));
			if (grove_commit_show(&c, db, id) != 0)
				snprintf(c.parent, sizeof c.parent, "(not stored)");
		}
		if (err == 0 && strstr(out, parent) && !strcmp(c.parent, h.id))
			w->wins++;
		else if (err == GROVE_EPRECONDITION)
			w->retries++;
		else
			snprintf(w->bad, sizeof w->bad, "%s: %d %s %s", params, err, grove_errmsg(db),
				 out ? out : "");
		grove_free(out);
	}
	return NULL;
}

Test(mutate, optimistic_writers_each_see_the_writes_combined_before_theirs)
{
	enum { THREADS = 8 };
	struct cas w[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct cas){ .id = i };
		pthread_create(&t[i], NULL, cas_writer, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].bad[0], '\0', "writer %d: %s", i, w[i].bad);
	}
	grove_commit *v;
	size_t n;
	cr_assert_eq(grove_commit_list(&v, &n, db, "main"), 0);
	cr_assert_eq(n, 2 + THREADS * 25, "genesis, the load and one commit per win");
	for (size_t i = 0; i + 1 < n; i++)
		cr_assert_str_eq(v[i].parent, v[i + 1].id, "commit %zu's parent", i);
	grove_free(v);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), (uint64_t)(2 + THREADS * 25));
}

/* Hold the branch's combiner at combine.begin (the failpoint's `hold`)
 * while `n` more writes queue behind it: start(i) starts writer i, whose
 * call must reach the queue.  Then let the batch run.  `also`: further
 * failpoint entries to arm with it, or NULL. */
static void combine_after_queueing(pthread_t *lead, void *(*lead_fn)(void *), void *lead_arg,
				   pthread_t *t, void *(*fn)(void *), void *const *args, int n,
				   const char *also)
{
	char spec[256];
	snprintf(spec, sizeof spec, "combine.begin:1:hold%s%s", also ? "," : "", also ? also : "");
	setenv("GROVE_FAILPOINT", spec, 1);
	grove_failpoint_rearm();
	pthread_create(lead, NULL, lead_fn, lead_arg);
	while (grove_failpoint_held() < 1)
		usleep(1000);
	for (int i = 0; i < n; i++) {
		pthread_create(&t[i], NULL, fn, args[i]);
		while (db_branch_queued(db, "main") < (size_t)i + 1)
			usleep(1000);
	}
	grove_failpoint_release();
}

static void failpoints_off(void)
{
	unsetenv("GROVE_FAILPOINT");
	grove_failpoint_rearm();
}

static size_t views_txnid(void)
{
	MDB_envinfo info;
	cr_assert_eq(mdb_env_info(db->views->env, &info), 0);
	return info.me_last_txnid;
}

/* A write that fails in a batch, behind writes it planned on (through the
 * batch's transaction), answers only once those are durable: its
 * PreconditionFailed names the head they made, and a crash before their
 * fsync would leave it naming a commit that never existed.  The combiner
 * pauses 300 ms after the batch's last job, before the batch commits
 * (the commit makes its writes visible to seq_read_fence): without the
 * wait the failure came back in that window, with nothing durable. */
struct stale {
	const char *expected, *params;
	int err;
	char msg[512];
	uint64_t durable;       /* the log's durable LSN when it returned */
};

static void *add_expecting(void *arg)
{
	struct stale *w = arg;
	grove_mutate_options o = { .actor = "t", .expected_head = w->expected };
	char *out = NULL;
	w->err = grove_mutate_json(&out, db, &o, queries, "add", w->params);
	w->durable = log_durable_lsn(db->log);
	snprintf(w->msg, sizeof w->msg, "%s", grove_errmsg(db));
	grove_free(out);
	return NULL;
}

Test(mutate, a_failure_that_saw_a_batch_mates_write_waits_for_it_to_be_durable)
{
	grove_commit h0;
	cr_assert_eq(grove_branch_head(&h0, db, "main"), 0);
	struct stale lead = { .params = "{\"n\":\"L\"}" }, a = { .params = "{\"n\":\"A\"}" },
		     b = { .expected = h0.id, .params = "{\"n\":\"B\"}" };
	void *args[] = { &a, &b };
	pthread_t tl, t[2];
	combine_after_queueing(&tl, add_expecting, &lead, t, add_expecting, args, 2,
			       "combine.end:1:pause=300");
	pthread_join(tl, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	failpoints_off();
	cr_assert_eq(lead.err, 0, "%s", lead.msg);
	cr_assert_eq(a.err, 0, "%s", a.msg);
	cr_assert_eq(b.err, GROVE_EPRECONDITION, "%d %s", b.err, b.msg);
	grove_commit h;
	cr_assert_eq(grove_branch_head(&h, db, "main"), 0);
	cr_assert(strstr(b.msg, h.id), "B names the head A made: %s (head %s)", b.msg, h.id);
	cr_assert_geq(b.durable, h.lsn, "B returned when the log was durable to %lu, before "
		      "the head it names (LSN %lu)", (unsigned long)b.durable, (unsigned long)h.lsn);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 4, "Alice, Bob, L and A");
}

/* A write combined behind another (one LMDB transaction for both,
 * engine/sequencer.h) and huge enough to be applied in parts
 * (index/apply.h): the parts a second thread gathers must see the write
 * before it, as the first part does.  Gathered from the views as they
 * were before the batch, the node the first write made was not found,
 * given a second internal id, and the graph held it twice. */
static void *add_last(void *arg)
{
	(void)arg;
	grove_mutate_options o = { .actor = "t" };
	char *out = NULL;
	int err = grove_mutate_json(&out, db, &o, queries, "add", "{\"n\":\"zzz\",\"a\":1}");
	grove_free(out);
	return (void *)(intptr_t)err;
}

static void *update_all(void *arg)
{
	grove_mutate_options o = { .actor = "t" };
	char **out = arg;
	return (void *)(intptr_t)grove_mutate_json(out, db, &o, queries, "all", NULL);
}

Test(mutate, a_huge_write_combined_behind_another_sees_it_in_every_part)
{
	char params[64], *out = NULL;
	for (int i = 0; i < 8; i++) {
		snprintf(params, sizeof params, "{\"n\":\"p%d\",\"a\":%d}", i, 20 + i);
		grove_free(mutate(NULL, "add", params, 0));
	}
	views_apply_part_effects = 2;
	size_t before = views_txnid();
	pthread_t lead, t;
	void *args[] = { &out };
	combine_after_queueing(&lead, add_last, NULL, &t, update_all, args, 1, NULL);
	void *err;
	pthread_join(lead, &err);
	cr_assert_eq((intptr_t)err, 0);
	pthread_join(t, &err);
	cr_assert_eq((intptr_t)err, 0, "%s", grove_errmsg(db));
	failpoints_off();
	cr_assert_eq(views_txnid() - before, 1, "both writes in one LMDB transaction");
	cr_assert(strstr(out, "\"affected_nodes\":11"), "%s", out);
	grove_free(out);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 11);
	char *e = NULL;
	grove_target tg = { "main", NULL };
	cr_assert_eq(grove_entity_json(&e, db, &tg, "node:Person", "zzz"), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(e, "\"age\":7"), "%s", e);
	grove_free(e);
	grove_close(db);
	db = NULL;
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
}

/* Mutations queued behind one combiner share one LMDB write transaction
 * until it holds seq_batch_effects effects; the rest commit one by one.
 * Counted by LMDB's own transaction ids: four single-insert writes under
 * a bound of two take three commits (two in the batch, then one each),
 * where one transaction per write took four. */
static void *add_one(void *arg)
{
	char params[64], *out = NULL;
	grove_mutate_options o = { .actor = "t" };
	snprintf(params, sizeof params, "{\"n\":\"%s\",\"a\":1}", (const char *)arg);
	int err = grove_mutate_json(&out, db, &o, queries, "add", params);
	grove_free(out);
	return (void *)(intptr_t)err;
}

Test(mutate, a_combined_batch_is_one_lmdb_transaction_until_it_is_full)
{
	static char lead_name[] = "lead", q1[] = "q1", q2[] = "q2", q3[] = "q3";
	void *names[] = { q1, q2, q3 };
	pthread_t lead, t[3];
	seq_batch_effects = 2;
	size_t before = views_txnid();
	combine_after_queueing(&lead, add_one, lead_name, t, add_one, names, 3, NULL);
	void *err;
	pthread_join(lead, &err);
	cr_assert_eq((intptr_t)err, 0);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], &err);
		cr_assert_eq((intptr_t)err, 0, "%s", (char *)names[i]);
	}
	failpoints_off();
	cr_assert_eq(views_txnid() - before, 3, "LMDB commits for four combined writes");
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 6);
}

/* The commit a mutation reports is built without reading it back: it
 * must be exactly the stored one (grove_commit_show), on main and on a
 * fresh branch (whose version starts at its fork's). */
static void assert_reported_commit_is_stored(const char *branch, const char *name)
{
	char params[64], *out;
	snprintf(params, sizeof params, "{\"n\":\"%s\",\"a\":3}", name);
	out = mutate(branch, "add", params, 0);
	const char *at = strstr(out, "\"graph_commit_id\":\"");
	cr_assert(at, "%s", out);
	char id[GROVE_COMMIT_ID_BYTES];
	snprintf(id, sizeof id, "%s", at + strlen("\"graph_commit_id\":\""));
	grove_commit c;
	cr_assert_eq(grove_commit_show(&c, db, id), 0, "%s", grove_errmsg(db));
	char want[1024], branch_json[sizeof ((grove_commit *)0)->branch + 2];
	/* null for main (engine §2.1) */
	snprintf(branch_json, sizeof branch_json, strcmp(c.branch, "main") ? "\"%s\"" : "null", c.branch);
	snprintf(want, sizeof want,
		 "\"commit\":{\"graph_commit_id\":\"%s\",\"graph_branch\":%s,"
		 "\"graph_manifest_version\":%lu,\"parent_commit_id\":\"%s\","
		 "\"merged_parent_commit_id\":null,\"actor_id\":\"t\",\"created_at\":%ld}",
		 c.id, branch_json, (unsigned long)c.graph_version, c.parent, (long)c.created_at_us);
	cr_assert(strstr(out, want), "reported %s\nstored   %s", out, want);
	grove_free(out);
}

Test(mutate, the_reported_commit_is_the_stored_one)
{
	assert_reported_commit_is_stored(NULL, "R1");
	assert_reported_commit_is_stored(NULL, "R2");
	cr_assert_eq(grove_branch_create(db, "rep", NULL, NULL), 0);
	assert_reported_commit_is_stored("rep", "R3");
	assert_reported_commit_is_stored("rep", "R4");
}

/* Params that are not a JSON object are refused before anything runs,
 * saying what is wrong and where; a plain object takes the quick parser
 * and anything else jansson, with the same result. */
Test(mutate, params_must_be_a_json_object_and_errors_say_where)
{
	mutate(NULL, "add", "5", GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "params must be a JSON object");
	mutate(NULL, "add", "[\"x\"]", GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "params must be a JSON object");
	mutate(NULL, "add", "{\"n\": \"x\",\n \"a\": }", GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "params: invalid JSON at line 2 column"),
		  "%s", grove_errmsg(db));
	grove_free(mutate(NULL, "add", "{\"n\":\"Plain\",\"a\":3}", 0));
	grove_free(mutate(NULL, "add", "{\"n\":\"Esc\\u0061ped\",\"a\":3.0e0}", GROVE_EINVAL));
	grove_free(mutate(NULL, "add", " {\"n\":\"Esc\\u0061ped\",\"a\":3} ", 0));
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 4);
	char *e = NULL;
	grove_target t = { "main", NULL };
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "Escaped"), 0);
	grove_free(e);
}

/* A single String @key's id is its text, read straight from the packed
 * slot (mutate_stmt.c string_key_id): every msgpack string header (fixstr,
 * str8, str16), a multibyte and an empty-looking key, each then found by
 * its id and updated in place by a second insert. */
Test(mutate, string_keys_of_every_length_are_their_own_ids)
{
	static const size_t lens[] = { 1, 31, 32, 255, 256, 400 };
	grove_target t = { NULL, NULL };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		char key[512], params[600], *r, *e;
		memset(key, 'k', lens[i]);
		key[lens[i]] = '\0';
		key[0] = (char)('a' + i);
		snprintf(params, sizeof params, "{\"n\":\"%s\",\"a\":%zu}", key, i);
		grove_free(mutate(NULL, "add", params, 0));
		cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", key), 0, "%zu: %s", lens[i],
			     grove_errmsg(db));
		grove_free(e);
		snprintf(params, sizeof params, "{\"n\":\"%s\",\"a\":%zu}", key, 100 + i);
		r = mutate(NULL, "add", params, 0);
		grove_free(r);
		cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", key), 0);
		char want[32];
		snprintf(want, sizeof want, "\"age\":%zu", 100 + i);
		cr_assert(strstr(e, want), "%zu: %s", lens[i], e);
		grove_free(e);
	}
	grove_free(mutate(NULL, "add", "{\"n\":\"\\u00e9t\\u00e9 \\\"q\\\"\",\"a\":7}", 0));
	char *e;
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "\xc3\xa9t\xc3\xa9 \"q\""), 0, "%s",
		     grove_errmsg(db));
	cr_assert(strstr(e, "\"age\":7"), "%s", e);
	grove_free(e);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2 + 6 + 1);
}

Test(mutate, a_read_query_is_refused_with_the_specs_text)
{
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL,
				       "query r() { match { $p: Person } return { $p.name } }", "r", NULL),
		     GROVE_EINVAL);
	cr_assert_null(out);
	cr_assert_str_eq(grove_errmsg(db), "mutation execution called on a read query; use query instead");
}

Test(mutate, an_optional_parameter_given_null_or_omitted_is_null)
{
	const char *src = "query k($k: String?, $a: I32?) { insert Person { name: $k, age: $a } }";
	const char *params[] = { "{\"k\":null}", "{}" };
	for (int i = 0; i < 2; i++) {
		char *out = NULL;
		cr_assert_eq(grove_mutate_json(&out, db, NULL, src, "k", params[i]), GROVE_EINVAL);
		cr_assert_str_eq(grove_errmsg(db), "insert @key property 'name' cannot contain null");
		cr_assert_null(out);
	}
	/* A nullable property takes the NULL; the row is written. */
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL, src, "k", "{\"k\":\"Nil\"}"), 0, "%s",
		     grove_errmsg(db));
	grove_free(out);
	char *e = NULL;
	grove_target t = { "main", NULL };
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "Nil"), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(e, "\"age\":null"), "%s", e);
	grove_free(e);
	/* In a predicate the NULL matches no row: nothing changes, nothing commits. */
	cr_assert_eq(grove_mutate_json(&out, db, NULL, "query u($a: I32?) { update Person set { age: 1 } where age = $a }",
				       "u", "{}"), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"affected_nodes\":0") && strstr(out, "\"commit\":null"), "%s", out);
	grove_free(out);
	/* A required parameter given null is still refused by its own rule. */
	cr_assert_eq(grove_mutate_json(&out, db, NULL, queries, "add", "{\"n\":null}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'n': null is not accepted for non-nullable parameter");
	/* As an edge endpoint, omitted is null too: no id (only a required
	 * parameter left out is "not provided"). */
	const char *edge = "query e($t: String?) { insert Knows { from: \"Nil\", to: $t } }";
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(grove_mutate_json(&out, db, NULL, edge, "e", params[i]), GROVE_EINVAL);
		cr_assert_str_eq(grove_errmsg(db), "an edge endpoint must be a String id");
	}
	cr_assert_eq(grove_mutate_json(&out, db, NULL,
				       "query e($t: String) { insert Knows { from: \"Nil\", to: $t } }", "e", "{}"),
		     GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "parameter 't' not provided");
}

/* ---- values: parameters by declared type, numbers as numbers ------------- */

static void expect_refused(const char *src, const char *params, const char *message)
{
	char *out = NULL;
	uint64_t before = gt_count(db, NULL, NULL, "node:Person");
	cr_assert_eq(grove_mutate_json(&out, db, NULL, src, "m", params), GROVE_EINVAL, "%s", src);
	cr_assert_str_eq(grove_errmsg(db), message);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), before, "nothing written");
}

Test(mutate, every_given_parameter_converts_by_its_declared_type)
{
	expect_refused("query m($x: I32) { insert Person { name: \"r\", age: $x } }", "{\"x\":null}",
		       "param 'x': null is not accepted for non-nullable parameter");
	/* Unused, or assigned to a column of another width: its own type judges. */
	expect_refused("query m($x: U32, $n: String) { insert Person { name: $n } }", "{\"x\":-1,\"n\":\"q\"}",
		       "param 'x': value -1 exceeds U32 (UInt32 range)");
	expect_refused("query m($x: Date, $n: String) { insert Person { name: $n } }", "{\"x\":5,\"n\":\"q\"}",
		       "param 'x': expected date string");
	char *out = NULL;   /* a name declared twice: the last declaration counts */
	cr_assert_eq(grove_mutate_json(&out, db, NULL, "query m($x: I32, $x: String) { update Person set "
				       "{ age: 1 } where name = $x }", "m", "{\"x\":\"Bob\"}"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	expect_refused("query m($x: U64) { insert Person { name: \"q\", age: $x } }",
		       "{\"x\":18446744073709551615}",
		       "param 'x': value 18446744073709551615 exceeds current engine range for U64 "
		       "(max 9223372036854775807)");
}

Test(mutate, a_float_compares_with_an_integer_column_as_a_number)
{
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL, "query m() { update Person set { email: \"e@x\" } "
				       "where age = 30.0 }", "m", NULL), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"affected_nodes\":1,"), "%s", out);
	grove_free(out);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, "query m() { update Person set { email: \"f@x\" } "
				       "where age = 30.5 }", "m", NULL), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"affected_nodes\":0,") && strstr(out, "\"commit\":null"), "%s", out);
	grove_free(out);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, "query m($x: F64) { delete Person where age < $x }",
				       "m", "{\"x\":25.5}"), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "\"affected_nodes\":1,"), "%s", out);
	grove_free(out);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 1, "Bob (25) deleted");
}

Test(mutate, a_literal_its_column_cannot_hold_is_refused_in_upstreams_words)
{
	expect_refused("query m() { insert Person { name: \"x\", age: 1.5 } }", NULL,
		       "property 'age': cannot convert Float(1.5) to Int32");
	expect_refused("query m() { insert Person { name: \"x\", age: 2147483648 } }", NULL,
		       "property 'age': integer value 2147483648 exceeds Int32 range");
	expect_refused("query m() { insert Person { name: \"x\" } delete Person where name = \"Bob\" }", NULL,
		       "mutation 'm' on the same query mixes inserts/updates and deletes; split into "
		       "separate mutations: (1) inserts and updates, then (2) deletes. A query is "
		       "deliberately constructive or destructive, not both, so its read-your-writes stays "
		       "unambiguous; run the two on a branch and merge if you need them in one atomic commit.");
}

Test(mutate, an_actor_id_is_recorded_whole_or_refused)
{
	char actor[300], *out = NULL;
	memset(actor, 'a', sizeof actor - 1);
	actor[sizeof actor - 1] = '\0';
	grove_mutate_options o = { .actor = actor };
	cr_assert_eq(grove_mutate_json(&out, db, &o, queries, "add", "{\"n\":\"Ace\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "actor id is longer than 255 bytes (299)");
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2, "nothing written");
	cr_assert_eq(grove_branch_create(db, "x", NULL, actor), GROVE_EINVAL);
	actor[255] = '\0';
	cr_assert_eq(grove_mutate_json(&out, db, &o, queries, "add", "{\"n\":\"Ace\"}"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	grove_commit c;
	cr_assert_eq(grove_branch_head(&c, db, "main"), 0);
	cr_assert_str_eq(c.actor, actor);
}

/* ---- a log crowded past log_max_waiters ---- */

struct crowd {
	grove_db *g;
	int id, ok, busy, other;
};

static void *crowd_writer(void *arg)
{
	struct crowd *c = arg;
	char branch[16], params[64], *out;
	snprintf(branch, sizeof branch, "w%d", c->id);
	grove_mutate_options o = { .branch = branch };
	for (int i = 0; i < 40; i++) {
		snprintf(params, sizeof params, "{\"n\":\"w%d_%d\",\"a\":1}", c->id, i);
		int err = grove_mutate_json(&out, c->g, &o, queries, "add", params);
		if (err == 0) {
			grove_free(out);
			c->ok++;
		} else if (err == GROVE_EBUSY) {
			c->busy++;
		} else {
			c->other++;
		}
	}
	return NULL;
}

/* With room for two threads in the log, writers on six branches: a write
 * is taken (and then stays) or refused with GROVE_EBUSY before it is
 * logged — never half: a write logged and applied whose wait for its
 * fsync found the log crowded used to poison the handle. */
Test(mutate, a_crowded_log_refuses_a_write_or_takes_it_and_never_poisons)
{
	grove_options opts = GROVE_OPTIONS_INIT;
	opts.log_max_waiters = 2;
	char *cdir = gt_dir("crowd");
	grove_db *g;
	cr_assert_eq(grove_init(&g, cdir, gt_schema, &opts), 0, "%s", grove_errmsg(NULL));
	struct crowd c[6];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		char b[16];
		snprintf(b, sizeof b, "w%d", i);
		cr_assert_eq(grove_branch_create(g, b, NULL, NULL), 0);
		c[i] = (struct crowd){ g, i, 0, 0, 0 };
	}
	for (int i = 0; i < 6; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, crowd_writer, &c[i]), 0);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	grove_close(g);
	cr_assert_eq(grove_open(&g, cdir, &opts), 0, "%s", grove_errmsg(NULL));
	for (int i = 0; i < 6; i++) {
		char b[16];
		snprintf(b, sizeof b, "w%d", i);
		cr_assert_eq(c[i].other, 0, "writer %d: %d other errors", i, c[i].other);
		cr_assert_eq(c[i].ok + c[i].busy, 40);
		cr_assert_eq(gt_count(g, b, NULL, "node:Person"), (uint64_t)c[i].ok, "branch %s", b);
	}
	grove_close(g);
	gt_rmtree(cdir);
	free(cdir);
}
