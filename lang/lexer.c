/* lang/lexer.c — the shared .pg/.gq tokenizer (lexer.h, spec §1). */
#include "lang/lexer.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_name_char(int c) { return is_upper(c) || is_lower(c) || is_digit(c) || c == '_'; }
static int is_enum_char(int c) { return is_name_char(c) || c == '-'; }

int lang_lex_init(struct lang_lexer *lx, const char *src, size_t len, struct lang_diag *diag)
{
	assert(lx != NULL && diag != NULL);
	assert(src != NULL || len == 0);
	memset(lx, 0, sizeof(*lx));
	lx->src = src != NULL ? src : "";
	lx->diag = diag;
	lx->cur.line = 1;
	lx->cur.col = 1;
	if (len > LANG_SOURCE_MAX_BYTES) {
		lx->len = 0;
		return lang_diag_set(diag, LANG_PREFIX_PARSE,
		                     "source is %zu bytes, more than the limit of %u bytes",
		                     len, LANG_SOURCE_MAX_BYTES);
	}
	lx->len = (uint32_t)len;
	return 0;
}

static int at(const struct lang_lexer *lx, uint32_t pos)
{
	return pos < lx->len ? (unsigned char)lx->src[pos] : -1;
}

/* Consume one byte, keeping line and column (columns count characters,
 * so UTF-8 continuation bytes do not advance them). */
static void advance(struct lang_lexer *lx)
{
	assert(lx->cur.pos < lx->len);
	unsigned char c = (unsigned char)lx->src[lx->cur.pos++];
	if (c == '\n') {
		lx->cur.line++;
		lx->cur.col = 1;
	} else if ((c & 0xC0) != 0x80) {
		lx->cur.col++;
	}
}

static struct lang_token make_token(const struct lang_lexer *lx, enum lang_tok kind,
                                    struct lang_lex_mark start)
{
	struct lang_token t = { kind, start.pos, lx->cur.pos, start.line, start.col };
	return t;
}

static struct lang_token lex_fail(struct lang_lexer *lx, struct lang_lex_mark start,
                                  uint32_t end, const char *expected)
{
	lang_diag_syntax(lx->diag, lx->src, lx->len, start.pos, end, "%s", expected);
	struct lang_token t = { LANG_TOK_ERROR, start.pos, end, start.line, start.col };
	return t;
}

/* Skip whitespace and comments.  Returns 0, or -1 (diagnostic set) for an
 * unterminated block comment, reported at its opening. */
static int skip_trivia(struct lang_lexer *lx)
{
	for (;;) {
		int c = at(lx, lx->cur.pos);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(lx);
		} else if (c == '/' && at(lx, lx->cur.pos + 1) == '/') {
			while (lx->cur.pos < lx->len && lx->src[lx->cur.pos] != '\n')
				advance(lx);
		} else if (c == '/' && at(lx, lx->cur.pos + 1) == '*') {
			struct lang_lex_mark open = lx->cur;
			advance(lx);
			advance(lx);
			/* Not nested (spec §1): the first close ends the comment. */
			while (!(at(lx, lx->cur.pos) == '*' && at(lx, lx->cur.pos + 1) == '/')) {
				if (lx->cur.pos >= lx->len) {
					lex_fail(lx, open, open.pos + 2, "expected `*/` to close this comment");
					return -1;
				}
				advance(lx);
			}
			advance(lx);
			advance(lx);
		} else {
			return 0;
		}
	}
}

static struct lang_token lex_string(struct lang_lexer *lx, struct lang_lex_mark start)
{
	advance(lx);  /* opening quote */
	for (;;) {
		int c = at(lx, lx->cur.pos);
		if (c < 0)
			return lex_fail(lx, start, start.pos + 1, "expected `\"` to close this string");
		if (c == 0)
			return lex_fail(lx, lx->cur, lx->cur.pos + 1, "expected string character, found NUL byte");
		advance(lx);
		if (c == '"')
			return make_token(lx, LANG_TOK_STRING, start);
		if (c == '\\') {
			/* Any escaped byte is skipped here; lang_lex_string_value()
			 * judges it, so a bad escape gets the span-less message. */
			if (lx->cur.pos >= lx->len)
				return lex_fail(lx, start, start.pos + 1, "expected `\"` to close this string");
			advance(lx);
		}
	}
}

