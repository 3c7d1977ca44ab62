/*
 * stress_log.c — the log's group commit under threads that come and go, as
 * a plain program so that it also runs under ThreadSanitizer (Criterion's
 * forking runner does not survive it):
 *
 *   meson setup build-tsan -Db_sanitize=thread
 *   ninja -C build-tsan tests/log/stress_log
 *   build-tsan/tests/log/stress_log
 *
 * Four rounds of 16 threads, each appending 300 records with every wait
 * mode in turn (durable, durable later then a wait, written, none), on
 * both backends (run with GROVE_LOG_DIRECT=off too: meson.build), with batches of at most 8 KiB and 1 MiB segments so that
 * buffers fill and segments rotate.  Threads exit between rounds while
 * batches they started may still be queued (the kernel cancels those; the
 * thread that finishes the batch redoes it).  Checks: every call
 * succeeds, close is clean, and a reopened log holds every record, LSNs
 * dense, each thread's records in its own order.  Exit 0 on success.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "grove.h"
#include "log/error.h"
#include "log/log.h"
#include "log_testutil.h"

#define ROUNDS 4
#define THREADS 16
#define EACH 300

static struct log *lg;
static atomic_int failures;

struct writer {
	uint32_t id;
};

static void *work(void *arg)
{
	const struct writer *w = arg;
	uint8_t buf[256];

	for (uint64_t s = 0; s < EACH; s++) {
		static const enum log_wait modes[] = { LOG_WAIT_DURABLE, LOG_WAIT_LATER,
						       LOG_WAIT_WRITTEN, LOG_WAIT_NONE };
		enum log_wait m = modes[s % 4];
		size_t n = tu_payload(buf, 16 + s % 200, w->id, s);
		uint64_t lsn;
		if (log_append(lg, &lsn, 1, buf, (uint32_t)n, m) != 0 ||
		    (m == LOG_WAIT_LATER && log_wait(lg, lsn, LOG_WAIT_DURABLE) != 0)) {
			fprintf(stderr, "stress_log: writer %u record %lu: %s\n", w->id,
				(unsigned long)s, log_errmsg());
			atomic_fetch_add(&failures, 1);
			return NULL;
		}
	}
	return NULL;
}

/* Reopen and read everything back: dense LSNs, each writer in order. */
static int check(const char *ld, const struct log_options *o)
{
	uint64_t next[ROUNDS * THREADS] = { 0 }, n = 0;
	struct log_cursor *c;
	struct log_record_view r;
	int err;

	if (log_open(&lg, ld, o, NULL) != 0 || log_cursor_open(&c, lg, 1) != 0)
		return -1;
	while ((err = log_cursor_next(c, &r)) == 0) {
		uint32_t id;
		uint64_t seq;
		if (r.lsn != ++n || tu_payload_check(r.payload, r.payload_bytes, &id, &seq) != 0 ||
		    id >= ROUNDS * THREADS || seq != next[id]++) {
			fprintf(stderr, "stress_log: record at LSN %lu is wrong\n", (unsigned long)r.lsn);
			err = -1;
			break;
		}
	}
	log_cursor_close(c);
	log_close(lg);
	if (err != GROVE_ENOTFOUND || n != (uint64_t)ROUNDS * THREADS * EACH) {
		fprintf(stderr, "stress_log: %lu records read back, expected %d\n", (unsigned long)n,
			ROUNDS * THREADS * EACH);
		return -1;
	}
	return 0;
}

static int run(int backend, const char *name)
{
	struct log_options o = { .segment_bytes = 1u << 20, .max_batch_bytes = 8192,
				 .backend = backend };
	char *dir = tu_tempdir("stress-log"), *ld = tu_logdir(dir);
	struct writer w[THREADS];
	pthread_t t[THREADS];
	int err = -1;

	if (log_create(ld, &o) != 0 || log_open(&lg, ld, &o, NULL) != 0) {
		fprintf(stderr, "stress_log: open: %s\n", log_errmsg());
		goto out;
	}
	for (uint32_t round = 0; round < ROUNDS; round++) {
		for (uint32_t i = 0; i < THREADS; i++) {
			w[i].id = round * THREADS + i;
			pthread_create(&t[i], NULL, work, &w[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
	}
	if (log_close(lg) != 0 || atomic_load(&failures))
		goto out;
	err = check(ld, &o);
	if (err == 0)
		printf("stress_log: %s: %d rounds x %d threads x %d records: ok\n", name, ROUNDS,
		       THREADS, EACH);
out:
	tu_rmtree(dir);
	free(dir);
	free(ld);
	return err;
}

int main(void)
{
	int a = run(GROVE_LOG_BACKEND_URING, "io_uring");
	int b = run(GROVE_LOG_BACKEND_PWRITE, "pwrite");
	return a || b ? 1 : 0;
}
