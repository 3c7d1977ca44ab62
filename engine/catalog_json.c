/*
 * catalog_json.c — grove_catalog_json(): the catalog readable at a target
 * (schema_hist.h), for tools and the conformance runner (list of tables,
 * a table's fields, a composite key's member order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/jsonw.h"
#include "engine/schema_hist.h"
#include "log/error.h"

static int cmp_prop_id(const void *a, const void *b)
{
	uint32_t x = (*(const struct lang_cat_property *const *)a)->id;
	uint32_t y = (*(const struct lang_cat_property *const *)b)->id;
	return x < y ? -1 : x > y;
}

/* The key members in identity order: the order of a composite id. */
static int write_key(struct jsonw *w, const struct lang_cat_type *t)
{
	const struct lang_cat_property **v = calloc(t->key.n + 1, sizeof *v);
	uint32_t n = 0;
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->key.n; i++)
		if ((v[n] = lang_cat_type_prop(t, t->key.columns[i])))
			n++;
	qsort(v, n, sizeof *v, cmp_prop_id);
	jsonw_key_cstr(w, "key");
	jsonw_array_begin(w);
	for (uint32_t i = 0; i < n; i++)
		jsonw_cstr(w, v[i]->name);
	jsonw_array_end(w);
	free(v);
	return 0;
}

static int write_type(struct jsonw *w, const struct lang_cat_type *t)
{
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "kind");
	jsonw_cstr(w, t->kind == LANG_CAT_EDGE ? "edge" : "node");
	jsonw_key_cstr(w, "name");
	jsonw_cstr(w, t->name);
	jsonw_key_cstr(w, "id");
	jsonw_uint(w, t->id);
	jsonw_key_cstr(w, "properties");
	jsonw_array_begin(w);
	for (uint32_t i = 0; i < t->n_props; i++) {
		char *type = lang_type_display(&t->props[i].type);
		if (!type)
			return -ENOMEM;
		jsonw_object_begin(w);
		jsonw_key_cstr(w, "name");
		jsonw_cstr(w, t->props[i].name);
		jsonw_key_cstr(w, "id");
		jsonw_uint(w, t->props[i].id);
		jsonw_key_cstr(w, "type");
		jsonw_cstr(w, type);
		jsonw_object_end(w);
		free(type);
	}
	jsonw_array_end(w);
	if (t->kind == LANG_CAT_EDGE) {
		jsonw_key_cstr(w, "from");
		jsonw_cstr(w, t->from_type);
		jsonw_key_cstr(w, "to");
		jsonw_cstr(w, t->to_type);
	} else if (t->has_key && write_key(w, t) < 0) {
		return -ENOMEM;
	}
	jsonw_object_end(w);
	return 0;
}

int grove_catalog_json(char **out, grove_db *db, const grove_target *target)
{
	struct read_at r;
	struct jsonw w;
	char id[GROVE_COMMIT_ID_BYTES];
	int err;

	*out = NULL;
	if ((err = read_at_open(&r, db, target)) < 0)
		return err;
	commit_id_format(id, &r.head.id);
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_key_cstr(&w, "graph_commit_id");
	jsonw_cstr(&w, id);
	jsonw_key_cstr(&w, "types");
	jsonw_array_begin(&w);
	for (uint32_t i = 0; !err && i < r.cat->n_edges; i++)
		err = write_type(&w, &r.cat->edges[i]);
	for (uint32_t i = 0; !err && i < r.cat->n_nodes; i++)
		err = write_type(&w, &r.cat->nodes[i]);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	read_at_close(&r);
	if (!err)
		err = jsonw_error(&w);
	if (err < 0) {
		jsonw_fini(&w);
		return db_error(db, err, "out of memory");
	}
	*out = w.buf;
	return 0;
}
