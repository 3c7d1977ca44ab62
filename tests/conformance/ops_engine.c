/*
 * tests/conformance/ops_engine.c — the engine ops: graphs and handles
 * (init, init_fresh_graph, open_handle, reopen), loads, branches, commits
 * (head_commit, list_commits, graph_version, resolve_snapshot) and the
 * maintenance ops that only have to succeed in Grove (ensure_indices,
 * optimize); the reads at a target, the catalog and export are in
 * ops_engine_read.c.  Everything goes through the public API
 * (include/grove.h).
 *
 * Each case gets a temporary directory; every graph of the case is a
 * subdirectory.  A step's `handle` names a handle: one opened by
 * `open_handle` (a grove_open() of the default graph: in Grove a second
 * open in one process shares the first's state) or the graph of an
 * `init_fresh_graph` with that handle.  Steps without `handle` use the
 * default graph.  cf_engine_case_end() closes every handle and removes the
 * directory.
 *
 * The ops the cases use that Grove has not built yet are listed in
 * cf_pending_engine: a case naming one is skipped with the reason.  The
 * expectation checks that generic matching cannot express are in
 * checks_engine.c.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grove.h"
#include "ops_engine.h"
#include "runner.h"

#define EG_HANDLES_MAX 32
#define EG_PATH_BYTES 4096

struct eg_handle {
	char *name;
	char *dir;
	grove_db *db;
};

struct eg_state {
	char root[EG_PATH_BYTES];  /* the case's temporary directory ("": none yet) */
	unsigned graphs;           /* graph directories made so far                 */
	char *dir;                 /* the default graph's directory                 */
	grove_db *db;              /* the default handle                            */
	struct eg_handle named[EG_HANDLES_MAX];
	size_t n_named;
};

