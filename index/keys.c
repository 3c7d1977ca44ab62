/* keys.c — order-preserving key encodings (see keys.h). */
#include "index/keys.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <string.h>
#include <xxhash.h>

#include "grove.h"

#ifndef __SIZEOF_INT128__
#error "keys.c compares query numbers exactly with __int128"
#endif

typedef __int128 i128;

#define SIGN64 ((uint64_t)1 << 63)
#define SIGN32 ((uint32_t)1 << 31)

/* Escape pairs and terminators of the bytes encoding (keys.h). */
#define ESC      0x00u
#define ESC_ZERO 0xFFu    /* 0x00 0xFF: an embedded zero byte          */
#define ESC_END  0x00u    /* 0x00 0x00: end of a whole value           */
#define ESC_TRUNC 0x01u   /* 0x00 0x01: end of a truncated prefix, hash */

_Static_assert(ESC_END < ESC_TRUNC && ESC_TRUNC < ESC_ZERO,
	       "a value sorts before its truncation group, both before longer strings");

/* ------------------------------------------------------------------------ */
/* Builders                                                                  */

void key_buf_init(struct key_buf *k)
{
	k->len = 0;
	k->overflow = false;
}

int key_buf_status(const struct key_buf *k)
{
	assert(k->len <= KEY_MAX);
	return k->overflow ? GROVE_ETOOBIG : 0;
}

/* Room for n more bytes?  If not, mark the key overflowed: nothing of this
 * put is written and every later put is ignored. */
static bool reserve(struct key_buf *k, size_t n)
{
	assert(k->len <= KEY_MAX);
	if (k->overflow)
		return false;
	if (n > KEY_MAX - k->len) {
		k->overflow = true;
		return false;
	}
	return true;
}

static void put_be(struct key_buf *k, uint64_t v, unsigned bytes)
{
	if (!reserve(k, bytes))
		return;
	for (unsigned i = 0; i < bytes; i++)
		k->b[k->len + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	k->len += bytes;
}

void key_put_u8(struct key_buf *k, uint8_t v) { put_be(k, v, 1); }
void key_put_u16(struct key_buf *k, uint16_t v) { put_be(k, v, 2); }
void key_put_u32(struct key_buf *k, uint32_t v) { put_be(k, v, 4); }
void key_put_u64(struct key_buf *k, uint64_t v) { put_be(k, v, 8); }
void key_put_inv_u64(struct key_buf *k, uint64_t v) { put_be(k, ~v, 8); }
void key_put_i32(struct key_buf *k, int32_t v) { put_be(k, (uint32_t)v ^ SIGN32, 4); }
void key_put_i64(struct key_buf *k, int64_t v) { put_be(k, (uint64_t)v ^ SIGN64, 8); }
void key_put_bool(struct key_buf *k, bool v) { put_be(k, v ? 1 : 0, 1); }
void key_put_null(struct key_buf *k) { put_be(k, KEY_TAG_NULL, 1); }

/* The IEEE total order trick: after it, unsigned comparison of the bits is
 * numeric comparison of the values.  -0.0 becomes +0.0 first, NaN the
 * all-ones pattern (after +inf's 0xFFF0...). */
static uint64_t f64_order_bits(double v)
{
	if (isnan(v))
		return UINT64_MAX;
	if (v == 0)
		v = 0.0;
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	return (bits & SIGN64) ? ~bits : bits | SIGN64;
}

static uint32_t f32_order_bits(float v)
{
	if (isnan(v))
		return UINT32_MAX;
	if (v == 0)
		v = 0.0f;
	uint32_t bits;
	memcpy(&bits, &v, sizeof bits);
	return (bits & SIGN32) ? ~bits : bits | SIGN32;
}

void key_put_f64(struct key_buf *k, double v) { put_be(k, f64_order_bits(v), 8); }
void key_put_f32(struct key_buf *k, float v) { put_be(k, f32_order_bits(v), 4); }

/* Escaped length of p[0..n): one byte each, two for a zero. */
static size_t escaped_len(const uint8_t *p, size_t n)
{
	size_t e = n;
	for (size_t i = 0; i < n; i++)
		e += p[i] == 0;
	return e;
}

/* The longest prefix of p[0..n) whose escaped form fits `max` bytes. */
static size_t prefix_fitting(const uint8_t *p, size_t n, size_t max)
{
	size_t e = 0, i = 0;
	for (; i < n; i++) {
		size_t c = p[i] == 0 ? 2 : 1;
		if (e + c > max)
			break;
		e += c;
	}
	return i;
}

/* Append escaped p[0..n); the caller reserved `elen` = escaped_len bytes. */
static void write_escaped(struct key_buf *k, const uint8_t *p, size_t n, size_t elen)
{
	uint8_t *o = k->b + k->len;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == 0) {
			*o++ = ESC;
			*o++ = ESC_ZERO;
		} else {
			*o++ = p[i];
		}
	}
	assert((size_t)(o - (k->b + k->len)) == elen);
	k->len += elen;
}

