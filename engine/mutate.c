/*
 * mutate.c — grove_mutate_json: compile a mutation query, run its
 * statements under the branch's write lock on the newest state, log and
 * apply the effects as one event (one commit), release the lock, wait for
 * the fsync, report affected counts.
 */
#include "engine/mutate.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/jsonw.h"
#include "engine/numfmt.h"
#include "engine/prepared.h"
#include "index/apply.h"
#include "lang/query_ast.h"
#include "lang/typecheck.h"
#include "log/error.h"

/* A compiled query from the handle's cache (engine/prepared.h): shared
 * with other threads, read-only. */
struct compiled {
	struct prepared *p;
	const struct gq_ir_query *ir;
};

static void compiled_free(struct compiled *c)
{
	prepared_release(c->p);
}

/* A query either builds (insert/update) or destroys (delete), never both
 * (engine §5.1): refused before any work. */
static int check_mixed(grove_db *db, const struct gq_ir_query *ir, const char *name)
{
	bool builds = false, destroys = false;
	for (size_t i = 0; i < ir->n_mutations; i++) {
		if (ir->mutations[i].kind == GQ_MUT_DELETE)
			destroys = true;
		else
			builds = true;
	}
	if (!builds || !destroys)
		return 0;
	return db_error(db, GROVE_EINVAL,
			"mutation '%s' on the same query mixes inserts/updates and deletes; split "
			"into separate mutations: (1) inserts and updates, then (2) deletes. A query is "
			"deliberately constructive or destructive, not both, so its read-your-writes "
			"stays unambiguous; run the two on a branch and merge if you need them in one "
			"atomic commit.", name);
}

/* Parse, find, typecheck against `cat`, lower (prepared_compile_fn). */
static int compile_mutation(struct prepared *c, grove_db *db, const struct lang_catalog *cat,
			    const char *src, const char *name)
{
	struct lang_diag diag = LANG_DIAG_INIT;
	const struct gq_query *q;
	int err = 0;

	if (gq_parse(&c->file, src, strlen(src), &diag) < 0)
		err = db_error_diag_position(db, db_error(db, GROVE_EPARSE, "%s", diag.message ? diag.message
							  : "parse error"), &diag, src, strlen(src));
	else if (!(q = gq_file_find(c->file, name)))
		err = db_error(db, GROVE_EINVAL, "query '%s' not found", name);
	else if (!gq_query_is_mutation(q))
		err = db_error(db, GROVE_EINVAL,
			       "mutation execution called on a read query; use query instead");
	else if (gq_typecheck(&c->checked, cat, q, &diag) < 0)
		err = db_error_diag_position(db, db_error(db, GROVE_ETYPE, "%s", diag.message ? diag.message
							 : "type error"), &diag, src, strlen(src));
	else if ((err = gq_lower(&c->ir, c->checked, &diag)) < 0)
		err = db_error(db, err == GQ_LOWER_UNBOUND ? GROVE_EINVAL : -ENOMEM, "%s",
			       diag.message ? diag.message : "out of memory");
	lang_diag_clear(&diag);
	return err;
}

int mutate_compile(struct prepared **out, grove_db *db, const char *src, const char *name)
{
	int err = prepared_get(out, db, PREPARED_MUTATION, src, name, compile_mutation);
	if (err == 0 && (err = check_mixed(db, (*out)->ir, name)) < 0) {
		prepared_release(*out);
		*out = NULL;
	}
	return err;
}

static int compile(struct compiled *c, grove_db *db, const char *src, const char *name)
{
	int err;

	memset(c, 0, sizeof *c);
	if ((err = mutate_compile(&c->p, db, src, name)) < 0)
		return err;
	c->ir = c->p->ir;
	return 0;
}

/* Arrow's name of an integer or float column type, as upstream's
 * messages print it; NULL for the others. */
