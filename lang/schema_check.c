/*
 * lang/schema_check.c — stages 3 and 4 of spec §2.5: interface resolution,
 * then annotation validation over every declaration, then constraint
 * validation over every declaration.  The first failure is reported; the
 * order of the checks below is part of the contract (tests match on which
 * message wins), so it follows spec §2.5 line by line.
 */
#include "lang/schema_ast.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small tree helpers ------------------------------------------------- */

struct pg_property *pg_decl_add_property(struct pg_schema *s, struct pg_decl *d)
{
	if (lang_arena_reserve(&s->arena, (void **)&d->properties, &d->cap_properties,
	                       d->n_properties, sizeof(*d->properties), PG_MAX_PROPERTIES) < 0)
		return NULL;
	struct pg_property *p = &d->properties[d->n_properties++];
	memset(p, 0, sizeof(*p));
	return p;
}

struct pg_constraint *pg_decl_add_constraint(struct pg_schema *s, struct pg_decl *d)
{
	if (lang_arena_reserve(&s->arena, (void **)&d->constraints, &d->cap_constraints,
	                       d->n_constraints, sizeof(*d->constraints), PG_MAX_CONSTRAINTS) < 0)
		return NULL;
	struct pg_constraint *c = &d->constraints[d->n_constraints++];
	memset(c, 0, sizeof(*c));
	return c;
}

