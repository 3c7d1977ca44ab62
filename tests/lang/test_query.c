/*
 * tests/lang/test_query.c — the .gq parser, typechecker, lint and lowering
 * (spec §3-§6): exact messages with line:col, result columns, IR shape,
 * and the limits that keep hostile input from overflowing the stack.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "lang/catalog.h"
#include "lang/ir.h"
#include "lang/lint.h"
#include "lang/query_ast.h"
#include "lang/typecheck.h"

static const char *const SCHEMA =
	"node Person { name: String @key\n age: I32?\n tags: [String]? }\n"
	"node Company { name: String @key }\n"
	"node Doc { slug: String @key\n title: String @index\n embedding: Vector(3)\n payload: Blob? }\n"
	"edge Knows: Person -> Person { since: Date? }\n"
	"edge WorksAt: Person -> Company\n";

/* ---- helpers ------------------------------------------------------------ */

static struct lang_catalog *catalog(void)
{
	struct lang_catalog *c = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(lang_catalog_from_text(&c, SCHEMA, strlen(SCHEMA), &d), 0, "%s", d.message);
	return c;
}

static struct gq_file *parse_ok(const char *src)
{
	struct gq_file *f = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(gq_parse(&f, src, strlen(src), &d), 0, "unexpected: %s", d.message);
	return f;
}

/* The parse error of src (caller frees); *has_span set when asked. */
static char *parse_error(const char *src, struct lang_diag *out)
{
	struct gq_file *f = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(gq_parse(&f, src, strlen(src), &d), -1, "parsed: %s", src);
	cr_assert_null(f);
	char *msg = strdup(d.message);
	if (out != NULL)
		*out = d;
	else
		lang_diag_clear(&d);
	return msg;
}

/* The type error of the first query of src against SCHEMA (caller frees). */
static char *type_error(const char *src)
{
	struct lang_catalog *cat = catalog();
	struct gq_file *f = parse_ok(src);
	struct gq_checked *c = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(gq_typecheck(&c, cat, &f->queries[0], &d), -1, "typechecked: %s", src);
	char *msg = strdup(d.message);
	lang_diag_clear(&d);
	gq_file_free(f);
	lang_catalog_free(cat);
	return msg;
}

struct checked {
	struct lang_catalog *cat;
	struct gq_file *file;
	struct gq_checked *c;
};

static struct checked check_ok(const char *src)
{
	struct checked k = { catalog(), parse_ok(src), NULL };
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(gq_typecheck(&k.c, k.cat, &k.file->queries[0], &d), 0, "%s", d.message);
	return k;
}

static void checked_free(struct checked *k)
{
	gq_checked_free(k->c);
	gq_file_free(k->file);
	lang_catalog_free(k->cat);
}

/* ---- parser ------------------------------------------------------------- */

Test(query_parse, a_read_query_keeps_clauses_projections_order_and_limit)
{
	struct gq_file *f = parse_ok("query q($n: String) {\n match {\n  $p: Person { name: $n }\n"
	                             "  $p knows{1,3} $f\n  not { $f worksAt $_ }\n }\n"
	                             " return { $f.name, count($f) as c }\n order { c desc }\n limit 5\n}\n");
	const struct gq_query *q = &f->queries[0];
	cr_assert_eq(q->n_clauses, 3);
	cr_assert_eq(q->clauses[1].kind, GQ_CLAUSE_TRAVERSAL);
	cr_assert_eq(q->clauses[1].max_hops, 3);
	cr_assert_eq(q->clauses[2].kind, GQ_CLAUSE_NEGATION);
	cr_assert_str_eq(q->clauses[2].inner[0].dst, "_");
	cr_assert_eq(q->n_projs, 2);
	cr_assert_str_eq(q->projs[1].alias, "c");
	cr_assert(q->orders[0].descending);
	cr_assert_eq(q->limit, 5);
	gq_file_free(f);
}

