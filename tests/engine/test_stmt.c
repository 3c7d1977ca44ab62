/*
 * test_stmt.c — prepared read queries with bound parameters (grove.h
 * "Prepared queries"): the same rows as grove_query() with the same
 * parameters as JSON, bindings by type and by name with or without `$`,
 * JSON for any value, rebinding and clearing, the errors of a missing or mistyped parameter,
 * time travel, and a schema apply between runs (compiled again, or the
 * compiler's error once the query no longer typechecks).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/prepared.h"
#include "engine/query.h"
#include "grove.h"

static const char schema[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    born: Date?\n"
	"}\n"
	"edge Knows: Person -> Person\n";

static const char schema_without_age[] =
	"node Person {\n"
	"    name: String @key\n"
	"    born: Date?\n"
	"}\n"
	"edge Knows: Person -> Person\n";

static const char people[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30,\"born\":\"1994-02-01\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Carol\",\"age\":41,\"born\":\"1983-07-09\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"}\n"
	"{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Carol\"}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Carol\"}\n";

static const char friends[] =
	"query f($n: String, $min: I32) { match { $p: Person { name: $n } $p knows $f $f.age >= $min }"
	" return { $f.name } order { $f.name asc } }";

static grove_db *db;
static char dir[256];

static void setup(void)
{
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE, .actor = "tester" };
	grove_load_result lr;
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/grove-stmt-XXXXXX", base && *base ? base : "/tmp");
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

TestSuite(stmt, .init = setup, .fini = teardown);

/* The rows of a result as "a,b;c,d" (cells as JSON). */
static char *rows_text(grove_result *r)
{
	static char buf[1024];
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < grove_result_nrows(r); i++)
		for (size_t c = 0; c < grove_result_ncols(r); c++)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", c ? "," : i ? ";" : "",
			                      grove_result_value_json(r, i, c));
	return buf;
}

static char *stmt_rows(grove_stmt *s, const grove_target *t)
{
	grove_result *r = NULL;
	cr_assert_eq(grove_stmt_query(&r, s, t), 0, "%s", grove_errmsg(db));
	char *text = strdup(rows_text(r));
	grove_result_free(r);
	return text;
}

static char *text_rows(const char *gq, const char *params)
{
	grove_result *r = NULL;
	cr_assert_eq(grove_query(&r, db, NULL, gq, NULL, params), 0, "%s", grove_errmsg(db));
	char *text = strdup(rows_text(r));
	grove_result_free(r);
	return text;
}

