/*
 * query_bench — read-query latency (issue 6): Grove against SQLite and Kuzu
 * on the same graph, the same queries and the same parameters.
 *
 *   query_bench [--quick]
 *
 * The graph is load_bench's (gen.h): N Person nodes {name @key, age, city}
 * and 2N Knows edges with random endpoints; N = 1,000,000 (full) or
 * 100,000 (--quick); $GROVE_BENCH_NODES overrides N (smoke tests).  It is
 * generated into a fresh directory under $GROVE_BENCH_DIR (default
 * /var/tmp), removed at the end.
 *
 * The queries (each: a warm-up of W untimed runs, repeated for Grove and
 * SQLite until at least WARM_S seconds have passed, then I timed runs,
 * every run with its own parameters drawn from a seeded PRNG, identical
 * for the three systems):
 *   lookup   a Person by key, return its age
 *   1hop     the distinct people a Person knows, their names
 *   twohop   count of (f, g) with p knows f, f knows g (Grove's set
 *            semantics: distinct f per p, distinct g per f)
 *   scan     people with age > A in city C, limit 100 (no index: a scan)
 *   groupby  count of people per city (a full scan)
 *
 *  - grove: grove_init + grove_load_file(all.jsonl), then, like SQLite,
 *    one grove_prepare() per query and per run its parameters bound by
 *    type and grove_stmt_query(), every row fetched.  "grove-t" runs the
 *    same plan through the text API, grove_query() with the parameters as
 *    JSON per run (the compiled query comes from the handle's cache).
 *  - sqlite: person(name TEXT PRIMARY KEY, age, city), knows(src, dst) with
 *    indexes on src and on dst, loaded from the CSV files (not timed);
 *    prepared statements, a 1 GiB page cache, every row stepped.
 *  - kuzu: bench/peers/kuzu_query.js (Kuzu from npm, bench/peers/setup.sh)
 *    loads the CSVs into a temporary database and runs the same plan with
 *    prepared Cypher statements, synchronously; it writes its timings to a
 *    JSON file this program reads.  Kuzu uses every core.
 *
 * Each system's results are summed into a checksum (row counts; the count
 * for twohop); a difference is printed as a WARNING.
 *
 * Headline lines:
 *   result query.<name>_p50_us <grove p50, µs>     for each query
 *   result query.twohop_vs_sqlite, query.twohop_vs_kuzu <grove twohop p50 /
 *          the peer's twohop p50> (target vs SQLite <= 0.3)
 *   result query.<name>_vs_sqlite, query.<name>_vs_kuzu <ratios of p50>
 *   result query.<name>_text_vs_sqlite <grove-t p50 / SQLite p50>
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

enum { P_NAME, P_AGE_CITY, P_NONE };
enum { SYS_GROVE, SYS_SQLITE, SYS_KUZU, NSYS };

struct query {
	const char *name;
	int kind;                   /* P_*                                    */
	int first;                  /* checksum: the first cell, not the rows */
	int iters_quick, iters_full;
	const char *gq, *sql, *cypher;
};

static const struct query queries[] = {
	{ "lookup", P_NAME, 0, 2000, 5000,
	  "query q($n: String) { match { $p: Person { name: $n } } return { $p.age } }",
	  "SELECT age FROM person WHERE name = ?1",
	  "MATCH (p:Person {name: $n}) RETURN p.age" },
	{ "1hop", P_NAME, 0, 2000, 5000,
	  "query q($n: String) { match { $p: Person { name: $n } $p knows $f } return { $f.name } }",
	  "SELECT DISTINCT f.name FROM knows k JOIN person f ON f.name = k.dst WHERE k.src = ?1",
	  "MATCH (p:Person {name: $n})-[:Knows]->(f:Person) RETURN DISTINCT f.name" },
	{ "twohop", P_NAME, 1, 1000, 2000,
	  "query q($n: String) { match { $p: Person { name: $n } $p knows $f $f knows $g }"
	  " return { count($g) as n } }",
	  "SELECT count(*) FROM (SELECT DISTINCT k1.dst, k2.dst FROM knows k1"
	  " JOIN knows k2 ON k2.src = k1.dst WHERE k1.src = ?1)",
	  "MATCH (p:Person {name: $n})-[:Knows]->(f:Person)-[:Knows]->(g:Person)"
	  " WITH DISTINCT f, g RETURN count(*)" },
	{ "scan", P_AGE_CITY, 0, 300, 300,
	  "query q($a: I32, $c: String) { match { $p: Person $p.age > $a $p.city = $c }"
	  " return { $p.name, $p.age } limit 100 }",
	  "SELECT name, age FROM person WHERE age > ?1 AND city = ?2 LIMIT 100",
	  "MATCH (p:Person) WHERE p.age > $a AND p.city = $c RETURN p.name, p.age LIMIT 100" },
	{ "groupby", P_NONE, 0, 10, 10,
	  "query q() { match { $p: Person } return { $p.city, count($p) as n } }",
	  "SELECT city, count(*) FROM person GROUP BY city",
	  "MATCH (p:Person) RETURN p.city, count(*)" },
};
#define NQ (sizeof queries / sizeof queries[0])

