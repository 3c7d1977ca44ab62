/* test_adjbulk.c — a huge event's adjacency held back and written at its
 * end (index/adjbulk.h) against a model: the same entries put one by one,
 * in the order added, into a second database.  Both must hold the same
 * keys and values, whatever the order of nodes and edges, with repeated
 * keys (the later put wins), tombstones, several edge types and both
 * directions, node ranges dense (counted) and sparse (compared), and a
 * database that already holds entries below, among and above the new
 * ones (inserts and appends in one flush).  The seed is printed and can
 * be replaced with GROVE_TEST_SEED=<number>. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "index/adjbulk.h"
#include "index/layered.h"

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void seed(void)
{
	const char *s = getenv("GROVE_TEST_SEED");
	rng = s ? strtoull(s, NULL, 10) : (uint64_t)time(NULL) * 2654435761u + (uint64_t)getpid();
	if (!rng)
		rng = 1;
	cr_log_info("seed %" PRIu64, rng);
}

struct env {
	char dir[64];
	MDB_env *env;
	MDB_dbi bulk, model;
};

static void env_open(struct env *e)
{
	snprintf(e->dir, sizeof e->dir, "/tmp/grove-adjbulk-XXXXXX");
	cr_assert(mkdtemp(e->dir));
	cr_assert_eq(mdb_env_create(&e->env), 0);
	cr_assert_eq(mdb_env_set_maxdbs(e->env, 4), 0);
	cr_assert_eq(mdb_env_set_mapsize(e->env, 1u << 30), 0);
	cr_assert_eq(mdb_env_open(e->env, e->dir, MDB_NOSYNC, 0600), 0);
	MDB_txn *t;
	cr_assert_eq(mdb_txn_begin(e->env, NULL, 0, &t), 0);
	cr_assert_eq(mdb_dbi_open(t, "bulk", MDB_CREATE, &e->bulk), 0);
	cr_assert_eq(mdb_dbi_open(t, "model", MDB_CREATE, &e->model), 0);
	cr_assert_eq(mdb_txn_commit(t), 0);
}

static void env_close(struct env *e)
{
	char p[96];
	mdb_env_close(e->env);
	snprintf(p, sizeof p, "%s/data.mdb", e->dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/lock.mdb", e->dir);
	unlink(p);
	rmdir(e->dir);
}

/* The entry as the apply would put it (index/apply.c, adj_write). */
static void model_put(MDB_txn *t, MDB_dbi dbi, uint32_t layer, uint32_t etype, uint8_t dir,
		      uint64_t node, uint64_t edge, const uint64_t *other, uint64_t lsn)
{
	uint8_t prefix[13], elem[8], key[33], val[8];
	layered_be32(prefix, etype);
	prefix[4] = dir;
	layered_be64(prefix + 5, node);
	layered_be64(elem, edge);
	uint32_t n = layered_key(key, layer, prefix, sizeof prefix, elem, sizeof elem, lsn);
	if (other)
		layered_be64(val, *other);
	MDB_val k = { n, key }, d = { other ? 8 : 0, val };
	cr_assert_eq(mdb_put(t, dbi, &k, &d, 0), 0);
}

/* One event: m entries over `nodes` nodes (spread by `stride`), edges
 * drawn from few or many, some tombstones; put into both databases. */
static void event(struct env *e, struct adj_bulk *b, uint32_t layer, uint64_t lsn, size_t m,
		  uint64_t nodes, uint64_t stride, uint64_t edges)
{
	MDB_txn *t;
	cr_assert_eq(mdb_txn_begin(e->env, NULL, 0, &t), 0);
	b->on = true;
	for (size_t i = 0; i < m; i++) {
		uint32_t etype = 1 + (uint32_t)(next() % 3);
		uint8_t dir = (uint8_t)(next() % 2);
		uint64_t node = 1 + next() % nodes * stride;
		uint64_t edge = next() % 4 ? 1000000 + i : 1000000 + next() % edges;  /* mostly rising */
		uint64_t other = next() % nodes, *op = next() % 8 ? &other : NULL;
		cr_assert_eq(adj_bulk_add(b, etype, dir, node, edge, op), 0);
		model_put(t, e->model, layer, etype, dir, node, edge, op, lsn);
	}
	cr_assert_eq(adj_bulk_count(b), m);
	cr_assert_eq(adj_bulk_flush(b, t, e->bulk, NULL, layer, lsn), 0);
	cr_assert_eq(adj_bulk_count(b), 0);
	cr_assert_eq(mdb_txn_commit(t), 0);
}

