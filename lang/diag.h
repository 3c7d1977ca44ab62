/*
 * lang/diag.h — compiler diagnostics shared by the .pg and .gq parsers.
 *
 * A diagnostic is one message (the first failure wins, spec §2.5).  Syntax
 * errors carry a byte span and are rendered the way OmniGraph's pest-based
 * parser renders them (spec §1):
 *
 *     parse error:  --> 2:6
 *       |
 *     2 | node { }
 *       |      ^
 *       |
 *       = expected type name
 *
 * Semantic errors (raised after the grammar succeeded) have no span and are
 * a single line: "parse error: ...", "type error: ...", "catalog error: ...".
 */
#ifndef GROVE_LANG_DIAG_H
#define GROVE_LANG_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define LANG_PREFIX_PARSE   "parse error: "
#define LANG_PREFIX_TYPE    "type error: "
#define LANG_PREFIX_CATALOG "catalog error: "

struct lang_diag {
	char *message;        /* full text with its prefix; NULL: no error   */
	int owned;            /* message was malloc'd (else a static string) */
	int has_span;         /* syntax error with a source position         */
	size_t span_start;    /* byte offsets [start, end), end > start      */
	size_t span_end;
	uint32_t line;        /* 1-based line of span_start                  */
	uint32_t col;         /* 1-based column, in characters               */
	/* A type error's place: the byte offset of the clause or expression
	 * it is about, in the text the spans index (no line here: the checker
	 * has no text; renderers that have it compute one). */
	int has_pos;
	size_t pos;
	/* A semantic error of a .pg schema: line and col above name the
	 * declaration, property, annotation or constraint it is about. */
	int has_place;
};

#define LANG_DIAG_INIT { NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Place a span-less error at line:col (1-based; 0: unknown) unless it has
 * a place already (the innermost one is the most precise).  Returns -1. */
int lang_diag_at(struct lang_diag *d, uint32_t line, uint32_t col);

/* Forget any message (freeing it). */
void lang_diag_clear(struct lang_diag *d);

/* Is a message set? */
static inline int lang_diag_failed(const struct lang_diag *d)
{
	return d->message != NULL;
}

/* Set a span-less message: prefix + formatted text.  Overwrites any
 * earlier message.  Always returns -1 so callers can `return lang_diag_...`. */
int lang_diag_set(struct lang_diag *d, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int lang_diag_vset(struct lang_diag *d, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Set a syntax error at byte span [start, end) of `src` (a zero-width span
 * is widened to one byte); `expected_fmt` is the text after "= ", e.g.
 * "expected type name".  Returns -1. */
int lang_diag_syntax(struct lang_diag *d, const char *src, size_t src_len,
                     size_t start, size_t end, const char *expected_fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Line (1-based) and column (1-based, counted in UTF-8 characters) of byte
 * offset `off` in `src`. */
void lang_diag_line_col(const char *src, size_t src_len, size_t off,
                        uint32_t *line_out, uint32_t *col_out);

#endif /* GROVE_LANG_DIAG_H */
