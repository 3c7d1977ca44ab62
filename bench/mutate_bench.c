/*
 * mutate_bench — durable mutations (issue 6): one node insert per
 * grove_mutate_json() from 1, 8 and 64 threads, next to the raw cost of the
 * same durability (pwrite + fdatasync of 256 bytes, one thread) and SQLite
 * (WAL, synchronous=FULL, one autocommit INSERT per op, a connection per
 * thread, busy_timeout 10000), at the same thread counts.  Then same-key
 * contention: 8 threads upserting the one key "hot" with different ages.
 * And grove's 64 threads again, spread over 4 branches (16 each).
 * The threaded cases also show the process's CPU time per op (user and
 * system, all threads): steadier than ops/s on a machine whose speed
 * drifts, and what bounds ops/s once the cores are busy.
 *
 *   mutate_bench [--quick]
 *
 * Each case runs until its op budget is spent or its time is up (--quick:
 * 2 s, 1 thread 2000 ops, 8 x 1000, 64 x 300; full: 10 s and 5x the ops).
 * The raw baseline and grove's 1-thread case run interleaved, 50 ops of
 * each in turn, so that their ratio is not skewed by the disk's drift.
 * A grove op runs
 *   query add($n: String, $a: I32) { insert Person { name: $n, age: $a } }
 * with a distinct name (thread id + counter) as SQLite runs its INSERT: a
 * statement prepared once per thread (grove_prepare_mutation), its
 * parameters bound per op, grove_stmt_mutate_json(); a non-zero return is
 * an error (ops/s counts the successful ops only).  (Figures before
 * 2026-11-30 12:20 UTC used grove_mutate_json() with the text and the
 * parameters as JSON per op.)
 * Runs in a fresh directory under $GROVE_BENCH_DIR (default /var/tmp),
 * removed at the end.  Prints a table, then the headline lines:
 *   result mutate.p50_ratio_1thread <grove 1-thread p50 / raw fdatasync p50>
 *   result mutate.ops_per_s_64 <grove 64-thread ops/s>
 *   result mutate.vs_sqlite_64 <grove 64-thread ops/s / sqlite 64-thread ops/s>
 *   result mutate.samekey_errors <errors with 8 threads upserting one key>
 *   result mutate.wake_ceiling_64 <futex wakes/s of 64 sleeping threads>
 * The last is no grove figure: 64 threads that only sleep and are woken
 * (wake_floor.h), one by one and a batch at a time, the better of the
 * two: the ceiling of ops/s for any API whose caller blocks until its
 * write is durable, on this machine, and (CPU us/op) what those wakes
 * cost of the two cores' budget per op.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_SQLITE3
#include <sqlite3.h>
#endif

#include "gen.h"
#include "grove.h"
#include "wake_floor.h"

#define RECORD_BYTES 256

static const char schema[] = "node Person { name: String @key\n age: I32? }\n";
static const char add_query[] =
	"query add($n: String, $a: I32) { insert Person { name: $n, age: $a } }\n";

static char *work;

static _Noreturn void die(const char *what, const char *msg)
{
	fprintf(stderr, "mutate_bench: %s: %s\n", what, msg);
	exit(1);
}

struct result {
	int ok;
	double ops_per_s, p50_us, p99_us;
	size_t ops, errors;
	double cpu_us;            /* the process's CPU per op (threaded cases) */
};

/* ---- the thread harness ---- */

enum { SYS_GROVE, SYS_SQLITE };

struct worker {
	int sys, id, samekey;
	const char *branch;       /* grove: NULL for main                    */
	void *db;                 /* grove_db, or sqlite3 (own connection)   */
	grove_stmt *stmt;         /* grove: prepared on the first op         */
	double deadline;
	size_t max_ops, n, errors;
	double *lat;
	char first_err[256];
};

static void note_error(struct worker *w, int err, const char *msg)
{
	if (!w->errors++)
		snprintf(w->first_err, sizeof w->first_err, "%d %s", err, msg);
}

