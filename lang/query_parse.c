/*
 * lang/query_parse.c — the `.gq` parser (spec §3.1): files, queries,
 * parameters, annotations, match clauses, return/order/limit, mutations.
 * Expressions are in query_parse_expr.c; the error model and the one
 * backtracking point are described in query_parse_int.h.
 */
#include "lang/query_parse_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define TOO_LARGE "number too large to fit in target type"

#define PUSH(p, arr, n, cap) gq_push((p)->arena, (void **)&(arr), &(n), &(cap), sizeof(*(arr)))

/* ---- Clauses ------------------------------------------------------------- */

static int parse_clause(struct gq_parser *p, struct gq_clause *c);

static int parse_filter_op(struct gq_parser *p, enum gq_op *op)
{
	struct lang_token t = gqp_peek(p);
	switch (t.kind) {
	case LANG_TOK_EQ: *op = GQ_OP_EQ; break;
	case LANG_TOK_NE: *op = GQ_OP_NE; break;
	case LANG_TOK_LT: *op = GQ_OP_LT; break;
	case LANG_TOK_LE: *op = GQ_OP_LE; break;
	case LANG_TOK_GT: *op = GQ_OP_GT; break;
	case LANG_TOK_GE: *op = GQ_OP_GE; break;
	default:
		if (lang_tok_is(&p->lx, &t, "contains"))
			*op = GQ_OP_CONTAINS;
		else if (lang_tok_is(&p->lx, &t, "starts_with"))
			*op = GQ_OP_STARTS_WITH;
		else
			return -1;
	}
	gqp_next(p);
	return 0;
}

/* filter = expr fop expr, or a lone search/fuzzy/match_text call, which is
 * sugar for `<call> = true` (spec §3.1). */
static int parse_filter(struct gq_parser *p, struct gq_clause *c)
{
	c->kind = GQ_CLAUSE_FILTER;
	c->left = gqp_expr(p);
	if (c->left == NULL)
		return -1;
	if (parse_filter_op(p, &c->op) == 0) {
		c->right = gqp_expr(p);
		return c->right ? 0 : -1;
	}
	if (!gqp_is_text_search(c->left)) {
		struct lang_token t = gqp_peek(p);
		return gqp_error_at(p, &t, "expected comparison operator "
		                    "(=, !=, <, <=, >, >=, contains, starts_with)");
	}
	struct gq_expr *t = lang_arena_alloc(p->arena, sizeof(*t));
	if (t == NULL)
		return gqp_oom(p);
	t->kind = GQ_EXPR_LIT;
	t->span = c->left->span;
	t->lit.kind = GQ_LIT_BOOL;
	t->lit.b = 1;
	t->lit.span = t->span;
	c->op = GQ_OP_EQ;
	c->right = t;
	c->sugar = 1;
	return 0;
}

/* An edge word: an identifier other than exactly `not` (spec §3.1). */
static int parse_edge_word(struct gq_parser *p, struct gq_clause *c)
{
	struct lang_token w = gqp_peek(p);
	if (w.kind != LANG_TOK_IDENT || lang_tok_is(&p->lx, &w, "not"))
		return gqp_error_at(p, &w, "expected edge name");
	gqp_next(p);
	c->edge = gqp_tok_str(p, &w);
	return c->edge ? 0 : -1;
}

static uint32_t bound_value(struct gq_parser *p, const struct lang_token *t, const char *which)
{
	uint64_t v = 0;
	if (lang_tok_u64(&p->lx, t, &v) != 0 || v > UINT32_MAX) {
		gqp_semantic_at(p, t, "invalid traversal %s bound: " TOO_LARGE, which);
		return 0;
	}
	return (uint32_t)v;
}

/* traversal = variable ( variable ":" )? ( "<" edgeword ">" | edgeword )
 *             ( "{" INT "," INT? "}" )? variable */
