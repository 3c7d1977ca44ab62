/*
 * lang/query_parse_tok.c — the `.gq` parser's token plumbing: reading and
 * peeking tokens (a lexer error becomes the parse's), syntax and semantic
 * errors at a token, the nesting bound, and token text in the arena.  The
 * error model is described in query_parse_int.h.
 */
#include "lang/query_parse_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Token plumbing ---------------------------------------------------- */

void gqp_diag_move(struct lang_diag *dst, struct lang_diag *src)
{
	lang_diag_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

/* A lexical error becomes the (fatal) syntax error. */
static struct lang_token check_tok(struct gq_parser *p, struct lang_token t)
{
	if (t.kind == LANG_TOK_ERROR && !p->fatal) {
		gqp_diag_move(&p->syn, &p->lexdiag);
		p->fatal = 1;
	}
	return t;
}

struct lang_token gqp_next(struct gq_parser *p)
{
	struct lang_token t = check_tok(p, lang_lex_next(&p->lx));
	if (t.kind != LANG_TOK_EOF && t.kind != LANG_TOK_ERROR) {
		p->last_start = t.start;
		p->last_end = t.end;
	}
	return t;
}

struct lang_token gqp_peek(struct gq_parser *p)
{
	return check_tok(p, lang_lex_peek(&p->lx));
}

int gqp_peek_word(struct gq_parser *p, const char *w)
{
	struct lang_token t = gqp_peek(p);
	return lang_tok_is(&p->lx, &t, w);
}

int gqp_error_at(struct gq_parser *p, const struct lang_token *t, const char *fmt, ...)
{
	if (t->kind == LANG_TOK_ERROR || p->fatal)
		return -1;  /* the lexer's message stands */
	char *hint = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&hint, fmt, ap) < 0)
		hint = NULL;
	va_end(ap);
	lang_diag_syntax(&p->syn, p->src, p->len, t->start, t->end, "%s",
	                 hint ? hint : "unexpected token");
	free(hint);
	return -1;
}

int gqp_expect(struct gq_parser *p, enum lang_tok kind, const char *what,
               struct lang_token *out)
{
	struct lang_token t = gqp_peek(p);
	if (t.kind != kind)
		return gqp_error_at(p, &t, "expected %s", what);
	gqp_next(p);
	if (out != NULL)
		*out = t;
	return 0;
}

int gqp_expect_word(struct gq_parser *p, const char *w)
{
	struct lang_token t = gqp_peek(p);
	if (!lang_tok_is(&p->lx, &t, w))
		return gqp_error_at(p, &t, "expected `%s`", w);
	gqp_next(p);
	return 0;
}

static void semantic(struct gq_parser *p, uint32_t pos, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void semantic(struct gq_parser *p, uint32_t pos, const char *fmt, va_list ap)
{
	if (lang_diag_failed(&p->sem))
		return;
	lang_diag_vset(&p->sem, LANG_PREFIX_PARSE, fmt, ap);
	p->sem.has_pos = 1;
	p->sem.pos = pos;
}

int gqp_semantic(struct gq_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	semantic(p, p->last_start, fmt, ap);   /* the token read last */
	va_end(ap);
	return 0;
}

int gqp_semantic_at(struct gq_parser *p, const struct lang_token *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	semantic(p, t->start, fmt, ap);
	va_end(ap);
	return 0;
}

int gqp_oom(struct gq_parser *p)
{
	if (!p->fatal) {
		lang_diag_set(&p->syn, LANG_PREFIX_PARSE, "out of memory");
		p->fatal = 1;
	}
	return -1;
}

int gqp_enter(struct gq_parser *p)
{
	assert(p->depth >= 0);
	if (p->depth >= GQ_MAX_NESTING) {
		struct lang_token t = gqp_peek(p);
		gqp_error_at(p, &t, "nesting deeper than %d levels is not supported",
		             GQ_MAX_NESTING);
		p->fatal = 1;
		p->depth++;  /* gqp_leave() still runs on the way out */
		return -1;
	}
	p->depth++;
	return 0;
}

void gqp_leave(struct gq_parser *p)
{
	assert(p->depth > 0);
	p->depth--;
}

const char *gqp_tok_str(struct gq_parser *p, const struct lang_token *t)
{
	const char *s = lang_arena_strndup(p->arena, lang_tok_text(&p->lx, t), lang_tok_len(t));
	if (s == NULL)
		gqp_oom(p);
	return s;
}

const char *gqp_var_name(struct gq_parser *p, const struct lang_token *t)
{
	assert(t->kind == LANG_TOK_VARIABLE && lang_tok_len(t) >= 2);
	const char *s = lang_arena_strndup(p->arena, lang_tok_text(&p->lx, t) + 1,
	                                   lang_tok_len(t) - 1);
	if (s == NULL)
		gqp_oom(p);
	return s;
}
