/*
 * export.c — a target as JSONL (spec §8.6, engine §7.4): edge tables
 * before node tables (lexical order of "edge:E" / "node:T"), each table's
 * rows by id, every property present (null for NULL).  Loading the output
 * with mode overwrite into a fresh graph of the same schema reproduces it.
 */
#include <msgpack.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "engine/jsonw.h"
#include "engine/schema_hist.h"
#include "engine/value.h"
#include "log/error.h"

#define EXPORT_FLUSH_BYTES (64u * 1024u)

struct export_ctx {
	struct jsonw w;
	int (*write)(void *arg, const char *buf, size_t len);
	void *arg;
};

static int flush(struct export_ctx *x, bool force)
{
	int err = jsonw_error(&x->w);
	if (err < 0)
		return log_error(err, "an export line is too large");
	if (!force && x->w.len < EXPORT_FLUSH_BYTES)
		return 0;
	if (x->w.len && x->write(x->arg, x->w.buf, x->w.len) != 0)
		return log_error(GROVE_EINVAL, "the export's writer failed");
	jsonw_reset(&x->w);
	return 0;
}

static int export_row(void *arg, const struct lang_cat_type *t, const msgpack_object *o)
{
	struct export_ctx *x = arg;
	struct value_row row;
	struct value_error verr;
	int err;

	jsonw_object_begin(&x->w);
	if (t->kind == LANG_CAT_EDGE) {
		if ((err = value_row_view(&row, o, t, &verr)) < 0)
			return log_error(err, "%s", verr.msg);
		jsonw_key_cstr(&x->w, "edge");
		jsonw_cstr(&x->w, t->name);
		jsonw_key_cstr(&x->w, "from");
		jsonw_string(&x->w, row.src, row.src_len);
		jsonw_key_cstr(&x->w, "to");
		jsonw_string(&x->w, row.dst, row.dst_len);
	} else {
		jsonw_key_cstr(&x->w, "type");
		jsonw_cstr(&x->w, t->name);
	}
	jsonw_key_cstr(&x->w, "data");
	if ((err = engine_render_entity(&x->w, t, o, false)) < 0)
		return err;
	jsonw_object_end(&x->w);
	jsonw_newline(&x->w);
	return flush(x, false);
}

/* Is `t` one of the `n` names asked for (all when n is 0)?  Edge names
 * match without regard to case, as check_types finds them (spec §2.6). */
static bool wanted(const struct lang_cat_type *t, const char *const *types, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t->kind == LANG_CAT_EDGE ? !strcasecmp(types[i], t->name) : !strcmp(types[i], t->name))
			return true;
	return n == 0;
}

/* Every name asked for must be a type of the target's catalog. */
static int check_types(grove_db *db, const struct lang_catalog *cat, const char *const *types,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!types[i] || (!lang_catalog_node(cat, types[i]) && !lang_catalog_edge(cat, types[i])))
			return db_error(db, GROVE_EINVAL, "unknown export type '%s'",
					types[i] ? types[i] : "");
	return 0;
}

/* A name asked for that the target's catalog lacks but the graph's has
 * now: a type a hard drop may have made unreadable there. */
static bool missing_then(grove_db *db, const struct lang_catalog *cat, const char *const *types,
			 size_t n)
{
	const struct lang_catalog *now = engine_catalog(db);
	for (size_t i = 0; i < n; i++)
		if (types[i] && !lang_catalog_node(cat, types[i]) && !lang_catalog_edge(cat, types[i]) &&
		    (lang_catalog_node(now, types[i]) || lang_catalog_edge(now, types[i])))
			return true;
	return false;
}

int grove_export_types(grove_db *db, const grove_target *target, const char *const *types,
		       size_t n_types, int (*write)(void *arg, const char *buf, size_t len), void *arg)
{
	struct export_ctx x = { .write = write, .arg = arg };
	struct read_at r;
	int err;

	if ((err = read_at_open(&r, db, target)) < 0)
		return err;
	/* A type the snapshot lacks because a hard drop reclaimed its
	 * history: the whole export would silently be missing it, and a
	 * named one would read as unknown.  Said so instead (engine §4.2). */
	if ((!n_types || missing_then(db, r.cat, types, n_types)) &&
	    (err = engine_reclaimed_error(db, r.cat)) < 0) {
		read_at_close(&r);
		return err;
	}
	if ((err = check_types(db, r.cat, types, n_types)) < 0) {
		read_at_close(&r);
		return err;
	}
	jsonw_init(&x.w, 0);
	/* The types of the target's own catalog, under the names they had
	 * then (an old snapshot exports as it was).  Catalog arrays are
	 * sorted by name: edges, then nodes, is the lexical order of their
	 * table keys. */
	for (uint32_t i = 0; !err && i < r.cat->n_edges; i++)
		if (wanted(&r.cat->edges[i], types, n_types))
			err = engine_each_row(db, &r, &r.cat->edges[i], export_row, &x);
	for (uint32_t i = 0; !err && i < r.cat->n_nodes; i++)
		if (wanted(&r.cat->nodes[i], types, n_types))
			err = engine_each_row(db, &r, &r.cat->nodes[i], export_row, &x);
	if (!err)
		err = flush(&x, true);
	read_at_close(&r);
	jsonw_fini(&x.w);
	return err < 0 ? db_error(db, err, NULL) : 0;
}

int grove_export(grove_db *db, const grove_target *target,
		 int (*write)(void *arg, const char *buf, size_t len), void *arg)
{
	return grove_export_types(db, target, NULL, 0, write, arg);
}