void key_put_bytes(struct key_buf *k, const void *p, size_t n)
{
	assert(p != NULL || n == 0);
	size_t elen = escaped_len(p, n);
	if (!reserve(k, elen + 2))
		return;
	write_escaped(k, p, n, elen);
	k->b[k->len++] = ESC;
	k->b[k->len++] = ESC_END;
}

void key_put_str(struct key_buf *k, const char *s)
{
	key_put_bytes(k, s, strlen(s));
}

/* Escaped prefix of a long value, the truncation marker; no hash. */
static void put_group_prefix(struct key_buf *k, const uint8_t *p, size_t n)
{
	size_t cut = prefix_fitting(p, n, KEY_STR_INLINE_MAX);
	size_t elen = escaped_len(p, cut);
	assert(elen + 2 > KEY_STR_INLINE_MAX || cut == n);
	if (!reserve(k, elen + 2))
		return;
	write_escaped(k, p, cut, elen);
	k->b[k->len++] = ESC;
	k->b[k->len++] = ESC_TRUNC;
}

bool key_put_bytes_trunc(struct key_buf *k, const void *p, size_t n)
{
	assert(p != NULL || n == 0);
	if (escaped_len(p, n) <= KEY_STR_INLINE_MAX) {
		key_put_bytes(k, p, n);
		return false;
	}
	/* Room for the whole encoding, so an overflow writes nothing. */
	size_t elen = escaped_len(p, prefix_fitting(p, n, KEY_STR_INLINE_MAX));
	if (!reserve(k, elen + 2 + KEY_STR_HASH_BYTES))
		return true;
	put_group_prefix(k, p, n);
	key_put_u64(k, XXH3_64bits(p, n));
	return true;
}

int key_put_str_prefix(struct key_buf *k, const void *p, size_t n)
{
	assert(p != NULL || n == 0);
	size_t elen = escaped_len(p, n);
	if (elen <= KEY_STR_INLINE_MAX) {
		if (reserve(k, elen))
			write_escaped(k, p, n, elen);
		return KEY_BOUND_EXACT;
	}
	put_group_prefix(k, p, n);
	return KEY_BOUND_GROUP;
}

