/*
 * engine/jsonl.c — the JSONL record reader (jsonl.h): framing, parsing and
 * record classification in the lenient and strict dialects.
 *
 * Framing.  jansson parses one complete text, so the reader first finds
 * where the next value ends with a small resumable scanner that tracks
 * strings and bracket depth (it does not validate: jansson does).  The
 * scanner also finds integer literals outside int64, which jansson would
 * refuse, and "\u0000" escapes.  In a file the window holds the current
 * record only; when the scanner runs out of bytes the window is compacted
 * and refilled and scanning resumes where it stopped.
 */
#include "engine/jsonl.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jsonl_fast.h"
#include "engine/jsonl_plain.h"
#include "engine/value_int.h"
#include "grove.h"

struct jsonl_reader {
	const struct lang_catalog *cat;
	struct jsonl_options opts;
	FILE *f;                    /* NULL: a buffer                        */
	const char *data;           /* the window: data[0..len)              */
	size_t len, pos;            /* pos: the first byte not consumed      */
	char *buf;                  /* a file's window storage               */
	size_t cap;
	int eof;                    /* nothing beyond data[len)              */
	unsigned long record, line; /* records returned; line of data[pos]   */
	json_t *current;            /* the last record                       */
	json_t *empty;              /* {} for records without data           */
	char *scratch;              /* a record with its bigints rewritten   */
	size_t scratch_cap;
	msgpack_sbuffer plain;      /* the last record, if plain             */
	int failed;                 /* sticky error, with its message        */
	struct value_error failure;
};

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- opening -------------------------------------------------------------- */

