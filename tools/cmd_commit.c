/*
 * grove commit list DIR [--branch B] [--json]
 * grove commit show DIR ID [--json]
 * grove commit changes DIR ID ... (cmd_diff.c)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static void print_line(const grove_commit *c)
{
	printf("%s graph_branch=%s graph_manifest_version=%" PRIu64, c->id, c->branch,
	       c->graph_version);
	if (c->actor[0])
		printf(" actor=%s", c->actor);
	printf("\n");
}

static void print_show(const grove_commit *c)
{
	printf("graph_commit_id: %s\ngraph_branch: %s\ngraph_manifest_version: %" PRIu64 "\n",
	       c->id, c->branch, c->graph_version);
	if (c->parent[0])
		printf("parent_commit_id: %s\n", c->parent);
	if (c->merged_parent[0])
		printf("merged_parent_commit_id: %s\n", c->merged_parent);
	if (c->actor[0])
		printf("actor_id: %s\n", c->actor);
	printf("created_at: %" PRId64 "\n", c->created_at_us);
}

static int usage(void)
{
	fprintf(stderr, "usage: grove commit list DIR [--branch B] [--json]\n"
			"       grove commit show DIR ID [--json]\n"
			"       grove commit changes DIR ID [--kind K] [--type T] [--op O] [--json]\n");
	return GROVE_EXIT_USAGE;
}

int cmd_commit(int argc, char **argv)
{
	const char *branch = NULL, *id = NULL;
	int json = 0, err, rc = GROVE_EXIT_OK;
	grove_db *db;

	if (argc >= 2 && !strcmp(argv[1], "changes"))
		return cmd_commit_changes(argc, argv);
	if (argc < 3 || (strcmp(argv[1], "list") && strcmp(argv[1], "show")) || argv[2][0] == '-')
		return usage();
	int show = !strcmp(argv[1], "show");
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--branch") && i + 1 < argc && !show)
			branch = argv[++i];
		else if (show && !id && argv[i][0] != '-')
			id = argv[i];
		else
			return usage();
	}
	if (show && !id)
		return usage();
	if ((err = grove_open(&db, argv[2], NULL)) < 0)
		return cmd_fail(NULL, "open", err);
	if (show) {
		grove_commit c;
		if ((err = grove_commit_show(&c, db, id)) < 0)
			rc = cmd_fail(db, "commit show", err);
		else if (json)
			cmd_print_commit_json(&c), printf("\n");
		else
			print_show(&c);
	} else {
		grove_commit *v;
		size_t n;
		if ((err = grove_commit_list(&v, &n, db, branch)) < 0) {
			rc = cmd_fail(db, "commit list", err);
		} else {
			if (json)
				printf("{\"commits\":[");
			for (size_t i = 0; i < n; i++) {
				if (json) {
					printf("%s", i ? "," : "");
					cmd_print_commit_json(&v[i]);
				} else {
					print_line(&v[i]);
				}
			}
			if (json)
				printf("]}\n");
			grove_free(v);
		}
	}
	grove_close(db);
	return rc;
}
