/*
 * engine/value_check.c — per-row constraint checks: enum membership,
 * @range and @check (spec §2.4, §8.4).
 *
 * @check patterns are written for OmniGraph's Rust regex engine and run
 * here with POSIX extended regexes (regcomp/regexec).  The common Perl
 * classes are translated (\d \w \s and their negations, also inside
 * brackets as \d \w \s), and an escaped punctuation character inside
 * brackets becomes itself; anything else ERE lacks (\b, (?i), \p{..},
 * lazy quantifiers) fails to compile or means what ERE says.
 */
#include "engine/value.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/numfmt.h"
#include "engine/value_int.h"
#include "grove.h"

#define PATTERN_MAX_BYTES 4096

struct value_check_re {
	const struct lang_cat_property *prop;
	const char *pattern;          /* as written in the schema */
	regex_t re;
};

/* ---- pattern translation ------------------------------------------------ */

struct pbuf {
	char *s;
	size_t len, cap;
};

static void pb_put(struct pbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n < b->cap) {
		memcpy(b->s + b->len, s, n);
		b->len += n;
	} else {
		b->len = b->cap;   /* overflow: the caller refuses the pattern */
	}
}

static void pb_putc(struct pbuf *b, char c)
{
	char s[2] = {c, 0};
	pb_put(b, s);
}

static const char *class_outside(char c)
{
	switch (c) {
	case 'd': return "[0-9]";
	case 'D': return "[^0-9]";
	case 'w': return "[[:alnum:]_]";
	case 'W': return "[^[:alnum:]_]";
	case 's': return "[[:space:]]";
	case 'S': return "[^[:space:]]";
	}
	return NULL;
}

/* A bracket expression starting at re[*i] == '['.  ']' and '-' found as
 * escapes are moved to where POSIX reads them literally (first, last). */
static int bracket(struct pbuf *b, const char *re, size_t *i, char *why, size_t why_cap)
{
	size_t j = *i + 1;
	int rbracket = 0, dash = 0;
	struct pbuf body = { .s = malloc(PATTERN_MAX_BYTES), .cap = PATTERN_MAX_BYTES };
	if (body.s == NULL)
		return snprintf(why, why_cap, "out of memory"), -ENOMEM;
	pb_putc(b, '[');
	if (re[j] == '^')
		pb_putc(b, '^'), j++;
	if (re[j] == ']')
		rbracket = 1, j++;
	for (; re[j] != '\0' && re[j] != ']'; j++) {
		if (re[j] == '[' && re[j + 1] == ':') {   /* [:class:] */
			const char *end = strstr(re + j + 2, ":]");
			size_t n = end ? (size_t)(end - (re + j)) + 2 : strlen(re + j);
			for (size_t k = 0; k < n; k++)
				pb_putc(&body, re[j + k]);
			j += n - 1;
		} else if (re[j] == '\\' && re[j + 1] != '\0') {
			char c = re[++j];
			if (c == 'd') pb_put(&body, "0-9");
			else if (c == 'w') pb_put(&body, "[:alnum:]_");
			else if (c == 's') pb_put(&body, "[:space:]");
			else if (c == ']') rbracket = 1;
			else if (c == '-') dash = 1;
			else if (c == 'D' || c == 'W' || c == 'S' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
				snprintf(why, why_cap, "unsupported escape \\%c inside brackets", c);
				free(body.s);
				return GROVE_EINVAL;
			} else pb_putc(&body, c);
		} else {
			pb_putc(&body, re[j]);
		}
	}
	if (re[j] != ']') {
		free(body.s);
		return snprintf(why, why_cap, "unterminated bracket expression"), GROVE_EINVAL;
	}
	if (rbracket)
		pb_putc(b, ']');
	body.s[body.len < body.cap ? body.len : body.cap - 1] = '\0';
	pb_put(b, body.s);
	if (dash)
		pb_putc(b, '-');
	pb_putc(b, ']');
	int overflow = body.len >= body.cap;
	free(body.s);
	*i = j;
	return overflow ? (snprintf(why, why_cap, "pattern too long"), GROVE_ETOOBIG) : 0;
}

static int translate(char *out, const char *re, char *why, size_t why_cap)
{
	struct pbuf b = { .s = out, .cap = PATTERN_MAX_BYTES };
	for (size_t i = 0; re[i] != '\0'; i++) {
		if (re[i] == '[') {
			int rc = bracket(&b, re, &i, why, why_cap);
			if (rc < 0)
				return rc;
		} else if (re[i] == '\\' && class_outside(re[i + 1]) != NULL) {
			pb_put(&b, class_outside(re[++i]));
		} else if (re[i] == '\\' && re[i + 1] != '\0') {
			pb_putc(&b, re[i]);
			pb_putc(&b, re[++i]);
		} else {
			pb_putc(&b, re[i]);
		}
	}
	if (b.len >= b.cap)
		return snprintf(why, why_cap, "pattern too long"), GROVE_ETOOBIG;
	out[b.len] = '\0';
	return 0;
}

