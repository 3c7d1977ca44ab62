/* test_keys.c — property tests of the order-preserving scalar key encodings
 * (index/keys.h): byte order equals value order, decode(encode(x)) == x,
 * long values truncate to a prefix plus a hash, and decoders never read
 * past the end nor accept a non-canonical encoding.  Tuples are in
 * test_keys_tuple.c, bounds and scans in test_keys_bounds.c, shared
 * helpers in keys_testutil.c.
 *
 * Random values come from a seeded PRNG; the seed is printed by every test
 * and can be replaced with GROVE_TEST_SEED=<number> to reproduce a failure. */
#include <criterion/criterion.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "grove.h"
#include "index/keys.h"
#include "keys_testutil.h"

#define SAMPLE       1000                /* values per type; all pairs compared */

/* ------------------------------------------------------------------------ */
/* The order and round-trip properties of one scalar type                   */

static void tv_encode(struct tv *v, const struct lang_type *t)
{
	struct key_buf k = KEY_BUF_INIT;
	int rc = key_put_value(&k, t, &v->o);
	cr_assert_eq(rc, 0, "key_put_value failed: %d", rc);
	cr_assert(k.len <= KEY_VALUE_MAX);
	v->enc_len = k.len;
	memcpy(v->enc, k.b, k.len);
}

/* Two encodings of long values truncated at the same prefix: a group, in
 * which keys sort by hash (keys.h). */
static bool same_group(const struct tv *a, const struct tv *b, const struct lang_type *t)
{
	if (t->scalar != LANG_SCALAR_STRING && t->scalar != LANG_SCALAR_VECTOR &&
	    t->scalar != LANG_SCALAR_BLOB)
		return false;
	if (a->enc_len < 11 || b->enc_len < 11 || a->enc_len != b->enc_len)
		return false;
	size_t p = a->enc_len - 10;   /* marker + hash */
	return a->enc[p] == 0x00 && a->enc[p + 1] == 0x01 && memcmp(a->enc, b->enc, p + 2) == 0;
}

/* sign(memcmp) == sign(compare) for all pairs of the sample. */
static void check_order(struct tv *s, size_t n, const struct lang_type *t)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int kc = key_cmp(s[i].enc, s[i].enc_len, s[j].enc, s[j].enc_len);
			int vc = value_cmp(t->scalar, &s[i].o, &s[j].o);
			if (same_group(&s[i], &s[j], t)) {
				if ((kc == 0) != (vc == 0))
					cr_assert_fail("group keys %zu,%zu: equal keys iff equal values", i, j);
				continue;
			}
			if (kc != vc)
				cr_assert_fail("scalar %d: values %zu and %zu compare %d but keys %d",
					       t->scalar, i, j, vc, kc);
		}
	}
}

/* Check that a decoded String/Vector/Blob matches the original bytes. */
static void check_bytes(const msgpack_object *o, const struct key_bytes *kb, const uint8_t *buf)
{
	const uint8_t *p = (const uint8_t *)o->via.str.ptr;  /* str and bin share layout */
	size_t n = o->type == MSGPACK_OBJECT_BIN ? o->via.bin.size : o->via.str.size;
	if (o->type == MSGPACK_OBJECT_BIN)
		p = (const uint8_t *)o->via.bin.ptr;
	if (!kb->truncated) {
		cr_assert_eq(kb->len, n);
		cr_assert(n == 0 || memcmp(buf, p, n) == 0);
		cr_assert(esc_len(p, n) <= KEY_STR_INLINE_MAX);
		return;
	}
	/* Truncated: the longest prefix whose escaped form fits, and the hash. */
	cr_assert(kb->len < n);
	cr_assert(memcmp(buf, p, kb->len) == 0);
	size_t e = esc_len(p, kb->len);
	cr_assert(e <= KEY_STR_INLINE_MAX);
	cr_assert(e + (p[kb->len] ? 1 : 2) > KEY_STR_INLINE_MAX);
	cr_assert_eq(kb->hash, XXH3_64bits(p, n));
}

