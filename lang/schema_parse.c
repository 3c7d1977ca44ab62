/*
 * lang/schema_parse.c — the .pg grammar (spec §2.1) and declaration
 * building (stage 2 of spec §2.5).
 *
 * OmniGraph parses the whole text with its grammar first and only then
 * builds declarations, so a syntax error anywhere wins over a semantic error
 * earlier in the file.  We parse and build in one pass instead and get the
 * same answer by *deferring* semantic errors: the first one is kept in
 * `deferred` and parsing goes on; at the end a syntax error (if any) is
 * reported, else the deferred error.  Since building happens in source
 * order, the first deferred error is the one OmniGraph would report.
 */
#include "lang/schema_ast.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lexer.h"

struct pg_parser {
	struct lang_lexer lx;
	struct lang_diag *diag;      /* syntax errors and the final result   */
	struct lang_diag deferred;   /* first stage-2 error                  */
	struct lang_token last;      /* the token read last: where a deferred
	                              * error or a limit is reported          */
	struct pg_schema *s;
	uint32_t cap_decls;
};

/* One argument of a body constraint, before its shape is judged. */
enum carg_kind { CARG_IDENT, CARG_STRING, CARG_NUMBER, CARG_BOOL, CARG_BOUND };

struct carg {
	enum carg_kind kind;
	struct lang_token tok;       /* IDENT / STRING / NUMBER / BOOL        */
	struct pg_bound min, max;    /* BOUND                                 */
};

/* ---- error helpers ------------------------------------------------------ */

static int syntax(struct pg_parser *p, const struct lang_token *t, const char *expected)
{
	/* A lexical error already carries the better message. */
	if (t->kind == LANG_TOK_ERROR && lang_diag_failed(p->diag))
		return -1;
	return lang_lex_error_at(&p->lx, t, "%s", expected);
}

