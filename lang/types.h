/*
 * lang/types.h — property and value types shared by the schema, the catalog
 * and the query typechecker (spec §2.3, §4.1).
 *
 * A type is a scalar plus flags, the way OmniGraph models it: `[String]?` is
 * {STRING, list, nullable}; `enum(a, b)` is a STRING with a sorted,
 * de-duplicated value set; `Vector(n)` is the VECTOR scalar with a dimension.
 */
#ifndef GROVE_LANG_TYPES_H
#define GROVE_LANG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"

enum lang_scalar {
	LANG_SCALAR_NONE = 0,
	LANG_SCALAR_STRING,
	LANG_SCALAR_BOOL,
	LANG_SCALAR_I32,
	LANG_SCALAR_I64,
	LANG_SCALAR_U32,
	LANG_SCALAR_U64,
	LANG_SCALAR_F32,
	LANG_SCALAR_F64,
	LANG_SCALAR_DATE,
	LANG_SCALAR_DATETIME,
	LANG_SCALAR_VECTOR,
	LANG_SCALAR_BLOB,
	LANG_SCALAR__COUNT
};

/* Largest Vector(n) dimension (spec §2.3). */
#define LANG_VECTOR_DIM_MAX 2147483647u

struct lang_type {
	uint8_t scalar;                 /* enum lang_scalar                  */
	uint8_t nullable;
	uint8_t list;                   /* a list of `scalar`                */
	uint32_t vector_dim;            /* LANG_SCALAR_VECTOR only           */
	uint32_t n_enum;                /* > 0: an enum (scalar is STRING)   */
	const char *const *enum_values; /* sorted by strcmp, unique          */
};

/* "String", "I32", ... ("Vector" for VECTOR); NULL for NONE. */
const char *lang_scalar_name(enum lang_scalar s);

/* The scalar named exactly `name` (a .pg base type), or NONE. */
enum lang_scalar lang_scalar_from_name(const char *name, size_t len);

int lang_scalar_is_numeric(enum lang_scalar s);

/* Identical types: scalar, list, nullability, dimension and enum values. */
int lang_type_equal(const struct lang_type *a, const struct lang_type *b);

/* The display name used in messages (spec §2.3): `I32?`, `[String]`,
 * `enum(closed, open)`, `Vector(3)`.  Returns a malloc'd string (free()),
 * or NULL when out of memory. */
char *lang_type_display(const struct lang_type *t);

/* Deep copy of t's enum values into arena a; -1 when out of memory. */
int lang_type_copy(struct lang_arena *a, struct lang_type *dst, const struct lang_type *src);

#endif /* GROVE_LANG_TYPES_H */
