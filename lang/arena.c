/* lang/arena.c — bump allocator (arena.h). */
#include "lang/arena.h"

#include <assert.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES (64u * 1024u)

struct lang_arena_chunk {
	struct lang_arena_chunk *next;
	size_t used;
	size_t size;
	alignas(max_align_t) unsigned char data[];
};

void *lang_arena_alloc(struct lang_arena *a, size_t bytes)
{
	assert(a != NULL);
	const size_t align = alignof(max_align_t);
	if (bytes > SIZE_MAX / 2)
		return NULL;
	bytes = (bytes + align - 1) & ~(align - 1);
	if (bytes == 0)
		bytes = align;
	struct lang_arena_chunk *c = a->head;
	if (c == NULL || c->size - c->used < bytes) {
		size_t size = bytes > CHUNK_BYTES ? bytes : CHUNK_BYTES;
		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->size = size;
		/* A large one-off block goes behind the current chunk so the
		 * current chunk's free space stays usable. */
		if (a->head != NULL && size > CHUNK_BYTES) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
		a->total_bytes += sizeof(*c) + size;
	}
	void *p = c->data + c->used;
	c->used += bytes;
	assert(c->used <= c->size);
	memset(p, 0, bytes);
	return p;
}

char *lang_arena_strndup(struct lang_arena *a, const char *s, size_t n)
{
	char *p = lang_arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *lang_arena_strdup(struct lang_arena *a, const char *s)
{
	return lang_arena_strndup(a, s, strlen(s));
}

int lang_arena_reserve(struct lang_arena *a, void **items, uint32_t *cap, uint32_t n,
                       size_t elem_bytes, uint32_t max_n)
{
	assert(n <= *cap);
	if (n >= max_n)
		return -1;
	if (n < *cap)
		return 0;
	uint32_t new_cap = *cap == 0 ? 4 : *cap * 2;
	if (new_cap > max_n || new_cap < *cap)
		new_cap = max_n;
	void *p = lang_arena_alloc(a, (size_t)new_cap * elem_bytes);
	if (p == NULL)
		return -1;
	if (n > 0)
		memcpy(p, *items, (size_t)n * elem_bytes);
	*items = p;
	*cap = new_cap;
	return 0;
}

void lang_arena_free(struct lang_arena *a)
{
	struct lang_arena_chunk *c = a->head;
	while (c != NULL) {
		struct lang_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total_bytes = 0;
}
