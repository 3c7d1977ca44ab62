/* test_chunks.c — chunked commits in the log: the chunks of a commit that
 * never got its last record (a crash) apply never, whatever is appended
 * after them. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graph_testutil.h"
#include "log/error.h"
#include "log/failpoint.h"
#include "log/log.h"
#include "replay/event_json.h"

static char *rows(int from, int n)
{
	char *s = malloc((size_t)n * 64 + 1);
	size_t at = 0;
	for (int i = from; i < from + n; i++)
		at += (size_t)sprintf(s + at, "{\"type\":\"Person\",\"data\":{\"name\":\"r%d\",\"age\":%d}}\n", i, i);
	return s;
}

/* The JSON of the log's last record (malloc'd). */
static char *last_record(grove_db *g)
{
	grove_log_cursor *c;
	char *json = NULL;
	cr_assert_eq(grove_log_cursor_open(&c, g, grove_log_last_lsn(g)), 0, "%s", grove_errmsg(g));
	cr_assert_eq(grove_log_cursor_next(c), 0, "%s", grove_errmsg(g));
	json = strdup(grove_log_cursor_json(c));
	grove_log_cursor_close(c);
	return json;
}

Test(chunks, orphan_chunks_of_a_crashed_load_never_apply)
{
	char *d = gt_dir("chunks-orphan"), *in;
	grove_options o = GROVE_OPTIONS_INIT;
	grove_db *g;
	o.load_chunk_bytes = 256;   /* 40 rows make several chunks */
	cr_assert_eq(grove_init(&g, d, gt_schema, &o), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, in = rows(0, 3), NULL), 0, "%s", grove_errmsg(g));
	free(in);
	grove_close(g);

	pid_t pid = fork();
	if (pid == 0) {
		setenv("GROVE_FAILPOINT", "seq.between_chunks", 1);
		grove_failpoint_rearm();
		if (grove_open(&g, d, &o) == 0)
			(void)gt_load(g, NULL, GROVE_LOAD_APPEND, rows(100, 40), NULL);
		_exit(0);   /* not reached: the failpoint kills */
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	cr_assert_eq(grove_open(&g, d, &o), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), 3, "the crashed load is not half visible");
	/* A whole commit appended with the orphan's commit id, marked last. */
	json_t *ev = json_loads(in = last_record(g), 0, NULL);
	free(in);
	cr_assert_str_eq(json_string_value(json_object_get(ev, "kind")), "load_chunk");
	cr_assert_eq(json_integer_value(json_object_get(ev, "chunk")), 0);
	json_object_set_new(ev, "kind", json_string("mutation"));
	json_object_set_new(ev, "last", json_true());
	json_object_del(ev, "effects");
	json_object_del(ev, "lsn");
	json_object_del(ev, "mode");
	json_object_set_new(ev, "chunk", json_integer(1));
	char *text = json_dumps(ev, JSON_COMPACT);
	cr_assert_eq(grove_log_append_json(NULL, g, text), GROVE_EINVAL, "a chunk > 0 is refused alone");
	cr_assert(strstr(grove_errmsg(g), "chunk 1 of a chunked commit cannot be appended alone"), "%s", grove_errmsg(g));
	free(text);
	json_object_set_new(ev, "chunk", json_integer(0));
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	cr_assert_eq(grove_log_append_json(NULL, g, text), 0, "%s", grove_errmsg(g));
	free(text);
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), 3);
	grove_close(g);
	/* A fresh replay agrees: the whole record gathered no orphan chunk. */
	cr_assert_eq(grove_verify(d), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&g, d, &o), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), 3);
	gt_scratch_done(g, d);
}

/* An appended event is checked against the views before it is logged:
 * one whose commit id is taken already (a second append of the same
 * record) would make its branch's head its own parent, and every walk of
 * its history endless.  Refused; nothing is logged. */
