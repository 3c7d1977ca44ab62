/* test_search.c — full-text search and ranking (spec §3.11) through
 * grove.h: the analyzer's terms, search / match_text / fuzzy filters,
 * nearest / bm25 / rrf rankings with exact scores, prefiltering, ties,
 * fan-out rows, time travel, and the errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/query_search.h"
#include "engine/text.h"
#include "graph_testutil.h"

static const char schema[] =
	"node Doc {\n"
	"    slug: String @key\n"
	"    title: String?\n"
	"    body: String?\n"
	"    status: String?\n"
	"    embedding: Vector(3)?\n"
	"}\n"
	"edge Cites: Doc -> Doc {\n"
	"    note: String?\n"
	"}\n";

static const char data[] =
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"d1\",\"title\":\"The Quick Brown Foxes\","
	"\"body\":\"foxes jumping over lazy dogs\",\"status\":\"pub\",\"embedding\":[0,0,0]}}\n"
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"d2\",\"title\":\"Lazy Dog Days\",\"body\":\"a dog sleeps\","
	"\"status\":\"pub\",\"embedding\":[1,0,0]}}\n"
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"d3\",\"title\":\"Brown bears\",\"status\":\"draft\","
	"\"embedding\":[2,0,0]}}\n"
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"d4\",\"status\":\"pub\"}}\n"
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"d5\",\"title\":\"\\u00c9COLE Fran\\u00e7aise\","
	"\"embedding\":[0,3,0]}}\n"
	"{\"edge\":\"Cites\",\"from\":\"d1\",\"to\":\"d2\",\"data\":{\"id\":\"c-b\",\"note\":\"second\"}}\n"
	"{\"edge\":\"Cites\",\"from\":\"d1\",\"to\":\"d3\",\"data\":{\"id\":\"c-a\",\"note\":\"first\"}}\n"
	"{\"edge\":\"Cites\",\"from\":\"d2\",\"to\":\"d3\",\"data\":{\"id\":\"c-c\",\"note\":\"third\"}}\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	unsetenv("GROVE_EMBEDDINGS_MOCK");
	unsetenv("OMNIGRAPH_EMBEDDINGS_MOCK");
	db = gt_scratch(&dir, "search", schema);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, data, NULL), 0, "%s", grove_errmsg(db));
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(search, .init = setup, .fini = teardown);

/* A query's rows, compactly: values in column order, JSON-encoded, ','
 * between values and ';' between rows (malloc'd); asserts success. */
static char *rows_at(const grove_target *t, const char *src, const char *params)
{
	char *json = NULL;
	int err = grove_query_json(&json, db, t, src, NULL, params);
	cr_assert_eq(err, 0, "%s: %s", src, grove_errmsg(db));
	json_t *doc = json_loads(json, 0, NULL), *cols = json_object_get(doc, "columns"), *row;
	cr_assert(json_is_array(cols), "%s", json);
	grove_free(json);
	char *out = NULL;
	size_t len = 0, i, c;
	FILE *f = open_memstream(&out, &len);
	json_array_foreach(json_object_get(doc, "rows"), i, row) {
		json_t *name;
		fputs(i ? ";" : "", f);
		json_array_foreach(cols, c, name) {
			char *v = json_dumps(json_object_get(row, json_string_value(name)),
			                     JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
			fprintf(f, "%s%s", c ? "," : "", v);
			free(v);
		}
	}
	fclose(f);
	json_decref(doc);
	return out;
}

#define ASSERT_ROWS(src, params, want)                                      \
	do {                                                                \
		char *got_ = rows_at(NULL, src, params);                    \
		cr_assert_str_eq(got_, want, "query: %s\n got: %s", src, got_); \
		free(got_);                                                 \
	} while (0)

static int fails(const char *src, const char *params)
{
	char *json = NULL;
	int err = grove_query_json(&json, db, NULL, src, NULL, params);
	cr_assert_null(json);
	return err;
}

/* A query's single F64 value. */
static double one_number(const char *src, const char *params)
{
	char *got = rows_at(NULL, src, params);
	double v = NAN;
	cr_assert_eq(sscanf(got, "%lf", &v), 1, "%s", got);
	free(got);
	return v;
}

/* ---- the analyzer ---------------------------------------------------- */

static char *terms_of(const char *s, unsigned flags)
{
	struct text_analyzer *a;
	struct text_terms t = { 0 };
	cr_assert_eq(text_analyzer_new(&a), 0);
	cr_assert_eq(text_analyze(a, s, strlen(s), flags, &t), 0);
	char *out = calloc(1, t.len + t.n + 1);
	for (size_t i = 0; i < t.n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, text_term(&t, i));
	}
	text_terms_free(&t);
	text_analyzer_free(a);
	return out;
}

