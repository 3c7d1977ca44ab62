/*
 * engine/query_stmt.c — prepared read queries (grove.h "Prepared
 * queries"): a query compiled once and run many times with parameters
 * bound by type, not written as JSON text for every run.
 *
 * A statement holds a reference to its compiled query (engine/prepared.h)
 * and a JSON object of the bound values, the same object grove_query()
 * parses from its text, so a bound value is converted by the parameter's
 * declared type exactly as the JSON value would be (spec §7.1).  When a
 * schema apply installs a new catalog, the next run compiles the text
 * again against it, and reports the compiler's error if the query no
 * longer typechecks.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mutate.h"
#include "engine/prepared.h"
#include "engine/query.h"
#include "engine/schema_hist.h"

struct grove_stmt {
	grove_db *db;
	char *src, *name;            /* name NULL: the text's only query */
	bool mutation;               /* grove_prepare_mutation's          */
	struct prepared *p;
	json_t *params;              /* bound values by parameter name */
};

/* Compile s's text for its kind against the catalog in force. */
static int stmt_compile(struct prepared **out, grove_stmt *s)
{
	return s->mutation ? mutate_compile(out, s->db, s->src, s->name)
			   : query_compile(out, s->db, s->src, s->name);
}

static int prepare(grove_stmt **out, grove_db *db, const char *gq_source, const char *query_name,
		   bool mutation)
{
	if (out == NULL || db == NULL || gq_source == NULL)
		return db ? db_error(db, GROVE_EINVAL, "grove_prepare: out, db and gq_source are required")
		          : GROVE_EINVAL;
	*out = NULL;
	grove_stmt *s = calloc(1, sizeof *s);
	if (s == NULL || (s->src = strdup(gq_source)) == NULL ||
	    (query_name != NULL && (s->name = strdup(query_name)) == NULL) ||
	    (s->params = json_object()) == NULL) {
		grove_stmt_free(s);
		return db_error(db, -ENOMEM, "out of memory");
	}
	s->db = db;
	s->mutation = mutation;
	int err = stmt_compile(&s->p, s);
	if (err < 0) {
		grove_stmt_free(s);
		return err;
	}
	*out = s;
	return 0;
}

int grove_prepare(grove_stmt **out, grove_db *db, const char *gq_source, const char *query_name)
{
	return prepare(out, db, gq_source, query_name, false);
}

int grove_prepare_mutation(grove_stmt **out, grove_db *db, const char *gq_source, const char *query_name)
{
	if (query_name == NULL)
		return db ? db_error(db, GROVE_EINVAL, "grove_prepare_mutation: a query name is required")
		          : GROVE_EINVAL;
	return prepare(out, db, gq_source, query_name, true);
}

void grove_stmt_free(grove_stmt *s)
{
	if (s == NULL)
		return;
	prepared_release(s->p);
	json_decref(s->params);
	free(s->src);
	free(s->name);
	free(s);
}

/* Bind `v` (a new reference, NULL when it could not be made) to `param`. */
static int stmt_bind(grove_stmt *s, const char *param, json_t *v)
{
	if (s == NULL) {
		json_decref(v);
		return GROVE_EINVAL;
	}
	if (param == NULL || *param == '\0') {
		json_decref(v);
		return db_error(s->db, GROVE_EINVAL, "bind: a parameter name is required");
	}
	if (param[0] == '$')
		param++;  /* "$n" and "n" name the same parameter */
	if (v == NULL || json_object_set_new(s->params, param, v) < 0)
		return db_error(s->db, -ENOMEM, "out of memory");
	return 0;
}

int grove_bind_null(grove_stmt *s, const char *param)
{
	return stmt_bind(s, param, json_null());
}

int grove_bind_int(grove_stmt *s, const char *param, int64_t v)
{
	return stmt_bind(s, param, json_integer((json_int_t)v));
}

