/*
 * test_prepared.c — the cache of compiled queries (engine/prepared.h): a
 * repeated query compiles once, every part of the key separates entries, a
 * schema apply never lets a query compiled against the old catalog run,
 * the cache stays within its bound, failures are not cached, and many
 * threads share and evict entries while using them.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/prepared.h"
#include "grove.h"

static const char schema[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"}\n"
	"edge Knows: Person -> Person\n";

static const char schema_without_age[] =
	"node Person {\n"
	"    name: String @key\n"
	"}\n"
	"edge Knows: Person -> Person\n";

static const char schema_with_nick[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    nick: String?\n"
	"}\n"
	"edge Knows: Person -> Person\n";

static const char people[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Carol\",\"age\":41}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"}\n"
	"{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Carol\"}\n";

static const char age_of[] = "query q($n: String) { match { $p: Person { name: $n } } return { $p.age } }";

static grove_db *db;
static char dir[256];

static void setup(void)
{
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE, .actor = "tester" };
	grove_load_result lr;
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/grove-prepared-XXXXXX", base && *base ? base : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	strcat(dir, "/g");
	cr_assert_eq(grove_init(&db, dir, schema, NULL), 0, "init: %s", grove_errmsg(NULL));
	cr_assert_eq(grove_load(&lr, db, &o, people, strlen(people)), 0, "%s", grove_errmsg(db));
}

static void teardown(void)
{
	char cmd[600];
	grove_close(db);
	*strrchr(dir, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(prepared, .init = setup, .fini = teardown);

static char *run(const char *gq, const char *name, const char *params)
{
	char *out = NULL;
	int err = grove_query_json(&out, db, NULL, gq, name, params);
	cr_assert_eq(err, 0, "%s: %s", gq, grove_errmsg(db));
	return out;
}

static struct prepared_stats stats(void)
{
	struct prepared_stats s;
	prepared_stats(&s, db);
	return s;
}

/* The rows of a query result (the part that does not name the commit). */
static void expect_rows(const char *gq, const char *params, const char *rows)
{
	char *out = run(gq, "q", params);
	cr_expect(strstr(out, rows) != NULL, "%s gave %s, expected rows %s", gq, out, rows);
	grove_free(out);
}

Test(prepared, a_repeated_query_is_compiled_once)
{
	expect_rows(age_of, "{\"n\":\"Alice\"}", "\"rows\":[{\"p.age\":30}]");
	struct prepared_stats s = stats();
	cr_expect_eq(s.misses, 1);
	cr_expect_eq(s.hits, 0);
	cr_expect_eq(s.entries, 1);
	expect_rows(age_of, "{\"n\":\"Bob\"}", "\"rows\":[{\"p.age\":25}]");
	expect_rows(age_of, "{\"n\":\"Nobody\"}", "\"rows\":[]");
	s = stats();
	cr_expect_eq(s.misses, 1);
	cr_expect_eq(s.hits, 2);
	cr_expect_eq(s.entries, 1);
}

Test(prepared, the_text_the_name_and_the_kind_each_separate_entries)
{
	const char two[] = "query a() { match { $p: Person } return { count($p) as n } }\n"
	                   "query b() { match { $p: Person $p knows $f } return { count($f) as n } }\n";
	char *a = run(two, "a", NULL), *b = run(two, "b", NULL);
	cr_expect(strstr(a, "\"rows\":[{\"n\":3}]") != NULL, "%s", a);
	cr_expect(strstr(b, "\"rows\":[{\"n\":2}]") != NULL, "%s", b);
	grove_free(a);
	grove_free(b);
	/* One character more is another text. */
	expect_rows("query q() { match { $p: Person } return { count($p) as n } } ", NULL, "\"rows\":[{\"n\":3}]");
	/* The same text as a mutation: compiled as one, and refused as a read. */
	const char add[] = "query add($n: String) { insert Person { name: $n } }";
	char *out = NULL;
	cr_expect_eq(grove_query_json(&out, db, NULL, add, "add", NULL), GROVE_EINVAL);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, add, "add", "{\"n\":\"Dan\"}"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, add, "add", "{\"n\":\"Eve\"}"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	struct prepared_stats s = stats();
	cr_expect_eq(s.entries, 4, "a, b, the spaced text, the mutation: %u", s.entries);
	cr_expect_eq(s.hits, 1, "only the second mutation hits: %llu", (unsigned long long)s.hits);
	expect_rows("query q() { match { $p: Person } return { count($p) as n } }", NULL, "\"rows\":[{\"n\":5}]");
}