const struct pg_property *pg_decl_property(const struct pg_decl *d, const char *name)
{
	if (d->by_name == NULL) {
		for (uint32_t i = 0; i < d->n_properties; i++)
			if (strcmp(d->properties[i].name, name) == 0)
				return &d->properties[i];
		return NULL;
	}
	uint32_t lo = 0, hi = d->n_properties;
	while (lo < hi) {   /* the first entry whose name is >= name */
		uint32_t mid = lo + (hi - lo) / 2;
		if (strcmp(d->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n_properties && strcmp(d->by_name[lo]->name, name) == 0 ? d->by_name[lo] : NULL;
}

static int cmp_prop_by_name(const void *a, const void *b)
{
	const struct pg_property *x = *(const struct pg_property *const *)a;
	const struct pg_property *y = *(const struct pg_property *const *)b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : (x > y) - (x < y);
}

/* Index every declaration's (now final) properties for pg_decl_property:
 * validation looks up each constraint column and @embed source, up to
 * PG_MAX_CONSTRAINTS * PG_MAX_CONSTRAINT_ARGS lookups in one type. */
static int index_properties(struct pg_schema *s, struct lang_diag *diag)
{
	for (uint32_t i = 0; i < s->n_decls; i++) {
		struct pg_decl *d = &s->decls[i];
		if (d->n_properties == 0)
			continue;
		const struct pg_property **v = lang_arena_alloc(&s->arena, d->n_properties * sizeof(*v));
		if (v == NULL)
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "out of memory");
		for (uint32_t k = 0; k < d->n_properties; k++)
			v[k] = &d->properties[k];
		qsort(v, d->n_properties, sizeof(*v), cmp_prop_by_name);
		d->by_name = v;
	}
	return 0;
}

const struct pg_annotation *pg_property_annotation(const struct pg_property *p, const char *name)
{
	for (uint32_t i = 0; i < p->n_annotations; i++)
		if (strcmp(p->annotations[i].name, name) == 0)
			return &p->annotations[i];
	return NULL;
}

const char *pg_decl_kind_name(enum pg_decl_kind k)
{
	switch (k) {
	case PG_DECL_INTERFACE: return "interface";
	case PG_DECL_NODE:      return "node";
	case PG_DECL_EDGE:      return "edge";
	}
	return "?";
}

void lang_schema_free(struct pg_schema *schema)
{
	if (schema == NULL)
		return;
	lang_arena_free(&schema->arena);
	free(schema);
}

int pg_desugar_property(struct pg_schema *s, struct pg_decl *d, const struct pg_property *prop)
{
	static const struct { const char *name; enum pg_constraint_kind kind; } map[] = {
		{ "key", PG_CONSTRAINT_KEY }, { "unique", PG_CONSTRAINT_UNIQUE },
		{ "index", PG_CONSTRAINT_INDEX },
	};
	for (uint32_t i = 0; i < prop->n_annotations; i++) {
		const struct pg_annotation *a = &prop->annotations[i];
		for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
			/* Only the bare form: `@key(` is always a body constraint. */
			if (strcmp(a->name, map[k].name) != 0 || a->value != NULL)
				continue;
			struct pg_constraint *c = pg_decl_add_constraint(s, d);
			if (c == NULL)
				return -1;
			c->kind = map[k].kind;
			c->columns = lang_arena_alloc(&s->arena, sizeof(char *));
			if (c->columns == NULL)
				return -1;
			c->columns[0] = prop->name;
			c->n_columns = 1;
			c->desugared = 1;
			c->line = a->line;
			c->col = a->col;
		}
	}
	return 0;
}

/* Set a "parse error: " message that embeds one or two type display names. */
static int type_error(struct lang_diag *diag, const char *fmt_prefix, const struct lang_type *a,
                      const char *middle, const struct lang_type *b)
{
	char *da = lang_type_display(a);
	char *db = b != NULL ? lang_type_display(b) : NULL;
	lang_diag_set(diag, LANG_PREFIX_PARSE, "%s%s%s%s", fmt_prefix, da ? da : "?",
	              middle != NULL ? middle : "", b != NULL ? (db ? db : "?") : "");
	free(da);
	free(db);
	return -1;
}

/* ---- stage 3: interfaces ------------------------------------------------ */

/* The schema's interfaces sorted by name, then by position, so that a
 * lookup bisects instead of scanning every declaration (a node may
 * implement PG_MAX_IMPLEMENTS interfaces, a schema hold PG_MAX_DECLS). */
struct iface_index {
	const struct pg_decl **v;
	uint32_t n;
};

static int cmp_iface(const void *a, const void *b)
{
	const struct pg_decl *x = *(const struct pg_decl *const *)a;
	const struct pg_decl *y = *(const struct pg_decl *const *)b;
	int c = strcmp(x->name, y->name);
	return c != 0 ? c : (x > y) - (x < y);
}

static const struct pg_decl *find_interface(const struct iface_index *ix, const char *name)
{
	/* A later interface of the same name replaces an earlier one here (the
	 * catalog then refuses the duplicate): the last of the equal run. */
	uint32_t lo = 0, hi = ix->n;
	while (lo < hi) {   /* first entry whose name is > name */
		uint32_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->v[mid]->name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && strcmp(ix->v[lo - 1]->name, name) == 0 ? ix->v[lo - 1] : NULL;
}

/* The node's property names while interfaces inject theirs: open
 * addressing over indexes into node->properties (the array may move as it
 * grows), so that each injected name is checked in constant time. */
struct name_set {
	uint32_t *slot;   /* index + 1; 0: empty */
	uint32_t mask;
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The first property of `node` named `name` (as pg_decl_property), or
 * NULL; *where is its slot or the empty slot to fill. */
static const struct pg_property *set_find(const struct name_set *ns, const struct pg_decl *node,
                                          const char *name, uint32_t *where)
{
	uint32_t i = name_hash(name) & ns->mask;
	for (; ns->slot[i] != 0; i = (i + 1) & ns->mask) {
		const struct pg_property *p = &node->properties[ns->slot[i] - 1];
		if (strcmp(p->name, name) == 0)
			break;
	}
	*where = i;
	return ns->slot[i] != 0 ? &node->properties[ns->slot[i] - 1] : NULL;
}

static int resolve_node(struct pg_schema *s, const struct iface_index *ix, struct pg_decl *node,
                        uint32_t *injected, struct lang_diag *diag)
{
	if (node->n_implements == 0)
		return 0;
	/* Room for every property the node can end with (never more than
	 * PG_MAX_PROPERTIES), the table at most half full. */
	uint64_t most = node->n_properties;
	for (uint32_t i = 0; i < node->n_implements; i++) {
		const struct pg_decl *iface = find_interface(ix, node->implements[i]);
		most += iface != NULL ? iface->n_properties : 0;
	}
	if (most > PG_MAX_PROPERTIES)
		most = PG_MAX_PROPERTIES;
	uint32_t cap = 16;
	while (cap < 2 * most + 2)
		cap *= 2;
	struct name_set ns = { calloc(cap, sizeof(uint32_t)), cap - 1 };
	if (ns.slot == NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "out of memory");
	uint32_t at;
	for (uint32_t i = 0; i < node->n_properties; i++)
		if (set_find(&ns, node, node->properties[i].name, &at) == NULL)
			ns.slot[at] = i + 1;

	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < node->n_implements; i++) {
		const struct pg_decl *iface = find_interface(ix, node->implements[i]);
		if (iface == NULL) {
			rc = lang_diag_set(diag, LANG_PREFIX_PARSE, "node %s implements unknown interface '%s'",
			                   node->name, node->implements[i]);
			break;
		}
		/* Bound the work of injection over the whole schema. */
		if (iface->n_properties > PG_MAX_INJECTED - *injected) {
			rc = lang_diag_set(diag, LANG_PREFIX_PARSE,
			                   "schema has too many interface properties to inject (limit %u)",
			                   PG_MAX_INJECTED);
			break;
		}
		*injected += iface->n_properties;
		for (uint32_t j = 0; rc == 0 && j < iface->n_properties; j++) {
			const struct pg_property *ip = &iface->properties[j];
			const struct pg_property *existing = set_find(&ns, node, ip->name, &at);
			if (existing != NULL) {
				if (lang_type_equal(&existing->type, &ip->type))
					continue;
				char head[2 * PG_MAX_NAME_BYTES + 64];
				char mid[PG_MAX_NAME_BYTES + 64];
				snprintf(head, sizeof(head), "node %s property '%s' has type ", node->name, ip->name);
				snprintf(mid, sizeof(mid), " but interface %s declares it as ", iface->name);
				rc = type_error(diag, head, &existing->type, mid, &ip->type);
				lang_diag_at(diag, existing->line, existing->col);
				break;
			}
			struct pg_property *np = pg_decl_add_property(s, node);
			if (np == NULL) {
				rc = lang_diag_set(diag, LANG_PREFIX_PARSE,
				                   "schema has too many properties in one type (limit %u)", PG_MAX_PROPERTIES);
				break;
			}
			*np = *ip;   /* the tree is immutable from here on: sharing is fine */
			np->injected = 1;
			np->interface_name = iface->name;
			ns.slot[at] = node->n_properties;   /* np is the last one */
			if (pg_desugar_property(s, node, np) < 0)
				rc = lang_diag_set(diag, LANG_PREFIX_PARSE,
				                   "schema has too many constraints in one type (limit %u)", PG_MAX_CONSTRAINTS);
		}
	}
	free(ns.slot);
	return rc;
}

int pg_resolve_interfaces(struct pg_schema *s, struct lang_diag *diag)
{
	struct iface_index ix = { NULL, 0 };
	uint32_t injected = 0;
	int rc = 0;

	for (uint32_t i = 0; i < s->n_decls; i++)
		ix.n += s->decls[i].kind == PG_DECL_INTERFACE;
	if (ix.n > 0) {
		if ((ix.v = malloc(ix.n * sizeof(*ix.v))) == NULL)
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "out of memory");
		ix.n = 0;
		for (uint32_t i = 0; i < s->n_decls; i++)
			if (s->decls[i].kind == PG_DECL_INTERFACE)
				ix.v[ix.n++] = &s->decls[i];
		qsort(ix.v, ix.n, sizeof(*ix.v), cmp_iface);
	}
	for (uint32_t i = 0; i < s->n_decls && rc == 0; i++)
		if (s->decls[i].kind == PG_DECL_NODE &&
		    (rc = resolve_node(s, &ix, &s->decls[i], &injected, diag)) < 0)
			lang_diag_at(diag, s->decls[i].line, s->decls[i].col);
	free(ix.v);
	if (rc == 0)
		rc = index_properties(s, diag);
	return rc < 0 ? -1 : 0;
}

/* ---- stage 4a: annotations ---------------------------------------------- */

static int is_blank(const char *v)
{
	for (; *v != '\0'; v++)
		if (!isspace((unsigned char)*v))
			return 0;
	return 1;
}

/* @rename_from: at most once, one non-empty positional, no kwargs. */
static int check_rename_from(const struct pg_annotation *anns, uint32_t n, const char *target,
                             struct lang_diag *diag)
{
	const struct pg_annotation *first = NULL;
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(anns[i].name, "rename_from") != 0)
			continue;
		if (first != NULL)
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "%s declares @rename_from multiple times", target);
		first = &anns[i];
	}
	if (first == NULL)
		return 0;
	if (first->value == NULL || is_blank(first->value))
		return lang_diag_set(diag, LANG_PREFIX_PARSE,
		                     "@rename_from on %s requires exactly one non-empty positional value", target);
	if (first->n_kwargs > 0)
		return lang_diag_set(diag, LANG_PREFIX_PARSE,
		                     "@rename_from on %s does not accept keyword arguments", target);
	return 0;
}