bool key_successor(struct key_buf *k)
{
	assert(!k->overflow && k->len <= KEY_MAX);
	while (k->len > 0 && k->b[k->len - 1] == 0xFF)
		k->len--;
	if (k->len == 0)
		return false;
	k->b[k->len - 1]++;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Typed values                                                              */

static bool is_int(const msgpack_object *v)
{
	return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	       v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

static bool is_float(const msgpack_object *v)
{
	return v->type == MSGPACK_OBJECT_FLOAT32 || v->type == MSGPACK_OBJECT_FLOAT64;
}

/* A msgpack integer as a mathematical value in [-2^63, 2^64). */
static i128 int_value(const msgpack_object *v)
{
	assert(is_int(v));
	return v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (i128)v->via.u64 : (i128)v->via.i64;
}

/* The range of an integer-valued scalar; false for other scalars. */
static bool int_range(enum lang_scalar s, i128 *min, i128 *max)
{
	switch (s) {
	case LANG_SCALAR_I32:
	case LANG_SCALAR_DATE:     *min = INT32_MIN; *max = INT32_MAX; return true;
	case LANG_SCALAR_I64:
	case LANG_SCALAR_DATETIME: *min = INT64_MIN; *max = INT64_MAX; return true;
	case LANG_SCALAR_U32:      *min = 0; *max = UINT32_MAX; return true;
	case LANG_SCALAR_U64:      *min = 0; *max = UINT64_MAX; return true;
	default:                   return false;
	}
}

/* Append an integer scalar's encoding; v is within int_range(s). */
static void put_int(struct key_buf *k, enum lang_scalar s, i128 v)
{
	switch (s) {
	case LANG_SCALAR_I32:
	case LANG_SCALAR_DATE:     key_put_i32(k, (int32_t)v); break;
	case LANG_SCALAR_I64:
	case LANG_SCALAR_DATETIME: key_put_i64(k, (int64_t)v); break;
	case LANG_SCALAR_U32:      key_put_u32(k, (uint32_t)v); break;
	case LANG_SCALAR_U64:      key_put_u64(k, (uint64_t)v); break;
	default:                   assert(!"not an integer scalar");
	}
}

/* Type-check `v` against `t` (not nil, not a list) without writing. */
static bool value_fits(const struct lang_type *t, const msgpack_object *v)
{
	i128 min, max;
	if (int_range(t->scalar, &min, &max)) {
		if (!is_int(v))
			return false;
		i128 x = int_value(v);
		return x >= min && x <= max;
	}
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
		return v->type == MSGPACK_OBJECT_STR;
	case LANG_SCALAR_BOOL:
		return v->type == MSGPACK_OBJECT_BOOLEAN;
	case LANG_SCALAR_F32:
		if (v->type == MSGPACK_OBJECT_FLOAT32)
			return true;
		/* A float 64 only if it is exactly a float 32 (the range check
		 * first: converting an out-of-range double to float is UB). */
		return v->type == MSGPACK_OBJECT_FLOAT64 &&
		       (isnan(v->via.f64) || isinf(v->via.f64) ||
			(v->via.f64 >= -FLT_MAX && v->via.f64 <= FLT_MAX &&
			 (double)(float)v->via.f64 == v->via.f64));
	case LANG_SCALAR_F64:
		return is_float(v);
	case LANG_SCALAR_VECTOR:
		return v->type == MSGPACK_OBJECT_BIN &&
		       (t->vector_dim == 0 || v->via.bin.size == 4 * (uint64_t)t->vector_dim);
	case LANG_SCALAR_BLOB:
		return v->type == MSGPACK_OBJECT_BIN || v->type == MSGPACK_OBJECT_STR;
	default:
		return false;
	}
}

int key_put_value(struct key_buf *k, const struct lang_type *t, const msgpack_object *v)
{
	assert(k != NULL && t != NULL && v != NULL);
	if (t->list || t->scalar == LANG_SCALAR_NONE || t->scalar >= LANG_SCALAR__COUNT)
		return GROVE_EINVAL;
	if (v->type == MSGPACK_OBJECT_NIL) {
		key_put_null(k);
		return key_buf_status(k);
	}
	if (!value_fits(t, v))
		return GROVE_EINVAL;
	key_put_u8(k, KEY_TAG_VALUE);
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
		key_put_bytes_trunc(k, v->via.str.ptr, v->via.str.size);
		break;
	case LANG_SCALAR_BOOL:
		key_put_bool(k, v->via.boolean);
		break;
	case LANG_SCALAR_F32:
		key_put_f32(k, (float)v->via.f64);
		break;
	case LANG_SCALAR_F64:
		key_put_f64(k, v->via.f64);
		break;
	case LANG_SCALAR_VECTOR:
		key_put_bytes_trunc(k, v->via.bin.ptr, v->via.bin.size);
		break;
	case LANG_SCALAR_BLOB:
		if (v->type == MSGPACK_OBJECT_BIN) {
			key_put_u8(k, KEY_BLOB_BYTES);
			key_put_bytes_trunc(k, v->via.bin.ptr, v->via.bin.size);
		} else {
			key_put_u8(k, KEY_BLOB_URI);
			key_put_bytes_trunc(k, v->via.str.ptr, v->via.str.size);
		}
		break;
	default:
		put_int(k, t->scalar, int_value(v));
		break;
	}
	return key_buf_status(k);
}

