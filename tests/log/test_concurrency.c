/*
 * test_concurrency.c — 16 threads x 10,000 appends, durable, written-only
 * and asynchronous mixed: every record present once, each thread's records
 * in its own order, LSNs dense.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "log/error.h"
#include "log/log.h"
#include "log_testutil.h"

#define THREADS 16
#define PER_THREAD 10000

struct worker {
	struct log *log;
	uint32_t id;
	int err;
	uint64_t last_lsn;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[128];
	for (uint64_t s = 0; s < PER_THREAD && !w->err; s++) {
		/* Mostly asynchronous, every 8th written-only, every 64th
		 * durable, every 64th (another) durable later. */
		enum log_wait how = s % 64 == 0 ? LOG_WAIT_DURABLE
				  : s % 64 == 1 ? LOG_WAIT_LATER
				  : s % 8 == 0 ? LOG_WAIT_WRITTEN : LOG_WAIT_NONE;
		size_t n = tu_payload(buf, 16 + s % 100, w->id, s);
		uint64_t lsn;
		w->err = log_append(w->log, &lsn, 1, buf, (uint32_t)n, how);
		if (!w->err && lsn <= w->last_lsn)
			w->err = -1; /* a thread's LSNs must increase */
		w->last_lsn = lsn;
	}
	if (!w->err)
		w->err = log_wait(w->log, w->last_lsn, LOG_WAIT_DURABLE);
	return NULL;
}

static void run(int backend)
{
	struct log_options o = { .segment_bytes = 1 << 20, .backend = backend };
	char *dir = tu_tempdir("conc"), *ld = tu_logdir(dir);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	struct log *log;

	cr_assert_eq(log_create(ld, &o), 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	for (uint32_t i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ log, i, 0, 0 };
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].err, 0, "thread %d: %d", i, w[i].err);
	}
	cr_assert_eq(log_close(log), 0);

	/* Reopen and read everything back. */
	uint64_t next_seq[THREADS] = { 0 }, n = 0;
	struct log_cursor *c;
	struct log_record_view r;
	int err;
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	while ((err = log_cursor_next(c, &r)) == 0) {
		uint32_t id;
		uint64_t seq;
		cr_assert_eq(r.lsn, ++n, "LSNs are dense");
		cr_assert_eq(tu_payload_check(r.payload, r.payload_bytes, &id, &seq), 0);
		cr_assert_lt(id, THREADS);
		cr_assert_eq(seq, next_seq[id], "thread %u: record %lu after %lu", id,
			     (unsigned long)seq, (unsigned long)next_seq[id]);
		next_seq[id]++;
	}
	cr_assert_eq(err, GROVE_ENOTFOUND, "%s", log_errmsg());
	cr_assert_eq(n, (uint64_t)THREADS * PER_THREAD);
	log_cursor_close(c);
	log_close(log);
	tu_rmtree(dir);
	free(dir);
	free(ld);
}

Test(concurrency, sixteen_threads_append_160k_records_densely_with_io_uring, .timeout = 240)
{
	run(GROVE_LOG_BACKEND_URING);
}

Test(concurrency, sixteen_threads_append_160k_records_densely_with_pwrite, .timeout = 240)
{
	run(GROVE_LOG_BACKEND_PWRITE);
}
