/*
 * open.c — the public entry points that bring a graph to life: init, open
 * (with recovery), close, rebuild.  They live in replay/ because opening
 * *is* replaying: the views are brought up to the log before the handle
 * serves anything.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/db.h"
#include "index/apply.h"
#include "lang/catalog.h"
#include "log/error.h"
#include "log/event.h"
#include "replay/replay.h"

static int recover(grove_db *db)
{
	struct replay_stats st;
	struct lang_catalog *cat = NULL;
	int err;

	if ((err = replay_load_catalog(&cat, db->views)) < 0)
		return db_error(db, err, NULL);
	err = replay_log(&st, db->views, db->log, &cat);
	if (err < 0) {
		lang_catalog_free(cat);
		return db_error(db, err, NULL);
	}
	if (!cat)
		return db_error(db, GROVE_ECORRUPT,
				"%s: the log holds no schema (a graph whose init never finished)",
				db->dir);
	db_set_catalog(db, cat);
	seq_init(&db->seq, log_last_lsn(db->log));
	return 0;
}

/* The graphs open in this process, by directory identity. */
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static grove_db *registry;

int grove_open(grove_db **out, const char *dir, const grove_options *opts)
{
	struct stat st;
	grove_db *db;
	int err;

	*out = NULL;
	if ((err = db_options_check(opts)) < 0)   /* also for a second handle */
		return err;
	if (stat(dir, &st) < 0)
		return db_error(NULL, errno == ENOENT ? GROVE_ENOTFOUND : -errno,
				"%s is not a Grove graph: %s", dir, strerror(errno));
	pthread_mutex_lock(&registry_mu);
	for (db = registry; db && (db->dev != st.st_dev || db->ino != st.st_ino); db = db->next_open)
		;
	if (db) {
		db->refs++; /* another handle on a graph this process has open */
		pthread_mutex_unlock(&registry_mu);
		*out = db;
		return 0;
	}
	if ((err = db_open_parts(&db, dir, opts, true)) == 0 && (err = recover(db)) < 0) {
		db_error(NULL, err, "%s", grove_errmsg(db));
		db_free(db);
	}
	if (!err) {
		db->refs = 1;
		db->dev = st.st_dev;
		db->ino = st.st_ino;
		db->next_open = registry;
		registry = db;
		*out = db;
	}
	pthread_mutex_unlock(&registry_mu);
	return err;
}

void grove_close(grove_db *db)
{
	grove_db **pp;
	if (!db)
		return;
	pthread_mutex_lock(&registry_mu);
	if (--db->refs > 0) {
		pthread_mutex_unlock(&registry_mu);
		return;
	}
	for (pp = &registry; *pp && *pp != db; pp = &(*pp)->next_open)
		;
	if (*pp)
		*pp = db->next_open;
	/* Freed under the registry's lock, as opens are made under it: an
	 * open of the same graph racing this close waits for the graph's
	 * lock file to be released, instead of finding it held and refusing
	 * with GROVE_ELOCKED, "open in another process". */
	db_free(db);
	pthread_mutex_unlock(&registry_mu);
}

/* The genesis event: the schema and the first commit on main. */
static int genesis_event(uint8_t **buf, size_t *len, const char *schema)
{
	struct event ev = { .kind = EVENT_SCHEMA_APPLY };
	struct timespec ts;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev.time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if ((err = commit_id_new(&ev.commit, (uint64_t)ev.time_us / 1000)) < 0)
		return err;
	ev.branch = event_str(MAIN_BRANCH);
	ev.schema_text = event_str(schema);
	ev.op_text = event_str("init");
	return event_encode(buf, len, &ev);
}

/* Log the genesis event durably into a fresh log under `dir`. */
static int write_genesis(const char *dir, const char *schema, const grove_options *opts)
{
	struct log_options lo;
	struct log *log;
	char *logdir = db_path(dir, "log");
	uint8_t *buf = NULL;
	size_t len;
	int err;

	if (!logdir)
		return -ENOMEM;
	db_log_options(&lo, opts);
	bool existed = access(logdir, F_OK) == 0;
	if ((err = log_create(logdir, &lo)) == 0 && (err = log_open(&log, logdir, &lo, NULL)) == 0) {
		if ((err = genesis_event(&buf, &len, schema)) == 0)
			err = log_append(log, NULL, EVENT_SCHEMA_APPLY, buf, (uint32_t)len,
					 LOG_WAIT_DURABLE);
		int cerr = log_close(log);
		err = err ? err : cerr;
	}
	/* A log without its genesis (options the log refused, a schema too
	 * big for a record) would make the directory neither a graph nor
	 * free for another init: removed, so that init can be run again. */
	if (!existed && err < 0)
		(void)replay_rmtree(logdir);
	free(buf);
	free(logdir);
	return err;
}

static int check_schema(const char *schema)
{
	struct lang_catalog *cat = NULL;
	struct lang_diag diag = LANG_DIAG_INIT;
	if (lang_catalog_from_text(&cat, schema, strlen(schema), &diag) < 0) {
		db_error(NULL, GROVE_EPARSE, "%s", diag.message ? diag.message : "invalid schema");
		lang_diag_clear(&diag);
		return GROVE_EPARSE;
	}
	lang_catalog_free(cat);
	return 0;
}

int grove_init(grove_db **out, const char *dir, const char *schema, const grove_options *opts)
{
	char *fmt;
	int err;

	*out = NULL;
	/* Everything refusable before anything is written. */
	if ((err = db_options_check(opts)) < 0)
		return err;
	if (!schema)
		return db_error(NULL, GROVE_EINVAL, "init needs a schema");
	if ((err = check_schema(schema)) < 0)
		return err;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return db_error(NULL, -errno, "cannot create %s: %s", dir, strerror(errno));
	if (!(fmt = db_path(dir, "GROVE")))
		return db_error(NULL, -ENOMEM, "out of memory");
	err = access(fmt, F_OK) == 0;
	free(fmt);
	if (err)
		return db_error(NULL, GROVE_EEXISTS, "graph already initialized at '%s': it already holds "
				"a graph", dir);
	if ((err = write_genesis(dir, schema, opts)) == -EEXIST)
		return db_error(NULL, GROVE_EEXISTS, "graph already initialized or initialization "
				"metadata exists at '%s': it has a log/ directory already", dir);
	if (err < 0)
		return db_error(NULL, err, "%s: cannot start the log: %s", dir, log_errmsg());
	/* GROVE is written last: a directory without it is not a graph, so a
	 * crash during init leaves nothing that open would accept. */
	if ((err = db_write_format_file(dir)) < 0) {
		char *logdir = db_path(dir, "log");   /* a log without GROVE: not a graph */
		if (logdir)
			(void)replay_rmtree(logdir);
		free(logdir);
		return db_error(NULL, err, "cannot write %s/GROVE: %s", dir, strerror(-err));
	}
	return grove_open(out, dir, opts);
}
