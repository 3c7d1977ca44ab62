/*
 * rebuild.c — grove_rebuild (throw the views away, replay the whole log)
 * and grove_verify (replay into a scratch directory and compare every view
 * with the live one, by checksum).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "engine/db.h"
#include "index/adjcache.h"
#include "index/chgrun.h"
#include "index/layered.h"
#include "log/error.h"
#include "replay/replay.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

int replay_rmtree(const char *path)
{
	if (access(path, F_OK) != 0)
		return 0;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -errno;
}

/* Old views being deleted on a thread of their own. */
struct discard {
	char *path;              /* where they were moved: "<vdir>.old" */
	pthread_t thread;
	bool started;
};

static void *discard_main(void *arg)
{
	struct discard *d = arg;
	(void)replay_rmtree(d->path); /* a failure leaves them for the next rebuild */
	return NULL;
}

/* Move the views at vdir aside (what a rebuild that died left aside is
 * deleted first); discard_run deletes them on a thread of its own. */
static int discard_start(struct discard *d, const char *vdir)
{
	int err;
	memset(d, 0, sizeof *d);
	if (!(d->path = malloc(strlen(vdir) + sizeof ".old")))
		return -ENOMEM;
	sprintf(d->path, "%s.old", vdir);
	if ((err = replay_rmtree(d->path)) < 0)
		return log_error(err, "cannot remove %s: %s", d->path, strerror(-err));
	if (rename(vdir, d->path) < 0 && errno != ENOENT)
		return log_error(-errno, "cannot move %s aside: %s", vdir, strerror(errno));
	return 0;
}

/* Delete what discard_start moved aside while the log is replayed: ext4
 * takes ~0.7 s to unlink 1 GiB, and they are gone before the new views
 * grow much.  Started only once the fresh views' SESSION is synced: the
 * unlink's journal traffic made that first fdatasync wait 0.10-0.20 s. */
static void discard_run(struct discard *d)
{
	if (!d->path || access(d->path, F_OK) != 0)
		return;
	if (!(d->started = pthread_create(&d->thread, NULL, discard_main, d) == 0))
		(void)replay_rmtree(d->path); /* a failure leaves them for the next rebuild */
}

static void discard_end(struct discard *d)
{
	if (d->started)
		pthread_join(d->thread, NULL);
	free(d->path);
}

/* Empty views at `vdir`, their SESSION "open". */
static int open_fresh(struct views **out, const char *vdir)
{
	int err;

	/* A file system that cannot hold the map-sized sparse file of a
	 * WRITEMAP environment gets the ordinary one. */
	if (views_open_rebuild(out, vdir) < 0 &&
	    ((err = replay_rmtree(vdir)) < 0 || (err = views_open(out, vdir, 0)) < 0))
		return err;
	/* Fresh views are written front to back, every page new: with huge
	 * pages a page-cache folio and its mapping cost one fault per 2 MiB,
	 * not 512 (a 1 GiB rebuild: 7.6 -> 5.3 s, sys 4.1 -> 1.8 s).  Closing
	 * drops those folios from the cache unless the graph asks for huge
	 * pages (engine/db.c close_views). */
	views_set_huge(*out, VIEWS_HUGE_ON);
	/* Before the first write: a power cut during the replay must leave
	 * views the next open rebuilds, not trusts (engine/db.c). */
	if ((err = db_session_write(vdir, "open", 0)) < 0) {
		views_close_sync(*out, VIEWS_CLOSE_NOSYNC);
		*out = NULL;
		return log_error(err, "cannot write %s/SESSION: %s", vdir, strerror(-err));
	}
	return 0;
}

static int replay_into(struct views **out, struct replay_stats *st, grove_db *db)
{
	struct lang_catalog *cat = NULL;
	int err = replay_log(st, *out, db->log, &cat);
	lang_catalog_free(cat);
	if (err < 0) {
		views_close_sync(*out, VIEWS_CLOSE_NOSYNC); /* SESSION "open": never trusted */
		*out = NULL;
	}
	return err;
}

/* Replay the whole log into fresh views at `vdir`. */
static int replay_fresh(struct views **out, struct replay_stats *st, grove_db *db,
			const char *vdir)
{
	struct discard d;
	int err = discard_start(&d, vdir);
	if (err == 0)
		err = open_fresh(out, vdir);
	discard_run(&d);
	if (err == 0)
		err = replay_into(out, st, db);
	discard_end(&d);
	return err;
}

int grove_rebuild(const char *dir, uint64_t *out_effects)
{
	struct replay_stats st;
	grove_db *db;
	char *vdir;
	int err;

	/* The old views are not opened: LMDB may refuse them (damage is what
	 * a rebuild is for), and they are thrown away unread. */
	if ((err = db_open_parts(&db, dir, NULL, false)) < 0)
		return err;
	if (!(vdir = db_path(dir, "views")))
		err = -ENOMEM;
	else
		err = replay_fresh(&db->views, &st, db, vdir);
	free(vdir);
	if (err < 0)
		db_error(NULL, err, "rebuild: %s", log_errmsg());
	else if (out_effects)
		*out_effects = st.effects;
	db_free(db);
	return err;
}

/* Meta keys that are bookkeeping, not content: where replay would
 * restart, and the adjacency write stamps (index/adjcache.h), which views
 * written before stamps existed start later than a fresh replay's. */
