/* lang/catalog.c — building the catalog from a parsed schema (spec §2.6). */
#include "lang/catalog.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct builder {
	struct lang_catalog *cat;
	const struct pg_schema *schema;
	struct lang_diag *diag;
	const struct pg_decl **ifaces;   /* interface declarations by name */
	uint32_t n_ifaces;
};

static int oom(struct builder *b)
{
	return lang_diag_set(b->diag, LANG_PREFIX_CATALOG, "out of memory while building the catalog");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_type_name(const void *a, const void *b)
{
	return strcmp(((const struct lang_cat_type *)a)->name, ((const struct lang_cat_type *)b)->name);
}

/* ---- lookups ------------------------------------------------------------ */

static const struct lang_cat_type *find_sorted(const struct lang_cat_type *v, uint32_t n, const char *name)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].name, name);
		if (c == 0)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct lang_cat_type *lang_catalog_node(const struct lang_catalog *cat, const char *name)
{
	return find_sorted(cat->nodes, cat->n_nodes, name);
}

const struct lang_cat_type *lang_catalog_interface(const struct lang_catalog *cat, const char *name)
{
	return find_sorted(cat->interfaces, cat->n_interfaces, name);
}

const struct lang_cat_type *lang_catalog_edge(const struct lang_catalog *cat, const char *name)
{
	const struct lang_cat_type *e = find_sorted(cat->edges, cat->n_edges, name);
	if (e != NULL)
		return e;
	/* The build refused names equal after case folding, so at most one
	 * edge matches here. */
	for (uint32_t i = 0; i < cat->n_edges; i++)
		if (strcasecmp(cat->edges[i].name, name) == 0)
			return &cat->edges[i];
	return NULL;
}

const struct lang_cat_property *lang_cat_type_prop(const struct lang_cat_type *t, const char *name)
{
	for (uint32_t i = 0; i < t->n_props; i++)
		if (strcmp(t->props[i].name, name) == 0)
			return &t->props[i];
	return NULL;
}

void lang_catalog_free(struct lang_catalog *cat)
{
	if (cat == NULL)
		return;
	lang_arena_free(&cat->arena);
	free(cat);
}

/* ---- annotations and properties ----------------------------------------- */

static int copy_annotations(struct builder *b, struct lang_cat_annotation **out, uint32_t *n_out,
                            const struct pg_annotation *src, uint32_t n)
{
	*n_out = 0;
	*out = NULL;
	if (n == 0)
		return 0;
	struct lang_cat_annotation *v = lang_arena_alloc(&b->cat->arena, sizeof(*v) * n);
	if (v == NULL)
		return oom(b);
	for (uint32_t i = 0; i < n; i++) {
		/* Strings are copied: the catalog outlives the parse tree. */
		v[i].name = lang_arena_strdup(&b->cat->arena, src[i].name);
		v[i].value = src[i].value ? lang_arena_strdup(&b->cat->arena, src[i].value) : NULL;
		v[i].n_kwargs = src[i].n_kwargs;
		v[i].kwargs = src[i].n_kwargs ? lang_arena_alloc(&b->cat->arena, sizeof(*v[i].kwargs) * src[i].n_kwargs) : NULL;
		if (v[i].name == NULL || (src[i].value && !v[i].value) || (src[i].n_kwargs && !v[i].kwargs))
			return oom(b);
		for (uint32_t k = 0; k < src[i].n_kwargs; k++) {
			v[i].kwargs[k].name = lang_arena_strdup(&b->cat->arena, src[i].kwargs[k].name);
			v[i].kwargs[k].value = lang_arena_strdup(&b->cat->arena, src[i].kwargs[k].value);
			if (v[i].kwargs[k].name == NULL || v[i].kwargs[k].value == NULL)
				return oom(b);
		}
	}
	*out = v;
	*n_out = n;
	return 0;
}