Test(chunks, an_appended_event_with_a_commit_id_taken_is_refused)
{
	char *d;
	grove_db *g = gt_scratch(&d, "append-dup", NULL);
	const char *ev = "{\"kind\":\"mutation\",\"commit\":\"01M8PZASQG8Q7HPRXSGJM57Y22\","
			 "\"time_us\":1,\"branch\":\"main\",\"op\":\"x\",\"effects\":[]}";
	uint64_t lsn = 0, last;
	cr_assert_eq(grove_log_append_json(&lsn, g, ev), 0, "%s", grove_errmsg(g));
	last = grove_log_last_lsn(g);
	cr_assert_eq(grove_log_append_json(&lsn, g, ev), GROVE_ECONFLICT);
	cr_assert(strstr(grove_errmsg(g), "commit 01M8PZASQG8Q7HPRXSGJM57Y22 already exists"), "%s",
		  grove_errmsg(g));
	cr_assert_eq(grove_log_last_lsn(g), last, "nothing logged");
	grove_commit *v;
	size_t n;
	cr_assert_eq(grove_commit_list(&v, &n, g, "main"), 0, "%s", grove_errmsg(g));
	cr_assert_eq(n, 2, "genesis and the one appended");
	grove_free(v);
	gt_scratch_done(g, d);
}

/* An appended put must carry a row the engine could have written: each
 * property of its declared type, required ones present, the type's
 * constraints held.  Otherwise it would be logged for good and break
 * every read of its type after.  Refused; nothing is logged. */
Test(chunks, an_appended_row_of_the_wrong_shape_is_refused)
{
	char *d;
	/* One type (id 1); a row is [id, age, name]: slots by property id. */
	grove_db *g = gt_scratch(&d, "append-rows", "node P { name: String @key\n age: I32? }\n");
	static const char *const bad[] = {
		"[\"Zed\",\"notanint\",\"Zed\"]",   /* a string in the I32 slot */
		"[\"Zed\",5,null]",                    /* the required @key NULL   */
	};
	uint64_t last = grove_log_last_lsn(g);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char ev[512];
		snprintf(ev, sizeof ev, "{\"kind\":\"mutation\",\"commit\":\"01M8PZASQG8Q7HPRXSGJM57Y2%zu\","
			 "\"time_us\":1,\"branch\":\"main\",\"op\":\"x\",\"effects\":[{\"op\":\"put_node\","
			 "\"type\":1,\"id\":0,\"row\":%s}]}", i, bad[i]);
		int rc = grove_log_append_json(NULL, g, ev);
		cr_assert_eq(rc, GROVE_EINVAL, "row %zu: %d %s", i, rc, grove_errmsg(g));
		cr_assert(strstr(grove_errmsg(g), "event JSON: effect 0: property '"), "%s", grove_errmsg(g));
	}
	cr_assert_eq(grove_log_last_lsn(g), last, "nothing logged");
	/* The same event with a row of the right shape is taken. */
	const char *good = "{\"kind\":\"mutation\",\"commit\":\"01M8PZASQG8Q7HPRXSGJM57Y29\","
			   "\"time_us\":1,\"branch\":\"main\",\"op\":\"x\",\"effects\":[{\"op\":\"put_node\","
			   "\"type\":1,\"id\":0,\"row\":[\"Zed\",5,\"Zed\"]}]}";
	cr_assert_eq(grove_log_append_json(NULL, g, good), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:P"), 1);
	gt_scratch_done(g, d);
}

/* An appended branch creation passes grove_branch_create's checks: a name
 * that is not Unicode letters and digits, or one nested past the limit,
 * would be created and then be unusable. */
Test(chunks, an_appended_branch_creation_is_checked_like_a_create)
{
	char *d;
	grove_db *g = gt_scratch(&d, "append-branch", NULL);
	uint64_t last = grove_log_last_lsn(g);
	const char *bad = "{\"kind\":\"branch_create\",\"time_us\":1,\"branch\":\"main\","
			  "\"name\":\"x\\ud83d\\ude00\\u200b\",\"from\":\"main\"}";
	cr_assert_eq(grove_log_append_json(NULL, g, bad), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(g), "invalid branch name"), "%s", grove_errmsg(g));
	const char *taken = "{\"kind\":\"branch_create\",\"time_us\":1,\"branch\":\"main\","
			    "\"name\":\"main\",\"from\":\"main\"}";
	cr_assert_eq(grove_log_append_json(NULL, g, taken), GROVE_EINVAL);
	cr_assert_eq(grove_log_last_lsn(g), last, "nothing logged");
	const char *good = "{\"kind\":\"branch_create\",\"time_us\":1,\"branch\":\"main\","
			   "\"name\":\"feat\",\"from\":\"main\"}";
	cr_assert_eq(grove_log_append_json(NULL, g, good), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, "feat", NULL, "node:Person"), 0);
	gt_scratch_done(g, d);
}