static struct lang_token lex_number(struct lang_lexer *lx, struct lang_lex_mark start)
{
	while (is_digit(at(lx, lx->cur.pos)))
		advance(lx);
	/* A float needs digits on both sides of the dot, so `0..1` is INT DOTDOT
	 * INT and `$x.1` cannot arise. */
	if (at(lx, lx->cur.pos) == '.' && is_digit(at(lx, lx->cur.pos + 1))) {
		advance(lx);
		while (is_digit(at(lx, lx->cur.pos)))
			advance(lx);
		return make_token(lx, LANG_TOK_FLOAT, start);
	}
	return make_token(lx, LANG_TOK_INT, start);
}

/* Two-character operators first, then single characters. */
static struct lang_token lex_punct(struct lang_lexer *lx, struct lang_lex_mark start, int c)
{
	static const struct { char a, b; enum lang_tok kind; } two[] = {
		{ '.', '.', LANG_TOK_DOTDOT }, { '-', '>', LANG_TOK_ARROW },
		{ '<', '=', LANG_TOK_LE },     { '>', '=', LANG_TOK_GE },
		{ '!', '=', LANG_TOK_NE },
	};
	static const struct { char a; enum lang_tok kind; } one[] = {
		{ '{', LANG_TOK_LBRACE },   { '}', LANG_TOK_RBRACE },
		{ '(', LANG_TOK_LPAREN },   { ')', LANG_TOK_RPAREN },
		{ '[', LANG_TOK_LBRACKET }, { ']', LANG_TOK_RBRACKET },
		{ '@', LANG_TOK_AT },       { '?', LANG_TOK_QUESTION },
		{ ':', LANG_TOK_COLON },    { ',', LANG_TOK_COMMA },
		{ '.', LANG_TOK_DOT },      { '-', LANG_TOK_MINUS },
		{ '=', LANG_TOK_EQ },       { '<', LANG_TOK_LT },
		{ '>', LANG_TOK_GT },
	};
	int c2 = at(lx, lx->cur.pos + 1);
	for (size_t i = 0; i < sizeof(two) / sizeof(two[0]); i++) {
		if (c == two[i].a && c2 == two[i].b) {
			advance(lx);
			advance(lx);
			return make_token(lx, two[i].kind, start);
		}
	}
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		if (c == one[i].a) {
			advance(lx);
			return make_token(lx, one[i].kind, start);
		}
	}
	return lex_fail(lx, start, start.pos + 1, "expected a token (name, number, string or punctuation)");
}

static struct lang_token scan(struct lang_lexer *lx)
{
	if (skip_trivia(lx) < 0) {
		struct lang_token t = { LANG_TOK_ERROR, lx->diag->span_start, lx->diag->span_end,
		                        lx->diag->line, lx->diag->col };
		return t;
	}
	struct lang_lex_mark start = lx->cur;
	int c = at(lx, lx->cur.pos);
	if (c < 0)
		return make_token(lx, LANG_TOK_EOF, start);
	if (is_upper(c) || is_lower(c) || c == '_') {
		while (is_name_char(at(lx, lx->cur.pos)))
			advance(lx);
		return make_token(lx, is_upper(c) ? LANG_TOK_TYPENAME : LANG_TOK_IDENT, start);
	}
	if (c == '$') {
		int n = at(lx, lx->cur.pos + 1);
		if (!(is_lower(n) || n == '_'))
			return lex_fail(lx, start, start.pos + 1, "expected variable name ($ followed by [a-z_][A-Za-z0-9_]*)");
		advance(lx);
		while (is_name_char(at(lx, lx->cur.pos)))
			advance(lx);
		return make_token(lx, LANG_TOK_VARIABLE, start);
	}
	if (c == '"')
		return lex_string(lx, start);
	if (is_digit(c))
		return lex_number(lx, start);
	return lex_punct(lx, start, c);
}

struct lang_token lang_lex_next(struct lang_lexer *lx)
{
	assert(lx != NULL);
	if (lx->has_peek) {
		lx->has_peek = 0;
		return lx->peeked;
	}
	return scan(lx);
}

struct lang_token lang_lex_peek(struct lang_lexer *lx)
{
	assert(lx != NULL);
	if (!lx->has_peek) {
		lx->before_peek = lx->cur;
		lx->peeked = scan(lx);
		lx->has_peek = 1;
	}
	return lx->peeked;
}

struct lang_lex_mark lang_lex_save(const struct lang_lexer *lx)
{
	return lx->has_peek ? lx->before_peek : lx->cur;
}

void lang_lex_restore(struct lang_lexer *lx, struct lang_lex_mark m)
{
	assert(m.pos <= lx->len);
	lx->cur = m;
	lx->has_peek = 0;
}

