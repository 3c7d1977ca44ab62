/*
 * tests/conformance/ops_engine_read.c — the engine ops that read a graph:
 * count_rows, scan_table, entity_at and read_blob at a target, the
 * catalog of the graph's schema (catalog, list_tables, table_fields) and
 * export_jsonl.  Public API only, plus lang/'s catalog to render the
 * schema text grove_schema_text() returns (cf_catalog_json(), shared with
 * the compiler-only build_catalog op).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/schema_hist.h"
#include "lang/catalog.h"
#include "ops_engine.h"

/* ---- reads at a target -------------------------------------------------- */

json_t *op_count_rows(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch_or_commit", &t, &fail);
	if (db == NULL)
		return fail;
	uint64_t n = 0;
	int err = grove_count(&n, db, &t.t, eg_str(step, "table"));
	if (err < 0)
		return eg_fail(db, err);
	return json_pack("{s:b, s:I, s:I}", "ok", 1, "count", (json_int_t)n, "value", (json_int_t)n);
}

/* The entities of a table at the step's target, parsed (NULL: *fail). */
static json_t *eg_scan(struct cf_ctx *ctx, const json_t *step, grove_db **dbp, json_t **fail)
{
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch_or_commit", &t, fail);
	if (db == NULL)
		return NULL;
	char *text = NULL;
	int err = grove_scan_json(&text, db, &t.t, eg_str(step, "table"));
	if (err < 0) {
		*fail = eg_fail(db, err);
		return NULL;
	}
	json_error_t jerr;
	json_t *rows = cf_loads(text, &jerr);
	grove_free(text);
	if (!json_is_array(rows)) {
		json_decref(rows);
		*fail = eg_refuse("Internal", "grove_scan_json gave no JSON array: %s", jerr.text);
		return NULL;
	}
	if (dbp)
		*dbp = db;
	return rows;
}

static json_t *eg_column(const json_t *entity, const char *column)
{
	const json_t *v = json_object_get(entity, column);
	return v ? json_deep_copy(v) : json_null();
}

/* scan_table: `column` -> "values"; `columns` -> "rows" (one array per
 * entity).  `id` is the node's key id or the edge id; edges have `src`,
 * `dst`; any other name is a property. */
json_t *op_scan_table(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	json_t *rows = eg_scan(ctx, step, NULL, &fail);
	if (rows == NULL)
		return fail;
	const char *column = eg_str(step, "column");
	const json_t *columns = json_object_get(step, "columns");
	json_t *out = json_array();
	size_t i, j;
	const json_t *e, *c;
	json_array_foreach(rows, i, e) {
		if (column != NULL) {
			json_array_append_new(out, eg_column(e, column));
			continue;
		}
		json_t *row = json_array();
		json_array_foreach(columns, j, c)
			json_array_append_new(row, eg_column(e, json_string_value(c)));
		json_array_append_new(out, row);
	}
	json_t *r = json_pack("{s:b, s:I}", "ok", 1, "count", (json_int_t)json_array_size(rows));
	json_object_set_new(r, column != NULL || !json_is_array(columns) ? "values" : "rows", out);
	json_decref(rows);
	return r;
}

/* One entity as parsed JSON (*entity NULL when there is none). */
static int eg_entity(json_t **entity, grove_db *db, const grove_target *t, const char *table, const char *id)
{
	char *text = NULL;
	*entity = NULL;
	int err = grove_entity_json(&text, db, t, table, id ? id : "");
	if (err < 0)
		return err;
	json_error_t jerr;
	*entity = cf_loads(text, &jerr);
	grove_free(text);
	return 0;
}

/* entity_at: the entity as JSON, or null when it does not exist (as
 * OmniGraph's Option). */
json_t *op_entity_at(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch_or_commit", &t, &fail);
	if (db == NULL)
		return fail;
	json_t *entity = NULL;
	int err = eg_entity(&entity, db, &t.t, eg_str(step, "table"), eg_str(step, "id"));
	if (err < 0 && err != GROVE_ENOTFOUND)
		return eg_fail(db, err);
	if (entity == NULL)
		entity = json_null();
	return json_pack("{s:b, s:O, s:O, s:o}", "ok", 1, "entity", entity, "value", entity,
	                 "entity_subset", entity);
}

