/*
 * tests/conformance/checks_changes.c — expectation keys of the change-set
 * results (ops_changes.c) that generic matching cannot express.
 *
 * Both change shapes are read: the net diff's {kind, type_name, type_key,
 * id, op, endpoints{src,dst}} and a commit block's {kind, type{id,name},
 * id, op, before, after} (images {properties, endpoints{from,to}}).
 * Kinds and ops compare without regard to letter case ("Insert" is the
 * diff's, "insert" a block's).  Tuples in expectations are (type_key, id,
 * op) or (id, op).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runner.h"

#define CHECK(fn) static int fn(struct cf_ctx *ctx, const json_t *result, const json_t *expected, \
                                const json_t *expectation, char *why)
#define UNUSED (void)ctx, (void)expectation

static const char *s_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static const json_t *changes_of(const json_t *result)
{
	return json_object_get(result, "changes");
}

static const char *type_name(const json_t *c)
{
	const json_t *t = json_object_get(c, "type");
	return json_is_object(t) ? s_of(t, "name") : json_object_get(c, "type_name") ? s_of(c, "type_name") : s_of(c, "type");
}

static void type_key(char *buf, size_t cap, const json_t *c)
{
	if (json_object_get(c, "type_key") != NULL)
		snprintf(buf, cap, "%s", s_of(c, "type_key"));
	else
		snprintf(buf, cap, "%s:%s", strcasecmp(s_of(c, "kind"), "edge") ? "node" : "edge", type_name(c));
}

static int is_edge(const json_t *c)
{
	return strcasecmp(s_of(c, "kind"), "edge") == 0;
}

static const char *item(const json_t *a, size_t i)
{
	const char *s = json_string_value(json_array_get(a, i));
	return s ? s : "";
}

/* (type_key, id, op) or (id, op) against one change. */
static int tuple_matches(const json_t *t, const json_t *c)
{
	size_t n = json_array_size(t);
	char key[512];
	type_key(key, sizeof(key), c);
	if (n == 3)
		return !strcmp(key, item(t, 0)) && !strcmp(s_of(c, "id"), item(t, 1)) &&
		       !strcasecmp(s_of(c, "op"), item(t, 2));
	if (n == 2)
		return !strcmp(s_of(c, "id"), item(t, 0)) && !strcasecmp(s_of(c, "op"), item(t, 1));
	return 0;
}

static int fail_list(char *why, const char *key, const json_t *expected, const json_t *actual)
{
	json_t *brief = json_array();
	size_t i;
	const json_t *c;
	json_array_foreach(actual, i, c) {
		char k[512];
		type_key(k, sizeof(k), c);
		json_array_append_new(brief, json_pack("[s,s,s]", k, s_of(c, "id"), s_of(c, "op")));
	}
	char *e = json_dumps(expected, JSON_COMPACT), *a = json_dumps(brief, JSON_COMPACT);
	snprintf(why, CF_WHY_BYTES, "%s: expected %.400s, got %.500s", key, e ? e : "?", a ? a : "?");
	free(e);
	free(a);
	json_decref(brief);
	return 0;
}

/* The tuples against the changes: same length; in order, or each matched
 * by a distinct change. */
static int tuples_match(const json_t *expected, const json_t *actual, int ordered)
{
	size_t n = json_array_size(actual);
	if (json_array_size(expected) != n)
		return 0;
	char *used = calloc(n + 1, 1);
	int ok = used != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		const json_t *t = json_array_get(expected, i);
		int found = 0;
		for (size_t j = ordered ? i : 0; !found && j < (ordered ? i + 1 : n); j++)
			if (!used[j] && tuple_matches(t, json_array_get(actual, j)))
				used[j] = 1, found = 1;
		ok = found;
	}
	free(used);
	return ok;
}

CHECK(check_changes)
{
	(void)ctx;
	const json_t *actual = changes_of(result);
	int ordered = json_is_true(json_object_get(expectation, "ordered"));
	if (!json_is_array(actual))
		return fail_list(why, "changes", expected, NULL);
	if (json_array_size(expected) > 0 && !json_is_array(json_array_get(expected, 0)))
		return cf_match(expected, actual, "changes", why);
	return tuples_match(expected, actual, ordered) ? 1 : fail_list(why, "changes", expected, actual);
}

