/* lang/query_ast.c — small helpers over .gq parse trees (query_ast.h). */
#include "lang/query_ast.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void *gq_push(struct lang_arena *a, void **items, size_t *n, size_t *cap, size_t elem_size)
{
	assert(*n <= *cap);
	if (*n == *cap) {
		size_t new_cap = *cap ? *cap * 2 : 4;
		void *grown = lang_arena_alloc(a, new_cap * elem_size);
		if (grown == NULL)
			return NULL;
		if (*n > 0)
			memcpy(grown, *items, *n * elem_size);
		*items = grown;
		*cap = new_cap;
	}
	unsigned char *slot = (unsigned char *)*items + *n * elem_size;
	(*n)++;
	memset(slot, 0, elem_size);
	return slot;
}

void gq_file_free(struct gq_file *file)
{
	if (file == NULL)
		return;
	lang_arena_free(&file->arena);
	free(file);
}

const struct gq_query *gq_file_find(const struct gq_file *file, const char *name)
{
	assert(file != NULL && name != NULL);
	for (size_t i = 0; i < file->n_queries; i++)
		if (strcmp(file->queries[i].name, name) == 0)
			return &file->queries[i];
	return NULL;
}

const char *gq_op_text(enum gq_op op)
{
	switch (op) {
	case GQ_OP_EQ: return "=";
	case GQ_OP_NE: return "!=";
	case GQ_OP_LT: return "<";
	case GQ_OP_LE: return "<=";
	case GQ_OP_GT: return ">";
	case GQ_OP_GE: return ">=";
	case GQ_OP_CONTAINS: return "contains";
	case GQ_OP_STARTS_WITH: return "starts_with";
	}
	return "?";
}

const char *gq_agg_name(enum gq_agg agg)
{
	switch (agg) {
	case GQ_AGG_COUNT: return "count";
	case GQ_AGG_SUM: return "sum";
	case GQ_AGG_AVG: return "avg";
	case GQ_AGG_MIN: return "min";
	case GQ_AGG_MAX: return "max";
	}
	return "?";
}

const char *gq_base_name(enum gq_base base)
{
	switch (base) {
	case GQ_BASE_STRING: return "String";
	case GQ_BASE_BLOB: return "Blob";
	case GQ_BASE_BOOL: return "Bool";
	case GQ_BASE_I32: return "I32";
	case GQ_BASE_I64: return "I64";
	case GQ_BASE_U32: return "U32";
	case GQ_BASE_U64: return "U64";
	case GQ_BASE_F32: return "F32";
	case GQ_BASE_F64: return "F64";
	case GQ_BASE_DATETIME: return "DateTime";
	case GQ_BASE_DATE: return "Date";
	case GQ_BASE_VECTOR: return "Vector";
	}
	return "?";
}
