/*
 * tests/conformance/ops_changes.c — the mutation op and the change-set ops
 * (diff, diff_commits, commit_changes, poll_change_feed) through the
 * public API, and the expectation keys of their results that generic
 * matching cannot express.
 *
 * Results:
 *   mutate           {"ok", "affected_nodes", "affected_edges", "commit": id|null,
 *                     "commit_parent", "value": id|null, "actor_id", ...}
 *                    With `save_commit_as: X` the op also saves "X.parent"
 *                    (the cases' "$X.parent").
 *   diff, diff_commits  grove_diff_json's object; "changes" are
 *                    {kind, type_name, type_key, id, op, endpoints{src,dst}|null}
 *   commit_changes   grove_commit_changes_json's page; "token" is its
 *                    next_page_token (for save_token_as)
 *   poll_change_feed grove_changes_poll_json's page, "block_count"
 * Each change-set result also carries "count" and "num_rows": how many
 * changes it holds (the shared "nonempty" check reads num_rows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grove.h"
#include "ops_engine.h"
#include "runner.h"

/* ---- mutate ------------------------------------------------------------- */

#define GEN_ROWS_MAX 1000000

/* query_generator {head, template, from, to, tail}: head, one template
 * line per row in [from, to) with {row} replaced, tail; joined by \n. */
static char *generate_query(const json_t *g, char *why)
{
	const char *head = json_string_value(json_object_get(g, "head"));
	const char *tpl = json_string_value(json_object_get(g, "template"));
	const char *tail = json_string_value(json_object_get(g, "tail"));
	json_int_t from = json_integer_value(json_object_get(g, "from"));
	json_int_t to = json_integer_value(json_object_get(g, "to"));
	char *buf = NULL;
	size_t len = 0;
	if (tpl == NULL || to - from > GEN_ROWS_MAX) {
		snprintf(why, CF_WHY_BYTES, "query_generator needs a template and at most %d rows", GEN_ROWS_MAX);
		return NULL;
	}
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) {
		snprintf(why, CF_WHY_BYTES, "out of memory");
		return NULL;
	}
	fputs(head ? head : "", f);
	for (json_int_t row = from; row < to; row++) {
		fputc('\n', f);
		for (const char *p = tpl; *p;) {
			if (strncmp(p, "{row}", 5) == 0) {
				fprintf(f, "%lld", (long long)row);
				p += 5;
			} else {
				fputc(*p++, f);
			}
		}
	}
	fprintf(f, "\n%s", tail ? tail : "");
	if (fclose(f) != 0) {
		free(buf);
		snprintf(why, CF_WHY_BYTES, "out of memory");
		return NULL;
	}
	return buf;
}

static json_t *op_mutate(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	char why[CF_WHY_BYTES];
	const char *key = json_object_get(step, "query_file") ? "query_file" : "query";
	const json_t *gen = json_object_get(step, "query_generator");
	char *src = gen ? generate_query(gen, why) : cf_text(ctx, step, key, NULL, why);
	if (src == NULL)
		return cf_error(why, 0);
	const json_t *params = json_object_get(step, "params");
	char *pj = json_is_object(params) ? json_dumps(params, JSON_COMPACT) : NULL;
	grove_mutate_options o = { eg_str(step, "branch"), eg_str(step, "actor"), eg_str(step, "expected_head") };
	char *out = NULL;
	int err = grove_mutate_json(&out, db, &o, src, eg_str(step, "name"), pj);
	free(pj);
	free(src);
	if (err < 0)
		return eg_fail(db, err);
	json_error_t je;
	json_t *r = cf_loads(out, &je);
	grove_free(out);
	if (r == NULL)
		return cf_error("mutate: the result is not JSON", 0);
	/* The commit object stays alive as commit_subset; "commit" becomes its id. */
	json_t *commit = json_incref(json_object_get(r, "commit"));
	const char *id = json_string_value(json_object_get(commit, "graph_commit_id"));
	const char *parent = json_string_value(json_object_get(commit, "parent_commit_id"));
	json_object_set_new(r, "commit_subset", commit);
	json_object_set_new(r, "commit", eg_str_or_null(id));
	json_object_set_new(r, "commit_id", eg_str_or_null(id));
	json_object_set_new(r, "value", eg_str_or_null(id));
	json_object_set_new(r, "commit_parent", eg_str_or_null(parent));
	json_object_set_new(r, "ok", json_true());
	const char *save = eg_str(step, "save_commit_as");
	if (save != NULL && parent != NULL) {
		char name[256];
		snprintf(name, sizeof(name), "%s.parent", save);
		json_object_set_new(ctx->saved, name, json_string(parent));
	}
	return r;
}

