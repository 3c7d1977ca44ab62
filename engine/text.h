/*
 * engine/text.h — the text analyzer of full-text search (spec §3.11),
 * private to engine/.
 *
 * A text becomes a list of terms the way OmniGraph's default full-text
 * index (Lance 10's) makes them, in this order:
 *   1. tokens: maximal runs of letters and digits (Unicode Alphabetic and
 *      Numeric characters); everything else separates;
 *   2. tokens of TEXT_TOKEN_MAX bytes or more are dropped;
 *   3. lowercased (Unicode simple case mapping);
 *   4. stemmed with the Snowball English (Porter 2) stemmer (libstemmer);
 *   5. stems that are English stop words dropped (NLTK's list: text.c);
 *   6. folded to ASCII where a letter has an ASCII spelling (é -> e,
 *      ß -> ss; glibc's transliteration).
 * Steps 2-6 are flags: fuzzy() splits its query text only.  Without
 * TEXT_LONG a token of TEXT_TOKEN_MAX bytes or more is kept as written,
 * whatever the other flags.
 *
 * Lowercasing and folding need glibc's C.UTF-8 locale (built in since
 * glibc 2.35): text_analyzer_new() fails without it.  Folding covers what
 * glibc transliterates to letters and digits: accented Latin letters and
 * ligatures; a few letters Lance folds stay as they are (ǆ, ⓐ, ɑ).
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
	TEXT_LONG = 1,   /* drop long tokens */
	TEXT_LOWER = 2,  /* lowercase        */
	TEXT_STEM = 4,   /* stem             */
	TEXT_STOP = 8,   /* drop stop words  */
	TEXT_FOLD = 16,  /* fold to ASCII    */
	TEXT_FULL = TEXT_LONG | TEXT_LOWER | TEXT_STEM | TEXT_STOP | TEXT_FOLD,
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