static int reader_new(struct jsonl_reader **out, const struct lang_catalog *cat, const struct jsonl_options *opts)
{
	struct jsonl_reader *r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	r->cat = cat;
	if (opts != NULL)
		r->opts = *opts;
	if (r->opts.record_max_bytes == 0)
		r->opts.record_max_bytes = r->opts.strict ? JSONL_LINE_MAX_STRICT : JSONL_RECORD_MAX_BYTES;
	r->line = 1;
	msgpack_sbuffer_init(&r->plain);
	r->empty = json_object();
	if (r->empty == NULL) {
		free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

int jsonl_reader_open_buffer(struct jsonl_reader **out, const struct lang_catalog *cat, const char *buf, size_t len,
	const struct jsonl_options *opts)
{
	assert(out != NULL && cat != NULL && (buf != NULL || len == 0));
	int rc = reader_new(out, cat, opts);
	if (rc < 0)
		return rc;
	(*out)->data = buf ? buf : "";
	(*out)->len = len;
	(*out)->eof = 1;
	return 0;
}

int jsonl_reader_open_file(struct jsonl_reader **out, const struct lang_catalog *cat, FILE *f,
	const struct jsonl_options *opts)
{
	assert(out != NULL && cat != NULL && f != NULL);
	int rc = reader_new(out, cat, opts);
	if (rc < 0)
		return rc;
	(*out)->f = f;
	(*out)->data = "";
	return 0;
}

void jsonl_reader_close(struct jsonl_reader *r)
{
	if (r == NULL)
		return;
	json_decref(r->current);
	json_decref(r->empty);
	msgpack_sbuffer_destroy(&r->plain);
	free(r->buf);
	free(r->scratch);
	free(r);
}

/* Read another chunk into the window, first moving the unconsumed bytes
 * to its start (offsets relative to pos stay valid). */
static int refill(struct jsonl_reader *r)
{
	if (r->f == NULL || r->eof) {
		r->eof = 1;
		return 0;
	}
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len + JSONL_READ_CHUNK_BYTES > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : JSONL_READ_CHUNK_BYTES * 2;
		while (cap < r->len + JSONL_READ_CHUNK_BYTES)
			cap *= 2;
		char *b = realloc(r->buf, cap);
		if (b == NULL)
			return -ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	size_t n = fread(r->buf + r->len, 1, JSONL_READ_CHUNK_BYTES, r->f);
	r->len += n;
	r->data = r->buf;
	if (n < JSONL_READ_CHUNK_BYTES) {
		if (ferror(r->f))
			return errno > 0 ? -errno : -EIO;
		r->eof = 1;
	}
	return 0;
}

/* ---- framing -------------------------------------------------------------- */

enum scan_rc { SCAN_DONE, SCAN_MORE, SCAN_NUL, SCAN_DEEP, SCAN_RAWNUL };

struct scan {
	size_t i;            /* next byte to look at, from the record start */
	size_t tok;          /* in_token: where the number token starts      */
	uint32_t depth;
	int in_string;
	int in_token;
	char mode;           /* 0, 'c' container, 's' string, 't' token     */
	uint32_t bigints;
	size_t end;          /* SCAN_DONE: the record's length              */
};

static int num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* An integer literal (valid JSON) outside int64. */
static int is_bigint(const char *t, size_t n)
{
	size_t k = n > 0 && t[0] == '-';
	size_t nd = n - k;
	if (nd == 0 || t[k] == '0')
		return 0;
	for (size_t i = k; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return 0;
	if (nd != 19)
		return nd > 19;
	return memcmp(t + k, k ? "9223372036854775808" : "9223372036854775807", 19) > 0;
}

/* One step inside a string at p[st->i]; SCAN_MORE when an escape is cut. */
static enum scan_rc string_step(struct scan *st, const char *p, size_t avail)
{
	char c = p[st->i];
	if (c == '\\') {
		size_t need = st->i + 1 < avail && p[st->i + 1] == 'u' ? 6 : 2;
		if (st->i + need > avail)
			return SCAN_MORE;   /* at eof: the value is cut short */
		if (need == 6 && memcmp(p + st->i + 2, "0000", 4) == 0)
			return SCAN_NUL;
		st->i += 2;
		return SCAN_DONE;
	}
	if (c == '"')
		st->in_string = 0;
	st->i++;
	return SCAN_DONE;
}

/* A number token from p[st->tok], scanned up to p[st->i]: SCAN_MORE when
 * it may go on past avail (resuming where it stopped, so a long token is
 * read once however many refills it takes). */
static enum scan_rc token_step(struct scan *st, const char *p, size_t avail, int eof)
{
	if (!st->in_token) {
		st->in_token = 1;
		st->tok = st->i;
	}
	size_t j = st->i;
	while (j < avail && num_char(p[j]))
		j++;
	st->i = j;
	if (j == avail && !eof)
		return SCAN_MORE;
	st->in_token = 0;
	if (j == st->tok)
		st->i = j + 1;   /* not a number: a stray byte; jansson will say so */
	else if (is_bigint(p + st->tok, j - st->tok))
		st->bigints++;
	return SCAN_DONE;
}

static enum scan_rc container_step(struct scan *st, const char *p, size_t avail, int eof)
{
	if (st->in_token)
		return token_step(st, p, avail, eof);
	char c = p[st->i];
	if (c == '"') {
		st->in_string = 1;
	} else if (c == '{' || c == '[') {
		if (++st->depth > JSONL_DEPTH_MAX)
			return SCAN_DEEP;
	} else if (c == '}' || c == ']') {
		if (--st->depth == 0) {
			st->end = ++st->i;
			return SCAN_DONE;
		}
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		return token_step(st, p, avail, eof);
	}
	st->i++;
	return SCAN_DONE;
}

/* Advance over p[0..avail): SCAN_DONE with st->end once the value ends,
 * SCAN_MORE when it needs bytes past avail (at eof: it is cut short). */
static enum scan_rc scan(struct scan *st, const char *p, size_t avail, int eof)
{
	if (st->mode == 0) {
		assert(avail > 0 && !is_ws(p[0]));
		if (p[0] == '\0')
			return SCAN_RAWNUL;
		st->mode = p[0] == '{' || p[0] == '[' ? 'c' : p[0] == '"' ? 's' : 't';
		st->depth = st->mode == 'c';
		st->in_string = st->mode == 's';
		st->i = 1;
	}
	if (st->mode == 't') {
		size_t j = st->i;
		while (j < avail && p[j] && !is_ws(p[j]) && strchr(",:[]{}\"", p[j]) == NULL)
			j++;
		if (j < avail && !p[j])
			return SCAN_RAWNUL;
		st->i = j;
		if (j == avail && !eof)
			return SCAN_MORE;
		st->bigints += (uint32_t)is_bigint(p, j);
		st->end = j;
		return SCAN_DONE;
	}
	while (st->i < avail) {
		enum scan_rc rc;
		if (p[st->i] == '\0')   /* a raw NUL: jansson would call it the end */
			return SCAN_RAWNUL;
		if (st->in_string) {
			rc = string_step(st, p, avail);
			if (rc == SCAN_DONE && !st->in_string && st->mode == 's') {
				st->end = st->i;
				return SCAN_DONE;
			}
		} else {
			rc = container_step(st, p, avail, eof);
			if (rc == SCAN_DONE && st->end > 0)
				return SCAN_DONE;
		}
		if (rc != SCAN_DONE)
			return rc;
	}
	return SCAN_MORE;
}

/* Copy p[0..n) to dst with the first `bigints` bigint literals outside a
 * string turned into the string "\u0000<digits>" (value.h); dst holds
 * n + 8 * bigints + 1 bytes.  Returns the length written. */
static size_t copy_bigints(char *dst, const char *p, size_t n, uint32_t bigints)
{
	size_t o = 0;
	int in_string = 0;
	for (size_t i = 0; i < n;) {
		char c = p[i];
		if (in_string || (c != '-' && (c < '0' || c > '9'))) {
			if (in_string && c == '\\' && i + 1 < n) {
				dst[o++] = p[i++];
			} else if (c == '"') {
				in_string = !in_string;
			}
			dst[o++] = p[i++];
			continue;
		}
		size_t j = i;
		while (j < n && num_char(p[j]))
			j++;
		int big = is_bigint(p + i, j - i) && bigints > 0;
		if (big) {
			memcpy(dst + o, "\"\\u0000", 7);
			o += 7;
			bigints--;
		}
		memcpy(dst + o, p + i, j - i);
		o += j - i;
		if (big)
			dst[o++] = '"';
		i = j;
	}
	return o;
}

/* Copy p[0..n) to the scratch buffer with its bigints rewritten. */
static int rewrite_bigints(struct jsonl_reader *r, const char *p, size_t n, uint32_t bigints, size_t *out_len)
{
	size_t need = n + 8 * (size_t)bigints + 1;
	if (need > r->scratch_cap) {
		char *s = realloc(r->scratch, need);
		if (s == NULL)
			return -ENOMEM;
		r->scratch = s;
		r->scratch_cap = need;
	}
	*out_len = copy_bigints(r->scratch, p, n, bigints);
	assert(*out_len < need);
	return 0;
}

/* Offset of a \u0000 escape inside a string of p[0, n), or n: the text a
 * bigint re-parse takes may hold no NUL of the user's (its markers are). */
static size_t find_nul_escape(const char *p, size_t n)
{
	bool in_string = false;
	for (size_t i = 0; i < n; i++) {
		if (!in_string) {
			in_string = p[i] == '"';
		} else if (p[i] == '\\') {
			if (i + 5 < n && p[i + 1] == 'u' && !memcmp(p + i + 2, "0000", 4))
				return i;
			i++;
		} else if (p[i] == '"') {
			in_string = false;
		}
	}
	return n;
}

json_t *jsonl_loads_bigints(const char *p, size_t n, json_error_t *je)
{
	size_t nul = find_nul_escape(p, n);
	if (nul < n) {
		memset(je, 0, sizeof *je);
		je->line = 1;
		je->column = (int)nul + 1;
		je->position = (int)nul;
		snprintf(je->text, sizeof je->text, "\\u0000 is not allowed in strings");
		return NULL;
	}
	/* At most one bigint per 20 bytes of text: room for all of them. */
	uint32_t max = (uint32_t)(n / 20 + 1);
	char *buf = malloc(n + 8 * (size_t)max + 1);
	if (buf == NULL)
		return NULL;
	size_t len = copy_bigints(buf, p, n, max);
	json_t *j = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, je);
	free(buf);
	return j;
}

/* ---- errors --------------------------------------------------------------- */

/* Fill err, remember it (the reader stays failed) and return code. */
__attribute__((format(printf, 6, 7)))
static int fail(struct jsonl_reader *r, struct value_error *err, int code, unsigned long line, const char *field,
	const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	err->record = r->record;
	err->line = line;
	err->resource[0] = '\0';
	err->limit = err->actual = 0;
	r->failed = code;
	r->failure = *err;
	return code;
}

static int fail_read(struct jsonl_reader *r, struct value_error *err, int code)
{
	return fail(r, err, code, r->line, NULL, "cannot read the input: %s", strerror(-code));
}

/* ---- parsing -------------------------------------------------------------- */

static int parse_record(struct jsonl_reader *r, const char *p, size_t n, uint32_t bigints, unsigned long line0,
	struct value_error *err)
{
	size_t flags = JSON_DECODE_ANY;
	if (r->opts.strict)
		flags |= JSON_REJECT_DUPLICATES;
	if (bigints > 0) {
		int rc = rewrite_bigints(r, p, n, bigints, &n);
		if (rc < 0)
			return fail(r, err, rc, line0, NULL, "out of memory reading record %lu", r->record);
		p = r->scratch;
		flags |= JSON_ALLOW_NUL;   /* only bigints hold NUL (see scan) */
	}
	json_error_t je;
	json_t *j = bigints > 0 ? NULL : jsonl_fast_parse(p, n, r->opts.strict);
	if (j == NULL)
		j = json_loadb(p, n, flags, &je);
	if (j == NULL) {
		unsigned long line = line0 + (je.line > 1 ? (unsigned long)je.line - 1 : 0);
		if (r->opts.strict) {
			/* jansson says `duplicate object key near '"x"'`; OmniGraph's
			 * reader `duplicate JSON member 'x'`. */
			char what[sizeof je.text + 32], key[sizeof je.text];
			if (sscanf(je.text, "duplicate object key near '\"%[^\"]\"'", key) == 1)
				snprintf(what, sizeof what, "duplicate JSON member '%s'", key);
			else
				snprintf(what, sizeof what, "%s", je.text);
			return fail(r, err, GROVE_EPARSE, line, NULL, "invalid strict JSON at line %lu: %s", line0, what);
		}
		return fail(r, err, GROVE_EPARSE, line, NULL, "invalid JSON at record %lu: %s", r->record, je.text);
	}
	json_decref(r->current);
	r->current = j;
	return 0;
}

static int is_text(const json_t *j)
{
	return json_is_string(j) && !value_json_is_bigint(j);
}

/* ---- the lenient dialect -------------------------------------------------- */

/* Skip whitespace, counting lines: 1 when a byte follows, 0 at the end. */
static int skip_ws(struct jsonl_reader *r)
{
	for (;;) {
		for (; r->pos < r->len; r->pos++) {
			char c = r->data[r->pos];
			if (c == '\n')
				r->line++;
			else if (!is_ws(c))
				return 1;
		}
		if (r->eof)
			return 0;
		int rc = refill(r);
		if (rc < 0)
			return rc;
	}
}

/* The length of the value starting at data[pos]. */
static int frame(struct jsonl_reader *r, size_t *len_out, uint32_t *bigints, struct value_error *err)
{
	struct scan st = { 0 };
	unsigned long n = r->record;
	for (;;) {
		enum scan_rc rc = scan(&st, r->data + r->pos, r->len - r->pos, r->eof);
		if (rc == SCAN_DONE) {
			*len_out = st.end;
			break;
		}
		if (rc == SCAN_NUL)
			return fail(r, err, GROVE_EPARSE, r->line, NULL,
				"invalid JSON at record %lu: \\u0000 is not allowed in strings", n);
		if (rc == SCAN_RAWNUL)
			return fail(r, err, GROVE_EPARSE, r->line, NULL,
				"invalid JSON at record %lu: a NUL byte", n);
		if (rc == SCAN_DEEP)
			return fail(r, err, GROVE_EPARSE, r->line, NULL,
				"invalid JSON at record %lu: nesting deeper than %d levels", n, JSONL_DEPTH_MAX);
		if (r->eof) {   /* cut short: jansson names what is missing */
			*len_out = r->len - r->pos;
			break;
		}
		if (r->len - r->pos > r->opts.record_max_bytes) {
			*len_out = r->len - r->pos;   /* already over the bound */
			break;
		}
		int e = refill(r);
		if (e < 0)
			return fail_read(r, err, e);
	}
	if (*len_out > r->opts.record_max_bytes) {   /* a resource limit, as upstream's input bounds */
		fail(r, err, GROVE_ELIMIT, r->line, NULL, "record %lu exceeds the maximum record size of %zu bytes",
		     n, r->opts.record_max_bytes);
		snprintf(err->resource, sizeof err->resource, "jsonl_record_bytes");
		err->limit = r->opts.record_max_bytes;
		err->actual = *len_out;
		r->failure = *err;
		return GROVE_ELIMIT;
	}
	*bigints = st.bigints;
	return 0;
}

static int classify_lenient(struct jsonl_reader *r, struct jsonl_record *out, unsigned long line,
	struct value_error *err)
{
	const json_t *j = r->current, *type = json_object_get(j, "type"), *edge = json_object_get(j, "edge");
	char name[VALUE_TEXT_BRIEF_MAX + 4];
	if (is_text(type)) {
		out->kind = JSONL_NODE;
		out->type = lang_catalog_node(r->cat, json_string_value(type));
		value_text_brief(name, json_string_value(type), json_string_length(type));
		if (out->type == NULL)
			return fail(r, err, GROVE_EINVAL, line, "type", "record %lu: unknown node type '%s'", r->record, name);
	} else if (is_text(edge)) {
		out->kind = JSONL_EDGE;
		out->type = lang_catalog_edge(r->cat, json_string_value(edge));
		value_text_brief(name, json_string_value(edge), json_string_length(edge));
		if (out->type == NULL)
			return fail(r, err, GROVE_EINVAL, line, "edge", "record %lu: unknown edge type '%s'", r->record, name);
		const json_t *from = json_object_get(j, "from"), *to = json_object_get(j, "to");
		if (!is_text(from))
			return fail(r, err, GROVE_EINVAL, line, "from", "record %lu: edge missing 'from'", r->record);
		if (!is_text(to))
			return fail(r, err, GROVE_EINVAL, line, "to", "record %lu: edge missing 'to'", r->record);
		out->from = json_string_value(from);
		out->to = json_string_value(to);
	} else {
		return fail(r, err, GROVE_EINVAL, line, NULL, "record %lu: expected 'type' or 'edge' field", r->record);
	}
	const json_t *data = json_object_get(j, "data");
	if (data != NULL && !json_is_null(data) && !json_is_object(data))
		return fail(r, err, GROVE_EINVAL, line, "data", "record %lu: 'data' must be a JSON object", r->record);
	out->data = json_is_object(data) ? data : r->empty;
	return 0;
}

/* The record p[0, n) as packed values into out, if it is plain. */
static int read_plain(struct jsonl_reader *r, struct jsonl_record *out, const char *p, size_t n)
{
	struct jsonl_plain pl;
	r->plain.size = 0;
	if (!jsonl_plain_read(&pl, &r->plain, r->cat, p, n))
		return 0;
	const uint8_t *base = (const uint8_t *)r->plain.data;
	out->kind = pl.kind;
	out->type = pl.type;
	out->slots = base;
	out->slots_len = pl.slots_len;
	if (pl.kind == JSONL_EDGE) {
		out->from = (const char *)base + pl.from;
		out->to = (const char *)base + pl.to;
	}
	if (pl.id_len != SIZE_MAX) {
		out->id = (const char *)base + pl.id;
		out->id_len = pl.id_len;
	}
	out->plain = base;
	out->plain_len = r->plain.size;
	return 1;
}

static int next_lenient(struct jsonl_reader *r, struct jsonl_record *out, struct value_error *err)
{
	int rc = skip_ws(r);
	if (rc < 0)
		return fail_read(r, err, rc);
	if (rc == 0)
		return GROVE_ENOTFOUND;
	r->record++;
	unsigned long line0 = r->line;
	size_t n = 0;
	uint32_t bigints = 0;
	if ((rc = frame(r, &n, &bigints, err)) < 0)
		return rc;
	memset(out, 0, sizeof *out);
	int plain = bigints == 0 && r->opts.plain_rows && read_plain(r, out, r->data + r->pos, n);
	if (!plain)
		rc = parse_record(r, r->data + r->pos, n, bigints, line0, err);
	for (size_t i = 0; i < n; i++)   /* consume the record's bytes */
		r->line += r->data[r->pos + i] == '\n';
	r->pos += n;
	if (rc < 0)
		return rc;
	out->record = r->record;
	out->line = line0;
	out->bytes = n;
	if (plain)
		return 0;
	out->json = r->current;
	return classify_lenient(r, out, line0, err);
}

/* ---- the strict dialect --------------------------------------------------- */

static const char *const reserved_fields[] = {
	"_tombstone", "_rowid", "_rowaddr", "_rowoffset", "_row_created_at_version",
	"_row_last_updated_at_version",
};

static int is_physical(const char *k)
{
	for (size_t i = 0; i < sizeof reserved_fields / sizeof reserved_fields[0]; i++)
		if (strcmp(k, reserved_fields[i]) == 0)
			return 1;
	return 0;
}

static int is_reserved(const char *k, const struct lang_cat_type *t)
{
	return is_physical(k) || (t->kind == LANG_CAT_EDGE && (strcmp(k, "src") == 0 || strcmp(k, "dst") == 0));
}

/* Undeclared and reserved data fields are refused; "id" is the entity id. */
static int strict_data_fields(struct jsonl_reader *r, const json_t *data, const struct lang_cat_type *t,
	unsigned long line, struct value_error *err)
{
	const char *table = t->kind == LANG_CAT_EDGE ? "edge" : "node", *k;
	const json_t *v;
	json_object_foreach((json_t *)data, k, v) {
		char name[VALUE_TEXT_BRIEF_MAX + 4];
		value_text_brief(name, k, strlen(k));
		if (strcmp(k, "id") == 0)
			continue;
		if (is_reserved(k, t) && t->kind == LANG_CAT_EDGE && (!strcmp(k, "src") || !strcmp(k, "dst")))
			return fail(r, err, GROVE_EINVAL, line, k,
				"line %lu: edge data field '%s' is reserved structural state", line, name);
		if (is_reserved(k, t))
			return fail(r, err, GROVE_EINVAL, line, k, "line %lu: input field '%s' is reserved physical state",
				line, name);
		if (lang_cat_type_prop(t, k) == NULL)
			return fail(r, err, GROVE_EINVAL, line, k, "line %lu: unknown input field '%s' for '%s:%s'", line,
				name, table, t->name);
	}
	return 0;
}

static int strict_top_fields(struct jsonl_reader *r, const json_t *j, int is_edge, unsigned long line,
	struct value_error *err)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)j, k, v) {
		int ok = strcmp(k, "data") == 0 || strcmp(k, is_edge ? "edge" : "type") == 0 ||
			(is_edge && (strcmp(k, "from") == 0 || strcmp(k, "to") == 0));
		if (!ok) {
			char name[VALUE_TEXT_BRIEF_MAX + 4];
			value_text_brief(name, k, strlen(k));
			if (is_physical(k))
				return fail(r, err, GROVE_EINVAL, line, k,
					"line %lu: top-level field '%s' is reserved physical state", line, name);
			return fail(r, err, GROVE_EINVAL, line, k, "line %lu: unknown top-level graph batch field '%s'", line,
				name);
		}
	}
	return 0;
}