CHECK(check_changes_ordered)
{
	UNUSED;
	const json_t *actual = changes_of(result);
	return tuples_match(expected, actual, 1) ? 1 : fail_list(why, "changes_ordered", expected, actual);
}

CHECK(check_node_changes_ordered)
{
	UNUSED;
	json_t *nodes = json_array();
	size_t i;
	const json_t *c;
	json_array_foreach(changes_of(result), i, c)
		if (!is_edge(c))
			json_array_append(nodes, (json_t *)c);
	int ok = tuples_match(expected, nodes, 1) ? 1 : fail_list(why, "node_changes_ordered", expected, nodes);
	json_decref(nodes);
	return ok;
}

/* One expected change object against one change: subset match, except
 * that "endpoints": "present_nonempty" asks for endpoints with both ids. */
static int change_matches(const json_t *e, const json_t *c, char *why)
{
	json_t *copy = json_deep_copy(e);
	const char *ep = json_string_value(json_object_get(e, "endpoints"));
	int ok = 1;
	if (ep != NULL && strcmp(ep, "present_nonempty") == 0) {
		const json_t *a = json_object_get(c, "endpoints");
		ok = json_is_object(a) && s_of(a, "src")[0] && s_of(a, "dst")[0];
		json_object_del(copy, "endpoints");
	}
	ok = ok && cf_match(copy, c, "change", why);
	json_decref(copy);
	return ok;
}

static int find_change(const json_t *e, const json_t *actual)
{
	char scratch[CF_WHY_BYTES];
	size_t i;
	const json_t *c;
	json_array_foreach(actual, i, c)
		if (change_matches(e, c, scratch))
			return 1;
	return 0;
}

static int include_exclude(const json_t *result, const json_t *expected, char *why, int include)
{
	const json_t *actual = changes_of(result);
	size_t i;
	const json_t *e;
	json_array_foreach(expected, i, e)
		if (find_change(e, actual) != include)
			return fail_list(why, include ? "changes_include" : "changes_exclude", e, actual);
	return 1;
}

CHECK(check_changes_include)
{
	UNUSED;
	return include_exclude(result, expected, why, 1);
}

CHECK(check_changes_exclude)
{
	UNUSED;
	return include_exclude(result, expected, why, 0);
}

/* A detail item: the change with its id (and kind/op when given), its
 * type name, before/after property subsets, endpoints (null: none). */
static int detail_matches(const json_t *d, const json_t *c, char *why)
{
	if (strcmp(s_of(c, "id"), s_of(d, "id")) ||
	    (json_object_get(d, "kind") && strcasecmp(s_of(c, "kind"), s_of(d, "kind"))) ||
	    (json_object_get(d, "op") && strcasecmp(s_of(c, "op"), s_of(d, "op"))) ||
	    (json_object_get(d, "type") && strcmp(type_name(c), s_of(d, "type"))))
		return 0;
	static const char *const sides[] = { "before", "after" };
	for (int k = 0; k < 2; k++) {
		const json_t *want = json_object_get(d, sides[k]);
		const json_t *img = json_object_get(c, sides[k]);
		if (want != NULL && !cf_match(want, json_object_get(img, "properties"), sides[k], why))
			return 0;
	}
	const json_t *ep = json_object_get(d, "endpoints");
	if (ep == NULL)
		return 1;
	const json_t *img = json_object_get(c, json_object_get(c, "after") ? "after" : "before");
	const json_t *got = img ? json_object_get(img, "endpoints") : json_object_get(c, "endpoints");
	if (json_is_null(ep))
		return got == NULL || json_is_null(got);
	return cf_match(ep, got, "endpoints", why);
}

CHECK(check_changes_detail)
{
	UNUSED;
	size_t i, j;
	const json_t *d, *c;
	json_array_foreach(expected, i, d) {
		int found = 0;
		char sub[CF_WHY_BYTES] = "no change with this id, kind and op";
		json_array_foreach(changes_of(result), j, c)
			if (!found && detail_matches(d, c, sub))
				found = 1;
		if (!found) {
			char *s = json_dumps(d, JSON_COMPACT);
			snprintf(why, CF_WHY_BYTES, "changes_detail %.300s: %.600s", s ? s : "?", sub);
			free(s);
			return 0;
		}
	}
	return 1;
}

