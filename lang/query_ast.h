/*
 * lang/query_ast.h — the parse tree of a `.gq` file (spec §3).
 *
 * The parser (query_parse.c) turns source text into a struct gq_file.  The
 * tree mirrors the grammar of spec §3.1 closely and is purely syntactic:
 * names are kept as written (an edge word stays `worksAt`; the catalog
 * resolves it), nothing is typed.  The typechecker (typecheck.h) and the
 * lowering to the executor's IR (ir.h) read it.
 *
 * Memory.  Every node, string and array of a file lives in one arena
 * (lang/arena.h) owned by the struct gq_file; gq_file_free() releases it
 * all at once.  Nodes
 * never point outside the arena except `src`, the caller's source text,
 * which must outlive the file (spans index it).
 *
 * Arrays are (pointer, count) pairs; a count of 0 may come with a NULL
 * pointer.  Variable names are stored without the `$` (`$p` -> "p"; the
 * anonymous variable `$_` is "_").
 */
#ifndef GROVE_LANG_QUERY_AST_H
#define GROVE_LANG_QUERY_AST_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"
#include "lang/diag.h"

/* Limits.  A recursive-descent parser recurses once per nesting level of
 * `not { }`, of call arguments and of list literals; the bound keeps the C
 * stack safe whatever the input (spec: never a stack overflow).  Source
 * length is bounded by LANG_SOURCE_MAX_BYTES (lexer.h). */
#define GQ_MAX_NESTING 64

/* Per-query counts.  Typechecking and lowering look variables, parameters
 * and aliases up by name (linearly) and keep per-scope state sized by the
 * query, so one query's cost grows faster than linearly with these counts;
 * the bounds keep it small and a file's cost proportional to its size
 * (real queries have tens of each).  Past one: a syntax error "more than N
 * <things> in one query are not supported" at the first one too many. */
#define GQ_MAX_CLAUSES 256       /* in `match`, nested ones included     */
#define GQ_MAX_PARAMS 256        /* declared parameters                  */
#define GQ_MAX_PROJECTIONS 256   /* in `return`                          */

/* Name of the implicit runtime-timestamp parameter (spec §3.3, §6). */
#define GQ_NOW_PARAM_NAME "__nanograph_now"

/* A byte range [start, end) of the source text. */
struct gq_span {
	uint32_t start;
	uint32_t end;
};

/* ---- Types written in parameter declarations (spec §3.3) ------------ */

enum gq_base {
	GQ_BASE_STRING,
	GQ_BASE_BLOB,
	GQ_BASE_BOOL,
	GQ_BASE_I32,
	GQ_BASE_I64,
	GQ_BASE_U32,
	GQ_BASE_U64,
	GQ_BASE_F32,
	GQ_BASE_F64,
	GQ_BASE_DATETIME,
	GQ_BASE_DATE,
	GQ_BASE_VECTOR,         /* Vector(n): see vector_dim                  */
};

struct gq_type_ref {
	enum gq_base base;
	uint8_t list;           /* [base]                                     */
	uint8_t nullable;       /* trailing ?                                 */
	uint64_t vector_dim;    /* GQ_BASE_VECTOR: n as written (saturated at
	                         * UINT64_MAX); validity is a typecheck matter */
};

/* ---- Literals and expressions --------------------------------------- */

enum gq_lit_kind {
	GQ_LIT_STRING,
	GQ_LIT_INT,             /* fits i64 (larger is a parse error)          */
	GQ_LIT_FLOAT,
	GQ_LIT_BOOL,
	GQ_LIT_DATE,            /* date("...")      text in str, unparsed      */
	GQ_LIT_DATETIME,        /* datetime("...")  text in str, unparsed      */
	GQ_LIT_LIST,            /* [a, b, ...]                                 */
};