/* Cities the generator uses (gen.c), for the scan's parameter. */
static const char *const scan_cities[] = { "Oslo", "Paris", "Tokyo", "Lima", "Cairo",
					   "Seoul", "Rome", "Zurich" };

struct param {
	char name[GEN_NAME_BYTES];
	int age;
	const char *city;
};

/* The plan: per query, warm-up + timed parameter sets. */
struct plan {
	int warmup[NQ], iters[NQ];
	struct param *p[NQ];
};

/* Warm-up of a query: the plan's warm-up runs, cycled until at least
 * WARM_S seconds have passed, so that the timed runs measure each
 * system's steady state whatever its caches take to fill (Grove copies a
 * walked adjacency range into memory on a thread of its own: ~0.1-0.3 s
 * at full size, bench/RESULTS.md). */
#define WARM_S 0.5

struct runs {
	const struct plan *pl;
	size_t q;
	int i;          /* warm-up runs so far */
	int t;          /* the timed run's index; -1 while warming up */
	double w0;
};

static struct runs runs_start(const struct plan *pl, size_t q)
{
	return (struct runs){ pl, q, 0, -1, bench_now_s() };
}

/* The next run's parameters (1), or 0 when every timed run is done. */
static int runs_next(struct runs *r, const struct param **p)
{
	int w = r->pl->warmup[r->q];
	if (r->t < 0 && (r->i < w || bench_now_s() - r->w0 < WARM_S)) {
		*p = &r->pl->p[r->q][r->i++ % w];
		return 1;
	}
	if (++r->t >= r->pl->iters[r->q])
		return 0;
	*p = &r->pl->p[r->q][w + r->t];
	return 1;
}

/* What one system measured for one query. */
struct stat {
	int ok;
	double p50_us, p99_us, wall_s, cpu_s;
	uint64_t checksum;
	double visited;          /* grove: mean rows visited per run */
};

struct kuzu_info {
	int ok;
	char why[512], version[32];
	int threads;
	double load_s;
};

static char *work;

static _Noreturn void die(const char *what, const char *msg)
{
	fprintf(stderr, "query_bench: %s: %s\n", what, msg);
	exit(1);
}

static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 11;
}

static void make_plan(struct plan *pl, int quick, uint64_t n)
{
	uint64_t x = 0x853c49e6748fea9bull;
	for (size_t q = 0; q < NQ; q++) {
		int it = quick ? queries[q].iters_quick : queries[q].iters_full;
		pl->iters[q] = it;
		pl->warmup[q] = it / 10 > 2 ? it / 10 : 2;
		int total = pl->warmup[q] + it;
		pl->p[q] = calloc((size_t)total, sizeof *pl->p[q]);
		if (!pl->p[q])
			die("plan", "out of memory");
		for (int i = 0; i < total; i++) {
			struct param *p = &pl->p[q][i];
			gen_name(p->name, lcg(&x) % n, GEN_SEED);
			p->age = 50 + (int)(lcg(&x) % 40);
			p->city = scan_cities[lcg(&x) % (sizeof scan_cities / sizeof scan_cities[0])];
		}
	}
}

static json_t *param_json(int kind, const struct param *p)
{
	if (kind == P_NAME)
		return json_pack("{s:s}", "n", p->name);
	if (kind == P_AGE_CITY)
		return json_pack("{s:i,s:s}", "a", p->age, "c", p->city);
	return json_object();
}

