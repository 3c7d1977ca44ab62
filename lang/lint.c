/*
 * lang/lint.c — the query lint (spec §5.1): per-query results with the
 * operation descriptor, and the file-level findings Q000 and L201.
 * Rendering is in lint_render.c.
 */
#include "lang/lint.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/query_ast.h"
#include "lang/typecheck.h"

#define HARDCODED_MUTATION_WARNING \
	"mutation declares no params; hardcoded mutations are easy to miss"

struct lint {
	struct gq_lint_report *r;
	const struct lang_catalog *cat;
	const struct gq_file *file;
	size_t cap_reads, cap_writes, cap_findings;
};

/* The report outlives the parse tree, the typecheck results and possibly
 * the catalog: every string it keeps is copied into its arena. */
static const char *keep(struct lint *l, const char *s)
{
	return s ? lang_arena_strdup(&l->r->arena, s) : NULL;
}

/* ---- The operation descriptor ------------------------------------------- */

static const char *scalar_kind(const struct lang_type *t)
{
	switch ((enum lang_scalar)t->scalar) {
	case LANG_SCALAR_STRING: return "string";
	case LANG_SCALAR_BOOL: return "bool";
	case LANG_SCALAR_I32:
	case LANG_SCALAR_U32: return "int";
	case LANG_SCALAR_I64:
	case LANG_SCALAR_U64: return "bigint";
	case LANG_SCALAR_F32:
	case LANG_SCALAR_F64: return "float";
	case LANG_SCALAR_DATE: return "date";
	case LANG_SCALAR_DATETIME: return "datetime";
	case LANG_SCALAR_BLOB: return "blob";
	case LANG_SCALAR_VECTOR: return "vector";
	default: return "string";
	}
}

static void field_of(struct lint *l, const struct gq_ccolumn *c, struct gq_lint_field *f)
{
	f->name = keep(l, c->desc_name);
	f->nullable = c->nullable;
	if (c->type.kind == GQ_T_NODE) {
		f->kind = "object";
		return;
	}
	const struct lang_type *t = &c->type.t;
	f->kind = t->list ? "list" : scalar_kind(t);
	f->item_kind = t->list ? scalar_kind(t) : NULL;
	f->vector_dim = t->scalar == LANG_SCALAR_VECTOR ? t->vector_dim : 0;
}

static int fact_cmp(const void *a, const void *b)
{
	const struct gq_lint_fact *x = a, *y = b;
	if (x->is_edge != y->is_edge)
		return x->is_edge - y->is_edge;  /* nodes first */
	return strcmp(x->type_name, y->type_name);
}

/* Add a fact unless present (sets are small; linear is fine). */
static int add_fact(struct lint *l, struct gq_lint_fact **arr, size_t *n, size_t *cap,
                    int is_edge, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if ((*arr)[i].is_edge == is_edge && strcmp((*arr)[i].type_name, name) == 0)
			return 0;
	struct gq_lint_fact *f = gq_push(&l->r->arena, (void **)arr, n, cap, sizeof(**arr));
	if (f == NULL)
		return -1;
	f->is_edge = is_edge;
	f->type_name = keep(l, name);
	return f->type_name ? 0 : -1;
}

static int add_read(struct lint *l, struct gq_lint_result *res, int is_edge, const char *name)
{
	return add_fact(l, &res->reads, &res->n_reads, &l->cap_reads, is_edge, name);
}

static int add_write(struct lint *l, struct gq_lint_result *res, int is_edge, const char *name)
{
	return add_fact(l, &res->writes, &res->n_writes, &l->cap_writes, is_edge, name);
}

/* A read query reads every binding type and, per traversal (also inside
 * `not`), the edge and both endpoint types. */
static int clause_reads(struct lint *l, struct gq_lint_result *res, const struct gq_clause *cls,
                        size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct gq_clause *c = &cls[i];
		if (c->kind == GQ_CLAUSE_BINDING && add_read(l, res, 0, c->type_name) != 0)
			return -1;
		if (c->kind == GQ_CLAUSE_NEGATION && clause_reads(l, res, c->inner, c->n_inner) != 0)
			return -1;
		if (c->kind != GQ_CLAUSE_TRAVERSAL)
			continue;
		const struct lang_cat_type *e = lang_catalog_edge(l->cat, c->edge);
		assert(e != NULL);  /* the query typechecked */
		if (add_read(l, res, 1, e->name) != 0 || add_read(l, res, 0, e->from_type) != 0 ||
		    add_read(l, res, 0, e->to_type) != 0)
			return -1;
	}
	return 0;
}

/* A mutation reads and writes its targets; an edge insert also reads both
 * endpoint types; a node delete reads and writes every incident edge type. */