/* ---- change sets ---------------------------------------------------------- */

/* A page or change set as a result: the API's JSON plus "ok" and counts. */
static json_t *changes_result(grove_db *db, int err, char *out)
{
	if (err < 0) {
		json_t *r = eg_fail(db, err);
		grove_error_info info;
		grove_error_info_get(&info, db);
		if ((err == GROVE_ENOPARENT || err == GROVE_EBOUNDARY) && info.entity_id[0])
			json_object_set_new(r, "graph_commit_id", json_string(info.entity_id));
		const char *colon = strchr(info.type_key, ':');
		if (err == GROVE_EBOUNDARY && colon != NULL) {   /* OmniGraph's fields */
			json_object_set_new(r, "type_name", json_string(colon + 1));
			json_object_set_new(r, "reason", json_string("schema_boundary"));
		}
		return r;
	}
	json_error_t je;
	json_t *r = cf_loads(out, &je);
	grove_free(out);
	if (r == NULL)
		return cf_error("the change set is not JSON", 0);
	size_t n = json_array_size(json_object_get(r, "changes"));
	json_object_set_new(r, "ok", json_true());
	json_object_set_new(r, "count", json_integer((json_int_t)n));
	json_object_set_new(r, "num_rows", json_integer((json_int_t)n));
	return r;
}

/* {"snapshot": id} / {"branch": name} / a branch name / null (main). */
static int side(grove_target *t, const json_t *v)
{
	t->branch = NULL;
	t->commit = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		t->branch = json_string_value(v);
		return 0;
	}
	t->commit = json_string_value(json_object_get(v, "snapshot"));
	t->branch = json_string_value(json_object_get(v, "branch"));
	return (t->commit != NULL) != (t->branch != NULL) ? 0 : -1;
}

static char *filter_text(const json_t *step, const char *key)
{
	const json_t *f = json_object_get(step, key);
	return json_is_object(f) && json_object_size(f) ? json_dumps(f, JSON_COMPACT) : NULL;
}

static json_t *run_diff(grove_db *db, const grove_target *a, const grove_target *b, const json_t *step)
{
	char *filter = filter_text(step, "filter"), *out = NULL;
	int err = grove_diff_json(&out, db, a, b, filter);
	free(filter);
	return changes_result(db, err, out);
}

static json_t *op_diff(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	grove_target a, b;
	if (db == NULL)
		return fail;
	if (side(&a, json_object_get(step, "from")) < 0 || side(&b, json_object_get(step, "to")) < 0)
		return cf_error("diff: from/to must be {\"snapshot\": id} or {\"branch\": name}", 0);
	return run_diff(db, &a, &b, step);
}

static json_t *op_diff_commits(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	grove_target a = { NULL, eg_str(step, "from_commit") }, b = { NULL, eg_str(step, "to_commit") };
	if (a.commit == NULL || b.commit == NULL)
		return cf_error("diff_commits needs from_commit and to_commit ids", 0);
	return run_diff(db, &a, &b, step);
}