static int parse_traversal(struct gq_parser *p, struct gq_clause *c)
{
	struct lang_token src = gqp_next(p);
	assert(src.kind == LANG_TOK_VARIABLE);
	c->kind = GQ_CLAUSE_TRAVERSAL;
	c->min_hops = c->max_hops = 1;
	if ((c->src = gqp_var_name(p, &src)) == NULL)
		return -1;
	struct lang_token t = gqp_peek(p);
	if (t.kind == LANG_TOK_VARIABLE) {  /* edge binding `$e:` */
		gqp_next(p);
		if ((c->edge_binding = gqp_var_name(p, &t)) == NULL ||
		    gqp_expect(p, LANG_TOK_COLON, "`:`", NULL) != 0)
			return -1;
	}
	if (gqp_peek(p).kind == LANG_TOK_LT) {
		gqp_next(p);
		c->undirected = 1;
		if (parse_edge_word(p, c) != 0 || gqp_expect(p, LANG_TOK_GT, "`>`", NULL) != 0)
			return -1;
	} else if (parse_edge_word(p, c) != 0) {
		return -1;
	}
	if (gqp_peek(p).kind == LANG_TOK_LBRACE) {
		struct lang_token lo, hi;
		gqp_next(p);
		if (gqp_expect(p, LANG_TOK_INT, "minimum hop count", &lo) != 0 ||
		    gqp_expect(p, LANG_TOK_COMMA, "`,`", NULL) != 0)
			return -1;
		c->has_bounds = 1;
		c->min_hops = bound_value(p, &lo, "min");
		if (gqp_peek(p).kind == LANG_TOK_INT) {
			hi = gqp_next(p);
			c->max_hops = bound_value(p, &hi, "max");
		} else {
			c->max_unbounded = 1;
		}
		if (gqp_expect(p, LANG_TOK_RBRACE, "maximum hop count or `}`", NULL) != 0)
			return -1;
	}
	struct lang_token dst;
	if (gqp_expect(p, LANG_TOK_VARIABLE, "destination variable", &dst) != 0)
		return -1;
	c->dst = gqp_var_name(p, &dst);
	return c->dst ? 0 : -1;
}

/* $v: Type ( "{" pmatch ( "," pmatch )* ","? "}" )? */
static int parse_binding(struct gq_parser *p, struct gq_clause *c)
{
	struct lang_token v = gqp_next(p), type;
	gqp_next(p);  /* : */
	c->kind = GQ_CLAUSE_BINDING;
	if ((c->var = gqp_var_name(p, &v)) == NULL ||
	    gqp_expect(p, LANG_TOK_TYPENAME, "type name", &type) != 0 ||
	    (c->type_name = gqp_tok_str(p, &type)) == NULL)
		return -1;
	if (gqp_peek(p).kind != LANG_TOK_LBRACE)
		return 0;
	gqp_next(p);
	size_t cap = 0;
	do {
		struct lang_token prop;
		if (c->n_matches > 0 && gqp_peek(p).kind == LANG_TOK_RBRACE)
			break;  /* trailing comma */
		if (gqp_expect(p, LANG_TOK_IDENT, "property name", &prop) != 0)
			return -1;
		struct gq_pmatch *m = PUSH(p, c->matches, c->n_matches, cap);
		if (m == NULL)
			return gqp_oom(p);
		m->span.start = prop.start;
		if ((m->prop = gqp_tok_str(p, &prop)) == NULL ||
		    gqp_expect(p, LANG_TOK_COLON, "`:`", NULL) != 0 ||
		    (m->value = gqp_value(p)) == NULL)
			return -1;
		m->span.end = p->last_end;
	} while (gqp_peek(p).kind == LANG_TOK_COMMA && gqp_next(p).kind == LANG_TOK_COMMA);
	return gqp_expect(p, LANG_TOK_RBRACE, "`,` or `}`", NULL);
}

/* One more of `what` when `n` are there already: past `max` a fatal syntax
 * error at the next token (its first one). */
static int within_limit(struct gq_parser *p, size_t n, size_t max, const char *what)
{
	if (n >= max) {
		struct lang_token t = gqp_peek(p);
		gqp_error_at(p, &t, "more than %zu %s in one query are not supported", max, what);
		p->fatal = 1;
		return -1;
	}
	return 0;
}

