/*
 * tests/conformance/ops_query.c — the compiler-side query ops:
 * parse_query (kinds parse / parse_error), typecheck (typecheck /
 * typecheck_error) and lint_query_file (query_lint).
 *
 * Each op renders what lang/ computed in the cases' vocabulary (Rust
 * variant names such as "Traversal", "Eq", {"Bool": true}) and leaves the
 * comparison to the runner's generic matcher.  Search expressions use the
 * compact rendering of conformance/README.md: a call is its capitalised
 * name with its arguments as written (`Nearest($d.embedding, $q)`), and
 * rrf names its arms only (`Rrf(Nearest, Bm25, k=60)`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/catalog.h"
#include "lang/lint.h"
#include "lang/query_ast.h"
#include "lang/typecheck.h"
#include "runner.h"

/* ---- compact expression rendering ------------------------------------ */

/* The text being rendered (op_parse_query): a scalar literal is rendered
 * as written there ("0.20" stays 0.20, escapes stay escapes). */
static const char *render_src;

static void render_lit(FILE *f, const struct gq_lit *l)
{
	if (render_src != NULL && l->kind != GQ_LIT_LIST && l->span.end > l->span.start) {
		fwrite(render_src + l->span.start, 1, l->span.end - l->span.start, f);
		return;
	}
	switch (l->kind) {
	case GQ_LIT_STRING: fprintf(f, "\"%s\"", l->str); break;
	case GQ_LIT_INT: fprintf(f, "%lld", (long long)l->i); break;
	case GQ_LIT_FLOAT: fprintf(f, "%.17g", l->f); break;
	case GQ_LIT_BOOL: fputs(l->b ? "true" : "false", f); break;
	case GQ_LIT_DATE: fprintf(f, "date(\"%s\")", l->str); break;
	case GQ_LIT_DATETIME: fprintf(f, "datetime(\"%s\")", l->str); break;
	case GQ_LIT_LIST:
		fputc('[', f);
		for (size_t i = 0; i < l->n_items; i++) {
			if (i > 0)
				fputs(", ", f);
			render_lit(f, &l->items[i]);
		}
		fputc(']', f);
		break;
	}
}

static const char *call_title(const struct gq_expr *e)
{
	static const char *const aggs[] = { "Count", "Sum", "Avg", "Min", "Max" };
	switch (e->kind) {
	case GQ_EXPR_NEAREST: return "Nearest";
	case GQ_EXPR_SEARCH: return "Search";
	case GQ_EXPR_FUZZY: return "Fuzzy";
	case GQ_EXPR_MATCH_TEXT: return "MatchText";
	case GQ_EXPR_BM25: return "Bm25";
	case GQ_EXPR_RRF: return "Rrf";
	case GQ_EXPR_AGG: return aggs[e->agg];
	default: return "?";
	}
}

static void render_expr(FILE *f, const struct gq_expr *e)
{
	switch (e->kind) {
	case GQ_EXPR_NOW: fputs("Now", f); return;
	case GQ_EXPR_PROP: fprintf(f, "$%s.%s", e->var, e->name); return;
	case GQ_EXPR_VAR: fprintf(f, "$%s", e->var); return;
	case GQ_EXPR_LIT: render_lit(f, &e->lit); return;
	case GQ_EXPR_ALIAS: fputs(e->name, f); return;
	case GQ_EXPR_RRF:
		fprintf(f, "Rrf(%s, %s", call_title(e->arg[0]), call_title(e->arg[1]));
		if (e->arg[2] != NULL) {
			fputs(", k=", f);
			render_expr(f, e->arg[2]);
		}
		fputc(')', f);
		return;
	default:
		fprintf(f, "%s(", call_title(e));
		for (int i = 0; i < 3 && e->arg[i] != NULL; i++) {
			if (i > 0)
				fputs(", ", f);
			render_expr(f, e->arg[i]);
		}
		fputc(')', f);
		return;
	}
}

static json_t *expr_str(const struct gq_expr *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return json_null();
	render_expr(f, e);
	fclose(f);
	json_t *j = json_string(buf);
	free(buf);
	return j ? j : json_null();
}

