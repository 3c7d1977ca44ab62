/* test_putbatch.c — sorted put batches (index/putbatch.h) against a model:
 * whatever order keys are added in, a flush leaves the database holding
 * exactly what the same puts made one by one would, the last value of a
 * key repeated in a batch winning; keys beyond the database's end are
 * appended, keys inside it are not refused.
 *
 * Keys are drawn to stress the sort: a shared prefix, bytes that vary in
 * only a few places, keys equal over their first 16 differing bytes and
 * different after them, keys that are prefixes of others (zero padded,
 * they tie with a longer key ending in zeros), and duplicates.  The seed
 * is printed and can be replaced with GROVE_TEST_SEED=<number>. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "index/putbatch.h"

#define MAXK 64

struct kv {
	uint8_t k[MAXK];
	uint32_t kn;
	uint32_t v;       /* value: the order the put was made in */
};

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

/* A key of a family chosen by `shape`: see the file's comment. */
static void draw_key(struct kv *x, int shape)
{
	static const uint8_t prefix[6] = { 0, 0, 0, 1, 0, 0 };
	memcpy(x->k, prefix, sizeof prefix);
	uint32_t n = sizeof prefix;
	switch (shape) {
	case 0: /* a big-endian id over few values: few varying bytes */
		for (int i = 0; i < 8; i++)
			x->k[n++] = i < 6 ? 0 : (uint8_t)(next() % 3);
		break;
	case 1: /* equal over 16 bytes, different beyond */
		memset(x->k + n, 7, 16);
		n += 16;
		for (int i = 0, m = (int)(next() % 6); i < m; i++)
			x->k[n++] = (uint8_t)(next() % 3);
		break;
	default: /* random length and bytes, zeros likely */
		for (int i = 0, m = (int)(next() % 24); i < m; i++)
			x->k[n++] = (uint8_t)(next() % 4 ? 0 : next());
		break;
	}
	x->kn = n;
}

static int cmp_key(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = memcmp(x->k, y->k, x->kn < y->kn ? x->kn : y->kn);
	if (c)
		return c;
	if (x->kn != y->kn)
		return x->kn < y->kn ? -1 : 1;
	return x->v < y->v ? -1 : x->v > y->v;
}

struct env {
	char dir[64];
	MDB_env *env;
	MDB_dbi dbi;
};

static void env_open(struct env *e)
{
	snprintf(e->dir, sizeof e->dir, "/tmp/grove-putbatch-XXXXXX");
	cr_assert(mkdtemp(e->dir));
	cr_assert_eq(mdb_env_create(&e->env), 0);
	cr_assert_eq(mdb_env_set_mapsize(e->env, 1u << 30), 0);
	cr_assert_eq(mdb_env_open(e->env, e->dir, MDB_NOSYNC, 0600), 0);
	MDB_txn *t;
	cr_assert_eq(mdb_txn_begin(e->env, NULL, 0, &t), 0);
	cr_assert_eq(mdb_dbi_open(t, NULL, 0, &e->dbi), 0);
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

/* The database must hold, in order, the last put of every key in
 * all[0, n) (sorted by key, then put order). */
static void check(struct env *e, struct kv *all, size_t n)
{
	qsort(all, n, sizeof *all, cmp_key);
	MDB_txn *t;
	MDB_cursor *c;
	MDB_val k, d;
	cr_assert_eq(mdb_txn_begin(e->env, NULL, MDB_RDONLY, &t), 0);
	cr_assert_eq(mdb_cursor_open(t, e->dbi, &c), 0);
	int rc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && all[i].kn == all[i + 1].kn && !memcmp(all[i].k, all[i + 1].k, all[i].kn))
			continue; /* a later put of the same key wins */
		cr_assert_eq(rc, 0, "entry for model key %zu missing", i);
		cr_assert_eq(k.mv_size, all[i].kn, "key %zu: length %zu, want %u", i, k.mv_size,
			     all[i].kn);
		cr_assert_eq(memcmp(k.mv_data, all[i].k, all[i].kn), 0, "key %zu differs", i);
		uint32_t v;
		cr_assert_eq(d.mv_size, sizeof v);
		memcpy(&v, d.mv_data, sizeof v);
		cr_assert_eq(v, all[i].v, "key %zu: value of put %u, want the last put %u", i, v,
			     all[i].v);
		rc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
	}
	cr_assert_eq(rc, MDB_NOTFOUND, "the database holds more keys than were put");
	mdb_cursor_close(c);
	mdb_txn_abort(t);
}

/* Batches of random size and shape, each flushed in its own txn; every
 * other batch adds a run of keys in order, beyond all others (appends). */
Test(putbatch, flush_equals_puts_in_order)
{
	struct env e;
	struct put_batch b;
	size_t cap = 200000, n = 0;
	struct kv *all = calloc(cap, sizeof *all);
	uint32_t order = 0;

	seed();
	env_open(&e);
	put_batch_init(&b, e.dbi, "test");
	for (int round = 0; round < 40; round++) {
		MDB_txn *t;
		cr_assert_eq(mdb_txn_begin(e.env, NULL, 0, &t), 0);
		b.dbi = e.dbi;
		size_t m = next() % 4000 + (round % 7 == 0 ? 0 : 1);
		int shape = (int)(next() % 3);
		for (size_t i = 0; i < m && n < cap; i++) {
			struct kv *x = &all[n++];
			if (round % 2 && i < m / 2) {
				/* in order and past every other key */
				memset(x->k, 0xff, 4);
				uint32_t be = __builtin_bswap32(order);
				memcpy(x->k + 4, &be, 4);
				x->kn = 8;
			} else {
				draw_key(x, next() % 4 ? shape : (int)(next() % 3));
			}
			x->v = order++;
			cr_assert_eq(put_batch_add(&b, x->k, x->kn, &x->v, sizeof x->v), 0);
		}
		cr_assert_eq(put_batch_flush(&b, t), 0);
		cr_assert_eq(mdb_txn_commit(t), 0);
	}
	put_batch_free(&b);
	check(&e, all, n);
	env_close(&e);
	free(all);
}

/* One big batch of one shape: long runs through every radix pass. */
Test(putbatch, one_big_batch_per_shape)
{
	for (int shape = 0; shape < 3; shape++) {
		struct env e;
		struct put_batch b;
		size_t n = 100000;
		struct kv *all = calloc(n, sizeof *all);

		seed();
		env_open(&e);
		put_batch_init(&b, e.dbi, "test");
		for (size_t i = 0; i < n; i++) {
			draw_key(&all[i], shape);
			all[i].v = (uint32_t)i;
			cr_assert_eq(put_batch_add_ref(&b, all[i].k, all[i].kn, &all[i].v,
						       sizeof all[i].v), 0);
		}
		MDB_txn *t;
		cr_assert_eq(mdb_txn_begin(e.env, NULL, 0, &t), 0);
		cr_assert_eq(put_batch_flush(&b, t), 0);
		cr_assert_eq(mdb_txn_commit(t), 0);
		put_batch_free(&b);
		check(&e, all, n);
		env_close(&e);
		free(all);
	}
}