/* The plan as kuzu_query.js reads it. */
static void write_plan(const struct plan *pl, const char *path)
{
	json_t *qs = json_array();
	for (size_t q = 0; q < NQ; q++) {
		json_t *ps = json_array();
		for (int i = 0; i < pl->warmup[q] + pl->iters[q]; i++)
			json_array_append_new(ps, param_json(queries[q].kind, &pl->p[q][i]));
		json_array_append_new(qs, json_pack("{s:s,s:s,s:i,s:s,s:o}", "name", queries[q].name,
						    "cypher", queries[q].cypher, "warmup",
						    pl->warmup[q], "result",
						    queries[q].first ? "first" : "rows", "params", ps));
	}
	json_t *root = json_pack("{s:o}", "queries", qs);
	if (json_dump_file(root, path, JSON_COMPACT) != 0)
		die("write plan", path);
	json_decref(root);
}

static void summarize(struct stat *s, double *us, int n, double wall, double cpu)
{
	s->ok = 1;
	s->wall_s = wall;
	s->cpu_s = cpu;
	s->p50_us = bench_pct(us, (size_t)n, 0.5);
	s->p99_us = bench_pct(us, (size_t)n, 0.99);
}

/* ---- grove ---- */

static void gcheck(grove_db *db, const char *what, int err)
{
	if (err < 0) {
		char msg[1024];
		snprintf(msg, sizeof msg, "%s: %s", grove_strerror(err), grove_errmsg(db));
		die(what, msg);
	}
}

static uint64_t grove_checksum(const grove_result *r, int first)
{
	int64_t v = 0;
	if (!first)
		return grove_result_nrows(r);
	if (grove_result_nrows(r) > 0 && grove_result_int(&v, r, 0, 0) < 0)
		die("grove", "the count is not an integer");
	return (uint64_t)v;
}

/* Bind a run's parameters to a prepared query (as SQLite binds its own). */
static void grove_bind(grove_db *db, grove_stmt *st, int kind, const struct param *p)
{
	if (kind == P_NAME)
		gcheck(db, "bind", grove_bind_text(st, "n", p->name, strlen(p->name)));
	if (kind == P_AGE_CITY) {
		gcheck(db, "bind", grove_bind_int(st, "a", p->age));
		gcheck(db, "bind", grove_bind_text(st, "c", p->city, strlen(p->city)));
	}
}

/* `prepared`: one grove_prepare, then bind and grove_stmt_query per run;
 * else grove_query() with the text and the parameters as JSON per run. */
static void grove_time_query(struct stat *s, grove_db *db, const struct plan *pl, size_t q,
			     int prepared)
{
	const grove_target t = { "main", NULL };
	double *us = malloc((size_t)pl->iters[q] * sizeof *us), wall = 0;
	double c0 = 0, visited = 0;
	grove_stmt *st = NULL;

	if (prepared)
		gcheck(db, queries[q].name, grove_prepare(&st, db, queries[q].gq, "q"));
	struct runs rn = runs_start(pl, q);
	const struct param *pp;
	while (runs_next(&rn, &pp)) {
		json_t *pj = param_json(queries[q].kind, pp);
		char *params = json_dumps(pj, JSON_COMPACT);
		grove_result *r = NULL;
		if (rn.t == 0)
			c0 = bench_cpu_s();
		double t0 = bench_now_s();
		if (prepared) {
			grove_bind(db, st, queries[q].kind, pp);
			gcheck(db, queries[q].name, grove_stmt_query(&r, st, &t));
		} else {
			gcheck(db, queries[q].name, grove_query(&r, db, &t, queries[q].gq, "q", params));
		}
		uint64_t sum = grove_checksum(r, queries[q].first);
		double dt = bench_now_s() - t0;
		if (rn.t >= 0) {
			us[rn.t] = dt * 1e6;
			wall += dt;
			s->checksum += sum;
			visited += (double)grove_result_rows_visited(r);
		}
		grove_result_free(r);
		free(params);
		json_decref(pj);
	}
	double cpu = bench_cpu_s() - c0;
	summarize(s, us, pl->iters[q], wall, cpu);
	s->visited = visited / pl->iters[q];
	grove_stmt_free(st);
	free(us);
}

static double grove_run(struct stat *st, struct stat *st_text, const struct plan *pl)
{
	char *dir = bench_path(work, "grove"), *file = bench_path(work, "all.jsonl");
	grove_options go = GROVE_OPTIONS_INIT;
	grove_load_options lo = { .mode = GROVE_LOAD_OVERWRITE, .actor = "bench" };
	grove_load_result res;
	grove_db *db;

	gcheck(NULL, "init", grove_init(&db, dir, gen_schema, &go));
	double t0 = bench_now_s();
	gcheck(db, "load", grove_load_file(&res, db, &lo, file));
	double load_s = bench_now_s() - t0;
	sync();   /* let the views' writeback finish before timing reads */
	for (size_t q = 0; q < NQ; q++) {
		grove_time_query(&st[q], db, pl, q, 1);
		grove_time_query(&st_text[q], db, pl, q, 0);
	}
	grove_close(db);
	bench_rmtree(dir);
	free(dir);
	free(file);
	return load_s;
}