#define ASSERT_TERMS(s, flags, want)                                        \
	do {                                                                \
		char *got_ = terms_of(s, flags);                            \
		cr_assert_str_eq(got_, want, "terms of '%s'", s);           \
		free(got_);                                                 \
	} while (0)

Test(search, terms_are_lowercased_split_stemmed_stopped_and_folded)
{
	ASSERT_TERMS("The Quick-Brown FOXES, jumping!", TEXT_FULL, "quick brown fox jump");
	ASSERT_TERMS("The Quick-Brown FOXES, jumping!", TEXT_LONG | TEXT_LOWER,
	             "the quick brown foxes jumping");
	ASSERT_TERMS("The Quick-Brown FOXES, jumping!", 0, "The Quick Brown FOXES jumping");
	ASSERT_TERMS("to be or not to be", TEXT_FULL, "");
	/* Stop words are stems: "does" stems to "doe", which stays. */
	ASSERT_TERMS("does it work", TEXT_FULL, "doe work");
	ASSERT_TERMS("v2 x_y a.b", TEXT_LONG | TEXT_LOWER, "v2 x y a b");
	/* Unicode letters are letters; lowercased, then folded to ASCII. */
	ASSERT_TERMS("\xc3\x89" "COLE Fran\xc3\xa7" "aise \xe2\x80\x94 na\xc3\xafve", TEXT_LONG | TEXT_LOWER,
	             "\xc3\xa9" "cole fran\xc3\xa7" "aise na\xc3\xafve");
	ASSERT_TERMS("\xc3\x89" "COLE Fran\xc3\xa7" "aise stra\xc3\x9f" "e \xe4\xb8\xad", TEXT_FULL,
	             "ecole francais strasse \xe4\xb8\xad");
	/* Tokens of 40 bytes or more are dropped, 39 are kept. */
	char s[128];
	memset(s, 'a', 40);
	strcpy(s + 40, " ok ");
	memset(s + 44, 'b', 39);
	s[83] = '\0';
	char *got = terms_of(s, TEXT_FULL);
	cr_assert(strncmp(got, "ok bbbb", 7) == 0 && strlen(got) == 42, "%s", got);
	free(got);
}

Test(search, edit_distance_counts_characters)
{
	cr_assert_eq(text_edit_distance("kitten", 6, "sitting", 7, 5), 3);
	cr_assert_eq(text_edit_distance("abc", 3, "abc", 3, 0), 0);
	cr_assert_eq(text_edit_distance("abcdef", 6, "uvwxyz", 6, 2), 3);   /* max + 1 */
	cr_assert_eq(text_edit_distance("", 0, "ab", 2, 5), 2);
	cr_assert_eq(text_edit_distance("\xc3\xa9" "cole", 6, "ecole", 5, 3), 1);
}

/* ---- filters --------------------------------------------------------- */

#define Q_SEARCH(fn, field)                                                 \
	"query q($q: String) { match { $d: Doc " fn "($d." field ", $q) } return { $d.slug } "  \
	"order { $d.slug } }"

