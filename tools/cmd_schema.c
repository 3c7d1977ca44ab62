/*
 * grove schema — schema tools.
 *
 *   grove schema check FILE.pg [--json]
 *
 * Parses and validates a .pg schema and builds its catalog without touching
 * any graph.  Prints a summary (types and properties) and exits 0 when the
 * schema is valid; prints the first diagnostic and exits 1 otherwise.
 * With --json the output is one JSON object either way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int schema_usage(void)
{
	fprintf(stderr, "usage: grove schema check FILE.pg [--json]\n");
	return GROVE_EXIT_USAGE;
}

static int schema_check(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (path == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			path = argv[i];
		else
			return schema_usage();
	}
	if (path == NULL)
		return schema_usage();

	size_t len = 0;
	char *text = cmd_read_file(path, &len);
	if (text == NULL)
		return GROVE_EXIT_ERROR;
	if (memchr(text, '\0', len) != NULL) {
		fprintf(stderr, "grove schema check: %s contains a NUL byte\n", path);
		free(text);
		return GROVE_EXIT_ERROR;
	}

	char *report = NULL;
	int rc = grove_schema_check(&report, text, path, json);
	free(text);
	if (report == NULL) {
		fprintf(stderr, "grove schema check: %s\n", grove_strerror(rc));
		return GROVE_EXIT_ERROR;
	}
	/* The JSON report always goes to stdout (it says whether it failed);
	 * a plain-text diagnostic goes to stderr. */
	fputs(report, rc == 0 || json ? stdout : stderr);
	grove_free(report);
	return rc == 0 ? GROVE_EXIT_OK : GROVE_EXIT_ERROR;
}

int cmd_schema(int argc, char **argv)
{
	/* argv[0] is "schema". */
	if (argc < 2)
		return schema_usage();
	if (strcmp(argv[1], "check") == 0)
		return schema_check(argc - 2, argv + 2);
	return schema_usage();
}
