/*
 * lang/catalog_plan.c — the steps of a schema migration (spec §10.2-10.4),
 * from the identities catalog_evolve.c resolved.
 *
 * Order: interfaces, node types, edge types, each in name order.  Per
 * desired type: a new identity is one AddType; a kept one gets, in order,
 * its rename, the structural checks (implements, endpoints, cardinality),
 * its metadata, then each desired property (add-or-refuse, rename, enum
 * widening or type change, @embed, property constraints, provenance,
 * interface links, metadata) in name order, then the drops of leftover
 * properties, then the body constraints.  Leftover types of a kind drop
 * after all desired types of that kind.
 *
 * Constraints are compared by signature over property *identities*
 * ("u:2,5"), so renaming a key member or reordering columns is no change.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/evolve_int.h"

#define V1 " is not supported in schema migration v1"

struct planner {
	struct lang_plan *plan;
	const struct lang_catalog *old, *cat;
	const struct evolve_match *m;
	int oom;
	struct lang_step dummy;   /* what add() hands out when out of memory */
};

/* ---- building steps ------------------------------------------------------ */

static const char *fmt(struct planner *p, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(struct planner *p, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *s = n >= 0 ? lang_arena_alloc(&p->plan->arena, (size_t)n + 1) : NULL;
	if (s == NULL) {
		p->oom = 1;
		return "";
	}
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return s;
}

static const char *dup(struct planner *p, const char *s)
{
	return s == NULL ? NULL : fmt(p, "%s", s);
}

/* A new zeroed step (a dummy when out of memory, so callers need no check). */
static struct lang_step *add(struct planner *p, enum lang_step_kind kind, const struct lang_cat_type *t)
{
	struct lang_plan *plan = p->plan;
	if (lang_arena_reserve(&plan->arena, (void **)&plan->steps, &plan->cap_steps, plan->n_steps,
	                       sizeof(struct lang_step), UINT32_MAX) < 0) {
		p->oom = 1;
		memset(&p->dummy, 0, sizeof(p->dummy));
		return &p->dummy;
	}
	struct lang_step *s = &plan->steps[plan->n_steps++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (t != NULL) {
		s->type_kind = t->kind;
		s->type_id = t->id;
	}
	if (kind == LANG_STEP_UNSUPPORTED)
		plan->supported = 0;
	return s;
}

static void unsupported(struct planner *p, const char *code, const char *entity, const char *reason)
{
	struct lang_step *s = add(p, LANG_STEP_UNSUPPORTED, NULL);
	s->entity = entity;
	s->reason = reason;
	s->code = code;
}

static const char *type_entity(struct planner *p, const struct lang_cat_type *t)
{
	return fmt(p, "%s:%s", lang_cat_kind_name(t->kind), t->name);
}

static const char *prop_entity(struct planner *p, const struct lang_cat_type *t, const char *prop)
{
	return fmt(p, "%s:%s.%s", lang_cat_kind_name(t->kind), t->name, prop);
}

static int str_differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* ---- annotations ----------------------------------------------------------- */

static int annotation_equal(const struct lang_cat_annotation *a, const struct lang_cat_annotation *b)
{
	if (strcmp(a->name, b->name) != 0 || str_differ(a->value, b->value) || a->n_kwargs != b->n_kwargs)
		return 0;
	for (uint32_t k = 0; k < a->n_kwargs; k++)  /* kwargs are sorted by name */
		if (strcmp(a->kwargs[k].name, b->kwargs[k].name) != 0 || strcmp(a->kwargs[k].value, b->kwargs[k].value) != 0)
			return 0;
	return 1;
}

/* Annotations with a meaning of their own (metadata, hints, constraints,
 * @embed) are compared elsewhere; the rest are custom. */
static int is_custom(const char *name)
{
	static const char *const known[] = { "description", "instruction", "rename_from", "key", "unique", "index", "embed" };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i]) == 0)
			return 0;
	return 1;
}

