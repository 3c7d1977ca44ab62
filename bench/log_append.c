/*
 * log_append — durable append throughput and latency of the operation log,
 * side by side with the raw cost of the same durability on the same file
 * system (pwrite + fdatasync of one 256-byte record at a time).
 *
 *   log_append [--quick]
 *
 * Runs in a fresh directory under $GROVE_BENCH_DIR (default /var/tmp) and
 * prints a table, then the headline lines:
 *   result log.p50_ratio_1thread <grove 1-thread p50 / raw p50>
 *   result log.scale_64_vs_1 <64-thread records/s / 1-thread records/s>
 *   result log.records_per_s_64 <n>
 *   result log.records_per_s_pipelined <n>
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/log.h"

#define RECORD_BYTES 256

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct lat {
	double *v;
	size_t n;
};

static double pct(struct lat *l, double p)
{
	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof *l->v, cmp_double);
	size_t i = (size_t)(p * (double)(l->n - 1));
	return l->v[i];
}

static _Noreturn void die(const char *what, int err)
{
	fprintf(stderr, "log_append: %s: %d %s\n", what, err, log_errmsg());
	exit(1);
}

static char *bench_dir;

static char *path(const char *name)
{
	char *p = malloc(strlen(bench_dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", bench_dir, name);
	return p;
}

/* ---- raw baseline ---- */

struct result {
	double ops_per_s, p50_us, p99_us, per_sync;
	double io_us, wake_us;   /* writer time per batch: I/O, waking */
};

static struct result raw_baseline(size_t ops)
{
	char *file = path("raw.dat");
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char rec[RECORD_BYTES];
	struct lat l = { calloc(ops, sizeof(double)), 0 };

	memset(rec, 'r', sizeof rec);
	/* The same conditions as a log segment: preallocated, then written
	 * sequentially, one fdatasync per record. */
	if (fd < 0 || fallocate(fd, 0, 0, 64 << 20) < 0)
		die("raw file", -errno);
	double t0 = now_s();
	for (size_t i = 0; i < ops; i++) {
		double a = now_s();
		if (pwrite(fd, rec, sizeof rec, (off_t)(i * sizeof rec)) != sizeof rec || fdatasync(fd) < 0)
			die("raw write", -errno);
		l.v[l.n++] = now_s() - a;
	}
	double t = now_s() - t0;
	close(fd);
	unlink(file);
	free(file);
	struct result r = { (double)ops / t, pct(&l, 0.5) * 1e6, pct(&l, 0.99) * 1e6, 1, 0, 0 };
	free(l.v);
	return r;
}

/* ---- grove, durable appends from N threads ---- */

struct worker {
	struct log *log;
	double deadline;
	size_t max_ops;
	struct lat lat;
	size_t cap;
};

static void *durable_worker(void *arg)
{
	struct worker *w = arg;
	char rec[RECORD_BYTES];
	memset(rec, 'g', sizeof rec);
	while (w->lat.n < w->max_ops && now_s() < w->deadline) {
		double a = now_s();
		int err = log_append(w->log, NULL, 1, rec, sizeof rec, LOG_WAIT_DURABLE);
		if (err)
			die("append", err);
		w->lat.v[w->lat.n++] = now_s() - a;
	}
	return NULL;
}

static struct log *open_fresh(const char *name, int backend)
{
	struct log_options o = { .backend = backend };
	char *dir = path(name);
	struct log *log;
	int err;
	if ((err = log_create(dir, &o)) < 0 || (err = log_open(&log, dir, &o, NULL)) < 0)
		die("open", err);
	free(dir);
	return log;
}

static struct result grove_threads(int threads, double seconds, size_t max_ops, int backend)
{
	char name[32];
	snprintf(name, sizeof name, "log-%d", threads);
	struct log *log = open_fresh(name, backend);
	struct worker *w = calloc((size_t)threads, sizeof *w);
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	struct log_stats s0, s1;
	size_t per = max_ops / (size_t)threads + 1;

	log_stats_get(&s0, log);
	double t0 = now_s();
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ log, t0 + seconds, per, { calloc(per, sizeof(double)), 0 }, per };
		pthread_create(&t[i], NULL, durable_worker, &w[i]);
	}
	struct lat all = { NULL, 0 };
	size_t total = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += w[i].lat.n;
	}
	double el = now_s() - t0;
	log_stats_get(&s1, log);
	all.v = malloc(total * sizeof(double));
	for (int i = 0; i < threads; i++) {
		memcpy(all.v + all.n, w[i].lat.v, w[i].lat.n * sizeof(double));
		all.n += w[i].lat.n;
		free(w[i].lat.v);
	}
	double batches = (double)(s1.batches - s0.batches);
	struct result r = { (double)total / el, pct(&all, 0.5) * 1e6, pct(&all, 0.99) * 1e6,
			    (double)(s1.records - s0.records) / (double)(s1.syncs - s0.syncs),
			    (double)(s1.io_ns - s0.io_ns) / batches / 1e3,
			    (double)(s1.wake_ns - s0.wake_ns) / batches / 1e3 };
	free(all.v);
	free(w);
	free(t);
	log_close(log);
	return r;
}

