/*
 * lang/ir.h — the typed IR a checked `.gq` query lowers to (spec §6), for
 * the executor over the LMDB views (DESIGN.md §4: key point lookups,
 * property-index ranges, per-edge-type adjacency ranges).
 *
 * Plain data: structs and arrays in one arena, ids instead of names.
 *
 * Read queries.  Every variable gets a *slot* (bindings[]).  The pipeline
 * is a list of steps run in order over a stream of rows (one value per
 * slot):
 *   SCAN       introduce `slot` by its access path (key lookup, index point
 *              read, or a scan of the type), keeping rows passing `filters`
 *              (the binding's property matches; all of them are listed even
 *              when the access path already implies one);
 *   EXPAND     walk edge type `edge_type_id` from src_slot in `dir` for
 *              min..max hops (set semantics, spec §3.5) into dst_slot; with
 *              edge_slot set, one row per edge (single hop); with
 *              dst_bound the destination is already bound: a join check;
 *   FILTER     keep rows where `filter` holds;
 *   ANTI_JOIN  keep rows for which `inner` (correlated: it reads the outer
 *              slots) yields no row (spec §3.7).
 * Then columns[] (grouped by the non-aggregate columns when any column is
 * an aggregate), orders[] (rank_first: the first key is nearest / bm25 /
 * rrf and fixes the order), limit.
 *
 * Mutation queries: mutations[] in statement order, each with property-id
 * -> value templates and a predicate.
 */
#ifndef GROVE_LANG_IR_H
#define GROVE_LANG_IR_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"
#include "lang/diag.h"
#include "lang/query_ast.h"
#include "lang/typecheck.h"

#define GQ_IR_NONE UINT32_MAX   /* "no slot / no property" */

enum gq_ir_expr_kind {
	GQ_IR_LIT,        /* lit                                              */
	GQ_IR_PARAM,      /* index: parameter index (query->params)           */
	GQ_IR_NOW,        /* the runtime timestamp slot `__nanograph_now`     */
	GQ_IR_PROP,       /* slot.prop_id (node or edge property)             */
	GQ_IR_NODE,       /* the node bound to slot (projected as its id)     */
	GQ_IR_COLUMN,     /* index: a result column (an alias reference)      */
	GQ_IR_NEAREST,    /* arg[0] PROP, arg[1] query                        */
	GQ_IR_SEARCH,     /* arg[0] field, arg[1] query                       */
	GQ_IR_FUZZY,      /* arg[0] field, arg[1] query, arg[2] max edits?    */
	GQ_IR_MATCH_TEXT,
	GQ_IR_BM25,
	GQ_IR_RRF,        /* arg[0], arg[1] rank arms, arg[2] k?              */
	GQ_IR_AGG,        /* agg(arg[0])                                      */
};

struct gq_ir_expr {
	enum gq_ir_expr_kind kind;
	struct gq_ttype type;          /* what the expression yields          */
	uint32_t slot;                 /* PROP, NODE, NEAREST (via arg[0])    */
	uint32_t prop_id;              /* PROP                                */
	uint32_t index;                /* PARAM (GQ_IR_NONE: undeclared, a
	                                * run-time "not provided"), COLUMN    */
	const char *name;              /* PARAM: its name (for messages)      */
	const struct gq_lit *lit;      /* LIT (points into the query's tree)  */
	enum gq_agg agg;               /* AGG                                 */
	struct gq_ir_expr *arg[3];
};

enum gq_ir_cmp {
	GQ_IR_EQ, GQ_IR_NE, GQ_IR_LT, GQ_IR_LE, GQ_IR_GT, GQ_IR_GE,
	GQ_IR_LIST_CONTAINS,  /* left is a list: membership of right          */
	GQ_IR_STR_CONTAINS,   /* left is a String: exact substring            */
	GQ_IR_STARTS_WITH,
};

struct gq_ir_filter {
	enum gq_ir_cmp op;
	struct gq_ir_expr *left;
	struct gq_ir_expr *right;
};

struct gq_ir_binding {
	const char *name;              /* "_" for an anonymous endpoint       */
	int is_edge;
	uint32_t type_id;
	const struct lang_cat_type *type;
};

