/*
 * test_idcache.c — index/idcache.c: the id cache finds every id it was
 * given, by type and bytes (short ids inline, long ones by pointer), as it
 * grows; and a spare table made ahead (id_spare_prepare) is taken by the
 * growth it is big enough for, only by that, and starts empty.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "index/idcache.h"

/* Id i: short ("n<i>") or, every seventh, longer than a slot holds. */
static uint32_t make_id(char *out, size_t cap, uint32_t i)
{
	int n = i % 7 ? snprintf(out, cap, "n%u", i)
		      : snprintf(out, cap, "a-rather-long-identifier-of-entity-number-%010u", i);
	return (uint32_t)n;
}

/* Put ids 0..n-1 (types alternating 1 and 2), then find each of them and
 * miss ids never put.  Long ids are pointed to: they live in `store`. */
static void fill_and_check(struct id_cache *c, uint32_t n, char (*store)[64])
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = make_id(store[i], sizeof store[i], i);
		cr_assert_eq(id_cache_put(c, 1 + i % 2, (const uint8_t *)store[i], len, 1000 + i), 0);
	}
	cr_assert_eq(c->n, n);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t e = 0;
		uint32_t len = (uint32_t)strlen(store[i]);
		cr_assert(id_cache_get(&e, c, 1 + i % 2, (const uint8_t *)store[i], len),
			  "id %u is lost", i);
		cr_assert_eq(e, 1000 + i);
		cr_assert_not(id_cache_get(&e, c, 2 - i % 2, (const uint8_t *)store[i], len),
			      "id %u is found under the other type", i);
	}
	uint64_t e;
	cr_assert_not(id_cache_get(&e, c, 1, (const uint8_t *)"n-never", 7));
}

static char (*new_store(uint32_t n))[64]
{
	char (*store)[64] = calloc(n, sizeof *store);
	cr_assert_not_null(store);
	return store;
}

Test(idcache, grows_step_by_step_and_finds_every_id)
{
	enum { N = 300000 };
	char (*store)[64] = new_store(N);
	struct id_cache c = { 0 };
	fill_and_check(&c, N, store);
	id_cache_clear(&c);
	cr_assert_eq(c.n, 0);
	cr_assert_null(c.slots);
	free(store);
}

Test(idcache, a_big_enough_spare_is_taken_and_starts_empty)
{
	enum { N = 400000 };
	char (*store)[64] = new_store(N);
	struct id_spare sp;
	struct id_cache c = { .spare = &sp };
	id_spare_init(&sp);
	id_spare_prepare(&sp, 200000);
	id_spare_prepare(&sp, N);          /* a later, bigger wish wins */
	cr_assert_eq(id_cache_reserve(&c, N), 0);
	pthread_mutex_lock(&sp.mu);
	cr_assert_null(sp.slots, "the spare was taken");
	cr_assert_eq(sp.cap, 0);
	pthread_mutex_unlock(&sp.mu);
	cr_assert_geq(c.cap * 7, (size_t)N * 10, "the table it took holds N at 70%%");
	size_t cap = c.cap;
	fill_and_check(&c, N, store);
	cr_assert_eq(c.cap, cap, "reserved room: no growth while filling");
	id_cache_clear(&c);
	cr_assert_eq(c.spare, &sp, "clearing keeps the spare");
	id_spare_free(&sp);
	free(store);
}

Test(idcache, a_small_spare_or_a_small_growth_leaves_the_spare_alone)
{
	enum { N = 1000000 };
	struct id_spare sp;
	struct id_cache c = { .spare = &sp };
	id_spare_init(&sp);
	id_spare_prepare(&sp, 200000);
	id_spare_prepare(&sp, 1000);        /* below the spare's minimum: nothing */
	cr_assert_eq(id_cache_reserve(&c, 1000), 0);
	cr_assert_eq(id_cache_reserve(&c, N), 0); /* bigger than the spare */
	pthread_mutex_lock(&sp.mu);
	while (sp.running)
		pthread_cond_wait(&sp.done, &sp.mu);
	cr_assert_not_null(sp.slots, "a spare too small for the growth stays");
	cr_assert_lt(sp.cap * 7, (size_t)N * 10);
	pthread_mutex_unlock(&sp.mu);
	id_spare_prepare(&sp, 0);
	cr_assert_null(sp.slots, "n == 0 frees it");
	id_cache_clear(&c);
	id_spare_free(&sp);
}