/* decode(encode(x)) == x, consuming exactly the encoding; and every strict
 * prefix of the encoding is refused (from an exact-size heap copy, so a
 * sanitizer build sees any read past the end). */
static void check_roundtrip(const struct tv *v, const struct lang_type *t)
{
	struct key_reader r;
	struct key_value kv;
	uint8_t buf[KEY_MAX];
	key_reader_init(&r, v->enc, v->enc_len);
	int rc = key_get_value(&kv, buf, sizeof buf, t, &r);
	cr_assert_eq(rc, 0, "decode failed: %d", rc);
	cr_assert_eq(key_reader_left(&r), 0);
	cr_assert_eq(kv.scalar, t->scalar);
	cr_assert_eq(kv.null, v->o.type == MSGPACK_OBJECT_NIL);
	if (kv.null)
		goto prefixes;
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
	case LANG_SCALAR_VECTOR:
		check_bytes(&v->o, &kv.as.bytes, buf);
		break;
	case LANG_SCALAR_BLOB:
		cr_assert_eq(kv.blob_kind, v->o.type == MSGPACK_OBJECT_BIN ? KEY_BLOB_BYTES : KEY_BLOB_URI);
		check_bytes(&v->o, &kv.as.bytes, buf);
		break;
	case LANG_SCALAR_BOOL:
		cr_assert_eq(kv.as.b, v->o.via.boolean);
		break;
	case LANG_SCALAR_F32:
	case LANG_SCALAR_F64: {
		double d = t->scalar == LANG_SCALAR_F32 ? kv.as.f32 : kv.as.f64;
		if (isnan(v->o.via.f64)) {
			cr_assert(isnan(d));
		} else {
			cr_assert(d == v->o.via.f64);
			cr_assert(!signbit(d) || d != 0, "zero decodes as +0.0");
		}
		break;
	}
	case LANG_SCALAR_U32:
	case LANG_SCALAR_U64:
		cr_assert(kv.as.u == obj_int_value(&v->o));
		break;
	default:
		cr_assert(kv.as.i == obj_int_value(&v->o));
		break;
	}
prefixes:
	for (size_t cut = 0; cut < v->enc_len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		cr_assert(copy != NULL);
		memcpy(copy, v->enc, cut);
		key_reader_init(&r, copy, cut);
		rc = key_get_value(&kv, buf, sizeof buf, t, &r);
		cr_assert_eq(rc, GROVE_ECORRUPT, "a %zu-byte prefix of a %zu-byte value", cut, v->enc_len);
		cr_assert(r.off <= cut);
		free(copy);
	}
}

/* The whole property for one scalar type. */
static void check_scalar(enum lang_scalar s, const msgpack_object *edges, size_t n_edges)
{
	struct lang_type t = ty(s);
	struct tv *sample = calloc(SAMPLE, sizeof *sample);
	cr_assert(sample != NULL);
	cr_assert(n_edges <= SAMPLE);
	for (size_t i = 0; i < SAMPLE; i++) {
		if (i < n_edges) {
			sample[i].o = edges[i];
			if (edges[i].type == MSGPACK_OBJECT_STR)
				tv_bytes(&sample[i], edges[i].via.str.ptr, edges[i].via.str.size, false);
			else if (edges[i].type == MSGPACK_OBJECT_BIN)
				tv_bytes(&sample[i], edges[i].via.bin.ptr, edges[i].via.bin.size, true);
		} else {
			tv_random(&sample[i], s, 50);
		}
		tv_encode(&sample[i], &t);
		check_roundtrip(&sample[i], &t);
	}
	check_order(sample, SAMPLE, &t);
	free(sample);
}

/* ------------------------------------------------------------------------ */
/* Scalars: order and round trip                                             */

TestSuite(index_keys);

