/* tests/conformance/match.c — generic expectation matching (runner.h). */
#include "runner.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Bounds the recursion over expected values (cases are shallow). */
#define MATCH_DEPTH_MAX 64

static int fail(char *why, const char *path, const json_t *expected, const json_t *actual)
{
	char *e = json_dumps(expected, JSON_COMPACT | JSON_ENCODE_ANY);
	char *a = actual ? json_dumps(actual, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	snprintf(why, CF_WHY_BYTES, "%s: expected %.300s, got %.300s", path[0] ? path : "(root)",
	         e ? e : "?", a ? a : "(missing)");
	free(e);
	free(a);
	return 0;
}

static int name_like(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!isalpha((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int loose_equal(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

static int match_at(const json_t *exp, const json_t *act, const char *path, char *why, int depth);

static int has_index_items(const json_t *arr)
{
	return json_array_size(arr) > 0 && json_is_object(json_array_get(arr, 0))
	       && json_object_get(json_array_get(arr, 0), "index") != NULL;
}

/* Every expected item must match some actual item. */
static int match_include(const json_t *exp, const json_t *act, const char *path, char *why, int depth)
{
	if (json_is_object(exp)) {
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)exp, k, v) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			const json_t *a = json_is_object(act) ? json_object_get(act, k) : NULL;
			if (a == NULL)
				return fail(why, sub, v, NULL);
			if (!match_include(v, a, sub, why, depth + 1))
				return 0;
		}
		return 1;
	}
	if (!json_is_array(exp) || !json_is_array(act))
		return fail(why, path, exp, act);
	size_t i;
	const json_t *e;
	json_array_foreach(exp, i, e) {
		int found = 0;
		for (size_t j = 0; j < json_array_size(act) && !found; j++) {
			char ignored[CF_WHY_BYTES];
			found = match_at(e, json_array_get(act, j), path, ignored, depth + 1);
		}
		if (!found) {
			char sub[256];
			snprintf(sub, sizeof(sub), "%s (an item)", path);
			return fail(why, sub, e, act);
		}
	}
	return 1;
}

static int match_object(const json_t *exp, const json_t *act, const char *path, char *why, int depth)
{
	if (!json_is_object(act))
		return fail(why, path, exp, act);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)exp, k, v) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		if (strcmp(k, "index") == 0)
			continue;
		size_t kl = strlen(k);
		if (kl > 8 && strcmp(k + kl - 8, "_include") == 0) {
			char base[128];
			snprintf(base, sizeof(base), "%.*s", (int)(kl - 8), k);
			const json_t *a = json_object_get(act, base);
			if (a == NULL)
				return fail(why, sub, v, NULL);
			if (!match_include(v, a, sub, why, depth + 1))
				return 0;
			continue;
		}
		const json_t *a = json_object_get(act, k);
		/* An optional field is omitted when empty (spec §5.1): an
		 * expected [] or null matches its absence. */
		if (a == NULL && (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0)))
			continue;
		if (a == NULL)
			return fail(why, sub, v, NULL);
		if (!match_at(v, a, sub, why, depth + 1))
			return 0;
	}
	return 1;
}

static int match_array(const json_t *exp, const json_t *act, const char *path, char *why, int depth)
{
	if (!json_is_array(act))
		return fail(why, path, exp, act);
	size_t i;
	const json_t *e;
	if (has_index_items(exp)) {
		json_array_foreach(exp, i, e) {
			json_int_t idx = json_integer_value(json_object_get(e, "index"));
			char sub[256];
			snprintf(sub, sizeof(sub), "%s[%lld]", path, (long long)idx);
			const json_t *a = idx >= 0 ? json_array_get(act, (size_t)idx) : NULL;
			if (a == NULL)
				return fail(why, sub, e, NULL);
			if (!match_at(e, a, sub, why, depth + 1))
				return 0;
		}
		return 1;
	}
	if (json_array_size(exp) != json_array_size(act))
		return fail(why, path, exp, act);
	json_array_foreach(exp, i, e) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!match_at(e, json_array_get(act, i), sub, why, depth + 1))
			return 0;
	}
	return 1;
}

static int match_at(const json_t *exp, const json_t *act, const char *path, char *why, int depth)
{
	if (depth > MATCH_DEPTH_MAX) {
		snprintf(why, CF_WHY_BYTES, "%s: expectation nested too deeply", path);
		return 0;
	}
	if (act == NULL)
		return fail(why, path, exp, NULL);
	if (json_is_object(exp))
		return match_object(exp, act, path, why, depth);
	if (json_is_array(exp))
		return match_array(exp, act, path, why, depth);
	if (json_is_number(exp)) {
		if (!json_is_number(act) || fabs(json_number_value(exp) - json_number_value(act)) > 0.0)
			return fail(why, path, exp, act);
		return 1;
	}
	if (json_is_string(exp)) {
		const char *e = json_string_value(exp);
		if (!json_is_string(act))
			return fail(why, path, exp, act);
		const char *a = json_string_value(act);
		if (strcmp(e, a) == 0 || (name_like(e) && loose_equal(e, a)))
			return 1;
		return fail(why, path, exp, act);
	}
	/* true, false, null */
	if (json_typeof(exp) != json_typeof(act))
		return fail(why, path, exp, act);
	return 1;
}

int cf_match(const json_t *expected, const json_t *actual, const char *path, char *why)
{
	return match_at(expected, actual, path, why, 0);
}