struct gq_lit {
	enum gq_lit_kind kind;
	struct gq_span span;
	int64_t i;              /* INT                                         */
	double f;               /* FLOAT                                       */
	int b;                  /* BOOL                                        */
	const char *str;        /* STRING, DATE, DATETIME: decoded, NUL-ended  */
	size_t str_len;
	struct gq_lit *items;   /* LIST                                        */
	size_t n_items;
};

enum gq_expr_kind {
	GQ_EXPR_NOW,            /* now()                                       */
	GQ_EXPR_PROP,           /* $var.name                                   */
	GQ_EXPR_VAR,            /* $var (a parameter or a bound variable)      */
	GQ_EXPR_LIT,            /* lit                                         */
	GQ_EXPR_ALIAS,          /* bare ident: a reference to a return alias   */
	GQ_EXPR_NEAREST,        /* nearest(arg0 = PROP, arg1 = query)          */
	GQ_EXPR_SEARCH,         /* search(field, query)                        */
	GQ_EXPR_FUZZY,          /* fuzzy(field, query, max_edits?)             */
	GQ_EXPR_MATCH_TEXT,     /* match_text(field, query)                    */
	GQ_EXPR_BM25,           /* bm25(field, query)                          */
	GQ_EXPR_RRF,            /* rrf(primary, secondary, k?)                 */
	GQ_EXPR_AGG,            /* count/sum/avg/min/max(arg0)                 */
};

enum gq_agg {
	GQ_AGG_COUNT,
	GQ_AGG_SUM,
	GQ_AGG_AVG,
	GQ_AGG_MIN,
	GQ_AGG_MAX,
};

struct gq_expr {
	enum gq_expr_kind kind;
	struct gq_span span;
	const char *var;        /* PROP, VAR: variable name (no '$')           */
	const char *name;       /* PROP: property; ALIAS: alias name           */
	enum gq_agg agg;        /* AGG                                         */
	/* Call arguments: arg[0] field (NEAREST: the PROP), arg[1] query,
	 * arg[2] the optional third argument (FUZZY max_edits, RRF k).  RRF:
	 * arg[0] primary, arg[1] secondary (each NEAREST or BM25 — the grammar
	 * guarantees it).  AGG: arg[0].  Unused slots are NULL. */
	struct gq_expr *arg[3];
	struct gq_lit lit;      /* LIT                                         */
};

/* ---- Match clauses --------------------------------------------------- */

enum gq_op {
	GQ_OP_EQ,
	GQ_OP_NE,
	GQ_OP_LT,
	GQ_OP_LE,
	GQ_OP_GT,
	GQ_OP_GE,
	GQ_OP_CONTAINS,
	GQ_OP_STARTS_WITH,
};

/* `prop: value` inside a binding; value is LIT, VAR or NOW. */
struct gq_pmatch {
	const char *prop;
	struct gq_expr *value;
	struct gq_span span;
};

enum gq_clause_kind {
	GQ_CLAUSE_BINDING,      /* $v: Type { pmatch, ... }                    */
	GQ_CLAUSE_TRAVERSAL,    /* $src ($e:)? word|<word> ({m,n})? $dst       */
	GQ_CLAUSE_FILTER,       /* expr op expr                                */
	GQ_CLAUSE_NEGATION,     /* not { clause+ }                             */
};

struct gq_clause {
	enum gq_clause_kind kind;
	struct gq_span span;

	/* BINDING */
	const char *var;
	const char *type_name;
	struct gq_pmatch *matches;
	size_t n_matches;

	/* TRAVERSAL.  Bounds default to {1,1}; `{n,}` sets max_unbounded. */
	const char *src;
	const char *dst;
	const char *edge;           /* the edge word as written               */
	const char *edge_binding;   /* NULL when absent ("_" for `$_:`)       */
	int undirected;
	int has_bounds;
	uint32_t min_hops;
	uint32_t max_hops;          /* meaningless when max_unbounded         */
	int max_unbounded;

	/* FILTER.  The search sugar `search(...)` alone in `match` is the
	 * filter `search(...) = true` with sugar set. */
	struct gq_expr *left;
	enum gq_op op;
	struct gq_expr *right;
	int sugar;

