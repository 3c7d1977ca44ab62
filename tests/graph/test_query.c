/* test_query.c — read queries through grove.h: traversals, hop bounds and
 * their set semantics, negation, aggregates, order (ties, NULLs), limit
 * streaming, edge bindings, time travel by commit id, errors. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"

static const char schema[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    tags: [String]?\n"
	"    born: Date?\n"
	"    city: String? @index\n"
	"}\n"
	"node Company {\n"
	"    name: String @key\n"
	"}\n"
	"node Pair {\n"
	"    a: String\n"
	"    b: I32\n"
	"    note: String?\n"
	"    @key(a, b)\n"
	"}\n"
	"node Item {\n"
	"    n: I64 @key\n"
	"}\n"
	"edge Knows: Person -> Person {\n"
	"    since: Date?\n"
	"}\n"
	"edge WorksAt: Person -> Company\n";

static const char data[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30,\"tags\":[\"rust\",\"c\"],\"born\":\"1994-05-06\",\"city\":\"Paris\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25,\"tags\":[\"go\"],\"city\":\"Paris\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Charlie\",\"age\":35,\"city\":\"Rome\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Diana\",\"age\":28}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Eve\"}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Acme\"}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Globex\"}}\n"
	"{\"type\":\"Pair\",\"data\":{\"a\":\"x\",\"b\":7,\"note\":\"seven\"}}\n"
	"{\"type\":\"Pair\",\"data\":{\"a\":\"x\",\"b\":8}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\",\"data\":{\"since\":\"2020-01-02\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Charlie\"}\n"
	"{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Diana\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Alice\",\"to\":\"Acme\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Bob\",\"to\":\"Globex\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Diana\",\"to\":\"Acme\"}\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("query");
	db = gt_init(dir, schema);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, data, NULL), 0, "%s", grove_errmsg(db));
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(query, .init = setup, .fini = teardown);

/* The "rows" array of a query's JSON result (malloc'd), asserting success. */
static char *rows_at(const grove_target *t, const char *src, const char *params)
{
	char *json = NULL;
	int err = grove_query_json(&json, db, t, src, NULL, params);
	cr_assert_eq(err, 0, "%s", grove_errmsg(db));
	const char *a = strstr(json, "\"rows\":"), *b = strstr(json, ",\"graph_commit_id\"");
	cr_assert(a && b && b > a, "%s", json);
	a += strlen("\"rows\":");
	char *out = strndup(a, (size_t)(b - a));
	grove_free(json);
	return out;
}

static char *rows(const char *src, const char *params)
{
	return rows_at(NULL, src, params);
}

#define ASSERT_ROWS(src, params, want)                                      \
	do {                                                                \
		char *got_ = rows(src, params);                             \
		cr_assert_str_eq(got_, want, "query: %s", src);             \
		free(got_);                                                 \
	} while (0)

static int fails(const char *src, const char *name, const char *params)
{
	char *json = NULL;
	int err = grove_query_json(&json, db, NULL, src, name, params);
	cr_assert_null(json);
	return err;
}

Test(query, the_whole_result_document)
{
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, db, NULL,
	             "query friends_of($name: String) { match { $p: Person { name: $name } $p knows $f }"
	             " return { $f.name, $f.age } order { $f.name } }", "friends_of", "{\"name\":\"Alice\"}"), 0,
	             "%s", grove_errmsg(db));
	char want[1024];
	snprintf(want, sizeof want, "{\"query_name\":\"friends_of\",\"target\":{\"branch\":\"main\",\"snapshot\":null},"
	         "\"row_count\":2,\"columns\":[\"f.name\",\"f.age\"],\"rows\":[{\"f.name\":\"Bob\",\"f.age\":25},"
	         "{\"f.name\":\"Charlie\",\"f.age\":35}],\"graph_commit_id\":\"%s\"}", head.id);
	cr_assert_str_eq(json, want);
	grove_free(json);
}

Test(query, traversals_walk_either_way_and_chain)
{
	/* WorksAt is walked backwards from the company. */
	ASSERT_ROWS("query q() { match { $c: Company { name: \"Acme\" } $p worksAt $c } return { $p.name }"
	            " order { $p.name } }", NULL, "[{\"p.name\":\"Alice\"},{\"p.name\":\"Diana\"}]");
	ASSERT_ROWS("query q() { match { $p: Person { name: \"Alice\" } $p knows $m $m knows $f }"
	            " return { $p.name, $m.name, $f.name } }", NULL,
	            "[{\"p.name\":\"Alice\",\"m.name\":\"Bob\",\"f.name\":\"Diana\"}]");
	ASSERT_ROWS("query q() { match { $p: Person { name: \"Bob\" } $p <knows> $f } return { $f.name }"
	            " order { $f.name } }", NULL, "[{\"f.name\":\"Alice\"},{\"f.name\":\"Diana\"}]");
	/* Both endpoints bound: a join check. */
	ASSERT_ROWS("query q() { match { $p: Person $c: Company { name: \"Globex\" } $p worksAt $c }"
	            " return { $p.name, $c } }", NULL, "[{\"p.name\":\"Bob\",\"c\":\"Globex\"}]");
	ASSERT_ROWS("query q() { match { $p: Person { name: \"Alice\" } $p knows{1,3} $f } return { $f.name }"
	            " order { $f.name } }", NULL,
	            "[{\"f.name\":\"Bob\"},{\"f.name\":\"Charlie\"},{\"f.name\":\"Diana\"}]");
	ASSERT_ROWS("query q() { match { $p: Person { name: \"Alice\" } $p knows{2,2} $f } return { $f.name } }",
	            NULL, "[{\"f.name\":\"Diana\"}]");
}