static int mutation_facts(struct lint *l, struct gq_lint_result *res, const struct gq_checked *c)
{
	const struct gq_query *q = c->query;
	for (size_t i = 0; i < c->n_targets; i++) {
		const struct gq_ctarget *t = &c->targets[i];
		if (add_read(l, res, t->is_edge, t->type->name) != 0 ||
		    add_write(l, res, t->is_edge, t->type->name) != 0)
			return -1;
		if (t->is_edge && q->mutations[i].kind == GQ_MUT_INSERT &&
		    (add_read(l, res, 0, t->type->from_type) != 0 ||
		     add_read(l, res, 0, t->type->to_type) != 0))
			return -1;
		if (t->is_edge || q->mutations[i].kind != GQ_MUT_DELETE)
			continue;
		for (uint32_t k = 0; k < l->cat->n_edges; k++) {
			const struct lang_cat_type *e = &l->cat->edges[k];
			if (e->from_id != t->type->id && e->to_id != t->type->id)
				continue;
			if (add_read(l, res, 1, e->name) != 0 || add_write(l, res, 1, e->name) != 0)
				return -1;
		}
	}
	return 0;
}

static int describe(struct lint *l, struct gq_lint_result *res, const struct gq_checked *c)
{
	l->cap_reads = l->cap_writes = 0;
	if (c->is_mutation) {
		if (mutation_facts(l, res, c) != 0)
			return -1;
	} else {
		res->fields = lang_arena_alloc(&l->r->arena, (c->n_columns + 1) * sizeof(*res->fields));
		if (res->fields == NULL || clause_reads(l, res, c->query->clauses,
		                                        c->query->n_clauses) != 0)
			return -1;
		for (size_t i = 0; i < c->n_columns; i++)
			field_of(l, &c->columns[i], &res->fields[res->n_fields++]);
	}
	if (res->n_reads > 1)
		qsort(res->reads, res->n_reads, sizeof(*res->reads), fact_cmp);
	if (res->n_writes > 1)
		qsort(res->writes, res->n_writes, sizeof(*res->writes), fact_cmp);
	return 0;
}

/* ---- L201 ---------------------------------------------------------------- */

/* Did a valid update statement of the file assign `prop` of `type`, and
 * which valid queries update `type` at all? */
static int update_covers(const struct lint *l, const char *type, const char *prop)
{
	for (size_t i = 0; i < l->file->n_queries; i++) {
		if (!l->r->results[i].ok)
			continue;
		const struct gq_query *q = &l->file->queries[i];
		for (size_t m = 0; m < q->n_mutations; m++) {
			const struct gq_mutation *mu = &q->mutations[m];
			if (mu->kind != GQ_MUT_UPDATE || strcmp(mu->type_name, type) != 0)
				continue;
			for (size_t a = 0; a < mu->n_assigns; a++)
				if (strcmp(mu->assigns[a].prop, prop) == 0)
					return 1;
		}
	}
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names of the valid queries with an update of `type`, sorted, unique. */
static int updaters(struct lint *l, const char *type, const char ***out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < l->file->n_queries; i++) {
		const struct gq_query *q = &l->file->queries[i];
		int hit = 0;
		for (size_t m = 0; l->r->results[i].ok && m < q->n_mutations && !hit; m++)
			hit = q->mutations[m].kind == GQ_MUT_UPDATE &&
			      strcmp(q->mutations[m].type_name, type) == 0;
		for (size_t k = 0; hit && k < *n; k++)
			hit = strcmp((*out)[k], q->name) != 0;
		const char **slot = hit ? gq_push(&l->r->arena, (void **)out, n, &cap, sizeof(**out)) : NULL;
		if (hit && slot == NULL)
			return -1;
		if (hit && (*slot = keep(l, q->name)) == NULL)
			return -1;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), str_cmp);
	return 0;
}

static int key_member(const struct lang_cat_type *t, const char *prop)
{
	for (uint32_t i = 0; t->has_key && i < t->key.n; i++)
		if (strcmp(t->key.columns[i], prop) == 0)
			return 1;
	return 0;
}

static int prop_name_cmp(const void *a, const void *b)
{
	const struct lang_cat_property *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static int l201_type(struct lint *l, const struct lang_cat_type *t)
{
	const char **names;
	size_t n_names;
	if (updaters(l, t->name, &names, &n_names) != 0)
		return -1;
	if (n_names == 0)
		return 0;
	const struct lang_cat_property **props =
		lang_arena_alloc(&l->r->arena, (t->n_props + 1) * sizeof(*props));
	if (props == NULL)
		return -1;
	for (uint32_t i = 0; i < t->n_props; i++)
		props[i] = &t->props[i];
	qsort(props, t->n_props, sizeof(*props), prop_name_cmp);
	for (uint32_t i = 0; i < t->n_props; i++) {
		const struct lang_cat_property *p = props[i];
		if (!p->type.nullable || key_member(t, p->name) || p->embed_source != NULL ||
		    update_covers(l, t->name, p->name))
			continue;
		struct gq_lint_finding *f = gq_push(&l->r->arena, (void **)&l->r->findings,
		                                    &l->r->n_findings, &l->cap_findings, sizeof(*f));
		size_t len = strlen(t->name) + strlen(p->name) + 64;
		char *msg = lang_arena_alloc(&l->r->arena, len);
		if (f == NULL || msg == NULL)
			return -1;
		snprintf(msg, len, "%s.%s exists in schema but no update query sets it", t->name, p->name);
		f->severity = GQ_LINT_WARNING;
		f->code = "L201";
		f->message = msg;
		f->type_name = keep(l, t->name);
		f->property = keep(l, p->name);
		f->query_names = names;
		f->n_query_names = n_names;
	}
	return 0;
}

static int cmp_opt(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);  /* absent sorts first */
	return strcmp(a, b);
}

