/*
 * event_fast.c — decoding an event straight from its bytes (see
 * event_fields.h).
 *
 * The general decoder has msgpack-c build an object tree of the whole
 * record first: for a load chunk of 40k effects, 280k objects in a zone,
 * then walked once.  Replaying a 3M-effect load spent 1.5 s there.  This
 * decoder reads the encoder's own output directly — the canonical
 * encodings msgpack-c's packer writes — and refuses everything else with
 * 1, so that the general decoder, with its exact error messages, judges
 * whatever is unusual.  It never accepts what the general one refuses:
 * every bound it checks is the same (the fuzz target compares the two).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/error.h"
#include "log/event_fields.h"

#define NOT_MINE 1

struct rd {
	const uint8_t *p, *end;
};

/* n bytes at the cursor, or NULL past the end. */
static const uint8_t *take(struct rd *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return NULL;
	const uint8_t *p = r->p;
	r->p += n;
	return p;
}

/* A non-negative integer as the packer writes one (fixint, uint8..64). */
static bool uint_of(struct rd *r, uint64_t *v, uint64_t max)
{
	const uint8_t *t = take(r, 1), *p;
	static const int width[4] = { 1, 2, 4, 8 };
	if (!t)
		return false;
	if (*t <= 0x7f)
		*v = *t;
	else if (*t >= 0xcc && *t <= 0xcf && (p = take(r, (size_t)width[*t - 0xcc])))
		*v = event_be(p, width[*t - 0xcc]);
	else
		return false;
	return *v <= max;
}

/* A signed integer of any integer encoding, as time_us accepts. */
static bool int_of(struct rd *r, int64_t *v)
{
	static const int width[4] = { 1, 2, 4, 8 };
	const uint8_t *t = r->p < r->end ? r->p : NULL, *p;
	uint64_t u;
	if (!t)
		return false;
	if (*t >= 0xe0) {
		r->p++;
		*v = (int8_t)*t;
		return true;
	}
	if (*t >= 0xd0 && *t <= 0xd3) {
		int w = width[*t - 0xd0];
		r->p++;
		if (!(p = take(r, (size_t)w)))
			return false;
		u = event_be(p, w);
		/* sign-extend from w bytes */
		*v = w == 8 ? (int64_t)u : (int64_t)(u ^ (UINT64_C(1) << (8 * w - 1))) -
						     (int64_t)(UINT64_C(1) << (8 * w - 1));
		return true;
	}
	if (!uint_of(r, &u, INT64_MAX))
		return false;
	*v = (int64_t)u;
	return true;
}

/* A string or binary, as get_bytes accepts it. */
static bool bytes_of(struct rd *r, struct event_bytes *out)
{
	const uint8_t *t = take(r, 1), *p;
	size_t n;
	if (!t)
		return false;
	if (*t >= 0xa0 && *t <= 0xbf) {
		n = *t & 0x1f;
	} else {
		int w;
		switch (*t) {
		case 0xd9: case 0xc4: w = 1; break;
		case 0xda: case 0xc5: w = 2; break;
		case 0xdb: case 0xc6: w = 4; break;
		default: return false;
		}
		if (!(p = take(r, (size_t)w)))
			return false;
		n = (size_t)event_be(p, w);
	}
	if (n > UINT32_MAX || !(p = take(r, n)))   /* bounded by the payload */
		return false;
	*out = (struct event_bytes){ p, n };
	return true;
}

static bool id_of(struct rd *r, struct commit_id *id)
{
	const uint8_t *p = take(r, 2 + sizeof id->b);
	if (!p || p[0] != 0xc4 || p[1] != sizeof id->b)
		return false;
	memcpy(id->b, p + 2, sizeof id->b);
	return true;
}

/* An array or map header: its count. */
static bool count_of(struct rd *r, uint8_t fix, uint8_t c16, uint32_t *n)
{
	const uint8_t *t = take(r, 1), *p;
	if (!t)
		return false;
	if ((*t & 0xf0) == fix)
		*n = *t & 0x0f;
	else if (*t == c16 && (p = take(r, 2)))
		*n = (uint32_t)event_be(p, 2);
	else if (*t == c16 + 1 && (p = take(r, 4)))
		*n = (uint32_t)event_be(p, 4);
	else
		return false;
	return true;
}

static bool effect_of(struct rd *r, struct event_effect *e)
{
	const uint8_t *t = take(r, 1);
	uint64_t v[5];
	const uint64_t max[5] = { EFFECT_DELETE_EDGE, UINT32_MAX, UINT64_MAX, UINT64_MAX,
				  UINT64_MAX };
	if (!t || *t != 0x96)
		return false;
	for (int i = 0; i < 5; i++)
		if (!uint_of(r, &v[i], max[i]))
			return false;
	if (v[0] == 0)
		return false;
	*e = (struct event_effect){ (uint8_t)v[0], (uint32_t)v[1], v[2], v[3], v[4], { 0 } };
	return bytes_of(r, &e->row);
}

