/*
 * test_merge_crash.c — a child forks a branch, loads into it, writes to
 * main, and merges the branch back (three-way), over and over, reporting
 * every acknowledged commit through a pipe; the parent SIGKILLs it at a
 * failpoint of the commit pipeline (or at a random moment), reopens, and
 * checks that every merge is all or nothing: a branch's rows are on main
 * exactly when main's history holds a merge commit whose merged parent is
 * that branch's load, every acknowledged commit is there, main holds no
 * other rows, and grove_verify passes.
 * GROVE_CRASH_TRIALS sets the number of trials (default 40).
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "graph_testutil.h"

#define BRANCH_ROWS 20
#define MAIN_ROWS 5
#define TRIALS_PER_GRAPH 10

static const char schema[] = "node Person { name: String @key\n age: I32? }\n";

struct ack {
	char kind;               /* 'L' branch load, 'W' main load, 'M' merge */
	char commit[GROVE_COMMIT_ID_BYTES];
	unsigned tag, seq;
};

static void report(int fd, char kind, const char *commit, unsigned tag, unsigned seq)
{
	struct ack a = { .kind = kind, .tag = tag, .seq = seq };
	snprintf(a.commit, sizeof a.commit, "%s", commit);
	if (write(fd, &a, sizeof a) != sizeof a)
		_exit(4);
}

static void load(grove_db *db, const char *branch, const char *prefix, int rows, char commit[])
{
	char buf[BRANCH_ROWS * 80];
	size_t n = 0;
	for (int i = 0; i < rows; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"type\":\"Person\",\"data\":{\"name\":\"%s_%d\"}}\n",
				      prefix, i);
	grove_load_options o = { .branch = branch, .mode = GROVE_LOAD_APPEND, .actor = "load" };
	grove_load_result r;
	if (grove_load(&r, db, &o, buf, n) != 0)
		_exit(3);
	memcpy(commit, r.commit.id, GROVE_COMMIT_ID_BYTES);
}

static void child(const char *dir, int fd, unsigned tag, const char *failpoint)
{
	grove_db *db;
	if (failpoint)
		setenv("GROVE_FAILPOINT", failpoint, 1);
	if (grove_open(&db, dir, NULL) != 0)
		_exit(2);
	for (unsigned seq = 0;; seq++) {
		char branch[32], prefix[32], commit[GROVE_COMMIT_ID_BYTES], *out = NULL;
		snprintf(branch, sizeof branch, "t%03us%04u", tag, seq);
		if (grove_branch_create(db, branch, "main", "branch") != 0)
			_exit(5);
		snprintf(prefix, sizeof prefix, "b_%u_%u", tag, seq);
		load(db, branch, prefix, BRANCH_ROWS, commit);
		report(fd, 'L', commit, tag, seq);
		snprintf(prefix, sizeof prefix, "m_%u_%u", tag, seq);
		load(db, NULL, prefix, MAIN_ROWS, commit);
		report(fd, 'W', commit, tag, seq);
		grove_merge_options mo = { .actor = "merge", .delete_branch = 1 };
		if (grove_merge_json(&out, db, branch, "main", &mo) != 0 || !strstr(out, "\"outcome\":\"merged\""))
			_exit(6);
		char *id = strstr(out, "\"graph_commit_id\":\"");
		if (!id)
			_exit(7);
		id += strlen("\"graph_commit_id\":\"");
		id[GROVE_COMMIT_ID_BYTES - 1] = '\0';
		report(fd, 'M', id, tag, seq);
		grove_free(out);
	}
}

