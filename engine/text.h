/*
 * engine/text.h — the text analyzer of full-text search (spec §3.11),
 * private to engine/.
 *
 * A text becomes a list of terms the way OmniGraph's default full-text
 * index (Lance's) makes them:
 *   1. tokens: maximal runs of letters and digits (Unicode Alphabetic and
 *      Numeric characters); everything else separates;
 *   2. tokens longer than TEXT_TOKEN_MAX bytes are dropped;
 *   3. lowercased (Unicode simple case mapping);
 *   4. English stop words dropped ("the", "to", ...: text.c);
 *   5. stemmed with the Snowball English (Porter 2) stemmer (libstemmer).
 * Steps 4 and 5 are optional (flags), for fuzzy matching.
 *
 * An analyzer holds a stemmer, which is not thread-safe: one per query
 * run.  Terms live in the text_terms buffer until it is reset.
 */
#ifndef GROVE_ENGINE_TEXT_H
#define GROVE_ENGINE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_TOKEN_MAX 40u

enum {
	TEXT_STOP = 1,   /* drop stop words */
	TEXT_STEM = 2,   /* stem            */
	TEXT_FULL = TEXT_STOP | TEXT_STEM,
};

struct text_terms {
	char *buf;                  /* the terms, each NUL-terminated       */
	size_t len, cap;
	uint32_t *off;              /* term i starts at buf + off[i]        */
	size_t n, ncap;
};

struct text_analyzer;

/* -ENOMEM or -EINVAL (no stemmer: libstemmer lacks English). */
int text_analyzer_new(struct text_analyzer **out);
void text_analyzer_free(struct text_analyzer *a);

/* Append the terms of s[0..n) to t (flags: TEXT_*).  -ENOMEM. */
int text_analyze(struct text_analyzer *a, const char *s, size_t n, unsigned flags,
		 struct text_terms *t);

static inline const char *text_term(const struct text_terms *t, size_t i)
{
	return t->buf + t->off[i];
}

void text_terms_reset(struct text_terms *t);
void text_terms_free(struct text_terms *t);

/* Is term w (NUL-terminated) one of t's terms? */
int text_terms_has(const struct text_terms *t, const char *w);

/* The Levenshtein distance of a and b (bytes), or max + 1 when it is
 * more than max. */
unsigned text_edit_distance(const char *a, size_t an, const char *b, size_t bn, unsigned max);

#endif