/* ---- the parse tree in the cases' vocabulary ---------------------------- */

static json_t *lit_json(const struct gq_lit *l)
{
	switch (l->kind) {
	case GQ_LIT_STRING: return json_pack("{s:s}", "String", l->str);
	case GQ_LIT_INT: return json_pack("{s:I}", "Integer", (json_int_t)l->i);
	case GQ_LIT_FLOAT: return json_pack("{s:f}", "Float", l->f);
	case GQ_LIT_BOOL: return json_pack("{s:b}", "Bool", l->b);
	case GQ_LIT_DATE: return json_pack("{s:s}", "Date", l->str);
	case GQ_LIT_DATETIME: return json_pack("{s:s}", "DateTime", l->str);
	case GQ_LIT_LIST: break;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < l->n_items; i++)
		json_array_append_new(items, lit_json(&l->items[i]));
	return json_pack("{s:o}", "List", items);
}

static const char *op_name(enum gq_op op)
{
	static const char *const names[] = { "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "Contains",
	                                     "StartsWith" };
	return names[op];
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *clauses_json(const struct gq_clause *cls, size_t n);

static json_t *clause_json(const struct gq_clause *c)
{
	switch (c->kind) {
	case GQ_CLAUSE_BINDING: {
		json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "kind", "Binding", "variable", c->var,
		                      "type_name", c->type_name, "prop_match_count",
		                      (json_int_t)c->n_matches);
		if (c->n_matches > 0 && c->matches[0].value->kind == GQ_EXPR_LIT &&
		    c->matches[0].value->lit.kind == GQ_LIT_LIST)
			json_object_set_new(j, "prop_match_list_len",
			                    json_integer((json_int_t)c->matches[0].value->lit.n_items));
		return j;
	}
	case GQ_CLAUSE_TRAVERSAL:
		return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:b, s:o}", "kind", "Traversal",
		                 "src", c->src, "dst", c->dst, "edge_name", c->edge,
		                 "min_hops", (json_int_t)c->min_hops, "max_hops",
		                 c->max_unbounded ? json_null() : json_integer(c->max_hops),
		                 "undirected", c->undirected, "edge_binding",
		                 str_or_null(c->edge_binding));
	case GQ_CLAUSE_FILTER: {
		json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "kind", "Filter", "op", op_name(c->op),
		                      "left", expr_str(c->left), "right", expr_str(c->right));
		if (c->left->kind == GQ_EXPR_LIT)
			json_object_set_new(j, "left_literal", lit_json(&c->left->lit));
		if (c->right->kind == GQ_EXPR_LIT)
			json_object_set_new(j, "right_literal", lit_json(&c->right->lit));
		return j;
	}
	case GQ_CLAUSE_NEGATION:
		return json_pack("{s:s, s:o}", "kind", "Negation", "inner",
		                 clauses_json(c->inner, c->n_inner));
	}
	return json_null();
}

static json_t *clauses_json(const struct gq_clause *cls, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, clause_json(&cls[i]));
	return arr;
}

static json_t *param_type_json(const struct gq_type_ref *t)
{
	char buf[64];
	if (t->base == GQ_BASE_VECTOR)
		snprintf(buf, sizeof(buf), "Vector(%llu)", (unsigned long long)t->vector_dim);
	else
		snprintf(buf, sizeof(buf), t->list ? "[%s]" : "%s", gq_base_name(t->base));
	return json_string(buf);
}

static json_t *returns_json(const struct gq_query *q)
{
	static const char *const aggs[] = { "Count", "Sum", "Avg", "Min", "Max" };
	json_t *arr = json_array();
	for (size_t i = 0; i < q->n_projs; i++) {
		const struct gq_expr *e = q->projs[i].expr;
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o}", "expr", expr_str(e), "alias",
		                                     str_or_null(q->projs[i].alias), "aggregate",
		                                     e->kind == GQ_EXPR_AGG ? json_string(aggs[e->agg])
		                                                            : json_null()));
	}
	return arr;
}