static void grove_op(struct worker *w, size_t i)
{
	grove_mutate_options o = { .branch = w->branch, .actor = "bench" };
	char name[48], *out = NULL;
	int err = 0;
	if (w->stmt == NULL && (err = grove_prepare_mutation(&w->stmt, w->db, add_query, "add")) < 0)
		die("grove_prepare_mutation", grove_errmsg(w->db));
	if (w->samekey)
		snprintf(name, sizeof name, "hot");
	else
		snprintf(name, sizeof name, "t%d_%zu", w->id, i);
	if ((err = grove_bind_text(w->stmt, "n", name, strlen(name))) == 0 &&
	    (err = grove_bind_int(w->stmt, "a", w->samekey ? w->id * 100000 + (int)i : (int)(i % 100))) == 0)
		err = grove_stmt_mutate_json(&out, w->stmt, &o);
	if (err)
		note_error(w, err, grove_errmsg(w->db));
	else
		grove_free(out);
}

#ifdef HAVE_SQLITE3
static void sqlite_op(struct worker *w, sqlite3_stmt *st, size_t i)
{
	char name[48];
	snprintf(name, sizeof name, "t%d_%zu", w->id, i);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, (int)(i % 100));
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		note_error(w, rc, sqlite3_errmsg(w->db));
	sqlite3_reset(st);
}
#endif

static void *run_worker(void *arg)
{
	struct worker *w = arg;
#ifdef HAVE_SQLITE3
	sqlite3_stmt *st = NULL;
	if (w->sys == SYS_SQLITE &&
	    sqlite3_prepare_v2(w->db, "INSERT INTO person VALUES (?1, ?2)", -1, &st, NULL))
		die("sqlite prepare", sqlite3_errmsg(w->db));
#endif
	while (w->n < w->max_ops && bench_now_s() < w->deadline) {
		double a = bench_now_s();
#ifdef HAVE_SQLITE3
		if (w->sys == SYS_SQLITE)
			sqlite_op(w, st, w->n);
		else
#endif
			grove_op(w, w->n);
		w->lat[w->n++] = bench_now_s() - a;
	}
#ifdef HAVE_SQLITE3
	sqlite3_finalize(st);
#endif
	grove_stmt_free(w->stmt);
	w->stmt = NULL;
	return NULL;
}

/* Run `threads` workers (their sys, db and samekey already set) and sum up. */
static struct result run_threads(struct worker *w, int threads, double secs, size_t per)
{
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	double t0 = bench_now_s(), c0 = bench_cpu_s();
	size_t total = 0, errors = 0;
	for (int i = 0; i < threads; i++) {
		w[i].id = i;
		w[i].deadline = t0 + secs;
		w[i].max_ops = per;
		w[i].lat = calloc(per, sizeof(double));
		if (!w[i].lat || pthread_create(&t[i], NULL, run_worker, &w[i]))
			die("thread", "cannot start");
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += w[i].n;
		errors += w[i].errors;
	}
	double el = bench_now_s() - t0, cpu = bench_cpu_s() - c0;
	double *all = malloc((total ? total : 1) * sizeof(double));
	size_t n = 0;
	for (int i = 0; i < threads; i++) {
		memcpy(all + n, w[i].lat, w[i].n * sizeof(double));
		n += w[i].n;
		free(w[i].lat);
		if (w[i].errors)
			fprintf(stderr, "  thread %d: %zu errors, first: %s\n", i, w[i].errors,
				w[i].first_err);
	}
	struct result r = { 1, (double)(total - errors) / el, bench_pct(all, n, 0.5) * 1e6,
			    bench_pct(all, n, 0.99) * 1e6, total, errors,
			    total ? cpu / (double)total * 1e6 : 0 };
	free(all);
	free(t);
	return r;
}

/* ---- one thread: raw pwrite + fdatasync and grove, interleaved ---- */

#define PAIR_BLOCK 50

static struct result summarize(double *lat, size_t n, double busy, size_t errors)
{
	struct result r = { 1, (double)n / busy, bench_pct(lat, n, 0.5) * 1e6,
			    bench_pct(lat, n, 0.99) * 1e6, n, errors, 0 };
	free(lat);
	return r;
}

/* The raw baseline and grove's one-thread case take turns, PAIR_BLOCK ops
 * each, so both see the same disk: this virtual disk's fsync latency
 * drifts by tens of percent over seconds, which one run after the other
 * would count as a difference between them. */