Test(query, variable_hops_have_set_semantics_with_cycles_and_self_loops)
{
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
	             "{\"type\":\"Person\",\"data\":{\"name\":\"a\"}}\n{\"type\":\"Person\",\"data\":{\"name\":\"b\"}}\n"
	             "{\"type\":\"Person\",\"data\":{\"name\":\"c\"}}\n"
	             "{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"a\"}\n{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\"}\n"
	             "{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\"}\n{\"edge\":\"Knows\",\"from\":\"b\",\"to\":\"c\"}\n"
	             "{\"edge\":\"Knows\",\"from\":\"c\",\"to\":\"a\"}\n", NULL), 0, "%s", grove_errmsg(db));
	/* a->a emits a; the parallel a->b edges give one b; c->a does not
	 * re-emit the source. */
	ASSERT_ROWS("query q() { match { $p: Person { name: \"a\" } $p knows{1,5} $f } return { $f.name } }", NULL,
	            "[{\"f.name\":\"a\"},{\"f.name\":\"b\"},{\"f.name\":\"c\"}]");
	ASSERT_ROWS("query q() { match { $p: Person { name: \"b\" } $p knows{1,5} $f } return { $f.name } }", NULL,
	            "[{\"f.name\":\"c\"},{\"f.name\":\"a\"}]");
	ASSERT_ROWS("query q() { match { $p: Person { name: \"a\" } $p knows $f } return { $f.name } }", NULL,
	            "[{\"f.name\":\"a\"},{\"f.name\":\"b\"}]");
	/* With an edge binding, one row per edge. */
	ASSERT_ROWS("query q() { match { $p: Person { name: \"a\" } $p $e:knows $f } return { count($f) as n } }",
	            NULL, "[{\"n\":3}]");
}

Test(query, negation_nests_and_correlates)
{
	ASSERT_ROWS("query q() { match { $p: Person not { $p worksAt $_ } } return { $p.name } order { $p.name } }",
	            NULL, "[{\"p.name\":\"Charlie\"},{\"p.name\":\"Eve\"}]");
	ASSERT_ROWS("query q() { match { $p: Person not { $p worksAt $c not { $c.name = \"Acme\" } } }"
	            " return { $p.name } order { $p.name } }", NULL,
	            "[{\"p.name\":\"Alice\"},{\"p.name\":\"Charlie\"},{\"p.name\":\"Diana\"},{\"p.name\":\"Eve\"}]");
	ASSERT_ROWS("query q() { match { $p: Person not { $p <knows> $x } } return { $p.name } }", NULL,
	            "[{\"p.name\":\"Eve\"}]");
}

Test(query, negation_correlates_with_variables_bound_after_it_and_is_checked_in_text_order)
{
	/* Clause order is irrelevant (spec §3.4): $f inside the block is the
	 * outer $f, whether the block comes before or after its binding. */
	const char *want = "[{\"p.name\":\"Alice\",\"f.name\":\"Charlie\"}]";
	ASSERT_ROWS("query q() { match { $p: Person not { $p knows $f $f worksAt $_ } $p knows $f }"
	            " return { $p.name, $f.name } order { $p.name, $f.name } }", NULL, want);
	ASSERT_ROWS("query q() { match { $p: Person $p knows $f not { $p knows $f $f worksAt $_ } }"
	            " return { $p.name, $f.name } order { $p.name, $f.name } }", NULL, want);
	/* 5 x 5 pairs less the 3 Knows edges, in either order. */
	ASSERT_ROWS("query q() { match { $p: Person not { $p knows $q } $q: Person } return { count($p) as n } }",
	            NULL, "[{\"n\":22}]");
	ASSERT_ROWS("query q() { match { $p: Person $q: Person not { $p knows $q } } return { count($p) as n } }",
	            NULL, "[{\"n\":22}]");
	/* A block whose own variable cannot be the scope's later one of the
	 * same name (another type) keeps it as its own, as the text's order
	 * says (spec §3.7, §4.2): Alice knows Charlie (35), Bob only Diana. */
	ASSERT_ROWS("query q() { match { $p: Person not { $p knows $f  $f.age > 30 } $p worksAt $f }"
	            " return { $p.name } order { $p.name } }", NULL,
	            "[{\"p.name\":\"Bob\"},{\"p.name\":\"Diana\"}]");
	/* Errors come in the text's order: the block's before a later clause's. */
	cr_assert_eq(fails("query q() { match { $p: Person not { $p likes $x } $p.salary > 1 } return { $p.name } }",
	                   NULL, NULL), GROVE_ETYPE);
	cr_assert_str_eq(grove_errmsg(db), "type error: T4: unknown edge type `likes`");
	cr_assert_eq(fails("query q() { match { $p: Person not { $f.age > 3 } $f: Person } return { $p.name } }",
	                   NULL, NULL), GROVE_ETYPE);
	cr_assert_str_eq(grove_errmsg(db), "type error: T6: variable `$f` is not bound");
	/* T9 reads the text: the block must name a variable bound before it. */
	cr_assert_eq(fails("query q() { match { $p: Person not { $f worksAt $_ } $p knows $f } return { $p.name } }",
	                   NULL, NULL), GROVE_ETYPE);
	cr_assert_str_eq(grove_errmsg(db), "type error: T9: negation block must reference at least one outer-bound "
	                 "variable");
	/* A name no enclosing scope binds stays the block's own. */
	ASSERT_ROWS("query q() { match { $p: Person not { $p knows $x } } return { $p.name } order { $p.name } }",
	            NULL, "[{\"p.name\":\"Charlie\"},{\"p.name\":\"Diana\"},{\"p.name\":\"Eve\"}]");
}