/* @description / @instruction: at most once, with a non-empty value. */
static int check_string_annotation(const struct pg_annotation *anns, uint32_t n, const char *name,
                                   const char *target, struct lang_diag *diag)
{
	int seen = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(anns[i].name, name) != 0)
			continue;
		if (seen)
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "%s declares @%s multiple times", target, name);
		if (anns[i].value == NULL || is_blank(anns[i].value))
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s on %s requires a non-empty value", name, target);
		seen = 1;
	}
	return 0;
}

static int is_one_of(const char *name, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(name, *set) == 0)
			return 1;
	return 0;
}

static const char *const KEY_UNIQUE_INDEX_EMBED[] = { "key", "unique", "index", "embed", NULL };
static const char *const KEY_UNIQUE[] = { "key", "unique", NULL };
static const char *const KEY_EMBED[] = { "key", "embed", NULL };

static int check_embed(const struct pg_annotation *a, const struct pg_property *prop,
                       const struct pg_decl *d, struct lang_diag *diag)
{
	const char *T = d->name, *p = prop->name;
	if (prop->type.scalar != LANG_SCALAR_VECTOR)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@embed is only supported on vector properties (%s.%s)", T, p);
	if (a->value == NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@embed on %s.%s requires a source property name", T, p);
	if (is_blank(a->value))
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@embed on %s.%s requires a non-empty source property name", T, p);
	const struct pg_property *src = pg_decl_property(d, a->value);
	if (src == NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@embed on %s.%s references unknown source property %s",
		                     T, p, a->value);
	/* An enum is a String with a value set (spec §2.3), so it qualifies. */
	if (src->type.list || src->type.scalar != LANG_SCALAR_STRING)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@embed source property %s.%s must be String", T, a->value);
	for (uint32_t k = 0; k < a->n_kwargs; k++)
		if (strcmp(a->kwargs[k].name, "model") != 0)
			return lang_diag_set(diag, LANG_PREFIX_PARSE,
			                     "@embed on %s.%s has unknown argument '%s=' (only 'model' is supported)",
			                     T, p, a->kwargs[k].name);
	return 0;
}

/* One property annotation; `seen` tracks repetitions of key/unique/index/embed. */
static int check_property_annotation(const struct pg_annotation *a, const struct pg_property *prop,
                                     const struct pg_decl *d, unsigned *seen, struct lang_diag *diag)
{
	const char *T = d->name, *p = prop->name, *n = a->name;
	int is_edge = d->kind == PG_DECL_EDGE;
	/* Order: list, vector, blob, @instruction, edge rules, repetition (§2.5). */
	if (prop->type.list && is_one_of(n, KEY_UNIQUE_INDEX_EMBED))
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s is not supported on list property %s.%s", n, T, p);
	if (prop->type.scalar == LANG_SCALAR_VECTOR && is_one_of(n, KEY_UNIQUE))
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s is not supported on vector property %s.%s", n, T, p);
	if (prop->type.scalar == LANG_SCALAR_BLOB && is_one_of(n, KEY_UNIQUE_INDEX_EMBED))
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s is not supported on blob property %s.%s", n, T, p);
	if (strcmp(n, "instruction") == 0)
		return lang_diag_set(diag, LANG_PREFIX_PARSE,
		                     "@instruction is only supported on node and edge types (property %s.%s)", T, p);
	if (is_edge && is_one_of(n, KEY_EMBED))
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s is not supported on edge properties (edge %s.%s)", n, T, p);
	for (unsigned bit = 0; KEY_UNIQUE_INDEX_EMBED[bit] != NULL; bit++) {
		if (strcmp(n, KEY_UNIQUE_INDEX_EMBED[bit]) != 0)
			continue;
		if (*seen & (1u << bit))
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "property %s.%s declares @%s multiple times", T, p, n);
		*seen |= 1u << bit;
	}
	if (strcmp(n, "embed") == 0)
		return check_embed(a, prop, d, diag);
	return 0;
}

