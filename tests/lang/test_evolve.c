/*
 * tests/lang/test_evolve.c — schema migration planning (spec §10): stable
 * identities across renames, drops and re-adds; the identity resolution
 * errors; the steps, their order and the unsupported changes with their
 * exact reasons and codes; the JSON, text and msgpack renderings.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/catalog.h"
#include "lang/evolve.h"

/* ---- helpers ------------------------------------------------------------ */

static struct lang_catalog *build(const char *src)
{
	struct lang_catalog *c = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(lang_catalog_from_text(&c, src, strlen(src), &d), 0, "%s", d.message ? d.message : "");
	return c;
}

/* Evolve `from` (built fresh) to `to`; returns the plan, *cat the catalog. */
static struct lang_plan *evolve(struct lang_catalog **cat, const struct lang_catalog *old, const char *to,
                                int allow_data_loss)
{
	struct lang_plan *plan = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	int rc = lang_schema_evolve(cat, &plan, old, to, strlen(to), allow_data_loss, &d);
	cr_assert_eq(rc, 0, "evolve failed: %s", d.message ? d.message : "");
	return plan;
}

static struct lang_plan *plan_of(const char *from, const char *to, int allow_data_loss)
{
	struct lang_catalog *old = build(from), *cat = NULL;
	struct lang_plan *p = evolve(&cat, old, to, allow_data_loss);
	lang_catalog_free(cat);
	lang_catalog_free(old);
	return p;
}

static void expect_error(const char *from, const char *to, const char *message)
{
	struct lang_catalog *old = build(from), *cat = NULL;
	struct lang_plan *plan = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	cr_assert_eq(lang_schema_evolve(&cat, &plan, old, to, strlen(to), 0, &d), -1);
	cr_assert_null(cat);
	cr_assert_null(plan);
	cr_expect_str_eq(d.message, message);
	lang_diag_clear(&d);
	lang_catalog_free(old);
}

/* The plan's steps as text lines joined by '\n'. */
static char *lines(const struct lang_plan *p)
{
	char *all = calloc(1, 1);
	for (uint32_t i = 0; i < p->n_steps; i++) {
		char *one = lang_step_text(&p->steps[i]);
		size_t n = strlen(all) + strlen(one) + 2;
		all = realloc(all, n);
		strcat(all, one);
		if (i + 1 < p->n_steps)
			strcat(all, "\n");
		free(one);
	}
	return all;
}

static void expect_steps(const char *from, const char *to, int allow_data_loss, const char *expected)
{
	struct lang_plan *p = plan_of(from, to, allow_data_loss);
	char *got = lines(p);
	cr_expect_str_eq(got, expected, "\nfrom: %s\nto: %s", from, to);
	free(got);
	lang_plan_free(p);
}

static void expect_unsupported(const char *from, const char *to, const char *entity, const char *reason,
                               const char *code)
{
	struct lang_plan *p = plan_of(from, to, 0);
	const struct lang_step *s = lang_plan_first_unsupported(p);
	cr_assert_not_null(s, "no unsupported step for %s", to);
	cr_expect_not(p->supported);
	cr_expect_str_eq(s->entity, entity);
	cr_expect_str_eq(s->reason, reason);
	if (code == NULL)
		cr_expect_null(s->code);
	else
		cr_expect_str_eq(s->code, code);
	lang_plan_free(p);
}

#define TEST_PG \
	"node Person {\n    name: String @key\n    age: I32?\n}\n\nnode Company {\n    name: String @key\n}\n\n" \
	"edge Knows: Person -> Person {\n    since: Date?\n}\n\nedge WorksAt: Person -> Company\n"

/* ---- identity ------------------------------------------------------------ */