Test(stmt, bound_values_give_the_rows_of_the_same_json_parameters)
{
	grove_stmt *s;
	cr_assert_eq(grove_prepare(&s, db, friends, "f"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_bind_text(s, "n", "Alice", 5), 0);
	cr_assert_eq(grove_bind_int(s, "$min", 20), 0);
	char *a = stmt_rows(s, NULL), *b = text_rows(friends, "{\"n\":\"Alice\",\"min\":20}");
	cr_assert_str_eq(a, "\"Bob\";\"Carol\"");
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	/* Rebinding one parameter keeps the other. */
	cr_assert_eq(grove_bind_int(s, "min", 30), 0);
	a = stmt_rows(s, NULL);
	cr_assert_str_eq(a, "\"Carol\"");
	free(a);
	cr_assert_eq(grove_bind_text(s, "n", "Bob", 3), 0);
	a = stmt_rows(s, NULL);
	cr_assert_str_eq(a, "\"Carol\"");
	free(a);
	grove_stmt_free(s);
}

Test(stmt, values_convert_by_the_declared_type)
{
	grove_stmt *s;
	const char *gq = "query d($d: Date, $pre: String) { match { $p: Person $p.born < $d"
	                 " $p.name starts_with $pre } return { $p.name } order { $p.name asc } }";
	cr_assert_eq(grove_prepare(&s, db, gq, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_bind_text(s, "d", "1990-01-01", 10), 0);
	cr_assert_eq(grove_bind_json(s, "pre", "\"\""), 0);
	char *a = stmt_rows(s, NULL);
	cr_assert_str_eq(a, "\"Carol\"");
	free(a);
	cr_assert_eq(grove_bind_text(s, "d", "2000-01-01", 10), 0);
	a = stmt_rows(s, NULL);
	cr_assert_str_eq(a, "\"Alice\";\"Carol\"");
	free(a);
	cr_assert_eq(grove_bind_json(s, "pre", "\"Al\""), 0);
	a = stmt_rows(s, NULL);
	cr_assert_str_eq(a, "\"Alice\"");
	free(a);
	cr_assert_eq(grove_bind_double(s, "d", 1.5), 0);
	grove_result *r = NULL;
	cr_assert_eq(grove_stmt_query(&r, s, NULL), GROVE_EINVAL);
	cr_assert_null(r);
	cr_assert_not_null(strstr(grove_errmsg(db), "'d'"), "%s", grove_errmsg(db));
	grove_stmt_free(s);
}

Test(stmt, a_parameter_not_bound_is_not_provided)
{
	grove_stmt *s;
	grove_result *r = NULL;
	cr_assert_eq(grove_prepare(&s, db, friends, "f"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_bind_text(s, "n", "Alice", 5), 0);
	cr_assert_eq(grove_stmt_query(&r, s, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "parameter 'min' not provided");
	cr_assert_eq(grove_bind_int(s, "min", 0), 0);
	char *a = stmt_rows(s, NULL);
	cr_assert_str_eq(a, "\"Bob\";\"Carol\"");
	free(a);
	grove_stmt_clear_bindings(s);
	cr_assert_eq(grove_stmt_query(&r, s, NULL), GROVE_EINVAL);
	cr_assert_null(r);
	cr_assert_eq(grove_bind_null(s, "n"), 0);
	cr_assert_eq(grove_bind_text(s, "", "x", 1), GROVE_EINVAL);
	cr_assert_eq(grove_bind_double(s, "n", NAN), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "bind 'n': nan is not a finite number");
	cr_assert_eq(grove_bind_json(s, "n", "[1,"), GROVE_EINVAL);
	cr_assert_not_null(strstr(grove_errmsg(db), "invalid JSON"), "%s", grove_errmsg(db));
	grove_stmt_free(s);
}

Test(stmt, prepare_reports_the_compilers_errors)
{
	grove_stmt *s = (grove_stmt *)1;
	cr_assert_eq(grove_prepare(&s, db, "query q( { }", NULL), GROVE_EPARSE);
	cr_assert_null(s);
	cr_assert_eq(grove_prepare(&s, db, friends, "nope"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "query 'nope' not found");
	cr_assert_eq(grove_prepare(&s, db, "query q() { match { $p: Nobody } return { $p } }", NULL),
	             GROVE_ETYPE);
	cr_assert_eq(grove_prepare(&s, db, "query m() { insert Person { name: \"Z\" } }", NULL),
	             GROVE_EINVAL);
}

Test(stmt, runs_at_an_older_commit)
{
	grove_stmt *s;
	grove_commit head;
	char *out = NULL;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_mutate_json(&out, db, NULL,
	                               "query m() { insert Knows { from: \"Bob\", to: \"Alice\" } }",
	                               "m", NULL), 0, "%s", grove_errmsg(db));
	grove_free(out);
	cr_assert_eq(grove_prepare(&s, db, friends, "f"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_bind_text(s, "n", "Bob", 3), 0);
	cr_assert_eq(grove_bind_int(s, "min", 0), 0);
	char *now = stmt_rows(s, NULL);
	grove_target then = { NULL, head.id };
	char *before = stmt_rows(s, &then);
	cr_assert_str_eq(now, "\"Alice\";\"Carol\"");
	cr_assert_str_eq(before, "\"Carol\"");
	free(now);
	free(before);
	grove_stmt_free(s);
}

Test(stmt, a_schema_apply_between_runs_compiles_again)
{
	grove_stmt *s, *ages;
	char *out = NULL;
	cr_assert_eq(grove_prepare(&s, db, friends, "f"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_prepare(&ages, db, "query a() { match { $p: Person } return { $p.name }"
	                                      " order { $p.name asc } limit 1 }", NULL), 0);
	cr_assert_eq(grove_bind_text(s, "n", "Alice", 5), 0);
	cr_assert_eq(grove_bind_int(s, "min", 0), 0);
	cr_assert_eq(grove_schema_apply_json(&out, db, schema_without_age, 1, "tester"), 0, "%s",
	             grove_errmsg(db));
	grove_free(out);
	grove_result *r = NULL;
	cr_assert_eq(grove_stmt_query(&r, s, NULL), GROVE_ETYPE);
	cr_assert_null(r);
	cr_assert_not_null(strstr(grove_errmsg(db), "age"), "%s", grove_errmsg(db));
	char *a = stmt_rows(ages, NULL);
	cr_assert_str_eq(a, "\"Alice\"");
	free(a);
	grove_stmt_free(s);
	grove_stmt_free(ages);
}

Test(stmt, a_prepared_mutation_runs_as_grove_mutate_json)
{
	const char *src = "query add($n: String, $a: I32?) { insert Person { name: $n, age: $a } }\n"
	                  "query mixed() { insert Person { name: \"M\" }\n delete Person where name = \"M\" }\n";
	grove_stmt *s, *r;
	char *out = NULL;
	cr_assert_eq(grove_prepare_mutation(&s, db, src, "add"), 0, "%s", grove_errmsg(db));
	for (int i = 0; i < 2; i++) {
		char name[8];
		snprintf(name, sizeof name, "N%d", i);
		cr_assert_eq(grove_bind_text(s, "n", name, strlen(name)), 0);
		cr_assert_eq(grove_bind_int(s, "a", 50 + i), 0);
		cr_assert_eq(grove_stmt_mutate_json(&out, s, NULL), 0, "%s", grove_errmsg(db));
		cr_assert(strstr(out, "\"affected_nodes\":1"), "%s", out);
		grove_free(out);
	}
	char *rows = text_rows("query q() { match { $p: Person $p.age >= 50 } return { $p.name, $p.age }"
	                       " order { $p.name } }", NULL);
	cr_assert_str_eq(rows, "\"N0\",50;\"N1\",51");
	free(rows);
	/* Each API refuses the other kind with the spec's texts. */
	grove_result *res = NULL;
	cr_assert_eq(grove_stmt_query(&res, s, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "type error: mutation query cannot be typechecked with read-query API");
	cr_assert_eq(grove_prepare(&r, db, friends, "f"), 0);
	cr_assert_eq(grove_stmt_mutate_json(&out, r, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "mutation execution called on a read query; use query instead");
	cr_assert_null(out);
	grove_stmt_free(r);
	grove_stmt_free(s);
	/* Refused at prepare: a name is required, and inserts cannot mix with deletes. */
	cr_assert_eq(grove_prepare_mutation(&s, db, src, NULL), GROVE_EINVAL);
	cr_assert_eq(grove_prepare_mutation(&s, db, src, "mixed"), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "mixes inserts/updates and deletes"), "%s", grove_errmsg(db));
}

/* The event records the bound parameters as a JSON object (written
 * without jansson for plain values: engine_params_text): read back from
 * the log, it holds exactly the values bound, escapes and all. */
Test(stmt, a_prepared_mutation_records_its_bound_values_in_the_log)
{
	const char *src = "query add($n: String, $a: I32?, $b: Bool?) {"
	                  " insert Person { name: $n, age: $a } }\n";
	static const char name[] = "q\"uo\\te/\n\t\x01\x1f\x7f \xc3\xa9 \xe2\x80\xa8 end";
	grove_stmt *s;
	char *out = NULL;
	cr_assert_eq(grove_prepare_mutation(&s, db, src, "add"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_bind_text(s, "n", name, strlen(name)), 0);
	cr_assert_eq(grove_bind_int(s, "a", -2147483648LL), 0);
	cr_assert_eq(grove_bind_bool(s, "b", 1), 0);
	cr_assert_eq(grove_stmt_mutate_json(&out, s, NULL), 0, "%s", grove_errmsg(db));
	grove_free(out);
	grove_stmt_free(s);

	grove_log_cursor *cur;
	cr_assert_eq(grove_log_cursor_open(&cur, db, grove_log_last_lsn(db)), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_log_cursor_next(cur), 0, "%s", grove_errmsg(db));
	json_t *ev = json_loads(grove_log_cursor_json(cur), 0, NULL);
	grove_log_cursor_close(cur);
	cr_assert_not_null(ev);
	const char *text = json_string_value(json_object_get(ev, "params"));
	cr_assert_not_null(text);
	json_error_t je;
	json_t *p = json_loads(text, 0, &je);
	cr_assert_not_null(p, "%s: %s", text, je.text);
	cr_assert_eq(json_object_size(p), 3, "%s", text);
	json_t *n = json_object_get(p, "n");
	cr_assert(json_is_string(n), "%s", text);
	cr_assert_eq(json_string_length(n), strlen(name));
	cr_assert_eq(memcmp(json_string_value(n), name, strlen(name)), 0, "%s", text);
	cr_assert_eq(json_integer_value(json_object_get(p, "a")), -2147483648LL, "%s", text);
	cr_assert(json_is_true(json_object_get(p, "b")), "%s", text);
	json_decref(p);
	json_decref(ev);
}

/* A query compiled before a schema apply and run after it (a reader racing
 * the apply) numbers the property indexes as the views do now: the apply
 * renumbered them (@index(age) declared ahead of born's). */
Test(stmt, a_query_compiled_before_an_apply_reads_the_renumbered_indexes)
{
	const char *v1 = "node Person {\n    name: String @key\n    age: I32?\n    born: Date? @index\n}\n"
	                 "edge Knows: Person -> Person\n";
	const char *v2 = "node Person {\n    name: String @key\n    age: I32? @index\n    born: Date? @index\n}\n"
	                 "edge Knows: Person -> Person\n";
	char *out = NULL;
	cr_assert_eq(grove_schema_apply_json(&out, db, v1, 0, "t"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	struct prepared *p;
	const char *q = "query b($d: Date) { match { $p: Person { born: $d } } return { $p.name } }";
	cr_assert_eq(query_compile(&p, db, q, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_schema_apply_json(&out, db, v2, 0, "t"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	json_t *params = json_pack("{s:s}", "d", "1994-02-01");
	grove_result *r = NULL;
	cr_assert_eq(query_run_compiled(&r, db, NULL, p, params), 0, "%s", grove_errmsg(db));
	cr_assert_str_eq(rows_text(r), "\"Alice\"");
	grove_result_free(r);
	json_decref(params);
	prepared_release(p);
}

/* What a caller hands the API is checked where it would otherwise go
 * wrong later: a NUL inside bound text (Grove's strings hold none, and a
 * leading one would read as the engine's bigint mark), an actor id that
 * is not UTF-8 (it goes into every JSON answer), a mutation without its
 * query's name; binding on no statement frees what it made (LeakSanitizer
 * in the sanitizer build). */
Test(stmt, malformed_arguments_are_refused_where_they_are_given)
{
	grove_stmt *s = NULL;
	cr_assert_eq(grove_prepare(&s, db, friends, "f"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_bind_text(s, "n", "Al\0ce", 5), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "bind 'n': the text holds a NUL byte");
	cr_assert_eq(grove_bind_text(s, "n", "\0" "36", 3), GROVE_EINVAL);
	grove_stmt_free(s);
	cr_assert_eq(grove_bind_int(NULL, "n", 1), GROVE_EINVAL);
	cr_assert_eq(grove_bind_text(NULL, "n", "x", 1), GROVE_EINVAL);
	cr_assert_eq(grove_bind_double(NULL, "n", 1.5), GROVE_EINVAL);

	const char *add = "query a($n: String) { insert Person { name: $n } }";
	grove_mutate_options o = { .actor = "bad\xff\xfe" };
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, &o, add, "a", "{\"n\":\"Zed\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "actor id is not valid UTF-8");
	cr_assert_null(out);
	cr_assert_eq(grove_mutate_json(&out, db, NULL, add, NULL, "{\"n\":\"Zed\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "grove_mutate_json: a query name is required");
	uint64_t n = 0;
	grove_target t = { 0 };
	cr_assert_eq(grove_count(&n, db, &t, "node:Person"), 0);
	cr_assert_eq(n, 3, "nothing was written");
}