/* ------------------------------------------------------------------------ */
/* Query bounds: numbers round into the index's type mathematically.        */

/* The integer of `s` nearest to q in direction `dir` (q an integer). */
static int round_int_int(i128 *out, enum lang_scalar s, i128 q, enum key_round dir)
{
	i128 min, max;
	bool ok = int_range(s, &min, &max);
	assert(ok);
	(void)ok;
	if (q >= min && q <= max) {
		*out = q;
		return KEY_BOUND_EXACT;
	}
	if (dir == KEY_ROUND_DOWN) {
		if (q < min)
			return KEY_BOUND_NONE;
		*out = max;
	} else {
		if (q > max)
			return KEY_BOUND_NONE;
		*out = min;
	}
	return KEY_BOUND_ROUNDED;
}

/* The integer of `s` nearest to q in direction `dir` (q a double).  The
 * bounds of every range are powers of two (or 0), so exact as doubles. */
static int round_int_double(i128 *out, enum lang_scalar s, double q, enum key_round dir)
{
	i128 min, max;
	bool ok = int_range(s, &min, &max);
	assert(ok);
	(void)ok;
	if (isnan(q))
		return KEY_BOUND_NONE;
	double lo = (double)min, hi_excl = (double)(max + 1);
	if (q < lo) {
		if (dir == KEY_ROUND_DOWN)
			return KEY_BOUND_NONE;
		*out = min;
		return KEY_BOUND_ROUNDED;
	}
	if (q >= hi_excl) {
		if (dir == KEY_ROUND_UP)
			return KEY_BOUND_NONE;
		*out = max;
		return KEY_BOUND_ROUNDED;
	}
	/* -2^63 <= q < 2^64: truncation to i128 is defined and exact in its
	 * integer part; floor and ceil follow from it without libm. */
	i128 t = (i128)q;
	if ((double)t == q) {
		*out = t;
		return KEY_BOUND_EXACT;
	}
	if (dir == KEY_ROUND_DOWN) {
		*out = q < 0 ? t - 1 : t;       /* >= min: min is an integer <= q */
	} else {
		*out = q > 0 ? t + 1 : t;
		if (*out > max)
			return KEY_BOUND_NONE;  /* max < q < max + 1 */
	}
	return KEY_BOUND_ROUNDED;
}

/* The next double after the finite d toward +inf (up) or -inf; stepping the
 * bits instead of calling nextafter() keeps libm out of the index layer. */
static double step_double(double d, bool up)
{
	assert(!isnan(d) && !isinf(d));
	uint64_t bits;
	if (d == 0) {
		bits = up ? 1 : SIGN64 | 1;   /* the smallest subnormals */
	} else {
		memcpy(&bits, &d, sizeof bits);
		bits = (d > 0) == up ? bits + 1 : bits - 1;
	}
	memcpy(&d, &bits, sizeof d);
	return d;
}

static float step_float(float f, bool up)
{
	assert(!isnan(f) && !isinf(f));
	uint32_t bits;
	if (f == 0) {
		bits = up ? 1 : SIGN32 | 1;
	} else {
		memcpy(&bits, &f, sizeof bits);
		bits = (f > 0) == up ? bits + 1 : bits - 1;
	}
	memcpy(&f, &bits, sizeof f);
	return f;
}

