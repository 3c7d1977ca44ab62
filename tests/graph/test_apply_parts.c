/* test_apply_parts.c — a huge event applied in parts, the next part
 * gathered on a second thread while this one is written (index/
 * apply_parts.c).  With parts and an id cache small enough that a few
 * dozen records cross many parts and fill the cache mid-part (the helper
 * then stops and the caller gathers the rest), the views that loads into
 * an empty graph and into a full one (new, updated and deleted entities)
 * and a rebuild make must equal, view by view (grove_verify), what one
 * part at a time with the default sizes makes.  The edges appended
 * between committed people take their endpoints' ids from the plan
 * (event.h, id hints), which a replay looks up in the id map: a hint
 * that was wrong, or that took room the event's own ids needed, would
 * show here. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"
#include "index/apply.h"
#include "index/idcache.h"

static void set_sizes(uint32_t part, size_t cache)
{
	views_apply_part_effects = part;
	id_cache_max = cache;
}

static void default_sizes(void)
{
	set_sizes(VIEWS_APPLY_PART_EFFECTS, ID_CACHE_MAX);
}

TestSuite(apply_parts, .fini = default_sizes);

/* 40 people, a company, 39 Knows edges (each person knows the one whose
 * number mirrors theirs), 20 WorksAt edges. */
static char *first_load(void)
{
	size_t cap = 16384, n = 0;
	char *s = malloc(cap);
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(s + n, cap - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"age\":%d}}\n", i, i);
	n += (size_t)snprintf(s + n, cap - n, "{\"type\":\"Company\",\"data\":{\"name\":\"Acme\"}}\n");
	for (int i = 0; i < 39; i++)
		n += (size_t)snprintf(s + n, cap - n,
				      "{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n", i, 39 - i);
	for (int i = 0; i < 40; i += 2)
		n += (size_t)snprintf(s + n, cap - n,
				      "{\"edge\":\"WorksAt\",\"from\":\"p%d\",\"to\":\"Acme\"}\n", i);
	return s;
}

/* The graph at dir (closed) was written with parts of `part` effects and
 * an id cache of `cache`: its views equal a replay with the default sizes,
 * a rebuild with the small ones equals that again, and the rebuilt graph
 * exports `before` (freed here). */
static void check_against_defaults(const char *dir, uint32_t part, size_t cache, char *before)
{
	grove_db *g;
	default_sizes();
	cr_assert_eq(grove_verify(dir), 0, "part %u, cache %zu: %s", part, cache,
		     grove_errmsg(NULL));
	set_sizes(part, cache);
	cr_assert_eq(grove_rebuild(dir, NULL), 0, "%s", grove_errmsg(NULL));
	default_sizes();
	cr_assert_eq(grove_verify(dir), 0, "rebuilt, part %u, cache %zu: %s", part, cache,
		     grove_errmsg(NULL));
	cr_assert_eq(grove_open(&g, dir, NULL), 0, "%s", grove_errmsg(NULL));
	char *after = gt_export(g, NULL, NULL);
	cr_assert_str_eq(after, before);
	grove_close(g);
	free(before);
	free(after);
}

