/* grove init --schema FILE.pg DIR — create a graph with a schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int cmd_init(int argc, char **argv)
{
	const char *schema_path = NULL, *dir = NULL;
	grove_db *db;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--schema") && i + 1 < argc)
			schema_path = argv[++i];
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			dir = NULL, i = argc;
	}
	if (!schema_path || !dir) {
		fprintf(stderr, "usage: grove init --schema FILE.pg DIR\n");
		return GROVE_EXIT_USAGE;
	}
	char *schema = cmd_read_file(schema_path, NULL);
	if (!schema)
		return GROVE_EXIT_ERROR;
	err = grove_init(&db, dir, schema, NULL);
	free(schema);
	if (err == GROVE_EPARSE) {   /* the schema's diagnostic, naming its file */
		fprintf(stderr, "grove: init: %s: %s\n", schema_path, grove_errmsg(NULL));
		return GROVE_EXIT_ERROR;
	}
	if (err < 0)
		return cmd_fail(NULL, "init", err);
	printf("initialized %s\n", dir);
	grove_close(db);
	return GROVE_EXIT_OK;
}
