/*
 * lang/api_query.c — the public .gq function of grove.h: grove_query_lint().
 * Text in, text out; no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "lang/catalog.h"
#include "lang/json_out.h"
#include "lang/lint.h"

/* The schema's diagnostic as the report (text or a small JSON object). */
static int schema_failed(char **out_report, const struct lang_diag *d, const char *pg_name,
                         int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL)
		return -ENOMEM;
	const char *msg = d->message ? d->message : "invalid schema";
	if (json) {
		/* The message may hold newlines and quotes (the caret rendering). */
		fputs("{\"status\":\"error\",\"schema_error\":", f);
		lang_json_str(f, msg);
		fputs("}\n", f);
	} else if (d->has_span) {
		fprintf(f, "%s:%u:%u: %s\n", pg_name, (unsigned)d->line, (unsigned)d->col, msg);
	} else {
		fprintf(f, "%s: %s\n", pg_name, msg);
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out_report = buf;
	return GROVE_EPARSE;
}

int grove_query_lint(char **out_report, const char *pg_text, const char *pg_name,
                     const char *gq_text, const char *gq_name, int json)
{
	if (out_report == NULL || pg_text == NULL || gq_text == NULL)
		return GROVE_EINVAL;
	*out_report = NULL;
	pg_name = pg_name ? pg_name : "<schema>";
	gq_name = gq_name ? gq_name : "<query>";

	struct lang_diag d = LANG_DIAG_INIT;
	struct lang_catalog *cat = NULL;
	if (lang_catalog_from_text(&cat, pg_text, strlen(pg_text), &d) != 0) {
		int rc = schema_failed(out_report, &d, pg_name, json);
		lang_diag_clear(&d);
		return rc;
	}
	struct gq_lint_report *r = NULL;
	int rc = gq_lint(&r, cat, gq_text, strlen(gq_text));
	if (rc == 0) {
		*out_report = json ? gq_lint_render_json(r, pg_name, gq_name)
		                   : gq_lint_render_text(r, gq_name);
		int parse_failed = r->queries_processed == 0 && r->n_findings > 0 &&
		                   strcmp(r->findings[0].code, "Q000") == 0;
		rc = *out_report == NULL ? -ENOMEM
		     : parse_failed ? GROVE_EPARSE
		     : r->errors > 0 ? GROVE_ETYPE : 0;
	} else {
		rc = -ENOMEM;
	}
	gq_lint_free(r);
	lang_catalog_free(cat);
	return rc;
}