Test(prepared, a_schema_apply_never_runs_a_query_compiled_before_it)
{
	char *out = NULL;
	expect_rows(age_of, "{\"n\":\"Alice\"}", "\"rows\":[{\"p.age\":30}]");
	const char nick[] = "query q() { match { $p: Person { name: \"Alice\" } } return { $p.nick } }";
	cr_expect_eq(grove_query_json(&out, db, NULL, nick, "q", NULL), GROVE_ETYPE);

	cr_assert_eq(grove_schema_apply_json(&out, db, schema_with_nick, 0, "tester"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	expect_rows(nick, NULL, "\"rows\":[{\"p.nick\":null}]");
	uint64_t misses = stats().misses;
	expect_rows(age_of, "{\"n\":\"Alice\"}", "\"rows\":[{\"p.age\":30}]");
	cr_expect_eq(stats().misses, misses + 1, "compiled again against the new catalog");

	/* Dropping the property: the cached query must not run any more. */
	cr_assert_eq(grove_schema_apply_json(&out, db, schema_without_age, 1, "tester"), 0, "%s",
	             grove_errmsg(db));
	grove_free(out);
	out = NULL;
	cr_expect_eq(grove_query_json(&out, db, NULL, age_of, "q", "{\"n\":\"Alice\"}"), GROVE_ETYPE,
	             "a query of a dropped property ran: %s", out ? out : "");
	grove_free(out);
}

Test(prepared, a_query_that_does_not_compile_is_not_cached)
{
	char *out = NULL;
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(grove_query_json(&out, db, NULL, "query q( { }", "q", NULL), GROVE_EPARSE);
		cr_expect(strstr(grove_errmsg(db), "parse error") != NULL, "%s", grove_errmsg(db));
		cr_expect_eq(grove_query_json(&out, db, NULL, age_of, "nope", NULL), GROVE_EINVAL);
		cr_expect_str_eq(grove_errmsg(db), "query 'nope' not found");
	}
	struct prepared_stats s = stats();
	cr_expect_eq(s.entries, 0);
	cr_expect_eq(s.hits, 0);
	cr_expect_eq(s.misses, 6);
}

Test(prepared, the_cache_keeps_at_most_its_bound)
{
	char gq[160], want[64];
	for (int i = 0; i < 3 * (int)PREPARED_MAX; i++) {
		snprintf(gq, sizeof(gq), "query q() { match { $p: Person $p.age > %d } return { count($p) as n } }",
		         i);
		snprintf(want, sizeof(want), "\"rows\":[{\"n\":%d}]", (i < 25) + (i < 30) + (i < 41));
		expect_rows(gq, NULL, want);
		cr_assert_leq(stats().entries, PREPARED_MAX);
	}
	struct prepared_stats s = stats();
	cr_expect_eq(s.entries, PREPARED_MAX);
	cr_expect_gt(s.evictions, 0);
	cr_expect_eq(s.hits + s.misses, 3 * PREPARED_MAX);
}

/* ---- threads ---------------------------------------------------------- */

#define THREADS 6
#define ROUNDS 300

static void *reader(void *arg)
{
	static const char *const names[] = { "Alice", "Bob", "Carol" };
	static const char *const ages[] = { "30", "25", "41" };
	uintptr_t t = (uintptr_t)arg;
	for (int i = 0; i < ROUNDS; i++) {
		char params[64], want[64], gq[160];
		size_t k = (t + (size_t)i) % 3;
		snprintf(params, sizeof(params), "{\"n\":\"%s\"}", names[k]);
		snprintf(want, sizeof(want), "\"rows\":[{\"p.age\":%s}]", ages[k]);
		char *out = NULL;
		if (grove_query_json(&out, db, NULL, age_of, "q", params) != 0 || strstr(out, want) == NULL)
			return (void *)"a shared query gave a wrong answer";
		grove_free(out);
		/* Texts of their own push entries out while others use them. */
		snprintf(gq, sizeof(gq), "query q() { match { $p: Person $p.age > %d } return { count($p) as n } }",
		         (int)(t * ROUNDS) + i);
		if (grove_query_json(&out, db, NULL, gq, "q", NULL) != 0 || strstr(out, "\"rows\":[{\"n\":0}]") == NULL)
			return (void *)"an evicting query gave a wrong answer";
		grove_free(out);
	}
	return NULL;
}

Test(prepared, many_threads_share_and_evict_entries)
{
	pthread_t th[THREADS];
	for (uintptr_t t = 0; t < THREADS; t++)
		cr_assert_eq(pthread_create(&th[t], NULL, reader, (void *)(t + 1)), 0);
	for (int t = 0; t < THREADS; t++) {
		void *why = NULL;
		pthread_join(th[t], &why);
		cr_expect_null(why, "%s", why ? (const char *)why : "");
	}
	struct prepared_stats s = stats();
	cr_expect_eq(s.hits + s.misses, 2 * THREADS * ROUNDS);
	cr_expect_geq(s.hits, THREADS * ROUNDS - PREPARED_MAX * THREADS, "the shared text mostly hits: %llu",
	              (unsigned long long)s.hits);
	cr_expect_leq(s.entries, PREPARED_MAX);
}
