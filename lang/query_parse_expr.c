/*
 * lang/query_parse_expr.c — .gq expressions, literals and values (spec §3.1):
 *
 *   expr  = "now" "(" ")" | nearest | searchcall | fuzzycall | matchtextcall
 *         | "bm25" "(" expr "," expr ")" | rrf | agg "(" expr ")"
 *         | variable "." ident | variable | literal | ident
 *
 * A call name is only a call when `(` follows; otherwise the word is an
 * alias reference (keywords are not reserved, spec §1).
 */
#include "lang/query_parse_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Rust's ParseIntError text for an out-of-range value, which OmniGraph
 * puts after "invalid integer: " (spec §3.1). */
#define TOO_LARGE "number too large to fit in target type"

static struct gq_expr *new_expr(struct gq_parser *p, enum gq_expr_kind kind, uint32_t start)
{
	struct gq_expr *e = lang_arena_alloc(p->arena, sizeof(*e));
	if (e == NULL) {
		gqp_oom(p);
		return NULL;
	}
	e->kind = kind;
	e->span.start = start;
	e->span.end = start;
	return e;
}

static void finish(struct gq_parser *p, struct gq_expr *e)
{
	e->span.end = p->last_end;
	if (e->kind == GQ_EXPR_LIT)
		e->lit.span = e->span;
}

const char *gqp_string(struct gq_parser *p, const struct lang_token *t, size_t *len_out)
{
	assert(t->kind == LANG_TOK_STRING);
	char *raw = NULL;
	size_t len = 0;
	struct lang_diag d = LANG_DIAG_INIT;
	if (lang_lex_string_value(&p->lx, t, &raw, &len, &d) != 0) {
		/* The lexer worded it ("parse error: unsupported escape ...");
		 * keep the first such error, drop the prefix we add again. */
		const char *m = d.message ? d.message : "invalid string literal";
		size_t pl = strlen(LANG_PREFIX_PARSE);
		if (strncmp(m, LANG_PREFIX_PARSE, pl) == 0)
			m += pl;
		gqp_semantic_at(p, t, "%s", m);
		lang_diag_clear(&d);
		*len_out = 0;
		return "";
	}
	const char *s = lang_arena_strndup(p->arena, raw, len);
	free(raw);
	if (s == NULL) {
		gqp_oom(p);
		return NULL;
	}
	*len_out = len;
	return s;
}

/* INT token as i64; out of range is semantic (spec §1), value 0. */
static int64_t int_value(struct gq_parser *p, const struct lang_token *t)
{
	uint64_t v = 0;
	if (lang_tok_u64(&p->lx, t, &v) != 0 || v > (uint64_t)INT64_MAX) {
		gqp_semantic_at(p, t, "invalid integer: " TOO_LARGE);
		return 0;
	}
	return (int64_t)v;
}

static double float_value(struct gq_parser *p, const struct lang_token *t)
{
	/* strtod needs a terminated copy; the token text is a slice. */
	char *copy = lang_arena_strndup(p->arena, lang_tok_text(&p->lx, t), lang_tok_len(t));
	return copy ? strtod(copy, NULL) : 0.0;
}

static int parse_lit(struct gq_parser *p, struct gq_lit *out);

static int parse_list_items(struct gq_parser *p, struct gq_lit *out)
{
	gqp_next(p);  /* [ */
	out->kind = GQ_LIT_LIST;
	size_t cap = 0;
	if (gqp_peek(p).kind != LANG_TOK_RBRACKET) {
		for (;;) {
			struct gq_lit *item = gq_push(p->arena, (void **)&out->items,
			                                    &out->n_items, &cap, sizeof(*item));
			if (item == NULL)
				return gqp_oom(p);
			if (parse_lit(p, item) != 0)
				return -1;
			if (gqp_peek(p).kind != LANG_TOK_COMMA)
				break;
			gqp_next(p);
		}
	}
	return gqp_expect(p, LANG_TOK_RBRACKET, "`,` or `]`", NULL);
}

/* Lists nest (`[[1]]` parses; the typechecker refuses it), so they count
 * towards the nesting bound. */
static int parse_list(struct gq_parser *p, struct gq_lit *out)
{
	if (gqp_enter(p) != 0)
		return -1;
	int rc = parse_list_items(p, out);
	gqp_leave(p);
	return rc;
}

