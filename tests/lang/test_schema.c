/*
 * tests/lang/test_schema.c — the .pg parser, the catalog and its msgpack
 * codec (spec §1, §2): exact messages, catalog contents, round trips and
 * limits.
 */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "lang/catalog.h"
#include "lang/lexer.h"
#include "lang/schema_ast.h"

/* ---- helpers ------------------------------------------------------------ */

static struct pg_schema *parse_ok(const char *src)
{
	struct pg_schema *s = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	int rc = lang_schema_parse(&s, src, strlen(src), &d);
	cr_assert_eq(rc, 0, "unexpected error: %s", d.message ? d.message : "");
	lang_diag_clear(&d);
	return s;
}

/* The message of a schema that must fail to parse or to build (caller frees). */
static char *failure(const char *src, int *has_span)
{
	struct lang_catalog *c = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	int rc = lang_catalog_from_text(&c, src, strlen(src), &d);
	cr_assert_eq(rc, -1, "schema unexpectedly valid: %s", src);
	cr_assert_null(c);
	char *msg = strdup(d.message);
	if (has_span)
		*has_span = d.has_span;
	lang_diag_clear(&d);
	return msg;
}

static void assert_message(const char *src, const char *expected)
{
	char *msg = failure(src, NULL);
	cr_expect_str_eq(msg, expected, "for schema: %s", src);
	free(msg);
}

static struct lang_catalog *catalog_ok(const char *src)
{
	struct lang_catalog *c = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	int rc = lang_catalog_from_text(&c, src, strlen(src), &d);
	cr_assert_eq(rc, 0, "unexpected error: %s", d.message ? d.message : "");
	lang_diag_clear(&d);
	return c;
}

static const char *RICH =
	"interface Named { name: String @index @description(\"display name\") }\n"
	"node Person @description(\"a human\") @instruction(\"query by name\") implements Named {\n"
	"  zeta: String\n"
	"  alpha: I64\n"
	"  nick: String? @rename_from(\"nickname\")\n"
	"  status: enum(open, closed)\n"
	"  tags: [String]?\n"
	"  bio: String\n"
	"  embedding: Vector(3) @embed(bio, model=\"m-1\")\n"
	"  photo: Blob?\n"
	"  score: F64? @custom(1.5, unit=\"pts\")\n"
	"  @key(zeta, alpha)\n"
	"  @unique(nick)\n"
	"  @range(score, -1.5..10)\n"
	"  @range(alpha, ..100)\n"
	"  @check(bio, \"^[a-z]+$\")\n"
	"}\n"
	"node Company { name: String @key }\n"
	"edge WorksAt: Person -> Company @card(0..1) @description(\"employment\") {\n"
	"  since: Date? @index\n"
	"  @unique(src, dst)\n"
	"}\n"
	"edge Knows: Person -> Person\n";

/* ---- parsing ------------------------------------------------------------ */

Test(schema_parse, parses_declarations_with_nullable_and_required_properties)
{
	struct pg_schema *s = parse_ok("node Person { name: String age: I32? }\n"
	                               "edge Knows: Person -> Person { since: Date? }");
	cr_assert_eq(s->n_decls, 2);
	cr_expect_eq(s->decls[0].kind, PG_DECL_NODE);
	cr_expect_str_eq(s->decls[0].properties[1].name, "age");
	cr_expect(s->decls[0].properties[1].type.nullable);
	cr_expect(!s->decls[0].properties[0].type.nullable);
	cr_expect_eq(s->decls[1].kind, PG_DECL_EDGE);
	cr_expect_str_eq(s->decls[1].from_type, "Person");
	cr_expect(!s->decls[1].has_cardinality);
	lang_schema_free(s);
}