/* all_ops, before_all_null, before_present, after_absent,
 * nodes_before_edges, edge_before_endpoints_from: a property of every
 * change. */
static int every(const json_t *result, const char *key, const json_t *expected, char *why)
{
	size_t i, edges = 0;
	const json_t *c;
	int seen_edge = 0;
	json_array_foreach(changes_of(result), i, c) {
		int ok = 1;
		if (!strcmp(key, "all_ops"))
			ok = !strcasecmp(s_of(c, "op"), json_string_value(expected) ? json_string_value(expected) : "");
		else if (!strcmp(key, "before_all_null"))
			ok = json_object_get(c, "before") == NULL || json_is_null(json_object_get(c, "before"));
		else if (!strcmp(key, "before_present"))
			ok = json_is_object(json_object_get(c, "before"));
		else if (!strcmp(key, "after_absent"))
			ok = json_object_get(c, "after") == NULL || json_is_null(json_object_get(c, "after"));
		else if (!strcmp(key, "nodes_before_edges"))
			ok = is_edge(c) || !seen_edge;
		else if (!strcmp(key, "edge_before_endpoints_from") && is_edge(c) && ++edges)
			ok = !strcmp(s_of(json_object_get(json_object_get(c, "before"), "endpoints"), "from"),
			                        json_string_value(expected) ? json_string_value(expected) : "");
		seen_edge |= is_edge(c);
		if (!ok == !json_is_false(expected)) {
			snprintf(why, CF_WHY_BYTES, "%s: change %zu (%s %s) breaks it", key, i, s_of(c, "op"), s_of(c, "id"));
			return 0;
		}
	}
	if (!strcmp(key, "edge_before_endpoints_from") && edges == 0) {
		snprintf(why, CF_WHY_BYTES, "%s: no edge change", key);
		return 0;
	}
	return 1;
}

#define EVERY(fn, key) CHECK(fn) { UNUSED; return every(result, key, expected, why); }
EVERY(check_all_ops, "all_ops")
EVERY(check_before_all_null, "before_all_null")
EVERY(check_before_present, "before_present")
EVERY(check_after_absent, "after_absent")
EVERY(check_nodes_before_edges, "nodes_before_edges")
EVERY(check_edge_before_from, "edge_before_endpoints_from")

static int first_after(const json_t *result, const json_t *expected, char *why, int exact)
{
	const json_t *p = json_object_get(json_object_get(json_array_get(changes_of(result), 0), "after"), "properties");
	if (!cf_match(expected, p, "first_after_properties", why))
		return 0;
	if (exact && json_object_size(p) != json_object_size(expected)) {
		snprintf(why, CF_WHY_BYTES, "first_after_properties: %zu properties, expected %zu",
		         json_object_size(p), json_object_size(expected));
		return 0;
	}
	return 1;
}

CHECK(check_first_after)
{
	UNUSED;
	return first_after(result, expected, why, 1);
}

CHECK(check_first_after_subset)
{
	UNUSED;
	return first_after(result, expected, why, 0);
}

/* "present": a token; null: none. */
CHECK(check_next_page_token)
{
	UNUSED;
	const json_t *t = json_object_get(result, "next_page_token");
	int want = json_is_string(expected) && !strcmp(json_string_value(expected), "present");
	if (want == json_is_string(t))
		return 1;
	snprintf(why, CF_WHY_BYTES, "next_page_token: expected %s", want ? "a token" : "none");
	return 0;
}

CHECK(check_block0_change_ids)
{
	UNUSED;
	const json_t *changes = json_object_get(json_array_get(json_object_get(result, "blocks"), 0), "changes");
	json_t *ids = json_array();
	size_t i;
	const json_t *c;
	json_array_foreach(changes, i, c)
		json_array_append_new(ids, json_string(s_of(c, "id")));
	int ok = cf_match(expected, ids, "block0_change_ids", why);
	json_decref(ids);
	return ok;
}

/* Person changes of a diff after a merge (changes.rs, a weak upstream
 * assertion): at most n inserts; some update or insert. */
