/* engine/text.c — the text analyzer of full-text search (see text.h). */
#include "engine/text.h"

#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <libstemmer.h>
#include <xxhash.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Recent stems: texts repeat their words, and stemming is most of an
 * analysis.  Direct-mapped by a hash of the lowercased word. */
#define STEM_CACHE 512u
#define STEM_WORD_MAX 64u

struct stem_entry {
	uint8_t word_len, stem_len;   /* word_len 0: empty slot */
	char word[STEM_WORD_MAX];
	char stem[STEM_WORD_MAX];
};

struct text_analyzer {
	struct sb_stemmer *stem;
	pcre2_match_data *md;
	iconv_t fold;            /* UTF-8 -> ASCII//TRANSLIT, or (iconv_t)-1 */
	struct stem_entry *cache;   /* [STEM_CACHE] */
};

/* ---- shared, built once ------------------------------------------------ */

/* Tokens beyond ASCII: runs of Unicode letters and digits (Rust's
 * char::is_alphanumeric, which Lance's simple tokenizer splits on). */
static pcre2_code *word_re;
/* Unicode lowercasing without touching the process's locale. */
static locale_t utf8_locale;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void shared_init(void)
{
	int code;
	PCRE2_SIZE at;
	word_re = pcre2_compile((PCRE2_SPTR) "[\\p{Alphabetic}\\p{N}]+", PCRE2_ZERO_TERMINATED,
				PCRE2_UTF, &code, &at, NULL);
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* English stop words, sorted: Lance 10's list (the stop-words crate's
 * "en", which is NLTK's), less the entries with an apostrophe, which a
 * token never holds.  Compared with stems (so "does" -> "doe" stays). */
static const char *const stop_words[] = {
	"a", "about", "above", "after", "again", "against", "ain", "all", "am", "an", "and",
	"any", "are", "aren", "as", "at", "be", "because", "been", "before", "being", "below",
	"between", "both", "but", "by", "can", "couldn", "d", "did", "didn", "do", "does",
	"doesn", "doing", "don", "down", "during", "each", "few", "for", "from", "further",
	"had", "hadn", "has", "hasn", "have", "haven", "having", "he", "her", "here", "hers",
	"herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "isn", "it",
	"its", "itself", "just", "ll", "m", "ma", "me", "mightn", "more", "most", "mustn", "my",
	"myself", "needn", "no", "nor", "not", "now", "o", "of", "off", "on", "once", "only",
	"or", "other", "our", "ours", "ourselves", "out", "over", "own", "re", "s", "same",
	"shan", "she", "should", "shouldn", "so", "some", "such", "t", "than", "that", "the",
	"their", "theirs", "them", "themselves", "then", "there", "these", "they", "this",
	"those", "through", "to", "too", "under", "until", "up", "ve", "very", "was", "wasn",
	"we", "were", "weren", "what", "when", "where", "which", "while", "who", "whom", "why",
	"will", "with", "won", "wouldn", "y", "you", "your", "yours", "yourself", "yourselves",
};

static int cmp_word(const void *k, const void *e)
{
	return strcmp(k, *(const char *const *)e);
}

static bool is_stop_word(const char *w)
{
	return bsearch(w, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
		       cmp_word) != NULL;
}

int text_analyzer_new(struct text_analyzer **out)
{
	pthread_once(&shared_once, shared_init);
	struct text_analyzer *a = calloc(1, sizeof *a);
	if (a == NULL)
		return -ENOMEM;
	a->stem = sb_stemmer_new("english", "UTF_8");
	a->cache = calloc(STEM_CACHE, sizeof *a->cache);
	a->md = word_re ? pcre2_match_data_create_from_pattern(word_re, NULL) : NULL;
	a->fold = (iconv_t)-1;
	if (utf8_locale != (locale_t)0) {
		locale_t old = uselocale(utf8_locale);
		a->fold = iconv_open("ASCII//TRANSLIT", "UTF-8");
		uselocale(old);
	}
	if (a->stem == NULL || word_re == NULL || a->md == NULL || a->fold == (iconv_t)-1 ||
	    a->cache == NULL) {
		int err = (a->md == NULL && word_re != NULL) || a->cache == NULL ? -ENOMEM : -EINVAL;
		text_analyzer_free(a);
		return err;
	}
	*out = a;
	return 0;
}

void text_analyzer_free(struct text_analyzer *a)
{
	if (a == NULL)
		return;
	if (a->stem)
		sb_stemmer_delete(a->stem);
	if (a->fold != (iconv_t)-1)
		iconv_close(a->fold);
	free(a->cache);
	pcre2_match_data_free(a->md);
	free(a);
}

/* ---- terms ------------------------------------------------------------- */

void text_terms_reset(struct text_terms *t)
{
	t->len = 0;
	t->n = 0;
}

void text_terms_free(struct text_terms *t)
{
	free(t->buf);
	free(t->off);
	memset(t, 0, sizeof *t);
}

int text_terms_has(const struct text_terms *t, const char *w)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(text_term(t, i), w))
			return 1;
	return 0;
}