Test(schema_parse, desugars_property_annotations_after_body_constraints)
{
	struct pg_schema *s = parse_ok("node P { a: String @unique  b: String @key  @index(b, a) }");
	const struct pg_decl *d = &s->decls[0];
	cr_assert_eq(d->n_constraints, 3);
	cr_expect_eq(d->constraints[0].kind, PG_CONSTRAINT_INDEX);
	/* The parse tree keeps declaration order; the catalog sorts. */
	cr_expect_str_eq(d->constraints[0].columns[0], "b");
	cr_expect_str_eq(d->constraints[0].columns[1], "a");
	cr_expect_eq(d->constraints[1].kind, PG_CONSTRAINT_UNIQUE);
	cr_expect(d->constraints[1].desugared);
	cr_expect_eq(d->constraints[2].kind, PG_CONSTRAINT_KEY);
	lang_schema_free(s);
}

Test(schema_parse, treats_a_constraint_keyword_with_parentheses_as_a_body_constraint)
{
	/* `email: String @unique("x")` is a property then a body constraint. */
	assert_message("node P { email: String @unique(\"x\") }", "parse error: expected property name in constraint");
}

Test(schema_parse, stores_enum_values_sorted_and_displays_them_so)
{
	struct pg_schema *s = parse_ok("node T { st: enum(open, closed, in-progress)? }");
	const struct lang_type *t = &s->decls[0].properties[0].type;
	char *disp = lang_type_display(t);
	cr_expect_str_eq(disp, "enum(closed, in-progress, open)?");
	free(disp);
	lang_schema_free(s);
}

Test(schema_parse, keeps_annotation_arguments_as_text_with_kwargs_sorted)
{
	struct pg_schema *s = parse_ok("node D { t: String v: Vector(2) @embed(t, model=\"x\") @note(12, b=true, a=\"q\\\"r\") }");
	const struct pg_property *p = &s->decls[0].properties[1];
	cr_expect_str_eq(p->annotations[0].value, "t");
	cr_expect_str_eq(p->annotations[1].value, "12");
	cr_assert_eq(p->annotations[1].n_kwargs, 2);
	cr_expect_str_eq(p->annotations[1].kwargs[0].name, "a");
	cr_expect_str_eq(p->annotations[1].kwargs[0].value, "q\"r");
	cr_expect_str_eq(p->annotations[1].kwargs[1].value, "true");
	lang_schema_free(s);
}

Test(schema_parse, renders_syntax_errors_with_position_line_and_caret)
{
	int span = 0;
	char *msg = failure("node Person {\n  name: Strng\n}\n", &span);
	cr_expect(span);
	cr_expect_str_eq(msg, "parse error:  --> 2:9\n"
	                      "  |\n"
	                      "2 |   name: Strng\n"
	                      "  |         ^---^\n"
	                      "  |\n"
	                      "  = expected a base type (String, Blob, Bool, I32, I64, U32, U64, F32, F64, DateTime, Date)");
	free(msg);
}

Test(schema_parse, widens_an_end_of_input_error_to_one_character)
{
	struct lang_diag d = LANG_DIAG_INIT;
	struct pg_schema *s = NULL;
	cr_assert_eq(lang_schema_parse(&s, "node A {", 8, &d), -1);
	cr_expect(d.has_span);
	cr_expect_eq(d.span_start, 8);
	cr_expect_eq(d.span_end, 9);
	cr_expect_eq(d.col, 9);
	lang_diag_clear(&d);
}

Test(schema_parse, lets_a_later_syntax_error_win_over_an_earlier_semantic_one)
{
	int span = 0;
	char *msg = failure("node A { v: Vector(0) }\nnode B { x: Nope }", &span);
	cr_expect(span);
	cr_expect(strstr(msg, "2:13") != NULL, "%s", msg);
	free(msg);
}

Test(schema_parse, reports_an_unknown_escape_without_a_span)
{
	int span = 1;
	char *msg = failure("node T @description(\"a\\qb\") { s: String }", &span);
	cr_expect_str_eq(msg, "parse error: unsupported escape sequence: \\q");
	cr_expect(!span);
	free(msg);
}

Test(schema_parse, refuses_exactly_the_five_reserved_property_names)
{
	assert_message("node N { _rowoffset: String }",
	               "parse error: property name '_rowoffset' is reserved for a virtual storage system column; "
	               "a graph created with a pre-RC Lance binary must be exported with that binary, renamed, and rebuilt");
	struct pg_schema *s = parse_ok("node N { _row_id: String _ROWID: String _distance: I32 }");
	lang_schema_free(s);
}

