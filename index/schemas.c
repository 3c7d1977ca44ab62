/*
 * schemas.c — schema apply events and the catalog history (see schemas.h).
 */
#include "index/schemas.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "grove.h"
#include "index/apply.h"
#include "index/pidx.h"
#include "index/records.h"
#include "lang/evolve.h"
#include "log/error.h"
#include "log/failpoint.h"

#define HIST_PREFIX "catalog@"
#define DROP_PREFIX "dropped@"
#define RECLAIM_PREFIX "reclaimed@"   /* a hard drop that took rows' history */
#define KEY_BYTES 40

uint64_t schemas_catalog_hash(const void *buf, size_t len)
{
	return XXH3_64bits(buf, len);
}

static void hist_key(char out[KEY_BYTES], uint64_t lsn)
{
	snprintf(out, KEY_BYTES, HIST_PREFIX "%020llu", (unsigned long long)lsn);
}

int schemas_exist(MDB_txn *txn, const struct views *v)
{
	MDB_val d;
	return meta_get(&d, txn, v, "catalog");
}

/* The newest history key at or before `lsn`: *since and its value. */
static int hist_seek(MDB_val *out, uint64_t *since, MDB_txn *txn, const struct views *v, uint64_t lsn)
{
	char key[KEY_BYTES];
	MDB_cursor *cur;
	size_t plen = strlen(HIST_PREFIX);
	int rc;

	/* Seek to the first key past `lsn` (':' sorts after every digit), or
	 * the end, then step back. */
	if (lsn == UINT64_MAX)
		snprintf(key, sizeof key, HIST_PREFIX ":");
	else
		hist_key(key, lsn + 1);
	MDB_val k = { strlen(key), key }, d;
	if ((rc = mdb_cursor_open(txn, v->meta, &cur)) != 0)
		return views_error(rc, "meta");
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	rc = mdb_cursor_get(cur, &k, &d, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
	if (rc == 0 && (k.mv_size != plen + 20 || memcmp(k.mv_data, HIST_PREFIX, plen) != 0))
		rc = MDB_NOTFOUND;
	if (rc == 0) {
		char digits[21];
		memcpy(digits, (const char *)k.mv_data + plen, 20);
		digits[20] = '\0';
		*since = strtoull(digits, NULL, 10);
		*out = d;
	}
	mdb_cursor_close(cur);
	return rc ? views_error(rc, "catalog history") : 0;
}

int schemas_catalog_at(MDB_val *out, uint64_t *since, MDB_txn *txn, const struct views *v, uint64_t lsn)
{
	return hist_seek(out, since, txn, v, lsn);
}

int schemas_generation(uint64_t *out, MDB_txn *txn, const struct views *v)
{
	MDB_val d;
	int err = hist_seek(&d, out, txn, v, UINT64_MAX);
	if (err == GROVE_ENOTFOUND) {
		*out = 0;
		return 0;
	}
	return err;
}

int schemas_dropped_at(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t id)
{
	char key[KEY_BYTES];
	snprintf(key, sizeof key, DROP_PREFIX "%010u", id);
	return meta_get_u64(out, txn, v, key);
}

int schemas_reclaimed_at(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t id)
{
	char key[KEY_BYTES];
	snprintf(key, sizeof key, RECLAIM_PREFIX "%010u", id);
	return meta_get_u64(out, txn, v, key);
}

/* Did type `id` ever hold a row version on main (a live row or a
 * tombstone: either is history)?  1, 0 or an error.  A schema apply runs
 * with main the only branch. */
static int held_rows(MDB_txn *txn, const struct views *v, uint32_t id)
{
	uint8_t want[8];
	MDB_cursor *cur;
	MDB_val k = { sizeof want, want }, d;
	layered_be32(want, MAIN_LAYER);
	layered_be32(want + 4, id);
	int rc = mdb_cursor_open(txn, v->rows, &cur);
	if (rc)
		return views_error(rc, "rows");
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	int held = rc == 0 && k.mv_size >= sizeof want && !memcmp(k.mv_data, want, sizeof want);
	mdb_cursor_close(cur);
	return rc && rc != MDB_NOTFOUND ? views_error(rc, "rows") : held;
}

/* The catalog the views hold now, decoded. */
static int current_catalog(struct lang_catalog **out, MDB_txn *txn, const struct views *v)
{
	struct lang_diag diag = LANG_DIAG_INIT;
	MDB_val d;
	int err = meta_get(&d, txn, v, "catalog");
	if (err < 0)
		return err;
	if (lang_catalog_decode(out, d.mv_data, d.mv_size, &diag) < 0)
		err = log_error(GROVE_ECORRUPT, "the views hold an undecodable catalog: %s",
				diag.message ? diag.message : "?");
	lang_diag_clear(&diag);
	return err;
}

int schemas_evolve(struct lang_catalog **out, void **enc, size_t *enc_len, const struct lang_catalog *old,
		   uint64_t lsn, const struct event *ev)
{
	struct lang_catalog *cat = NULL;
	struct lang_diag diag = LANG_DIAG_INIT;
	uint32_t *hard = NULL, n_hard;
	uint64_t want;
	void *bytes = NULL;
	size_t len = 0;
	int err = 0;

	*out = NULL;
	if (lang_plan_decode_header(&want, &hard, &n_hard, ev->steps.ptr, ev->steps.len) < 0)
		return log_error(GROVE_ECORRUPT, "the schema apply at LSN %llu carries no plan",
				 (unsigned long long)lsn);
	free(hard);
	if (lang_schema_evolve(&cat, NULL, old, (const char *)ev->schema_text.ptr, ev->schema_text.len,
			       0, &diag) < 0)
		err = log_error(GROVE_ECORRUPT, "the schema apply at LSN %llu does not evolve: %s",
				(unsigned long long)lsn, diag.message ? diag.message : "?");
	else if (lang_catalog_encode(&bytes, &len, cat) < 0)
		err = log_error(-ENOMEM, "cannot encode the catalog");
	else if (schemas_catalog_hash(bytes, len) != want)
		err = log_error(GROVE_ECORRUPT, "the schema apply at LSN %llu does not reproduce the "
				"catalog it was planned with", (unsigned long long)lsn);
	lang_diag_clear(&diag);
	if (err < 0 || !enc)
		free(bytes);
	if (err < 0) {
		lang_catalog_free(cat);
		return err;
	}
	if (enc) {
		*enc = bytes;
		*enc_len = len;
	}
	*out = cat;
	return 0;
}

/* Evolve the views' own catalog with the event: its encoding, and the
 * types the plan hard-drops. */
static int evolve(void **enc, size_t *enc_len, uint32_t **hard, uint32_t *n_hard,
		  struct lang_catalog **old, struct lang_catalog **cat, MDB_txn *txn,
		  const struct views *v, uint64_t lsn, const struct event *ev)
{
	uint64_t hash;
	int err;

	*old = *cat = NULL;
	if (lang_plan_decode_header(&hash, hard, n_hard, ev->steps.ptr, ev->steps.len) < 0)
		return log_error(GROVE_ECORRUPT, "the schema apply at LSN %llu carries no plan",
				 (unsigned long long)lsn);
	if ((err = current_catalog(old, txn, v)) == 0)
		err = schemas_evolve(cat, enc, enc_len, *old, lsn, ev);
	return err;
}

/* Main's layer: the only one a migration can find live. */
static int rebuild_indexes(MDB_txn *txn, struct views *v, const struct lang_catalog *old,
			   const struct lang_catalog *cat)
{
	struct branch_rec b;
	int err = branch_get(&b, txn, v, MAIN_BRANCH);
	return err < 0 ? err : pidx_rebuild(txn, v, b.layer, old, cat);
}

/* Record the catalog being replaced, once: a graph migrated for the first
 * time gets its genesis catalog as history entry 0. */
static int keep_first(MDB_txn *txn, const struct views *v)
{
	uint64_t gen;
	MDB_val d;
	char key[KEY_BYTES];
	int err = schemas_generation(&gen, txn, v);
	if (err < 0 || gen != 0)
		return err;
	if (hist_seek(&d, &gen, txn, v, 0) == 0)
		return 0;  /* entry 0 exists already */
	if ((err = meta_get(&d, txn, v, "catalog")) < 0)
		return err;
	/* A copy: LMDB's memory for d is only valid until the next put. */
	void *copy = malloc(d.mv_size ? d.mv_size : 1);
	if (!copy)
		return log_error(-ENOMEM, "out of memory");
	memcpy(copy, d.mv_data, d.mv_size);
	hist_key(key, 0);
	err = meta_put(txn, v, key, copy, d.mv_size);
	free(copy);
	return err;
}

static int mark_dropped(MDB_txn *txn, const struct views *v, uint64_t lsn, const uint32_t *ids,
			uint32_t n)
{
	char key[KEY_BYTES];
	int err = 0;
	for (uint32_t i = 0; i < n && !err; i++) {
		snprintf(key, sizeof key, DROP_PREFIX "%010u", ids[i]);
		if ((err = meta_put_u64(txn, v, key, lsn)) < 0 || (err = held_rows(txn, v, ids[i])) <= 0)
			continue;
		snprintf(key, sizeof key, RECLAIM_PREFIX "%010u", ids[i]);
		err = meta_put_u64(txn, v, key, lsn);
	}
	return err;
}

/* One commit on main whose parent is main's head; main's head moves. */
static int commit_on_main(MDB_txn *txn, const struct views *v, uint64_t lsn, const struct event *ev)
{
	struct branch_rec b;
	int err = branch_get(&b, txn, v, MAIN_BRANCH);
	if (err < 0)
		return err == GROVE_ENOTFOUND
			? log_error(GROVE_ECORRUPT, "the schema apply at LSN %llu finds no main branch",
				    (unsigned long long)lsn)
			: err;
	struct commit_rec c = { .id = ev->commit, .parent = b.head, .lsn = lsn, .time_us = ev->time_us,
				.version = b.version + 1, .layer = b.layer, .kind = ev->kind };
	snprintf(c.branch, sizeof c.branch, "%s", MAIN_BRANCH);
	snprintf(c.actor, sizeof c.actor, "%.*s", (int)(ev->actor.len < ACTOR_MAX ? ev->actor.len : ACTOR_MAX),
		 ev->actor.ptr ? (const char *)ev->actor.ptr : "");
	if ((err = commit_put(txn, v, &c)) < 0)
		return err;
	b.head = ev->commit;
	b.head_lsn = lsn;
	b.version++;
	return branch_put(txn, v, MAIN_BRANCH, &b);
}

int schemas_apply(MDB_txn *txn, struct views *v, uint64_t lsn, const struct event *ev)
{
	void *enc = NULL;
	size_t enc_len = 0;
	uint32_t *hard = NULL, n_hard = 0;
	struct lang_catalog *old, *cat;
	char key[KEY_BYTES];
	int err = evolve(&enc, &enc_len, &hard, &n_hard, &old, &cat, txn, v, lsn, ev);

	if (err == 0 && (err = keep_first(txn, v)) == 0) {
		hist_key(key, lsn);
		if ((err = meta_put(txn, v, "catalog", enc, enc_len)) == 0 &&
		    (err = meta_put(txn, v, key, enc, enc_len)) == 0 &&
		    (err = meta_put(txn, v, "schema", ev->schema_text.ptr, ev->schema_text.len)) == 0)
			err = mark_dropped(txn, v, lsn, hard, n_hard);
	}
	/* Index numbers are positions in the type's sets: a set added,
	 * dropped or moved renumbers them, and an added one covers the rows
	 * written before it too. */
	if (err == 0)
		err = rebuild_indexes(txn, v, old, cat);
	lang_catalog_free(cat);
	lang_catalog_free(old);
	FAILPOINT("schema_apply.views");
	if (err == 0)
		err = commit_on_main(txn, v, lsn, ev);
	free(hard);
	free(enc);
	return err;
}