/* Count one more clause of the current query (GQ_MAX_CLAUSES). */
static int count_clause(struct gq_parser *p)
{
	if (within_limit(p, p->clauses, GQ_MAX_CLAUSES, "clauses") != 0)
		return -1;
	p->clauses++;
	return 0;
}

/* "not" "{" clause+ "}" — the word is next. */
static int parse_negation(struct gq_parser *p, struct gq_clause *c)
{
	gqp_next(p);  /* not */
	gqp_next(p);  /* { */
	c->kind = GQ_CLAUSE_NEGATION;
	if (gqp_enter(p) != 0)
		return -1;
	size_t cap = 0;
	int rc = 0;
	do {
		if (count_clause(p) != 0) {
			rc = -1;
			break;
		}
		struct gq_clause *inner = PUSH(p, c->inner, c->n_inner, cap);
		if (inner == NULL || parse_clause(p, inner) != 0) {
			rc = inner ? -1 : gqp_oom(p);
			break;
		}
	} while (gqp_peek(p).kind != LANG_TOK_RBRACE && !p->fatal);
	gqp_leave(p);
	if (rc != 0)
		return -1;
	return gqp_expect(p, LANG_TOK_RBRACE, "`}`", NULL);
}

/* `$a word ...` / `$a <word> ...`: a traversal, else a filter; keep the
 * error that got further (see query_parse_int.h). */
static int traversal_or_filter(struct gq_parser *p, struct gq_clause *c)
{
	struct lang_lex_mark mark = lang_lex_save(&p->lx);
	uint32_t last = p->last_end, last_start = p->last_start;
	int had_sem = lang_diag_failed(&p->sem);
	if (parse_traversal(p, c) == 0)
		return 0;
	if (p->fatal)
		return -1;
	struct lang_diag trav_err = LANG_DIAG_INIT;
	gqp_diag_move(&trav_err, &p->syn);
	if (!had_sem)
		lang_diag_clear(&p->sem);  /* belonged to the abandoned reading */
	lang_lex_restore(&p->lx, mark);
	p->last_end = last;
	p->last_start = last_start;
	memset(c, 0, sizeof(*c));
	int rc = parse_filter(p, c);
	if (rc != 0 && !p->fatal && trav_err.span_start > p->syn.span_start)
		gqp_diag_move(&p->syn, &trav_err);
	lang_diag_clear(&trav_err);
	return rc;
}

/* Two-token lookahead: the kind of the token after the next one. */
static struct lang_token second_token(struct gq_parser *p)
{
	struct lang_lex_mark m = lang_lex_save(&p->lx);
	uint32_t last = p->last_end;
	gqp_next(p);
	struct lang_token t = gqp_peek(p);
	lang_lex_restore(&p->lx, m);
	p->last_end = last;
	return t;
}

static int parse_clause_inner(struct gq_parser *p, struct gq_clause *c)
{
	struct lang_token t = gqp_peek(p);
	if (t.kind == LANG_TOK_ERROR)
		return -1;
	if (lang_tok_is(&p->lx, &t, "not") && second_token(p).kind == LANG_TOK_LBRACE)
		return parse_negation(p, c);
	if (t.kind != LANG_TOK_VARIABLE)
		return parse_filter(p, c);
	struct lang_token t2 = second_token(p);
	switch (t2.kind) {
	case LANG_TOK_COLON:
		return parse_binding(p, c);
	case LANG_TOK_VARIABLE:
		return parse_traversal(p, c);
	case LANG_TOK_LT:
		return traversal_or_filter(p, c);
	case LANG_TOK_IDENT:
		if (!lang_tok_is(&p->lx, &t2, "not"))
			return traversal_or_filter(p, c);
		return parse_filter(p, c);
	default:
		return parse_filter(p, c);
	}
}

static int parse_clause(struct gq_parser *p, struct gq_clause *c)
{
	c->span.start = gqp_peek(p).start;
	int rc = parse_clause_inner(p, c);
	c->span.end = p->last_end;
	return rc;
}

