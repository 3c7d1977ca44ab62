/*
 * tests/fuzz/fuzz_query.c — libFuzzer target for the .gq query language.
 *
 * The input is .gq text (not NUL-terminated).  It is parsed (no catalog is
 * needed for that), then every query is typechecked against a fixed catalog
 * built from SCHEMA below, through both entry points, and each query that
 * checks is lowered to the IR, which is walked end to end.  The whole file
 * is also linted (and the report rendered as JSON and text) against that
 * catalog and against an empty one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lang/catalog.h"
#include "lang/diag.h"
#include "lang/ir.h"
#include "lang/lint.h"
#include "lang/query_ast.h"
#include "lang/typecheck.h"

/* Every kind of type a query can meet: interfaces, keys (single and
 * composite), enums, lists, vectors with @embed, Date/DateTime, Blob,
 * nullable and numeric types, self-typed and cross-typed edges with and
 * without properties, cardinality, range/check constraints. */
static const char SCHEMA[] =
	"interface Named { name: String @index }\n"
	"interface Dated { created: DateTime? }\n"
	"node Person @description(\"a person\") implements Named, Dated {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    score: F64?\n"
	"    rank: U32?\n"
	"    big: I64?\n"
	"    ubig: U64?\n"
	"    ratio: F32?\n"
	"    active: Bool?\n"
	"    born: Date?\n"
	"    seen: DateTime?\n"
	"    tags: [String]?\n"
	"    nums: [I64]?\n"
	"    days: [Date]?\n"
	"    status: enum(active, away, in-progress)?\n"
	"    photo: Blob?\n"
	"    @range(age, 0..150)\n"
	"    @check(name, \"^[A-Za-z ]+$\")\n"
	"}\n"
	"node Company implements Named {\n"
	"    name: String @key\n"
	"    founded: Date\n"
	"    sector: enum(tech, food)\n"
	"}\n"
	"node Doc {\n"
	"    slug: String\n"
	"    lang: String\n"
	"    title: String @index\n"
	"    body: String?\n"
	"    embedding: Vector(3) @embed(body, model=\"m\")\n"
	"    payload: Blob?\n"
	"    @key(slug, lang)\n"
	"    @unique(title)\n"
	"}\n"
	"edge Knows: Person -> Person @card(0..10) { since: Date?  weight: F32? @index }\n"
	"edge WorksAt: Person -> Company { role: String?  start: DateTime? }\n"
	"edge Wrote: Person -> Doc @description(\"authorship\")\n"
	"edge Cites: Doc -> Doc { @unique(src, dst) }\n";

static struct lang_catalog *full_cat, *empty_cat;

static struct lang_catalog *build(const char *text)
{
	struct lang_catalog *cat = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	if (lang_catalog_from_text(&cat, text, strlen(text), &d) != 0) {
		fprintf(stderr, "fuzz_query: the built-in schema does not build: %s\n", d.message);
		abort();
	}
	return cat;
}

static void setup(void)
{
	if (full_cat == NULL) {
		full_cat = build(SCHEMA);
		empty_cat = build("");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setup();
	return 0;
}

static int has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- walking the IR (so that ASan sees every pointer it holds) --------- */

static volatile size_t sink;

static void touch(const char *s)
{
	if (s != NULL)
		sink += strlen(s);
}

static void walk_expr(const struct gq_ir_expr *e, int depth)
{
	if (e == NULL)
		return;
	FUZZ_CHECK(depth <= 4 * GQ_MAX_NESTING);
	touch(e->name);
	if (e->kind == GQ_IR_LIT) {
		FUZZ_CHECK(e->lit != NULL);
		sink += e->lit->n_items;
	}
	for (int i = 0; i < 3; i++)
		walk_expr(e->arg[i], depth + 1);
}

static void walk_filter(const struct gq_ir_filter *f)
{
	walk_expr(f->left, 0);
	walk_expr(f->right, 0);
}

static void walk_pipeline(const struct gq_ir_query *ir, const struct gq_ir_pipeline *p, int depth)
{
	FUZZ_CHECK(depth <= GQ_MAX_NESTING + 1);
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct gq_ir_step *s = &p->steps[i];
		switch (s->kind) {
		case GQ_IR_SCAN:
			FUZZ_CHECK(s->slot < ir->n_bindings);
			if (s->access == GQ_ACCESS_KEY_LOOKUP) {
				const struct lang_cat_type *t = ir->bindings[s->slot].type;
				for (uint32_t k = 0; k < t->key.n; k++)
					walk_expr(s->key_values[k], 0);
			} else if (s->access == GQ_ACCESS_INDEX_POINT) {
				walk_expr(s->index_value, 0);
			}
			for (size_t k = 0; k < s->n_filters; k++)
				walk_filter(&s->filters[k]);
			break;
		case GQ_IR_EXPAND:
			FUZZ_CHECK(s->src_slot < ir->n_bindings && s->dst_slot < ir->n_bindings);
			FUZZ_CHECK(s->edge_slot == GQ_IR_NONE || s->edge_slot < ir->n_bindings);
			break;
		case GQ_IR_FILTER:
			walk_filter(&s->filter);
			break;
		case GQ_IR_ANTI_JOIN:
			walk_pipeline(ir, &s->inner, depth + 1);
			break;
		}
	}
}

