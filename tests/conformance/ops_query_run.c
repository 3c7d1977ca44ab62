/*
 * tests/conformance/ops_query_run.c — the `query` op (run a read query at
 * a branch, a commit or a graph version) through grove_query(), and the
 * expectation keys of its results that generic matching cannot express.
 *
 * The op's result:
 *   {"ok": true, "num_rows": n, "columns": [...], "rows": [[v, ...], ...],
 *    "null_count": {column: NULLs in it},
 *    "json_rows": [{column: v}, ...], "column_types": [{name, type}],
 *    "head": <commit read>, "value": <commit read>}
 * Column types use Arrow's names, as the cases do (I64 -> "Int64").
 * `save_head_as` saves "head" (the runner's save_<field>_as rule).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "ops_engine.h"
#include "runner.h"

/* ---- the op ------------------------------------------------------------- */

static const char *arrow_name(const char *t)
{
	static const char *const map[][2] = {
		{ "String", "Utf8" },     { "Bool", "Boolean" },   { "I32", "Int32" },
		{ "I64", "Int64" },       { "U32", "UInt32" },     { "U64", "UInt64" },
		{ "F32", "Float32" },     { "F64", "Float64" },    { "Date", "Date32" },
		{ "DateTime", "Date64" }, { "Blob", "Binary" },
	};
	for (size_t i = 0; t != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(t, map[i][0]) == 0)
			return map[i][1];
	return t ? t : "?";
}

/* A cell's JSON text as a value (cf_loads reads only arrays and objects:
 * wrap it). */
static json_t *cell_json(const char *text)
{
	json_error_t je;
	char *wrapped = NULL;
	if (text == NULL || asprintf(&wrapped, "[%s]", text) < 0)
		return json_null();
	json_t *a = cf_loads(wrapped, &je);
	free(wrapped);
	json_t *v = json_incref(json_array_get(a, 0));
	json_decref(a);
	return v ? v : json_null();
}

static json_t *result_json(grove_result *res)
{
	size_t nc = grove_result_ncols(res), nr = grove_result_nrows(res);
	json_t *cols = json_array(), *types = json_array(), *rows = json_array(), *objs = json_array();
	for (size_t c = 0; c < nc; c++) {
		json_array_append_new(cols, json_string(grove_result_column(res, c)));
		json_array_append_new(types, json_pack("{s:s, s:s}", "name", grove_result_column(res, c), "type",
		                                       arrow_name(grove_result_column_type(res, c))));
	}
	json_t *nulls = json_object();   /* "null_count": {column: NULLs in it} */
	for (size_t c = 0; c < nc; c++)
		json_object_set_new(nulls, grove_result_column(res, c), json_integer(0));
	for (size_t i = 0; i < nr; i++) {
		json_t *row = json_array(), *obj = json_object();
		for (size_t c = 0; c < nc; c++) {
			json_t *v = cell_json(grove_result_value_json(res, i, c));
			json_array_append(row, v);
			if (json_is_null(v)) {
				json_t *n = json_object_get(nulls, grove_result_column(res, c));
				json_integer_set(n, json_integer_value(n) + 1);
			}
			json_object_set_new(obj, grove_result_column(res, c), v);
		}
		json_array_append_new(rows, row);
		json_array_append_new(objs, obj);
	}
	const char *head = grove_result_commit_id(res);
	return json_pack("{s:b, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "ok", 1, "num_rows", (json_int_t)nr,
	                 "columns", cols, "column_types", types, "rows", rows, "json_rows", objs, "head",
	                 eg_str_or_null(head), "value", eg_str_or_null(head), "null_count", nulls);
}