/* Do the custom annotations of a and b differ (as multisets)? */
static int custom_differ(const struct lang_cat_annotation *a, uint32_t na, const struct lang_cat_annotation *b,
                         uint32_t nb)
{
	uint32_t ca = 0, cb = 0;
	for (uint32_t i = 0; i < na; i++)
		ca += (uint32_t)is_custom(a[i].name);
	for (uint32_t i = 0; i < nb; i++)
		cb += (uint32_t)is_custom(b[i].name);
	if (ca != cb)
		return 1;
	for (uint32_t i = 0; i < na; i++) {
		if (!is_custom(a[i].name))
			continue;
		uint32_t in_a = 0, in_b = 0;
		for (uint32_t j = 0; j < na; j++)
			in_a += (uint32_t)annotation_equal(&a[i], &a[j]);
		for (uint32_t j = 0; j < nb; j++)
			in_b += (uint32_t)annotation_equal(&a[i], &b[j]);
		if (in_a != in_b)
			return 1;
	}
	return 0;
}

static void metadata_pair(struct planner *p, struct lang_step *s, const char *name, const char *now)
{
	struct lang_step_annotation *v = lang_arena_alloc(&p->plan->arena, sizeof(*v) * (s->n_annotations + 1));
	if (v == NULL) {
		p->oom = 1;
		return;
	}
	if (s->n_annotations > 0)
		memcpy(v, s->annotations, sizeof(*v) * s->n_annotations);
	v[s->n_annotations].name = name;
	v[s->n_annotations].value = dup(p, now);
	s->annotations = v;
	s->n_annotations++;
}

static void type_metadata(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_type *a)
{
	int desc = str_differ(t->description, a->description), instr = str_differ(t->instruction, a->instruction);
	/* A change beyond the metadata annotations is the one step, even when
	 * the metadata changes too (OmniGraph's annotation_change_kind). */
	if (custom_differ(t->annotations, t->n_annotations, a->annotations, a->n_annotations)) {
		unsupported(p, NULL, type_entity(p, t), "changing annotations beyond @description/@instruction" V1);
		return;
	}
	if (desc || instr) {
		struct lang_step *s = add(p, LANG_STEP_UPDATE_TYPE_METADATA, t);
		s->name = dup(p, t->name);
		if (desc)
			metadata_pair(p, s, "description", t->description);
		if (instr)
			metadata_pair(p, s, "instruction", t->instruction);
	}
}

/* ---- structure ---------------------------------------------------------- */

static int has_str(const char *const *v, uint32_t n, const char *s)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int implements_differ(const struct lang_cat_type *t, const struct lang_cat_type *a)
{
	for (uint32_t i = 0; i < t->n_implements; i++)
		if (!has_str(a->implements, a->n_implements, t->implements[i]))
			return 1;
	for (uint32_t i = 0; i < a->n_implements; i++)
		if (!has_str(t->implements, t->n_implements, a->implements[i]))
			return 1;
	return 0;
}

static void structure(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_type *a)
{
	if (t->kind == LANG_CAT_NODE && implements_differ(t, a))
		unsupported(p, NULL, type_entity(p, t), fmt(p, "changing implemented interfaces on node '%s'" V1, t->name));
	if (t->kind != LANG_CAT_EDGE)
		return;
	if (t->from_id != a->from_id || t->to_id != a->to_id)
		unsupported(p, NULL, type_entity(p, t), fmt(p, "changing edge endpoints on '%s'" V1, t->name));
	if (t->card_min != a->card_min || t->has_card_max != a->has_card_max || t->card_max != a->card_max)
		unsupported(p, NULL, type_entity(p, t), fmt(p, "changing cardinality on edge '%s'" V1, t->name));
}

/* ---- constraint signatures ------------------------------------------------ */

struct csig {
	const char *sig;          /* identity-based: "u:2,5", "r:3:0:10"   */
	const char *text;         /* as written: "@unique(a, b)"            */
	char kind;                /* 'k' key, 'u' unique, 'i' index, 'r', 'c' */
	uint32_t prop_id;         /* single-column key/unique/index: its id */
	int prop_level;           /* from a bare @key/@unique/@index        */
	const uint32_t *ids;      /* the columns' property ids (0: src/dst) */
	uint32_t n_ids;
};

