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
				je.line, je.column, je.text);
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

int engine_params_declared(grove_db *db, const json_t *params, const struct gq_ir_query *ir)
{
	for (size_t i = 0; i < ir->n_params; i++) {
		const char *name = ir->params[i].name;
		const json_t *j = json_object_get(params, name);
		struct value_opts o = VALUE_OPTS_INIT;
		struct value_error verr;
		msgpack_packer pk;
		if (j == NULL || engine_param_shadowed(ir, i))
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