static int effects_of(struct rd *r, struct event *ev)
{
	uint32_t n;
	/* Each effect takes 7 bytes at least: a lying count allocates nothing. */
	if (!count_of(r, 0x90, 0xdc, &n) || n > EVENT_MAX_EFFECTS ||
	    (size_t)(r->end - r->p) / 7 < n)
		return NOT_MINE;
	if (!(ev->effects = calloc(n ? n : 1, sizeof *ev->effects)))
		return log_error(-ENOMEM, "out of memory decoding an event");
	ev->neffects = n;
	for (uint32_t i = 0; i < n; i++)
		if (!effect_of(r, &ev->effects[i]))
			return NOT_MINE;
	return 0;
}

static int field_of(struct rd *r, struct event *ev, uint64_t f)
{
	uint64_t u;
	switch (f) {
	case F_KIND:
		if (!uint_of(r, &u, EVENT_KIND_MAX))
			return NOT_MINE;
		ev->kind = (uint16_t)u;
		return 0;
	case F_COMMIT:        return id_of(r, &ev->commit) ? 0 : NOT_MINE;
	case F_PARENT:        return id_of(r, &ev->parent) ? 0 : NOT_MINE;
	case F_MERGED_PARENT: return id_of(r, &ev->merged_parent) ? 0 : NOT_MINE;
	case F_BASE:          return id_of(r, &ev->base) ? 0 : NOT_MINE;
	case F_TIME_US:       return int_of(r, &ev->time_us) ? 0 : NOT_MINE;
	case F_BRANCH:        return bytes_of(r, &ev->branch) ? 0 : NOT_MINE;
	case F_ACTOR:         return bytes_of(r, &ev->actor) ? 0 : NOT_MINE;
	case F_OP_TEXT:       return bytes_of(r, &ev->op_text) ? 0 : NOT_MINE;
	case F_PARAMS:        return bytes_of(r, &ev->params) ? 0 : NOT_MINE;
	case F_NAME:          return bytes_of(r, &ev->name) ? 0 : NOT_MINE;
	case F_FROM:          return bytes_of(r, &ev->from) ? 0 : NOT_MINE;
	case F_SCHEMA_TEXT:   return bytes_of(r, &ev->schema_text) ? 0 : NOT_MINE;
	case F_STEPS:         return bytes_of(r, &ev->steps) ? 0 : NOT_MINE;
	case F_EFFECTS:       return effects_of(r, ev);
	case F_CHUNK_SEQ:
		if (!uint_of(r, &u, UINT32_MAX))
			return NOT_MINE;
		ev->chunk_seq = (uint32_t)u;
		return 0;
	case F_LAST:
		if (r->p >= r->end || (*r->p != 0xc2 && *r->p != 0xc3))
			return NOT_MINE;
		ev->last = *r->p++ == 0xc3;
		return 0;
	case F_LOAD_MODE:
		if (!uint_of(r, &u, LOAD_MERGE))
			return NOT_MINE;
		ev->load_mode = (uint8_t)u;
		return 0;
	case F_ID_COUNT:
		return uint_of(r, &ev->id_count, UINT64_MAX) ? 0 : NOT_MINE;
	case F_EFFECT_FLAGS:
		if (r->p >= r->end || *r->p != 0xc3)
			return NOT_MINE;
		r->p++;
		return 0;
	default:
		return NOT_MINE; /* a newer field: the general decoder skips it */
	}
}

int event_decode_fast(struct event *ev, const void *buf, size_t len)
{
	struct rd r = { buf, (const uint8_t *)buf + len };
	uint64_t seen = 0, f = 0;
	uint32_t n;
	int rc = 0;

	memset(ev, 0, sizeof *ev);
	if (!count_of(&r, 0x80, 0xde, &n))
		return NOT_MINE;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		if (!uint_of(&r, &f, 63) || (seen & (UINT64_C(1) << f)))
			rc = NOT_MINE; /* a field number out of range or twice */
		else
			rc = field_of(&r, ev, f);
		seen |= UINT64_C(1) << (f & 63);
	}
	if (rc == 0 && (r.p != r.end || ev->kind == 0))
		rc = NOT_MINE;
	if (rc == 0)
		event_flags_unless(ev, seen);
	if (rc != 0) {
		free(ev->effects);
		memset(ev, 0, sizeof *ev);
	}
	return rc;
}
