/* grove init DIR — create an empty graph. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

int cmd_init(int argc, char **argv)
{
	grove_db *db;
	int err;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: grove init DIR\n");
		return GROVE_EXIT_USAGE;
	}
	if ((err = grove_init(&db, argv[1], NULL)) < 0)
		return cmd_fail(NULL, "init", err);
	printf("initialized an empty graph in %s\n", argv[1]);
	grove_close(db);
	return GROVE_EXIT_OK;
}
