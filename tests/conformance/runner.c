/*
 * grove-conformance — run OmniGraph conformance cases against Grove.
 *
 *   grove-conformance --fixtures DIR [--kind K]... [--id-prefix P] CASES.jsonl
 *
 * Prints one line per failing or skipped case with the reason, then
 * "N passed, N failed, N skipped".  With GROVE_CONFORMANCE_TRACE set in
 * the environment it also prints every step's result as it runs.  Exit status: 0 if nothing failed, 1 if
 * something did, 2 on bad usage, 77 (the test-harness skip code) when the
 * cases file does not exist.
 */
#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KINDS_MAX 64
#define LINE_BYTES_MAX (64u * 1024u * 1024u)
#define STEPS_MAX 100000
#define REF_DEPTH_MAX 64

/* Weak stand-ins so the runner links before ops_query.c exists; a strong
 * definition there replaces them. */
__attribute__((weak)) const struct cf_op cf_ops_query[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_check cf_checks_query[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_op cf_ops_engine[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_op cf_ops_query_run[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_check cf_checks_query_run[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_op cf_ops_changes[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_check cf_checks_changes[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_op cf_ops_merge[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_check cf_checks_merge[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_op cf_ops_schema_apply[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_check cf_checks_schema_apply[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_check cf_checks_engine[] = { { NULL, NULL } };
__attribute__((weak)) const struct cf_pending cf_pending_engine[] = { { NULL, NULL } };
__attribute__((weak)) void cf_engine_case_end(struct cf_ctx *ctx)
{
	(void)ctx;
}

static const struct cf_op *const op_tables[] = { cf_ops_schema, cf_ops_query, cf_ops_engine, cf_ops_query_run,
                                                 cf_ops_changes, cf_ops_merge, cf_ops_schema_apply };
static const struct cf_check *const check_tables[] = { cf_checks_schema, cf_checks_query, cf_checks_engine,
                                                       cf_checks_query_run, cf_checks_changes,
                                                       cf_checks_merge, cf_checks_schema_apply };

struct options {
	const char *fixtures;
	const char *cases;
	const char *kinds[KINDS_MAX];
	int n_kinds;
	const char *id_prefix;
};

/* ---- helpers shared with the ops --------------------------------------- */

json_t *cf_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *cf_error(const char *message, int has_span)
{
	return json_pack("{s:b, s:s, s:b}", "error", 1, "message", message ? message : "", "has_span", has_span);
}

static char *read_file(const char *path, char *why)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, CF_WHY_BYTES, "cannot open %.700s: %.200s", path, strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	while (m != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m == NULL || fclose(m) != 0) {
		snprintf(why, CF_WHY_BYTES, "out of memory reading %.700s", path);
		free(buf);
		return NULL;
	}
	return buf;
}

char *cf_text(struct cf_ctx *ctx, const json_t *step, const char *key, const char *case_key, char *why)
{
	const json_t *v = key ? json_object_get(step, key) : NULL;
	if ((v == NULL || json_is_null(v)) && case_key != NULL)
		v = json_object_get(ctx->case_obj, case_key);
	if (!json_is_string(v)) {
		snprintf(why, CF_WHY_BYTES, "step has no '%s' text", key ? key : case_key);
		return NULL;
	}
	const char *s = json_string_value(v);
	/* A fixture name is one line ending in a known extension. */
	size_t n = strlen(s);
	static const char *const exts[] = { ".pg", ".gq", ".jsonl" };
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);
		if (n > el && strcmp(s + n - el, exts[i]) == 0 && strchr(s, '\n') == NULL && strchr(s, ' ') == NULL) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", ctx->fixtures_dir, s);
			return read_file(path, why);
		}
	}
	return strdup(s);
}

/* ---- references -------------------------------------------------------- */

/* A copy of v with every string "$name" replaced by the value saved under
 * that name, or "$stepN" by the result of step N. Unknown names stay. */
static json_t *resolve_refs(struct cf_ctx *ctx, const json_t *v, int depth)
{
	if (depth > REF_DEPTH_MAX)
		return json_deep_copy(v);
	if (json_is_string(v) && json_string_value(v)[0] == '$') {
		const char *name = json_string_value(v) + 1;
		const json_t *saved = json_object_get(ctx->saved, name);
		if (saved != NULL)
			return json_deep_copy(saved);
		unsigned step;
		char tail;
		if (sscanf(name, "step%u%c", &step, &tail) == 1 && step < json_array_size(ctx->results))
			return json_deep_copy(json_array_get(ctx->results, step));
		return json_deep_copy(v);
	}
	if (json_is_array(v)) {
		json_t *out = json_array();
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item)
			json_array_append_new(out, resolve_refs(ctx, item, depth + 1));
		return out;
	}
	if (json_is_object(v)) {
		json_t *out = json_object();
		const char *k;
		const json_t *item;
		json_object_foreach((json_t *)v, k, item)
			json_object_set_new(out, k, resolve_refs(ctx, item, depth + 1));
		return out;
	}
	return json_deep_copy(v);
}

/* save_as / save_<field>_as: keep the result (or its <field>) by name. */
static void save_values(struct cf_ctx *ctx, const json_t *step, const json_t *result)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)step, k, v) {
		size_t kl = strlen(k);
		if (!json_is_string(v) || strncmp(k, "save_", 5) != 0 || kl < 7 || strcmp(k + kl - 3, "_as") != 0)
			continue;
		const json_t *value = json_object_get(result, "value");
		if (kl > 8) {
			char field[128];
			snprintf(field, sizeof(field), "%.*s", (int)(kl - 8), k + 5);
			if (json_object_get(result, field) != NULL)
				value = json_object_get(result, field);
		}
		json_object_set_new(ctx->saved, json_string_value(v), json_deep_copy(value ? value : result));
	}
}

/* ---- dispatch ----------------------------------------------------------- */

static cf_op_fn find_op(const char *name)
{
	for (size_t t = 0; t < sizeof(op_tables) / sizeof(op_tables[0]); t++)
		for (const struct cf_op *op = op_tables[t]; op->name != NULL; op++)
			if (strcmp(op->name, name) == 0)
				return op->run;
	return NULL;
}

static const char *pending_reason(const char *name)
{
	for (const struct cf_pending *p = cf_pending_engine; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p->why;
	return NULL;
}

static cf_check_fn find_check(const char *key)
{
	for (size_t t = 0; t < sizeof(check_tables) / sizeof(check_tables[0]); t++)
		for (const struct cf_check *c = check_tables[t]; c->key != NULL; c++)
			if (strcmp(c->key, key) == 0)
				return c->check;
	return NULL;
}

/* ---- expectations ------------------------------------------------------- */

static int is_error(const json_t *result)
{
	return json_is_true(json_object_get(result, "error"));
}

static int check_messages(const json_t *result, const char *key, const json_t *exp, char *why)
{
	const char *msg = json_string_value(json_object_get(result, "message"));
	if (!is_error(result) || msg == NULL) {
		snprintf(why, CF_WHY_BYTES, "%s: the step succeeded; an error was expected", key);
		return 0;
	}
	if (strcmp(key, "message_equals") == 0) {
		if (json_is_string(exp) && strcmp(msg, json_string_value(exp)) == 0)
			return 1;
		snprintf(why, CF_WHY_BYTES, "message_equals: expected \"%.300s\", got \"%.400s\"",
		         json_string_value(exp) ? json_string_value(exp) : "?", msg);
		return 0;
	}
	size_t i;
	const json_t *s;
	json_array_foreach(exp, i, s) {
		if (!json_is_string(s) || strstr(msg, json_string_value(s)) == NULL) {
			snprintf(why, CF_WHY_BYTES, "message_contains: \"%.200s\" not in \"%.500s\"",
			         json_string_value(s) ? json_string_value(s) : "?", msg);
			return 0;
		}
	}
	return 1;
}

static int check_one(struct cf_ctx *ctx, const json_t *result, const char *key, const json_t *exp,
                     const json_t *expectation, char *why)
{
	static const char *const modifiers[] = { "step", "ordered", "float_tolerance", "label", NULL };
	for (const char *const *m = modifiers; *m; m++)
		if (strcmp(key, *m) == 0)
			return 1;
	cf_check_fn custom = find_check(key);
	if (custom != NULL)
		return custom(ctx, result, exp, expectation, why);
	if (strcmp(key, "error") == 0 || strcmp(key, "ok") == 0) {
		int want_error = (strcmp(key, "error") == 0) == json_is_true(exp);
		if (want_error == is_error(result))
			return 1;
		const char *msg = json_string_value(json_object_get(result, "message"));
		snprintf(why, CF_WHY_BYTES, want_error ? "expected an error, the step succeeded"
		                                       : "expected success, got: %.600s", msg ? msg : "?");
		return 0;
	}
	if (strcmp(key, "message_contains") == 0 || strcmp(key, "message_equals") == 0)
		return check_messages(result, key, exp, why);
	json_t *wrapper = json_pack("{s:O}", key, exp);
	int ok = cf_match(wrapper, result, "", why);
	json_decref(wrapper);
	return ok;
}

/* Check every expectation of the case against the step results. */
static int check_expectations(struct cf_ctx *ctx, const json_t *expect, char *why)
{
	size_t i;
	const json_t *e;
	/* Expectations name saved values too ("commit_parent": "$h2"). */
	json_t *resolved = resolve_refs(ctx, expect, 0);
	int ok = 1;
	json_array_foreach(resolved, i, e) {
		json_int_t step = json_integer_value(json_object_get(e, "step"));
		const json_t *result = json_array_get(ctx->results, (size_t)step);
		if (!json_is_integer(json_object_get(e, "step")) || result == NULL) {
			snprintf(why, CF_WHY_BYTES, "expectation %zu names no step that ran", i);
			ok = 0;
			break;
		}
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)e, k, v) {
			char sub[CF_WHY_BYTES];
			if (!check_one(ctx, result, k, v, e, sub)) {
				snprintf(why, CF_WHY_BYTES, "step %lld: %.990s", (long long)step, sub);
				ok = 0;
				break;
			}
		}
		if (!ok)
			break;
	}
	json_decref(resolved);
	return ok;
}

/* A step with no expectation must simply succeed. */
static int check_unexpected_errors(struct cf_ctx *ctx, const json_t *expect, char *why)
{
	for (size_t s = 0; s < json_array_size(ctx->results); s++) {
		int expected = 0;
		size_t i;
		const json_t *e;
		json_array_foreach(expect, i, e)
			expected |= json_integer_value(json_object_get(e, "step")) == (json_int_t)s;
		const json_t *r = json_array_get(ctx->results, s);
		if (!expected && is_error(r)) {
			snprintf(why, CF_WHY_BYTES, "step %zu failed: %.700s", s,
			         json_string_value(json_object_get(r, "message")));
			return 0;
		}
	}
	return 1;
}

/* ---- the case loop ------------------------------------------------------ */

enum outcome { PASSED, FAILED, SKIPPED };

static enum outcome run_steps(struct cf_ctx *ctx, const json_t *steps, char *why)
{
	size_t i;
	const json_t *step;
	json_array_foreach(steps, i, step) {
		const char *op = json_string_value(json_object_get(step, "op"));
		cf_op_fn run = op ? find_op(op) : NULL;
		json_t *resolved = resolve_refs(ctx, step, 0);
		json_t *result = run(ctx, resolved);
		if (result == NULL) {
			json_decref(resolved);
			snprintf(why, CF_WHY_BYTES, "%s", ctx->skip[0] ? ctx->skip : "op gave no result");
			return ctx->skip[0] ? SKIPPED : FAILED;
		}
		if (getenv("GROVE_CONFORMANCE_TRACE") != NULL) {
			char *dump = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);
			printf("  step %zu %s -> %.2000s\n", i, op, dump ? dump : "?");
			free(dump);
		}
		save_values(ctx, resolved, result);
		json_array_append_new(ctx->results, result);
		json_decref(resolved);
	}
	return PASSED;
}

/* An expectation that an index is *not* built yet (`list_user_indices`
 * with `count: 0`) has no Grove meaning: indexes are maintained on write
 * (conformance README).  Such a step becomes `ensure_indices` (which only
 * has to succeed) and its expectations are dropped; the rest of the case
 * runs.  Returns new references to the steps and expectations to run. */
static int absent_index_steps(const json_t *steps, const json_t *expect, json_t **s_out,
                              json_t **e_out)
{
	json_t *s = json_deep_copy(steps), *e = json_array(), *x;
	size_t i, j;
	json_array_foreach(s, i, x) {
		if (strcmp(json_string_value(json_object_get(x, "op")) ?: "", "list_user_indices") != 0)
			continue;
		int absent_only = 1;
		const json_t *ex;
		json_array_foreach(expect, j, ex) {
			if (json_integer_value(json_object_get(ex, "step")) != (json_int_t)i)
				continue;
			const json_t *count = json_object_get(ex, "count");
			absent_only &= json_object_size(ex) == 2 && json_is_integer(count) &&
			               json_integer_value(count) == 0;
		}
		if (absent_only)
			json_array_set_new(s, i, json_pack("{s:s}", "op", "ensure_indices"));
	}
	json_array_foreach(expect, j, x) {
		json_int_t st = json_integer_value(json_object_get(x, "step"));
		const json_t *op = json_object_get(json_array_get(steps, (size_t)st), "op");
		const json_t *now = json_object_get(json_array_get(s, (size_t)st), "op");
		if (!json_equal(op, now))
			continue;   /* an absent-index expectation: dropped */
		json_array_append(e, x);
	}
	*s_out = s;
	*e_out = e;
	return 0;
}

static enum outcome run_case_steps(const struct options *o, const json_t *c, const json_t *steps,
                                   const json_t *expect, char *why);

/* A case's `env` object (OmniGraph's tests set OMNIGRAPH_EMBEDDINGS_MOCK
 * and the like): each name set to its string, or unset for null, for the
 * case's run; `restore` puts back what was there. */
static json_t *case_env(const json_t *env)
{
	json_t *saved = json_object(), *v;
	const char *k;
	json_object_foreach((json_t *)env, k, v) {
		const char *old = getenv(k);
		json_object_set_new(saved, k, old ? json_string(old) : json_null());
		if (json_is_string(v))
			setenv(k, json_string_value(v), 1);
		else
			unsetenv(k);
	}
	return saved;
}

static void restore_env(json_t *saved)
{
	json_decref(case_env(saved));
	json_decref(saved);
}

static enum outcome run_case(const struct options *o, const json_t *c, char *why)
{
	json_t *steps, *expect;
	if (!json_is_array(json_object_get(c, "steps")) || !json_is_array(json_object_get(c, "expect"))) {
		snprintf(why, CF_WHY_BYTES, "malformed case (steps/expect)");
		return FAILED;
	}
	absent_index_steps(json_object_get(c, "steps"), json_object_get(c, "expect"), &steps, &expect);
	json_t *saved = case_env(json_object_get(c, "env"));
	enum outcome out = run_case_steps(o, c, steps, expect, why);
	restore_env(saved);
	json_decref(steps);
	json_decref(expect);
	return out;
}

static enum outcome run_case_steps(const struct options *o, const json_t *c, const json_t *steps,
                                   const json_t *expect, char *why)
{
	if (!json_is_array(steps) || !json_is_array(expect) || json_array_size(steps) > STEPS_MAX) {
		snprintf(why, CF_WHY_BYTES, "malformed case (steps/expect)");
		return FAILED;
	}
	/* Every op must exist before anything runs: a case is either run
	 * whole or skipped, never half-run. */
	size_t i;
	const json_t *step;
	json_array_foreach(steps, i, step) {
		const char *op = json_string_value(json_object_get(step, "op"));
		if (op == NULL || find_op(op) == NULL) {
			const char *reason = op ? pending_reason(op) : NULL;
			if (reason != NULL)
				snprintf(why, CF_WHY_BYTES, "needs '%s' (%s)", op, reason);
			else
				snprintf(why, CF_WHY_BYTES, "engine not yet built (op '%s')", op ? op : "?");
			return SKIPPED;
		}
	}
	struct cf_ctx ctx = { .fixtures_dir = o->fixtures, .case_obj = c };
	ctx.saved = json_object();
	ctx.results = json_array();
	enum outcome out = run_steps(&ctx, steps, why);
	if (out == PASSED && !(check_expectations(&ctx, expect, why) && check_unexpected_errors(&ctx, expect, why)))
		out = FAILED;
	cf_engine_case_end(&ctx);
	json_decref(ctx.saved);
	json_decref(ctx.results);
	return out;
}

static int selected(const struct options *o, const json_t *c)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	const char *kind = json_string_value(json_object_get(c, "kind"));
	if (o->id_prefix && (id == NULL || strncmp(id, o->id_prefix, strlen(o->id_prefix)) != 0))
		return 0;
	if (o->n_kinds == 0)
		return 1;
	for (int k = 0; k < o->n_kinds; k++)
		if (kind != NULL && strcmp(kind, o->kinds[k]) == 0)
			return 1;
	return 0;
}