static int check_property_annotations(const struct pg_property *prop, const struct pg_decl *d,
                                      struct lang_diag *diag)
{
	char target[2 * PG_MAX_NAME_BYTES + 16];
	snprintf(target, sizeof(target), "property %s.%s", d->name, prop->name);
	if (d->kind == PG_DECL_INTERFACE)   /* interfaces carry only @rename_from rules */
		return check_rename_from(prop->annotations, prop->n_annotations, target, diag);
	if (check_string_annotation(prop->annotations, prop->n_annotations, "description", target, diag) < 0
	    || check_rename_from(prop->annotations, prop->n_annotations, target, diag) < 0)
		return -1;
	unsigned seen = 0;
	for (uint32_t i = 0; i < prop->n_annotations; i++)
		if (check_property_annotation(&prop->annotations[i], prop, d, &seen, diag) < 0)
			return lang_diag_at(diag, prop->annotations[i].line, prop->annotations[i].col);
	return 0;
}

static int check_type_annotations(const struct pg_decl *d, struct lang_diag *diag)
{
	char target[PG_MAX_NAME_BYTES + 16];
	snprintf(target, sizeof(target), "%s %s", pg_decl_kind_name(d->kind), d->name);
	if (check_rename_from(d->annotations, d->n_annotations, target, diag) < 0)
		return -1;
	for (uint32_t i = 0; i < d->n_annotations; i++) {
		const char *n = d->annotations[i].name;
		if (!is_one_of(n, KEY_UNIQUE_INDEX_EMBED))
			continue;
		if (d->kind == PG_DECL_NODE)
			return lang_diag_set(diag, LANG_PREFIX_PARSE,
			                     "@%s is only supported on node properties or as body constraint (node %s)", n, d->name);
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s is not supported on edges (edge %s)", n, d->name);
	}
	if (check_string_annotation(d->annotations, d->n_annotations, "description", target, diag) < 0
	    || check_string_annotation(d->annotations, d->n_annotations, "instruction", target, diag) < 0)
		return -1;
	return 0;
}