static void expect_same(struct env *e)
{
	MDB_txn *t;
	MDB_cursor *a, *m;
	MDB_val ka, da, km, dm;
	size_t n = 0;
	cr_assert_eq(mdb_txn_begin(e->env, NULL, MDB_RDONLY, &t), 0);
	cr_assert_eq(mdb_cursor_open(t, e->bulk, &a), 0);
	cr_assert_eq(mdb_cursor_open(t, e->model, &m), 0);
	int ra = mdb_cursor_get(a, &ka, &da, MDB_FIRST), rm = mdb_cursor_get(m, &km, &dm, MDB_FIRST);
	for (; ra == 0 && rm == 0; n++) {
		cr_assert_eq(ka.mv_size, km.mv_size, "entry %zu: key length", n);
		cr_assert_eq(memcmp(ka.mv_data, km.mv_data, ka.mv_size), 0, "entry %zu: key", n);
		cr_assert_eq(da.mv_size, dm.mv_size, "entry %zu: value length", n);
		cr_assert_eq(memcmp(da.mv_data, dm.mv_data, da.mv_size), 0, "entry %zu: value", n);
		ra = mdb_cursor_get(a, &ka, &da, MDB_NEXT);
		rm = mdb_cursor_get(m, &km, &dm, MDB_NEXT);
	}
	cr_assert_eq(ra, MDB_NOTFOUND, "the bulk view holds more than %zu entries", n);
	cr_assert_eq(rm, MDB_NOTFOUND, "the bulk view holds only %zu entries", n);
	cr_assert_gt(n, 0);
	mdb_cursor_close(a);
	mdb_cursor_close(m);
	mdb_txn_abort(t);
}

/* Dense nodes (a counting sort), then sparse ones (comparison), events
 * on layers below, among and above the others': each flush both inserts
 * and appends. */
Test(adjbulk, flush_equals_puts_in_order)
{
	struct env e;
	struct adj_bulk b = { 0 };
	seed();
	env_open(&e);
	event(&e, &b, 2, 10, 50000, 3000, 1, 40);
	event(&e, &b, 2, 11, 20000, 3000, 1, 5);           /* over the same keys */
	event(&e, &b, 1, 12, 30000, 100, 1u << 30, 1000);  /* sparse, below */
	event(&e, &b, 3, 13, 30000, 500, 7, 100000);       /* above: appends */
	event(&e, &b, 2, 14, 1, 3, 1, 2);
	expect_same(&e);
	adj_bulk_clear(&b);
	env_close(&e);
}

/* An event's many puts of one key: the last one, tombstone or not, is
 * what the view keeps. */
Test(adjbulk, the_last_put_of_a_key_wins)
{
	struct env e;
	struct adj_bulk b = { 0 };
	seed();
	env_open(&e);
	MDB_txn *t;
	cr_assert_eq(mdb_txn_begin(e.env, NULL, 0, &t), 0);
	for (int round = 0; round < 5; round++)
		for (uint64_t node = 5; node > 0; node--) {
			uint64_t other = (uint64_t)round * 10 + node;
			const uint64_t *op = (round + node) % 3 ? &other : NULL;
			cr_assert_eq(adj_bulk_add(&b, 7, 0, node, 99, op), 0);
			model_put(t, e.model, 0, 7, 0, node, 99, op, 5);
		}
	cr_assert_eq(adj_bulk_flush(&b, t, e.bulk, NULL, 0, 5), 0);
	cr_assert_eq(mdb_txn_commit(t), 0);
	expect_same(&e);
	env_close(&e);
}

/* Forgotten entries write nothing. */
Test(adjbulk, cleared_entries_are_not_written)
{
	struct env e;
	struct adj_bulk b = { 0 };
	env_open(&e);
	MDB_txn *t;
	cr_assert_eq(mdb_txn_begin(e.env, NULL, 0, &t), 0);
	uint64_t other = 3;
	cr_assert_eq(adj_bulk_add(&b, 1, 1, 2, 3, &other), 0);
	adj_bulk_clear(&b);
	cr_assert_eq(adj_bulk_count(&b), 0);
	cr_assert_eq(adj_bulk_flush(&b, t, e.bulk, NULL, 0, 1), 0);
	MDB_stat st;
	cr_assert_eq(mdb_stat(t, e.bulk, &st), 0);
	cr_assert_eq(st.ms_entries, 0);
	mdb_txn_abort(t);
	env_close(&e);
}
