/*
 * db.c — the parts of an open graph directory.
 *
 *   DIR/GROVE   the format name and version ("GROVE 1\n"); open refuses a
 *               directory without it or with a version it does not know.
 *               Written last by init, so a half-made graph is never opened.
 *   DIR/LOCK    flock()ed by the one process that has the graph open
 *   DIR/log/    the operation log (log/)
 *   DIR/views/  the LMDB views (index/), derived from the log
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/chg.h"
#include "engine/db.h"
#include "engine/feed_chain.h"
#include "engine/prepared.h"
#include "engine/schema_hist.h"
#include "index/adjcache.h"
#include "log/error.h"

static void close_views(grove_db *db, uint64_t acked);

void db_log_options(struct log_options *out, const grove_options *opts)
{
	memset(out, 0, sizeof *out);
	if (!opts)
		return;
	out->segment_bytes = opts->log_segment_bytes;
	out->max_record_bytes = opts->log_max_record_bytes;
	out->max_batch_bytes = opts->log_max_batch_bytes;
	out->max_waiters = opts->log_max_waiters;
	out->backend = opts->log_backend;
}

char *db_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int db_write_format_file(const char *dir)
{
	char *tmp = db_path(dir, "GROVE.tmp"), *dst = db_path(dir, "GROVE");
	char text[64];
	int fd = -1, err = -ENOMEM, n;

	if (!tmp || !dst)
		goto out;
	n = snprintf(text, sizeof text, "%s %d\n", GROVE_FORMAT_NAME, GROVE_FORMAT_VERSION);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) < 0 ||
	    rename(tmp, dst) < 0) {
		err = -errno;
		goto out;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = dfd >= 0 && fsync(dfd) == 0 ? 0 : -errno;
	if (dfd >= 0)
		close(dfd);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(dst);
	return err;
}

static int check_format_file(grove_db *db)
{
	char *path = db_path(db->dir, "GROVE"), text[64] = { 0 };
	int version = 0, fd;
	ssize_t n;

	if (!path)
		return db_error(db, -ENOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return db_error(db, errno == ENOENT ? GROVE_ENOTFOUND : -errno,
				"%s is not a Grove graph (no GROVE file)", db->dir);
	n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n < 0 || sscanf(text, "GROVE %d", &version) != 1)
		return db_error(db, GROVE_ECORRUPT, "%s/GROVE: not a Grove format file", db->dir);
	if (version != GROVE_FORMAT_VERSION)
		return db_error(db, GROVE_EVERSION,
				"%s/GROVE: format version %d; this Grove reads version %d",
				db->dir, version, GROVE_FORMAT_VERSION);
	return 0;
}

static int take_lock(grove_db *db)
{
	char *path = db_path(db->dir, "LOCK");
	if (!path)
		return db_error(db, -ENOMEM, "out of memory");
	db->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(path);
	if (db->lock_fd < 0)
		return db_error(db, -errno, "cannot open %s/LOCK: %s", db->dir, strerror(errno));
	if (flock(db->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return db_error(db, errno == EWOULDBLOCK ? GROVE_ELOCKED : -errno,
				"%s is open in another process", db->dir);
	return 0;
}

void db_free(grove_db *db)
{
	if (!db)
		return;
	/* No writer is left, so every acknowledged record is durable. */
	uint64_t acked = db->log ? log_durable_lsn(db->log) : 0;
	if (db->log)
		log_close(db->log);
	close_views(db, acked);
	prepared_cache_free(db->prepared); /* before the catalogs it was built on */
	chg_cache_free(db);                 /* the same */
	pthread_mutex_destroy(&db->chg_mu);
	feed_chain_free(db);
	pthread_mutex_destroy(&db->feed_mu);
	lang_catalog_free(db->cat);
	schema_hist_free(db->hist);
	seq_destroy(&db->seq);
	pthread_mutex_destroy(&db->ns_mu);
	pthread_rwlock_destroy(&db->locks_rw);
	newest_free(db);
	pthread_mutex_destroy(&db->newest_mu);
	engine_validators_free(db);
	pthread_mutex_destroy(&db->validators_mu);
	db_branch_locks_free(db);
	if (db->lock_fd >= 0)
		close(db->lock_fd); /* releases the flock */
	free(db->dir);
	free(db);
}

