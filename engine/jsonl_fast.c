/*
 * engine/jsonl_fast.c — a quick parse of the plain JSON most load records
 * are (jsonl_fast.h).
 *
 * jansson's parser lexes every token into a growing buffer, validates
 * UTF-8 and converts numbers with strtod/strtoll; most JSONL records hold
 * nothing that needs this: ASCII strings without escapes, small integers,
 * literals, objects and arrays.  This parser builds the very DOM jansson
 * would for exactly that subset and declines everything else, which then
 * goes to jansson (whose errors the reader reports).  It never reports an
 * error itself, so every message stays jansson's.
 */
#include "engine/jsonl_fast.h"

#include <stdint.h>
#include <string.h>

/* Integers of at most this many digits are exact in json_int_t. */
#define FAST_INT_DIGITS 18

struct fast {
	const char *p, *end;
	bool reject_duplicates;
};

static void skip_ws(struct fast *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
		f->p++;
}

static json_t *value(struct fast *f, unsigned depth);

/* A string of printable ASCII without escapes, into *s and *n (f->p at its
 * opening quote); false otherwise. */
static bool plain_string(const char **s, size_t *n, struct fast *f)
{
	const char *q = ++f->p;
	while (q < f->end && *q != '"') {
		unsigned char c = (unsigned char)*q;
		if (c < 0x20 || c > 0x7e || c == '\\')
			return false;
		q++;
	}
	if (q == f->end)
		return false;
	*s = f->p;
	*n = (size_t)(q - f->p);
	f->p = q + 1;
	return true;
}

static json_t *number(struct fast *f)
{
	const char *q = f->p;
	bool neg = *q == '-';
	q += neg;
	const char *d = q;
	uint64_t v = 0; /* unsigned: a long run of digits wraps, harmlessly (refused below) */
	while (q < f->end && *q >= '0' && *q <= '9')
		v = v * 10 + (uint64_t)(*q++ - '0');
	size_t nd = (size_t)(q - d);
	/* jansson's integer grammar, kept short enough to be exact; a
	 * fraction, exponent or anything else is jansson's to read. */
	if (nd == 0 || nd > FAST_INT_DIGITS || (nd > 1 && *d == '0'))
		return NULL;
	if (q < f->end && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= 'a' && *q <= 'z')))
		return NULL;
	f->p = q;
	return json_integer(neg ? -(json_int_t)v : (json_int_t)v);
}

static json_t *literal(struct fast *f, const char *word, size_t n, json_t *(*make)(void))
{
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
		return NULL;
	f->p += n;
	return make();
}

static json_t *make_true(void) { return json_true(); }
static json_t *make_false(void) { return json_false(); }
static json_t *make_null(void) { return json_null(); }

static json_t *object(struct fast *f, unsigned depth)
{
	json_t *o = json_object();
	f->p++;
	skip_ws(f);
	if (f->p < f->end && *f->p == '}') {
		f->p++;
		return o;
	}
	while (o) {
		const char *k;
		size_t kn;
		skip_ws(f);
		if (f->p >= f->end || *f->p != '"' || !plain_string(&k, &kn, f))
			break;
		skip_ws(f);
		if (f->p >= f->end || *f->p++ != ':')
			break;
		if (f->reject_duplicates && json_object_getn(o, k, kn))
			break;
		json_t *v = value(f, depth + 1);
		/* As jansson's parser: a later duplicate key replaces. */
		if (!v || json_object_setn_new_nocheck(o, k, kn, v) < 0)
			break;
		skip_ws(f);
		if (f->p < f->end && *f->p == ',') {
			f->p++;
			continue;
		}
		if (f->p < f->end && *f->p == '}') {
			f->p++;
			return o;
		}
		break;
	}
	json_decref(o);
	return NULL;
}

static json_t *array(struct fast *f, unsigned depth)
{
	json_t *a = json_array();
	f->p++;
	skip_ws(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return a;
	}
	while (a) {
		json_t *v = value(f, depth + 1);
		if (!v || json_array_append_new(a, v) < 0)
			break;
		skip_ws(f);
		if (f->p < f->end && *f->p == ',') {
			f->p++;
			continue;
		}
		if (f->p < f->end && *f->p == ']') {
			f->p++;
			return a;
		}
		break;
	}
	json_decref(a);
	return NULL;
}

static json_t *value(struct fast *f, unsigned depth)
{
	const char *s;
	size_t n;

	skip_ws(f);
	if (f->p >= f->end || depth > JSONL_FAST_DEPTH_MAX)
		return NULL;
	switch (*f->p) {
	case '{': return object(f, depth);
	case '[': return array(f, depth);
	case '"': return plain_string(&s, &n, f) ? json_stringn_nocheck(s, n) : NULL;
	case 't': return literal(f, "true", 4, make_true);
	case 'f': return literal(f, "false", 5, make_false);
	case 'n': return literal(f, "null", 4, make_null);
	default:  return *f->p == '-' || (*f->p >= '0' && *f->p <= '9') ? number(f) : NULL;
	}
}

json_t *jsonl_fast_parse(const char *p, size_t n, bool reject_duplicates)
{
	struct fast f = { p, p + n, reject_duplicates };
	skip_ws(&f);
	/* Only containers: a bare scalar record is rare, and jansson's. */
	if (f.p >= f.end || (*f.p != '{' && *f.p != '['))
		return NULL;
	json_t *j = value(&f, 1);
	skip_ws(&f);
	if (j && f.p != f.end) {
		json_decref(j);
		return NULL;
	}
	return j;
}
