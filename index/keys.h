/*
 * keys.h — order-preserving key encodings for the LMDB views (DESIGN.md §4).
 *
 * LMDB compares keys with memcmp (the views use the default comparator), so
 * every key is built from encodings whose byte order is the order we scan in:
 * for any two values a and b of the same type,
 *
 *     sign(memcmp(enc(a), enc(b))) == sign(compare(a, b))
 *
 * and every encoding is self-delimiting, so a concatenation of encodings
 * (a composite key, or a value followed by entity id and ~lsn) sorts member
 * by member, lexicographically on the tuple.  The view keys are
 *
 *     row        (layer u32, type u32, entity u64, ~lsn)
 *     adjacency  (layer u32, edge_type u32, dir u8, node u64, edge u64, ~lsn)
 *     property   (layer u32, type u32, prop u16, VALUE..., entity u64, ~lsn)
 *
 * where ~lsn is key_put_inv_u64(lsn), so the newest version sorts first, and
 * VALUE... is one key_put_value() per member of the index.
 *
 * Encodings (all multi-byte integers big-endian; docs/on-disk-format.md
 * "Key encodings" has the same table):
 *
 *   u8/u16/u32/u64   the bytes, big-endian
 *   inv_u64          ~v, big-endian (newest LSN first)
 *   i32, i64         v with the sign bit flipped, big-endian
 *   f32, f64         IEEE bits; negatives: all bits flipped; positives: sign
 *                    bit flipped.  -0.0 is written as +0.0 (numbers compare
 *                    mathematically, spec §7.3), and every NaN as the single
 *                    canonical pattern all-ones, which sorts after +inf.
 *                    Decoding returns +0.0 for either zero and a NaN for NaN.
 *   bool             0x00 false, 0x01 true
 *   bytes, str       each byte as is, except 0x00 -> 0x00 0xFF; then the
 *                    terminator 0x00 0x00.  A prefix sorts before every
 *                    longer string (its 0x00 0x00 is below any continuation,
 *                    including an embedded zero's 0x00 0xFF).
 *
 * Typed values (key_put_value) start with a tag: 0x00 = NULL (nothing
 * follows), 0x01 = a value follows.  So NULL sorts before every value of
 * the type.  NULLs are not indexed by single-property indexes (the views
 * skip the row); the tag exists so a composite index can hold a tuple with
 * a NULL member and still sort member by member.  Per scalar type:
 *
 *   String, enum   bytes (truncated when long, see below)
 *   Bool           bool
 *   I32, Date      i32          (Date = days since 1970-01-01)
 *   I64, DateTime  i64          (DateTime = ms since the epoch)
 *   U32 / U64      u32 / u64
 *   F32 / F64      f32 / f64
 *   Vector(n)      bytes of the n little-endian float32 (truncated when
 *                  long): equality only, the order is not meaningful
 *   Blob           u8 kind (0x01 bytes, 0x02 URI), then bytes (truncated):
 *                  equality only.  Blobs are never indexed (spec §2.4).
 *   lists          not indexed: GROVE_EINVAL (index elements one by one,
 *                  passing the element type).
 *
 * Long values.  A key holds at most KEY_MAX bytes, so a String/Vector/Blob
 * whose escaped body exceeds KEY_STR_INLINE_MAX bytes is truncated: the
 * longest prefix whose escaped form fits KEY_STR_INLINE_MAX, then the marker
 * 0x00 0x01 (instead of the terminator), then the XXH3-64 of the whole value,
 * big-endian.  Consequences, which callers must honour:
 *   - all long values that share a truncated prefix P form a "group" whose
 *     keys sit together, after P itself (0x00 0x00 < 0x00 0x01) and before
 *     any string that continues P with a nonzero byte; within the group keys
 *     sort by hash, not by value;
 *   - equality: the key of a long value matches it and (with probability
 *     2^-64) another; a lookup or @unique check on such a value must
 *     recheck the row's actual value;
 *   - range scans and ORDER BY must treat a group as unordered: key_put_bound
 *     and key_put_str_prefix return KEY_BOUND_GROUP when a bound falls in a
 *     group, and the rows found there must be rechecked (and sorted).
 * The truncation point depends only on the value, never on what else is in
 * the key, so a stored key and a query bound always agree.
 *
 * Size budget: one key_put_value() writes at most KEY_VALUE_MAX (108) bytes,
 * so a property key with 4 members plus up to 32 bytes of framing (the 10
 * bytes before VALUE and 16 after it above) always fits in KEY_MAX; larger
 * tuples of long values set the overflow flag and the caller reports
 * GROVE_ETOOBIG.
 *
 * Builders never write past KEY_MAX: a put that does not fit writes
 * nothing, sets `overflow`, and every later put is ignored, so a caller
 * builds the whole key and checks once (key_buf_status).  Decoders read
 * through a key_reader, check every length before reading, and return
 * GROVE_ECORRUPT for a short or malformed key (including non-canonical
 * floats and unknown escape bytes).  None of these functions allocates.
 */