static int strict_type(struct jsonl_reader *r, struct jsonl_record *out, const json_t *j, int is_edge,
	unsigned long line, struct value_error *err)
{
	const char *field = is_edge ? "edge" : "type";
	const json_t *name = json_object_get(j, field);
	if (!is_text(name))
		return fail(r, err, GROVE_EINVAL, line, field, "line %lu: graph batch field '%s' must be a string", line,
			field);
	out->kind = is_edge ? JSONL_EDGE : JSONL_NODE;
	out->type = is_edge ? lang_catalog_edge(r->cat, json_string_value(name))
		: lang_catalog_node(r->cat, json_string_value(name));
	if (out->type == NULL) {
		char text[VALUE_TEXT_BRIEF_MAX + 4];
		value_text_brief(text, json_string_value(name), json_string_length(name));
		return fail(r, err, GROVE_EINVAL, line, field, "line %lu: unknown %s type '%s'", line,
			is_edge ? "edge" : "node", text);
	}
	if (!is_edge)
		return 0;
	const json_t *from = json_object_get(j, "from"), *to = json_object_get(j, "to");
	if (!is_text(from))
		return fail(r, err, GROVE_EINVAL, line, "from", "line %lu: edge missing 'from'", line);
	if (!is_text(to))
		return fail(r, err, GROVE_EINVAL, line, "to", "line %lu: edge missing 'to'", line);
	out->from = json_string_value(from);
	out->to = json_string_value(to);
	return 0;
}

