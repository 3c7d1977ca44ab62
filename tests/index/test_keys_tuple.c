/* test_keys_tuple.c — composite index keys (index/keys.h): tuples of
 * typed values sort member by member, then by entity, then newest first,
 * parse back member by member, and four of the longest values fit a key.
 *
 * Random values come from a seeded PRNG; the seed is printed by every test
 * and can be replaced with GROVE_TEST_SEED=<number> to reproduce a failure. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/keys.h"
#include "keys_testutil.h"

TestSuite(index_keys);

/* ------------------------------------------------------------------------ */
/* Tuples                                                                    */

struct tuple_schema {
	size_t n;
	enum lang_scalar s[3];
};

/* Values from small domains so that leading members tie often. */
static void tv_small(struct tv *v, enum lang_scalar s)
{
	if (rnd_below(8) == 0) {
		v->o = obj_nil();
		return;
	}
	uint8_t buf[4];
	size_t n;
	switch (s) {
	case LANG_SCALAR_STRING:
		n = rnd_bytes(buf, 2);
		tv_bytes(v, buf, n, false);
		break;
	case LANG_SCALAR_BOOL:
		v->o = obj_bool(rnd() & 1);
		break;
	case LANG_SCALAR_F64:
		v->o = rnd_below(10) == 0 ? obj_f64(NAN) : obj_f64(((double)rnd_below(5) - 2) / 2);
		break;
	case LANG_SCALAR_F32:
		v->o = obj_f32(rnd_below(2) ? -0.0f : (float)rnd_below(3));
		break;
	case LANG_SCALAR_U64:
		v->o = obj_int(rnd_below(2) ? UINT64_MAX - rnd_below(2) : rnd_below(3));
		break;
	default:
		v->o = obj_int((i128)rnd_below(5) - 2);
		break;
	}
}

Test(index_keys, composite_tuples_sort_member_by_member_then_entity_then_newest_first)
{
	rng_init("tuples");
	static const struct tuple_schema schemas[] = {
		{ 2, { LANG_SCALAR_I64, LANG_SCALAR_STRING } },
		{ 2, { LANG_SCALAR_STRING, LANG_SCALAR_I32 } },
		{ 3, { LANG_SCALAR_STRING, LANG_SCALAR_F64, LANG_SCALAR_BOOL } },
		{ 3, { LANG_SCALAR_U64, LANG_SCALAR_STRING, LANG_SCALAR_STRING } },
		{ 3, { LANG_SCALAR_BOOL, LANG_SCALAR_F32, LANG_SCALAR_DATE } },
	};
	enum { N = 600 };
	struct row {
		struct tv m[3];
		uint64_t entity, lsn;
		size_t len;
		uint8_t key[KEY_MAX];
	};
	struct row *rows = calloc(N, sizeof *rows);
	cr_assert(rows != NULL);
	for (size_t si = 0; si < sizeof schemas / sizeof schemas[0]; si++) {
		const struct tuple_schema *sc = &schemas[si];
		for (size_t i = 0; i < N; i++) {
			struct row *w = &rows[i];
			struct key_buf k = KEY_BUF_INIT;
			key_put_u32(&k, 1);       /* layer */
			key_put_u32(&k, 2);       /* type  */
			key_put_u16(&k, 3);       /* prop  */
			for (size_t m = 0; m < sc->n; m++) {
				struct lang_type t = ty(sc->s[m]);
				tv_small(&w->m[m], sc->s[m]);
				cr_assert_eq(key_put_value(&k, &t, &w->m[m].o), 0);
			}
			w->entity = rnd_below(3) ? rnd_below(4) : rnd();
			w->lsn = rnd_below(2) ? rnd_below(4) : rnd();
			key_put_u64(&k, w->entity);
			key_put_inv_u64(&k, w->lsn);
			cr_assert_eq(key_buf_status(&k), 0);
			w->len = k.len;
			memcpy(w->key, k.b, k.len);

			/* It parses back member by member to the end. */
			struct key_reader r;
			uint32_t u32;
			uint16_t u16;
			uint64_t e, l;
			uint8_t buf[KEY_MAX];
			key_reader_init(&r, w->key, w->len);
			cr_assert(key_get_u32(&u32, &r) == 0 && u32 == 1);
			cr_assert(key_get_u32(&u32, &r) == 0 && u32 == 2);
			cr_assert(key_get_u16(&u16, &r) == 0 && u16 == 3);
			for (size_t m = 0; m < sc->n; m++) {
				struct lang_type t = ty(sc->s[m]);
				struct key_value kv;
				cr_assert_eq(key_get_value(&kv, buf, sizeof buf, &t, &r), 0);
				cr_assert_eq(kv.null, w->m[m].o.type == MSGPACK_OBJECT_NIL);
			}
			cr_assert(key_get_u64(&e, &r) == 0 && e == w->entity);
			cr_assert(key_get_inv_u64(&l, &r) == 0 && l == w->lsn);
			cr_assert_eq(key_reader_left(&r), 0);
		}
		size_t ties = 0;
		for (size_t i = 0; i < N; i++) {
			for (size_t j = 0; j < N; j++) {
				const struct row *a = &rows[i], *b = &rows[j];
				int want = 0;
				for (size_t m = 0; m < sc->n && want == 0; m++)
					want = value_cmp(sc->s[m], &a->m[m].o, &b->m[m].o);
				if (want == 0) {
					ties += i != j;
					want = sgn((i128)a->entity - (i128)b->entity);
				}
				if (want == 0)
					want = sgn((i128)b->lsn - (i128)a->lsn);   /* newest first */
				int got = key_cmp(a->key, a->len, b->key, b->len);
				if (got != want)
					cr_assert_fail("schema %zu rows %zu,%zu: want %d got %d", si, i, j, want, got);
			}
		}
		cr_assert(ties > N / 4, "schema %zu: too few tuple ties (%zu) to test the tail", si, ties);
	}
	free(rows);
}

Test(index_keys, four_longest_values_and_framing_fit_a_key_and_a_fifth_overflows)
{
	uint8_t s[300];
	memset(s, 'v', sizeof s);
	struct lang_type t = ty(LANG_SCALAR_BLOB);
	msgpack_object o = obj_bin(s, sizeof s);
	struct key_buf k = KEY_BUF_INIT;
	for (int i = 0; i < 4; i++)
		key_put_u64(&k, 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(key_put_value(&k, &t, &o), 0);
	cr_assert_eq(k.len, 32 + 4 * KEY_VALUE_MAX);
	cr_assert_eq(key_put_value(&k, &t, &o), GROVE_ETOOBIG);
	cr_assert(k.overflow && k.len <= KEY_MAX);
}
