/*
 * grove demo DIR — the built-in demo, on a small embedded graph: create
 * it, load people and companies, branch and load into the branch, a
 * traversal, an aggregation, a full-text search ranked by BM25, a
 * mutation on the branch, the commit history,
 * a three-way merge into main, a query and an export at an older commit
 * (time travel), then verify — every step through the public API, as an
 * embedding program would.
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
	"    bio: String?\n"
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
	"{\"type\":\"Person\",\"data\":{\"name\":\"Ada\",\"age\":36,\"city\":\"London\","
	"\"bio\":\"Mathematician who wrote the first published algorithm\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Grace\",\"age\":45,\"city\":\"Arlington\","
	"\"bio\":\"Navy admiral who built the first compilers\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Linus\",\"age\":28,\"city\":\"Helsinki\","
	"\"bio\":\"Engineer who writes kernels and version control\"}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Analytical\",\"founded\":\"1837-01-01\"}}\n"
	"{\"type\":\"Company\",\"data\":{\"name\":\"Navy\",\"founded\":\"1775-10-13\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Ada\",\"to\":\"Grace\",\"data\":{\"since\":\"1950-06-01\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Grace\",\"to\":\"Linus\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Ada\",\"to\":\"Analytical\"}\n"
	"{\"edge\":\"WorksAt\",\"from\":\"Grace\",\"to\":\"Navy\"}\n";

static const char demo_queries[] =
	"query friends_of($name: String) {\n"
	"    match { $p: Person { name: $name }\n"
	"            $p knows $f }\n"
	"    return { $f.name, $f.city }\n"
	"}\n"
	"query people_per_company() {\n"
	"    match { $p: Person\n"
	"            $p worksAt $c }\n"
	"    return { $c.name, count($p) as people }\n"
	"    order { $c.name }\n"
	"}\n"
	"query about($words: String) {\n"
	"    match { $p: Person }\n"
	"    return { $p.name, bm25($p.bio, $words) as score }\n"
	"    order { bm25($p.bio, $words) }\n"
	"    limit 2\n"
	"}\n"
	"query birthday($name: String, $age: I32) {\n"
	"    update Person set { age: $age } where name = $name\n"
	"}\n"
	"query ages() {\n"
	"    match { $p: Person }\n"
	"    return { $p.name, $p.age }\n"
	"    order { $p.name }\n"
	"}\n";

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

static int show(grove_db *db, const char *title, const grove_target *t, const char *name,
		const char *params)
{
	char *out;
	int err = grove_query_json(&out, db, t, demo_queries, name, params);
	if (err < 0)
		return cmd_fail(db, name, err);
	printf("%s\n  %s\n", title, out);
	grove_free(out);
	return 0;
}

static int mutate(grove_db *db, const char *branch, const char *name, const char *params)
{
	grove_mutate_options o = { .branch = branch, .actor = "demo" };
	char *out;
	int err = grove_mutate_json(&out, db, &o, demo_queries, name, params);
	if (err < 0)
		return cmd_fail(db, name, err);
	printf("mutation %s on %s:\n  %s\n", name, branch, out);
	grove_free(out);
	return 0;
}

static int load_and_branch(grove_db *db, grove_commit *first)
{
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE, .actor = "demo" };
	grove_load_result r;

	if (step(db, "load", grove_load(&r, db, &o, demo_data, strlen(demo_data))))
		return 1;
	*first = r.commit;
	printf("loaded %" PRIu64 " nodes and %" PRIu64 " edges into main (commit %s)\n", r.nodes,
	       r.edges, r.commit.id);
	o = (grove_load_options){ .branch = "feature/hiring", .from = "main",
				  .mode = GROVE_LOAD_APPEND, .actor = "demo" };
	if (step(db, "load into branch", grove_load(&r, db, &o, branch_data, strlen(branch_data))))
		return 1;
	printf("created branch feature/hiring and loaded %" PRIu64 " node and %" PRIu64
	       " edge into it (commit %s)\n\n", r.nodes, r.edges, r.commit.id);
	return 0;
}

static int run(grove_db *db)
{
	grove_target main_t = { "main", NULL }, feat_t = { "feature/hiring", NULL };
	grove_commit first, *log;
	size_t n;
	char *out;

	if (load_and_branch(db, &first) ||
	    show(db, "traversal: who Ada knows (main)", &main_t, "friends_of", "{\"name\":\"Ada\"}") ||
	    show(db, "traversal: who Barbara knows (feature/hiring)", &feat_t, "friends_of",
		 "{\"name\":\"Barbara\"}") ||
	    show(db, "aggregation: people per company", &main_t, "people_per_company", NULL) ||
	    show(db, "full-text search: whose bio is about compilers or algorithms (BM25)", &main_t,
		 "about", "{\"words\":\"compiler algorithms\"}") ||
	    mutate(db, "feature/hiring", "birthday", "{\"name\":\"Ada\",\"age\":37}"))
		return 1;
	printf("\ncommits of feature/hiring, newest first:\n");
	if (step(db, "commit list", grove_commit_list(&log, &n, db, "feature/hiring")))
		return 1;
	for (size_t i = 0; i < n; i++)
		printf("  %s  graph_version=%" PRIu64 "  actor=%s\n", log[i].id,
		       log[i].graph_version, log[i].actor[0] ? log[i].actor : "-");
	grove_free(log);
	grove_merge_options mo = { .actor = "demo" };
	if (step(db, "merge", grove_merge_json(&out, db, "feature/hiring", "main", &mo)))
		return 1;
	printf("\nmerge feature/hiring into main:\n  %s\n\n", out);
	grove_free(out);
	grove_target then = { NULL, first.id };
	if (show(db, "ages on main now:", &main_t, "ages", NULL) ||
	    show(db, "ages on main as of the first load (time travel):", &then, "ages", NULL))
		return 1;
	printf("\nexport of main as of commit %s:\n", first.id);
	return step(db, "export", grove_export(db, &then, write_stdout, NULL)) ? 1 : 0;
}

int cmd_demo(int argc, char **argv)
{
	grove_db *db;
	int err, rc;

	if (argc != 2 || argv[1][0] == '-') {
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
