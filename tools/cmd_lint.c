/*
 * grove lint — check a .gq query file against a .pg schema.
 *
 *   grove lint --schema FILE.pg --query FILE.gq [--json]
 *
 * Parses the schema, then parses and typechecks every query of the file
 * without touching any graph (OmniGraph's `lint`, spec §5.1).  Prints one
 * line per query and per finding and exits 0 when there are no errors;
 * exits 1 with the diagnostics (FILE:LINE:COLUMN for syntax errors) when a
 * query or the file is invalid.  With --json the report is OmniGraph's
 * JSON object, on stdout either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int lint_usage(void)
{
	fprintf(stderr, "usage: grove lint --schema FILE.pg --query FILE.gq [--json]\n");
	return GROVE_EXIT_USAGE;
}

/* Read a whole text file, refusing NUL bytes (the APIs take C strings). */
static char *read_text(const char *path)
{
	size_t len = 0;
	char *text = cmd_read_file(path, &len);
	if (text != NULL && memchr(text, '\0', len) != NULL) {
		fprintf(stderr, "grove lint: %s contains a NUL byte\n", path);
		free(text);
		return NULL;
	}
	return text;
}

int cmd_lint(int argc, char **argv)
{
	const char *schema = NULL, *query = NULL;
	int json = 0;
	/* argv[0] is "lint". */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
			schema = argv[++i];
		else if (strcmp(argv[i], "--query") == 0 && i + 1 < argc)
			query = argv[++i];
		else
			return lint_usage();
	}
	if (schema == NULL || query == NULL)
		return lint_usage();

	char *pg = read_text(schema);
	char *gq = pg ? read_text(query) : NULL;
	if (gq == NULL) {
		free(pg);
		return GROVE_EXIT_ERROR;
	}
	char *report = NULL;
	int rc = grove_query_lint(&report, pg, schema, gq, query, json);
	free(pg);
	free(gq);
	if (report == NULL) {
		fprintf(stderr, "grove lint: %s\n", grove_strerror(rc));
		return GROVE_EXIT_ERROR;
	}
	/* JSON always goes to stdout (it says whether it failed); a text
	 * report with errors goes to stderr. */
	fputs(report, rc == 0 || json ? stdout : stderr);
	grove_free(report);
	return rc == 0 ? GROVE_EXIT_OK : GROVE_EXIT_ERROR;
}
