/*
 * tests/conformance/ops_schema.c — the compiler-side schema ops:
 * parse_schema (kinds schema_parse / schema_parse_error) and build_catalog
 * (kinds catalog / catalog_error).
 *
 * Each op renders what lang/ computed in the vocabulary of the cases
 * (declarations with "kind": "Node", constraints as {"Unique": [...]},
 * catalog maps keyed by type name, ...) and leaves the comparison to the
 * runner's generic matcher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lang/catalog.h"
#include "lang/schema_ast.h"
#include "runner.h"

/* ---- rendering a parse tree --------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *type_display(const struct lang_type *t, int with_nullable)
{
	struct lang_type copy = *t;
	if (!with_nullable)
		copy.nullable = 0;
	char *d = lang_type_display(&copy);
	json_t *j = json_string(d ? d : "?");
	free(d);
	return j;
}

/* The scalar alone: "String", "I32", "Vector(3)" (no list, enum, `?`). */
static json_t *scalar_display(const struct lang_type *t)
{
	struct lang_type s = { .scalar = t->scalar, .vector_dim = t->vector_dim };
	return type_display(&s, 0);
}

static json_t *annotations_json(const struct pg_annotation *v, uint32_t n)
{
	json_t *arr = json_array();
	for (uint32_t i = 0; i < n; i++) {
		json_t *kw = json_object();
		for (uint32_t k = 0; k < v[i].n_kwargs; k++)
			json_object_set_new(kw, v[i].kwargs[k].name, json_string(v[i].kwargs[k].value));
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o}", "name", v[i].name,
		                                     "value", str_or_null(v[i].value), "kwargs", kw));
	}
	return arr;
}

static json_t *bound_json(const struct pg_bound *b)
{
	if (!b->present)
		return json_null();
	if (b->is_float)
		return json_pack("{s:f}", "Float", b->f);
	return json_pack("{s:I}", "Integer", (json_int_t)b->i);
}

static json_t *constraint_json(const struct pg_constraint *c)
{
	static const char *const names[] = { NULL, "Key", "Unique", "Index", "Range", "Check" };
	if (c->kind == PG_CONSTRAINT_RANGE)
		return json_pack("{s:{s:s, s:o, s:o}}", "Range", "property", c->columns[0],
		                 "min", bound_json(&c->min), "max", bound_json(&c->max));
	if (c->kind == PG_CONSTRAINT_CHECK)
		return json_pack("{s:{s:s, s:s}}", "Check", "property", c->columns[0], "pattern", c->pattern);
	json_t *cols = json_array();
	for (uint32_t i = 0; i < c->n_columns; i++)
		json_array_append_new(cols, json_string(c->columns[i]));
	return json_pack("{s:o}", names[c->kind], cols);
}

static json_t *enum_json(const struct lang_type *t)
{
	if (t->n_enum == 0)
		return json_null();
	json_t *a = json_array();
	for (uint32_t i = 0; i < t->n_enum; i++)
		json_array_append_new(a, json_string(t->enum_values[i]));
	return a;
}

static json_t *property_json(const struct pg_property *p)
{
	return json_pack("{s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:b}", "name", p->name, "nullable", p->type.nullable,
	                 "list", p->type.list, "type", type_display(&p->type, 1), "scalar", scalar_display(&p->type),
	                 "enum_values", enum_json(&p->type),
	                 "annotations", annotations_json(p->annotations, p->n_annotations), "injected", p->injected);
}

static json_t *decl_json(const struct pg_decl *d, json_t *all_constraints)
{
	static const char *const kinds[] = { NULL, "Interface", "Node", "Edge" };
	json_t *props = json_array(), *cons = json_array(), *impl = json_array();
	for (uint32_t i = 0; i < d->n_properties; i++)
		json_array_append_new(props, property_json(&d->properties[i]));
	for (uint32_t i = 0; i < d->n_constraints; i++) {
		json_array_append_new(cons, constraint_json(&d->constraints[i]));
		json_array_append_new(all_constraints, constraint_json(&d->constraints[i]));
	}
	for (uint32_t i = 0; i < d->n_implements; i++)
		json_array_append_new(impl, json_string(d->implements[i]));
	json_t *j = json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:o}", "kind", kinds[d->kind], "name", d->name,
	                      "properties", props, "property_count", (json_int_t)d->n_properties,
	                      "constraints", cons, "implements", impl,
	                      "annotations", annotations_json(d->annotations, d->n_annotations));
	if (d->kind == PG_DECL_EDGE) {
		json_object_set_new(j, "from", json_string(d->from_type));
		json_object_set_new(j, "to", json_string(d->to_type));
		json_object_set_new(j, "cardinality", !d->has_cardinality ? json_string("default")
		                    : json_pack("{s:I, s:o}", "min", (json_int_t)d->card_min, "max",
		                                d->has_card_max ? json_integer(d->card_max) : json_null()));
	}
	return j;
}