Test(query_parse, a_bare_variable_before_contains_is_a_traversal_over_an_edge_named_contains)
{
	struct gq_file *f = parse_ok("query q() { match { $q: Person $q contains $m } return { $q } }");
	cr_assert_eq(f->queries[0].clauses[1].kind, GQ_CLAUSE_TRAVERSAL);
	cr_assert_str_eq(f->queries[0].clauses[1].edge, "contains");
	gq_file_free(f);
}

Test(query_parse, a_bare_variable_compared_with_a_literal_is_a_filter)
{
	struct gq_file *f = parse_ok("query q() { match { $p: Person $p < 3 $p contains \"x\" } return { $p } }");
	cr_assert_eq(f->queries[0].clauses[1].kind, GQ_CLAUSE_FILTER);
	cr_assert_eq(f->queries[0].clauses[2].op, GQ_OP_CONTAINS);
	gq_file_free(f);
}

Test(query_parse, a_syntax_error_names_line_and_column_and_echoes_the_line)
{
	struct lang_diag d;
	char *msg = parse_error("query q() {\nmatch {\n    $p: Person\n}\nreturn { $p.name\n}\n", &d);
	cr_assert(d.has_span);
	cr_assert_eq(d.line, 7);
	cr_assert_eq(d.col, 1);
	cr_assert(strstr(msg, "parse error:  --> 7:1") == msg, "%s", msg);
	cr_assert(strstr(msg, "= expected `order`, `limit` or `}`") != NULL, "%s", msg);
	lang_diag_clear(&d);
	free(msg);
}

Test(query_parse, nearest_with_a_direction_is_a_syntax_error_at_the_direction)
{
	struct lang_diag d;
	char *msg = parse_error("query q($v: Vector(3)) { match { $d: Doc }\n return { $d.slug }\n"
	                        " order { nearest($d.embedding, $v) desc } limit 3 }", &d);
	cr_assert_eq(d.line, 3);
	cr_assert_eq(d.col, 36);
	lang_diag_clear(&d);
	free(msg);
}

Test(query_parse, duplicate_description_is_a_semantic_error_without_span)
{
	struct lang_diag d;
	char *msg = parse_error("query q() @description(\"a\") @description(\"b\") "
	                        "{ match { $p: Person } return { $p } }", &d);
	cr_assert_str_eq(msg, "parse error: query `q` cannot include duplicate @description annotations");
	cr_assert_not(d.has_span);
	lang_diag_clear(&d);
	free(msg);
}

Test(query_parse, a_later_syntax_error_wins_over_an_earlier_semantic_error)
{
	struct lang_diag d;
	char *msg = parse_error("query q() { match { $p: Person $p.name = \"a\\q\" } return { $p }\n", &d);
	cr_assert(d.has_span, "%s", msg);
	lang_diag_clear(&d);
	free(msg);
}

Test(query_parse, integers_beyond_i64_and_limits_beyond_u64_are_refused)
{
	char *a = parse_error("query q() { match { $p: Person $p.age = 9223372036854775808 } return { $p } }", NULL);
	cr_assert_str_eq(a, "parse error: invalid integer: number too large to fit in target type");
	char *b = parse_error("query q() { match { $p: Person } return { $p } limit 99999999999999999999 }", NULL);
	cr_assert_str_eq(b, "parse error: invalid limit: number too large to fit in target type");
	free(a);
	free(b);
}

Test(query_parse, deeply_nested_negations_hit_the_nesting_limit_not_the_stack)
{
	size_t n = 100000;
	char *src = malloc(n * 12 + 200);
	strcpy(src, "query q() { match { $p: Person ");
	char *end = src + strlen(src);
	for (size_t i = 0; i < n; i++, end += 6)
		memcpy(end, "not { ", 6);
	*end = '\0';
	struct lang_diag d;
	char *msg = parse_error(src, &d);
	cr_assert(strstr(msg, "nesting deeper than 64 levels is not supported") != NULL, "%s", msg);
	cr_assert(d.has_span);
	lang_diag_clear(&d);
	free(msg);
	free(src);
}