Test(search, search_matches_any_stemmed_term)
{
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"fox\"}", "\"d1\"");
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"dogs\"}", "\"d2\"");
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"BROWN cats\"}", "\"d1\";\"d3\"");
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"the\"}", "");   /* stop words only */
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"\"}", "");
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"\\u00e9cole\"}", "\"d5\"");
	/* match_text matches any term too, adjacent or not; NULL text never matches. */
	ASSERT_ROWS(Q_SEARCH("match_text", "body"), "{\"q\":\"sleeping dogs\"}", "\"d1\";\"d2\"");
	ASSERT_ROWS(Q_SEARCH("match_text", "body"), "{\"q\":\"bears\"}", "");
	/* A literal query, beside other filters, and inside a negation. */
	ASSERT_ROWS("query q() { match { $d: Doc search($d.title, \"brown\") $d.status = \"pub\" } "
	            "return { $d.slug } }", NULL, "\"d1\"");
	ASSERT_ROWS("query q() { match { $d: Doc not { search($d.title, \"brown\") } } "
	            "return { $d.slug } order { $d.slug } }", NULL,
	            "\"d2\";\"d4\";\"d5\"");
}

Test(search, a_written_row_is_searchable_at_once_and_old_text_at_old_commits)
{
	grove_commit before;
	cr_assert_eq(grove_branch_head(&before, db, "main"), 0);
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL,
	             "query t($s: String, $t: String) { update Doc set { title: $t } where slug = $s }",
	             "t", "{\"s\":\"d2\",\"t\":\"Sleepy cats\"}"), 0, "%s", grove_errmsg(db));
	grove_free(out);
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"cat\"}", "\"d2\"");
	ASSERT_ROWS(Q_SEARCH("search", "title"), "{\"q\":\"dog\"}", "");
	grove_target old = { NULL, before.id };
	char *got = rows_at(&old, Q_SEARCH("search", "title"), "{\"q\":\"dog\"}");
	cr_assert_str_eq(got, "\"d2\"");
	free(got);
}

/* ---- nearest ---------------------------------------------------------- */

#define Q_NEAR(filter, lim)                                                 \
	"query q($v: Vector(3)) { match { $d: Doc " filter " } "                \
	"return { $d.slug, nearest($d.embedding, $v) as dist } "               \
	"order { nearest($d.embedding, $v) } limit " lim " }"

Test(search, nearest_ranks_by_squared_distance_after_filters)
{
	ASSERT_ROWS(Q_NEAR("", "3"), "{\"v\":[0.5,0,0]}",
	            "\"d1\",0.25;\"d2\",0.25;\"d3\",2.25");
	/* d4 has no vector: never ranked, whatever the limit. */
	ASSERT_ROWS(Q_NEAR("", "10"), "{\"v\":[2,0,0]}",
	            "\"d3\",0.0;\"d2\",1.0;\"d1\",4.0;\"d5\",13.0");
	/* The filter runs first: the 2 best published docs, not the 2 best
	 * docs then filtered (which would leave d2 alone). */
	ASSERT_ROWS(Q_NEAR("{ status: \"pub\" }", "2"), "{\"v\":[2,0,0]}",
	            "\"d2\",1.0;\"d1\",4.0");
	ASSERT_ROWS(Q_NEAR("$d.status = \"pub\"", "2"), "{\"v\":[2,0,0]}",
	            "\"d2\",1.0;\"d1\",4.0");
}

Test(search, equal_scores_keep_omnigraphs_order)
{
	/* nearest: d1 and d2 are both 0.25 away; the first loaded first. */
	ASSERT_ROWS(Q_NEAR("", "2"), "{\"v\":[0.5,0,0]}", "\"d1\",0.25;\"d2\",0.25");
	ASSERT_ROWS(Q_NEAR("", "1"), "{\"v\":[0.5,0,0]}", "\"d1\",0.25");
	/* bm25: as Lance 10's heaps leave them (query_bm25.c): n ties loaded
	 * 1..n come out 3, 4, ..., n, 1, 2. */
	static const char *want[] = { "", "1", "1 2", "3 1 2", "3 4 1 2", "3 4 5 1 2", "3 4 5 6 1 2" };
	for (size_t n = 1; n <= 6; n++) {
		struct ranking r = { 0 };
		for (uint64_t e = n; e >= 1; e--)
			cr_assert_eq(ranking_add(&r, e, 1.5), 0);
		cr_assert_eq(bm25_heap_order(&r, NULL), 0);
		char got[64] = "";
		for (size_t i = 0; i < r.n; i++)
			sprintf(got + strlen(got), "%s%llu", i ? " " : "", (unsigned long long)r.v[i].e);
		cr_assert_str_eq(got, want[n]);
		ranking_fini(&r);
	}
	/* Unequal scores: best first, whatever the load order. */
	struct ranking r = { 0 };
	double scores[] = { 0.5, 2.0, 1.0, 2.0 };
	for (uint64_t e = 1; e <= 4; e++)
		cr_assert_eq(ranking_add(&r, e, scores[e - 1]), 0);
	cr_assert_eq(bm25_heap_order(&r, NULL), 0);
	cr_assert(r.v[0].score == 2.0 && r.v[1].score == 2.0 && r.v[2].e == 3 && r.v[3].e == 1);
	ranking_fini(&r);
}

