/*
 * test_append.c — appending, rotation, reading, lookup by LSN, torn tails,
 * corruption and concurrency; every test runs on both backends.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/failpoint.h"
#include "log/log.h"
#include "log/record.h"
#include "log/segment.h"
#include "log_testutil.h"

/* Define test NAME once per backend; the body sees `backend`. */
#define BOTH_BACKENDS(suite, name)                                              \
	static void name##_body(int backend);                                    \
	Test(suite, name##_with_io_uring) { name##_body(GROVE_LOG_BACKEND_URING); } \
	Test(suite, name##_with_pwrite) { name##_body(GROVE_LOG_BACKEND_PWRITE); } \
	static void name##_body(int backend)

static size_t payload_len(uint64_t seq)
{
	return 16 + (size_t)(seq * 37 % 300);
}

static struct log *open_log(const char *dir, const struct log_options *o,
			    struct log_recovery *rep)
{
	char *ld = tu_logdir(dir);
	struct log *log = NULL;
	int err = log_open(&log, ld, o, rep);
	cr_assert_eq(err, 0, "log_open: %d %s", err, log_errmsg());
	free(ld);
	return log;
}

static char *new_log(const struct log_options *o)
{
	return tu_new_log("log", o);
}

static void append_seq(struct log *log, uint64_t from, uint64_t to, enum log_wait w)
{
	uint8_t buf[512];
	for (uint64_t s = from; s <= to; s++) {
		uint64_t lsn;
		size_t n = tu_payload(buf, payload_len(s), 0, s);
		cr_assert_eq(log_append(log, &lsn, (uint16_t)(1 + s % 6), buf, (uint32_t)n, w), 0);
		cr_assert_eq(lsn, s, "LSNs are dense: got %lu for record %lu",
			     (unsigned long)lsn, (unsigned long)s);
	}
}

/* Read every record from `from` and check it is record `from`, `from`+1, ... */
static uint64_t check_seq(struct log *log, uint64_t from, uint64_t expect_last)
{
	struct log_cursor *c;
	struct log_record_view r;
	uint64_t n = from;
	int err;

	cr_assert_eq(log_cursor_open(&c, log, from), 0);
	while ((err = log_cursor_next(c, &r)) == 0) {
		uint32_t w;
		uint64_t s;
		cr_assert_eq(r.lsn, n);
		cr_assert_eq(r.kind, 1 + n % 6);
		cr_assert_eq(tu_payload_check(r.payload, r.payload_bytes, &w, &s), 0);
		cr_assert_eq(s, n);
		n++;
	}
	cr_assert_eq(err, GROVE_ENOTFOUND, "cursor ended with %d: %s", err, log_errmsg());
	log_cursor_close(c);
	cr_assert_eq(n - 1, expect_last);
	return n - 1;
}

BOTH_BACKENDS(log, appends_survive_a_reopen_in_order)
{
	struct log_options o = tu_small_options(backend);
	struct log_recovery rep;
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, &rep);

	cr_assert_eq(rep.last_lsn, 0);
	append_seq(log, 1, 500, LOG_WAIT_DURABLE);
	cr_assert_eq(log_durable_lsn(log), 500);
	check_seq(log, 1, 500);
	cr_assert_eq(log_close(log), 0);

	log = open_log(dir, &o, &rep);
	cr_assert_eq(rep.last_lsn, 500);
	cr_assert_eq(rep.truncated_bytes, 0);
	append_seq(log, 501, 600, LOG_WAIT_DURABLE);
	check_seq(log, 1, 600);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

BOTH_BACKENDS(log, full_segments_rotate_and_reads_cross_them)
{
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o), *ld = tu_logdir(dir);
	struct log *log = open_log(dir, &o, NULL);

	append_seq(log, 1, 4000, LOG_WAIT_WRITTEN);
	cr_assert_eq(log_wait(log, 4000, LOG_WAIT_DURABLE), 0);
	cr_assert_gt(tu_count_segments(ld), 10, "4000 records of ~200 B (800 KB) fill many 64 KiB segments");
	check_seq(log, 1, 4000);
	log_close(log);

	/* A fresh process knows no marks for sealed segments: reads still work. */
	log = open_log(dir, &o, NULL);
	for (uint64_t from = 1; from <= 4000; from += 97)
		check_seq(log, from, 4000);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
	free(ld);
}

/* A replay holding a load's chunks keeps pointers into segments the
 * cursor has left: they must stay mapped, with their bytes, until each
 * hold is released, also after the cursor and the log are closed. */
BOTH_BACKENDS(log, held_payloads_outlive_the_cursor_and_the_log)
{
	enum { N = 2000, EVERY = 37 };
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o), *ld = tu_logdir(dir);
	struct log *log = open_log(dir, &o, NULL);
	struct log_hold *holds[N / EVERY + 1];
	struct log_record_view kept[N / EVERY + 1], r;
	struct log_cursor *c;
	unsigned n = 0;

	append_seq(log, 1, N, LOG_WAIT_DURABLE);
	cr_assert_gt(tu_count_segments(ld), 4, "the records span several segments");
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	cr_assert_null(log_cursor_hold(c), "nothing to hold before the first record");
	while (log_cursor_next(c, &r) == 0)
		if (r.lsn % EVERY == 1) {
			kept[n] = r;
			cr_assert_not_null(holds[n++] = log_cursor_hold(c));
		}
	cr_assert_eq(n, (N - 1) / EVERY + 1);
	log_cursor_close(c);
	cr_assert_eq(log_close(log), 0);
	for (unsigned i = 0; i < n; i++) {
		uint32_t w;
		uint64_t s;
		cr_assert_eq(tu_payload_check(kept[i].payload, kept[i].payload_bytes, &w, &s), 0,
			     "held record %lu was unmapped or changed", (unsigned long)kept[i].lsn);
		cr_assert_eq(s, kept[i].lsn);
	}
	for (unsigned i = 0; i < n; i++)
		log_hold_release(holds[i]);
	log_hold_release(NULL);
	tu_rmtree(dir);
	free(dir);
	free(ld);
}