static int push(struct text_terms *t, const char *w, size_t n)
{
	if (t->n == t->ncap) {
		size_t cap = t->ncap ? 2 * t->ncap : 16;
		uint32_t *o = realloc(t->off, cap * sizeof *o);
		if (o == NULL)
			return -ENOMEM;
		t->off = o;
		t->ncap = cap;
	}
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *b = realloc(t->buf, cap);
		if (b == NULL)
			return -ENOMEM;
		t->buf = b;
		t->cap = cap;
	}
	t->off[t->n++] = (uint32_t)t->len;
	memcpy(t->buf + t->len, w, n);
	t->buf[t->len + n] = '\0';
	t->len += n + 1;
	return 0;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* The code point at s[0..n) and its length; a malformed sequence (a bad
 * or missing continuation, an overlong form, a surrogate, past U+10FFFF)
 * reads as its first byte alone (length 1). */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	static const uint32_t least[4] = { 0, 0x80, 0x800, 0x10000 };
	unsigned c = s[0], need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	uint32_t cp = need == 3 ? c & 0x07 : need == 2 ? c & 0x0f : need == 1 ? c & 0x1f : c;
	*len = 1;
	if (c < 0x80 || need == 0 || c > 0xf4 || need >= n)
		return c;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return c;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < least[need] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return c;
	*len = need + 1;
	return cp;
}

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Lowercase token s[0..n) into out (room for 4 * n bytes); its length. */
static size_t lower(char *out, const char *s, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
			continue;
		}
		size_t len;
		uint32_t cp = utf8_next((const unsigned char *)s + i, n - i, &len);
		if (len == 1 || utf8_locale == (locale_t)0) {
			memcpy(out + o, s + i, len);
			o += len;
		} else {
			o += utf8_put(out + o, (uint32_t)towlower_l((wint_t)cp, utf8_locale));
		}
		i += len;
	}
	return o;
}

/* ---- the analyzer ------------------------------------------------------ */

static bool ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static bool all_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* Each character of s beyond ASCII that has an ASCII spelling made of
 * letters and digits (é -> e, ß -> ss, ﬁ -> fi) takes it; others stay. */
static size_t fold(struct text_analyzer *a, char *out, const char *s, size_t n)
{
	size_t o = 0;
	locale_t old = uselocale(utf8_locale);
	for (size_t i = 0, len; i < n; i += len) {
		char in[4], tr[16], *ip = in, *op = tr;
		utf8_next((const unsigned char *)s + i, n - i, &len);
		memcpy(in, s + i, len);
		size_t il = len, ol = sizeof tr;
		bool ok = (unsigned char)s[i] >= 0x80 && a->fold != (iconv_t)-1 &&
		          iconv(a->fold, &ip, &il, &op, &ol) != (size_t)-1 && il == 0 && op > tr;
		for (char *c = tr; ok && c < op; c++)
			ok = ascii_alnum((unsigned char)*c);
		if (a->fold != (iconv_t)-1)
			iconv(a->fold, NULL, NULL, NULL, NULL);   /* reset the state */
		memcpy(out + o, ok ? tr : s + i, ok ? (size_t)(op - tr) : len);
		o += ok ? (size_t)(op - tr) : len;
	}
	uselocale(old);
	return o;
}

/* The stem of w[0..n) into out (room for 4 * TEXT_TOKEN_MAX bytes); its
 * length, or -1 when out of memory. */