Test(search, ranked_rows_keep_together_in_tie_break_order)
{
	/* d1 ranks first and has two citing rows: both come before d2's, by
	 * edge id (c-a before c-b); the limit then cuts rows. */
	ASSERT_ROWS("query q($v: Vector(3)) { match { $d: Doc $d $c:cites $t } "
	            "return { $d.slug, $c.note } order { nearest($d.embedding, $v) } limit 3 }",
	            "{\"v\":[0,0,0]}", "\"d1\",\"first\";\"d1\",\"second\";\"d2\",\"third\"");
	/* The ranking picks entities first: with limit 1, d1 is the one, and
	 * its rows are cut to one. */
	ASSERT_ROWS("query q($v: Vector(3)) { match { $d: Doc $d $c:cites $t } "
	            "return { $d.slug, $c.note } order { nearest($d.embedding, $v) } limit 1 }",
	            "{\"v\":[0,0,0]}", "\"d1\",\"first\"");
	/* Picked before traversals: d3 (nearest to [2,0,0]) cites nothing, so
	 * of the 2 picked (d3, d2) only d2 has a row. */
	ASSERT_ROWS("query q($v: Vector(3)) { match { $d: Doc $d $c:cites $t } "
	            "return { $d.slug, $c.note } order { nearest($d.embedding, $v) } limit 2 }",
	            "{\"v\":[2,0,0]}", "\"d2\",\"third\"");
}

Test(search, a_ranking_stays_within_the_scope_that_reaches_its_variable)
{
	/* $t is reached from d1 through cites: ranked among d2 and d3 only. */
	ASSERT_ROWS("query q($v: Vector(3)) { match { $d: Doc { slug: \"d1\" } $d cites $t } "
	            "return { $t.slug } order { nearest($t.embedding, $v) } limit 1 }",
	            "{\"v\":[0,0,0]}", "\"d2\"");
	/* A negation and a comparison with another variable filter first. */
	ASSERT_ROWS("query q($v: Vector(3)) { match { $d: Doc not { $d.status = \"draft\" } } "
	            "return { $d.slug } order { nearest($d.embedding, $v) } limit 2 }",
	            "{\"v\":[2,0,0]}", "\"d2\";\"d1\"");
	ASSERT_ROWS("query q($v: Vector(3)) { match { $a: Doc { slug: \"d2\" } $d: Doc "
	            "$d.status = $a.status } return { $d.slug } order { nearest($d.embedding, $v) } limit 2 }",
	            "{\"v\":[2,0,0]}", "\"d2\";\"d1\"");
	/* d1 is reached twice (from d1's two citations' targets' sources): once. */
	ASSERT_ROWS("query q() { match { $x: Doc $x cites $y $d: Doc { slug: \"d1\" } } "
	            "return { $d.slug } order { bm25($d.title, \"fox\") } limit 5 }",
	            NULL, "\"d1\";\"d1\";\"d1\"");
}

