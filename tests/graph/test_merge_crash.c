/*
 * test_merge_crash.c — a child forks a branch, loads into it, writes to
 * main, and merges the branch back (three-way), over and over, reporting
 * every acknowledged commit through a pipe; the parent SIGKILLs it at a
 * failpoint of the commit pipeline (or at a random moment), reopens, and
 * checks that every merge is all or nothing: a branch's rows are on main
 * exactly when main's history holds a merge commit whose merged parent is
 * that branch's load, every acknowledged commit is there, main holds no
 * other rows, and grove_verify passes.
 * GROVE_CRASH_TRIALS sets the number of trials (default 40).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "graph_testutil.h"
#include "gt_crash.h"

#define BRANCH_ROWS 20
#define MAIN_ROWS 5
#define TRIALS_PER_GRAPH 10

static const char schema[] = "node Person { name: String @key\n age: I32? }\n";

struct ack {
	char kind;               /* 'L' branch load, 'W' main load, 'M' merge */
	char commit[GROVE_COMMIT_ID_BYTES];
	unsigned tag, seq;
};

static void report(int fd, char kind, const char *commit, unsigned tag, unsigned seq)
{
	struct ack a = { .kind = kind, .tag = tag, .seq = seq };
	snprintf(a.commit, sizeof a.commit, "%s", commit);
	if (write(fd, &a, sizeof a) != sizeof a)
		_exit(4);
}

static void load(grove_db *db, const char *branch, const char *prefix, int rows, char commit[])
{
	char buf[BRANCH_ROWS * 80];
	size_t n = 0;
	for (int i = 0; i < rows; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"type\":\"Person\",\"data\":{\"name\":\"%s_%d\"}}\n",
				      prefix, i);
	grove_load_options o = { .branch = branch, .mode = GROVE_LOAD_APPEND, .actor = "load" };
	grove_load_result r;
	if (grove_load(&r, db, &o, buf, n) != 0)
		_exit(3);
	memcpy(commit, r.commit.id, GROVE_COMMIT_ID_BYTES);
}

static void child(const char *dir, int fd, unsigned tag)
{
	grove_db *db;
	if (grove_open(&db, dir, NULL) != 0)
		_exit(2);
	for (unsigned seq = 0;; seq++) {
		char branch[32], prefix[32], commit[GROVE_COMMIT_ID_BYTES], *out = NULL;
		snprintf(branch, sizeof branch, "t%03us%04u", tag, seq);
		if (grove_branch_create(db, branch, "main", "branch") != 0)
			_exit(5);
		snprintf(prefix, sizeof prefix, "b_%u_%u", tag, seq);
		load(db, branch, prefix, BRANCH_ROWS, commit);
		report(fd, 'L', commit, tag, seq);
		snprintf(prefix, sizeof prefix, "m_%u_%u", tag, seq);
		load(db, NULL, prefix, MAIN_ROWS, commit);
		report(fd, 'W', commit, tag, seq);
		grove_merge_options mo = { .actor = "merge", .delete_branch = 1 };
		if (grove_merge_json(&out, db, branch, "main", &mo) != 0 || !strstr(out, "\"outcome\":\"merged\""))
			_exit(6);
		char *id = strstr(out, "\"graph_commit_id\":\"");
		if (!id)
			_exit(7);
		id += strlen("\"graph_commit_id\":\"");
		id[GROVE_COMMIT_ID_BYTES - 1] = '\0';
		report(fd, 'M', id, tag, seq);
		grove_free(out);
	}
}

static int has_person(grove_db *db, const char *name)
{
	char *e = NULL;
	grove_target t = { "main", NULL };
	int err = grove_entity_json(&e, db, &t, "node:Person", name);
	grove_free(e);
	cr_assert(err == 0 || err == GROVE_ENOTFOUND, "entity %s: %s", name, grove_errmsg(db));
	return err == 0;
}

/* Are all (or none) of a branch load's rows on main, as its merge says? */
static void check_branch_load(grove_db *db, const struct ack *a, const grove_commit *log, size_t nc,
			      size_t *merged)
{
	int is_merged = 0;
	for (size_t i = 0; i < nc; i++)
		is_merged |= !strcmp(log[i].actor, "merge") && !strcmp(log[i].merged_parent, a->commit);
	*merged += (size_t)is_merged;
	for (int i = 0; i < BRANCH_ROWS; i++) {
		char name[48];
		snprintf(name, sizeof name, "b_%u_%u_%d", a->tag, a->seq, i);
		cr_assert_eq(has_person(db, name), is_merged, "%s on main: %d, but merged: %d", name,
			     !is_merged, is_merged);
	}
}

static void check_state(grove_db *db, const void *ack_records, size_t n)
{
	const struct ack *acks = ack_records;
	grove_commit *log;
	size_t nc, merges = 0, main_loads = 0, merged = 0;
	cr_assert_eq(grove_commit_list(&log, &nc, db, "main"), 0);
	for (size_t i = 0; i < n; i++) {
		grove_commit c;
		int err = grove_commit_show(&c, db, acks[i].commit);
		if (err == GROVE_ENOTFOUND && acks[i].kind == 'L') {
			/* A branch's own commits go with it (engine §1.5.9): only
			 * the merge of this load deletes its branch. */
			char branch[32];
			snprintf(branch, sizeof branch, "t%03us%04u", acks[i].tag, acks[i].seq);
			cr_assert_eq(grove_branch_head(&c, db, branch), GROVE_ENOTFOUND,
				     "commit %s of the live branch %s is lost", acks[i].commit, branch);
			bool merged_in = false;
			for (size_t k = 0; k < nc; k++)
				merged_in |= !strcmp(log[k].merged_parent, acks[i].commit);
			cr_assert(merged_in, "branch %s is gone but its load %s was never merged",
				  branch, acks[i].commit);
			continue;
		}
		cr_assert_eq(err, 0, "acknowledged commit %s is lost", acks[i].commit);
	}
	for (size_t i = 0; i < nc; i++) {
		merges += !strcmp(log[i].actor, "merge");
		main_loads += !strcmp(log[i].actor, "load") && !strcmp(log[i].branch, "main");
	}
	for (size_t i = 0; i < n; i++)
		if (acks[i].kind == 'L')
			check_branch_load(db, &acks[i], log, nc, &merged);
	grove_free(log);
	/* Only this trial's acks are here; earlier trials' merges count too. */
	cr_assert_geq(merges, merged);
	uint64_t rows = gt_count(db, "main", NULL, "node:Person");
	cr_assert_eq(rows, (uint64_t)(MAIN_ROWS * main_loads + BRANCH_ROWS * merges),
		     "main holds %lu rows: %zu main loads and %zu merges", (unsigned long)rows, main_loads,
		     merges);
}

static const char *const failpoints[] = {
	"seq.appended", "seq.durable", "apply.begin", "apply.mid", "seq.applied",
	"log.write.before", "log.write.after",
};
#define NFAILPOINTS (sizeof failpoints / sizeof failpoints[0])

static struct gt_crash harness = { child, sizeof(struct ack), 60, 0, 0 };

static void trial(const char *dir, unsigned tag)
{
	gt_crash_trial(&harness, dir, tag, failpoints, NFAILPOINTS, 12, check_state);
}

Test(merge_crash, a_merge_is_all_or_nothing_after_a_crash, .timeout = 900)
{
	gt_crash_run(&harness, "merge-crash", schema, 40, TRIALS_PER_GRAPH, trial);
}