static const struct lang_cat_annotation *find_annotation(const struct lang_cat_annotation *v, uint32_t n,
                                                         const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static const char *kwarg(const struct lang_cat_annotation *a, const char *name)
{
	for (uint32_t k = 0; k < a->n_kwargs; k++)
		if (strcmp(a->kwargs[k].name, name) == 0)
			return a->kwargs[k].value;
	return NULL;
}

static int fill_property(struct builder *b, struct lang_cat_property *cp, const struct pg_property *p)
{
	cp->name = lang_arena_strdup(&b->cat->arena, p->name);
	if (cp->name == NULL || lang_type_copy(&b->cat->arena, &cp->type, &p->type) < 0)
		return oom(b);
	if (p->injected && (cp->interface_name = lang_arena_strdup(&b->cat->arena, p->interface_name)) == NULL)
		return oom(b);
	if (copy_annotations(b, &cp->annotations, &cp->n_annotations, p->annotations, p->n_annotations) < 0)
		return -1;
	const struct lang_cat_annotation *a;
	if ((a = find_annotation(cp->annotations, cp->n_annotations, "embed")) != NULL) {
		cp->embed_source = a->value;
		cp->embed_model = kwarg(a, "model");
	}
	if ((a = find_annotation(cp->annotations, cp->n_annotations, "rename_from")) != NULL)
		cp->rename_from = a->value;
	if ((a = find_annotation(cp->annotations, cp->n_annotations, "description")) != NULL)
		cp->description = a->value;
	return 0;
}

/* Copy the properties, refusing duplicates, and number them in alphabetical
 * order of their names (spec §7.7). */
static int fill_properties(struct builder *b, struct lang_cat_type *t, const struct pg_decl *d)
{
	t->n_props = d->n_properties;
	if (d->n_properties == 0) {
		t->next_prop_id = 1;
		return 0;
	}
	t->props = lang_arena_alloc(&b->cat->arena, sizeof(*t->props) * d->n_properties);
	const char **names = malloc(sizeof(char *) * d->n_properties);
	if (t->props == NULL || names == NULL) {
		free(names);
		return oom(b);
	}
	for (uint32_t i = 0; i < d->n_properties; i++)
		names[i] = d->properties[i].name;
	qsort(names, d->n_properties, sizeof(char *), cmp_str);
	int dup = 0;
	for (uint32_t i = 1; i < d->n_properties; i++)
		dup |= strcmp(names[i - 1], names[i]) == 0;
	int rc = 0;
	if (dup)
		rc = lang_diag_set(b->diag, LANG_PREFIX_CATALOG, "duplicate property in schema shape for '%s'", d->name);
	for (uint32_t i = 0; rc == 0 && i < d->n_properties; i++) {
		rc = fill_property(b, &t->props[i], &d->properties[i]);
		const char **at = bsearch(&d->properties[i].name, names, d->n_properties, sizeof(char *), cmp_str);
		assert(at != NULL);
		t->props[i].id = (uint32_t)(at - names) + 1;
	}
	t->next_prop_id = d->n_properties + 1;
	free(names);
	return rc;
}

/* ---- constraints -------------------------------------------------------- */

static int make_colset(struct builder *b, struct lang_cat_colset *cs, const struct pg_constraint *c)
{
	assert(c->n_columns >= 1);
	cs->columns = lang_arena_alloc(&b->cat->arena, sizeof(char *) * c->n_columns);
	if (cs->columns == NULL)
		return oom(b);
	for (uint32_t i = 0; i < c->n_columns; i++)
		if ((cs->columns[i] = lang_arena_strdup(&b->cat->arena, c->columns[i])) == NULL)
			return oom(b);
	/* Stored sorted and de-duplicated: @key(b, a) = @key(a, b) (spec §2.4). */
	qsort(cs->columns, c->n_columns, sizeof(char *), cmp_str);
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->n_columns; i++)
		if (n == 0 || strcmp(cs->columns[n - 1], cs->columns[i]) != 0)
			cs->columns[n++] = cs->columns[i];
	cs->n = n;
	return 0;
}

static int colset_equal(const struct lang_cat_colset *a, const struct lang_cat_colset *b)
{
	if (a->n != b->n)
		return 0;
	for (uint32_t i = 0; i < a->n; i++)
		if (strcmp(a->columns[i], b->columns[i]) != 0)
			return 0;
	return 1;
}

/* Append cs to a set list unless an equal set is already there. */
static void add_colset(struct lang_cat_colset *list, uint32_t *n, const struct lang_cat_colset *cs)
{
	for (uint32_t i = 0; i < *n; i++)
		if (colset_equal(&list[i], cs))
			return;
	list[(*n)++] = *cs;
}

