/*
 * stress_load.c — the second threads of a big load, as a plain program
 * (Criterion's forking runner does not start under ThreadSanitizer):
 * records read ahead while the caller plans (engine/load_feed.c), and a
 * huge event's next part gathered while this one is written (index/
 * apply_parts.c), both into an empty graph and into a full one.  After
 * each load grove_verify() must find the views equal to a fresh replay;
 * loads with a bad record far into the input must fail naming it, and
 * leave nothing.
 *
 *     stress_load [NODES EDGES]      (default 60000 220000)
 *
 * The graph lives in a fresh directory under $TMPDIR (or /tmp), removed
 * at the end.
 * More than views_apply_part_effects (200k) effects per load, so that
 * events come in parts.  Exit status 0 when every check holds.
 */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grove.h"

static const char schema[] =
	"node Person { name: String @key\n age: I32?\n note: String? }\n"
	"edge Knows: Person -> Person\n";

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "stress_load: FAILED: " __VA_ARGS__); \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

struct text {
	char *s;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	if (t->cap - t->len < 128) {
		t->cap = t->cap ? t->cap * 2 : 1 << 20;
		if (!(t->s = realloc(t->s, t->cap))) {
			perror("stress_load");
			exit(2);
		}
	}
	va_start(ap, fmt);
	t->len += (size_t)vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
}

/* Person records p0..p(n-1); record `bad` (1-based, 0: none) is not JSON. */
static void people(struct text *t, long n, long bad)
{
	for (long i = 0; i < n; i++)
		if (i + 1 == bad)
			put(t, "{\"type\":\"Person\",\"data\":{\"name\":p%ld,\"age\":%ld}}\n", i,
			    i % 90);
		else
			put(t, "{\"type\":\"Person\",\"data\":{\"name\":\"p%ld\",\"age\":%ld}}\n", i,
			    i % 90);
}

/* m Knows edges among n people, no two between the same pair (an edge
 * without an id is named by its endpoints), none shared by k = 1 and
 * k = 2 while m < 17n. */
static void knows(struct text *t, long n, long m, long k)
{
	for (long i = 0; i < m; i++)
		put(t, "{\"edge\":\"Knows\",\"from\":\"p%ld\",\"to\":\"p%ld\"}\n", i % n,
		    (i / n + 1 + (i % n) * 31 + 17 * k) % n);
}

static int load(grove_db *db, int mode, const struct text *t)
{
	grove_load_options o = { .mode = mode };
	grove_load_result r;
	return grove_load(&r, db, &o, t->s, t->len);
}

static long count(grove_db *db, const char *what, const char *binding)
{
	char q[160], *json = NULL;
	long n = -1;
	snprintf(q, sizeof q, "query q() { match { %s } return { count(%s) as n } }", what,
		 binding);
	if (grove_query_json(&json, db, NULL, q, "q", NULL) == 0) {
		const char *p = strstr(json, "\"n\":");
		if (p)
			n = strtol(p + 4, NULL, 10);
	}
	grove_free(json);
	return n;
}

static void verify(const char *dir, const char *after)
{
	int err = grove_verify(dir);
	CHECK(err == 0, "verify after %s: %s", after, grove_errmsg(NULL));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int run(const char *dir, long n, long m);
static void wide(const char *dir);

int main(int argc, char **argv)
{
	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: stress_load [NODES EDGES]\n");
		return 2;
	}
	long n = argc == 3 ? atol(argv[1]) : 60000, m = argc == 3 ? atol(argv[2]) : 220000;
	if (n < 10 || m < 1 || m >= 17 * n) {
		fprintf(stderr, "stress_load: need NODES >= 10 and 0 < EDGES < 17 * NODES\n");
		return 2;
	}
	const char *tmp = getenv("TMPDIR");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/grove-stress-load-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("stress_load: mkdtemp");
		return 2;
	}
	char graph[600];
	snprintf(graph, sizeof graph, "%s/g", dir);
	int rc = run(graph, n, m);
	snprintf(graph, sizeof graph, "%s/wide", dir);
	wide(graph);
	rc = rc ? rc : failures ? 1 : 0;
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

