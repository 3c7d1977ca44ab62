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

#include "engine/jsonl_lex.h"

struct fast {
	struct jl_cur c;
	bool reject_duplicates;
};

static json_t *value(struct fast *f, unsigned depth);

static json_t *number(struct fast *f)
{
	int64_t v;
	return jl_small_int(&f->c, &v) ? json_integer((json_int_t)v) : NULL;
}

static json_t *literal(struct fast *f, const char *word, size_t n, json_t *(*make)(void))
{
	return jl_literal(&f->c, word, n) ? make() : NULL;
}

static json_t *make_true(void) { return json_true(); }
static json_t *make_false(void) { return json_false(); }
static json_t *make_null(void) { return json_null(); }

static json_t *object(struct fast *f, unsigned depth)
{
	json_t *o = json_object();
	f->c.p++;
	jl_skip_ws(&f->c);
	if (f->c.p < f->c.end && *f->c.p == '}') {
		f->c.p++;
		return o;
	}
	while (o) {
		const char *k;
		size_t kn;
		jl_skip_ws(&f->c);
		if (f->c.p >= f->c.end || *f->c.p != '"' || !jl_plain_string(&f->c, &k, &kn))
			break;
		jl_skip_ws(&f->c);
		if (f->c.p >= f->c.end || *f->c.p++ != ':')
			break;
		if (f->reject_duplicates && json_object_getn(o, k, kn))
			break;
		json_t *v = value(f, depth + 1);
		/* As jansson's parser: a later duplicate key replaces. */
		if (!v || json_object_setn_new_nocheck(o, k, kn, v) < 0)
			break;
		jl_skip_ws(&f->c);
		if (f->c.p < f->c.end && *f->c.p == ',') {
			f->c.p++;
			continue;
		}
		if (f->c.p < f->c.end && *f->c.p == '}') {
			f->c.p++;
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
	f->c.p++;
	jl_skip_ws(&f->c);
	if (f->c.p < f->c.end && *f->c.p == ']') {
		f->c.p++;
		return a;
	}
	while (a) {
		json_t *v = value(f, depth + 1);
		if (!v || json_array_append_new(a, v) < 0)
			break;
		jl_skip_ws(&f->c);
		if (f->c.p < f->c.end && *f->c.p == ',') {
			f->c.p++;
			continue;
		}
		if (f->c.p < f->c.end && *f->c.p == ']') {
			f->c.p++;
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

	jl_skip_ws(&f->c);
	if (f->c.p >= f->c.end || depth > JSONL_FAST_DEPTH_MAX)
		return NULL;
	switch (*f->c.p) {
	case '{': return object(f, depth);
	case '[': return array(f, depth);
	case '"': return jl_plain_string(&f->c, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
	case 't': return literal(f, "true", 4, make_true);
	case 'f': return literal(f, "false", 5, make_false);
	case 'n': return literal(f, "null", 4, make_null);
	default:  return *f->c.p == '-' || (*f->c.p >= '0' && *f->c.p <= '9') ? number(f) : NULL;
	}
}

json_t *jsonl_fast_parse(const char *p, size_t n, bool reject_duplicates)
{
	struct fast f = { { p, p + n }, reject_duplicates };
	jl_skip_ws(&f.c);
	/* Only containers: a bare scalar record is rare, and jansson's. */
	if (f.c.p >= f.c.end || (*f.c.p != '{' && *f.c.p != '['))
		return NULL;
	json_t *j = value(&f, 1);
	jl_skip_ws(&f.c);
	if (j && f.c.p != f.c.end) {
		json_decref(j);
		return NULL;
	}
	return j;
}
