/*
 * chg_token.c — page tokens and feed cursors (engine §4.4, §4.5): opaque
 * strings base64url_nopad(JSON ‖ XXH3-64(JSON)), at most
 * CHG_TOKEN_MAX_BYTES characters.  The digest catches damaged or hand-made
 * tokens; what a token binds (commit, branch incarnation, scope) is checked
 * by its user against the state.
 */
#include "engine/chg_token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "engine/base64.h"
#include "log/error.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

int chg_token_seal(char **out, grove_db *db, json_t *payload)
{
	char *text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	size_t n, enc;
	uint8_t *raw;
	int err = 0;

	json_decref(payload);
	*out = NULL;
	if (!text)
		return db_error(db, -ENOMEM, "out of memory");
	n = strlen(text);
	enc = base64_encoded_len(n + 8);
	if (enc > CHG_TOKEN_MAX_BYTES) {
		free(text);
		return db_error(db, GROVE_ETOOBIG, "a change token would exceed %u bytes",
				CHG_TOKEN_MAX_BYTES);
	}
	raw = malloc(n + 8);
	*out = malloc(enc + 1);
	if (!raw || !*out) {
		err = db_error(db, -ENOMEM, "out of memory");
	} else {
		memcpy(raw, text, n);
		put_be64(raw + n, XXH3_64bits(text, n));
		base64_encode(*out, raw, n + 8);
		/* base64url without padding. */
		size_t len = enc;
		while (len && (*out)[len - 1] == '=')
			len--;
		for (size_t i = 0; i < len; i++)
			(*out)[i] = (*out)[i] == '+' ? '-' : (*out)[i] == '/' ? '_' : (*out)[i];
		(*out)[len] = '\0';
	}
	free(raw);
	free(text);
	if (err < 0) {
		free(*out);
		*out = NULL;
	}
	return err;
}

/* The token's bytes (JSON ‖ digest) into raw[CHG_TOKEN_MAX_BYTES]. */
static int token_bytes(uint8_t *raw, size_t *n, const char *token)
{
	char b64[CHG_TOKEN_MAX_BYTES + 4];
	char detail[BASE64_DETAIL_MAX];
	size_t len = strlen(token);

	if (len == 0 || len > CHG_TOKEN_MAX_BYTES)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = token[i];
		if (c == '+' || c == '/' || c == '=')
			return -1;
		b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (len % 4)
		b64[len++] = '=';
	if (base64_decoded_max(len) > CHG_TOKEN_MAX_BYTES)
		return -1;
	return base64_decode(raw, n, b64, len, detail) < 0 ? -1 : 0;
}

int chg_token_open(json_t **out, grove_db *db, const char *token, const char *kind,
		   const char *what)
{
	uint8_t raw[CHG_TOKEN_MAX_BYTES];
	size_t n = 0;
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (!token || token_bytes(raw, &n, token) < 0 || n <= 8)
		return db_error(db, GROVE_ECURSOR, "change cursor rejected: the %s has a bad encoding", what);
	uint64_t digest = 0;
	for (int i = 0; i < 8; i++)
		digest = digest << 8 | raw[n - 8 + i];
	if (digest != XXH3_64bits(raw, n - 8))
		return db_error(db, GROVE_ECURSOR, "change cursor rejected: the %s is damaged", what);
	j = json_loadb((const char *)raw, n - 8, 0, &jerr);
	const char *k = json_string_value(json_object_get(j, "kind"));
	if (!j || json_integer_value(json_object_get(j, "v")) != 1 || !k) {
		json_decref(j);
		return db_error(db, GROVE_ECURSOR, "change cursor rejected: not a %s", what);
	}
	if (strcmp(k, kind)) {   /* a token of another kind: name both */
		const char *got = !strcmp(k, "commit-page") ? "commit changes page token"
				: !strcmp(k, "feed-page") ? "change feed page token"
				: !strcmp(k, "feed-cursor") ? "change feed cursor" : "token of another kind";
		json_decref(j);
		return db_error(db, GROVE_ECURSOR, "change cursor rejected: expected a %s, got a %s", what, got);
	}
	*out = j;
	return 0;
}