static void one_thread_pair(struct result *raw, struct result *g1, size_t ops, double secs)
{
	char *file = bench_path(work, "raw.dat"), *dir = bench_path(work, "g1");
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	char rec[RECORD_BYTES];
	double *rlat = calloc(ops, sizeof(double)), rbusy = 0, gbusy = 0;
	size_t rn = 0;
	grove_options go = GROVE_OPTIONS_INIT;
	struct worker w = { .sys = SYS_GROVE, .lat = calloc(ops, sizeof(double)) };

	memset(rec, 'r', sizeof rec);
	/* As a log segment: preallocated, written sequentially, one fdatasync
	 * per record. */
	if (fd < 0 || fallocate(fd, 0, 0, 64 << 20) < 0)
		die("raw file", strerror(errno));
	if (grove_init((grove_db **)&w.db, dir, schema, &go))
		die("grove_init", grove_errmsg(NULL));
	double end = bench_now_s() + 2 * secs;
	while ((rn < ops || w.n < ops) && bench_now_s() < end) {
		for (int i = 0; i < PAIR_BLOCK && rn < ops; i++) {
			double a = bench_now_s();
			if (pwrite(fd, rec, sizeof rec, (off_t)(rn * sizeof rec)) != sizeof rec ||
			    fdatasync(fd) < 0)
				die("raw write", strerror(errno));
			rbusy += (rlat[rn++] = bench_now_s() - a);
		}
		for (int i = 0; i < PAIR_BLOCK && w.n < ops; i++) {
			double a = bench_now_s();
			grove_op(&w, w.n);
			gbusy += (w.lat[w.n++] = bench_now_s() - a);
		}
	}
	close(fd);
	unlink(file);
	grove_stmt_free(w.stmt);
	grove_close(w.db);
	bench_rmtree(dir);
	free(file);
	free(dir);
	if (w.errors)
		fprintf(stderr, "  grove 1 thread: %zu errors, first: %s\n", w.errors, w.first_err);
	*raw = summarize(rlat, rn, rbusy, 0);
	*g1 = summarize(w.lat, w.n, gbusy, w.errors);
}

/* ---- grove ---- */

/* `branches` > 1: that many branches besides main, thread i writing to
 * branch i % branches (their mutations are combined per branch, and
 * serialized from the log append to the views' commit across them). */
static struct result grove_case(const char *name, int threads, int samekey, int branches,
				double secs, size_t per)
{
	static const char *const names[] = { "b0", "b1", "b2", "b3" };
	if (branches > (int)(sizeof names / sizeof names[0]))
		die("grove_case", "at most 4 branches");
	char *dir = bench_path(work, name);
	grove_options go = GROVE_OPTIONS_INIT;
	grove_db *db;
	int err = grove_init(&db, dir, schema, &go);
	if (err)
		die("grove_init", grove_errmsg(NULL));
	for (int b = 0; b < branches && branches > 1; b++)
		if (grove_branch_create(db, names[b], NULL, NULL))
			die("grove_branch_create", grove_errmsg(db));
	struct worker *w = calloc((size_t)threads, sizeof *w);
	for (int i = 0; i < threads; i++)
		w[i] = (struct worker){ .sys = SYS_GROVE, .samekey = samekey, .db = db,
					.branch = branches > 1 ? names[i % branches] : NULL };
	struct result r = run_threads(w, threads, secs, per);
	free(w);
	grove_close(db);
	bench_rmtree(dir);
	free(dir);
	return r;
}

/* ---- sqlite ---- */

#ifdef HAVE_SQLITE3
static void sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die(sql, msg ? msg : sqlite3_errmsg(db));
}