/* ---- the catalog of a graph --------------------------------------------- */

/* The graph's catalog as the engine holds it (not rebuilt from the schema
 * text: the text has no property identities, so a composite key's order
 * after renames, which follows identity, would come out as declared). */
json_t *op_catalog(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	const struct lang_catalog *cat = db ? engine_catalog(db) : NULL;
	if (cat == NULL)
		return fail ? fail : eg_refuse("Internal", "the graph has no catalog");
	json_t *r = cf_catalog_json(cat), *keys = eg_catalog_keys(db), *k;
	const char *name;
	json_object_foreach(keys, name, k) {   /* identity order, not names' */
		json_object_set(json_object_get(r, "keys"), name, k);
		json_object_set(json_object_get(r, "key_property"), name, json_array_get(k, 0));
	}
	json_decref(keys);
	return r;
}

/* The catalog readable at the step's target (grove_catalog_json()):
 * {"types": [{"kind", "name", "properties": [{"name"}...]}...]}, parsed.
 * At a commit before a schema apply these are the types of that time. */
static json_t *eg_catalog_at(struct cf_ctx *ctx, const json_t *step, json_t **fail)
{
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch_or_commit", &t, fail);
	if (db == NULL)
		return NULL;
	char *text = NULL;
	int err = grove_catalog_json(&text, db, &t.t);
	if (err < 0) {
		*fail = eg_fail(db, err);
		return NULL;
	}
	json_error_t jerr;
	json_t *cat = cf_loads(text, &jerr);
	grove_free(text);
	if (!json_is_object(cat)) {
		json_decref(cat);
		*fail = eg_refuse("Internal", "grove_catalog_json gave no JSON object: %s", jerr.text);
		return NULL;
	}
	return cat;
}

/* list_tables: the types readable at the target as node:T / edge:E. */
json_t *op_list_tables(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	json_t *cat = eg_catalog_at(ctx, step, &fail);
	if (cat == NULL)
		return fail;
	json_t *names = json_array();
	char key[512];
	size_t i;
	const json_t *ty;
	json_array_foreach(json_object_get(cat, "types"), i, ty) {
		snprintf(key, sizeof(key), "%s:%s", json_string_value(json_object_get(ty, "kind")),
		         json_string_value(json_object_get(ty, "name")));
		json_array_append_new(names, json_string(key));
	}
	json_decref(cat);
	return json_pack("{s:b, s:O, s:o}", "ok", 1, "tables", names, "values", names);
}

static const struct lang_cat_type *eg_type(const struct lang_catalog *cat, const char *table)
{
	if (table != NULL && strncmp(table, "node:", 5) == 0)
		return lang_catalog_node(cat, table + 5);
	if (table != NULL && strncmp(table, "edge:", 5) == 0)
		return lang_catalog_edge(cat, table + 5);
	return NULL;
}

/* The type a table key names in a catalog JSON (edges also by case). */
static const json_t *eg_json_type(const json_t *cat, const char *table)
{
	const char *colon = table != NULL ? strchr(table, ':') : NULL;
	size_t i;
	const json_t *ty, *folded = NULL;
	if (colon == NULL)
		return NULL;
	json_array_foreach(json_object_get(cat, "types"), i, ty) {
		const char *kind = json_string_value(json_object_get(ty, "kind"));
		const char *name = json_string_value(json_object_get(ty, "name"));
		if (strlen(kind) != (size_t)(colon - table) || strncmp(kind, table, (size_t)(colon - table)) != 0)
			continue;
		if (strcmp(name, colon + 1) == 0)
			return ty;
		if (strcmp(kind, "edge") == 0 && strcasecmp(name, colon + 1) == 0)
			folded = ty;
	}
	return folded;
}