static int classify_strict(struct jsonl_reader *r, struct jsonl_record *out, unsigned long line,
	struct value_error *err)
{
	const json_t *j = r->current;
	if (!json_is_object(j))
		return fail(r, err, GROVE_EPARSE, line, NULL, "invalid strict JSON at line %lu: expected a JSON object", line);
	int has_type = json_object_get(j, "type") != NULL, has_edge = json_object_get(j, "edge") != NULL;
	if (has_type == has_edge)
		return fail(r, err, GROVE_EINVAL, line, NULL,
			"line %lu: graph batch record must contain exactly one of 'type' or 'edge'", line);
	int rc = strict_top_fields(r, j, has_edge, line, err);
	if (rc == 0)
		rc = strict_type(r, out, j, has_edge, line, err);
	if (rc < 0)
		return rc;
	const json_t *data = json_object_get(j, "data");
	if (data != NULL && !json_is_object(data))
		return fail(r, err, GROVE_EINVAL, line, "data", "line %lu: 'data' must be a JSON object", line);
	out->data = data != NULL ? data : r->empty;
	return strict_data_fields(r, out->data, out->type, line, err);
}

/* The line at data[pos]: its length without the newline, and where the
 * next one starts.  GROVE_ENOTFOUND at the end of the input. */
static int read_line(struct jsonl_reader *r, size_t *n, size_t *next, struct value_error *err)
{
	size_t searched = 0;
	for (;;) {
		const char *start = r->data + r->pos;
		const char *nl = memchr(start + searched, '\n', r->len - r->pos - searched);
		if (nl != NULL) {
			*n = (size_t)(nl - start);
			*next = r->pos + *n + 1;
			break;
		}
		if (r->eof) {
			if (r->pos == r->len)
				return GROVE_ENOTFOUND;
			*n = r->len - r->pos;
			*next = r->len;
			break;
		}
		searched = r->len - r->pos;
		if (searched > r->opts.record_max_bytes) {
			*n = searched;
			break;
		}
		int rc = refill(r);
		if (rc < 0)
			return fail_read(r, err, rc);
	}
	if (*n > r->opts.record_max_bytes) {
		fail(r, err, GROVE_ELIMIT, r->line, NULL, "line %lu: resource limit exceeded: "
		     "graph_batch_line_bytes: more than %zu bytes", r->line, r->opts.record_max_bytes);
		snprintf(err->resource, sizeof err->resource, "graph_batch_line_bytes");
		err->limit = r->opts.record_max_bytes;
		err->actual = *n;
		r->failure = *err;
		return GROVE_ELIMIT;
	}
	return 0;
}