Test(schema_parse, produces_every_declaration_building_message_exactly)
{
	assert_message("node D { v: Vector(0) }", "parse error: Vector dimension must be greater than zero");
	assert_message("node D { v: Vector(2147483648) }", "parse error: Vector dimension 2147483648 exceeds maximum supported 2147483647");
	assert_message("node D { v: [Blob] }", "parse error: list of Blob is not supported");
	assert_message("node D { v: enum(a, b, a) }", "parse error: enum type cannot include duplicate values");
	assert_message("node A {} edge E: A -> A @card(3..1)", "parse error: cardinality min (3) exceeds max (1)");
	assert_message("node A { a: I32 @key(1) }", "parse error: expected property name in constraint");
	assert_message("node A { a: I32 @range(a) }", "parse error: @range requires property name and bounds: @range(prop, min..max)");
	assert_message("node A { a: I32 @range(a, 3) }", "parse error: expected range bounds (min..max) in @range constraint");
	assert_message("node A { a: String @check(a) }", "parse error: @check requires property name and pattern: @check(prop, \"regex\")");
	assert_message("node A { a: String @check(a, b) }", "parse error: expected string argument in constraint");
}

Test(schema_parse, produces_every_annotation_message_exactly)
{
	assert_message("node T @index { a: String }", "parse error: @index is only supported on node properties or as body constraint (node T)");
	assert_message("node A {} edge E: A -> A @embed", "parse error: @embed is not supported on edges (edge E)");
	assert_message("node T @description(\"a\") @description(\"b\") {}", "parse error: node T declares @description multiple times");
	assert_message("node T { a: String @description(\" \") }", "parse error: @description on property T.a requires a non-empty value");
	assert_message("node T @rename_from {}", "parse error: @rename_from on node T requires exactly one non-empty positional value");
	assert_message("node T @rename_from(\"U\", x=\"y\") {}", "parse error: @rename_from on node T does not accept keyword arguments");
	assert_message("node T { a: [String] @unique }", "parse error: @unique is not supported on list property T.a");
	assert_message("node T { v: Vector(2) @key }", "parse error: @key is not supported on vector property T.v");
	assert_message("node T { b: Blob @embed(t) t: String }", "parse error: @embed is not supported on blob property T.b");
	assert_message("node T { a: String @instruction(\"x\") }", "parse error: @instruction is only supported on node and edge types (property T.a)");
	assert_message("node A {} edge E: A -> A { a: String @key }", "parse error: @key is not supported on edge properties (edge E.a)");
	assert_message("node T { a: String @index @index }", "parse error: property T.a declares @index multiple times");
	assert_message("node T { a: String @embed(a) }", "parse error: @embed is only supported on vector properties (T.a)");
	assert_message("node T { v: Vector(2) @embed }", "parse error: @embed on T.v requires a source property name");
	assert_message("node T { v: Vector(2) @embed(s) }", "parse error: @embed on T.v references unknown source property s");
	assert_message("node T { s: I32 v: Vector(2) @embed(s) }", "parse error: @embed source property T.s must be String");
	assert_message("node T { s: String v: Vector(2) @embed(s, dims=\"3\") }",
	               "parse error: @embed on T.v has unknown argument 'dims=' (only 'model' is supported)");
}

