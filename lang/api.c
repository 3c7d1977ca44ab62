/*
 * lang/api.c — the public "Languages" functions of grove.h that need no
 * graph: grove_schema_check() and grove_free().  Text in, text out; no I/O
 * (reports are built in memory streams).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "lang/catalog.h"
#include "lang/json_out.h"

void grove_free(void *p)
{
	free(p);
}

static unsigned count_props(const struct lang_catalog *cat)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < cat->n_nodes; i++)
		n += cat->nodes[i].n_props;
	for (uint32_t i = 0; i < cat->n_edges; i++)
		n += cat->edges[i].n_props;
	return n;
}

static void text_type(FILE *f, const struct lang_cat_type *t)
{
	if (t->kind == LANG_CAT_EDGE)
		fprintf(f, "  edge %s: %s -> %s", t->name, t->from_type, t->to_type);
	else
		fprintf(f, "  %s %s", t->kind == LANG_CAT_NODE ? "node" : "interface", t->name);
	fprintf(f, " (%u propert%s", t->n_props, t->n_props == 1 ? "y" : "ies");
	if (t->has_key) {
		fputs(", key:", f);
		for (uint32_t i = 0; i < t->key.n; i++)
			fprintf(f, "%s%s", i ? ", " : " ", t->key.columns[i]);
	}
	fputs(")\n", f);
	for (uint32_t i = 0; i < t->n_props; i++) {
		char *ty = lang_type_display(&t->props[i].type);
		fprintf(f, "    %s: %s\n", t->props[i].name, ty ? ty : "?");
		free(ty);
	}
}

static void json_type(FILE *f, const struct lang_cat_type *t, int first)
{
	static const char *const kinds[] = { "", "interface", "node", "edge" };
	fprintf(f, "%s{\"kind\":\"%s\",\"name\":", first ? "" : ",", kinds[t->kind]);
	lang_json_str(f, t->name);
	if (t->kind == LANG_CAT_EDGE) {
		fputs(",\"from\":", f);
		lang_json_str(f, t->from_type);
		fputs(",\"to\":", f);
		lang_json_str(f, t->to_type);
	}
	if (t->has_key) {
		fputs(",\"key\":[", f);
		for (uint32_t i = 0; i < t->key.n; i++) {
			fputs(i ? "," : "", f);
			lang_json_str(f, t->key.columns[i]);
		}
		fputc(']', f);
	}
	fputs(",\"properties\":[", f);
	for (uint32_t i = 0; i < t->n_props; i++) {
		char *ty = lang_type_display(&t->props[i].type);
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		lang_json_str(f, t->props[i].name);
		fputs(",\"type\":", f);
		lang_json_str(f, ty ? ty : "?");
		fputc('}', f);
		free(ty);
	}
	fputs("]}", f);
}

static void report_ok(FILE *f, const struct lang_catalog *cat, const char *file, int json)
{
	const struct lang_cat_type *lists[3] = { cat->nodes, cat->edges, cat->interfaces };
	const uint32_t counts[3] = { cat->n_nodes, cat->n_edges, cat->n_interfaces };
	if (!json) {
		fprintf(f, "%s: ok: %u node types, %u edge types, %u interfaces, %u properties\n", file,
		        cat->n_nodes, cat->n_edges, cat->n_interfaces, count_props(cat));
		for (int k = 0; k < 3; k++)
			for (uint32_t i = 0; i < counts[k]; i++)
				text_type(f, &lists[k][i]);
		return;
	}
	fputs("{\"status\":\"ok\",\"file\":", f);
	lang_json_str(f, file);
	fprintf(f, ",\"node_types\":%u,\"edge_types\":%u,\"interfaces\":%u,\"properties\":%u,\"types\":[",
	        cat->n_nodes, cat->n_edges, cat->n_interfaces, count_props(cat));
	int first = 1;
	for (int k = 0; k < 3; k++)
		for (uint32_t i = 0; i < counts[k]; i++, first = 0)
			json_type(f, &lists[k][i], first);
	fputs("]}\n", f);
}

static void report_error(FILE *f, const struct lang_diag *d, const char *file, int json)
{
	if (!json) {
		if (d->has_span || d->has_place)
			fprintf(f, "%s:%u:%u: %s\n", file, (unsigned)d->line, (unsigned)d->col, d->message);
		else
			fprintf(f, "%s: %s\n", file, d->message);
		return;
	}
	fputs("{\"status\":\"error\",\"file\":", f);
	lang_json_str(f, file);
	fputs(",\"message\":", f);
	lang_json_str(f, d->message);
	if (d->has_span || d->has_place)
		fprintf(f, ",\"line\":%u,\"column\":%u", (unsigned)d->line, (unsigned)d->col);
	fputs("}\n", f);
}

int grove_schema_check(char **out_report, const char *pg_text, const char *file_name, int json)
{
	if (out_report == NULL)
		return GROVE_EINVAL;
	*out_report = NULL;
	if (pg_text == NULL)
		return GROVE_EINVAL;
	const char *file = file_name != NULL ? file_name : "<schema>";
	struct lang_catalog *cat = NULL;
	struct lang_diag diag = LANG_DIAG_INIT;
	int rc = lang_catalog_from_text(&cat, pg_text, strlen(pg_text), &diag) < 0 ? GROVE_EPARSE : 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f != NULL) {
		if (rc == 0)
			report_ok(f, cat, file, json);
		else
			report_error(f, &diag, file, json);
		if (fclose(f) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	lang_catalog_free(cat);
	lang_diag_clear(&diag);
	if (buf == NULL)
		return -ENOMEM;
	*out_report = buf;
	return rc;
}