static grove_db *db_new(const char *dir, const grove_options *opts)
{
	static _Atomic uint64_t serials;
	grove_db *db = calloc(1, sizeof *db);
	if (!db)
		return NULL;
	db->serial = atomic_fetch_add(&serials, 1) + 1;
	db->lock_fd = -1;
	pthread_mutex_init(&db->ns_mu, NULL);
	pthread_rwlock_init(&db->locks_rw, NULL);
	db_branch_locks_init();
	pthread_mutex_init(&db->newest_mu, NULL);
	pthread_mutex_init(&db->chg_mu, NULL);
	pthread_mutex_init(&db->feed_mu, NULL);
	pthread_mutex_init(&db->validators_mu, NULL);
	seq_init(&db->seq, 0);
	if (!(db->dir = strdup(dir)) || schema_hist_new(&db->hist) < 0) {
		db_free(db);
		return NULL;
	}
	/* An older caller's struct ends before the fields it lacks. */
	if (opts)
		memcpy(&db->opts, opts, opts->version < 3 ? offsetof(grove_options, adj_cache_bytes)
							  : sizeof *opts);
	if (opts && opts->version < 2)
		db->opts.views_huge_pages = GROVE_HUGE_PAGES_AUTO;
	return db;
}

/* vdir/SESSION, "<boot id> <state> [<acked LSN>]": the fields read (-1:
 * no file). */
static int session_read(const char *vdir, char was[64], char state[16], unsigned long long *lsn)
{
	char *path = db_path(vdir, "SESSION"), text[160] = "";
	FILE *f = path ? fopen(path, "r") : NULL;
	free(path);
	if (!f)
		return -1;
	if (!fgets(text, sizeof text, f))
		text[0] = '\0';
	fclose(f);
	int n = sscanf(text, "%63s %15s %llu", was, state, lsn);
	return n < 0 ? 0 : n;
}

/* The LSN views/SESSION says every record up to was on disk when the
 * graph was last closed cleanly, or 0 (open, absent, or written before
 * SESSION carried it). */
static uint64_t closed_acked_lsn(const char *dir)
{
	char *vdir = db_path(dir, "views"), was[64], state[16];
	unsigned long long lsn = 0;
	int n = vdir ? session_read(vdir, was, state, &lsn) : -1;
	free(vdir);
	return n == 3 && (!strcmp(state, "closed") || !strcmp(state, "unsynced")) ? (uint64_t)lsn : 0;
}

static int open_log(grove_db *db)
{
	struct log_options lo;
	struct log_recovery rep;
	char *logdir = db_path(db->dir, "log");
	int err;

	if (!logdir)
		return db_error(db, -ENOMEM, "out of memory");
	db_log_options(&lo, &db->opts);
	lo.acked_lsn = closed_acked_lsn(db->dir);
	err = log_open(&db->log, logdir, &lo, &rep);
	free(logdir);
	if (err < 0)
		return db_error(db, err, NULL);
	db->recovery = (grove_recovery_report){ rep.last_lsn, rep.truncated_bytes,
						rep.truncated_lsn, rep.truncated_offset, "" };
	snprintf(db->recovery.segment, sizeof db->recovery.segment, "%s", rep.segment);
	return 0;
}

/* The views are LMDB with MDB_NOSYNC: after a process crash every view
 * transaction is in the page cache and survives; after an OS crash or
 * power cut, LMDB pages may be lost or torn.  views/SESSION remembers the
 * boot that last opened the views and whether it closed them cleanly; a
 * graph left open by an earlier boot has its views rebuilt from the log. */
static void boot_id(char out[64])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (!f || !fgets(out, 64, f))
		snprintf(out, 64, "unknown");
	if (f)
		fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