Test(query_parse, deeply_nested_lists_and_calls_hit_the_nesting_limit)
{
	char src[4096] = "query q() { match { $p: Person $p.tags = ";
	for (int i = 0; i < 500; i++)
		strcat(src, "[");
	char *msg = parse_error(src, NULL);
	cr_assert(strstr(msg, "nesting deeper than 64") != NULL, "%s", msg);
	free(msg);
	char src2[8192] = "query q() { match { $p: Person } return { ";
	for (int i = 0; i < 500; i++)
		strcat(src2, "count(");
	msg = parse_error(src2, NULL);
	cr_assert(strstr(msg, "nesting deeper than 64") != NULL, "%s", msg);
	free(msg);
}

/* A query of `n` clauses: $v0: Person, then `$v{i} knows $v{i+1}` links
 * written last link first, the whole `inner` of them inside one `not { }`
 * when nested.  malloc'd. */
static char *chain_query(size_t n, int nested)
{
	char *src = malloc(n * 40 + 200);
	char *end = src + sprintf(src, "query q() { match { $v0: Person\n%s", nested ? "not {\n" : "");
	for (size_t i = n - 1; i-- > 0;)
		end += sprintf(end, "$v%zu knows $v%zu\n", i, i + 1);
	sprintf(end, "%s} return { $v0.name } }\n", nested ? "}\n" : "");
	return src;
}

Test(query_limits, a_query_of_more_than_gq_max_clauses_clauses_is_refused_with_a_span)
{
	/* Found by feeding the fuzz target large generated queries
	 * (tests/fuzz/crashes/query/slow-backwards-chain-2000: 78 s): per-query
	 * cost grows faster than linearly with the clauses, so their number
	 * is bounded. */
	char *ok = chain_query(GQ_MAX_CLAUSES, 0);
	struct gq_file *f = parse_ok(ok);
	cr_assert_eq(f->queries[0].n_clauses, GQ_MAX_CLAUSES);
	gq_file_free(f);
	free(ok);

	char *over = chain_query(GQ_MAX_CLAUSES + 1, 0);
	struct lang_diag d;
	char *msg = parse_error(over, &d);
	cr_assert(strstr(msg, "= more than 256 clauses in one query are not supported") != NULL, "%s", msg);
	cr_assert(d.has_span);
	/* At the first clause past the limit: `$v0 knows $v1`, the last line. */
	cr_assert(strstr(msg, "$v0 knows $v1") != NULL, "%s", msg);
	lang_diag_clear(&d);
	free(msg);
	free(over);

	/* Nested clauses count: the `not` and its GQ_MAX_CLAUSES - 1 links. */
	char *nested = chain_query(GQ_MAX_CLAUSES, 1);
	msg = parse_error(nested, NULL);
	cr_assert(strstr(msg, "more than 256 clauses") != NULL, "%s", msg);
	free(msg);
	free(nested);
}

Test(query_limits, parameters_and_projections_are_bounded_too)
{
	/* Every reference to a parameter or an alias is looked up among the
	 * declarations: 20000 parameters each used once took 5 s, 20000
	 * aliases each ordered by took 10 s (a 500 KB query). */
	char *src = malloc(GQ_MAX_PARAMS * 32 + 4096);
	for (int extra = 0; extra <= 1; extra++) {
		char *end = src + sprintf(src, "query q(");
		for (int i = 0; i < GQ_MAX_PARAMS + extra; i++)
			end += sprintf(end, "%s$p%d: String", i ? ", " : "", i);
		sprintf(end, ") { match { $a: Person { name: $p0 } } return { $a.name } }");
		if (!extra) {
			gq_file_free(parse_ok(src));
			continue;
		}
		char *msg = parse_error(src, NULL);
		cr_assert(strstr(msg, "= more than 256 parameters in one query are not supported") != NULL,
		          "%s", msg);
		free(msg);
	}
	for (int extra = 0; extra <= 1; extra++) {
		char *end = src + sprintf(src, "query q() { match { $a: Person } return { ");
		for (int i = 0; i < GQ_MAX_PROJECTIONS + extra; i++)
			end += sprintf(end, "$a.name as n%d ", i);
		sprintf(end, "} order { n0, n255 } }");
		if (!extra) {
			gq_file_free(parse_ok(src));
			continue;
		}
		char *msg = parse_error(src, NULL);
		cr_assert(strstr(msg, "= more than 256 projections in one query are not supported") != NULL,
		          "%s", msg);
		free(msg);
	}
	free(src);
}