/* Jansson has no unsigned 64-bit integers, and a few cases (and U64
 * values an op reads back) hold values up to u64::MAX.  Re-read such text
 * with every integer literal above INT64_MAX turned into a float literal
 * (nearest double): the matcher compares numbers by value, and the op
 * producing that value went through the same conversion. */
json_t *cf_loads(const char *line, json_error_t *jerr)
{
	json_t *c = json_loads(line, 0, jerr);
	if (c != NULL || strstr(jerr->text, "too big integer") == NULL)
		return c;
	size_t n = strlen(line);
	char *copy = malloc(n * 3 + 1);  /* each digit run gains ".0" at most */
	if (copy == NULL)
		return NULL;
	size_t o = 0;
	int in_str = 0;
	for (size_t i = 0; i < n;) {
		char ch = line[i];
		if (in_str) {
			copy[o++] = ch;
			if (ch == '\\' && i + 1 < n)
				copy[o++] = line[++i];
			else if (ch == '"')
				in_str = 0;
			i++;
			continue;
		}
		if (ch == '"')
			in_str = 1;
		if (ch >= '0' && ch <= '9' && (i == 0 || !(line[i - 1] == '.' || line[i - 1] == 'e' || line[i - 1] == 'E'))) {
			size_t j = i;
			while (j < n && line[j] >= '0' && line[j] <= '9')
				j++;
			int integral = j >= n || (line[j] != '.' && line[j] != 'e' && line[j] != 'E');
			int big = j - i > 19 || (j - i == 19 && strncmp(line + i, "9223372036854775807", 19) > 0);
			memcpy(copy + o, line + i, j - i);
			o += j - i;
			if (integral && big) {
				memcpy(copy + o, ".0", 2);
				o += 2;
			}
			i = j;
			continue;
		}
		copy[o++] = ch;
		i++;
	}
	copy[o] = '\0';
	c = json_loads(copy, 0, jerr);
	free(copy);
	return c;
}

