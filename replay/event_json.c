/*
 * event_json.c — converting log events to and from JSON (see event_json.h).
 */
#include "replay/event_json.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grove.h"

#define JSON_DEPTH_MAX 64

/* ---- msgpack -> JSON (rows, steps) ---- */

static json_t *mp_to_json(const msgpack_object *o, int depth);

static json_t *mp_map_to_json(const msgpack_object *o, int depth)
{
	json_t *obj = json_object();
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		char key[64];
		if (kv->key.type == MSGPACK_OBJECT_STR)
			snprintf(key, sizeof key, "%.*s", (int)kv->key.via.str.size, kv->key.via.str.ptr);
		else if (kv->key.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			snprintf(key, sizeof key, "%llu", (unsigned long long)kv->key.via.u64);
		else
			snprintf(key, sizeof key, "?%u", i);
		json_object_set_new(obj, key, mp_to_json(&kv->val, depth + 1));
	}
	return obj;
}

static json_t *hex_string(const uint8_t *p, size_t n)
{
	char *s = malloc(n * 2 + 1);
	if (!s)
		return json_null();
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	json_t *j = json_stringn(s, n * 2);
	free(s);
	return j;
}

static json_t *mp_to_json(const msgpack_object *o, int depth)
{
	if (depth > JSON_DEPTH_MAX)
		return json_string("<too deep>");
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return json_null();
	case MSGPACK_OBJECT_BOOLEAN: return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER: {
		if (o->via.u64 <= INT64_MAX)
			return json_integer((json_int_t)o->via.u64);
		/* Past JSON's integers: tagged, so that it reads back exactly
		 * (event_json_in.c). */
		char digits[24];
		snprintf(digits, sizeof digits, "%llu", (unsigned long long)o->via.u64);
		return json_pack("{s:s}", "u64", digits);
	}
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return json_integer(o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR: return json_stringn(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN:   /* a Blob or a Vector: tagged, as the u64 above */
		return json_pack("{s:o}", "bin", hex_string((const uint8_t *)o->via.bin.ptr, o->via.bin.size));
	case MSGPACK_OBJECT_ARRAY: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(a, mp_to_json(&o->via.array.ptr[i], depth + 1));
		return a;
	}
	case MSGPACK_OBJECT_MAP: return mp_map_to_json(o, depth);
	default: return json_null();
	}
}

static json_t *msgpack_bytes_to_json(struct event_bytes b)
{
	msgpack_unpacked up;
	size_t off = 0;
	json_t *j;

	if (!b.len)
		return json_null();
	msgpack_unpacked_init(&up);
	/* Bytes from a log may be damaged: no count they announce is trusted. */
	if (event_msgpack_bounded(b.ptr, b.len) &&
	    msgpack_unpack_next(&up, (const char *)b.ptr, b.len, &off) == MSGPACK_UNPACK_SUCCESS)
		j = mp_to_json(&up.data, 0);
	else
		j = hex_string(b.ptr, b.len);
	msgpack_unpacked_destroy(&up);
	return j;
}

/* ---- event -> JSON ---- */

static void set_bytes(json_t *obj, const char *key, struct event_bytes b)
{
	if (b.len)
		json_object_set_new(obj, key, json_stringn((const char *)b.ptr, b.len));
}

static void set_id(json_t *obj, const char *key, const struct commit_id *id)
{
	char text[COMMIT_ID_TEXT_BYTES];
	if (commit_id_is_zero(id))
		return;
	commit_id_format(text, id);
	json_object_set_new(obj, key, json_string(text));
}

static json_t *effect_to_json(const struct event_effect *e)
{
	json_t *o = json_object();
	json_object_set_new(o, "op", json_string(effect_op_name(e->op)));
	json_object_set_new(o, "type", json_integer(e->type_id));
	json_object_set_new(o, "id", json_integer(0)); /* was a reserved entity id */
	if (e->flags & EFFECT_FRESH_ID)
		json_object_set_new(o, "fresh", json_true());
	if (e->op == EFFECT_PUT_EDGE || e->op == EFFECT_DELETE_EDGE) {
		json_object_set_new(o, "src", json_integer((json_int_t)e->src));
		json_object_set_new(o, "dst", json_integer((json_int_t)e->dst));
	}
	if (e->row.len)
		json_object_set_new(o, "row", msgpack_bytes_to_json(e->row));
	return o;
}

static const char *const mode_names[] = { "", "overwrite", "append", "merge" };

json_t *event_to_json(const struct event *ev, uint64_t lsn)
{
	json_t *o = json_object();
	if (lsn)
		json_object_set_new(o, "lsn", json_integer((json_int_t)lsn));
	json_object_set_new(o, "kind", json_string(event_kind_name(ev->kind)));
	set_id(o, "commit", &ev->commit);
	set_id(o, "parent", &ev->parent);
	set_id(o, "merged_parent", &ev->merged_parent);
	json_object_set_new(o, "time_us", json_integer(ev->time_us));
	set_bytes(o, "branch", ev->branch);
	set_bytes(o, "actor", ev->actor);
	set_bytes(o, "op", ev->op_text);
	set_bytes(o, "params", ev->params);
	set_bytes(o, "name", ev->name);
	set_bytes(o, "from", ev->from);
	set_id(o, "base", &ev->base);
	set_bytes(o, "schema", ev->schema_text);
	if (ev->steps.len)
		json_object_set_new(o, "steps", msgpack_bytes_to_json(ev->steps));
	if (ev->kind == EVENT_LOAD_CHUNK || ev->last || ev->chunk_seq) {
		/* Also the last record of a chunked merge, which applies the
		 * chunks before it. */
		json_object_set_new(o, "chunk", json_integer(ev->chunk_seq));
		json_object_set_new(o, "last", json_boolean(ev->last));
	}
	if (ev->kind == EVENT_LOAD_CHUNK && ev->load_mode && ev->load_mode <= LOAD_MERGE)
		json_object_set_new(o, "mode", json_string(mode_names[ev->load_mode]));
	if (ev->id_count)
		json_object_set_new(o, "id_count", json_integer((json_int_t)ev->id_count));
	if (ev->neffects) {
		json_t *a = json_array();
		for (uint32_t i = 0; i < ev->neffects; i++)
			json_array_append_new(a, effect_to_json(&ev->effects[i]));
		json_object_set_new(o, "effects", a);
	}
	return o;
}