static int fill_constraints(struct builder *b, struct lang_cat_type *t, const struct pg_decl *d)
{
	uint32_t n = d->n_constraints;
	if (n == 0)
		return 0;
	/* Sized for the worst case: every constraint lands in one list, plus
	 * the key's implied index. */
	t->unique = lang_arena_alloc(&b->cat->arena, sizeof(*t->unique) * n);
	t->index = lang_arena_alloc(&b->cat->arena, sizeof(*t->index) * (n + 1));
	t->ranges = lang_arena_alloc(&b->cat->arena, sizeof(*t->ranges) * n);
	t->checks = lang_arena_alloc(&b->cat->arena, sizeof(*t->checks) * n);
	if (!t->unique || !t->index || !t->ranges || !t->checks)
		return oom(b);
	for (uint32_t i = 0; i < n; i++) {
		const struct pg_constraint *c = &d->constraints[i];
		struct lang_cat_colset cs = { 0, NULL };
		switch (c->kind) {
		case PG_CONSTRAINT_KEY:
			if (make_colset(b, &cs, c) < 0)
				return -1;
			assert(!t->has_key);  /* the parser allows one @key per node */
			t->has_key = 1;
			t->key = cs;
			add_colset(t->index, &t->n_index, &cs);  /* @key implies an index */
			break;
		case PG_CONSTRAINT_UNIQUE:
		case PG_CONSTRAINT_INDEX:
			if (make_colset(b, &cs, c) < 0)
				return -1;
			if (c->kind == PG_CONSTRAINT_UNIQUE)
				add_colset(t->unique, &t->n_unique, &cs);
			else
				add_colset(t->index, &t->n_index, &cs);
			break;
		case PG_CONSTRAINT_RANGE: {
			struct lang_cat_range *r = &t->ranges[t->n_range++];
			r->property = lang_arena_strdup(&b->cat->arena, c->columns[0]);
			r->min = c->min;
			r->max = c->max;
			if (r->property == NULL)
				return oom(b);
			break;
		}
		case PG_CONSTRAINT_CHECK: {
			struct lang_cat_check *k = &t->checks[t->n_check++];
			k->property = lang_arena_strdup(&b->cat->arena, c->columns[0]);
			k->pattern = lang_arena_strdup(&b->cat->arena, c->pattern);
			if (k->property == NULL || k->pattern == NULL)
				return oom(b);
			break;
		}
		}
	}
	return 0;
}

/* ---- interface semantics ------------------------------------------------ */

static int annotation_equal(const struct pg_annotation *a, const struct pg_annotation *b)
{
	if (strcmp(a->name, b->name) != 0 || (a->value == NULL) != (b->value == NULL)
	    || (a->value && strcmp(a->value, b->value) != 0) || a->n_kwargs != b->n_kwargs)
		return 0;
	for (uint32_t k = 0; k < a->n_kwargs; k++)
		if (strcmp(a->kwargs[k].name, b->kwargs[k].name) != 0
		    || strcmp(a->kwargs[k].value, b->kwargs[k].value) != 0)
			return 0;
	return 1;
}

/* Does every annotation of `a` (except migration hints, which carry no
 * semantics) appear in `b`? */
static int annotations_covered(const struct pg_property *a, const struct pg_property *b)
{
	for (uint32_t i = 0; i < a->n_annotations; i++) {
		if (strcmp(a->annotations[i].name, "rename_from") == 0)
			continue;
		int found = 0;
		for (uint32_t j = 0; j < b->n_annotations && !found; j++)
			found = annotation_equal(&a->annotations[i], &b->annotations[j]);
		if (!found)
			return 0;
	}
	return 1;
}

static int same_semantics(const struct pg_property *a, const struct pg_property *b)
{
	return lang_type_equal(&a->type, &b->type) && annotations_covered(a, b) && annotations_covered(b, a);
}

/* An injected property may be contributed by several interfaces; they must
 * agree on everything but migration hints. */
static int cmp_decl_name(const void *a, const void *b)
{
	return strcmp((*(const struct pg_decl *const *)a)->name, (*(const struct pg_decl *const *)b)->name);
}

static int cmp_prop_name(const void *a, const void *b)
{
	return strcmp((*(const struct pg_property *const *)a)->name,
	              (*(const struct pg_property *const *)b)->name);
}

