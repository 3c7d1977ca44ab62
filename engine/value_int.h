/*
 * engine/value_int.h — helpers shared by the value_*.c and jsonl*.c files.
 * Private to engine/.
 */
#ifndef GROVE_ENGINE_VALUE_INT_H
#define GROVE_ENGINE_VALUE_INT_H

#include <stdbool.h>

#include "engine/jsonw.h"
#include "engine/value.h"

#define VALUE_TEXT_BRIEF_MAX 120   /* a quoted text inside a message */

/* s[0..len) cut on a UTF-8 boundary to VALUE_TEXT_BRIEF_MAX bytes, with
 * "..." when cut (out: VALUE_TEXT_BRIEF_MAX + 4 bytes). */
void value_text_brief(char *out, const char *s, size_t len);

/* The type's display name without the nullability mark: "I32", "[String]",
 * "Vector(3)", "enum(a, b)" (out: at least 64 bytes; longer names cut). */
void value_type_name(char *out, size_t cap, const struct lang_type *t);

/* `@key property 'k'` or `@key properties (a, b)` for keyed type t, the
 * members as the catalog lists them (sorted by name). */
void value_key_phrase(char *out, size_t cap, const struct lang_cat_type *t);

/* Refuse base64 text b64[0..len) of a managed Blob when it decodes to
 * more than VALUE_BLOB_MAX_BYTES: GROVE_ELIMIT, resource "decoded blob
 * input bytes" (upstream's bound), the message led by `what` ("blob
 * property 'p'", "param 'p'"); 0 when within the bound. */
int value_blob_bound(struct value_error *err, const char *field, const char *what, const char *b64,
		     size_t len);

/* Admit external Blob URI s[0..len), in OmniGraph's order: its size
 * (GROVE_ELIMIT, resource "external Blob URI bytes"), its emptiness
 * (GROVE_EINVAL), then the policy (GROVE_EBLOBPOLICY unless `allow`);
 * messages led by `what`.  0 when admitted. */
int value_blob_uri_check(struct value_error *err, const char *field, const char *what, const char *s,
			 size_t len, bool allow);

/* The nil object returned for slots past a row's end. */
extern const msgpack_object value_nil_object;

#endif /* GROVE_ENGINE_VALUE_INT_H */
