/* test_codec.c — event codec, record framing and commit ids round-trip. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grove.h"
#include "log/commit_id.h"
#include "log/error.h"
#include "log/event.h"
#include "log/event_fields.h"
#include "log/record.h"

static void assert_bytes_eq(struct event_bytes a, struct event_bytes b)
{
	cr_assert_eq(a.len, b.len);
	if (a.len)
		cr_assert(memcmp(a.ptr, b.ptr, a.len) == 0);
}

static void assert_events_eq(const struct event *a, const struct event *b)
{
	cr_assert_eq(a->kind, b->kind);
	cr_assert(memcmp(&a->commit, &b->commit, sizeof a->commit) == 0);
	cr_assert(memcmp(&a->parent, &b->parent, sizeof a->parent) == 0);
	cr_assert(memcmp(&a->merged_parent, &b->merged_parent, sizeof a->parent) == 0);
	cr_assert(memcmp(&a->base, &b->base, sizeof a->base) == 0);
	cr_assert_eq(a->time_us, b->time_us);
	assert_bytes_eq(a->branch, b->branch);
	assert_bytes_eq(a->actor, b->actor);
	assert_bytes_eq(a->op_text, b->op_text);
	assert_bytes_eq(a->params, b->params);
	assert_bytes_eq(a->name, b->name);
	assert_bytes_eq(a->from, b->from);
	assert_bytes_eq(a->schema_text, b->schema_text);
	assert_bytes_eq(a->steps, b->steps);
	cr_assert_eq(a->chunk_seq, b->chunk_seq);
	cr_assert_eq(a->last, b->last);
	cr_assert_eq(a->load_mode, b->load_mode);
	cr_assert_eq(a->id_count, b->id_count);
	cr_assert_eq(a->neffects, b->neffects);
	for (uint32_t i = 0; i < a->neffects; i++) {
		const struct event_effect *x = &a->effects[i], *y = &b->effects[i];
		cr_assert_eq(x->op, y->op);
		cr_assert_eq(x->type_id, y->type_id);
		cr_assert_eq(x->flags, y->flags);
		cr_assert_eq(x->src, y->src);
		cr_assert_eq(x->dst, y->dst);
		assert_bytes_eq(x->row, y->row);
	}
}

static void round_trip(const struct event *in)
{
	uint8_t *buf;
	size_t len;
	struct event out;

	cr_assert_eq(event_encode(&buf, &len, in), 0);
	cr_assert_eq(event_decode(&out, buf, len), 0);
	assert_events_eq(in, &out);
	event_release(&out);
	free(buf);
}

static struct event base_event(uint16_t kind)
{
	struct event ev = { .kind = kind, .time_us = 1767225600123456 };
	cr_assert_eq(commit_id_new(&ev.commit, 1767225600123), 0);
	ev.branch = event_str("main");
	ev.actor = event_str("alice");
	return ev;
}

static const uint8_t row1[] = { 0x82, 0xa4, 'n', 'a', 'm', 'e', 0xa3, 'B', 'o', 'b', 0xa3, 'a', 'g', 'e', 0x19 };

Test(event_codec, a_mutation_with_effects_round_trips)
{
	struct event_effect fx[3] = {
		{ EFFECT_PUT_NODE, 7, 42, 0, 0, { row1, sizeof row1 } },
		{ EFFECT_PUT_EDGE, 9, 43, 42, UINT64_MAX, { row1, 3 } },
		{ EFFECT_DELETE_NODE, 7, 1, 0, 0, { NULL, 0 } },
	};
	struct event ev = base_event(EVENT_MUTATION);
	ev.op_text = event_str("query add($n: String) { insert Person { name: $n } }");
	ev.params = event_str("{\"n\":\"Bob\"}");
	cr_assert_eq(commit_id_new(&ev.parent, 1), 0);
	ev.effects = fx;
	ev.neffects = 3;
	round_trip(&ev);
}

Test(event_codec, a_load_chunk_round_trips)
{
	struct event_effect fx = { EFFECT_PUT_NODE, 1, 5, 0, 0, { row1, sizeof row1 } };
	struct event ev = base_event(EVENT_LOAD_CHUNK);
	ev.chunk_seq = 17;
	ev.last = true;
	ev.load_mode = LOAD_MERGE;
	ev.effects = &fx;
	ev.neffects = 1;
	round_trip(&ev);
}

/* A first chunk's id count and an edge's fresh flag, through the fast
 * decoder and the general one alike. */
