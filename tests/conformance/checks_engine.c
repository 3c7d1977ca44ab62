/*
 * tests/conformance/checks_engine.c — expectation keys of the engine cases
 * that generic subset matching cannot express (conformance/README.md,
 * "Assertions"): unordered `rows` / `values`, membership and uniqueness
 * of a result's values, comparisons with an earlier step, OmniGraph's
 * error kind "Manifest", and the checks on an export's lines.
 *
 * A step's main value is its result's "value" (a count, a version, a
 * commit id, a list); list checks read "values" (scan_table, list_tables,
 * table_fields) or, when absent, "value".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runner.h"

static const json_t *values_of(const json_t *result)
{
	const json_t *v = json_object_get(result, "values");
	return v ? v : json_object_get(result, "value");
}

static const json_t *step_value(struct cf_ctx *ctx, json_int_t step, char *why)
{
	const json_t *r = json_array_get(ctx->results, (size_t)step);
	const json_t *v = json_object_get(r, "value");
	if (step < 0 || v == NULL)
		snprintf(why, CF_WHY_BYTES, "step %lld has no value to compare with", (long long)step);
	return step < 0 ? NULL : v;
}

/* "error_kind": Grove's kind (grove_error_kind()); OmniGraph's "Manifest"
 * is BadRequest on every path the cases use it (README). */
static int check_error_kind(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                            const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const char *want = json_string_value(expected);
	const char *got = json_string_value(json_object_get(result, "error_kind"));
	if (want != NULL && strcmp(want, "Manifest") == 0)
		want = "BadRequest";
	if (want != NULL && got != NULL && strcmp(want, got) == 0)
		return 1;
	snprintf(why, CF_WHY_BYTES, "error_kind: expected %s, got %s (%.500s)", want ? want : "?",
	         got ? got : "no error", json_string_value(json_object_get(result, "message")));
	return 0;
}

/* Every expected item matched by a distinct actual item, in any order. */
static int match_unordered(const json_t *expected, const json_t *actual, const char *path, char *why)
{
	size_t n = json_array_size(actual);
	char *used = calloc(n + 1, 1);
	size_t i;
	const json_t *e;
	int ok = used != NULL;
	json_array_foreach(expected, i, e) {
		size_t j;
		char sub[CF_WHY_BYTES];
		for (j = 0; ok && j < n; j++)
			if (!used[j] && cf_match(e, json_array_get(actual, j), path, sub))
				break;
		if (!ok || j == n) {
			char *s = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
			snprintf(why, CF_WHY_BYTES, "%s: no row matches %.600s", path, s ? s : "?");
			free(s);
			ok = 0;
			break;
		}
		used[j] = 1;
	}
	free(used);
	return ok;
}

/* "rows" / "values": same length; in order only with "ordered": true. */
static int check_rows(const json_t *result, const json_t *expected, const json_t *expectation, char *why,
                      const char *key)
{
	const json_t *actual = json_object_get(result, key);
	if (!json_is_array(actual) || !json_is_array(expected)) {
		snprintf(why, CF_WHY_BYTES, "%s: the step gave no %s", key, key);
		return 0;
	}
	if (json_array_size(actual) != json_array_size(expected)) {
		char *s = json_dumps(actual, JSON_COMPACT);
		snprintf(why, CF_WHY_BYTES, "%s: expected %zu, got %zu: %.600s", key, json_array_size(expected),
		         json_array_size(actual), s ? s : "?");
		free(s);
		return 0;
	}
	if (json_is_true(json_object_get(expectation, "ordered")))
		return cf_match(expected, actual, key, why);
	return match_unordered(expected, actual, key, why);
}

static int contains(const json_t *list, const json_t *item)
{
	size_t i;
	const json_t *v;
	char sub[CF_WHY_BYTES];
	json_array_foreach(list, i, v)
		if (cf_match(item, v, "", sub))
			return 1;
	return 0;
}

