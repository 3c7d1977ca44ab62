/*
 * lang/typecheck.h — typechecking a `.gq` query against a catalog (spec §4).
 *
 * gq_typecheck() runs the checks of spec §4.2 in OmniGraph's order and
 * reports the first failure with its exact message ("type error: T5: ...",
 * or one of the uncoded errors of §4.4).  On success it returns what later
 * stages need without re-deriving it:
 *
 *  - the type of every expression it resolved (gq_checked_expr_type);
 *  - every variable a clause binds, with its node or edge type and the
 *    scope it lives in (0 = the match block, k = the k-th `not { }` block
 *    in pre-order; variables first bound inside a negation are local);
 *  - every traversal resolved to an edge type and a direction;
 *  - the result columns: the executor's column name (spec §3.8), the lint
 *    descriptor's name (§5.1) and the value type;
 *  - for mutation queries, each statement's target type.
 *
 * The result points into the catalog and the query; both must outlive it.
 */
#ifndef GROVE_LANG_TYPECHECK_H
#define GROVE_LANG_TYPECHECK_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"
#include "lang/catalog.h"
#include "lang/diag.h"
#include "lang/query_ast.h"
#include "lang/types.h"

/* What an expression denotes (OmniGraph's ResolvedType). */
enum gq_tkind {
	GQ_T_SCALAR,     /* a value of type `t` (lists and vectors included)   */
	GQ_T_NODE,       /* a bare node variable (`$p`): `node` is its type    */
	GQ_T_AGGREGATE,  /* an aggregate call, or an alias the checker cannot
	                  * see through; `t` holds the result type when known */
};

struct gq_ttype {
	enum gq_tkind kind;
	struct lang_type t;
	const struct lang_cat_type *node;
};

enum gq_dir {
	GQ_DIR_OUT,      /* src -> dst along the edge's From -> To             */
	GQ_DIR_IN,       /* walk the edge backwards                           */
	GQ_DIR_BOTH,     /* undirected `<edge>`                               */
};

struct gq_cvar {
	const char *name;                  /* without '$'                     */
	const struct lang_cat_type *type;  /* node type, or edge type         */
	int is_edge;                       /* bound by `$e:edge`              */
	uint32_t scope;
	const struct gq_clause *clause;    /* the clause that bound it        */
};

struct gq_ctrav {
	const struct gq_clause *clause;
	const struct lang_cat_type *edge;
	enum gq_dir dir;
	const struct lang_cat_type *src_type;  /* node type of clause->src    */
	const struct lang_cat_type *dst_type;  /* node type of clause->dst    */
	uint32_t scope;
};

struct gq_ccolumn {
	const char *name;        /* result column: alias, `p.name`, `p`, ...  */
	const char *desc_name;   /* lint descriptor name: alias, `name`, ...  */
	struct gq_ttype type;    /* SCALAR (aggregates: their result type) or
	                          * NODE (an object: the node's id at run time) */
	int nullable;            /* as the descriptor reports it              */
	int is_aggregate;
};

struct gq_ctarget {
	const struct lang_cat_type *type;
	int is_edge;             /* node and edge names are separate spaces   */
};

struct gq_expr_slot;

struct gq_checked {
	const struct gq_query *query;
	const struct lang_catalog *cat;
	int is_mutation;

	struct lang_type *param_types;   /* parallel to query->params         */

	struct gq_cvar *vars;            /* binding order; scopes interleave  */
	size_t n_vars;
	struct gq_ctrav *travs;          /* source order, pre-order over `not` */
	size_t n_travs;
	size_t n_scopes;                 /* 1 + number of negation blocks     */
	uint32_t *scope_parent;          /* [n_scopes]; scope_parent[0] = 0   */

	struct gq_ccolumn *columns;      /* one per projection                */
	size_t n_columns;

	struct gq_ctarget *targets;      /* one per mutation statement        */
	size_t n_targets;

	/* expression -> type (open addressing on the node's address) */
	struct gq_expr_slot *slots;
	size_t n_slots, used_slots;

	struct lang_arena arena;
};

/* Typecheck one query (read or mutation).  On success *out is a new result
 * (free with gq_checked_free).  On failure returns -1, *out is NULL and
 * diag holds "type error: ...". */
int gq_typecheck(struct gq_checked **out, const struct lang_catalog *cat,
                 const struct gq_query *q, struct lang_diag *diag);

/* The read-query entry point: a mutation query is refused with
 * "type error: mutation query cannot be typechecked with read-query API". */
int gq_typecheck_read(struct gq_checked **out, const struct lang_catalog *cat,
                      const struct gq_query *q, struct lang_diag *diag);

void gq_checked_free(struct gq_checked *c);

/* The type recorded for an expression of the query, or NULL if the checker
 * never resolved it (e.g. a mutation value). */
const struct gq_ttype *gq_checked_expr_type(const struct gq_checked *c, const struct gq_expr *e);

/* The resolved traversal of a TRAVERSAL clause, or NULL. */
const struct gq_ctrav *gq_checked_traversal(const struct gq_checked *c, const struct gq_clause *cl);

/* The variable `name` as visible in `scope` (its own bindings first, then
 * the enclosing scopes'), or NULL.  A name a `not { }` block's scope binds
 * anywhere is the scope's, not the block's own, unless a block's type for
 * it disagrees: then every block keeps what it binds first (typecheck.c,
 * match_clauses). */
const struct gq_cvar *gq_checked_var(const struct gq_checked *c, const char *name, uint32_t scope);

/* The scope enclosing `scope` (0 has none: returns 0). */
uint32_t gq_checked_scope_parent(const struct gq_checked *c, uint32_t scope);

/* Index of the declared parameter `name` (the last declaration wins, as in
 * OmniGraph), or -1. */
int gq_checked_param(const struct gq_checked *c, const char *name);

#endif /* GROVE_LANG_TYPECHECK_H */
