/*
 * stress_mutate.c — concurrent mutations (combined per branch) and reads,
 * as a plain program so that it also runs under ThreadSanitizer, which
 * Criterion's forking runner does not survive:
 *
 *   meson setup build-tsan -Db_sanitize=thread
 *   ninja -C build-tsan tests/graph/stress_mutate
 *   TSAN_OPTIONS=suppressions=tests/graph/tsan.supp build-tsan/tests/graph/stress_mutate
 *
 * 24 writers insert distinct keys on two branches while 2 readers read
 * branch heads, an entity and the branch list in a loop, and a churner
 * creates, writes and deletes branches of its own (so that the handle's
 * idle per-branch writer entries are swept under the writers, which hold
 * theirs; engine/branch_lock.c).  Checks: every
 * write succeeds; each branch ends with exactly its writers' rows and one
 * commit per write; a reader never sees a branch's graph_version go back,
 * nor a head whose record is not durable yet.  Exit 0 on success.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"

#define WRITERS 24
#define EACH 40

static const char schema[] = "node Person { name: String @key\n age: I32? }\n";
static const char add_q[] =
	"query add($n: String, $a: I32) { insert Person { name: $n, age: $a } }\n";

static grove_db *db;
static atomic_int stop, failed;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "stress_mutate: %s: %s\n", what, detail);
	atomic_store(&failed, 1);
}

static const char *branch_of(long w)
{
	return w % 2 ? "side" : "main";
}

static void *writer(void *arg)
{
	long w = (long)arg;
	grove_mutate_options o = { .branch = branch_of(w) };
	for (int i = 0; i < EACH && !atomic_load(&failed); i++) {
		char params[64], *out = NULL;
		snprintf(params, sizeof params, "{\"n\":\"w%ld_%d\",\"a\":%d}", w, i, i);
		if (grove_mutate_json(&out, db, &o, add_q, "add", params) != 0)
			fail("mutate", grove_errmsg(db));
		grove_free(out);
	}
	return NULL;
}

static void *reader(void *arg)
{
	uint64_t last[2] = { 0, 0 };
	(void)arg;
	while (!atomic_load(&stop) && !atomic_load(&failed)) {
		for (int b = 0; b < 2; b++) {
			grove_commit h;
			if (grove_branch_head(&h, db, b ? "side" : "main") != 0) {
				fail("branch head", grove_errmsg(db));
				continue;
			}
			if (h.graph_version < last[b])
				fail("graph_version went back", h.id);
			if (h.lsn > grove_log_last_lsn(db))
				fail("a head that is not durable", h.id);
			last[b] = h.graph_version;
		}
		char *e = NULL, **names = NULL;
		size_t n;
		grove_target t = { "main", NULL };
		int err = grove_entity_json(&e, db, &t, "node:Person", "w0_0");
		if (err != 0 && err != GROVE_ENOTFOUND)
			fail("entity", grove_errmsg(db));
		grove_free(e);
		if (grove_branch_list(&names, &n, db) != 0 || n < 2)
			fail("branch list", grove_errmsg(db));
		grove_free(names);
	}
	return NULL;
}

#define CHURNS 200

static void *churner(void *arg)
{
	(void)arg;
	for (int i = 0; i < CHURNS && !atomic_load(&failed); i++) {
		char name[32], *out = NULL;
		grove_mutate_options o = { .branch = name };
		snprintf(name, sizeof name, "churn%d", i);
		if (grove_branch_create(db, name, NULL, NULL) != 0)
			fail("churn create", grove_errmsg(db));
		else if (grove_mutate_json(&out, db, &o, add_q, "add", "{\"n\":\"c\",\"a\":1}") != 0)
			fail("churn mutate", grove_errmsg(db));
		else if (grove_branch_delete(db, name, NULL) != 0)
			fail("churn delete", grove_errmsg(db));
		grove_free(out);
	}
	return NULL;
}

static void check_branch(const char *branch, uint64_t rows, size_t commits)
{
	grove_commit *v;
	size_t n;
	if (gt_count(db, branch, NULL, "node:Person") != rows)
		fail("row count", branch);
	if (grove_commit_list(&v, &n, db, branch) != 0 || n != commits)
		fail("commit count", branch);
	grove_free(v);
}

int main(void)
{
	char *dir = gt_dir("stress-mutate");
	pthread_t w[WRITERS], r[2], c;

	if (grove_init(&db, dir, schema, NULL) != 0 || grove_branch_create(db, "side", NULL, NULL)) {
		fprintf(stderr, "stress_mutate: setup: %s\n", grove_errmsg(NULL));
		return 1;
	}
	for (long i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	pthread_create(&c, NULL, churner, NULL);
	for (long i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer, (void *)i);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(c, NULL);
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	/* main: genesis + writes; side: its fork point (main's genesis) + writes */
	check_branch("main", WRITERS / 2 * EACH, 1 + WRITERS / 2 * EACH);
	check_branch("side", WRITERS / 2 * EACH, 1 + WRITERS / 2 * EACH);
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
	if (!atomic_load(&failed))
		printf("stress_mutate: %d writers x %d inserts, 2 readers, %d branches churned: ok\n",
		       WRITERS, EACH, CHURNS);
	return atomic_load(&failed);
}
