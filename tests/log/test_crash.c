/*
 * test_crash.c — a child appends durably from several threads and tells
 * the parent every acknowledged LSN through a pipe; the parent SIGKILLs it
 * at a random moment or lets it die at a failpoint, reopens the log and
 * checks: every acknowledged record is present and intact, LSNs are dense,
 * and a second open finds nothing to cut.  The same log lives through all
 * trials, so recovery also runs on logs that were recovered before.
 * GROVE_CRASH_TRIALS sets the number of trials per backend (default 200).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/failpoint.h"
#include "log/log.h"
#include "log_testutil.h"

#define WRITERS 4

struct ack {
	uint64_t lsn;
	uint64_t seq;
	uint32_t writer;
	uint32_t pad;
};

struct child_writer {
	struct log *log;
	int fd;
	uint32_t writer;
};

static void *child_work(void *arg)
{
	struct child_writer *w = arg;
	uint8_t buf[600];
	for (uint64_t seq = 0;; seq++) {
		struct ack a = { 0, seq, w->writer, 0 };
		size_t n = tu_payload(buf, 16 + (seq * 131 + w->writer) % 580, w->writer, seq);
		if (log_append(w->log, &a.lsn, 1, buf, (uint32_t)n, LOG_WAIT_DURABLE) != 0)
			_exit(3);
		/* Reported only after the append returned: acknowledged. */
		if (write(w->fd, &a, sizeof a) != sizeof a)
			_exit(4);
	}
	return NULL;
}

static void child(const char *ld, int backend, int fd, uint32_t trial, const char *failpoint)
{
	struct log_options o = tu_small_options(backend);
	struct child_writer w[WRITERS];
	pthread_t t[WRITERS];
	struct log *log;

	if (failpoint)
		setenv("GROVE_FAILPOINT", failpoint, 1);
	grove_failpoint_rearm();
	if (log_open(&log, ld, &o, NULL) != 0)
		_exit(2);
	for (uint32_t i = 0; i < WRITERS; i++) {
		w[i] = (struct child_writer){ log, fd, trial * WRITERS + i };
		pthread_create(&t[i], NULL, child_work, &w[i]);
	}
	for (;;)
		pause();
}

/* Read every ack the dead child sent. */
static struct ack *collect(int fd, size_t *n)
{
	size_t cap = 1024;
	struct ack *v = malloc(cap * sizeof *v);
	*n = 0;
	for (;;) {
		if (*n == cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		ssize_t r = read(fd, &v[*n], sizeof *v);
		if (r == 0)
			break;
		cr_assert_eq(r, (ssize_t)sizeof *v, "acks are written whole (PIPE_BUF)");
		(*n)++;
	}
	return v;
}

/* Reopen, read the whole log, and check the acks of this trial. */
static uint64_t verify(const char *ld, int backend, const struct ack *acks, size_t nacks)
{
	struct log_options o = tu_small_options(backend);
	struct log_recovery rep;
	struct log_cursor *c;
	struct log_record_view r;
	struct log *log;
	uint64_t n = 0;
	int err = log_open(&log, ld, &o, &rep);

	cr_assert_eq(err, 0, "reopen after the crash: %s", log_errmsg());
	uint64_t last = rep.last_lsn;
	struct ack *seen = calloc(last + 1, sizeof *seen);
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	while ((err = log_cursor_next(c, &r)) == 0) {
		cr_assert_eq(r.lsn, ++n, "LSNs are dense");
		cr_assert_eq(tu_payload_check(r.payload, r.payload_bytes, &seen[n].writer,
					      &seen[n].seq), 0, "record %lu is intact", (unsigned long)n);
	}
	cr_assert_eq(err, GROVE_ENOTFOUND, "%s", log_errmsg());
	cr_assert_eq(n, last);
	for (size_t i = 0; i < nacks; i++) {
		cr_assert_leq(acks[i].lsn, last, "acknowledged LSN %lu survives (log ends at %lu)",
			      (unsigned long)acks[i].lsn, (unsigned long)last);
		cr_assert_eq(seen[acks[i].lsn].writer, acks[i].writer);
		cr_assert_eq(seen[acks[i].lsn].seq, acks[i].seq);
	}
	log_cursor_close(c);
	log_close(log);
	cr_assert_eq(log_open(&log, ld, &o, &rep), 0);
	cr_assert_eq(rep.truncated_bytes, 0, "nothing but zeros follows the last record");
	cr_assert_eq(rep.last_lsn, last);
	log_close(log);
	free(seen);
	return last;
}

static const char *const failpoints[] = {
	"log.write.before", "log.write.after", "log.rotate.sealed",
};

static void crash_trials(int backend)
{
	const char *env = getenv("GROVE_CRASH_TRIALS");
	int trials = env ? atoi(env) : 200;
	char *dir = tu_tempdir("crash"), *ld = tu_logdir(dir);
	struct log_options o = tu_small_options(backend);
	unsigned seed = (unsigned)time(NULL);

	cr_log_info("crash trials: %d, seed %u", trials, seed);
	srand(seed);
	cr_assert_eq(log_create(ld, &o), 0);
	for (int trial = 0; trial < trials; trial++) {
		int p[2];
		cr_assert_eq(pipe(p), 0);
		/* One trial in three dies at a failpoint, on a random hit. */
		char fp[64];
		const char *failpoint = NULL;
		if (trial % 3 == 0) {
			snprintf(fp, sizeof fp, "%s:%d", failpoints[rand() % 3], 1 + rand() % 20);
			failpoint = fp;
		}
		pid_t pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0) {
			close(p[0]);
			child(ld, backend, p[1], (uint32_t)trial, failpoint);
		}
		close(p[1]);
		struct timespec ts = { 0, (long)(1 + rand() % 30) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFSIGNALED(status), "the child died of SIGKILL, not exit %d",
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		size_t nacks;
		struct ack *acks = collect(p[0], &nacks);
		close(p[0]);
		verify(ld, backend, acks, nacks);
		free(acks);
	}
	tu_rmtree(dir);
	free(dir);
	free(ld);
}

Test(crash, every_acknowledged_record_survives_sigkill_with_io_uring, .timeout = 900)
{
	crash_trials(GROVE_LOG_BACKEND_URING);
}

Test(crash, every_acknowledged_record_survives_sigkill_with_pwrite, .timeout = 900)
{
	crash_trials(GROVE_LOG_BACKEND_PWRITE);
}