Test(evolve, an_identical_schema_keeps_every_id_and_plans_nothing)
{
	struct lang_catalog *old = build(TEST_PG), *cat = NULL;
	struct lang_plan *p = evolve(&cat, old, TEST_PG, 0);
	cr_expect_eq(p->n_steps, 0);
	cr_expect(p->supported);
	void *a, *b;
	size_t an, bn;
	cr_assert_eq(lang_catalog_encode(&a, &an, old), 0);
	cr_assert_eq(lang_catalog_encode(&b, &bn, cat), 0);
	cr_expect(an == bn && memcmp(a, b, an) == 0, "the evolved catalog differs from the accepted one");
	free(a);
	free(b);
	lang_plan_free(p);
	lang_catalog_free(cat);
	lang_catalog_free(old);
}

Test(evolve, a_renamed_type_and_property_keep_their_ids)
{
	struct lang_catalog *old = build(TEST_PG), *cat = NULL;
	const char *to = "node Human @rename_from(\"Person\") { full: String @key @rename_from(\"name\")\n age: I32? }\n"
	                 "node Company { name: String @key }\n"
	                 "edge Knows: Human -> Human { since: Date? }\nedge WorksAt: Human -> Company\n";
	struct lang_plan *p = evolve(&cat, old, to, 0);
	const struct lang_cat_type *person = lang_catalog_node(old, "Person"), *human = lang_catalog_node(cat, "Human");
	cr_assert_not_null(human);
	cr_expect_eq(human->id, person->id);
	cr_expect_eq(lang_cat_type_prop(human, "full")->id, lang_cat_type_prop(person, "name")->id);
	cr_expect_eq(lang_cat_type_prop(human, "age")->id, lang_cat_type_prop(person, "age")->id);
	cr_expect_eq(lang_catalog_edge(cat, "Knows")->from_id, person->id);
	cr_expect_eq(cat->next_type_id, old->next_type_id);
	char *got = lines(p);
	cr_expect_str_eq(got, "rename node type 'Person' -> 'Human'\n"
	                      "rename property 'Human.name' -> 'Human.full' on node 'Human'");
	free(got);
	lang_plan_free(p);
	lang_catalog_free(cat);
	lang_catalog_free(old);
}

Test(evolve, new_types_and_properties_take_fresh_ids_never_reused)
{
	struct lang_catalog *v1 = build("node A { x: String @key\n y: I32? }\nnode B { k: String @key }\n"), *v2, *v3;
	/* drop A.y and B, then declare both again: new lifetimes, new ids */
	lang_plan_free(evolve(&v2, v1, "node A { x: String @key }\n", 0));
	lang_plan_free(evolve(&v3, v2, "node A { x: String @key\n y: I32? }\nnode B { k: String @key }\n", 0));
	const struct lang_cat_type *a1 = lang_catalog_node(v1, "A"), *a3 = lang_catalog_node(v3, "A");
	cr_expect_eq(a3->id, a1->id);
	cr_expect_neq(lang_cat_type_prop(a3, "y")->id, lang_cat_type_prop(a1, "y")->id);
	cr_expect_eq(lang_cat_type_prop(a3, "y")->id, a1->next_prop_id);
	cr_expect_eq(a3->next_prop_id, a1->next_prop_id + 1);
	cr_expect_eq(lang_catalog_node(v3, "B")->id, v1->next_type_id);
	cr_expect_eq(v3->next_type_id, v1->next_type_id + 1);
	lang_catalog_free(v3);
	lang_catalog_free(v2);
	lang_catalog_free(v1);
}

Test(evolve, new_properties_are_numbered_in_name_order_after_the_accepted_ones)
{
	struct lang_catalog *old = build("node T { m: String @key }\n"), *cat = NULL;
	lang_plan_free(evolve(&cat, old, "node T { z: I32?\n m: String @key\n a: I32? }\n", 0));
	const struct lang_cat_type *t = lang_catalog_node(cat, "T");
	cr_expect_eq(lang_cat_type_prop(t, "m")->id, 1);
	cr_expect_eq(lang_cat_type_prop(t, "a")->id, 2);
	cr_expect_eq(lang_cat_type_prop(t, "z")->id, 3);
	cr_expect_eq(t->next_prop_id, 4);
	lang_catalog_free(cat);
	lang_catalog_free(old);
}

