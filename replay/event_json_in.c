/*
 * event_json_in.c — building an event payload from its JSON form (the
 * shape event_to_json() prints, "lsn" ignored).
 */
#include <errno.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grove.h"
#include "log/error.h"
#include "replay/event_json.h"

#define JSON_DEPTH_MAX 64

struct ctx {
	char *errbuf;
	size_t errlen;
	msgpack_sbuffer *bufs;   /* msgpack blobs the event points into */
	size_t nbufs;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errbuf, c->errlen, fmt, ap);
	va_end(ap);
	return GROVE_EINVAL;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The tagged values event_json.c writes for what plain JSON cannot hold:
 * {"bin": "<hex>"} (msgpack binary: Blob and Vector values) and
 * {"u64": "<decimal>"} (an unsigned integer past 2^63).  1 if `j` was one
 * (packed), 0 if not, -1 if malformed. */
static int pack_tagged(msgpack_packer *pk, const json_t *j)
{
	json_t *v;
	if (json_object_size(j) != 1)
		return 0;
	if ((v = json_object_get(j, "bin")) && json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (n % 2)
			return -1;
		msgpack_pack_bin(pk, n / 2);
		for (size_t i = 0; i < n; i += 2) {
			int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
			if (hi < 0 || lo < 0)
				return -1;
			char byte = (char)(hi << 4 | lo);
			msgpack_pack_bin_body(pk, &byte, 1);
		}
		return 1;
	}
	if ((v = json_object_get(j, "u64")) && json_is_string(v)) {
		char *end;
		const char *s = json_string_value(v);
		errno = 0;
		unsigned long long u = strtoull(s, &end, 10);
		if (!*s || *end || errno || s[0] == '-')
			return -1;
		msgpack_pack_uint64(pk, (uint64_t)u);
		return 1;
	}
	return 0;
}

static int pack_json(msgpack_packer *pk, const json_t *j, int depth)
{
	const char *key;
	json_t *v;
	size_t i;

	if (depth > JSON_DEPTH_MAX)
		return -1;
	switch (json_typeof(j)) {
	case JSON_NULL: return msgpack_pack_nil(pk);
	case JSON_TRUE: return msgpack_pack_true(pk);
	case JSON_FALSE: return msgpack_pack_false(pk);
	case JSON_INTEGER: return msgpack_pack_int64(pk, json_integer_value(j));
	case JSON_REAL: return msgpack_pack_double(pk, json_real_value(j));
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(j));
		return msgpack_pack_str_body(pk, json_string_value(j), json_string_length(j));
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach(j, i, v)
			if (pack_json(pk, v, depth + 1) < 0)
				return -1;
		return 0;
	case JSON_OBJECT: {
		int tagged = pack_tagged(pk, j);
		if (tagged)
			return tagged < 0 ? -1 : 0;
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach((json_t *)j, key, v) {
			msgpack_pack_str(pk, strlen(key));
			msgpack_pack_str_body(pk, key, strlen(key));
			if (pack_json(pk, v, depth + 1) < 0)
				return -1;
		}
		return 0;
	}
	}
	return -1;
}

/* msgpack of `j`, kept alive in c->bufs until the event is encoded. */
static int to_msgpack(struct event_bytes *out, struct ctx *c, const json_t *j,
		      const char *field)
{
	msgpack_sbuffer *sb = &c->bufs[c->nbufs++];
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (pack_json(&pk, j, 0) < 0)
		return fail(c, "field %s: nested too deeply, or a malformed {\"bin\": hex} or "
			    "{\"u64\": digits} value", field);
	*out = (struct event_bytes){ (const uint8_t *)sb->data, (uint32_t)sb->size };
	return 0;
}

static int get_str(struct event_bytes *out, struct ctx *c, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return fail(c, "field %s: expected a string", key);
	*out = (struct event_bytes){ (const uint8_t *)json_string_value(v),
				     (uint32_t)json_string_length(v) };
	return 0;
}

static int get_id(struct commit_id *out, struct ctx *c, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || !commit_id_parse(out, json_string_value(v)))
		return fail(c, "field %s: expected a 26-character commit id", key);
	return 0;
}

