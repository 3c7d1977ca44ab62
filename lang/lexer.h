/*
 * lang/lexer.h — the tokenizer shared by .pg and .gq (spec §1).
 *
 * Pull-based: lang_lex_next() hands out one token at a time and
 * lang_lex_peek() looks one ahead; all state lives in struct lang_lexer
 * (no globals), so any number of lexers may run at once.
 *
 * Tokens are spans of the source; nothing is copied.  Keywords are not
 * reserved (spec §1): `node`, `match`, `true` ... come out as LANG_TOK_IDENT
 * and the parser compares their text with lang_tok_is().
 *
 * Strings are delimited here but decoded by lang_lex_string_value(), because
 * a bad escape is a *semantic* error without a span (spec §2.5 stage 2,
 * §3.1), while an unterminated string is a syntax error with one.
 *
 * Enum members (`[A-Za-z0-9_-]+`, e.g. `in-progress`) do not fit the normal
 * token set, so the schema parser asks for them explicitly with
 * lang_lex_next_enum_value().
 */
#ifndef GROVE_LANG_LEXER_H
#define GROVE_LANG_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"

/* Bound on a source text; longer input is refused up front so every offset,
 * line and column fits in 32 bits and parsers can size their own limits. */
#define LANG_SOURCE_MAX_BYTES (16u * 1024u * 1024u)

enum lang_tok {
	LANG_TOK_EOF = 0,
	LANG_TOK_ERROR,     /* the lexer set a diagnostic                    */
	LANG_TOK_TYPENAME,  /* [A-Z][A-Za-z0-9_]*                            */
	LANG_TOK_IDENT,     /* [a-z_][A-Za-z0-9_]*   (also keywords)         */
	LANG_TOK_VARIABLE,  /* $ident; the span includes the '$'             */
	LANG_TOK_STRING,    /* "..."; the span includes both quotes          */
	LANG_TOK_INT,       /* [0-9]+                                        */
	LANG_TOK_FLOAT,     /* [0-9]+.[0-9]+                                 */
	LANG_TOK_ENUMVAL,   /* only from lang_lex_next_enum_value()          */
	LANG_TOK_LBRACE,    /* {  */
	LANG_TOK_RBRACE,    /* }  */
	LANG_TOK_LPAREN,    /* (  */
	LANG_TOK_RPAREN,    /* )  */
	LANG_TOK_LBRACKET,  /* [  */
	LANG_TOK_RBRACKET,  /* ]  */
	LANG_TOK_AT,        /* @  */
	LANG_TOK_QUESTION,  /* ?  */
	LANG_TOK_COLON,     /* :  */
	LANG_TOK_COMMA,     /* ,  */
	LANG_TOK_DOT,       /* .  */
	LANG_TOK_DOTDOT,    /* .. */
	LANG_TOK_ARROW,     /* -> */
	LANG_TOK_MINUS,     /* -  (only meaningful before a @range bound)    */
	LANG_TOK_EQ,        /* =  */
	LANG_TOK_NE,        /* != */
	LANG_TOK_LT,        /* <  */
	LANG_TOK_LE,        /* <= */
	LANG_TOK_GT,        /* >  */
	LANG_TOK_GE,        /* >= */
	LANG_TOK__COUNT
};

struct lang_token {
	enum lang_tok kind;
	uint32_t start;     /* byte offset of the first byte                 */
	uint32_t end;       /* byte offset one past the last byte            */
	uint32_t line;      /* 1-based                                       */
	uint32_t col;       /* 1-based, in characters                        */
};

/* A resumable position (used for peeking and backtracking). */
struct lang_lex_mark {
	uint32_t pos, line, col;
};

struct lang_lexer {
	const char *src;
	uint32_t len;
	struct lang_lex_mark cur;     /* where the next scan starts           */
	struct lang_lex_mark before_peek;
	struct lang_token peeked;
	int has_peek;
	struct lang_diag *diag;       /* receives lexical errors              */
};

/* Start lexing src[0, len).  Fails (-1, diagnostic set) if the text is
 * longer than LANG_SOURCE_MAX_BYTES. `diag` must outlive the lexer. */
int lang_lex_init(struct lang_lexer *lx, const char *src, size_t len, struct lang_diag *diag);

/* The next token; LANG_TOK_EOF at the end (repeatedly), LANG_TOK_ERROR with
 * the diagnostic set on a lexical error. */
struct lang_token lang_lex_next(struct lang_lexer *lx);

/* The token lang_lex_next() would return, without consuming it. */
struct lang_token lang_lex_peek(struct lang_lexer *lx);

/* Scan an enum member `[A-Za-z0-9_-]+` (after skipping whitespace and
 * comments).  Any peeked token is discarded and rescanned in this mode.
 * Returns LANG_TOK_ENUMVAL, or whatever ordinary token is there otherwise
 * (so the parser can report what it found). */
struct lang_token lang_lex_next_enum_value(struct lang_lexer *lx);

/* Save / restore the lexer position (drops any peeked token). */
struct lang_lex_mark lang_lex_save(const struct lang_lexer *lx);
void lang_lex_restore(struct lang_lexer *lx, struct lang_lex_mark m);

/* Token text (not NUL-terminated) and its length. */
static inline const char *lang_tok_text(const struct lang_lexer *lx, const struct lang_token *t)
{
	return lx->src + t->start;
}
static inline size_t lang_tok_len(const struct lang_token *t)
{
	return (size_t)(t->end - t->start);
}

/* Is `t` an IDENT or TYPENAME whose text is exactly `word`? */
int lang_tok_is(const struct lang_lexer *lx, const struct lang_token *t, const char *word);

/* A short human name for a token kind ("identifier", "`{`", ...) for
 * "expected ..." hints. */
const char *lang_tok_kind_name(enum lang_tok kind);

/* Decode a LANG_TOK_STRING: escapes \" \\ \n \r \t; any other escape fails
 * with "parse error: unsupported escape sequence: \q" (no span).  On success
 * *out is a malloc'd NUL-terminated copy (may contain no NULs from source
 * since the lexer rejects them) and *out_len its length. */
int lang_lex_string_value(const struct lang_lexer *lx, const struct lang_token *t,
                          char **out, size_t *out_len, struct lang_diag *diag);

/* Parse an INT token as an unsigned 64-bit value; -1 on overflow. */
int lang_tok_u64(const struct lang_lexer *lx, const struct lang_token *t, uint64_t *out);

/* Report "expected ..." at token t as a syntax error (spec §1). Returns -1. */
int lang_lex_error_at(struct lang_lexer *lx, const struct lang_token *t, const char *expected_fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* GROVE_LANG_LEXER_H */