struct csigs {
	struct csig *v;
	uint32_t n;
};

static int bare_annotation(const struct lang_cat_property *q, const char *name)
{
	for (uint32_t i = 0; i < q->n_annotations; i++)
		if (strcmp(q->annotations[i].name, name) == 0 && q->annotations[i].value == NULL)
			return 1;
	return 0;
}

static const char *cname(char kind)
{
	return kind == 'k' ? "key" : kind == 'u' ? "unique" : kind == 'i' ? "index" : kind == 'r' ? "range" : "check";
}

static void colset_sig(struct planner *p, struct csigs *out, const struct lang_cat_type *t, char kind,
                       const struct lang_cat_colset *cs)
{
	struct csig *c = &out->v[out->n++];
	uint32_t *ids = lang_arena_alloc(&p->plan->arena, sizeof(uint32_t) * (cs->n + 1));
	const char *sig = fmt(p, "%c:", kind), *text = fmt(p, "@%s(", cname(kind));
	if (ids == NULL) {
		p->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < cs->n; i++) {
		const struct lang_cat_property *q = lang_cat_type_prop(t, cs->columns[i]);
		ids[i] = q != NULL ? q->id : 0;
		if (q == NULL)
			sig = fmt(p, "%s%s=%s", sig, i ? "," : "", cs->columns[i]);  /* src, dst */
		text = fmt(p, "%s%s%s", text, i ? ", " : "", cs->columns[i]);
	}
	/* identities sorted, so the signature ignores names and order */
	for (uint32_t i = 1; i < cs->n; i++)
		for (uint32_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint32_t x = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = x;
		}
	for (uint32_t i = 0; i < cs->n; i++)
		if (ids[i] != 0)
			sig = fmt(p, "%s#%u", sig, (unsigned)ids[i]);
	const struct lang_cat_property *single = cs->n == 1 ? lang_cat_type_prop(t, cs->columns[0]) : NULL;
	*c = (struct csig){ .sig = sig, .text = fmt(p, "%s)", text), .kind = kind, .ids = ids, .n_ids = cs->n };
	if (single != NULL && kind != 'r' && kind != 'c') {
		c->prop_id = single->id;
		c->prop_level = bare_annotation(single, cname(kind));
		/* Where it is declared is part of it: `p: T @unique` and
		 * `@unique(p)` are different constraints (a move between them
		 * removes one and adds the other). */
		c->sig = fmt(p, "%s%s", sig, c->prop_level ? "@p" : "@b");
	}
}

static const char *bound_text(struct planner *p, const struct pg_bound *b)
{
	if (!b->present)
		return "";
	return b->is_float ? fmt(p, "%.17g", b->f) : fmt(p, "%lld", (long long)b->i);
}

