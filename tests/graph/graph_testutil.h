/* graph_testutil.h — helpers for tests that drive a graph through grove.h. */
#ifndef GROVE_TESTS_GRAPH_TESTUTIL_H
#define GROVE_TESTS_GRAPH_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "grove.h"

extern const char gt_schema[];

/* A fresh graph directory path (not created) under $TMPDIR; malloc'd. */
char *gt_dir(const char *tag);
void gt_rmtree(const char *path);
/* grove_init with gt_schema (or `schema`), asserting success. */
grove_db *gt_init(const char *dir, const char *schema);
/* Load `jsonl` into `branch` with `mode`; returns the error code. */
int gt_load(grove_db *db, const char *branch, int mode, const char *jsonl,
	    grove_load_result *out);
uint64_t gt_count(grove_db *db, const char *branch, const char *commit, const char *table);
/* A graph of one test's own (gt_dir + gt_init): *dir is its path. */
grove_db *gt_scratch(char **dir, const char *tag, const char *schema);
/* Close a scratch graph and remove its directory. */
void gt_scratch_done(grove_db *db, char *dir);
/* Export a target into a malloc'd string. */
char *gt_export(grove_db *db, const char *branch, const char *commit);

#endif
