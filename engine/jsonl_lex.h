/*
 * engine/jsonl_lex.h — the tokens of plain JSON, shared by the two quick
 * readers of load records (jsonl_fast.c builds a tree from them,
 * jsonl_plain.c a row).
 *
 * Plain means what needs no decoding: a string of printable ASCII without
 * escapes, an integer of at most JL_INT_DIGITS digits in JSON's grammar,
 * and the literals.  Each function takes the token at c->p, moves past it
 * and returns true, or returns false (c->p then undefined) for anything
 * else, which the callers hand to jansson.
 */
#ifndef GROVE_ENGINE_JSONL_LEX_H
#define GROVE_ENGINE_JSONL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Integers of at most this many digits are exact in an int64. */
#define JL_INT_DIGITS 18

struct jl_cur {
	const char *p, *end;
};

static inline void jl_skip_ws(struct jl_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* c->p at a byte: is it `ch`?  Moves past it if so. */
static inline bool jl_take(struct jl_cur *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* A plain string (c->p at its opening quote) into s[0, *n). */
static inline bool jl_plain_string(struct jl_cur *c, const char **s, size_t *n)
{
	if (c->p >= c->end || *c->p != '"')
		return false;
	const char *q = ++c->p;
	while (q < c->end && *q != '"') {
		unsigned char ch = (unsigned char)*q;
		if (ch < 0x20 || ch > 0x7e || ch == '\\')
			return false;
		q++;
	}
	if (q == c->end)
		return false;
	*s = c->p;
	*n = (size_t)(q - c->p);
	c->p = q + 1;
	return true;
}

/* An integer in jansson's grammar, short enough to be exact; a fraction,
 * an exponent or a letter after the digits is not one. */
static inline bool jl_small_int(struct jl_cur *c, int64_t *out)
{
	const char *q = c->p;
	bool neg = q < c->end && *q == '-';
	q += neg;
	const char *d = q;
	uint64_t v = 0; /* unsigned: a long run of digits wraps, harmlessly (refused below) */
	while (q < c->end && *q >= '0' && *q <= '9')
		v = v * 10 + (uint64_t)(*q++ - '0');
	size_t nd = (size_t)(q - d);
	if (nd == 0 || nd > JL_INT_DIGITS || (nd > 1 && *d == '0'))
		return false;
	if (q < c->end && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= 'a' && *q <= 'z')))
		return false;
	c->p = q;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

/* The literal `word` (n bytes). */
static inline bool jl_literal(struct jl_cur *c, const char *word, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

#endif