/* "{" clause+ "}" after `match` */
static int parse_match(struct gq_parser *p, struct gq_query *q)
{
	size_t cap = 0;
	gqp_next(p);  /* match */
	if (gqp_expect(p, LANG_TOK_LBRACE, "`{`", NULL) != 0)
		return -1;
	p->clauses = 0;
	do {
		if (count_clause(p) != 0)
			return -1;
		struct gq_clause *c = PUSH(p, q->clauses, q->n_clauses, cap);
		if (c == NULL)
			return gqp_oom(p);
		if (parse_clause(p, c) != 0)
			return -1;
	} while (gqp_peek(p).kind != LANG_TOK_RBRACE && !p->fatal);
	return gqp_expect(p, LANG_TOK_RBRACE, "`}`", NULL);
}

/* ---- return / order / limit -------------------------------------------- */

static int parse_return(struct gq_parser *p, struct gq_query *q)
{
	size_t cap = 0;
	if (gqp_expect_word(p, "return") != 0 ||
	    gqp_expect(p, LANG_TOK_LBRACE, "`{`", NULL) != 0)
		return -1;
	do {
		if (within_limit(p, q->n_projs, GQ_MAX_PROJECTIONS, "projections") != 0)
			return -1;
		struct gq_proj *pr = PUSH(p, q->projs, q->n_projs, cap);
		if (pr == NULL)
			return gqp_oom(p);
		pr->span.start = gqp_peek(p).start;
		if ((pr->expr = gqp_expr(p)) == NULL)
			return -1;
		if (gqp_peek_word(p, "as")) {
			struct lang_token a;
			gqp_next(p);
			if (gqp_expect(p, LANG_TOK_IDENT, "alias name", &a) != 0 ||
			    (pr->alias = gqp_tok_str(p, &a)) == NULL)
				return -1;
		}
		pr->span.end = p->last_end;
		if (gqp_peek(p).kind == LANG_TOK_COMMA)
			gqp_next(p);
	} while (gqp_peek(p).kind != LANG_TOK_RBRACE && !p->fatal);
	return gqp_expect(p, LANG_TOK_RBRACE, "`}`", NULL);
}

/* ordering = nearest | expr ( "asc" | "desc" )?  — nearest(...) takes no
 * direction, so `nearest(...) desc` fails at `desc` (spec §3.1). */
static int parse_ordering(struct gq_parser *p, struct gq_order *o)
{
	struct lang_token t = gqp_peek(p);
	o->span.start = t.start;
	o->expr = gqp_expr(p);
	if (o->expr == NULL)
		return -1;
	if (o->expr->kind != GQ_EXPR_NEAREST) {
		if (gqp_peek_word(p, "asc") || gqp_peek_word(p, "desc")) {
			o->has_direction = 1;
			o->descending = gqp_peek_word(p, "desc");
			gqp_next(p);
		}
	}
	o->span.end = p->last_end;
	return 0;
}

static int parse_order(struct gq_parser *p, struct gq_query *q)
{
	size_t cap = 0;
	gqp_next(p);  /* order */
	if (gqp_expect(p, LANG_TOK_LBRACE, "`{`", NULL) != 0)
		return -1;
	for (;;) {
		struct gq_order *o = PUSH(p, q->orders, q->n_orders, cap);
		if (o == NULL)
			return gqp_oom(p);
		if (parse_ordering(p, o) != 0)
			return -1;
		if (gqp_peek(p).kind != LANG_TOK_COMMA)
			break;
		gqp_next(p);
	}
	return gqp_expect(p, LANG_TOK_RBRACE, "`,` or `}`", NULL);
}

static int parse_read_body(struct gq_parser *p, struct gq_query *q)
{
	if (parse_match(p, q) != 0 || parse_return(p, q) != 0)
		return -1;
	if (gqp_peek_word(p, "order") && parse_order(p, q) != 0)
		return -1;
	if (gqp_peek_word(p, "limit")) {
		struct lang_token n;
		gqp_next(p);
		if (gqp_expect(p, LANG_TOK_INT, "integer", &n) != 0)
			return -1;
		q->has_limit = 1;
		if (lang_tok_u64(&p->lx, &n, &q->limit) != 0)
			gqp_semantic_at(p, &n, "invalid limit: " TOO_LARGE);
	}
	return 0;
}

