/*
 * engine/value_check.c — per-row constraint checks: enum membership,
 * @range and @check (spec §2.4, §8.4).
 *
 * @check patterns are written for OmniGraph's Rust regex engine, an
 * RE2-like dialect: Unicode-aware classes, `(?i)` and other flags,
 * `(?:...)`, `\p{..}`, `\x41`, `.` as one character, no backreferences and
 * no look-around.  They run here on PCRE2 in UTF mode with Unicode
 * properties (PCRE2_UTF | PCRE2_UCP) and `$` only at the very end, which
 * reads that dialect the same way; what RE2 refuses and PCRE2 would accept
 * (backreferences, look-around, atomic groups, recursion, verbs) is
 * refused.  A pattern is compiled once per type and handle; one that does
 * not compile fails only the writes that give it a value to check
 * ("compiled only when a value is validated").
 */
#include "engine/value.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "engine/numfmt.h"
#include "engine/value_int.h"
#include "grove.h"

struct value_check_re {
	const struct lang_cat_property *prop;
	const char *pattern;          /* as written in the schema */
	pcre2_code *re;               /* NULL: did not compile (why)      */
	char why[256];
};

/* ---- patterns ------------------------------------------------------- */

/* What RE2 (and Rust's regex) refuse but PCRE2 reads: a construct after
 * an unescaped '(' outside brackets.  NULL when the pattern has none. */
static const char *beyond_re2(const char *re)
{
	static const struct { const char *open, *why; } refused[] = {
		{ "(?=", "look-around, including look-ahead and look-behind, is not supported" },
		{ "(?!", "look-around, including look-ahead and look-behind, is not supported" },
		{ "(?<=", "look-around, including look-ahead and look-behind, is not supported" },
		{ "(?<!", "look-around, including look-ahead and look-behind, is not supported" },
		{ "(?>", "atomic groups are not supported" },
		{ "(?R", "recursion is not supported" },
		{ "(?&", "recursion is not supported" },
		{ "(?P>", "recursion is not supported" },
		{ "(?1", "recursion is not supported" }, { "(?2", "recursion is not supported" },
		{ "(?3", "recursion is not supported" }, { "(?4", "recursion is not supported" },
		{ "(?5", "recursion is not supported" }, { "(?6", "recursion is not supported" },
		{ "(?7", "recursion is not supported" }, { "(?8", "recursion is not supported" },
		{ "(?9", "recursion is not supported" },
		{ "(?|", "branch reset groups are not supported" },
		{ "(?C", "callouts are not supported" },
		{ "(?(", "conditionals are not supported" },
		{ "(*", "backtracking verbs are not supported" },
	};
	int in_class = 0;
	for (size_t i = 0; re[i] != '\0'; i++) {
		if (re[i] == '\\') {
			if (re[i + 1] == '\0')
				break;
			if (!in_class && (re[i + 1] == 'K' || re[i + 1] == 'g'))
				return re[i + 1] == 'K' ? "\\K is not supported" : "backreferences are not supported";
			i++;
			if (re[i + 1] == '{') {  /* \p{Lu}, \x{e9}: its braces are no quantifier */
				const char *end = strchr(re + i + 1, '}');
				i = end ? (size_t)(end - re) : strlen(re) - 1;
			}
		} else if (in_class) {
			in_class = re[i] != ']';
		} else if (re[i] == '[') {
			in_class = 1;
			if (re[i + 1] == '^')
				i++;
			if (re[i + 1] == ']')
				i++;  /* a leading ']' is a member */
		} else if (re[i] == '(') {
			for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++)
				if (!strncmp(re + i, refused[k].open, strlen(refused[k].open)))
					return refused[k].why;
		} else if ((re[i] == '*' || re[i] == '+' || re[i] == '?' || re[i] == '}') && re[i + 1] == '+') {
			return "possessive repetition is not supported";
		}
	}
	return NULL;
}

/* ---- the validator ------------------------------------------------------ */

/* Compile chk's pattern; a failure is kept (c->why) for the first value
 * it would check. */
static void compile_check(struct value_check_re *c, const struct lang_cat_type *t,
	const struct lang_cat_check *chk)
{
	int code;
	PCRE2_SIZE at;
	c->prop = lang_cat_type_prop(t, chk->property);
	c->pattern = chk->pattern;
	assert(c->prop != NULL);   /* the catalog build checked it */
	const char *refused = beyond_re2(chk->pattern);
	uint32_t backrefs = 0;
	if (refused) {
		snprintf(c->why, sizeof c->why, "%s", refused);
		return;
	}
	c->re = pcre2_compile((PCRE2_SPTR)chk->pattern, PCRE2_ZERO_TERMINATED,
			      PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
			      &code, &at, NULL);
	if (c->re == NULL) {
		char msg[200];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
		snprintf(c->why, sizeof c->why, "%s at offset %zu", msg, (size_t)at);
	} else if (pcre2_pattern_info(c->re, PCRE2_INFO_BACKREFMAX, &backrefs) == 0 && backrefs > 0) {
		snprintf(c->why, sizeof c->why, "backreferences are not supported");
		pcre2_code_free(c->re);
		c->re = NULL;
	}
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
		compile_check(&v->checks[i], t, &t->checks[i]);
		v->n_checks++;
	}
	return 0;
}

void value_validator_fini(struct value_validator *v)
{
	for (uint32_t i = 0; i < v->n_checks; i++)
		pcre2_code_free(v->checks[i].re);
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
	int c = m && n ? memcmp(o->via.str.ptr, val, m < n ? m : n) : 0;   /* "" may be NULL */
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
	char text[VALUE_TEXT_BRIEF_MAX + 4], pat[VALUE_TEXT_BRIEF_MAX + 4];
	if (o->type != MSGPACK_OBJECT_STR)
		return 0;   /* only Strings carry @check (typechecked) */
	value_text_brief(pat, c->pattern, strlen(c->pattern));
	if (c->re == NULL)
		return value_error_set(err, GROVE_EINVAL, c->prop->name,
			"@check on %s.%s has invalid regex '%s': %s", v->type->name, c->prop->name, pat, c->why);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (md == NULL)
		return value_error_set(err, -ENOMEM, c->prop->name, "out of memory");
	/* The DFA matcher scans the value once: no backtracking blow-up on a
	 * pattern like ^(a|a)*$, as RE2 promises (and no captures needed). */
	int ws[1024];
	int rc = pcre2_dfa_match(c->re, (PCRE2_SPTR)value_str(o), o->via.str.size, 0, 0, md, NULL, ws,
				 sizeof ws / sizeof ws[0]);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 0;
	if (rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_PARTIAL) {
		char msg[200];
		pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
		return value_error_set(err, GROVE_EINVAL, c->prop->name,
			"@check on %s.%s: cannot match pattern '%s': %s", v->type->name, c->prop->name, pat, msg);
	}
	value_text_brief(text, o->via.str.ptr, o->via.str.size);
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
