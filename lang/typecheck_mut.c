/*
 * lang/typecheck_mut.c — typechecking insert / update / delete statements
 * (spec §3.12, codes T10-T14, T16).
 *
 * The target is a node type if one has the name, else an edge type (node
 * and edge names are separate namespaces, spec §2.2); `update` on an edge
 * is T16.  Edge endpoints are written `from` / `to` and take node ids
 * (Strings).
 */
#include "lang/typecheck_int.h"

#include <assert.h>
#include <string.h>

/* Mutation targets name edges exactly (a map lookup in OmniGraph); the
 * case-insensitive fallback is for traversal edge words only. */
static const struct lang_cat_type *edge_exact(const struct lang_catalog *cat, const char *name)
{
	const struct lang_cat_type *e = lang_catalog_edge(cat, name);
	return e != NULL && strcmp(e->name, name) == 0 ? e : NULL;
}

static int check_duplicates(struct tc *tc, const struct gq_mutation *m)
{
	for (size_t i = 0; i < m->n_assigns; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(m->assigns[i].prop, m->assigns[j].prop) == 0) {
				tc->at = m->assigns[i].span;   /* the repeat */
				return tc_fail(tc, "T13: duplicate assignment for property `%s`",
				               m->assigns[i].prop);
			}
	return 0;
}

static int is_endpoint(const char *prop)
{
	return strcmp(prop, "from") == 0 || strcmp(prop, "to") == 0;
}

/* One assignment or predicate value against property `prop` of type t
 * (T11 when unknown); edges take `from` / `to` as Strings. */
static int check_prop_value(struct tc *tc, const struct lang_cat_type *t, int is_edge,
                            const char *prop, const struct gq_expr *v)
{
	if (is_edge && is_endpoint(prop)) {
		struct lang_type s = tc_scalar(LANG_SCALAR_STRING);
		return tc_check_value(tc, v, &s, prop);
	}
	const struct lang_cat_property *p = lang_cat_type_prop(t, prop);
	if (p == NULL)
		return tc_fail(tc, "T11: type `%s` has no property `%s`", t->name, prop);
	return tc_check_value(tc, v, &p->type, prop);
}

static int assigned(const struct gq_mutation *m, const char *prop)
{
	for (size_t i = 0; i < m->n_assigns; i++)
		if (strcmp(m->assigns[i].prop, prop) == 0)
			return 1;
	return 0;
}

/* T12: every non-nullable property needs a value; an @embed target may be
 * left to its source.  Properties are checked in declaration order. */
static int check_required(struct tc *tc, const struct lang_cat_type *t, const struct gq_mutation *m)
{
	for (uint32_t i = 0; i < t->n_props; i++) {
		const struct lang_cat_property *p = &t->props[i];
		if (p->type.nullable || assigned(m, p->name))
			continue;
		if (p->embed_source != NULL && assigned(m, p->embed_source))
			continue;
		if (p->embed_source != NULL)
			return tc_fail(tc, "T12: insert for `%s` must provide non-nullable property `%s` "
			               "or @embed source `%s`", t->name, p->name, p->embed_source);
		return tc_fail(tc, "T12: insert for `%s` must provide non-nullable property `%s`",
		               t->name, p->name);
	}
	return 0;
}

static int check_insert(struct tc *tc, const struct gq_mutation *m, struct gq_ctarget *target)
{
	if (m->n_assigns == 0)
		return tc_fail(tc, "T10: insert mutation requires at least one assignment");
	if (check_duplicates(tc, m) != 0)
		return -1;
	const struct lang_cat_type *t = lang_catalog_node(tc->cat, m->type_name);
	int is_edge = 0;
	if (t == NULL) {
		t = edge_exact(tc->cat, m->type_name);
		is_edge = 1;
	}
	if (t == NULL)
		return tc_fail(tc, "T10: unknown node/edge type `%s`", m->type_name);
	for (size_t i = 0; i < m->n_assigns; i++) {
		tc->at = m->assigns[i].span;
		if (check_prop_value(tc, t, is_edge, m->assigns[i].prop, m->assigns[i].value) != 0)
			return -1;
	}
	tc->at = m->span;
	if (is_edge && !assigned(m, "from"))
		return tc_fail(tc, "T12: insert for `%s` must provide required endpoint `from`", t->name);
	if (is_edge && !assigned(m, "to"))
		return tc_fail(tc, "T12: insert for `%s` must provide required endpoint `to`", t->name);
	if (check_required(tc, t, m) != 0)
		return -1;
	target->type = t;
	target->is_edge = is_edge;
	return 0;
}

/* where prop op value: T11 unknown or Blob, then the value. */
static int check_pred(struct tc *tc, const struct lang_cat_type *t, int is_edge,
                      const struct gq_pred *pr)
{
	if (pr->span.end > pr->span.start)
		tc->at = pr->span;
	if (!(is_edge && is_endpoint(pr->prop))) {
		const struct lang_cat_property *p = lang_cat_type_prop(t, pr->prop);
		if (p == NULL)
			return tc_fail(tc, "T11: type `%s` has no property `%s`", t->name, pr->prop);
		if (p->type.scalar == LANG_SCALAR_BLOB)
			return tc_fail(tc, "T11: blob property `%s` cannot be used in WHERE predicates",
			               pr->prop);
	}
	return check_prop_value(tc, t, is_edge, pr->prop, pr->value);
}

static int check_update(struct tc *tc, const struct gq_mutation *m, struct gq_ctarget *target)
{
	const struct lang_cat_type *t = lang_catalog_node(tc->cat, m->type_name);
	if (t == NULL && edge_exact(tc->cat, m->type_name) != NULL)
		return tc_fail(tc, "T16: update mutation for edge type `%s` is not supported",
		               m->type_name);
	if (t == NULL)
		return tc_fail(tc, "T10: unknown node/edge type `%s`", m->type_name);
	if (m->n_assigns == 0)
		return tc_fail(tc, "T10: update mutation requires at least one assignment");
	if (check_duplicates(tc, m) != 0)
		return -1;
	for (size_t i = 0; i < m->n_assigns; i++) {
		tc->at = m->assigns[i].span;
		if (check_prop_value(tc, t, 0, m->assigns[i].prop, m->assigns[i].value) != 0)
			return -1;
	}
	if (check_pred(tc, t, 0, &m->pred) != 0)
		return -1;
	target->type = t;
	target->is_edge = 0;
	return 0;
}

static int check_delete(struct tc *tc, const struct gq_mutation *m, struct gq_ctarget *target)
{
	const struct lang_cat_type *t = lang_catalog_node(tc->cat, m->type_name);
	int is_edge = 0;
	if (t == NULL) {
		t = edge_exact(tc->cat, m->type_name);
		is_edge = 1;
	}
	if (t == NULL)
		return tc_fail(tc, "T10: unknown node/edge type `%s`", m->type_name);
	if (check_pred(tc, t, is_edge, &m->pred) != 0)
		return -1;
	target->type = t;
	target->is_edge = is_edge;
	return 0;
}

int tc_mutation(struct tc *tc, const struct gq_mutation *m, struct gq_ctarget *target)
{
	tc->at = m->span;
	switch (m->kind) {
	case GQ_MUT_INSERT: return check_insert(tc, m, target);
	case GQ_MUT_UPDATE: return check_update(tc, m, target);
	case GQ_MUT_DELETE: return check_delete(tc, m, target);
	}
	assert(0 && "unknown mutation kind");
	return tc_fail(tc, "unknown mutation kind");
}