/* The interface declaration named `name` (names are unique by now: the
 * interfaces were added first and duplicates refused), or NULL. */
static const struct pg_decl *interface_decl(const struct builder *b, const char *name)
{
	uint32_t lo = 0, hi = b->n_ifaces;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->ifaces[mid]->name, name);
		if (c == 0)
			return b->ifaces[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct pg_property *find_prop(const struct pg_property **sorted, uint32_t n, const char *name)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sorted[mid]->name, name);
		if (c == 0)
			return sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* An injected property may be contributed by several interfaces; they must
 * agree on everything but migration hints.  The first such property in the
 * node's order is reported.  Each contribution is looked up by bisection
 * (a node may implement PG_MAX_IMPLEMENTS interfaces of many properties). */
static int check_contributors(struct builder *b, const struct pg_decl *node)
{
	if (node->n_implements == 0 || node->n_properties == 0)
		return 0;
	const struct pg_property **sorted = malloc(node->n_properties * sizeof(*sorted));
	if (sorted == NULL)
		return oom(b);
	for (uint32_t i = 0; i < node->n_properties; i++)
		sorted[i] = &node->properties[i];
	/* Names are unique within a node by now (fill_properties refused
	 * duplicates), so the order among equal names does not matter. */
	qsort(sorted, node->n_properties, sizeof(*sorted), cmp_prop_name);
	uint32_t first_bad = UINT32_MAX;
	for (uint32_t k = 0; k < node->n_implements; k++) {
		const struct pg_decl *idecl = interface_decl(b, node->implements[k]);
		for (uint32_t j = 0; idecl != NULL && j < idecl->n_properties; j++) {
			const struct pg_property *other = &idecl->properties[j];
			const struct pg_property *p = find_prop(sorted, node->n_properties, other->name);
			if (p != NULL && p->injected && !same_semantics(p, other) &&
			    (uint32_t)(p - node->properties) < first_bad)
				first_bad = (uint32_t)(p - node->properties);
		}
	}
	free(sorted);
	if (first_bad != UINT32_MAX)
		return lang_diag_set(b->diag, LANG_PREFIX_CATALOG,
		                     "interfaces contributing '%s.%s' have incompatible property semantics",
		                     node->name, node->properties[first_bad].name);
	return 0;
}

/* ---- types -------------------------------------------------------------- */

static int fill_type(struct builder *b, struct lang_cat_type *t, const struct pg_decl *d)
{
	t->kind = d->kind == PG_DECL_NODE ? LANG_CAT_NODE : d->kind == PG_DECL_EDGE ? LANG_CAT_EDGE : LANG_CAT_INTERFACE;
	if ((t->name = lang_arena_strdup(&b->cat->arena, d->name)) == NULL)
		return oom(b);
	if (fill_properties(b, t, d) < 0 || fill_constraints(b, t, d) < 0)
		return -1;
	if (copy_annotations(b, &t->annotations, &t->n_annotations, d->annotations, d->n_annotations) < 0)
		return -1;
	const struct lang_cat_annotation *a;
	if ((a = find_annotation(t->annotations, t->n_annotations, "description")) != NULL)
		t->description = a->value;
	if ((a = find_annotation(t->annotations, t->n_annotations, "instruction")) != NULL)
		t->instruction = a->value;
	if ((a = find_annotation(t->annotations, t->n_annotations, "rename_from")) != NULL)
		t->rename_from = a->value;
	if (d->n_implements > 0) {
		t->implements = lang_arena_alloc(&b->cat->arena, sizeof(char *) * d->n_implements);
		if (t->implements == NULL)
			return oom(b);
		for (uint32_t i = 0; i < d->n_implements; i++)
			if ((t->implements[i] = lang_arena_strdup(&b->cat->arena, d->implements[i])) == NULL)
				return oom(b);
		t->n_implements = d->n_implements;
	}
	if (d->kind == PG_DECL_EDGE) {
		t->from_type = lang_arena_strdup(&b->cat->arena, d->from_type);
		t->to_type = lang_arena_strdup(&b->cat->arena, d->to_type);
		if (t->from_type == NULL || t->to_type == NULL)
			return oom(b);
		t->card_min = d->has_cardinality ? d->card_min : 0;
		t->has_card_max = d->has_cardinality && d->has_card_max;
		t->card_max = t->has_card_max ? d->card_max : 0;
	}
	return 0;
}