Test(schema_parse, produces_every_constraint_and_interface_message_exactly)
{
	assert_message("node T { a: String @key b: String @key }", "parse error: node type T has multiple @key constraints; only one is supported");
	assert_message("node A {} edge E: A -> A { a: String @key(a) }", "parse error: @key constraint is not supported on edges (edge E)");
	assert_message("node T { a: String @unique(b) }", "parse error: @unique on T references unknown property 'b'");
	assert_message("node T { a: String? @key }", "parse error: @key property T.a cannot be nullable");
	assert_message("node T { a: Blob @key(a) }", "parse error: @key is not supported on blob property T.a");
	assert_message("node T { a: Blob? @index(a) }", "parse error: @index is not supported on blob property T.a");
	assert_message("node A {} edge E: A -> A { a: I32 @range(a, 0..1) }", "parse error: @range constraint is not supported on edges (edge E)");
	assert_message("node T { a: String? @range(a, 0..1) }", "parse error: @range on T.a requires a numeric type, got String?");
	assert_message("node T { a: [String] @check(a, \"x\") }", "parse error: @check on T.a requires String type, got [String]");
	assert_message("node T implements I {}", "parse error: node T implements unknown interface 'I'");
	assert_message("interface I { a: I32 } node T implements I { a: enum(y, x) }",
	               "parse error: node T property 'a' has type enum(x, y) but interface I declares it as I32");
}

/* ---- catalog ------------------------------------------------------------ */

Test(catalog, numbers_types_and_properties_in_alphabetical_order)
{
	struct lang_catalog *c = catalog_ok(RICH);
	cr_assert_eq(c->n_nodes, 2);
	cr_expect_str_eq(c->nodes[0].name, "Company");
	cr_expect_eq(c->nodes[0].id, 1);
	cr_expect_eq(c->nodes[1].id, 2);
	cr_expect_str_eq(c->edges[0].name, "Knows");
	cr_expect_eq(c->edges[0].id, 3);
	cr_expect_eq(c->edges[1].from_id, 2);
	cr_expect_eq(c->edges[1].to_id, 1);
	const struct lang_cat_type *p = lang_catalog_node(c, "Person");
	cr_expect_eq(lang_cat_type_prop(p, "alpha")->id, 1);
	cr_expect_eq(lang_cat_type_prop(p, "zeta")->id, 10);
	cr_expect_eq(lang_cat_type_prop(p, "name")->id, 4);   /* injected from Named */
	cr_expect_str_eq(lang_cat_type_prop(p, "name")->interface_name, "Named");
	cr_expect_eq(p->next_prop_id, 11);
	lang_catalog_free(c);
}

Test(catalog, sorts_constraint_columns_and_lets_the_key_imply_an_index)
{
	struct lang_catalog *c = catalog_ok(RICH);
	const struct lang_cat_type *p = lang_catalog_node(c, "Person");
	cr_assert(p->has_key);
	cr_expect_str_eq(p->key.columns[0], "alpha");
	cr_expect_str_eq(p->key.columns[1], "zeta");
	cr_assert_eq(p->n_index, 2);   /* the key's, then the injected @index on name */
	cr_expect_str_eq(p->index[0].columns[0], "alpha");
	cr_expect_str_eq(p->index[1].columns[0], "name");
	cr_expect_eq(p->n_range, 2);
	cr_expect(p->ranges[0].min.is_float);
	cr_expect(!p->ranges[1].min.present);
	cr_expect_eq(p->ranges[1].max.i, 100);
	cr_expect_str_eq(p->checks[0].pattern, "^[a-z]+$");
	const struct lang_cat_property *e = lang_cat_type_prop(p, "embedding");
	cr_expect_str_eq(e->embed_source, "bio");
	cr_expect_str_eq(e->embed_model, "m-1");
	cr_expect_str_eq(lang_cat_type_prop(p, "nick")->rename_from, "nickname");
	cr_expect_str_eq(p->instruction, "query by name");
	const struct lang_cat_type *w = lang_catalog_edge(c, "WorksAt");
	cr_expect_eq(w->card_min, 0);
	cr_expect(w->has_card_max);
	cr_expect_str_eq(w->unique[0].columns[0], "dst");
	lang_catalog_free(c);
}

Test(catalog, finds_edges_by_name_case_insensitively)
{
	struct lang_catalog *c = catalog_ok(RICH);
	cr_expect_str_eq(lang_catalog_edge(c, "worksAt")->name, "WorksAt");
	cr_expect_str_eq(lang_catalog_edge(c, "KNOWS")->name, "Knows");
	cr_expect_null(lang_catalog_edge(c, "likes"));
	cr_expect_null(lang_catalog_node(c, "person"));
	lang_catalog_free(c);
}