int db_session_write(const char *vdir, const char *state, uint64_t acked_lsn)
{
	char *path = db_path(vdir, "SESSION"), id[64], text[160];
	int fd, n, err = 0;
	if (!path)
		return -ENOMEM;
	boot_id(id);
	n = acked_lsn ? snprintf(text, sizeof text, "%s %s %llu\n", id, state,
				 (unsigned long long)acked_lsn)
		      : snprintf(text, sizeof text, "%s %s\n", id, state);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fdatasync(fd) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(path);
	return err;
}

/* 1 if the views may have lost or torn pages: left open by an earlier
 * boot (an OS crash), or by a boot this machine cannot name (no boot id:
 * an OS crash cannot be ruled out), closed after a failed sync (the
 * kernel may have dropped pages it could not write), or present without
 * any SESSION (it is written before the views' first write, so its
 * absence means an open or a rebuild died before it could say). */
static int views_untrusted(const char *vdir)
{
	char id[64], was[64], state[16];
	unsigned long long lsn;
	int n = session_read(vdir, was, state, &lsn);
	if (n < 0) {
		char *data = db_path(vdir, "data.mdb");
		int exists = data && access(data, F_OK) == 0;
		free(data);
		return exists;
	}
	if (n < 2 || !strcmp(state, "unsynced"))
		return 1;
	if (!strcmp(state, "closed"))
		return 0;
	boot_id(id);
	return strcmp(was, id) != 0 || !strcmp(id, "unknown");
}

static int remove_views(const char *vdir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb", "SESSION" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char *p = db_path(vdir, files[i]);
		int bad = !p || (unlink(p) < 0 && errno != ENOENT);
		free(p);
		if (bad)
			return -errno;
	}
	return 0;
}

/* 1 if the views hold an LSN the log does not: the process died after an
 * apply whose record had not reached the log file yet (a write is applied
 * while its fsync is in flight; sequencer.h).  Such views cannot be
 * trusted and are rebuilt; the write was never acknowledged. */
static int views_ahead(struct views *v, struct log *log)
{
	uint64_t applied = 0;
	MDB_txn *txn;
	int err = views_read_begin(&txn, v);
	if (err < 0)
		return err;
	err = meta_get_u64(&applied, txn, v, "applied_lsn");
	mdb_txn_abort(txn);
	return err < 0 ? err : applied > log_last_lsn(log);
}

/* The options that shape the views (their page size, their adjacency
 * copies' memory). */
static void views_tune(grove_db *db)
{
	uint64_t adj = db->opts.adj_cache_bytes;
	views_set_huge(db->views, db->opts.views_huge_pages);
	adjc_set_budget(db->views->adjc, adj == GROVE_ADJ_CACHE_NONE ? 0
					  : adj ? adj : ADJC_DEFAULT_BYTES);
}

static int open_views(grove_db *db)
{
	char *vdir = db_path(db->dir, "views");
	int err = 0;
	if (!vdir)
		return db_error(db, -ENOMEM, "out of memory");
	if (mkdir(vdir, 0755) < 0 && errno != EEXIST)
		err = db_error(db, -errno, "cannot create %s: %s", vdir, strerror(errno));
	if (!err && views_untrusted(vdir) && (err = remove_views(vdir)) < 0)
		db_error(db, err, "cannot remove untrusted views in %s", vdir);
	if (!err && (err = views_open(&db->views, vdir, 0)) < 0)
		db_error(db, err, NULL);
	else if (!err)
		views_tune(db);
	if (!err && (err = views_ahead(db->views, db->log)) < 0) {
		db_error(db, err, NULL);
	} else if (err > 0) {
		views_close(db->views);
		db->views = NULL;
		if ((err = remove_views(vdir)) < 0)
			db_error(db, err, "cannot remove views that are ahead of the log in %s", vdir);
		else if ((err = views_open(&db->views, vdir, 0)) < 0)
			db_error(db, err, NULL);
		else
			views_tune(db);
	}
	if (!err && (err = db_session_write(vdir, "open", 0)) < 0)
		db_error(db, err, "cannot write %s/SESSION", vdir);
	else if (!err && (err = views_stamp_init(db->views)) < 0)
		db_error(db, err, NULL);  /* after "open": it writes the views */
	free(vdir);
	return err;
}

