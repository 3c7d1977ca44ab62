/*
 * event_fields.h — the field numbers of an encoded event, shared by the
 * codec (event.c) and its fast decoder (event_fast.c); internal to log/.
 */
#ifndef GROVE_LOG_EVENT_FIELDS_H
#define GROVE_LOG_EVENT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "log/event.h"

/* Field numbers: part of the on-disk format, never reuse one. */
enum field {
	F_KIND = 1, F_COMMIT, F_PARENT, F_MERGED_PARENT, F_TIME_US, F_BRANCH,
	F_ACTOR, F_OP_TEXT, F_PARAMS, F_EFFECTS, F_CHUNK_SEQ, F_LAST, F_LOAD_MODE,
	F_NAME, F_FROM, F_BASE, F_SCHEMA_TEXT, F_STEPS, F_ID_COUNT, F_EFFECT_FLAGS,
};

/* An event without F_EFFECT_FLAGS (true) has no effect flags: element 2
 * of an effect was an unused entity id before flags existed, and a log
 * appended then may hold anything there (event.h).  Both decoders end
 * with this. */
static inline void event_flags_unless(struct event *ev, uint64_t seen)
{
	if (!(seen & (UINT64_C(1) << F_EFFECT_FLAGS)))
		for (uint32_t i = 0; i < ev->neffects; i++)
			ev->effects[i].flags = 0;
}

/* Big-endian unsigned of `n` bytes at p. */
static inline uint64_t event_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Decode an event the way the encoder writes it, straight from its bytes
 * (no msgpack object tree): 0, -ENOMEM, or 1 when the bytes are anything
 * else — another valid encoding, an unknown field, or corrupt — and the
 * general decoder must judge them.  Where it returns 0, the general
 * decoder gives the same event. */
int event_decode_fast(struct event *ev, const void *buf, size_t len);

/* The general decoder (msgpack-c), without the fast path: for tests. */
int event_decode_general(struct event *ev, const void *buf, size_t len);

#endif
