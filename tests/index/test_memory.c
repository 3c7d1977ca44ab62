/*
 * test_memory.c — index/arena.c and index/hugemem.c: what a bulk write's
 * buffers rely on.  An arena's allocations are 8-byte aligned, never
 * overlap and never move while later ones take new blocks (rows and
 * effects point into them); a hugemem buffer keeps its bytes when it
 * grows across the 8 MiB line in either direction and by mremap above
 * it; zeroed buffers are zero at every size.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index/arena.h"
#include "index/hugemem.h"

struct piece {
	uint8_t *p;
	size_t n;
};

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7);
}

static bool holds(const uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed * 131 + i * 7))
			return false;
	return true;
}

Test(arena, allocations_are_aligned_disjoint_and_stay_put)
{
	enum { N = 20000 };
	static struct piece v[N];
	struct arena a;
	arena_init(&a);
	srand(7);
	for (unsigned i = 0; i < N; i++) {
		/* mostly rows of tens of bytes, some empty, a few of MiBs (past
		 * the 64 MiB block cap in sum, and one bigger than a block) */
		size_t n = i % 997 == 0 ? (size_t)(rand() % (3 << 20)) : i % 5 == 0 ? 0 : (size_t)(rand() % 200);
		if (i == N / 2)
			n = (size_t)80 << 20;
		v[i].p = arena_alloc(&a, n);
		v[i].n = n;
		cr_assert_not_null(v[i].p, "allocation %u of %zu bytes", i, n);
		cr_assert_eq((uintptr_t)v[i].p % 8, 0, "allocation %u is not 8-byte aligned", i);
		fill(v[i].p, n, i);
	}
	for (unsigned i = 0; i < N; i++)
		cr_assert(holds(v[i].p, v[i].n, i), "allocation %u was overwritten or moved", i);
	cr_assert_gt(a.n, 6, "the arena took %u blocks", a.n);
	arena_free(&a);
	cr_assert_eq(a.n, 0);
	cr_assert_not_null(arena_alloc(&a, 10), "a freed arena is usable again");
	arena_free(&a);
}

Test(hugemem, contents_survive_growth_and_shrinking_across_the_line)
{
	const size_t sizes[] = { 100, 4096, HUGEMEM_MIN - 1, HUGEMEM_MIN, 3 * HUGEMEM_MIN + 5,
				 64 << 20, 2 * HUGEMEM_MIN, 1000, 0, 50 };
	uint8_t *p = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i], keep = cap < n ? cap : n;
		p = hugemem_realloc(p, cap, n);
		cr_assert_not_null(p, "resize %zu -> %zu", cap, n);
		cr_assert(holds(p, keep, 3), "the first %zu bytes changed resizing %zu -> %zu", keep, cap,
			  n);
		fill(p, n, 3);
		cap = n;
	}
	hugemem_free(p, cap);
}

Test(hugemem, zeroed_at_every_size)
{
	const size_t sizes[] = { 1, 4096, HUGEMEM_MIN - 8, HUGEMEM_MIN, 5 * HUGEMEM_MIN / 2 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		uint8_t *p = hugemem_zalloc(n);
		cr_assert_not_null(p);
		for (size_t k = 0; k < n; k += 509)
			cr_assert_eq(p[k], 0, "byte %zu of %zu", k, n);
		cr_assert_eq(p[n - 1], 0);
		memset(p, 0xa5, n);
		hugemem_free(p, n);
	}
	uint8_t *m = hugemem_map(12345);
	cr_assert_not_null(m);
	cr_assert_eq(m[12344], 0);
	m[0] = 1;
	m = hugemem_remap(m, 12345, 40 << 20);
	cr_assert_not_null(m);
	cr_assert_eq(m[0], 1, "remap kept the contents");
	cr_assert_eq(m[(40 << 20) - 1], 0, "the grown part is zero");
	hugemem_unmap(m, 40 << 20);
}
