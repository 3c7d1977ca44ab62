/* lang/diag.c — building and rendering compiler diagnostics (diag.h). */
#include "lang/diag.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* If formatting runs out of memory we still want *a* message: the caller
 * only checks whether one is set. */
static char oom_message[] = "out of memory while formatting a diagnostic";

void lang_diag_clear(struct lang_diag *d)
{
	assert(d != NULL);
	if (d->owned)
		free(d->message);
	memset(d, 0, sizeof(*d));
}

static void diag_take(struct lang_diag *d, char *msg)
{
	lang_diag_clear(d);
	if (msg == NULL) {
		d->message = oom_message;
		d->owned = 0;
	} else {
		d->message = msg;
		d->owned = 1;
	}
}

/* vasprintf-like helper returning NULL on failure. */
static char *vformat(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	char *out = NULL;
	if (vasprintf(&out, fmt, ap) < 0)
		return NULL;
	return out;
}

int lang_diag_vset(struct lang_diag *d, const char *prefix, const char *fmt, va_list ap)
{
	assert(d != NULL && prefix != NULL && fmt != NULL);
	char *body = vformat(fmt, ap);
	char *msg = NULL;
	if (body != NULL && asprintf(&msg, "%s%s", prefix, body) < 0)
		msg = NULL;
	free(body);
	diag_take(d, msg);
	return -1;
}

int lang_diag_set(struct lang_diag *d, const char *prefix, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lang_diag_vset(d, prefix, fmt, ap);
	va_end(ap);
	return -1;
}

void lang_diag_line_col(const char *src, size_t src_len, size_t off,
                        uint32_t *line_out, uint32_t *col_out)
{
	uint32_t line = 1, col = 1;
	if (off > src_len)
		off = src_len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xC0) != 0x80) {
			col++;  /* count characters, not UTF-8 continuation bytes */
		}
	}
	*line_out = line;
	*col_out = col;
}

/* The caret line: the prefix of the source line up to the error, with every
 * character turned into a space except tabs (kept so the caret lines up),
 * then ^ for one character or ^---^ for a wider span (as pest does). */
static void render_underline(FILE *f, const char *line_start, size_t prefix_len,
                             size_t span_chars)
{
	for (size_t i = 0; i < prefix_len; i++) {
		unsigned char c = (unsigned char)line_start[i];
		if ((c & 0xC0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', f);
	}
	fputc('^', f);
	if (span_chars > 1) {
		for (size_t i = 2; i < span_chars; i++)
			fputc('-', f);
		fputc('^', f);
	}
}

static size_t count_chars(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
	return chars;
}

static char *render_syntax(const char *src, size_t src_len, size_t start, size_t end,
                           uint32_t line, uint32_t col, const char *expected)
{
	/* The echoed line is the one holding `start`, without its newline. */
	size_t ls = start;
	while (ls > 0 && src[ls - 1] != '\n')
		ls--;
	size_t le = start;
	while (le < src_len && src[le] != '\n')
		le++;
	if (le > ls && src[le - 1] == '\r')
		le--;
	size_t span_end = end < le ? end : le;
	size_t span_chars = span_end > start ? count_chars(src + start, span_end - start) : 1;

	char numbuf[16];
	int width = snprintf(numbuf, sizeof(numbuf), "%u", (unsigned)line);
	char *buf = NULL;
	size_t buf_len = 0;
	FILE *f = open_memstream(&buf, &buf_len);
	if (f == NULL)
		return NULL;
	fprintf(f, "%s%*s--> %u:%u\n", LANG_PREFIX_PARSE, width, "", (unsigned)line, (unsigned)col);
	fprintf(f, "%*s |\n", width, "");
	fprintf(f, "%s | %.*s\n", numbuf, (int)(le - ls), src + ls);
	fprintf(f, "%*s | ", width, "");
	render_underline(f, src + ls, start - ls, span_chars);
	fprintf(f, "\n%*s |\n", width, "");
	fprintf(f, "%*s = %s", width, "", expected);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int lang_diag_syntax(struct lang_diag *d, const char *src, size_t src_len,
                     size_t start, size_t end, const char *expected_fmt, ...)
{
	assert(d != NULL && src != NULL && expected_fmt != NULL);
	if (start > src_len)
		start = src_len;
	if (end <= start)
		end = start + 1;  /* zero width is widened to one byte (spec §1) */

	va_list ap;
	va_start(ap, expected_fmt);
	char *expected = vformat(expected_fmt, ap);
	va_end(ap);

	uint32_t line, col;
	lang_diag_line_col(src, src_len, start, &line, &col);
	char *msg = expected ? render_syntax(src, src_len, start, end, line, col, expected) : NULL;
	free(expected);
	diag_take(d, msg);
	d->has_span = 1;
	d->span_start = start;
	d->span_end = end;
	d->line = line;
	d->col = col;
	return -1;
}

int lang_diag_at(struct lang_diag *d, uint32_t line, uint32_t col)
{
	if (d->message && !d->has_span && !d->has_place && line) {
		d->has_place = 1;
		d->line = line;
		d->col = col;
	}
	return -1;
}