static void walk_ir(const struct gq_ir_query *ir)
{
	touch(ir->name);
	for (size_t i = 0; i < ir->n_bindings; i++) {
		touch(ir->bindings[i].name);
		FUZZ_CHECK(ir->bindings[i].type != NULL);
		touch(ir->bindings[i].type->name);
	}
	walk_pipeline(ir, &ir->pipeline, 0);
	for (size_t i = 0; i < ir->n_columns; i++) {
		touch(ir->columns[i].name);
		walk_expr(ir->columns[i].expr, 0);
	}
	for (size_t i = 0; i < ir->n_orders; i++)
		walk_expr(ir->orders[i].expr, 0);
	for (size_t i = 0; i < ir->n_mutations; i++) {
		const struct gq_ir_mutation *m = &ir->mutations[i];
		FUZZ_CHECK(m->type != NULL);
		for (size_t k = 0; k < m->n_assigns; k++) {
			touch(m->assigns[k].prop);
			walk_expr(m->assigns[k].value, 0);
		}
		touch(m->pred_target.prop);
		walk_expr(m->pred_target.value, 0);
	}
}

/* ---- the stages ---------------------------------------------------------- */

/* Returns 1 when the query typechecks. */
static int check_query(const struct lang_catalog *cat, const struct gq_query *q)
{
	struct lang_diag d = LANG_DIAG_INIT;
	struct gq_checked *c = NULL;

	/* The read-query entry point refuses mutations, else agrees. */
	int read_rc = gq_typecheck_read(&c, cat, q, &d);
	if (read_rc == 0)
		gq_checked_free(c);
	else
		FUZZ_CHECK(has_prefix(d.message, LANG_PREFIX_TYPE));
	lang_diag_clear(&d);
	c = NULL;

	if (gq_typecheck(&c, cat, q, &d) != 0) {
		FUZZ_CHECK(c == NULL);
		FUZZ_CHECK(has_prefix(d.message, LANG_PREFIX_TYPE));
		FUZZ_CHECK(read_rc != 0);
		lang_diag_clear(&d);
		return 0;
	}
	FUZZ_CHECK(read_rc == 0 || gq_query_is_mutation(q));

	/* Lookups of the checked result. */
	for (size_t i = 0; i < c->n_vars; i++)
		FUZZ_CHECK(gq_checked_var(c, c->vars[i].name, c->vars[i].scope) != NULL);
	for (size_t i = 0; i < q->n_params && i < 16; i++)   /* linear lookups */
		FUZZ_CHECK(gq_checked_param(c, q->params[i].name) >= 0);
	for (size_t i = 0; i < c->n_columns; i++)
		touch(c->columns[i].name);

	struct gq_ir_query *ir = NULL;
	int lowered = gq_lower(&ir, c, &d);
	if (lowered == GQ_LOWER_UNBOUND) {   /* a group no binding reaches */
		FUZZ_CHECK(ir == NULL && d.message != NULL);
		lang_diag_clear(&d);
		gq_checked_free(c);
		return 1;
	}
	if (lowered != 0) {
		/* Only out of memory may fail otherwise. */
		fprintf(stderr, "fuzz_query: lowering failed: %s\n", d.message);
		abort();
	}
	FUZZ_CHECK(ir->is_mutation == gq_query_is_mutation(q));
	walk_ir(ir);
	gq_ir_free(ir);
	gq_checked_free(c);
	return 1;
}

/* Lint the file; when it parsed, `ok[i]` says whether query i typechecks
 * against cat, and the lint must agree query by query. */
static void lint(const struct lang_catalog *cat, const char *src, size_t size,
                 const struct gq_file *file, const unsigned char *ok)
{
	struct gq_lint_report *r = NULL;
	FUZZ_CHECK(gq_lint(&r, cat, src, size) == 0);
	if (file != NULL) {
		FUZZ_CHECK(r->n_results == file->n_queries);
		FUZZ_CHECK(r->queries_processed == file->n_queries);
		for (size_t i = 0; i < r->n_results; i++) {
			FUZZ_CHECK(strcmp(r->results[i].name, file->queries[i].name) == 0);
			FUZZ_CHECK(!r->results[i].ok == !ok[i]);
			FUZZ_CHECK(r->results[i].ok || r->results[i].error != NULL);
		}
	} else {
		FUZZ_CHECK(!r->ok && r->n_results == 0);
	}
	char *json = gq_lint_render_json(r, "fuzz.pg", "fuzz.gq");
	char *text = gq_lint_render_text(r, "fuzz.gq");
	FUZZ_CHECK(json != NULL && text != NULL);
	free(json);
	free(text);
	gq_lint_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct lang_diag d = LANG_DIAG_INIT;
	struct gq_file *file = NULL;

	setup();
	if (gq_parse(&file, src, size, &d) != 0) {
		FUZZ_CHECK(file == NULL);
		FUZZ_CHECK(has_prefix(d.message, LANG_PREFIX_PARSE));
		if (d.has_span)
			FUZZ_CHECK(d.span_start <= size && d.span_end > d.span_start);
		lang_diag_clear(&d);
	}
	unsigned char *ok_full = calloc(file ? file->n_queries + 1 : 1, 2);
	FUZZ_CHECK(ok_full != NULL);
	unsigned char *ok_empty = ok_full + (file ? file->n_queries + 1 : 1);
	for (size_t i = 0; file != NULL && i < file->n_queries; i++) {
		const struct gq_query *q = &file->queries[i];
		if (i < 16)   /* a linear lookup: keep the target linear */
			FUZZ_CHECK(gq_file_find(file, q->name) != NULL);
		ok_full[i] = (unsigned char)check_query(full_cat, q);
		ok_empty[i] = (unsigned char)check_query(empty_cat, q);
	}
	lint(full_cat, src, size, file, ok_full);
	lint(empty_cat, src, size, file, ok_empty);
	free(ok_full);
	gq_file_free(file);
	return 0;
}
