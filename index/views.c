/* views.c — the LMDB environment and its databases (see views.h). */
#include "index/views.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grove.h"
#include "index/adjcache.h"
#include "log/error.h"

#define VIEWS_MAX_DBS 16
#define VIEWS_DEFAULT_MAP (1ull << 40)
#define VIEWS_MIN_MAP     (4ull << 30)   /* the last size tried when less maps */

int views_error(int rc, const char *what)
{
	if (rc == MDB_NOTFOUND)
		return GROVE_ENOTFOUND;
	if (rc == MDB_MAP_FULL)
		return log_error(GROVE_ETOOBIG, "%s: the views' map is full (%s)", what,
				 mdb_strerror(rc));
	if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ||
	    rc == MDB_VERSION_MISMATCH)
		return log_error(GROVE_ECORRUPT, "%s: views are damaged (%s); run grove rebuild",
				 what, mdb_strerror(rc));
	if (rc > 0)
		return log_error(-rc, "%s: %s", what, mdb_strerror(rc));
	return log_error(GROVE_EINVAL, "%s: %s", what, mdb_strerror(rc));
}

static int open_dbs(struct views *v)
{
	static const char *const names[] = { "meta", "branches", "layers", "commits", "ids",
					     "names", "rows", "adj", "pidx", "chg" };
	MDB_dbi *dbis[] = { &v->meta, &v->branches, &v->layers, &v->commits, &v->ids,
			    &v->names, &v->rows, &v->adj, &v->pidx, &v->chg };
	MDB_txn *txn;
	int rc = mdb_txn_begin(v->env, NULL, 0, &txn);

	if (rc)
		return views_error(rc, "opening the views");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if ((rc = mdb_dbi_open(txn, names[i], MDB_CREATE, dbis[i])) != 0) {
			mdb_txn_abort(txn);
			return views_error(rc, names[i]);
		}
	rc = mdb_txn_commit(txn);
	return rc ? views_error(rc, "opening the views") : 0;
}

int views_stamp_init(struct views *v)
{
	uint64_t from, applied;
	MDB_txn *txn;
	int err = views_write_begin(&txn, v);
	if (err < 0)
		return err;
	if ((err = meta_get_u64(&from, txn, v, ADJC_STAMP_FROM)) < 0 || from ||
	    (err = meta_get_u64(&applied, txn, v, "applied_lsn")) < 0 ||
	    (err = meta_put_u64(txn, v, ADJC_STAMP_FROM, applied + 1)) < 0) {
		mdb_txn_abort(txn);
		return err;
	}
	int rc = mdb_txn_commit(txn);
	return rc ? views_error(rc, "stamping the views") : 0;
}

/* One attempt at the environment with a map of map_bytes: an LMDB code. */
static int env_try(MDB_env **env, const char *dir, uint64_t map_bytes, unsigned flags)
{
	int rc;
	if ((rc = mdb_env_create(env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(*env, VIEWS_MAX_DBS)) != 0 ||
	    (rc = mdb_env_set_mapsize(*env, map_bytes)) != 0 ||
	    (rc = mdb_env_set_maxreaders(*env, 1024)) != 0 ||
	    /* NOSYNC: the log is the durable truth; NOTLS: read transactions
	     * belong to snapshots, not threads. */
	    (rc = mdb_env_open(*env, dir, MDB_NOSYNC | MDB_NOTLS | MDB_NORDAHEAD | flags, 0644)) != 0) {
		if (*env)
			mdb_env_close(*env);
		*env = NULL;
	}
	return rc;
}

static int open_env(struct views **out, const char *dir, uint64_t map_bytes, unsigned flags)
{
	struct views *v = calloc(1, sizeof *v);
	int rc, err;

	if (!v)
		return log_error(-ENOMEM, "out of memory");
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		free(v);
		return log_error(-errno, "cannot create %s: %s", dir, strerror(errno));
	}
	/* The default map is 1 TiB of address space; where a process may not
	 * map that much (ulimit -v, ThreadSanitizer's layout) it gets the
	 * largest of 256, 64, 16 or 4 GiB that maps (never less than the
	 * data: LMDB keeps the map at least as large as the used pages). */
	uint64_t size = map_bytes ? map_bytes : VIEWS_DEFAULT_MAP;
	while ((rc = env_try(&v->env, dir, size, flags)) == ENOMEM && !map_bytes &&
	       size > VIEWS_MIN_MAP)
		size /= 4;
	if (rc) {
		err = views_error(rc, dir);
		free(v);
		return err;
	}
	if ((err = open_dbs(v)) < 0) {
		mdb_env_close(v->env);
		free(v);
		return err;
	}
	if ((err = adjc_open(&v->adjc, v)) < 0) {
		mdb_env_close(v->env);
		free(v);
		return err;
	}
	v->writemap = (flags & MDB_WRITEMAP) != 0;
	views_huge_init(v);
	pthread_mutex_init(&v->idle_mu, NULL);
	id_spare_init(&v->ids_spare);
	*out = v;
	return 0;
}

/* WRITEMAP for the live views too: an apply's commit then writes its
 * pages in the map instead of pwrite()ing each one (a small mutation's
 * apply: ~57 us -> ~37 us).  Same reasoning as views_open_rebuild. */
int views_open(struct views **out, const char *dir, uint64_t map_bytes)
{
	return open_env(out, dir, map_bytes, MDB_WRITEMAP);
}

int views_open_rebuild(struct views **out, const char *dir)
{
	/* WRITEMAP: pages are written in the map itself, so a commit copies
	 * nothing and a read of a dirty page needs no search of the dirty
	 * list.  LMDB then sizes the file to the whole map (sparse);
	 * views_close cuts it back.  Safe here because this process alone
	 * has the graph open (DIR/LOCK), so no process maps these views
	 * without WRITEMAP at the same time (lmdb.h). */
	return open_env(out, dir, 0, MDB_WRITEMAP);
}