Test(query_limits, the_clause_limit_is_per_query)
{
	char *one = chain_query(GQ_MAX_CLAUSES, 0);
	size_t len = strlen(one);
	char *two = malloc(2 * len + 2);
	memcpy(two, one, len);
	memcpy(two + len, "query r", 7);           /* the second query is `r` */
	memcpy(two + len + 7, one + 7, len - 7 + 1);
	struct gq_file *f = parse_ok(two);
	cr_assert_eq(f->n_queries, 2);
	cr_assert_eq(f->queries[1].n_clauses, GQ_MAX_CLAUSES);
	gq_file_free(f);
	free(two);
	free(one);
}

/* ---- typechecker -------------------------------------------------------- */

Test(query_typecheck, an_unknown_binding_type_is_t1)
{
	char *m = type_error("query q() { match { $p: Foo } return { $p } }");
	cr_assert_str_eq(m, "type error: T1: unknown node type `Foo`");
	free(m);
}

Test(query_typecheck, a_wrong_endpoint_type_is_t5_with_the_edge_shape)
{
	char *m = type_error("query q() { match { $c: Company $c knows $f } return { $c.name } }");
	cr_assert_str_eq(m, "type error: T5: variable `$c` has type `Company`, which is not an "
	                 "endpoint of edge `Knows: Person -> Person`");
	free(m);
}

Test(query_typecheck, reversed_bounds_are_t15_and_undirected_asymmetric_edges_are_t22)
{
	char *a = type_error("query q() { match { $p: Person $p knows{3,1} $f } return { $f } }");
	cr_assert_str_eq(a, "type error: T15: invalid traversal bounds {3,1}; max must be >= min");
	char *b = type_error("query q() { match { $p: Person $p <worksAt> $c } return { $c } }");
	cr_assert(strstr(b, "T22: undirected traversal `<WorksAt>`") != NULL, "%s", b);
	free(a);
	free(b);
}

Test(query_typecheck, a_blob_property_read_is_t24_before_any_aggregate_rule)
{
	char *m = type_error("query q() { match { $d: Doc } return { sum($d.payload) } }");
	cr_assert_str_eq(m, "type error: T24: Blob property `$d.payload` is not available as a .gq "
	                 "read value; Blob values require a dedicated API");
	free(m);
}

Test(query_typecheck, nearest_without_limit_is_t17_and_alias_order_with_nearest_is_t18)
{
	char *a = type_error("query q($v: Vector(3)) { match { $d: Doc } return { $d.slug } "
	                     "order { nearest($d.embedding, $v) } }");
	cr_assert_str_eq(a, "type error: T17: nearest ordering requires a limit clause");
	char *b = type_error("query q($v: Vector(3)) { match { $d: Doc } return { $d.slug as s } "
	                     "order { nearest($d.embedding, $v), s } limit 2 }");
	cr_assert(strstr(b, "T18") != NULL, "%s", b);
	free(a);
	free(b);
}

Test(query_typecheck, a_negation_without_outer_variables_is_t9)
{
	char *m = type_error("query q() { match { $p: Person not { $x: Person } } return { $p } }");
	cr_assert_str_eq(m, "type error: T9: negation block must reference at least one outer-bound variable");
	free(m);
}

Test(query_typecheck, insert_missing_a_required_property_is_t12)
{
	char *m = type_error("query q($a: I32) { insert Person { age: $a } }");
	cr_assert_str_eq(m, "type error: T12: insert for `Person` must provide non-nullable property `name`");
	free(m);
}