/* "includes" / "excludes": every expected item is / is not a value. */
static int check_membership(const json_t *result, const json_t *expected, char *why, const char *key)
{
	int want = strcmp(key, "includes") == 0;
	const json_t *values = values_of(result);
	size_t i;
	const json_t *e;
	json_array_foreach(expected, i, e) {
		if (contains(values, e) != want) {
			char *s = json_dumps(values, JSON_COMPACT | JSON_ENCODE_ANY);
			snprintf(why, CF_WHY_BYTES, "%s: %.200s %s %.600s", key,
			         json_string_value(e) ? json_string_value(e) : "item", want ? "not in" : "in", s ? s : "?");
			free(s);
			return 0;
		}
	}
	return 1;
}

/* "all_unique" / "all_nonempty" over the values. */
static int check_all(const json_t *result, const json_t *expected, char *why, const char *key)
{
	const json_t *values = values_of(result);
	int unique = strcmp(key, "all_unique") == 0;
	size_t i;
	const json_t *v;
	int holds = json_is_array(values);
	json_array_foreach(values, i, v) {
		if (unique) {
			for (size_t j = 0; j < i; j++)
				holds &= !json_equal(v, json_array_get(values, j));
		} else {
			holds &= !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0);
		}
	}
	if (holds == json_is_true(expected))
		return 1;
	snprintf(why, CF_WHY_BYTES, "%s: expected %s", unique ? "all_unique" : "all_nonempty",
	         json_is_true(expected) ? "true" : "false");
	return 0;
}

static int numbers(double *a, double *b, const json_t *x, const json_t *y)
{
	if (!json_is_number(x) || !json_is_number(y))
		return 0;
	*a = json_number_value(x);
	*b = json_number_value(y);
	return 1;
}

/* "equals_step" N, "not_equals_step" N, "greater_than_step" N,
 * "greater_or_equal_step" N, "less_than_step" N, "less_or_equal_step" N:
 * this step's value against step N's. */
static int check_vs_step(struct cf_ctx *ctx, const json_t *result, const json_t *expected, char *why,
                         const char *key)
{
	const json_t *mine = json_object_get(result, "value");
	const json_t *theirs = step_value(ctx, json_integer_value(expected), why);
	if (mine == NULL || theirs == NULL) {
		snprintf(why, CF_WHY_BYTES, "%s: a step has no value", key);
		return 0;
	}
	double a, b;
	int ok;
	if (strcmp(key, "equals_step") == 0)
		ok = cf_match(theirs, mine, key, why);
	else if (strcmp(key, "not_equals_step") == 0)
		ok = !json_equal((json_t *)theirs, (json_t *)mine);
	else if (!numbers(&a, &b, mine, theirs))
		ok = 0;
	else if (strncmp(key, "greater", 7) == 0)
		ok = strstr(key, "than") ? a > b : a >= b;
	else
		ok = strstr(key, "than") ? a < b : a <= b;
	if (!ok) {
		char *s = json_dumps(mine, JSON_ENCODE_ANY), *t = json_dumps(theirs, JSON_ENCODE_ANY);
		snprintf(why, CF_WHY_BYTES, "%s %lld: got %.300s against %.300s", key,
		         (long long)json_integer_value(expected), s ? s : "?", t ? t : "?");
		free(s);
		free(t);
	}
	return ok;
}

/* "equals_step_plus" [N, k]: value == step N's + k;
 * "length_equals_step_plus" [N, k]: the same on list lengths. */
static int check_step_plus(struct cf_ctx *ctx, const json_t *result, const json_t *expected, char *why,
                           const char *key)
{
	int length = strcmp(key, "length_equals_step_plus") == 0;
	const json_t *mine = json_object_get(result, "value");
	const json_t *theirs = step_value(ctx, json_integer_value(json_array_get(expected, 0)), why);
	json_int_t plus = json_integer_value(json_array_get(expected, 1));
	double a = 0, b = 0;
	int ok = mine != NULL && theirs != NULL;
	if (ok && length) {
		a = (double)json_array_size(mine);
		b = (double)json_array_size(theirs);
	} else if (ok) {
		ok = numbers(&a, &b, mine, theirs);
	}
	if (ok && a == b + (double)plus)
		return 1;
	snprintf(why, CF_WHY_BYTES, "%s: got %g, step %lld had %g (+%lld)", key, a,
	         (long long)json_integer_value(json_array_get(expected, 0)), b, (long long)plus);
	return 0;
}