Test(evolve, hints_on_exact_matches_are_ignored)
{
	expect_steps("node A { k: String @key }\nnode B { k: String @key }\n",
	             "node A @rename_from(\"B\") { k: String @key }\n", 0, "drop node type 'B' (soft mode)");
}

Test(evolve, crossing_key_renames_keep_identity_and_plan_only_renames)
{
	struct lang_catalog *old = build("node Pair { alpha: String\n zeta: String\n label: String\n @key(alpha, zeta) }\n");
	struct lang_catalog *cat = NULL;
	struct lang_plan *p = evolve(&cat, old,
	                             "node Pair { aaaa: String @rename_from(\"zeta\")\n zzzz: String @rename_from(\"alpha\")\n"
	                             " label: String\n @key(aaaa, zzzz) }\n", 0);
	cr_expect(p->supported);
	char *got = lines(p);
	cr_expect_str_eq(got, "rename property 'Pair.zeta' -> 'Pair.aaaa' on node 'Pair'\n"
	                      "rename property 'Pair.alpha' -> 'Pair.zzzz' on node 'Pair'");
	free(got);
	const struct lang_cat_type *t = lang_catalog_node(cat, "Pair");
	cr_expect_eq(lang_cat_type_prop(t, "zzzz")->id, 1);  /* alpha's */
	cr_expect_eq(lang_cat_type_prop(t, "aaaa")->id, 3);  /* zeta's  */
	lang_plan_free(p);
	lang_catalog_free(cat);
	lang_catalog_free(old);
}

Test(evolve, evolving_is_deterministic)
{
	struct lang_catalog *old = build(TEST_PG), *c1, *c2;
	const char *to = "node Person { name: String @key\n nick: String?\n zip: I64? }\nnode Extra { k: String @key }\n";
	lang_plan_free(evolve(&c1, old, to, 1));
	lang_plan_free(evolve(&c2, old, to, 1));
	void *a, *b;
	size_t an, bn;
	cr_assert_eq(lang_catalog_encode(&a, &an, c1), 0);
	cr_assert_eq(lang_catalog_encode(&b, &bn, c2), 0);
	cr_expect(an == bn && memcmp(a, b, an) == 0);
	free(a);
	free(b);
	lang_catalog_free(c1);
	lang_catalog_free(c2);
	lang_catalog_free(old);
}

/* ---- identity resolution errors (spec §10.1) --------------------------------- */

Test(evolve_errors, a_hint_naming_nothing)
{
	expect_error("node A { k: String @key }\n", "node B @rename_from(\"Zed\") { k: String @key }\n",
	             "schema identity resolution failed: node 'B' declares @rename_from(\"Zed\") but no accepted "
	             "declaration has that name");
}

Test(evolve_errors, a_hint_across_declaration_kinds)
{
	expect_error("node A { k: String @key }\nedge E: A -> A\n",
	             "node A { k: String @key }\nnode F @rename_from(\"E\") { k: String @key }\n",
	             "schema identity resolution failed: node 'F' cannot rename accepted 'E' across declaration kinds");
}

Test(evolve_errors, an_accepted_type_consumed_twice)
{
	expect_error("node A { k: String @key }\n",
	             "node A { k: String @key }\nnode B @rename_from(\"A\") { k: String @key }\n",
	             "schema identity resolution failed: accepted node 'A' is consumed by more than one desired declaration");
}

Test(evolve_errors, a_property_hint_naming_nothing_under_the_owner)
{
	expect_error("node A { k: String @key }\n", "node A { k: String @key\n x: I32? @rename_from(\"y\") }\n",
	             "schema identity resolution failed: property 'A.x' declares @rename_from(\"y\"): no accepted "
	             "property with that name exists under the stable owner");
}

Test(evolve_errors, a_property_moving_across_owners)
{
	expect_error("node A { k: String @key\n y: I32? }\nnode B { k: String @key }\n",
	             "node A { k: String @key }\nnode B { k: String @key\n y: I32? @rename_from(\"A.y\") }\n",
	             "schema identity resolution failed: property 'B.y' declares @rename_from(\"A.y\"): property moves "
	             "across stable owners are not supported");
}

