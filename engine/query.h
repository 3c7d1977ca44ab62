/*
 * engine/query.h — the read-query executor (spec §3, §6, §9.1), private to
 * engine/.  A `.gq` read query is parsed, typechecked and lowered to the
 * IR of lang/ir.h (query_run.c), then run over one consistent read of the
 * views (struct read_at, engine.h) as a push pipeline:
 *
 *   qx_pipe(x, p, i) runs step i of pipeline p for the current row (the
 *   slot values bound so far): a SCAN or EXPAND binds its slot to each
 *   entity in turn and recurses into step i + 1; FILTER and ANTI_JOIN
 *   recurse or not; past the last step the row reaches the sink.
 *
 * Files, by concept:
 *   query_run.c     entry points, compiling, parameters, the snapshot
 *   query_scan.c    the driver, SCAN access paths, FILTER, ANTI_JOIN, slots
 *   query_expand.c  EXPAND: adjacency, variable hops with set semantics
 *   query_eval.c    expressions, constants, comparisons and predicates
 *   query_agg.c     the sink: projection, grouping and aggregates
 *   query_order.c   ordering (tie-breaks, NULLs), bounded heap, limit
 *   query_result.c  grove_result and the result JSON (spec §9.1)
 *   query_stmt.c    prepared queries with bound parameters (grove_stmt)
 *
 * Values are msgpack objects in the stored encoding of index/row.h, so
 * parameters, literals and properties compare with value_compare().
 *
 * Return codes: 0, QX_STOP (positive: a consumer has what it needs and
 * the producers stop, e.g. `limit` reached without `order`), or a
 * negative GROVE_E* code with the handle's message set (db_error).
 */
#ifndef GROVE_ENGINE_QUERY_H
#define GROVE_ENGINE_QUERY_H

#include <msgpack.h>
#include <stdint.h>

#include "engine/db.h"
#include "engine/engine.h"
#include "engine/value.h"
#include "index/adjcache.h"
#include "index/layered.h"
#include "lang/ir.h"
#include "lang/query_ast.h"
#include "lang/typecheck.h"

#define QX_STOP 1

/* Bounds (GROVE_ELIMIT beyond them). */
#define QX_MAX_STEPS     512u           /* steps of all pipelines: each is a
                                         * level of C recursion             */
#define QX_MAX_ROWS      (1u << 22)     /* rows materialized (result, sort,
                                         * groups)                           */
#define QX_MAX_BYTES     (1ull << 30)   /* bytes of materialized values      */
#define QX_ADJC_MAX      4u             /* edge types x directions a query
                                           asks the adjacency cache for    */
#define QX_MAX_FRONTIER  (1u << 26)     /* nodes one variable-hop walk visits */

/* One variable's binding in the current row. */
struct qx_slot {
	uint64_t entity;                   /* internal id; 0: unbound           */
	const struct lang_cat_type *type;
	const void *row;                   /* stored row (LMDB memory); NULL
	                                    * while `deferred`                  */
	size_t row_len;
	int deferred;                      /* bound by id: read on first use    */
	int decoded;
	msgpack_object obj;                /* the row unpacked (when decoded)   */
	struct value_row view;
	msgpack_zone zone;                 /* holds obj's arrays                */
	int zone_ready;                    /* zone made (on the first decode)   */
};

/* A constant (literal or parameter) converted once. */
struct qx_const {
	const void *key;                   /* the IR expression or parameter    */
	msgpack_object o;
};

struct qx_sink;

/* One execution of a compiled query. */
struct qx {
	grove_db *db;
	struct read_at *r;
	const struct gq_ir_query *ir;
	const struct gq_checked *checked;
	const struct lang_catalog *views_cat;  /* the read's newest catalog,
	                                        * when an index is used (lazily) */
	struct qx_slot *slots;             /* ir->n_bindings                   */
	size_t n_slots;
	json_t *params;                    /* the caller's JSON object         */
	struct qx_const *consts;
	size_t n_consts, cap_consts;
	msgpack_zone zone;                 /* constants' memory                */
	int64_t now_ms;
	uint64_t rows_visited;             /* rows read from the views          */
	/* Cursors of r->txn through r->chain, one pool per view read. */
	struct layered_pool rows_pool, adj_pool, pidx_pool;
	/* Adjacency in memory (index/adjcache.h) per edge type and direction
	 * walked, asked for once per query (query_expand.c). */
	struct qx_adjc {
		uint32_t etype;
		uint8_t dir;
		bool served;
		struct adjc_view av;
	} adjc[QX_ADJC_MAX];
	uint32_t n_adjc;
	struct qx_sink *sink;
	struct qx_search *search;          /* query_search.c's state, or NULL  */
};

/* ---- query_scan.c ------------------------------------------------------ */

/* Run pipeline p from step i for the current row; rows reach `sink`. */
typedef int (*qx_sink_fn)(struct qx *x, void *arg);
int qx_pipe(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg);

/* Bind slot `s` to entity e of type t whose stored row is given. */
void qx_bind(struct qx *x, uint32_t s, const struct lang_cat_type *t, uint64_t e, const void *row,
             size_t len);
/* Read entity e of type t at the target into slot s: 0, or
 * GROVE_ENOTFOUND when it is not visible there. */
int qx_fetch(struct qx *x, uint32_t s, const struct lang_cat_type *t, uint64_t e);
/* Bind slot s to entity e of type t, known to be visible at the target,
 * without reading its row: qx_slot_view() reads it if the query ever
 * looks at it (a variable only counted or joined on costs no read). */
void qx_bind_id(struct qx *x, uint32_t s, const struct lang_cat_type *t, uint64_t e);
/* The decoded view of slot s's row. */
int qx_slot_view(struct qx *x, uint32_t s, const struct value_row **out);