static int usage(void)
{
	fprintf(stderr, "usage: grove-conformance --fixtures DIR [--kind K]... [--id-prefix P] CASES.jsonl\n");
	return 2;
}

static int parse_args(struct options *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--fixtures") == 0 && i + 1 < argc) {
			o->fixtures = argv[++i];
		} else if (strcmp(a, "--kind") == 0 && i + 1 < argc && o->n_kinds < KINDS_MAX) {
			o->kinds[o->n_kinds++] = argv[++i];
		} else if (strcmp(a, "--id-prefix") == 0 && i + 1 < argc) {
			o->id_prefix = argv[++i];
		} else if (a[0] != '-' && o->cases == NULL) {
			o->cases = a;
		} else {
			return -1;
		}
	}
	return o->cases != NULL && o->fixtures != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	if (parse_args(&o, argc, argv) < 0)
		return usage();
	struct stat st;
	if (stat(o.cases, &st) != 0) {
		printf("skipping: cases file %s does not exist (the shared conformance suite is not checked out next to the project)\n", o.cases);
		return 77;
	}
	FILE *f = fopen(o.cases, "r");
	if (f == NULL) {
		fprintf(stderr, "grove-conformance: %s: %s\n", o.cases, strerror(errno));
		return 1;
	}
	unsigned passed = 0, failed = 0, skipped = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if ((size_t)n > LINE_BYTES_MAX || line[0] == '\n')
			continue;
		json_error_t jerr;
		json_t *c = cf_loads(line, &jerr);
		char why[CF_WHY_BYTES] = "";
		if (c == NULL) {
			printf("FAIL line %u: bad JSON: %s\n", lineno, jerr.text);
			failed++;
			continue;
		}
		if (selected(&o, c)) {
			enum outcome out = run_case(&o, c, why);
			const char *id = json_string_value(json_object_get(c, "id"));
			if (out == PASSED)
				passed++;
			else if (out == FAILED)
				failed++, printf("FAIL %s: %s\n", id ? id : "?", why);
			else
				skipped++, printf("SKIP %s: %s\n", id ? id : "?", why);
		}
		json_decref(c);
	}
	free(line);
	fclose(f);
	printf("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
	return failed == 0 ? 0 : 1;
}