enum gq_ir_access {
	GQ_ACCESS_TYPE_SCAN,    /* every live entity of the type              */
	GQ_ACCESS_KEY_LOOKUP,   /* @key point lookup: key_values[] in the
	                         * order of the catalog's key columns         */
	GQ_ACCESS_INDEX_POINT,  /* property index read at one value           */
};

enum gq_ir_step_kind {
	GQ_IR_SCAN,
	GQ_IR_EXPAND,
	GQ_IR_FILTER,
	GQ_IR_ANTI_JOIN,
};

struct gq_ir_pipeline {
	struct gq_ir_step *steps;
	size_t n_steps;
};

struct gq_ir_step {
	enum gq_ir_step_kind kind;

	/* SCAN */
	uint32_t slot;
	enum gq_ir_access access;
	struct gq_ir_expr **key_values;   /* KEY_LOOKUP: [type->key.n]        */
	uint32_t index_prop_id;           /* INDEX_POINT                      */
	struct gq_ir_expr *index_value;   /* INDEX_POINT                      */
	struct gq_ir_filter *filters;
	size_t n_filters;

	/* EXPAND */
	uint32_t src_slot, dst_slot;
	uint32_t edge_slot;               /* GQ_IR_NONE: no edge binding      */
	uint32_t edge_type_id;
	enum gq_dir dir;
	uint32_t min_hops, max_hops;
	int dst_bound;

	/* FILTER */
	struct gq_ir_filter filter;

	/* ANTI_JOIN */
	struct gq_ir_pipeline inner;
};

struct gq_ir_column {
	const char *name;                 /* result column name (spec §3.8)   */
	struct gq_ir_expr *expr;
	struct gq_ttype type;
	int nullable;
	int is_aggregate;
	int is_group_key;                 /* aggregate query, non-aggregate   */
};

struct gq_ir_order {
	struct gq_ir_expr *expr;
	int descending;
};

enum gq_ir_endpoint {
	GQ_IR_PROPERTY,                   /* prop_id                          */
	GQ_IR_FROM,                       /* edge `from` (the src node id)    */
	GQ_IR_TO,                         /* edge `to` (the dst node id)      */
};

struct gq_ir_assign {
	enum gq_ir_endpoint target;
	uint32_t prop_id;
	const char *prop;
	struct gq_ir_expr *value;         /* LIT, PARAM or NOW                */
};

struct gq_ir_mutation {
	enum gq_mut_kind kind;
	int is_edge;
	uint32_t type_id;
	const struct lang_cat_type *type;
	struct gq_ir_assign *assigns;
	size_t n_assigns;
	struct gq_ir_assign pred_target;  /* UPDATE, DELETE: prop or endpoint */
	enum gq_ir_cmp pred_op;
};

struct gq_ir_query {
	const char *name;
	int is_mutation;
	const struct gq_param *params;    /* the query's declarations         */
	const struct lang_type *param_types;
	size_t n_params;

	struct gq_ir_binding *bindings;
	size_t n_bindings;
	struct gq_ir_pipeline pipeline;
	struct gq_ir_column *columns;
	size_t n_columns;
	int has_aggregates;
	struct gq_ir_order *orders;
	size_t n_orders;
	int rank_first;
	int has_limit;
	uint64_t limit;

	struct gq_ir_mutation *mutations;
	size_t n_mutations;

	struct lang_arena arena;
};

/* Lower a typechecked query.  The result points into the query tree, the
 * checked result's parameter types and the catalog, which must outlive
 * it.  -1 (with a message) when out of memory; GQ_LOWER_UNBOUND (with a
 * message naming it) when a traversal belongs to a group of variables no
 * `$v: Type` binding reaches: such a query typechecks but cannot run
 * (spec §3.4). */
#define GQ_LOWER_UNBOUND (-2)
int gq_lower(struct gq_ir_query **out, const struct gq_checked *c, struct lang_diag *diag);

void gq_ir_free(struct gq_ir_query *ir);

#endif /* GROVE_LANG_IR_H */
