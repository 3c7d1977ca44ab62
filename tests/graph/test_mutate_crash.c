/*
 * test_mutate_crash.c — mutations after early lock release (sequencer.h):
 * a write is applied to the views while its record waits for the fsync,
 * and the next writer of the branch plans on top of it.
 *
 * - A child runs 8 threads inserting distinct keys (6 on main, 2 on a
 *   branch), reporting each acknowledged insert through a pipe; the parent
 *   SIGKILLs it at a failpoint of the pipeline or at a random moment,
 *   reopens, and checks every thread's keys are exactly its acknowledged
 *   ones plus at most the one in flight (whole: name and age), that the
 *   row counts hold nothing else, and that grove_verify passes.
 * - Views left ahead of the log (an apply whose record never reached the
 *   log file) are rebuilt at open: the unlogged write is gone.
 * - A reader never sees a write before it is durable.
 * GROVE_CRASH_TRIALS sets the number of crash trials (default 40).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph_testutil.h"
#include "gt_crash.h"
#include "log/failpoint.h"

#define THREADS 8
#define BRANCH_THREADS 2 /* the last two write to branch "side" */

static const char schema[] = "node Person { name: String @key\n age: I32 }\n";
static const char add_q[] =
	"query add($n: String, $a: I32) { insert Person { name: $n, age: $a } }\n";

struct ack {
	unsigned thread, seq;
};

struct writer {
	grove_db *db;
	int fd;
	unsigned thread, tag;
};

static const char *branch_of(unsigned thread)
{
	return thread >= THREADS - BRANCH_THREADS ? "side" : "main";
}

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	grove_mutate_options o = { .branch = branch_of(w->thread), .actor = "crash" };
	for (unsigned seq = 0;; seq++) {
		char params[96], *out = NULL;
		snprintf(params, sizeof params, "{\"n\":\"k%u_%u\",\"a\":%u}", w->thread, seq, seq);
		if (grove_mutate_json(&out, w->db, &o, add_q, "add", params) != 0)
			_exit(3);
		grove_free(out);
		struct ack a = { w->thread, seq };
		if (write(w->fd, &a, sizeof a) != sizeof a) /* < PIPE_BUF: atomic */
			_exit(4);
	}
	return NULL;
}

static void child(const char *dir, int fd, unsigned tag)
{
	grove_db *db;
	struct writer w[THREADS];
	pthread_t th[THREADS];
	if (grove_open(&db, dir, NULL) != 0)
		_exit(2);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct writer){ db, fd, i, tag };
		if (pthread_create(&th[i], NULL, write_loop, &w[i]) != 0)
			_exit(5);
	}
	pthread_join(th[0], NULL); /* never returns: the parent kills us */
	_exit(6);
}

/* 1 if thread's key seq is there (asserting it is whole), 0 if absent. */
static int has_key(grove_db *db, unsigned thread, unsigned seq)
{
	char name[32], want[64], *e = NULL;
	grove_target t = { branch_of(thread), NULL };
	snprintf(name, sizeof name, "k%u_%u", thread, seq);
	int err = grove_entity_json(&e, db, &t, "node:Person", name);
	cr_assert(err == 0 || err == GROVE_ENOTFOUND, "entity %s: %s", name, grove_errmsg(db));
	if (err == 0) {
		snprintf(want, sizeof want, "\"age\":%u", seq);
		cr_assert(strstr(e, want), "%s is not whole: %s", name, e);
	}
	grove_free(e);
	return err == 0;
}

static void check_state(grove_db *db, const void *ack_records, size_t n)
{
	const struct ack *acks = ack_records;
	long last[THREADS];
	uint64_t rows[2] = { 0, 0 };
	for (unsigned t = 0; t < THREADS; t++)
		last[t] = -1;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq((long)acks[i].seq, last[acks[i].thread] + 1, "acks out of order");
		last[acks[i].thread] = acks[i].seq;
	}
	for (unsigned t = 0; t < THREADS; t++) {
		for (long s = 0; s <= last[t]; s++)
			cr_assert(has_key(db, t, (unsigned)s), "acknowledged k%u_%ld is lost", t, s);
		/* the one insert in flight may be there, whole; nothing later */
		long present = last[t] + 1 + has_key(db, t, (unsigned)(last[t] + 1));
		cr_assert(!has_key(db, t, (unsigned)(last[t] + 2)), "k%u_%ld was never attempted", t,
			  last[t] + 2);
		rows[t >= THREADS - BRANCH_THREADS] += (uint64_t)present;
	}
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), rows[0], "main holds other rows");
	cr_assert_eq(gt_count(db, "side", NULL, "node:Person"), rows[1], "side holds other rows");
}

static const char *const failpoints[] = {
	"seq.appended", "apply.begin", "apply.mid", "apply.committed", "seq.applied",
	"seq.durable", "log.write.before", "log.write.after",
};
#define NFAILPOINTS (sizeof failpoints / sizeof failpoints[0])

static struct gt_crash harness = { child, sizeof(struct ack), 50, 0, 0 };