/* "head_not_equal" / "equals_commit": the value against a saved id. */
static int check_value_is(const json_t *result, const json_t *expected, char *why, const char *key)
{
	int want = strcmp(key, "equals_commit") == 0;
	const json_t *v = json_object_get(result, "value");
	if ((v != NULL && json_equal(v, expected)) == want)
		return 1;
	snprintf(why, CF_WHY_BYTES, "%s: %.100s against %.100s", key,
	         json_string_value(v) ? json_string_value(v) : "?",
	         json_string_value(expected) ? json_string_value(expected) : "?");
	return 0;
}

/* "commit_present": whether the step made a commit. */
static int check_commit_present(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                                const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const json_t *c = json_object_get(result, "commit");
	if ((c != NULL && !json_is_null(c)) == json_is_true(expected))
		return 1;
	snprintf(why, CF_WHY_BYTES, "commit_present: expected %s", json_is_true(expected) ? "a commit" : "none");
	return 0;
}

/* "count_min" n / "count_lt" n on the result's count. */
static int check_count_bound(const json_t *result, const json_t *expected, char *why, const char *key)
{
	const json_t *c = json_object_get(result, "count");
	double a, b;
	if (numbers(&a, &b, c, expected) &&
	    (!strcmp(key, "count_min") ? a >= b : !strcmp(key, "count_max") ? a <= b
	     : !strcmp(key, "count_gt") ? a > b : a < b))
		return 1;
	snprintf(why, CF_WHY_BYTES, "%s %g: got %g", key, json_number_value(expected),
	         json_number_value(c));
	return 0;
}

/* "contains_any_ci": the error message holds one of the strings, in any case. */
static int check_contains_any_ci(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                                 const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const char *msg = json_string_value(json_object_get(result, "message"));
	size_t i;
	const json_t *s;
	json_array_foreach(expected, i, s)
		if (msg != NULL && json_is_string(s) && strcasestr(msg, json_string_value(s)) != NULL)
			return 1;
	snprintf(why, CF_WHY_BYTES, "contains_any_ci: none of the strings in \"%.600s\"", msg ? msg : "(no message)");
	return 0;
}

/* "each_line_data_id_equals_key": K — every export line's data.id is the
 * string form of data.K.  (Integers above INT64_MAX were read back as
 * doubles: the id must then be an integer whose double is that value.) */
static int id_is_key(const char *id, const json_t *key)
{
	char buf[64];
	if (json_is_string(key))
		return strcmp(id, json_string_value(key)) == 0;
	if (json_is_integer(key)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(key));
		return strcmp(id, buf) == 0;
	}
	char *end;
	unsigned long long u = strtoull(id, &end, 10);
	return json_is_real(key) && *id && *end == '\0' && (double)u == json_real_value(key);
}

static int check_line_ids(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                          const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const char *k = json_string_value(expected);
	const json_t *lines = json_object_get(result, "lines");
	size_t i;
	const json_t *l;
	json_array_foreach(lines, i, l) {
		const json_t *data = json_object_get(l, "data");
		const char *id = json_string_value(json_object_get(data, "id"));
		if (k == NULL || id == NULL || !id_is_key(id, json_object_get(data, k))) {
			snprintf(why, CF_WHY_BYTES, "each_line_data_id_equals_key: line %zu has id %.200s", i,
			         id ? id : "(none)");
			return 0;
		}
	}
	return json_is_array(lines);
}

/* "rows_by_title": {title: subset} — the export line whose data.title is
 * `title` has data matching `subset`. */
static int check_rows_by_title(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                               const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const json_t *lines = json_object_get(result, "lines");
	const char *title;
	const json_t *want;
	json_object_foreach((json_t *)expected, title, want) {
		const json_t *data = NULL;
		size_t i;
		const json_t *l;
		json_array_foreach(lines, i, l) {
			const json_t *d = json_object_get(l, "data");
			const char *t = json_string_value(json_object_get(d, "title"));
			if (t != NULL && strcmp(t, title) == 0)
				data = d;
		}
		if (data == NULL) {
			snprintf(why, CF_WHY_BYTES, "rows_by_title: no line with title %.200s", title);
			return 0;
		}
		if (!cf_match(want, data, title, why))
			return 0;
	}
	return 1;
}