int pg_validate_annotations(const struct pg_schema *s, struct lang_diag *diag)
{
	for (uint32_t i = 0; i < s->n_decls; i++) {
		const struct pg_decl *d = &s->decls[i];
		if (d->kind != PG_DECL_INTERFACE && check_type_annotations(d, diag) < 0)
			return lang_diag_at(diag, d->line, d->col);
		for (uint32_t j = 0; j < d->n_properties; j++)
			if (check_property_annotations(&d->properties[j], d, diag) < 0)
				return lang_diag_at(diag, d->properties[j].line, d->properties[j].col);
	}
	return 0;
}

/* ---- stage 4b: constraints ---------------------------------------------- */

static const char *constraint_name(enum pg_constraint_kind k)
{
	switch (k) {
	case PG_CONSTRAINT_KEY:    return "key";
	case PG_CONSTRAINT_UNIQUE: return "unique";
	case PG_CONSTRAINT_INDEX:  return "index";
	case PG_CONSTRAINT_RANGE:  return "range";
	case PG_CONSTRAINT_CHECK:  return "check";
	}
	return "?";
}

static int check_key_member(const struct pg_decl *d, const struct pg_property *p, struct lang_diag *diag)
{
	const char *what = NULL;
	if (p->type.nullable)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@key property %s.%s cannot be nullable", d->name, p->name);
	if (p->type.list)
		what = "list";
	else if (p->type.scalar == LANG_SCALAR_VECTOR)
		what = "vector";
	else if (p->type.scalar == LANG_SCALAR_BLOB)
		what = "blob";
	if (what != NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@key is not supported on %s property %s.%s",
		                     what, d->name, p->name);
	return 0;
}

