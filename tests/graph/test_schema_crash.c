/*
 * test_schema_crash.c — a child migrates a graph back and forth (a type
 * and a key property renamed, a property added and dropped) with loads in
 * between, reporting every acknowledged commit through a pipe; the parent
 * SIGKILLs it at a failpoint of the schema apply path (or of the commit
 * pipeline, or at a random moment), reopens, and checks that every apply
 * is all or nothing: the schema text, the catalog and the commit list
 * agree on how many applies happened, the data reads under the names in
 * force, every acknowledged commit is there, and grove_verify passes.
 * GROVE_CRASH_TRIALS sets the number of trials (default 60).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "graph_testutil.h"
#include "gt_crash.h"

#define LOAD_ROWS 20
#define TRIALS_PER_GRAPH 12

/* Two schemas, each naming the other in its hints: from either, applying
 * the other renames Person <-> Human and name <-> full. */
static const char person_pg[] =
	"node Person @rename_from(\"Human\") { name: String @key @rename_from(\"full\")\n age: I32? }\n"
	"node Company { name: String @key }\n"
	"edge Knows: Person -> Person\n";
static const char human_pg[] =
	"node Human @rename_from(\"Person\") { full: String @key @rename_from(\"name\")\n age: I32?\n nick: String? }\n"
	"node Company { name: String @key }\n"
	"edge Knows: Human -> Human\n";

struct ack {
	char kind;               /* 'A' apply, 'L' load */
	char commit[GROVE_COMMIT_ID_BYTES];
	char pad[3];
};

static void report(int fd, char kind, const char *commit)
{
	struct ack a = { .kind = kind };
	snprintf(a.commit, sizeof a.commit, "%s", commit);
	if (write(fd, &a, sizeof a) != sizeof a)
		_exit(4);
}

static int is_human(grove_db *db)
{
	char *text = NULL;
	if (grove_schema_text(&text, db) != 0)
		_exit(6);
	int human = strstr(text, "node Human") != NULL;
	grove_free(text);
	return human;
}

static void load(grove_db *db, int fd, int human, unsigned tag, unsigned seq)
{
	static char buf[LOAD_ROWS * 96];
	size_t n = 0;
	for (int i = 0; i < LOAD_ROWS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"type\":\"%s\",\"data\":{\"%s\":\"p%u_%u_%d\"}}\n",
				      human ? "Human" : "Person", human ? "full" : "name", tag, seq, i);
	grove_load_options o = { .mode = GROVE_LOAD_APPEND, .actor = "load" };
	grove_load_result r;
	if (grove_load(&r, db, &o, buf, n) != 0)
		_exit(3);
	report(fd, 'L', r.commit.id);
}

static void child(const char *dir, int fd, unsigned tag)
{
	grove_db *db;
	if (grove_open(&db, dir, NULL) != 0)
		_exit(2);
	int human = is_human(db);
	for (unsigned seq = 0;; seq++) {
		char *out = NULL;
		if (grove_schema_apply_json(&out, db, human ? person_pg : human_pg, 0, "apply") != 0 ||
		    !strstr(out, "\"applied\":true"))
			_exit(5);
		char *id = strstr(out, "\"graph_commit_id\":\"");
		if (!id)
			_exit(7);
		id += strlen("\"graph_commit_id\":\"");
		id[GROVE_COMMIT_ID_BYTES - 1] = '\0';
		report(fd, 'A', id);
		grove_free(out);
		human = !human;
		load(db, fd, human, tag, seq);
	}
}

/* All or nothing: the number of apply commits on main decides the schema
 * text, the catalog, and under which names the loaded rows read. */
static void check_state(grove_db *db, const void *ack_records, size_t n)
{
	const struct ack *acks = ack_records;
	grove_commit *log;
	size_t nc, applies = 0, loads = 0;
	for (size_t i = 0; i < n; i++) {
		grove_commit c;
		cr_assert_eq(grove_commit_show(&c, db, acks[i].commit), 0, "acknowledged commit %s is lost",
			     acks[i].commit);
	}
	cr_assert_eq(grove_commit_list(&log, &nc, db, "main"), 0);
	for (size_t i = 0; i < nc; i++) {
		applies += !strcmp(log[i].actor, "apply");
		loads += !strcmp(log[i].actor, "load");
	}
	grove_free(log);
	int human = applies % 2 == 1;
	cr_assert_eq(is_human(db), human, "%zu applies committed, but the schema text disagrees", applies);
	char *cat = NULL;
	cr_assert_eq(grove_catalog_json(&cat, db, NULL), 0);
	cr_assert_eq(strstr(cat, "\"name\":\"Human\"") != NULL, human, "the catalog disagrees: %s", cat);
	cr_assert_eq(strstr(cat, "\"name\":\"Person\"") != NULL, !human, "the catalog disagrees: %s", cat);
	grove_free(cat);
	cr_assert_eq(gt_count(db, "main", NULL, human ? "node:Human" : "node:Person"), (uint64_t)LOAD_ROWS * loads,
		     "%zu loads, rows do not match", loads);
}

static const char *const failpoints[] = {
	"schema_apply.before_log", "schema_apply.views", "schema_apply.committed", "seq.appended",
	"seq.durable", "apply.begin", "apply.mid", "seq.applied", "log.write.before", "log.write.after",
};
#define NFAILPOINTS (sizeof failpoints / sizeof failpoints[0])

static struct gt_crash harness = { child, sizeof(struct ack), 40, 0, 0 };

static void trial(const char *dir, unsigned tag)
{
	gt_crash_trial(&harness, dir, tag, failpoints, NFAILPOINTS, 3, check_state);
}

Test(schema_crash, an_apply_is_all_or_nothing_after_a_crash, .timeout = 900)
{
	gt_crash_run(&harness, "schema-crash", person_pg, 60, TRIALS_PER_GRAPH, trial);
}