static json_t *op_query(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch_or_commit", &t, &fail);
	if (db == NULL)
		return fail;
	char why[CF_WHY_BYTES];
	const char *key = json_object_get(step, "query_file") ? "query_file" : "query";
	char *src = cf_text(ctx, step, key, NULL, why);
	if (src == NULL)
		return cf_error(why, 0);
	const json_t *params = json_object_get(step, "params");
	char *pj = params ? json_dumps(params, JSON_COMPACT) : NULL;
	grove_result *res = NULL;
	int err = grove_query(&res, db, &t.t, src, eg_str(step, "name"), pj);
	free(pj);
	free(src);
	if (err < 0 && strstr(grove_errmsg(db), "is not supported yet") != NULL) {
		snprintf(ctx->skip, sizeof(ctx->skip), "%s", grove_errmsg(db));  /* a later issue */
		return NULL;
	}
	if (err < 0)
		return eg_fail(db, err);
	json_t *r = result_json(res);
	grove_result_free(res);
	return r;
}

const struct cf_op cf_ops_query_run[] = {
	{ "query", op_query },
	{ NULL, NULL },
};

/* ---- checks ------------------------------------------------------------- */

/* The values of the column an expectation names by "index" or "name". */
static json_t *column_values(const json_t *result, const json_t *spec, char *why)
{
	const json_t *cols = json_object_get(result, "columns");
	const json_t *rows = json_object_get(result, "rows");
	const json_t *idx = json_object_get(spec, "index");
	const char *name = json_string_value(json_object_get(spec, "name"));
	long col = json_is_integer(idx) ? (long)json_integer_value(idx) : -1;
	for (size_t c = 0; name != NULL && c < json_array_size(cols); c++)
		if (strcmp(json_string_value(json_array_get(cols, c)), name) == 0)
			col = (long)c;
	if (!json_is_array(rows) || col < 0 || (size_t)col >= json_array_size(cols)) {
		snprintf(why, CF_WHY_BYTES, "the step has no such column (or no rows)");
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row)
		json_array_append(out, json_array_get(row, (size_t)col));
	return out;
}

