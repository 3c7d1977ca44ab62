/*
 * lang/catalog_evolve.c — the catalog of a desired schema built against an
 * accepted one: identity resolution and id assignment (spec §10.1; see
 * evolve.h).  The desired schema is built into a catalog the usual way
 * (lang_catalog_build, fresh ids), then each type and property is matched
 * to its accepted identity and the ids are rewritten in place before the
 * catalog is handed out.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "lang/evolve_int.h"

struct evolver {
	const struct lang_catalog *old;
	struct lang_catalog *cat;           /* the desired catalog, ours to edit */
	struct lang_diag *diag;
	struct lang_arena tmp;              /* the matches                       */
	struct evolve_match m;
};

static int oom(struct evolver *e)
{
	return lang_diag_set(e->diag, LANG_PREFIX_CATALOG, "out of memory while evolving the catalog");
}

const struct lang_cat_type *evolve_types_of(const struct lang_catalog *cat, enum lang_cat_kind kind,
                                            uint32_t *n)
{
	switch (kind) {
	case LANG_CAT_INTERFACE:
		*n = cat->n_interfaces;
		return cat->interfaces;
	case LANG_CAT_NODE:
		*n = cat->n_nodes;
		return cat->nodes;
	case LANG_CAT_EDGE:
		break;
	}
	*n = cat->n_edges;
	return cat->edges;
}

const char *lang_cat_kind_name(enum lang_cat_kind kind)
{
	return kind == LANG_CAT_INTERFACE ? "interface" : kind == LANG_CAT_NODE ? "node" : "edge";
}

