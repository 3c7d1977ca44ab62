/* The verbs of the grove CLI.  Each takes argv starting at the verb and
 * returns the process exit status. */
#ifndef GROVE_TOOLS_CMD_H
#define GROVE_TOOLS_CMD_H

#include <stdio.h>

#include "grove.h"

/* Exit statuses, shared by every verb. */
#define GROVE_EXIT_OK        0
#define GROVE_EXIT_ERROR     1  /* the operation failed (message on stderr) */
#define GROVE_EXIT_USAGE     2  /* bad arguments                            */
#define GROVE_EXIT_PRECOND   4  /* a precondition (--if-commit) failed      */

struct grove_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

int cmd_init(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_branch(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_mutate(int argc, char **argv);
int cmd_diff(int argc, char **argv);
/* "grove commit changes ...": argv starts at "commit" (cmd_diff.c). */
int cmd_commit_changes(int argc, char **argv);
/* "grove changes poll ...": the change feed (cmd_diff.c). */
int cmd_changes(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_optimize(int argc, char **argv);

/* Read a whole file into a NUL-terminated buffer (free() it); NULL and a
 * message on stderr on failure. */
char *cmd_read_file(const char *path, size_t *len_out);

/* Print "grove: WHAT: <the handle's last error message>" to stderr and
 * return GROVE_EXIT_ERROR.  `db` may be NULL after a failed open. */
int cmd_fail(const grove_db *db, const char *what, int err);

/* cmd_fail for an error in a query text named `source` (a file, or
 * "<query>" for -e): "grove: WHAT: SOURCE:LINE:COL: message" when the error
 * says where (grove_error_info line/column). */
int cmd_fail_in(const grove_db *db, const char *what, int err, const char *source);

/* `s` without surrounding whitespace, into buf[cap]; `s` itself when that
 * does not fit (never cut: a cut name could name another branch); NULL for
 * NULL. */
const char *cmd_trim(char *buf, size_t cap, const char *s);

/* Print a commit as OmniGraph's commit object (graph_branch null for main). */
void cmd_print_commit_json(const grove_commit *c);

/* Print `s` as a JSON string. */
void cmd_print_json_string(FILE *f, const char *s);

/* A read target from --branch / --snapshot (at most one); -1 on misuse. */
int cmd_target(grove_target *t, const char *branch, const char *snapshot);

#endif