static struct ack *collect(int fd, size_t *n)
{
	size_t cap = 64;
	struct ack *v = malloc(cap * sizeof *v);
	*n = 0;
	for (;;) {
		if (*n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		ssize_t r = read(fd, &v[*n], sizeof *v);
		if (r <= 0)
			break;
		cr_assert_eq(r, (ssize_t)sizeof *v);
		(*n)++;
	}
	return v;
}

static int has_person(grove_db *db, const char *name)
{
	char *e = NULL;
	grove_target t = { "main", NULL };
	int err = grove_entity_json(&e, db, &t, "node:Person", name);
	grove_free(e);
	cr_assert(err == 0 || err == GROVE_ENOTFOUND, "entity %s: %s", name, grove_errmsg(db));
	return err == 0;
}

/* Are all (or none) of a branch load's rows on main, as its merge says? */
static void check_branch_load(grove_db *db, const struct ack *a, const grove_commit *log, size_t nc,
			      size_t *merged)
{
	int is_merged = 0;
	for (size_t i = 0; i < nc; i++)
		is_merged |= !strcmp(log[i].actor, "merge") && !strcmp(log[i].merged_parent, a->commit);
	*merged += (size_t)is_merged;
	for (int i = 0; i < BRANCH_ROWS; i++) {
		char name[48];
		snprintf(name, sizeof name, "b_%u_%u_%d", a->tag, a->seq, i);
		cr_assert_eq(has_person(db, name), is_merged, "%s on main: %d, but merged: %d", name,
			     !is_merged, is_merged);
	}
}

static void check_state(grove_db *db, const struct ack *acks, size_t n)
{
	grove_commit *log;
	size_t nc, merges = 0, main_loads = 0, merged = 0;
	for (size_t i = 0; i < n; i++) {
		grove_commit c;
		cr_assert_eq(grove_commit_show(&c, db, acks[i].commit), 0, "acknowledged commit %s is lost",
			     acks[i].commit);
	}
	cr_assert_eq(grove_commit_list(&log, &nc, db, "main"), 0);
	for (size_t i = 0; i < nc; i++) {
		merges += !strcmp(log[i].actor, "merge");
		main_loads += !strcmp(log[i].actor, "load") && !strcmp(log[i].branch, "main");
	}
	for (size_t i = 0; i < n; i++)
		if (acks[i].kind == 'L')
			check_branch_load(db, &acks[i], log, nc, &merged);
	grove_free(log);
	/* Only this trial's acks are here; earlier trials' merges count too. */
	cr_assert_geq(merges, merged);
	uint64_t rows = gt_count(db, "main", NULL, "node:Person");
	cr_assert_eq(rows, (uint64_t)(MAIN_ROWS * main_loads + BRANCH_ROWS * merges),
		     "main holds %lu rows: %zu main loads and %zu merges", (unsigned long)rows, main_loads,
		     merges);
}

static const char *const failpoints[] = {
	"seq.appended", "seq.durable", "apply.begin", "apply.mid", "seq.applied",
	"log.write.before", "log.write.after",
};
#define NFAILPOINTS (sizeof failpoints / sizeof failpoints[0])

static size_t total_acks, fired;

static void trial(const char *dir, unsigned tag)
{
	char fp[64];
	const char *failpoint = NULL;
	int p[2];

	if (tag % 3 != 2) { /* two in three at a failpoint, each in turn, at its 1st..12th hit */
		snprintf(fp, sizeof fp, "%s:%d", failpoints[(tag * 2 / 3) % NFAILPOINTS], 1 + rand() % 12);
		failpoint = fp;
	}
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		child(dir, p[1], tag, failpoint);
	}
	close(p[1]);
	struct pollfd pfd = { p[0], POLLIN, 0 };
	(void)poll(&pfd, 1, 5000);
	struct timespec ts = { 0, (long)(rand() % 60) * 1000000L };
	nanosleep(&ts, NULL);
	int status;
	if (waitpid(pid, &status, WNOHANG) == pid) {
		fired++;
	} else {
		kill(pid, SIGKILL);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
	}
	cr_assert(WIFSIGNALED(status), "the child died of SIGKILL (exit %d)",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	size_t n;
	struct ack *acks = collect(p[0], &n);
	close(p[0]);
	total_acks += n;
	grove_db *db;
	for (int round = 0; round < 2; round++) { /* a second open replays nothing new */
		cr_assert_eq(grove_open(&db, dir, NULL), 0, "reopen: %s", grove_errmsg(NULL));
		check_state(db, acks, n);
		grove_close(db);
	}
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	free(acks);
}

Test(merge_crash, a_merge_is_all_or_nothing_after_a_crash, .timeout = 900)
{
	const char *env = getenv("GROVE_CRASH_TRIALS");
	int trials = env ? atoi(env) : 40;
	unsigned seed = (unsigned)time(NULL);
	char *dir = NULL;

	cr_log_info("merge crash trials: %d, seed %u", trials, seed);
	srand(seed);
	for (int t = 0; t < trials; t++) {
		if (t % TRIALS_PER_GRAPH == 0) {
			if (dir) {
				gt_rmtree(dir);
				free(dir);
			}
			dir = gt_dir("merge-crash");
			grove_close(gt_init(dir, schema));
		}
		trial(dir, (unsigned)t);
	}
	gt_rmtree(dir);
	free(dir);
	cr_log_info("%zu acknowledged operations checked; %zu trials died at their failpoint", total_acks, fired);
	cr_assert_geq(total_acks, (size_t)trials / 2, "the workload made progress before the kills");
}