static json_t *orders_json(const struct gq_query *q)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < q->n_orders; i++)
		json_array_append_new(arr, json_pack("{s:b, s:o}", "descending", q->orders[i].descending,
		                                     "expr", expr_str(q->orders[i].expr)));
	return arr;
}

static json_t *mutations_json(const struct gq_query *q)
{
	static const char *const ops[] = { "Insert", "Update", "Delete" };
	json_t *arr = json_array();
	for (size_t i = 0; i < q->n_mutations; i++) {
		const struct gq_mutation *m = &q->mutations[i];
		json_t *as = json_array();
		for (size_t k = 0; k < m->n_assigns; k++)
			json_array_append_new(as, json_pack("{s:s, s:o}", "property", m->assigns[k].prop,
			                                    "value", expr_str(m->assigns[k].value)));
		json_t *j = json_pack("{s:s, s:s, s:I, s:o}", "op", ops[m->kind], "type_name",
		                      m->type_name, "assignment_count", (json_int_t)m->n_assigns,
		                      "assignments", as);
		if (m->kind != GQ_MUT_INSERT)
			json_object_set_new(j, "predicate",
			                    json_pack("{s:s, s:s, s:o}", "property", m->pred.prop, "op",
			                              op_name(m->pred.op), "value",
			                              expr_str(m->pred.value)));
		json_array_append_new(arr, j);
	}
	return arr;
}

/* One query: its summary (as in `queries`), plus the detailed fields the
 * cases ask at top level for the first query. */
static json_t *query_json(const struct gq_query *q, int detailed)
{
	json_t *names = json_array(), *params = json_array();
	for (size_t i = 0; i < q->n_params; i++) {
		json_array_append_new(names, json_string(q->params[i].name));
		json_array_append_new(params, json_pack("{s:s, s:o, s:b}", "name", q->params[i].name,
		                                        "type_name", param_type_json(&q->params[i].type),
		                                        "nullable", q->params[i].type.nullable));
	}
	json_t *j = json_pack("{s:s, s:o, s:I, s:I, s:o, s:o, s:o, s:I, s:o}", "name", q->name,
	                      "params", detailed ? params : names, "match_clause_count",
	                      (json_int_t)q->n_clauses, "return_count", (json_int_t)q->n_projs,
	                      "returns", returns_json(q), "order", orders_json(q), "limit",
	                      q->has_limit ? json_integer((json_int_t)q->limit) : json_null(),
	                      "mutation_count", (json_int_t)q->n_mutations, "mutations",
	                      mutations_json(q));
	json_decref(detailed ? names : params);
	json_object_set_new(j, "clauses", clauses_json(q->clauses, q->n_clauses));
	json_object_set_new(j, "description", str_or_null(q->description));
	json_object_set_new(j, "instruction", str_or_null(q->instruction));
	return j;
}

static json_t *op_parse_query(struct cf_ctx *ctx, const json_t *step)
{
	char why[CF_WHY_BYTES] = "";
	char *src = cf_text(ctx, step, "source", NULL, why);
	if (src == NULL)
		return cf_error(why, 0);
	struct lang_diag d = LANG_DIAG_INIT;
	struct gq_file *f = NULL;
	json_t *res;
	if (gq_parse(&f, src, strlen(src), &d) != 0) {
		res = cf_error(d.message, d.has_span);
	} else {
		json_t *qs = json_array();
		render_src = src;
		for (size_t i = 0; i < f->n_queries; i++)
			json_array_append_new(qs, query_json(&f->queries[i], 0));
		res = f->n_queries > 0 ? query_json(&f->queries[0], 1) : json_object();
		render_src = NULL;
		json_object_set_new(res, "ok", json_true());
		json_object_set_new(res, "query_count", json_integer((json_int_t)f->n_queries));
		json_object_set_new(res, "queries", qs);
	}
	lang_diag_clear(&d);
	gq_file_free(f);
	free(src);
	return res;
}

/* ---- typecheck ----------------------------------------------------------- */

