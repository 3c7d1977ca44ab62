/* gt_crash.c — see gt_crash.h. */
#include "gt_crash.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "graph_testutil.h"
#include "log/failpoint.h"

static void *collect(int fd, size_t size, size_t *n)
{
	size_t cap = 256;
	char *v = malloc(cap * size);
	*n = 0;
	for (;;) {
		if (*n == cap)
			v = realloc(v, (cap *= 2) * size);
		ssize_t r = read(fd, v + *n * size, size);
		if (r <= 0)
			break;
		cr_assert_eq(r, (ssize_t)size);
		(*n)++;
	}
	return v;
}

/* A child with a failpoint armed gets up to ms milliseconds to die there
 * (the point may sit behind many writes, and a sanitized build writes
 * slowly): true, and *status set, if it did. */
static bool wait_for_failpoint(pid_t pid, int ms, int *status)
{
	for (int waited = 0; waited < ms; waited += 5) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		struct timespec ts = { 0, 5 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return false;
}

void *gt_crash_once(struct gt_crash *c, const char *dir, unsigned tag, const char *failpoint,
		    size_t *n)
{
	int p[2], status;
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		if (failpoint)
			setenv("GROVE_FAILPOINT", failpoint, 1);
		grove_failpoint_rearm();
		c->child(dir, p[1], tag);
		_exit(1);
	}
	close(p[1]);
	/* Let the child acknowledge something first (or die at its
	 * failpoint), so every trial tests recovery of real work. */
	struct pollfd pfd = { p[0], POLLIN, 0 };
	(void)poll(&pfd, 1, 5000);
	bool died;
	if (failpoint) {
		died = wait_for_failpoint(pid, 10 * c->max_wait_ms, &status);
	} else {
		struct timespec ts = { 0, (long)(rand() % (c->max_wait_ms + 1)) * 1000000L };
		nanosleep(&ts, NULL);
		died = waitpid(pid, &status, WNOHANG) == pid;
	}
	if (died) {
		c->fired++; /* died at its failpoint before we killed it */
	} else {
		kill(pid, SIGKILL);
		cr_assert_eq(waitpid(pid, &status, 0), pid);
	}
	cr_assert(WIFSIGNALED(status), "the child died of SIGKILL (exit %d)",
		  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	void *acks = collect(p[0], c->ack_size, n);
	close(p[0]);
	c->total_acks += *n;
	return acks;
}

const char *gt_failpoint(char *buf, size_t size, const char *const *list, size_t n, size_t i,
			 int max_hit)
{
	snprintf(buf, size, "%s:%d", list[i % n], 1 + rand() % max_hit);
	return buf;
}

void gt_crash_run(struct gt_crash *c, const char *tag, const char *schema, int count, int per_graph,
		  void (*trial)(const char *dir, unsigned t))
{
	const char *env = getenv("GROVE_CRASH_TRIALS");
	int trials = env ? atoi(env) : count;
	unsigned seed = (unsigned)time(NULL);
	char *dir = NULL;

	cr_log_info("%s trials: %d, seed %u", tag, trials, seed);
	srand(seed);
	for (int t = 0; t < trials; t++) {
		if (t % per_graph == 0) {
			if (dir) {
				gt_rmtree(dir);
				free(dir);
			}
			dir = gt_dir(tag);
			grove_close(gt_init(dir, schema));
		}
		trial(dir, (unsigned)t);
	}
	if (dir) {
		gt_rmtree(dir);
		free(dir);
	}
	cr_log_info("%zu acknowledged operations checked; %zu trials died at their failpoint",
		    c->total_acks, c->fired);
	cr_assert_geq(c->total_acks, (size_t)trials / 2, "the workload made progress before the kills");
#ifdef GROVE_FAILPOINTS
	/* Two trials in three arm a failpoint: some must die there, or the
	 * points are not armed at all (see grove_failpoint_rearm). */
	if (trials >= 6)
		cr_assert_gt(c->fired, 0, "no trial died at its failpoint");
#endif
}

void gt_crash_trial(struct gt_crash *c, const char *dir, unsigned tag, const char *const *list,
		    size_t nlist, int max_hit,
		    void (*check)(grove_db *db, const void *acks, size_t n))
{
	char fp[64];
	const char *failpoint = NULL;
	grove_db *db;
	size_t n;

	if (tag % 3 != 2)
		failpoint = gt_failpoint(fp, sizeof fp, list, nlist, tag * 2 / 3, max_hit);
	void *acks = gt_crash_once(c, dir, tag, failpoint, &n);
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(grove_open(&db, dir, NULL), 0, "reopen: %s", grove_errmsg(NULL));
		check(db, acks, n);
		grove_close(db);
	}
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	free(acks);
}
