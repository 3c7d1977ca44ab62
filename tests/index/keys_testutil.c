/* keys_testutil.c — see keys_testutil.h. */
#include "keys_testutil.h"

#include <criterion/criterion.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_DEFAULT 0x6b6579735eedULL   /* "keys" + "seed" */

/* ------------------------------------------------------------------------ */
/* PRNG (splitmix64)                                                         */

static uint64_t rng_state;

void rng_init(const char *test)
{
	const char *env = getenv("GROVE_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : SEED_DEFAULT;
	fprintf(stderr, "test_keys %s: seed 0x%" PRIx64 "\n", test, seed);
	rng_state = seed;
}

uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rnd_below(uint64_t n) { return rnd() % n; }

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

int sgn(i128 x) { return (x > 0) - (x < 0); }

/* LMDB's default order: memcmp over the common length, then length. */
int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return sgn((i128)an - (i128)bn);
}

int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	return key_cmp(a, an, b, bn);
}

struct lang_type ty(enum lang_scalar s)
{
	struct lang_type t = { .scalar = (uint8_t)s, .nullable = 1 };
	return t;
}

msgpack_object obj_nil(void)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_NIL };
	return o;
}

msgpack_object obj_int(i128 v)
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

msgpack_object obj_f64(double v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT64 };
	o.via.f64 = v;
	return o;
}

msgpack_object obj_f32(float v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_FLOAT32 };
	o.via.f64 = v;
	return o;
}

msgpack_object obj_bool(bool v)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_BOOLEAN };
	o.via.boolean = v;
	return o;
}

msgpack_object obj_str(const void *p, size_t n)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_STR };
	o.via.str.ptr = p;
	o.via.str.size = (uint32_t)n;
	return o;
}

msgpack_object obj_bin(const void *p, size_t n)
{
	msgpack_object o = { .type = MSGPACK_OBJECT_BIN };
	o.via.bin.ptr = p;
	o.via.bin.size = (uint32_t)n;
	return o;
}

i128 obj_int_value(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (i128)o->via.u64 : (i128)o->via.i64;
}

void int_range(enum lang_scalar s, i128 *min, i128 *max)
{
	switch (s) {
	case LANG_SCALAR_I32: case LANG_SCALAR_DATE: *min = INT32_MIN; *max = INT32_MAX; break;
	case LANG_SCALAR_I64: case LANG_SCALAR_DATETIME: *min = INT64_MIN; *max = INT64_MAX; break;
	case LANG_SCALAR_U32: *min = 0; *max = UINT32_MAX; break;
	case LANG_SCALAR_U64: *min = 0; *max = UINT64_MAX; break;
	default: cr_assert_fail("not an integer scalar");
	}
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
int value_cmp(enum lang_scalar s, const msgpack_object *a, const msgpack_object *b)
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
/* Random typed values                                                      */

void tv_bytes(struct tv *v, const void *p, size_t n, bool bin)
{
	cr_assert(n <= STR_CAP);
	memcpy(v->data, p, n);
	v->o = bin ? obj_bin(v->data, n) : obj_str(v->data, n);
}

/* Random bytes over a small alphabet rich in 0x00, 0x01 and 0xFF, so that
 * prefixes, embedded zeros and escape neighbours are frequent. */
size_t rnd_bytes(uint8_t *out, size_t max_len)
{
	static const uint8_t alphabet[] = { 0x00, 0x01, 'a', 'b', 0xFE, 0xFF };
	size_t n = rnd_below(max_len + 1);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rnd_below(sizeof alphabet)];
	return n;
}

/* Escaped length, computed independently of keys.c. */
size_t esc_len(const uint8_t *p, size_t n)
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

double rnd_double(void)
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

float rnd_float(void)
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
void tv_random(struct tv *v, enum lang_scalar s, unsigned nil_in)
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