static int next_strict(struct jsonl_reader *r, struct jsonl_record *out, struct value_error *err)
{
	for (;;) {
		size_t n = 0, next = 0, k = 0;
		int rc = read_line(r, &n, &next, err);
		if (rc < 0)
			return rc;
		const char *p = r->data + r->pos;
		unsigned long line = r->line++;
		r->pos = next;   /* p stays valid: nothing refills before the parse */
		while (k < n && is_ws(p[k]))
			k++;
		if (k == n)
			continue;   /* a blank line */
		r->record++;
		struct scan st = { 0 };
		enum scan_rc src = scan(&st, p + k, n - k, 1);
		if (src == SCAN_DONE && memchr(p + k, '\0', n - k))
			src = SCAN_RAWNUL;   /* after the value, on its line */
		if (src == SCAN_NUL || src == SCAN_DEEP || src == SCAN_RAWNUL)
			return fail(r, err, GROVE_EPARSE, line, NULL, "invalid strict JSON at line %lu: %s", line,
				src == SCAN_NUL ? "\\u0000 is not allowed in strings"
				: src == SCAN_RAWNUL ? "a NUL byte" : "nesting too deep");
		if ((rc = parse_record(r, p, n, st.bigints, line, err)) < 0)
			return rc;
		out->record = r->record;
		out->line = line;
		out->json = r->current;
		out->bytes = n;
		out->strict = 1;
		return classify_strict(r, out, line, err);
	}
}

int jsonl_reader_next(struct jsonl_record *out, struct jsonl_reader *r, struct value_error *err)
{
	assert(out != NULL && r != NULL && err != NULL);
	memset(out, 0, sizeof *out);
	if (r->failed) {
		*err = r->failure;
		return r->failed;
	}
	return r->opts.strict ? next_strict(r, out, err) : next_lenient(r, out, err);
}