/* ---- the validator ------------------------------------------------------ */

static int compile_check(struct value_check_re *c, const struct lang_cat_type *t, const struct lang_cat_check *chk,
	struct value_error *err)
{
	char why[256] = "", *ere = malloc(PATTERN_MAX_BYTES);
	if (ere == NULL)
		return value_error_set(err, -ENOMEM, chk->property, "out of memory compiling @check");
	c->prop = lang_cat_type_prop(t, chk->property);
	c->pattern = chk->pattern;
	assert(c->prop != NULL);   /* the catalog build checked it */
	int rc = strlen(chk->pattern) >= PATTERN_MAX_BYTES ? (snprintf(why, sizeof why, "pattern too long"),
		GROVE_ETOOBIG) : translate(ere, chk->pattern, why, sizeof why);
	if (rc == 0) {
		int re_rc = regcomp(&c->re, ere, REG_EXTENDED | REG_NOSUB);
		if (re_rc != 0) {
			regerror(re_rc, NULL, why, sizeof why);
			rc = GROVE_EINVAL;
		}
	}
	free(ere);
	if (rc < 0) {
		char pat[VALUE_TEXT_BRIEF_MAX + 4];
		value_text_brief(pat, chk->pattern, strlen(chk->pattern));
		return value_error_set(err, rc, chk->property, "@check on %s.%s: invalid pattern '%s': %s", t->name,
			chk->property, pat, why);
	}
	return 0;
}

int value_validator_init(struct value_validator *v, const struct lang_cat_type *t, struct value_error *err)
{
	memset(v, 0, sizeof *v);
	v->type = t;
	if (t->n_check == 0)
		return 0;
	v->checks = calloc(t->n_check, sizeof *v->checks);
	if (v->checks == NULL)
		return value_error_set(err, -ENOMEM, NULL, "out of memory compiling @check");
	for (uint32_t i = 0; i < t->n_check; i++) {
		int rc = compile_check(&v->checks[i], t, &t->checks[i], err);
		if (rc < 0) {
			value_validator_fini(v);
			return rc;
		}
		v->n_checks++;
	}
	return 0;
}

void value_validator_fini(struct value_validator *v)
{
	for (uint32_t i = 0; i < v->n_checks; i++)
		regfree(&v->checks[i].re);
	free(v->checks);
	memset(v, 0, sizeof *v);
}

/* ---- checks ------------------------------------------------------------- */

/* Apply fn to a value or, for a list, to each element; nil is exempt. */
typedef int (*elem_fn)(const struct value_validator *v, const void *arg, const msgpack_object *o,
	struct value_error *err);

static int each_value(const struct value_validator *v, const void *arg, const msgpack_object *o, elem_fn fn,
	struct value_error *err)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return o->type == MSGPACK_OBJECT_NIL ? 0 : fn(v, arg, o, err);
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		const msgpack_object *e = &o->via.array.ptr[i];
		int rc = e->type == MSGPACK_OBJECT_NIL ? 0 : fn(v, arg, e, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int cmp_enum(const void *key, const void *elem)
{
	const msgpack_object *o = key;
	const char *val = *(const char *const *)elem;
	size_t n = strlen(val), m = o->via.str.size;
	int c = memcmp(o->via.str.ptr, val, m < n ? m : n);
	return c != 0 ? c : (m > n) - (m < n);
}

static int check_enum(const struct value_validator *v, const void *arg, const msgpack_object *o,
	struct value_error *err)
{
	const struct lang_cat_property *p = arg;
	if (o->type == MSGPACK_OBJECT_STR &&
	    bsearch(o, p->type.enum_values, p->type.n_enum, sizeof(char *), cmp_enum) != NULL)
		return 0;
	char text[VALUE_TEXT_BRIEF_MAX + 4], expected[VALUE_ERROR_MSG_MAX / 2];
	size_t at = 0;
	expected[0] = '\0';
	for (uint32_t i = 0; i < p->type.n_enum && at < sizeof expected; i++)
		at += (size_t)snprintf(expected + at, sizeof expected - at, "%s%s", i ? ", " : "", p->type.enum_values[i]);
	if (o->type == MSGPACK_OBJECT_STR)
		value_text_brief(text, o->via.str.ptr, o->via.str.size);
	else
		snprintf(text, sizeof text, "<msgpack type %d>", (int)o->type);
	return value_error_set(err, GROVE_EINVAL, p->name, "invalid enum value '%s' for %s.%s (expected: %s)", text,
		v->type->name, p->name, expected);
}

static void number_text(char *out, const struct lang_cat_property *p, const msgpack_object *o)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		snprintf(out, NUMFMT_PLAIN_MAX, "%" PRIu64, o->via.u64);
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		snprintf(out, NUMFMT_PLAIN_MAX, "%" PRId64, o->via.i64);
	else if (!isfinite(o->via.f64))
		snprintf(out, NUMFMT_PLAIN_MAX, "%s", o->via.f64 > 0 ? "inf" : "-inf");
	else if (p != NULL && p->type.scalar == LANG_SCALAR_F32)
		numfmt_plain_f32(out, (float)o->via.f64);
	else
		numfmt_plain_f64(out, o->via.f64);
}