static size_t person_ops(const json_t *result, int inserts_only)
{
	size_t i, n = 0;
	const json_t *c;
	json_array_foreach(changes_of(result), i, c)
		if (!strcmp(type_name(c), "Person") && (!strcasecmp(s_of(c, "op"), "insert") ||
		                                        (!inserts_only && !strcasecmp(s_of(c, "op"), "update"))))
			n++;
	return n;
}

CHECK(check_person_inserts_max)
{
	UNUSED;
	size_t n = person_ops(result, 1);
	if ((json_int_t)n <= json_integer_value(expected))
		return 1;
	snprintf(why, CF_WHY_BYTES, "person_inserts_max: %zu Person inserts", n);
	return 0;
}

CHECK(check_person_upd_or_ins)
{
	UNUSED;
	if ((person_ops(result, 0) > 0) == json_is_true(expected))
		return 1;
	snprintf(why, CF_WHY_BYTES, "person_updates_or_inserts_nonempty: none");
	return 0;
}

/* nodes_loaded / edges_loaded {Type: n}: grove_load_result counts nodes and
 * edges, not per type, so this checks the total (weaker than upstream). */
static int loaded(const json_t *result, const json_t *expected, char *why, const char *field)
{
	json_int_t want = 0;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)expected, k, v)
		want += json_integer_value(v);
	json_int_t got = json_integer_value(json_object_get(result, field));
	if (got == want)
		return 1;
	snprintf(why, CF_WHY_BYTES, "%s_loaded: %lld in total, expected %lld", field, (long long)got, (long long)want);
	return 0;
}

CHECK(check_nodes_loaded)
{
	UNUSED;
	return loaded(result, expected, why, "nodes");
}

CHECK(check_edges_loaded)
{
	UNUSED;
	return loaded(result, expected, why, "edges");
}

/* affected_edges_min n: a mutation touched at least n edges. */
CHECK(check_affected_edges_min)
{
	UNUSED;
	json_int_t got = json_integer_value(json_object_get(result, "affected_edges"));
	if (json_is_integer(json_object_get(result, "affected_edges")) && got >= json_integer_value(expected))
		return 1;
	snprintf(why, CF_WHY_BYTES, "affected_edges_min: got %lld", (long long)got);
	return 0;
}

/* no_value_equals v (scan_table after a cascading delete): no value of the
 * step's "values", and no cell of its "rows", equals v. */
CHECK(check_no_value_equals)
{
	UNUSED;
	const json_t *vals = json_object_get(result, "values"), *rows = json_object_get(result, "rows");
	size_t i, j;
	const json_t *v, *cell;
	json_array_foreach(vals, i, v)
		if (json_equal(v, expected))
			return snprintf(why, CF_WHY_BYTES, "no_value_equals: value %zu equals it", i), 0;
	json_array_foreach(rows, i, v)
		json_array_foreach(v, j, cell)
			if (json_equal(cell, expected))
				return snprintf(why, CF_WHY_BYTES, "no_value_equals: row %zu equals it", i), 0;
	if (vals == NULL && rows == NULL)
		return snprintf(why, CF_WHY_BYTES, "no_value_equals: the step has no values"), 0;
	return 1;
}

const struct cf_check cf_checks_changes[] = {
	{ "no_value_equals", check_no_value_equals },
	{ "affected_edges_min", check_affected_edges_min },
	{ "changes", check_changes },
	{ "changes_ordered", check_changes_ordered },
	{ "node_changes_ordered", check_node_changes_ordered },
	{ "changes_include", check_changes_include },
	{ "changes_exclude", check_changes_exclude },
	{ "changes_detail", check_changes_detail },
	{ "all_ops", check_all_ops },
	{ "before_all_null", check_before_all_null },
	{ "before_present", check_before_present },
	{ "after_absent", check_after_absent },
	{ "nodes_before_edges", check_nodes_before_edges },
	{ "edge_before_endpoints_from", check_edge_before_from },
	{ "first_after_properties", check_first_after },
	{ "first_after_properties_subset", check_first_after_subset },
	{ "next_page_token", check_next_page_token },
	{ "block0_change_ids", check_block0_change_ids },
	{ "person_inserts_max", check_person_inserts_max },
	{ "person_updates_or_inserts_nonempty", check_person_upd_or_ins },
	{ "nodes_loaded", check_nodes_loaded },
	{ "edges_loaded", check_edges_loaded },
	{ NULL, NULL },
};
