/*
 * tests/fuzz/gen_event_seeds.c — write the seed events of
 * tests/fuzz/corpus/event/: one per kind, effects of every op, optional
 * fields set and unset, a negative time.
 *
 *     build-fz/tests/fuzz/gen_event_seeds tests/fuzz/corpus/event
 *
 * The hand-made seeds there (unknown_field, empty_effects) are not
 * generated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/event.h"

static const char *dir;

static void put(const char *name, const struct event *ev)
{
	uint8_t *buf;
	size_t len;
	char path[4096];

	if (event_encode(&buf, &len, ev) != 0) {
		fprintf(stderr, "gen_event_seeds: cannot encode %s\n", name);
		exit(1);
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "gen_event_seeds: cannot write %s\n", path);
		exit(1);
	}
	free(buf);
}

static struct commit_id id(int k)
{
	struct commit_id c;
	for (int i = 0; i < 16; i++)
		c.b[i] = (uint8_t)(k * 16 + i + 1);
	return c;
}

static struct event_bytes bytes(const char *p, uint32_t len)
{
	return (struct event_bytes){ (const uint8_t *)p, len };
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];

	/* Rows are opaque msgpack to the codec: {1: "Alice", 2: 30}, {1: 1.0}. */
	struct event_effect eff[4] = {
		{ EFFECT_PUT_NODE, 1, 100, 0, 0, bytes("\x82\x01\xa5" "Alice\x02\x1e", 10) },
		{ EFFECT_PUT_EDGE, 5, 200, 100, 101, bytes("\x81\x01\xcb\x3f\xf0\0\0\0\0\0\0", 12) },
		{ EFFECT_DELETE_NODE, 1, 102, 0, 0, { NULL, 0 } },
		{ EFFECT_DELETE_EDGE, 5, 201, 100, 102, { NULL, 0 } },
	};
	struct event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_MUTATION;
	ev.commit = id(1);
	ev.parent = id(2);
	ev.time_us = 1700000000000000LL;
	ev.branch = event_str("main");
	ev.actor = event_str("alice");
	ev.op_text = event_str("query add($n: String) { insert Person { name: $n } }");
	ev.params = event_str("{\"n\":\"Alice\"}");
	ev.effects = eff;
	ev.neffects = 4;
	put("mutation", &ev);

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_LOAD_CHUNK;
	ev.commit = id(3);
	ev.time_us = -5;
	ev.branch = event_str("main");
	ev.effects = eff;
	ev.neffects = 2;
	ev.chunk_seq = 7;
	ev.last = true;
	ev.load_mode = LOAD_MERGE;
	put("load_chunk", &ev);
	ev.last = false;
	ev.load_mode = LOAD_APPEND;
	ev.chunk_seq = 0;
	ev.neffects = 1;
	put("load_chunk_first", &ev);

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_BRANCH_CREATE;
	ev.commit = id(4);
	ev.parent = id(3);
	ev.name = event_str("feature/x");
	ev.from = event_str("main");
	put("branch_create", &ev);

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_BRANCH_DELETE;
	ev.commit = id(5);
	ev.name = event_str("feature/x");
	ev.actor = event_str("bob");
	put("branch_delete", &ev);

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_MERGE;
	ev.commit = id(6);
	ev.parent = id(4);
	ev.merged_parent = id(5);
	ev.base = id(3);
	ev.name = event_str("feature/x");
	ev.branch = event_str("main");
	ev.effects = eff + 2;
	ev.neffects = 2;
	put("merge", &ev);

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_SCHEMA_APPLY;
	ev.commit = id(7);
	ev.schema_text = event_str("node Person { name: String @key }\n");
	/* [{"op": "add_type", "name": "Person"}] */
	ev.steps = bytes("\x91\x82\xa2op\xa8" "add_type\xa4name\xa6Person", 27);
	put("schema_apply", &ev);

	memset(&ev, 0, sizeof ev);
	ev.kind = EVENT_MUTATION;
	ev.commit = id(8);
	put("minimal", &ev);
	return 0;
}
