/*
 * engine/query_run.c — running a read query (grove.h "Queries"): parse
 * the `.gq` text, pick the query (spec §3.2), typecheck it against the
 * catalog in force (spec §4), lower it (lang/ir.h), convert the JSON
 * parameters by declared type (spec §7.1), open one consistent read at
 * the target (a branch head or a commit: time travel, engine §4.1-4.2)
 * and run the pipeline into a result.
 *
 * Errors: GROVE_EPARSE / GROVE_ETYPE with the compiler's diagnostic
 * (`query:LINE:COL: parse error: ...` for a syntax error); the run-time
 * errors of spec §9.4 are GROVE_EINVAL with their exact texts; a mutation
 * query is refused with a pointer to grove_mutate_json().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/prepared.h"
#include "engine/query.h"
#include "lang/query_ast.h"
#include "log/commit_id.h"
#include "log/error.h"

/* A compiled query from the handle's cache (engine/prepared.h): shared
 * with other threads, read-only. */
struct compiled {
	struct prepared *p;
	const struct gq_checked *checked;
	const struct gq_ir_query *ir;
};

static void compiled_free(struct compiled *c)
{
	prepared_release(c->p);
}

static int diag_error(grove_db *db, int code, struct lang_diag *d, const char *src)
{
	const char *msg = d->message ? d->message : "invalid query";
	int err = d->has_span ? db_error(db, code, "query:%u:%u: %s", (unsigned)d->line, (unsigned)d->col, msg)
	                      : db_error(db, code, "%s", msg);
	db_error_diag_position(db, err, d, src, src ? strlen(src) : 0);
	lang_diag_clear(d);
	return err;
}

static const struct gq_query *pick(grove_db *db, const struct gq_file *f, const char *name, int *err)
{
	const struct gq_query *q = NULL;
	if (name != NULL && (q = gq_file_find(f, name)) == NULL)
		*err = db_error(db, GROVE_EINVAL, "query '%s' not found", name);
	else if (name == NULL && f->n_queries == 1)
		q = &f->queries[0];
	else if (name == NULL)
		*err = db_error(db, GROVE_EINVAL, f->n_queries == 0 ? "the query file holds no query"
		                : "query file contains multiple queries; pass --name");
	if (q != NULL && gq_query_is_mutation(q)) {
		/* The embedded API's text (spec §3.2); run it with grove_mutate_json. */
		*err = db_error(db, GROVE_EINVAL,
		                "type error: mutation query cannot be typechecked with read-query API");
		q = NULL;
	}
	return q;
}

static size_t count_steps(const struct gq_ir_pipeline *p)
{
	size_t n = p->n_steps;
	for (size_t i = 0; i < p->n_steps; i++)
		if (p->steps[i].kind == GQ_IR_ANTI_JOIN)
			n += count_steps(&p->steps[i].inner);
	return n;
}

/* Parse, pick, typecheck against `cat`, lower (prepared_compile_fn). */
static int compile_read(struct prepared *c, grove_db *db, const struct lang_catalog *cat, const char *src,
                        const char *name)
{
	struct lang_diag d = LANG_DIAG_INIT;
	int err = 0;
	if (gq_parse(&c->file, src, strlen(src), &d) != 0)
		return diag_error(db, GROVE_EPARSE, &d, src);
	const struct gq_query *q = pick(db, c->file, name, &err);
	if (q == NULL)
		return err;
	if (gq_typecheck_read(&c->checked, cat, q, &d) != 0)
		return diag_error(db, GROVE_ETYPE, &d, src);
	if ((err = gq_lower(&c->ir, c->checked, &d)) != 0)
		return diag_error(db, err == GQ_LOWER_UNBOUND ? GROVE_EINVAL : -ENOMEM, &d, NULL);
	size_t steps = count_steps(&c->ir->pipeline);
	if (steps > QX_MAX_STEPS) {
		db_error(db, GROVE_ELIMIT, "query '%s' has %zu steps; at most %u are allowed", q->name, steps,
		         QX_MAX_STEPS);
		return db_error_limit(db, GROVE_ELIMIT, "query steps", QX_MAX_STEPS, steps);
	}
	return 0;
}

static int compile(struct compiled *c, grove_db *db, const char *src, const char *name)
{
	memset(c, 0, sizeof(*c));
	int err = prepared_get(&c->p, db, PREPARED_READ, src, name, compile_read);
	if (err < 0)
		return err;
	c->checked = c->p->checked;
	c->ir = c->p->ir;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The text of a commit id: the last one this thread formatted when it
 * is the same (reads of one head follow one another). */
static void head_id_text(char out[GROVE_COMMIT_ID_BYTES], const struct commit_id *id)
{
	static __thread struct {
		bool set;
		struct commit_id id;
		char text[COMMIT_ID_TEXT_BYTES];
	} last;
	if (!last.set || memcmp(&last.id, id, sizeof *id) != 0) {
		commit_id_format(last.text, id);
		last.id = *id;
		last.set = true;
	}
	memcpy(out, last.text, COMMIT_ID_TEXT_BYTES);
}

/* Where the result says it read (spec §9.1 "target", "graph_commit_id"). */
static int stamp_target(struct grove_result *res, const grove_target *target, const struct read_at *r)
{
	_Static_assert(GROVE_COMMIT_ID_BYTES == COMMIT_ID_TEXT_BYTES, "commit id text sizes");
	head_id_text(res->commit_id, &r->head.id);
	if (target != NULL && target->commit != NULL)
		res->snapshot = strdup(res->commit_id);
	else
		res->branch = strdup(r->branch);
	return res->snapshot != NULL || res->branch != NULL ? 0 : -ENOMEM;
}

static bool cat_has(const struct lang_catalog *cat, uint32_t id)
{
	for (uint32_t i = 0; i < cat->n_nodes; i++)
		if (cat->nodes[i].id == id)
			return true;
	for (uint32_t i = 0; i < cat->n_edges; i++)
		if (cat->edges[i].id == id)
			return true;
	return false;
}

/* A query compiles against the catalog in force; at an older target each
 * type it reads must have existed then under the same identity (a type
 * dropped and re-added is a new lifetime, engine §4.2). */
/* Edge types walked by EXPAND steps (also inside anti-joins). */
static int edges_exist_at(grove_db *db, const struct read_at *r, const struct gq_ir_pipeline *p,
                          unsigned depth)
{
	if (depth > QX_MAX_STEPS)
		return 0;
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct gq_ir_step *s = &p->steps[i];
		if (s->kind == GQ_IR_EXPAND && !cat_has(r->cat, s->edge_type_id)) {
			const struct lang_cat_type *t = engine_type_by_id(db, s->edge_type_id);
			return db_error(db, GROVE_EINVAL, "edge type '%s' does not exist at this snapshot",
			                t ? t->name : "?");
		}
		if (s->kind == GQ_IR_ANTI_JOIN) {
			int err = edges_exist_at(db, r, &s->inner, depth + 1);
			if (err < 0)
				return err;
		}
	}
	return 0;
}

