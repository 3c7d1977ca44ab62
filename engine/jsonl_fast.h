/*
 * engine/jsonl_fast.h — a quick parse of plain JSON records for the JSONL
 * reader (jsonl.c).
 *
 * jsonl_fast_parse() returns the DOM jansson's json_loadb() would return
 * for p[0..n), or NULL when the text is not plain — it holds a string
 * with an escape or a byte outside printable ASCII, a number that is not
 * a short integer, a duplicate key when `reject_duplicates`, nesting
 * deeper than JSONL_FAST_DEPTH_MAX, a bare scalar, or anything malformed —
 * or when memory runs out.  NULL is never an error: the caller parses the
 * text with jansson, which then reports whatever is wrong.
 */
#ifndef GROVE_ENGINE_JSONL_FAST_H
#define GROVE_ENGINE_JSONL_FAST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JSONL_FAST_DEPTH_MAX 32

json_t *jsonl_fast_parse(const char *p, size_t n, bool reject_duplicates);

#endif
