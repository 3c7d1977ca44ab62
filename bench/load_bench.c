/*
 * load_bench — bulk load of a generated graph (issue 5): Grove against
 * SQLite and Kuzu on the same rows.
 *
 *   load_bench [--quick]
 *
 * The graph (gen.h): N Person nodes {name @key, age, city} and 2N Knows
 * edges with random endpoints; N = 1,000,000 (full) or 100,000 (--quick).
 * It is written once, deterministically, as JSONL (all.jsonl: nodes then
 * edges; nodes.jsonl and edges.jsonl: the two halves) and as CSV
 * (person.csv, knows.csv) into a fresh directory under $GROVE_BENCH_DIR
 * (default /var/tmp), which is removed at the end.
 *
 * Each system loads in a forked child that does nothing else, so that
 * wait4()'s ru_maxrss is the peak RSS of that load alone.
 *
 *  - grove: grove_init + grove_load_file(all.jsonl, overwrite), one commit
 *    (durable when it returns).  rows/s = (nodes + edges) / load seconds.
 *    Then, in a second graph, nodes.jsonl and edges.jsonl as two loads:
 *    nodes/s and edges/s.
 *  - sqlite: person(name TEXT PRIMARY KEY, age, city), knows(src, dst) with
 *    an index on src and one on dst, created before the load; the same JSONL
 *    parsed with jansson, prepared INSERTs, journal_mode=WAL,
 *    synchronous=FULL, a 1 GiB page cache.  One transaction for all.jsonl;
 *    then, in a second database, one for nodes.jsonl and one for
 *    edges.jsonl.
 *  - kuzu: bench/peers/kuzu_load.js (Kuzu 0.11.3 from npm, installed by
 *    bench/peers/setup.sh) run with popen: COPY Person / COPY Knows from
 *    the CSV files, only the COPYs timed.  Kuzu uses every core.
 *
 * $GROVE_BENCH_NODES overrides N (for smoke tests of the bench itself).
 *
 * Headline lines:
 *   result load.rows_per_s <grove rows/s, one commit>
 *   result load.vs_kuzu <grove rows/s / kuzu rows/s>         (if kuzu ran)
 *   result load.vs_sqlite_edges <grove edges/s / sqlite edges/s> (if sqlite)
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_SQLITE3
#include <sqlite3.h>
#endif

#include "gen.h"
#include "grove.h"

#ifndef GROVE_BENCH_PEERS
#define GROVE_BENCH_PEERS "bench/peers"
#endif

static char *work;    /* the bench directory */

/* One timed load; what a child sends back through its pipe. */
struct run {
	int ok;
	char err[512];
	uint64_t rows, nodes, edges;    /* loaded (checked by counting)       */
	double seconds;                  /* the timed part                     */
	double nodes_s, edges_s;         /* split runs: each half's seconds    */
	double cpu_s;                    /* CPU seconds of the timed part      */
	double nodes_cpu_s, edges_cpu_s; /* ... of each half                   */
	double init_s, close_s;          /* grove: around the load             */
	double read_end_s;               /* grove: last progress callback      */
	uint64_t disk_bytes;             /* the store's directory afterwards   */
	long maxrss_kib;                 /* filled in by the parent            */
};

__attribute__((format(printf, 2, 3)))
static void fail(struct run *r, const char *fmt, ...)
{
	va_list ap;
	r->ok = 0;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

/* Run fn(r, arg) in a child process; return its result with its peak RSS. */
static struct run in_child(void (*fn)(struct run *, const void *), const void *arg)
{
	struct run r;
	int fd[2];

	memset(&r, 0, sizeof r);
	fflush(NULL);
	if (pipe(fd) < 0) {
		perror("pipe");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		close(fd[0]);
		struct run c;
		memset(&c, 0, sizeof c);
		c.ok = 1;
		bench_oom_first();
		fn(&c, arg);
		ssize_t w = write(fd[1], &c, sizeof c);
		_exit(w == (ssize_t)sizeof c ? 0 : 1);
	}
	close(fd[1]);
	ssize_t got = read(fd[0], &r, sizeof r);
	close(fd[0]);
	struct rusage ru;
	int status;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		exit(1);
	}
	if (got != (ssize_t)sizeof r) {
		memset(&r, 0, sizeof r);
		snprintf(r.err, sizeof r.err, "child died (status %d)", status);
	}
	r.maxrss_kib = ru.ru_maxrss;
	return r;
}

/* ---- grove ---- */

