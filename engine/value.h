/*
 * engine/value.h — property values: JSON in, stored msgpack, JSON out.
 *
 * The value layer converts between the three forms a property value takes
 * (spec §7, §8, §9.1):
 *
 *   JSON (jansson json_t)  --value_from_json-->  msgpack (index/row.h)
 *   msgpack  --value_render / value_to_json-->   JSON text / json_t
 *
 * and does what needs nothing but a row and the catalog: canonical ids of
 * keyed nodes (§7.7), explicit-id checks (§8.2), per-row constraint checks
 * (enum, @range, @check; §8.4) and comparison (§7.3).  Uniqueness and
 * cardinality need the views and live elsewhere.  No I/O, no global state;
 * every function is safe to call from any thread on distinct arguments.
 *
 * Errors: functions return 0 or a negative code (GROVE_EINVAL for bad
 * input, GROVE_ELIMIT for a bound (resource, limit and actual set),
 * GROVE_EBLOBPOLICY for an external Blob URI the options do not admit,
 * GROVE_ECORRUPT for a stored value that does not fit its type, -ENOMEM)
 * and fill a caller-provided struct
 * value_error with the exact message of the spec.
 *
 * Big integers.  jansson holds integers as int64 and refuses others, but
 * load data may carry U64 values up to 18446744073709551615.  The JSONL
 * reader (jsonl.h) therefore turns every integer literal outside int64
 * into a *bigint*: a JSON string whose first byte is NUL followed by the
 * literal's text ("\0" "18446744073709551615").  No genuine string can
 * look like that, because the reader refuses "\u0000" in strings.  The
 * converters below treat a bigint as the number it spells.
 */
#ifndef GROVE_ENGINE_VALUE_H
#define GROVE_ENGINE_VALUE_H

#include <jansson.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/catalog.h"

struct jsonw;   /* engine/jsonw.h */

/* ---- errors ------------------------------------------------------------- */

#define VALUE_ERROR_MSG_MAX   512
#define VALUE_ERROR_FIELD_MAX 128

struct value_error {
	char msg[VALUE_ERROR_MSG_MAX];     /* the message, as the spec words it */
	char field[VALUE_ERROR_FIELD_MAX]; /* the property/field involved, or "" */
	unsigned long record;              /* 1-based JSONL record, or 0        */
	unsigned long line;                /* 1-based input line, or 0          */
	char resource[48];                 /* GROVE_ELIMIT: what ran out, or "" */
	uint64_t limit, actual;            /* GROVE_ELIMIT: bound and demand    */
};

