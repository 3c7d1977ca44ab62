/*
 * lang/lint_render.c — rendering a lint report (lint.h) as OmniGraph's JSON
 * (spec §5.1; empty/absent optional fields omitted) or as text.
 *
 * Output goes to an in-memory stream; nothing here touches files.
 */
#include "lang/lint.h"
#include "lang/json_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *severity_name(enum gq_lint_severity s)
{
	return s == GQ_LINT_ERROR ? "error" : s == GQ_LINT_WARNING ? "warning" : "info";
}

static void facts_json(FILE *f, const struct gq_lint_fact *v, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s{\"kind\":\"%s\",\"type_name\":", i ? "," : "",
		        v[i].is_edge ? "edge" : "node");
		lang_json_str(f, v[i].type_name);
		fputc('}', f);
	}
	fputc(']', f);
}

static void operation_json(FILE *f, const struct gq_lint_result *r)
{
	fputs(",\"operation\":{\"result\":[", f);
	for (size_t i = 0; i < r->n_fields; i++) {
		const struct gq_lint_field *fd = &r->fields[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		lang_json_str(f, fd->name ? fd->name : "");
		fprintf(f, ",\"kind\":\"%s\"", fd->kind);
		if (fd->item_kind != NULL)
			fprintf(f, ",\"item_kind\":\"%s\"", fd->item_kind);
		if (fd->vector_dim > 0)
			fprintf(f, ",\"vector_dim\":%u", (unsigned)fd->vector_dim);
		fprintf(f, ",\"nullable\":%s}", fd->nullable ? "true" : "false");
	}
	fputs("],\"reads\":", f);
	facts_json(f, r->reads, r->n_reads);
	fputs(",\"writes\":", f);
	facts_json(f, r->writes, r->n_writes);
	fputc('}', f);
}

static void result_json(FILE *f, const struct gq_lint_result *r)
{
	fputs("{\"name\":", f);
	lang_json_str(f, r->name);
	fprintf(f, ",\"kind\":\"%s\",\"status\":\"%s\"", r->is_mutation ? "mutation" : "read",
	        r->ok ? "ok" : "error");
	if (r->warning != NULL) {
		fputs(",\"warnings\":[", f);
		lang_json_str(f, r->warning);
		fputc(']', f);
	}
	if (r->error != NULL) {
		fputs(",\"error\":", f);
		lang_json_str(f, r->error);
	}
	if (r->ok)
		operation_json(f, r);
	fputc('}', f);
}

static void finding_json(FILE *f, const struct gq_lint_finding *x)
{
	fprintf(f, "{\"severity\":\"%s\",\"code\":", severity_name(x->severity));
	lang_json_str(f, x->code);
	fputs(",\"message\":", f);
	lang_json_str(f, x->message ? x->message : "");
	if (x->type_name != NULL) {
		fputs(",\"type_name\":", f);
		lang_json_str(f, x->type_name);
	}
	if (x->property != NULL) {
		fputs(",\"property\":", f);
		lang_json_str(f, x->property);
	}
	if (x->n_query_names > 0) {
		fputs(",\"query_names\":[", f);
		for (size_t i = 0; i < x->n_query_names; i++) {
			if (i > 0)
				fputc(',', f);
			lang_json_str(f, x->query_names[i]);
		}
		fputc(']', f);
	}
	fputc('}', f);
}

/* The stream publishes its buffer on close, so read *bufp only after. */
static char *finish(FILE *f, char **bufp)
{
	if (fclose(f) != 0) {
		free(*bufp);
		return NULL;
	}
	return *bufp;
}

char *gq_lint_render_json(const struct gq_lint_report *r, const char *schema_path,
                          const char *query_path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fprintf(f, "{\"status\":\"%s\",\"schema_source\":{\"kind\":\"file\",\"path\":",
	        r->ok ? "ok" : "error");
	lang_json_str(f, schema_path ? schema_path : "");
	fputs("},\"query_path\":", f);
	lang_json_str(f, query_path ? query_path : "");
	fprintf(f, ",\"queries_processed\":%zu,\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu,"
	        "\"results\":[", r->queries_processed, r->errors, r->warnings, r->infos);
	for (size_t i = 0; i < r->n_results; i++) {
		if (i > 0)
			fputc(',', f);
		result_json(f, &r->results[i]);
	}
	fputs("],\"findings\":[", f);
	for (size_t i = 0; i < r->n_findings; i++) {
		if (i > 0)
			fputc(',', f);
		finding_json(f, &r->findings[i]);
	}
	fputs("]}\n", f);
	return finish(f, &buf);
}

static void finding_text(FILE *f, const struct gq_lint_report *r, const struct gq_lint_finding *x,
                         const char *query_path)
{
	if (strcmp(x->code, "Q000") == 0 && r->parse_error.has_span) {
		/* path:line:col: then the caret rendering of the syntax error. */
		fprintf(f, "%s:%u:%u: %s\n", query_path, (unsigned)r->parse_error.line,
		        (unsigned)r->parse_error.col, x->message);
		return;
	}
	if (strcmp(x->code, "Q000") == 0) {
		fprintf(f, "%s: %s\n", query_path, x->message);
		return;
	}
	fprintf(f, "%s %s: %s", severity_name(x->severity), x->code, x->message);
	for (size_t i = 0; i < x->n_query_names; i++)
		fprintf(f, "%s%s", i ? ", " : " (update queries: ", x->query_names[i]);
	fputs(x->n_query_names ? ")\n" : "\n", f);
}

char *gq_lint_render_text(const struct gq_lint_report *r, const char *query_path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	query_path = query_path ? query_path : "<query>";
	for (size_t i = 0; i < r->n_results; i++) {
		const struct gq_lint_result *x = &r->results[i];
		if (!x->ok && x->line)
			fprintf(f, "%s:%u:%u: query %s (%s): %s\n", query_path, (unsigned)x->line, (unsigned)x->col,
			        x->name, x->is_mutation ? "mutation" : "read", x->error);
		else
			fprintf(f, "%s: query %s (%s): %s\n", query_path, x->name,
			        x->is_mutation ? "mutation" : "read", x->ok ? "ok" : x->error);
		if (x->warning != NULL)
			fprintf(f, "%s: query %s: warning: %s\n", query_path, x->name, x->warning);
	}
	for (size_t i = 0; i < r->n_findings; i++)
		finding_text(f, r, &r->findings[i], query_path);
	fprintf(f, "%s: %zu quer%s, %zu error%s, %zu warning%s\n", r->ok ? "ok" : "error",
	        r->queries_processed, r->queries_processed == 1 ? "y" : "ies", r->errors,
	        r->errors == 1 ? "" : "s", r->warnings, r->warnings == 1 ? "" : "s");
	return finish(f, &buf);
}

char *gq_lint_json(const struct lang_catalog *cat, const char *src, size_t len,
                   const char *schema_path, const char *query_path)
{
	struct gq_lint_report *r = NULL;
	if (gq_lint(&r, cat, src, len) != 0)
		return NULL;
	char *out = gq_lint_render_json(r, schema_path, query_path);
	gq_lint_free(r);
	return out;
}