Test(search, ranks_belong_in_order_and_return)
{
	cr_assert_eq(fails("query q() { match { $d: Doc bm25($d.title, \"brown\") > 0.1 } return { $d.slug } }",
	                   NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "bm25() ranks rows: use it as the first order key or return it, "
	                 "not in a match filter");
	cr_assert_eq(fails("query q() { match { $d: Doc } return { $d.slug } "
	                   "order { $d.status, bm25($d.title, \"dog\") desc } }", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "bm25() orders rows only as the first order key");
	/* Projected without ranking: the row's own score, NULL without a term. */
	ASSERT_ROWS("query q() { match { $d: Doc } return { $d.slug, bm25($d.title, \"bears\") as s } "
	            "order { $d.slug } }", NULL,
	            "\"d1\",null;\"d2\",null;\"d3\",1.3112576007843018;\"d4\",null;\"d5\",null");
}

Test(search, long_texts_beyond_ascii_are_searched_whole)
{
	/* 60,000 words past ASCII, the sought one last. */
	size_t words = 60000, len = words * 6 + 64;
	char *text = malloc(len), *p = text;
	for (size_t i = 0; i < words; i++)
		p += sprintf(p, "\xc3\xa9%03zu ", i % 1000);
	strcpy(p, "needle");
	char *rec = malloc(len + 128);
	sprintf(rec, "{\"type\":\"Doc\",\"data\":{\"slug\":\"long\",\"body\":\"%s\"}}\n", text);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, rec, NULL), 0, "%s", grove_errmsg(db));
	ASSERT_ROWS(Q_SEARCH("search", "body"), "{\"q\":\"needles\"}", "\"long\"");
	ASSERT_ROWS(Q_SEARCH("search", "body"), "{\"q\":\"e999\"}", "\"long\"");
	free(rec);
	free(text);
}

/* ---- bm25 -------------------------------------------------------------- */

/* Okapi BM25 of one term: tf, the text's length, df, N, mean length, in
 * single precision as Lance 10 (and Grove) computes it. */
static float bm25(float tf, float len, float df, float n, float avg)
{
	float idf = logf((n - df + 0.5f) / (df + 0.5f) + 1.0f);
	return idf * (2.2f * tf / (tf + 1.2f * (1.0f - 0.75f + 0.75f * (len / avg))));
}

Test(search, bm25_scores_are_okapi_over_the_whole_type)
{
	/* Titles with text: d1 quick brown fox (3 terms), d2 lazi dog day (3),
	 * d3 brown bear (2), d5 école français(e) (2): N 4, mean 2.5. */
	double want1 = bm25(1, 3, 2, 4, 2.5f), want3 = bm25(1, 2, 2, 4, 2.5f);
	char params[] = "{\"q\":\"brown\"}";
	const char *q = "query q($q: String) { match { $d: Doc } return { $d.slug, bm25($d.title, $q) as s } "
	                "order { bm25($d.title, $q) } }";
	char *got = rows_at(NULL, q, params);
	char want[256];
	snprintf(want, sizeof want, "\"d3\",%.17g;\"d1\",%.17g", want3, want1);
	/* Both numbers as the result prints them (shortest round trip). */
	double a = 0, b = 0;
	cr_assert_eq(sscanf(got, "\"d3\",%lf;\"d1\",%lf", &a, &b), 2, "%s (want %s)", got, want);
	cr_assert(a == want3 && b == want1, "%s (want %s)", got, want);
	free(got);
	/* A filter does not change the statistics: d1 alone, same score. */
	double only = one_number("query q($q: String) { match { $d: Doc { slug: \"d1\" } } "
	                         "return { bm25($d.title, $q) as s } order { bm25($d.title, $q) } }", params);
	cr_assert(only == want1, "%.17g vs %.17g", only, want1);
	/* Two query terms add; a term twice counts once. */
	double two = one_number("query q($q: String) { match { $d: Doc { slug: \"d1\" } } "
	                        "return { bm25($d.title, $q) as s } order { bm25($d.title, $q) } }",
	                        "{\"q\":\"brown foxes brown\"}");
	float sum = 0;   /* the terms in the query's order: brown, fox */
	sum += bm25(1, 3, 2, 4, 2.5f);
	sum += bm25(1, 3, 1, 4, 2.5f);
	cr_assert(two == sum, "%.17g vs %.17g", two, (double)sum);
	/* Without a limit every matching entity, and only those (two equal
	 * scores: in load order, as two ties leave Lance's heaps). */
	ASSERT_ROWS("query q() { match { $d: Doc } return { $d.slug } order { bm25($d.title, \"dog fox\") } }",
	            NULL, "\"d1\";\"d2\"");
}

