/*
 * lang/query_parse_int.h — private to the .gq parser (query_parse*.c).
 *
 * Error model.  OmniGraph parses a whole file with a PEG grammar first and
 * builds the tree afterwards, so a syntax error anywhere beats a semantic
 * one ("invalid integer", a bad escape, a duplicate annotation) found
 * earlier in the text.  The parser therefore keeps two diagnostics: `syn`,
 * the syntax error that stops parsing, and `sem`, the first semantic error,
 * recorded while parsing continues.
 *
 * Backtracking.  Only one clause shape is ambiguous at its first tokens:
 * `$a word ...` / `$a <word> ...` may be a traversal or a filter (`$a < 3`,
 * or `$a contains "x"` whose traversal reading fails at the string).  The
 * clause parser tries the traversal, rewinds the lexer, tries the filter,
 * and keeps the error that got further (what a PEG reports).  `fatal`
 * marks errors no alternative may hide: lexical errors, nesting limits,
 * out of memory.
 */
#ifndef GROVE_LANG_QUERY_PARSE_INT_H
#define GROVE_LANG_QUERY_PARSE_INT_H

#include "lang/lexer.h"
#include "lang/query_ast.h"

struct gq_parser {
	struct lang_lexer lx;
	struct lang_diag lexdiag;   /* where the lexer reports               */
	struct lang_diag syn;       /* the syntax error (stops parsing)      */
	struct lang_diag sem;       /* the first semantic error              */
	struct lang_arena *arena;
	const char *src;
	size_t len;
	uint32_t last_start;        /* offsets of the last consumed token:   */
	uint32_t last_end;          /* a semantic error is placed at it      */
	int depth;                  /* current nesting (<= GQ_MAX_NESTING)   */
	uint32_t clauses;           /* of the current query (<= GQ_MAX_CLAUSES) */
	int fatal;
};

/* Tokens.  Both return LANG_TOK_ERROR (with `syn` set and `fatal`) on a
 * lexical error. */
struct lang_token gqp_next(struct gq_parser *p);
struct lang_token gqp_peek(struct gq_parser *p);
/* Is the next token the word `w` (an IDENT/TYPENAME spelled exactly so)? */
int gqp_peek_word(struct gq_parser *p, const char *w);
/* Consume a token of `kind` into *out (may be NULL) or fail with "expected
 * <what>" at the offending token. */
int gqp_expect(struct gq_parser *p, enum lang_tok kind, const char *what,
               struct lang_token *out);
/* Consume the word `w` or fail with "expected `w`". */
int gqp_expect_word(struct gq_parser *p, const char *w);

/* Report a syntax error at token t ("= expected ..." hint).  Returns -1. */
int gqp_error_at(struct gq_parser *p, const struct lang_token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record a semantic error unless one is already recorded.  Returns 0:
 * parsing goes on. */
int gqp_semantic(struct gq_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, placed at token t (the literal or bound at fault). */
int gqp_semantic_at(struct gq_parser *p, const struct lang_token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Out of memory: a fatal error.  Returns -1. */
int gqp_oom(struct gq_parser *p);
/* Move the error in `src` into `dst` (cleared first); `src` is left clear. */
void gqp_diag_move(struct lang_diag *dst, struct lang_diag *src);

/* Enter / leave one nesting level; entering past GQ_MAX_NESTING is a fatal
 * syntax error at the next token. */
int gqp_enter(struct gq_parser *p);
void gqp_leave(struct gq_parser *p);

/* Arena copy of a token's text. */
const char *gqp_tok_str(struct gq_parser *p, const struct lang_token *t);
/* Arena copy of a VARIABLE token's name without the '$'. */
const char *gqp_var_name(struct gq_parser *p, const struct lang_token *t);

/* Expressions (query_parse_expr.c). */
struct gq_expr *gqp_expr(struct gq_parser *p);
/* match_value = literal | variable | now() */
struct gq_expr *gqp_value(struct gq_parser *p);
/* A string literal token decoded into the arena (escape errors are
 * semantic: recorded, and an empty string returned). */
const char *gqp_string(struct gq_parser *p, const struct lang_token *t, size_t *len_out);
/* Is the expression a search call that may stand alone in `match`? */
int gqp_is_text_search(const struct gq_expr *e);

#endif /* GROVE_LANG_QUERY_PARSE_INT_H */