/* Fill err (msg, field; record and line reset to 0) and return code. */
int value_error_set(struct value_error *err, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- bounds ------------------------------------------------------------- */

#define VALUE_BLOB_MAX_BYTES   (32u << 20)  /* managed blob bytes (engine §5.8) */
#define VALUE_BLOB_URI_MAX_BYTES 65536u     /* one external Blob URI (OmniGraph) */

/* A msgpack string's bytes, never NULL: msgpack-c may give an empty string
 * no pointer, and memcmp/memcpy/strndup must never see one. */
static inline const char *value_str(const msgpack_object *o)
{
	return o->via.str.size ? o->via.str.ptr : "";
}
#define VALUE_LIST_MAX_ITEMS   (1u << 20)   /* elements of one list value       */
#define VALUE_BRIEF_MAX        160          /* a JSON value quoted in a message */

/* ---- JSON -> stored value (spec §8.2, §8.5) ----------------------------- */

enum value_dialect {
	VALUE_LENIENT = 0,   /* the loader: wrong-typed values become NULL     */
	VALUE_STRICT = 1,    /* the graph-batch dialect: wrong types are errors */
};

struct value_opts {
	enum value_dialect dialect;
	int allow_external_blobs;   /* 0 (default): a URI blob is refused      */
};

#define VALUE_OPTS_INIT { VALUE_LENIENT, 0 }

/* Pack the value of property p given as JSON j (NULL: the key is absent)
 * onto pk, in the encoding of index/row.h.  Checks the value's type,
 * ranges (`property 'age' value 2147483648 exceeds Int32 range`), Vector
 * dimensions and elements, base64 blobs, and nullability (`non-nullable
 * property 'p' has null or invalid values`).  Constraint annotations
 * (enum sets, @range, @check) are value_validate's.  On failure nothing
 * has been packed. */
int value_from_json(msgpack_packer *pk, const struct lang_cat_property *p, const json_t *j,
	const struct value_opts *o, struct value_error *err);

/* A plain JSON value, already lexed (engine/jsonl_lex.h): a string of
 * printable ASCII without escapes, a small integer, a Boolean or null. */
struct value_plain {
	enum { VALUE_PLAIN_NULL, VALUE_PLAIN_STR, VALUE_PLAIN_BOOL, VALUE_PLAIN_INT } kind;
	const char *s;              /* VALUE_PLAIN_STR */
	size_t len;
	int64_t i;                  /* VALUE_PLAIN_BOOL (0, 1) and _INT */
};

/* Pack v as value_from_json() packs the same JSON for p in the lenient
 * dialect, and return 1; or pack nothing and return 0 wherever that would
 * do anything else: fail, coerce, or need a type other than String, Bool
 * and the integers (a list, a float, a date...).  The caller then takes
 * the record the slow way, which reports what is wrong (or runs out of
 * memory, as this did if it returns 0 for a value it takes). */
int value_from_plain(msgpack_packer *pk, const struct lang_cat_property *p, const struct value_plain *v);

/* Pack query parameter `name` given as JSON j (NULL: absent) by its
 * declared type t (spec §7.1), encoded like a stored value of t: strings
 * for String, integers or decimal strings for the integer types, any
 * number for F32/F64, Date/DateTime text, base64:/URI blobs, arrays for
 * lists and vectors.  Messages are `param '<k>': <detail>`, range errors
 * in both wordings (`value 2147483648 exceeds I32 (Int32 range)`, §11).
 * An absent required parameter is GROVE_ENOTFOUND (`parameter '<k>' not
 * provided`), an absent or null optional one NULL.  On failure nothing
 * has been packed. */
int value_from_param(msgpack_packer *pk, const char *name, const struct lang_type *t, const json_t *j,
	const struct value_opts *o, struct value_error *err);

/* 1 when j is a bigint (see above); its text is json_string_value(j) + 1. */
int value_json_is_bigint(const json_t *j);

/* j as compact JSON for a message, cut to VALUE_BRIEF_MAX bytes with
 * "..." (out: VALUE_BRIEF_MAX + 4 bytes).  A bigint shows as its digits. */
void value_json_brief(char *out, const json_t *j);

/* ---- rows --------------------------------------------------------------- */

/* A decoded row (index/row.h): its id and property slots. */
struct value_row {
	const char *id;                /* not NUL-terminated; NULL: no id yet */
	uint32_t id_len;
	const char *src, *dst;         /* edges: endpoint ids (not NUL-ended) */
	uint32_t src_len, dst_len;
	const msgpack_object *slots;   /* slots[k - 1]: property id k         */
	uint32_t n_slots;              /* may be < next_prop_id - 1 (older)   */
};

/* Unpack a stored row into *out (its item array in `zone`) exactly as
 * msgpack_unpack() would, decoding top-level scalars directly (faster for
 * rows, which are mostly scalars; value_unpack.c).  0, or -1 when it does
 * not decode (truncated, invalid) or memory runs out. */
int value_row_unpack(msgpack_object *out, const void *buf, size_t len, msgpack_zone *zone);

/* View an unpacked row of a node or edge of type t.  GROVE_ECORRUPT when
 * the shape is wrong (not an array, id not a string, ...). */
int value_row_view(struct value_row *out, const msgpack_object *row, const struct lang_cat_type *t,
	struct value_error *err);

/* The value of property id k (1-based); a nil object past the row's end. */
const msgpack_object *value_row_get(const struct value_row *r, uint32_t prop_id);

/* The properties of t by id: (*out)[k - 1] has id k, NULL for an id that
 * no longer has a property.  *n = t->next_prop_id - 1.  free(*out). */
int value_props_by_id(const struct lang_cat_property ***out, uint32_t *n, const struct lang_cat_type *t);
/* The same into v[0, t->next_prop_id - 1), which the caller provides. */
void value_props_fill(const struct lang_cat_property **v, const struct lang_cat_type *t);

/* ---- ids of keyed nodes (spec §7.7, §8.2) ------------------------------- */

/* The scalar text of a stored key member of type t: String as is,
 * integers in decimal, Bool true/false, Date/DateTime as their counts,
 * floats plain shortest at their width (numfmt.h).  malloc'd, NUL-ended.
 * GROVE_EINVAL for NULL, lists, vectors, blobs and non-finite floats
 * (`scalar key: non-finite value NaN cannot identify an entity`). */
int value_key_text(char **out, size_t *out_len, const struct lang_type *t, const msgpack_object *o,
	struct value_error *err);

/* The id of a keyed node from its key members (in property-id order):
 * one member's scalar text, or a compact JSON array of the members'
 * texts (`["A","Z"]`).  A NULL member: `node <T> missing @key property
 * '<k>'` (composite: `missing @key properties (a, b)`).  malloc'd. */
int value_canonical_id(char **out, size_t *out_len, const struct lang_cat_type *t, const struct value_row *row,
	struct value_error *err);

/* Check an explicit data.id `given` of a keyed node against the row's key
 * (`canonical` is value_canonical_id's result).  It matches when it is the
 * canonical id, or — unless `exact` (the strict dialect) — when it spells
 * the value of a key member in that member's type ("2024-01-02" and
 * "19724" for a Date; for a composite key, a legacy scalar id of older
 * OmniGraph versions, which named an entity by one member).
 * Mismatch: `node <T> has explicit id '<x>' that does not match @key
 * property '<k>' canonical value '<y>'`. */
int value_check_explicit_id(const struct lang_cat_type *t, const struct value_row *row, const char *canonical,
	const char *given, size_t given_len, int exact, struct value_error *err);

/* ---- constraints (spec §8.4) -------------------------------------------- */

struct value_check_re;   /* a compiled @check */

/* Everything needed to check rows of one type; compiled once, owned by the
 * caller, read-only afterwards (usable from several threads). */
struct value_validator {
	const struct lang_cat_type *type;
	uint32_t n_checks;
	struct value_check_re *checks;
};

/* Compile t's @check patterns (POSIX extended; \d \w \s and their
 * negations are translated).  A pattern that does not compile:
 * `@check on <T>.<p>: invalid pattern '<re>': <why>`. */
int value_validator_init(struct value_validator *v, const struct lang_cat_type *t, struct value_error *err);
void value_validator_fini(struct value_validator *v);

/* Check enum membership, @range and @check on one row (NULLs exempt;
 * list elements checked one by one); the first violation is the error. */
int value_validate(const struct value_validator *v, const struct value_row *row, struct value_error *err);

/* ---- stored value -> JSON (spec §7.4-7.6, §8.6, §9.1) ------------------- */

enum value_render_mode {
	VALUE_RENDER_EXPORT = 0,   /* export, entity reads: Date/DateTime as counts */
	VALUE_RENDER_RESULT = 1,   /* query results: Date/DateTime as text          */
};

/* Write stored value o of type t to w.  F32 is widened to double and
 * printed shortest round-trip (0.1f -> 0.10000000149011612); NaN/±inf as
 * "NaN"/"Infinity"/"-Infinity"; Blob as "base64:..." or its URI; Vector as
 * an array of widened floats.  GROVE_ECORRUPT when o does not fit t. */
int value_render(struct jsonw *w, const struct lang_type *t, const msgpack_object *o,
	enum value_render_mode mode, struct value_error *err);

/* The same as a json_t, for callers that assemble documents.  Two
 * jansson limits: json_dumps prints every real with %.17g (an F64 0.1
 * becomes 0.10000000000000001), and a U64 above INT64_MAX cannot be a
 * json_integer, so it comes back as a bigint string.  Print such trees
 * with value_json_write, which handles both. */
int value_to_json(json_t **out, const struct lang_type *t, const msgpack_object *o,
	enum value_render_mode mode, struct value_error *err);

/* Write JSON value j to w as compact JSON: reals shortest round-trip,
 * bigints as their digits, object keys in jansson's (insertion) order.
 * Nesting beyond JSONW_DEPTH_MAX makes w fail. */
void value_json_write(struct jsonw *w, const json_t *j);

/* ---- comparison (spec §7.3) --------------------------------------------- */

enum value_cmp {
	VALUE_LT = -1,
	VALUE_EQ = 0,
	VALUE_GT = 1,
	VALUE_NULL = 2,           /* a side is NULL: no comparison holds        */
	VALUE_INCOMPARABLE = 3,   /* kinds that do not compare (str vs number)   */
};

/* Compare two stored values: numbers mathematically across int/uint/
 * float32/float64 (2 = 2.0, 2 < 2.5; NaN equals NaN and is above every
 * number, -0 = 0), strings bytewise, false < true; bin bytewise (Vector,
 * Blob), lists element by element.  Date/DateTime are integers. */
enum value_cmp value_compare(const msgpack_object *a, const msgpack_object *b);

#endif /* GROVE_ENGINE_VALUE_H */