static const char *arrow_name(const struct lang_type *t)
{
	static const char *const names[LANG_SCALAR__COUNT] = {
		[LANG_SCALAR_I32] = "Int32", [LANG_SCALAR_I64] = "Int64",
		[LANG_SCALAR_U32] = "UInt32", [LANG_SCALAR_U64] = "UInt64",
		[LANG_SCALAR_F32] = "Float32", [LANG_SCALAR_F64] = "Float64",
	};
	return t->list || t->scalar >= LANG_SCALAR__COUNT ? NULL : names[t->scalar];
}

/* Upstream's words for a numeric literal its column cannot hold (spec
 * §7.1, §7.2, §11): into buf, or false for any other failure. */
static bool numeric_lit_msg(char *buf, size_t cap, const struct gq_lit *lit, const struct lang_type *t)
{
	const char *col = arrow_name(t);
	char num[NUMFMT_JSON_MAX];
	bool int_col = col && t->scalar != LANG_SCALAR_F32 && t->scalar != LANG_SCALAR_F64;

	if (!col)
		return false;
	if (lit->kind == GQ_LIT_FLOAT && int_col) {
		if (!isfinite(lit->f))
			return false;
		numfmt_json_f64(num, lit->f);
		snprintf(buf, cap, "cannot convert Float(%s) to %s", num, col);
	} else if (lit->kind == GQ_LIT_INT && int_col) {
		snprintf(buf, cap, "integer value %lld exceeds %s range", (long long)lit->i, col);
	} else if (lit->kind == GQ_LIT_FLOAT && t->scalar == LANG_SCALAR_F32 && isfinite(lit->f)) {
		char plain[NUMFMT_PLAIN_MAX];   /* Rust's Display, as upstream prints it */
		numfmt_plain_f64(plain, lit->f);
		snprintf(buf, cap, "float value %s exceeds Float32 range", plain);
	} else {
		return false;
	}
	return true;
}

int mutate_value(struct mutation *m, msgpack_packer *pk, const struct gq_ir_expr *e,
		 const struct lang_type *t, const char *prop)
{
	struct value_opts o = VALUE_OPTS_INIT;
	grove_db *db = m->plan.db;
	json_t *j = NULL;
	int err;

	if (e->kind == GQ_IR_NOW) {
		msgpack_pack_int64(pk, m->now_ms);
		return 0;
	}
	if (e->kind == GQ_IR_PARAM) {
		j = json_incref(json_object_get(m->params, e->name));
	} else if (e->kind == GQ_IR_LIT) {
		j = engine_lit_json(e->lit);
		if (!j)
			return db_error(db, -ENOMEM, "out of memory");
	} else {
		return db_error(db, GROVE_EINVAL, "property '%s': unsupported value expression", prop);
	}
	err = value_from_param(pk, e->kind == GQ_IR_PARAM ? e->name : prop, t, j, &o,
			       &m->plan.verr);
	json_decref(j);
	if (err == GROVE_ENOTFOUND && e->kind == GQ_IR_PARAM)
		return db_error(db, GROVE_EINVAL, "parameter '%s' not provided", e->name);
	if (err < 0) {
		/* A literal that does not fit its column (spec §9.4). */
		char msg[NUMFMT_PLAIN_MAX + 64];
		if (e->kind == GQ_IR_LIT && err != -ENOMEM && numeric_lit_msg(msg, sizeof msg, e->lit, t))
			return db_error(db, GROVE_EINVAL, "property '%s': %s", prop, msg);
		if (e->kind == GQ_IR_LIT) {
			/* A literal is no parameter: drop the converter's "param 'p': ". */
			const char *why = m->plan.verr.msg;
			char pre[VALUE_ERROR_FIELD_MAX + 16];
			int n = snprintf(pre, sizeof pre, "param '%s': ", prop);
			if (n > 0 && !strncmp(why, pre, (size_t)n))
				why += n;
			return db_error(db, GROVE_EINVAL, "property '%s': %s", prop, why);
		}
		db_error(db, err, "%s", m->plan.verr.msg);
		return m->plan.verr.resource[0] ? db_error_limit(db, err, m->plan.verr.resource, m->plan.verr.limit,
								  m->plan.verr.actual) : err;
	}
	return 0;
}

