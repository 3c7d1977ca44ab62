/*
 * lit.c — a .gq literal as JSON, so that literals and JSON parameters take
 * the same conversion by declared type (value_from_param, spec §7.1-7.2).
 */
#include <jansson.h>

#include "engine/engine.h"
#include "lang/query_ast.h"

#define LIT_DEPTH_MAX 64

static json_t *lit_json(const struct gq_lit *l, int depth)
{
	json_t *a;
	if (depth > LIT_DEPTH_MAX)
		return NULL;
	switch (l->kind) {
	case GQ_LIT_STRING:
	case GQ_LIT_DATE:
	case GQ_LIT_DATETIME:
		return json_stringn(l->str, l->str_len);
	case GQ_LIT_INT:
		return json_integer(l->i);
	case GQ_LIT_FLOAT:
		return json_real(l->f);
	case GQ_LIT_BOOL:
		return json_boolean(l->b);
	case GQ_LIT_LIST:
		if (!(a = json_array()))
			return NULL;
		for (size_t i = 0; i < l->n_items; i++) {
			json_t *item = lit_json(&l->items[i], depth + 1);
			if (!item || json_array_append_new(a, item) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	return NULL;
}

json_t *engine_lit_json(const struct gq_lit *lit)
{
	return lit_json(lit, 0);
}