Test(evolve_errors, a_bare_hint_naming_another_owners_property_is_a_move)
{
	expect_error("node N { k: String @key\n a: String? }\nnode M { k: String @key\n b: String? }\n",
	             "node N { k: String @key }\nnode M { k: String @key\n b: String?\n c: String? @rename_from(\"a\") }\n",
	             "schema identity resolution failed: property 'M.c' declares @rename_from(\"a\"): property moves "
	             "across stable owners are not supported");
}

Test(evolve_errors, a_new_owner_importing_a_property_identity)
{
	expect_error("node A { k: String @key }\n",
	             "node A { k: String @key }\nnode N { k: String @key @rename_from(\"x\") }\n",
	             "schema identity resolution failed: new owner 'node:N' cannot import property identity with "
	             "@rename_from(\"x\")");
}

Test(evolve_errors, an_accepted_property_consumed_twice)
{
	expect_error("node A { k: String @key\n y: I32? }\n",
	             "node A { k: String @key\n y: I32?\n z: I32? @rename_from(\"y\") }\n",
	             "schema identity resolution failed: accepted property id 2 is consumed more than once");
}

Test(evolve_errors, a_desired_schema_that_does_not_build_reports_its_own_error)
{
	expect_error("node A { k: String @key }\n", "edge E: A -> Nope\nnode A { k: String @key }\n",
	             "catalog error: edge E references unknown target type: Nope");
}

/* ---- steps ---------------------------------------------------------------- */

Test(plan, adds_and_soft_drops_in_the_specified_order)
{
	expect_steps(TEST_PG,
	             "node Person { name: String @key\n nick: String? }\nnode Zoo { k: String @key }\n"
	             "edge Knows: Person -> Person { since: Date? }\n", 0,
	             "add property 'Person.nick' (String?) on node 'Person'\n"
	             "drop property 'Person.age' on node 'Person' (soft mode)\n"
	             "add node type 'Zoo'\n"
	             "drop node type 'Company' (soft mode)\n"
	             "drop edge type 'WorksAt' (soft mode)");
}

Test(plan, allow_data_loss_makes_every_drop_hard)
{
	expect_steps(TEST_PG, "node Person { name: String @key }\nnode Company { name: String @key }\n"
	                      "edge Knows: Person -> Person { since: Date? }\n", 1,
	             "drop property 'Person.age' on node 'Person' (hard mode)\n"
	             "drop edge type 'WorksAt' (hard mode)");
}

Test(plan, enum_widening_is_an_extend_enum_step)
{
	expect_steps("node T { s: String @key\n st: enum(todo, done) }\n",
	             "node T { s: String @key\n st: enum(todo, doing, done, blocked) }\n", 0,
	             "extend enum 'T.st' with 'blocked', 'doing' on node 'T'");
}

Test(plan, reordering_enum_values_or_constraint_columns_is_no_change)
{
	expect_steps("node T { a: String\n b: String\n st: enum(x, y)\n @key(a, b) }\n",
	             "node T { a: String\n b: String\n st: enum(y, x)\n @key(b, a) }\n", 0, "");
}

Test(plan, an_index_added_at_property_level_is_one_add_constraint_step)
{
	expect_steps("node Doc { slug: String @key\n n: I64 }\n", "node Doc { slug: String @key\n n: I64 @index }\n", 0,
	             "add constraint @index(n) on node 'Doc'");
	expect_steps("node Doc { slug: String @key\n n: I64 }\n", "node Doc { slug: String @key\n n: I64\n @index(n) }\n",
	             0, "add constraint @index(n) on node 'Doc'");
}

/* OmniGraph keeps `k: T @key @index` as two constraints (its CLI test
 * applies exactly this change and expects applied: true). */
Test(plan, an_index_declared_on_a_key_property_is_its_own_step)
{
	expect_steps("node P { name: String @key\n age: I32? }\n", "node P { name: String @key @index\n age: I32? }\n", 0,
	             "add constraint @index(name) on node 'P'");
	expect_steps("node P { name: String @key @index }\n", "node P { name: String @index @key }\n", 0, "");
}

