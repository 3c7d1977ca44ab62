/*
 * grove optimize DIR [--json] — OmniGraph's maintenance verb: one commit on
 * main when main moved since its genesis or its last optimize, else none.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

int cmd_optimize(int argc, char **argv)
{
	int json = argc == 3 && !strcmp(argv[2], "--json");
	grove_commit c;
	grove_db *db;
	int err;

	if ((argc != 2 && !json) || (argc >= 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: grove optimize DIR [--json]\n");
		return GROVE_EXIT_USAGE;
	}
	if ((err = grove_open(&db, argv[1], NULL)) < 0)
		return cmd_fail(NULL, "open", err);
	if ((err = grove_optimize(&c, db)) < 0) {
		int rc = cmd_fail(db, "optimize", err);
		grove_close(db);
		return rc;
	}
	if (json) {
		printf("{\"uri\":");
		cmd_print_json_string(stdout, argv[1]);
		printf(",\"committed\":%s,\"commit\":", err ? "true" : "false");
		err ? cmd_print_commit_json(&c) : (void)printf("null");
		printf("}\n");
	} else if (err) {
		printf("optimized %s: commit %s\n", argv[1], c.id);
	} else {
		printf("optimized %s: nothing to do\n", argv[1]);
	}
	grove_close(db);
	return GROVE_EXIT_OK;
}
