/* keys_testutil.h — what the key-encoding suites (test_keys.c,
 * test_keys_tuple.c, test_keys_bounds.c) share: a seeded PRNG, msgpack
 * objects, the value order an index promises, and random typed values.
 *
 * Random values come from a seeded PRNG; the seed is printed by every test
 * and can be replaced with GROVE_TEST_SEED=<number> to reproduce a failure. */
#ifndef GROVE_TESTS_INDEX_KEYS_TESTUTIL_H
#define GROVE_TESTS_INDEX_KEYS_TESTUTIL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/keys.h"

typedef __int128 i128;

#define STR_CAP      320                 /* longest generated String/bytes */

/* PRNG (splitmix64): rng_init prints the seed for `test`. */
void rng_init(const char *test);
uint64_t rnd(void);
uint64_t rnd_below(uint64_t n);

int sgn(i128 x);
/* LMDB's default order: memcmp over the common length, then length. */
int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
int bytes_cmp(const void *a, size_t an, const void *b, size_t bn);

/* A nullable scalar type. */
struct lang_type ty(enum lang_scalar s);
msgpack_object obj_nil(void);
msgpack_object obj_int(i128 v);
msgpack_object obj_f64(double v);
msgpack_object obj_f32(float v);
msgpack_object obj_bool(bool v);
msgpack_object obj_str(const void *p, size_t n);
msgpack_object obj_bin(const void *p, size_t n);
i128 obj_int_value(const msgpack_object *o);
void int_range(enum lang_scalar s, i128 *min, i128 *max);

/* The order a property index promises for two stored values of scalar s:
 * NULL first; Strings (and Vector, Blob) by bytes; numbers mathematically. */
int value_cmp(enum lang_scalar s, const msgpack_object *a, const msgpack_object *b);

/* A typed value with its encoding. */
struct tv {
	msgpack_object o;
	uint8_t data[STR_CAP];   /* backing bytes of a String/Vector/Blob */
	size_t enc_len;
	uint8_t enc[KEY_MAX];
};

/* Point v at a copy of p[0..n) as a bin (bin) or a str. */
void tv_bytes(struct tv *v, const void *p, size_t n, bool bin);
/* Random bytes over a small alphabet rich in 0x00, 0x01 and 0xFF. */
size_t rnd_bytes(uint8_t *out, size_t max_len);
/* Escaped length, computed independently of keys.c. */
size_t esc_len(const uint8_t *p, size_t n);
double rnd_double(void);
float rnd_float(void);
/* Fill v with a random stored value of scalar s; nil with chance 1/nil_in. */
void tv_random(struct tv *v, enum lang_scalar s, unsigned nil_in);

#endif