/* table_fields: a type's property names at the target. */
json_t *op_table_fields(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	json_t *cat = eg_catalog_at(ctx, step, &fail);
	if (cat == NULL)
		return fail;
	const json_t *ty = eg_json_type(cat, eg_str(step, "table"));
	json_t *r = ty ? NULL : eg_refuse("BadRequest", "unknown table '%s'", eg_str(step, "table"));
	if (ty != NULL) {
		json_t *names = json_array();
		size_t i;
		const json_t *p;
		json_array_foreach(json_object_get(ty, "properties"), i, p)
			json_array_append_new(names, json_deep_copy(json_object_get(p, "name")));
		r = json_pack("{s:b, s:O, s:o}", "ok", 1, "fields", names, "values", names);
	}
	json_decref(cat);
	return r;
}

/* ---- Blobs -------------------------------------------------------------- */

static int b64_digit(int c)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(digits, c) : NULL;
	return p ? (int)(p - digits) : -1;
}

/* Standard base64 (padding optional) into a JSON array of byte values;
 * NULL when malformed.  *utf8 gets the bytes as a string when valid UTF-8. */
static json_t *b64_bytes(const char *s, json_t **utf8)
{
	size_t n = strlen(s), len = 0;
	unsigned char *buf = malloc(n + 1);
	unsigned acc = 0;
	int bits = 0;
	json_t *arr = buf ? json_array() : NULL;
	for (size_t i = 0; arr != NULL && i < n && s[i] != '='; i++) {
		int d = b64_digit((unsigned char)s[i]);
		if (d < 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
		acc = (acc << 6) | (unsigned)d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf[len] = (unsigned char)(acc >> bits);
			json_array_append_new(arr, json_integer(buf[len++]));
		}
	}
	*utf8 = arr ? json_stringn((const char *)buf, len) : NULL;
	free(buf);
	return arr;
}

/* The bytes of Blob property `prop` whose rendered value is `v`. */
static json_t *blob_result(const char *prop, int is_blob, const char *v)
{
	if (!is_blob)
		return eg_refuse("BadRequest", "'%s' is not a Blob property of the type", prop ? prop : "");
	if (v == NULL)
		return eg_refuse("NotFound", "the Blob property '%s' is null", prop);
	if (strncmp(v, "base64:", 7) != 0)
		return eg_refuse("BadRequest", "the Blob is not stored inline: %s", v);
	json_t *utf8 = NULL, *bytes = b64_bytes(v + 7, &utf8);
	if (bytes == NULL)
		return eg_refuse("Internal", "bad base64 in '%s'", v);
	return json_pack("{s:b, s:o, s:o}", "ok", 1, "bytes", bytes, "bytes_utf8", utf8 ? utf8 : json_null());
}

/* Does the type `table` names in the catalog in force have, at target t,
 * a property named `prop`?  OmniGraph reads a Blob by column name at the
 * target's version: the type resolves by identity, the property by the
 * name it had then (a Blob renamed since is unavailable there). */
/* 1: `prop` of `table` is the same property at target t as now; 0: t has
 * no such property; -1: t has another lifetime of it. */
static int eg_blob_named_at(grove_db *db, const grove_target *t, const char *table, const char *prop)
{
	char *now_text = NULL, *then_text = NULL;
	int found = 1;
	if (t->commit == NULL || grove_catalog_json(&now_text, db, NULL) < 0 ||
	    grove_catalog_json(&then_text, db, t) < 0) {
		grove_free(now_text);
		return 1;  /* a branch head, or the read itself reports the error */
	}
	json_error_t jerr;
	json_t *now = cf_loads(now_text, &jerr), *then = cf_loads(then_text, &jerr);
	const json_t *ty = eg_json_type(now, table), *old = NULL, *x, *p;
	size_t i;
	json_array_foreach(json_object_get(then, "types"), i, x)
		if (ty != NULL && json_equal(json_object_get(x, "id"), json_object_get(ty, "id")) &&
		    json_equal(json_object_get(x, "kind"), json_object_get(ty, "kind")))
			old = x;
	if (ty != NULL && old != NULL) {
		/* The property of that name then, and now: one lifetime only if
		 * it has the same identity (a soft drop and a re-add make a new
		 * one, spec §10). */
		const json_t *cur = NULL;
		json_array_foreach(json_object_get(ty, "properties"), i, p)
			if (prop != NULL && strcmp(json_string_value(json_object_get(p, "name")), prop) == 0)
				cur = p;
		found = 0;
		json_array_foreach(json_object_get(old, "properties"), i, p)
			if (prop != NULL && strcmp(json_string_value(json_object_get(p, "name")), prop) == 0)
				found = cur == NULL || json_equal(json_object_get(p, "id"), json_object_get(cur, "id")) ? 1 : -1;
	}
	json_decref(now);
	json_decref(then);
	grove_free(now_text);
	grove_free(then_text);
	return found;
}