/* Record the first stage-2 error, placed at token t. */
static void vdefer_at(struct pg_parser *p, const struct lang_token *t, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void vdefer_at(struct pg_parser *p, const struct lang_token *t, const char *fmt, va_list ap)
{
	if (lang_diag_failed(&p->deferred))
		return;  /* the first semantic error wins */
	lang_diag_vset(&p->deferred, LANG_PREFIX_PARSE, fmt, ap);
	lang_diag_at(&p->deferred, t->line, t->col);
}

static void defer_at(struct pg_parser *p, const struct lang_token *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void defer_at(struct pg_parser *p, const struct lang_token *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdefer_at(p, t, fmt, ap);
	va_end(ap);
}

/* The same at the token read last. */
static void defer(struct pg_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void defer(struct pg_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdefer_at(p, &p->last, fmt, ap);
	va_end(ap);
}

static int oom(struct pg_parser *p)
{
	return lang_diag_set(p->diag, LANG_PREFIX_PARSE, "out of memory while parsing the schema");
}

static int limit(struct pg_parser *p, const char *what, unsigned max)
{
	lang_diag_set(p->diag, LANG_PREFIX_PARSE, "schema has too many %s (limit %u)", what, max);
	return lang_diag_at(p->diag, p->last.line, p->last.col);
}

/* ---- token helpers ------------------------------------------------------ */

static struct lang_token next(struct pg_parser *p)
{
	p->last = lang_lex_next(&p->lx);
	return p->last;
}
static struct lang_token peek(struct pg_parser *p) { return lang_lex_peek(&p->lx); }

static int expect(struct pg_parser *p, enum lang_tok kind, struct lang_token *out)
{
	struct lang_token t = next(p);
	if (t.kind != kind) {
		char buf[64];
		snprintf(buf, sizeof(buf), "expected %s", lang_tok_kind_name(kind));
		return syntax(p, &t, buf);
	}
	if (out != NULL)
		*out = t;
	return 0;
}

/* Copy a name token into the arena, refusing absurdly long names. */
static const char *name_of(struct pg_parser *p, const struct lang_token *t)
{
	if (lang_tok_len(t) > PG_MAX_NAME_BYTES) {
		lang_lex_error_at(&p->lx, t, "expected a name of at most %u bytes", PG_MAX_NAME_BYTES);
		return NULL;
	}
	const char *n = lang_arena_strndup(&p->s->arena, lang_tok_text(&p->lx, t), lang_tok_len(t));
	if (n == NULL)
		oom(p);
	return n;
}

/* The decoded text of a STRING token; a bad escape is a deferred semantic
 * error (spec §2.5 stage 2) and yields "" so parsing can go on. */
static const char *string_of(struct pg_parser *p, const struct lang_token *t)
{
	char *raw = NULL;
	size_t n = 0;
	struct lang_diag esc = LANG_DIAG_INIT;
	if (lang_lex_string_value(&p->lx, t, &raw, &n, &esc) < 0) {
		if (!lang_diag_failed(&p->deferred)) {
			p->deferred = esc;   /* take ownership of the message */
			lang_diag_at(&p->deferred, t->line, t->col);
		} else {
			lang_diag_clear(&esc);
		}
		return "";
	}
	const char *s = lang_arena_strndup(&p->s->arena, raw, n);
	free(raw);
	if (s == NULL)
		oom(p);
	return s;
}

/* Literal or identifier as annotation text: strings decoded, the rest raw. */
static const char *literal_text(struct pg_parser *p, const struct lang_token *t)
{
	if (t->kind == LANG_TOK_STRING)
		return string_of(p, t);
	const char *s = lang_arena_strndup(&p->s->arena, lang_tok_text(&p->lx, t), lang_tok_len(t));
	if (s == NULL)
		oom(p);
	return s;
}

static int is_literal_token(const struct pg_parser *p, const struct lang_token *t)
{
	return t->kind == LANG_TOK_STRING || t->kind == LANG_TOK_INT || t->kind == LANG_TOK_FLOAT
	       || lang_tok_is(&p->lx, t, "true") || lang_tok_is(&p->lx, t, "false");
}

static int is_constraint_name(const struct pg_parser *p, const struct lang_token *t)
{
	static const char *const names[] = { "key", "unique", "index", "range", "check" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (t->kind == LANG_TOK_IDENT && lang_tok_is(&p->lx, t, names[i]))
			return 1;
	return 0;
}

/* Is the next thing `@ <cname> (` — a body constraint rather than an
 * annotation?  (Grammar: an annotation's name must not be a constraint
 * keyword followed by "(".) */
static int at_body_constraint(struct pg_parser *p)
{
	struct lang_lex_mark m = lang_lex_save(&p->lx);
	int yes = 0;
	if (next(p).kind == LANG_TOK_AT) {
		struct lang_token name = next(p);
		yes = is_constraint_name(p, &name) && next(p).kind == LANG_TOK_LPAREN;
	}
	lang_lex_restore(&p->lx, m);
	return yes;
}

/* ---- annotations -------------------------------------------------------- */

static int parse_kwarg(struct pg_parser *p, struct pg_annotation *a, uint32_t *cap)
{
	struct lang_token key, val;
	if (expect(p, LANG_TOK_IDENT, &key) < 0 || expect(p, LANG_TOK_EQ, NULL) < 0)
		return -1;
	val = next(p);
	if (!is_literal_token(p, &val))
		return syntax(p, &val, "expected a literal (string, number, true or false)");
	const char *name = name_of(p, &key);
	const char *value = literal_text(p, &val);
	if (name == NULL || value == NULL)
		return -1;
	/* Kwargs form a map sorted by name; a repeated key keeps the last value. */
	uint32_t at = 0;
	while (at < a->n_kwargs && strcmp(a->kwargs[at].name, name) < 0)
		at++;
	if (at < a->n_kwargs && strcmp(a->kwargs[at].name, name) == 0) {
		a->kwargs[at].value = value;
		return 0;
	}
	if (lang_arena_reserve(&p->s->arena, (void **)&a->kwargs, cap, a->n_kwargs,
	                       sizeof(*a->kwargs), PG_MAX_KWARGS) < 0)
		return a->n_kwargs >= PG_MAX_KWARGS ? limit(p, "annotation arguments", PG_MAX_KWARGS) : oom(p);
	memmove(&a->kwargs[at + 1], &a->kwargs[at], (a->n_kwargs - at) * sizeof(*a->kwargs));
	a->kwargs[at].name = name;
	a->kwargs[at].value = value;
	a->n_kwargs++;
	return 0;
}

/* annotation = "@" ident ( "(" aarg ( "," kwarg )* ")" )? */
static int parse_annotation(struct pg_parser *p, struct pg_annotation *a)
{
	struct lang_token at, name;
	if (expect(p, LANG_TOK_AT, &at) < 0)
		return -1;
	name = next(p);
	if (name.kind != LANG_TOK_IDENT)
		return syntax(p, &name, "expected annotation name");
	memset(a, 0, sizeof(*a));
	a->line = at.line;
	a->col = at.col;
	if ((a->name = name_of(p, &name)) == NULL)
		return -1;
	if (peek(p).kind != LANG_TOK_LPAREN)
		return 0;
	next(p);
	struct lang_token arg = next(p);
	if (!is_literal_token(p, &arg) && arg.kind != LANG_TOK_IDENT)
		return syntax(p, &arg, "expected annotation argument (literal or identifier)");
	if ((a->value = literal_text(p, &arg)) == NULL)
		return -1;
	uint32_t cap = 0;
	while (peek(p).kind == LANG_TOK_COMMA) {
		next(p);
		if (parse_kwarg(p, a, &cap) < 0)
			return -1;
	}
	return expect(p, LANG_TOK_RPAREN, NULL);
}

/* annotation* — stops before a body constraint `@key(`...  (when
 * stop_at_constraint) or anything that is not '@'. */
static int parse_annotations(struct pg_parser *p, struct pg_annotation **out, uint32_t *n_out,
                             int stop_at_constraint)
{
	uint32_t cap = 0;
	*out = NULL;
	*n_out = 0;
	while (peek(p).kind == LANG_TOK_AT) {
		if (stop_at_constraint && at_body_constraint(p))
			break;
		if (lang_arena_reserve(&p->s->arena, (void **)out, &cap, *n_out, sizeof(**out),
		                       PG_MAX_ANNOTATIONS) < 0)
			return *n_out >= PG_MAX_ANNOTATIONS ? limit(p, "annotations on one target", PG_MAX_ANNOTATIONS) : oom(p);
		if (parse_annotation(p, &(*out)[*n_out]) < 0)
			return -1;
		(*n_out)++;
	}
	return 0;
}

/* ---- types -------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "enum" "(" enumval ( "," enumval )* ")" — sorted and checked for
 * duplicates (spec §2.3). */
static int parse_enum(struct pg_parser *p, struct lang_type *t)
{
	const char **vals = NULL;
	uint32_t n = 0, cap = 0;
	if (expect(p, LANG_TOK_LPAREN, NULL) < 0)
		return -1;
	for (;;) {
		struct lang_token v = p->last = lang_lex_next_enum_value(&p->lx);
		if (v.kind != LANG_TOK_ENUMVAL)
			return syntax(p, &v, "expected enum value");
		if (lang_arena_reserve(&p->s->arena, (void **)&vals, &cap, n, sizeof(*vals),
		                       PG_MAX_ENUM_VALUES) < 0)
			return n >= PG_MAX_ENUM_VALUES ? limit(p, "enum values", PG_MAX_ENUM_VALUES) : oom(p);
		if ((vals[n++] = name_of(p, &v)) == NULL)
			return -1;
		struct lang_token sep = next(p);
		if (sep.kind == LANG_TOK_RPAREN)
			break;
		if (sep.kind != LANG_TOK_COMMA)
			return syntax(p, &sep, "expected `,` or `)`");
	}
	qsort(vals, n, sizeof(*vals), cmp_str);
	for (uint32_t i = 1; i < n; i++) {
		if (strcmp(vals[i - 1], vals[i]) == 0) {
			defer(p, "enum type cannot include duplicate values");
			break;
		}
	}
	t->scalar = LANG_SCALAR_STRING;
	t->n_enum = n;
	t->enum_values = vals;
	return 0;
}

static int parse_vector(struct pg_parser *p, struct lang_type *t)
{
	struct lang_token dim;
	if (expect(p, LANG_TOK_LPAREN, NULL) < 0 || expect(p, LANG_TOK_INT, &dim) < 0
	    || expect(p, LANG_TOK_RPAREN, NULL) < 0)
		return -1;
	uint64_t n = 0;
	int overflow = lang_tok_u64(&p->lx, &dim, &n) < 0;
	t->scalar = LANG_SCALAR_VECTOR;
	if (!overflow && n == 0) {
		defer_at(p, &dim, "Vector dimension must be greater than zero");
	} else if (overflow || n > LANG_VECTOR_DIM_MAX) {
		defer_at(p, &dim, "Vector dimension %.*s exceeds maximum supported %u", (int)lang_tok_len(&dim),
		      lang_tok_text(&p->lx, &dim), LANG_VECTOR_DIM_MAX);
	} else {
		t->vector_dim = (uint32_t)n;
	}
	return 0;
}

static int parse_base(struct pg_parser *p, const struct lang_token *t, enum lang_scalar *out)
{
	*out = t->kind == LANG_TOK_TYPENAME ? lang_scalar_from_name(lang_tok_text(&p->lx, t), lang_tok_len(t))
	                                    : LANG_SCALAR_NONE;
	if (*out == LANG_SCALAR_NONE)
		return syntax(p, t, "expected a base type (String, Blob, Bool, I32, I64, U32, U64, F32, F64, DateTime, Date)");
	return 0;
}

/* typeref = coretype "?"? */
static int parse_typeref(struct pg_parser *p, struct lang_type *t)
{
	memset(t, 0, sizeof(*t));
	struct lang_token tok = next(p);
	if (tok.kind == LANG_TOK_LBRACKET) {
		struct lang_token base = next(p);
		enum lang_scalar s;
		if (parse_base(p, &base, &s) < 0 || expect(p, LANG_TOK_RBRACKET, NULL) < 0)
			return -1;
		t->scalar = (uint8_t)s;
		t->list = 1;
		if (s == LANG_SCALAR_BLOB)
			defer(p, "list of Blob is not supported");
	} else if (lang_tok_is(&p->lx, &tok, "enum") && peek(p).kind == LANG_TOK_LPAREN) {
		if (parse_enum(p, t) < 0)
			return -1;
	} else if (lang_tok_is(&p->lx, &tok, "Vector") && peek(p).kind == LANG_TOK_LPAREN) {
		if (parse_vector(p, t) < 0)
			return -1;
	} else {
		enum lang_scalar s;
		if (parse_base(p, &tok, &s) < 0)
			return -1;
		t->scalar = (uint8_t)s;
	}
	if (peek(p).kind == LANG_TOK_QUESTION) {
		next(p);
		t->nullable = 1;
	}
	return 0;
}

/* ---- properties --------------------------------------------------------- */

static int is_reserved_property(const char *name)
{
	static const char *const reserved[] = {
		"_rowid", "_rowaddr", "_rowoffset", "_row_created_at_version",
		"_row_last_updated_at_version",
	};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* property = ident ":" typeref annotation* */
static int parse_property(struct pg_parser *p, struct pg_decl *d)
{
	struct lang_token name = next(p);
	assert(name.kind == LANG_TOK_IDENT);
	struct pg_property *prop = pg_decl_add_property(p->s, d);
	if (prop == NULL)
		return d->n_properties >= PG_MAX_PROPERTIES ? limit(p, "properties in one type", PG_MAX_PROPERTIES) : oom(p);
	prop->line = name.line;
	prop->col = name.col;
	if ((prop->name = name_of(p, &name)) == NULL)
		return -1;
	if (is_reserved_property(prop->name))
		defer(p, "property name '%s' is reserved for a virtual storage system column; "
		      "a graph created with a pre-RC Lance binary must be exported with that binary, "
		      "renamed, and rebuilt", prop->name);
	if (expect(p, LANG_TOK_COLON, NULL) < 0 || parse_typeref(p, &prop->type) < 0)
		return -1;
	return parse_annotations(p, &prop->annotations, &prop->n_annotations, 1);
}

/* ---- body constraints --------------------------------------------------- */

/* SNUM: an optional '-' glued to an INT or FLOAT. */
static int parse_snum(struct pg_parser *p, struct pg_bound *b)
{
	struct lang_token t = next(p);
	if (t.kind == LANG_TOK_MINUS) {
		struct lang_token num = next(p);
		if ((num.kind != LANG_TOK_INT && num.kind != LANG_TOK_FLOAT) || num.start != t.end)
			return syntax(p, &num, "expected a number right after `-`");
		t.end = num.end;  /* the text now includes the sign */
		t.kind = num.kind;
	} else if (t.kind != LANG_TOK_INT && t.kind != LANG_TOK_FLOAT) {
		return syntax(p, &t, "expected a number");
	}
	char buf[128];
	size_t n = lang_tok_len(&t);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;  /* digits past 127 only matter as a float  */
	memcpy(buf, lang_tok_text(&p->lx, &t), n);
	buf[n] = '\0';
	b->present = 1;
	/* Integer first, as OmniGraph does; an integer too big for i64 falls
	 * back to a float. */
	char *end = NULL;
	errno = 0;
	long long v = t.kind == LANG_TOK_INT ? strtoll(buf, &end, 10) : 0;
	if (t.kind == LANG_TOK_INT && errno == 0 && end != NULL && *end == '\0') {
		b->i = v;
		b->is_float = 0;
	} else {
		b->f = strtod(buf, NULL);
		b->is_float = 1;
	}
	return 0;
}

static int is_snum_start(enum lang_tok k)
{
	return k == LANG_TOK_MINUS || k == LANG_TOK_INT || k == LANG_TOK_FLOAT;
}

/* carg = bound | literal | ident */
static int parse_carg(struct pg_parser *p, struct carg *a)
{
	memset(a, 0, sizeof(*a));
	struct lang_token t = peek(p);
	if (t.kind == LANG_TOK_DOTDOT) {
		next(p);
		a->kind = CARG_BOUND;
		return parse_snum(p, &a->max);
	}
	if (is_snum_start(t.kind)) {
		struct lang_lex_mark m = lang_lex_save(&p->lx);
		struct pg_bound first;
		if (parse_snum(p, &first) < 0)
			return -1;
		if (peek(p).kind == LANG_TOK_DOTDOT) {
			next(p);
			a->kind = CARG_BOUND;
			a->min = first;
			if (is_snum_start(peek(p).kind))
				return parse_snum(p, &a->max);
			return 0;
		}
		if (t.kind == LANG_TOK_MINUS) {  /* a signed number only exists in a bound */
			struct lang_token nx = peek(p);
			return syntax(p, &nx, "expected `..`");
		}
		lang_lex_restore(&p->lx, m);
	}
	t = next(p);
	a->tok = t;
	if (t.kind == LANG_TOK_STRING)
		a->kind = CARG_STRING;
	else if (t.kind == LANG_TOK_INT || t.kind == LANG_TOK_FLOAT)
		a->kind = CARG_NUMBER;
	else if (lang_tok_is(&p->lx, &t, "true") || lang_tok_is(&p->lx, &t, "false"))
		a->kind = CARG_BOOL;
	else if (t.kind == LANG_TOK_IDENT)
		a->kind = CARG_IDENT;
	else
		return syntax(p, &t, "expected property name, literal or range bound");
	return 0;
}

/* The argument as a property name; a deferred error (and NULL) otherwise. */
static const char *carg_name(struct pg_parser *p, const struct carg *a)
{
	if (a->kind != CARG_IDENT) {
		defer(p, "expected property name in constraint");
		return NULL;
	}
	return name_of(p, &a->tok);
}

/* Judge the argument shapes of a body constraint (stage 2). */
static int build_constraint(struct pg_parser *p, struct pg_constraint *c,
                            const struct carg *args, uint32_t n)
{
	if (c->kind == PG_CONSTRAINT_RANGE || c->kind == PG_CONSTRAINT_CHECK) {
		int range = c->kind == PG_CONSTRAINT_RANGE;
		if (n < 2) {
			defer(p, range ? "@range requires property name and bounds: @range(prop, min..max)"
			               : "@check requires property name and pattern: @check(prop, \"regex\")");
			return 0;
		}
		c->columns = lang_arena_alloc(&p->s->arena, sizeof(char *));
		if (c->columns == NULL)
			return oom(p);
		if ((c->columns[0] = carg_name(p, &args[0])) == NULL)
			return lang_diag_failed(p->diag) ? -1 : 0;
		c->n_columns = 1;
		if (range && args[1].kind != CARG_BOUND) {
			defer(p, "expected range bounds (min..max) in @range constraint");
		} else if (range) {
			c->min = args[1].min;
			c->max = args[1].max;
		} else if (args[1].kind != CARG_STRING) {
			defer(p, "expected string argument in constraint");
		} else if ((c->pattern = string_of(p, &args[1].tok)) == NULL) {
			return -1;
		}
		return 0;
	}
	c->columns = lang_arena_alloc(&p->s->arena, sizeof(char *) * n);
	if (c->columns == NULL)
		return oom(p);
	for (uint32_t i = 0; i < n; i++) {
		if ((c->columns[i] = carg_name(p, &args[i])) == NULL)
			return lang_diag_failed(p->diag) ? -1 : 0;
	}
	c->n_columns = n;
	return 0;
}

/* constraint = "@" cname "(" carg ( "," carg )* ")" */
static int parse_constraint(struct pg_parser *p, struct pg_decl *d)
{
	static const struct { const char *name; enum pg_constraint_kind kind; } kinds[] = {
		{ "key", PG_CONSTRAINT_KEY },     { "unique", PG_CONSTRAINT_UNIQUE },
		{ "index", PG_CONSTRAINT_INDEX }, { "range", PG_CONSTRAINT_RANGE },
		{ "check", PG_CONSTRAINT_CHECK },
	};
	struct lang_token at = next(p), name = next(p);
	assert(at.kind == LANG_TOK_AT && is_constraint_name(p, &name));
	struct pg_constraint *c = pg_decl_add_constraint(p->s, d);
	if (c == NULL)
		return d->n_constraints >= PG_MAX_CONSTRAINTS ? limit(p, "constraints in one type", PG_MAX_CONSTRAINTS) : oom(p);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (lang_tok_is(&p->lx, &name, kinds[i].name))
			c->kind = kinds[i].kind;
	c->line = at.line;
	c->col = at.col;
	if (expect(p, LANG_TOK_LPAREN, NULL) < 0)
		return -1;
	struct carg *args = NULL;
	uint32_t n = 0, cap = 0;
	for (;;) {
		if (lang_arena_reserve(&p->s->arena, (void **)&args, &cap, n, sizeof(*args),
		                       PG_MAX_CONSTRAINT_ARGS) < 0)
			return n >= PG_MAX_CONSTRAINT_ARGS ? limit(p, "constraint arguments", PG_MAX_CONSTRAINT_ARGS) : oom(p);
		if (parse_carg(p, &args[n]) < 0)
			return -1;
		n++;
		struct lang_token sep = next(p);
		if (sep.kind == LANG_TOK_RPAREN)
			break;
		if (sep.kind != LANG_TOK_COMMA)
			return syntax(p, &sep, "expected `,` or `)`");
	}
	return build_constraint(p, c, args, n);
}

/* "{" ( property | constraint )* "}" — interfaces allow properties only. */
static int parse_body(struct pg_parser *p, struct pg_decl *d)
{
	if (expect(p, LANG_TOK_LBRACE, NULL) < 0)
		return -1;
	int constraints_ok = d->kind != PG_DECL_INTERFACE;
	for (;;) {
		struct lang_token t = peek(p);
		if (t.kind == LANG_TOK_RBRACE) {
			next(p);
			return 0;
		}
		if (t.kind == LANG_TOK_IDENT) {
			if (parse_property(p, d) < 0)
				return -1;
		} else if (constraints_ok && t.kind == LANG_TOK_AT && at_body_constraint(p)) {
			if (parse_constraint(p, d) < 0)
				return -1;
		} else {
			next(p);
			return syntax(p, &t, constraints_ok
			              ? "expected property, body constraint (@key, @unique, @index, @range, @check) or `}`"
			              : "expected property or `}`");
		}
	}
}

/* ---- declarations ------------------------------------------------------- */

static struct pg_decl *new_decl(struct pg_parser *p, enum pg_decl_kind kind, const struct lang_token *kw)
{
	if (lang_arena_reserve(&p->s->arena, (void **)&p->s->decls, &p->cap_decls, p->s->n_decls,
	                       sizeof(*p->s->decls), PG_MAX_DECLS) < 0) {
		if (p->s->n_decls >= PG_MAX_DECLS)
			limit(p, "declarations", PG_MAX_DECLS);
		else
			oom(p);
		return NULL;
	}
	struct pg_decl *d = &p->s->decls[p->s->n_decls++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->line = kw->line;
	d->col = kw->col;
	return d;
}

static int parse_type_name(struct pg_parser *p, const char **out)
{
	struct lang_token t = next(p);
	if (t.kind != LANG_TOK_TYPENAME)
		return syntax(p, &t, "expected type name ([A-Z][A-Za-z0-9_]*)");
	return (*out = name_of(p, &t)) == NULL ? -1 : 0;
}

/* implements = "implements" TypeName ( "," TypeName )* */
static int parse_implements(struct pg_parser *p, struct pg_decl *d)
{
	uint32_t cap = 0;
	next(p);
	do {
		if (lang_arena_reserve(&p->s->arena, (void **)&d->implements, &cap, d->n_implements,
		                       sizeof(char *), PG_MAX_IMPLEMENTS) < 0)
			return d->n_implements >= PG_MAX_IMPLEMENTS ? limit(p, "implemented interfaces", PG_MAX_IMPLEMENTS) : oom(p);
		if (parse_type_name(p, &d->implements[d->n_implements]) < 0)
			return -1;
		d->n_implements++;
	} while (peek(p).kind == LANG_TOK_COMMA && (next(p), 1));
	return 0;
}

static int parse_node(struct pg_parser *p, const struct lang_token *kw)
{
	struct pg_decl *d = new_decl(p, PG_DECL_NODE, kw);
	if (d == NULL || parse_type_name(p, &d->name) < 0)
		return -1;
	/* Constraint keywords followed by "(" are not annotations, so a
	 * `node X @key(a) {` falls through to the "expected `{`" error. */
	if (parse_annotations(p, &d->annotations, &d->n_annotations, 1) < 0)
		return -1;
	struct lang_token t = peek(p);
	if (lang_tok_is(&p->lx, &t, "implements") && parse_implements(p, d) < 0)
		return -1;
	return parse_body(p, d);
}

/* card = "@card" "(" INT ".." INT? ")" — only right after the endpoints. */
static int parse_card(struct pg_parser *p, struct pg_decl *d)
{
	struct lang_token lo, hi;
	next(p);  /* @ */
	next(p);  /* card */
	if (expect(p, LANG_TOK_LPAREN, NULL) < 0 || expect(p, LANG_TOK_INT, &lo) < 0
	    || expect(p, LANG_TOK_DOTDOT, NULL) < 0)
		return -1;
	d->has_cardinality = 1;
	int has_hi = peek(p).kind == LANG_TOK_INT;
	if (has_hi)
		hi = next(p);
	if (expect(p, LANG_TOK_RPAREN, NULL) < 0)
		return -1;
	uint64_t v;
	if (lang_tok_u64(&p->lx, &lo, &v) < 0 || v > UINT32_MAX) {
		defer_at(p, &lo, "invalid cardinality min: %.*s", (int)lang_tok_len(&lo), lang_tok_text(&p->lx, &lo));
		return 0;
	}
	d->card_min = (uint32_t)v;
	if (!has_hi)
		return 0;
	if (lang_tok_u64(&p->lx, &hi, &v) < 0 || v > UINT32_MAX) {
		defer_at(p, &hi, "invalid cardinality max: %.*s", (int)lang_tok_len(&hi), lang_tok_text(&p->lx, &hi));
		return 0;
	}
	d->has_card_max = 1;
	d->card_max = (uint32_t)v;
	if (d->card_min > d->card_max)
		defer_at(p, &lo, "cardinality min (%u) exceeds max (%u)", (unsigned)d->card_min, (unsigned)d->card_max);
	return 0;
}

static int at_card(struct pg_parser *p)
{
	struct lang_lex_mark m = lang_lex_save(&p->lx);
	int yes = 0;
	struct lang_token at = next(p);
	if (at.kind == LANG_TOK_AT) {
		struct lang_token name = next(p);
		/* "@card" is one token in the grammar: no space after '@'. */
		yes = name.start == at.end && lang_tok_is(&p->lx, &name, "card")
		      && next(p).kind == LANG_TOK_LPAREN;
	}
	lang_lex_restore(&p->lx, m);
	return yes;
}

static int parse_edge(struct pg_parser *p, const struct lang_token *kw)
{
	struct pg_decl *d = new_decl(p, PG_DECL_EDGE, kw);
	if (d == NULL || parse_type_name(p, &d->name) < 0 || expect(p, LANG_TOK_COLON, NULL) < 0
	    || parse_type_name(p, &d->from_type) < 0 || expect(p, LANG_TOK_ARROW, NULL) < 0
	    || parse_type_name(p, &d->to_type) < 0)
		return -1;
	if (at_card(p) && parse_card(p, d) < 0)
		return -1;
	if (parse_annotations(p, &d->annotations, &d->n_annotations, 1) < 0)
		return -1;
	if (peek(p).kind == LANG_TOK_LBRACE)
		return parse_body(p, d);
	return 0;
}

static int parse_interface(struct pg_parser *p, const struct lang_token *kw)
{
	struct pg_decl *d = new_decl(p, PG_DECL_INTERFACE, kw);
	if (d == NULL || parse_type_name(p, &d->name) < 0)
		return -1;
	return parse_body(p, d);
}

static int parse_decls(struct pg_parser *p)
{
	for (;;) {
		struct lang_token t = next(p);
		if (t.kind == LANG_TOK_EOF)
			return 0;
		int rc;
		if (lang_tok_is(&p->lx, &t, "node"))
			rc = parse_node(p, &t);
		else if (lang_tok_is(&p->lx, &t, "edge"))
			rc = parse_edge(p, &t);
		else if (lang_tok_is(&p->lx, &t, "interface"))
			rc = parse_interface(p, &t);
		else
			rc = syntax(p, &t, "expected `node`, `edge` or `interface` declaration");
		if (rc < 0)
			return -1;
	}
}

/* Property-level @key/@unique/@index become single-column body constraints,
 * appended after the body's own constraints (spec §2.4). */
static int desugar_properties(struct pg_parser *p)
{
	for (uint32_t i = 0; i < p->s->n_decls; i++) {
		struct pg_decl *d = &p->s->decls[i];
		if (d->kind == PG_DECL_INTERFACE)
			continue;
		for (uint32_t j = 0; j < d->n_properties; j++)
			if (pg_desugar_property(p->s, d, &d->properties[j]) < 0)
				return d->n_constraints >= PG_MAX_CONSTRAINTS ? limit(p, "constraints in one type", PG_MAX_CONSTRAINTS) : oom(p);
	}
	return 0;
}

int lang_schema_parse(struct pg_schema **out, const char *src, size_t len, struct lang_diag *diag)
{
	assert(out != NULL && diag != NULL);
	*out = NULL;
	lang_diag_clear(diag);
	struct pg_parser p = { .diag = diag, .deferred = LANG_DIAG_INIT };
	p.s = calloc(1, sizeof(*p.s));
	if (p.s == NULL)
		return lang_diag_set(diag, LANG_PREFIX_PARSE, "out of memory while parsing the schema");
	int rc = lang_lex_init(&p.lx, src, len, diag);
	if (rc == 0)
		rc = parse_decls(&p);
	if (rc == 0 && lang_diag_failed(&p.deferred)) {
		*diag = p.deferred;   /* hand the message over */
		p.deferred = (struct lang_diag)LANG_DIAG_INIT;
		rc = -1;
	}
	lang_diag_clear(&p.deferred);
	if (rc == 0)
		rc = desugar_properties(&p);
	if (rc == 0)
		rc = pg_resolve_interfaces(p.s, diag);
	if (rc == 0)
		rc = pg_validate_annotations(p.s, diag);
	if (rc == 0)
		rc = pg_validate_constraints(p.s, diag);
	if (rc < 0) {
		assert(lang_diag_failed(diag));
		lang_schema_free(p.s);
		return -1;
	}
	*out = p.s;
	return 0;
}
