/* test_chg_runs.c — the changes view holds a bulk load's entities as runs
 * (index/chgrun.h), and views written before runs existed (one entry per
 * entity) read, diff and verify the same. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"
#include "index/chgrun.h"
#include "index/layered.h"

static grove_db *db;
static char *dir;

static void setup(void)
{
	db = gt_scratch(&dir, "chg-runs", NULL);
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(chg_runs, .init = setup, .fini = teardown);

/* The graph's views opened directly (the graph closed). */
struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi chg;
};

static void raw_open(struct raw *r, unsigned flags)
{
	char path[512];
	snprintf(path, sizeof path, "%s/views", dir);
	cr_assert_eq(mdb_env_create(&r->env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(r->env, 16), 0);
	cr_assert_eq(mdb_env_open(r->env, path, 0, 0600), 0);
	cr_assert_eq(mdb_txn_begin(r->env, NULL, flags, &r->txn), 0);
	cr_assert_eq(mdb_dbi_open(r->txn, "chg", 0, &r->chg), 0);
}

static void raw_close(struct raw *r, bool commit)
{
	if (commit)
		cr_assert_eq(mdb_txn_commit(r->txn), 0);
	else
		mdb_txn_abort(r->txn);
	mdb_env_close(r->env);
}

/* Entries and the entities they stand for. */
static void count_chg(struct raw *r, size_t *entries, uint64_t *entities)
{
	MDB_cursor *c;
	MDB_val k, d;
	*entries = 0;
	*entities = 0;
	cr_assert_eq(mdb_cursor_open(r->txn, r->chg, &c), 0);
	for (int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		uint32_t type;
		uint64_t first, count;
		cr_assert(chg_entry_read(&k, &d, &type, &first, &count));
		(*entries)++;
		*entities += count;
	}
	mdb_cursor_close(c);
}

/* Rewrite every run as the one-entity entries views had before runs. */
static void expand_runs(struct raw *r)
{
	MDB_cursor *c;
	MDB_val k, d;
	cr_assert_eq(mdb_cursor_open(r->txn, r->chg, &c), 0);
	int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
	while (rc == 0) {
		uint8_t key[CHG_KEY_BYTES], op = ((const uint8_t *)d.mv_data)[0];
		uint32_t type;
		uint64_t first, count;
		cr_assert(chg_entry_read(&k, &d, &type, &first, &count));
		if (count == 1) {
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
			continue;
		}
		memcpy(key, k.mv_data, sizeof key);
		cr_assert_eq(mdb_cursor_del(c, 0), 0);
		for (uint64_t i = 0; i < count; i++) {
			MDB_val nk = { sizeof key, key }, nd = { 1, &op };
			layered_be64(key + 16, first + i);
			cr_assert_eq(mdb_put(r->txn, r->chg, &nk, &nd, 0), 0);
		}
		/* Past the entities just written: the next key after them. */
		MDB_val at = { sizeof key, key };
		rc = mdb_cursor_get(c, &at, &d, MDB_SET_RANGE);
		if (rc == 0 && at.mv_size == sizeof key && !memcmp(at.mv_data, key, sizeof key))
			rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
		else
			k = at;
	}
	mdb_cursor_close(c);
}

static char *diff(const char *from_commit)
{
	grove_target from = { NULL, from_commit }, to = { "main", NULL };
	char *out = NULL;
	cr_assert_eq(grove_diff_json(&out, db, &from, &to, NULL), 0, "%s", grove_errmsg(db));
	return out;
}

Test(chg_runs, a_load_is_a_few_entries_and_reads_as_before_runs)
{
	char *jsonl = malloc(1 << 20), before[64];
	size_t n = 0;
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	snprintf(before, sizeof before, "%s", head.id);
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(jsonl + n, 64, "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\"}}\n", i);
	for (int i = 0; i < 1999; i++)
		n += (size_t)snprintf(jsonl + n, 96, "{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n", i, i + 1);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, jsonl, NULL), 0, "%s", grove_errmsg(db));
	free(jsonl);
	char *want = diff(before);
	grove_close(db);

	struct raw r;
	size_t entries;
	uint64_t entities;
	raw_open(&r, 0);
	count_chg(&r, &entries, &entities);
	cr_assert_eq(entities, 3999, "every node and edge changed once");
	cr_assert_leq(entries, 8, "%zu entries for 3999 entities", entries);
	expand_runs(&r);   /* as views written before runs hold them */
	count_chg(&r, &entries, &entities);
	cr_assert_eq(entries, 3999);
	cr_assert_eq(entities, 3999);
	raw_close(&r, true);

	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	char *got = diff(before);
	cr_assert_str_eq(got, want);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	grove_free(got);
	grove_free(want);
}

/* One event making A and B, then writing A again (an appended event may
 * repeat an entity; the loader never does): B's change is not lost under
 * A's second entry, and verify agrees.  Type 2 is Person in this schema,
 * its row [id, age, email, name], as `grove log dump` of a load shows. */
Test(chg_runs, an_entity_made_and_written_again_in_one_event_keeps_the_others)
{
	grove_commit head;
	char before[64];
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	snprintf(before, sizeof before, "%s", head.id);
	const char *ev = "{\"kind\":\"mutation\",\"commit\":\"01M8PZASQG8Q7HPRXSGJM57Y29\",\"time_us\":1,"
			 "\"branch\":\"main\",\"op\":\"x\",\"effects\":["
			 "{\"op\":\"put_node\",\"type\":2,\"row\":[\"A\",null,null,\"A\"]},"
			 "{\"op\":\"put_node\",\"type\":2,\"row\":[\"B\",null,null,\"B\"]},"
			 "{\"op\":\"put_node\",\"type\":2,\"row\":[\"A\",5,null,\"A\"]}]}";
	cr_assert_eq(grove_log_append_json(NULL, db, ev), 0, "%s", grove_errmsg(db));
	char *d = diff(before);
	cr_assert(strstr(d, "\"A\"") && strstr(d, "\"B\""), "%s", d);
	grove_free(d);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
}