static void value_sig(struct planner *p, struct csigs *out, const struct lang_cat_type *t, char kind,
                      const char *prop, const char *extra, const char *text)
{
	const struct lang_cat_property *q = lang_cat_type_prop(t, prop);
	uint32_t *ids = lang_arena_alloc(&p->plan->arena, sizeof(uint32_t));
	if (ids == NULL) {
		p->oom = 1;
		return;
	}
	ids[0] = q != NULL ? q->id : 0;
	out->v[out->n++] = (struct csig){ .sig = fmt(p, "%c:#%u:%s", kind, (unsigned)ids[0], extra), .text = text,
	                                  .kind = kind, .ids = ids, .n_ids = 1 };
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

/* An interface keeps its properties' @key/@unique/@index only as their
 * annotations: each is a single-column constraint of the interface, whose
 * changes are planned for the interface itself as for a node. */
static void interface_sigs(struct planner *p, struct csigs *s, const struct lang_cat_type *t)
{
	static const char kinds[] = { 'k', 'u', 'i' };
	for (uint32_t i = 0; i < t->n_props; i++)
		for (int k = 0; k < 3; k++) {
			if (!bare_annotation(&t->props[i], cname(kinds[k])))
				continue;
			const char **col = lang_arena_alloc(&p->plan->arena, sizeof(*col));
			if (col == NULL) {
				p->oom = 1;
				return;
			}
			*col = t->props[i].name;
			struct lang_cat_colset cs = { 1, col };
			colset_sig(p, s, t, kinds[k], &cs);
		}
}

/* `k: T @key @index`: the index the key implies is declared as well, a
 * constraint of its own for the plan (as OmniGraph keeps it), though the
 * views keep one index.  (A body-level @index(k) beside @key is folded
 * into the key's by the catalog and is not seen here.) */
static int key_index_declared(const struct lang_cat_type *t)
{
	const struct lang_cat_property *q = t->key.n == 1 ? lang_cat_type_prop(t, t->key.columns[0]) : NULL;
	return q != NULL && bare_annotation(q, "index");
}

static struct csigs signatures(struct planner *p, const struct lang_cat_type *t)
{
	struct csigs s = { NULL, 0 };
	uint32_t cap = 1 + t->n_unique + t->n_index + t->n_range + t->n_check +
	               (t->kind == LANG_CAT_INTERFACE ? 3 * t->n_props : 0);
	if ((s.v = lang_arena_alloc(&p->plan->arena, sizeof(*s.v) * cap)) == NULL) {
		p->oom = 1;
		return s;
	}
	if (t->kind == LANG_CAT_INTERFACE) {
		interface_sigs(p, &s, t);
		return s;
	}
	if (t->has_key)
		colset_sig(p, &s, t, 'k', &t->key);
	for (uint32_t i = 0; i < t->n_unique; i++)
		colset_sig(p, &s, t, 'u', &t->unique[i]);
	for (uint32_t i = 0; i < t->n_index; i++)  /* the key's implied index goes with the key */
		if (!t->has_key || !colset_equal(&t->index[i], &t->key) || key_index_declared(t))
			colset_sig(p, &s, t, 'i', &t->index[i]);
	for (uint32_t i = 0; i < t->n_range; i++) {
		const struct lang_cat_range *r = &t->ranges[i];
		const char *lo = bound_text(p, &r->min), *hi = bound_text(p, &r->max);
		value_sig(p, &s, t, 'r', r->property, fmt(p, "%s..%s", lo, hi),
		          fmt(p, "@range(%s, %s..%s)", r->property, lo, hi));
	}
	for (uint32_t i = 0; i < t->n_check; i++) {
		const struct lang_cat_check *c = &t->checks[i];
		value_sig(p, &s, t, 'c', c->property, c->pattern, fmt(p, "@check(%s, \"%s\")", c->property, c->pattern));
	}
	return s;
}

static int sig_in(const struct csigs *s, const char *sig)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].sig, sig) == 0)
			return 1;
	return 0;
}

/* The constraints of the accepted and the desired type, and which
 * accepted property ids survive (a constraint on a dropped property goes
 * with the drop). */
struct cons {
	struct csigs acc, des;
	const uint8_t *kept;      /* by accepted property id               */
	uint32_t n_kept;
	uint32_t first_new_id;    /* desired ids from here on are new props */
};

static int touches_dropped(const struct cons *c, const struct csig *s)
{
	for (uint32_t i = 0; i < s->n_ids; i++)
		if (s->ids[i] != 0 && (s->ids[i] >= c->n_kept || !c->kept[s->ids[i]]))
			return 1;
	return 0;
}

/* Property-level constraint changes of desired property pd (accepted pa). */
static void prop_constraints(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_property *pd,
                             const struct lang_cat_property *pa, const struct cons *c)
{
	for (uint32_t i = 0; i < c->des.n; i++) {
		const struct csig *s = &c->des.v[i];
		if (!s->prop_level || s->prop_id != pd->id || sig_in(&c->acc, s->sig))
			continue;
		if (s->kind == 'i') {
			struct lang_step *st = add(p, LANG_STEP_ADD_CONSTRAINT, t);
			st->type_name = dup(p, t->name);
			st->constraint = s->text;
		} else {
			unsupported(p, NULL, prop_entity(p, t, pd->name),
			            fmt(p, "adding a property-level @%s constraint to '%s.%s'" V1, cname(s->kind), t->name,
			                pd->name));
		}
	}
	for (uint32_t i = 0; pa != NULL && i < c->acc.n; i++) {
		const struct csig *s = &c->acc.v[i];
		if (s->prop_level && s->prop_id == pa->id && !sig_in(&c->des, s->sig)) {
			unsupported(p, NULL, prop_entity(p, t, pd->name),
			            fmt(p, "removing property constraints from '%s.%s'" V1, t->name, pd->name));
			return;
		}
	}
}