static int types_exist_at(grove_db *db, const struct read_at *r, const struct gq_ir_query *ir)
{
	if (!r->cat)
		return 0;
	for (size_t i = 0; i < ir->n_bindings; i++) {
		const struct gq_ir_binding *b = &ir->bindings[i];
		if (!cat_has(r->cat, b->type_id))
			return db_error(db, GROVE_EINVAL, "%s type '%s' does not exist at this snapshot",
			                b->is_edge ? "edge" : "node", b->type ? b->type->name : "?");
	}
	return edges_exist_at(db, r, &ir->pipeline, 0);
}

static int execute(struct grove_result **out, grove_db *db, const grove_target *target,
                   const struct compiled *c, json_t *params)
{
	struct read_at r;
	int err = read_at_open(&r, db, target);
	if (err < 0)
		return err;
	if ((err = types_exist_at(db, &r, c->ir)) < 0) {
		read_at_close(&r);
		return err;
	}
	struct qx x = { .db = db, .r = &r, .ir = c->ir, .checked = c->checked, .params = params };
	layered_pool_init(&x.rows_pool, r.txn, db->views->rows, &r.chain);
	layered_pool_init(&x.adj_pool, r.txn, db->views->adj, &r.chain);
	layered_pool_init(&x.pidx_pool, r.txn, db->views->pidx, &r.chain);
	x.now_ms = now_ms();
	x.n_slots = c->ir->n_bindings;
	x.slots = calloc(x.n_slots + 1, sizeof(*x.slots));
	int zone_ok = msgpack_zone_init(&x.zone, QX_ZONE_CHUNK_MIN);
	if (x.slots == NULL || !zone_ok)
		err = db_error(db, -ENOMEM, "out of memory");
	if (err == 0 && (err = qx_params(&x)) == 0 && (err = qx_search_prepare(&x)) == 0 &&
	    (err = qx_collect(&x, out)) == 0 && stamp_target(*out, target, &r) < 0) {
		grove_result_free(*out);
		*out = NULL;
		err = db_error(db, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; x.slots != NULL && i < x.n_slots; i++)
		if (x.slots[i].zone_ready)
			msgpack_zone_destroy(&x.slots[i].zone);
	qx_search_free(&x);
	qx_adjc_release(&x);
	free(x.slots);
	free(x.consts);
	if (zone_ok)
		msgpack_zone_destroy(&x.zone);
	layered_pool_fini(&x.rows_pool);
	layered_pool_fini(&x.adj_pool);
	layered_pool_fini(&x.pidx_pool);
	read_at_close(&r);
	return err;
}

int query_compile(struct prepared **out, grove_db *db, const char *src, const char *name)
{
	return prepared_get(out, db, PREPARED_READ, src, name, compile_read);
}

int query_run_compiled(grove_result **out, grove_db *db, const grove_target *target,
                       struct prepared *p, json_t *params)
{
	struct compiled c = { .p = p, .checked = p->checked, .ir = p->ir };
	return execute(out, db, target, &c, params);
}

int grove_query(grove_result **out, grove_db *db, const grove_target *target, const char *gq_source,
                const char *query_name, const char *params_json)
{
	if (out == NULL || db == NULL || gq_source == NULL)
		return db ? db_error(db, GROVE_EINVAL, "grove_query: out, db and gq_source are required")
		          : GROVE_EINVAL;
	*out = NULL;
	json_t *params;
	int err = engine_params_parse(&params, db, params_json);
	if (err < 0)
		return err;
	struct compiled c;
	if ((err = compile(&c, db, gq_source, query_name)) == 0)
		err = execute(out, db, target, &c, params);
	compiled_free(&c);
	json_decref(params);
	return err;
}

int grove_query_json(char **out_json, grove_db *db, const grove_target *target, const char *gq_source,
                     const char *query_name, const char *params_json)
{
	if (out_json == NULL)
		return GROVE_EINVAL;
	*out_json = NULL;
	grove_result *res;
	int err = grove_query(&res, db, target, gq_source, query_name, params_json);
	if (err < 0)
		return err;
	if ((err = grove_result_json(out_json, res)) < 0)
		err = err == GROVE_ELIMIT ? db_error_limit(db, db_error(db, err, "the query result exceeds %llu bytes",
		                                                         (unsigned long long)QX_MAX_BYTES),
		                                           "result bytes", QX_MAX_BYTES, QX_MAX_BYTES + 1)
		                          : db_error(db, err, "out of memory");
	grove_result_free(res);
	return err;
}