/* ---- Mutations ----------------------------------------------------------- */

/* "{" ( ident ":" value ","? )+ "}" */
static int parse_assigns(struct gq_parser *p, struct gq_mutation *m)
{
	size_t cap = 0;
	if (gqp_expect(p, LANG_TOK_LBRACE, "`{`", NULL) != 0)
		return -1;
	do {
		struct lang_token prop;
		if (gqp_expect(p, LANG_TOK_IDENT, "property name", &prop) != 0)
			return -1;
		struct gq_assign *a = PUSH(p, m->assigns, m->n_assigns, cap);
		if (a == NULL)
			return gqp_oom(p);
		a->span.start = prop.start;
		if ((a->prop = gqp_tok_str(p, &prop)) == NULL ||
		    gqp_expect(p, LANG_TOK_COLON, "`:`", NULL) != 0 ||
		    (a->value = gqp_value(p)) == NULL)
			return -1;
		a->span.end = p->last_end;
		if (gqp_peek(p).kind == LANG_TOK_COMMA)
			gqp_next(p);
	} while (gqp_peek(p).kind != LANG_TOK_RBRACE && !p->fatal);
	return gqp_expect(p, LANG_TOK_RBRACE, "`}`", NULL);
}

/* "where" ident cop value — comparison operators only (spec §3.1). */
static int parse_pred(struct gq_parser *p, struct gq_mutation *m)
{
	struct lang_token prop;
	if (gqp_expect_word(p, "where") != 0 ||
	    gqp_expect(p, LANG_TOK_IDENT, "property name", &prop) != 0)
		return -1;
	m->pred.span.start = prop.start;
	if ((m->pred.prop = gqp_tok_str(p, &prop)) == NULL)
		return -1;
	struct lang_token op = gqp_peek(p);
	if (op.kind < LANG_TOK_EQ || op.kind > LANG_TOK_GE ||
	    parse_filter_op(p, &m->pred.op) != 0)
		return gqp_error_at(p, &op, "expected comparison operator (=, !=, <, <=, >, >=)");
	if ((m->pred.value = gqp_value(p)) == NULL)
		return -1;
	m->pred.span.end = p->last_end;
	return 0;
}

static int parse_mutation(struct gq_parser *p, struct gq_mutation *m)
{
	struct lang_token kw = gqp_next(p), type;
	m->span.start = kw.start;
	if (lang_tok_is(&p->lx, &kw, "insert"))
		m->kind = GQ_MUT_INSERT;
	else if (lang_tok_is(&p->lx, &kw, "update"))
		m->kind = GQ_MUT_UPDATE;
	else
		m->kind = GQ_MUT_DELETE;
	if (gqp_expect(p, LANG_TOK_TYPENAME, "type name", &type) != 0 ||
	    (m->type_name = gqp_tok_str(p, &type)) == NULL)
		return -1;
	int rc;
	if (m->kind == GQ_MUT_INSERT)
		rc = parse_assigns(p, m);
	else if (m->kind == GQ_MUT_UPDATE)
		rc = (gqp_expect_word(p, "set") != 0 || parse_assigns(p, m) != 0 ||
		      parse_pred(p, m) != 0) ? -1 : 0;
	else
		rc = parse_pred(p, m);
	m->span.end = p->last_end;
	return rc;
}

static int peek_mutation_word(struct gq_parser *p)
{
	return gqp_peek_word(p, "insert") || gqp_peek_word(p, "update") ||
	       gqp_peek_word(p, "delete");
}

static int parse_mutations(struct gq_parser *p, struct gq_query *q)
{
	size_t cap = 0;
	do {
		struct gq_mutation *m = PUSH(p, q->mutations, q->n_mutations, cap);
		if (m == NULL)
			return gqp_oom(p);
		if (parse_mutation(p, m) != 0)
			return -1;
	} while (peek_mutation_word(p));
	return 0;
}

/* ---- Queries ------------------------------------------------------------- */