/* The double nearest to the integer q in direction `dir` (always exists). */
static int round_double_int(double *out, i128 q, enum key_round dir)
{
	assert(q >= INT64_MIN && q <= (i128)UINT64_MAX);
	double d = q < 0 ? (double)(int64_t)q : (double)(uint64_t)q;   /* to nearest */
	int c;   /* sign(d - q), exactly */
	if (d >= 18446744073709551616.0) {
		c = 1;                     /* 2^64 > every q */
	} else {
		/* |d| >= 2^53 means d is integral; below that d == q. */
		i128 di = (i128)d;
		c = (di > q) - (di < q);
	}
	if (c == 0) {
		*out = d;
		return KEY_BOUND_EXACT;
	}
	if (dir == KEY_ROUND_DOWN)
		*out = c < 0 ? d : step_double(d, false);
	else
		*out = c > 0 ? d : step_double(d, true);
	return KEY_BOUND_ROUNDED;
}

/* The float nearest to the double q in direction `dir` (q not NaN). */
static int round_float_double(float *out, double q, enum key_round dir)
{
	assert(!isnan(q));
	if (isinf(q)) {
		*out = (float)q;
		return KEY_BOUND_EXACT;
	}
	if (q > FLT_MAX) {
		*out = dir == KEY_ROUND_DOWN ? FLT_MAX : INFINITY;
		return KEY_BOUND_ROUNDED;
	}
	if (q < -FLT_MAX) {
		*out = dir == KEY_ROUND_DOWN ? -INFINITY : -FLT_MAX;
		return KEY_BOUND_ROUNDED;
	}
	float f = (float)q;   /* in range: rounds to nearest */
	double fd = f;        /* widening is exact */
	if (fd == q) {
		*out = f;
		return KEY_BOUND_EXACT;
	}
	if (dir == KEY_ROUND_DOWN)
		*out = fd < q ? f : step_float(f, false);
	else
		*out = fd > q ? f : step_float(f, true);
	return KEY_BOUND_ROUNDED;
}

/* Numeric bound of q for numeric scalar `s`. */
static int put_num_bound(struct key_buf *k, enum lang_scalar s, const msgpack_object *q,
			 enum key_round dir)
{
	int rc;
	if (s == LANG_SCALAR_F32 || s == LANG_SCALAR_F64) {
		double d;
		if (is_float(q)) {
			if (isnan(q->via.f64))
				return KEY_BOUND_NONE;
			d = q->via.f64;
			rc = KEY_BOUND_EXACT;
		} else {
			rc = round_double_int(&d, int_value(q), dir);
		}
		if (s == LANG_SCALAR_F64) {
			key_put_u8(k, KEY_TAG_VALUE);
			key_put_f64(k, d);
			return rc;
		}
		/* Rounding down to a double and then down to a float gives the
		 * largest float <= q: no float lies strictly between. */
		float f;
		int rc32 = round_float_double(&f, d, dir);
		key_put_u8(k, KEY_TAG_VALUE);
		key_put_f32(k, f);
		return rc == KEY_BOUND_EXACT ? rc32 : KEY_BOUND_ROUNDED;
	}
	i128 v;
	rc = is_float(q) ? round_int_double(&v, s, q->via.f64, dir)
			 : round_int_int(&v, s, int_value(q), dir);
	if (rc == KEY_BOUND_NONE)
		return rc;
	key_put_u8(k, KEY_TAG_VALUE);
	put_int(k, s, v);
	return rc;
}

