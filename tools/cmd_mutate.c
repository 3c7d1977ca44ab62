/*
 * grove mutate DIR (-e GQ | --query FILE) NAME [--params JSON] [--branch B]
 *              [--as ACTOR] [--if-commit ID] [--json]
 * Prints the result JSON (--json, as the other verbs take it, changes
 * nothing).  Exit 4 when --if-commit no longer holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int usage(void)
{
	fprintf(stderr, "usage: grove mutate DIR (-e GQ | --query FILE) NAME [--params JSON] "
			"[--branch B] [--as ACTOR] [--if-commit ID] [--json]\n");
	return GROVE_EXIT_USAGE;
}

int cmd_mutate(int argc, char **argv)
{
	grove_mutate_options o = { 0 };
	const char *inline_gq = NULL, *file = NULL, *name = NULL, *params = NULL;
	char *gq, *out;
	grove_db *db;
	int err, rc;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-e") && v) inline_gq = v, i++;
		else if (!strcmp(a, "--query") && v) file = v, i++;
		else if (!strcmp(a, "--params") && v) params = v, i++;
		else if (!strcmp(a, "--branch") && v) o.branch = v, i++;
		else if (!strcmp(a, "--as") && v) o.actor = v, i++;
		else if (!strcmp(a, "--if-commit") && v) o.expected_head = v, i++;
		else if (!strcmp(a, "--name") && v && !name) name = v, i++;   /* OmniGraph's */
		else if (!strcmp(a, "--json")) continue;   /* the answer is JSON anyway */
		else if (a[0] != '-' && !name) name = a;
		else return usage();
	}
	if (!name || !!inline_gq == !!file)
		return usage();
	if (!(gq = inline_gq ? strdup(inline_gq) : cmd_read_file(file, NULL)))
		return GROVE_EXIT_ERROR;
	if ((err = grove_open(&db, argv[1], NULL)) < 0) {
		free(gq);
		return cmd_fail(NULL, "open", err);
	}
	err = grove_mutate_json(&out, db, &o, gq, name, params);
	if (err == GROVE_EPRECONDITION) {
		fprintf(stderr, "grove: mutate: %s\n", grove_errmsg(db));
		rc = GROVE_EXIT_PRECOND;
	} else if (err < 0) {
		rc = cmd_fail_in(db, "mutate", err, file ? file : "<query>");
	} else {
		printf("%s\n", out);
		grove_free(out);
		rc = GROVE_EXIT_OK;
	}
	grove_close(db);
	free(gq);
	return rc;
}