static json_t *diag_result(const struct lang_diag *diag)
{
	return cf_error(diag->message, diag->has_span);
}

static json_t *op_parse_schema(struct cf_ctx *ctx, const json_t *step)
{
	char why[CF_WHY_BYTES];
	char *src = cf_text(ctx, step, "source", "schema", why);
	if (src == NULL)
		return cf_error(why, 0);
	struct pg_schema *s = NULL;
	struct lang_diag diag = LANG_DIAG_INIT;
	json_t *result;
	if (lang_schema_parse(&s, src, strlen(src), &diag) < 0) {
		result = diag_result(&diag);
	} else {
		json_t *decls = json_array(), *all = json_array();
		for (uint32_t i = 0; i < s->n_decls; i++)
			json_array_append_new(decls, decl_json(&s->decls[i], all));
		result = json_pack("{s:b, s:I, s:o, s:o}", "ok", 1, "declaration_count", (json_int_t)s->n_decls,
		                   "declarations", decls, "constraints", all);
	}
	lang_diag_clear(&diag);
	lang_schema_free(s);
	free(src);
	return result;
}

/* ---- rendering a catalog ------------------------------------------------- */

static json_t *strs_json(const char *const *v, uint32_t n)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *colsets_json(const struct lang_cat_colset *v, uint32_t n)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, strs_json(v[i].columns, v[i].n));
	return a;
}

/* Per-type facts shared by nodes and edges. */
static void type_facts(json_t *root, const struct lang_cat_type *t)
{
	char field[512];
	json_t *blobs = json_array(), *fields = json_object_get(root, "arrow_field_types");
	static const char *const edge_cols[] = { "id", "src", "dst" };
	for (int i = 0; i < (t->kind == LANG_CAT_EDGE ? 3 : 1); i++) {
		snprintf(field, sizeof(field), "%s.%s", t->name, edge_cols[i]);
		json_object_set_new(fields, field, json_string("String"));
	}
	for (uint32_t i = 0; i < t->n_props; i++) {
		const struct lang_cat_property *p = &t->props[i];
		snprintf(field, sizeof(field), "%s.%s", t->name, p->name);
		json_object_set_new(fields, field, type_display(&p->type, 0));
		if (p->type.scalar == LANG_SCALAR_BLOB)
			json_array_append_new(blobs, json_string(p->name));
		if (p->embed_source != NULL)
			json_object_set_new(json_object_get(root, "embed_sources"), field,
			                    json_pack("{s:s, s:o}", "source", p->embed_source, "model", str_or_null(p->embed_model)));
	}
	json_t *names = json_array(), *cols = json_array();
	for (int i = 0; i < (t->kind == LANG_CAT_EDGE ? 3 : 1); i++)
		json_array_append_new(cols, json_string(edge_cols[i]));
	for (uint32_t i = 0; i < t->n_props; i++) {
		json_array_append_new(names, json_string(t->props[i].name));
		json_array_append_new(cols, json_string(t->props[i].name));
	}
	json_object_set_new(json_object_get(root, "field_count"), t->name, json_integer((json_int_t)json_array_size(cols)));
	json_object_set_new(json_object_get(root, "fields"), t->name, cols);
	json_t *info = json_pack("{s:s, s:o}", "name", t->name, "properties", names);
	if (t->kind == LANG_CAT_EDGE) {
		json_object_set_new(info, "from", json_string(t->from_type));
		json_object_set_new(info, "to", json_string(t->to_type));
		json_object_set_new(info, "cardinality", json_pack("{s:I, s:o}", "min", (json_int_t)t->card_min,
		                    "max", t->has_card_max ? json_integer(t->card_max) : json_null()));
	} else {
		json_object_set_new(info, "key", t->has_key ? strs_json(t->key.columns, t->key.n) : json_null());
		json_object_set_new(info, "implements", strs_json(t->implements, t->n_implements));
	}
	json_object_set_new(json_object_get(root, t->kind == LANG_CAT_EDGE ? "edges" : "nodes"), t->name, info);
	json_object_set_new(json_object_get(root, "blob_properties"), t->name, blobs);
	json_object_set_new(json_object_get(root, "property_count"), t->name, json_integer(t->n_props));
	json_object_set_new(json_object_get(root, "unique_constraints"), t->name, colsets_json(t->unique, t->n_unique));
	json_object_set_new(json_object_get(root, "indices"), t->name, colsets_json(t->index, t->n_index));
}