Test(index_keys, signed_integers_sort_by_value_and_round_trip)
{
	rng_init("signed_integers");
	msgpack_object e32[] = { obj_int(INT32_MIN), obj_int(INT32_MAX), obj_int(0), obj_int(-1),
				 obj_int(1), obj_int(INT32_MIN + 1), obj_nil() };
	check_scalar(LANG_SCALAR_I32, e32, sizeof e32 / sizeof e32[0]);
	check_scalar(LANG_SCALAR_DATE, e32, sizeof e32 / sizeof e32[0]);
	msgpack_object e64[] = { obj_int(INT64_MIN), obj_int(INT64_MAX), obj_int(0), obj_int(-1),
				 obj_int(1), obj_int(INT32_MIN), obj_int((i128)INT32_MAX + 1),
				 obj_int(INT64_MIN + 1), obj_nil() };
	check_scalar(LANG_SCALAR_I64, e64, sizeof e64 / sizeof e64[0]);
	check_scalar(LANG_SCALAR_DATETIME, e64, sizeof e64 / sizeof e64[0]);
}

Test(index_keys, unsigned_integers_sort_by_value_and_round_trip)
{
	rng_init("unsigned_integers");
	msgpack_object e32[] = { obj_int(0), obj_int(1), obj_int(UINT32_MAX), obj_int(0x80000000u),
				 obj_int(0x7fffffff), obj_nil() };
	check_scalar(LANG_SCALAR_U32, e32, sizeof e32 / sizeof e32[0]);
	msgpack_object e64[] = { obj_int(0), obj_int(1), obj_int(UINT64_MAX), obj_int(INT64_MAX),
				 obj_int((i128)INT64_MAX + 1), obj_int(UINT64_MAX - 1), obj_nil() };
	check_scalar(LANG_SCALAR_U64, e64, sizeof e64 / sizeof e64[0]);
}

Test(index_keys, doubles_sort_numerically_with_nan_last_and_both_zeros_equal)
{
	rng_init("doubles");
	msgpack_object e[] = {
		obj_f64(0.0), obj_f64(-0.0), obj_f64(INFINITY), obj_f64(-INFINITY), obj_f64(NAN),
		obj_f64(-NAN), obj_f64(DBL_MAX), obj_f64(-DBL_MAX), obj_f64(DBL_MIN),
		obj_f64(-DBL_MIN), obj_f64(DBL_TRUE_MIN), obj_f64(-DBL_TRUE_MIN),
		obj_f64(DBL_MIN - DBL_TRUE_MIN), obj_f64(FLT_MAX), obj_f64(1.0), obj_f64(-1.0),
		obj_f32(0.5f), obj_nil(),
	};
	check_scalar(LANG_SCALAR_F64, e, sizeof e / sizeof e[0]);
}

Test(index_keys, floats_sort_numerically_with_nan_last_and_both_zeros_equal)
{
	rng_init("floats");
	msgpack_object e[] = {
		obj_f32(0.0f), obj_f32(-0.0f), obj_f32(INFINITY), obj_f32(-INFINITY), obj_f32(NAN),
		obj_f32(-NAN), obj_f32(FLT_MAX), obj_f32(-FLT_MAX), obj_f32(FLT_MIN),
		obj_f32(-FLT_MIN), obj_f32(FLT_TRUE_MIN), obj_f32(-FLT_TRUE_MIN),
		obj_f32(FLT_MIN - FLT_TRUE_MIN), obj_f32(1.0f), obj_f64(0.25), obj_nil(),
	};
	check_scalar(LANG_SCALAR_F32, e, sizeof e / sizeof e[0]);
}

Test(index_keys, bools_sort_false_first)
{
	rng_init("bools");
	msgpack_object e[] = { obj_bool(false), obj_bool(true), obj_nil() };
	check_scalar(LANG_SCALAR_BOOL, e, sizeof e / sizeof e[0]);
}