static struct eg_state *eg_state(struct cf_ctx *ctx)
{
	if (ctx->engine == NULL && (ctx->engine = calloc(1, sizeof(struct eg_state))) == NULL) {
		fprintf(stderr, "grove-conformance: out of memory\n");
		abort();
	}
	return ctx->engine;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cf_engine_case_end(struct cf_ctx *ctx)
{
	struct eg_state *st = ctx->engine;
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n_named; i++) {
		grove_close(st->named[i].db);
		free(st->named[i].name);
		free(st->named[i].dir);
	}
	grove_close(st->db);
	free(st->dir);
	if (st->root[0])
		nftw(st->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(st);
	ctx->engine = NULL;
}

/* ---- results ------------------------------------------------------------ */

/* The result of a failed call on `db` (NULL: grove_init/grove_open). */
json_t *eg_fail(const grove_db *db, int err)
{
	const char *msg = grove_errmsg(db);
	json_t *r = cf_error(msg && msg[0] ? msg : grove_strerror(err), 0);
	grove_error_info info;
	grove_error_info_get(&info, db);
	/* info.kind refines the kind of the error it was recorded with only */
	const char *kind = info.kind[0] && info.code == err ? info.kind : grove_error_kind(err);
	json_object_set_new(r, "error_kind", json_string(kind));
	json_object_set_new(r, "code", json_string(grove_strerror(err)));
	if (info.type_key[0])
		json_object_set_new(r, "type_key", json_string(info.type_key));
	if (info.entity_id[0])
		json_object_set_new(r, "entity_id", json_string(info.entity_id));
	if (info.resource[0]) {
		json_object_set_new(r, "resource", json_string(info.resource));
		json_object_set_new(r, "limit", json_integer((json_int_t)info.limit));
		json_object_set_new(r, "actual", json_integer((json_int_t)info.actual));
	}
	return r;
}

/* An error the runner finds itself (a malformed step, an op's own check),
 * with OmniGraph's kind for it. */
json_t *eg_refuse(const char *kind, const char *fmt, ...)
{
	char msg[CF_WHY_BYTES];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *r = cf_error(msg, 0);
	json_object_set_new(r, "error_kind", json_string(kind));
	return r;
}

json_t *eg_str_or_null(const char *s)
{
	return s != NULL && s[0] ? json_string(s) : json_null();
}

/* ---- graphs and handles ------------------------------------------------- */

static char *eg_new_dir(struct eg_state *st, char *why)
{
	if (!st->root[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(st->root, sizeof(st->root), "%s/grove-conformance-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (mkdtemp(st->root) == NULL) {
			snprintf(why, CF_WHY_BYTES, "mkdtemp %.400s: %s", st->root, strerror(errno));
			st->root[0] = '\0';
			return NULL;
		}
	}
	char path[EG_PATH_BYTES + 32];
	snprintf(path, sizeof(path), "%s/g%u", st->root, st->graphs++);
	return strdup(path);
}

static struct eg_handle *eg_find(struct eg_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_named; i++)
		if (strcmp(st->named[i].name, name) == 0)
			return &st->named[i];
	return NULL;
}

/* Remember handle `name` on `dir` (replacing one of that name). */
static json_t *eg_keep(struct eg_state *st, const char *name, const char *dir, grove_db *db)
{
	struct eg_handle *h = eg_find(st, name);
	if (h == NULL) {
		if (st->n_named == EG_HANDLES_MAX) {
			grove_close(db);
			return cf_error("too many handles in one case", 0);
		}
		h = &st->named[st->n_named++];
		h->name = strdup(name);
		h->dir = NULL;
		h->db = NULL;
	}
	grove_close(h->db);
	free(h->dir);
	h->dir = strdup(dir);
	h->db = db;
	return cf_ok();
}

/* The handle a step runs on, or NULL with *fail set. */
grove_db *eg_db(struct cf_ctx *ctx, const json_t *step, json_t **fail)
{
	struct eg_state *st = eg_state(ctx);
	const char *name = json_string_value(json_object_get(step, "handle"));
	if (name != NULL) {
		struct eg_handle *h = eg_find(st, name);
		if (h != NULL && h->db != NULL)
			return h->db;
		*fail = eg_refuse("BadRequest", "no open handle named '%s' (open_handle or init_fresh_graph first)", name);
		return NULL;
	}
	if (st->db == NULL)
		*fail = cf_error("no graph: the case has not run init", 0);
	return st->db;
}

const char *eg_str(const json_t *step, const char *key)
{
	return json_string_value(json_object_get(step, key));
}

/* init: create the default graph from the step's or the case's schema.
 * On a case that has a graph already (`same_uri`, with or without
 * `force`: Grove has no forced init) it is an init of that same
 * directory, which must fail and leave the graph as it was. */
static json_t *op_init(struct cf_ctx *ctx, const json_t *step)
{
	struct eg_state *st = eg_state(ctx);
	char why[CF_WHY_BYTES];
	char *schema = cf_text(ctx, step, "schema", "schema", why);
	if (schema == NULL)
		return cf_error(why, 0);
	int fresh = st->dir == NULL;
	if (!fresh && json_is_true(json_object_get(step, "force"))) {
		free(schema);
		snprintf(ctx->skip, sizeof ctx->skip, "init --force repairs OmniGraph's storage "
			 "artifacts of a graph root; Grove has no forced init (a second init is "
			 "refused, as tested by the plain re-init cases)");
		return NULL;
	}
	if (fresh && (st->dir = eg_new_dir(st, why)) == NULL) {
		free(schema);
		return cf_error(why, 0);
	}
	grove_db *db = NULL;
	int err = grove_init(&db, st->dir, schema, NULL);
	free(schema);
	if (err < 0) {
		json_t *r = eg_fail(NULL, err);
		if (fresh) {
			free(st->dir);
			st->dir = NULL;
		}
		return r;
	}
	if (!fresh) {
		/* Grove let an init replace a graph: keep the old handle (the
		 * expectation of an error reports the step). */
		grove_close(db);
		return cf_ok();
	}
	st->db = db;
	return cf_ok();
}

/* init_fresh_graph: a new graph in a new directory; with `handle` the
 * steps tagged with it use it, without it becomes the default graph. */
static json_t *op_init_fresh_graph(struct cf_ctx *ctx, const json_t *step)
{
	struct eg_state *st = eg_state(ctx);
	char why[CF_WHY_BYTES];
	char *schema = cf_text(ctx, step, "schema", "schema", why);
	char *dir = schema ? eg_new_dir(st, why) : NULL;
	if (dir == NULL) {
		free(schema);
		return cf_error(why, 0);
	}
	grove_db *db = NULL;
	int err = grove_init(&db, dir, schema, NULL);
	free(schema);
	json_t *r;
	const char *name = eg_str(step, "handle");
	if (err < 0) {
		r = eg_fail(NULL, err);
	} else if (name != NULL) {
		r = eg_keep(st, name, dir, db);
	} else {
		grove_close(st->db);
		free(st->dir);
		st->db = db;
		st->dir = strdup(dir);
		r = cf_ok();
	}
	free(dir);
	return r;
}

/* open_handle: another grove_open() of the default graph. */
static json_t *op_open_handle(struct cf_ctx *ctx, const json_t *step)
{
	struct eg_state *st = eg_state(ctx);
	const char *name = eg_str(step, "handle");
	if (st->dir == NULL)
		return cf_error("open_handle: the case has no graph yet", 0);
	if (name == NULL)
		return cf_error("open_handle needs a 'handle' name", 0);
	grove_db *db = NULL;
	int err = grove_open(&db, st->dir, NULL);
	if (err < 0)
		return eg_fail(NULL, err);
	return eg_keep(st, name, st->dir, db);
}

/* reopen: close the handle (the step's, or the default) and open it again. */
static json_t *op_reopen(struct cf_ctx *ctx, const json_t *step)
{
	struct eg_state *st = eg_state(ctx);
	const char *name = eg_str(step, "handle");
	struct eg_handle *h = name ? eg_find(st, name) : NULL;
	grove_db **slot = h ? &h->db : &st->db;
	const char *dir = h ? h->dir : st->dir;
	if (dir == NULL || (name != NULL && h == NULL))
		return cf_error("reopen: no such graph or handle", 0);
	grove_close(*slot);
	*slot = NULL;
	int err = grove_open(slot, dir, NULL);
	return err < 0 ? eg_fail(NULL, err) : cf_ok();
}

/* ensure_indices: Grove maintains its indexes on write, so it only has to
 * succeed on an open graph. */
static json_t *op_maintenance(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	return eg_db(ctx, step, &fail) ? cf_ok() : fail;
}

/* optimize: grove_optimize; "committed" and the commit it made (or null). */
static json_t *op_optimize(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	grove_commit c;
	int rc = grove_optimize(&c, db);
	if (rc < 0)
		return eg_fail(db, rc);
	json_t *r = cf_ok();
	json_object_set_new(r, "committed", json_boolean(rc == 1));
	json_object_set_new(r, "commit", rc == 1 ? json_string(c.id) : json_null());
	return r;
}

/* ---- read targets ------------------------------------------------------- */

/* A saved value used as a step argument: "$stepN" is a whole result; its
 * "value" is what the case means. */
static const json_t *eg_unwrap(const json_t *v)
{
	if (json_is_object(v) && json_object_get(v, "value") != NULL)
		return json_object_get(v, "value");
	return v;
}

/* The commit of main with graph version `version` (the handle's active
 * branch in OmniGraph is main). */
static int eg_commit_at_version(char *out, grove_db *db, json_int_t version)
{
	grove_commit *v = NULL;
	size_t n = 0;
	int err = grove_commit_list(&v, &n, db, "main");
	if (err < 0)
		return err;
	err = GROVE_ENOTFOUND;
	for (size_t i = 0; i < n && err < 0; i++)
		if ((json_int_t)v[i].graph_version == version) {
			memcpy(out, v[i].id, GROVE_COMMIT_ID_BYTES);
			err = 0;
		}
	grove_free(v);
	return err;
}

/* `branch_or_commit`: a branch name, {"snapshot": commit id} or
 * {"graph_version": n}.  Absent: main.  NULL with *fail set on error. */
static struct eg_target *eg_target(struct eg_target *out, grove_db *db, const json_t *v, json_t **fail)
{
	memset(out, 0, sizeof(*out));
	v = eg_unwrap(v);
	if (v == NULL || json_is_null(v))
		return out;
	if (json_is_string(v)) {
		out->t.branch = json_string_value(v);
		return out;
	}
	const json_t *snap = eg_unwrap(json_object_get(v, "snapshot"));
	const json_t *ver = eg_unwrap(json_object_get(v, "graph_version"));
	if (json_is_string(snap)) {
		snprintf(out->commit, sizeof(out->commit), "%s", json_string_value(snap));
		out->t.commit = out->commit;
		return out;
	}
	if (json_is_integer(ver)) {
		if (eg_commit_at_version(out->commit, db, json_integer_value(ver)) < 0) {
			char n[32];
			snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(ver));
			*fail = eg_refuse("NotFound", "no commit of main has graph version %s", n);
			return NULL;
		}
		out->t.commit = out->commit;
		return out;
	}
	*fail = cf_error("branch_or_commit: expected a branch, {\"snapshot\": id} or {\"graph_version\": n}", 0);
	return NULL;
}

