/* arena.c — a bump allocator for things freed all at once (arena.h). */
#include "index/arena.h"

#include <stdlib.h>
#include <string.h>

#include "index/hugemem.h"

#define ARENA_FIRST ((size_t)64 << 10)
#define ARENA_MAX ((size_t)64 << 20)

struct arena_block {
	uint8_t *p;
	size_t cap;
};

void arena_init(struct arena *a)
{
	memset(a, 0, sizeof *a);
}

/* A new last block with room for n bytes. */
static int add_block(struct arena *a, size_t n)
{
	size_t last = a->n ? a->blocks[a->n - 1].cap : 0;
	size_t cap = !last ? ARENA_FIRST : last < ARENA_MAX / 2 ? 2 * last : ARENA_MAX;
	if (cap < n)
		cap = n;
	struct arena_block *nb = realloc(a->blocks, (a->n + 1) * sizeof *nb);
	if (!nb)
		return -1;
	a->blocks = nb;
	uint8_t *p = hugemem_realloc(NULL, 0, cap);
	if (!p)
		return -1;
	a->blocks[a->n++] = (struct arena_block){ p, cap };
	a->used = 0;
	return 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t at = (a->used + 7) & ~(size_t)7;
	const struct arena_block *b = a->n ? &a->blocks[a->n - 1] : NULL;
	if (n == 0)
		n = 1;
	if (!b || at > b->cap || b->cap - at < n) {
		if (add_block(a, n) < 0)
			return NULL;
		b = &a->blocks[a->n - 1];
		at = 0;
	}
	a->used = at + n;
	return b->p + at;
}

void arena_free(struct arena *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		hugemem_free(a->blocks[i].p, a->blocks[i].cap);
	free(a->blocks);
	arena_init(a);
}
