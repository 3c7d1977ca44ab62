/* grove lint — placeholder until the languages layer lands (being written now). */
#include <stdio.h>
#include "cmd.h"

int cmd_lint(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "grove lint: not built yet\n");
	return GROVE_EXIT_ERROR;
}
