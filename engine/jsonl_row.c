/*
 * engine/jsonl_row.c — one JSONL record as a stored row (jsonl.h,
 * index/row.h): property slots, node ids (spec §7.7, §8.2) and edge ids.
 *
 * The property slots are packed first into a scratch buffer as an array
 * [v1..vN]; a keyed node's id is rendered from those packed values (the
 * same way a mutation's is), then the row is [id, (src, dst,) v1..vN]
 * with the scratch bytes after the array header copied behind the id.
 */
#include "engine/jsonl.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/value_int.h"
#include "grove.h"

void jsonl_ids_free(struct jsonl_ids *ids)
{
	if (ids == NULL)
		return;
	free(ids->id);
	free(ids->given);
	memset(ids, 0, sizeof *ids);
}

/* Strict-dialect errors name the line: prefix the message. */
static int located(const struct jsonl_record *rec, int rc, struct value_error *err)
{
	if (rc >= 0)
		return rc;
	if (rec->strict && strncmp(err->msg, "line ", 5) != 0) {
		char prefix[32];
		size_t pl = (size_t)snprintf(prefix, sizeof prefix, "line %lu: ", rec->line);
		size_t ml = strnlen(err->msg, sizeof err->msg - 1);
		if (pl + ml >= sizeof err->msg)
			ml = sizeof err->msg - 1 - pl;   /* cut the end of a long message */
		memmove(err->msg + pl, err->msg, ml);
		memcpy(err->msg, prefix, pl);
		err->msg[pl + ml] = '\0';
	}
	err->record = rec->record;
	err->line = rec->line;
	return rc;
}

static int oom(struct value_error *err)
{
	return value_error_set(err, -ENOMEM, NULL, "out of memory converting a record");
}

/* Types with up to this many property ids map them on the stack. */
#define PROPS_ON_STACK 64u

/* Pack [v1..vN] of type t from data into sb. */
static int pack_slots(msgpack_sbuffer *sb, const struct lang_cat_type *t, const json_t *data, int strict,
	const struct jsonl_row_opts *o, struct value_error *err)
{
	const struct lang_cat_property *stack[PROPS_ON_STACK], **by_id = stack;
	uint32_t n = t->next_prop_id - 1;
	if (n > PROPS_ON_STACK && value_props_by_id(&by_id, &n, t) < 0)
		return oom(err);
	if (by_id == stack)
		value_props_fill(stack, t);
	struct value_opts vo = { strict ? VALUE_STRICT : VALUE_LENIENT, o ? o->allow_external_blobs : 0 };
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, n);
	int rc = 0;
	for (uint32_t k = 0; k < n && rc == 0; k++) {
		if (by_id[k] == NULL)
			msgpack_pack_nil(&pk);   /* a dropped property */
		else
			rc = value_from_json(&pk, by_id[k], json_object_get(data, by_id[k]->name), &vo, err);
	}
	if (by_id != stack)
		free(by_id);
	return rc;
}

/* Bytes of msgpack's array header for n items. */
static size_t array_header_len(uint32_t n)
{
	return n < 16 ? 1 : n < 65536 ? 3 : 5;
}