/* Body constraints: what property-level handling did not cover. */
static void body_constraints(struct planner *p, const struct lang_cat_type *t, const struct cons *c)
{
	/* Removals first, as OmniGraph plans them: an apply reports the
	 * first unsupported step. */
	for (uint32_t i = 0; i < c->acc.n; i++) {
		const struct csig *s = &c->acc.v[i];
		if (sig_in(&c->des, s->sig) || touches_dropped(c, s) || (s->prop_level && s->prop_id != 0))
			continue;
		unsupported(p, NULL, type_entity(p, t), fmt(p, "removing constraints from '%s'" V1, t->name));
		break;
	}
	for (uint32_t i = 0; i < c->des.n; i++) {
		const struct csig *s = &c->des.v[i];
		/* A new property's constraints are the body's to add: the
		 * property itself is only added or refused (engine §10.2). */
		if ((s->prop_level && s->prop_id < c->first_new_id) || sig_in(&c->acc, s->sig))
			continue;
		if (s->kind == 'i') {
			struct lang_step *st = add(p, LANG_STEP_ADD_CONSTRAINT, t);
			st->type_name = dup(p, t->name);
			st->constraint = s->text;
		} else {
			unsupported(p, NULL, type_entity(p, t), fmt(p, "adding constraint '%s' to '%s'" V1, s->text, t->name));
		}
	}
}

/* ---- properties ------------------------------------------------------------ */

/* Interfaces (of those t implements) that declare a property `name`. */
static const char *links(struct planner *p, const struct lang_catalog *cat, const struct lang_cat_type *t,
                         const char *name)
{
	const char *s = "";
	for (uint32_t i = 0; i < t->n_implements; i++) {
		const struct lang_cat_type *it = lang_catalog_interface(cat, t->implements[i]);
		if (it != NULL && lang_cat_type_prop(it, name) != NULL && !strstr(s, fmt(p, "|%s|", it->name)))
			s = fmt(p, "%s|%s|", s, it->name);
	}
	return s;
}

/* Links compared as sets: every link of one is a link of the other. */
static int links_differ(const char *a, const char *b)
{
	if (strlen(a) != strlen(b))
		return 1;
	for (const char *x = a; *x; x = strchr(x + 1, '|') + 1) {
		const char *end = strchr(x + 1, '|');
		if (end == NULL)
			break;
		char one[PG_MAX_NAME_BYTES + 3];
		snprintf(one, sizeof(one), "%.*s", (int)(end - x + 1), x);
		if (strstr(b, one) == NULL)
			return 1;
	}
	return 0;
}

static void type_change(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_property *pd,
                        const struct lang_cat_property *pa)
{
	const struct lang_type *d = &pd->type, *a = &pa->type;
	if (lang_type_equal(d, a))
		return;
	int widen = d->n_enum > a->n_enum && a->n_enum > 0 && d->list == a->list && d->nullable == a->nullable;
	for (uint32_t i = 0; widen && i < a->n_enum; i++)
		widen = has_str(d->enum_values, d->n_enum, a->enum_values[i]);
	if (!widen) {
		unsupported(p, LANG_CODE_TYPE_CHANGE, prop_entity(p, t, pd->name),
		            fmt(p, "changing property type for '%s.%s'" V1, t->name, pd->name));
		return;
	}
	struct lang_step *s = add(p, LANG_STEP_EXTEND_ENUM, t);
	s->type_name = dup(p, t->name);
	s->property_name = dup(p, pd->name);
	s->values = lang_arena_alloc(&p->plan->arena, sizeof(char *) * d->n_enum);
	if (s->values == NULL) {
		p->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < d->n_enum; i++)  /* sorted, as the enum is */
		if (!has_str(a->enum_values, a->n_enum, d->enum_values[i]))
			s->values[s->n_values++] = dup(p, d->enum_values[i]);
}