Test(index_keys, strings_sort_bytewise_with_zeros_prefixes_and_ff)
{
	rng_init("strings");
	static const uint8_t long_a[200] = { [0 ... 199] = 'x' };
	static const uint8_t zeros[120] = { 0 };
	msgpack_object e[] = {
		obj_str("", 0), obj_str("\0", 1), obj_str("\0\0", 2), obj_str("\0\xff", 2),
		obj_str("\x01", 1), obj_str("\xff", 1), obj_str("\xff\xff", 2), obj_str("a", 1),
		obj_str("a\0", 2), obj_str("a\0\0", 3), obj_str("a\x01", 2), obj_str("ab", 2),
		obj_str("abc", 3), obj_str("a\xff", 2), obj_str("b", 1),
		obj_str(long_a, 95), obj_str(long_a, 96), obj_str(long_a, 97), obj_str(long_a, 200),
		obj_str(zeros, 47), obj_str(zeros, 48), obj_str(zeros, 49), obj_str(zeros, 120),
		obj_nil(),
	};
	check_scalar(LANG_SCALAR_STRING, e, sizeof e / sizeof e[0]);
}

Test(index_keys, vectors_and_blobs_round_trip_and_sort_by_bytes)
{
	rng_init("vectors_blobs");
	check_scalar(LANG_SCALAR_VECTOR, NULL, 0);
	msgpack_object e[] = { obj_bin("", 0), obj_str("", 0), obj_bin("\0", 1),
			       obj_str("s3://b/k", 8), obj_nil() };
	check_scalar(LANG_SCALAR_BLOB, e, sizeof e / sizeof e[0]);
}

Test(index_keys, fixed_width_builders_are_big_endian_and_round_trip)
{
	rng_init("fixed_width");
	for (int i = 0; i < 20000; i++) {
		uint64_t a = rnd() >> rnd_below(64), b = rnd() >> rnd_below(64);
		struct key_buf ka = KEY_BUF_INIT, kb = KEY_BUF_INIT;
		key_put_u8(&ka, (uint8_t)a); key_put_u16(&ka, (uint16_t)a);
		key_put_u32(&ka, (uint32_t)a); key_put_u64(&ka, a); key_put_inv_u64(&ka, a);
		key_put_u8(&kb, (uint8_t)b); key_put_u16(&kb, (uint16_t)b);
		key_put_u32(&kb, (uint32_t)b); key_put_u64(&kb, b); key_put_inv_u64(&kb, b);
		cr_assert_eq(ka.len, 23);
		/* Each field alone orders like the value; ~lsn in reverse. */
		cr_assert_eq(sgn(memcmp(ka.b, kb.b, 1)), sgn((i128)(uint8_t)a - (uint8_t)b));
		cr_assert_eq(sgn(memcmp(ka.b + 1, kb.b + 1, 2)), sgn((i128)(uint16_t)a - (uint16_t)b));
		cr_assert_eq(sgn(memcmp(ka.b + 3, kb.b + 3, 4)), sgn((i128)(uint32_t)a - (uint32_t)b));
		cr_assert_eq(sgn(memcmp(ka.b + 7, kb.b + 7, 8)), sgn((i128)a - (i128)b));
		cr_assert_eq(sgn(memcmp(ka.b + 15, kb.b + 15, 8)), sgn((i128)b - (i128)a));
		struct key_reader r;
		uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64, inv;
		key_reader_init(&r, ka.b, ka.len);
		cr_assert_eq(key_get_u8(&u8, &r), 0);
		cr_assert_eq(key_get_u16(&u16, &r), 0);
		cr_assert_eq(key_get_u32(&u32, &r), 0);
		cr_assert_eq(key_get_u64(&u64, &r), 0);
		cr_assert_eq(key_get_inv_u64(&inv, &r), 0);
		cr_assert_eq(key_reader_left(&r), 0);
		cr_assert(u8 == (uint8_t)a && u16 == (uint16_t)a && u32 == (uint32_t)a &&
			  u64 == a && inv == a);
		cr_assert_eq(key_get_u8(&u8, &r), GROVE_ECORRUPT);
	}
	struct key_buf k = KEY_BUF_INIT;
	key_put_u32(&k, 0x01020304u);
	key_put_inv_u64(&k, 0);
	key_put_i64(&k, -1);
	key_put_i32(&k, 0);
	static const uint8_t want[] = { 1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0x80, 0, 0, 0 };
	cr_assert_eq(k.len, sizeof want);
	cr_assert(memcmp(k.b, want, sizeof want) == 0);
}

