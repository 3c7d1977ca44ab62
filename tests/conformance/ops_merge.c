/*
 * tests/conformance/ops_merge.c — the `merge` op through grove_merge_json:
 * outcomes and conflicts in the cases' vocabulary (AlreadyUpToDate,
 * FastForward, Merged; conflict kinds DivergentInsert, OrphanEdge, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "ops_engine.h"
#include "runner.h"

/* "divergent_insert" -> "DivergentInsert" */
static json_t *camel(const char *snake)
{
	char buf[64];
	size_t n = 0;
	int up = 1;
	for (const char *p = snake; *p && n + 1 < sizeof buf; p++) {
		if (*p == '_') {
			up = 1;
			continue;
		}
		buf[n++] = up && *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
		up = 0;
	}
	buf[n] = '\0';
	return json_string(buf);
}

static json_t *conflicts_of(const char *out)
{
	json_t *doc = out ? json_loads(out, 0, NULL) : NULL, *list = json_array(), *c;
	size_t i;
	json_array_foreach(json_object_get(doc, "merge_conflicts"), i, c) {
		json_t *x = json_deep_copy(c);
		json_object_set_new(x, "kind", camel(json_string_value(json_object_get(c, "kind"))));
		json_array_append_new(list, x);
	}
	json_decref(doc);
	return list;
}

static json_t *op_merge(struct cf_ctx *ctx, const json_t *step)
{
	grove_merge_options o = { .actor = eg_str(step, "actor") };
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	char *out = NULL;

	if (!db)
		return fail;
	int err = grove_merge_json(&out, db, eg_str(step, "source"), eg_str(step, "target"), &o);
	if (err < 0) {
		json_t *r = eg_fail(db, err);
		json_object_set_new(r, "conflicts", conflicts_of(out));
		grove_free(out);
		return r;
	}
	json_t *doc = json_loads(out, 0, NULL), *r = cf_ok();
	grove_free(out);
	json_object_set_new(r, "outcome",
			    camel(json_string_value(json_object_get(doc, "outcome"))));
	json_object_set(r, "commit", json_object_get(doc, "commit"));
	json_decref(doc);
	return r;
}

static int check_exact_count(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
			     const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	size_t n = json_array_size(json_object_get(result, "conflicts"));
	if (json_is_integer(expected) && (json_int_t)n == json_integer_value(expected))
		return 1;
	snprintf(why, CF_WHY_BYTES, "conflicts_exact_count: expected %lld, got %zu",
		 (long long)json_integer_value(expected), n);
	return 0;
}

const struct cf_op cf_ops_merge[] = {
	{ "merge", op_merge },
	{ NULL, NULL },
};

const struct cf_check cf_checks_merge[] = {
	{ "conflicts_exact_count", check_exact_count },
	{ NULL, NULL },
};