/* ---- rrf ---------------------------------------------------------------- */

Test(search, rrf_fuses_ranks_cut_to_the_limit)
{
	/* Arm 1, nearest to [0,0,0] (limit 3): d1 0, d2 1, d3 2.  Arm 2,
	 * bm25 of "brown" (limit 3): d3 0, d1 1.  With k = 1:
	 * d1 1/2 + 1/3, d3 1/4 + 1/2, d2 1/3. */
	const char *q = "query q($v: Vector(3)) { match { $d: Doc } "
	                "return { $d.slug, rrf(nearest($d.embedding, $v), bm25($d.title, \"brown\"), 1) as s } "
	                "order { rrf(nearest($d.embedding, $v), bm25($d.title, \"brown\"), 1) } limit 3 }";
	char *got = rows_at(NULL, q, "{\"v\":[0,0,0]}");
	double s1 = 0, s3 = 0, s2 = 0;
	cr_assert_eq(sscanf(got, "\"d1\",%lf;\"d3\",%lf;\"d2\",%lf", &s1, &s3, &s2), 3, "%s", got);
	cr_assert(s1 == 1.0 / 2 + 1.0 / 3 && s3 == 1.0 / 4 + 1.0 / 2 && s2 == 1.0 / 3, "%s", got);
	free(got);
	/* k defaults to 60; a limit of 1 cuts each arm to its best. */
	ASSERT_ROWS("query q($v: Vector(3)) { match { $d: Doc } return { $d.slug } "
	            "order { rrf(nearest($d.embedding, $v), bm25($d.title, \"brown\")) } limit 1 }",
	            "{\"v\":[2,0,0]}", "\"d3\"");
}

/* ---- errors ------------------------------------------------------------- */