Test(event_codec, a_first_chunk_with_an_id_count_and_fresh_edges_round_trips)
{
	struct event_effect fx[2] = {
		{ EFFECT_PUT_NODE, 1, 0, 0, 0, { row1, sizeof row1 } },
		{ EFFECT_PUT_EDGE, 2, EFFECT_FRESH_ID, 0, 0, { row1, sizeof row1 } },
	};
	struct event ev = base_event(EVENT_LOAD_CHUNK), out;
	ev.load_mode = LOAD_OVERWRITE;
	ev.id_count = 1000000;
	ev.effects = fx;
	ev.neffects = 2;
	round_trip(&ev);
	uint8_t *buf;
	size_t len;
	cr_assert_eq(event_encode(&buf, &len, &ev), 0);
	cr_assert_eq(event_decode_fast(&out, buf, len), 0, "the fast decoder takes it");
	assert_events_eq(&ev, &out);
	event_release(&out);
	cr_assert_eq(event_decode_general(&out, buf, len), 0);
	assert_events_eq(&ev, &out);
	event_release(&out);
	free(buf);
}

Test(event_codec, branch_create_and_delete_round_trip)
{
	struct event ev = base_event(EVENT_BRANCH_CREATE);
	ev.name = event_str("feature/x");
	ev.from = event_str("main");
	round_trip(&ev);
	ev.kind = EVENT_BRANCH_DELETE;
	ev.from = (struct event_bytes){ 0 };
	round_trip(&ev);
}

Test(event_codec, a_merge_with_two_parents_round_trips)
{
	struct event_effect fx = { EFFECT_DELETE_EDGE, 3, 99, 1, 2, { NULL, 0 } };
	struct event ev = base_event(EVENT_MERGE);
	ev.name = event_str("feature");
	cr_assert_eq(commit_id_new(&ev.parent, 10), 0);
	cr_assert_eq(commit_id_new(&ev.merged_parent, 11), 0);
	cr_assert_eq(commit_id_new(&ev.base, 9), 0);
	ev.effects = &fx;
	ev.neffects = 1;
	round_trip(&ev);
}

Test(event_codec, a_schema_apply_round_trips)
{
	static const uint8_t steps[] = { 0x91, 0xa8, 'a', 'd', 'd', '_', 't', 'y', 'p', 'e' };
	struct event ev = base_event(EVENT_SCHEMA_APPLY);
	ev.schema_text = event_str("node Person { name: String @key }\n");
	ev.steps = (struct event_bytes){ steps, sizeof steps };
	round_trip(&ev);
}

Test(event_codec, an_optimize_commit_round_trips_without_effects)
{
	struct event ev = base_event(EVENT_OPTIMIZE);
	ev.op_text = event_str("optimize");
	round_trip(&ev);
	cr_assert_str_eq(event_kind_name(EVENT_OPTIMIZE), "optimize");
	cr_assert_eq(event_kind_from_name("optimize"), EVENT_OPTIMIZE);
}

Test(event_codec, garbage_is_refused_as_corrupt)
{
	static const uint8_t junk[] = { 0x93, 1, 2, 3 };
	static const uint8_t no_kind[] = { 0x81, 0x05, 0x01 };
	static const uint8_t bad_kind[] = { 0x81, 0x01, 0x63 };
	struct event ev;
	cr_assert_eq(event_decode(&ev, junk, sizeof junk), GROVE_ECORRUPT);
	cr_assert_eq(event_decode(&ev, no_kind, sizeof no_kind), GROVE_ECORRUPT);
	cr_assert_eq(event_decode(&ev, bad_kind, sizeof bad_kind), GROVE_ECORRUPT);
	cr_assert_eq(event_decode(&ev, junk, 2), GROVE_ECORRUPT);
}

Test(event_codec, unknown_fields_from_newer_versions_are_skipped)
{
	/* {1: 1 (mutation), 99: "future"} */
	static const uint8_t buf[] = { 0x82, 0x01, 0x01, 0x63, 0xa6, 'f', 'u', 't', 'u', 'r', 'e' };
	struct event ev;
	cr_assert_eq(event_decode(&ev, buf, sizeof buf), 0);
	cr_assert_eq(ev.kind, EVENT_MUTATION);
	event_release(&ev);
}

