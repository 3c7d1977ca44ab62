/*
 * grove — the command-line interface.  Thin: argument parsing and output
 * formatting over the public API (include/grove.h); every verb lives in its
 * own tools/cmd_<verb>.c and is listed in the table below.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static const struct grove_cmd commands[] = {
	{ "init",   cmd_init,   "grove init --schema FILE.pg DIR   create a graph" },
	{ "load",   cmd_load,   "grove load DIR --data FILE --mode overwrite|append|merge [--branch B] [--from BASE]" },
	{ "query",  cmd_query,  "grove query DIR (-e GQ | --query FILE) [NAME] [--params JSON] [--branch B | --snapshot COMMIT] [--format table|json|jsonl|csv]" },
	{ "mutate", cmd_mutate, "grove mutate DIR (-e GQ | --query FILE) NAME [--params JSON] [--branch B] [--as A] [--if-commit ID] [--json]" },
	{ "branch", cmd_branch, "grove branch create|delete|list|merge DIR [NAME|SOURCE] [--from BASE] [--into TARGET] [--json]" },
	{ "commit", cmd_commit, "grove commit list|show|changes DIR [ID] [--branch B]" },
	{ "changes", cmd_changes, "grove changes poll|baseline DIR [--branch B] [--from now|beginning|after:ID|CURSOR|TOKEN] [--max-commits N] [--out PATH] [--json]" },
	{ "diff",   cmd_diff,   "grove diff DIR --from BRANCH|COMMIT --to BRANCH|COMMIT [--kind K] [--type T] [--op O] [--json]" },
	{ "export", cmd_export, "grove export DIR [--branch B | --snapshot COMMIT] [--out FILE]" },
	{ "rebuild", cmd_rebuild, "grove rebuild DIR                 rebuild the views from the log" },
	{ "verify", cmd_verify, "grove verify DIR                  compare the views with a fresh replay" },
	{ "optimize", cmd_optimize, "grove optimize DIR [--json]       a maintenance commit on main, when it moved" },
	{ "log",    cmd_log,    "grove log dump|append DIR ...     inspect or append log records" },
	{ "schema", cmd_schema, "grove schema check|plan|apply|show ...  validate, plan, migrate, show" },
	{ "lint",   cmd_lint,   "grove lint --schema S.pg --query Q.gq [--json]" },
	{ "demo",   cmd_demo,   "grove demo DIR                    run the built-in demo" },
	/* also: grove version; read = query, change = mutate, schema get =
	 * schema show, and --uri DIR (or --store DIR) for the positional DIR */
};

/* Verbs whose graph directory follows a sub-verb ("branch create DIR"). */
static int has_subverb(const char *verb)
{
	static const char *const v[] = { "branch", "commit", "changes", "log", "schema" };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		if (!strcmp(verb, v[i]))
			return 1;
	return 0;
}

/* OmniGraph's spellings (engine §9), rewritten into Grove's in place:
 * `read` and `change` are query and mutate, `schema get` is schema show,
 * and `--uri DIR` / `--uri=DIR` (or `--store`) names the graph where Grove
 * takes a positional DIR: after the verb, or after its sub-verb.  Returns
 * the new argc, or -1 (a usage error, reported) for a flag without a
 * directory. */
/* Does `path` hold a graph (its GROVE file)? */
static bool is_graph(const char *path)
{
	char f[4096];
	return snprintf(f, sizeof f, "%s/GROVE", path) < (int)sizeof f && access(f, F_OK) == 0;
}

static int omnigraph_spellings(int argc, char **argv)
{
	if (!strcmp(argv[1], "read"))
		argv[1] = "query";
	else if (!strcmp(argv[1], "change"))
		argv[1] = "mutate";
	if (argc > 2 && !strcmp(argv[1], "schema") && !strcmp(argv[2], "get"))
		argv[2] = "show";
	int at = has_subverb(argv[1]) ? 3 : 2;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		bool joined = !strncmp(a, "--uri=", 6) || !strncmp(a, "--store=", 8);
		if (!joined && strcmp(a, "--uri") && strcmp(a, "--store"))
			continue;
		char *dir = joined ? strchr(argv[i], '=') + 1 : i + 1 < argc ? argv[i + 1] : NULL;
		if (!dir || !*dir || dir[0] == '-' || i < at) {
			fprintf(stderr, "grove: %.*s needs a graph directory, after the %s\n",
				(int)strcspn(a, "="), a, at == 3 ? "sub-verb" : "verb");
			return -1;
		}
		int words = joined ? 1 : 2;
		/* A graph named both ways is refused: the positional one would
		 * shift into the next argument's place (a query or branch name). */
		if (at < argc && at != i && argv[at][0] != '-' && is_graph(argv[at])) {
			fprintf(stderr, "grove: a graph directory given twice: '%s' and %.*s '%s'\n", argv[at],
				(int)strcspn(a, "="), a, dir);
			return -1;
		}
		memmove(&argv[i], &argv[i + words], (size_t)(argc - i - words) * sizeof *argv);
		argc -= words;
		memmove(&argv[at + 1], &argv[at], (size_t)(argc - at) * sizeof *argv);
		argv[at] = dir;
		argv[++argc] = NULL;
		break;
	}
	return argc;
}

/* Flush stdout: 0, or say why it could not be written and 1. */
static int flushed(const char *verb, int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "grove: %s: cannot write the output: %s\n", verb, strerror(errno));
		return rc ? rc : GROVE_EXIT_ERROR;
	}
	return rc;
}

static int version(void)
{
	printf("grove %d.%d.%d (on-disk format %d)\n", GROVE_VERSION_MAJOR, GROVE_VERSION_MINOR,
	       GROVE_VERSION_PATCH, GROVE_FORMAT_VERSION);
	return flushed("version", GROVE_EXIT_OK);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: grove <verb> [args]\n\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %s\n", commands[i].help);
	fprintf(f, "  grove version                     the release and the on-disk format\n\n"
		   "OmniGraph's spellings work too: --uri DIR (or --store DIR) for DIR, read = query,\n"
		   "change = mutate, schema get = schema show.  See docs/cli.md.\n");
}

int main(int argc, char **argv)
{
	/* A closed pipe is a write error to report (exit 1), not a signal
	 * that ends the process without a word. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? GROVE_EXIT_USAGE : flushed("help", 0);
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))
		return version();
	if ((argc = omnigraph_spellings(argc, argv)) < 0)
		return GROVE_EXIT_USAGE;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name)) {
			int rc = commands[i].run(argc - 1, argv + 1);
			/* What a verb printed is all there is of its answer: a
			 * write that failed (a full disk, a closed pipe) at the
			 * last flush must not pass for success. */
			return flushed(argv[1], rc);
		}
	fprintf(stderr, "grove: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return GROVE_EXIT_USAGE;
}