/* The step's handle and target in one go. */
grove_db *eg_db_at(struct cf_ctx *ctx, const json_t *step, const char *key, struct eg_target *t,
                          json_t **fail)
{
	grove_db *db = eg_db(ctx, step, fail);
	if (db == NULL || eg_target(t, db, json_object_get(step, key), fail) == NULL)
		return NULL;
	return db;
}

/* ---- loads -------------------------------------------------------------- */

/* data_generator {template, from, to}: one line per row in [from, to), the
 * template with {row} (or {row:0N}, zero-padded to N digits) replaced. */
static char *eg_generate(const json_t *g, char *why)
{
	const char *tpl = json_string_value(json_object_get(g, "template"));
	json_int_t from = json_integer_value(json_object_get(g, "from"));
	json_int_t to = json_integer_value(json_object_get(g, "to"));
	if (tpl == NULL) {
		snprintf(why, CF_WHY_BYTES, "data_generator has no template");
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		snprintf(why, CF_WHY_BYTES, "out of memory");
		return NULL;
	}
	for (json_int_t row = from; row < to; row++) {
		if (row > from)
			fputc('\n', f);
		for (const char *p = tpl; *p;) {
			int width = 0, used = 0;
			if (strncmp(p, "{row}", 5) == 0) {
				used = 5;
			} else if (sscanf(p, "{row:0%d}%n", &width, &used) == 1 && used > 0 && p[used - 1] == '}') {
				/* used is set */
			} else {
				fputc(*p++, f);
				continue;
			}
			fprintf(f, "%0*lld", width, (long long)row);
			p += used;
		}
	}
	if (fclose(f) != 0) {
		free(buf);
		snprintf(why, CF_WHY_BYTES, "out of memory");
		return NULL;
	}
	return buf;
}

