/* lang/types.c — the property type model (types.h). */
#include "lang/types.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const scalar_names[LANG_SCALAR__COUNT] = {
	[LANG_SCALAR_STRING] = "String", [LANG_SCALAR_BOOL] = "Bool",
	[LANG_SCALAR_I32] = "I32",       [LANG_SCALAR_I64] = "I64",
	[LANG_SCALAR_U32] = "U32",       [LANG_SCALAR_U64] = "U64",
	[LANG_SCALAR_F32] = "F32",       [LANG_SCALAR_F64] = "F64",
	[LANG_SCALAR_DATE] = "Date",     [LANG_SCALAR_DATETIME] = "DateTime",
	[LANG_SCALAR_VECTOR] = "Vector", [LANG_SCALAR_BLOB] = "Blob",
};

const char *lang_scalar_name(enum lang_scalar s)
{
	if ((unsigned)s >= LANG_SCALAR__COUNT)
		return NULL;
	return scalar_names[s];
}

enum lang_scalar lang_scalar_from_name(const char *name, size_t len)
{
	for (int s = LANG_SCALAR_STRING; s < LANG_SCALAR__COUNT; s++) {
		/* "Vector" is not a base type: it needs a dimension. */
		if (s == LANG_SCALAR_VECTOR)
			continue;
		if (strlen(scalar_names[s]) == len && memcmp(scalar_names[s], name, len) == 0)
			return (enum lang_scalar)s;
	}
	return LANG_SCALAR_NONE;
}

int lang_scalar_is_numeric(enum lang_scalar s)
{
	return s >= LANG_SCALAR_I32 && s <= LANG_SCALAR_F64;
}

int lang_type_equal(const struct lang_type *a, const struct lang_type *b)
{
	if (a->scalar != b->scalar || a->nullable != b->nullable || a->list != b->list)
		return 0;
	if (a->scalar == LANG_SCALAR_VECTOR && a->vector_dim != b->vector_dim)
		return 0;
	if (a->n_enum != b->n_enum)
		return 0;
	for (uint32_t i = 0; i < a->n_enum; i++)
		if (strcmp(a->enum_values[i], b->enum_values[i]) != 0)
			return 0;
	return 1;
}

char *lang_type_display(const struct lang_type *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	if (t->list)
		fputc('[', f);
	if (t->n_enum > 0) {
		fputs("enum(", f);
		for (uint32_t i = 0; i < t->n_enum; i++)
			fprintf(f, "%s%s", i ? ", " : "", t->enum_values[i]);
		fputc(')', f);
	} else if (t->scalar == LANG_SCALAR_VECTOR) {
		fprintf(f, "Vector(%u)", (unsigned)t->vector_dim);
	} else {
		const char *name = lang_scalar_name((enum lang_scalar)t->scalar);
		fputs(name != NULL ? name : "?", f);
	}
	if (t->list)
		fputc(']', f);
	if (t->nullable)
		fputc('?', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int lang_type_copy(struct lang_arena *a, struct lang_type *dst, const struct lang_type *src)
{
	*dst = *src;
	if (src->n_enum == 0) {
		dst->enum_values = NULL;
		return 0;
	}
	const char **vals = lang_arena_alloc(a, sizeof(char *) * src->n_enum);
	if (vals == NULL)
		return -1;
	for (uint32_t i = 0; i < src->n_enum; i++) {
		vals[i] = lang_arena_strdup(a, src->enum_values[i]);
		if (vals[i] == NULL)
			return -1;
	}
	dst->enum_values = vals;
	return 0;
}