Test(index_keys, raw_bytes_encoding_matches_the_documented_bytes)
{
	struct key_buf k = KEY_BUF_INIT;
	key_put_bytes(&k, "a\0b", 3);
	key_put_str(&k, "");
	key_put_bool(&k, true);
	key_put_null(&k);
	static const uint8_t want[] = { 'a', 0x00, 0xff, 'b', 0x00, 0x00, 0x00, 0x00, 0x01, 0x00 };
	cr_assert_eq(k.len, sizeof want);
	cr_assert(memcmp(k.b, want, sizeof want) == 0);

	/* Floats: -0 is +0, every NaN is all ones, after +inf. */
	struct key_buf a = KEY_BUF_INIT, b = KEY_BUF_INIT, c = KEY_BUF_INIT, d = KEY_BUF_INIT;
	key_put_f64(&a, -0.0);
	key_put_f64(&b, 0.0);
	cr_assert(a.len == 8 && memcmp(a.b, b.b, 8) == 0);
	cr_assert_eq(a.b[0], 0x80);
	key_put_f64(&c, -NAN);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(c.b[i], 0xff);
	key_put_f64(&d, INFINITY);
	cr_assert(memcmp(d.b, c.b, 8) < 0);
	struct key_buf f = KEY_BUF_INIT;
	key_put_f32(&f, -NAN);
	key_put_f32(&f, -0.0f);
	static const uint8_t want32[] = { 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0 };
	cr_assert(f.len == 8 && memcmp(f.b, want32, 8) == 0);
}

Test(index_keys, raw_bytes_round_trip_without_truncation_up_to_the_key_size)
{
	rng_init("raw_bytes");
	for (int i = 0; i < 5000; i++) {
		uint8_t in[300], out[KEY_MAX];
		size_t n = rnd_bytes(in, rnd_below(4) ? 8 : 250);
		struct key_buf k = KEY_BUF_INIT;
		key_put_bytes(&k, in, n);
		if (esc_len(in, n) + 2 > KEY_MAX) {
			cr_assert(k.overflow && k.len == 0);
			continue;
		}
		cr_assert_eq(key_buf_status(&k), 0);
		cr_assert_eq(k.len, esc_len(in, n) + 2);
		struct key_reader r;
		struct key_bytes kb;
		key_reader_init(&r, k.b, k.len);
		cr_assert_eq(key_get_bytes(&kb, out, sizeof out, &r), 0);
		cr_assert(!kb.truncated && kb.len == n && memcmp(out, in, n) == 0);
		cr_assert_eq(key_reader_left(&r), 0);
		/* A buffer one byte short is refused, not overrun. */
		if (n > 0) {
			key_reader_init(&r, k.b, k.len);
			cr_assert_eq(key_get_bytes(&kb, out, n - 1, &r), GROVE_ETOOBIG);
		}
		/* NULL skips the value. */
		key_reader_init(&r, k.b, k.len);
		cr_assert_eq(key_get_bytes(&kb, NULL, 0, &r), 0);
		cr_assert(kb.len == n && key_reader_left(&r) == 0);
	}
}

/* ------------------------------------------------------------------------ */
/* Long values                                                               */