static int eg_mode(const char *mode)
{
	if (mode == NULL || strcmp(mode, "overwrite") == 0)
		return GROVE_LOAD_OVERWRITE;
	if (strcmp(mode, "append") == 0)
		return GROVE_LOAD_APPEND;
	if (strcmp(mode, "merge") == 0)
		return GROVE_LOAD_MERGE;
	return -1;
}

static json_t *eg_load_result(const grove_load_result *res)
{
	const grove_commit *c = &res->commit;
	return json_pack("{s:b, s:I, s:I, s:b, s:s, s:s, s:s, s:o}", "ok", 1,
	                 "nodes", (json_int_t)res->nodes, "edges", (json_int_t)res->edges,
	                 "branch_created", res->branch_created, "commit", c->id, "commit_id", c->id,
	                 "value", c->id, "commit_parent", eg_str_or_null(c->parent));
}

/* load / load_file: `data` (fixture, inline or a saved export) or
 * `data_generator`, or `path` (a fixture file); `mode`, `branch`,
 * `from`, `actor`. */
static json_t *op_load(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	grove_load_options o = { 0 };
	o.branch = eg_str(step, "branch");
	o.from = eg_str(step, "from");
	o.actor = eg_str(step, "actor");
	o.mode = eg_mode(eg_str(step, "mode"));
	o.strict = json_is_true(json_object_get(step, "strict"));  /* the strict dialect (spec §8.5) */
	if (o.mode < 0)
		return eg_refuse("BadRequest", "unknown load mode '%s'", eg_str(step, "mode"));
	grove_load_result res;
	int err;
	char why[CF_WHY_BYTES];
	const char *path = eg_str(step, "path");
	if (strcmp(eg_str(step, "op"), "load_file") == 0) {
		char full[EG_PATH_BYTES];
		if (path == NULL)
			return cf_error("load_file needs a 'path'", 0);
		snprintf(full, sizeof(full), "%s%s%s", path[0] == '/' ? "" : ctx->fixtures_dir,
		         path[0] == '/' ? "" : "/", path);
		err = grove_load_file(&res, db, &o, full);
	} else {
		const json_t *gen = json_object_get(step, "data_generator");
		char *text = gen ? eg_generate(gen, why) : cf_text(ctx, step, "data", "data", why);
		if (text == NULL)
			return cf_error(why, 0);
		err = grove_load(&res, db, &o, text, strlen(text));
		free(text);
	}
	return err < 0 ? eg_fail(db, err) : eg_load_result(&res);
}

