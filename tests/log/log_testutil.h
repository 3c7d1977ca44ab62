/* log_testutil.h — helpers shared by the log test suites. */
#ifndef GROVE_TESTS_LOG_TESTUTIL_H
#define GROVE_TESTS_LOG_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "log/log.h"

/* A fresh directory under $TMPDIR (or /tmp); the path is malloc'd. */
char *tu_tempdir(const char *tag);
/* rm -rf */
void tu_rmtree(const char *path);
/* cp -a src dst (dst must not exist) */
void tu_copytree(const char *src, const char *dst);
/* "<dir>/log" (malloc'd) */
char *tu_logdir(const char *dir);
/* A fresh directory (tu_tempdir) holding a new log at tu_logdir; aborts
 * with the log's message if log_create fails. */
char *tu_new_log(const char *tag, const struct log_options *o);

/* The deterministic payload of (writer, seq): `len` bytes whose first 16
 * hold writer and seq and the rest a pattern derived from them, so any
 * damage or mix-up is visible.  Returns len. */
size_t tu_payload(uint8_t *out, size_t len, uint32_t writer, uint64_t seq);
/* Check a payload made by tu_payload; sets writer and seq. */
int tu_payload_check(const void *p, size_t len, uint32_t *writer, uint64_t *seq);

/* Options for small logs: 64 KiB segments so tests rotate often. */
struct log_options tu_small_options(int backend);

/* Number of entries in a directory whose name ends in ".seg". */
int tu_count_segments(const char *logdir);

#endif
