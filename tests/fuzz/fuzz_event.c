/*
 * tests/fuzz/fuzz_event.c — libFuzzer target for the log's event codec
 * (log/event.h).
 *
 * The input is arbitrary bytes given to event_decode().  It must refuse
 * them with GROVE_ECORRUPT (or run out of memory) or decode them; a decoded
 * event must encode, decode back to an equal event, and re-encode to the
 * very same bytes (the encoding is canonical).  The fast decoder
 * (log/event_fields.h) must never accept what the general one refuses,
 * and where it accepts, both give the same event.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "grove.h"
#include "log/event.h"
#include "log/event_fields.h"

static int bytes_eq(struct event_bytes a, struct event_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static int ids_eq(const struct commit_id *a, const struct commit_id *b)
{
	return memcmp(a->b, b->b, sizeof a->b) == 0;
}

static void check_equal(const struct event *a, const struct event *b)
{
	FUZZ_CHECK(a->kind == b->kind);
	FUZZ_CHECK(ids_eq(&a->commit, &b->commit));
	FUZZ_CHECK(ids_eq(&a->parent, &b->parent));
	FUZZ_CHECK(ids_eq(&a->merged_parent, &b->merged_parent));
	FUZZ_CHECK(ids_eq(&a->base, &b->base));
	FUZZ_CHECK(a->time_us == b->time_us);
	FUZZ_CHECK(bytes_eq(a->branch, b->branch));
	FUZZ_CHECK(bytes_eq(a->actor, b->actor));
	FUZZ_CHECK(bytes_eq(a->op_text, b->op_text));
	FUZZ_CHECK(bytes_eq(a->params, b->params));
	FUZZ_CHECK(bytes_eq(a->name, b->name));
	FUZZ_CHECK(bytes_eq(a->from, b->from));
	FUZZ_CHECK(bytes_eq(a->schema_text, b->schema_text));
	FUZZ_CHECK(bytes_eq(a->steps, b->steps));
	FUZZ_CHECK(a->chunk_seq == b->chunk_seq);
	FUZZ_CHECK(a->last == b->last);
	FUZZ_CHECK(a->load_mode == b->load_mode);
	FUZZ_CHECK(a->id_count == b->id_count);
	FUZZ_CHECK(a->neffects == b->neffects);
	for (uint32_t i = 0; i < a->neffects; i++) {
		const struct event_effect *x = &a->effects[i], *y = &b->effects[i];
		FUZZ_CHECK(x->op == y->op && x->type_id == y->type_id);
		FUZZ_CHECK(x->flags == y->flags && x->src == y->src && x->dst == y->dst);
		FUZZ_CHECK(bytes_eq(x->row, y->row));
	}
}

/* Where the fast decoder takes the bytes, the general one gives the same. */
static void check_fast(const uint8_t *data, size_t size)
{
	struct event fast, general;
	int rc = event_decode_fast(&fast, data, size);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -ENOMEM);
	if (rc != 0)
		return;
	FUZZ_CHECK(event_decode_general(&general, data, size) == 0);
	check_equal(&fast, &general);
	event_release(&fast);
	event_release(&general);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event ev;
	check_fast(data, size);
	int rc = event_decode(&ev, data, size);
	if (rc != 0) {
		FUZZ_CHECK(rc == GROVE_ECORRUPT || rc == -ENOMEM);
		FUZZ_CHECK(ev.effects == NULL && ev.neffects == 0);
		return 0;
	}
	FUZZ_CHECK(ev.kind >= 1 && ev.kind <= EVENT_KIND_MAX);
	/* Names exist for every kind and op the decoder lets through. */
	FUZZ_CHECK(event_kind_from_name(event_kind_name(ev.kind)) == ev.kind);
	for (uint32_t i = 0; i < ev.neffects; i++)
		FUZZ_CHECK(effect_op_from_name(effect_op_name(ev.effects[i].op)) == ev.effects[i].op);

	uint8_t *e1 = NULL, *e2 = NULL;
	size_t n1 = 0, n2 = 0;
	FUZZ_CHECK(event_encode(&e1, &n1, &ev) == 0);
	struct event back;
	FUZZ_CHECK(event_decode(&back, e1, n1) == 0);
	check_equal(&ev, &back);
	FUZZ_CHECK(event_encode(&e2, &n2, &back) == 0);
	FUZZ_CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0);

	event_release(&back);
	event_release(&ev);
	free(e1);
	free(e2);
	return 0;
}