int key_put_bound(struct key_buf *k, const struct lang_type *t, const msgpack_object *q,
		  enum key_round dir)
{
	assert(k != NULL && t != NULL && q != NULL);
	assert(dir == KEY_ROUND_DOWN || dir == KEY_ROUND_UP);
	if (t->list)
		return GROVE_EINVAL;
	int rc;
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
		if (q->type != MSGPACK_OBJECT_STR)
			return GROVE_EINVAL;
		key_put_u8(k, KEY_TAG_VALUE);
		if (escaped_len((const uint8_t *)q->via.str.ptr, q->via.str.size) <= KEY_STR_INLINE_MAX) {
			key_put_bytes(k, q->via.str.ptr, q->via.str.size);
			rc = KEY_BOUND_EXACT;
		} else {
			put_group_prefix(k, (const uint8_t *)q->via.str.ptr, q->via.str.size);
			rc = KEY_BOUND_GROUP;
		}
		break;
	case LANG_SCALAR_BOOL:
		if (q->type != MSGPACK_OBJECT_BOOLEAN)
			return GROVE_EINVAL;
		key_put_u8(k, KEY_TAG_VALUE);
		key_put_bool(k, q->via.boolean);
		rc = KEY_BOUND_EXACT;
		break;
	case LANG_SCALAR_I32: case LANG_SCALAR_I64: case LANG_SCALAR_U32:
	case LANG_SCALAR_U64: case LANG_SCALAR_F32: case LANG_SCALAR_F64:
	case LANG_SCALAR_DATE: case LANG_SCALAR_DATETIME:
		if (!is_int(q) && !is_float(q))
			return GROVE_EINVAL;
		rc = put_num_bound(k, t->scalar, q, dir);
		break;
	default:
		return GROVE_EINVAL;   /* NONE, Vector, Blob: not comparable */
	}
	int st = key_buf_status(k);
	return st < 0 ? st : rc;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */

void key_reader_init(struct key_reader *r, const void *p, size_t len)
{
	assert(p != NULL || len == 0);
	r->p = p;
	r->len = len;
	r->off = 0;
}

size_t key_reader_left(const struct key_reader *r)
{
	assert(r->off <= r->len);
	return r->len - r->off;
}

static int get_be(uint64_t *out, struct key_reader *r, unsigned bytes)
{
	if (key_reader_left(r) < bytes)
		return GROVE_ECORRUPT;
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | r->p[r->off + i];
	r->off += bytes;
	*out = v;
	return 0;
}

#define GETTER(name, type, bytes, expr)                              \
	int name(type *out, struct key_reader *r)                    \
	{                                                            \
		uint64_t v;                                          \
		int rc = get_be(&v, r, bytes);                       \
		if (rc == 0)                                         \
			*out = (type)(expr);                         \
		return rc;                                           \
	}

GETTER(key_get_u8, uint8_t, 1, v)
GETTER(key_get_u16, uint16_t, 2, v)
GETTER(key_get_u32, uint32_t, 4, v)
GETTER(key_get_u64, uint64_t, 8, v)
GETTER(key_get_inv_u64, uint64_t, 8, ~v)
GETTER(key_get_i32, int32_t, 4, (int32_t)((uint32_t)v ^ SIGN32))
GETTER(key_get_i64, int64_t, 8, (int64_t)(v ^ SIGN64))

int key_get_bool(bool *out, struct key_reader *r)
{
	uint64_t v;
	int rc = get_be(&v, r, 1);
	if (rc < 0)
		return rc;
	if (v > 1)
		return GROVE_ECORRUPT;
	*out = v == 1;
	return 0;
}

/* Floats: only what key_put_f* writes is accepted (no -0.0, one NaN). */
int key_get_f64(double *out, struct key_reader *r)
{
	uint64_t e;
	int rc = get_be(&e, r, 8);
	if (rc < 0)
		return rc;
	uint64_t bits = (e & SIGN64) ? e & ~SIGN64 : ~e;
	double v;
	memcpy(&v, &bits, sizeof v);
	if (isnan(v) ? e != UINT64_MAX : bits == SIGN64)
		return GROVE_ECORRUPT;
	*out = v;
	return 0;
}

int key_get_f32(float *out, struct key_reader *r)
{
	uint64_t e64;
	int rc = get_be(&e64, r, 4);
	if (rc < 0)
		return rc;
	uint32_t e = (uint32_t)e64;
	uint32_t bits = (e & SIGN32) ? e & ~SIGN32 : ~e;
	float v;
	memcpy(&v, &bits, sizeof v);
	if (isnan(v) ? e != UINT32_MAX : bits == SIGN32)
		return GROVE_ECORRUPT;
	*out = v;
	return 0;
}

