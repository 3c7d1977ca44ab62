/* test_chgrun.c — the changes view's runs (index/chgrun.h): which notes
 * extend a run, what the entries written hold, and that reading them back
 * gives exactly the entities noted. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index/chgrun.h"
#include "index/putbatch.h"

static char dir[64];
static MDB_env *env;
static MDB_dbi dbi;

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/grove-chgrun-XXXXXX");
	cr_assert(mkdtemp(dir));
	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_mapsize(env, 1u << 26), 0);
	cr_assert_eq(mdb_env_open(env, dir, MDB_NOSYNC, 0600), 0);
	MDB_txn *t;
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &t), 0);
	cr_assert_eq(mdb_dbi_open(t, NULL, 0, &dbi), 0);
	cr_assert_eq(mdb_txn_commit(t), 0);
}

static void teardown(void)
{
	char p[96];
	mdb_env_close(env);
	snprintf(p, sizeof p, "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

TestSuite(chgrun, .init = setup, .fini = teardown);

struct note {
	uint32_t layer;
	uint64_t lsn;
	uint32_t type;
	uint64_t entity;
	uint8_t op;
};

/* Note every effect of `v` through one run, close it, write the batch. */
static void write_notes(const struct note *v, size_t n)
{
	struct put_batch b;
	struct chg_run r = { 0 };
	MDB_txn *t;
	put_batch_init(&b, dbi, "changes");
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(chg_run_note(&r, &b, v[i].layer, v[i].lsn, v[i].type, v[i].entity, v[i].op), 0);
	cr_assert_eq(chg_run_close(&r, &b), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &t), 0);
	cr_assert_eq(put_batch_flush(&b, t), 0);
	cr_assert_eq(mdb_txn_commit(t), 0);
	put_batch_free(&b);
}

/* The entries in key order: "type:first+count/value bytes" each. */
static void entries(char *out, size_t cap, size_t *n_entities)
{
	MDB_txn *t;
	MDB_cursor *c;
	MDB_val k, d;
	size_t len = 0;
	*n_entities = 0;
	out[0] = '\0';
	cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &t), 0);
	cr_assert_eq(mdb_cursor_open(t, dbi, &c), 0);
	for (int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		uint32_t type;
		uint64_t first, count;
		cr_assert(chg_entry_read(&k, &d, &type, &first, &count));
		len += (size_t)snprintf(out + len, cap - len, "%s%u:%lu+%lu/%zu", len ? " " : "", type,
					(unsigned long)first, (unsigned long)count, d.mv_size);
		*n_entities += count;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(t);
}

Test(chgrun, consecutive_entities_of_one_type_and_op_are_one_entry)
{
	struct note v[1000];
	for (int i = 0; i < 1000; i++)
		v[i] = (struct note){ 1, 7, 3, 100 + (uint64_t)i, 1 };
	write_notes(v, 1000);
	char got[256];
	size_t n;
	entries(got, sizeof got, &n);
	cr_assert_str_eq(got, "3:100+1000/5");
	cr_assert_eq(n, 1000);
}

Test(chgrun, a_gap_another_type_op_or_event_starts_a_new_entry)
{
	static const struct note v[] = {
		{ 1, 7, 3, 10, 1 }, { 1, 7, 3, 11, 1 },   /* a run of two */
		{ 1, 7, 3, 13, 1 },                       /* a gap: alone */
		{ 1, 7, 4, 14, 1 },                       /* another type */
		{ 1, 7, 4, 15, 2 }, { 1, 7, 4, 16, 2 },   /* another op */
		{ 1, 8, 4, 17, 2 },                       /* another event */
		{ 2, 8, 4, 18, 2 },                       /* another layer */
		{ 1, 7, 3, 11, 1 },                       /* again: its own entry */
	};
	write_notes(v, sizeof v / sizeof *v);
	char got[256];
	size_t n;
	entries(got, sizeof got, &n);
	/* Key order: layer, LSN, type, entity.  One entity keeps the
	 * one-byte value of the views before runs; the repeated 11 has its
	 * own key, which a reader's set of entities absorbs. */
	cr_assert_str_eq(got, "3:10+2/5 3:11+1/1 3:13+1/1 4:14+1/1 4:15+2/5 4:17+1/1 4:18+1/1");
	cr_assert_eq(n, 9);
}

Test(chgrun, a_dropped_run_writes_nothing)
{
	struct put_batch b;
	struct chg_run r = { 0 };
	put_batch_init(&b, dbi, "changes");
	cr_assert_eq(chg_run_note(&r, &b, 1, 7, 3, 10, 1), 0);
	cr_assert_eq(chg_run_note(&r, &b, 1, 7, 3, 11, 1), 0);
	chg_run_drop(&r);
	cr_assert_eq(chg_run_close(&r, &b), 0);
	cr_assert_eq(b.n, 0);
	put_batch_free(&b);
}

Test(chgrun, malformed_entries_are_refused)
{
	uint8_t key[CHG_KEY_BYTES] = { 0 }, val[5] = { 1, 0, 0, 0, 0 };
	uint32_t type;
	uint64_t first, count;
	MDB_val k = { sizeof key, key }, d = { 5, val };
	cr_assert_not(chg_entry_read(&k, &d, &type, &first, &count), "a run of 0");
	d.mv_size = 3;
	cr_assert_not(chg_entry_read(&k, &d, &type, &first, &count), "a 3-byte value");
	k.mv_size = 23;
	d.mv_size = 1;
	cr_assert_not(chg_entry_read(&k, &d, &type, &first, &count), "a 23-byte key");
}