/* Exact name lookup (no case folding: identity is by exact name). */
static const struct lang_cat_type *exact_type(const struct lang_catalog *cat, enum lang_cat_kind kind,
                                              const char *name)
{
	uint32_t n;
	const struct lang_cat_type *v = evolve_types_of(cat, kind, &n);
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Is there an accepted declaration named `name` of a kind other than `kind`? */
static int other_kind_has(const struct lang_catalog *cat, enum lang_cat_kind kind, const char *name)
{
	for (int k = LANG_CAT_INTERFACE; k <= LANG_CAT_EDGE; k++)
		if ((enum lang_cat_kind)k != kind && exact_type(cat, (enum lang_cat_kind)k, name) != NULL)
			return 1;
	return 0;
}

/* The accepted identity of desired type t (NULL: new), or -1 on error. */
static int match_type(struct evolver *e, const struct lang_cat_type **out, const struct lang_cat_type *t)
{
	const char *kind = lang_cat_kind_name(t->kind);
	*out = exact_type(e->old, t->kind, t->name);
	if (*out != NULL || t->rename_from == NULL)
		return 0;  /* hints on exact matches are ignored */
	*out = exact_type(e->old, t->kind, t->rename_from);
	if (*out != NULL)
		return 0;
	if (other_kind_has(e->old, t->kind, t->rename_from))
		return lang_diag_set(e->diag, LANG_PREFIX_IDENTITY,
		                     "%s '%s' cannot rename accepted '%s' across declaration kinds", kind, t->name,
		                     t->rename_from);
	return lang_diag_set(e->diag, LANG_PREFIX_IDENTITY,
	                     "%s '%s' declares @rename_from(\"%s\") but no accepted declaration has that name", kind,
	                     t->name, t->rename_from);
}

static int resolve_types(struct evolver *e, enum lang_cat_kind kind)
{
	uint32_t n, on;
	const struct lang_cat_type *v = evolve_types_of(e->cat, kind, &n);
	const struct lang_cat_type *ov = evolve_types_of(e->old, kind, &on);
	const struct lang_cat_type **match = lang_arena_alloc(&e->tmp, sizeof(*match) * (n + 1));
	uint8_t *used = lang_arena_alloc(&e->tmp, on + 1);
	if (match == NULL || used == NULL)
		return oom(e);
	e->m.types[kind] = match;
	for (uint32_t i = 0; i < n; i++) {  /* canonical (name) order */
		if (match_type(e, &match[i], &v[i]) < 0)
			return -1;
		if (match[i] == NULL)
			continue;
		size_t at = (size_t)(match[i] - ov);
		assert(at < on);
		if (used[at])
			return lang_diag_set(e->diag, LANG_PREFIX_IDENTITY,
			                     "accepted %s '%s' is consumed by more than one desired declaration",
			                     lang_cat_kind_name(kind), match[i]->name);
		used[at] = 1;
	}
	return 0;
}

static const struct lang_cat_property *exact_prop(const struct lang_cat_type *t, const char *name)
{
	return lang_cat_type_prop(t, name);
}

/* Does an accepted type other than `a` own a property `name`?  A hint
 * naming one asks to move it (OmniGraph's resolution says so). */
static int owned_elsewhere(const struct lang_catalog *old, const struct lang_cat_type *a, const char *name)
{
	const struct lang_cat_type *sets[] = { old->interfaces, old->nodes, old->edges };
	const uint32_t ns[] = { old->n_interfaces, old->n_nodes, old->n_edges };
	for (int k = 0; k < 3; k++)
		for (uint32_t i = 0; i < ns[k]; i++)
			if (&sets[k][i] != a && exact_prop(&sets[k][i], name) != NULL)
				return 1;
	return 0;
}

/* The accepted property a hint names under stable owner `a`.  A hint may
 * name the owner ("Owner.p"); naming another owner is a move. */
static int hinted_prop(struct evolver *e, const struct lang_cat_property **out, const struct lang_cat_type *t,
                       const struct lang_cat_type *a, const struct lang_cat_property *p)
{
	const char *hint = p->rename_from, *dot = strchr(hint, '.');
	*out = NULL;
	if (dot != NULL) {
		size_t n = (size_t)(dot - hint);
		int same = (strlen(a->name) == n && strncmp(a->name, hint, n) == 0) ||
		           (strlen(t->name) == n && strncmp(t->name, hint, n) == 0);
		if (!same)
			return lang_diag_set(e->diag, LANG_PREFIX_IDENTITY,
			                     "property '%s.%s' declares @rename_from(\"%s\"): property moves across "
			                     "stable owners are not supported", t->name, p->name, hint);
		hint = dot + 1;
	}
	if ((*out = exact_prop(a, hint)) == NULL)
		return lang_diag_set(e->diag, LANG_PREFIX_IDENTITY,
		                     owned_elsewhere(e->old, a, hint)
		                     ? "property '%s.%s' declares @rename_from(\"%s\"): property moves across "
		                       "stable owners are not supported"
		                     : "property '%s.%s' declares @rename_from(\"%s\"): no accepted property with that "
		                       "name exists under the stable owner", t->name, p->name, p->rename_from);
	return 0;
}

static int cmp_prop_name(const void *x, const void *y)
{
	const struct lang_cat_property *a = *(const struct lang_cat_property *const *)x;
	const struct lang_cat_property *b = *(const struct lang_cat_property *const *)y;
	return strcmp(a->name, b->name);
}

/* t's properties sorted by name (arena memory). */
static const struct lang_cat_property **props_by_name(struct lang_arena *a, const struct lang_cat_type *t)
{
	const struct lang_cat_property **v = lang_arena_alloc(a, sizeof(*v) * (t->n_props + 1));
	if (v == NULL)
		return NULL;
	for (uint32_t i = 0; i < t->n_props; i++)
		v[i] = &t->props[i];
	qsort(v, t->n_props, sizeof(*v), cmp_prop_name);
	return v;
}

/* A new owner takes no identity from anything: its own hints are errors
 * (hints injected from an interface belong to the interface's
 * declaration and are checked there). */
static int new_owner_props(struct evolver *e, const struct lang_cat_type *t)
{
	for (uint32_t j = 0; j < t->n_props; j++) {
		const struct lang_cat_property *p = &t->props[j];
		if (p->rename_from != NULL && p->interface_name == NULL)
			return lang_diag_set(e->diag, LANG_PREFIX_IDENTITY,
			                     "new owner '%s:%s' cannot import property identity with @rename_from(\"%s\")",
			                     lang_cat_kind_name(t->kind), t->name, p->rename_from);
	}
	return 0;
}

static int resolve_props(struct evolver *e, enum lang_cat_kind kind, uint32_t i)
{
	uint32_t n;
	const struct lang_cat_type *t = &evolve_types_of(e->cat, kind, &n)[i];
	const struct lang_cat_type *a = e->m.types[kind][i];
	const struct lang_cat_property **match = lang_arena_alloc(&e->tmp, sizeof(*match) * (t->n_props + 1));
	if (match == NULL)
		return oom(e);
	e->m.props[kind][i] = match;
	if (a == NULL)
		return new_owner_props(e, t);
	const struct lang_cat_property **sorted = props_by_name(&e->tmp, t);
	uint8_t *used = lang_arena_alloc(&e->tmp, a->n_props + 1);
	if (sorted == NULL || used == NULL)
		return oom(e);
	for (uint32_t j = 0; j < t->n_props; j++) {
		const struct lang_cat_property *p = sorted[j], *q = exact_prop(a, p->name);
		if (q == NULL && p->rename_from != NULL && hinted_prop(e, &q, t, a, p) < 0)
			return -1;
		match[p - t->props] = q;
		if (q == NULL)
			continue;
		size_t at = (size_t)(q - a->props);
		if (used[at])
			return lang_diag_set(e->diag, LANG_PREFIX_IDENTITY,
			                     "accepted property id %u is consumed more than once", (unsigned)q->id);
		used[at] = 1;
	}
	return 0;
}

/* Rewrite the property ids of type t (index i of its kind): matched ones
 * keep the accepted id, new ones take the owner's next ids in name order. */
static int assign_prop_ids(struct evolver *e, struct lang_cat_type *t, enum lang_cat_kind kind, uint32_t i)
{
	const struct lang_cat_type *a = e->m.types[kind][i];
	const struct lang_cat_property **match = e->m.props[kind][i];
	if (a == NULL)
		return 0;  /* a new owner keeps the fresh alphabetical ids */
	const struct lang_cat_property **sorted = props_by_name(&e->tmp, t);
	if (sorted == NULL)
		return oom(e);
	uint32_t next = a->next_prop_id;
	for (uint32_t j = 0; j < t->n_props; j++) {
		struct lang_cat_property *p = &t->props[sorted[j] - t->props];
		const struct lang_cat_property *q = match[p - t->props];
		p->id = q != NULL ? q->id : next++;
	}
	assert(next >= a->next_prop_id);
	t->next_prop_id = next;
	return 0;
}

static int assign_ids(struct evolver *e)
{
	uint32_t next = e->old->next_type_id;
	static const enum lang_cat_kind order[] = { LANG_CAT_NODE, LANG_CAT_EDGE, LANG_CAT_INTERFACE };
	for (int k = 0; k < 3; k++) {
		uint32_t n;
		struct lang_cat_type *v = (struct lang_cat_type *)evolve_types_of(e->cat, order[k], &n);
		for (uint32_t i = 0; i < n; i++) {
			const struct lang_cat_type *a = e->m.types[order[k]][i];
			v[i].id = a != NULL ? a->id : next++;
			if (assign_prop_ids(e, &v[i], order[k], i) < 0)
				return -1;
		}
	}
	e->cat->next_type_id = next;
	for (uint32_t i = 0; i < e->cat->n_edges; i++) {
		struct lang_cat_type *x = &e->cat->edges[i];
		const struct lang_cat_type *from = exact_type(e->cat, LANG_CAT_NODE, x->from_type);
		const struct lang_cat_type *to = exact_type(e->cat, LANG_CAT_NODE, x->to_type);
		assert(from != NULL && to != NULL);  /* the build checked endpoints */
		x->from_id = from->id;
		x->to_id = to->id;
	}
	return 0;
}

static int resolve(struct evolver *e)
{
	static const enum lang_cat_kind kinds[] = { LANG_CAT_INTERFACE, LANG_CAT_NODE, LANG_CAT_EDGE };
	for (int k = 0; k < 3; k++)
		if (resolve_types(e, kinds[k]) < 0)
			return -1;
	for (int k = 0; k < 3; k++) {
		uint32_t n;
		evolve_types_of(e->cat, kinds[k], &n);
		e->m.props[kinds[k]] = lang_arena_alloc(&e->tmp, sizeof(*e->m.props[0]) * (n + 1));
		if (e->m.props[kinds[k]] == NULL)
			return oom(e);
		for (uint32_t i = 0; i < n; i++)
			if (resolve_props(e, kinds[k], i) < 0)
				return -1;
	}
	return 0;
}

static struct lang_plan *plan_new(int allow_data_loss)
{
	struct lang_plan *p = calloc(1, sizeof(*p));
	if (p != NULL) {
		p->supported = 1;
		p->allow_data_loss = allow_data_loss != 0;
	}
	return p;
}

void lang_plan_free(struct lang_plan *plan)
{
	if (plan == NULL)
		return;
	lang_arena_free(&plan->arena);
	free(plan);
}

int lang_schema_evolve(struct lang_catalog **out_cat, struct lang_plan **out_plan,
                       const struct lang_catalog *accepted, const char *src, size_t len,
                       int allow_data_loss, struct lang_diag *diag)
{
	assert(accepted != NULL && src != NULL && diag != NULL);
	struct evolver e = { .old = accepted, .diag = diag, .tmp = LANG_ARENA_INIT };
	struct lang_plan *plan = NULL;
	if (out_cat != NULL)
		*out_cat = NULL;
	if (out_plan != NULL)
		*out_plan = NULL;
	if (lang_catalog_from_text(&e.cat, src, len, diag) < 0)
		return -1;
	int rc = resolve(&e);
	if (rc == 0)
		rc = assign_ids(&e);
	if (rc == 0 && out_plan != NULL) {
		if ((plan = plan_new(allow_data_loss)) == NULL || evolve_plan(plan, accepted, e.cat, &e.m) < 0)
			rc = oom(&e);
	}
	lang_arena_free(&e.tmp);
	if (rc < 0) {
		lang_plan_free(plan);
		lang_catalog_free(e.cat);
		return -1;
	}
	if (out_plan != NULL)
		*out_plan = plan;
	if (out_cat != NULL)
		*out_cat = e.cat;
	else
		lang_catalog_free(e.cat);
	return 0;
}

const struct lang_step *lang_plan_first_unsupported(const struct lang_plan *plan)
{
	for (uint32_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i].kind == LANG_STEP_UNSUPPORTED)
			return &plan->steps[i];
	return NULL;
}