/* Columns of @key/@unique/@index: known properties (edges may also name
 * src and dst, except in @key), with the per-kind type rules. */
static int check_columns(const struct pg_decl *d, const struct pg_constraint *c, struct lang_diag *diag)
{
	const char *cn = constraint_name(c->kind);
	int is_edge = d->kind == PG_DECL_EDGE;
	for (uint32_t i = 0; i < c->n_columns; i++) {
		const char *col = c->columns[i];
		if (is_edge && c->kind != PG_CONSTRAINT_KEY && (strcmp(col, "src") == 0 || strcmp(col, "dst") == 0))
			continue;
		const struct pg_property *p = pg_decl_property(d, col);
		if (p == NULL)
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s on %s references unknown property '%s'",
			                     cn, d->name, col);
		if (c->kind == PG_CONSTRAINT_KEY && check_key_member(d, p, diag) < 0)
			return -1;
		if (c->kind != PG_CONSTRAINT_KEY && p->type.scalar == LANG_SCALAR_BLOB)
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s is not supported on blob property %s.%s",
			                     cn, d->name, col);
	}
	return 0;
}

static int check_value_constraint(const struct pg_decl *d, const struct pg_constraint *c,
                                  struct lang_diag *diag)
{
	int range = c->kind == PG_CONSTRAINT_RANGE;
	const char *cn = constraint_name(c->kind);
	if (d->kind == PG_DECL_EDGE)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s constraint is not supported on edges (edge %s)",
		                     cn, d->name);
	assert(c->n_columns == 1);
	const struct pg_property *p = pg_decl_property(d, c->columns[0]);
	if (p == NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "@%s on %s references unknown property '%s'",
		                     cn, d->name, c->columns[0]);
	char head[2 * PG_MAX_NAME_BYTES + 64];
	if (range && (p->type.list || !lang_scalar_is_numeric((enum lang_scalar)p->type.scalar))) {
		snprintf(head, sizeof(head), "@range on %s.%s requires a numeric type, got ", d->name, p->name);
		return type_error(diag, head, &p->type, NULL, NULL);
	}
	if (!range && (p->type.list || p->type.scalar != LANG_SCALAR_STRING)) {
		snprintf(head, sizeof(head), "@check on %s.%s requires String type, got ", d->name, p->name);
		return type_error(diag, head, &p->type, NULL, NULL);
	}
	return 0;
}

static int check_decl_constraints(const struct pg_decl *d, struct lang_diag *diag)
{
	unsigned keys = 0;
	for (uint32_t i = 0; i < d->n_constraints; i++) {
		const struct pg_constraint *c = &d->constraints[i];
		if (c->kind == PG_CONSTRAINT_KEY) {
			if (d->kind == PG_DECL_EDGE)
				return lang_diag_set(diag, LANG_PREFIX_PARSE,
				                     "@key constraint is not supported on edges (edge %s)", d->name);
			if (++keys > 1)
				return lang_diag_set(diag, LANG_PREFIX_PARSE,
				                     "node type %s has multiple @key constraints; only one is supported", d->name);
		}
		int rc = (c->kind == PG_CONSTRAINT_RANGE || c->kind == PG_CONSTRAINT_CHECK)
		         ? check_value_constraint(d, c, diag) : check_columns(d, c, diag);
		if (rc < 0)
			return lang_diag_at(diag, c->line, c->col);
	}
	return 0;
}

int pg_validate_constraints(const struct pg_schema *s, struct lang_diag *diag)
{
	for (uint32_t i = 0; i < s->n_decls; i++)
		if (s->decls[i].kind != PG_DECL_INTERFACE && check_decl_constraints(&s->decls[i], diag) < 0)
			return lang_diag_at(diag, s->decls[i].line, s->decls[i].col);
	return 0;
}
