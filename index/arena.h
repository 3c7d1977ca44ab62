/*
 * arena.h — a bump allocator for things freed all at once.
 *
 * A load holds every row it plans until it commits, and a replayed load
 * every payload until its last chunk: millions of small blocks with one
 * lifetime.  An arena hands them out of blocks that start at 64 KiB and
 * double up to 64 MiB (taken from hugemem.h, so the big ones fault in
 * 2 MiB at a time), and frees them together.  Allocations are 8-byte
 * aligned and never move.  Internal to Grove (index/ and the layers
 * above).
 */
#ifndef GROVE_INDEX_ARENA_H
#define GROVE_INDEX_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct arena_block;

struct arena {
	struct arena_block *blocks;  /* the last one is filling */
	uint32_t n;
	size_t used;                 /* bytes taken of the last block */
};

void arena_init(struct arena *a);
/* n bytes (n == 0: a valid, unique pointer), or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Free every allocation; the arena may be used again. */
void arena_free(struct arena *a);

#endif
