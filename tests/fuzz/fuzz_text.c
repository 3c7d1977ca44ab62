/*
 * tests/fuzz/fuzz_text.c — libFuzzer target for the full-text analyzer
 * (engine/text.h) and its edit distance.
 *
 * The input is: one byte of analyzer flags, one byte of edits, then two
 * texts separated by the first zero byte (any bytes: stored text is valid
 * UTF-8, but the analyzer must survive anything).  Each text is analyzed
 * with the input's flags and with every step on; then
 *  - every term is non-empty and holds no ASCII byte but letters and
 *    digits (a separator never ends up inside a term);
 *  - for valid UTF-8 (all a graph stores), analyzing the concatenation of
 *    a term list (space-joined) with flags 0 gives the same terms back
 *    (terms are tokens; malformed text is split best-effort);
 *  - a fresh analyzer gives the same terms as the long-lived one (whose
 *    stem cache holds earlier inputs' words);
 *  - the edit distance of the two texts' first terms is symmetric, at most
 *    edits + 1, 0 for a term with itself, and within the length bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/text.h"
#include "fuzz.h"

static void check_terms(const struct text_terms *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *w = text_term(t, i);
		FUZZ_CHECK(*w != '\0');
		for (const unsigned char *p = (const unsigned char *)w; *p; p++)
			FUZZ_CHECK(*p >= 0x80 || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
			           (*p >= 'A' && *p <= 'Z'));
	}
}

/* Terms joined by spaces and split again with flags 0: the same list. */
static void check_tokens(struct text_analyzer *a, const struct text_terms *t)
{
	struct text_terms again = { 0 };
	char *joined = malloc(t->len + 1);
	size_t n = 0;
	FUZZ_CHECK(joined != NULL);
	for (size_t i = 0; i < t->n; i++) {
		size_t l = strlen(text_term(t, i));
		memcpy(joined + n, text_term(t, i), l);
		n += l;
		joined[n++] = ' ';
	}
	FUZZ_CHECK(text_analyze(a, joined, n, 0, &again) == 0);
	FUZZ_CHECK(again.n == t->n);
	for (size_t i = 0; i < t->n; i++)
		FUZZ_CHECK(strcmp(text_term(&again, i), text_term(t, i)) == 0);
	text_terms_free(&again);
	free(joined);
}

/* Is s[0..n) well-formed UTF-8 (no overlong forms or surrogates)? */
static int valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], need = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2
		                     : c >= 0xf0 && c < 0xf5 ? 3 : 9;
		if (need == 9 || (need > 0 && i + need >= n))
			return 0;
		uint32_t cp = need == 0 ? c : need == 1 ? c & 0x1f : need == 2 ? c & 0x0f : c & 0x07;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

static void check_distance(const char *a, const char *b, unsigned edits)
{
	size_t an = strlen(a), bn = strlen(b);
	unsigned d = text_edit_distance(a, an, b, bn, edits);
	FUZZ_CHECK(d <= edits + 1);
	FUZZ_CHECK(d == text_edit_distance(b, bn, a, an, edits));
	FUZZ_CHECK(text_edit_distance(a, an, a, an, edits) == 0);
	if (d <= edits)   /* at least the length difference in characters */
		FUZZ_CHECK(an <= 4 * bn + 4 * edits && bn <= 4 * an + 4 * edits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct text_analyzer *a;
	if (size < 2)
		return 0;
	if (a == NULL && text_analyzer_new(&a) != 0)
		abort();
	unsigned flags = data[0] & 31, edits = data[1] & 7;
	const char *text = (const char *)data + 2;
	size_t n = size - 2, split = 0;
	while (split < n && text[split] != '\0')
		split++;
	struct text_terms t[2] = { { 0 }, { 0 } }, full = { 0 };
	for (int k = 0; k < 2; k++) {
		const char *s = k == 0 ? text : text + split + 1;
		size_t len = k == 0 ? split : (split < n ? n - split - 1 : 0);
		FUZZ_CHECK(text_analyze(a, s, len, flags, &t[k]) == 0);
		check_terms(&t[k]);
		if (!(flags & (TEXT_FOLD | TEXT_STEM)) && valid_utf8((const unsigned char *)s, len))
			check_tokens(a, &t[k]);
		text_terms_reset(&full);
		FUZZ_CHECK(text_analyze(a, s, len, TEXT_FULL, &full) == 0);
		check_terms(&full);
		struct text_analyzer *fresh;
		struct text_terms again = { 0 };
		FUZZ_CHECK(text_analyzer_new(&fresh) == 0);
		FUZZ_CHECK(text_analyze(fresh, s, len, TEXT_FULL, &again) == 0);
		FUZZ_CHECK(again.n == full.n);
		for (size_t i = 0; i < full.n; i++)
			FUZZ_CHECK(strcmp(text_term(&again, i), text_term(&full, i)) == 0);
		text_terms_free(&again);
		text_analyzer_free(fresh);
	}
	if (t[0].n && t[1].n)
		check_distance(text_term(&t[0], 0), text_term(&t[1], 0), edits);
	text_terms_free(&t[0]);
	text_terms_free(&t[1]);
	text_terms_free(&full);
	return 0;
}