static const struct {
	const char *word;
	enum gq_base base;
} base_words[] = {
	{ "String", GQ_BASE_STRING }, { "Blob", GQ_BASE_BLOB }, { "Bool", GQ_BASE_BOOL },
	{ "I32", GQ_BASE_I32 },       { "I64", GQ_BASE_I64 },   { "U32", GQ_BASE_U32 },
	{ "U64", GQ_BASE_U64 },       { "F32", GQ_BASE_F32 },   { "F64", GQ_BASE_F64 },
	{ "DateTime", GQ_BASE_DATETIME }, { "Date", GQ_BASE_DATE },
};

static int parse_base(struct gq_parser *p, struct gq_type_ref *ty)
{
	struct lang_token t = gqp_peek(p);
	for (size_t i = 0; i < sizeof(base_words) / sizeof(base_words[0]); i++) {
		if (lang_tok_is(&p->lx, &t, base_words[i].word)) {
			gqp_next(p);
			ty->base = base_words[i].base;
			return 0;
		}
	}
	return gqp_error_at(p, &t, "expected parameter type (String, Bool, I32, I64, U32, "
	                    "U64, F32, F64, Date, DateTime, Blob, [T] or Vector(n))");
}

/* ptype = ( "[" basetype "]" | "Vector" "(" INT ")" | basetype ) "?"? */
static int parse_ptype(struct gq_parser *p, struct gq_type_ref *ty)
{
	struct lang_token t = gqp_peek(p);
	if (t.kind == LANG_TOK_LBRACKET) {
		gqp_next(p);
		ty->list = 1;
		if (parse_base(p, ty) != 0 || gqp_expect(p, LANG_TOK_RBRACKET, "`]`", NULL) != 0)
			return -1;
	} else if (lang_tok_is(&p->lx, &t, "Vector")) {
		struct lang_token n;
		gqp_next(p);
		if (gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0 ||
		    gqp_expect(p, LANG_TOK_INT, "vector dimension", &n) != 0 ||
		    gqp_expect(p, LANG_TOK_RPAREN, "`)`", NULL) != 0)
			return -1;
		ty->base = GQ_BASE_VECTOR;
		if (lang_tok_u64(&p->lx, &n, &ty->vector_dim) != 0)
			ty->vector_dim = UINT64_MAX;
	} else if (parse_base(p, ty) != 0) {
		return -1;
	}
	if (gqp_peek(p).kind == LANG_TOK_QUESTION) {
		gqp_next(p);
		ty->nullable = 1;
	}
	return 0;
}

/* "(" ( param ( "," param )* )? ")" */
static int parse_params(struct gq_parser *p, struct gq_query *q)
{
	size_t cap = 0;
	if (gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0)
		return -1;
	if (gqp_peek(p).kind == LANG_TOK_RPAREN) {
		gqp_next(p);
		return 0;
	}
	for (;;) {
		struct lang_token v;
		if (within_limit(p, q->n_params, GQ_MAX_PARAMS, "parameters") != 0)
			return -1;
		if (gqp_expect(p, LANG_TOK_VARIABLE, q->n_params ? "parameter ($name: Type)"
		               : "parameter ($name: Type) or `)`", &v) != 0)
			return -1;
		struct gq_param *pa = PUSH(p, q->params, q->n_params, cap);
		if (pa == NULL)
			return gqp_oom(p);
		pa->span.start = v.start;
		if ((pa->name = gqp_var_name(p, &v)) == NULL ||
		    gqp_expect(p, LANG_TOK_COLON, "`:`", NULL) != 0 ||
		    parse_ptype(p, &pa->type) != 0)
			return -1;
		pa->span.end = p->last_end;
		if (gqp_peek(p).kind != LANG_TOK_COMMA)
			break;
		gqp_next(p);
	}
	return gqp_expect(p, LANG_TOK_RPAREN, "`,` or `)`", NULL);
}