/* Element 2 of an effect was an unused entity id before flags existed,
 * and an appended JSON event could log anything there: without the
 * effect_flags field (20) it reads as no flags, in both decoders. */
Test(event_codec, effect_flags_count_only_where_the_event_says_it_has_them)
{
	/* {1: 2 (load chunk), 10: [[2 put_edge, 3, 1, 0, 0, bin ""]]} and the
	 * same with {20: true}. */
	static const uint8_t old[] = { 0x82, 0x01, 0x02, 0x0a, 0x91,
				       0x96, 0x02, 0x03, 0x01, 0x00, 0x00, 0xc4, 0x00 };
	static const uint8_t flagged[] = { 0x83, 0x01, 0x02, 0x0a, 0x91,
					   0x96, 0x02, 0x03, 0x01, 0x00, 0x00, 0xc4, 0x00,
					   0x14, 0xc3 };
	struct event ev;
	cr_assert_eq(event_decode_fast(&ev, old, sizeof old), 0);
	cr_assert_eq(ev.neffects, 1);
	cr_assert_eq(ev.effects[0].flags, 0);
	event_release(&ev);
	cr_assert_eq(event_decode_general(&ev, old, sizeof old), 0);
	cr_assert_eq(ev.effects[0].flags, 0);
	event_release(&ev);
	cr_assert_eq(event_decode_fast(&ev, flagged, sizeof flagged), 0);
	cr_assert_eq(ev.effects[0].flags, EFFECT_FRESH_ID);
	event_release(&ev);
	cr_assert_eq(event_decode_general(&ev, flagged, sizeof flagged), 0);
	cr_assert_eq(ev.effects[0].flags, EFFECT_FRESH_ID);
	event_release(&ev);
}

Test(event_codec, a_container_announcing_more_items_than_bytes_is_refused)
{
	/* {map32 announcing 4294967295 pairs} then nothing: refused before
	 * msgpack-c could size an allocation (~100 GiB) from the count.  Found
	 * by tests/fuzz/fuzz_event (crashes/event/oom-map32-header). */
	static const uint8_t map32[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01 };
	/* A valid field, then effects as an array32 claiming 2^32-1 items. */
	static const uint8_t arr32[] = { 0x82, 0x01, 0x01, 0x0a, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0 };
	/* A str32 whose length runs past the end. */
	static const uint8_t str32[] = { 0x82, 0x01, 0x01, 0x06, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'x' };
	struct event ev;
	cr_assert_eq(event_decode(&ev, map32, sizeof map32), GROVE_ECORRUPT);
	cr_assert_eq(event_decode(&ev, arr32, sizeof arr32), GROVE_ECORRUPT);
	cr_assert_eq(event_decode(&ev, str32, sizeof str32), GROVE_ECORRUPT);
	cr_assert(!event_msgpack_bounded(map32, sizeof map32));
	cr_assert(!event_msgpack_bounded((const uint8_t[]){ 0xc1 }, 1));
	cr_assert(event_msgpack_bounded((const uint8_t[]){ 0x92, 0x01, 0xc0 }, 3));
	cr_assert(!event_msgpack_bounded((const uint8_t[]){ 0x92, 0x01, 0xc0, 0x00 }, 4));
}

Test(event_codec, a_field_written_twice_is_refused_without_leaking)
{
	/* {1: 1, 10: [], 10: []}: the second effects array used to replace the
	 * first one's allocation, which leaked. */
	static const uint8_t twice[] = { 0x83, 0x01, 0x01, 0x0a, 0x90, 0x0a, 0x90 };
	struct event ev;
	cr_assert_eq(event_decode(&ev, twice, sizeof twice), GROVE_ECORRUPT);
	cr_assert_null(ev.effects);
	cr_assert_str_eq(log_errmsg(), "event payload: field 10 appears twice");
}