/* A record read back through its JSON appends to another graph of the
 * same schema as the same data: binary values (Blob, Vector) and unsigned
 * ones past 2^63 are tagged in that JSON ({"bin": hex}, {"u64": digits}),
 * not flattened into strings and floats. */
Test(chunks, a_record_json_round_trips_binary_and_big_unsigned_values)
{
	static const char schema[] = "node T { name: String @key\n b: Blob?\n v: Vector(3)?\n u: U64? }\n";
	char *d1, *d2;
	grove_db *a = gt_scratch(&d1, "rt-a", schema), *b = gt_scratch(&d2, "rt-b", schema);
	cr_assert_eq(gt_load(a, NULL, GROVE_LOAD_MERGE,
			     "{\"type\":\"T\",\"data\":{\"name\":\"x\",\"b\":\"base64:aGVsbG8=\","
			     "\"v\":[1.5,2,3],\"u\":18446744073709551615}}", NULL), 0, "%s", grove_errmsg(a));
	char *rec = last_record(a);
	cr_assert(strstr(rec, "{\"bin\":\"68656c6c6f\"}") && strstr(rec, "{\"u64\":\"18446744073709551615\"}"),
		  "%s", rec);
	json_t *ev = json_loads(rec, 0, NULL);
	json_object_del(ev, "lsn");
	char *text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	cr_assert_eq(grove_log_append_json(NULL, b, text), 0, "%s", grove_errmsg(b));
	char *ea = gt_export(a, "main", NULL), *eb = gt_export(b, "main", NULL);
	cr_assert_str_eq(ea, eb);
	cr_assert(strstr(eb, "\"b\":\"base64:aGVsbG8=\"") && strstr(eb, "\"u\":18446744073709551615"), "%s", eb);
	free(ea);
	free(eb);
	free(text);
	free(rec);
	gt_scratch_done(a, d1);
	gt_scratch_done(b, d2);
}

/* ---- appends that race, records that do not apply ---- */

struct racer {
	grove_db *g;
	pthread_barrier_t *go;
	const char *ev;
	int rc;
};

static void *append_one(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->go);
	r->rc = grove_log_append_json(NULL, r->g, r->ev);
	return NULL;
}

/* Two appended events that cannot both apply (one commit id, on two
 * branches) race: each dry run passes against the views of before, so
 * unless the second waits for the first, both are logged and the second
 * fails to apply — a record no replay could get past.  One is refused,
 * the other logged, every time; the graph reopens and verifies. */
