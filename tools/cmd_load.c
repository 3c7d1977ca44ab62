/*
 * grove load DIR --data FILE --mode overwrite|append|merge
 *            [--branch B] [--from BASE] [--as ACTOR] [--strict] [--json]
 * One commit, all or nothing.  A progress line on a terminal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static void progress(void *arg, uint64_t records, uint64_t bytes)
{
	(void)arg;
	fprintf(stderr, "\r  %" PRIu64 " records, %.1f MiB read", records,
		(double)bytes / (1024.0 * 1024.0));
}

static int parse_mode(const char *s)
{
	if (!strcmp(s, "overwrite"))
		return GROVE_LOAD_OVERWRITE;
	if (!strcmp(s, "append"))
		return GROVE_LOAD_APPEND;
	if (!strcmp(s, "merge"))
		return GROVE_LOAD_MERGE;
	return 0;
}

static void print_result(const grove_load_result *r, const grove_load_options *o, const char *dir,
			 int json)
{
	const char *branch = r->commit.branch[0] ? r->commit.branch : "main";   /* trimmed */
	if (json && r->report_json) {  /* OmniGraph's IngestOutput: the report and the uri */
		printf("{\"uri\":");
		cmd_print_json_string(stdout, dir);
		printf(",%s\n", r->report_json + 1);
	} else
		printf("loaded %" PRIu64 " nodes and %" PRIu64 " edges into %s (commit %s)\n",
		       r->nodes, r->edges, branch, r->commit.id);
}

int cmd_load(int argc, char **argv)
{
	grove_load_options o = { 0 };
	grove_load_result r;
	const char *data = NULL;
	int json = 0, err;
	grove_db *db;

	if (argc < 2 || argv[1][0] == '-')
		goto usage;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--json")) json = 1;
		else if (!strcmp(a, "--strict")) o.strict = 1;
		else if (!v) goto usage;
		else if (!strcmp(a, "--data")) data = v, i++;
		else if (!strcmp(a, "--mode")) o.mode = parse_mode(v), i++;
		else if (!strcmp(a, "--branch")) o.branch = v, i++;
		else if (!strcmp(a, "--from")) o.from = v, i++;
		else if (!strcmp(a, "--as")) o.actor = v, i++;
		else goto usage;
	}
	if (!data || !o.mode)
		goto usage;
	if (isatty(STDERR_FILENO) && !json)
		o.progress = progress;
	o.report = json;
	if ((err = grove_open(&db, argv[1], NULL)) < 0)
		return cmd_fail(NULL, "open", err);
	err = grove_load_file(&r, db, &o, data);
	if (o.progress)
		fprintf(stderr, "\r\033[K");
	if (err < 0) {
		int rc = cmd_fail(db, "load", err);
		grove_close(db);
		return rc;
	}
	print_result(&r, &o, argv[1], json);
	grove_free(r.report_json);
	grove_close(db);
	return GROVE_EXIT_OK;
usage:
	fprintf(stderr, "usage: grove load DIR --data FILE --mode overwrite|append|merge "
			"[--branch B] [--from BASE] [--as ACTOR] [--strict] [--json]\n");
	return GROVE_EXIT_USAGE;
}