Test(index_keys, long_strings_are_truncated_to_a_prefix_plus_hash)
{
	uint8_t s[300];
	memset(s, 'k', sizeof s);
	struct lang_type t = ty(LANG_SCALAR_STRING);
	msgpack_object a = obj_str(s, 300), b;
	struct key_buf ka = KEY_BUF_INIT, kb = KEY_BUF_INIT;
	cr_assert_eq(key_put_value(&ka, &t, &a), 0);
	cr_assert_eq(ka.len, 1 + KEY_STR_INLINE_MAX + 2 + KEY_STR_HASH_BYTES);
	cr_assert_eq(ka.b[1 + KEY_STR_INLINE_MAX], 0x00);
	cr_assert_eq(ka.b[2 + KEY_STR_INLINE_MAX], 0x01);
	s[250] = 'z';   /* differs after the cut: same group, different hash */
	b = obj_str(s, 300);
	cr_assert_eq(key_put_value(&kb, &t, &b), 0);
	cr_assert_eq(ka.len, kb.len);
	cr_assert(memcmp(ka.b, kb.b, ka.len - KEY_STR_HASH_BYTES) == 0);
	cr_assert(memcmp(ka.b, kb.b, ka.len) != 0);

	/* The value exactly at the limit is whole and sorts before its group. */
	struct key_buf kc = KEY_BUF_INIT;
	msgpack_object c = obj_str(s, KEY_STR_INLINE_MAX);
	cr_assert_eq(key_put_value(&kc, &t, &c), 0);
	cr_assert_eq(kc.len, 1 + KEY_STR_INLINE_MAX + 2);
	cr_assert(key_cmp(kc.b, kc.len, ka.b, ka.len) < 0);

	/* A zero at the cut cannot be split: the prefix stops before it. */
	uint8_t z[100];
	memset(z, 'k', sizeof z);
	z[KEY_STR_INLINE_MAX - 1] = 0;
	struct key_buf kz = KEY_BUF_INIT;
	msgpack_object zo = obj_str(z, sizeof z);
	cr_assert_eq(key_put_value(&kz, &t, &zo), 0);
	cr_assert_eq(kz.len, 1 + (KEY_STR_INLINE_MAX - 1) + 2 + KEY_STR_HASH_BYTES);

	/* key_put_bytes_trunc reports what it did; the raw form does not cut. */
	struct key_buf kr = KEY_BUF_INIT;
	cr_assert(key_put_bytes_trunc(&kr, s, 300));
	cr_assert(!key_put_bytes_trunc(&kr, s, 10));
	struct key_buf kw = KEY_BUF_INIT;
	key_put_bytes(&kw, s, 300);
	cr_assert_eq(kw.len, 302);
}