	/* NEGATION */
	struct gq_clause *inner;
	size_t n_inner;
};

/* ---- Read-query tail -------------------------------------------------- */

struct gq_proj {
	struct gq_expr *expr;
	const char *alias;      /* NULL when absent                            */
	struct gq_span span;
};

struct gq_order {
	struct gq_expr *expr;
	int descending;
	int has_direction;      /* asc/desc written                            */
	struct gq_span span;
};

/* ---- Mutations (spec §3.12) ------------------------------------------ */

enum gq_mut_kind {
	GQ_MUT_INSERT,
	GQ_MUT_UPDATE,
	GQ_MUT_DELETE,
};

/* `prop: value`; value is LIT, VAR or NOW. */
struct gq_assign {
	const char *prop;
	struct gq_expr *value;
	struct gq_span span;
};

/* `where prop op value`; op is never CONTAINS / STARTS_WITH. */
struct gq_pred {
	const char *prop;
	enum gq_op op;
	struct gq_expr *value;
	struct gq_span span;
};

struct gq_mutation {
	enum gq_mut_kind kind;
	const char *type_name;
	struct gq_span span;
	struct gq_assign *assigns;  /* INSERT, UPDATE                          */
	size_t n_assigns;
	struct gq_pred pred;        /* UPDATE, DELETE                          */
};

/* ---- Queries and files ------------------------------------------------ */

struct gq_param {
	const char *name;
	struct gq_type_ref type;
	struct gq_span span;
};

struct gq_query {
	const char *name;
	struct gq_span span;        /* from `query` to the closing brace       */
	const char *description;    /* @description text or NULL               */
	const char *instruction;    /* @instruction text or NULL               */

	struct gq_param *params;
	size_t n_params;

	/* A query is a read query (match/return/...) or a mutation query
	 * (n_mutations > 0), never both. */
	struct gq_clause *clauses;
	size_t n_clauses;
	struct gq_proj *projs;
	size_t n_projs;
	struct gq_order *orders;
	size_t n_orders;
	int has_limit;
	uint64_t limit;

	struct gq_mutation *mutations;
	size_t n_mutations;
};

struct gq_file {
	struct gq_query *queries;
	size_t n_queries;
	const char *src;            /* the caller's text (not owned)           */
	size_t src_len;
	struct lang_arena arena;    /* owns everything the queries point to    */
};

/* Parse a whole `.gq` text.  On success *out is a new file (free with
 * gq_file_free()).  On failure returns -1, *out is NULL and `diag` holds
 * the error: a syntax error with a span and the caret rendering, or a
 * span-less semantic parse error (spec §3.1).  As in OmniGraph, any syntax
 * error anywhere in the file wins over a semantic one; among semantic
 * errors the first in source order is reported. */
int gq_parse(struct gq_file **out, const char *src, size_t len, struct lang_diag *diag);

void gq_file_free(struct gq_file *file);

/* The first query named `name` (spec §3.2), or NULL. */
const struct gq_query *gq_file_find(const struct gq_file *file, const char *name);

/* Is the query a mutation query? */
static inline int gq_query_is_mutation(const struct gq_query *q)
{
	return q->n_mutations > 0;
}

/* Text of an operator as written (`=`, `contains`, ...). */
const char *gq_op_text(enum gq_op op);

/* Name of an aggregate as written (`count`, ...). */
const char *gq_agg_name(enum gq_agg agg);

/* Display name of a base type (`String`, `Vector`, ...). */
const char *gq_base_name(enum gq_base base);

/* Append one zeroed element to a growing arena array (*items, *n) of
 * capacity *cap; returns the new element or NULL when out of memory.
 * Growth doubles and leaves the old block in the arena (at most 2x the
 * final size is wasted).  Used by the parser, typechecker and lowering. */
void *gq_push(struct lang_arena *a, void **items, size_t *n, size_t *cap, size_t elem_size);

#endif /* GROVE_LANG_QUERY_AST_H */
