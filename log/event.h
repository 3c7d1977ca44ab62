/*
 * event.h — the events of the operation log and their msgpack codec.
 *
 * An event records everything replay needs and nothing outside the log
 * (DESIGN.md §3): who, when, on which branch, the commit it makes, the
 * operation as asked (for audit), and the *resolved effects* — the
 * concrete row puts and deletes with their entity ids.  Replay applies
 * effects; it never re-runs a query.
 *
 * Wire form: a msgpack map from small integer field numbers to values, so
 * that fields can be added without breaking old logs (decoders skip
 * numbers they do not know).  Effects are arrays
 * [op, type_id, flags, src, dst, row], the row an opaque msgpack blob
 * (bin) whose layout belongs to the engine.
 *
 * Decoded strings and rows point into the encoded buffer: keep it alive as
 * long as the decoded event.
 */
#ifndef GROVE_LOG_EVENT_H
#define GROVE_LOG_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "log/commit_id.h"

enum event_kind {
	EVENT_MUTATION = 1,
	EVENT_LOAD_CHUNK = 2,
	EVENT_BRANCH_CREATE = 3,
	EVENT_BRANCH_DELETE = 4,
	EVENT_MERGE = 5,
	EVENT_SCHEMA_APPLY = 6,
	EVENT_OPTIMIZE = 7,          /* a maintenance commit: no effects */
};
#define EVENT_KIND_MAX 7

enum effect_op {
	EFFECT_PUT_NODE = 1,
	EFFECT_PUT_EDGE = 2,
	EFFECT_DELETE_NODE = 3,
	EFFECT_DELETE_EDGE = 4,
};

enum load_mode { LOAD_OVERWRITE = 1, LOAD_APPEND = 2, LOAD_MERGE = 3 };

/* Bounds checked by the decoder: a damaged or hostile payload never makes
 * it allocate without limit.  Strings and rows need none: they point into
 * the payload, which holds them (a row may be as long as a record). */
#define EVENT_MAX_EFFECTS   (1u << 22)

struct event_bytes {
	const uint8_t *ptr;   /* not NUL-terminated */
	uint32_t len;
};

/* effect.flags: the edge's id was made by the write itself (a fresh ULID,
 * 80 random bits), so no other entity has it and no other effect names it:
 * the apply gives it a new internal id without looking it up.  The field
 * was an unused entity id before flags existed, which a record appended
 * as JSON could set: a decoder keeps the flags only of an event encoded
 * with them (F_EFFECT_FLAGS, event_fields.h). */
#define EFFECT_FRESH_ID 1u

struct event_effect {
	uint8_t op;           /* enum effect_op */
	uint32_t type_id;     /* catalog type id */
	uint64_t flags;       /* EFFECT_FRESH_ID; other bits 0 */
	uint64_t src, dst;    /* reserved: 0 */
	struct event_bytes row; /* msgpack row; empty for deletes */
};

/* What a writer learnt while planning of entities it does not write:
 * get() answers 1 and the internal id (index/apply.h) of (type, id) when
 * it knows it, else 0.  Called from any thread until the apply ends; it
 * may only read.  Never logged. */
struct event_id_hints {
	int (*get)(const void *arg, uint32_t type, const uint8_t *id, uint32_t len, uint64_t *e);
	const void *arg;
	uint32_t n;                    /* ids it knows (to size caches) */
};

struct event {
	uint16_t kind;                 /* enum event_kind */
	/* The commit this event makes (all kinds). */
	struct commit_id commit;
	struct commit_id parent;       /* zero: none */
	struct commit_id merged_parent;/* zero: none (merges only) */
	int64_t time_us;               /* microseconds since the epoch */
	struct event_bytes branch;
	struct event_bytes actor;
	struct event_bytes op_text;    /* the query, or a summary, for audit */
	struct event_bytes params;     /* JSON of the parameters, if any */
	/* Effects (mutation, load chunk, merge). */
	struct event_effect *effects;
	uint32_t neffects;
	/* Load chunks: one load is chunks 0..n-1 sharing `commit`; it takes
	 * effect atomically when the chunk with `last` arrives. */
	uint32_t chunk_seq;
	bool last;
	uint8_t load_mode;             /* enum load_mode */
	/* A load's first chunk: how many ids its apply will keep in its id
	 * cache (its effects but fresh edges, and the committed endpoints
	 * its edges name), so that a replay makes the table that size ahead
	 * instead of guessing.  A hint: 0 is unknown (older logs). */
	uint64_t id_count;
	/* Branch create/delete and merge. */
	struct event_bytes name;       /* branch created/deleted; merge source */
	struct event_bytes from;       /* branch create: the parent branch */
	struct commit_id base;         /* merge: the merge base */
	/* Schema apply. */
	struct event_bytes schema_text;
	struct event_bytes steps;      /* msgpack array of steps */
	/* In memory only (never encoded; NULL when decoded): the internal
	 * ids of the edge endpoints the writer looked up while planning,
	 * which a huge apply asks before it searches the id map
	 * (views_apply_parts). */
	const struct event_id_hints *id_hints;
};

/* Encode `ev` into a malloc'd buffer (*out, *out_len).  Returns 0 or
 * -ENOMEM / GROVE_EINVAL (a field out of bounds). */
int event_encode(uint8_t **out, size_t *out_len, const struct event *ev);

/* Decode `len` bytes at `buf` into `ev` (its effects array is malloc'd;
 * release with event_release).  Returns 0 or GROVE_ECORRUPT with a message
 * naming the field (a known field written twice is corrupt too). */
int event_decode(struct event *ev, const void *buf, size_t len);

void event_release(struct event *ev);

/* Is buf[0, len) exactly one msgpack value whose every array and map
 * announces no more items than bytes remain?  Checked without allocating
 * before msgpack-c unpacks a payload, since msgpack-c sizes its
 * allocations from the announced counts (a 5-byte header could ask for
 * tens of GiB).  event_decode() does it; use it for any untrusted msgpack. */
bool event_msgpack_bounded(const void *buf, size_t len);

const char *event_kind_name(unsigned kind);
/* Kind number for a name ("mutation", ...), or 0. */
unsigned event_kind_from_name(const char *name);
const char *effect_op_name(unsigned op);
unsigned effect_op_from_name(const char *name);

/* A string as event bytes (no copy). */
static inline struct event_bytes event_str(const char *s)
{
	struct event_bytes b = { (const uint8_t *)s, s ? (uint32_t)strlen(s) : 0 };
	return b;
}

#endif
