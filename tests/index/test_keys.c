/* test_keys.c — property tests of the order-preserving key encodings
 * (index/keys.h): byte order equals value order, decode(encode(x)) == x,
 * tuples sort member by member, builders never overflow KEY_MAX, decoders
 * never read past the end, and query bounds round numbers mathematically.
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

typedef __int128 i128;

#define SEED_DEFAULT 0x6b6579735eedULL   /* "keys" + "seed" */
#define SAMPLE       1000                /* values per type; all pairs compared */
#define STR_CAP      320                 /* longest generated String/bytes */

/* ------------------------------------------------------------------------ */
/* PRNG (splitmix64)                                                         */

static uint64_t rng_state;

static void rng_init(const char *test)
{
	const char *env = getenv("GROVE_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : SEED_DEFAULT;
	fprintf(stderr, "test_keys %s: seed 0x%" PRIx64 "\n", test, seed);
	rng_state = seed;
}

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n) { return rnd() % n; }

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static int sgn(i128 x) { return (x > 0) - (x < 0); }

/* LMDB's default order: memcmp over the common length, then length. */
static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return sgn((i128)an - (i128)bn);
}

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	return key_cmp(a, an, b, bn);
}

static struct lang_type ty(enum lang_scalar s)
{
	struct lang_type t = { .scalar = (uint8_t)s, .nullable = 1 };
	return t;
}

static msgpack_object obj_nil(void)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_NIL };
	return o;
}

static msgpack_object obj_int(i128 v)
{
	msgpack_object o;
	if (v >= 0) {
		o.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o.via.u64 = (uint64_t)v;
	} else {
		o.type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
		o.via.i64 = (int64_t)v;
	}
	return o;
}

static msgpack_object obj_f64(double v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT64 };
	o.via.f64 = v;
	return o;
}

static msgpack_object obj_f32(float v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT32 };
	o.via.f64 = v;
	return o;
}

static msgpack_object obj_bool(bool v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_BOOLEAN };
	o.via.boolean = v;
	return o;
}

static msgpack_object obj_str(const void *p, size_t n)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_STR };
	o.via.str.ptr = p;
	o.via.str.size = (uint32_t)n;
	return o;
}

static msgpack_object obj_bin(const void *p, size_t n)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_BIN };
	o.via.bin.ptr = p;
	o.via.bin.size = (uint32_t)n;
	return o;
}