/* ---- branches and commits ------------------------------------------------- */

static json_t *op_branch_create(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	int err = grove_branch_create(db, eg_str(step, "name"), eg_str(step, "from"), eg_str(step, "actor"));
	return err < 0 ? eg_fail(db, err) : cf_ok();
}

static json_t *op_branch_delete(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	int err = grove_branch_delete(db, eg_str(step, "name"), eg_str(step, "actor"));
	return err < 0 ? eg_fail(db, err) : cf_ok();
}

static json_t *op_branch_list(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	char **names = NULL;
	size_t n = 0;
	int err = grove_branch_list(&names, &n, db);
	if (err < 0)
		return eg_fail(db, err);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	grove_free(names);
	return json_pack("{s:b, s:O, s:o}", "ok", 1, "branches", a, "value", a);
}

/* A commit in OmniGraph's field names (GraphCommit, engine §2.1). */
static json_t *eg_commit_json(const grove_commit *c)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:I}", "graph_commit_id", c->id,
	                 "parent_commit_id", eg_str_or_null(c->parent),
	                 "merged_parent_commit_id", eg_str_or_null(c->merged_parent),
	                 "graph_branch", strcmp(c->branch, "main") == 0 ? json_null() : eg_str_or_null(c->branch),
	                 "actor_id", eg_str_or_null(c->actor), "graph_manifest_version", (json_int_t)c->graph_version,
	                 "created_at", (json_int_t)c->created_at_us);
}

/* head_commit: the branch head; its id is the step's value. */
static json_t *op_head_commit(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	grove_commit c;
	int err = grove_branch_head(&c, db, eg_str(step, "branch"));
	if (err < 0)
		return eg_fail(db, err);
	json_t *commit = eg_commit_json(&c);
	return json_pack("{s:b, s:s, s:s, s:o, s:O, s:o}", "ok", 1, "value", c.id, "commit_id", c.id,
	                 "commit_parent", eg_str_or_null(c.parent), "commit", commit, "commit_subset", commit);
}

/* list_commits: newest first; "last" is the oldest (genesis on main). */
static json_t *op_list_commits(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	grove_commit *v = NULL;
	size_t n = 0;
	int err = grove_commit_list(&v, &n, db, eg_str(step, "branch"));
	if (err < 0)
		return eg_fail(db, err);
	json_t *commits = json_array(), *ids = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(commits, eg_commit_json(&v[i]));
		json_array_append_new(ids, json_string(v[i].id));
	}
	json_t *r = json_pack("{s:b, s:o, s:o, s:I}", "ok", 1, "commits", commits, "value", ids, "count", (json_int_t)n);
	if (n > 0) {
		json_object_set_new(r, "last", json_string(v[n - 1].id));
		json_object_set_new(r, "last_commit_parent", eg_str_or_null(v[n - 1].parent));
	}
	grove_free(v);
	return r;
}

