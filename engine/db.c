/*
 * db.c — creating, opening and closing a graph directory.
 *
 *   DIR/GROVE   the format name and version ("GROVE 1\n"); open refuses a
 *               directory without it or with a version it does not know
 *   DIR/LOCK    flock()ed by the one process that has the graph open
 *   DIR/log/    the operation log (log/)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/db.h"
#include "log/error.h"

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

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Write DIR/GROVE durably (write a temp file, fsync, rename, fsync dir). */
static int write_format_file(const char *dir)
{
	char *tmp = path_join(dir, "GROVE.tmp"), *dst = path_join(dir, "GROVE");
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
	char *path = path_join(db->dir, "GROVE"), text[64] = { 0 };
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
	char *path = path_join(db->dir, "LOCK");
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

static void db_free(grove_db *db)
{
	if (db->lock_fd >= 0)
		close(db->lock_fd); /* releases the flock */
	free(db->dir);
	free(db);
}

static grove_db *db_new(const char *dir, const grove_options *opts)
{
	grove_db *db = calloc(1, sizeof *db);
	if (!db)
		return NULL;
	db->lock_fd = -1;
	if (!(db->dir = strdup(dir))) {
		free(db);
		return NULL;
	}
	if (opts)
		db->opts = *opts;
	return db;
}

int grove_open(grove_db **out, const char *dir, const grove_options *opts)
{
	struct log_options lo;
	struct log_recovery rep;
	grove_db *db;
	char *logdir;
	int err;

	*out = NULL;
	if (opts && opts->version != GROVE_OPTIONS_VERSION)
		return GROVE_EINVAL;
	if (!(db = db_new(dir, opts)))
		return -ENOMEM;
	if ((err = check_format_file(db)) < 0 || (err = take_lock(db)) < 0)
		goto fail;
	if (!(logdir = path_join(dir, "log"))) {
		err = db_error(db, -ENOMEM, "out of memory");
		goto fail;
	}
	db_log_options(&lo, opts);
	err = log_open(&db->log, logdir, &lo, &rep);
	free(logdir);
	if (err < 0) {
		db_error(db, err, NULL);
		goto fail;
	}
	db->recovery = (grove_recovery_report){ rep.last_lsn, rep.truncated_bytes,
						rep.truncated_lsn, rep.truncated_offset, "" };
	snprintf(db->recovery.segment, sizeof db->recovery.segment, "%s", rep.segment);
	*out = db;
	return 0;
fail:
	/* Keep the message readable through grove_errmsg(NULL). */
	db_error(NULL, err, "%s", grove_errmsg(db));
	db_free(db);
	return err;
}

int grove_init(grove_db **out, const char *dir, const grove_options *opts)
{
	struct log_options lo;
	char *logdir, *fmt;
	int err;

	*out = NULL;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return db_error(NULL, -errno, "cannot create %s: %s", dir, strerror(errno));
	if (!(fmt = path_join(dir, "GROVE")) || !(logdir = path_join(dir, "log"))) {
		free(fmt);
		return db_error(NULL, -ENOMEM, "out of memory");
	}
	err = access(fmt, F_OK) == 0
		? db_error(NULL, GROVE_EEXISTS, "%s already holds a graph", dir) : 0;
	free(fmt);
	db_log_options(&lo, opts);
	if (!err && (err = log_create(logdir, &lo)) < 0)
		db_error(NULL, err, err == -EEXIST ? "%s is not empty (it has a log/ directory)" : "%s",
			 err == -EEXIST ? dir : log_errmsg());
	free(logdir);
	/* GROVE is written last: a directory without it is not a graph, so a
	 * crash during init leaves nothing that open would accept. */
	if (!err && (err = write_format_file(dir)) < 0)
		db_error(NULL, err, "cannot write %s/GROVE: %s", dir, strerror(-err));
	return err < 0 ? err : grove_open(out, dir, opts);
}

void grove_close(grove_db *db)
{
	if (!db)
		return;
	log_close(db->log);
	db_free(db);
}

void grove_recovery_report_get(grove_recovery_report *out, const grove_db *db)
{
	*out = db->recovery;
}