Test(record, a_header_round_trips_and_detects_any_flipped_bit)
{
	uint8_t buf[LOG_RECORD_HEADER_BYTES + 16];
	const char payload[16] = "0123456789abcdef";
	struct log_record_header h = { .magic = LOG_RECORD_MAGIC, .payload_bytes = 16,
				       .lsn = 77, .durable_lsn = 70, .kind = 2 }, d;
	log_record_encode(buf, &h, log_payload_hash(payload, 16));
	memcpy(buf + LOG_RECORD_HEADER_BYTES, payload, 16);
	cr_assert(log_record_decode(&d, buf, 1024));
	cr_assert_eq(d.lsn, 77);
	cr_assert_eq(d.durable_lsn, 70);
	cr_assert_eq(d.kind, 2);
	cr_assert(log_record_verify(&d, buf + LOG_RECORD_HEADER_BYTES));
	for (size_t bit = 0; bit < sizeof buf * 8; bit++) {
		buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
		bool ok = log_record_decode(&d, buf, 1024) &&
			  log_record_verify(&d, buf + LOG_RECORD_HEADER_BYTES);
		cr_assert(!ok, "flipping bit %zu went unnoticed", bit);
		buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
	}
}

Test(record, spans_are_padded_to_eight_bytes)
{
	cr_assert_eq(log_record_span(0), 40);
	cr_assert_eq(log_record_span(1), 48);
	cr_assert_eq(log_record_span(8), 48);
	cr_assert_eq(log_record_span(9), 56);
}

Test(commit_id, ids_format_as_26_characters_and_parse_back)
{
	char text[COMMIT_ID_TEXT_BYTES], text2[COMMIT_ID_TEXT_BYTES];
	struct commit_id a, b;
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(commit_id_new(&a, (uint64_t)i * 7919), 0);
		commit_id_format(text, &a);
		cr_assert_eq(strlen(text), 26);
		cr_assert(commit_id_parse(&b, text));
		cr_assert(memcmp(&a, &b, sizeof a) == 0);
		commit_id_format(text2, &b);
		cr_assert_str_eq(text, text2);
	}
	cr_assert(!commit_id_parse(&b, "8ZZZZZZZZZZZZZZZZZZZZZZZZZ")); /* > 128 bits */
	cr_assert(!commit_id_parse(&b, "0123"));
	cr_assert(!commit_id_parse(&b, "01ARZ3NDEKTSV4RRFFQ69G5FAU")); /* U is not Crockford */
}

Test(commit_id, ids_sort_by_time)
{
	struct commit_id a, b;
	cr_assert_eq(commit_id_new(&a, 1000), 0);
	cr_assert_eq(commit_id_new(&b, 1001), 0);
	cr_assert(memcmp(&a, &b, sizeof a) < 0);
}

/* Random bits are pooled per thread; a forked child must not hand out the
 * ids its parent hands out next. */
Test(commit_id, a_forked_child_never_repeats_its_parents_ids)
{
	struct commit_id mine[8], theirs[8];
	int fds[2];

	cr_assert_eq(commit_id_new(&mine[0], 5), 0); /* fill this thread's pool */
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (int i = 0; i < 8; i++)
			if (commit_id_new(&theirs[i], 5) != 0)
				_exit(1);
		_exit(write(fds[1], theirs, sizeof theirs) == (ssize_t)sizeof theirs ? 0 : 1);
	}
	for (int i = 0; i < 8; i++)
		cr_assert_eq(commit_id_new(&mine[i], 5), 0);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(read(fds[0], theirs, sizeof theirs), (ssize_t)sizeof theirs);
	close(fds[0]);
	close(fds[1]);
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 8; k++)
			cr_assert(memcmp(&mine[i], &theirs[k], sizeof mine[i]) != 0,
				  "parent id %d equals child id %d", i, k);
	for (int i = 1; i < 8; i++)
		cr_assert(memcmp(&mine[i - 1], &mine[i], sizeof mine[i]) != 0);
}

/* Known answers: the ULID spec's example (its first 10 characters are
 * the time, 1469922850259 ms, in Crockford base32) and the extremes. */
Test(commit_id, the_text_is_the_ulid_spelling)
{
	struct commit_id id;
	char text[COMMIT_ID_TEXT_BYTES];

	cr_assert(commit_id_parse(&id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"));
	uint64_t ms = 0;
	for (int i = 0; i < 6; i++)
		ms = ms << 8 | id.b[i];
	cr_assert_eq(ms, 1469922850259ull);
	commit_id_format(text, &id);
	cr_assert_str_eq(text, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
	memset(&id, 0xff, sizeof id);
	commit_id_format(text, &id);
	cr_assert_str_eq(text, "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
	memset(&id, 0, sizeof id);
	id.b[15] = 1;
	commit_id_format(text, &id);
	cr_assert_str_eq(text, "00000000000000000000000001");
}