/* The names of the types of one kind added so far (still unsorted), for
 * the duplicate checks: open addressing over indexes into the kind's
 * array, hashed on the case-folded name (edges collide case-insensitively,
 * spec §2.6).  A schema may hold PG_MAX_DECLS declarations: a linear check
 * per type was quadratic (10000 edges: 5 s). */
struct name_table {
	uint32_t *slot;   /* index + 1; 0: empty */
	uint32_t mask;
};

static uint32_t folded_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c)) * 16777619u;
	}
	return h;
}

/* The type of v[] whose name equals `name` ignoring case (at most one: an
 * exact or folded repeat is refused when added), or NULL; *where is its
 * slot or the empty slot to fill. */
static const struct lang_cat_type *table_find(const struct name_table *t, const struct lang_cat_type *v,
                                              const char *name, uint32_t *where)
{
	uint32_t i = folded_hash(name) & t->mask;
	while (t->slot[i] != 0 && strcasecmp(v[t->slot[i] - 1].name, name) != 0)
		i = (i + 1) & t->mask;
	*where = i;
	return t->slot[i] != 0 ? &v[t->slot[i] - 1] : NULL;
}

static int add_edge(struct builder *b, const struct pg_decl *d, struct name_table *names)
{
	struct lang_catalog *cat = b->cat;
	uint32_t at;
	const struct lang_cat_type *same = table_find(names, cat->edges, d->name, &at);
	if (same != NULL && strcmp(same->name, d->name) == 0)
		return lang_diag_set(b->diag, LANG_PREFIX_CATALOG, "duplicate edge type: %s", d->name);
	if (lang_catalog_node(cat, d->from_type) == NULL)
		return lang_diag_set(b->diag, LANG_PREFIX_CATALOG, "edge %s references unknown source type: %s",
		                     d->name, d->from_type);
	if (lang_catalog_node(cat, d->to_type) == NULL)
		return lang_diag_set(b->diag, LANG_PREFIX_CATALOG, "edge %s references unknown target type: %s",
		                     d->name, d->to_type);
	if (same != NULL)
		return lang_diag_set(b->diag, LANG_PREFIX_CATALOG,
		                     "edge name collision after case folding: '%s' conflicts with '%s'",
		                     d->name, same->name);
	names->slot[at] = cat->n_edges + 1;
	return fill_type(b, &cat->edges[cat->n_edges++], d);
}

/* Collect one kind of declaration, in source order, then sort by name. */
static int add_kind(struct builder *b, enum pg_decl_kind kind)
{
	struct lang_catalog *cat = b->cat;
	uint32_t count = 0;
	for (uint32_t i = 0; i < b->schema->n_decls; i++)
		count += b->schema->decls[i].kind == kind;
	uint32_t cap = 16;
	while (cap < 2 * (uint64_t)count + 2)
		cap *= 2;
	struct name_table names = { calloc(cap, sizeof(uint32_t)), cap - 1 };
	if (names.slot == NULL)
		return oom(b);
	struct lang_cat_type *v = kind == PG_DECL_NODE ? cat->nodes : cat->interfaces;
	uint32_t *n = kind == PG_DECL_NODE ? &cat->n_nodes : &cat->n_interfaces;
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < b->schema->n_decls; i++) {
		const struct pg_decl *d = &b->schema->decls[i];
		if (d->kind != kind)
			continue;
		if (kind == PG_DECL_EDGE) {
			if ((rc = add_edge(b, d, &names)) < 0)
				lang_diag_at(b->diag, d->line, d->col);
			continue;
		}
		/* Node and interface names are compared exactly: look past a
		 * name equal only ignoring case. */
		uint32_t at = folded_hash(d->name) & names.mask;
		while (names.slot[at] != 0 && strcmp(v[names.slot[at] - 1].name, d->name) != 0)
			at = (at + 1) & names.mask;
		if (names.slot[at] != 0) {
			rc = lang_diag_set(b->diag, LANG_PREFIX_CATALOG, "duplicate %s type: %s",
			                   kind == PG_DECL_NODE ? "node" : "interface", d->name);
			lang_diag_at(b->diag, d->line, d->col);
			break;
		}
		names.slot[at] = *n + 1;
		rc = fill_type(b, &v[(*n)++], d);
		if (rc == 0 && kind == PG_DECL_NODE)
			rc = check_contributors(b, d);
		if (rc < 0)
			lang_diag_at(b->diag, d->line, d->col);
	}
	free(names.slot);
	if (rc < 0)
		return -1;
	/* Sorted so lookups can bisect (edges need their endpoints found). */
	if (kind == PG_DECL_INTERFACE)
		qsort(cat->interfaces, cat->n_interfaces, sizeof(*cat->interfaces), cmp_type_name);
	else if (kind == PG_DECL_NODE)
		qsort(cat->nodes, cat->n_nodes, sizeof(*cat->nodes), cmp_type_name);
	else
		qsort(cat->edges, cat->n_edges, sizeof(*cat->edges), cmp_type_name);
	return 0;
}