/* ---- sqlite ---- */

#ifdef HAVE_SQLITE3
static void sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die(sql, msg ? msg : sqlite3_errmsg(db));
}

static sqlite3_stmt *sql_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql, sqlite3_errmsg(db));
	return st;
}

/* Insert the rows of a CSV file (a header, then plain comma-separated
 * fields: the generator writes no quotes) with `st` of `nf` columns; the
 * column `int_col` (or -1) is bound as an integer. */
static void sql_load_csv(sqlite3 *db, sqlite3_stmt *st, const char *name, int nf, int int_col)
{
	char *path = bench_path(work, name), *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "r");

	if (!f)
		die(path, strerror(errno));
	if (getline(&line, &cap, f) < 0)   /* the header */
		die(path, "empty");
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		char *s = line;
		for (int c = 0; c < nf; c++) {
			char *comma = c + 1 < nf ? strchr(s, ',') : NULL;
			if (comma)
				*comma = '\0';
			if (c == int_col)
				sqlite3_bind_int64(st, c + 1, strtoll(s, NULL, 10));
			else
				sqlite3_bind_text(st, c + 1, s, -1, SQLITE_TRANSIENT);
			s = comma ? comma + 1 : s + strlen(s);
		}
		if (sqlite3_step(st) != SQLITE_DONE)
			die("sqlite insert", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	free(line);
	fclose(f);
	free(path);
}

static sqlite3 *sql_load(double *load_s)
{
	char *file = bench_path(work, "query.db");
	sqlite3 *db = NULL;

	if (sqlite3_open(file, &db) != SQLITE_OK)
		die("sqlite open", sqlite3_errmsg(db));
	free(file);
	double t0 = bench_now_s();
	sql_exec(db, "PRAGMA journal_mode=OFF");
	sql_exec(db, "PRAGMA synchronous=OFF");
	sql_exec(db, "PRAGMA cache_size=-1048576");
	sql_exec(db, "CREATE TABLE person(name TEXT PRIMARY KEY, age INTEGER, city TEXT)");
	sql_exec(db, "CREATE TABLE knows(src TEXT, dst TEXT)");
	sql_exec(db, "BEGIN");
	sqlite3_stmt *person = sql_prepare(db, "INSERT INTO person VALUES (?1, ?2, ?3)");
	sqlite3_stmt *knows = sql_prepare(db, "INSERT INTO knows VALUES (?1, ?2)");
	sql_load_csv(db, person, "person.csv", 3, 1);
	sql_load_csv(db, knows, "knows.csv", 2, -1);
	sqlite3_finalize(person);
	sqlite3_finalize(knows);
	sql_exec(db, "CREATE INDEX knows_src ON knows(src)");
	sql_exec(db, "CREATE INDEX knows_dst ON knows(dst)");
	sql_exec(db, "COMMIT");
	sql_exec(db, "ANALYZE");
	*load_s = bench_now_s() - t0;
	return db;
}

static void sql_bind(sqlite3_stmt *st, int kind, const struct param *p)
{
	if (kind == P_NAME) {
		sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	} else if (kind == P_AGE_CITY) {
		sqlite3_bind_int(st, 1, p->age);
		sqlite3_bind_text(st, 2, p->city, -1, SQLITE_STATIC);
	}
}

static void sql_time_query(struct stat *s, sqlite3 *db, const struct plan *pl, size_t q)
{
	sqlite3_stmt *st = sql_prepare(db, queries[q].sql);
	double *us = malloc((size_t)pl->iters[q] * sizeof *us), wall = 0, c0 = 0;

	struct runs rn = runs_start(pl, q);
	const struct param *pp;
	while (runs_next(&rn, &pp)) {
		uint64_t sum = 0;
		int rc;
		if (rn.t == 0)
			c0 = bench_cpu_s();
		double t0 = bench_now_s();
		sql_bind(st, queries[q].kind, pp);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			sum += queries[q].first ? (uint64_t)sqlite3_column_int64(st, 0) : 1;
		if (rc != SQLITE_DONE)
			die(queries[q].name, sqlite3_errmsg(db));
		sqlite3_reset(st);
		double dt = bench_now_s() - t0;
		if (rn.t >= 0) {
			us[rn.t] = dt * 1e6;
			wall += dt;
			s->checksum += sum;
		}
	}
	summarize(s, us, pl->iters[q], wall, bench_cpu_s() - c0);
	sqlite3_finalize(st);
	free(us);
}

