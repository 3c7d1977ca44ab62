/* grove schema — placeholder until the languages layer lands (being written now). */
#include <stdio.h>
#include "cmd.h"

int cmd_schema(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "grove schema: not built yet\n");
	return GROVE_EXIT_ERROR;
}
