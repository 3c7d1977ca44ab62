/* event.c — the msgpack codec of log events (see event.h). */
#include "log/event.h"

#include <errno.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "log/error.h"
#include "log/event_fields.h"


static const char *const kind_names[] = {
	[EVENT_MUTATION] = "mutation",       [EVENT_LOAD_CHUNK] = "load_chunk",
	[EVENT_BRANCH_CREATE] = "branch_create", [EVENT_BRANCH_DELETE] = "branch_delete",
	[EVENT_MERGE] = "merge",             [EVENT_SCHEMA_APPLY] = "schema_apply",
	[EVENT_OPTIMIZE] = "optimize",
};

static const char *const op_names[] = {
	[EFFECT_PUT_NODE] = "put_node", [EFFECT_PUT_EDGE] = "put_edge",
	[EFFECT_DELETE_NODE] = "delete_node", [EFFECT_DELETE_EDGE] = "delete_edge",
};

const char *event_kind_name(unsigned kind)
{
	return kind && kind <= EVENT_KIND_MAX ? kind_names[kind] : "unknown";
}

unsigned event_kind_from_name(const char *name)
{
	for (unsigned k = 1; k <= EVENT_KIND_MAX; k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return 0;
}

const char *effect_op_name(unsigned op)
{
	return op && op <= EFFECT_DELETE_EDGE ? op_names[op] : "unknown";
}

unsigned effect_op_from_name(const char *name)
{
	for (unsigned k = 1; k <= EFFECT_DELETE_EDGE; k++)
		if (!strcmp(op_names[k], name))
			return k;
	return 0;
}

/* ---- encoding ---- */

/* msgpack-c's packers ignore the writer's result; remember a failure. */
struct sink {
	msgpack_sbuffer sb;
	bool failed;
};

static int sink_write(void *data, const char *buf, size_t len)
{
	struct sink *s = data;
	if (!s->failed && msgpack_sbuffer_write(&s->sb, buf, len) != 0)
		s->failed = true;
	return 0;
}

static void pack_bytes_field(msgpack_packer *pk, enum field f, struct event_bytes b, bool bin)
{
	msgpack_pack_uint8(pk, (uint8_t)f);
	if (bin) {
		msgpack_pack_bin(pk, b.len);
		msgpack_pack_bin_body(pk, b.ptr, b.len);
	} else {
		msgpack_pack_str(pk, b.len);
		msgpack_pack_str_body(pk, b.ptr, b.len);
	}
}

static void pack_id_field(msgpack_packer *pk, enum field f, const struct commit_id *id)
{
	struct event_bytes b = { id->b, sizeof id->b };
	pack_bytes_field(pk, f, b, true);
}

static void pack_effect(msgpack_packer *pk, const struct event_effect *e)
{
	msgpack_pack_array(pk, 6);
	msgpack_pack_uint8(pk, e->op);
	msgpack_pack_uint32(pk, e->type_id);
	msgpack_pack_uint64(pk, e->flags);
	msgpack_pack_uint64(pk, e->src);
	msgpack_pack_uint64(pk, e->dst);
	msgpack_pack_bin(pk, e->row.len);
	msgpack_pack_bin_body(pk, e->row.ptr, e->row.len);
}

/* The optional string and id fields present in `ev`, in field order. */
struct opt_field { enum field f; struct event_bytes b; bool bin; };

static size_t optional_fields(struct opt_field out[16], const struct event *ev)
{
	const struct event_bytes all[] = { ev->branch, ev->actor, ev->op_text, ev->params,
					   ev->name, ev->from, ev->schema_text, ev->steps };
	const enum field nums[] = { F_BRANCH, F_ACTOR, F_OP_TEXT, F_PARAMS,
				    F_NAME, F_FROM, F_SCHEMA_TEXT, F_STEPS };
	size_t n = 0;
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
		if (all[i].len)
			out[n++] = (struct opt_field){ nums[i], all[i], nums[i] == F_STEPS };
	return n;
}

int event_encode(uint8_t **out, size_t *out_len, const struct event *ev)
{
	struct opt_field opt[16];
	const struct commit_id *ids[] = { &ev->parent, &ev->merged_parent, &ev->base };
	const enum field idf[] = { F_PARENT, F_MERGED_PARENT, F_BASE };
	struct sink sink = { .failed = false };
	msgpack_packer pk;
	size_t nopt = optional_fields(opt, ev), nids = 0;
	bool flagged = false;   /* any effect flags: say that they are flags */
	for (uint32_t i = 0; i < ev->neffects && !flagged; i++)
		flagged = ev->effects[i].flags != 0;

	if (ev->kind == 0 || ev->kind > EVENT_KIND_MAX)
		return log_error(GROVE_EINVAL, "event kind %u is unknown", ev->kind);
	if (ev->neffects > EVENT_MAX_EFFECTS)
		return log_error(GROVE_ETOOBIG, "event has %u effects; the limit is %u",
				 ev->neffects, EVENT_MAX_EFFECTS);
	for (size_t i = 0; i < 3; i++)
		nids += !commit_id_is_zero(ids[i]);
	msgpack_sbuffer_init(&sink.sb);
	msgpack_packer_init(&pk, &sink, sink_write);
	msgpack_pack_map(&pk, (uint32_t)(6 + nopt + nids + (ev->neffects > 0) + (ev->id_count > 0) +
					 flagged));
	msgpack_pack_uint8(&pk, F_KIND);
	msgpack_pack_uint16(&pk, ev->kind);
	pack_id_field(&pk, F_COMMIT, &ev->commit);
	msgpack_pack_uint8(&pk, F_TIME_US);
	msgpack_pack_int64(&pk, ev->time_us);
	msgpack_pack_uint8(&pk, F_CHUNK_SEQ);
	msgpack_pack_uint32(&pk, ev->chunk_seq);
	msgpack_pack_uint8(&pk, F_LAST);
	if (ev->last)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	msgpack_pack_uint8(&pk, F_LOAD_MODE);
	msgpack_pack_uint8(&pk, ev->load_mode);
	if (ev->id_count) {
		msgpack_pack_uint8(&pk, F_ID_COUNT);
		msgpack_pack_uint64(&pk, ev->id_count);
	}
	if (flagged) {
		msgpack_pack_uint8(&pk, F_EFFECT_FLAGS);
		msgpack_pack_true(&pk);
	}
	for (size_t i = 0; i < 3; i++)
		if (!commit_id_is_zero(ids[i]))
			pack_id_field(&pk, idf[i], ids[i]);
	for (size_t i = 0; i < nopt; i++)
		pack_bytes_field(&pk, opt[i].f, opt[i].b, opt[i].bin);
	if (ev->neffects) {
		msgpack_pack_uint8(&pk, F_EFFECTS);
		msgpack_pack_array(&pk, ev->neffects);
		for (uint32_t i = 0; i < ev->neffects; i++)
			pack_effect(&pk, &ev->effects[i]);
	}
	if (sink.failed || !sink.sb.data) {
		msgpack_sbuffer_destroy(&sink.sb);
		return log_error(-ENOMEM, "out of memory encoding an event");
	}
	*out = (uint8_t *)sink.sb.data;
	*out_len = sink.sb.size;
	return 0;
}

/* ---- decoding ---- */

static int bad(const char *what)
{
	return log_error(GROVE_ECORRUPT, "event payload: %s", what);
}

static int get_bytes(struct event_bytes *out, const msgpack_object *o, const char *field)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*out = (struct event_bytes){ (const uint8_t *)o->via.str.ptr, o->via.str.size };
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		*out = (struct event_bytes){ (const uint8_t *)o->via.bin.ptr, o->via.bin.size };
	} else {
		return log_error(GROVE_ECORRUPT, "event payload: field %s is not a string", field);
	}
	return 0;   /* bounded by the payload it lies in */
}

