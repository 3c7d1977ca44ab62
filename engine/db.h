/*
 * db.h — the grove_db handle, shared by the files of engine/ and by the
 * layers below it (replay/).  Private to the library.
 */
#ifndef GROVE_ENGINE_DB_H
#define GROVE_ENGINE_DB_H

#include "grove.h"
#include "log/log.h"

#define GROVE_FORMAT_NAME    "GROVE"
#define GROVE_FORMAT_VERSION 1

struct grove_db {
	char *dir;
	int lock_fd;                 /* flock()ed LOCK file: one writer process */
	struct log *log;
	grove_options opts;
	grove_recovery_report recovery;
};

/* Record an error message for `db` in the calling thread and return err.
 * With fmt NULL, the log layer's last message is used. */
int db_error(const grove_db *db, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Translate the public options into the log's. */
void db_log_options(struct log_options *out, const grove_options *opts);

#endif
