/*
 * engine/jsonw.h — a compact JSON text writer.
 *
 * Writes the bytes serde_json's to_string would: no spaces, strings
 * escaped as serde_json does (\" \\ \b \f \n \r \t, other control bytes as
 * \u00xx, everything else verbatim, '/' included), floats shortest
 * round-trip (numfmt.h).  Export lines and result documents are written
 * with it; no json_t tree is built.
 *
 * Errors are sticky: a writer that ran out of memory, hit its byte bound
 * or was misused (a key outside an object, unbalanced ends, nesting deeper
 * than JSONW_DEPTH_MAX) ignores further writes, and jsonw_error() says
 * why.  Callers write a whole document and check once at the end.
 *
 * Not thread-safe; one writer per thread.
 */
#ifndef GROVE_ENGINE_JSONW_H
#define GROVE_ENGINE_JSONW_H

#include <stddef.h>
#include <stdint.h>

#define JSONW_DEPTH_MAX 64
#define JSONW_DEFAULT_MAX_BYTES (1u << 30)

struct jsonw {
	char *buf;                     /* the text so far (NUL-terminated)  */
	size_t len, cap;
	size_t max_bytes;              /* bound on len: GROVE_ETOOBIG       */
	int err;                       /* sticky: 0, -ENOMEM, GROVE_E*      */
	uint32_t depth;
	uint8_t after_key;             /* a key was written, its value not   */
	uint8_t is_object[JSONW_DEPTH_MAX + 1];
	uint8_t has_items[JSONW_DEPTH_MAX + 1];
};

/* max_bytes 0: JSONW_DEFAULT_MAX_BYTES. */
void jsonw_init(struct jsonw *w, size_t max_bytes);
void jsonw_fini(struct jsonw *w);
/* Forget the text and any error; keep the buffer. */
void jsonw_reset(struct jsonw *w);
/* 0, or the first error (-ENOMEM, GROVE_ETOOBIG, GROVE_EINVAL). */
int jsonw_error(const struct jsonw *w);

void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key, size_t len);
void jsonw_key_cstr(struct jsonw *w, const char *key);

void jsonw_null(struct jsonw *w);
void jsonw_bool(struct jsonw *w, int b);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
/* Shortest round trip; NaN and ±infinity as the strings "NaN",
 * "Infinity", "-Infinity" (spec §9.1). */
void jsonw_double(struct jsonw *w, double v);
void jsonw_string(struct jsonw *w, const char *s, size_t len);
void jsonw_cstr(struct jsonw *w, const char *s);
/* A complete value already rendered as JSON text. */
void jsonw_raw(struct jsonw *w, const char *text, size_t len);
/* A newline between top-level values (JSON lines). */
void jsonw_newline(struct jsonw *w);

/* Append s[0..len) to the text as one escaped JSON string body (no
 * quotes): for building strings by hand. */
void jsonw_escaped(struct jsonw *w, const char *s, size_t len);

#endif /* GROVE_ENGINE_JSONW_H */