static const char *dir_name(enum gq_dir d)
{
	return d == GQ_DIR_OUT ? "Out" : d == GQ_DIR_IN ? "In" : "Both";
}

static json_t *checked_json(const struct gq_checked *c)
{
	json_t *bindings = json_object(), *travs = json_array(), *targets = json_array();
	for (size_t i = 0; i < c->n_vars; i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), "%s:%s", c->vars[i].is_edge ? "edge" : "node",
		         c->vars[i].type->name);
		if (c->vars[i].scope == 0)
			json_object_set_new(bindings, c->vars[i].name, json_string(buf));
	}
	for (size_t i = 0; i < c->n_travs; i++) {
		const struct gq_ctrav *t = &c->travs[i];
		const struct gq_clause *cl = t->clause;
		if (t->scope != 0)
			continue; /* a `not { }` block's own, as its bindings */
		json_array_append_new(travs, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "src",
		                      cl->src, "dst", cl->dst, "edge_type", t->edge->name,
		                      "direction", dir_name(t->dir), "min_hops", (json_int_t)cl->min_hops,
		                      "max_hops", json_integer(cl->max_hops), "edge_binding",
		                      str_or_null(cl->edge_binding)));
	}
	for (size_t i = 0; i < c->n_targets; i++)
		json_array_append_new(targets, json_pack("{s:s}", c->targets[i].is_edge ? "edge" : "node",
		                                         c->targets[i].type->name));
	return json_pack("{s:b, s:s, s:o, s:o, s:o}", "ok", 1, "query_kind",
	                 c->is_mutation ? "Mutation" : "Read", "bindings", bindings, "traversals",
	                 travs, "mutation_targets", targets);
}

static json_t *op_typecheck(struct cf_ctx *ctx, const json_t *step)
{
	char why[CF_WHY_BYTES] = "";
	char *schema = cf_text(ctx, step, "schema", "schema", why);
	char *src = schema ? cf_text(ctx, step, "query", NULL, why) : NULL;
	if (src == NULL) {
		free(schema);
		return cf_error(why, 0);
	}
	struct lang_diag d = LANG_DIAG_INIT;
	struct lang_catalog *cat = NULL;
	struct gq_file *f = NULL;
	struct gq_checked *c = NULL;
	json_t *res;
	if (lang_catalog_from_text(&cat, schema, strlen(schema), &d) != 0 ||
	    gq_parse(&f, src, strlen(src), &d) != 0)
		res = cf_error(d.message, d.has_span);
	else if (f->n_queries == 0)
		res = cf_error("query file contains no query", 0);
	else if (gq_typecheck(&c, cat, &f->queries[0], &d) != 0)
		res = cf_error(d.message, 0);
	else
		res = checked_json(c);
	gq_checked_free(c);
	gq_file_free(f);
	lang_catalog_free(cat);
	lang_diag_clear(&d);
	free(src);
	free(schema);
	return res;
}

/* `bindings_include: ["mid", "fof"]`: names among the bound variables. */
static int check_bindings_include(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                                  const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const json_t *b = json_object_get(result, "bindings");
	size_t i;
	const json_t *name;
	json_array_foreach(expected, i, name) {
		if (!json_is_string(name) || json_object_get(b, json_string_value(name)) == NULL) {
			snprintf(why, CF_WHY_BYTES, "bindings_include: `%s` is not bound",
			         json_string_value(name) ? json_string_value(name) : "?");
			return 0;
		}
	}
	return 1;
}

/* ---- lint_query_file ------------------------------------------------------- */

/* Reads/writes as the cases spell them: [["Node", "Person"], ...]. */
static void facts_to_pairs(json_t *op, const char *key)
{
	json_t *facts = json_object_get(op, key), *pairs = json_array();
	size_t i;
	json_t *f;
	json_array_foreach(facts, i, f)
		json_array_append_new(pairs, json_pack("[O, O]", json_object_get(f, "kind"),
		                                       json_object_get(f, "type_name")));
	json_object_set_new(op, key, pairs);
}