static void trial(const char *dir, unsigned tag)
{
	gt_crash_trial(&harness, dir, tag, failpoints, NFAILPOINTS, 40, check_state);
}

static void side_branch(const char *dir, unsigned t)
{
	grove_db *db;
	(void)t;
	cr_assert_eq(grove_open(&db, dir, NULL), 0);
	cr_assert_eq(grove_branch_create(db, "side", "main", NULL), 0, "%s", grove_errmsg(db));
	grove_close(db);
}

static void fresh_trial(const char *dir, unsigned t)
{
	side_branch(dir, t);
	trial(dir, t);
}

Test(mutate_crash, every_acknowledged_mutation_survives_and_nothing_else, .timeout = 900)
{
	/* one graph per trial: the ack numbering restarts with each child */
	gt_crash_run(&harness, "mutate-crash", schema, 40, 1, fresh_trial);
}

static int mutate_add(grove_db *db, const char *name, int age)
{
	char params[96], *out = NULL;
	snprintf(params, sizeof params, "{\"n\":\"%s\",\"a\":%d}", name, age);
	int err = grove_mutate_json(&out, db, NULL, add_q, "add", params);
	grove_free(out);
	return err;
}

/* A graph whose log is put back as it was after its first write ("kept"),
 * under views that hold its second (`second`): *dir is its path. */
static void log_behind_views(char **dir, const char *tag, const char *second)
{
	char cmd[1024];
	*dir = gt_dir(tag);
	grove_db *db = gt_init(*dir, schema);
	cr_assert_eq(mutate_add(db, "kept", 1), 0, "%s", grove_errmsg(db));
	grove_close(db);
	snprintf(cmd, sizeof cmd, "cp -a '%s/log' '%s/log.saved'", *dir, *dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(grove_open(&db, *dir, NULL), 0);
	cr_assert_eq(mutate_add(db, second, 2), 0, "%s", grove_errmsg(db));
	grove_close(db);
	snprintf(cmd, sizeof cmd, "rm -rf '%s/log' && mv '%s/log.saved' '%s/log'", *dir, *dir, *dir);
	cr_assert_eq(system(cmd), 0);
}

Test(mutate_crash, views_ahead_of_the_log_are_rebuilt_at_open)
{
	char *dir, cmd[1024];
	grove_db *db;
	/* The views now hold an LSN the (restored) log never had: what a
	 * process killed after an apply and before its record reached the
	 * log leaves (its SESSION says "open", as here; a clean close would
	 * vouch for the lost record, and open would refuse the log). */
	log_behind_views(&dir, "mutate-ahead", "lost");
	snprintf(cmd, sizeof cmd, "sed -i 's/ closed.*$/ open/' '%s/views/SESSION'", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 1);
	char *e = NULL;
	grove_target t = { "main", NULL };
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "kept"), 0);
	grove_free(e);
	cr_assert_eq(grove_entity_json(&e, db, &t, "node:Person", "lost"), GROVE_ENOTFOUND);
	cr_assert_eq(mutate_add(db, "after", 3), 0, "%s", grove_errmsg(db));
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	gt_rmtree(dir);
	free(dir);
}

/* A clean close records the last durable LSN in views/SESSION: a log that
 * then ends before it has lost acknowledged records (damage, a stale copy
 * restored), which no crash can cause.  Open refuses, naming both; with
 * SESSION deleted (the documented way to accept the loss) it rebuilds the
 * views from what the log holds. */
Test(mutate_crash, a_log_shorter_than_its_last_clean_close_is_refused)
{
	char *dir, cmd[1024];
	grove_db *db;
	log_behind_views(&dir, "mutate-short", "acked");
	cr_assert_eq(grove_open(&db, dir, NULL), GROVE_ECORRUPT);
	cr_assert(strstr(grove_errmsg(NULL), "the log ends at record 2, but the graph was closed "
			 "cleanly after record 3 was on disk"), "%s", grove_errmsg(NULL));
	snprintf(cmd, sizeof cmd, "rm '%s/views/SESSION'", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 1);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	gt_rmtree(dir);
	free(dir);
}

/* A write run in a thread while GROVE_FAILPOINT pauses hold parts of its
 * pipeline back; the test reads meanwhile. */
struct held {
	grove_db *db;
	int (*op)(grove_db *db);
	int err;
	pthread_t th;
};

static void *held_run(void *arg)
{
	struct held *h = arg;
	h->err = h->op(h->db);
	return NULL;
}

static void held_start(struct held *h, grove_db *db, int (*op)(grove_db *db),
		       const char *armed, int after_ms)
{
	*h = (struct held){ .db = db, .op = op, .err = -1 };
	setenv("GROVE_FAILPOINT", armed, 1);
	grove_failpoint_rearm();
	cr_assert_eq(pthread_create(&h->th, NULL, held_run, h), 0);
	usleep((useconds_t)after_ms * 1000);
}

static void held_finish(struct held *h)
{
	pthread_join(h->th, NULL);
	unsetenv("GROVE_FAILPOINT");
	grove_failpoint_rearm();
	cr_assert_eq(h->err, 0, "%s", grove_errmsg(h->db));
}