static int get_id(struct commit_id *out, const msgpack_object *o, const char *field)
{
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != sizeof out->b)
		return log_error(GROVE_ECORRUPT, "event payload: field %s is not a 16-byte id", field);
	memcpy(out->b, o->via.bin.ptr, sizeof out->b);
	return 0;
}

static int get_uint(uint64_t *out, const msgpack_object *o, uint64_t max, const char *field)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return log_error(GROVE_ECORRUPT, "event payload: field %s is not an integer <= %lu",
				 field, (unsigned long)max);
	*out = o->via.u64;
	return 0;
}

static int get_effect(struct event_effect *e, const msgpack_object *o)
{
	uint64_t v[5] = { 0 };
	const uint64_t max[5] = { EFFECT_DELETE_EDGE, UINT32_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
	int err;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 6)
		return bad("an effect is not a 6-element array");
	for (int i = 0; i < 5; i++)
		if ((err = get_uint(&v[i], &o->via.array.ptr[i], max[i], "effect")) < 0)
			return err;
	if (v[0] == 0)
		return bad("an effect has op 0");
	*e = (struct event_effect){ (uint8_t)v[0], (uint32_t)v[1], v[2], v[3], v[4], { 0 } };
	return get_bytes(&e->row, &o->via.array.ptr[5], "effect row");
}

