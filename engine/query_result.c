/*
 * engine/query_result.c — query results: the typed-row interface of
 * grove.h (grove_result) and the result JSON of spec §9.1:
 *
 *   {"query_name", "target": {"branch", "snapshot"}, "row_count",
 *    "columns", "rows": [{column: value, ...}], "graph_commit_id"}
 *
 * Values render by their column's type (engine/value.h, results mode):
 * Date as "YYYY-MM-DD", DateTime as "YYYY-MM-DDTHH:MM:SS.mmmZ", F32
 * widened, NaN/±inf as strings, a node variable as its id string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jsonw.h"
#include "engine/query.h"
#include "engine/value.h"
#include "log/error.h"

/* ---- column types --------------------------------------------------------- */

static struct lang_type scalar_type(enum lang_scalar s)
{
	struct lang_type t = { .scalar = (uint8_t)s };
	return t;
}

static struct lang_type lit_type(const struct gq_lit *l)
{
	static const enum lang_scalar by_kind[] = {
		[GQ_LIT_STRING] = LANG_SCALAR_STRING, [GQ_LIT_INT] = LANG_SCALAR_I64,
		[GQ_LIT_FLOAT] = LANG_SCALAR_F64,     [GQ_LIT_BOOL] = LANG_SCALAR_BOOL,
		[GQ_LIT_DATE] = LANG_SCALAR_DATE,     [GQ_LIT_DATETIME] = LANG_SCALAR_DATETIME,
		[GQ_LIT_LIST] = LANG_SCALAR_STRING,
	};
	if (l->kind != GQ_LIT_LIST)
		return scalar_type(by_kind[l->kind]);
	struct lang_type t = l->n_items > 0 ? lit_type(&l->items[0]) : scalar_type(LANG_SCALAR_STRING);
	t.list = 1;
	return t;
}

/* How column c's values render. */
static void column_type(const struct qx *x, size_t c, struct qx_col *col)
{
	const struct gq_ir_column *ic = &x->ir->columns[c];
	const struct gq_ir_expr *e = ic->expr;
	while (e->kind == GQ_IR_COLUMN && e->index < c) {
		ic = &x->ir->columns[e->index];
		e = ic->expr;
	}
	col->type = ic->type.t;
	if (e->kind == GQ_IR_AGG) {
		const struct gq_ir_expr *a = e->arg[0];
		if (e->agg == GQ_AGG_COUNT)
			col->type = scalar_type(LANG_SCALAR_I64);
		else if (e->agg == GQ_AGG_SUM || e->agg == GQ_AGG_AVG)
			col->type = scalar_type(LANG_SCALAR_F64);
		else if (a->kind == GQ_IR_PROP || a->kind == GQ_IR_PARAM)
			col->type = a->type.t;
	} else if (e->kind == GQ_IR_NODE || ic->type.kind == GQ_T_NODE) {
		col->is_node = 1;
		col->type = scalar_type(LANG_SCALAR_STRING);
	} else if (e->kind == GQ_IR_LIT) {
		col->type = lit_type(e->lit);
	} else if (e->kind == GQ_IR_NOW) {
		col->type = scalar_type(LANG_SCALAR_DATETIME);
	} else if (e->kind == GQ_IR_PARAM && e->index != GQ_IR_NONE) {
		col->type = x->ir->param_types[e->index];
	}
	col->type.n_enum = 0;       /* enums render as strings; the catalog */
	col->type.enum_values = NULL; /* may not outlive the result         */
	col->type.nullable = 0;
}