/* Groups form by equality of the key: -0.0 and 0.0 are one group. */
Test(query, minus_zero_and_zero_group_together)
{
	char *d, *json = NULL;
	grove_db *g = gt_scratch(&d, "query-zero", "node N { name: String @key\n f: F64? }\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"N\",\"data\":{\"name\":\"a\",\"f\":0.0}}\n"
			     "{\"type\":\"N\",\"data\":{\"name\":\"b\",\"f\":-0.0}}\n"
			     "{\"type\":\"N\",\"data\":{\"name\":\"c\",\"f\":1.5}}\n", NULL), 0,
		     "%s", grove_errmsg(g));
	cr_assert_eq(grove_query_json(&json, g, NULL, "query q() { match { $n: N } return { $n.f, "
				      "count($n) as c } order { $n.f asc } }", NULL, NULL), 0,
		     "%s", grove_errmsg(g));
	cr_assert(strstr(json, "\"row_count\":2") && strstr(json, "\"c\":2}"), "%s", json);
	grove_free(json);
	gt_scratch_done(g, d);
}

Test(query, aggregates_group_and_type_their_results)
{
	ASSERT_ROWS("query q() { match { $p: Person $p worksAt $c } return { $c.name, count($p) as n,"
	            " sum($p.age) as s, avg($p.age) as a, min($p.name) as lo, max($p.age) as hi } order { $c.name } }",
	            NULL, "[{\"c.name\":\"Acme\",\"n\":2,\"s\":58.0,\"a\":29.0,\"lo\":\"Alice\",\"hi\":30},"
	            "{\"c.name\":\"Globex\",\"n\":1,\"s\":25.0,\"a\":25.0,\"lo\":\"Bob\",\"hi\":25}]");
	/* count skips NULLs; avg of the non-NULL ones. */
	ASSERT_ROWS("query q() { match { $p: Person } return { count($p) as people, count($p.age) as aged,"
	            " avg($p.age) as a } }", NULL, "[{\"people\":5,\"aged\":4,\"a\":29.5}]");
	/* No input, no group keys: one row; unaliased columns are `?`. */
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, db, NULL, "query q() { match { $p: Person { name: \"Zed\" } }"
	             " return { count($p), sum($p.age) as s } }", NULL, NULL), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(json, "\"columns\":[\"?\",\"s\"],\"rows\":[{\"?\":0,\"s\":null}]"), "%s", json);
	grove_free(json);
	/* With group keys and no input: empty. */
	ASSERT_ROWS("query q() { match { $p: Person { name: \"Zed\" } } return { $p.name, count($p) as n } }",
	            NULL, "[]");
}

Test(query, order_breaks_ties_on_ids_and_places_nulls)
{
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, "{\"type\":\"Person\",\"data\":{\"name\":\"Aaron\",\"age\":30}}",
	                     NULL), 0, "%s", grove_errmsg(db));
	ASSERT_ROWS("query q() { match { $p: Person } return { $p.name, $p.age } order { $p.age } }", NULL,
	            "[{\"p.name\":\"Eve\",\"p.age\":null},{\"p.name\":\"Bob\",\"p.age\":25},"
	            "{\"p.name\":\"Diana\",\"p.age\":28},{\"p.name\":\"Aaron\",\"p.age\":30},"
	            "{\"p.name\":\"Alice\",\"p.age\":30},{\"p.name\":\"Charlie\",\"p.age\":35}]");
	ASSERT_ROWS("query q() { match { $p: Person } return { $p.name } order { $p.age desc } limit 4 }", NULL,
	            "[{\"p.name\":\"Charlie\"},{\"p.name\":\"Aaron\"},{\"p.name\":\"Alice\"},{\"p.name\":\"Diana\"}]");
	ASSERT_ROWS("query q() { match { $p: Person } return { $p.name } order { $p.age desc } }", NULL,
	            "[{\"p.name\":\"Charlie\"},{\"p.name\":\"Aaron\"},{\"p.name\":\"Alice\"},{\"p.name\":\"Diana\"},"
	            "{\"p.name\":\"Bob\"},{\"p.name\":\"Eve\"}]");
	ASSERT_ROWS("query q() { match { $p: Person } return { $p.name as who } order { who desc } limit 2 }", NULL,
	            "[{\"who\":\"Eve\"},{\"who\":\"Diana\"}]");
}