static json_t *op_commit_changes(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	char *scope = filter_text(step, "scope"), *out = NULL;
	const json_t *ps = json_object_get(step, "page_size"), *mb = json_object_get(step, "max_bytes");
	json_int_t size = ps ? json_integer_value(ps) : GROVE_CHANGES_PAGE_DEFAULT;
	json_int_t bytes = mb ? json_integer_value(mb) : GROVE_CHANGES_PAGE_BYTES;
	int err = grove_commit_changes_page_json(&out, db, eg_str(step, "commit"), scope,
	                                         eg_str(step, "page_token"), (uint32_t)size, (uint64_t)bytes);
	free(scope);
	json_t *r = changes_result(db, err, out);
	json_t *next = json_object_get(r, "next_page_token");
	if (next != NULL)
		json_object_set(r, "token", next);
	return r;
}

/* position {"start": "Now"|"Beginning"|{"after": id}} / {"cursor": c} /
 * {"page_token": t} as grove_changes_poll_json's position string. */
static char *position_text(const json_t *p)
{
	const json_t *start = json_object_get(p, "start");
	const char *s = json_string_value(start);
	char *out = NULL;
	if (s != NULL && strcasecmp(s, "now") == 0)
		return strdup("now");
	if (s != NULL && strcasecmp(s, "beginning") == 0)
		return strdup("beginning");
	/* After a commit: {"after": id}, or the Rust variant's spelling
	 * ChangeFeedStart::AfterCommit(id) ({"AfterCommit": id}). */
	const char *after = json_string_value(json_object_get(start, "after"));
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)start, key, v)
		if (after == NULL && json_is_string(v) &&
		    (!strcasecmp(key, "aftercommit") || !strcasecmp(key, "after_commit")))
			after = json_string_value(v);
	if (after == NULL && s != NULL && strncasecmp(s, "after:", 6) == 0)
		after = s + 6;
	if (after != NULL)
		return asprintf(&out, "after:%s", after) < 0 ? NULL : out;
	const char *c = json_string_value(json_object_get(p, "cursor"));
	if (c == NULL)
		c = json_string_value(json_object_get(p, "page_token"));
	return c != NULL ? strdup(c) : NULL;
}

static json_t *op_poll_change_feed(struct cf_ctx *ctx, const json_t *step)
{
	json_t *fail = NULL;
	grove_db *db = eg_db(ctx, step, &fail);
	if (db == NULL)
		return fail;
	const json_t *pos = json_object_get(step, "position");
	char *position = pos ? position_text(pos) : NULL;
	if (pos != NULL && position == NULL)
		return cf_error("poll_change_feed: position must be start, cursor or page_token", 0);
	char *scope = filter_text(step, "scope"), *out = NULL;
	const json_t *mx = json_object_get(step, "max_commits");
	json_int_t max = mx ? json_integer_value(mx) : GROVE_FEED_COMMITS_DEFAULT;
	const json_t *mc = json_object_get(step, "max_changes"), *mb = json_object_get(step, "max_bytes");
	if (mc == NULL)   /* commit_changes' spellings of a page's size */
		mc = json_object_get(step, "page_size");
	if (mc == NULL)
		mc = json_object_get(step, "limit");
	json_int_t changes = mc ? json_integer_value(mc) : GROVE_CHANGES_PAGE_DEFAULT;
	json_int_t bytes = mb ? json_integer_value(mb) : GROVE_CHANGES_PAGE_BYTES;
	int err = grove_changes_poll_page_json(&out, db, eg_str(step, "branch"), position, scope, (uint32_t)max,
	                                       (uint32_t)changes, (uint64_t)bytes);
	free(scope);
	free(position);
	json_t *r = changes_result(db, err, out);
	if (err >= 0) {
		json_object_set_new(r, "block_count", json_integer((json_int_t)json_array_size(json_object_get(r, "blocks"))));
		json_t *next = json_object_get(r, "next_page_token");
		if (next != NULL)
			json_object_set(r, "token", next);
	}
	return r;
}

const struct cf_op cf_ops_changes[] = {
	{ "mutate", op_mutate },
	{ "diff", op_diff },
	{ "diff_commits", op_diff_commits },
	{ "commit_changes", op_commit_changes },
	{ "poll_change_feed", op_poll_change_feed },
	{ NULL, NULL },
};