static msgpack_object bound_object(const struct pg_bound *b)
{
	msgpack_object o;
	if (b->is_float) {
		o.type = MSGPACK_OBJECT_FLOAT64;
		o.via.f64 = b->f;
	} else if (b->i >= 0) {
		o.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o.via.u64 = (uint64_t)b->i;
	} else {
		o.type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
		o.via.i64 = b->i;
	}
	return o;
}

static int range_violation(const struct value_validator *v, const struct lang_cat_property *p,
	const msgpack_object *o, const char *op, const char *which, const struct pg_bound *b,
	struct value_error *err)
{
	char val[NUMFMT_PLAIN_MAX], bound[NUMFMT_PLAIN_MAX];
	msgpack_object bo = bound_object(b);
	number_text(val, p, o);
	number_text(bound, NULL, &bo);
	return value_error_set(err, GROVE_EINVAL, p->name, "@range violation on %s.%s: value %s %s %s %s",
		v->type->name, p->name, val, op, which, bound);
}

static int check_range(const struct value_validator *v, const void *arg, const msgpack_object *o,
	struct value_error *err)
{
	const struct lang_cat_range *r = arg;
	const struct lang_cat_property *p = lang_cat_type_prop(v->type, r->property);
	if ((o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64) && isnan(o->via.f64))
		return value_error_set(err, GROVE_EINVAL, r->property, "@range violation on %s.%s: value is NaN",
			v->type->name, r->property);
	if (r->min.present) {
		msgpack_object lo = bound_object(&r->min);
		if (value_compare(o, &lo) == VALUE_LT)
			return range_violation(v, p, o, "<", "min", &r->min, err);
	}
	if (r->max.present) {
		msgpack_object hi = bound_object(&r->max);
		if (value_compare(o, &hi) == VALUE_GT)
			return range_violation(v, p, o, ">", "max", &r->max, err);
	}
	return 0;
}

static int check_pattern(const struct value_validator *v, const void *arg, const msgpack_object *o,
	struct value_error *err)
{
	const struct value_check_re *c = arg;
	if (o->type != MSGPACK_OBJECT_STR)
		return 0;   /* only Strings carry @check (typechecked) */
	/* The value is not NUL-terminated: match a terminated copy (REG_STARTEND
	 * would avoid it, but AddressSanitizer's regexec ignores that flag and
	 * reads past the end). */
	char small[256], *copy = o->via.str.size < sizeof small ? small : malloc(o->via.str.size + 1);
	if (!copy)
		return value_error_set(err, -ENOMEM, c->prop->name, "out of memory");
	memcpy(copy, o->via.str.ptr, o->via.str.size);
	copy[o->via.str.size] = '\0';
	int rc = regexec(&c->re, copy, 0, NULL, 0);
	if (copy != small)
		free(copy);
	/* An embedded NUL would cut the copy short; such a value cannot match
	 * a pattern anchored at its end, and Grove refuses NULs in strings. */
	if (rc == 0)
		return 0;
	char text[VALUE_TEXT_BRIEF_MAX + 4], pat[VALUE_TEXT_BRIEF_MAX + 4];
	value_text_brief(text, o->via.str.ptr, o->via.str.size);
	value_text_brief(pat, c->pattern, strlen(c->pattern));
	return value_error_set(err, GROVE_EINVAL, c->prop->name,
		"@check violation on %s.%s: value '%s' does not match pattern '%s'", v->type->name, c->prop->name, text,
		pat);
}

int value_validate(const struct value_validator *v, const struct value_row *row, struct value_error *err)
{
	const struct lang_cat_type *t = v->type;
	int rc = 0;
	for (uint32_t i = 0; i < t->n_props && rc == 0; i++)
		if (t->props[i].type.n_enum > 0)
			rc = each_value(v, &t->props[i], value_row_get(row, t->props[i].id), check_enum, err);
	for (uint32_t i = 0; i < t->n_range && rc == 0; i++) {
		const struct lang_cat_property *p = lang_cat_type_prop(t, t->ranges[i].property);
		assert(p != NULL);
		rc = each_value(v, &t->ranges[i], value_row_get(row, p->id), check_range, err);
	}
	for (uint32_t i = 0; i < v->n_checks && rc == 0; i++)
		rc = each_value(v, &v->checks[i], value_row_get(row, v->checks[i].prop->id), check_pattern, err);
	return rc;
}