static long stem(struct text_analyzer *a, const char *w, size_t n, char *out)
{
	struct stem_entry *e = &a->cache[XXH3_64bits(w, n) % STEM_CACHE];
	if (e->word_len == n && !memcmp(e->word, w, n)) {
		memcpy(out, e->stem, e->stem_len);
		return e->stem_len;
	}
	const sb_symbol *st = sb_stemmer_stem(a->stem, (const sb_symbol *)w, (int)n);
	if (st == NULL)
		return -1;
	size_t len = (size_t)sb_stemmer_length(a->stem);
	e->word_len = 0;
	if (n < STEM_WORD_MAX && len < STEM_WORD_MAX && len > 0) {   /* w may be out: first */
		e->word_len = (uint8_t)n;
		e->stem_len = (uint8_t)len;
		memcpy(e->word, w, n);
		memcpy(e->stem, st, len);
	}
	memcpy(out, st, len);
	return (long)len;
}

static int add_token(struct text_analyzer *a, const char *s, size_t n, unsigned flags,
		     struct text_terms *t)
{
	char low[4 * TEXT_TOKEN_MAX + 1], folded[16 * TEXT_TOKEN_MAX + 1];
	const char *w = s;
	size_t wn = n;
	if (n == 0 || ((flags & TEXT_LONG) && n >= TEXT_TOKEN_MAX))
		return 0;
	if (n > TEXT_TOKEN_MAX)   /* a raw fuzzy query token: as written */
		return push(t, s, n);
	if (flags & TEXT_LOWER) {
		wn = lower(low, s, n);
		w = low;
	}
	if (flags & TEXT_STEM) {
		long sl = stem(a, w, wn, low);
		if (sl < 0)
			return -ENOMEM;
		if (sl == 0)
			return 0;
		wn = (size_t)sl;
		w = low;
	}
	low[w == low ? wn : 0] = '\0';
	if ((flags & TEXT_STOP) && w == low && is_stop_word(low))
		return 0;
	if ((flags & TEXT_FOLD) && !all_ascii(w, wn)) {
		wn = fold(a, folded, w, wn);
		w = folded;
	}
	return push(t, w, wn);
}

/* Text beyond ASCII: the pattern finds the runs.  Malformed UTF-8 (never
 * stored: values are checked on write) falls back to ASCII splitting with
 * other bytes as letters. */
static int analyze_wide(struct text_analyzer *a, const char *s, size_t n, unsigned flags,
			struct text_terms *t)
{
	PCRE2_SIZE at = 0;
	for (;;) {
		/* The text is checked as UTF-8 once, not again per token. */
		int rc = pcre2_match(word_re, (PCRE2_SPTR)s, n, at, at ? PCRE2_NO_UTF_CHECK : 0, a->md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			return -EILSEQ;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(a->md);
		int err = add_token(a, s + ov[0], ov[1] - ov[0], flags, t);
		if (err < 0)
			return err;
		at = ov[1];
	}
}

int text_analyze(struct text_analyzer *a, const char *s, size_t n, unsigned flags,
		 struct text_terms *t)
{
	if (!all_ascii(s, n) && word_re != NULL) {
		int err = analyze_wide(a, s, n, flags, t);
		if (err != -EILSEQ)
			return err;
	}
	for (size_t i = 0; i < n;) {
		while (i < n && !ascii_alnum((unsigned char)s[i]) && (unsigned char)s[i] < 0x80)
			i++;
		size_t b = i;
		while (i < n && (ascii_alnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80))
			i++;
		int err = add_token(a, s + b, i - b, flags, t);
		if (err < 0)
			return err;
	}
	return 0;
}

/* ---- edit distance ------------------------------------------------------ */

static size_t code_points(uint32_t *out, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0, len; i < n && k < 4 * TEXT_TOKEN_MAX; i += len)
		out[k++] = utf8_next((const unsigned char *)s + i, n - i, &len);
	return k;
}

unsigned text_edit_distance(const char *a, size_t an, const char *b, size_t bn, unsigned max)
{
	uint32_t x[4 * TEXT_TOKEN_MAX], y[4 * TEXT_TOKEN_MAX];
	unsigned row[4 * TEXT_TOKEN_MAX + 1];
	size_t m = code_points(x, a, an), n = code_points(y, b, bn);
	if ((m > n ? m - n : n - m) > max)
		return max + 1;
	for (size_t j = 0; j <= n; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= m; i++) {
		unsigned diag = row[0], best = row[0] = (unsigned)i;
		for (size_t j = 1; j <= n; j++) {
			unsigned up = row[j];
			unsigned v = diag + (x[i - 1] != y[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
	}
	return row[n] > max ? max + 1 : row[n];
}