static int insert_late(grove_db *db)
{
	return mutate_add(db, "late", 7);
}

static int create_fresh(grove_db *db)
{
	return grove_branch_create(db, "fresh", "main", NULL);
}

Test(mutate_crash, a_reader_never_sees_a_write_before_it_is_durable)
{
	char *dir = gt_dir("mutate-fence");
	grove_db *db = gt_init(dir, schema);
	cr_assert_eq(mutate_add(db, "first", 1), 0, "%s", grove_errmsg(db));
	uint64_t durable = grove_log_last_lsn(db);
	/* Hold the log's next batch back 400 ms: the insert is applied to
	 * the views at once, but its record is not on disk. */
	struct held w;
	held_start(&w, db, insert_late, "log.reap.before:1:pause=400", 100);
	/* A read of the branch sees its newest durable commit (without
	 * waiting); the in-flight insert is not in it. */
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	cr_assert_eq(head.lsn, durable, "head at LSN %lu while %lu is durable",
		     (unsigned long)head.lsn, (unsigned long)durable);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 1);
	for (int i = 0; i < 3; i++) {
		char *e = NULL;
		grove_target t = { "main", NULL };
		int err = grove_entity_json(&e, db, &t, "node:Person", "late");
		grove_free(e);
		cr_assert(err == 0 || err == GROVE_ENOTFOUND);
		if (err == 0)
			cr_assert_gt(grove_log_last_lsn(db), durable,
				     "a read returned a write whose record is not durable");
	}
	held_finish(&w);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 2);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

/* The window between an apply's LMDB commit and the sequencer noting it:
 * a fenced read (a listing, a branch created by a write in flight) taken
 * then must still wait for the write's fsync. */
Test(mutate_crash, a_fenced_read_waits_for_a_write_committed_in_lmdb_but_not_yet_noted)
{
	char *dir = gt_dir("mutate-window");
	grove_db *db = gt_init(dir, schema);
	uint64_t durable = grove_log_last_lsn(db);
	struct held w;
	held_start(&w, db, create_fresh, "log.reap.before:1:pause=600,apply.committed:1:pause=400",
		   150);
	char **names;
	size_t n;
	cr_assert_eq(grove_branch_list(&names, &n, db), 0, "%s", grove_errmsg(db));
	if (n == 2)
		cr_assert_gt(grove_log_last_lsn(db), durable,
			     "a listing returned a branch whose create is not durable");
	grove_free(names);
	grove_commit head;
	int err = grove_branch_head(&head, db, "fresh");
	cr_assert(err == 0 || err == GROVE_ENOTFOUND);
	if (err == 0)
		cr_assert_gt(grove_log_last_lsn(db), durable,
			     "a read of a branch whose create is not durable");
	held_finish(&w);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

/* A writer that fails on the newest state (here: the branch moved past
 * its expected head) answers only once that state is durable. */
Test(mutate_crash, a_failed_write_answers_only_from_durable_state)
{
	char *dir = gt_dir("mutate-settle");
	grove_db *db = gt_init(dir, schema);
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	uint64_t durable = grove_log_last_lsn(db);
	struct held w;
	held_start(&w, db, insert_late, "log.reap.before:1:pause=400", 100);
	char *out = NULL;
	grove_mutate_options o = { .expected_head = head.id };
	cr_assert_eq(grove_mutate_json(&out, db, &o, add_q, "add", "{\"n\":\"x\",\"a\":1}"),
		     GROVE_EPRECONDITION, "%s", grove_errmsg(db));
	cr_assert_gt(grove_log_last_lsn(db), durable,
		     "the precondition failed on a head that was not durable yet");
	held_finish(&w);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

/* A log write that fails (here: reported as EIO after it ran) poisons the
 * handle: the writer and every later one are told so, and why.  Whether
 * the write survives is not known to the caller — its record may be on
 * disk — but the graph reopens whole either way. */
Test(mutate_crash, a_failed_log_write_poisons_the_handle_and_says_why)
{
	char *dir = gt_dir("mutate-poison");
	grove_db *db = gt_init(dir, schema);

	cr_assert_eq(mutate_add(db, "before", 1), 0, "%s", grove_errmsg(db));
	setenv("GROVE_FAILPOINT", "log.write.error:1:error", 1);
	grove_failpoint_rearm();
	cr_assert_eq(mutate_add(db, "failed", 2), GROVE_EPOISONED);
	cr_assert(strstr(grove_errmsg(db), "log write failed: Input/output error"), "%s",
		  grove_errmsg(db));
	unsetenv("GROVE_FAILPOINT");
	grove_failpoint_rearm();
	cr_assert_eq(mutate_add(db, "after", 3), GROVE_EPOISONED);
	cr_assert(strstr(grove_errmsg(db), "poisoned"), "%s", grove_errmsg(db));
	grove_close(db);

	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	uint64_t n = gt_count(db, "main", NULL, "node:Person");
	cr_assert(n == 1 || n == 2, "%lu people", (unsigned long)n);
	cr_assert_eq(mutate_add(db, "reopened", 4), 0, "%s", grove_errmsg(db));
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	gt_rmtree(dir);
	free(dir);
}