/* read_blob: a Blob property's bytes, read through grove_entity_json()
 * (which renders a Blob as "base64:<bytes>"). */
json_t *op_read_blob(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch_or_commit", &t, &fail);
	if (db == NULL)
		return fail;
	char table[512];
	const char *prop = eg_str(step, "property");
	snprintf(table, sizeof(table), "%s:%s", eg_str(step, "entity") ? eg_str(step, "entity") : "node",
	         eg_str(step, "type") ? eg_str(step, "type") : "");
	int named = eg_blob_named_at(db, &t.t, table, prop);
	if (named == 0)
		return eg_refuse("BadRequest", "Blob property '%s.%s' is unavailable at the selected target",
		                 eg_str(step, "type"), prop);
	if (named < 0)
		return eg_refuse("BadRequest", "Blob property '%s.%s' belongs to a different property lifetime at "
		                 "the selected target", eg_str(step, "type"), prop);
	json_t *entity = NULL;
	int err = eg_entity(&entity, db, &t.t, table, eg_str(step, "id"));
	if (err < 0)
		return eg_fail(db, err);
	const struct lang_catalog *cat = engine_catalog(db);
	const struct lang_cat_type *ty = cat ? eg_type(cat, table) : NULL;
	const struct lang_cat_property *p = NULL;
	for (uint32_t i = 0; ty != NULL && prop != NULL && i < ty->n_props; i++)
		if (strcmp(ty->props[i].name, prop) == 0)
			p = &ty->props[i];
	int is_blob = p != NULL && p->type.scalar == LANG_SCALAR_BLOB && !p->type.list;
	const char *v = json_string_value(json_object_get(entity, prop ? prop : ""));
	json_t *r = fail ? fail : blob_result(prop, is_blob, v);
	json_decref(entity);
	return r;
}

/* open_table at a target: OmniGraph opens a table's dataset at a version;
 * in Grove that is a read of the type at that target. */
json_t *op_open_table(struct cf_ctx *ctx, const json_t *step)
{
	return op_count_rows(ctx, step);
}

/* ---- export --------------------------------------------------------------- */

static int eg_write(void *arg, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

/* The export's lines into "value" (the JSONL text) and "lines" (parsed). */
static json_t *eg_export_result(char *text)
{
	json_t *lines = json_array();
	char *kept = NULL;
	size_t kept_len = 0;
	FILE *f = open_memstream(&kept, &kept_len);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); f != NULL && l != NULL; l = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *line = cf_loads(l, &jerr);
		if (line == NULL)
			line = json_string(l);
		fprintf(f, "%s\n", l);
		json_array_append_new(lines, line);
	}
	if (f == NULL || fclose(f) != 0) {
		json_decref(lines);
		free(kept);
		return cf_error("out of memory", 0);
	}
	json_t *r = json_pack("{s:b, s:s, s:o, s:I}", "ok", 1, "value", kept, "lines", lines,
	                      "line_count", (json_int_t)json_array_size(lines));
	free(kept);
	return r;
}

/* export_jsonl: `branch` as JSONL, only the `types` named (all if empty). */
json_t *op_export_jsonl(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch", &t, &fail);
	if (db == NULL)
		return fail;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return cf_error("out of memory", 0);
	/* The engine filters and refuses an unknown name (spec §8.6). */
	const json_t *types = json_object_get(step, "types");
	const char *names[64];
	size_t n = 0, i;
	const json_t *v;
	json_array_foreach(types, i, v)
		if (n < 64)
			names[n++] = json_string_value(v);
	int err = grove_export_types(db, &t.t, names, n, eg_write, f);
	if (fclose(f) != 0 && err == 0)
		err = -ENOMEM;
	json_t *r = err < 0 ? eg_fail(db, err) : eg_export_result(text);
	free(text);
	return r;
}