Test(search, errors_name_what_is_wrong)
{
	cr_assert_eq(fails("query q($v: Vector(3)) { match { $d: Doc } return { count($d) } "
	                   "order { nearest($d.embedding, $v) } limit 2 }", "{\"v\":[0,0,0]}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "nearest(), bm25() and rrf() cannot be used in a query with aggregates");
	cr_assert_eq(fails(Q_NEAR("", "2"), "{\"v\":[0,0]}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "param 'v': expected 3 values for Vector(3), got 2");
	cr_assert_eq(fails("query q() { match { $d: Doc } return { $d.slug } "
	                   "order { nearest($d.embedding, \"hello\") } limit 2 }", NULL), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "pass a Vector(3) instead") != NULL, "%s", grove_errmsg(db));
	cr_assert_eq(fails("query q($s: String, $e: I64) { match { $d: Doc fuzzy($d.title, $s, $e) } "
	                   "return { $d.slug } }", "{\"s\":\"x\",\"e\":-1}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "fuzzy(): max edits must not be negative, got -1");
}

/* ---- String nearest() queries: OmniGraph's mock embedder -------------- */

static const char embed_schema[] =
	"node Doc {\n"
	"    slug: String @key\n"
	"    title: String @index\n"
	"    embedding: Vector(4) @embed(\"title\", model=\"test-model-a\") @index\n"
	"}\n";

/* OmniGraph's mock_embedding() of "alpha", "beta" and "gamma", printed with
 * 8 decimals as its tests load them. */
static const char embed_data[] =
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"alpha-doc\",\"title\":\"alpha guide\","
	"\"embedding\":[-0.54204881, -0.47179943, 0.16090508, 0.67653376]}}\n"
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"beta-doc\",\"title\":\"beta guide\","
	"\"embedding\":[0.66596329, -0.56221950, -0.41636753, 0.25892115]}}\n"
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"gamma-doc\",\"title\":\"gamma handbook\","
	"\"embedding\":[0.50424933, 0.25277379, 0.44896162, -0.69301629]}}\n";

static void embed_setup(void)
{
	unsetenv("GROVE_EMBEDDINGS_MOCK");
	unsetenv("OMNIGRAPH_EMBEDDINGS_MOCK");
	unsetenv("GROVE_EMBED_MODEL");
	unsetenv("OMNIGRAPH_EMBED_MODEL");
	unsetenv("GROVE_EMBED_PROVIDER");
	unsetenv("OMNIGRAPH_EMBED_PROVIDER");
	db = gt_scratch(&dir, "embed", embed_schema);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, embed_data, NULL), 0, "%s", grove_errmsg(db));
}

#define Q_TEXT_NEAR                                                         \
	"query q($q: String) { match { $d: Doc } return { $d.slug } "          \
	"order { nearest($d.embedding, $q) } limit 3 }"

Test(embed, a_string_query_needs_the_mock_embedder, .init = embed_setup, .fini = teardown)
{
	cr_assert_eq(fails(Q_TEXT_NEAR, "{\"q\":\"alpha\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "nearest(): a String query needs an embedding model to turn "
	                 "it into a vector: OPENROUTER_API_KEY or OPENAI_API_KEY is required for the "
	                 "openai-compatible embedding provider, and Grove calls no provider "
	                 "(GROVE_EMBEDDINGS_MOCK=1 gives OmniGraph's deterministic test embedder); pass a "
	                 "Vector(4) instead");
	setenv("OMNIGRAPH_EMBED_PROVIDER", "gemini", 1);
	cr_assert_eq(fails(Q_TEXT_NEAR, "{\"q\":\"alpha\"}"), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "GEMINI_API_KEY is required for the gemini embedding provider"),
	          "%s", grove_errmsg(db));
	unsetenv("OMNIGRAPH_EMBED_PROVIDER");
	setenv("GROVE_EMBEDDINGS_MOCK", "1", 1);
	/* The mock's model is none unless configured: the recorded one differs. */
	cr_assert_eq(fails(Q_TEXT_NEAR, "{\"q\":\"alpha\"}"), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "but the query embedder resolves to ''"), "%s", grove_errmsg(db));
	setenv("GROVE_EMBED_MODEL", "test-model-a", 1);
	/* The mock's "alpha" is alpha-doc's vector: distance 0 in float32. */
	ASSERT_ROWS("query q() { match { $d: Doc } return { $d.slug, nearest($d.embedding, \"alpha\") as d } "
	            "order { nearest($d.embedding, \"alpha\") } limit 1 }", NULL, "\"alpha-doc\",0.0");
	ASSERT_ROWS(Q_TEXT_NEAR, "{\"q\":\"gamma\"}", "\"gamma-doc\";\"beta-doc\";\"alpha-doc\"");
	/* The same ranking as the explicit vector, inside rrf too. */
	ASSERT_ROWS("query q($v: String, $t: String) { match { $d: Doc } return { $d.slug } "
	            "order { rrf(nearest($d.embedding, $v), bm25($d.title, $t)) } limit 3 }",
	            "{\"v\":\"beta\",\"t\":\"guide\"}", "\"beta-doc\";\"alpha-doc\";\"gamma-doc\"");
	ASSERT_ROWS("query q($v: Vector(4), $t: String) { match { $d: Doc } return { $d.slug } "
	            "order { rrf(nearest($d.embedding, $v), bm25($d.title, $t)) } limit 3 }",
	            "{\"v\":[0.66596329, -0.56221950, -0.41636753, 0.25892115],\"t\":\"guide\"}",
	            "\"beta-doc\";\"alpha-doc\";\"gamma-doc\"");
}

Test(embed, the_recorded_model_must_be_the_configured_one, .init = embed_setup, .fini = teardown)
{
	setenv("OMNIGRAPH_EMBED_PROVIDER", "mock", 1);   /* OmniGraph's alias for the mock */
	setenv("OMNIGRAPH_EMBED_MODEL", "test-model-a", 1);
	ASSERT_ROWS(Q_TEXT_NEAR, "{\"q\":\"alpha\"}", "\"alpha-doc\";\"beta-doc\";\"gamma-doc\"");
	setenv("OMNIGRAPH_EMBED_MODEL", "test-model-b", 1);
	cr_assert_eq(fails(Q_TEXT_NEAR, "{\"q\":\"alpha\"}"), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "nearest() on 'Doc.embedding': its stored vectors were embedded "
	                 "with model 'test-model-a', but the query embedder resolves to 'test-model-b'. "
	                 "Vectors from different models do not compare");
}
