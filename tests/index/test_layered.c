/*
 * test_layered.c — layered reads (index/layered.h) against a model: random
 * versions and tombstones of elements in three layers, read through random
 * chains and cutoffs, with and without a cursor pool, iterators nested in
 * each other's loops; elements with more versions than a step-forward
 * skip takes, so both skip paths run.
 */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/layered.h"

#define LAYERS 3
#define ELEMS 40
#define VERSIONS_MAX 9      /* > the skip's steps */
#define LSN_MAX 60

/* The model: element e (2 bytes) of layer l at lsn: value, or a tombstone
 * (len 0), or absent. */
struct version {
	int present;
	uint8_t val[4];
	uint32_t len;
};
static struct version model[LAYERS][ELEMS][LSN_MAX + 1];

static MDB_env *env;
static MDB_dbi dbi;
static char dir[256];
static const uint8_t prefix[3] = { 0, 7, 1 };
static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void elem_bytes(uint8_t out[2], int e)
{
	out[0] = (uint8_t)(e * 5);   /* spread out, with gaps */
	out[1] = (uint8_t)(e % 3 == 0 ? 0xff : e);
}

static void put(MDB_txn *txn, uint32_t layer, const void *pre, uint32_t pre_len, const uint8_t elem[2],
                uint64_t lsn, const void *val, uint32_t len)
{
	uint8_t key[LAYERED_KEY_MAX];
	uint32_t n = layered_key(key, layer, pre, pre_len, elem, 2, lsn);
	MDB_val k = { n, key }, d = { len, (void *)val };
	cr_assert_eq(mdb_put(txn, dbi, &k, &d, 0), 0);
}

static void setup(void)
{
	MDB_txn *txn;
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/grove-layered-XXXXXX", base && *base ? base : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(mdb_env_create(&env), 0);
	cr_assert_eq(mdb_env_set_mapsize(env, 64u << 20), 0);
	cr_assert_eq(mdb_env_open(env, dir, MDB_NOSYNC, 0644), 0);
	cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	cr_assert_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
	memset(model, 0, sizeof(model));
	for (uint32_t l = 0; l < LAYERS; l++) {
		for (int e = 0; e < ELEMS; e++) {
			uint8_t elem[2];
			int nv = (int)(next_rand() % (VERSIONS_MAX + 1));
			elem_bytes(elem, e);
			for (int v = 0; v < nv; v++) {
				uint64_t lsn = 1 + next_rand() % LSN_MAX;
				struct version *m = &model[l][e][lsn];
				m->present = 1;
				m->len = next_rand() % 4 == 0 ? 0 : 4;   /* a quarter are tombstones */
				memcpy(m->val, &(uint32_t){ (uint32_t)(l * 100000 + (uint32_t)e * 100 + lsn) }, 4);
				put(txn, l + 1, prefix, sizeof(prefix), elem, lsn, m->val, m->len);
			}
			/* Neighbours under other prefixes and layers the reads must not see. */
			put(txn, l + 1, (const uint8_t[]){ 0, 7, 0 }, 3, elem, 5, "x", 1);
			put(txn, l + 1, (const uint8_t[]){ 0, 7, 2 }, 3, elem, 5, "y", 1);
		}
	}
	cr_assert_eq(mdb_txn_commit(txn), 0);
}