/* date("...") / datetime("...") */
static int parse_dated(struct gq_parser *p, struct gq_lit *out, enum gq_lit_kind kind)
{
	struct lang_token s;
	gqp_next(p);  /* the word */
	if (gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0 ||
	    gqp_expect(p, LANG_TOK_STRING, "string literal", &s) != 0)
		return -1;
	out->kind = kind;
	out->str = gqp_string(p, &s, &out->str_len);
	if (out->str == NULL)
		return -1;
	return gqp_expect(p, LANG_TOK_RPAREN, "`)`", NULL);
}

/* Is the token after the next one a `(`?  (Two-token lookahead.) */
static int word_then_paren(struct gq_parser *p)
{
	struct lang_lex_mark m = lang_lex_save(&p->lx);
	uint32_t last = p->last_end;
	gqp_next(p);
	int yes = gqp_peek(p).kind == LANG_TOK_LPAREN;
	lang_lex_restore(&p->lx, m);
	p->last_end = last;
	return yes;
}

static int parse_lit(struct gq_parser *p, struct gq_lit *out)
{
	struct lang_token t = gqp_peek(p);
	out->span.start = t.start;
	int rc = 0;
	switch (t.kind) {
	case LANG_TOK_LBRACKET:
		rc = parse_list(p, out);
		break;
	case LANG_TOK_STRING:
		gqp_next(p);
		out->kind = GQ_LIT_STRING;
		out->str = gqp_string(p, &t, &out->str_len);
		rc = out->str ? 0 : -1;
		break;
	case LANG_TOK_INT:
		gqp_next(p);
		out->kind = GQ_LIT_INT;
		out->i = int_value(p, &t);
		break;
	case LANG_TOK_FLOAT:
		gqp_next(p);
		out->kind = GQ_LIT_FLOAT;
		out->f = float_value(p, &t);
		break;
	case LANG_TOK_IDENT:
		if (lang_tok_is(&p->lx, &t, "true") || lang_tok_is(&p->lx, &t, "false")) {
			gqp_next(p);
			out->kind = GQ_LIT_BOOL;
			out->b = lang_tok_is(&p->lx, &t, "true");
			break;
		}
		if (lang_tok_is(&p->lx, &t, "datetime") && word_then_paren(p)) {
			rc = parse_dated(p, out, GQ_LIT_DATETIME);
			break;
		}
		if (lang_tok_is(&p->lx, &t, "date") && word_then_paren(p)) {
			rc = parse_dated(p, out, GQ_LIT_DATE);
			break;
		}
		/* fall through */
	default:
		return gqp_error_at(p, &t, "expected literal");
	}
	out->span.end = p->last_end;
	return rc;
}

static int is_literal_start(struct gq_parser *p, const struct lang_token *t)
{
	switch (t->kind) {
	case LANG_TOK_LBRACKET:
	case LANG_TOK_STRING:
	case LANG_TOK_INT:
	case LANG_TOK_FLOAT:
		return 1;
	case LANG_TOK_IDENT:
		if (lang_tok_is(&p->lx, t, "true") || lang_tok_is(&p->lx, t, "false"))
			return 1;
		return (lang_tok_is(&p->lx, t, "date") || lang_tok_is(&p->lx, t, "datetime")) &&
		       word_then_paren(p);
	default:
		return 0;
	}
}

static struct gq_expr *lit_expr(struct gq_parser *p)
{
	struct gq_expr *e = new_expr(p, GQ_EXPR_LIT, gqp_peek(p).start);
	if (e == NULL || parse_lit(p, &e->lit) != 0)
		return NULL;
	finish(p, e);
	return e;
}

/* $v or $v.prop (the VARIABLE token is next). */
static struct gq_expr *var_expr(struct gq_parser *p, int allow_prop)
{
	struct lang_token v = gqp_next(p);
	struct gq_expr *e = new_expr(p, GQ_EXPR_VAR, v.start);
	if (e == NULL)
		return NULL;
	e->var = gqp_var_name(p, &v);
	if (e->var == NULL)
		return NULL;
	if (allow_prop && gqp_peek(p).kind == LANG_TOK_DOT) {
		struct lang_token prop;
		gqp_next(p);
		if (gqp_expect(p, LANG_TOK_IDENT, "property name", &prop) != 0)
			return NULL;
		e->kind = GQ_EXPR_PROP;
		e->name = gqp_tok_str(p, &prop);
		if (e->name == NULL)
			return NULL;
	}
	finish(p, e);
	return e;
}