BOTH_BACKENDS(log, any_lsn_can_be_looked_up_directly)
{
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, NULL);

	append_seq(log, 1, 2000, LOG_WAIT_NONE);
	cr_assert_eq(log_wait(log, 2000, LOG_WAIT_DURABLE), 0);
	srand(7);
	for (int i = 0; i < 300; i++) {
		uint64_t lsn = 1 + (uint64_t)rand() % 2000;
		struct log_cursor *c;
		struct log_record_view r;
		uint32_t w;
		uint64_t s;
		cr_assert_eq(log_cursor_open(&c, log, lsn), 0);
		cr_assert_eq(log_cursor_next(c, &r), 0);
		cr_assert_eq(r.lsn, lsn);
		cr_assert_eq(tu_payload_check(r.payload, r.payload_bytes, &w, &s), 0);
		cr_assert_eq(s, lsn);
		log_cursor_close(c);
	}
	struct log_cursor *c;
	struct log_record_view r;
	cr_assert_eq(log_cursor_open(&c, log, 2001), 0);
	cr_assert_eq(log_cursor_next(c, &r), GROVE_ENOTFOUND);
	log_cursor_close(c);
	cr_assert_eq(log_cursor_open(&c, log, 0), GROVE_EINVAL);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

BOTH_BACKENDS(log, an_oversized_record_is_refused_with_its_size)
{
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, NULL);
	static uint8_t big[8 * 1024 + 1];
	uint64_t lsn;

	cr_assert_eq(log_append(log, &lsn, 1, big, sizeof big, LOG_WAIT_DURABLE), GROVE_ETOOBIG);
	cr_assert(strstr(log_errmsg(), "8193 bytes exceeds the limit of 8192"), "%s", log_errmsg());
	cr_assert_eq(log_append(log, &lsn, 1, big, sizeof big - 1, LOG_WAIT_DURABLE), 0);
	cr_assert_eq(lsn, 1, "a refused record takes no LSN");
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

BOTH_BACKENDS(log, an_empty_payload_is_a_valid_record)
{
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, NULL);
	struct log_cursor *c;
	struct log_record_view r;
	uint64_t lsn;

	cr_assert_eq(log_append(log, &lsn, 3, "", 0, LOG_WAIT_DURABLE), 0);
	log_close(log);
	log = open_log(dir, &o, NULL);
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	cr_assert_eq(log_cursor_next(c, &r), 0);
	cr_assert_eq(r.payload_bytes, 0);
	cr_assert_eq(r.kind, 3);
	log_cursor_close(c);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

/* An append that says it will be waited for later starts its batch synced
 * at once, so the later wait needs no second round trip. */