struct grove_arg {
	const char *name;        /* graph directory under `work`             */
	const char *files[2];    /* loaded in order, each one commit           */
};

static double last_progress_s;

static void on_progress(void *arg, uint64_t records, uint64_t bytes)
{
	(void)arg;
	(void)records;
	(void)bytes;
	last_progress_s = bench_now_s();
}

static int grove_step(struct run *r, grove_db *db, const char *what, int err)
{
	if (err < 0) {
		char msg[400];
		snprintf(msg, sizeof msg, "%s: %s", grove_strerror(err), grove_errmsg(db));
		fail(r, "grove %s: %s", what, msg);
	}
	return err;
}

static void grove_child(struct run *r, const void *varg)
{
	const struct grove_arg *a = varg;
	char *dir = bench_path(work, a->name);
	grove_db *db = NULL;
	grove_options gopts = GROVE_OPTIONS_INIT;
	grove_load_options lo = { .mode = GROVE_LOAD_OVERWRITE, .actor = "bench",
				  .progress = on_progress };
	grove_load_result res;
	grove_target t = { "main", NULL };
	double halves[2] = { 0, 0 }, cpu[2] = { 0, 0 };

	double t0 = bench_now_s();
	if (grove_step(r, NULL, "init", grove_init(&db, dir, gen_schema, &gopts)) < 0)
		goto out;
	double t1 = bench_now_s();
	r->init_s = t1 - t0;
	for (int i = 0; i < 2 && a->files[i]; i++) {
		char *file = bench_path(work, a->files[i]);
		double s = bench_now_s(), c = bench_cpu_s();
		last_progress_s = s;
		int err = grove_load_file(&res, db, &lo, file);
		halves[i] = bench_now_s() - s;
		cpu[i] = bench_cpu_s() - c;
		free(file);
		if (grove_step(r, db, "load", err) < 0)
			goto out;
		r->read_end_s = last_progress_s - s;
	}
	double t2 = bench_now_s();
	r->seconds = t2 - t1;
	r->nodes_s = halves[0];
	r->edges_s = halves[1];
	r->cpu_s = cpu[0] + cpu[1];
	r->nodes_cpu_s = cpu[0];
	r->edges_cpu_s = cpu[1];
	if (grove_step(r, db, "count", grove_count(&r->nodes, db, &t, "node:Person")) < 0 ||
	    grove_step(r, db, "count", grove_count(&r->edges, db, &t, "edge:Knows")) < 0)
		goto out;
	r->rows = r->nodes + r->edges;
	double t3 = bench_now_s();
	grove_close(db);
	db = NULL;
	r->close_s = bench_now_s() - t3;
	r->disk_bytes = bench_du(dir);
out:
	grove_close(db);
	free(dir);
}

/* ---- sqlite ---- */

struct sqlite_arg {
	const char *name;
	const char *files[2];    /* one transaction each */
};

