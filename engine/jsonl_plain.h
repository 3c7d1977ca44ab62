/*
 * engine/jsonl_plain.h — a lenient load record read straight into its
 * row's values, without a JSON tree.
 *
 * Most records of a big load are plain: {"type": T, "data": {...}} or
 * {"edge": E, "from": A, "to": B, "data": {...}} whose data holds declared
 * properties (and "id") with plain values (jsonl_lex.h) of the property's
 * own type.  For those, building a jansson tree on one thread and reading
 * it back on another cost more than everything else the loader did per
 * record.  jsonl_plain_read() packs such a record's values exactly as
 * jsonl_node_row()/jsonl_edge_row() would from its tree, and declines
 * every other record — anything it would have to report, coerce or decode
 * — which the reader then parses the usual way; so every error message
 * stays the slow path's own.
 */
#ifndef GROVE_ENGINE_JSONL_PLAIN_H
#define GROVE_ENGINE_JSONL_PLAIN_H

#include <msgpack.h>
#include <stddef.h>

#include "engine/jsonl.h"

/* What a plain record holds, as offsets into the buffer it was read into:
 * the values [v1..vN] at [0, slots_len), then NUL-terminated copies of
 * from, to (edges) and data.id (when given). */
struct jsonl_plain {
	enum jsonl_kind kind;
	const struct lang_cat_type *type;
	size_t slots_len;
	size_t from, to;            /* edges */
	size_t id, id_len;          /* id_len == SIZE_MAX: no data.id */
};

/* Read the record p[0, n) into *out, appending to buf: 1 if it is plain,
 * else 0 and buf is as it was (also when memory ran out: the slow path
 * then finds that out for itself). */
int jsonl_plain_read(struct jsonl_plain *out, msgpack_sbuffer *buf, const struct lang_catalog *cat,
	const char *p, size_t n);

#endif