static void teardown(void)
{
	char cmd[300];
	mdb_env_close(env);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(layered, .init = setup, .fini = teardown);

/* What the model says element e reads as through the chain: 1 and its
 * version, or 0 (absent or deleted). */
static int model_get(const struct layer_chain *c, int e, const struct version **out, uint64_t *lsn)
{
	for (uint32_t i = 0; i < c->n; i++) {
		uint32_t l = c->at[i].layer - 1;
		uint64_t top = c->at[i].cutoff < LSN_MAX ? c->at[i].cutoff : LSN_MAX;
		for (uint64_t v = top; v >= 1; v--) {
			if (!model[l][e][v].present)
				continue;
			*out = &model[l][e][v];
			*lsn = v;
			return model[l][e][v].len > 0;
		}
	}
	return 0;
}

static void random_chain(struct layer_chain *c)
{
	c->n = 1 + (uint32_t)(next_rand() % LAYERS);
	for (uint32_t i = 0; i < c->n; i++) {
		c->at[i].layer = LAYERS - i;               /* child first */
		c->at[i].cutoff = next_rand() % (LSN_MAX + 2);
	}
}

/* Iterate from element `from` (or the start) and compare with the model. */
static void check_iter(struct layered_iter *it, const struct layer_chain *c, int from)
{
	for (int e = from < 0 ? 0 : from; e < ELEMS; e++) {
		const struct version *v;
		uint64_t lsn;
		if (!model_get(c, e, &v, &lsn))
			continue;
		uint8_t want[2];
		elem_bytes(want, e);
		cr_assert_eq(layered_next(it), 0, "element %d is visible", e);
		cr_assert_eq(it->elem_len, 2);
		cr_assert(memcmp(it->elem, want, 2) == 0, "element %d: got %02x%02x", e, it->elem[0], it->elem[1]);
		cr_assert_eq(it->lsn, lsn);
		cr_assert_eq(it->value.mv_size, 4);
		cr_assert(memcmp(it->value.mv_data, v->val, 4) == 0);
	}
	cr_assert_eq(layered_next(it), GROVE_ENOTFOUND);
}

static void check_get(MDB_txn *txn, struct layered_pool *pool, const struct layer_chain *c, int e)
{
	uint8_t elem[2];
	MDB_val a, b;
	uint64_t la = 0, lb = 0, lsn = 0;
	const struct version *v = NULL;
	elem_bytes(elem, e);
	int want = model_get(c, e, &v, &lsn) ? 0 : GROVE_ENOTFOUND;
	cr_assert_eq(layered_get(&a, &la, txn, dbi, c, prefix, sizeof(prefix), elem, 2), want);
	cr_assert_eq(layered_get_in(&b, &lb, pool, c, prefix, sizeof(prefix), elem, 2), want);
	if (want == 0) {
		cr_assert(la == lsn && lb == lsn && a.mv_size == 4 && b.mv_size == 4);
		cr_assert(memcmp(a.mv_data, v->val, 4) == 0 && memcmp(b.mv_data, v->val, 4) == 0);
	}
}

Test(layered, reads_match_the_model_with_and_without_a_pool)
{
	MDB_txn *txn;
	cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	for (int round = 0; round < 200; round++) {
		struct layer_chain c;
		struct layered_pool pool;
		struct layered_iter it;
		random_chain(&c);
		layered_pool_init(&pool, txn, dbi, &c);
		int from = (int)(next_rand() % (ELEMS + 1)) - 1;
		uint8_t fb[2];
		if (from >= 0)
			elem_bytes(fb, from);
		cr_assert_eq(layered_open(&it, txn, dbi, &c, prefix, sizeof(prefix), from < 0 ? NULL : fb, 2), 0);
		check_iter(&it, &c, from);
		layered_close(&it);
		for (int k = 0; k < 2; k++) {  /* the second time on reused cursors */
			cr_assert_eq(layered_open_in(&it, &pool, &c, prefix, sizeof(prefix), from < 0 ? NULL : fb, 2), 0);
			check_iter(&it, &c, from);
			layered_close(&it);
		}
		for (int e = 0; e < ELEMS; e++)
			check_get(txn, &pool, &c, e);
		layered_pool_fini(&pool);
	}
	mdb_txn_abort(txn);
}

Test(layered, iterators_of_one_pool_nest)
{
	MDB_txn *txn;
	struct layer_chain c = { .n = 2 };
	struct layered_pool pool;
	struct layered_iter outer, inner;
	c.at[0].layer = 2;
	c.at[0].cutoff = LSN_MAX;
	c.at[1].layer = 1;
	c.at[1].cutoff = LSN_MAX / 2;
	cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	layered_pool_init(&pool, txn, dbi, &c);
	cr_assert_eq(layered_open_in(&outer, &pool, &c, prefix, sizeof(prefix), NULL, 0), 0);
	int seen = 0;
	for (int e = 0; e < ELEMS; e++) {
		const struct version *v;
		uint64_t lsn;
		if (!model_get(&c, e, &v, &lsn))
			continue;
		cr_assert_eq(layered_next(&outer), 0);
		uint8_t want[2];
		elem_bytes(want, e);
		cr_assert(memcmp(outer.elem, want, 2) == 0);
		/* A whole read and point reads inside the outer one's loop. */
		cr_assert_eq(layered_open_in(&inner, &pool, &c, prefix, sizeof(prefix), NULL, 0), 0);
		check_iter(&inner, &c, -1);
		layered_close(&inner);
		check_get(txn, &pool, &c, (e * 7) % ELEMS);
		seen++;
	}
	cr_assert_eq(layered_next(&outer), GROVE_ENOTFOUND);
	cr_assert_gt(seen, 0);
	layered_close(&outer);
	layered_pool_fini(&pool);
	mdb_txn_abort(txn);
}