static int get_effects(struct event *ev, const msgpack_object *o)
{
	int err;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > EVENT_MAX_EFFECTS)
		return bad("effects is not an array of bounded size");
	ev->neffects = o->via.array.size;
	ev->effects = calloc(ev->neffects ? ev->neffects : 1, sizeof *ev->effects);
	if (!ev->effects)
		return log_error(-ENOMEM, "out of memory decoding an event");
	for (uint32_t i = 0; i < ev->neffects; i++)
		if ((err = get_effect(&ev->effects[i], &o->via.array.ptr[i])) < 0)
			return err;
	return 0;
}

static int get_field(struct event *ev, uint64_t f, const msgpack_object *v)
{
	uint64_t u = 0;
	int err = 0;

	switch (f) {
	case F_KIND:
		if ((err = get_uint(&u, v, EVENT_KIND_MAX, "kind")) == 0)
			ev->kind = (uint16_t)u;
		return err;
	case F_COMMIT:        return get_id(&ev->commit, v, "commit");
	case F_PARENT:        return get_id(&ev->parent, v, "parent");
	case F_MERGED_PARENT: return get_id(&ev->merged_parent, v, "merged_parent");
	case F_BASE:          return get_id(&ev->base, v, "base");
	case F_TIME_US:
		if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX)
			ev->time_us = (int64_t)v->via.u64;
		else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			ev->time_us = v->via.i64;
		else
			return bad("time_us is not an integer");
		return 0;
	case F_BRANCH:      return get_bytes(&ev->branch, v, "branch");
	case F_ACTOR:       return get_bytes(&ev->actor, v, "actor");
	case F_OP_TEXT:     return get_bytes(&ev->op_text, v, "op_text");
	case F_PARAMS:      return get_bytes(&ev->params, v, "params");
	case F_NAME:        return get_bytes(&ev->name, v, "name");
	case F_FROM:        return get_bytes(&ev->from, v, "from");
	case F_SCHEMA_TEXT: return get_bytes(&ev->schema_text, v, "schema_text");
	case F_STEPS:       return get_bytes(&ev->steps, v, "steps");
	case F_EFFECTS:     return get_effects(ev, v);
	case F_CHUNK_SEQ:
		if ((err = get_uint(&u, v, UINT32_MAX, "chunk_seq")) == 0)
			ev->chunk_seq = (uint32_t)u;
		return err;
	case F_LAST:
		if (v->type != MSGPACK_OBJECT_BOOLEAN)
			return bad("last is not a boolean");
		ev->last = v->via.boolean;
		return 0;
	case F_LOAD_MODE:
		if ((err = get_uint(&u, v, LOAD_MERGE, "load_mode")) == 0)
			ev->load_mode = (uint8_t)u;
		return err;
	case F_ID_COUNT:
		return get_uint(&ev->id_count, v, UINT64_MAX, "id_count");
	case F_EFFECT_FLAGS:
		return v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean ? 0
			: bad("effect_flags is not true");
	default:
		return 0; /* a field from a newer version: skip it */
	}
}

