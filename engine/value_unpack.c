/*
 * value_unpack.c — unpacking a stored row (index/row.h: a msgpack array)
 * for reading: value_row_unpack (value.h).
 *
 * msgpack_unpack() runs its general state machine over every byte; a row
 * is an array of mostly scalars, so the top level is decoded here directly
 * and only a nested array, map or ext item (a list property, a vector)
 * goes through msgpack_unpack.  The objects are exactly those
 * msgpack_unpack builds: strings and bins point into the buffer, integers
 * are POSITIVE_INTEGER when >= 0 whatever their encoding, float32 is
 * FLOAT32 with the value widened into via.f64, the item array is in the
 * zone.
 */
#include <string.h>

#include "engine/value.h"

struct rd {
	const uint8_t *p, *end;
};

static bool rd_uint(struct rd *r, unsigned bytes, uint64_t *v)
{
	if ((size_t)(r->end - r->p) < bytes)
		return false;
	*v = 0;
	for (unsigned i = 0; i < bytes; i++)
		*v = *v << 8 | r->p[i];
	r->p += bytes;
	return true;
}

/* A str or bin body of `len` bytes. */
static bool rd_raw(struct rd *r, uint64_t len, msgpack_object *o, msgpack_object_type type)
{
	if ((uint64_t)(r->end - r->p) < len)
		return false;
	o->type = type;
	if (type == MSGPACK_OBJECT_BIN) {
		o->via.bin.size = (uint32_t)len;
		o->via.bin.ptr = (const char *)r->p;
	} else {
		o->via.str.size = (uint32_t)len;
		o->via.str.ptr = (const char *)r->p;
	}
	r->p += len;
	return true;
}

static void set_int(msgpack_object *o, int64_t v)
{
	o->type = v >= 0 ? MSGPACK_OBJECT_POSITIVE_INTEGER : MSGPACK_OBJECT_NEGATIVE_INTEGER;
	o->via.i64 = v;   /* for v >= 0, via.u64 holds the same bits */
}

/* A sized scalar of the 0xc4..0xdb range: 1 done, 0 not a scalar (let
 * msgpack unpack it), -1 truncated or invalid. */
static int rd_sized(struct rd *r, uint8_t b, msgpack_object *o)
{
	uint64_t v;
	switch (b) {
	case 0xc4: case 0xc5: case 0xc6:   /* bin 8/16/32 */
		return rd_uint(r, 1u << (b - 0xc4), &v) && rd_raw(r, v, o, MSGPACK_OBJECT_BIN) ? 1 : -1;
	case 0xd9: case 0xda: case 0xdb:   /* str 8/16/32 */
		return rd_uint(r, 1u << (b - 0xd9), &v) && rd_raw(r, v, o, MSGPACK_OBJECT_STR) ? 1 : -1;
	case 0xca: {                       /* float 32 */
		float f;
		uint32_t u;
		if (!rd_uint(r, 4, &v))
			return -1;
		u = (uint32_t)v;
		memcpy(&f, &u, sizeof(f));
		o->type = MSGPACK_OBJECT_FLOAT32;
		o->via.f64 = f;
		return 1;
	}
	case 0xcb:                         /* float 64 */
		if (!rd_uint(r, 8, &v))
			return -1;
		o->type = MSGPACK_OBJECT_FLOAT64;
		memcpy(&o->via.f64, &v, sizeof(v));
		return 1;
	case 0xcc: case 0xcd: case 0xce: case 0xcf:   /* uint 8..64 */
		if (!rd_uint(r, 1u << (b - 0xcc), &v))
			return -1;
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = v;
		return 1;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {  /* int 8..64 */
		unsigned bytes = 1u << (b - 0xd0);
		if (!rd_uint(r, bytes, &v))
			return -1;
		if (bytes < 8 && (v >> (8 * bytes - 1)) != 0)
			v |= ~0ull << (8 * bytes);   /* sign-extend */
		set_int(o, (int64_t)v);
		return 1;
	}
	}
	return 0;
}

/* One top-level item: decoded here, or by msgpack_unpack into zone. */
static bool rd_item(struct rd *r, msgpack_object *o, msgpack_zone *zone)
{
	if (r->p >= r->end)
		return false;
	uint8_t b = *r->p;
	memset(o, 0, sizeof(*o));
	if (b <= 0x7f || b >= 0xe0) {                  /* fixint */
		r->p++;
		set_int(o, (int8_t)b);
		return true;
	}
	if (b >= 0xa0 && b <= 0xbf) {                  /* fixstr */
		r->p++;
		return rd_raw(r, b & 0x1fu, o, MSGPACK_OBJECT_STR);
	}
	if (b == 0xc0 || b == 0xc2 || b == 0xc3) {     /* nil, false, true */
		r->p++;
		o->type = b == 0xc0 ? MSGPACK_OBJECT_NIL : MSGPACK_OBJECT_BOOLEAN;
		o->via.boolean = b == 0xc3;
		return true;
	}
	if (b >= 0xc4 && b <= 0xdb) {
		struct rd save = *r;
		r->p++;
		int got = rd_sized(r, b, o);
		if (got != 0)
			return got > 0;
		*r = save;
	}
	/* Arrays, maps, exts (and 0xc1, which msgpack refuses). */
	size_t off = 0;
	if (msgpack_unpack((const char *)r->p, (size_t)(r->end - r->p), &off, zone, o) <= 0)
		return false;
	r->p += off;
	return true;
}

int value_row_unpack(msgpack_object *out, const void *buf, size_t len, msgpack_zone *zone)
{
	struct rd r = { buf, (const uint8_t *)buf + len };
	uint64_t n;
	if (len == 0)
		return -1;
	uint8_t b = *r.p++;
	if (b >= 0x90 && b <= 0x9f)
		n = b & 0x0fu;
	else if ((b != 0xdc && b != 0xdd) || !rd_uint(&r, b == 0xdc ? 2 : 4, &n)) {
		size_t off = 0;  /* not an array: as msgpack sees it (the caller refuses it) */
		return msgpack_unpack(buf, len, &off, zone, out) > 0 ? 0 : -1;
	}
	if (n > (uint64_t)(r.end - r.p))
		return -1;   /* every item takes a byte at least */
	memset(out, 0, sizeof(*out));
	out->type = MSGPACK_OBJECT_ARRAY;
	out->via.array.size = (uint32_t)n;
	out->via.array.ptr = msgpack_zone_malloc(zone, (n ? n : 1) * sizeof(msgpack_object));
	if (out->via.array.ptr == NULL)
		return -1;
	for (uint64_t i = 0; i < n; i++)
		if (!rd_item(&r, &out->via.array.ptr[i], zone))
			return -1;
	return 0;
}