int key_get_bytes(struct key_bytes *out, uint8_t *buf, size_t buf_cap, struct key_reader *r)
{
	size_t n = 0;
	for (;;) {
		if (key_reader_left(r) < 1)
			return GROVE_ECORRUPT;   /* no terminator */
		uint8_t c = r->p[r->off++];
		if (c == ESC) {
			if (key_reader_left(r) < 1)
				return GROVE_ECORRUPT;
			uint8_t e = r->p[r->off++];
			if (e == ESC_END) {
				out->truncated = false;
				out->hash = 0;
				break;
			}
			if (e == ESC_TRUNC) {
				out->truncated = true;
				int rc = key_get_u64(&out->hash, r);
				if (rc < 0)
					return rc;
				break;
			}
			if (e != ESC_ZERO)
				return GROVE_ECORRUPT;
			c = 0;
		}
		if (buf != NULL) {
			if (n == buf_cap)
				return GROVE_ETOOBIG;
			buf[n] = c;
		}
		n++;
	}
	out->len = n;
	return 0;
}

/* A typed bytes value must be as key_put_bytes_trunc wrote it: whole when
 * its escaped body fits, truncated exactly where the cut falls otherwise. */
static int get_value_bytes(struct key_bytes *out, uint8_t *buf, size_t buf_cap,
			   struct key_reader *r)
{
	size_t start = r->off;
	int rc = key_get_bytes(out, buf, buf_cap, r);
	if (rc < 0)
		return rc;
	size_t elen = r->off - start - 2 - (out->truncated ? KEY_STR_HASH_BYTES : 0);
	if (elen > KEY_STR_INLINE_MAX)
		return GROVE_ECORRUPT;
	if (out->truncated && elen + 2 <= KEY_STR_INLINE_MAX)
		return GROVE_ECORRUPT;   /* one more byte would have fitted */
	return 0;
}

static int get_int_value(struct key_value *out, enum lang_scalar s, struct key_reader *r)
{
	int rc;
	switch (s) {
	case LANG_SCALAR_I32:
	case LANG_SCALAR_DATE: {
		int32_t v;
		rc = key_get_i32(&v, r);
		out->as.i = v;
		return rc;
	}
	case LANG_SCALAR_I64:
	case LANG_SCALAR_DATETIME:
		return key_get_i64(&out->as.i, r);
	case LANG_SCALAR_U32: {
		uint32_t v;
		rc = key_get_u32(&v, r);
		out->as.u = v;
		return rc;
	}
	case LANG_SCALAR_U64:
		return key_get_u64(&out->as.u, r);
	default:
		return GROVE_EINVAL;
	}
}

int key_get_value(struct key_value *out, uint8_t *buf, size_t buf_cap,
		  const struct lang_type *t, struct key_reader *r)
{
	assert(out != NULL && t != NULL && r != NULL);
	if (t->list || t->scalar == LANG_SCALAR_NONE || t->scalar >= LANG_SCALAR__COUNT)
		return GROVE_EINVAL;
	memset(out, 0, sizeof *out);
	out->scalar = t->scalar;
	uint8_t tag;
	int rc = key_get_u8(&tag, r);
	if (rc < 0)
		return rc;
	if (tag == KEY_TAG_NULL) {
		out->null = true;
		return 0;
	}
	if (tag != KEY_TAG_VALUE)
		return GROVE_ECORRUPT;
	switch (t->scalar) {
	case LANG_SCALAR_STRING:
	case LANG_SCALAR_VECTOR:
		return get_value_bytes(&out->as.bytes, buf, buf_cap, r);
	case LANG_SCALAR_BLOB:
		if ((rc = key_get_u8(&out->blob_kind, r)) < 0)
			return rc;
		if (out->blob_kind != KEY_BLOB_BYTES && out->blob_kind != KEY_BLOB_URI)
			return GROVE_ECORRUPT;
		return get_value_bytes(&out->as.bytes, buf, buf_cap, r);
	case LANG_SCALAR_BOOL:
		return key_get_bool(&out->as.b, r);
	case LANG_SCALAR_F32:
		return key_get_f32(&out->as.f32, r);
	case LANG_SCALAR_F64:
		return key_get_f64(&out->as.f64, r);
	default:
		return get_int_value(out, t->scalar, r);
	}
}
