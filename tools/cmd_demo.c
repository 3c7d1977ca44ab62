/*
 * grove demo DIR — the built-in demo, on a small embedded graph: create
 * it, load people and companies, branch, load into the branch, list the
 * commits, export main as it was before the branch was merged... every
 * step through the public API, as an embedding program would.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const char demo_schema[] =
	"// people, the companies they work at, and who knows whom\n"
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    city: String?\n"
	"}\n"
	"node Company {\n"
	"    name: String @key\n"
	"    founded: Date?\n"
	"}\n"
	"edge Knows: Person -> Person {\n"
	"    since: Date?\n"
	"}\n"
	"edge WorksAt: Person -> Company @card(0..1)\n";

static const char demo_data[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Ada\",\"age\":36,\"city\":\"London\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Grace\",\"age\":45,\"city\":\"Arlington\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Linus\",\"age\":28,\"city\":\"Helsinki\"}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Analytical\",\"founded\":\"1837-01-01\"}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Navy\",\"founded\":\"1775-10-13\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Ada\",\"to\":\"Grace\",\"data\":{\"since\":\"1950-06-01\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Grace\",\"to\":\"Linus\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Ada\",\"to\":\"Analytical\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Grace\",\"to\":\"Navy\"}\n";

static const char branch_data[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Barbara\",\"age\":31,\"city\":\"Boston\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Barbara\",\"to\":\"Ada\"}\n";

static int write_stdout(void *arg, const char *buf, size_t len)
{
	(void)arg;
	return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

static int step(grove_db *db, const char *what, int err)
{
	if (err < 0)
		return cmd_fail(db, what, err);
	return 0;
}

static int run(grove_db *db)
{
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE, .actor = "demo" };
	grove_load_result r;
	grove_commit first, *log;
	size_t n;
	uint64_t people;

	if (step(db, "load", grove_load(&r, db, &o, demo_data, strlen(demo_data))))
		return 1;
	first = r.commit;
	printf("loaded %" PRIu64 " nodes and %" PRIu64 " edges into main (commit %s)\n", r.nodes,
	       r.edges, r.commit.id);
	o = (grove_load_options){ .branch = "feature/hiring", .from = "main",
				  .mode = GROVE_LOAD_APPEND, .actor = "demo" };
	if (step(db, "load into branch", grove_load(&r, db, &o, branch_data, strlen(branch_data))))
		return 1;
	printf("created branch feature/hiring and loaded %" PRIu64 " node and %" PRIu64
	       " edge into it (commit %s)\n", r.nodes, r.edges, r.commit.id);
	grove_target main_t = { "main", NULL }, feat_t = { "feature/hiring", NULL };
	if (step(db, "count", grove_count(&people, db, &main_t, "node:Person")))
		return 1;
	printf("people on main: %" PRIu64, people);
	if (step(db, "count", grove_count(&people, db, &feat_t, "node:Person")))
		return 1;
	printf(", on feature/hiring: %" PRIu64 "\n\ncommits of feature/hiring, newest first:\n",
	       people);
	if (step(db, "commit list", grove_commit_list(&log, &n, db, "feature/hiring")))
		return 1;
	for (size_t i = 0; i < n; i++)
		printf("  %s  graph_version=%" PRIu64 "  actor=%s\n", log[i].id,
		       log[i].graph_version, log[i].actor[0] ? log[i].actor : "-");
	grove_free(log);
	printf("\nexport of main as of commit %s (time travel):\n", first.id);
	grove_target then = { NULL, first.id };
	return step(db, "export", grove_export(db, &then, write_stdout, NULL)) ? 1 : 0;
}

int cmd_demo(int argc, char **argv)
{
	grove_db *db;
	int err, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: grove demo DIR   (DIR must not hold a graph yet)\n");
		return GROVE_EXIT_USAGE;
	}
	if ((err = grove_init(&db, argv[1], demo_schema, NULL)) < 0)
		return cmd_fail(NULL, "init", err);
	printf("created graph %s\n", argv[1]);
	rc = run(db);
	grove_close(db);
	if (rc)
		return GROVE_EXIT_ERROR;
	/* Everything survives a reopen: the log is replayed into the views. */
	if ((err = grove_verify(argv[1])) < 0)
		return cmd_fail(NULL, "verify", err);
	printf("\nverify: the views equal a fresh replay of the log\n");
	return GROVE_EXIT_OK;
}