static bool bookkeeping(const MDB_val *k)
{
	static const char *const keys[] = { "replay_from", ADJC_STAMP_FROM, "adj_stamp/" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		size_t n = strlen(keys[i]);
		bool prefix = keys[i][n - 1] == '/';
		if ((prefix ? k->mv_size >= n : k->mv_size == n) && !memcmp(k->mv_data, keys[i], n))
			return true;
	}
	return false;
}

/* Hash one entry's length, key and value. */
static void hash_entry(XXH3_state_t *s, const void *k, size_t kn, const void *d, size_t dn)
{
	uint64_t lens[2] = { kn, dn };
	XXH3_64bits_update(s, lens, sizeof lens);
	XXH3_64bits_update(s, k, kn);
	XXH3_64bits_update(s, d, dn);
}

/* A changes entry hashed as the one-entity entries it stands for, without
 * the op no reader uses (chgrun.h), so that views written before runs
 * existed and a fresh replay's agree: where one event made an entity and
 * touched it again, the old views kept the last op, a run the first.
 * false: malformed. */
static bool hash_chg(XXH3_state_t *s, const MDB_val *k, const MDB_val *d)
{
	uint8_t key[CHG_KEY_BYTES];
	uint64_t first, count;
	uint32_t type;
	if (!chg_entry_read(k, d, &type, &first, &count))
		return false;
	memcpy(key, k->mv_data, sizeof key);
	for (uint64_t i = 0; i < count; i++) {
		layered_be64(key + 16, first + i);
		hash_entry(s, key, sizeof key, "", 0);
	}
	return true;
}

enum view_kind { VIEW_PLAIN, VIEW_META, VIEW_CHG };

/* XXH3 of every key and value of one database, in key order (of meta,
 * without its bookkeeping; of chg, runs as their entities). */
static int checksum(uint64_t *out, MDB_txn *txn, MDB_dbi dbi, enum view_kind kind)
{
	XXH3_state_t *s = XXH3_createState();
	MDB_cursor *cur;
	MDB_val k, d;
	int rc;

	if (!s)
		return -ENOMEM;
	XXH3_64bits_reset(s);
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0) {
		XXH3_freeState(s);
		return views_error(rc, "verify");
	}
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (kind == VIEW_META && bookkeeping(&k))
			continue;
		if (kind != VIEW_CHG)
			hash_entry(s, k.mv_data, k.mv_size, d.mv_data, d.mv_size);
		else if (!hash_chg(s, &k, &d))
			break;
	}
	mdb_cursor_close(cur);
	*out = XXH3_64bits_digest(s);
	XXH3_freeState(s);
	if (rc == 0)
		return log_error(GROVE_ECORRUPT, "verify: a malformed changes entry");
	return rc == MDB_NOTFOUND ? 0 : views_error(rc, "verify");
}

static int compare_views(grove_db *db, struct views *a, struct views *b)
{
	static const char *const names[] = { "meta", "branches", "layers", "commits", "ids",
					     "names", "rows", "adj", "pidx", "chg" };
	MDB_dbi da[] = { a->meta, a->branches, a->layers, a->commits, a->ids, a->names, a->rows,
			 a->adj, a->pidx, a->chg };
	MDB_dbi dbb[] = { b->meta, b->branches, b->layers, b->commits, b->ids, b->names, b->rows,
			  b->adj, b->pidx, b->chg };
	MDB_txn *ta, *tb;
	int err = 0;

	if ((err = views_read_begin(&ta, a)) < 0)
		return err;
	if ((err = views_read_begin(&tb, b)) < 0) {
		mdb_txn_abort(ta);
		return err;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0] && !err; i++) {
		uint64_t ha, hb;
		enum view_kind kind = i == 0 ? VIEW_META : da[i] == a->chg ? VIEW_CHG : VIEW_PLAIN;
		if ((err = checksum(&ha, ta, da[i], kind)) < 0 ||
		    (err = checksum(&hb, tb, dbb[i], kind)) < 0)
			break;
		if (ha != hb)
			err = db_error(db, GROVE_ECORRUPT,
				       "view '%s' differs from a fresh replay of the log "
				       "(%016llx vs %016llx); run grove rebuild", names[i],
				       (unsigned long long)ha, (unsigned long long)hb);
	}
	mdb_txn_abort(ta);
	mdb_txn_abort(tb);
	return err;
}

int grove_verify(const char *dir)
{
	struct replay_stats st;
	struct views *fresh = NULL;
	grove_db *db;
	char *vdir;
	int err;

	if ((err = grove_open(&db, dir, NULL)) < 0)
		return err;
	if (!(vdir = db_path(dir, "verify.views")))
		err = -ENOMEM;
	else if ((err = replay_fresh(&fresh, &st, db, vdir)) == 0)
		err = compare_views(db, db->views, fresh);
	if (err < 0 && !grove_errmsg(db)[0])
		db_error(db, err, NULL);
	if (err < 0)
		db_error(NULL, err, "%s", grove_errmsg(db));
	views_close_sync(fresh, VIEWS_CLOSE_NOSYNC);  /* deleted next */
	if (vdir)
		replay_rmtree(vdir);
	free(vdir);
	grove_close(db);
	return err;
}