/* out += [id, (src, dst,) <slots>], slots being the packed [v1..vN]. */
static int assemble(msgpack_sbuffer *out, const struct lang_cat_type *t, const struct jsonl_ids *ids,
	const char *src, const char *dst, const msgpack_sbuffer *slots, struct value_error *err)
{
	uint32_t n = t->next_prop_id - 1, extra = t->kind == LANG_CAT_EDGE ? 3 : 1;
	size_t hdr = array_header_len(n);
	assert(slots->size >= hdr);
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	int rc = msgpack_pack_array(&pk, n + extra);
	rc |= msgpack_pack_str_with_body(&pk, ids->id, ids->id_len);
	if (t->kind == LANG_CAT_EDGE) {
		rc |= msgpack_pack_str_with_body(&pk, src, strlen(src));
		rc |= msgpack_pack_str_with_body(&pk, dst, strlen(dst));
	}
	rc |= msgpack_sbuffer_write(out, slots->data + hdr, slots->size - hdr);
	return rc != 0 ? oom(err) : 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* A record's data.id: a string, another kind of value, or none. */
struct given_id {
	const char *s;          /* a string id, or NULL */
	size_t len;
	const json_t *other;    /* an id that is not null and not a string */
};

static struct given_id given_id(const struct jsonl_record *rec)
{
	struct given_id g = { 0 };
	if (rec->slots != NULL) {   /* plain: a string, or nothing */
		g.s = rec->id;
		g.len = rec->id_len;
		return g;
	}
	const json_t *id = json_object_get(rec->data, "id");
	if (json_is_string(id) && !value_json_is_bigint(id)) {
		g.s = json_string_value(id);
		g.len = json_string_length(id);
	} else if (id != NULL && !json_is_null(id)) {
		g.other = id;
	}
	return g;
}

/* data.id when it is a string; a fresh id when absent, null or (lenient)
 * of another type. */
static int given_or_fresh(struct jsonl_ids *ids, const struct jsonl_record *rec, const struct jsonl_row_opts *o,
	struct value_error *err)
{
	struct given_id g = given_id(rec);
	if (g.s != NULL) {
		ids->id_len = g.len;
		ids->id = dup_n(g.s, g.len);
		return ids->id != NULL ? 0 : oom(err);
	}
	if (g.other != NULL && rec->strict) {
		char got[VALUE_BRIEF_MAX + 4];
		value_json_brief(got, g.other);
		return value_error_set(err, GROVE_EINVAL, "id", "data field 'id' must be a string, got %s", got);
	}
	char fresh[JSONL_FRESH_ID_MAX] = "";
	if (o == NULL || o->fresh_id == NULL)
		return value_error_set(err, GROVE_EINVAL, "id", "%s %s needs a fresh id but no id generator was given",
			rec->kind == JSONL_EDGE ? "edge" : "node", rec->type->name);
	int rc = o->fresh_id(o->fresh_id_arg, fresh);
	if (rc < 0)
		return value_error_set(err, rc, "id", "cannot generate an id: %s", grove_strerror(rc));
	fresh[JSONL_FRESH_ID_MAX - 1] = '\0';
	ids->id_len = strlen(fresh);
	ids->id = dup_n(fresh, ids->id_len);
	ids->fresh = 1;
	return ids->id != NULL ? 0 : oom(err);
}

/* The buffer a row's values are packed into first: the caller's scratch,
 * emptied, or `own`. */
static msgpack_sbuffer *slots_begin(msgpack_sbuffer *own, const struct jsonl_row_opts *o)
{
	if (o != NULL && o->scratch != NULL) {
		o->scratch->size = 0;
		return o->scratch;
	}
	msgpack_sbuffer_init(own);
	return own;
}

static void slots_end(msgpack_sbuffer *own, msgpack_sbuffer *slots)
{
	if (slots == own)
		msgpack_sbuffer_destroy(own);
}

/* The record's values [v1..vN] into slots: packed already when plain. */
static int slots_of(msgpack_sbuffer *slots, const struct jsonl_record *rec, const struct jsonl_row_opts *o,
	struct value_error *err)
{
	if (rec->slots == NULL)
		return pack_slots(slots, rec->type, rec->data, rec->strict, o, err);
	return msgpack_sbuffer_write(slots, (const char *)rec->slots, rec->slots_len) == 0 ? 0 : oom(err);
}

/* ---- nodes ---------------------------------------------------------------- */

/* Every @key member must be given (a JSON null counts as missing). */
static int key_present(const struct jsonl_record *rec, struct value_error *err)
{
	const struct lang_cat_type *t = rec->type;
	for (uint32_t i = 0; i < t->key.n; i++) {
		const json_t *j = json_object_get(rec->data, t->key.columns[i]);
		if (j == NULL || json_is_null(j)) {
			char phrase[VALUE_ERROR_MSG_MAX / 2];
			value_key_phrase(phrase, sizeof phrase, t);
			return value_error_set(err, GROVE_EINVAL, t->key.columns[i], "node %s missing %s", t->name, phrase);
		}
	}
	return 0;
}

/* The canonical id from the packed slots, checked against data.id. */
static int keyed_id(struct jsonl_ids *ids, const struct jsonl_record *rec, const msgpack_sbuffer *slots,
	struct value_error *err)
{
	const struct lang_cat_type *t = rec->type;
	msgpack_unpacked u;
	size_t off = 0;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, slots->data, slots->size, &off) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&u);
		return oom(err);
	}
	assert(u.data.type == MSGPACK_OBJECT_ARRAY);
	struct value_row row = { .slots = u.data.via.array.ptr, .n_slots = u.data.via.array.size };
	int rc = value_canonical_id(&ids->id, &ids->id_len, t, &row, err);
	struct given_id g = given_id(rec);
	if (rc == 0 && g.other != NULL) {
		char got[VALUE_BRIEF_MAX + 4];
		value_json_brief(got, g.other);
		rc = rec->strict ? value_error_set(err, GROVE_EINVAL, "id", "input entity of type '%s' field 'id' "
						   "must be a string, got %s", t->name, got)
				 : value_error_set(err, GROVE_EINVAL, "id", "node %s explicit id must be a string, got %s",
						   t->name, got);
	} else if (rc == 0 && g.s != NULL) {
		rc = value_check_explicit_id(t, &row, ids->id, g.s, g.len, rec->strict, err);
		if (rc == 0 && (g.len != ids->id_len || memcmp(g.s, ids->id, g.len) != 0)) {
			ids->given_len = g.len;
			ids->given = dup_n(g.s, g.len);
			rc = ids->given != NULL ? 0 : oom(err);
		}
	}
	msgpack_unpacked_destroy(&u);
	return rc;
}

