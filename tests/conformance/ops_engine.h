/*
 * tests/conformance/ops_engine.h — what ops_engine.c (graphs, handles,
 * loads, branches, commits) shares with ops_engine_read.c (reads at a
 * target, the catalog, export).
 */
#ifndef GROVE_TESTS_CONFORMANCE_OPS_ENGINE_H
#define GROVE_TESTS_CONFORMANCE_OPS_ENGINE_H

#include "grove.h"
#include "runner.h"

/* A resolved `branch_or_commit`. */
struct eg_target {
	grove_target t;
	char commit[GROVE_COMMIT_ID_BYTES];
};

/* The result of a failed call on `db` (NULL: grove_init/grove_open):
 * message, error_kind, and the entity of a KeyConflict. */
json_t *eg_fail(const grove_db *db, int err);
/* An error the runner finds itself, with OmniGraph's kind for it. */
json_t *eg_refuse(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string; null for NULL or "". */
json_t *eg_str_or_null(const char *s);
const char *eg_str(const json_t *step, const char *key);
/* The handle a step runs on (its `handle`, or the default graph), or NULL
 * with *fail set. */
grove_db *eg_db(struct cf_ctx *ctx, const json_t *step, json_t **fail);
/* The same, and the target in step[key] resolved into *t. */
grove_db *eg_db_at(struct cf_ctx *ctx, const json_t *step, const char *key, struct eg_target *t, json_t **fail);

/* The read ops (ops_engine_read.c). */
json_t *op_count_rows(struct cf_ctx *ctx, const json_t *step);
json_t *op_scan_table(struct cf_ctx *ctx, const json_t *step);
json_t *op_entity_at(struct cf_ctx *ctx, const json_t *step);
json_t *op_read_blob(struct cf_ctx *ctx, const json_t *step);
json_t *op_catalog(struct cf_ctx *ctx, const json_t *step);
json_t *op_list_tables(struct cf_ctx *ctx, const json_t *step);
json_t *op_table_fields(struct cf_ctx *ctx, const json_t *step);
json_t *op_open_table(struct cf_ctx *ctx, const json_t *step);
json_t *op_export_jsonl(struct cf_ctx *ctx, const json_t *step);

/* {"Type": [key members in identity order], ...} at main's head
 * (grove_catalog_json(): the engine's order, which a rename keeps). */
json_t *eg_catalog_keys(grove_db *db);

#endif
