/* test_keys_bounds.c — bounds over index keys (index/keys.h): builders
 * never overflow KEY_MAX, successors, query bounds that round numbers
 * mathematically to the nearest value of the index type, and range and
 * prefix scans built from them that find exactly the matching rows.
 *
 * Random values come from a seeded PRNG; the seed is printed by every test
 * and can be replaced with GROVE_TEST_SEED=<number> to reproduce a failure. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/keys.h"
#include "keys_testutil.h"

/* ------------------------------------------------------------------------ */
/* Numbers compared mathematically                                           */

static bool obj_is_int(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	       o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

static bool is_int_scalar(enum lang_scalar s)
{
	return s == LANG_SCALAR_I32 || s == LANG_SCALAR_I64 || s == LANG_SCALAR_U32 ||
	       s == LANG_SCALAR_U64 || s == LANG_SCALAR_DATE || s == LANG_SCALAR_DATETIME;
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

TestSuite(index_keys);

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