json_t *cf_catalog_json(const struct lang_catalog *cat);
json_t *cf_catalog_json(const struct lang_catalog *cat)
{
	json_t *root = json_pack("{s:b, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	                         "ok", 1, "node_type_count", (json_int_t)cat->n_nodes,
	                         "edge_type_count", (json_int_t)cat->n_edges,
	                         "interface_count", (json_int_t)cat->n_interfaces,
	                         "node_types", json_array(), "edge_types", json_array(), "interfaces", json_object(),
	                         "implements", json_object(), "key_property", json_object(), "keys", json_object(),
	                         "unique_constraints", json_object(), "indices", json_object(),
	                         "edge_cardinality", json_object(), "embed_sources", json_object(),
	                         "arrow_field_types", json_object(), "blob_properties", json_object(),
	                         "property_count", json_object());
	json_object_set_new(root, "fields", json_object());
	json_object_set_new(root, "field_count", json_object());
	json_object_set_new(root, "nodes", json_object());
	json_object_set_new(root, "edges", json_object());
	for (uint32_t i = 0; i < cat->n_interfaces; i++) {
		const struct lang_cat_type *t = &cat->interfaces[i];
		json_t *names = json_array();
		for (uint32_t j = 0; j < t->n_props; j++)
			json_array_append_new(names, json_string(t->props[j].name));
		json_object_set_new(json_object_get(root, "interfaces"), t->name, names);
	}
	for (uint32_t i = 0; i < cat->n_nodes; i++) {
		const struct lang_cat_type *t = &cat->nodes[i];
		json_array_append_new(json_object_get(root, "node_types"), json_string(t->name));
		json_object_set_new(json_object_get(root, "implements"), t->name, strs_json(t->implements, t->n_implements));
		json_object_set_new(json_object_get(root, "key_property"), t->name,
		                    t->has_key ? json_string(t->key.columns[0]) : json_null());
		json_object_set_new(json_object_get(root, "keys"), t->name,
		                    t->has_key ? strs_json(t->key.columns, t->key.n) : json_null());
		type_facts(root, t);
	}
	for (uint32_t i = 0; i < cat->n_edges; i++) {
		const struct lang_cat_type *t = &cat->edges[i];
		json_array_append_new(json_object_get(root, "edge_types"), json_string(t->name));
		json_object_set_new(json_object_get(root, "edge_cardinality"), t->name,
		                    json_pack("{s:I, s:o}", "min", (json_int_t)t->card_min,
		                              "max", t->has_card_max ? json_integer(t->card_max) : json_null()));
		type_facts(root, t);
	}
	return root;
}

/* Every catalog the suite builds also proves the msgpack codec: encode,
 * decode, re-encode, and the bytes must be identical. */
static int codec_round_trip(const struct lang_catalog *cat, char *why)
{
	void *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	struct lang_catalog *back = NULL;
	struct lang_diag diag = LANG_DIAG_INIT;
	int ok = lang_catalog_encode(&a, &alen, cat) == 0 && lang_catalog_decode(&back, a, alen, &diag) == 0
	         && lang_catalog_encode(&b, &blen, back) == 0 && alen == blen && memcmp(a, b, alen) == 0;
	if (!ok)
		snprintf(why, CF_WHY_BYTES, "catalog msgpack round trip differs: %s", diag.message ? diag.message : "bytes");
	lang_diag_clear(&diag);
	lang_catalog_free(back);
	free(a);
	free(b);
	return ok;
}

static json_t *op_build_catalog(struct cf_ctx *ctx, const json_t *step)
{
	char why[CF_WHY_BYTES];
	char *src = cf_text(ctx, step, "schema", "schema", why);
	if (src == NULL)
		return cf_error(why, 0);
	struct lang_catalog *cat = NULL;
	struct lang_diag diag = LANG_DIAG_INIT;
	json_t *result;
	if (lang_catalog_from_text(&cat, src, strlen(src), &diag) < 0)
		result = diag_result(&diag);
	else if (!codec_round_trip(cat, why))
		result = cf_error(why, 0);
	else
		result = cf_catalog_json(cat);
	lang_diag_clear(&diag);
	lang_catalog_free(cat);
	free(src);
	return result;
}

const struct cf_op cf_ops_schema[] = {
	{ "parse_schema", op_parse_schema },
	{ "build_catalog", op_build_catalog },
	{ NULL, NULL },
};

/* "edge_lookup": {"knows": {...}, "KNOWS": {"name": "Knows"}} — each key
 * is resolved like the catalog resolves an edge word (exact, then
 * case-insensitive, spec §2.6) and the expected fields matched. */
static int check_edge_lookup(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                             const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const json_t *edges = json_object_get(result, "edges");
	const char *word;
	const json_t *want;
	json_object_foreach((json_t *)expected, word, want) {
		const json_t *found = json_object_get(edges, word);
		const char *name;
		const json_t *e;
		json_object_foreach((json_t *)edges, name, e)
			if (found == NULL && strcasecmp(name, word) == 0)
				found = e;
		if (json_is_null(want) ? found != NULL : !cf_match(want, found, word, why)) {
			if (json_is_null(want))
				snprintf(why, CF_WHY_BYTES, "edge_lookup.%.200s: expected no edge", word);
			return 0;
		}
	}
	return 1;
}

const struct cf_check cf_checks_schema[] = {
	{ "edge_lookup", check_edge_lookup },
	{ NULL, NULL },
};