static int cmp_json(const void *a, const void *b)
{
	char *sa = json_dumps(*(json_t *const *)a, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	char *sb = json_dumps(*(json_t *const *)b, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	int c = strcmp(sa ? sa : "", sb ? sb : "");
	free(sa);
	free(sb);
	return c;
}

/* A sorted copy (by compact text), without nulls when `drop_nulls`. */
static json_t *sorted(const json_t *a, int drop_nulls)
{
	size_t n = json_array_size(a), k = 0;
	json_t **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v != NULL && i < n; i++)
		if (!drop_nulls || !json_is_null(json_array_get(a, i)))
			v[k++] = json_array_get(a, i);
	if (v != NULL)
		qsort(v, k, sizeof(*v), cmp_json);
	json_t *out = json_array();
	for (size_t i = 0; i < k; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

static int has_value(const json_t *vals, const json_t *v)
{
	size_t i;
	const json_t *x;
	json_array_foreach(vals, i, x)
		if (json_equal(x, v))
			return 1;
	return 0;
}

/* "contains" / "not_contains": membership of each item; "values_prefix":
 * the column starts with these values. */
static int column_members(const json_t *vals, const json_t *expected, char *why)
{
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(expected, "contains"), i, v)
		if (!has_value(vals, v)) {
			snprintf(why, CF_WHY_BYTES, "column: %s missing", json_string_value(v) ? json_string_value(v) : "a value");
			return 0;
		}
	json_array_foreach(json_object_get(expected, "not_contains"), i, v)
		if (has_value(vals, v)) {
			snprintf(why, CF_WHY_BYTES, "column: %s present", json_string_value(v) ? json_string_value(v) : "a value");
			return 0;
		}
	json_array_foreach(json_object_get(expected, "values_prefix"), i, v)
		if (!json_equal(json_array_get(vals, i), v)) {
			snprintf(why, CF_WHY_BYTES, "column: value %zu differs from the expected prefix", i);
			return 0;
		}
	return 1;
}

/* values_generator "TEMPLATE for VAR in FROM..TO": the template with {VAR}
 * (or {VAR:0N}, zero-padded to N digits) replaced, for VAR in [FROM, TO). */
static json_t *generated_values(const char *g, char *why)
{
	const char *f = strstr(g, " for ");
	char var[32];
	long long from, to;
	int used = 0;
	if (f == NULL || sscanf(f, " for %31s in %lld..%lld%n", var, &from, &to, &used) != 3 ||
	    f[used] != '\0' || to < from) {
		snprintf(why, CF_WHY_BYTES, "column: values_generator '%s' is not 'T for v in a..b'", g);
		return NULL;
	}
	size_t vn = strlen(var), tn = (size_t)(f - g);
	json_t *out = json_array();
	char *item = malloc(tn * 4 + 64);
	for (long long v = from; out != NULL && item != NULL && v < to; v++) {
		size_t o = 0;
		for (size_t i = 0; i < tn;) {
			int width = 0, n = 0;
			if (g[i] == '{' && strncmp(g + i + 1, var, vn) == 0 && g[i + 1 + vn] == '}') {
				n = (int)vn + 2;
			} else if (g[i] == '{' && strncmp(g + i + 1, var, vn) == 0 && g[i + 1 + vn] == ':' &&
			           sscanf(g + i + 2 + vn, "0%d}%n", &width, &n) == 1 && n > 0) {
				n += (int)vn + 2;
			} else {
				item[o++] = g[i++];
				continue;
			}
			o += (size_t)sprintf(item + o, "%0*lld", width, v);
			i += (size_t)n;
		}
		item[o] = '\0';
		json_array_append_new(out, json_string(item));
	}
	free(item);
	return out;
}

static int check_column(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                        const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	json_t *vals = column_values(result, expected, why);
	const json_t *want = json_object_get(expected, "values");
	const char *gen = json_string_value(json_object_get(expected, "values_generator"));
	json_t *made = NULL;
	if (vals == NULL)
		return 0;
	if (want == NULL && gen != NULL && (want = made = generated_values(gen, why)) == NULL) {
		json_decref(vals);
		return 0;
	}
	int ok;
	if (want == NULL) {
		ok = column_members(vals, expected, why);
	} else if (json_is_true(json_object_get(expected, "ordered"))) {
		ok = cf_match(want, vals, "column", why);
	} else {
		json_t *a = sorted(vals, 0), *b = sorted(want, 0);
		ok = json_equal(a, b) || cf_match(b, a, "column", why);
		if (!ok) {  /* the tests compare the non-null values */
			json_decref(a);
			a = sorted(vals, 1);
			ok = cf_match(b, a, "column", why);
		}
		json_decref(a);
		json_decref(b);
	}
	json_decref(made);
	json_decref(vals);
	return ok;
}

static int check_column_contains(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                                 const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	json_t *vals = column_values(result, expected, why);
	if (vals == NULL)
		return 0;
	size_t i, k;
	const json_t *w, *v;
	int ok = 1;
	json_array_foreach(json_object_get(expected, "values"), i, w) {
		int found = 0;
		json_array_foreach(vals, k, v)
			found |= json_equal(w, v);
		if (!found) {
			char *s = json_dumps(vals, JSON_COMPACT);
			snprintf(why, CF_WHY_BYTES, "column_contains: %.200s not in %.600s",
			         json_string_value(w) ? json_string_value(w) : "value", s ? s : "?");
			free(s);
			ok = 0;
			break;
		}
	}
	json_decref(vals);
	return ok;
}

static int check_column_prefix(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                               const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	json_t *vals = column_values(result, expected, why);
	const char *prefix = json_string_value(json_object_get(expected, "prefix"));
	if (vals == NULL || prefix == NULL) {
		json_decref(vals);
		return 0;
	}
	size_t i;
	const json_t *v;
	int ok = 1;
	json_array_foreach(vals, i, v) {
		if (!json_is_string(v) || strncmp(json_string_value(v), prefix, strlen(prefix)) != 0) {
			snprintf(why, CF_WHY_BYTES, "column_all_start_with: value %zu does not start with %s", i, prefix);
			ok = 0;
			break;
		}
	}
	json_decref(vals);
	return ok;
}

/* "column_types": [{name, type}] each present in the result's. */
static int check_column_types(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                              const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const json_t *have = json_object_get(result, "column_types");
	size_t i, k;
	const json_t *w, *h;
	json_array_foreach(expected, i, w) {
		int found = 0;
		json_array_foreach(have, k, h)
			found |= json_equal(w, h);
		if (!found) {
			char *s = json_dumps(have, JSON_COMPACT);
			snprintf(why, CF_WHY_BYTES, "column_types: %s %s not in %.600s",
			         json_string_value(json_object_get(w, "name")), json_string_value(json_object_get(w, "type")),
			         s ? s : "?");
			free(s);
			return 0;
		}
	}
	return 1;
}

/* "json_rows": every expected object matches a distinct row object. */
static int check_json_rows(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                           const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const json_t *rows = json_object_get(result, "json_rows");
	size_t i, k;
	const json_t *w, *r;
	json_array_foreach(expected, i, w) {
		int found = 0;
		char sub[CF_WHY_BYTES];
		json_array_foreach(rows, k, r)
			found |= cf_match(w, r, "", sub);
		if (!found) {
			char *s = json_dumps(rows, JSON_COMPACT);
			snprintf(why, CF_WHY_BYTES, "json_rows: item %zu not found in %.600s", i, s ? s : "?");
			free(s);
			return 0;
		}
	}
	return 1;
}

static int check_absent_keys(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                             const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	size_t i, k;
	const json_t *key, *r;
	json_array_foreach(json_object_get(result, "json_rows"), k, r)
		json_array_foreach(expected, i, key)
			if (json_object_get(r, json_string_value(key)) != NULL) {
				snprintf(why, CF_WHY_BYTES, "absent_keys: row %zu has %s", k, json_string_value(key));
				return 0;
			}
	return 1;
}

/* The position of column `key` ("colN", or a name among `cols`), or -1. */
static long column_at(const char *key, size_t len, const json_t *cols)
{
	unsigned c;
	int used = 0;
	if (sscanf(key, "col%u%n", &c, &used) == 1 && (size_t)used == len)
		return (long)c;
	for (size_t i = 0; i < json_array_size(cols); i++) {
		const char *n = json_string_value(json_array_get(cols, i));
		if (n != NULL && strlen(n) == len && strncmp(n, key, len) == 0)
			return (long)i;
	}
	return -1;
}

/* {"colN" | name: v, "<name>_not_null": true, ...} against a positional
 * row whose columns are named by `cols`. */
static int row_has(const json_t *row, const json_t *want, const json_t *cols, char *why)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)want, k, v) {
		size_t len = strlen(k);
		int not_null = len > 9 && strcmp(k + len - 9, "_not_null") == 0;
		long c = column_at(k, not_null ? len - 9 : len, cols);
		const json_t *have = c < 0 ? NULL : json_array_get(row, (size_t)c);
		if (not_null ? have == NULL || json_is_null(have) != !json_is_true(v) : !cf_match(v, have, k, why))
			return 0;
	}
	return 1;
}