static void assign_type_ids(struct lang_catalog *cat)
{
	uint32_t id = 1;
	for (uint32_t i = 0; i < cat->n_nodes; i++)
		cat->nodes[i].id = id++;
	for (uint32_t i = 0; i < cat->n_edges; i++) {
		struct lang_cat_type *e = &cat->edges[i];
		e->id = id++;
		e->from_id = lang_catalog_node(cat, e->from_type)->id;
		e->to_id = lang_catalog_node(cat, e->to_type)->id;
	}
	for (uint32_t i = 0; i < cat->n_interfaces; i++)
		cat->interfaces[i].id = id++;
	cat->next_type_id = id;
}

int lang_catalog_build(struct lang_catalog **out, const struct pg_schema *schema, struct lang_diag *diag)
{
	assert(out != NULL && schema != NULL && diag != NULL);
	*out = NULL;
	struct lang_catalog *cat = calloc(1, sizeof(*cat));
	if (cat == NULL)
		return lang_diag_set(diag, LANG_PREFIX_CATALOG, "out of memory while building the catalog");
	struct builder b = { cat, schema, diag, NULL, 0 };
	uint32_t counts[4] = { 0 };
	for (uint32_t i = 0; i < schema->n_decls; i++)
		counts[schema->decls[i].kind]++;
	if (counts[PG_DECL_INTERFACE] > 0) {
		b.ifaces = malloc(counts[PG_DECL_INTERFACE] * sizeof(*b.ifaces));
		if (b.ifaces == NULL) {
			free(cat);
			return oom(&b);
		}
		for (uint32_t i = 0; i < schema->n_decls; i++)
			if (schema->decls[i].kind == PG_DECL_INTERFACE)
				b.ifaces[b.n_ifaces++] = &schema->decls[i];
		qsort(b.ifaces, b.n_ifaces, sizeof(*b.ifaces), cmp_decl_name);
	}
	cat->interfaces = lang_arena_alloc(&cat->arena, sizeof(struct lang_cat_type) * (counts[PG_DECL_INTERFACE] + 1));
	cat->nodes = lang_arena_alloc(&cat->arena, sizeof(struct lang_cat_type) * (counts[PG_DECL_NODE] + 1));
	cat->edges = lang_arena_alloc(&cat->arena, sizeof(struct lang_cat_type) * (counts[PG_DECL_EDGE] + 1));
	int rc = (!cat->interfaces || !cat->nodes || !cat->edges) ? oom(&b) : 0;
	/* Build order: interfaces, nodes, then edges (they need endpoints). */
	if (rc == 0)
		rc = add_kind(&b, PG_DECL_INTERFACE);
	if (rc == 0)
		rc = add_kind(&b, PG_DECL_NODE);
	if (rc == 0)
		rc = add_kind(&b, PG_DECL_EDGE);
	free(b.ifaces);
	if (rc < 0) {
		lang_catalog_free(cat);
		return -1;
	}
	assign_type_ids(cat);
	*out = cat;
	return 0;
}

int lang_catalog_from_text(struct lang_catalog **out, const char *src, size_t len, struct lang_diag *diag)
{
	struct pg_schema *schema = NULL;
	*out = NULL;
	if (lang_schema_parse(&schema, src, len, diag) < 0)
		return -1;
	int rc = lang_catalog_build(out, schema, diag);
	lang_schema_free(schema);
	return rc;
}