static void write_result(struct jsonw *w, const char *branch, const char *name, const char *actor,
			 const struct mutation *m, const grove_commit *c)
{
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "branch");
	jsonw_cstr(w, branch);
	jsonw_key_cstr(w, "query_name");
	jsonw_cstr(w, name);
	jsonw_key_cstr(w, "affected_nodes");
	jsonw_uint(w, m->affected_nodes);
	jsonw_key_cstr(w, "affected_edges");
	jsonw_uint(w, m->affected_edges);
	jsonw_key_cstr(w, "actor_id");
	actor && *actor ? jsonw_cstr(w, actor) : jsonw_null(w);
	jsonw_key_cstr(w, "commit");
	if (c)
		engine_commit_json(w, c);
	else
		jsonw_null(w);
	jsonw_object_end(w);
}

/* The commit the apply records (index/apply.c): the branch's version is
 * its head commit's, so ours is the planned head's plus one. */
static void our_commit(grove_commit *out, const struct event *ev, const struct commit_rec *head,
		       const char *branch, uint64_t lsn)
{
	struct commit_rec c = { .id = ev->commit, .parent = head->id, .lsn = lsn,
				.time_us = ev->time_us, .version = head->version + 1,
				.kind = EVENT_MUTATION };
	snprintf(c.branch, sizeof c.branch, "%s", branch);
	snprintf(c.actor, sizeof c.actor, "%.*s", (int)ev->actor.len,
		 ev->actor.ptr ? (const char *)ev->actor.ptr : "");
	engine_commit_public(out, &c);
}

/* Stage every statement, check the final image, log and apply one event
 * (not yet durable: *lsn is what the caller waits for, *commit what it
 * reports once it is). */
static int run_statements(struct mutation *m, grove_db *db, const grove_mutate_options *o,
			  const char *branch, const char *src, const char *params_json,
			  uint64_t *lsn, grove_commit *commit, int *committed)
{
	struct event ev = { .kind = EVENT_MUTATION };
	struct timespec ts;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	m->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (size_t i = 0; !err && i < m->ir->n_mutations; i++)
		err = mutate_statement(m, &m->ir->mutations[i], (unsigned long)i + 1);
	if (err || (err = load_finish(&m->plan)) < 0)
		return err;
	*committed = m->plan.nfx > 0;
	if (!*committed)
		return 0; /* a mutation that changes nothing commits nothing */
	engine_event_stamp(&ev, branch, o ? o->actor : NULL);
	ev.parent = m->plan.at.head.id;
	ev.op_text = event_str(src);
	if (params_json)
		ev.params = event_str(params_json);
	ev.effects = m->plan.fx;
	ev.neffects = (uint32_t)m->plan.nfx;
	read_at_close(&m->plan.at);
	if ((err = seq_commit_begin(db, &ev, 1, ev.effects, ev.neffects, lsn)) < 0)
		return err;
	our_commit(commit, &ev, &m->plan.at.head, branch, *lsn);
	return 0;
}

static int check_head(grove_db *db, const struct read_at *at, const char *branch,
		      const char *expected)
{
	char head[COMMIT_ID_TEXT_BYTES];
	if (!expected)
		return 0;
	commit_id_format(head, &at->head.id);
	if (!strcmp(head, expected))
		return 0;
	return db_error(db, GROVE_EPRECONDITION,   /* upstream's PreconditionFailed text */
			"precondition failed on branch '%s': expected head '%s' but current is %s",
			branch, expected, head);
}

/* One mutation's work under the branch's writer (db_branch_run). */
struct mutate_job {
	grove_db *db;
	const grove_mutate_options *o;
	const char *branch, *src, *name, *params_json;
	struct mutation *m;
	uint64_t lsn;                 /* out: the event, when committed */
	grove_commit commit;          /* out: its commit */
	int committed;
	struct jsonw result;          /* the answer, once built */
	bool built;
};