Test(query, parallel_edges_are_distinct_rows)
{
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
	             "{\"edge\":\"Knows\",\"id\":\"k2\",\"from\":\"Eve\",\"to\":\"Bob\",\"data\":{\"since\":\"2021-01-01\"}}\n"
	             "{\"edge\":\"Knows\",\"id\":\"k1\",\"from\":\"Eve\",\"to\":\"Bob\",\"data\":{\"since\":\"2021-01-01\"}}\n",
	             NULL), 0, "%s", grove_errmsg(db));
	ASSERT_ROWS("query q() { match { $p: Person { name: \"Eve\" } $p $k:knows $f } return { $f.name, $k.since }"
	            " order { $k.since } }", NULL,
	            "[{\"f.name\":\"Bob\",\"k.since\":\"2021-01-01\"},{\"f.name\":\"Bob\",\"k.since\":\"2021-01-01\"}]");
	grove_result *r;
	cr_assert_eq(grove_query(&r, db, NULL, "query q() { match { $p: Person { name: \"Eve\" } $p $k:knows $f }"
	             " return { $k.since } order { $k.since } }", NULL, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_result_nrows(r), 2);
	cr_assert_str_eq(grove_result_column_type(r, 0), "Date");
	int64_t days;
	cr_assert_eq(grove_result_int(&days, r, 0, 0), 0);
	cr_assert_eq(days, 18628);
	grove_result_free(r);
}

Test(query, filters_compare_typed_values_and_nulls)
{
	ASSERT_ROWS("query q() { match { $p: Person $p.tags contains \"rust\" } return { $p.name } }", NULL,
	            "[{\"p.name\":\"Alice\"}]");
	ASSERT_ROWS("query q() { match { $p: Person $p.name starts_with \"Ch\" } return { $p.name } }", NULL,
	            "[{\"p.name\":\"Charlie\"}]");
	ASSERT_ROWS("query q() { match { $p: Person $p.name contains \"li\" } return { $p.name } order { $p.name } }",
	            NULL, "[{\"p.name\":\"Alice\"},{\"p.name\":\"Charlie\"}]");
	/* NULL never satisfies a comparison, not even != */
	ASSERT_ROWS("query q() { match { $p: Person $p.age != 30 } return { $p.name } order { $p.name } }", NULL,
	            "[{\"p.name\":\"Bob\"},{\"p.name\":\"Charlie\"},{\"p.name\":\"Diana\"}]");
	ASSERT_ROWS("query q() { match { $p: Person $p.age = 30.0 } return { $p.name } }", NULL,
	            "[{\"p.name\":\"Alice\"}]");
	ASSERT_ROWS("query q() { match { $p: Person $p.age = 29.5 } return { $p.name } }", NULL, "[]");
	ASSERT_ROWS("query q($d: Date) { match { $p: Person $p.born < $d } return { $p.name, $p.born } }",
	            "{\"d\":\"2000-01-01\"}", "[{\"p.name\":\"Alice\",\"p.born\":\"1994-05-06\"}]");
	ASSERT_ROWS("query q() { match { $p: Person $p.born >= date(\"1994-05-06\") } return { $p.name } }", NULL,
	            "[{\"p.name\":\"Alice\"}]");
	ASSERT_ROWS("query q($a: I32?) { match { $p: Person { age: $a } } return { $p.name } }", "{}", "[]");
}

Test(query, composite_keys_are_looked_up)
{
	ASSERT_ROWS("query q($b: I32) { match { $x: Pair { a: \"x\", b: $b } } return { $x, $x.note } }",
	            "{\"b\":7}", "[{\"x\":\"[\\\"x\\\",\\\"7\\\"]\",\"x.note\":\"seven\"}]");
	grove_result *r;
	cr_assert_eq(grove_query(&r, db, NULL, "query q() { match { $x: Pair { a: \"x\", b: 8 } } return { $x.note } }",
	             NULL, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_result_nrows(r), 1);
	cr_assert(grove_result_is_null(r, 0, 0));
	cr_assert(grove_result_rows_visited(r) <= 1, "a key lookup reads one row, read %llu",
	          (unsigned long long)grove_result_rows_visited(r));
	grove_result_free(r);
}

Test(query, an_indexed_match_reads_only_its_rows)
{
	grove_result *r;
	cr_assert_eq(grove_query(&r, db, NULL, "query q($c: String) { match { $p: Person { city: $c } }"
	             " return { $p.name } order { $p.name } }", NULL, "{\"c\":\"Paris\"}"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_result_nrows(r), 2);
	const char *s;
	size_t n;
	cr_assert_eq(grove_result_string(&s, &n, r, 1, 0), 0);
	cr_assert_eq(n, 3);
	cr_assert(strncmp(s, "Bob", 3) == 0);
	cr_assert_eq(grove_result_rows_visited(r), 2);
	grove_result_free(r);
	ASSERT_ROWS("query q() { match { $p: Person { city: \"Oslo\" } } return { $p.name } }", NULL, "[]");
	/* After a change on a branch the index answers at each target. */
	cr_assert_eq(grove_branch_create(db, "moved", NULL, NULL), 0, "%s", grove_errmsg(db));
	grove_load_options o = { .branch = "moved", .mode = GROVE_LOAD_MERGE };
	grove_load_result lr;
	const char *upd = "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"city\":\"Rome\"}}";
	cr_assert_eq(grove_load(&lr, db, &o, upd, strlen(upd)), 0, "%s", grove_errmsg(db));
	grove_target moved = { "moved", NULL };
	char *got = rows_at(&moved, "query q() { match { $p: Person { city: \"Rome\" } } return { $p.name }"
	                    " order { $p.name } }", NULL);
	cr_assert_str_eq(got, "[{\"p.name\":\"Bob\"},{\"p.name\":\"Charlie\"}]");
	free(got);
	ASSERT_ROWS("query q() { match { $p: Person { city: \"Rome\" } } return { $p.name } }", NULL,
	            "[{\"p.name\":\"Charlie\"}]");
}

Test(query, time_travel_reads_a_commit)
{
	grove_commit before;
	cr_assert_eq(grove_branch_head(&before, db, "main"), 0);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
	             "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":31}}\n"
	             "{\"edge\":\"Knows\",\"from\":\"Eve\",\"to\":\"Alice\"}", NULL), 0, "%s", grove_errmsg(db));
	const char *src = "query q() { match { $p: Person { name: \"Alice\" } $f knows $p } return { $p.age, $f.name } }";
	grove_target then = { NULL, before.id };
	char *old = rows_at(&then, src, NULL), *now = rows(src, NULL);
	cr_assert_str_eq(old, "[]");
	cr_assert_str_eq(now, "[{\"p.age\":31,\"f.name\":\"Eve\"}]");
	free(old);
	free(now);
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, db, &then, src, NULL, NULL), 0);
	char want[256];
	snprintf(want, sizeof want, "\"target\":{\"branch\":null,\"snapshot\":\"%s\"}", before.id);
	cr_assert(strstr(json, want), "%s", json);
	grove_free(json);
}