struct lang_token lang_lex_next_enum_value(struct lang_lexer *lx)
{
	lang_lex_restore(lx, lang_lex_save(lx));
	if (skip_trivia(lx) < 0)
		return scan(lx);  /* re-reports the comment error */
	struct lang_lex_mark start = lx->cur;
	if (!is_enum_char(at(lx, lx->cur.pos)))
		return scan(lx);
	while (is_enum_char(at(lx, lx->cur.pos)))
		advance(lx);
	return make_token(lx, LANG_TOK_ENUMVAL, start);
}

int lang_tok_is(const struct lang_lexer *lx, const struct lang_token *t, const char *word)
{
	if (t->kind != LANG_TOK_IDENT && t->kind != LANG_TOK_TYPENAME)
		return 0;
	size_t n = strlen(word);
	return lang_tok_len(t) == n && memcmp(lang_tok_text(lx, t), word, n) == 0;
}

const char *lang_tok_kind_name(enum lang_tok kind)
{
	static const char *const names[LANG_TOK__COUNT] = {
		[LANG_TOK_EOF] = "end of input",  [LANG_TOK_ERROR] = "invalid token",
		[LANG_TOK_TYPENAME] = "type name", [LANG_TOK_IDENT] = "identifier",
		[LANG_TOK_VARIABLE] = "variable", [LANG_TOK_STRING] = "string",
		[LANG_TOK_INT] = "integer",       [LANG_TOK_FLOAT] = "float",
		[LANG_TOK_ENUMVAL] = "enum value",
		[LANG_TOK_LBRACE] = "`{`",   [LANG_TOK_RBRACE] = "`}`",
		[LANG_TOK_LPAREN] = "`(`",   [LANG_TOK_RPAREN] = "`)`",
		[LANG_TOK_LBRACKET] = "`[`", [LANG_TOK_RBRACKET] = "`]`",
		[LANG_TOK_AT] = "`@`",       [LANG_TOK_QUESTION] = "`?`",
		[LANG_TOK_COLON] = "`:`",    [LANG_TOK_COMMA] = "`,`",
		[LANG_TOK_DOT] = "`.`",      [LANG_TOK_DOTDOT] = "`..`",
		[LANG_TOK_ARROW] = "`->`",   [LANG_TOK_MINUS] = "`-`",
		[LANG_TOK_EQ] = "`=`",       [LANG_TOK_NE] = "`!=`",
		[LANG_TOK_LT] = "`<`",       [LANG_TOK_LE] = "`<=`",
		[LANG_TOK_GT] = "`>`",       [LANG_TOK_GE] = "`>=`",
	};
	if ((unsigned)kind >= LANG_TOK__COUNT || names[kind] == NULL)
		return "token";
	return names[kind];
}

int lang_lex_string_value(const struct lang_lexer *lx, const struct lang_token *t,
                          char **out, size_t *out_len, struct lang_diag *diag)
{
	assert(t->kind == LANG_TOK_STRING && lang_tok_len(t) >= 2);
	const char *s = lang_tok_text(lx, t) + 1;
	size_t n = lang_tok_len(t) - 2;
	char *buf = malloc(n + 1);
	if (buf == NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "out of memory decoding a string");
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			buf[o++] = s[i];
			continue;
		}
		assert(i + 1 < n);  /* the lexer never ends a string on a backslash */
		char e = s[++i];
		switch (e) {
		case '"':  buf[o++] = '"';  break;
		case '\\': buf[o++] = '\\'; break;
		case 'n':  buf[o++] = '\n'; break;
		case 'r':  buf[o++] = '\r'; break;
		case 't':  buf[o++] = '\t'; break;
		default: {
			/* Echo the whole escaped character, even a multi-byte one. */
			size_t clen = 1;
			while (i + clen < n && ((unsigned char)s[i + clen] & 0xC0) == 0x80)
				clen++;
			free(buf);
			return lang_diag_set(diag, LANG_PREFIX_PARSE, "unsupported escape sequence: \\%.*s",
			                     (int)clen, s + i);
		}
		}
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;
}

int lang_tok_u64(const struct lang_lexer *lx, const struct lang_token *t, uint64_t *out)
{
	assert(t->kind == LANG_TOK_INT);
	const char *s = lang_tok_text(lx, t);
	uint64_t v = 0;
	for (size_t i = 0; i < lang_tok_len(t); i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int lang_lex_error_at(struct lang_lexer *lx, const struct lang_token *t, const char *expected_fmt, ...)
{
	va_list ap;
	va_start(ap, expected_fmt);
	char *expected = NULL;
	if (vasprintf(&expected, expected_fmt, ap) < 0)
		expected = NULL;
	va_end(ap);
	lang_diag_syntax(lx->diag, lx->src, lx->len, t->start, t->end, "%s",
	                 expected != NULL ? expected : "expected something else");
	free(expected);
	return -1;
}