int qx_result_new(struct grove_result **out, struct qx *x)
{
	struct grove_result *r = calloc(1, sizeof(*r));
	if (r == NULL || qx_rows_init(&r->store, x->db, 0) < 0) {
		free(r);
		return db_error(x->db, -ENOMEM, "out of memory");
	}
	r->ncols = x->ir->n_columns;
	r->cols = calloc(r->ncols + 1, sizeof(*r->cols));
	r->query_name = strdup(x->ir->name);
	int ok = r->cols != NULL && r->query_name != NULL;
	for (size_t c = 0; ok && c < r->ncols; c++) {
		column_type(x, c, &r->cols[c]);
		ok = (r->cols[c].name = strdup(x->ir->columns[c].name)) != NULL;
	}
	if (!ok) {
		grove_result_free(r);
		return db_error(x->db, -ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

void grove_result_free(grove_result *r)
{
	if (r == NULL)
		return;
	for (size_t c = 0; r->cols != NULL && c < r->ncols; c++) {
		free(r->cols[c].name);
		free(r->cols[c].type_name);
	}
	free(r->cols);
	free(r->rows);
	qx_rows_fini(&r->store);
	free(r->query_name);
	free(r->branch);
	free(r->snapshot);
	free(r->scratch);
	free(r);
}

/* ---- accessors ------------------------------------------------------------- */

size_t grove_result_ncols(const grove_result *r)
{
	return r ? r->ncols : 0;
}

size_t grove_result_nrows(const grove_result *r)
{
	return r ? r->nrows : 0;
}

const char *grove_result_column(const grove_result *r, size_t col)
{
	return r && col < r->ncols ? r->cols[col].name : NULL;
}

const char *grove_result_column_type(grove_result *r, size_t col)
{
	if (r == NULL || col >= r->ncols)
		return NULL;
	struct qx_col *c = &r->cols[col];
	if (c->type_name == NULL)
		c->type_name = lang_type_display(&c->type);
	return c->type_name;
}

const char *grove_result_commit_id(const grove_result *r)
{
	return r && r->commit_id[0] ? r->commit_id : NULL;
}

uint64_t grove_result_rows_visited(const grove_result *r)
{
	return r ? r->rows_visited : 0;
}

static const msgpack_object *cell(const grove_result *r, size_t row, size_t col)
{
	return r && row < r->nrows && col < r->ncols ? &r->rows[row][col] : NULL;
}

int grove_result_is_null(const grove_result *r, size_t row, size_t col)
{
	const msgpack_object *o = cell(r, row, col);
	return o == NULL || o->type == MSGPACK_OBJECT_NIL;
}

int grove_result_int(int64_t *out, const grove_result *r, size_t row, size_t col)
{
	const msgpack_object *o = cell(r, row, col);
	if (o == NULL || out == NULL)
		return GROVE_EINVAL;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER || (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	                                                   o->via.u64 <= INT64_MAX)) {
		*out = o->via.i64;
		return 0;
	}
	return o->type == MSGPACK_OBJECT_NIL ? GROVE_ENOTFOUND : GROVE_EINVAL;
}

int grove_result_double(double *out, const grove_result *r, size_t row, size_t col)
{
	const msgpack_object *o = cell(r, row, col);
	if (o == NULL || out == NULL)
		return GROVE_EINVAL;
	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: *out = o->via.f64; return 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER: *out = (double)o->via.u64; return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = (double)o->via.i64; return 0;
	case MSGPACK_OBJECT_NIL: return GROVE_ENOTFOUND;
	default: return GROVE_EINVAL;
	}
}

int grove_result_string(const char **out, size_t *len, const grove_result *r, size_t row, size_t col)
{
	const msgpack_object *o = cell(r, row, col);
	if (o == NULL || out == NULL)
		return GROVE_EINVAL;
	if (o->type != MSGPACK_OBJECT_STR)
		return o->type == MSGPACK_OBJECT_NIL ? GROVE_ENOTFOUND : GROVE_EINVAL;
	*out = value_str(o);
	if (len != NULL)
		*len = o->via.str.size;
	return 0;
}

/* ---- JSON ------------------------------------------------------------------ */

/* A value that does not fit its column's type (never expected) renders
 * by its own encoding. */
static void render_plain(struct jsonw *w, const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN: jsonw_bool(w, o->via.boolean); break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER: jsonw_uint(w, o->via.u64); break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: jsonw_int(w, o->via.i64); break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: jsonw_double(w, o->via.f64); break;
	case MSGPACK_OBJECT_STR: jsonw_string(w, o->via.str.ptr, o->via.str.size); break;
	case MSGPACK_OBJECT_ARRAY:
		jsonw_array_begin(w);
		for (uint32_t i = 0; i < o->via.array.size; i++)
			render_plain(w, &o->via.array.ptr[i]);
		jsonw_array_end(w);
		break;
	default: jsonw_null(w); break;
	}
}

static void render_cell(struct jsonw *w, const struct qx_col *c, const msgpack_object *o)
{
	struct value_error verr;
	if (c->is_node || o->type == MSGPACK_OBJECT_NIL) {
		render_plain(w, o);
		return;
	}
	size_t len = w->len;
	if (value_render(w, &c->type, o, VALUE_RENDER_RESULT, &verr) < 0 && w->len == len)
		render_plain(w, o);
}

const char *grove_result_value_json(grove_result *r, size_t row, size_t col)
{
	const msgpack_object *o = cell(r, row, col);
	if (o == NULL)
		return NULL;
	struct jsonw w;
	jsonw_init(&w, 0);
	render_cell(&w, &r->cols[col], o);
	if (jsonw_error(&w) < 0) {
		jsonw_fini(&w);
		return NULL;
	}
	free(r->scratch);
	r->scratch = w.buf;
	return r->scratch;
}

static void write_result(struct jsonw *w, const grove_result *r)
{
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "query_name");
	jsonw_cstr(w, r->query_name);
	jsonw_key_cstr(w, "target");
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "branch");
	r->branch ? jsonw_cstr(w, r->branch) : jsonw_null(w);
	jsonw_key_cstr(w, "snapshot");
	r->snapshot ? jsonw_cstr(w, r->snapshot) : jsonw_null(w);
	jsonw_object_end(w);
	jsonw_key_cstr(w, "row_count");
	jsonw_uint(w, r->nrows);
	jsonw_key_cstr(w, "columns");
	jsonw_array_begin(w);
	for (size_t c = 0; c < r->ncols; c++)
		jsonw_cstr(w, r->cols[c].name);
	jsonw_array_end(w);
	jsonw_key_cstr(w, "rows");
	jsonw_array_begin(w);
	for (size_t i = 0; i < r->nrows; i++) {
		jsonw_object_begin(w);
		for (size_t c = 0; c < r->ncols; c++) {
			jsonw_key_cstr(w, r->cols[c].name);
			render_cell(w, &r->cols[c], &r->rows[i][c]);
		}
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
	if (r->commit_id[0]) {
		jsonw_key_cstr(w, "graph_commit_id");
		jsonw_cstr(w, r->commit_id);
	}
	jsonw_object_end(w);
}

int grove_result_json(char **out, const grove_result *r)
{
	if (out == NULL || r == NULL)
		return GROVE_EINVAL;
	struct jsonw w;
	jsonw_init(&w, QX_MAX_BYTES);
	write_result(&w, r);
	int err = jsonw_error(&w);
	if (err < 0) {
		jsonw_fini(&w);
		return err == GROVE_ETOOBIG ? GROVE_ELIMIT : err;
	}
	*out = w.buf;
	return 0;
}