Test(query_typecheck, result_columns_follow_the_projection_naming_rules)
{
	struct checked k = check_ok("query q($x: String) { match { $p: Person $p knows $f } "
	                            "return { $p.name, $f, $x, 1, now() as t } }");
	cr_assert_eq(k.c->n_columns, 5);
	cr_assert_str_eq(k.c->columns[0].name, "p.name");
	cr_assert_str_eq(k.c->columns[0].desc_name, "name");
	cr_assert_str_eq(k.c->columns[1].name, "f");
	cr_assert_eq(k.c->columns[1].type.kind, GQ_T_NODE);
	cr_assert_str_eq(k.c->columns[2].name, "x");
	cr_assert_str_eq(k.c->columns[3].name, "literal");
	cr_assert_str_eq(k.c->columns[4].name, "t");
	checked_free(&k);

	k = check_ok("query q() { match { $p: Person $p knows $f } return { $p.name, count($f) } }");
	cr_assert_str_eq(k.c->columns[1].name, "f");
	cr_assert_str_eq(k.c->columns[1].desc_name, "count");
	cr_assert_eq(k.c->columns[1].type.t.scalar, LANG_SCALAR_I64);
	cr_assert(k.c->columns[1].is_aggregate);
	checked_free(&k);
}

Test(query_typecheck, a_traversal_from_a_bound_destination_walks_forward_and_types_the_source)
{
	struct checked k = check_ok("query q() { match { $c: Company $c worksAt $p } return { $p.name } }");
	cr_assert_eq(k.c->n_travs, 1);
	cr_assert_eq(k.c->travs[0].dir, GQ_DIR_IN);
	const struct gq_cvar *p = gq_checked_var(k.c, "p", 0);
	cr_assert_not_null(p);
	cr_assert_str_eq(p->type->name, "Person");
	checked_free(&k);
}

/* ---- lowering ----------------------------------------------------------- */

static struct gq_ir_query *lower(struct checked *k)
{
	struct gq_ir_query *ir = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(gq_lower(&ir, k->c, &d), 0, "%s", d.message);
	return ir;
}

Test(query_lower, a_chain_written_backwards_expands_link_by_link_from_the_bound_end)
{
	/* The links are written last first, so each pass over the clauses
	 * expands one more: (n - 1) passes.  The lowering used to look the
	 * endpoints up by name on every pass, cubic in the chain length (13 s
	 * for 1000 links); slots are now resolved once per scope. */
	char *src = chain_query(GQ_MAX_CLAUSES, 0);
	struct checked k = check_ok(src);
	struct gq_ir_query *ir = lower(&k);
	cr_assert_eq(ir->pipeline.n_steps, GQ_MAX_CLAUSES);
	cr_assert_eq(ir->pipeline.steps[0].kind, GQ_IR_SCAN);
	cr_assert_str_eq(ir->bindings[ir->pipeline.steps[0].slot].name, "v0");
	for (size_t i = 1; i < ir->pipeline.n_steps; i++) {
		const struct gq_ir_step *st = &ir->pipeline.steps[i];
		char want_src[32], want_dst[32];
		snprintf(want_src, sizeof want_src, "v%zu", i - 1);
		snprintf(want_dst, sizeof want_dst, "v%zu", i);
		cr_assert_eq(st->kind, GQ_IR_EXPAND);
		cr_assert_eq(st->dir, GQ_DIR_OUT);
		cr_assert_not(st->dst_bound);
		cr_assert_str_eq(ir->bindings[st->src_slot].name, want_src);
		cr_assert_str_eq(ir->bindings[st->dst_slot].name, want_dst);
	}
	gq_ir_free(ir);
	checked_free(&k);
	free(src);
}