/* The answer does not depend on the fsync, so it is built while the
 * record is synced when this thread waits for it (db_branch_run). */
static void build_result(void *arg)
{
	struct mutate_job *j = arg;

	jsonw_init(&j->result, 0);
	write_result(&j->result, j->branch, j->name, j->o ? j->o->actor : NULL, j->m,
		     j->committed ? &j->commit : NULL);
	j->built = true;
}

static int mutate_locked(void *arg, uint64_t *lsn)
{
	struct mutate_job *j = arg;
	struct mutation *m = j->m;
	grove_target t = { j->branch, NULL };
	int err = load_plan_init(&m->plan, j->db, GROVE_LOAD_MERGE, 0);

	if (err < 0)
		return err;
	m->plan.restage = true;
	m->plan.final_values = true;   /* spec §3.12: validation on the final state */
	if ((err = read_at_open_newest(&m->plan.at, j->db, &t)) == 0 &&
	    (err = check_head(j->db, &m->plan.at, j->branch,
			      j->o ? j->o->expected_head : NULL)) == 0)
		err = run_statements(m, j->db, j->o, j->branch, j->src, j->params_json, &j->lsn,
				     &j->commit, &j->committed);
	load_plan_free(&m->plan);
	if (!err && j->committed)
		*lsn = j->lsn;
	return err;
}

int mutate_run(char **out, grove_db *db, const grove_mutate_options *o, struct prepared *p,
	       const json_t *params, const char *src, const char *name, const char *params_json)
{
	char branch_buf[BRANCH_NAME_MAX + 1];
	/* NULL is main; a name given is trimmed, and blank is refused (as
	 * OmniGraph's normalize_branch_name: "" is no way to say main). */
	const char *branch = o && o->branch ? branch_name_trim(branch_buf, o->branch) : MAIN_BRANCH;
	/* Not `= { 0 }`: the plan's 4 KiB read chain is set up by
	 * load_plan_init in mutate_locked, the only user of the plan. */
	struct mutation m;
	struct mutate_job job = { .db = db, .o = o, .branch = branch, .src = src,
				  .name = name, .params_json = params_json, .m = &m };
	int err;

	*out = NULL;
	m.params = params;
	m.now_ms = 0;
	m.affected_nodes = m.affected_edges = 0;
	m.ir = p->ir;
	if ((err = engine_actor_check(db, o ? o->actor : NULL)) == 0 &&
	    (err = engine_params_undeclared(db, params, p->ir)) == 0 &&
	    (err = engine_params_declared(db, params, p->ir)) == 0 &&
	    (err = branch_name_check(db, branch, "mutate")) == 0) {
		/* Plan, log and apply under the branch's writer; the next
		 * mutation of the branch plans on our applied effects while
		 * our record waits for its fsync (early lock release).
		 * Returns once our record is durable. */
		err = db_branch_run(db, branch, mutate_locked, build_result, &job);
		if (err < 0 || !job.committed)
			err = db_writer_settle(db, err);
	}
	if (!err && !job.built)
		build_result(&job);
	if (!err && (err = jsonw_error(&job.result)) < 0)
		db_error(db, err, "out of memory");
	if (!err)
		*out = job.result.buf;
	else if (job.built)
		jsonw_fini(&job.result);
	return err;
}

int grove_mutate_json(char **out, grove_db *db, const grove_mutate_options *o, const char *src,
		      const char *name, const char *params_json)
{
	struct compiled c;
	json_t *params = NULL;
	int err;

	*out = NULL;
	if (name == NULL)   /* as grove_prepare_mutation: the answer names it */
		return db_error(db, GROVE_EINVAL, "grove_mutate_json: a query name is required");
	if ((err = compile(&c, db, src, name)) < 0) {
		compiled_free(&c);
		return err;
	}
	if ((err = engine_params_parse(&params, db, params_json)) == 0)
		err = mutate_run(out, db, o, c.p, params, src, name, params_json);
	json_decref(params);
	compiled_free(&c);
	return err;
}