Test(plan, metadata_changes_are_metadata_steps)
{
	expect_steps("node T { k: String @key }\n",
	             "node T @description(\"things\") @instruction(\"use\") { k: String @key @description(\"key\") }\n", 0,
	             "update metadata (@description, @instruction) of node type 'T'\n"
	             "update metadata (@description) of property 'T.k' on node 'T'");
}

/* ---- unsupported changes (spec §10.3) -------------------------------------- */

Test(unsupported, adding_a_required_property)
{
	expect_unsupported(TEST_PG,
	                   "node Person { name: String @key\n age: I32?\n email: String }\nnode Company { name: String @key }\n"
	                   "edge Knows: Person -> Person { since: Date? }\nedge WorksAt: Person -> Company\n",
	                   "node:Person.email",
	                   "adding required property 'Person.email' requires a backfill and is not supported in schema "
	                   "migration v1", "OG-MF-103");
}

Test(unsupported, any_property_type_change)
{
	static const char *const to[] = { "I64?", "I32", "[I32]?", "String?" };
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		char src[256];
		snprintf(src, sizeof(src), "node P { name: String @key\n age: %s }\n", to[i]);
		expect_unsupported("node P { name: String @key\n age: I32? }\n", src, "node:P.age",
		                   "changing property type for 'P.age' is not supported in schema migration v1",
		                   "OG-MF-106");
	}
	expect_unsupported("node T { k: String @key\n st: enum(a, b, c) }\n", "node T { k: String @key\n st: enum(a, c) }\n",
	                   "node:T.st", "changing property type for 'T.st' is not supported in schema migration v1",
	                   "OG-MF-106");
	expect_unsupported("node T { k: String @key\n v: Vector(3)? }\n", "node T { k: String @key\n v: Vector(4)? }\n",
	                   "node:T.v", "changing property type for 'T.v' is not supported in schema migration v1",
	                   "OG-MF-106");
}

Test(unsupported, embed_changes)
{
	expect_unsupported("node D { k: String @key\n t: String\n v: Vector(3) @embed(t) }\n",
	                   "node D { k: String @key\n t: String\n v: Vector(3) @embed(t, model=\"m2\") }\n", "node:D.v",
	                   "changing @embed source or model for 'D.v' is not supported in schema migration v1; rebuild "
	                   "the graph so stored vectors and their declared embedding space cannot diverge", NULL);
}

Test(unsupported, constraint_changes)
{
	expect_unsupported("node T { k: String @key\n e: String }\n", "node T { k: String @key\n e: String @unique }\n",
	                   "node:T.e",
	                   "adding a property-level @unique constraint to 'T.e' is not supported in schema migration v1",
	                   NULL);
	expect_unsupported("node T { k: String @key\n e: String @index }\n", "node T { k: String @key\n e: String }\n",
	                   "node:T.e", "removing property constraints from 'T.e' is not supported in schema migration v1",
	                   NULL);
	expect_unsupported("node T { k: String @key\n n: I32 }\n", "node T { k: String @key\n n: I32\n @range(n, 0..9) }\n",
	                   "node:T", "adding constraint '@range(n, 0..9)' to 'T' is not supported in schema migration v1",
	                   NULL);
	expect_unsupported("node T { k: String @key\n a: String\n b: String\n @unique(a, b) }\n",
	                   "node T { k: String @key\n a: String\n b: String }\n", "node:T",
	                   "removing constraints from 'T' is not supported in schema migration v1", NULL);
}

Test(unsupported, moving_a_constraint_between_property_and_body)
{
	/* Where a constraint is declared is part of it (OmniGraph's planner). */
	expect_unsupported("node N { value: String @unique }\n", "node N { value: String @unique(value) }\n",
	                   "node:N.value",
	                   "removing property constraints from 'N.value' is not supported in schema migration v1", NULL);
	expect_unsupported("node N { value: String @unique(value) }\n", "node N { value: String @unique }\n",
	                   "node:N.value",
	                   "adding a property-level @unique constraint to 'N.value' is not supported in schema "
	                   "migration v1", NULL);
	expect_unsupported("node N { name: String @key }\n", "node N { name: String\n @key(name) }\n",
	                   "node:N.name",
	                   "removing property constraints from 'N.name' is not supported in schema migration v1", NULL);
}

