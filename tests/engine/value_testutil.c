/* value_testutil.c — see value_testutil.h. */
#include "value_testutil.h"

#include <criterion/criterion.h>
#include <string.h>

static const char *const schema =
	"node Everything {\n"
	"    name: String @key\n"
	"    note: String?\n"
	"    flag: Bool?\n"
	"    small: I32?\n"
	"    large: I64?\n"
	"    count: U32?\n"
	"    huge: U64?\n"
	"    ratio: F32?\n"
	"    score: F64?\n"
	"    day: Date?\n"
	"    at: DateTime?\n"
	"    vec: Vector(3)?\n"
	"    blob: Blob?\n"
	"    tags: [String]?\n"
	"    nums: [I32]?\n"
	"    days: [Date]?\n"
	"    role: enum(member, admin, guest)?\n"
	"}\n"
	"node Strict {\n"
	"    code: String @key\n"
	"    need: I32\n"
	"    emb: Vector(2)\n"
	"    doc: Blob\n"
	"    @range(need, 0..100)\n"
	"    @check(code, \"^[A-Z]{3}-\\\\d+$\")\n"
	"}\n"
	"node Measurement {\n"
	"    name: String @key\n"
	"    temperature: F64?\n"
	"    level: F32?\n"
	"    @range(temperature, -40.0..60.0)\n"
	"    @range(level, 0..1)\n"
	"}\n"
	"node RenamedPair {\n"
	"    aaaa: Date @rename_from(\"zeta\")\n"
	"    zzzz: U32 @rename_from(\"alpha\")\n"
	"    label: String\n"
	"    @key(aaaa, zzzz)\n"
	"}\n"
	"node Counter { sequence: U64 @key }\n"
	"node Ratio { r: F32 @key }\n"
	"node When { at: DateTime @key }\n";

static struct lang_catalog *cat;

void value_setup(void)
{
	struct lang_diag d = LANG_DIAG_INIT;
	int rc = lang_catalog_from_text(&cat, schema, strlen(schema), &d);
	cr_assert_eq(rc, 0, "schema: %s", d.message ? d.message : "");
	lang_diag_clear(&d);
}

void value_teardown(void)
{
	lang_catalog_free(cat);
}

const struct lang_cat_type *type_named(const char *t)
{
	const struct lang_cat_type *ty = lang_catalog_node(cat, t);
	cr_assert_not_null(ty, "no type %s", t);
	return ty;
}

const struct lang_cat_property *prop(const char *t, const char *p)
{
	const struct lang_cat_property *pr = lang_cat_type_prop(type_named(t), p);
	cr_assert_not_null(pr, "no property %s.%s", t, p);
	return pr;
}

json_t *parse_json(const char *text)
{
	if (text == NULL)
		return NULL;
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	cr_assert_not_null(j, "bad test JSON %s: %s", text, e.text);
	return j;
}