/* The id of an @embed source property in t, 0 when none. */
static uint32_t embed_id(const struct lang_cat_type *t, const char *src)
{
	const struct lang_cat_property *q = src != NULL ? lang_cat_type_prop(t, src) : NULL;
	return q != NULL ? q->id : 0;
}

static void kept_prop(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_type *a,
                      const struct lang_cat_property *pd, const struct lang_cat_property *pa, const struct cons *c)
{
	if (strcmp(pd->name, pa->name) != 0) {
		struct lang_step *s = add(p, LANG_STEP_RENAME_PROPERTY, t);
		s->type_name = dup(p, t->name);
		s->from = dup(p, pa->name);
		s->to = dup(p, pd->name);
	}
	type_change(p, t, pd, pa);
	if (str_differ(pd->embed_model, pa->embed_model) || embed_id(t, pd->embed_source) != embed_id(a, pa->embed_source) ||
	    (pd->embed_source == NULL) != (pa->embed_source == NULL))
		unsupported(p, NULL, prop_entity(p, t, pd->name),
		            fmt(p, "changing @embed source or model for '%s.%s'" V1 "; rebuild the graph so stored vectors "
		                "and their declared embedding space cannot diverge", t->name, pd->name));
	prop_constraints(p, t, pd, pa, c);
	if ((pd->interface_name == NULL) != (pa->interface_name == NULL))
		unsupported(p, NULL, prop_entity(p, t, pd->name),
		            fmt(p, "changing declaration provenance for '%s.%s'" V1, t->name, pd->name));
	if (t->kind == LANG_CAT_NODE &&
	    links_differ(links(p, p->cat, t, pd->name), links(p, p->old, a, pa->name)))
		unsupported(p, NULL, prop_entity(p, t, pd->name),
		            fmt(p, "changing interface-property satisfaction links for '%s.%s'" V1, t->name, pd->name));
	if (str_differ(pd->description, pa->description)) {
		struct lang_step *s = add(p, LANG_STEP_UPDATE_PROPERTY_METADATA, t);
		s->type_name = dup(p, t->name);
		s->property_name = dup(p, pd->name);
		metadata_pair(p, s, "description", pd->description);
	}
	if (custom_differ(pd->annotations, pd->n_annotations, pa->annotations, pa->n_annotations))
		unsupported(p, NULL, prop_entity(p, t, pd->name), "changing annotations beyond @description/@instruction" V1);
}

static void new_prop(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_property *pd,
                     const struct cons *c)
{
	if (!pd->type.nullable) {
		unsupported(p, LANG_CODE_ADD_REQUIRED, prop_entity(p, t, pd->name),
		            fmt(p, "adding required property '%s.%s' requires a backfill and is not supported in schema "
		                "migration v1", t->name, pd->name));
		return;
	}
	struct lang_step *s = add(p, LANG_STEP_ADD_PROPERTY, t);
	s->type_name = dup(p, t->name);
	s->property_name = dup(p, pd->name);
	char *display = lang_type_display(&pd->type);
	s->property_type = display != NULL ? dup(p, display) : NULL;
	p->oom |= display == NULL;
	free(display);
	(void)c;  /* its constraints are planned with the body's */
}

static int cmp_prop_ptr(const void *x, const void *y)
{
	return strcmp((*(const struct lang_cat_property *const *)x)->name, (*(const struct lang_cat_property *const *)y)->name);
}

/* t's (or a's) properties by name, arena memory. */
static const struct lang_cat_property **sorted_props(struct planner *p, const struct lang_cat_type *t)
{
	const struct lang_cat_property **v = lang_arena_alloc(&p->plan->arena, sizeof(*v) * (t->n_props + 1));
	if (v == NULL) {
		p->oom = 1;
		return NULL;
	}
	for (uint32_t i = 0; i < t->n_props; i++)
		v[i] = &t->props[i];
	qsort(v, t->n_props, sizeof(*v), cmp_prop_ptr);
	return v;
}