/* ---- pipelined ingestion ---- */

#define WINDOW 4096

struct producer {
	struct log *log;
	size_t records;
};

static void *pipelined_worker(void *arg)
{
	struct producer *p = arg;
	char rec[RECORD_BYTES];
	uint64_t *lsns = malloc(WINDOW * sizeof *lsns);
	memset(rec, 'p', sizeof rec);
	for (size_t i = 0; i < p->records; i++) {
		/* At most WINDOW records outstanding: before reusing a slot,
		 * wait until the record that held it is durable. */
		if (i >= WINDOW) {
			int err = log_wait(p->log, lsns[i % WINDOW], LOG_WAIT_DURABLE);
			if (err)
				die("wait", err);
		}
		int err = log_append(p->log, &lsns[i % WINDOW], 1, rec, sizeof rec, LOG_WAIT_LATER);
		if (err)
			die("append", err);
	}
	int err = log_wait(p->log, lsns[(p->records - 1) % WINDOW], LOG_WAIT_DURABLE);
	if (err)
		die("wait", err);
	free(lsns);
	return NULL;
}

static struct result pipelined(int producers, size_t records_each, int backend)
{
	struct log *log = open_fresh("log-pipe", backend);
	struct producer p[16];
	pthread_t t[16];
	struct log_stats s0, s1;

	log_stats_get(&s0, log);
	double t0 = now_s();
	for (int i = 0; i < producers; i++) {
		p[i] = (struct producer){ log, records_each };
		pthread_create(&t[i], NULL, pipelined_worker, &p[i]);
	}
	for (int i = 0; i < producers; i++)
		pthread_join(t[i], NULL);
	double el = now_s() - t0;
	log_stats_get(&s1, log);
	log_close(log);
	double batches = (double)(s1.batches - s0.batches);
	return (struct result){ (double)records_each * producers / el, 0, 0,
				(double)(s1.records - s0.records) / (double)(s1.syncs - s0.syncs),
				(double)(s1.io_ns - s0.io_ns) / batches / 1e3,
				(double)(s1.wake_ns - s0.wake_ns) / batches / 1e3 };
}

static void row(const char *name, struct result r)
{
	printf("%-34s %12.0f %10.1f %10.1f %10.1f %9.1f %9.1f\n", name, r.ops_per_s, r.p50_us,
	       r.p99_us, r.per_sync, r.io_us, r.wake_us);
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: log_append [--quick]\n");
		return 2;
	}
	const char *base = getenv("GROVE_BENCH_DIR");
	bench_dir = malloc(4096);
	snprintf(bench_dir, 4096, "%s/grove-bench-XXXXXX", base && *base ? base : "/var/tmp");
	if (!mkdtemp(bench_dir))
		die("mkdtemp", -errno);

	double secs = quick ? 1.5 : 6.0;
	size_t raw_ops = quick ? 3000 : 20000;
	size_t pipe_each = quick ? 500000 : 2500000;
	int backend = GROVE_LOG_BACKEND_AUTO;

	struct result raw = raw_baseline(raw_ops);
	struct result g1 = grove_threads(1, secs, raw_ops, backend);
	struct result g8 = grove_threads(8, secs, 4000000, backend);
	struct result g64 = grove_threads(64, secs, 4000000, backend);
	struct result gp = pipelined(4, pipe_each, backend);

	printf("log_append (%s), %d-byte records, dir %s\n", quick ? "quick" : "full",
	       RECORD_BYTES, bench_dir);
	printf("%-34s %12s %10s %10s %10s %9s %9s\n", "case", "records/s", "p50 us", "p99 us",
	       "rec/fsync", "io us", "wake us");
	row("raw pwrite+fdatasync", raw);
	row("grove durable, 1 thread", g1);
	row("grove durable, 8 threads", g8);
	row("grove durable, 64 threads", g64);
	row("grove pipelined, 4 producers x 4096", gp);
	printf("result log.p50_ratio_1thread %.3f\n", g1.p50_us / raw.p50_us);
	printf("result log.scale_64_vs_1 %.1f\n", g64.ops_per_s / g1.ops_per_s);
	printf("result log.records_per_s_64 %.0f\n", g64.ops_per_s);
	printf("result log.records_per_s_pipelined %.0f\n", gp.ops_per_s);

	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", bench_dir);
	(void)!system(cmd);
	return 0;
}