Test(catalog, produces_every_catalog_message_exactly)
{
	assert_message("node A {} node A {}", "catalog error: duplicate node type: A");
	assert_message("node A {} edge E: A -> A edge E: A -> A", "catalog error: duplicate edge type: E");
	assert_message("node A {} edge E: B -> A", "catalog error: edge E references unknown source type: B");
	assert_message("node A {} edge E: A -> B", "catalog error: edge E references unknown target type: B");
	assert_message("node A {} edge Knows: A -> A edge KNOWS: A -> A",
	               "catalog error: edge name collision after case folding: 'KNOWS' conflicts with 'Knows'");
	assert_message("node A { x: I32 x: I32 }", "catalog error: duplicate property in schema shape for 'A'");
	assert_message("interface I { a: String @unique } interface J { a: String } node T implements I, J {}",
	               "catalog error: interfaces contributing 'T.a' have incompatible property semantics");
}

/* ---- codec -------------------------------------------------------------- */

static void encode(const struct lang_catalog *c, void **buf, size_t *len)
{
	cr_assert_eq(lang_catalog_encode(buf, len, c), 0);
}

Test(catalog_codec, round_trips_a_rich_catalog_byte_for_byte)
{
	struct lang_catalog *c = catalog_ok(RICH), *back = NULL;
	void *a, *b;
	size_t alen, blen;
	encode(c, &a, &alen);
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(lang_catalog_decode(&back, a, alen, &d), 0, "%s", d.message ? d.message : "");
	encode(back, &b, &blen);
	cr_assert_eq(alen, blen);
	cr_expect_eq(memcmp(a, b, alen), 0);
	/* And field by field where it matters. */
	const struct lang_cat_type *p = lang_catalog_node(back, "Person");
	cr_expect_str_eq(lang_cat_type_prop(p, "embedding")->embed_model, "m-1");
	cr_expect_eq(lang_cat_type_prop(p, "status")->type.n_enum, 2);
	cr_expect_eq(p->ranges[0].min.f, -1.5);
	cr_expect_eq(lang_catalog_edge(back, "worksat")->to_id, 1);
	free(a);
	free(b);
	lang_catalog_free(c);
	lang_catalog_free(back);
}

Test(catalog_codec, refuses_every_truncation_of_an_encoding)
{
	struct lang_catalog *c = catalog_ok(RICH);
	void *a;
	size_t alen;
	encode(c, &a, &alen);
	for (size_t n = 0; n < alen; n++) {
		struct lang_catalog *back = NULL;
		struct lang_diag d = LANG_DIAG_INIT;
		cr_assert_eq(lang_catalog_decode(&back, a, n, &d), -1, "length %zu decoded", n);
		cr_assert_null(back);
		cr_assert(strstr(d.message, "corrupt encoded catalog") != NULL);
		lang_diag_clear(&d);
	}
	free(a);
	lang_catalog_free(c);
}

Test(catalog_codec, refuses_a_wrong_version_and_deep_nesting)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_str(&pk, 13);
	msgpack_pack_str_body(&pk, "grove.catalog", 13);
	msgpack_pack_uint32(&pk, 99);
	msgpack_pack_uint32(&pk, 1);
	for (int i = 0; i < 3; i++)
		msgpack_pack_array(&pk, 0);
	struct lang_catalog *back = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_expect_eq(lang_catalog_decode(&back, sb.data, sb.size, &d), -1);
	cr_expect_str_eq(d.message, "catalog error: corrupt encoded catalog: unknown format version");
	lang_diag_clear(&d);
	msgpack_sbuffer_destroy(&sb);

	/* 100000 nested one-element arrays: refused, never a stack overflow. */
	size_t depth = 100000;
	unsigned char *deep = malloc(depth + 1);
	memset(deep, 0x91, depth);
	deep[depth] = 0xc0;
	cr_expect_eq(lang_catalog_decode(&back, deep, depth + 1, &d), -1);
	lang_diag_clear(&d);
	free(deep);
}