/* The commit a target reads: the commit itself, or the branch head. */
static int eg_target_commit(grove_commit *out, grove_db *db, const struct eg_target *t)
{
	if (t->t.commit != NULL)
		return grove_commit_show(out, db, t->t.commit);
	return grove_branch_head(out, db, t->t.branch);
}

/* graph_version: the version of the head commit (or of the commit). */
static json_t *op_graph_version(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	struct eg_target t;
	grove_db *db = eg_db_at(ctx, step, "branch_or_commit", &t, &fail);
	if (db == NULL)
		return fail;
	grove_commit c;
	int err = eg_target_commit(&c, db, &t);
	if (err < 0)
		return eg_fail(db, err);
	return json_pack("{s:b, s:I, s:I, s:s}", "ok", 1, "value", (json_int_t)c.graph_version,
	                 "graph_version", (json_int_t)c.graph_version, "commit_id", c.id);
}

/* resolve_snapshot: the head commit id of `branch` (engine §4.1). */
static json_t *op_resolve_snapshot(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	grove_commit c;
	int err = grove_branch_head(&c, db, eg_str(step, "branch"));
	if (err < 0)
		return eg_fail(db, err);
	return json_pack("{s:b, s:s, s:s}", "ok", 1, "value", c.id, "commit_id", c.id);
}

/* snapshot_at_graph_version: main's commit with that version. */
static json_t *op_snapshot_at_graph_version(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	const json_t *version = json_object_get(step, "version");
	if (!json_is_integer(version))
		return cf_error("snapshot_at_graph_version needs an integer 'version'", 0);
	json_t *target = json_pack("{s:O}", "graph_version", version);
	struct eg_target t;
	int ok = eg_target(&t, db, target, &fail) != NULL;
	json_decref(target);
	return ok ? json_pack("{s:b, s:s}", "ok", 1, "value", t.commit) : fail;
}

/* ---- the tables ----------------------------------------------------------- */

const struct cf_op cf_ops_engine[] = {
	{ "init", op_init },
	{ "init_fresh_graph", op_init_fresh_graph },
	{ "open_handle", op_open_handle },
	{ "reopen", op_reopen },
	{ "ensure_indices", op_maintenance },
	{ "optimize", op_optimize },
	{ "load", op_load },
	{ "load_file", op_load },
	{ "count_rows", op_count_rows },
	{ "scan_table", op_scan_table },
	{ "entity_at", op_entity_at },
	{ "read_blob", op_read_blob },
	{ "catalog", op_catalog },
	{ "list_tables", op_list_tables },
	{ "table_fields", op_table_fields },
	{ "open_table", op_open_table },
	{ "branch_create", op_branch_create },
	{ "branch_delete", op_branch_delete },
	{ "branch_list", op_branch_list },
	{ "head_commit", op_head_commit },
	{ "list_commits", op_list_commits },
	{ "graph_version", op_graph_version },
	{ "resolve_snapshot", op_resolve_snapshot },
	{ "snapshot_at_graph_version", op_snapshot_at_graph_version },
	{ "export_jsonl", op_export_jsonl },
	{ NULL, NULL },
};

#define STORAGE_INTERNAL "an OmniGraph storage internal with no Grove meaning"

const struct cf_pending cf_pending_engine[] = {
	{ "table_version", STORAGE_INTERNAL ": a Lance dataset's version" },
	{ "list_user_indices", STORAGE_INTERNAL ": Lance's physical index list; Grove maintains its indexes on write "
	                       "and keeps no catalog of built indexes" },
	{ "write_file", STORAGE_INTERNAL ": a file of OmniGraph's on-disk layout (_schema.pg, ...)" },
	{ "overwrite_file", STORAGE_INTERNAL ": a file of OmniGraph's on-disk layout" },
	{ "read_schema_ir_json", STORAGE_INTERNAL ": OmniGraph's _schema.ir.json" },
	{ NULL, NULL },
};