static void drop_leftover_props(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_type *a,
                                const struct cons *c)
{
	const struct lang_cat_property **v = sorted_props(p, a);
	for (uint32_t i = 0; v != NULL && i < a->n_props; i++) {
		if (v[i]->id < c->n_kept && c->kept[v[i]->id])
			continue;
		struct lang_step *s = add(p, LANG_STEP_DROP_PROPERTY, t);
		s->type_name = dup(p, t->name);
		s->property_name = dup(p, v[i]->name);
		s->hard = p->plan->allow_data_loss;
	}
}

static void kept_type(struct planner *p, const struct lang_cat_type *t, const struct lang_cat_type *a,
                      const struct lang_cat_property **pm)
{
	struct cons c = { .acc = signatures(p, a), .des = signatures(p, t), .n_kept = a->next_prop_id + 1,
			  .first_new_id = a->next_prop_id };
	uint8_t *kept = lang_arena_alloc(&p->plan->arena, c.n_kept);
	const struct lang_cat_property **v = sorted_props(p, t);
	if (kept == NULL || v == NULL || p->oom) {
		p->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < t->n_props; i++)
		if (pm[i] != NULL && pm[i]->id < c.n_kept)
			kept[pm[i]->id] = 1;
	c.kept = kept;
	if (strcmp(t->name, a->name) != 0) {
		if (t->kind == LANG_CAT_INTERFACE) {
			unsupported(p, NULL, type_entity(p, t), "renaming interfaces" V1);
		} else {
			struct lang_step *s = add(p, LANG_STEP_RENAME_TYPE, t);
			s->from = dup(p, a->name);
			s->to = dup(p, t->name);
		}
	}
	structure(p, t, a);
	type_metadata(p, t, a);
	for (uint32_t i = 0; i < t->n_props; i++) {
		const struct lang_cat_property *pa = pm[v[i] - t->props];
		if (pa == NULL)
			new_prop(p, t, v[i], &c);
		else
			kept_prop(p, t, a, v[i], pa, &c);
	}
	drop_leftover_props(p, t, a, &c);
	body_constraints(p, t, &c);
}

static void plan_kind(struct planner *p, enum lang_cat_kind kind)
{
	uint32_t n, on;
	const struct lang_cat_type *v = evolve_types_of(p->cat, kind, &n);
	const struct lang_cat_type *ov = evolve_types_of(p->old, kind, &on);
	uint8_t *used = lang_arena_alloc(&p->plan->arena, on + 1);
	if (used == NULL) {
		p->oom = 1;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct lang_cat_type *a = p->m->types[kind][i];
		if (a == NULL) {
			add(p, LANG_STEP_ADD_TYPE, &v[i])->name = dup(p, v[i].name);
			continue;
		}
		used[a - ov] = 1;
		kept_type(p, &v[i], a, p->m->props[kind][i]);
	}
	for (uint32_t i = 0; i < on; i++) {
		if (used[i])
			continue;
		if (kind == LANG_CAT_INTERFACE) {
			unsupported(p, NULL, type_entity(p, &ov[i]), fmt(p, "removing interface '%s'" V1, ov[i].name));
			continue;
		}
		struct lang_step *s = add(p, LANG_STEP_DROP_TYPE, &ov[i]);
		s->name = dup(p, ov[i].name);
		s->hard = p->plan->allow_data_loss;
	}
}

int evolve_plan(struct lang_plan *plan, const struct lang_catalog *old, const struct lang_catalog *cat,
                const struct evolve_match *m)
{
	struct planner p = { .plan = plan, .old = old, .cat = cat, .m = m };
	plan_kind(&p, LANG_CAT_INTERFACE);
	plan_kind(&p, LANG_CAT_NODE);
	plan_kind(&p, LANG_CAT_EDGE);
	return p.oom ? -1 : 0;
}