Test(unsupported, a_changed_body_constraint_reports_its_removal_first)
{
	expect_unsupported("node N { v: I32 @range(v, 0..10) }\n", "node N { v: I32 @range(v, 0..11) }\n", "node:N",
	                   "removing constraints from 'N' is not supported in schema migration v1", NULL);
	expect_unsupported("node N { a: String\n b: String\n @unique(a) }\n",
	                   "node N { a: String\n b: String\n @unique(b) }\n", "node:N",
	                   "removing constraints from 'N' is not supported in schema migration v1", NULL);
}

Test(unsupported, satisfaction_links_are_checked_also_when_implements_changes)
{
	const char *from = "interface A { value: String }\ninterface B { value: String }\nnode N implements A, B { }\n";
	const char *to = "interface A { value: String }\ninterface B { value: String }\nnode N implements A { }\n";
	struct lang_plan *p = plan_of(from, to, 0);
	char *got = lines(p);
	cr_expect(strstr(got, "changing implemented interfaces on node 'N'") != NULL, "%s", got);
	cr_expect(strstr(got, "changing interface-property satisfaction links for 'N.value'") != NULL, "%s", got);
	free(got);
	lang_plan_free(p);
}

Test(unsupported, a_new_propertys_constraint_is_refused_at_the_body)
{
	/* The property is added (or refused) alone; its @unique is the body's. */
	expect_unsupported("node N { a: String }\n", "node N { a: String\n b: String? @unique }\n", "node:N",
	                   "adding constraint '@unique(b)' to 'N' is not supported in schema migration v1", NULL);
	expect_steps("node N { a: String }\n", "node N { a: String\n b: String? @index }\n", 0,
	             "add property 'N.b' (String?) on node 'N'\nadd constraint @index(b) on node 'N'");
}

Test(unsupported, a_custom_annotation_change_is_the_one_step)
{
	struct lang_plan *p = plan_of("node N @description(\"a\") @foo { a: String }\n",
	                              "node N @description(\"b\") { a: String }\n", 0);
	cr_expect_eq(p->n_steps, 1);
	cr_expect_str_eq(p->steps[0].reason, "changing annotations beyond @description/@instruction is not supported "
	                 "in schema migration v1");
	lang_plan_free(p);
}

Test(plan, interface_property_constraints_are_planned_for_the_interface_too)
{
	expect_steps("interface A { value: String }\nnode N implements A { }\n",
	             "interface A { value: String @index }\nnode N implements A { }\n", 0,
	             "add constraint @index(value) on interface 'A'\nadd constraint @index(value) on node 'N'");
	expect_unsupported("interface A { value: String @index }\nnode N implements A { }\n",
	                   "interface A { value: String }\nnode N implements A { }\n", "interface:A.value",
	                   "removing property constraints from 'A.value' is not supported in schema migration v1", NULL);
}

Test(unsupported, structural_changes)
{
	expect_unsupported("node A { k: String @key }\nnode B { k: String @key }\nedge E: A -> A\n",
	                   "node A { k: String @key }\nnode B { k: String @key }\nedge E: A -> B\n", "edge:E",
	                   "changing edge endpoints on 'E' is not supported in schema migration v1", NULL);
	expect_unsupported("node A { k: String @key }\nedge E: A -> A\n", "node A { k: String @key }\nedge E: A -> A @card(0..1)\n",
	                   "edge:E", "changing cardinality on edge 'E' is not supported in schema migration v1", NULL);
	expect_unsupported("interface I { x: I32? }\nnode A { k: String @key }\n",
	                   "interface I { x: I32? }\nnode A implements I { k: String @key }\n", "node:A",
	                   "changing implemented interfaces on node 'A' is not supported in schema migration v1", NULL);
	expect_unsupported("interface I { x: I32? }\nnode A { k: String @key }\n", "node A { k: String @key }\n",
	                   "interface:I", "removing interface 'I' is not supported in schema migration v1", NULL);
	expect_unsupported("node A @color(\"red\") { k: String @key }\n", "node A @color(\"blue\") { k: String @key }\n",
	                   "node:A", "changing annotations beyond @description/@instruction is not supported in schema "
	                   "migration v1", NULL);
}

