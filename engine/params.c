/*
 * engine/params.c — the parameters of a query or mutation: a JSON object
 * given as text.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "engine/db.h"
#include "engine/engine.h"
#include "engine/jsonw.h"
#include "engine/jsonl.h"
#include "engine/jsonl_fast.h"
#include "engine/value.h"
#include "lang/ir.h"

int engine_params_parse(struct json_t **out, grove_db *db, const char *text)
{
	json_error_t je;
	json_t *j;

	*out = NULL;
	if (!text || text[strspn(text, " \t\r\n")] == '\0') {
		*out = json_object();
		return *out ? 0 : db_error(db, -ENOMEM, "out of memory");
	}
	/* Plain parameters (a few keys, no escapes, short integers) skip
	 * jansson's lexer; anything else, and every error, is jansson's. */
	if ((j = jsonl_fast_parse(text, strlen(text), false)) == NULL &&
	    (j = json_loads(text, JSON_DECODE_ANY, &je)) == NULL &&
	    /* An integer beyond int64 (a U64 up to 2^64 - 1): a bigint,
	     * judged by the parameter's type (spec §7.1). */
	    (!strstr(je.text, "too big") || (j = jsonl_loads_bigints(text, strlen(text), &je)) == NULL))
		return db_error(db, GROVE_EINVAL, "params: invalid JSON at line %d column %d: %s",
				je.line, je.column,
				/* jansson names its flag; say what is wrong, as loads do */
				strstr(je.text, "JSON_ALLOW_NUL") ? "\\u0000 is not allowed in strings" : je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return db_error(db, GROVE_EINVAL, "params must be a JSON object");
	}
	*out = j;
	return 0;
}

int engine_params_undeclared(grove_db *db, const json_t *params, const struct gq_ir_query *ir)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)params, key, v) {
		if (!json_is_object(v))
			continue;
		bool declared = false;
		for (size_t i = 0; i < ir->n_params && !declared; i++)
			declared = !strcmp(ir->params[i].name, key);
		if (!declared)
			return db_error(db, GROVE_EINVAL, "param '%s': object is not supported", key);
	}
	return 0;
}

bool engine_param_shadowed(const struct gq_ir_query *ir, size_t i)
{
	for (size_t k = i + 1; k < ir->n_params; k++)
		if (!strcmp(ir->params[k].name, ir->params[i].name))
			return true;
	return false;
}

static int discard(void *data, const char *buf, size_t len)
{
	(void)data;
	(void)buf;
	(void)len;
	return 0;
}

/* Does j convert to t without fail, by a look at its JSON type?  The
 * common parameters (a string, an integer in range, a boolean, a number
 * for F64, a null for a nullable one) skip the checking conversion on a
 * mutation's path; anything else takes it. */
static bool fits_plainly(const struct lang_type *t, const json_t *j)
{
	if (json_is_null(j))
		return t->nullable;
	if (t->list)
		return false;
	json_int_t v = json_is_integer(j) ? json_integer_value(j) : 0;
	switch (t->scalar) {
	case LANG_SCALAR_STRING:   /* a NUL marks a big integer (params.c) */
		return json_is_string(j) && strlen(json_string_value(j)) == json_string_length(j);
	case LANG_SCALAR_BOOL: return json_is_boolean(j);
	case LANG_SCALAR_F64:  return json_is_number(j);
	case LANG_SCALAR_I64:  return json_is_integer(j);
	case LANG_SCALAR_I32:  return json_is_integer(j) && v >= INT32_MIN && v <= INT32_MAX;
	case LANG_SCALAR_U32:  return json_is_integer(j) && v >= 0 && v <= (json_int_t)UINT32_MAX;
	case LANG_SCALAR_U64:  return json_is_integer(j) && v >= 0;
	default:               return false;
	}
}

int engine_params_declared(grove_db *db, const json_t *params, const struct gq_ir_query *ir)
{
	for (size_t i = 0; i < ir->n_params; i++) {
		const char *name = ir->params[i].name;
		const json_t *j = json_object_get(params, name);
		struct value_opts o = VALUE_OPTS_INIT;
		struct value_error verr;
		msgpack_packer pk;
		if (j == NULL || engine_param_shadowed(ir, i) || fits_plainly(&ir->param_types[i], j))
			continue;   /* missing: refused where it is used */
		msgpack_packer_init(&pk, NULL, discard);
		int err = value_from_param(&pk, name, &ir->param_types[i], j, &o, &verr);
		if (err < 0) {   /* as mutate_value reports it where it is used */
			db_error(db, err, "%s", verr.msg);
			return verr.resource[0] ? db_error_limit(db, err, verr.resource, verr.limit, verr.actual)
						: err;
		}
	}
	return 0;
}

/* A value jsonw writes as one JSON value equal to json_dumps's (its text
 * may differ only in the letter case of hex digits in escapes). */
static bool plain(const json_t *v)
{
	return json_is_string(v) || json_is_integer(v) || json_is_boolean(v) || json_is_null(v);
}

char *engine_params_text(const json_t *params)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)params, key, v)
		if (!plain(v))
			return json_dumps(params, JSON_COMPACT);
	/* Strings, integers, booleans and nulls only (the common case, and
	 * every bound parameter but floats, lists and blobs): written
	 * directly, which costs a fifth of jansson's callbacks. */
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	json_object_foreach((json_t *)params, key, v) {
		jsonw_key_cstr(&w, key);
		if (json_is_string(v))
			jsonw_string(&w, json_string_value(v), json_string_length(v));
		else if (json_is_integer(v))
			jsonw_int(&w, json_integer_value(v));
		else if (json_is_boolean(v))
			jsonw_bool(&w, json_is_true(v));
		else
			jsonw_null(&w);
	}
	jsonw_object_end(&w);
	if (jsonw_error(&w) < 0) {
		jsonw_fini(&w);
		return NULL;
	}
	return w.buf;
}