/* ---- query_expand.c ---------------------------------------------------- */

int qx_expand(struct qx *x, const struct gq_ir_pipeline *p, size_t i, qx_sink_fn sink, void *arg);
/* Give back the adjacency ranges the query held. */
void qx_adjc_release(struct qx *x);

/* ---- query_eval.c ------------------------------------------------------ */

/* The value of e in the current row (objects may point into slot rows and
 * zones: valid until the slot is rebound).  Not for AGG and COLUMN. */
int qx_eval(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out);
/* 1 if the filter holds for the current row, 0 if not, or an error. */
int qx_filter(struct qx *x, const struct gq_ir_filter *f);
/* Convert the declared parameters (spec §7.1); errors are GROVE_EINVAL. */
int qx_params(struct qx *x);

/* ---- query_search.c, query_rank.c: full-text search and ranking -------- */

/* search / fuzzy / match_text for the current row: a Bool. */
int qx_search_eval(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out);
/* Before the match runs: the rankings and BM25 statistics the query's
 * order and columns need (nothing when it has no nearest/bm25/rrf). */
int qx_search_prepare(struct qx *x);
/* rank_first: the current row's place in the ranking (1, *pos), or 0
 * when its entity is not ranked (the row is dropped). */
int qx_rank_position(struct qx *x, uint64_t *pos);
/* nearest / bm25 / rrf for the current row (a projected score). */
int qx_rank_eval(struct qx *x, const struct gq_ir_expr *e, msgpack_object *out);
void qx_search_free(struct qx *x);

/* ---- query_order.c: materialized rows, ordering, limit ---------------- */

/* Deep copy of src into zone z (strings and arrays included); adds the
 * bytes it took to *bytes.  -ENOMEM. */
int qx_obj_copy(msgpack_zone *z, msgpack_object *dst, const msgpack_object *src, uint64_t *bytes);
/* Zones start at QX_ZONE_CHUNK_MIN bytes a chunk; qx_zone_follow() lets
 * the chunk size grow with what the zone holds (`bytes`), up to MAX. */
#define QX_ZONE_CHUNK_MIN 512u
#define QX_ZONE_CHUNK_MAX (1u << 20)
void qx_zone_follow(msgpack_zone *z, uint64_t bytes);
/* An empty sbuffer with a small first block (msgpack's first write would
 * take 8 KiB); free with msgpack_sbuffer_destroy().  -ENOMEM. */
int qx_sbuffer_init(msgpack_sbuffer *sb);
/* Order two values for `order`: NULL (nil) first, then value_compare();
 * kinds that do not compare order by their msgpack type. */
int qx_value_order(const msgpack_object *a, const msgpack_object *b);

/* A materialized row: `width` values (result columns, then order keys,
 * then tie-break ids), its arrival number, and, while it sits in a
 * bounded heap, its own zone (so a row pushed out frees its memory). */
struct qx_mrow {
	msgpack_object *v;
	uint64_t seq;
	uint64_t bytes;                    /* what its copy took               */
	msgpack_zone *own;
};

/* The rows of a result being built.  Ordered (nkeys > 0): sorted by the
 * keys (desc[k] reverses key k), then the tie-break ids ascending, then
 * arrival.  With a limit and an order, only the best `limit` rows are kept
 * (a bounded heap); with a limit and no order, adding the limit-th row
 * returns QX_STOP. */
struct qx_rows {
	grove_db *db;
	size_t width, nkeys, key_off, nties, tie_off;
	const unsigned char *desc;
	int has_limit;
	uint64_t limit;
	int heap;
	struct qx_mrow *rows;
	size_t n, cap;
	uint64_t seq, bytes;
	msgpack_zone zone;
};

int qx_rows_init(struct qx_rows *rs, grove_db *db, size_t width);
/* Add a row whose `width` values may point into live memory (copied). */
int qx_rows_add(struct qx_rows *rs, const msgpack_object *v);
/* Sort and cut to the limit; afterwards every row lives in rs->zone. */
int qx_rows_finish(struct qx_rows *rs);
void qx_rows_fini(struct qx_rows *rs);

/* ---- the result (query_result.c) -------------------------------------- */

struct qx_col {
	char *name;
	struct lang_type type;             /* how values render (no enum set)  */
	int is_node;                       /* a node's id string               */
	char *type_name;                   /* display name, made when asked    */
};

struct grove_result {
	char *query_name;
	char *branch;                      /* branch target, or NULL           */
	char *snapshot;                    /* commit target, or NULL           */
	char commit_id[GROVE_COMMIT_ID_BYTES];
	size_t ncols;
	struct qx_col *cols;
	size_t nrows;
	msgpack_object **rows;             /* nrows rows of ncols values       */
	struct qx_rows store;              /* owns the rows' memory            */
	uint64_t rows_visited;
	char *scratch;                     /* grove_result_value_json's text   */
};

/* A result with the query's columns (names, render types). */
int qx_result_new(struct grove_result **out, struct qx *x);

/* ---- query_agg.c: the sink ------------------------------------------- */

struct grove_result;

/* Run the query's pipeline into a new result. */
int qx_collect(struct qx *x, struct grove_result **out);

/* query_run.c, for query_stmt.c: compile a read query (a reference from
 * the handle's cache, engine/prepared.h), and run one with parameters. */
struct prepared;
int query_compile(struct prepared **out, grove_db *db, const char *src, const char *name);
int query_run_compiled(struct grove_result **out, grove_db *db, const grove_target *target,
                       struct prepared *p, json_t *params);

#endif /* GROVE_ENGINE_QUERY_H */