static int finding_cmp(const void *a, const void *b)
{
	const struct gq_lint_finding *x = a, *y = b;
	if (x->severity != y->severity)
		return (int)x->severity - (int)y->severity;
	int c = cmp_opt(x->type_name, y->type_name);
	if (c == 0)
		c = cmp_opt(x->property, y->property);
	return c != 0 ? c : strcmp(x->message, y->message);
}

/* ---- The report ------------------------------------------------------------ */

static int lint_query(struct lint *l, size_t i)
{
	const struct gq_query *q = &l->file->queries[i];
	struct gq_lint_result *res = &l->r->results[i];
	res->name = keep(l, q->name);
	if (res->name == NULL)
		return -1;
	res->is_mutation = gq_query_is_mutation(q);
	if (res->is_mutation && q->n_params == 0)
		res->warning = HARDCODED_MUTATION_WARNING;
	struct lang_diag d = LANG_DIAG_INIT;
	struct gq_checked *c = NULL;
	int rc = 0;
	if (gq_typecheck(&c, l->cat, q, &d) != 0) {
		res->error = lang_arena_strdup(&l->r->arena, d.message);
		if (d.has_pos && d.pos < l->file->src_len)
			lang_diag_line_col(l->file->src, l->file->src_len, d.pos, &res->line, &res->col);
		rc = res->error ? 0 : -1;
	} else {
		res->ok = 1;
		rc = describe(l, res, c);
	}
	gq_checked_free(c);
	lang_diag_clear(&d);
	return rc;
}

static int lint_file(struct lint *l)
{
	struct gq_lint_report *r = l->r;
	r->queries_processed = l->file->n_queries;
	r->n_results = l->file->n_queries;
	r->results = lang_arena_alloc(&r->arena, (r->n_results + 1) * sizeof(*r->results));
	if (r->results == NULL)
		return -1;
	for (size_t i = 0; i < r->n_results; i++)
		if (lint_query(l, i) != 0)
			return -1;
	for (uint32_t i = 0; i < l->cat->n_nodes; i++)
		if (l201_type(l, &l->cat->nodes[i]) != 0)
			return -1;
	if (r->n_findings > 1)
		qsort(r->findings, r->n_findings, sizeof(*r->findings), finding_cmp);
	for (size_t i = 0; i < r->n_results; i++) {
		r->errors += !r->results[i].ok;
		r->warnings += r->results[i].warning != NULL;
	}
	return 0;
}

static int parse_failed(struct gq_lint_report *r)
{
	r->findings = lang_arena_alloc(&r->arena, sizeof(*r->findings));
	if (r->findings == NULL)
		return -1;
	r->n_findings = 1;
	r->findings[0].severity = GQ_LINT_ERROR;
	r->findings[0].code = "Q000";
	r->findings[0].message = r->parse_error.message;
	return 0;
}

int gq_lint(struct gq_lint_report **out, const struct lang_catalog *cat,
            const char *src, size_t len)
{
	assert(out != NULL && cat != NULL);
	*out = NULL;
	struct gq_lint_report *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -1;
	struct gq_file *file = NULL;
	int rc;
	if (gq_parse(&file, src, len, &r->parse_error) != 0) {
		rc = parse_failed(r);
	} else {
		struct lint l = { .r = r, .cat = cat, .file = file };
		rc = lint_file(&l);
	}
	gq_file_free(file);
	for (size_t i = 0; rc == 0 && i < r->n_findings; i++) {
		r->errors += r->findings[i].severity == GQ_LINT_ERROR;
		r->warnings += r->findings[i].severity == GQ_LINT_WARNING;
		r->infos += r->findings[i].severity == GQ_LINT_INFO;
	}
	if (rc != 0) {
		gq_lint_free(r);
		return -1;
	}
	r->ok = r->errors == 0;
	*out = r;
	return 0;
}

void gq_lint_free(struct gq_lint_report *r)
{
	if (r == NULL)
		return;
	lang_diag_clear(&r->parse_error);
	lang_arena_free(&r->arena);
	free(r);
}
