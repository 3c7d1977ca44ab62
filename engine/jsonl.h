/*
 * engine/jsonl.h — the JSONL record stream of loads (spec §8.1, §8.5) and
 * the conversion of one record into a stored row (index/row.h).
 *
 * Two dialects:
 *
 *  - lenient (the engine loader, conformance cases): a stream of JSON
 *    values separated by any whitespace — several per line, one over many
 *    lines, blank lines — numbered from 1.  Errors read
 *    `invalid JSON at record <n>: <detail>`, `record <n>: ...`.
 *  - strict (OmniGraph's graph-batch reader): one JSON object per non-blank
 *    line; duplicate keys, unknown top-level fields, undeclared data
 *    fields, reserved names and wrong-typed values are refused; errors
 *    read `invalid strict JSON at line <n>: ...`, `line <n>: ...`.
 *
 * The reader pulls one record at a time from a buffer or a FILE*: a file
 * is read in chunks and only the current record is held, so an input of
 * any size needs memory for its largest record (bounded by
 * record_max_bytes: by default 32 MiB for the strict dialect, whose longer
 * lines are GROVE_ELIMIT "graph_batch_line_bytes" as OmniGraph's, and
 * 48 MiB for the lenient one, GROVE_ELIMIT "jsonl_record_bytes": room for
 * a 32 MiB Blob as base64; OmniGraph does not bound lenient lines, a
 * keyed row that long meets the load's keyed-bytes cap instead).
 *
 * Every error names the record number and line in struct value_error
 * (record, line) besides its message, so a CLI can say "line N".  A reader
 * that failed stays failed: next() repeats the error.
 *
 * Integers outside int64 become bigints (value.h).  "\u0000" inside a
 * string is refused (Grove's strings are NUL-free).
 */
#ifndef GROVE_ENGINE_JSONL_H
#define GROVE_ENGINE_JSONL_H

#include <jansson.h>
#include <msgpack.h>
#include <stdio.h>

#include "engine/value.h"
#include "lang/catalog.h"

/* Lenient records: room for the largest managed Blob (32 MiB) as base64
 * (42.7 MiB) and the rest of its record. */
#define JSONL_RECORD_MAX_BYTES (48u << 20)
#define JSONL_LINE_MAX_STRICT  (32u << 20)   /* strict lines (OmniGraph's) */
#define JSONL_DEPTH_MAX        128     /* JSON nesting of one record      */
#define JSONL_READ_CHUNK_BYTES (64u << 10)

struct jsonl_options {
	int strict;                  /* the graph-batch dialect (§8.5)     */
	size_t record_max_bytes;     /* 0: JSONL_RECORD_MAX_BYTES, or
	                              * JSONL_LINE_MAX_STRICT when strict  */
	int plain_rows;              /* lenient: plain records come as
	                              * packed values (jsonl_plain.h)      */
};

#define JSONL_OPTIONS_INIT { 0, 0, 0 }

enum jsonl_kind {
	JSONL_NODE = 1,
	JSONL_EDGE = 2,
};

/* One record; everything in it is owned by the reader and valid until the
 * next call of jsonl_reader_next() or jsonl_reader_close(). */
struct jsonl_record {
	enum jsonl_kind kind;
	const struct lang_cat_type *type;   /* a node or edge type            */
	const char *from, *to;              /* edges: endpoint node ids       */
	const json_t *data;                 /* an object; {} when absent      */
	const json_t *json;                 /* the whole record               */
	/* A plain record (jsonl_options.plain_rows) has no tree: data and
	 * json are NULL, and its values come packed as [v1..vN], exactly as
	 * jsonl_node_row()/jsonl_edge_row() would pack them from the tree.
	 * slots, from, to and id all point into plain[0, plain_len). */
	const uint8_t *slots;               /* NULL: not plain                */
	size_t slots_len;
	const char *id;                     /* data.id; NULL: absent or null  */
	size_t id_len;
	const uint8_t *plain;
	size_t plain_len;
	int strict;                         /* read in the strict dialect     */
	unsigned long record;               /* 1-based                        */
	unsigned long line;                 /* line of its first byte         */
	size_t bytes;                       /* its text's length              */
};

struct jsonl_reader;

/* A reader over buf[0..len) (not copied: it must outlive the reader). */
int jsonl_reader_open_buffer(struct jsonl_reader **out, const struct lang_catalog *cat, const char *buf, size_t len,
	const struct jsonl_options *opts);

/* A reader over f, read in JSONL_READ_CHUNK_BYTES chunks (not closed by
 * the reader).  A read error is -errno (or -EIO). */
int jsonl_reader_open_file(struct jsonl_reader **out, const struct lang_catalog *cat, FILE *f,
	const struct jsonl_options *opts);

/* The next record: 0, GROVE_ENOTFOUND at the end of the input, or an
 * error (GROVE_EPARSE for malformed JSON, GROVE_EINVAL for a bad record,
 * GROVE_ELIMIT for a record over the bound, -errno). */
int jsonl_reader_next(struct jsonl_record *out, struct jsonl_reader *r, struct value_error *err);

void jsonl_reader_close(struct jsonl_reader *r);

/* ---- records to rows ------------------------------------------------------ */

#define JSONL_FRESH_ID_MAX 64   /* a fresh id, NUL included */

struct jsonl_row_opts {
	int allow_external_blobs;
	/* Writes a fresh id (a ULID) into out (JSONL_FRESH_ID_MAX bytes, NUL
	 * terminated) for an unkeyed node or an edge without data.id; 0 or a
	 * negative error. */
	int (*fresh_id)(void *arg, char *out);
	void *fresh_id_arg;
	/* Optional: a buffer the conversion packs the values into first,
	 * kept by the caller from row to row (a fresh one costs an 8 KiB
	 * allocation per row).  Its contents are not kept. */
	msgpack_sbuffer *scratch;
};

/* The id a record's row got. */
struct jsonl_ids {
	char *id;            /* malloc'd, NUL-terminated                          */
	size_t id_len;
	char *given;         /* keyed node whose data.id is a legacy spelling of  */
	size_t given_len;    /* id (edges naming it must be rewritten), or NULL   */
	int fresh;           /* id came from fresh_id                             */
};

void jsonl_ids_free(struct jsonl_ids *ids);

/* Append the row [id, v1..vN] of node record rec to out.  The id is the
 * canonical key (keyed types: every member required; an explicit data.id
 * must agree, exactly in the strict dialect), else data.id when it is a
 * string, else a fresh id.  Values convert per value_from_json in the
 * record's dialect.  Constraints (value_validate) are the caller's. */
int jsonl_node_row(msgpack_sbuffer *out, struct jsonl_ids *ids, const struct jsonl_record *rec,
	const struct jsonl_row_opts *o, struct value_error *err);

/* Append the row [id, src, dst, v1..vN] of edge record rec to out, with
 * endpoints from/to (rec->from/rec->to, or their canonical rewrites). */
int jsonl_edge_row(msgpack_sbuffer *out, struct jsonl_ids *ids, const struct jsonl_record *rec, const char *from,
	const char *to, const struct jsonl_row_opts *o, struct value_error *err);

/* Parse JSON text whose integer literals may lie outside int64: those
 * become bigints (value.h), as the reader makes them.  For parameters. */
json_t *jsonl_loads_bigints(const char *p, size_t n, json_error_t *je);

#endif /* GROVE_ENGINE_JSONL_H */