static double sqlite_run(struct stat *st, const struct plan *pl)
{
	double load_s;
	sqlite3 *db = sql_load(&load_s);
	for (size_t q = 0; q < NQ; q++)
		sql_time_query(&st[q], db, pl, q);
	sqlite3_close(db);
	char *file = bench_path(work, "query.db");
	remove(file);
	free(file);
	return load_s;
}
#endif

/* ---- kuzu ---- */

static int kuzu_available(struct kuzu_info *k, const char *node)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", node);
	if (system(cmd) != 0) {
		snprintf(k->why, sizeof k->why, "%s (Node.js) not found", node);
		return 0;
	}
	return 1;
}

static void kuzu_read(struct kuzu_info *k, struct stat *st, const json_t *o)
{
	k->ok = 1;
	snprintf(k->version, sizeof k->version, "%s",
		 json_string_value(json_object_get(o, "version")) ?: "?");
	k->threads = (int)json_integer_value(json_object_get(o, "threads"));
	k->load_s = json_number_value(json_object_get(o, "load_s"));
	const json_t *qs = json_object_get(o, "queries");
	for (size_t q = 0; q < NQ; q++) {
		const json_t *r = json_object_get(qs, queries[q].name);
		const json_t *a = json_object_get(r, "us");
		size_t n = json_array_size(a);
		if (!n)
			continue;
		double *us = malloc(n * sizeof *us);
		for (size_t i = 0; i < n; i++)
			us[i] = json_number_value(json_array_get(a, i));
		summarize(&st[q], us, (int)n, json_number_value(json_object_get(r, "wall_s")),
			  json_number_value(json_object_get(r, "cpu_s")));
		st[q].checksum = (uint64_t)json_number_value(json_object_get(r, "checksum"));
		free(us);
	}
}