Test(query, errors_are_reported_with_their_texts)
{
	const char *file = "query a($n: String) { match { $p: Person { name: $n } } return { $p.name } }\n"
	                   "query b() { match { $p: Person } return { $p.name } }\n"
	                   "query m($n: String) { insert Person { name: $n } }\n";
	cr_assert_eq(fails(file, "nope", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "query 'nope' not found");
	cr_assert_eq(fails(file, "a", "{}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "parameter 'n' not provided");
	cr_assert_eq(fails(file, "a", "{\"n\": 5}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'n': expected string, got number");
	cr_assert_eq(fails(file, "a", "[1]"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "params must be a JSON object");
	cr_assert_eq(fails(file, "m", "{\"n\":\"x\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db),
	                 "type error: mutation query cannot be typechecked with read-query API");
	cr_assert_eq(fails(file, NULL, NULL), GROVE_EINVAL);
	cr_assert_eq(fails("query q() { match { $p: Person } return { $p.salary } }", NULL, NULL), GROVE_ETYPE);
	cr_assert_str_eq(grove_errmsg(db), "type error: T6: type `Person` has no property `salary`");
	grove_error_info info;
	grove_error_info_get(&info, db);
	cr_assert(info.line == 1 && info.column == 43, "the projection at fault: %u:%u", info.line, info.column);
	cr_assert_eq(fails("query q() { match { $p: Person }\n return { $p.name ", NULL, NULL), GROVE_EPARSE);
	cr_assert(strncmp(grove_errmsg(db), "query:2:", 8) == 0, "%s", grove_errmsg(db));
	grove_error_info_get(&info, db);
	cr_assert_eq(info.line, 2);
	grove_target bad = { "nope", NULL };
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, db, &bad, file, "b", NULL), GROVE_ENOTFOUND);
}

/* A type of 200k rows: `limit 3` without `order` reads a handful of rows;
 * with `order` the bounded heap returns the true top 3. */
Test(query, limit_streams_and_order_limit_keeps_the_best, .timeout = 300)
{
	size_t n = 200000, cap = n * 40, len = 0;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "{\"type\":\"Item\",\"data\":{\"n\":%zu}}\n", (i * 7919) % n);
	grove_load_result lr;
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE };
	cr_assert_eq(grove_load(&lr, db, &o, buf, len), 0, "%s", grove_errmsg(db));
	free(buf);
	grove_result *r;
	cr_assert_eq(grove_query(&r, db, NULL, "query q() { match { $i: Item } return { $i.n } limit 3 }", NULL, NULL), 0);
	cr_assert_eq(grove_result_nrows(r), 3);
	cr_assert(grove_result_rows_visited(r) <= 3, "read %llu rows", (unsigned long long)grove_result_rows_visited(r));
	grove_result_free(r);
	ASSERT_ROWS("query q() { match { $i: Item } return { $i.n } order { $i.n desc } limit 3 }", NULL,
	            "[{\"i.n\":199999},{\"i.n\":199998},{\"i.n\":199997}]");
	ASSERT_ROWS("query q() { match { $i: Item $i.n < 2 } return { count($i) as c } }", NULL, "[{\"c\":2}]");
}

Test(query, a_traversal_reads_only_the_rows_the_query_looks_at)
{
	const char *counted = "query q() { match { $p: Person { name: \"Alice\" } $p knows $f $f knows $g }"
	                      " return { count($g) as n } }";
	const char *named = "query q() { match { $p: Person { name: \"Alice\" } $p knows $f $f knows $g }"
	                    " return { $g.name } }";
	const char *edges = "query q() { match { $p: Person { name: \"Alice\" } $p $k:knows $f }"
	                    " return { count($f) as n } }";
	const char *since = "query q() { match { $p: Person { name: \"Alice\" } $p $k:knows $f }"
	                    " return { $k.since } order { $k.since } }";
	const char *srcs[] = { counted, named, edges, since };
	const char *want[] = { "[{\"n\":1}]", "[{\"g.name\":\"Diana\"}]", "[{\"n\":2}]",
	                       "[{\"k.since\":null},{\"k.since\":\"2020-01-02\"}]" };
	/* Alice's row only when the query looks at her (her key names her,
	 * and her edges prove her visible): nothing; Diana; nothing; Alice
	 * and both edges (the order's tie-break reads the nodes' ids). */
	const uint64_t visited[] = { 0, 1, 0, 5 };
	for (size_t i = 0; i < 4; i++) {
		ASSERT_ROWS(srcs[i], NULL, want[i]);
		grove_result *r;
		cr_assert_eq(grove_query(&r, db, NULL, srcs[i], NULL, NULL), 0, "%s", grove_errmsg(db));
		cr_expect_eq(grove_result_rows_visited(r), visited[i], "%s read %llu rows", srcs[i],
		             (unsigned long long)grove_result_rows_visited(r));
		grove_result_free(r);
	}
}

/* A key lookup followed by a walk from the node reads no row for it: the
 * walk finds edges only of a node visible at the target. */
Test(query, a_key_lookup_walked_from_sees_only_visible_nodes)
{
	grove_commit before;
	cr_assert_eq(grove_branch_head(&before, db, "main"), 0);
	cr_assert_eq(grove_branch_create(db, "side", NULL, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE,
	             "{\"type\":\"Person\",\"data\":{\"name\":\"Frank\",\"age\":40}}\n"
	             "{\"edge\":\"Knows\",\"from\":\"Frank\",\"to\":\"Alice\"}", NULL), 0, "%s", grove_errmsg(db));
	char *out = NULL;
	grove_mutate_options o = { .branch = "side" };
	cr_assert_eq(grove_mutate_json(&out, db, &o, "query d() { delete Person where name = \"Bob\" }", "d", NULL),
	             0, "%s", grove_errmsg(db));
	grove_free(out);
	const char *count = "query q($n: String) { match { $p: Person { name: $n } $p knows $f } return { count($f) as n } }";
	const char *names = "query q($n: String) { match { $p: Person { name: $n } $p knows $f } return { $p.age, $f.name } }";
	grove_target then = { NULL, before.id }, side = { "side", NULL };
	struct { const grove_target *t; const char *src, *params, *want; } cases[] = {
		{ NULL, count, "{\"n\":\"Frank\"}", "[{\"n\":1}]" },
		{ NULL, names, "{\"n\":\"Frank\"}", "[{\"p.age\":40,\"f.name\":\"Alice\"}]" },
		{ &then, count, "{\"n\":\"Frank\"}", "[{\"n\":0}]" },      /* not yet loaded */
		{ &then, names, "{\"n\":\"Frank\"}", "[]" },
		{ NULL, names, "{\"n\":\"Bob\"}", "[{\"p.age\":25,\"f.name\":\"Diana\"}]" },
		{ &side, count, "{\"n\":\"Bob\"}", "[{\"n\":0}]" },        /* deleted there */
		{ &side, names, "{\"n\":\"Bob\"}", "[]" },
		{ &side, count, "{\"n\":\"Frank\"}", "[{\"n\":0}]" },      /* never there */
		/* A filter besides the key still reads the row. */
		{ NULL, "query q() { match { $p: Person { name: \"Bob\", age: 99 } $p knows $f } return { $f.name } }",
		  NULL, "[]" },
		{ NULL, "query q() { match { $p: Person { name: \"Bob\", age: 25 } $p knows $f } return { $f.name } }",
		  NULL, "[{\"f.name\":\"Diana\"}]" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = rows_at(cases[i].t, cases[i].src, cases[i].params);
		cr_expect_str_eq(got, cases[i].want, "case %zu: %s %s", i, cases[i].src,
		                 cases[i].params ? cases[i].params : "");
		free(got);
	}
}

Test(query, an_undeclared_object_parameter_is_refused)
{
	/* Undeclared keys are typed by their values (spec §7.1): an object
	 * has none, even when the query never reads it. */
	const char *q = "query q() { match { $p: Person } return { count($p) as n } }";
	cr_assert_eq(fails(q, NULL, "{\"zzz\":{\"a\":1}}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'zzz': object is not supported");
	ASSERT_ROWS(q, "{\"zzz\":[1,2],\"y\":null,\"s\":\"x\"}", "[{\"n\":5}]");
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL, "query m() { insert Person { name: \"Zo\" } }", "m",
				       "{\"o\":{}}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'o': object is not supported");
	cr_assert_null(out);
}

Test(query, a_float_literal_meets_an_f32_column_as_an_f32)
{
	char *d;
	grove_db *g = gt_scratch(&d, "query-f32", 
				  "node M { name: String @key\n ratio: F32?\n r2: F32? @index }\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"M\",\"data\":{\"name\":\"a\",\"ratio\":0.1,\"r2\":0.1}}\n"
			     "{\"type\":\"M\",\"data\":{\"name\":\"b\",\"ratio\":0.25,\"r2\":0.25}}\n", NULL), 0,
		     "%s", grove_errmsg(g));
	const char *qs[] = {
		"query q() { match { $m: M $m.ratio <= 0.1 } return { $m.name } }",
		"query q() { match { $m: M { ratio: 0.1 } } return { $m.name } }",
		"query q() { match { $m: M 0.1 = $m.ratio } return { $m.name } }",
		"query q() { match { $m: M $m.ratio > 0.1 } return { $m.name } }",
		"query q() { match { $m: M { r2: 0.1 } } return { $m.name } }",  /* an index lookup */
	};
	const char *want[] = { "[{\"m.name\":\"a\"}]", "[{\"m.name\":\"a\"}]", "[{\"m.name\":\"a\"}]",
			       "[{\"m.name\":\"b\"}]", "[{\"m.name\":\"a\"}]" };
	for (int i = 0; i < 5; i++) {
		char *json = NULL;
		cr_assert_eq(grove_query_json(&json, g, NULL, qs[i], NULL, NULL), 0, "%s", grove_errmsg(g));
		cr_assert(strstr(json, want[i]) && strstr(json, "\"row_count\":1"), "%s: %s", qs[i], json);
		grove_free(json);
	}
	/* A float parameter too, declared F64 or undeclared, in a filter, a
	 * match and an index lookup; an F64 one used elsewhere keeps its width. */
	const char *ps[] = {
		"query q($x: F64) { match { $m: M $m.ratio = $x } return { $m.name } }",
		"query q($x: F64) { match { $m: M { ratio: $x } } return { $m.name } }",
		"query q($x: F64) { match { $m: M { r2: $x } } return { $m.name } }",
		"query q() { match { $m: M { ratio: $x } } return { $m.name } }",
		"query q($x: F64) { match { $m: M $m.ratio = $x } return { $m.name, $x as x } }",
	};
	for (int i = 0; i < 5; i++) {
		char *json = NULL;
		cr_assert_eq(grove_query_json(&json, g, NULL, ps[i], NULL, "{\"x\":0.1}"), 0, "%s", grove_errmsg(g));
		cr_assert(strstr(json, "\"m.name\":\"a\"") && strstr(json, "\"row_count\":1"), "%s: %s", ps[i], json);
		cr_assert(i < 4 || strstr(json, "\"x\":0.1}"), "%s", json);
		grove_free(json);
	}
	gt_scratch_done(g, d);
}

/* The same for the elements of an [F32] list: membership (a match or
 * `contains`) finds a stored 0.1 as the scalar column's equality does. */
Test(query, a_float_meets_the_elements_of_an_f32_list_as_an_f32)
{
	char *d;
	grove_db *g = gt_scratch(&d, "query-f32-list", "node N { name: String @key\n fl: [F32]? }\n");
	cr_assert_eq(gt_load(g, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"N\",\"data\":{\"name\":\"a\",\"fl\":[0.1,0.5]}}\n"
			     "{\"type\":\"N\",\"data\":{\"name\":\"b\",\"fl\":[0.25]}}\n", NULL), 0,
		     "%s", grove_errmsg(g));
	const char *qs[] = {
		"query q() { match { $n: N { fl: 0.1 } } return { $n.name } }",
		"query q() { match { $n: N $n.fl contains 0.1 } return { $n.name } }",
		"query q($x: F64) { match { $n: N $n.fl contains $x } return { $n.name } }",
		"query q($x: F64) { match { $n: N { fl: $x } } return { $n.name } }",
	};
	for (int i = 0; i < 4; i++) {
		char *json = NULL;
		cr_assert_eq(grove_query_json(&json, g, NULL, qs[i], NULL, "{\"x\":0.1}"), 0, "%s",
			     grove_errmsg(g));
		cr_assert(strstr(json, "\"n.name\":\"a\"") && strstr(json, "\"row_count\":1"), "%s: %s",
			  qs[i], json);
		grove_free(json);
	}
	gt_scratch_done(g, d);
}

Test(query, order_keys_are_properties_columns_or_ranks)
{
	/* Spec §3.10; the text is OmniGraph's run-time refusal. */
	const char *bad[] = {
		"query q() { match { $p: Person } return { $p.name } order { $p } }",
		"query q() { match { $p: Person } return { $p.name } order { \"x\" } }",
		"query q() { match { $p: Person } return { $p.name, count($p) as c } order { count($p) } }",
	};
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(fails(bad[i], NULL, NULL), GROVE_EINVAL, "%s", bad[i]);
		cr_assert_str_eq(grove_errmsg(db), "unsupported ordering expression", "%s", bad[i]);
	}
	/* A bare name is an alias, else a returned column's own name. */
	ASSERT_ROWS("query q() { match { $p: Person $p knows $f } return { $p.name, count($f) } order { f desc } }",
	            NULL, "[{\"p.name\":\"Alice\",\"f\":2},{\"p.name\":\"Bob\",\"f\":1}]");
	ASSERT_ROWS("query q() { match { $p: Person { name: \"Alice\" } } return { $p.name as n } order { n desc } }",
	            NULL, "[{\"n\":\"Alice\"}]");
}

Test(query, integer_parameters_beyond_int64_are_judged_by_their_type)
{
	/* Spec §7.1: jansson cannot hold these; they reach the parameter's
	 * conversion as the numbers they are. */
	const char *i64 = "query q($n: I64) { match { $i: Item { n: $n } } return { $i.n } }";
	cr_assert_eq(fails(i64, NULL, "{\"n\": 9223372036854775808}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'n': expected integer number");
	cr_assert_eq(fails(i64, NULL, "{\"n\": \"9223372036854775808\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'n': expected integer string, got '9223372036854775808'");
	const char *u64 = "query q($u: U64) { match { $i: Item $i.n = $u } return { $i.n } }";
	cr_assert_eq(fails(u64, NULL, "{\"u\": 18446744073709551615}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'u': value 18446744073709551615 exceeds current engine range for "
	                 "U64 (max 9223372036854775807)");
	ASSERT_ROWS(i64, "{\"n\": -9223372036854775808}", "[]");
	/* A name declared twice: the last declaration is the parameter. */
	ASSERT_ROWS("query q($x: I32, $x: String) { match { $p: Person { name: $x } } return { $p.name } }",
	            "{\"x\": \"Bob\"}", "[{\"p.name\":\"Bob\"}]");
	/* The re-parse that keeps big integers marks them with NULs: a NUL of
	 * the user's is refused there as everywhere (review by helper-32). */
	cr_assert_eq(fails(i64, NULL, "{\"pad\": 99999999999999999999, \"n\": \"\\u00007\"}"), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "\\u0000 is not allowed in strings"), "%s", grove_errmsg(db));
	cr_assert_eq(fails(i64, NULL, "{\"pad\": 99999999999999999999, \"n\": \"\\\\u0000\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'n': expected integer string, got '\\u0000'",
			 "an escaped backslash before u0000 is text, not a NUL");
}

/* A required parameter is "not provided" only where the query uses it
 * (spec §9.4: "a referenced parameter has no value"), as OmniGraph; one
 * given as null is refused before the query runs, used or not (§7.1). */
Test(query, an_unused_parameter_may_go_unprovided_but_not_null)
{
	ASSERT_ROWS("query q($unused: I32) { match { $p: Person { name: \"Bob\" } } return { $p.name } }", "{}",
	            "[{\"p.name\":\"Bob\"}]");
	cr_assert_eq(fails("query q($n: String) { match { $p: Person { name: $n } } return { $p.name } }", NULL,
	                   "{}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "parameter 'n' not provided");
	cr_assert_eq(fails("query q($n: String) { match { $p: Person { name: $n } } return { $p.name } }", NULL,
	                   "{\"n\":null}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'n': null is not accepted for non-nullable parameter");
	cr_assert_eq(fails("query q($unused: I32) { match { $p: Person } return { $p.name } }", NULL,
	                   "{\"unused\":null}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'unused': null is not accepted for non-nullable parameter");
}

/* `order` by a name two projections share uses the first (OmniGraph's
 * executor finds a column by name). */
Test(query, an_order_by_a_shared_alias_uses_the_first_projection)
{
	ASSERT_ROWS("query q() { match { $p: Person } return { $p.name as x, $p.age as x } order { x desc } limit 2 }",
	            NULL, "[{\"x\":\"Eve\",\"x\":null},{\"x\":\"Diana\",\"x\":28}]");
}

/* A group of match variables no `$v: Type` binding reaches typechecks but
 * cannot run (spec §3.4; OmniGraph fails it at run time): refused before
 * anything is read, naming the traversal, also where another group of the
 * scope is bound and inside a block. */
Test(query, a_traversal_no_binding_reaches_is_refused)
{
	static const char *const qs[] = {
		"query q() { match { $x knows $y } return { $x.name, $y.name } }",
		"query q() { match { $_ knows $_ } return { count(1) as c } }",
		"query q() { match { $f: Person { name: \"Alice\" } $_ knows $_ } return { $f.name } }",
		"query q() { match { $p: Person not { $p knows $x  $_ knows $_ } } return { $p.name } }",
	};
	static const char *const trav[] = { "$x knows $y", "$_ knows $_", "$_ knows $_", "$_ knows $_" };
	for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
		char want[256];
		cr_assert_eq(fails(qs[i], NULL, NULL), GROVE_EINVAL, "%s", qs[i]);
		snprintf(want, sizeof want, "traversal `%s` is not connected to a node binding: each connected "
			 "group of match variables needs a `$v: Type` binding", trav[i]);
		cr_assert_str_eq(grove_errmsg(db), want);
	}
	/* One bound end is enough, either end, anonymous or not. */
	ASSERT_ROWS("query q() { match { $f knows $x  $f: Person { name: \"Bob\" } } return { $x.name } }", NULL,
	            "[{\"x.name\":\"Diana\"}]");
	ASSERT_ROWS("query q() { match { $_ knows $f  $f: Person { name: \"Diana\" } } return { $f.name } }", NULL,
	            "[{\"f.name\":\"Diana\"}]");
}