/* The column names of a step's rows: the result's, or the step's own
 * "columns" (scan_table). */
static const json_t *row_columns(struct cf_ctx *ctx, const json_t *result, const json_t *expectation)
{
	const json_t *cols = json_object_get(result, "columns");
	if (cols != NULL)
		return cols;
	const json_t *steps = json_object_get(ctx->case_obj, "steps");
	const json_t *step = json_array_get(steps, (size_t)json_integer_value(json_object_get(expectation, "step")));
	return json_object_get(step, "columns");
}

static int check_partial_rows(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                              const json_t *expectation, char *why)
{
	const json_t *cols = row_columns(ctx, result, expectation);
	const json_t *rows = json_object_get(result, "rows");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)expected, k, v) {
		const json_t *row = json_array_get(rows, (size_t)strtoul(k, NULL, 10));
		if (row == NULL || !row_has(row, v, cols, why)) {
			if (row == NULL)
				snprintf(why, CF_WHY_BYTES, "partial_rows: no row %s", k);
			return 0;
		}
	}
	return 1;
}

static int check_row_where(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                           const json_t *expectation, char *why)
{
	const json_t *cols = row_columns(ctx, result, expectation);
	size_t i;
	const json_t *row;
	char sub[CF_WHY_BYTES];
	json_array_foreach(json_object_get(result, "rows"), i, row)
		if (row_has(row, expected, cols, sub))
			return 1;
	snprintf(why, CF_WHY_BYTES, "row_where: no row matches");
	return 0;
}