/* "@description" "(" STRING ")" | "@instruction" "(" STRING ")" */
static int parse_annotation(struct gq_parser *p, struct gq_query *q)
{
	struct lang_token at = gqp_next(p), w = gqp_peek(p), s;
	int is_desc = lang_tok_is(&p->lx, &w, "description");
	/* `@description` is one token in OmniGraph's grammar: no space inside. */
	if (w.start != at.end || (!is_desc && !lang_tok_is(&p->lx, &w, "instruction")))
		return gqp_error_at(p, &w, "expected `description` or `instruction`");
	gqp_next(p);
	if (gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0 ||
	    gqp_expect(p, LANG_TOK_STRING, "string literal", &s) != 0 ||
	    gqp_expect(p, LANG_TOK_RPAREN, "`)`", NULL) != 0)
		return -1;
	size_t len;
	const char *text = gqp_string(p, &s, &len);
	if (text == NULL)
		return -1;
	const char **slot = is_desc ? &q->description : &q->instruction;
	if (*slot != NULL)
		return gqp_semantic_at(p, &s, "query `%s` cannot include duplicate @%s annotations",
		                       q->name, is_desc ? "description" : "instruction");
	*slot = text;
	return 0;
}

static int parse_query(struct gq_parser *p, struct gq_query *q)
{
	struct lang_token kw = gqp_next(p), name;
	q->span.start = kw.start;
	if (gqp_expect(p, LANG_TOK_IDENT, "query name", &name) != 0 ||
	    (q->name = gqp_tok_str(p, &name)) == NULL ||
	    parse_params(p, q) != 0)
		return -1;
	while (gqp_peek(p).kind == LANG_TOK_AT)
		if (parse_annotation(p, q) != 0)
			return -1;
	if (gqp_expect(p, LANG_TOK_LBRACE, "`{` or an annotation", NULL) != 0)
		return -1;
	struct lang_token t = gqp_peek(p);
	int rc;
	if (lang_tok_is(&p->lx, &t, "match"))
		rc = parse_read_body(p, q);
	else if (peek_mutation_word(p))
		rc = parse_mutations(p, q);
	else
		rc = gqp_error_at(p, &t, "expected `match` or a mutation (insert, update, delete)");
	if (rc != 0)
		return -1;
	rc = gqp_expect(p, LANG_TOK_RBRACE, q->n_mutations ? "insert, update, delete or `}`"
	                : q->has_limit ? "`}`" : q->n_orders ? "`limit` or `}`"
	                : "`order`, `limit` or `}`", NULL);
	q->span.end = p->last_end;
	return rc;
}

static int parse_file(struct gq_parser *p, struct gq_file *f)
{
	size_t cap = 0;
	for (;;) {
		struct lang_token t = gqp_peek(p);
		if (t.kind == LANG_TOK_EOF)
			return 0;
		if (!lang_tok_is(&p->lx, &t, "query"))
			return gqp_error_at(p, &t, "expected `query` declaration");
		struct gq_query *q = PUSH(p, f->queries, f->n_queries, cap);
		if (q == NULL)
			return gqp_oom(p);
		if (parse_query(p, q) != 0)
			return -1;
	}
}

int gq_parse(struct gq_file **out, const char *src, size_t len, struct lang_diag *diag)
{
	assert(out != NULL && diag != NULL);
	*out = NULL;
	lang_diag_clear(diag);
	struct gq_file *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "out of memory");
	f->src = src;
	f->src_len = len;

	struct gq_parser p;
	memset(&p, 0, sizeof(p));
	p.arena = &f->arena;
	p.src = src;
	p.len = len;
	int rc = lang_lex_init(&p.lx, src, len, &p.lexdiag);
	if (rc != 0)
		gqp_diag_move(&p.syn, &p.lexdiag);
	else
		rc = parse_file(&p, f);
	assert(rc != 0 || p.depth == 0);

	/* A syntax error anywhere wins over a semantic one (query_parse_int.h). */
	if (rc != 0 || lang_diag_failed(&p.sem)) {
		gqp_diag_move(diag, rc != 0 ? &p.syn : &p.sem);
		assert(lang_diag_failed(diag));
		rc = -1;
	}
	lang_diag_clear(&p.syn);
	lang_diag_clear(&p.sem);
	lang_diag_clear(&p.lexdiag);
	if (rc != 0) {
		gq_file_free(f);
		return -1;
	}
	*out = f;
	return 0;
}