Test(catalog_codec, refuses_a_type_with_two_properties_of_one_name)
{
	/* Found by tests/fuzz/fuzz_schema (crashes/schema/
	 * decoded-duplicate-property): a damaged encoding renaming one
	 * property to another's name decoded, and lookups by name then found
	 * the wrong property. */
	struct lang_catalog *c = catalog_ok("node A { ab: String  ac: I32 }");
	void *buf = NULL;
	size_t len = 0;
	cr_assert_eq(lang_catalog_encode(&buf, &len, c), 0);
	unsigned char *b = buf, *at = NULL;
	for (size_t i = 0; i + 2 < len; i++)
		if (b[i] == 0xa2 && b[i + 1] == 'a' && b[i + 2] == 'c')
			at = &b[i + 2];
	cr_assert_not_null(at);
	*at = 'b';
	struct lang_catalog *back = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_expect_eq(lang_catalog_decode(&back, buf, len, &d), -1);
	cr_expect_null(back);
	cr_expect_str_eq(d.message, "catalog error: corrupt encoded catalog: property names not unique");
	lang_diag_clear(&d);
	free(buf);
	lang_catalog_free(c);
}

Test(catalog_codec, refuses_an_array_announcing_more_items_than_bytes)
{
	/* array32 claiming 4294967295 items, then nothing: refused before the
	 * msgpack library could size an allocation from the count. */
	const unsigned char evil[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0 };
	struct lang_catalog *back = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_expect_eq(lang_catalog_decode(&back, evil, sizeof(evil), &d), -1);
	cr_expect_str_eq(d.message, "catalog error: corrupt encoded catalog: not a single msgpack value");
	lang_diag_clear(&d);
}

/* ---- limits ------------------------------------------------------------- */

Test(schema_limits, refuses_a_source_larger_than_the_limit)
{
	size_t n = LANG_SOURCE_MAX_BYTES + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	char *msg = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	struct pg_schema *s = NULL;
	cr_assert_eq(lang_schema_parse(&s, big, n, &d), -1);
	msg = d.message;
	cr_expect(strstr(msg, "more than the limit of 16777216 bytes") != NULL, "%s", msg);
	lang_diag_clear(&d);
	free(big);
}

Test(schema_limits, refuses_too_many_declarations_with_a_limit_error)
{
	size_t per = strlen("node N0000000 {}\n");
	size_t count = PG_MAX_DECLS + 1;
	char *src = malloc(per * count + 1), *p = src;
	for (size_t i = 0; i < count; i++)
		p += sprintf(p, "node N%07zu {}\n", i);
	char *msg = failure(src, NULL);
	cr_expect_str_eq(msg, "parse error: schema has too many declarations (limit 10000)");
	free(msg);
	free(src);
}

/* `n_ifaces` interfaces of `per` properties (I<k>.a<k>_<i>: String?), then
 * `n_nodes` nodes implementing all of them.  malloc'd. */
static char *wide_interfaces(int n_ifaces, int per, int n_nodes)
{
	char *src = malloc((size_t)n_ifaces * (per * 24 + 32) + (size_t)n_nodes * (n_ifaces * 8 + 64));
	char *p = src;
	for (int k = 0; k < n_ifaces; k++) {
		p += sprintf(p, "interface I%d {", k);
		for (int i = 0; i < per; i++)
			p += sprintf(p, " a%d_%d: String?", k, i);
		p += sprintf(p, " }\n");
	}
	for (int j = 0; j < n_nodes; j++) {
		p += sprintf(p, "node N%d implements ", j);
		for (int k = 0; k < n_ifaces; k++)
			p += sprintf(p, "%sI%d", k ? ", " : "", k);
		p += sprintf(p, " { }\n");
	}
	return src;
}