Test(index_keys, corrupt_typed_values_are_refused)
{
	struct lang_type ts = ty(LANG_SCALAR_STRING), tb = ty(LANG_SCALAR_BOOL);
	struct lang_type tf = ty(LANG_SCALAR_F64), tf32 = ty(LANG_SCALAR_F32);
	struct lang_type tblob = ty(LANG_SCALAR_BLOB);
	struct key_value kv;
	uint8_t buf[KEY_MAX];
	struct {
		const struct lang_type *t;
		const char *bytes;
		size_t n;
	} bad[] = {
		{ &ts, "\x02" "a\0\0", 4 },          /* unknown tag */
		{ &ts, "\x01" "a\0\x02", 4 },        /* unknown escape */
		{ &ts, "\x01" "a\0", 3 },            /* escape cut short */
		{ &ts, "\x01" "a\0\x01" "1234567", 11 }, /* short hash */
		{ &ts, "\x01" "a\0\x01" "12345678", 12 }, /* truncated, yet short */
		{ &tb, "\x01\x02", 2 },              /* bool out of range */
		{ &tf, "\x01\x7f\xff\xff\xff\xff\xff\xff\xff", 9 }, /* -0.0 */
		{ &tf, "\x01\xff\xf8\0\0\0\0\0\0", 9 },             /* a non-canonical NaN */
		{ &tf, "\x01\x00\x07\xff\xff\xff\xff\xff\xff", 9 }, /* a negative NaN */
		{ &tf32, "\x01\x7f\xff\xff\xff", 5 },               /* -0.0f */
		{ &tf32, "\x01\xff\xc0\0\0", 5 },                   /* non-canonical NaN */
		{ &tblob, "\x01\x03" "a\0\0", 5 },   /* unknown blob kind */
		{ &ts, "", 0 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct key_reader r;
		key_reader_init(&r, bad[i].bytes, bad[i].n);
		cr_assert_eq(key_get_value(&kv, buf, sizeof buf, bad[i].t, &r), GROVE_ECORRUPT,
			     "case %zu", i);
	}
	/* A truncated prefix two bytes short of the limit: the cut would have
	 * kept one more byte, so no encoder writes it. */
	uint8_t shortcut[1 + KEY_STR_INLINE_MAX - 2 + 2 + KEY_STR_HASH_BYTES];
	memset(shortcut, 'a', sizeof shortcut);
	shortcut[0] = KEY_TAG_VALUE;
	shortcut[KEY_STR_INLINE_MAX - 1] = 0x00;
	shortcut[KEY_STR_INLINE_MAX] = 0x01;
	struct key_reader rs;
	key_reader_init(&rs, shortcut, sizeof shortcut);
	cr_assert_eq(key_get_value(&kv, buf, sizeof buf, &ts, &rs), GROVE_ECORRUPT);
	/* One byte short is fine (the next byte was a zero, two escaped). */
	uint8_t cut1[1 + KEY_STR_INLINE_MAX - 1 + 2 + KEY_STR_HASH_BYTES];
	memset(cut1, 'a', sizeof cut1);
	cut1[0] = KEY_TAG_VALUE;
	cut1[KEY_STR_INLINE_MAX] = 0x00;
	cut1[KEY_STR_INLINE_MAX + 1] = 0x01;
	key_reader_init(&rs, cut1, sizeof cut1);
	cr_assert_eq(key_get_value(&kv, buf, sizeof buf, &ts, &rs), 0);
	cr_assert(kv.as.bytes.truncated && kv.as.bytes.len == KEY_STR_INLINE_MAX - 1);
	cr_assert_eq(key_reader_left(&rs), 0);

	/* A whole value longer than a key keeps is not canonical either. */
	uint8_t longv[1 + 100 + 2];
	longv[0] = KEY_TAG_VALUE;
	memset(longv + 1, 'a', 100);
	longv[101] = 0;
	longv[102] = 0;
	struct key_reader r;
	key_reader_init(&r, longv, sizeof longv);
	cr_assert_eq(key_get_value(&kv, buf, sizeof buf, &ts, &r), GROVE_ECORRUPT);
}

Test(index_keys, random_bytes_decode_to_an_error_or_a_canonical_value)
{
	rng_init("garbage");
	static const enum lang_scalar scalars[] = {
		LANG_SCALAR_STRING, LANG_SCALAR_BOOL, LANG_SCALAR_I32, LANG_SCALAR_I64,
		LANG_SCALAR_U32, LANG_SCALAR_U64, LANG_SCALAR_F32, LANG_SCALAR_F64,
		LANG_SCALAR_DATE, LANG_SCALAR_DATETIME, LANG_SCALAR_VECTOR, LANG_SCALAR_BLOB,
	};
	size_t ok = 0;
	for (int i = 0; i < 200000; i++) {
		enum lang_scalar s = scalars[rnd_below(sizeof scalars / sizeof scalars[0])];
		struct lang_type t = ty(s);
		size_t n = rnd_below(24);
		uint8_t *in = malloc(n ? n : 1);   /* exact size: ASan sees overreads */
		cr_assert(in != NULL);
		for (size_t j = 0; j < n; j++)
			in[j] = (uint8_t)"\x00\x01\x02\x7f\x80\xfe\xff" "a"[rnd_below(8)];
		if (n > 0 && rnd_below(2))
			in[0] = KEY_TAG_VALUE;
		struct key_reader r;
		struct key_value kv;
		uint8_t buf[KEY_MAX];
		key_reader_init(&r, in, n);
		int rc = key_get_value(&kv, buf, sizeof buf, &t, &r);
		cr_assert(rc == 0 || rc == GROVE_ECORRUPT, "rc %d", rc);
		cr_assert(r.off <= n);
		if (rc == 0) {
			/* Re-encoding what was read gives back the bytes consumed. */
			ok++;
			msgpack_object o;
			switch (s) {
			case LANG_SCALAR_STRING: o = obj_str(buf, kv.as.bytes.len); break;
			case LANG_SCALAR_VECTOR: o = obj_bin(buf, kv.as.bytes.len); break;
			case LANG_SCALAR_BLOB:
				o = kv.blob_kind == KEY_BLOB_BYTES ? obj_bin(buf, kv.as.bytes.len)
								   : obj_str(buf, kv.as.bytes.len);
				break;
			case LANG_SCALAR_BOOL: o = obj_bool(kv.as.b); break;
			case LANG_SCALAR_F32: o = obj_f32(kv.as.f32); break;
			case LANG_SCALAR_F64: o = obj_f64(kv.as.f64); break;
			case LANG_SCALAR_U32: case LANG_SCALAR_U64: o = obj_int(kv.as.u); break;
			default: o = obj_int(kv.as.i); break;
			}
			if (kv.null)
				o = obj_nil();
			if (s == LANG_SCALAR_VECTOR)
				t.vector_dim = 0;
			struct key_buf k = KEY_BUF_INIT;
			cr_assert_eq(key_put_value(&k, &t, &o), 0);
			cr_assert_eq(k.len, r.off);
			cr_assert(memcmp(k.b, in, r.off) == 0);
		}
		free(in);
	}
	cr_assert(ok > 1000, "only %zu random inputs decoded", ok);
}

/* ------------------------------------------------------------------------ */
/* Typed values from msgpack                                                 */

Test(index_keys, key_put_value_refuses_mismatched_types_and_leaves_the_key_unchanged)
{
	struct lang_type i32 = ty(LANG_SCALAR_I32), u64 = ty(LANG_SCALAR_U64);
	struct lang_type f32 = ty(LANG_SCALAR_F32), str = ty(LANG_SCALAR_STRING);
	struct lang_type vec = ty(LANG_SCALAR_VECTOR), list = ty(LANG_SCALAR_STRING);
	struct lang_type none = ty(LANG_SCALAR_NONE), dt = ty(LANG_SCALAR_DATE);
	list.list = 1;
	vec.vector_dim = 3;
	struct {
		const struct lang_type *t;
		msgpack_object o;
	} bad[] = {
		{ &i32, obj_int((i128)INT32_MAX + 1) }, { &i32, obj_int((i128)INT32_MIN - 1) },
		{ &i32, obj_f64(1.0) }, { &i32, obj_str("1", 1) }, { &u64, obj_int(-1) },
		{ &f32, obj_f64(0.1) }, { &f32, obj_f64(1e300) }, { &f32, obj_int(1) },
		{ &str, obj_bin("a", 1) }, { &str, obj_int(0) }, { &vec, obj_bin("abcd", 4) },
		{ &list, obj_str("a", 1) }, { &none, obj_int(1) }, { &dt, obj_int((i128)1 << 40) },
		{ &i32, obj_bool(true) },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct key_buf k = KEY_BUF_INIT;
		key_put_u32(&k, 7);
		cr_assert_eq(key_put_value(&k, bad[i].t, &bad[i].o), GROVE_EINVAL, "case %zu", i);
		cr_assert_eq(k.len, 4, "case %zu wrote bytes", i);
	}
	/* What is accepted: F32 from an exact float 64, F64 from a float 32,
	 * a Vector(3) of 12 bytes, and nil for any type. */
	struct lang_type f64 = ty(LANG_SCALAR_F64);
	msgpack_object ok1 = obj_f64(0.5), ok2 = obj_f32(0.1f), ok3 = obj_bin("0123456789ab", 12);
	msgpack_object nil = obj_nil(), inf = obj_f64(INFINITY);
	struct key_buf k = KEY_BUF_INIT;
	cr_assert_eq(key_put_value(&k, &f32, &ok1), 0);
	cr_assert_eq(key_put_value(&k, &f32, &inf), 0);
	cr_assert_eq(key_put_value(&k, &f64, &ok2), 0);
	cr_assert_eq(key_put_value(&k, &vec, &ok3), 0);
	cr_assert_eq(key_put_value(&k, &i32, &nil), 0);
	cr_assert_eq(k.len, 5 + 5 + 9 + 15 + 1);
	cr_assert_eq(k.b[k.len - 1], KEY_TAG_NULL);
}