Test(query_lower, a_key_match_becomes_a_key_lookup_followed_by_an_expand)
{
	struct checked k = check_ok("query q($n: String) { match { $p: Person { name: $n } $p knows $f } "
	                            "return { $f.name } }");
	struct gq_ir_query *ir = lower(&k);
	cr_assert_eq(ir->pipeline.n_steps, 2);
	const struct gq_ir_step *scan = &ir->pipeline.steps[0], *ex = &ir->pipeline.steps[1];
	cr_assert_eq(scan->kind, GQ_IR_SCAN);
	cr_assert_eq(scan->access, GQ_ACCESS_KEY_LOOKUP);
	cr_assert_eq(scan->key_values[0]->kind, GQ_IR_PARAM);
	cr_assert_eq(ex->kind, GQ_IR_EXPAND);
	cr_assert_eq(ex->dir, GQ_DIR_OUT);
	cr_assert_eq(ex->min_hops, 1);
	cr_assert_eq(ex->edge_type_id, lang_catalog_edge(k.cat, "Knows")->id);
	cr_assert_str_eq(ir->columns[0].name, "f.name");
	cr_assert_eq(ir->columns[0].expr->kind, GQ_IR_PROP);
	gq_ir_free(ir);
	checked_free(&k);
}

Test(query_lower, a_traversal_written_towards_the_scanned_node_expands_backwards_from_it)
{
	struct checked k = check_ok("query q() { match { $c: Company { name: \"Acme\" } $p worksAt $c } "
	                            "return { $p.name } }");
	struct gq_ir_query *ir = lower(&k);
	const struct gq_ir_step *ex = &ir->pipeline.steps[1];
	cr_assert_eq(ex->kind, GQ_IR_EXPAND);
	cr_assert_eq(ex->dir, GQ_DIR_IN);
	cr_assert_str_eq(ir->bindings[ex->src_slot].name, "c");
	cr_assert_str_eq(ir->bindings[ex->dst_slot].name, "p");
	gq_ir_free(ir);
	checked_free(&k);
}

Test(query_lower, an_indexed_match_is_a_point_read_and_negation_an_anti_join)
{
	struct checked k = check_ok("query q() { match { $d: Doc { title: \"x\" } } return { $d.slug } }");
	struct gq_ir_query *ir = lower(&k);
	cr_assert_eq(ir->pipeline.steps[0].access, GQ_ACCESS_INDEX_POINT);
	gq_ir_free(ir);
	checked_free(&k);

	k = check_ok("query q() { match { $p: Person not { $p worksAt $_ } $p.tags contains \"a\" } "
	             "return { count($p) as n } }");
	ir = lower(&k);
	cr_assert_eq(ir->pipeline.n_steps, 3);
	cr_assert_eq(ir->pipeline.steps[0].access, GQ_ACCESS_TYPE_SCAN);
	cr_assert_eq(ir->pipeline.steps[1].kind, GQ_IR_FILTER);
	cr_assert_eq(ir->pipeline.steps[1].filter.op, GQ_IR_LIST_CONTAINS);
	cr_assert_eq(ir->pipeline.steps[2].kind, GQ_IR_ANTI_JOIN);
	cr_assert_eq(ir->pipeline.steps[2].inner.steps[0].kind, GQ_IR_EXPAND);
	cr_assert(ir->has_aggregates);
	gq_ir_free(ir);
	checked_free(&k);
}

/* Filters that cannot fail run equalities first, else in written order. */
Test(query_lower, plain_filters_run_equalities_first_and_others_as_written)
{
	struct checked k = check_ok("query q($a: I32) { match { $p: Person $p.age > $a "
	                            "$p.age < 90 $p.name = \"x\" $p.tags contains \"t\" } "
	                            "return { $p.name } }");
	struct gq_ir_query *ir = lower(&k);
	const enum gq_ir_cmp want[] = { GQ_IR_EQ, GQ_IR_GT, GQ_IR_LT, GQ_IR_LIST_CONTAINS };
	cr_assert_eq(ir->pipeline.n_steps, 5);
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(ir->pipeline.steps[i + 1].kind, GQ_IR_FILTER);
		cr_assert_eq(ir->pipeline.steps[i + 1].filter.op, want[i], "filter %zu", i);
	}
	gq_ir_free(ir);
	checked_free(&k);

	/* fuzzy() fails at run time on a negative bound: the same rows must
	 * meet it as written. */
	k = check_ok("query q($s: String, $e: I64) { match { $d: Doc fuzzy($d.title, $s, $e) "
	             "$d.slug = \"x\" } return { $d.slug } }");
	ir = lower(&k);
	cr_assert_eq(ir->pipeline.steps[1].filter.left->kind, GQ_IR_FUZZY);
	cr_assert_eq(ir->pipeline.steps[2].filter.op, GQ_IR_EQ);
	cr_assert_eq(ir->pipeline.steps[2].filter.left->kind, GQ_IR_PROP);
	gq_ir_free(ir);
	checked_free(&k);
}