static void kuzu_run(struct kuzu_info *k, struct stat *st)
{
	const char *peers = getenv("GROVE_BENCH_PEERS");
	const char *node = getenv("GROVE_NODE");
	char cmd[16384], line[4096];

	memset(k, 0, sizeof *k);
	if (!peers || !*peers)
		peers = GROVE_BENCH_PEERS;
	if (!node || !*node)
		node = "node";
	if (!kuzu_available(k, node))
		return;
	char *out = bench_path(work, "kuzu-out.json");
	snprintf(cmd, sizeof cmd, "'%s' '%s/kuzu_query.js' '%s' '%s/person.csv' '%s/knows.csv' "
		 "'%s/plan.json' '%s' 2>&1", node, peers, work, work, work, work, out);
	fflush(NULL);
	FILE *p = popen(cmd, "r");
	if (!p)
		die("popen", strerror(errno));
	while (fgets(line, sizeof line, p))
		;
	int status = pclose(p);
	json_error_t je;
	json_t *o = json_load_file(out, 0, &je);
	if (!o)
		snprintf(k->why, sizeof k->why, "kuzu_query.js wrote no result (exit status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	else if (!json_is_true(json_object_get(o, "ok")))
		snprintf(k->why, sizeof k->why, "%s",
			 json_string_value(json_object_get(o, "error")) ?: "unknown error");
	else
		kuzu_read(k, st, o);
	json_decref(o);
	free(out);
}

/* ---- report ---- */

static const char *const sys_names[NSYS] = { "grove", "sqlite", "kuzu" };

static void print_table(struct stat st[NSYS][NQ], const struct stat *st_text, const struct plan *pl)
{
	printf("%-8s %-7s %6s %10s %10s %8s %8s %12s\n", "query", "system", "runs", "p50 us",
	       "p99 us", "wall s", "CPU s", "checksum");
	for (size_t q = 0; q < NQ; q++)
		for (int s = 0; s < NSYS; s++) {
			const struct stat *x = &st[s][q];
			if (!x->ok)
				continue;
			printf("%-8s %-7s %6d %10.1f %10.1f %8.3f %8.3f %12" PRIu64 "\n",
			       s == 0 ? queries[q].name : "", sys_names[s], pl->iters[q], x->p50_us,
			       x->p99_us, x->wall_s, x->cpu_s, x->checksum);
			if (s == 0 && st_text[q].ok)
				printf("%-8s %-7s %6d %10.1f %10.1f %8.3f %8.3f %12" PRIu64 "\n", "",
				       "grove-t", pl->iters[q], st_text[q].p50_us, st_text[q].p99_us,
				       st_text[q].wall_s, st_text[q].cpu_s, st_text[q].checksum);
			if (s > 0 && st[0][q].ok && x->checksum != st[0][q].checksum)
				printf("WARNING: %s's %s results differ from grove's (checksum %" PRIu64
				       " vs %" PRIu64 ")\n", sys_names[s], queries[q].name, x->checksum,
				       st[0][q].checksum);
		}
	printf("\n%-8s %14s %14s %18s %16s\n", "query", "grove/sqlite", "grove/kuzu",
	       "grove rows visited", "grove-t/sqlite");
	for (size_t q = 0; q < NQ; q++) {
		printf("%-8s", queries[q].name);
		for (int s = 1; s < NSYS; s++)
			if (st[0][q].ok && st[s][q].ok)
				printf(" %14.3f", st[0][q].p50_us / st[s][q].p50_us);
			else
				printf(" %14s", "-");
		printf(" %18.1f", st[0][q].visited);
		if (st_text[q].ok && st[SYS_SQLITE][q].ok)
			printf(" %16.3f\n", st_text[q].p50_us / st[SYS_SQLITE][q].p50_us);
		else
			printf(" %16s\n", "-");
	}
}

static void print_results(struct stat st[NSYS][NQ], const struct stat *st_text)
{
	for (size_t q = 0; q < NQ; q++)
		printf("result query.%s_p50_us %.1f\n", queries[q].name, st[0][q].p50_us);
	for (size_t q = 0; q < NQ; q++)
		for (int s = 1; s < NSYS; s++)
			if (st[0][q].ok && st[s][q].ok)
				printf("result query.%s_vs_%s %.3f\n", queries[q].name, sys_names[s],
				       st[0][q].p50_us / st[s][q].p50_us);
	for (size_t q = 0; q < NQ; q++)
		if (st_text[q].ok && st[SYS_SQLITE][q].ok)
			printf("result query.%s_text_vs_sqlite %.3f\n", queries[q].name,
			       st_text[q].p50_us / st[SYS_SQLITE][q].p50_us);
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: query_bench [--quick]\n");
		return 2;
	}
	uint64_t n = quick ? 100000 : 1000000;
	const char *nodes_env = getenv("GROVE_BENCH_NODES");   /* smoke tests */
	if (nodes_env && *nodes_env)
		n = strtoull(nodes_env, NULL, 10);
	double load_before = bench_load1(), t_start = bench_now_s();
	struct gen_stats g;
	struct plan pl;
	static struct stat st[NSYS][NQ], st_text[NQ];
	struct kuzu_info k;
	double sqlite_load_s = 0;
	const char *sqlite_why = NULL;

	bench_oom_first();
	work = bench_mkdtemp("grove-query-bench");
	gen_write(&g, work, n, 2 * n, GEN_SEED, GEN_ALL_JSONL | GEN_CSV);
	make_plan(&pl, quick, n);
	char *plan_path = bench_path(work, "plan.json");
	write_plan(&pl, plan_path);
	free(plan_path);

	double grove_load_s = grove_run(st[SYS_GROVE], st_text, &pl);
#ifdef HAVE_SQLITE3
	sqlite_load_s = sqlite_run(st[SYS_SQLITE], &pl);
#else
	sqlite_why = "built without libsqlite3-dev";
#endif
	kuzu_run(&k, st[SYS_KUZU]);

	printf("query_bench (%s): %" PRIu64 " nodes, %" PRIu64 " edges; loads (not timed as "
	       "queries): grove %.1f s, sqlite %.1f s, kuzu %.1f s; total %.0f s\n",
	       quick ? "quick" : "full", g.nodes, g.edges, grove_load_s, sqlite_load_s, k.load_s,
	       bench_now_s() - t_start);
	printf("load average %.2f before, %.2f after; kuzu %s, %d threads\n", load_before,
	       bench_load1(), k.ok ? k.version : "-", k.threads);
	print_table(st, st_text, &pl);
	if (sqlite_why)
		printf("sqlite: not available (%s)\n", sqlite_why);
	if (!k.ok)
		printf("kuzu: not available (%s)\n", k.why);
	print_results(st, st_text);

	for (size_t q = 0; q < NQ; q++)
		free(pl.p[q]);
	bench_rmtree(work);
	free(work);
	return 0;
}