#ifdef HAVE_SQLITE3
static int sql_exec(struct run *r, sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fail(r, "sqlite %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static const char *obj_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Insert the records of a JSONL file with the prepared statements. */
static int sql_load_file(struct run *r, sqlite3 *db, sqlite3_stmt *person, sqlite3_stmt *knows,
			 const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = -1;

	if (!f) {
		fail(r, "sqlite: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		json_error_t je;
		json_t *rec = json_loadb(line, (size_t)len, 0, &je);
		sqlite3_stmt *st;
		if (!rec) {
			fail(r, "sqlite: bad JSON in %s: %s", path, je.text);
			goto out;
		}
		if (obj_str(rec, "type")) {
			const json_t *d = json_object_get(rec, "data");
			st = person;
			sqlite3_bind_text(st, 1, obj_str(d, "name"), -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, json_integer_value(json_object_get(d, "age")));
			sqlite3_bind_text(st, 3, obj_str(d, "city"), -1, SQLITE_STATIC);
			r->nodes++;
		} else {
			st = knows;
			sqlite3_bind_text(st, 1, obj_str(rec, "from"), -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, obj_str(rec, "to"), -1, SQLITE_STATIC);
			r->edges++;
		}
		int s = sqlite3_step(st);
		sqlite3_reset(st);
		json_decref(rec);
		if (s != SQLITE_DONE) {
			fail(r, "sqlite insert from %s: %s", path, sqlite3_errmsg(db));
			goto out;
		}
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

static void sqlite_child(struct run *r, const void *varg)
{
	const struct sqlite_arg *a = varg;
	char *file = bench_path(work, a->name);
	sqlite3 *db = NULL;
	sqlite3_stmt *person = NULL, *knows = NULL;
	double halves[2] = { 0, 0 }, cpu[2] = { 0, 0 };

	if (sqlite3_open(file, &db) != SQLITE_OK) {
		fail(r, "sqlite open %s: %s", file, sqlite3_errmsg(db));
		goto out;
	}
	if (sql_exec(r, db, "PRAGMA journal_mode=WAL") < 0 ||
	    sql_exec(r, db, "PRAGMA synchronous=FULL") < 0 ||
	    sql_exec(r, db, "PRAGMA cache_size=-1048576") < 0 ||
	    sql_exec(r, db, "CREATE TABLE person(name TEXT PRIMARY KEY, age INTEGER, city TEXT)") < 0 ||
	    sql_exec(r, db, "CREATE TABLE knows(src TEXT, dst TEXT)") < 0 ||
	    sql_exec(r, db, "CREATE INDEX knows_src ON knows(src)") < 0 ||
	    sql_exec(r, db, "CREATE INDEX knows_dst ON knows(dst)") < 0)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO person VALUES (?1, ?2, ?3)", -1, &person, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO knows VALUES (?1, ?2)", -1, &knows, NULL)) {
		fail(r, "sqlite prepare: %s", sqlite3_errmsg(db));
		goto out;
	}
	double t0 = bench_now_s();
	for (int i = 0; i < 2 && a->files[i]; i++) {
		char *path = bench_path(work, a->files[i]);
		double s = bench_now_s(), c = bench_cpu_s();
		int err = sql_exec(r, db, "BEGIN");
		if (!err)
			err = sql_load_file(r, db, person, knows, path);
		if (!err)
			err = sql_exec(r, db, "COMMIT");
		halves[i] = bench_now_s() - s;
		cpu[i] = bench_cpu_s() - c;
		free(path);
		if (err)
			goto out;
	}
	r->seconds = bench_now_s() - t0;
	r->nodes_s = halves[0];
	r->edges_s = halves[1];
	r->cpu_s = cpu[0] + cpu[1];
	r->nodes_cpu_s = cpu[0];
	r->edges_cpu_s = cpu[1];
	r->rows = r->nodes + r->edges;
	sqlite3_finalize(person);
	sqlite3_finalize(knows);
	person = knows = NULL;
	sqlite3_close(db);
	db = NULL;
	r->disk_bytes = 0;
	for (const char *const *sfx = (const char *const[]){ "", "-wal", "-shm", NULL }; *sfx; sfx++) {
		char p[4200];
		struct stat st;
		snprintf(p, sizeof p, "%s%s", file, *sfx);
		if (stat(p, &st) == 0)
			r->disk_bytes += (uint64_t)st.st_blocks * 512u;
	}
out:
	sqlite3_finalize(person);
	sqlite3_finalize(knows);
	sqlite3_close(db);
	free(file);
}
#endif

/* ---- kuzu ---- */

struct kuzu_result {
	int ok;
	char why[512];
	char version[32];
	double person_s, knows_s;
	double person_cpu_s, knows_cpu_s;
	uint64_t nodes, edges;
	long maxrss_kib;
	int threads;
};

static void kuzu_run(struct kuzu_result *k)
{
	const char *peers = getenv("GROVE_BENCH_PEERS");
	const char *node = getenv("GROVE_NODE");
	char cmd[8192], line[4096], last[4096] = "";

	memset(k, 0, sizeof *k);
	if (!peers || !*peers)
		peers = GROVE_BENCH_PEERS;
	if (!node || !*node)
		node = "node";
	snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", node);
	if (system(cmd) != 0) {
		snprintf(k->why, sizeof k->why, "%s (Node.js) not found", node);
		return;
	}
	snprintf(cmd, sizeof cmd, "'%s' '%s/kuzu_load.js' '%s' '%s/person.csv' '%s/knows.csv' 2>&1",
		 node, peers, work, work, work);
	fflush(NULL);
	FILE *p = popen(cmd, "r");
	if (!p) {
		snprintf(k->why, sizeof k->why, "popen: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof line, p))
		if (line[0] == '{')
			memcpy(last, line, sizeof last);
	int status = pclose(p);
	json_error_t je;
	json_t *o = json_loads(last, 0, &je);
	if (!o) {
		snprintf(k->why, sizeof k->why, "kuzu_load.js printed no result (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return;
	}
	if (!json_is_true(json_object_get(o, "ok"))) {
		const char *e = json_string_value(json_object_get(o, "error"));
		snprintf(k->why, sizeof k->why, "%s", e ? e : "unknown error");
	} else {
		k->ok = 1;
		snprintf(k->version, sizeof k->version, "%s",
			 json_string_value(json_object_get(o, "version")) ?: "?");
		k->person_s = json_number_value(json_object_get(o, "person_s"));
		k->knows_s = json_number_value(json_object_get(o, "knows_s"));
		k->person_cpu_s = json_number_value(json_object_get(o, "person_cpu_s"));
		k->knows_cpu_s = json_number_value(json_object_get(o, "knows_cpu_s"));
		k->nodes = (uint64_t)json_integer_value(json_object_get(o, "nodes"));
		k->edges = (uint64_t)json_integer_value(json_object_get(o, "edges"));
		k->maxrss_kib = (long)json_integer_value(json_object_get(o, "max_rss_kib"));
		k->threads = (int)json_integer_value(json_object_get(o, "threads"));
	}
	json_decref(o);
}

/* ---- report ---- */

static void row(const char *name, uint64_t rows, double s, double cpu_s, long rss_kib,
		uint64_t disk)
{
	printf("%-34s %10" PRIu64 " %9.2f %9.2f %12.0f", name, rows, s, cpu_s,
	       s > 0 ? (double)rows / s : 0);
	if (rss_kib > 0)
		printf(" %9.0f", (double)rss_kib / 1024);
	else
		printf(" %9s", "-");
	if (disk)
		printf(" %9.0f\n", (double)disk / (1 << 20));
	else
		printf(" %9s\n", "-");
}

static void check(const char *who, const struct run *r, uint64_t nodes, uint64_t edges)
{
	if (r->ok && (r->nodes != nodes || r->edges != edges))
		printf("WARNING: %s holds %" PRIu64 " nodes and %" PRIu64 " edges, expected %" PRIu64
		       " and %" PRIu64 "\n", who, r->nodes, r->edges, nodes, edges);
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: load_bench [--quick]\n");
		return 2;
	}
	uint64_t n = quick ? 100000 : 1000000, e;
	const char *nodes_env = getenv("GROVE_BENCH_NODES");   /* smoke tests */
	if (nodes_env && *nodes_env)
		n = strtoull(nodes_env, NULL, 10);
	e = 2 * n;
	struct gen_stats g;
	double load_before = bench_load1();

	work = bench_mkdtemp("grove-load-bench");
	gen_write(&g, work, n, e, GEN_SEED,
		  GEN_ALL_JSONL | GEN_NODES_JSONL | GEN_EDGES_JSONL | GEN_CSV);
	/* The generated files (650 MB at full size) on disk before anything is
	 * timed: else their writeback competes with the first runs, Grove's,
	 * and not with the peers' after them. */
	sync();

	const struct grove_arg ga = { "grove-all", { "all.jsonl", NULL } };
	const struct grove_arg gs = { "grove-split", { "nodes.jsonl", "edges.jsonl" } };
	struct run g_all = in_child(grove_child, &ga);
	if (!g_all.ok)
		fprintf(stderr, "load_bench: %s\n", g_all.err);
	struct run g_split = in_child(grove_child, &gs);
	if (!g_split.ok)
		fprintf(stderr, "load_bench: %s\n", g_split.err);
	/* Free the disk the graphs took before the peers run. */
	for (const char *const *d = (const char *const[]){ ga.name, gs.name, NULL }; *d; d++) {
		char *p = bench_path(work, *d);
		bench_rmtree(p);
		free(p);
	}

	struct run s_all = { 0 }, s_split = { 0 };
	const char *sqlite_why = NULL;
#ifdef HAVE_SQLITE3
	const struct sqlite_arg sa = { "sqlite-all.db", { "all.jsonl", NULL } };
	const struct sqlite_arg ss = { "sqlite-split.db", { "nodes.jsonl", "edges.jsonl" } };
	s_all = in_child(sqlite_child, &sa);
	if (!s_all.ok)
		fprintf(stderr, "load_bench: %s\n", s_all.err);
	s_split = in_child(sqlite_child, &ss);
	if (!s_split.ok)
		fprintf(stderr, "load_bench: %s\n", s_split.err);
#else
	sqlite_why = "built without libsqlite3-dev";
#endif

	struct kuzu_result k;
	kuzu_run(&k);
	double load_after = bench_load1();

	printf("load_bench (%s): %" PRIu64 " nodes, %" PRIu64 " edges, all.jsonl %.1f MiB "
	       "(generated in %.1f s), dir %s\n", quick ? "quick" : "full", g.nodes, g.edges,
	       (double)g.all_bytes / (1 << 20), g.seconds, work);
	printf("load average %.2f before, %.2f after\n", load_before, load_after);
	printf("%-34s %10s %9s %9s %12s %9s %9s\n", "case", "rows", "seconds", "CPU s", "rows/s",
	       "RSS MiB", "disk MiB");
	if (g_all.ok) {
		row("grove load, one commit", g_all.rows, g_all.seconds, g_all.cpu_s, g_all.maxrss_kib,
		    g_all.disk_bytes);
		check("grove", &g_all, n, e);
	}
	if (g_split.ok) {
		row("grove load nodes.jsonl", g_split.nodes, g_split.nodes_s, g_split.nodes_cpu_s,
		    g_split.maxrss_kib, g_split.disk_bytes);
		row("grove load edges.jsonl", g_split.edges, g_split.edges_s, g_split.edges_cpu_s, 0, 0);
		check("grove (split)", &g_split, n, e);
	}
	if (s_all.ok) {
		row("sqlite, one transaction", s_all.rows, s_all.seconds, s_all.cpu_s, s_all.maxrss_kib,
		    s_all.disk_bytes);
		check("sqlite", &s_all, n, e);
	}
	if (s_split.ok) {
		row("sqlite nodes.jsonl", s_split.nodes, s_split.nodes_s, s_split.nodes_cpu_s,
		    s_split.maxrss_kib, s_split.disk_bytes);
		row("sqlite edges.jsonl", s_split.edges, s_split.edges_s, s_split.edges_cpu_s, 0, 0);
		check("sqlite (split)", &s_split, n, e);
	}
	if (k.ok) {
		char name[64];
		snprintf(name, sizeof name, "kuzu %s COPY, %d threads", k.version, k.threads);
		row(name, k.nodes + k.edges, k.person_s + k.knows_s, k.person_cpu_s + k.knows_cpu_s,
		    k.maxrss_kib, 0);
		row("kuzu COPY Person", k.nodes, k.person_s, k.person_cpu_s, 0, 0);
		row("kuzu COPY Knows", k.edges, k.knows_s, k.knows_cpu_s, 0, 0);
		if (k.nodes != n || k.edges != e)
			printf("WARNING: kuzu holds %" PRIu64 " nodes and %" PRIu64 " edges\n", k.nodes,
			       k.edges);
	}
	if (g_all.ok)
		printf("grove one commit: init %.3f s, load %.3f s (last progress at %.3f s), "
		       "close %.3f s\n", g_all.init_s, g_all.seconds, g_all.read_end_s,
		       g_all.close_s);
	if (sqlite_why || !s_all.ok || !s_split.ok)
		printf("sqlite: not available (%s)\n", sqlite_why ? sqlite_why : s_all.ok ? s_split.err : s_all.err);
	if (!k.ok)
		printf("kuzu: not available (%s)\n", k.why);

	double grove_rows = g_all.ok ? (double)g_all.rows / g_all.seconds : 0;
	double grove_edges = g_split.ok ? (double)g_split.edges / g_split.edges_s : 0;
	if (g_all.ok) {
		printf("result load.rows_per_s %.0f\n", grove_rows);
		printf("result load.peak_rss_mib %.0f\n", (double)g_all.maxrss_kib / 1024);
	}
	if (g_split.ok) {
		printf("result load.nodes_per_s %.0f\n", (double)g_split.nodes / g_split.nodes_s);
		printf("result load.edges_per_s %.0f\n", grove_edges);
	}
	if (g_all.ok && k.ok)
		printf("result load.vs_kuzu %.3f\n",
		       grove_rows / ((double)(k.nodes + k.edges) / (k.person_s + k.knows_s)));
	if (g_split.ok && s_split.ok)
		printf("result load.vs_sqlite_edges %.3f\n",
		       grove_edges / ((double)s_split.edges / s_split.edges_s));
	if (s_all.ok)
		printf("result load.sqlite_rows_per_s %.0f\n", (double)s_all.rows / s_all.seconds);

	bench_rmtree(work);
	free(work);
	return g_all.ok && g_split.ok ? 0 : 1;
}