Test(chunks, racing_appends_that_cannot_both_apply_log_only_one)
{
	char *d, ev[2][400];
	grove_db *g = gt_scratch(&d, "append-race", NULL);
	pthread_barrier_t go;
	cr_assert_eq(grove_branch_create(g, "b", NULL, NULL), 0);
	for (int it = 0; it < 200; it++) {
		struct racer r[2];
		pthread_t t[2];
		pthread_barrier_init(&go, NULL, 2);
		for (int i = 0; i < 2; i++) {
			snprintf(ev[i], sizeof ev[i], "{\"kind\":\"mutation\",\"commit\":\"01M8QF1AHH9X3HFJTQCJ5%05d\","
				 "\"time_us\":1,\"branch\":\"%s\",\"op\":\"x\",\"effects\":[]}", it, i ? "b" : "main");
			r[i] = (struct racer){ g, &go, ev[i], 0 };
			cr_assert_eq(pthread_create(&t[i], NULL, append_one, &r[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&go);
		cr_assert((r[0].rc == 0) != (r[1].rc == 0), "iteration %d: %d and %d", it, r[0].rc, r[1].rc);
		cr_assert(r[0].rc == GROVE_ECONFLICT || r[1].rc == GROVE_ECONFLICT, "iteration %d: %d and %d",
			  it, r[0].rc, r[1].rc);
	}
	grove_close(g);
	cr_assert_eq(grove_open(&g, d, NULL), 0, "%s", grove_errmsg(NULL));
	grove_close(g);
	cr_assert_eq(grove_verify(d), 0, "%s", grove_errmsg(NULL));
	gt_rmtree(d);
	free(d);
}

/* A logged record that does not apply (here a branch delete of a branch
 * that never was, written to the log behind the engine's back) is no end
 * of the log: open and rebuild refuse, naming its LSN, instead of
 * stopping there and calling every later commit gone. */
Test(chunks, a_record_that_does_not_apply_stops_replay_with_an_error)
{
	char *d, *ld, msg[128];
	grove_db *g = gt_scratch(&d, "bad-record", NULL);
	grove_close(g);
	json_t *obj = json_loads("{\"kind\":\"branch_delete\",\"time_us\":1,\"branch\":\"main\","
				 "\"name\":\"never\"}", 0, NULL);
	uint8_t *payload;
	size_t len;
	uint16_t kind;
	cr_assert_eq(event_payload_from_json(&payload, &len, &kind, obj, msg, sizeof msg), 0, "%s", msg);
	json_decref(obj);
	struct log *log;
	struct log_options o = { 0 };
	cr_assert(asprintf(&ld, "%s/log", d) > 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0, "%s", log_errmsg());
	uint64_t lsn;
	cr_assert_eq(log_append(log, &lsn, kind, payload, (uint32_t)len, LOG_WAIT_DURABLE), 0);
	cr_assert_eq(log_close(log), 0);
	free(payload);
	free(ld);
	char want[64];
	snprintf(want, sizeof want, "replaying LSN %lu", (unsigned long)lsn);
	cr_assert_eq(grove_open(&g, d, NULL), GROVE_ECORRUPT);
	cr_assert(strstr(grove_errmsg(NULL), want), "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_rebuild(d, NULL), GROVE_ECORRUPT);
	cr_assert(strstr(grove_errmsg(NULL), want), "%s", grove_errmsg(NULL));
	gt_rmtree(d);
	free(d);
}

/* ---- crowded logs, racing branch creation ---- */

struct chunky {
	grove_db *g;
	int id, ok, busy, other;
	pthread_barrier_t *go;
	int branch_created;
};

static void *load_chunky(void *arg)
{
	struct chunky *c = arg;
	char branch[16];
	snprintf(branch, sizeof branch, "c%d", c->id);
	for (int i = 0; i < 15; i++) {
		char *s = rows(c->id * 10000 + i * 200, 200);
		grove_load_options o = { .branch = branch, .mode = GROVE_LOAD_APPEND };
		grove_load_result r;
		int err = grove_load(&r, c->g, &o, s, strlen(s));
		free(s);
		err == 0 ? c->ok++ : err == GROVE_EBUSY ? c->busy++ : c->other++;
	}
	return NULL;
}

/* Loads of many chunks into eight branches with room for two threads in
 * the log: a load is refused (GROVE_EBUSY) before its first chunk or
 * logged whole — a later chunk waits for room, where it used to poison
 * the handle with its first chunk already logged. */
Test(chunks, a_crowded_log_refuses_a_chunked_load_whole_or_takes_it_whole)
{
	grove_options opts = GROVE_OPTIONS_INIT;
	opts.log_max_waiters = 2;
	opts.load_chunk_bytes = 1024;   /* 200 rows make a dozen chunks */
	char *d = gt_dir("crowd-chunks");
	grove_db *g;
	cr_assert_eq(grove_init(&g, d, gt_schema, &opts), 0, "%s", grove_errmsg(NULL));
	struct chunky c[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		char b[16];
		snprintf(b, sizeof b, "c%d", i);
		cr_assert_eq(grove_branch_create(g, b, NULL, NULL), 0);
		c[i] = (struct chunky){ .g = g, .id = i };
	}
	for (int i = 0; i < 8; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, load_chunky, &c[i]), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	grove_close(g);
	cr_assert_eq(grove_open(&g, d, &opts), 0, "%s", grove_errmsg(NULL));
	for (int i = 0; i < 8; i++) {
		char b[16];
		snprintf(b, sizeof b, "c%d", i);
		cr_assert_eq(c[i].other, 0, "loader %d: %d other errors", i, c[i].other);
		cr_assert_eq(gt_count(g, b, NULL, "node:Person"), (uint64_t)c[i].ok * 200, "branch %s", b);
	}
	grove_close(g);
	cr_assert_eq(grove_verify(d), 0, "%s", grove_errmsg(NULL));
	gt_rmtree(d);
	free(d);
}

static void *load_from_main(void *arg)
{
	struct chunky *c = arg;
	for (int round = 0; round < 25; round++) {
		char branch[16], rec[96];
		snprintf(branch, sizeof branch, "n%d", round);
		int n = snprintf(rec, sizeof rec, "{\"type\":\"Person\",\"data\":{\"name\":\"q%d\",\"age\":1}}\n", c->id);
		grove_load_options o = { .branch = branch, .from = "main", .mode = GROVE_LOAD_MERGE };
		grove_load_result r;
		pthread_barrier_wait(c->go);
		int err = grove_load(&r, c->g, &o, rec, (size_t)n);
		if (err == 0) {
			c->ok++;
			c->branch_created += r.branch_created;
		} else {
			c->other++;
		}
	}
	return NULL;
}

/* Loads with `from` into a branch that does not exist yet, four at once:
 * one creates it, the others load into it as it is (engine §9) — none
 * fails because another created it first. */
Test(chunks, racing_loads_with_from_create_the_branch_once_and_all_land)
{
	char *d;
	grove_db *g = gt_scratch(&d, "load-from-race", NULL);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, 4);
	struct chunky c[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct chunky){ .g = g, .id = i, .go = &go };
		cr_assert_eq(pthread_create(&t[i], NULL, load_from_main, &c[i]), 0);
	}
	int created = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(c[i].other, 0, "loader %d: %d failed", i, c[i].other);
		created += c[i].branch_created;
	}
	pthread_barrier_destroy(&go);
	cr_assert_eq(created, 25, "each branch created once");
	for (int round = 0; round < 25; round++) {
		char branch[16];
		snprintf(branch, sizeof branch, "n%d", round);
		cr_assert_eq(gt_count(g, branch, NULL, "node:Person"), 4, "branch %s", branch);
	}
	gt_scratch_done(g, d);
}

/* An appended keyed node must carry its key's canonical id: any other
 * would name one entity by another's key (two rows of one key, a key no
 * lookup finds, an export no load takes back). */
Test(chunks, an_appended_keyed_node_whose_id_is_not_its_key_is_refused)
{
	char *d;
	grove_db *g = gt_scratch(&d, "append-key", NULL);
	uint64_t last = grove_log_last_lsn(g);
	/* Company (type 1): name @key. */
	const char *ev = "{\"kind\":\"mutation\",\"time_us\":1,\"branch\":\"main\",\"op\":\"x\","
			 "\"effects\":[{\"op\":\"put_node\",\"type\":1,\"id\":0,\"row\":[\"Alice\",\"Bob\"]}]}";
	cr_assert_eq(grove_log_append_json(NULL, g, ev), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(g), "node Company has id 'Alice', but its @key gives 'Bob'"), "%s",
		  grove_errmsg(g));
	cr_assert_eq(grove_log_last_lsn(g), last, "nothing logged");
	gt_scratch_done(g, d);
}