static json_t *op_lint_query_file(struct cf_ctx *ctx, const json_t *step)
{
	char why[CF_WHY_BYTES] = "";
	char *schema = cf_text(ctx, step, "schema", "schema", why);
	char *src = schema ? cf_text(ctx, step, "queries", NULL, why) : NULL;
	if (src == NULL) {
		free(schema);
		return cf_error(why, 0);
	}
	struct lang_diag d = LANG_DIAG_INIT;
	struct lang_catalog *cat = NULL;
	json_t *res = NULL;
	if (lang_catalog_from_text(&cat, schema, strlen(schema), &d) != 0) {
		res = cf_error(d.message, d.has_span);
	} else {
		char *text = gq_lint_json(cat, src, strlen(src), "schema.pg", "queries.gq");
		json_error_t jerr;
		res = text ? json_loads(text, 0, &jerr) : NULL;
		free(text);
		if (res == NULL) {
			res = cf_error("lint produced no report", 0);
		} else {
			size_t i;
			json_t *r;
			json_array_foreach(json_object_get(res, "results"), i, r) {
				json_t *op = json_object_get(r, "operation");
				if (op == NULL) {
					json_object_set_new(r, "operation", json_null());
					continue;
				}
				facts_to_pairs(op, "reads");
				facts_to_pairs(op, "writes");
			}
		}
	}
	lang_catalog_free(cat);
	lang_diag_clear(&d);
	free(src);
	free(schema);
	return res;
}

/* `results`: generic matching, except that `error_contains` (a string) is
 * a substring test on the result's `error`. */
static int check_one_result(const json_t *exp, const json_t *act, const char *path, char *why)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)exp, k, v) {
		if (strcmp(k, "index") == 0)
			continue;
		if (strcmp(k, "error_contains") == 0) {
			const char *err = json_string_value(json_object_get(act, "error"));
			if (err == NULL || !json_is_string(v) || strstr(err, json_string_value(v)) == NULL) {
				snprintf(why, CF_WHY_BYTES, "%s.error: \"%.200s\" not in \"%.400s\"", path,
				         json_string_value(v) ? json_string_value(v) : "?", err ? err : "(none)");
				return 0;
			}
			continue;
		}
		json_t *wrap = json_pack("{s:O}", k, v);
		int ok = cf_match(wrap, act, path, why);
		json_decref(wrap);
		if (!ok)
			return 0;
	}
	return 1;
}

static int check_results(struct cf_ctx *ctx, const json_t *result, const json_t *expected,
                         const json_t *expectation, char *why)
{
	(void)ctx;
	(void)expectation;
	const json_t *actual = json_object_get(result, "results");
	if (!json_is_array(expected) || !json_is_array(actual)) {
		snprintf(why, CF_WHY_BYTES, "results: expected an array");
		return 0;
	}
	int indexed = json_array_size(expected) > 0 &&
	              json_object_get(json_array_get(expected, 0), "index") != NULL;
	if (!indexed && json_array_size(expected) != json_array_size(actual)) {
		snprintf(why, CF_WHY_BYTES, "results: expected %zu results, got %zu",
		         json_array_size(expected), json_array_size(actual));
		return 0;
	}
	size_t i;
	const json_t *e;
	json_array_foreach(expected, i, e) {
		size_t at = indexed ? (size_t)json_integer_value(json_object_get(e, "index")) : i;
		const json_t *a = json_array_get(actual, at);
		char path[64];
		snprintf(path, sizeof(path), "results[%zu]", at);
		if (a == NULL) {
			snprintf(why, CF_WHY_BYTES, "%s: no such result", path);
			return 0;
		}
		if (!check_one_result(e, a, path, why))
			return 0;
	}
	return 1;
}

const struct cf_op cf_ops_query[] = {
	{ "parse_query", op_parse_query },
	{ "typecheck", op_typecheck },
	{ "lint_query_file", op_lint_query_file },
	{ NULL, NULL },
};

const struct cf_check cf_checks_query[] = {
	{ "bindings_include", check_bindings_include },
	{ "results", check_results },
	{ NULL, NULL },
};
