/*
 * value_testutil.h — the fixture shared by the value-layer suites
 * (test_value.c, test_value_rows.c): a catalog parsed from one schema
 * (node types Everything, Strict, Measurement, RenamedPair, Counter, Ratio,
 * When), lookups into it, and JSON test input.
 */
#ifndef GROVE_TESTS_ENGINE_VALUE_TESTUTIL_H
#define GROVE_TESTS_ENGINE_VALUE_TESTUTIL_H

#include <jansson.h>

#include "lang/catalog.h"

/* The suite's .init and .fini: parse the schema, free the catalog. */
void value_setup(void);
void value_teardown(void);

/* A node type or property of the catalog; asserts that it exists. */
const struct lang_cat_type *type_named(const char *t);
const struct lang_cat_property *prop(const char *t, const char *p);

/* Parse test JSON (any value; NULL for NULL), asserting it is valid. */
json_t *parse_json(const char *text);

#endif