Test(unsupported, provenance_changes)
{
	expect_unsupported("interface I { x: I32? }\nnode A implements I { k: String @key }\n",
	                   "interface I { x: I32? }\nnode A implements I { k: String @key\n x: I32? }\n", "node:A.x",
	                   "changing declaration provenance for 'A.x' is not supported in schema migration v1", NULL);
}

/* ---- renderings ------------------------------------------------------------- */

Test(render, json_steps_have_snake_case_kinds_and_the_table_fields)
{
	struct lang_plan *p = plan_of(TEST_PG,
	                              "node Person { name: String @key\n age: I64? }\nnode Company { name: String @key }\n"
	                              "edge Knows: Person -> Person { since: Date? }\n", 1);
	char *json = lang_plan_steps_json(p);
	cr_expect_str_eq(json,
	                 "[{\"kind\":\"unsupported_change\",\"entity\":\"node:Person.age\",\"reason\":\"changing property "
	                 "type for 'Person.age' is not supported in schema migration v1\",\"code\":\"OG-MF-106\"},"
	                 "{\"kind\":\"drop_type\",\"type_kind\":\"edge\",\"name\":\"WorksAt\",\"mode\":\"hard\"}]");
	free(json);
	char *text = lang_plan_text(p, "/g");
	cr_expect_str_eq(text, "schema plan for /g\nsupported: no\n"
	                       "- unsupported change on node:Person.age [OG-MF-106, destructive]: changing property type "
	                       "for 'Person.age' is not supported in schema migration v1\n"
	                       "- drop edge type 'WorksAt' (hard mode)\n");
	free(text);
	lang_plan_free(p);
}

Test(render, an_empty_plan_says_no_schema_changes)
{
	struct lang_plan *p = plan_of(TEST_PG, TEST_PG, 0);
	char *text = lang_plan_text(p, "g");
	cr_expect_str_eq(text, "schema plan for g\nsupported: yes\nno schema changes\n");
	free(text);
	char *json = lang_plan_steps_json(p);
	cr_expect_str_eq(json, "[]");
	free(json);
	lang_plan_free(p);
}

Test(render, the_logged_plan_carries_the_hash_and_the_hard_dropped_type_ids)
{
	struct lang_catalog *old = build(TEST_PG), *cat = NULL;
	struct lang_plan *p = evolve(&cat, old, "node Person { name: String @key }\nedge Knows: Person -> Person\n", 1);
	void *buf;
	size_t len;
	cr_assert_eq(lang_plan_encode(&buf, &len, p, 0x1234567890abcdefull), 0);
	uint64_t hash;
	uint32_t *ids, n;
	cr_assert_eq(lang_plan_decode_header(&hash, &ids, &n, buf, len), 0);
	cr_expect_eq(hash, 0x1234567890abcdefull);
	/* Person (age dropped), Knows (since dropped), Company, WorksAt */
	cr_assert_eq(n, 4);
	cr_expect_eq(ids[0], lang_catalog_node(old, "Person")->id);
	cr_expect_eq(ids[1], lang_catalog_node(old, "Company")->id);
	cr_expect_eq(ids[2], lang_catalog_edge(old, "Knows")->id);
	cr_expect_eq(ids[3], lang_catalog_edge(old, "WorksAt")->id);
	free(ids);
	cr_expect_eq(lang_plan_decode_header(&hash, &ids, &n, buf, 3), -1, "a truncated plan decodes");
	cr_expect_null(ids);
	free(buf);
	lang_plan_free(p);
	lang_catalog_free(cat);
	lang_catalog_free(old);
}