BOTH_BACKENDS(log, a_record_to_wait_for_later_costs_one_batch_and_one_sync)
{
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, NULL);
	struct log_stats st;
	uint8_t buf[64];
	uint64_t lsn;

	size_t n = tu_payload(buf, 40, 0, 1);
	cr_assert_eq(log_append(log, &lsn, 2, buf, (uint32_t)n, LOG_WAIT_LATER), 0);
	cr_assert_eq(lsn, 1);
	cr_assert_eq(log_wait(log, lsn, LOG_WAIT_DURABLE), 0);
	cr_assert_eq(log_durable_lsn(log), 1);
	log_stats_get(&st, log);
	cr_assert_eq(st.batches, 1, "one batch, not a write and then an fsync: %lu",
		     (unsigned long)st.batches);
	cr_assert_eq(st.syncs, 1, "%lu syncs", (unsigned long)st.syncs);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

/* Appends that never wait fill the buffer over and over: with no writer
 * thread, the appender itself finishes the batch that holds it up. */
BOTH_BACKENDS(log, appends_that_never_wait_pass_a_full_buffer_and_survive_close)
{
	struct log_options o = tu_small_options(backend);
	o.max_batch_bytes = 4096;
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, NULL);

	append_seq(log, 1, 3000, LOG_WAIT_NONE);
	cr_assert_eq(log_close(log), 0);
	log = open_log(dir, &o, NULL);
	check_seq(log, 1, 3000);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

static void *append_later_and_exit(void *arg)
{
	struct log *log = arg;
	uint8_t buf[512];
	uint64_t lsn, seq = log_last_lsn(log) + 1;
	size_t n = tu_payload(buf, payload_len(seq), 0, seq);
	return (void *)(intptr_t)log_append(log, &lsn, (uint16_t)(1 + seq % 6), buf,
					    (uint32_t)n, LOG_WAIT_LATER);
}

/* Any thread may start a batch and another finish it; the kernel cancels
 * the queued I/O of a thread that exits, and the finisher must redo it. */
BOTH_BACKENDS(log, a_batch_whose_starter_exited_is_finished_by_another_thread)
{
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, NULL);

	for (uint64_t s = 1; s <= 200; s++) {
		pthread_t t;
		void *ret;
		cr_assert_eq(pthread_create(&t, NULL, append_later_and_exit, log), 0);
		pthread_join(t, &ret);
		cr_assert_eq((intptr_t)ret, 0, "append %lu: %s", (unsigned long)s, log_errmsg());
		cr_assert_eq(log_wait(log, s, LOG_WAIT_DURABLE), 0, "record %lu: %s",
			     (unsigned long)s, log_errmsg());
	}
	cr_assert_eq(log_close(log), 0);
	log = open_log(dir, &o, NULL);
	check_seq(log, 1, 200);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
}

struct failing_writer {
	struct log *log;
	int err;
	char msg[256];
};

static void *append_durable(void *arg)
{
	struct failing_writer *w = arg;
	uint8_t buf[64];
	size_t n = tu_payload(buf, 40, 1, 1);
	w->err = log_append(w->log, NULL, 1, buf, (uint32_t)n, LOG_WAIT_DURABLE);
	snprintf(w->msg, sizeof w->msg, "%s", log_errmsg());
	return NULL;
}

/* A failed write poisons the log for good, and every thread that meets
 * the poison hears why, not only the one whose write failed. */
BOTH_BACKENDS(log, a_failed_write_poisons_the_log_and_every_thread_hears_why)
{
	struct log_options o = tu_small_options(backend);
	char *dir = new_log(&o);
	struct log *log = open_log(dir, &o, NULL);
	struct failing_writer w[4];
	pthread_t t[4];
	uint8_t buf[64];

	setenv("GROVE_FAILPOINT", "log.write.error:1:error", 1);
	grove_failpoint_rearm();
	for (int i = 0; i < 4; i++) {
		w[i] = (struct failing_writer){ .log = log };
		cr_assert_eq(pthread_create(&t[i], NULL, append_durable, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].err, GROVE_EPOISONED, "writer %d: %d", i, w[i].err);
		cr_assert_str_eq(w[i].msg, "log write failed: Input/output error; the log is poisoned");
	}
	size_t n = tu_payload(buf, 40, 2, 1);
	cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)n, LOG_WAIT_NONE), GROVE_EPOISONED);
	cr_assert_str_eq(log_errmsg(), "log write failed: Input/output error; the log is poisoned");
	cr_assert_eq(log_close(log), GROVE_EPOISONED);
	unsetenv("GROVE_FAILPOINT");
	grove_failpoint_rearm();
	tu_rmtree(dir);
	free(dir);
}
