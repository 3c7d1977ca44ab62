/*
 * test_direct.c — the io_uring backend's direct writes (log/direct.h,
 * backend_uring.c): records that share 4 KiB blocks written direct and
 * through the page cache in turn, and the writer lock across fork().
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/log.h"
#include "log/record.h"
#include "log/segment.h"
#include "log_testutil.h"

static char *new_log(const struct log_options *o)
{
	return tu_new_log("direct", o);
}

static struct log *open_log(const char *dir, const struct log_options *o)
{
	char *ld = tu_logdir(dir);
	struct log *log = NULL;
	struct log_recovery rep;
	int err = log_open(&log, ld, o, &rep);
	cr_assert_eq(err, 0, "log_open: %d %s", err, log_errmsg());
	free(ld);
	return log;
}

/* Does this process hold a descriptor opened O_DIRECT? */
static bool has_direct_fd(void)
{
	DIR *d = opendir("/proc/self/fdinfo");
	struct dirent *e;
	bool found = false;
	cr_assert_not_null(d);
	while (!found && (e = readdir(d))) {
		char path[300], line[128];
		snprintf(path, sizeof path, "/proc/self/fdinfo/%s", e->d_name);
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof line, f)) {
			unsigned long flags;
			if (sscanf(line, "flags: %lo", &flags) == 1 && (flags & O_DIRECT))
				found = true;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return found;
}

static void append(struct log *log, uint64_t s, enum log_wait w)
{
	uint8_t buf[4096];
	uint64_t lsn;
	size_t n = tu_payload(buf, 16 + (size_t)(s * 389 % 3000), 0, s);
	cr_assert_eq(log_append(log, &lsn, 1, buf, (uint32_t)n, w), 0, "%s", log_errmsg());
	cr_assert_eq(lsn, s + 1);
}

static void check_all(const char *dir, const struct log_options *o, uint64_t n)
{
	struct log *log = open_log(dir, o);
	struct log_cursor *c;
	struct log_record_view r;
	uint64_t s = 0;
	int err;
	cr_assert_eq(log_last_lsn(log), n);
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	while ((err = log_cursor_next(c, &r)) == 0) {
		uint32_t w;
		uint64_t seq;
		cr_assert_eq(r.lsn, s + 1);
		cr_assert_eq(tu_payload_check(r.payload, r.payload_bytes, &w, &seq), 0,
			     "LSN %lu is damaged", (unsigned long)r.lsn);
		cr_assert_eq(seq, s);
		s++;
	}
	cr_assert_eq(err, GROVE_ENOTFOUND, "%s", log_errmsg());
	cr_assert_eq(s, n);
	log_cursor_close(c);
	log_close(log);
}

/* Durable appends go direct, the others through the page cache; records
 * of 16 B to 3 KiB straddle blocks, so each direct write starts with
 * bytes some earlier write (of either kind) put in its first block. */
Test(direct, direct_and_page_cache_writes_share_blocks)
{
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_URING);
	o.segment_bytes = 1 << 20;
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o);
	cr_assert(has_direct_fd(), "the segment has no O_DIRECT descriptor");
	const enum log_wait modes[] = { LOG_WAIT_DURABLE, LOG_WAIT_NONE, LOG_WAIT_DURABLE,
					LOG_WAIT_WRITTEN, LOG_WAIT_DURABLE, LOG_WAIT_NONE,
					LOG_WAIT_NONE };
	uint64_t n = 2000;
	for (uint64_t s = 0; s < n; s++)
		append(log, s, modes[s % (sizeof modes / sizeof modes[0])]);
	log_close(log);
	check_all(dir, &o, n);
	/* Appending after a reopen starts from a block read back once. */
	log = open_log(dir, &o);
	for (uint64_t s = n; s < n + 100; s++)
		append(log, s, LOG_WAIT_DURABLE);
	log_close(log);
	check_all(dir, &o, n + 100);
	tu_rmtree(dir);
	free(dir);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A reopen waits for the writer lock of the segment's direct descriptor
 * (a killed writer's direct writes must land first), so a forked child
 * must not keep the parent's: fork() points its copy elsewhere. */
Test(direct, a_forked_child_does_not_hold_the_writer_lock)
{
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_URING);
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o);
	cr_assert(has_direct_fd(), "the segment has no O_DIRECT descriptor");
	append(log, 0, LOG_WAIT_DURABLE);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		sleep(5);
		_exit(0);
	}
	log_close(log);
	double t0 = now_s();
	log = open_log(dir, &o);
	double took = now_s() - t0;
	append(log, 1, LOG_WAIT_DURABLE);
	log_close(log);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	cr_assert_lt(took, 2.0, "the reopen waited %.1f s for the child's copy of the lock", took);
	check_all(dir, &o, 2);
	tu_rmtree(dir);
	free(dir);
}

