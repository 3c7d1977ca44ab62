/* test_merge_base.c — the merge base (engine §2.5) on random histories:
 * merge_base(), whose two searches stop as soon as no commit they have
 * not both reached can beat the best found, against the definition
 * computed the long way (both lineages walked to the root, every ancestor
 * inside them reached from both heads, the minimum taken over all). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/idset.h"
#include "engine/merge.h"
#include "graph_testutil.h"

#define SCHEMA "node Person { name: String @key\n age: I32? }\n"
#define BRANCHES 6

static const char ops[] = "query add($n: String, $a: I32) { insert Person { name: $n, age: $a } }\n";

/* ---- the definition, the long way ---------------------------------------- */

static void lineage(struct idset *lin, grove_db *db, MDB_txn *txn, struct commit_id at)
{
	while (!commit_id_is_zero(&at)) {
		struct commit_rec c;
		cr_assert_eq(idset_put(lin, 0, at.b, 16, 0), 0);
		cr_assert_eq(commit_get(&c, txn, db->views, &at), 0);
		at = c.parent;
	}
}

/* BFS distances from start along both parents, inside lin. */
static void distances(struct idset *dist, grove_db *db, MDB_txn *txn, struct commit_id start,
		      const struct idset *lin)
{
	size_t cap = 64, head = 0, tail = 0;
	struct commit_id *q = malloc(cap * sizeof *q);
	q[tail++] = start;
	cr_assert_eq(idset_put(dist, 0, start.b, 16, 0), 0);
	while (head < tail) {
		struct commit_rec c;
		struct commit_id at = q[head++];
		uint32_t d = (uint32_t)idset_get(dist, 0, at.b, 16);
		cr_assert_eq(commit_get(&c, txn, db->views, &at), 0);
		const struct commit_id *next[2] = { &c.parent, &c.merged_parent };
		for (int i = 0; i < 2; i++)
			if (!commit_id_is_zero(next[i]) && idset_get(dist, 0, next[i]->b, 16) < 0 &&
			    idset_get(lin, 0, next[i]->b, 16) >= 0) {
				if (tail == cap)
					cr_assert_not_null(q = realloc(q, (cap *= 2) * sizeof *q));
				q[tail++] = *next[i];
				cr_assert_eq(idset_put(dist, 0, next[i]->b, 16, d + 1), 0);
			}
	}
	free(q);
}

/* The base by definition: smallest summed distance, then highest graph
 * version, then highest LSN. */
static int oracle(struct commit_rec *out, grove_db *db, MDB_txn *txn, struct commit_id a, struct commit_id b)
{
	struct idset lin, da, dbb;
	idset_init(&lin);
	idset_init(&da);
	idset_init(&dbb);
	lineage(&lin, db, txn, a);
	lineage(&lin, db, txn, b);
	distances(&da, db, txn, a, &lin);
	distances(&dbb, db, txn, b, &lin);
	int64_t best = -1;
	size_t i = 0;
	uint32_t type, val, len;
	const char *key;
	while (idset_next(&da, &i, &type, &key, &len, &val)) {
		int64_t other = idset_get(&dbb, 0, key, len);
		struct commit_rec c;
		struct commit_id id;
		if (other < 0)
			continue;
		memcpy(id.b, key, 16);
		cr_assert_eq(commit_get(&c, txn, db->views, &id), 0);
		int64_t score = (int64_t)val + other;
		if (best < 0 || score < best || (score == best && (c.version > out->version ||
		    (c.version == out->version && c.lsn > out->lsn)))) {
			best = score;
			*out = c;
		}
	}
	idset_free(&lin);
	idset_free(&da);
	idset_free(&dbb);
	return best < 0 ? -1 : 0;
}

/* ---- random histories ---------------------------------------------------- */

static uint64_t rng;

static unsigned pick(unsigned n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(rng >> 33) % n;
}

static struct commit_id head_of(grove_db *db, const char *branch)
{
	grove_commit c;
	struct commit_id id;
	cr_assert_eq(grove_branch_head(&c, db, branch), 0, "%s", grove_errmsg(db));
	cr_assert(commit_id_parse(&id, c.id));
	return id;
}

/* Compare merge_base with the definition for every pair of branches. */
static unsigned check_pairs(grove_db *db, char names[][16], unsigned n)
{
	unsigned checked = 0;
	MDB_txn *txn;
	cr_assert_eq(db_read_begin(&txn, db), 0);
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			if (i == j)
				continue;
			struct commit_id a = head_of(db, names[i]), b = head_of(db, names[j]);
			struct commit_rec got, want;
			memset(&want, 0, sizeof want);
			int err = merge_base(&got, db, txn, &a, &b);
			cr_assert_eq(oracle(&want, db, txn, a, b), 0);
			cr_assert_eq(err, 0, "%s/%s: %s", names[i], names[j], grove_errmsg(db));
			char g[GROVE_COMMIT_ID_BYTES], w[GROVE_COMMIT_ID_BYTES];
			commit_id_format(g, &got.id);
			commit_id_format(w, &want.id);
			cr_assert_str_eq(g, w, "base of %s and %s", names[i], names[j]);
			checked++;
		}
	mdb_txn_abort(txn);
	return checked;
}

/* One random step: a commit on a branch, a merge between two, or a new
 * branch from one. */
static void step(grove_db *db, char names[][16], unsigned *n, int serial)
{
	unsigned r = pick(10), i = pick(*n), j = pick(*n);
	char *out = NULL;
	if (r < 5) {
		grove_mutate_options o = { .branch = names[i] };
		char params[64];
		snprintf(params, sizeof params, "{\"n\":\"p%d\",\"a\":%d}", serial, serial % 90);
		cr_assert_eq(grove_mutate_json(&out, db, &o, ops, "add", params), 0, "%s", grove_errmsg(db));
	} else if (r < 9 || *n == BRANCHES) {
		if (i != j)   /* distinct inserts: merges are clean, or up to date */
			cr_assert_eq(grove_merge_json(&out, db, names[i], names[j], NULL), 0, "%s %s",
				     grove_errmsg(db), out ? out : "");
	} else {
		snprintf(names[*n], 16, "b%u", *n);
		cr_assert_eq(grove_branch_create(db, names[*n], names[i], NULL), 0, "%s", grove_errmsg(db));
		(*n)++;
	}
	grove_free(out);
}

Test(merge_base, equals_the_definition_on_random_histories)
{
	unsigned checked = 0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		char *dir;
		grove_db *db = gt_scratch(&dir, "merge-base", SCHEMA);
		char names[BRANCHES][16] = { "main" };
		unsigned n = 1;
		rng = seed;
		for (int s = 0; s < 150; s++) {
			step(db, names, &n, s);
			if (s % 10 == 9)
				checked += check_pairs(db, names, n);
		}
		gt_scratch_done(db, dir);
	}
	cr_assert_gt(checked, 1000, "only %u pairs checked", checked);
}