static sqlite3 *sql_open(const char *file)
{
	sqlite3 *db;
	if (sqlite3_open(file, &db) != SQLITE_OK)
		die("sqlite open", sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	sql_exec(db, "PRAGMA journal_mode=WAL");
	sql_exec(db, "PRAGMA synchronous=FULL");
	return db;
}

static struct result sqlite_case(const char *name, int threads, double secs, size_t per)
{
	char *file = bench_path(work, name);
	sqlite3 *setup = sql_open(file);
	sql_exec(setup, "CREATE TABLE person(name TEXT PRIMARY KEY, age INT)");
	struct worker *w = calloc((size_t)threads, sizeof *w);
	for (int i = 0; i < threads; i++)
		w[i] = (struct worker){ .sys = SYS_SQLITE, .db = sql_open(file) };
	struct result r = run_threads(w, threads, secs, per);
	for (int i = 0; i < threads; i++)
		sqlite3_close(w[i].db);
	free(w);
	sqlite3_close(setup);
	free(file);
	return r;
}
#else
static struct result sqlite_case(const char *name, int threads, double secs, size_t per)
{
	(void)name, (void)threads, (void)secs, (void)per;
	return (struct result){ 0, 0, 0, 0, 0, 0, 0 };
}
#endif

/* ---- output ---- */

static void row(const char *name, struct result r)
{
	if (!r.ok) {
		printf("%-30s %12s\n", name, "not available");
		return;
	}
	if (r.p50_us > 0)
		printf("%-30s %12.0f %10.1f %10.1f %8zu %8zu", name, r.ops_per_s, r.p50_us,
		       r.p99_us, r.ops, r.errors);
	else   /* no latencies taken */
		printf("%-30s %12.0f %10s %10s %8zu %8zu", name, r.ops_per_s, "-", "-", r.ops,
		       r.errors);
	if (r.cpu_us > 0)
		printf(" %10.1f", r.cpu_us);
	printf("\n");
}

static void print_loadavg(void)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	printf("load average (/proc/loadavg): %s\n", *buf ? buf : "unknown");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: mutate_bench [--quick]\n");
		return 2;
	}
	print_loadavg();
	work = bench_mkdtemp("grove-mutate-bench");
	double secs = quick ? 2.0 : 10.0;
	size_t k = quick ? 1 : 5;

	struct result raw, g1;
	one_thread_pair(&raw, &g1, 2000 * k, secs);
	struct result g8 = grove_case("g8", 8, 0, 1, secs, 1000 * k);
	struct result g64 = grove_case("g64", 64, 0, 1, secs, 300 * k);
	struct result g64b = grove_case("g64b", 64, 0, 4, secs, 300 * k);
	struct result s1 = sqlite_case("s1.db", 1, secs, 2000 * k);
	struct result s8 = sqlite_case("s8.db", 8, secs, 1000 * k);
	struct result s64 = sqlite_case("s64.db", 64, secs, 300 * k);
	struct result hot = grove_case("hot", 8, 1, 1, secs, 1000 * k);
	struct wake_floor we = wake_floor_measure(64, secs / 2, WAKE_EACH);
	struct wake_floor wb = wake_floor_measure(64, secs / 2, WAKE_BATCH);
	struct result wake_each = { we.wakes > 0, we.wakes_per_s, 0, 0, (size_t)we.wakes, 0, we.cpu_us };
	struct result wake_batch = { wb.wakes > 0, wb.wakes_per_s, 0, 0, (size_t)wb.wakes, 0, wb.cpu_us };

	printf("mutate_bench (%s), one node insert per durable mutation, dir %s\n",
	       quick ? "quick" : "full", work);
	printf("%-30s %12s %10s %10s %8s %8s %10s\n", "case", "ops/s", "p50 us", "p99 us", "ops",
	       "errors", "CPU us/op");
	row("raw pwrite+fdatasync, 1 thread", raw);
	row("grove, 1 thread", g1);
	row("grove, 8 threads", g8);
	row("grove, 64 threads", g64);
	row("grove, 64 threads, 4 branches", g64b);
	row("sqlite WAL FULL, 1 thread", s1);
	row("sqlite WAL FULL, 8 threads", s8);
	row("sqlite WAL FULL, 64 threads", s64);
	row("grove same key, 8 threads", hot);
	row("raw futex wake each, 64 thr.", wake_each);
	row("raw futex wake batch, 64 thr.", wake_batch);
	printf("result mutate.p50_ratio_1thread %.3f\n", g1.p50_us / raw.p50_us);
	printf("result mutate.ops_per_s_64 %.0f\n", g64.ops_per_s);
	if (s64.ok && s64.ops_per_s > 0)
		printf("result mutate.vs_sqlite_64 %.2f\n", g64.ops_per_s / s64.ops_per_s);
	else
		printf("result mutate.vs_sqlite_64 n/a\n");
	printf("result mutate.samekey_errors %zu\n", hot.errors);
	printf("result mutate.wake_ceiling_64 %.0f\n",
	       wb.wakes_per_s > we.wakes_per_s ? wb.wakes_per_s : we.wakes_per_s);

	bench_rmtree(work);
	free(work);
	return 0;
}
