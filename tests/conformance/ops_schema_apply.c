/*
 * tests/conformance/ops_schema_apply.c — the migration ops: schema_plan and
 * schema_apply through grove_schema_plan_json() / grove_schema_apply_json(),
 * and the expectation keys only they use (steps_exclude).
 *
 * Results: the engine's JSON object plus "ok"; each step also carries
 * "step" (its kind), the name the cases match on ("DropType" matches
 * "drop_type": cf_match compares name-like strings case- and
 * underscore-insensitively).  An apply's result also holds "catalog_key":
 * each keyed node type's key members in identity order, read back with
 * grove_catalog_json().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_engine.h"
#include "runner.h"

/* Parse engine JSON into a result object (NULL: *fail set). */
static json_t *sa_parse(char *text, json_t **fail)
{
	json_error_t jerr;
	json_t *r = cf_loads(text, &jerr);
	grove_free(text);
	if (!json_is_object(r)) {
		json_decref(r);
		*fail = eg_refuse("Internal", "the engine's JSON does not parse: %s", jerr.text);
		return NULL;
	}
	return r;
}

/* The comma-separated names in v[0..end) ("a, b"), as a JSON array. */
static json_t *sa_names(const char *v, const char *end)
{
	json_t *names = json_array();
	while (v < end) {
		while (v < end && (*v == ' ' || *v == ','))
			v++;
		const char *e = v;
		while (e < end && *e != ',')
			e++;
		if (e > v)
			json_array_append_new(names, json_stringn(v, (size_t)(e - v)));
		v = e;
	}
	return names;
}

/* Grove's "String?" as OmniGraph's plan writes a property type:
 * {"scalar", "nullable", "list", "enum_values"}. */
static json_t *sa_prop_type(const char *text)
{
	size_t n = strlen(text);
	int nullable = n > 0 && text[n - 1] == '?';
	if (nullable)
		n--;
	int list = n >= 2 && text[0] == '[' && text[n - 1] == ']';
	const char *t = list ? text + 1 : text;
	size_t tn = list ? n - 2 : n;
	json_t *enums = json_null();
	char scalar[64];
	if (tn > 6 && strncmp(t, "enum(", 5) == 0 && t[tn - 1] == ')') {
		enums = sa_names(t + 5, t + tn - 1);
		snprintf(scalar, sizeof scalar, "String");
	} else {
		snprintf(scalar, sizeof scalar, "%.*s", (int)tn, t);
	}
	return json_pack("{s:s, s:b, s:b, s:o}", "scalar", scalar, "nullable", nullable, "list", list,
	                 "enum_values", enums);
}

/* Grove's "@index(a, b)" as OmniGraph's {"Index": ["a", "b"]} (key,
 * unique, index; others stay text). */
static json_t *sa_constraint(const char *text)
{
	static const struct { const char *at, *name; } kinds[] = {
		{ "@index(", "Index" }, { "@unique(", "Unique" }, { "@key(", "Key" },
	};
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t an = strlen(kinds[k].at), n = strlen(text);
		if (strncmp(text, kinds[k].at, an) != 0 || n <= an || text[n - 1] != ')')
			continue;
		json_t *cols = sa_names(text + an, text + n - 1);
		return json_pack("{s:o}", kinds[k].name, cols);
	}
	return json_string(text);
}

/* Each step as the cases match it: "step" (its kind), and the fields
 * OmniGraph's plan writes as structures in its shape (property_type,
 * constraint, annotations as [{"name", "value"}]); "ok": true. */
static json_t *sa_result(json_t *r)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(r, "steps"), i, s) {
		json_object_set(s, "step", json_object_get(s, "kind"));
		const char *pt = json_string_value(json_object_get(s, "property_type"));
		if (pt)
			json_object_set_new(s, "property_type", sa_prop_type(pt));
		const char *c = json_string_value(json_object_get(s, "constraint"));
		if (c)
			json_object_set_new(s, "constraint", sa_constraint(c));
		json_t *a = json_object_get(s, "annotations");
		if (a && (json_is_object(a) || json_is_null(a))) {
			json_t *list = json_array();
			const char *k;
			json_t *v;
			json_object_foreach(a, k, v)
				json_array_append_new(list, json_pack("{s:s, s:O}", "name", k, "value", v));
			json_object_set_new(s, "annotations", list);
		}
	}
	json_object_set_new(r, "ok", json_true());
	return r;
}

static int sa_allow_data_loss(const json_t *step)
{
	return json_is_true(json_object_get(step, "allow_data_loss"));
}

static json_t *op_schema_plan(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	char why[CF_WHY_BYTES];
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	char *pg = cf_text(ctx, step, "schema", NULL, why);
	if (pg == NULL)
		return cf_error(why, 0);
	char *out = NULL;
	int err = grove_schema_plan_json(&out, db, pg, sa_allow_data_loss(step));
	free(pg);
	if (err < 0)
		return eg_fail(db, err);
	json_t *r = sa_parse(out, &fail);
	return r ? sa_result(r) : fail;
}

/* {"Type": [key members in identity order], ...} at main's head. */
json_t *eg_catalog_keys(grove_db *db)
{
	char *text = NULL;
	json_t *keys = json_object(), *fail = NULL;
	if (grove_catalog_json(&text, db, NULL) < 0)
		return keys;
	json_t *cat = sa_parse(text, &fail);
	json_decref(fail);
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(cat, "types"), i, t) {
		const json_t *key = json_object_get(t, "key");
		if (key != NULL)
			json_object_set(keys, json_string_value(json_object_get(t, "name")), (json_t *)key);
	}
	json_decref(cat);
	return keys;
}

static json_t *op_schema_apply(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	char why[CF_WHY_BYTES];
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	char *pg = cf_text(ctx, step, "schema", NULL, why);
	if (pg == NULL)
		return cf_error(why, 0);
	char *out = NULL;
	const char *actor = json_string_value(json_object_get(step, "actor"));
	int err = grove_schema_apply_json(&out, db, pg, sa_allow_data_loss(step), actor);
	free(pg);
	if (err < 0)
		return eg_fail(db, err);
	json_t *r = sa_parse(out, &fail);
	if (r == NULL)
		return fail;
	json_object_set_new(r, "catalog_key", eg_catalog_keys(db));
	return sa_result(r);
}

const struct cf_op cf_ops_schema_apply[] = {
	{ "schema_plan", op_schema_plan },
	{ "schema_apply", op_schema_apply },
	{ NULL, NULL },
};

/* "steps_exclude": no step matches any of the expected items. */
static int check_steps_exclude(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                               const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	size_t i, j;
	const json_t *want, *got;
	char ignored[CF_WHY_BYTES];
	json_array_foreach(expected, i, want) {
		json_array_foreach(json_object_get(result, "steps"), j, got) {
			if (cf_match(want, got, "steps", ignored)) {
				char *text = json_dumps(got, JSON_COMPACT);
				snprintf(why, CF_WHY_BYTES, "steps_exclude: step %zu matches: %.900s", j, text ? text : "?");
				free(text);
				return 0;
			}
		}
	}
	return 1;
}

const struct cf_check cf_checks_schema_apply[] = {
	{ "steps_exclude", check_steps_exclude },
	{ NULL, NULL },
};