/* `acked`: the log's durable LSN when it closed (every acknowledged
 * record): "closed" carries it, for the next open's log (open_log). */
static void close_views(grove_db *db, uint64_t acked)
{
	char *vdir;
	if (!db->views)
		return;
	/* "closed" promises the file is complete on disk.  Views written with
	 * huge pages (a rebuild's) leave the cache unless the graph wants
	 * huge pages (views_huge.c). */
	unsigned flags = db->views->huge && db->opts.views_huge_pages != GROVE_HUGE_PAGES_ON
		? VIEWS_CLOSE_UNCACHE : 0;
	int synced = views_close_sync(db->views, flags) == 0;
	db->views = NULL;
	/* A failed sync: pages the kernel could not write may be gone even
	 * from its cache, so not even this boot may trust the file. */
	if ((vdir = db_path(db->dir, "views"))) {
		db_session_write(vdir, synced ? "closed" : "unsynced", acked);
		free(vdir);
	}
}

_Static_assert(GROVE_HUGE_PAGES_AUTO == VIEWS_HUGE_AUTO && GROVE_HUGE_PAGES_OFF == VIEWS_HUGE_OFF &&
	       GROVE_HUGE_PAGES_ON == VIEWS_HUGE_ON, "huge page modes");

/* Version 1 had no views_huge_pages: its bytes are a version-1 caller's
 * padding, never read (db_new); version 2 had no adj_cache_bytes. */
int db_options_check(const grove_options *opts)
{
	if (opts && (opts->version < 1 || opts->version > GROVE_OPTIONS_VERSION))
		return db_error(NULL, GROVE_EINVAL, "grove_options.version %u is not 1 to %u",
				opts->version, GROVE_OPTIONS_VERSION);
	if (opts && opts->version >= 2 && (opts->views_huge_pages < GROVE_HUGE_PAGES_AUTO ||
					   opts->views_huge_pages > GROVE_HUGE_PAGES_ON))
		return db_error(NULL, GROVE_EINVAL, "grove_options.views_huge_pages %d is not one of "
				"GROVE_HUGE_PAGES_AUTO, _OFF, _ON", opts->views_huge_pages);
	return 0;
}

int db_open_parts(grove_db **out, const char *dir, const grove_options *opts, bool views)
{
	grove_db *db;
	int err;

	*out = NULL;
	if ((err = db_options_check(opts)) < 0)
		return err;
	if (!(db = db_new(dir, opts)))
		return db_error(NULL, -ENOMEM, "out of memory");
	if ((err = check_format_file(db)) < 0 || (err = take_lock(db)) < 0 ||
	    (err = open_log(db)) < 0 || (views && (err = open_views(db)) < 0)) {
		db_error(NULL, err, "%s", grove_errmsg(db));
		db_free(db);
		return err;
	}
	*out = db;
	return 0;
}

void db_set_catalog(grove_db *db, struct lang_catalog *cat)
{
	lang_catalog_free(db->cat);
	db->cat = cat;
}

int db_writer_settle(grove_db *db, int err)
{
	if (err == GROVE_EPOISONED)
		return err; /* the write failed past the log: keep its reason */
	int ferr = seq_read_fence(db);
	return ferr < 0 ? ferr : err;
}

int db_read_begin(MDB_txn **txn, grove_db *db)
{
	int err = views_read_begin(txn, db->views);
	if (err < 0)
		return db_error(db, err, NULL);
	if ((err = seq_read_fence(db)) < 0) {
		mdb_txn_abort(*txn);
		*txn = NULL;
	}
	return err;
}

void grove_recovery_report_get(grove_recovery_report *out, const grove_db *db)
{
	*out = db->recovery;
}