int chg_token_kind(const char *token, char *kind, size_t cap)
{
	uint8_t raw[CHG_TOKEN_MAX_BYTES];
	size_t n = 0;
	json_error_t jerr;

	if (!token || token_bytes(raw, &n, token) < 0 || n <= 8)
		return -1;
	json_t *j = json_loadb((const char *)raw, n - 8, 0, &jerr);
	const char *k = json_string_value(json_object_get(j, "kind"));
	int ok = k && strlen(k) < cap;
	if (ok)
		strcpy(kind, k);
	json_decref(j);
	return ok ? 0 : -1;
}

/* ---- positions ---------------------------------------------------------- */

static const char hex[] = "0123456789abcdef";

static void to_hex(char *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = hex[b[i] >> 4];
		h[2 * i + 1] = hex[b[i] & 15];
	}
	h[2 * n] = '\0';
}

static void id_hash(uint8_t out[16], const char *id, uint32_t n)
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(id, n));
	memcpy(out, c.digest, 16);
}

json_t *chg_pos_json(const struct chg_entity *e)
{
	bool digest = e->id_len > CHG_POS_EXACT_MAX;
	char *h = malloc((digest ? CHG_POS_PREFIX : (size_t)e->id_len) * 2 + 1), hh[33];
	uint8_t d[16];
	json_t *j;
	if (!h)
		return NULL;
	to_hex(h, e->id, digest ? CHG_POS_PREFIX : e->id_len);
	if (digest) {
		id_hash(d, e->id, e->id_len);
		to_hex(hh, d, sizeof d);
		j = json_pack("{s:i, s:I, s:s, s:s}", "k", (int)chg_kind_rank(e->t), "t",
			      (json_int_t)e->t->id, "p", h, "h", hh);
	} else {
		j = json_pack("{s:i, s:I, s:s}", "k", (int)chg_kind_rank(e->t), "t",
			      (json_int_t)e->t->id, "id", h);
	}
	free(h);
	return j;
}

static int unhex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex h into out[cap]: its length, or -1. */
static long from_hex(void *out, size_t cap, const char *h)
{
	size_t n = h ? strlen(h) : 1;
	uint8_t *b = out;
	if (!h || n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int a = unhex(h[2 * i]), c = unhex(h[2 * i + 1]);
		if (a < 0 || c < 0)
			return -1;
		b[i] = (uint8_t)(a << 4 | c);
	}
	return (long)(n / 2);
}

int chg_pos_parse(struct chg_pos *out, const json_t *j)
{
	const char *h = json_string_value(json_object_get(j, "id"));
	json_int_t k = json_integer_value(json_object_get(j, "k"));
	json_int_t t = json_integer_value(json_object_get(j, "t"));
	long n;

	if (k < 0 || k > 1 || t < 0 || t > UINT32_MAX)
		return -1;
	memset(out, 0, sizeof *out);
	out->set = true;
	out->kind_rank = (unsigned)k;
	out->type_id = (uint32_t)t;
	if (h) {
		n = from_hex(out->buf, sizeof out->buf, h);
	} else {
		out->digest = true;
		n = from_hex(out->buf, sizeof out->buf, json_string_value(json_object_get(j, "p")));
		if (n != CHG_POS_PREFIX ||
		    from_hex(out->hash, sizeof out->hash,
			     json_string_value(json_object_get(j, "h"))) != sizeof out->hash)
			return -1;
	}
	if (n < 0)
		return -1;
	out->id_len = (uint32_t)n;
	return 0;
}

bool chg_pos_names(const struct chg_pos *p, const struct chg_entity *e)
{
	uint8_t d[16];
	if (!p->digest || e->id_len <= CHG_POS_EXACT_MAX || memcmp(e->id, p->buf, CHG_POS_PREFIX))
		return false;
	id_hash(d, e->id, e->id_len);
	return !memcmp(d, p->hash, sizeof d);
}