static uint64_t used_bytes(MDB_env *env)
{
	MDB_envinfo info;
	MDB_stat st;
	if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0)
		return 0;
	return (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
}

void views_apply_cache_free(struct views *v);

/* The file's own descriptor, opened while the environment still holds it
 * (so a writeback error that comes later is reported to it), or -1. */
static int open_file(MDB_env *env)
{
	const char *dir = NULL;
	if (mdb_env_get_path(env, &dir) != 0 || !dir)
		return -1;
	char *file = malloc(strlen(dir) + sizeof "/data.mdb");
	if (!file)
		return -1;
	strcpy(file, dir);
	strcat(file, "/data.mdb");
	int fd = open(file, O_RDWR | O_CLOEXEC);
	free(file);
	return fd;
}

/* Why the map is gone before the file is synced: writing back a page that
 * a process maps writable first write-protects its entry in every page
 * table and flushes it from every CPU's TLB, page by page (under msync
 * and sync_file_range alike).  Where an IPI is dear (a virtual machine),
 * that was ~1.3 s of the 6 s rebuild of a 1 GiB graph.  munmap drops the
 * whole map at once; the dirty pages stay in the page cache, and
 * fdatasync then writes them with nothing mapped. */
int views_close_sync(struct views *v, unsigned flags)
{
	if (!v)
		return 0;
	views_apply_cache_free(v);
	id_spare_free(&v->ids_spare);
	adjc_close(v->adjc);  /* its builder reads: before the reads end */
	while (v->n_idle)
		mdb_txn_abort(v->idle[--v->n_idle]);
	pthread_mutex_destroy(&v->idle_mu);
	bool sync = !(flags & VIEWS_CLOSE_NOSYNC);
	int err = 0, fd = open_file(v->env), rc;
	/* Without a descriptor of our own, the old way. */
	if (sync && fd < 0 && (rc = mdb_env_sync(v->env, 1)) != 0)
		err = views_error(rc, "syncing the views");
	/* A WRITEMAP environment's file is as long as its map: cut it to the
	 * pages in use (the length a non-WRITEMAP environment's file would
	 * have; populated pages past them are zeros).  Best effort: a longer
	 * file is only a sparse tail. */
	uint64_t used = v->writemap ? used_bytes(v->env) : 0;
	mdb_env_close(v->env);
	if (fd >= 0) {
		if (used && ftruncate(fd, (off_t)used) != 0)
			(void)0;
		if (sync && fdatasync(fd) != 0)
			err = log_error(-errno, "syncing the views: %s", strerror(errno));
		/* Written pages are clean now, unmapped: the cache drops them. */
		if (!err && (flags & VIEWS_CLOSE_UNCACHE))
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	free(v);
	return err;
}

void views_close(struct views *v)
{
	(void)views_close_sync(v, 0);
}

void views_writeback_start(struct views *v)
{
	int fd;
	if (mdb_env_get_fd(v->env, &fd) == 0)
		(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

int views_read_begin(MDB_txn **out, struct views *v)
{
	MDB_txn *txn = NULL;
	pthread_mutex_lock(&v->idle_mu);
	if (v->n_idle)
		txn = v->idle[--v->n_idle];
	pthread_mutex_unlock(&v->idle_mu);
	if (txn && mdb_txn_renew(txn) == 0) {
		*out = txn;
		return 0;
	}
	if (txn)
		mdb_txn_abort(txn);
	int rc = mdb_txn_begin(v->env, NULL, MDB_RDONLY, out);
	return rc ? views_error(rc, "beginning a read") : 0;
}

void views_read_end(struct views *v, MDB_txn *txn)
{
	mdb_txn_reset(txn);
	pthread_mutex_lock(&v->idle_mu);
	bool kept = v->n_idle < VIEWS_IDLE_READS;
	if (kept)
		v->idle[v->n_idle++] = txn;
	pthread_mutex_unlock(&v->idle_mu);
	if (!kept)
		mdb_txn_abort(txn);
}

int views_write_begin(MDB_txn **out, struct views *v)
{
	int rc = mdb_txn_begin(v->env, NULL, 0, out);
	return rc ? views_error(rc, "beginning a write") : 0;
}

int meta_get(MDB_val *out, MDB_txn *txn, const struct views *v, const char *key)
{
	MDB_val k = { strlen(key), (void *)key };
	int rc = mdb_get(txn, v->meta, &k, out);
	return rc ? views_error(rc, key) : 0;
}

int meta_put(MDB_txn *txn, const struct views *v, const char *key, const void *p, size_t n)
{
	MDB_val k = { strlen(key), (void *)key }, d = { n, (void *)p };
	int rc = mdb_put(txn, v->meta, &k, &d, 0);
	return rc ? views_error(rc, key) : 0;
}

int meta_get_u64(uint64_t *out, MDB_txn *txn, const struct views *v, const char *key)
{
	MDB_val d;
	int err = meta_get(&d, txn, v, key);
	if (err == GROVE_ENOTFOUND) {
		*out = 0;
		return 0;
	}
	if (err < 0)
		return err;
	if (d.mv_size != sizeof *out)
		return log_error(GROVE_ECORRUPT, "views meta %s has %zu bytes", key, d.mv_size);
	memcpy(out, d.mv_data, sizeof *out);
	return 0;
}

int meta_put_u64(MDB_txn *txn, const struct views *v, const char *key, uint64_t val)
{
	return meta_put(txn, v, key, &val, sizeof val);
}