static int near(const json_t *want, const json_t *have, double tol)
{
	if (json_is_number(want) && json_is_number(have))
		return fabs(json_number_value(want) - json_number_value(have)) <= tol;
	return json_equal(want, have);
}

/* {"key": column, "rows": {key value: {column: value}}}. */
static int check_rows_by_key(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                             const json_t *expectation, char *why)
{
	(void)ctx;
	const char *key = json_string_value(json_object_get(expected, "key"));
	const json_t *tolj = json_object_get(expectation, "float_tolerance");
	double tol = json_is_number(tolj) ? json_number_value(tolj) : 0;
	const char *kv;
	const json_t *want;
	json_object_foreach(json_object_get(expected, "rows"), kv, want) {
		const json_t *row = NULL, *r;
		size_t i;
		json_array_foreach(json_object_get(result, "json_rows"), i, r) {
			const json_t *k = json_object_get(r, key ? key : "");
			if (json_is_string(k) && strcmp(json_string_value(k), kv) == 0)
				row = r;
		}
		const char *col;
		const json_t *v;
		if (row == NULL) {
			snprintf(why, CF_WHY_BYTES, "rows_by_key: no row with %s = %s", key ? key : "?", kv);
			return 0;
		}
		json_object_foreach((json_t *)want, col, v)
			if (!near(v, json_object_get(row, col), tol)) {
				snprintf(why, CF_WHY_BYTES, "rows_by_key: %s.%s differs", kv, col);
				return 0;
			}
	}
	return 1;
}

static int check_count(const json_t *result, const json_t *expected, char *why, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(result, "num_rows"));
	json_int_t w = json_integer_value(expected);
	int ok = strcmp(key, "nonempty") == 0 ? (n > 0) == json_is_true(expected)
	       : strcmp(key, "num_rows_min") == 0 ? n >= w : n <= w;
	if (!ok)
		snprintf(why, CF_WHY_BYTES, "%s: the result has %lld rows", key, (long long)n);
	return ok;
}

#define COUNT_KEY(fn, key)                                                                     \
	static int fn(struct cf_ctx *ctx, const json_t *result, const json_t *expected,          \
	              const json_t *expectation, char *why)                                      \
	{                                                                                        \
		(void)ctx;                                                                       \
		(void)expectation;                                                               \
		return check_count(result, expected, why, key);                                  \
	}
COUNT_KEY(check_nonempty, "nonempty")
COUNT_KEY(check_num_rows_min, "num_rows_min")
COUNT_KEY(check_num_rows_max, "num_rows_max")

/* "contains" / "not_contains" at the top level of an expectation: items
 * among a step's "values" (scan_table) or "value". */
static int check_values_member(const json_t *result, const json_t *expected, char *why, int want)
{
	const json_t *vals = json_object_get(result, "values");
	if (vals == NULL)
		vals = json_object_get(result, "value");
	size_t i;
	const json_t *v;
	json_array_foreach(expected, i, v)
		if (has_value(vals, v) != want) {
			snprintf(why, CF_WHY_BYTES, "%s: %s %s", want ? "contains" : "not_contains",
			         json_string_value(v) ? json_string_value(v) : "a value", want ? "missing" : "present");
			return 0;
		}
	return 1;
}

static int check_contains(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                          const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	return check_values_member(result, expected, why, 1);
}

static int check_not_contains(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                              const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	return check_values_member(result, expected, why, 0);
}

const struct cf_check cf_checks_query_run[] = {
	{ "contains", check_contains },
	{ "not_contains", check_not_contains },
	{ "column", check_column },
	{ "column_contains", check_column_contains },
	{ "column_all_start_with", check_column_prefix },
	{ "column_types", check_column_types },
	{ "json_rows", check_json_rows },
	{ "absent_keys", check_absent_keys },
	{ "partial_rows", check_partial_rows },
	{ "row_where", check_row_where },
	{ "rows_by_key", check_rows_by_key },
	{ "nonempty", check_nonempty },
	{ "num_rows_min", check_num_rows_min },
	{ "num_rows_max", check_num_rows_max },
	{ NULL, NULL },
};