/* nearest( $v.prop , expr ) — the word is next. */
static struct gq_expr *nearest_call(struct gq_parser *p)
{
	struct lang_token w = gqp_next(p);
	struct gq_expr *e = new_expr(p, GQ_EXPR_NEAREST, w.start);
	if (e == NULL || gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0)
		return NULL;
	struct lang_token v = gqp_peek(p);
	if (v.kind != LANG_TOK_VARIABLE) {
		gqp_error_at(p, &v, "expected property access ($var.prop)");
		return NULL;
	}
	e->arg[0] = var_expr(p, 1);
	if (e->arg[0] == NULL)
		return NULL;
	if (e->arg[0]->kind != GQ_EXPR_PROP) {
		struct lang_token t = gqp_peek(p);
		gqp_error_at(p, &t, "expected `.`");
		return NULL;
	}
	if (gqp_expect(p, LANG_TOK_COMMA, "`,`", NULL) != 0)
		return NULL;
	e->arg[1] = gqp_expr(p);
	if (e->arg[1] == NULL || gqp_expect(p, LANG_TOK_RPAREN, "`)`", NULL) != 0)
		return NULL;
	finish(p, e);
	return e;
}

/* name( expr , expr [, expr] ) for search, fuzzy, match_text, bm25.
 * `max_args` is 3 only for fuzzy. */
static struct gq_expr *binary_call(struct gq_parser *p, enum gq_expr_kind kind, int max_args)
{
	struct lang_token w = gqp_next(p);
	struct gq_expr *e = new_expr(p, kind, w.start);
	if (e == NULL || gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0)
		return NULL;
	for (int i = 0; i < max_args; i++) {
		if (i > 0) {
			struct lang_token sep = gqp_peek(p);
			if (i >= 2 && sep.kind == LANG_TOK_RPAREN)
				break;
			if (sep.kind != LANG_TOK_COMMA) {
				gqp_error_at(p, &sep, i >= 2 ? "expected `,` or `)`" : "expected `,`");
				return NULL;
			}
			gqp_next(p);
		}
		e->arg[i] = gqp_expr(p);
		if (e->arg[i] == NULL)
			return NULL;
	}
	if (gqp_expect(p, LANG_TOK_RPAREN, "`)`", NULL) != 0)
		return NULL;
	finish(p, e);
	return e;
}

/* rank = nearest | bm25 (anything else is a syntax error, spec §3.1) */
static struct gq_expr *rank_expr(struct gq_parser *p)
{
	struct lang_token t = gqp_peek(p);
	if (lang_tok_is(&p->lx, &t, "nearest") && word_then_paren(p))
		return nearest_call(p);
	if (lang_tok_is(&p->lx, &t, "bm25") && word_then_paren(p))
		return binary_call(p, GQ_EXPR_BM25, 2);
	gqp_error_at(p, &t, "expected nearest(...) or bm25(...)");
	return NULL;
}

static struct gq_expr *rrf_call(struct gq_parser *p)
{
	struct lang_token w = gqp_next(p);
	struct gq_expr *e = new_expr(p, GQ_EXPR_RRF, w.start);
	if (e == NULL || gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0)
		return NULL;
	if ((e->arg[0] = rank_expr(p)) == NULL ||
	    gqp_expect(p, LANG_TOK_COMMA, "`,`", NULL) != 0 ||
	    (e->arg[1] = rank_expr(p)) == NULL)
		return NULL;
	if (gqp_peek(p).kind == LANG_TOK_COMMA) {
		gqp_next(p);
		if ((e->arg[2] = gqp_expr(p)) == NULL)
			return NULL;
	}
	if (gqp_expect(p, LANG_TOK_RPAREN, "`,` or `)`", NULL) != 0)
		return NULL;
	finish(p, e);
	return e;
}

static struct gq_expr *agg_call(struct gq_parser *p, enum gq_agg agg)
{
	struct lang_token w = gqp_next(p);
	struct gq_expr *e = new_expr(p, GQ_EXPR_AGG, w.start);
	if (e == NULL)
		return NULL;
	e->agg = agg;
	if (gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0 ||
	    (e->arg[0] = gqp_expr(p)) == NULL ||
	    gqp_expect(p, LANG_TOK_RPAREN, "`)`", NULL) != 0)
		return NULL;
	finish(p, e);
	return e;
}