static bool obj_is_int(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	       o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

static i128 obj_int_value(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (i128)o->via.u64 : (i128)o->via.i64;
}

static bool is_int_scalar(enum lang_scalar s)
{
	return s == LANG_SCALAR_I32 || s == LANG_SCALAR_I64 || s == LANG_SCALAR_U32 ||
	       s == LANG_SCALAR_U64 || s == LANG_SCALAR_DATE || s == LANG_SCALAR_DATETIME;
}

static void int_range(enum lang_scalar s, i128 *min, i128 *max)
{
	switch (s) {
	case LANG_SCALAR_I32: case LANG_SCALAR_DATE: *min = INT32_MIN; *max = INT32_MAX; break;
	case LANG_SCALAR_I64: case LANG_SCALAR_DATETIME: *min = INT64_MIN; *max = INT64_MAX; break;
	case LANG_SCALAR_U32: *min = 0; *max = UINT32_MAX; break;
	case LANG_SCALAR_U64: *min = 0; *max = UINT64_MAX; break;
	default: cr_assert_fail("not an integer scalar");
	}
}

/* Exact sign(d - q) for a finite or infinite double d and an integer q in
 * [-2^63, 2^64); computed through floor, unlike keys.c's rounding. */
static int cmp_double_int(double d, i128 q)
{
	if (isinf(d))
		return d > 0 ? 1 : -1;
	if (d >= 18446744073709551616.0)
		return 1;
	if (d < -9223372036854775808.0)
		return -1;
	double f = floor(d);
	i128 fi = (i128)f;
	if (fi != q)
		return fi < q ? -1 : 1;
	return d > f ? 1 : 0;
}

/* A number: an integer or a double (NaN allowed). */
struct num {
	bool is_float;
	i128 i;
	double d;
};

static struct num num_of(const msgpack_object *o)
{
	struct num n = { 0 };
	if (obj_is_int(o)) {
		n.i = obj_int_value(o);
	} else {
		n.is_float = true;
		n.d = o->via.f64;
	}
	return n;
}

/* Mathematical sign(a - b); neither is NaN. */
static int num_cmp(struct num a, struct num b)
{
	if (!a.is_float && !b.is_float)
		return sgn(a.i - b.i);
	if (a.is_float && b.is_float)
		return (a.d > b.d) - (a.d < b.d);
	if (a.is_float)
		return cmp_double_int(a.d, b.i);
	return -cmp_double_int(b.d, a.i);
}

/* The total order key_put_f* promises: numbers, -0 == +0, NaN last. */
static int float_cmp(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

/* The order a property index promises for two stored values of scalar s:
 * NULL first; Strings (and Vector, Blob) by bytes; numbers mathematically. */
static int value_cmp(enum lang_scalar s, const msgpack_object *a, const msgpack_object *b)
{
	bool an = a->type == MSGPACK_OBJECT_NIL, bn = b->type == MSGPACK_OBJECT_NIL;
	if (an || bn)
		return bn - an;
	switch (s) {
	case LANG_SCALAR_STRING:
		return bytes_cmp(a->via.str.ptr, a->via.str.size, b->via.str.ptr, b->via.str.size);
	case LANG_SCALAR_VECTOR:
		return bytes_cmp(a->via.bin.ptr, a->via.bin.size, b->via.bin.ptr, b->via.bin.size);
	case LANG_SCALAR_BLOB:
		if (a->type != b->type)
			return a->type == MSGPACK_OBJECT_BIN ? -1 : 1;
		return bytes_cmp(a->via.str.ptr, a->via.str.size, b->via.str.ptr, b->via.str.size);
	case LANG_SCALAR_BOOL:
		return a->via.boolean - b->via.boolean;
	case LANG_SCALAR_F32:
	case LANG_SCALAR_F64:
		return float_cmp(a->via.f64, b->via.f64);
	default:
		return sgn(obj_int_value(a) - obj_int_value(b));
	}
}

/* ------------------------------------------------------------------------ */
/* A sample of typed values with their encodings                            */

struct tv {
	msgpack_object o;
	uint8_t data[STR_CAP];   /* backing bytes of a String/Vector/Blob */
	size_t enc_len;
	uint8_t enc[KEY_MAX];
};

static void tv_bytes(struct tv *v, const void *p, size_t n, bool bin)
{
	cr_assert(n <= STR_CAP);
	memcpy(v->data, p, n);
	v->o = bin ? obj_bin(v->data, n) : obj_str(v->data, n);
}

static void tv_encode(struct tv *v, const struct lang_type *t)
{
	struct key_buf k = KEY_BUF_INIT;
	int rc = key_put_value(&k, t, &v->o);
	cr_assert_eq(rc, 0, "key_put_value failed: %d", rc);
	cr_assert(k.len <= KEY_VALUE_MAX);
	v->enc_len = k.len;
	memcpy(v->enc, k.b, k.len);
}

/* Random bytes over a small alphabet rich in 0x00, 0x01 and 0xFF, so that
 * prefixes, embedded zeros and escape neighbours are frequent. */
static size_t rnd_bytes(uint8_t *out, size_t max_len)
{
	static const uint8_t alphabet[] = { 0x00, 0x01, 'a', 'b', 0xFE, 0xFF };
	size_t n = rnd_below(max_len + 1);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rnd_below(sizeof alphabet)];
	return n;
}

/* Escaped length, computed independently of keys.c. */
static size_t esc_len(const uint8_t *p, size_t n)
{
	size_t e = 0;
	for (size_t i = 0; i < n; i++)
		e += p[i] ? 1 : 2;
	return e;
}

/* A random integer of scalar s, biased toward the edges. */
static i128 rnd_int_in(enum lang_scalar s)
{
	i128 min, max;
	int_range(s, &min, &max);
	i128 span = max - min;
	switch (rnd_below(6)) {
	case 0: return min + (i128)rnd_below(4);
	case 1: return max - (i128)rnd_below(4);
	case 2: { i128 v = (i128)rnd_below(9) - 4; return v < min ? min : v; }
	case 3: { i128 v = (i128)(int64_t)rnd() >> rnd_below(64);
		  return v < min ? min + (v & 0xff) : v > max ? max - (v & 0xff) : v; }
	default: return min + (i128)((unsigned __int128)rnd() % ((unsigned __int128)span + 1));
	}
}

static double rnd_double(void)
{
	static const double edge[] = {
		0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, NAN, -NAN,
		DBL_MAX, -DBL_MAX, DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN,
		FLT_MAX, -FLT_MAX, FLT_TRUE_MIN, 0.5, -0.5, 9007199254740992.0,
		9007199254740993.0, 9223372036854775808.0, -9223372036854775808.0,
		18446744073709551616.0, 2147483648.0, -2147483649.0, 4294967296.0,
		2147483647.5, -2147483648.5, 4294967295.5, -0.25,
	};
	uint64_t bits;
	double d;
	switch (rnd_below(5)) {
	case 0:
		return edge[rnd_below(sizeof edge / sizeof edge[0])];
	case 1:   /* any bit pattern: NaN payloads, subnormals, huge */
		bits = rnd();
		memcpy(&d, &bits, sizeof d);
		return d;
	case 2:   /* small integers and halves: many ties and near-ties */
		return ((double)rnd_below(41) - 20) / 2;
	case 3:   /* near a power of two, integers of every width */
		d = ldexp(1.0, (int)rnd_below(70));
		d += (double)((int)rnd_below(5) - 2) + (rnd_below(2) ? 0.5 : 0.0);
		return rnd_below(2) ? -d : d;
	default:
		return ((double)(int64_t)rnd()) / (double)(1 + rnd_below(1000));
	}
}

static float rnd_float(void)
{
	static const float edge[] = {
		0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, -NAN, FLT_MAX,
		-FLT_MAX, FLT_MIN, -FLT_MIN, FLT_TRUE_MIN, -FLT_TRUE_MIN, 16777216.0f,
		16777217.0f, 0.1f,
	};
	uint32_t bits;
	float f;
	switch (rnd_below(4)) {
	case 0:
		return edge[rnd_below(sizeof edge / sizeof edge[0])];
	case 1:
		bits = (uint32_t)rnd();
		memcpy(&f, &bits, sizeof f);
		return f;
	case 2:
		return ((float)rnd_below(41) - 20) / 4;
	default: {
		double d = rnd_double();
		if (isnan(d) || isinf(d) || fabs(d) > FLT_MAX)
			return (float)rnd_below(100);
		return (float)d;
	}
	}
}

/* Fill v with a random stored value of scalar s; nil with chance 1/nil_in. */
static void tv_random(struct tv *v, enum lang_scalar s, unsigned nil_in)
{
	if (nil_in && rnd_below(nil_in) == 0) {
		v->o = obj_nil();
		return;
	}
	uint8_t buf[STR_CAP];
	size_t n;
	switch (s) {
	case LANG_SCALAR_STRING:
		if (rnd_below(8) == 0) {   /* a long one: truncation groups */
			n = 90 + rnd_below(STR_CAP - 90 + 1);
			for (size_t i = 0; i < n; i++)
				buf[i] = i < 93 ? 'p' : (uint8_t)"\x00\x01q\xff"[rnd_below(4)];
		} else {
			n = rnd_bytes(buf, 6);
		}
		tv_bytes(v, buf, n, false);
		break;
	case LANG_SCALAR_BOOL:
		v->o = obj_bool(rnd() & 1);
		break;
	case LANG_SCALAR_F32:
		v->o = obj_f32(rnd_float());
		break;
	case LANG_SCALAR_F64:
		v->o = obj_f64(rnd_double());
		break;
	case LANG_SCALAR_VECTOR:
		n = 4 * rnd_below(40);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd_below(3);
		tv_bytes(v, buf, n, true);
		break;
	case LANG_SCALAR_BLOB:
		n = rnd_bytes(buf, rnd_below(4) == 0 ? 200 : 5);
		tv_bytes(v, buf, n, rnd() & 1);
		break;
	default:
		v->o = obj_int(rnd_int_in(s));
		break;
	}
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

/* ------------------------------------------------------------------------ */
/* Bounds                                                                    */

Test(index_keys, builders_flag_overflow_instead_of_writing_past_key_max)
{
	struct {
		struct key_buf k;
		uint8_t canary[64];
	} g;
	memset(&g, 0xa5, sizeof g);
	key_buf_init(&g.k);
	size_t puts = 0;
	while (!g.k.overflow) {
		key_put_u64(&g.k, UINT64_MAX);
		puts++;
	}
	cr_assert_eq(puts, KEY_MAX / 8 + 1);
	cr_assert_eq(g.k.len, KEY_MAX / 8 * 8);
	cr_assert_eq(key_buf_status(&g.k), GROVE_ETOOBIG);
	/* Sticky: later puts (even ones that would fit) write nothing. */
	size_t len = g.k.len;
	key_put_u8(&g.k, 1);
	key_put_bytes(&g.k, "", 0);
	key_put_null(&g.k);
	cr_assert_eq(g.k.len, len);
	for (size_t i = 0; i < sizeof g.canary; i++)
		cr_assert_eq(g.canary[i], 0xa5);
	/* Fill exactly to KEY_MAX: fine; one more byte: overflow. */
	key_buf_init(&g.k);
	uint8_t big[KEY_MAX];
	memset(big, 'x', sizeof big);
	key_put_bytes(&g.k, big, KEY_MAX - 2);
	cr_assert(!g.k.overflow && g.k.len == KEY_MAX);
	key_put_u8(&g.k, 0);
	cr_assert(g.k.overflow && g.k.len == KEY_MAX);
	/* A bytes value that does not fit writes nothing at all. */
	key_buf_init(&g.k);
	key_put_u8(&g.k, 9);
	key_put_bytes(&g.k, big, KEY_MAX - 2);
	cr_assert(g.k.overflow && g.k.len == 1);
	key_buf_init(&g.k);
	key_put_bytes(&g.k, big, KEY_MAX - 100);
	cr_assert(key_put_bytes_trunc(&g.k, big, 300));
	cr_assert(g.k.overflow && g.k.len == KEY_MAX - 98);
	for (size_t i = 0; i < sizeof g.canary; i++)
		cr_assert_eq(g.canary[i], 0xa5);
}

Test(index_keys, successor_is_the_smallest_key_above_every_extension)
{
	struct key_buf k = KEY_BUF_INIT;
	key_put_u8(&k, 0x01);
	key_put_u8(&k, 0xff);
	key_put_u8(&k, 0xff);
	cr_assert(key_successor(&k));
	cr_assert(k.len == 1 && k.b[0] == 0x02);
	key_buf_init(&k);
	key_put_u16(&k, 0xffff);
	cr_assert(!key_successor(&k));
	cr_assert_eq(k.len, 0);
	cr_assert(!key_successor(&k));
	key_put_u8(&k, 0x00);
	cr_assert(key_successor(&k) && k.len == 1 && k.b[0] == 0x01);
}

/* The next value of scalar s above (up) or below x; false at the end. */
static bool neighbour(struct num *out, enum lang_scalar s, struct num x, bool up)
{
	*out = x;
	if (s == LANG_SCALAR_F64) {
		if (isinf(x.d) && (x.d > 0) == up)
			return false;
		out->d = nextafter(x.d, up ? INFINITY : -INFINITY);
		return true;
	}
	if (s == LANG_SCALAR_F32) {
		if (isinf(x.d) && (x.d > 0) == up)
			return false;
		out->d = nextafterf((float)x.d, up ? INFINITY : -INFINITY);
		return true;
	}
	i128 min, max;
	int_range(s, &min, &max);
	if (up ? x.i == max : x.i == min)
		return false;
	out->i = up ? x.i + 1 : x.i - 1;
	return true;
}

/* The value of a key_put_bound() result, read back. */
static struct num bound_value(const struct key_buf *k, enum lang_scalar s)
{
	struct lang_type t = ty(s);
	struct key_reader r;
	struct key_value kv;
	key_reader_init(&r, k->b, k->len);
	cr_assert_eq(key_get_value(&kv, NULL, 0, &t, &r), 0);
	cr_assert(!kv.null && key_reader_left(&r) == 0);
	struct num n = { 0 };
	if (s == LANG_SCALAR_F32) {
		n.is_float = true;
		n.d = kv.as.f32;
	} else if (s == LANG_SCALAR_F64) {
		n.is_float = true;
		n.d = kv.as.f64;
	} else if (s == LANG_SCALAR_U32 || s == LANG_SCALAR_U64) {
		n.i = kv.as.u;
	} else {
		n.i = kv.as.i;
	}
	return n;
}

static msgpack_object rnd_query_number(void)
{
	static const i128 edge[] = {
		UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 1024, (i128)1 << 63, INT64_MAX,
		INT64_MAX - 511, INT64_MIN, INT64_MIN + 1, (i128)UINT32_MAX + 1, UINT32_MAX,
		INT32_MAX, (i128)INT32_MAX + 1, INT32_MIN, (i128)INT32_MIN - 1,
		((i128)1 << 53) + 1, -((i128)1 << 53) - 1, ((i128)1 << 24) + 1, 0, -1, 1,
	};
	switch (rnd_below(5)) {
	case 4: return obj_int(edge[rnd_below(sizeof edge / sizeof edge[0])]);
	case 0: return obj_int((i128)(int64_t)rnd() >> rnd_below(64));
	case 1: return obj_int(rnd() >> rnd_below(64));
	case 2: return obj_f32(rnd_float());
	default: return obj_f64(rnd_double());
	}
}

static const enum lang_scalar numeric_scalars[] = {
	LANG_SCALAR_I32, LANG_SCALAR_I64, LANG_SCALAR_U32, LANG_SCALAR_U64,
	LANG_SCALAR_F32, LANG_SCALAR_F64, LANG_SCALAR_DATE, LANG_SCALAR_DATETIME,
};

Test(index_keys, numeric_bounds_are_the_nearest_values_of_the_index_type)
{
	rng_init("numeric_bounds");
	size_t counts[4] = { 0 };
	for (int i = 0; i < 200000; i++) {
		enum lang_scalar s = numeric_scalars[rnd_below(8)];
		struct lang_type t = ty(s);
		msgpack_object q = rnd_query_number();
		enum key_round dir = rnd_below(2) ? KEY_ROUND_UP : KEY_ROUND_DOWN;
		bool up = dir == KEY_ROUND_UP;
		struct key_buf k = KEY_BUF_INIT;
		int rc = key_put_bound(&k, &t, &q, dir);
		cr_assert(rc >= 0 && rc <= KEY_BOUND_NONE, "rc %d", rc);
		counts[rc]++;
		struct num qn = num_of(&q);
		bool qnan = qn.is_float && isnan(qn.d);
		if (rc == KEY_BOUND_NONE) {
			cr_assert_eq(k.len, 0);
			if (qnan)
				continue;
			/* No value of s lies on that side of q. */
			cr_assert(is_int_scalar(s), "floats have ±inf on every side");
			i128 min, max;
			int_range(s, &min, &max);
			struct num edge = { .i = up ? max : min };
			cr_assert(up ? num_cmp(edge, qn) < 0 : num_cmp(edge, qn) > 0);
			continue;
		}
		cr_assert(!qnan);
		struct num x = bound_value(&k, s), next;
		int c = num_cmp(x, qn);
		cr_assert_eq(c == 0, rc == KEY_BOUND_EXACT,
			     "exact iff equal (scalar %d, q type %d, q %.17g/%" PRId64 ", x %.17g, rc %d)",
			     s, q.type, q.via.f64, q.via.i64, x.d, rc);
		cr_assert(up ? c >= 0 : c <= 0, "bound on the wrong side (scalar %d, up %d)", s, up);
		/* Nearest: the next value past x (toward q) is across q. */
		if (c != 0 && neighbour(&next, s, x, !up))
			cr_assert(up ? num_cmp(next, qn) < 0 : num_cmp(next, qn) > 0,
				  "not the nearest value (scalar %d, up %d)", s, up);
	}
	cr_assert(counts[0] && counts[1] && counts[2], "every outcome occurs");
}

Test(index_keys, bounds_of_strings_bools_and_incomparable_types)
{
	struct lang_type ts = ty(LANG_SCALAR_STRING), tb = ty(LANG_SCALAR_BOOL);
	struct lang_type tv = ty(LANG_SCALAR_VECTOR), tblob = ty(LANG_SCALAR_BLOB);
	struct lang_type ti = ty(LANG_SCALAR_I64), tl = ty(LANG_SCALAR_I64);
	tl.list = 1;
	msgpack_object s = obj_str("abc", 3), b = obj_bool(true), n = obj_int(1), nil = obj_nil();
	struct key_buf k = KEY_BUF_INIT, v = KEY_BUF_INIT;
	cr_assert_eq(key_put_bound(&k, &ts, &s, KEY_ROUND_UP), KEY_BOUND_EXACT);
	cr_assert_eq(key_put_value(&v, &ts, &s), 0);
	cr_assert(k.len == v.len && memcmp(k.b, v.b, k.len) == 0);
	cr_assert_eq(key_put_bound(&k, &tb, &b, KEY_ROUND_DOWN), KEY_BOUND_EXACT);
	key_buf_init(&k);
	cr_assert_eq(key_put_bound(&k, &ts, &n, KEY_ROUND_UP), GROVE_EINVAL);
	cr_assert_eq(key_put_bound(&k, &tb, &n, KEY_ROUND_UP), GROVE_EINVAL);
	cr_assert_eq(key_put_bound(&k, &ti, &s, KEY_ROUND_UP), GROVE_EINVAL);
	cr_assert_eq(key_put_bound(&k, &ti, &nil, KEY_ROUND_UP), GROVE_EINVAL);
	cr_assert_eq(key_put_bound(&k, &tv, &s, KEY_ROUND_UP), GROVE_EINVAL);
	cr_assert_eq(key_put_bound(&k, &tblob, &s, KEY_ROUND_UP), GROVE_EINVAL);
	cr_assert_eq(key_put_bound(&k, &tl, &n, KEY_ROUND_UP), GROVE_EINVAL);
	cr_assert_eq(k.len, 0);
	/* A long string's bound is its group prefix, the same both ways. */
	uint8_t lng[200];
	memset(lng, 'g', sizeof lng);
	msgpack_object l = obj_str(lng, sizeof lng);
	struct key_buf up = KEY_BUF_INIT, down = KEY_BUF_INIT, val = KEY_BUF_INIT;
	cr_assert_eq(key_put_bound(&up, &ts, &l, KEY_ROUND_UP), KEY_BOUND_GROUP);
	cr_assert_eq(key_put_bound(&down, &ts, &l, KEY_ROUND_DOWN), KEY_BOUND_GROUP);
	cr_assert_eq(key_put_value(&val, &ts, &l), 0);
	cr_assert(up.len == down.len && memcmp(up.b, down.b, up.len) == 0);
	cr_assert_eq(up.len + KEY_STR_HASH_BYTES, val.len);
	cr_assert(memcmp(up.b, val.b, up.len) == 0);
}

/* ------------------------------------------------------------------------ */
/* Scans built by the keys.h table find exactly the matching rows           */

enum op { OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ };

static const uint8_t scan_prefix[] = { 0, 0, 0, 1, 0, 0, 0, 2, 0, 3 };

static void put_prefix(struct key_buf *k)
{
	for (size_t i = 0; i < sizeof scan_prefix; i++)
		key_put_u8(k, scan_prefix[i]);
}

/* Build [S, E) per keys.h; false when the range is empty. */
static bool scan_range(struct key_buf *S, struct key_buf *E, bool *recheck,
		       const struct lang_type *t, const msgpack_object *q, enum op op)
{
	bool numeric = t->scalar != LANG_SCALAR_STRING;
	key_buf_init(S);
	key_buf_init(E);
	*recheck = false;
	/* The open ends: ±inf for numbers, the tag's range for Strings. */
	if (numeric) {
		msgpack_object ninf = obj_f64(-INFINITY), pinf = obj_f64(INFINITY);
		put_prefix(S);
		int rc = key_put_bound(S, t, &ninf, KEY_ROUND_UP);
		cr_assert(rc == KEY_BOUND_EXACT || rc == KEY_BOUND_ROUNDED);
		put_prefix(E);
		rc = key_put_bound(E, t, &pinf, KEY_ROUND_DOWN);
		cr_assert(rc == KEY_BOUND_EXACT || rc == KEY_BOUND_ROUNDED);
		cr_assert(key_successor(E));
	} else {
		put_prefix(S);
		key_put_u8(S, KEY_TAG_VALUE);
		put_prefix(E);
		key_put_u8(E, KEY_TAG_VALUE);
		cr_assert(key_successor(E));
	}
	struct key_buf k = KEY_BUF_INIT;
	put_prefix(&k);
	bool lower = op == OP_GE || op == OP_GT || op == OP_EQ;
	int rc = key_put_bound(&k, t, q, lower ? KEY_ROUND_UP : KEY_ROUND_DOWN);
	cr_assert(rc >= 0);
	if (rc == KEY_BOUND_NONE || (op == OP_EQ && rc == KEY_BOUND_ROUNDED))
		return false;
	*recheck = rc == KEY_BOUND_GROUP;
	struct key_buf succ = k;
	cr_assert(key_successor(&succ));
	switch (op) {
	case OP_GE: *S = k; break;
	case OP_GT: *S = rc == KEY_BOUND_EXACT ? succ : k; break;
	case OP_LE: *E = succ; break;
	case OP_LT: *E = rc == KEY_BOUND_EXACT ? k : succ; break;
	case OP_EQ: *S = k; *E = succ; break;
	}
	return true;
}

/* Does stored value v satisfy `v op q` (spec §7.3)? */
static bool satisfies(enum lang_scalar s, const msgpack_object *v, const msgpack_object *q, enum op op)
{
	int c;
	if (s == LANG_SCALAR_STRING) {
		c = bytes_cmp(v->via.str.ptr, v->via.str.size, q->via.str.ptr, q->via.str.size);
	} else {
		struct num a = num_of(v), b = num_of(q);
		if ((a.is_float && isnan(a.d)) || (b.is_float && isnan(b.d)))
			return false;
		c = num_cmp(a, b);
	}
	switch (op) {
	case OP_GE: return c >= 0;
	case OP_GT: return c > 0;
	case OP_LE: return c <= 0;
	case OP_LT: return c < 0;
	default:    return c == 0;
	}
}

Test(index_keys, range_scans_built_from_bounds_find_exactly_the_matching_rows)
{
	rng_init("scans");
	static const enum lang_scalar scalars[] = {
		LANG_SCALAR_I32, LANG_SCALAR_U32, LANG_SCALAR_U64, LANG_SCALAR_I64,
		LANG_SCALAR_F32, LANG_SCALAR_F64, LANG_SCALAR_STRING,
	};
	enum { ROWS = 300, QUERIES = 400 };
	struct tv *rows = calloc(ROWS, sizeof *rows);
	struct tv *qs = calloc(QUERIES, sizeof *qs);
	cr_assert(rows && qs);
	size_t rechecks = 0;
	for (size_t si = 0; si < sizeof scalars / sizeof scalars[0]; si++) {
		enum lang_scalar s = scalars[si];
		struct lang_type t = ty(s);
		/* Stored rows (no NULLs: a single-property index skips them),
		 * each key = prefix | value | entity | ~lsn. */
		for (size_t i = 0; i < ROWS; i++) {
			tv_random(&rows[i], s, 0);
			struct key_buf k = KEY_BUF_INIT;
			put_prefix(&k);
			cr_assert_eq(key_put_value(&k, &t, &rows[i].o), 0);
			key_put_u64(&k, rnd());
			key_put_inv_u64(&k, rnd());
			cr_assert_eq(key_buf_status(&k), 0);
			rows[i].enc_len = k.len;
			memcpy(rows[i].enc, k.b, k.len);
		}
		for (size_t qi = 0; qi < QUERIES; qi++) {
			/* Queries: other rows' values, or fresh numbers of any type. */
			if (s == LANG_SCALAR_STRING)
				tv_random(&qs[qi], s, 0);
			else if (rnd_below(3) == 0)
				qs[qi].o = rows[rnd_below(ROWS)].o;
			else
				qs[qi].o = rnd_query_number();
			for (int op = OP_GE; op <= OP_EQ; op++) {
				struct key_buf S, E;
				bool recheck;
				size_t want = 0, in_range = 0, found = 0;
				bool nonempty = scan_range(&S, &E, &recheck, &t, &qs[qi].o, op);
				for (size_t i = 0; i < ROWS; i++) {
					bool sat = satisfies(s, &rows[i].o, &qs[qi].o, op);
					want += sat;
					bool in = nonempty &&
						  key_cmp(rows[i].enc, rows[i].enc_len, S.b, S.len) >= 0 &&
						  key_cmp(rows[i].enc, rows[i].enc_len, E.b, E.len) < 0;
					in_range += in;
					if (sat && !in)
						cr_assert_fail("scalar %d op %d query %zu: row %zu missed",
							       s, op, qi, i);
					found += in && (sat || !recheck);
				}
				rechecks += recheck;
				cr_assert_eq(found, want, "scalar %d op %d query %zu: %zu rows, want %zu",
					     s, op, qi, found, want);
				if (!recheck)
					cr_assert_eq(in_range, want);
			}
		}
	}
	cr_assert(rechecks > 0, "long strings exercised the group case");
	free(rows);
	free(qs);
}

Test(index_keys, string_prefix_scans_find_exactly_the_strings_that_start_with_it)
{
	rng_init("starts_with");
	enum { ROWS = 400, QUERIES = 2000 };
	struct tv *rows = calloc(ROWS, sizeof *rows);
	cr_assert(rows != NULL);
	struct lang_type t = ty(LANG_SCALAR_STRING);
	for (size_t i = 0; i < ROWS; i++) {
		tv_random(&rows[i], LANG_SCALAR_STRING, 0);
		struct key_buf k = KEY_BUF_INIT;
		put_prefix(&k);
		cr_assert_eq(key_put_value(&k, &t, &rows[i].o), 0);
		key_put_u64(&k, i);
		key_put_inv_u64(&k, i);
		rows[i].enc_len = k.len;
		memcpy(rows[i].enc, k.b, k.len);
	}
	size_t groups = 0, hits = 0;
	for (size_t qi = 0; qi < QUERIES; qi++) {
		/* A prefix of some row (so matches exist), or random bytes. */
		const struct tv *src = &rows[rnd_below(ROWS)];
		uint8_t p[STR_CAP];
		size_t n;
		if (rnd_below(4)) {
			n = rnd_below(src->o.via.str.size + 1);
			memcpy(p, src->o.via.str.ptr, n);
		} else {
			n = rnd_bytes(p, 3);
		}
		struct key_buf S = KEY_BUF_INIT;
		put_prefix(&S);
		key_put_u8(&S, KEY_TAG_VALUE);
		int rc = key_put_str_prefix(&S, p, n);
		cr_assert(rc == KEY_BOUND_EXACT || rc == KEY_BOUND_GROUP);
		cr_assert_eq(rc == KEY_BOUND_GROUP, esc_len(p, n) > KEY_STR_INLINE_MAX);
		groups += rc == KEY_BOUND_GROUP;
		struct key_buf E = S;
		cr_assert(key_successor(&E));
		size_t want = 0, found = 0;
		for (size_t i = 0; i < ROWS; i++) {
			const msgpack_object *o = &rows[i].o;
			bool sat = o->via.str.size >= n && memcmp(o->via.str.ptr, p, n) == 0;
			bool in = key_cmp(rows[i].enc, rows[i].enc_len, S.b, S.len) >= 0 &&
				  key_cmp(rows[i].enc, rows[i].enc_len, E.b, E.len) < 0;
			cr_assert(!sat || in, "query %zu: row %zu missed", qi, i);
			cr_assert(sat || !in || rc == KEY_BOUND_GROUP, "query %zu: row %zu extra", qi, i);
			want += sat;
			found += in && sat;
		}
		cr_assert_eq(found, want);
		hits += want;
	}
	cr_assert(groups > 0 && hits > QUERIES);
	free(rows);
}