Test(schema_limits, a_node_implementing_many_wide_interfaces_builds_quickly)
{
	/* Found by feeding the schema fuzz target large generated schemas
	 * (tests/fuzz/crashes/schema/slow-wide-interfaces): with 256
	 * interfaces of 16 properties, every injected property was matched
	 * against every interface by scanning all declarations and then the
	 * interface's properties (P * K * (D + p) string compares): 11 s per
	 * node, 276 s for 20 nodes.  Lookups are now hashed or bisected. */
	char *src = wide_interfaces(256, 16, 16);
	struct lang_catalog *c = catalog_ok(src);
	cr_assert_eq(c->n_nodes, 16);
	const struct lang_cat_type *n = lang_catalog_node(c, "N7");
	cr_assert_not_null(n);
	cr_assert_eq(n->n_props, 256 * 16);
	const struct lang_cat_property *p = lang_cat_type_prop(n, "a255_15");
	cr_assert_not_null(p);
	cr_assert_str_eq(p->interface_name, "I255");
	lang_catalog_free(c);
	free(src);
}

Test(schema_limits, interface_injection_is_bounded_per_schema)
{
	/* 17 nodes * 256 interfaces * 16 properties = 69632 > 65536. */
	char *src = wide_interfaces(256, 16, 17);
	char *msg = failure(src, NULL);
	cr_expect_str_eq(msg, "parse error: schema has too many interface properties to inject (limit 65536)");
	free(msg);
	free(src);
}

Test(schema_limits, contributors_are_still_compared_with_many_interfaces)
{
	/* The first injected property (in the node's order) with a
	 * disagreeing contributor is reported, wherever the contributors are. */
	char *src = wide_interfaces(200, 4, 1);
	char *end = src + strlen(src);
	sprintf(end, "interface Z { a150_2: String? @index  a3_1: String? @unique }\n"
	             "node M implements I3, I150, Z { }\n");
	char *msg = failure(src, NULL);
	cr_expect_str_eq(msg, "catalog error: interfaces contributing 'M.a3_1' have incompatible property semantics");
	free(msg);
	free(src);
}

Test(schema_limits, thousands_of_edges_and_wide_constraints_are_checked_by_lookup)
{
	/* Found with large generated schemas: the duplicate and case-folding
	 * checks compared each edge with every earlier one (9999 edges: 5 s),
	 * and each constraint column was found by scanning the type's
	 * properties (2000 @unique of 256 columns over 4096 properties:
	 * 26 s).  Same messages, now by hashing and bisection. */
	size_t n = PG_MAX_DECLS - 1;
	char *src = malloc(n * 40 + 64), *p = src;
	p += sprintf(p, "node A {}\n");
	for (size_t i = 0; i + 1 < n; i++)
		p += sprintf(p, "edge Edge%zu: A -> A\n", i);
	sprintf(p, "edge EDGE17: A -> A\n");
	char *msg = failure(src, NULL);
	cr_expect_str_eq(msg, "catalog error: edge name collision after case folding: 'EDGE17' conflicts with 'Edge17'");
	free(msg);
	sprintf(p, "edge Edge17: A -> A\n");
	msg = failure(src, NULL);
	cr_expect_str_eq(msg, "catalog error: duplicate edge type: Edge17");
	free(msg);
	free(src);

	src = malloc(PG_MAX_PROPERTIES * 24 + 1000 * (PG_MAX_CONSTRAINT_ARGS * 8 + 16) + 64);
	p = src + sprintf(src, "node W {\n");
	for (unsigned i = 0; i < PG_MAX_PROPERTIES; i++)
		p += sprintf(p, "  p%u: String?\n", i);
	for (unsigned c = 0; c < 1000; c++) {
		p += sprintf(p, "  @unique(");
		for (unsigned j = 0; j < PG_MAX_CONSTRAINT_ARGS; j++)
			p += sprintf(p, "%sp%u", j ? ", " : "", (c * 7 + j) % PG_MAX_PROPERTIES);
		p += sprintf(p, ")\n");
	}
	char *tail = p;
	sprintf(p, "}\n");
	struct lang_catalog *c = catalog_ok(src);
	const struct lang_cat_type *w = lang_catalog_node(c, "W");
	cr_assert_not_null(w);
	cr_assert_eq(w->n_unique, 1000);
	cr_assert_eq(w->unique[0].n, PG_MAX_CONSTRAINT_ARGS);
	lang_catalog_free(c);
	sprintf(tail, "  @index(p1, nope)\n}\n");
	msg = failure(src, NULL);
	cr_expect_str_eq(msg, "parse error: @index on W references unknown property 'nope'");
	free(msg);
	free(src);
}