int grove_bind_double(grove_stmt *s, const char *param, double v)
{
	if (s != NULL && !isfinite(v))  /* JSON has no such number, nor does a parameter */
		return db_error(s->db, GROVE_EINVAL, "bind '%s': %g is not a finite number",
		                param ? param : "", v);
	return stmt_bind(s, param, json_real(v));
}

int grove_bind_bool(grove_stmt *s, const char *param, int v)
{
	return stmt_bind(s, param, json_boolean(v));
}

int grove_bind_text(grove_stmt *s, const char *param, const char *v, size_t len)
{
	if (s != NULL && v == NULL)
		return db_error(s->db, GROVE_EINVAL, "bind '%s': NULL text (use grove_bind_null)",
		                param ? param : "");
	/* Grove's strings hold no NUL (a JSON parameter's "\u0000" is refused
	 * too), and a leading one would read as the engine's bigint mark. */
	if (s != NULL && memchr(v, '\0', len) != NULL)
		return db_error(s->db, GROVE_EINVAL, "bind '%s': the text holds a NUL byte",
		                param ? param : "");
	json_t *j = v ? json_stringn(v, len) : NULL;
	if (s != NULL && v != NULL && j == NULL)
		return db_error(s->db, GROVE_EINVAL, "bind '%s': the text is not valid UTF-8",
		                param ? param : "");
	return stmt_bind(s, param, j);
}

int grove_bind_json(grove_stmt *s, const char *param, const char *json)
{
	json_error_t je;
	if (s == NULL)
		return GROVE_EINVAL;
	json_t *j = json ? json_loads(json, JSON_DECODE_ANY, &je) : NULL;
	if (j == NULL)
		return db_error(s->db, GROVE_EINVAL, "bind '%s': invalid JSON%s%s", param ? param : "",
		                json ? ": " : "", json ? je.text : "");
	return stmt_bind(s, param, j);
}

void grove_stmt_clear_bindings(grove_stmt *s)
{
	if (s != NULL)
		json_object_clear(s->params);
}

/* A schema apply since s was compiled: compile against the catalog in force. */
static int stmt_current(grove_stmt *s)
{
	if (s->p->cat == engine_catalog(s->db))
		return 0;
	struct prepared *p;
	int err = stmt_compile(&p, s);
	if (err < 0)
		return err;
	prepared_release(s->p);
	s->p = p;
	return 0;
}

int grove_stmt_query(grove_result **out, grove_stmt *s, const grove_target *target)
{
	if (out == NULL || s == NULL)
		return s ? db_error(s->db, GROVE_EINVAL, "grove_stmt_query: out is required")
		         : GROVE_EINVAL;
	*out = NULL;
	if (s->mutation)  /* the embedded API's text (spec §3.2) */
		return db_error(s->db, GROVE_EINVAL,
		                "type error: mutation query cannot be typechecked with read-query API");
	int err = stmt_current(s);
	return err < 0 ? err : query_run_compiled(out, s->db, target, s->p, s->params);
}

int grove_stmt_mutate_json(char **out, grove_stmt *s, const grove_mutate_options *o)
{
	if (out == NULL || s == NULL)
		return s ? db_error(s->db, GROVE_EINVAL, "grove_stmt_mutate_json: out is required")
		         : GROVE_EINVAL;
	*out = NULL;
	if (!s->mutation)
		return db_error(s->db, GROVE_EINVAL, "mutation execution called on a read query; use query instead");
	int err = stmt_current(s);
	if (err < 0)
		return err;
	/* The event records the parameters as JSON, as grove_mutate_json's. */
	char *text = json_object_size(s->params) ? engine_params_text(s->params) : NULL;
	if (json_object_size(s->params) && text == NULL)
		return db_error(s->db, -ENOMEM, "out of memory");
	err = mutate_run(out, s->db, o, s->p, s->params, s->src, s->name, text);
	free(text);
	return err;
}
