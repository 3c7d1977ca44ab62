/*
 * engine/query_search.h — what query_search.c (text predicates, BM25
 * statistics) and query_rank.c (rankings) share; private to engine/.
 */
#ifndef GROVE_ENGINE_QUERY_SEARCH_H
#define GROVE_ENGINE_QUERY_SEARCH_H

#include <stdint.h>

#include "engine/idset.h"
#include "engine/query.h"
#include "engine/text.h"


/* One ranked entity. */
struct ranked {
	uint64_t e;                       /* the entity (ids grow with loads) */
	double score;
	uint32_t seq;                     /* the order it was added in        */
};

/* A ranking of one rank expression (or a bm25's corpus statistics). */
struct ranking {
	const struct gq_ir_expr *expr;
	struct ranked *v;                 /* best first                      */
	size_t n, cap;
	struct idset index;               /* entity -> place (ranking_index) */
	struct ranking *next;
};

/* A query text analyzed once per run. */
struct analyzed {
	const struct gq_ir_expr *expr;
	unsigned flags;
	struct text_terms terms;
	struct analyzed *next;
};

/* The corpus of one bm25(field, query): per query term, the entities
 * holding it and how often, plus every text's length. */
struct bm25_corpus {
	const struct gq_ir_expr *expr;
	struct text_terms terms;          /* the query's, each once          */
	size_t nterms;
	double n_docs, avg_len;
	double *df;                       /* [nterms]                        */
	double *row_tf;                   /* [nterms]: scratch               */
	double *first;                    /* [nterms]: where first met (0:
	                                   * never): the order of Lance's
	                                   * token ids                        */
	uint32_t *token_id;               /* [nterms]: that order's rank      */
	struct ranking docs;              /* matching entity -> score: its
	                                   * length in terms; tf below        */
	double *tf;                       /* [docs.n * nterms]               */
	size_t tf_cap;
	struct bm25_corpus *next;
};

/* A String nearest() query, embedded once per run (embed.h). */
struct embedded {
	const struct gq_ir_expr *expr;    /* the NEAREST                      */
	unsigned char *bytes;             /* little-endian float32s, as stored */
	size_t dim;
	struct embedded *next;
};

struct qx_search {
	struct text_analyzer *an;
	struct text_terms field;          /* scratch: a row's terms          */
	struct text_terms query;          /* scratch: a per-row query's      */
	struct analyzed *queries;
	struct ranking *rankings;
	struct bm25_corpus *corpora;
	struct embedded *embeddings;
	const struct ranking *order;      /* the first order key's ranking   */
	uint32_t order_slot;
};

/* x's search state in *out, made on first use: 0, or the error (said). */
int qx_search_state(struct qx *x, struct qx_search **out);

/* An optional integer argument (fuzzy's edits, rrf's k): *out = dflt when
 * e is absent or not an integer.  0 or an error. */
int qx_int_arg(struct qx *x, const struct gq_ir_expr *e, int64_t dflt, int64_t *out);

/* Run `steps` (made by the caller) into sink; QX_STOP is not an error. */
int qx_run_steps(struct qx *x, struct gq_ir_step *steps, size_t n, qx_sink_fn sink, void *arg);

/* The statistics of bm25 expression e, made once per run before any row
 * (they scan e's type, rebinding its slot). */
int bm25_corpus_build(struct qx *x, const struct gq_ir_expr *e);
struct bm25_corpus *bm25_corpus_of(const struct qx_search *s, const struct gq_ir_expr *e);
/* Entity ent's score: 1, or 0 when it holds no query term. */
int bm25_score(const struct bm25_corpus *c, uint64_t ent, double *out);

/* Rankings (query_rank.c): add, sort best first and cut to the limit,
 * index by entity, find.  Equal scores keep the order OmniGraph (Lance 10)
 * gives them: nearest, entity order (the order rows were first loaded);
 * rrf, the order they were added in (the first arm's, then the second's);
 * bm25, bm25_heap_order()'s. */
enum rank_order { RANK_NEAREST, RANK_BM25, RANK_FUSED };
int ranking_add(struct ranking *r, uint64_t e, double score);
int ranking_sort(struct ranking *r, enum rank_order how, const struct bm25_corpus *c,
                 int has_limit, uint64_t limit);
int ranking_index(struct ranking *r);
long ranking_find(const struct ranking *r, uint64_t e);
void ranking_fini(struct ranking *r);

/* query_bm25.c: sort r (bm25 scores of corpus c's entities) best first
 * exactly as Lance 10 returns a full-text search's matches: equal scores
 * come out in the order its three binary heaps leave them (-ENOMEM). */
int bm25_heap_order(struct ranking *r, const struct bm25_corpus *c);

#endif
