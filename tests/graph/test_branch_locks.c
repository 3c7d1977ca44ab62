/* test_branch_locks.c — a handle's per-branch writer entries
 * (engine/branch_lock.c) stay bounded, and are never freed under a writer. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "graph_testutil.h"

static const char queries[] =
	"query add($n: String) { insert Person { name: $n, age: 1 } }\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("branch_locks");
	db = gt_init(dir, NULL);
}

static void teardown(void)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

TestSuite(branch_locks, .init = setup, .fini = teardown);

static int add(grove_db *h, const char *branch, const char *name)
{
	grove_mutate_options o = { .branch = branch, .actor = "t" };
	char params[64], *out = NULL;
	snprintf(params, sizeof params, "{\"n\":\"%s\"}", name);
	int err = grove_mutate_json(&out, h, &o, queries, "add", params);
	grove_free(out);
	return err;
}

static size_t entries(void)
{
	pthread_rwlock_rdlock(&db->locks_rw);
	size_t n = db->n_locks;
	pthread_rwlock_unlock(&db->locks_rw);
	return n;
}

Test(branch_locks, creating_writing_and_deleting_branches_for_ever_does_not_grow_the_table)
{
	char name[32];
	for (int i = 0; i < 600; i++) {
		snprintf(name, sizeof name, "b%d", i);
		cr_assert_eq(grove_branch_create(db, name, NULL, "t"), 0, "%s", grove_errmsg(db));
		cr_assert_eq(add(db, name, "Ann"), 0, "%s", grove_errmsg(db));
		cr_assert_eq(grove_branch_delete(db, name, "t"), 0, "%s", grove_errmsg(db));
	}
	/* 600 branches were written: the idle entries of the deleted ones
	 * went at each sweep (one per doubling, from 64). */
	cr_assert_leq(entries(), 64, "%zu entries", entries());
	cr_assert_eq(add(db, NULL, "Bo"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 1);
}

Test(branch_locks, writes_to_branches_that_do_not_exist_leave_nothing_behind)
{
	char name[32];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "missing%d", i);
		cr_assert_eq(add(db, name, "Ann"), GROVE_ENOTFOUND, "%s", grove_errmsg(db));
	}
	cr_assert_leq(entries(), 64, "%zu entries", entries());
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 0);
}

struct writer {
	const char *branch;
	int n, failed;
};

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	char name[48];
	for (int i = 0; i < w->n; i++) {
		snprintf(name, sizeof name, "%s-%d", w->branch, i);
		if (add(db, w->branch, name) != 0)
			w->failed++;
	}
	return NULL;
}

/* Writers hold their entries while another thread's creates and deletes
 * sweep the table again and again: none is freed under them (the
 * sanitizer builds would see it) and every write lands. */
Test(branch_locks, sweeps_racing_writers_free_only_idle_entries)
{
	enum { WRITERS = 4, WRITES = 150 };
	static const char *const branches[WRITERS] = { "main", "w1", "w2", "main" };
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	char name[32];

	for (int i = 1; i < 3; i++)
		cr_assert_eq(grove_branch_create(db, branches[i], NULL, "t"), 0, "%s", grove_errmsg(db));
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .branch = branches[i], .n = WRITES };
		cr_assert_eq(pthread_create(&t[i], NULL, write_loop, &w[i]), 0);
	}
	for (int i = 0; i < 400; i++) {
		snprintf(name, sizeof name, "s%d", i);
		cr_assert_eq(grove_branch_create(db, name, NULL, "t"), 0, "%s", grove_errmsg(db));
		cr_assert_eq(grove_branch_delete(db, name, "t"), 0, "%s", grove_errmsg(db));
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(w[i].failed, 0, "writer %d: %d writes failed", i, w[i].failed);
	}
	/* "main" had two writers of the same names: one row per name. */
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), WRITES);
	cr_assert_eq(gt_count(db, "w1", NULL, "node:Person"), WRITES);
	cr_assert_eq(gt_count(db, "w2", NULL, "node:Person"), WRITES);
	cr_assert_leq(entries(), 64, "%zu entries", entries());
}