bool event_msgpack_bounded(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t pos = 0, pending = 1;

	while (pending > 0) {
		if (pos >= len)
			return false;
		unsigned b = p[pos];
		size_t head = 1, body = 0, items = 0;
		int lenbytes = 0;
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
			/* positive/negative fixint, nil, false, true */
		} else if ((b & 0xf0) == 0x80) {
			items = 2u * (b & 0x0f);                 /* fixmap */
		} else if ((b & 0xf0) == 0x90) {
			items = b & 0x0f;                        /* fixarray */
		} else if ((b & 0xe0) == 0xa0) {
			body = b & 0x1f;                         /* fixstr */
		} else if (b == 0xc4 || b == 0xd9) {     /* bin8, str8 */
			lenbytes = 1;
		} else if (b == 0xc5 || b == 0xda) {     /* bin16, str16 */
			lenbytes = 2;
		} else if (b == 0xc6 || b == 0xdb) {     /* bin32, str32 */
			lenbytes = 4;
		} else if (b >= 0xc7 && b <= 0xc9) {     /* ext8/16/32: + type byte */
			lenbytes = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
			head = 2;
		} else if (b == 0xcc || b == 0xd0) {     /* uint8, int8 */
			head = 2;
		} else if (b == 0xcd || b == 0xd1) {     /* uint16, int16 */
			head = 3;
		} else if (b == 0xca || b == 0xce || b == 0xd2) {   /* 32-bit */
			head = 5;
		} else if (b == 0xcb || b == 0xcf || b == 0xd3) {   /* 64-bit */
			head = 9;
		} else if (b >= 0xd4 && b <= 0xd8) {     /* fixext 1..16 */
			head = 2 + ((size_t)1 << (b - 0xd4));
		} else if (b == 0xdc || b == 0xde) {     /* array16, map16 */
			if (len - pos < 3)
				return false;
			items = (size_t)event_be(p + pos + 1, 2) * (b == 0xde ? 2 : 1);
			head = 3;
		} else if (b == 0xdd || b == 0xdf) {     /* array32, map32 */
			if (len - pos < 5)
				return false;
			items = (size_t)event_be(p + pos + 1, 4) * (b == 0xdf ? 2 : 1);
			head = 5;
		} else {
			return false;                            /* 0xc1: never used */
		}
		if (lenbytes > 0) {
			if (len - pos < 1 + (size_t)lenbytes)
				return false;
			body = (size_t)event_be(p + pos + 1, lenbytes);
			head += (size_t)lenbytes;
		}
		if (len - pos < head || len - pos - head < body)
			return false;
		pos += head + body;
		/* Each announced item needs at least one more byte. */
		if (items > len - pos)
			return false;
		pending = pending - 1 + items;
	}
	return pos == len;
}

int event_decode(struct event *ev, const void *buf, size_t len)
{
	int rc = event_decode_fast(ev, buf, len);
	return rc <= 0 ? rc : event_decode_general(ev, buf, len);
}

int event_decode_general(struct event *ev, const void *buf, size_t len)
{
	msgpack_unpacked up;
	size_t off = 0;
	uint64_t seen = 0;
	int err = 0;

	memset(ev, 0, sizeof *ev);
	msgpack_unpacked_init(&up);
	/* msgpack-c sizes its allocations from the counts array and map
	 * headers announce: check them against the bytes first. */
	if (!event_msgpack_bounded(buf, len) ||
	    msgpack_unpack_next(&up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
		err = bad("not one msgpack value");
		goto out;
	}
	if (up.data.type != MSGPACK_OBJECT_MAP) {
		err = bad("not a map");
		goto out;
	}
	for (uint32_t i = 0; i < up.data.via.map.size && !err; i++) {
		const msgpack_object_kv *kv = &up.data.via.map.ptr[i];
		uint64_t f = kv->key.type == MSGPACK_OBJECT_POSITIVE_INTEGER ? kv->key.via.u64 : 0;
		if (kv->key.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			err = bad("a field number is not an integer");
		else if (f < 64 && (seen & (UINT64_C(1) << f)))
			err = log_error(GROVE_ECORRUPT, "event payload: field %u appears twice",
					(unsigned)f);
		else if ((err = get_field(ev, f, &kv->val)) == 0 && f < 64)
			seen |= UINT64_C(1) << f;
	}
	if (!err && ev->kind == 0)
		err = bad("no kind");
	if (!err)
		event_flags_unless(ev, seen);
out:
	msgpack_unpacked_destroy(&up);
	if (err)
		event_release(ev);
	return err;
}

void event_release(struct event *ev)
{
	free(ev->effects);
	ev->effects = NULL;
	ev->neffects = 0;
}
