/*
 * test_crash.c — a child runs a mixed workload (loads on main and on
 * branches, branch creates, multi-chunk loads) and reports every
 * acknowledged operation through a pipe; the parent SIGKILLs it at a
 * failpoint of the write path or at a random moment, reopens, and checks:
 * every acknowledged commit and branch is there, every load is all or
 * nothing (each load adds exactly LOAD_ROWS people, so a branch holds
 * LOAD_ROWS times the loads in its history), and grove_verify passes.
 * GROVE_CRASH_TRIALS sets the number of trials (default 120).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "graph_testutil.h"
#include "index/apply.h"
#include "gt_crash.h"

#define LOAD_ROWS 40
#define TRIALS_PER_GRAPH 15

struct ack {
	char kind;               /* 'L' load, 'B' branch */
	char branch[23];
	char commit[GROVE_COMMIT_ID_BYTES];
	char pad[5];
};

static grove_options small_chunks(void)
{
	grove_options o = GROVE_OPTIONS_INIT;
	o.load_chunk_bytes = 1024; /* LOAD_ROWS rows make several chunks */
	return o;
}

static void report(int fd, char kind, const char *branch, const char *commit)
{
	struct ack a = { .kind = kind };
	snprintf(a.branch, sizeof a.branch, "%s", branch);
	snprintf(a.commit, sizeof a.commit, "%s", commit ? commit : "");
	if (write(fd, &a, sizeof a) != sizeof a)
		_exit(4);
}

static void load_rows(grove_db *db, int fd, const char *branch, unsigned tag, unsigned seq)
{
	static char buf[LOAD_ROWS * 80];
	size_t n = 0;
	for (int i = 0; i < LOAD_ROWS; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n,
				      "{\"type\":\"Person\",\"data\":{\"name\":\"p%u_%u_%d\",\"age\":%d}}\n",
				      tag, seq, i, i);
	grove_load_options o = { .branch = branch, .mode = GROVE_LOAD_APPEND, .actor = "crash" };
	grove_load_result r;
	if (grove_load(&r, db, &o, buf, n) != 0)
		_exit(3);
	report(fd, 'L', branch, r.commit.id);
}

static void child(const char *dir, int fd, unsigned tag)
{
	grove_options opts = small_chunks();
	grove_db *db;
	char name[24];

	if (grove_open(&db, dir, &opts) != 0)
		_exit(2);
	for (unsigned seq = 0;; seq++) {
		if (seq % 4 == 3) {
			snprintf(name, sizeof name, "b%u_%u", tag, seq);
			if (grove_branch_create(db, name, "main", NULL) != 0)
				_exit(5);
			report(fd, 'B', name, NULL);
			load_rows(db, fd, name, tag, seq);
		} else {
			load_rows(db, fd, "main", tag, seq);
		}
	}
}

/* Every branch holds LOAD_ROWS people per load in its history. */
static void check_atomic(grove_db *db)
{
	char **names;
	size_t n;
	cr_assert_eq(grove_branch_list(&names, &n, db), 0);
	for (size_t i = 0; i < n; i++) {
		grove_commit *log;
		size_t nc;
		cr_assert_eq(grove_commit_list(&log, &nc, db, names[i]), 0);
		uint64_t people = gt_count(db, names[i], NULL, "node:Person");
		cr_assert_eq(people, (uint64_t)LOAD_ROWS * (nc - 1),
			     "branch %s: %lu people for %zu loads: a load is half visible",
			     names[i], (unsigned long)people, nc - 1);
		grove_free(log);
	}
	grove_free(names);
}

static void check_acks(grove_db *db, const struct ack *acks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		grove_commit c, head;
		if (acks[i].kind == 'B') {
			cr_assert_eq(grove_branch_head(&head, db, acks[i].branch), 0,
				     "acknowledged branch %s is lost", acks[i].branch);
			continue;
		}
		cr_assert_eq(grove_commit_show(&c, db, acks[i].commit), 0,
			     "acknowledged commit %s is lost: %s", acks[i].commit, grove_errmsg(db));
		cr_assert_str_eq(c.branch, acks[i].branch);
	}
}

static const char *const failpoints[] = {
	"seq.appended", "seq.between_chunks", "seq.durable", "apply.between_parts", "apply.begin",
	"apply.mid", "seq.applied", "log.write.before", "log.write.after",
};
#define NFAILPOINTS (sizeof failpoints / sizeof failpoints[0])

static struct gt_crash harness = { child, sizeof(struct ack), 30, 0, 0 };

static void trial(const char *dir, unsigned tag)
{
	char fp[64];
	const char *failpoint = NULL;

	/* Half the trials die at a failpoint (each point in turn), half at a
	 * random moment. */
	if (tag % 2 == 0)
		failpoint = gt_failpoint(fp, sizeof fp, failpoints, NFAILPOINTS, tag / 2, 3);
	size_t n;
	struct ack *acks = gt_crash_once(&harness, dir, tag, failpoint, &n);

	grove_options opts = small_chunks();
	grove_db *db;
	cr_assert_eq(grove_open(&db, dir, &opts), 0, "reopen: %s", grove_errmsg(NULL));
	check_acks(db, acks, n);
	check_atomic(db);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "verify: %s", grove_errmsg(NULL));
	free(acks);
}

Test(crash, acknowledged_writes_survive_and_loads_are_atomic, .timeout = 900)
{
	/* Loads of LOAD_ROWS rows are applied in several parts (and the
	 * children, forked from here, do the same). */
	views_apply_part_effects = LOAD_ROWS / 3;
	gt_crash_run(&harness, "crash", NULL, 120, TRIALS_PER_GRAPH, trial);
}