/* Writers that append and then wait (LOG_WAIT_LATER, as the engine's
 * sequencer does) from several threads at once: every batch goes out as
 * a direct write reaped by the thread that issued it.  The thread that
 * finishes a batch must not start the next one "for others" through the
 * page cache and an io_uring worker (writer.c: reap). */
struct later_writer {
	struct log *log;
	int err;
};

static void *append_then_wait(void *arg)
{
	struct later_writer *w = arg;
	uint8_t rec[200];
	memset(rec, 'w', sizeof rec);
	for (int i = 0; i < 300 && !w->err; i++) {
		uint64_t lsn;
		if ((w->err = log_append(w->log, &lsn, 1, rec, sizeof rec, LOG_WAIT_LATER)) == 0)
			w->err = log_wait(w->log, lsn, LOG_WAIT_DURABLE);
	}
	return NULL;
}

Test(direct, batches_of_writers_that_wait_all_go_out_direct)
{
	char *dir = new_log(NULL);
	struct log *log = open_log(dir, NULL);
	if (!has_direct_fd() || strcmp(log_backend_name(log), "io_uring")) {
		log_close(log);
		tu_rmtree(dir);
		free(dir);
		cr_skip_test("no direct writes here (the pwrite backend, or no O_DIRECT on this file system)");
	}
	enum { THREADS = 6 };
	struct later_writer w[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct later_writer){ log, 0 };
		pthread_create(&t[i], NULL, append_then_wait, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].err, 0, "writer %d: %s", i, log_errmsg());
	}
	struct log_stats st;
	log_stats_get(&st, log);
	cr_assert_eq(st.records, THREADS * 300);
	cr_assert_gt(st.batches, 0);
	cr_assert_eq(st.direct, st.batches, "%lu of %lu batches direct",
		     (unsigned long)st.direct, (unsigned long)st.batches);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

/* How many bytes of [from, to) of the file are allocated but unwritten
 * (fallocate()'s extents, which a synced write must also convert), or -1
 * where the file system does not say (FIEMAP). */
static long long unwritten_bytes(int fd, uint64_t from, uint64_t to)
{
	enum { N = 64 };
	struct fiemap *m = calloc(1, sizeof *m + N * sizeof m->fm_extents[0]);
	long long n = 0;
	cr_assert_not_null(m);
	m->fm_start = from;
	m->fm_length = to - from;
	m->fm_flags = FIEMAP_FLAG_SYNC;
	m->fm_extent_count = N;
	if (ioctl(fd, FS_IOC_FIEMAP, m) < 0) {
		free(m);
		return -1;
	}
	for (unsigned i = 0; i < m->fm_mapped_extents; i++) {
		const struct fiemap_extent *e = &m->fm_extents[i];
		uint64_t a = e->fe_logical > from ? e->fe_logical : from;
		uint64_t b = e->fe_logical + e->fe_length < to ? e->fe_logical + e->fe_length : to;
		if ((e->fe_flags & FIEMAP_EXTENT_UNWRITTEN) && b > a)
			n += (long long)(b - a);
	}
	free(m);
	return n;
}

/* A direct write that reaches blocks not written yet runs zeros on to the
 * next 256 KiB boundary (backend_uring.c, ZERO_AHEAD): the small synced
 * writes after it land on written blocks, and nothing past that boundary
 * is touched.  The records read back exactly, and the zeros end them. */
Test(direct, a_direct_write_zeros_ahead_to_the_next_boundary)
{
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_URING);
	o.segment_bytes = 1 << 20;
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o);
	char *ld = tu_logdir(dir), name[LOG_SEGMENT_NAME_BYTES], path[512];
	log_segment_name(name, 1);
	snprintf(path, sizeof path, "%s/%s", ld, name);
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", path);
	long long before = unwritten_bytes(fd, 0, 1 << 20);
	if (!has_direct_fd() || strcmp(log_backend_name(log), "io_uring") || before <= 0) {
		close(fd);
		log_close(log);
		tu_rmtree(dir);
		free(dir);
		free(ld);
		cr_skip_test("no direct writes into fallocated blocks here (the pwrite backend, "
			     "no O_DIRECT, or no FIEMAP on this file system)");
	}
	append(log, 0, LOG_WAIT_DURABLE);
	cr_assert_eq(unwritten_bytes(fd, 0, 256 << 10), 0);
	cr_assert_eq(unwritten_bytes(fd, 256 << 10, 1 << 20), 768 << 10);
	/* Past the boundary: the next stretch, and no further. */
	struct log_stats st;
	uint64_t s = 1;
	do {
		append(log, s++, LOG_WAIT_DURABLE);
		log_stats_get(&st, log);
	} while (st.bytes < (600u << 10)); /* the tail is in [512 KiB, 768 KiB) */
	cr_assert_eq(unwritten_bytes(fd, 0, 768 << 10), 0);
	cr_assert_eq(unwritten_bytes(fd, 768 << 10, 1 << 20), 256 << 10);
	close(fd);
	log_close(log);
	check_all(dir, &o, s);
	tu_rmtree(dir);
	free(dir);
	free(ld);
}
