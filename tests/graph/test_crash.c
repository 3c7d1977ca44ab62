/*
 * test_crash.c — a child runs a mixed workload (loads on main and on
 * branches, branch creates, multi-chunk loads) and reports every
 * acknowledged operation through a pipe; the parent SIGKILLs it at a
 * failpoint of the write path or at a random moment, reopens, and checks:
 * every acknowledged commit and branch is there, every load is all or
 * nothing (each load adds exactly LOAD_ROWS people, so a branch holds
 * LOAD_ROWS times the loads in its history), and grove_verify passes.
 * GROVE_CRASH_TRIALS sets the number of trials (default 120).
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

#define LOAD_ROWS 40
#define TRIALS_PER_GRAPH 15

struct ack {
	char kind;               /* 'L' load, 'B' branch */
	char branch[23];
	char commit[GROVE_COMMIT_ID_BYTES];
	char pad[5];
};

static grove_options small_chunks(void)
{
	grove_options o = GROVE_OPTIONS_INIT;
	o.load_chunk_bytes = 1024; /* LOAD_ROWS rows make several chunks */
	return o;
}

static void report(int fd, char kind, const char *branch, const char *commit)
{
	struct ack a = { .kind = kind };
	snprintf(a.branch, sizeof a.branch, "%s", branch);
	snprintf(a.commit, sizeof a.commit, "%s", commit ? commit : "");
	if (write(fd, &a, sizeof a) != sizeof a)
		_exit(4);
}

static void load_rows(grove_db *db, int fd, const char *branch, unsigned tag, unsigned seq)
{
	static char buf[LOAD_ROWS * 80];
	size_t n = 0;
	for (int i = 0; i < LOAD_ROWS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"p%u_%u_%d\",\"age\":%d}}\n",
				      tag, seq, i, i);
	grove_load_options o = { .branch = branch, .mode = GROVE_LOAD_APPEND, .actor = "crash" };
	grove_load_result r;
	if (grove_load(&r, db, &o, buf, n) != 0)
		_exit(3);
	report(fd, 'L', branch, r.commit.id);
}

static void child(const char *dir, int fd, unsigned tag, const char *failpoint)
{
	grove_options opts = small_chunks();
	grove_db *db;
	char name[24];

	if (failpoint)
		setenv("GROVE_FAILPOINT", failpoint, 1);
	if (grove_open(&db, dir, &opts) != 0)
		_exit(2);
	for (unsigned seq = 0;; seq++) {
		if (seq % 4 == 3) {
			snprintf(name, sizeof name, "b%u_%u", tag, seq);
			if (grove_branch_create(db, name, "main", NULL) != 0)
				_exit(5);
			report(fd, 'B', name, NULL);
			load_rows(db, fd, name, tag, seq);
		} else {
			load_rows(db, fd, "main", tag, seq);
		}
	}
}

/* Every branch holds LOAD_ROWS people per load in its history. */
static void check_atomic(grove_db *db)
{
	char **names;
	size_t n;
	cr_assert_eq(grove_branch_list(&names, &n, db), 0);
	for (size_t i = 0; i < n; i++) {
		grove_commit *log;
		size_t nc;
		cr_assert_eq(grove_commit_list(&log, &nc, db, names[i]), 0);
		uint64_t people = gt_count(db, names[i], NULL, "node:Person");
		cr_assert_eq(people, (uint64_t)LOAD_ROWS * (nc - 1),
			     "branch %s: %lu people for %zu loads: a load is half visible",
			     names[i], (unsigned long)people, nc - 1);
		grove_free(log);
	}
	grove_free(names);
}

static void check_acks(grove_db *db, const struct ack *acks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		grove_commit c, head;
		if (acks[i].kind == 'B') {
			cr_assert_eq(grove_branch_head(&head, db, acks[i].branch), 0,
				     "acknowledged branch %s is lost", acks[i].branch);
			continue;
		}
		cr_assert_eq(grove_commit_show(&c, db, acks[i].commit), 0,
			     "acknowledged commit %s is lost: %s", acks[i].commit, grove_errmsg(db));
		cr_assert_str_eq(c.branch, acks[i].branch);
	}
}

static struct ack *collect(int fd, size_t *n)
{
	size_t cap = 256;
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

static const char *const failpoints[] = {
	"seq.appended", "seq.between_chunks", "seq.durable", "apply.begin", "apply.mid",
	"seq.applied", "log.write.before", "log.write.after",
};
#define NFAILPOINTS (sizeof failpoints / sizeof failpoints[0])

static size_t total_acks, fired;

static void trial(const char *dir, unsigned tag)
{
	char fp[64];
	const char *failpoint = NULL;
	int p[2];

	/* Half the trials die at a failpoint (each point in turn), half at a
	 * random moment. */
	if (tag % 2 == 0) {
		snprintf(fp, sizeof fp, "%s:%d", failpoints[(tag / 2) % NFAILPOINTS], 1 + rand() % 3);
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
	/* Let the child acknowledge something first (or die at its
	 * failpoint), so every trial tests recovery of real work. */
	struct pollfd pfd = { p[0], POLLIN, 0 };
	(void)poll(&pfd, 1, 5000);
	struct timespec ts = { 0, (long)(rand() % 30) * 1000000L };
	nanosleep(&ts, NULL);
	int status;
	if (waitpid(pid, &status, WNOHANG) == pid) {
		fired++; /* died at its failpoint before we killed it */
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

	grove_options opts = small_chunks();
	grove_db *db;
	cr_assert_eq(grove_open(&db, dir, &opts), 0, "reopen: %s", grove_errmsg(NULL));
	check_acks(db, acks, n);
	check_atomic(db);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	free(acks);
}

Test(crash, acknowledged_writes_survive_and_loads_are_atomic, .timeout = 900)
{
	const char *env = getenv("GROVE_CRASH_TRIALS");
	int trials = env ? atoi(env) : 120;
	unsigned seed = (unsigned)time(NULL);
	char *dir = NULL;

	cr_log_info("graph crash trials: %d, seed %u", trials, seed);
	srand(seed);
	for (int t = 0; t < trials; t++) {
		if (t % TRIALS_PER_GRAPH == 0) {
			if (dir) {
				gt_rmtree(dir);
				free(dir);
			}
			dir = gt_dir("crash");
			grove_close(gt_init(dir, NULL));
		}
		trial(dir, (unsigned)t);
	}
	gt_rmtree(dir);
	free(dir);
	cr_log_info("%zu acknowledged operations checked; %zu trials died at their failpoint",
		    total_acks, fired);
	cr_assert_geq(total_acks, (size_t)trials / 2, "the workload made progress before the kills");
}