static int get_u64(uint64_t *out, struct ctx *c, const json_t *obj, const char *key,
		   uint64_t max, bool required)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? fail(c, "field %s is required", key) : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return fail(c, "field %s: expected an integer in [0, %llu]", key,
			    (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_effect(struct event_effect *e, struct ctx *c, const json_t *j, size_t i)
{
	char field[48];
	uint64_t type = 0, ignored;
	int err;

	/* "fresh" is not taken from JSON: an edge marked fresh is applied
	 * without looking its id up, which only the writer that made the id
	 * can vouch for (event.h); "id" is the old reserved field, ignored. */
	snprintf(field, sizeof field, "effects[%zu]", i);
	json_t *op = json_object_get(j, "op");
	if (!json_is_object(j) || !json_is_string(op) ||
	    !(e->op = (uint8_t)effect_op_from_name(json_string_value(op))))
		return fail(c, "%s.op: expected put_node, put_edge, delete_node or delete_edge", field);
	if ((err = get_u64(&type, c, j, "type", UINT32_MAX, true)) < 0 ||
	    (err = get_u64(&ignored, c, j, "id", UINT64_MAX, false)) < 0 ||
	    (err = get_u64(&e->src, c, j, "src", UINT64_MAX, false)) < 0 ||
	    (err = get_u64(&e->dst, c, j, "dst", UINT64_MAX, false)) < 0)
		return err;
	e->type_id = (uint32_t)type;
	json_t *row = json_object_get(j, "row");
	return row ? to_msgpack(&e->row, c, row, field) : 0;
}

static int get_effects(struct event *ev, struct ctx *c, const json_t *obj)
{
	json_t *a = json_object_get(obj, "effects");
	int err;

	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > EVENT_MAX_EFFECTS)
		return fail(c, "field effects: expected an array of at most %u effects",
			    EVENT_MAX_EFFECTS);
	ev->neffects = (uint32_t)json_array_size(a);
	ev->effects = calloc(ev->neffects + 1, sizeof *ev->effects);
	if (!ev->effects)
		return -ENOMEM;
	for (size_t i = 0; i < ev->neffects; i++)
		if ((err = get_effect(&ev->effects[i], c, json_array_get(a, i), i)) < 0)
			return err;
	return 0;
}

static int get_kind_and_mode(struct event *ev, struct ctx *c, const json_t *obj)
{
	static const char *const modes[] = { "", "overwrite", "append", "merge" };
	json_t *k = json_object_get(obj, "kind"), *m = json_object_get(obj, "mode");

	if (!json_is_string(k) || !(ev->kind = (uint16_t)event_kind_from_name(json_string_value(k))))
		return fail(c, "field kind: expected one of mutation, load_chunk, branch_create, "
			    "branch_delete, merge, schema_apply, optimize");
	if (!m)
		return 0;
	for (uint8_t i = 1; i <= LOAD_MERGE; i++)
		if (json_is_string(m) && !strcmp(json_string_value(m), modes[i]))
			return (ev->load_mode = i), 0;
	return fail(c, "field mode: expected overwrite, append or merge");
}

static int fill_event(struct event *ev, struct ctx *c, const json_t *obj)
{
	uint64_t seq = 0, time_us = 0;
	int err;

	if (!json_is_object(obj))
		return fail(c, "an event must be a JSON object");
	if ((err = get_kind_and_mode(ev, c, obj)) < 0 ||
	    (err = get_id(&ev->commit, c, obj, "commit")) < 0 ||
	    (err = get_id(&ev->parent, c, obj, "parent")) < 0 ||
	    (err = get_id(&ev->merged_parent, c, obj, "merged_parent")) < 0 ||
	    (err = get_id(&ev->base, c, obj, "base")) < 0 ||
	    (err = get_str(&ev->branch, c, obj, "branch")) < 0 ||
	    (err = get_str(&ev->actor, c, obj, "actor")) < 0 ||
	    (err = get_str(&ev->op_text, c, obj, "op")) < 0 ||
	    (err = get_str(&ev->params, c, obj, "params")) < 0 ||
	    (err = get_str(&ev->name, c, obj, "name")) < 0 ||
	    (err = get_str(&ev->from, c, obj, "from")) < 0 ||
	    (err = get_str(&ev->schema_text, c, obj, "schema")) < 0 ||
	    (err = get_u64(&seq, c, obj, "chunk", UINT32_MAX, false)) < 0 ||
	    (err = get_u64(&time_us, c, obj, "time_us", INT64_MAX, false)) < 0 ||
	    (err = get_u64(&ev->id_count, c, obj, "id_count", INT64_MAX, false)) < 0 ||
	    (err = get_effects(ev, c, obj)) < 0)
		return err;
	ev->chunk_seq = (uint32_t)seq;
	ev->last = json_is_true(json_object_get(obj, "last"));
	json_t *steps = json_object_get(obj, "steps");
	if (steps && (err = to_msgpack(&ev->steps, c, steps, "steps")) < 0)
		return err;
	if (!time_us) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		time_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	}
	ev->time_us = (int64_t)time_us;
	if (commit_id_is_zero(&ev->commit) && (err = commit_id_new(&ev->commit, time_us / 1000)) < 0)
		return fail(c, "cannot generate a commit id: %s", strerror(-err));
	return 0;
}

int event_payload_from_json(uint8_t **out, size_t *out_len, uint16_t *kind,
			    const json_t *obj, char *errbuf, size_t errlen)
{
	struct event ev = { 0 };
	json_t *effects = json_is_object(obj) ? json_object_get(obj, "effects") : NULL;
	size_t maxbufs = 2 + (json_is_array(effects) ? json_array_size(effects) : 0);
	struct ctx c = { errbuf, errlen, calloc(maxbufs, sizeof(msgpack_sbuffer)), 0 };
	int err;

	errbuf[0] = '\0';
	if (!c.bufs)
		return -ENOMEM;
	err = fill_event(&ev, &c, obj);
	if (!err && (err = event_encode(out, out_len, &ev)) < 0)
		snprintf(errbuf, errlen, "%s", log_errmsg());
	*kind = ev.kind;
	for (size_t i = 0; i < c.nbufs; i++)
		msgpack_sbuffer_destroy(&c.bufs[i]);
	free(c.bufs);
	event_release(&ev);
	return err;
}