/* One check function per key, each passing its key to the shared code. */
#define CHECK_KEY(fn, call)                                                                             \
	static int fn(struct cf_ctx *ctx, const json_t *result, const json_t *expected,                  \
	              const json_t *expectation, char *why)                                              \
	{                                                                                                \
		(void)ctx;                                                                               \
		(void)expectation;                                                                       \
		return call;                                                                             \
	}
CHECK_KEY(key_rows, check_rows(result, expected, expectation, why, "rows"))
CHECK_KEY(key_values, check_rows(result, expected, expectation, why, "values"))
CHECK_KEY(key_includes, check_membership(result, expected, why, "includes"))
CHECK_KEY(key_excludes, check_membership(result, expected, why, "excludes"))
CHECK_KEY(key_all_unique, check_all(result, expected, why, "all_unique"))
CHECK_KEY(key_all_nonempty, check_all(result, expected, why, "all_nonempty"))
CHECK_KEY(key_equals_step, check_vs_step(ctx, result, expected, why, "equals_step"))
CHECK_KEY(key_greater_than_step, check_vs_step(ctx, result, expected, why, "greater_than_step"))
CHECK_KEY(key_greater_or_equal_step, check_vs_step(ctx, result, expected, why, "greater_or_equal_step"))
CHECK_KEY(key_equals_step_plus, check_step_plus(ctx, result, expected, why, "equals_step_plus"))
CHECK_KEY(key_length_equals_step_plus, check_step_plus(ctx, result, expected, why, "length_equals_step_plus"))
CHECK_KEY(key_head_not_equal, check_value_is(result, expected, why, "head_not_equal"))
CHECK_KEY(key_equals_commit, check_value_is(result, expected, why, "equals_commit"))
CHECK_KEY(key_count_min, check_count_bound(result, expected, why, "count_min"))
CHECK_KEY(key_count_lt, check_count_bound(result, expected, why, "count_lt"))
CHECK_KEY(key_count_max, check_count_bound(result, expected, why, "count_max"))
CHECK_KEY(key_count_gt, check_count_bound(result, expected, why, "count_gt"))
CHECK_KEY(key_not_equals_step, check_vs_step(ctx, result, expected, why, "not_equals_step"))
CHECK_KEY(key_less_than_step, check_vs_step(ctx, result, expected, why, "less_than_step"))
CHECK_KEY(key_less_or_equal_step, check_vs_step(ctx, result, expected, why, "less_or_equal_step"))

const struct cf_check cf_checks_engine[] = {
	{ "error_kind", check_error_kind },
	{ "rows", key_rows },
	{ "values", key_values },
	{ "includes", key_includes },
	{ "excludes", key_excludes },
	{ "all_unique", key_all_unique },
	{ "all_nonempty", key_all_nonempty },
	{ "equals_step", key_equals_step },
	{ "greater_than_step", key_greater_than_step },
	{ "greater_or_equal_step", key_greater_or_equal_step },
	{ "equals_step_plus", key_equals_step_plus },
	{ "length_equals_step_plus", key_length_equals_step_plus },
	{ "head_not_equal", key_head_not_equal },
	{ "equals_commit", key_equals_commit },
	{ "commit_present", check_commit_present },
	{ "count_min", key_count_min },
	{ "count_lt", key_count_lt },
	{ "count_max", key_count_max },
	{ "count_gt", key_count_gt },
	{ "not_equals_step", key_not_equals_step },
	{ "less_than_step", key_less_than_step },
	{ "less_or_equal_step", key_less_or_equal_step },
	{ "contains_any_ci", check_contains_any_ci },
	{ "each_line_data_id_equals_key", check_line_ids },
	{ "rows_by_title", check_rows_by_title },
	{ NULL, NULL },
};