/* The apply takes the branch head as the commit's parent, whatever the
 * event says; the logged record says the same, so the log never keeps a
 * lineage the views do not (a record from another graph names its head). */
Test(chunks, an_appended_commit_is_logged_with_the_parent_it_applies_on)
{
	char *d;
	grove_db *g = gt_scratch(&d, "append-parent", NULL);
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, g, "main"), 0);
	const char *ev = "{\"kind\":\"mutation\",\"commit\":\"01M8QGZZZZZZZZZZZZZZZZZZZV\","
			 "\"parent\":\"01M8QGZZZZZZZZZZZZZZZZZZZQ\",\"time_us\":1,\"branch\":\"main\","
			 "\"op\":\"x\",\"effects\":[]}";
	cr_assert_eq(grove_log_append_json(NULL, g, ev), 0, "%s", grove_errmsg(g));
	char *rec = last_record(g), want[64];
	snprintf(want, sizeof want, "\"parent\":\"%s\"", head.id);
	cr_assert(strstr(rec, want), "%s", rec);
	free(rec);
	grove_commit c;
	cr_assert_eq(grove_commit_show(&c, g, "01M8QGZZZZZZZZZZZZZZZZZZZV"), 0, "%s", grove_errmsg(g));
	cr_assert_str_eq(c.parent, head.id);
	gt_scratch_done(g, d);
}
