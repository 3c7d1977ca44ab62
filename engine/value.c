/*
 * engine/value.c — errors, bigints, message helpers and row views of the
 * value layer (value.h).
 */
#include "engine/value.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/value_int.h"
#include "grove.h"
#include "index/row.h"

const msgpack_object value_nil_object = { .type = MSGPACK_OBJECT_NIL };

int value_error_set(struct value_error *err, int code, const char *field, const char *fmt, ...)
{
	assert(err != NULL && code < 0);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	err->record = 0;
	err->line = 0;
	err->resource[0] = '\0';
	err->limit = err->actual = 0;
	return code;
}

int value_json_is_bigint(const json_t *j)
{
	return json_is_string(j) && json_string_length(j) > 1 && json_string_value(j)[0] == '\0';
}

/* ---- message helpers ---------------------------------------------------- */

/* The longest prefix of s[0..len) of at most max bytes that does not end
 * inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

void value_text_brief(char *out, const char *s, size_t len)
{
	size_t n = utf8_cut(s, len, VALUE_TEXT_BRIEF_MAX);
	memcpy(out, s, n);
	if (n < len)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
}

static void json_write_depth(struct jsonw *w, const json_t *j, int depth)
{
	if (depth > JSONW_DEPTH_MAX) {
		jsonw_array_begin(w);   /* forces the writer's depth error */
		return;
	}
	const char *key;
	json_t *v;
	size_t i;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		jsonw_object_begin(w);
		json_object_foreach((json_t *)j, key, v) {
			jsonw_key_cstr(w, key);
			json_write_depth(w, v, depth + 1);
		}
		jsonw_object_end(w);
		break;
	case JSON_ARRAY:
		jsonw_array_begin(w);
		json_array_foreach(j, i, v)
			json_write_depth(w, v, depth + 1);
		jsonw_array_end(w);
		break;
	case JSON_STRING:
		if (value_json_is_bigint(j))
			jsonw_raw(w, json_string_value(j) + 1, json_string_length(j) - 1);
		else
			jsonw_string(w, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER: jsonw_int(w, json_integer_value(j)); break;
	case JSON_REAL:    jsonw_double(w, json_real_value(j)); break;
	case JSON_TRUE:    jsonw_bool(w, 1); break;
	case JSON_FALSE:   jsonw_bool(w, 0); break;
	case JSON_NULL:    jsonw_null(w); break;
	}
}

void value_json_write(struct jsonw *w, const json_t *j)
{
	json_write_depth(w, j, 0);
}

void value_json_brief(char *out, const json_t *j)
{
	struct jsonw w;
	/* Errors are rare; the bound only keeps a huge value from costing
	 * more than a moment.  Past it the writer stops and the text is cut. */
	jsonw_init(&w, 64 * 1024);
	if (j == NULL)
		jsonw_null(&w);
	else
		value_json_write(&w, j);
	const char *text = w.buf ? w.buf : "";
	size_t len = w.buf ? w.len : 0;
	size_t n = utf8_cut(text, len, VALUE_BRIEF_MAX);
	memcpy(out, text, n);
	if (n < len || jsonw_error(&w) != 0)
		memcpy(out + n, "...", 3), n += 3;
	out[n] = '\0';
	jsonw_fini(&w);
}

void value_type_name(char *out, size_t cap, const struct lang_type *t)
{
	struct lang_type bare = *t;
	bare.nullable = 0;
	char *name = lang_type_display(&bare);
	snprintf(out, cap, "%s", name ? name : "?");
	free(name);
}

/* ---- rows --------------------------------------------------------------- */

int value_row_view(struct value_row *out, const msgpack_object *row, const struct lang_cat_type *t,
	struct value_error *err)
{
	assert(t->kind == LANG_CAT_NODE || t->kind == LANG_CAT_EDGE);
	uint32_t first = t->kind == LANG_CAT_EDGE ? ROW_EDGE_FIRST_PROP : ROW_NODE_FIRST_PROP;
	memset(out, 0, sizeof *out);
	if (row->type != MSGPACK_OBJECT_ARRAY || row->via.array.size < first)
		return value_error_set(err, GROVE_ECORRUPT, NULL, "corrupt row of %s: not an array of at least %u items",
			t->name, (unsigned)first);
	const msgpack_object *items = row->via.array.ptr;
	if (items[0].type != MSGPACK_OBJECT_STR)
		return value_error_set(err, GROVE_ECORRUPT, NULL, "corrupt row of %s: the id is not a string", t->name);
	/* msgpack-c may give an empty string a NULL pointer; ids are compared
	 * with memcmp, which must never see one. */
	out->id = items[0].via.str.size ? items[0].via.str.ptr : "";
	out->id_len = items[0].via.str.size;
	if (t->kind == LANG_CAT_EDGE) {
		if (items[ROW_EDGE_SRC].type != MSGPACK_OBJECT_STR ||
		    items[ROW_EDGE_DST].type != MSGPACK_OBJECT_STR)
			return value_error_set(err, GROVE_ECORRUPT, NULL,
				"corrupt row of %s: src/dst are not strings", t->name);
		out->src_len = items[ROW_EDGE_SRC].via.str.size;
		out->src = out->src_len ? items[ROW_EDGE_SRC].via.str.ptr : "";
		out->dst_len = items[ROW_EDGE_DST].via.str.size;
		out->dst = out->dst_len ? items[ROW_EDGE_DST].via.str.ptr : "";
	}
	out->slots = items + first;
	out->n_slots = row->via.array.size - first;
	return 0;
}

const msgpack_object *value_row_get(const struct value_row *r, uint32_t prop_id)
{
	assert(prop_id >= 1);
	if (prop_id > r->n_slots)
		return &value_nil_object;
	return &r->slots[prop_id - 1];
}

void value_props_fill(const struct lang_cat_property **v, const struct lang_cat_type *t)
{
	assert(t->next_prop_id >= 1);
	memset(v, 0, (t->next_prop_id - 1) * sizeof *v);
	for (uint32_t i = 0; i < t->n_props; i++) {
		uint32_t id = t->props[i].id;
		assert(id >= 1 && id < t->next_prop_id && v[id - 1] == NULL);
		v[id - 1] = &t->props[i];
	}
}

int value_props_by_id(const struct lang_cat_property ***out, uint32_t *n, const struct lang_cat_type *t)
{
	assert(t->next_prop_id >= 1);
	uint32_t count = t->next_prop_id - 1;
	const struct lang_cat_property **v = calloc(count ? count : 1, sizeof *v);
	if (v == NULL)
		return -ENOMEM;
	value_props_fill(v, t);
	*out = v;
	*n = count;
	return 0;
}