static struct gq_expr *now_call(struct gq_parser *p)
{
	struct lang_token w = gqp_next(p);
	struct gq_expr *e = new_expr(p, GQ_EXPR_NOW, w.start);
	if (e == NULL || gqp_expect(p, LANG_TOK_LPAREN, "`(`", NULL) != 0 ||
	    gqp_expect(p, LANG_TOK_RPAREN, "`)`", NULL) != 0)
		return NULL;
	finish(p, e);
	return e;
}

static const struct {
	const char *word;
	enum gq_agg agg;
} agg_words[] = {
	{ "count", GQ_AGG_COUNT }, { "sum", GQ_AGG_SUM }, { "avg", GQ_AGG_AVG },
	{ "min", GQ_AGG_MIN },     { "max", GQ_AGG_MAX },
};

/* An IDENT followed by `(`: one of the calls, or NULL with no error set
 * when the word names no call. */
static struct gq_expr *call_expr(struct gq_parser *p, const struct lang_token *t, int *matched)
{
	*matched = 1;
	if (lang_tok_is(&p->lx, t, "now"))
		return now_call(p);
	if (lang_tok_is(&p->lx, t, "nearest"))
		return nearest_call(p);
	if (lang_tok_is(&p->lx, t, "search"))
		return binary_call(p, GQ_EXPR_SEARCH, 2);
	if (lang_tok_is(&p->lx, t, "fuzzy"))
		return binary_call(p, GQ_EXPR_FUZZY, 3);
	if (lang_tok_is(&p->lx, t, "match_text"))
		return binary_call(p, GQ_EXPR_MATCH_TEXT, 2);
	if (lang_tok_is(&p->lx, t, "bm25"))
		return binary_call(p, GQ_EXPR_BM25, 2);
	if (lang_tok_is(&p->lx, t, "rrf"))
		return rrf_call(p);
	for (size_t i = 0; i < sizeof(agg_words) / sizeof(agg_words[0]); i++)
		if (lang_tok_is(&p->lx, t, agg_words[i].word))
			return agg_call(p, agg_words[i].agg);
	*matched = 0;
	return NULL;
}

static struct gq_expr *expr_inner(struct gq_parser *p)
{
	struct lang_token t = gqp_peek(p);
	if (t.kind == LANG_TOK_ERROR)
		return NULL;
	if (t.kind == LANG_TOK_VARIABLE)
		return var_expr(p, 1);
	if (is_literal_start(p, &t))
		return lit_expr(p);
	if (t.kind != LANG_TOK_IDENT) {
		gqp_error_at(p, &t, "expected expression");
		return NULL;
	}
	if (word_then_paren(p)) {
		int matched = 0;
		struct gq_expr *e = call_expr(p, &t, &matched);
		if (matched)
			return e;
	}
	/* A bare ident is an alias reference (spec §3.1). */
	gqp_next(p);
	struct gq_expr *e = new_expr(p, GQ_EXPR_ALIAS, t.start);
	if (e == NULL || (e->name = gqp_tok_str(p, &t)) == NULL)
		return NULL;
	finish(p, e);
	return e;
}

struct gq_expr *gqp_expr(struct gq_parser *p)
{
	if (gqp_enter(p) != 0)
		return NULL;
	struct gq_expr *e = expr_inner(p);
	gqp_leave(p);
	return e;
}

struct gq_expr *gqp_value(struct gq_parser *p)
{
	struct lang_token t = gqp_peek(p);
	if (t.kind == LANG_TOK_VARIABLE)
		return var_expr(p, 0);
	if (lang_tok_is(&p->lx, &t, "now") && word_then_paren(p))
		return now_call(p);
	if (is_literal_start(p, &t))
		return lit_expr(p);
	if (t.kind != LANG_TOK_ERROR)
		gqp_error_at(p, &t, "expected literal, variable or now()");
	return NULL;
}

int gqp_is_text_search(const struct gq_expr *e)
{
	return e->kind == GQ_EXPR_SEARCH || e->kind == GQ_EXPR_FUZZY ||
	       e->kind == GQ_EXPR_MATCH_TEXT;
}