#ifndef GROVE_INDEX_KEYS_H
#define GROVE_INDEX_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "lang/types.h"

/* LMDB's default maximum key size (mdb_env_get_maxkeysize() without
 * MDB_MAXKEYSIZE redefined).  Views must not rely on more. */
#define KEY_MAX 511u

/* Escaped body bytes of a String/Vector/Blob kept before truncation. */
#define KEY_STR_INLINE_MAX 96u
/* Bytes of the hash after the truncation marker. */
#define KEY_STR_HASH_BYTES 8u
/* The longest key_put_value(): tag, Blob kind, body, marker, hash. */
#define KEY_VALUE_MAX (1u + 1u + KEY_STR_INLINE_MAX + 2u + KEY_STR_HASH_BYTES)

_Static_assert(4 * KEY_VALUE_MAX + 32 <= KEY_MAX,
	       "a 4-member property key with 32 bytes of framing fits a key");

#define KEY_TAG_NULL  0x00u  /* key_put_value: NULL, nothing follows */
#define KEY_TAG_VALUE 0x01u  /* key_put_value: a value follows       */

#define KEY_BLOB_BYTES 0x01u /* a managed blob (msgpack bin)         */
#define KEY_BLOB_URI   0x02u /* an external blob (msgpack str, a URI) */

/* A key being built.  Initialize with KEY_BUF_INIT or key_buf_init(). */
struct key_buf {
	size_t len;      /* bytes written, <= KEY_MAX                  */
	bool overflow;   /* a put did not fit; the key is incomplete   */
	uint8_t b[KEY_MAX];
};

#define KEY_BUF_INIT { 0, false, { 0 } }

void key_buf_init(struct key_buf *k);

/* 0, or GROVE_ETOOBIG when some put did not fit. */
int key_buf_status(const struct key_buf *k);

/*
 * Builders.  Each appends one encoding (see the table above); none of them
 * writes a tag.  key_put_bytes never truncates (a value too long for the
 * buffer sets overflow); key_put_bytes_trunc truncates long values as
 * described above and returns true when it did.
 */
void key_put_u8(struct key_buf *k, uint8_t v);
void key_put_u16(struct key_buf *k, uint16_t v);
void key_put_u32(struct key_buf *k, uint32_t v);
void key_put_u64(struct key_buf *k, uint64_t v);
void key_put_inv_u64(struct key_buf *k, uint64_t v);
void key_put_i32(struct key_buf *k, int32_t v);
void key_put_i64(struct key_buf *k, int64_t v);
void key_put_f32(struct key_buf *k, float v);
void key_put_f64(struct key_buf *k, double v);
void key_put_bool(struct key_buf *k, bool v);
void key_put_bytes(struct key_buf *k, const void *p, size_t n);
void key_put_str(struct key_buf *k, const char *s);
bool key_put_bytes_trunc(struct key_buf *k, const void *p, size_t n);

/* The NULL tag, for a NULL member of a composite (sorts first). */
void key_put_null(struct key_buf *k);

/*
 * Append the tagged encoding of `v`, a value stored in a row (index/row.h),
 * for a property of type `t`.  nil gives the NULL tag whatever `t` says.
 * The msgpack type must be the one row.h stores for `t` (integers must fit
 * the declared width; an F32 accepts a float 64 only if it is exactly a
 * float 32, an F64 accepts float 32 or 64; Vector(n) must hold 4n bytes);
 * enum membership is not checked.
 * Returns 0, GROVE_EINVAL (wrong msgpack type, out of range, a list type,
 * NONE) with `k` unchanged, or GROVE_ETOOBIG (the key overflowed).
 */
int key_put_value(struct key_buf *k, const struct lang_type *t, const msgpack_object *v);

/*
 * Query bounds.  Numbers compare mathematically (spec §7.2, §7.3): `x > 2.5`
 * on an I32 index, `x = 9007199254740993` on an F64 index.  key_put_bound
 * rounds the query value `q` (msgpack int, uint, float 32/64; for String a
 * str; for Bool a bool; Date/DateTime take ints) into the index's type and
 * appends the tagged encoding of
 *     KEY_ROUND_DOWN: the largest value of `t` that is <= q,
 *     KEY_ROUND_UP:   the smallest value of `t` that is >= q,
 * and returns
 *     KEY_BOUND_EXACT    q is a value of `t`: the key is key_put_value(q)
 *     KEY_BOUND_ROUNDED  q is not a value of `t`: the key is its neighbour
 *     KEY_BOUND_NONE     no value of `t` lies on that side of q (a NaN q,
 *                        or e.g. DOWN of -1 for U32); nothing is written
 *     KEY_BOUND_GROUP    q is a long String: the key is its truncation
 *                        group's prefix (tag, body, 0x00 0x01) for both
 *                        directions; rows found there need a recheck
 * or GROVE_EINVAL (q is nil or not comparable with `t`; Vector, Blob, list)
 * or GROVE_ETOOBIG.
 *
 * Building a scan over (prefix, VALUE, entity, ~lsn) keys from the result
 * (S = seek key, E = stop key, exclusive; succ = key_successor):
 *
 *   op    dir   EXACT            ROUNDED       NONE    GROUP (recheck)
 *   >= q  UP    S = k            S = k         empty   S = k
 *   >  q  UP    S = succ(k)      S = k         empty   S = k
 *   <= q  DOWN  E = succ(k)      E = succ(k)   empty   E = succ(k)
 *   <  q  DOWN  E = k            E = succ(k)   empty   E = succ(k)
 *   =  q  UP    [k, succ(k))     empty         empty   [k, succ(k))
 *
 * (for `= q` with a long String, prefer key_put_value(q), whose hash narrows
 * the group to the one value, then recheck).  The half without a bound:
 * for a String or Bool, S = prefix + KEY_TAG_VALUE and E = its successor
 * (NULLs excluded); for a number, use the bounds of -inf (UP) and +inf
 * (DOWN) by the same table, which also leaves out NaN: NaN sorts after +inf
 * but satisfies no comparison.  A NaN q gives KEY_BOUND_NONE.
 */