static void run(uint32_t part, size_t cache)
{
	char *dir = gt_dir("apply-parts");
	grove_db *g = gt_init(dir, NULL);
	char *rows = first_load(), merge[2048];
	size_t n = 0;

	set_sizes(part, cache);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, rows, NULL), 0, "%s", grove_errmsg(g));
	for (int i = 0; i < 40; i += 3)
		n += (size_t)snprintf(merge + n, sizeof merge - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"age\":%d}}\n",
				      i, 100 + i);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_MERGE, merge, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), 40);
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:Knows"), 39);
	/* Overwrite one edge type: its old edges deleted, new ones made. */
	char *knows = malloc(4096);
	n = 0;
	for (int i = 0; i < 40; i += 2)
		n += (size_t)snprintf(knows + n, 4096 - n,
				      "{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n", i,
				      (i + 7) % 40);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE, knows, NULL), 0, "%s", grove_errmsg(g));
	free(knows);
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:Knows"), 20);
	n = 0;
	for (int i = 0; i < 39; i += 4)
		n += (size_t)snprintf(merge + n, sizeof merge - n,
				      "{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n", i + 1,
				      39 - i);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, merge, NULL), 0, "%s", grove_errmsg(g));
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:Knows"), 30);
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:WorksAt"), 20);
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, g, NULL,
				      "query q() { match { $a: Person { name: \"p3\" } $a knows $b }"
				      " return { $a.age, $b.name } }", NULL, NULL), 0, "%s", grove_errmsg(g));
	cr_assert(strstr(json, "\"rows\":[]"), "%s", json);
	free(json);
	cr_assert_eq(grove_query_json(&json, g, NULL,
				      "query q() { match { $a: Person { name: \"p6\" } $a knows $b }"
				      " return { $a.age, $b.name } }", NULL, NULL), 0, "%s", grove_errmsg(g));
	cr_assert(strstr(json, "\"rows\":[{\"a.age\":106,\"b.name\":\"p13\"}]"), "%s", json);
	free(json);
	char *before = gt_export(g, NULL, NULL);
	grove_close(g);
	check_against_defaults(dir, part, cache, before);
	free(rows);
	gt_rmtree(dir);
	free(dir);
}

Test(apply_parts, parts_gathered_ahead_equal_one_part_at_a_time)
{
	run(5, ID_CACHE_MAX);
	run(1, ID_CACHE_MAX);
	run(7, ID_CACHE_MAX);
}

/* The cache fills inside a part the helper gathers: it stops there and
 * the caller goes on from that effect, looking ids up in the views. */
Test(apply_parts, a_cache_filling_mid_part_hands_the_rest_to_the_caller)
{
	run(5, 12);
	run(1, 3);
	run(13, 50);
}

/* n people p0..p(n-1), then edges i -> (i * 7 + 3) % n for i in [from, to). */
static char *people_and_edges(int n, int from, int to)
{
	size_t cap = (size_t)(n + to - from) * 80 + 1, len = 0;
	char *s = malloc(cap);
	cr_assert_not_null(s);
	s[0] = 0;
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"age\":%d}}\n",
					i, i % 90);
	for (int i = from; i < to; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n", i,
					(i * 7 + 3) % n);
	return s;
}

/* Loads and a rebuild big enough for the id table to be made ahead on a
 * thread of its own (idcache.h: 120,000 ids and more) — by the load while
 * it checks, by the replay while it holds the chunks — take that table,
 * and the views still equal a replay with the default sizes: a table that
 * was not empty, or too small for what it was taken for, would show. */
Test(apply_parts, id_tables_made_ahead_change_nothing, .timeout = 240)
{
	enum { N = 70000 };
	char *dir = gt_dir("apply-parts-spare");
	grove_db *g = gt_init(dir, NULL);
	set_sizes(5000, ID_CACHE_MAX);
	char *all = people_and_edges(N, 0, N);
	/* Overwrite: append and merge cap a load's keyed rows (8,192). */
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE, all, NULL), 0, "%s", grove_errmsg(g));
	free(all);
	/* Only edges, between committed people: their ids come from the
	 * branch (id hints), and the second, bigger table is asked for. */
	size_t cap = (size_t)N * 64, len = 0;
	char *edges = malloc(cap);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(edges + len, cap - len,
					"{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n",
					(i * 13 + 1) % N, (i * 31 + 5) % N);
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_APPEND, edges, NULL), 0, "%s", grove_errmsg(g));
	free(edges);
	cr_assert_eq(gt_count(g, NULL, NULL, "node:Person"), N);
	cr_assert_eq(gt_count(g, NULL, NULL, "edge:Knows"), 2 * N);
	char *before = gt_export(g, NULL, NULL);
	grove_close(g);
	check_against_defaults(dir, 5000, ID_CACHE_MAX, before);
	gt_rmtree(dir);
	free(dir);
}
