/*
 * grove schema — schema tools.
 *
 *   grove schema check FILE.pg [--json]
 *   grove schema plan DIR --schema NEW.pg [--allow-data-loss] [--json]
 *   grove schema apply DIR --schema NEW.pg [--allow-data-loss] [--as ACTOR] [--json]
 *   grove schema show DIR [--json [--branch B | --snapshot C]]
 *
 * check parses and validates a .pg schema and builds its catalog without
 * touching any graph.  Prints a summary (types and properties) and exits 0
 * when the schema is valid; prints the first diagnostic and exits 1
 * otherwise.  With --json the output is one JSON object either way.
 *
 * plan compares the graph's schema with NEW.pg and prints the steps (spec
 * languages §10.5); apply plans, then migrates the graph as one commit on
 * main (refused, changing nothing, when the plan is unsupported or other
 * branches exist).  show prints the schema text the graph is under, or
 * with --json the catalog (types, properties, stable ids) at a target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int schema_usage(void)
{
	fprintf(stderr, "usage: grove schema check FILE.pg [--json]\n"
			"       grove schema plan DIR --schema NEW.pg [--allow-data-loss] [--json]\n"
			"       grove schema apply DIR --schema NEW.pg [--allow-data-loss] [--as ACTOR] [--json]\n"
			"       grove schema show DIR [--json [--branch B | --snapshot C]]\n");
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

struct migrate_args {
	const char *dir, *schema, *actor, *branch, *snapshot;
	int json, allow_data_loss;
};

static int migrate_parse(struct migrate_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else if (strcmp(argv[i], "--allow-data-loss") == 0)
			a->allow_data_loss = 1;
		else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc)
			a->schema = argv[++i];
		else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc)
			a->actor = argv[++i];
		else if (strcmp(argv[i], "--branch") == 0 && i + 1 < argc)
			a->branch = argv[++i];
		else if (strcmp(argv[i], "--snapshot") == 0 && i + 1 < argc)
			a->snapshot = argv[++i];
		else if (a->dir == NULL && argv[i][0] != '-')
			a->dir = argv[i];
		else
			return -1;
	}
	return a->dir == NULL ? -1 : 0;
}

/* Print the plan as text (stdout) or JSON.  Exit 0 either way: a plan that
 * is not supported is an answer (its reasons are in it); `schema apply`
 * of such a plan fails (exit 1). */
static int print_plan(grove_db *db, const struct migrate_args *a, const char *pg, const char *what)
{
	char *out = NULL;
	int err = a->json ? grove_schema_plan_json(&out, db, pg, a->allow_data_loss)
			  : grove_schema_plan_text(&out, db, pg, a->allow_data_loss);
	if (err < 0)
		return cmd_fail_in(db, what, err, a->schema);
	fputs(out, stdout);
	if (a->json)
		fputc('\n', stdout);
	grove_free(out);
	return GROVE_EXIT_OK;
}

static int migrate(int argc, char **argv, int apply)
{
	struct migrate_args a;
	grove_db *db = NULL;
	char *pg, *out = NULL;
	int err, rc;

	/* plan and apply work on main's head: no --branch or --snapshot, and
	 * only an apply commits (--as). */
	if (migrate_parse(&a, argc, argv) < 0 || a.schema == NULL || a.branch || a.snapshot ||
	    (!apply && a.actor))
		return schema_usage();
	if ((pg = cmd_read_file(a.schema, NULL)) == NULL)
		return GROVE_EXIT_ERROR;
	if ((err = grove_open(&db, a.dir, NULL)) < 0) {
		free(pg);
		return cmd_fail(db, "open", err);
	}
	if (!apply || !a.json) /* the text of an apply shows its plan first */
		rc = print_plan(db, &a, pg, apply ? "schema apply" : "schema plan");
	else
		rc = GROVE_EXIT_OK;
	if (apply && rc == GROVE_EXIT_OK) {
		err = grove_schema_apply_json(&out, db, pg, a.allow_data_loss, a.actor);
		if (err < 0)
			rc = cmd_fail_in(db, "schema apply", err, a.schema);
		else if (a.json)
			printf("%s\n", out);
		else
			printf("%s\n", strstr(out, "\"applied\":true") ? "applied" : "nothing to apply");
		grove_free(out);
	}
	grove_close(db);
	free(pg);
	return rc;
}

static int show(int argc, char **argv)
{
	struct migrate_args a;
	grove_target t;
	grove_db *db = NULL;
	char *out = NULL;
	int err;

	if (migrate_parse(&a, argc, argv) < 0 || a.schema || a.actor || a.allow_data_loss ||
	    cmd_target(&t, a.branch, a.snapshot) < 0 || (!a.json && (a.branch || a.snapshot)))
		return schema_usage();
	if ((err = grove_open(&db, a.dir, NULL)) < 0)
		return cmd_fail(db, "open", err);
	err = a.json ? grove_catalog_json(&out, db, &t) : grove_schema_text(&out, db);
	if (err < 0) {
		err = cmd_fail(db, "schema show", err);
	} else {
		fputs(out, stdout);
		if (a.json || (*out && out[strlen(out) - 1] != '\n'))
			fputc('\n', stdout);
		err = GROVE_EXIT_OK;
	}
	grove_free(out);
	grove_close(db);
	return err;
}

int cmd_schema(int argc, char **argv)
{
	/* argv[0] is "schema". */
	if (argc < 2)
		return schema_usage();
	if (strcmp(argv[1], "check") == 0)
		return schema_check(argc - 2, argv + 2);
	if (strcmp(argv[1], "plan") == 0)
		return migrate(argc - 2, argv + 2, 0);
	if (strcmp(argv[1], "apply") == 0)
		return migrate(argc - 2, argv + 2, 1);
	if (strcmp(argv[1], "show") == 0)
		return show(argc - 2, argv + 2);
	return schema_usage();
}