int jsonl_node_row(msgpack_sbuffer *out, struct jsonl_ids *ids, const struct jsonl_record *rec,
	const struct jsonl_row_opts *o, struct value_error *err)
{
	assert(rec->kind == JSONL_NODE && rec->type->kind == LANG_CAT_NODE);
	assert(rec->slots != NULL || json_is_object(rec->data));
	memset(ids, 0, sizeof *ids);
	msgpack_sbuffer own, *slots = slots_begin(&own, o);
	/* A plain record's key members are there; its values are packed. */
	int rc = rec->type->has_key && rec->slots == NULL ? key_present(rec, err) : 0;
	if (rc == 0)
		rc = slots_of(slots, rec, o, err);
	if (rc == 0)
		rc = rec->type->has_key ? keyed_id(ids, rec, slots, err) : given_or_fresh(ids, rec, o, err);
	if (rc == 0)
		rc = assemble(out, rec->type, ids, NULL, NULL, slots, err);
	slots_end(&own, slots);
	if (rc < 0)
		jsonl_ids_free(ids);
	return located(rec, rc, err);
}

/* ---- edges ---------------------------------------------------------------- */

int jsonl_edge_row(msgpack_sbuffer *out, struct jsonl_ids *ids, const struct jsonl_record *rec, const char *from,
	const char *to, const struct jsonl_row_opts *o, struct value_error *err)
{
	assert(rec->kind == JSONL_EDGE && rec->type->kind == LANG_CAT_EDGE);
	assert(rec->slots != NULL || json_is_object(rec->data));
	assert(from != NULL && to != NULL);
	memset(ids, 0, sizeof *ids);
	msgpack_sbuffer own, *slots = slots_begin(&own, o);
	int rc = slots_of(slots, rec, o, err);
	if (rc == 0)
		rc = given_or_fresh(ids, rec, o, err);
	if (rc == 0)
		rc = assemble(out, rec->type, ids, from, to, slots, err);
	slots_end(&own, slots);
	if (rc < 0)
		jsonl_ids_free(ids);
	return located(rec, rc, err);
}
