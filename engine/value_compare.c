/*
 * engine/value_compare.c — ordering of stored values (spec §7.3).
 *
 * Numbers compare by their mathematical values across msgpack's integer
 * and float encodings without rounding either side: an int64/uint64 is
 * compared with a double through the double's integral part, which is
 * exact once the double is known to lie inside the integer's range.
 */
#include "engine/value.h"

#include <math.h>
#include <string.h>

#define TWO_POW_63 9223372036854775808.0
#define TWO_POW_64 18446744073709551616.0

static enum value_cmp sign3(int c)
{
	return c < 0 ? VALUE_LT : c > 0 ? VALUE_GT : VALUE_EQ;
}

static enum value_cmp flip(enum value_cmp c)
{
	return c == VALUE_LT ? VALUE_GT : c == VALUE_GT ? VALUE_LT : c;
}

static int is_float(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64;
}

static int is_int(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

/* NaN equals NaN and sorts above every number; -0 equals 0. */
static enum value_cmp cmp_double(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b) ? VALUE_EQ : isnan(a) ? VALUE_GT : VALUE_LT;
	return a < b ? VALUE_LT : a > b ? VALUE_GT : VALUE_EQ;
}

static enum value_cmp cmp_u64_double(uint64_t u, double d)
{
	if (isnan(d) || d >= TWO_POW_64)
		return VALUE_LT;
	if (d < 0)
		return VALUE_GT;
	double t = floor(d);   /* in [0, 2^64): exact as a uint64 */
	uint64_t ti = (uint64_t)t;
	if (u != ti)
		return u < ti ? VALUE_LT : VALUE_GT;
	return d > t ? VALUE_LT : VALUE_EQ;
}

static enum value_cmp cmp_i64_double(int64_t i, double d)
{
	if (isnan(d) || d >= TWO_POW_63)
		return VALUE_LT;
	if (d < -TWO_POW_63)
		return VALUE_GT;
	double t = floor(d);   /* in [-2^63, 2^63): exact as an int64 */
	int64_t ti = (int64_t)t;
	if (i != ti)
		return i < ti ? VALUE_LT : VALUE_GT;
	return d > t ? VALUE_LT : VALUE_EQ;
}

static enum value_cmp cmp_int_double(const msgpack_object *a, double d)
{
	if (a->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return cmp_u64_double(a->via.u64, d);
	return cmp_i64_double(a->via.i64, d);
}

static enum value_cmp cmp_ints(const msgpack_object *a, const msgpack_object *b)
{
	int an = a->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && a->via.i64 < 0;
	int bn = b->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && b->via.i64 < 0;
	if (an != bn)
		return an ? VALUE_LT : VALUE_GT;
	if (an)
		return sign3((a->via.i64 > b->via.i64) - (a->via.i64 < b->via.i64));
	/* Both non-negative; a NEGATIVE_INTEGER object holding >= 0 reads
	 * the same through u64. */
	uint64_t x = a->via.u64, y = b->via.u64;
	return sign3((x > y) - (x < y));
}

static enum value_cmp cmp_numbers(const msgpack_object *a, const msgpack_object *b)
{
	if (is_int(a) && is_int(b))
		return cmp_ints(a, b);
	if (is_float(a) && is_float(b))
		return cmp_double(a->via.f64, b->via.f64);
	if (is_int(a))
		return cmp_int_double(a, b->via.f64);
	return flip(cmp_int_double(b, a->via.f64));
}

static enum value_cmp cmp_bytes(const char *a, uint32_t an, const char *b, uint32_t bn)
{
	uint32_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;   /* an empty string's pointer may be NULL */
	return c != 0 ? sign3(c) : sign3((an > bn) - (an < bn));
}

static enum value_cmp cmp_arrays(const msgpack_object_array *a, const msgpack_object_array *b)
{
	uint32_t n = a->size < b->size ? a->size : b->size;
	for (uint32_t i = 0; i < n; i++) {
		enum value_cmp c = value_compare(&a->ptr[i], &b->ptr[i]);
		if (c != VALUE_EQ)
			return c;
	}
	return sign3((a->size > b->size) - (a->size < b->size));
}

enum value_cmp value_compare(const msgpack_object *a, const msgpack_object *b)
{
	if (a->type == MSGPACK_OBJECT_NIL || b->type == MSGPACK_OBJECT_NIL)
		return VALUE_NULL;
	if ((is_int(a) || is_float(a)) && (is_int(b) || is_float(b)))
		return cmp_numbers(a, b);
	if (a->type != b->type)
		return VALUE_INCOMPARABLE;
	switch (a->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		return sign3((int)a->via.boolean - (int)b->via.boolean);
	case MSGPACK_OBJECT_STR:
		return cmp_bytes(a->via.str.ptr, a->via.str.size, b->via.str.ptr, b->via.str.size);
	case MSGPACK_OBJECT_BIN:
		return cmp_bytes(a->via.bin.ptr, a->via.bin.size, b->via.bin.ptr, b->via.bin.size);
	case MSGPACK_OBJECT_ARRAY:
		return cmp_arrays(&a->via.array, &b->via.array);
	default:
		return VALUE_INCOMPARABLE;
	}
}