Test(schema_limits, survives_deeply_nested_brackets_and_huge_names)
{
	/* The grammar is flat; a wall of brackets is one syntax error. */
	size_t depth = 1000000;
	char *src = malloc(depth + 32);
	strcpy(src, "node A { a: ");
	memset(src + strlen(src), '[', depth);
	strcpy(src + 12 + depth, " }");
	int span = 0;
	char *msg = failure(src, &span);
	cr_expect(span);
	free(msg);
	free(src);

	size_t n = PG_MAX_NAME_BYTES + 1;
	char *name = malloc(n + 32);
	strcpy(name, "node A { ");
	memset(name + 9, 'a', n);
	strcpy(name + 9 + n, ": String }");
	msg = failure(name, &span);
	cr_expect(strstr(msg, "expected a name of at most 1024 bytes") != NULL, "%s", msg);
	free(msg);
	free(name);
}

/* ---- public API --------------------------------------------------------- */

Test(schema_api, checks_a_schema_and_summarises_it)
{
	char *report = NULL;
	cr_assert_eq(grove_schema_check(&report, "node A { x: I32 }\nedge E: A -> A", "s.pg", 0), 0);
	cr_expect(strncmp(report, "s.pg: ok: 1 node types, 1 edge types, 0 interfaces, 1 properties\n", 64) == 0, "%s", report);
	grove_free(report);
	cr_assert_eq(grove_schema_check(&report, "node A {\n  x: Nope\n}", "s.pg", 1), GROVE_EPARSE);
	cr_expect(strstr(report, "\"status\":\"error\"") != NULL);
	cr_expect(strstr(report, "\"line\":2,\"column\":6") != NULL, "%s", report);
	grove_free(report);
	cr_expect_eq(grove_schema_check(&report, NULL, NULL, 0), GROVE_EINVAL);
}

/* ---- where semantic errors are --------------------------------------- */

static void assert_place(const char *src, uint32_t line, uint32_t col, const char *msg)
{
	struct lang_catalog *c = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(lang_catalog_from_text(&c, src, strlen(src), &d), -1, "valid: %s", src);
	cr_expect_str_eq(d.message, msg);
	cr_expect(d.has_place && !d.has_span, "%s: not placed", msg);
	cr_expect_eq(d.line, line, "%s: line %u", msg, d.line);
	cr_expect_eq(d.col, col, "%s: col %u", msg, d.col);
	lang_diag_clear(&d);
}

/* Errors raised after the grammar (stages 2-4, the catalog) carry the
 * line:column of the declaration, property, annotation, constraint or
 * token they are about (docs/cli.md: diagnostics with file:line:column). */
Test(schema_errors, semantic_errors_name_their_line_and_column)
{
	assert_place("node A {\n  x: String? @key\n}\n", 2, 14,
		     "parse error: @key property A.x cannot be nullable");
	assert_place("node A {\n  v: Vector(0)\n}\n", 2, 13,
		     "parse error: Vector dimension must be greater than zero");
	assert_place("node A {\n  k: String @key\n  @unique(nope)\n}\n", 3, 3,
		     "parse error: @unique on A references unknown property 'nope'");
	assert_place("node A { k: String @key }\nnode A { x: I32 }\n", 2, 1,
		     "catalog error: duplicate node type: A");
	assert_place("node A { k: String @key }\n\nedge E: A -> B\n", 3, 1,
		     "catalog error: edge E references unknown target type: B");
	assert_place("node A { k: String @key }\nedge E: A -> A @card(3..1)\n", 2, 22,
		     "parse error: cardinality min (3) exceeds max (1)");
	assert_place("node A { k: String @key }\nedge E: A -> A @card(1..\n 99999999999)\n", 3, 2,
		     "parse error: invalid cardinality max: 99999999999");
}