/* Records of 600 KB (a load's read-ahead closes batches by bytes and
 * stops ahead by bytes, engine/load_feed.c): 150 people in a chain. */
static void wide(const char *dir)
{
	enum { N = 150, PAD = 600 * 1024 };
	size_t cap = (size_t)N * (PAD + 128) + (size_t)N * 64, len = 0;
	char *s = malloc(cap), *pad = malloc(PAD + 1);
	grove_db *db;
	if (!s || !pad || grove_init(&db, dir, schema, NULL)) {
		fprintf(stderr, "stress_load: wide: %s\n", grove_errmsg(NULL));
		exit(2);
	}
	memset(pad, 'x', PAD);
	pad[PAD] = '\0';
	for (long i = 0; i < N; i++)
		len += (size_t)snprintf(s + len, cap - len, "{\"type\":\"Person\",\"data\":{\"name\":\"p%ld\","
					"\"note\":\"%s\"}}\n", i, pad);
	for (long i = 0; i + 1 < N; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"{\"edge\":\"Knows\",\"from\":\"p%ld\",\"to\":\"p%ld\"}\n", i, i + 1);
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE };
	grove_load_result r;
	int err = grove_load(&r, db, &o, s, len);
	CHECK(err == 0 && r.nodes == N && r.edges == N - 1, "wide records: %d %s", err, grove_errmsg(db));
	long c = count(db, "$a: Person $a knows $b", "$b");
	CHECK(c == N - 1, "wide records: %ld edges, want %d", c, N - 1);
	grove_close(db);
	verify(dir, "wide records");
	free(pad);
	free(s);
}

static int run(const char *dir, long n, long m)
{
	struct text t = { 0 };
	grove_db *db;

	if (grove_init(&db, dir, schema, NULL)) {
		fprintf(stderr, "stress_load: %s\n", grove_errmsg(NULL));
		return 2;
	}
	/* A bad record far in: the reader's error, nothing loaded. */
	people(&t, n, n - 7);
	int err = load(db, GROVE_LOAD_OVERWRITE, &t);
	char want[64];
	snprintf(want, sizeof want, "invalid JSON at record %ld:", n - 7);
	CHECK(err == GROVE_EPARSE && strstr(grove_errmsg(db), want), "bad JSON: %d %s", err,
	      grove_errmsg(db));
	CHECK(count(db, "$p: Person", "$p") == 0, "a failed load left people");

	/* Into an empty graph: one commit of n + m effects. */
	t.len = 0;
	people(&t, n, 0);
	knows(&t, n, m, 1);
	err = load(db, GROVE_LOAD_OVERWRITE, &t);
	CHECK(err == 0, "first load: %s", grove_errmsg(db));
	CHECK(count(db, "$p: Person", "$p") == n, "people after the first load");
	long c = count(db, "$a: Person $a knows $b", "$b");
	CHECK(c == m, "edges after the first load: %ld, want %ld", c, m);
	grove_close(db);
	verify(dir, "a load into an empty graph");

	/* Into the full graph: more edges, then updates of every person. */
	if (grove_open(&db, dir, NULL)) {
		fprintf(stderr, "stress_load: %s\n", grove_errmsg(NULL));
		return 2;
	}
	t.len = 0;
	knows(&t, n, m, 2);
	err = load(db, GROVE_LOAD_APPEND, &t);
	CHECK(err == 0, "edges into the full graph: %s", grove_errmsg(db));
	t.len = 0;
	people(&t, n, 0);
	err = load(db, GROVE_LOAD_OVERWRITE, &t);
	CHECK(err == 0, "people again: %s", grove_errmsg(db));
	c = count(db, "$a: Person $a knows $b", "$b");
	CHECK(c == 2 * m, "edges after the second load: %ld, want %ld", c, 2 * m);
	grove_close(db);
	verify(dir, "loads into a full graph");

	free(t.s);
	if (failures)
		fprintf(stderr, "stress_load: %d check(s) failed\n", failures);
	else
		printf("stress_load: %ld people, %ld edges, every check held\n", n, 2 * m);
	return failures ? 1 : 0;
}
