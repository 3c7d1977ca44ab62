/*
 * engine/jsonw.c — the compact JSON text writer (jsonw.h).
 */
#include "engine/jsonw.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/numfmt.h"
#include "grove.h"

void jsonw_init(struct jsonw *w, size_t max_bytes)
{
	memset(w, 0, sizeof *w);
	w->max_bytes = max_bytes ? max_bytes : JSONW_DEFAULT_MAX_BYTES;
}

void jsonw_fini(struct jsonw *w)
{
	free(w->buf);
	memset(w, 0, sizeof *w);
}

void jsonw_reset(struct jsonw *w)
{
	w->len = 0;
	w->err = 0;
	w->depth = 0;
	w->after_key = 0;
	w->is_object[0] = 0;
	w->has_items[0] = 0;
	if (w->buf != NULL)
		w->buf[0] = '\0';
}

int jsonw_error(const struct jsonw *w)
{
	return w->err;
}

static int fail(struct jsonw *w, int err)
{
	if (w->err == 0)
		w->err = err;
	return w->err;
}

/* Room for n more bytes and a NUL. */
static int reserve(struct jsonw *w, size_t n)
{
	if (w->err)
		return w->err;
	if (n > w->max_bytes || w->len > w->max_bytes - n)
		return fail(w, GROVE_ETOOBIG);
	if (w->len + n + 1 <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 256;
	while (cap < w->len + n + 1)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (b == NULL)
		return fail(w, -ENOMEM);
	w->buf = b;
	w->cap = cap;
	return 0;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
	if (reserve(w, n) != 0)
		return;
	if (n)   /* an empty string's pointer may be NULL (msgpack) */
		memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* The separator before a value: a comma between array items; nothing
 * after a key (the key wrote its own).  A value in an object needs a key. */
static int before_value(struct jsonw *w)
{
	if (w->err)
		return w->err;
	if (w->after_key) {
		w->after_key = 0;
		return 0;
	}
	if (w->is_object[w->depth])
		return fail(w, GROVE_EINVAL);
	if (w->depth > 0 && w->has_items[w->depth])
		put(w, ",", 1);
	w->has_items[w->depth] = 1;
	return w->err;
}

static void open_container(struct jsonw *w, int is_object)
{
	if (before_value(w) != 0)
		return;
	if (w->depth >= JSONW_DEPTH_MAX) {
		fail(w, GROVE_EINVAL);
		return;
	}
	put(w, is_object ? "{" : "[", 1);
	w->depth++;
	w->is_object[w->depth] = (uint8_t)is_object;
	w->has_items[w->depth] = 0;
}

static void close_container(struct jsonw *w, int is_object)
{
	if (w->err)
		return;
	if (w->depth == 0 || w->after_key || w->is_object[w->depth] != is_object) {
		fail(w, GROVE_EINVAL);
		return;
	}
	w->depth--;
	put(w, is_object ? "}" : "]", 1);
}

void jsonw_object_begin(struct jsonw *w) { open_container(w, 1); }
void jsonw_object_end(struct jsonw *w) { close_container(w, 1); }
void jsonw_array_begin(struct jsonw *w) { open_container(w, 0); }
void jsonw_array_end(struct jsonw *w) { close_container(w, 0); }

void jsonw_escaped(struct jsonw *w, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;   /* start of the pending run of verbatim bytes */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		char esc[6] = {'\\', 0, 0, 0, 0, 0};
		size_t n = 2;
		switch (c) {
		case '"':  esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		put(w, esc, n);
	}
	put(w, s + run, len - run);
}

static void quoted(struct jsonw *w, const char *s, size_t len)
{
	put(w, "\"", 1);
	jsonw_escaped(w, s, len);
	put(w, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key, size_t len)
{
	if (w->err)
		return;
	if (w->depth == 0 || !w->is_object[w->depth] || w->after_key) {
		fail(w, GROVE_EINVAL);
		return;
	}
	if (w->has_items[w->depth])
		put(w, ",", 1);
	w->has_items[w->depth] = 1;
	quoted(w, key, len);
	put(w, ":", 1);
	w->after_key = 1;
}

void jsonw_key_cstr(struct jsonw *w, const char *key)
{
	jsonw_key(w, key, strlen(key));
}

void jsonw_null(struct jsonw *w)
{
	if (before_value(w) == 0)
		put(w, "null", 4);
}

void jsonw_bool(struct jsonw *w, int b)
{
	if (before_value(w) == 0)
		put(w, b ? "true" : "false", b ? 4 : 5);
}

/* Decimal digits of v, right-aligned ending at end; returns the first. */
static char *digits(char *end, uint64_t v)
{
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char buf[24], *end = buf + sizeof buf;
	/* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
	char *p = digits(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	if (before_value(w) == 0)
		put(w, p, (size_t)(end - p));
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	char buf[24], *end = buf + sizeof buf;
	char *p = digits(end, v);
	if (before_value(w) == 0)
		put(w, p, (size_t)(end - p));
}

void jsonw_double(struct jsonw *w, double v)
{
	if (isnan(v)) {
		jsonw_cstr(w, "NaN");
		return;
	}
	if (isinf(v)) {
		jsonw_cstr(w, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	char buf[NUMFMT_JSON_MAX];
	size_t n = numfmt_json_f64(buf, v);
	if (before_value(w) == 0)
		put(w, buf, n);
}

void jsonw_string(struct jsonw *w, const char *s, size_t len)
{
	if (before_value(w) == 0)
		quoted(w, s, len);
}

void jsonw_cstr(struct jsonw *w, const char *s)
{
	jsonw_string(w, s, strlen(s));
}

void jsonw_raw(struct jsonw *w, const char *text, size_t len)
{
	if (before_value(w) == 0)
		put(w, text, len);
}

void jsonw_newline(struct jsonw *w)
{
	if (w->err)
		return;
	if (w->depth != 0 || w->after_key) {
		fail(w, GROVE_EINVAL);
		return;
	}
	put(w, "\n", 1);
	w->has_items[0] = 0;
}