Test(query_lower, mutations_become_templates_with_property_ids)
{
	struct checked k = check_ok("query q($a: String, $b: String) { insert Knows { from: $a, to: $b } "
	                            "}");
	struct gq_ir_query *ir = lower(&k);
	cr_assert(ir->is_mutation);
	cr_assert_eq(ir->n_mutations, 1);
	cr_assert(ir->mutations[0].is_edge);
	cr_assert_eq(ir->mutations[0].assigns[0].target, GQ_IR_FROM);
	cr_assert_eq(ir->mutations[0].assigns[1].target, GQ_IR_TO);
	gq_ir_free(ir);
	checked_free(&k);
}

/* ---- lint and the public API --------------------------------------------- */

Test(query_lint, l201_names_the_nullable_property_no_update_sets)
{
	struct lang_catalog *cat = catalog();
	struct gq_lint_report *r = NULL;
	const char *src = "query up($n: String, $a: I32) { update Person set { age: $a } where name = $n }";
	cr_assert_eq(gq_lint(&r, cat, src, strlen(src)), 0);
	cr_assert_eq(r->n_findings, 1);
	cr_assert_str_eq(r->findings[0].code, "L201");
	cr_assert_str_eq(r->findings[0].message, "Person.tags exists in schema but no update query sets it");
	cr_assert_str_eq(r->findings[0].query_names[0], "up");
	cr_assert(r->ok);
	gq_lint_free(r);
	lang_catalog_free(cat);
}

Test(query_lint, grove_query_lint_reports_a_parse_error_with_file_line_and_column)
{
	char *report = NULL;
	int rc = grove_query_lint(&report, SCHEMA, "s.pg", "query q() {\n  match {", "q.gq", 0);
	cr_assert_eq(rc, GROVE_EPARSE);
	cr_assert(strstr(report, "q.gq:2:10: parse error:") != NULL, "%s", report);
	grove_free(report);
	rc = grove_query_lint(&report, SCHEMA, "s.pg", "query q() { match { $p: Nope } return { $p } }",
	                      "q.gq", 1);
	cr_assert_eq(rc, GROVE_ETYPE);
	cr_assert(strstr(report, "\"status\":\"error\"") != NULL, "%s", report);
	cr_assert(strstr(report, "T1: unknown node type `Nope`") != NULL, "%s", report);
	grove_free(report);
}

/* Semantic errors of the parser (a number out of range, a duplicate
 * annotation) are placed at the token at fault: a byte offset the
 * renderers turn into line:column. */
Test(query_parse, semantic_errors_carry_the_offset_of_their_token)
{
	struct lang_diag d;
	const char *src = "query q() {\n  match { $p: Person }\n  return { $p.name }\n  limit 99999999999999999999\n}\n";
	char *msg = parse_error(src, &d);
	cr_expect_str_eq(msg, "parse error: invalid limit: number too large to fit in target type");
	cr_expect(d.has_pos);
	cr_expect_eq(d.pos, (size_t)(strstr(src, "9999") - src));
	free(msg);
	lang_diag_clear(&d);
	/* A bound read before its `,` is placed at the bound, not the comma. */
	const char *hops = "query q() {\n  match { $p: Person\n  $p knows{99999999999999,\n  2} $f }\n"
			   "  return { $p.name }\n}\n";
	msg = parse_error(hops, &d);
	cr_expect_str_eq(msg, "parse error: invalid traversal min bound: number too large to fit in target type");
	cr_expect(d.has_pos);
	cr_expect_eq(d.pos, (size_t)(strstr(hops, "9999") - hops));
	free(msg);
	lang_diag_clear(&d);
}