enum key_round { KEY_ROUND_DOWN, KEY_ROUND_UP };

#define KEY_BOUND_EXACT   0
#define KEY_BOUND_ROUNDED 1
#define KEY_BOUND_NONE    2
#define KEY_BOUND_GROUP   3

int key_put_bound(struct key_buf *k, const struct lang_type *t, const msgpack_object *q,
		  enum key_round dir);

/*
 * starts_with: append the escaped bytes of `p` with no terminator, so every
 * key whose String member starts with `p` lies in [k, key_successor(k)).
 * Returns KEY_BOUND_EXACT, or KEY_BOUND_GROUP when `p` is longer than a key
 * keeps (then k is the truncation group's prefix and the matches in the
 * range need a recheck).  The caller writes KEY_TAG_VALUE before it.
 */
int key_put_str_prefix(struct key_buf *k, const void *p, size_t n);

/*
 * Turn `k` into the smallest key greater than every key that starts with
 * `k` (drop trailing 0xFF bytes, increment the last byte).  Returns false,
 * leaving `k` empty, when there is none (k was empty or all 0xFF: scan to
 * the end).
 */
bool key_successor(struct key_buf *k);

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */

struct key_reader {
	const uint8_t *p;
	size_t len;
	size_t off;      /* bytes consumed, <= len */
};

void key_reader_init(struct key_reader *r, const void *p, size_t len);

/* Bytes not yet consumed. */
size_t key_reader_left(const struct key_reader *r);

/*
 * Each getter decodes one encoding at the reader's position into *out and
 * advances, or returns GROVE_ECORRUPT (short or malformed input) leaving the
 * position unspecified.  They never read past r->len.
 */
int key_get_u8(uint8_t *out, struct key_reader *r);
int key_get_u16(uint16_t *out, struct key_reader *r);
int key_get_u32(uint32_t *out, struct key_reader *r);
int key_get_u64(uint64_t *out, struct key_reader *r);
int key_get_inv_u64(uint64_t *out, struct key_reader *r);
int key_get_i32(int32_t *out, struct key_reader *r);
int key_get_i64(int64_t *out, struct key_reader *r);
int key_get_f32(float *out, struct key_reader *r);
int key_get_f64(double *out, struct key_reader *r);
int key_get_bool(bool *out, struct key_reader *r);

/* A decoded bytes/str encoding.  When `truncated`, only the first `len`
 * bytes of the value are known, and `hash` is the XXH3-64 of all of it. */
struct key_bytes {
	size_t len;
	bool truncated;
	uint64_t hash;
};

/* Decode bytes into buf[0..buf_cap) (buf may be NULL to skip the value).
 * GROVE_ETOOBIG when buf is too small (KEY_MAX bytes always suffice). */
int key_get_bytes(struct key_bytes *out, uint8_t *buf, size_t buf_cap, struct key_reader *r);

/* A decoded key_put_value(). */
struct key_value {
	uint8_t scalar;          /* enum lang_scalar of the type it was read as */
	bool null;
	uint8_t blob_kind;       /* Blob: KEY_BLOB_BYTES or KEY_BLOB_URI        */
	union {
		bool b;          /* Bool                                        */
		int64_t i;       /* I32, I64, Date, DateTime                    */
		uint64_t u;      /* U32, U64                                    */
		float f32;       /* F32                                         */
		double f64;      /* F64                                         */
		struct key_bytes bytes; /* String, Vector, Blob (data in buf)   */
	} as;
};

/* Decode one tagged value of type `t`; String/Vector/Blob bytes go to buf
 * as for key_get_bytes.  GROVE_ECORRUPT, GROVE_ETOOBIG, or GROVE_EINVAL for
 * a type key_put_value refuses. */
int key_get_value(struct key_value *out, uint8_t *buf, size_t buf_cap,
		  const struct lang_type *t, struct key_reader *r);

#endif /* GROVE_INDEX_KEYS_H */
