/*
 * lang/arena.h — a bump allocator for parse trees and catalogs.
 *
 * A schema or query owns one arena; every node, string and array of its tree
 * lives there and is released at once by lang_arena_free().  This keeps the
 * parsers free of ownership bookkeeping on their error paths (the first
 * failure simply returns and the caller frees the arena).
 */
#ifndef GROVE_LANG_ARENA_H
#define GROVE_LANG_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct lang_arena_chunk;

struct lang_arena {
	struct lang_arena_chunk *head;
	size_t total_bytes;   /* bytes obtained from malloc, for limits/tests */
};

#define LANG_ARENA_INIT { NULL, 0 }

/* Zeroed memory aligned for any type; NULL when out of memory. */
void *lang_arena_alloc(struct lang_arena *a, size_t bytes);

/* Copy of s[0, n) plus a NUL; NULL when out of memory. */
char *lang_arena_strndup(struct lang_arena *a, const char *s, size_t n);
char *lang_arena_strdup(struct lang_arena *a, const char *s);

/* Make room for one more element in an arena-backed array: when *n == *cap
 * the array is copied into one twice as large.  Fails (-1) when out of
 * memory or when *n has reached max_n. */
int lang_arena_reserve(struct lang_arena *a, void **items, uint32_t *cap, uint32_t n,
                       size_t elem_bytes, uint32_t max_n);

void lang_arena_free(struct lang_arena *a);

#endif /* GROVE_LANG_ARENA_H */
