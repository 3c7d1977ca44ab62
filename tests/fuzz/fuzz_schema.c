/*
 * tests/fuzz/fuzz_schema.c — libFuzzer target for the .pg schema language.
 *
 * The input is .pg text (not NUL-terminated).  It is parsed, its catalog
 * built, and the catalog put through its msgpack codec:
 *   - encode(decode(encode(c))) == encode(c), and the one-call
 *     lang_catalog_from_text() gives the same bytes;
 *   - a few corrupted copies of the encoding (a byte changed, the tail cut)
 *     are decoded too: they must be refused cleanly or round-trip stably;
 *   - the public grove_schema_check() renders the text and JSON reports.
 * Every failure must leave a diagnostic with the right prefix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "grove.h"
#include "lang/catalog.h"
#include "lang/diag.h"
#include "lang/schema_ast.h"

static int has_prefix(const char *s, const char *prefix)
{
	return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void check_failure(const struct lang_diag *d, const char *prefix, size_t src_len)
{
	FUZZ_CHECK(lang_diag_failed(d));
	FUZZ_CHECK(has_prefix(d->message, prefix));
	if (d->has_span) {
		FUZZ_CHECK(d->span_start <= src_len);
		FUZZ_CHECK(d->span_end > d->span_start);
		FUZZ_CHECK(d->line >= 1 && d->col >= 1);
	}
}

/* Every type and property is found by name (edges: exact match first). */
static void check_lookups(const struct lang_catalog *cat)
{
	const struct lang_cat_type *kinds[3] = { cat->interfaces, cat->nodes, cat->edges };
	const uint32_t counts[3] = { cat->n_interfaces, cat->n_nodes, cat->n_edges };
	for (int k = 0; k < 3; k++) {
		for (uint32_t i = 0; i < counts[k]; i++) {
			const struct lang_cat_type *t = &kinds[k][i];
			const struct lang_cat_type *found =
				k == 0 ? lang_catalog_interface(cat, t->name) :
				k == 1 ? lang_catalog_node(cat, t->name) : lang_catalog_edge(cat, t->name);
			FUZZ_CHECK(found == t);
			for (uint32_t p = 0; p < t->n_props; p++)
				FUZZ_CHECK(lang_cat_type_prop(t, t->props[p].name) == &t->props[p]);
		}
	}
}

/* Decode `buf`; when it decodes, its encoding must round-trip to itself. */
static void decode_stable(const void *buf, size_t len)
{
	struct lang_catalog *cat = NULL;
	struct lang_diag d = LANG_DIAG_INIT;
	if (lang_catalog_decode(&cat, buf, len, &d) != 0) {
		FUZZ_CHECK(cat == NULL);
		check_failure(&d, LANG_PREFIX_CATALOG, len);
		lang_diag_clear(&d);
		return;
	}
	void *e1 = NULL, *e2 = NULL;
	size_t n1 = 0, n2 = 0;
	FUZZ_CHECK(lang_catalog_encode(&e1, &n1, cat) == 0);
	check_lookups(cat);
	struct lang_catalog *back = NULL;
	FUZZ_CHECK(lang_catalog_decode(&back, e1, n1, &d) == 0);
	FUZZ_CHECK(lang_catalog_encode(&e2, &n2, back) == 0);
	FUZZ_CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0);
	free(e1);
	free(e2);
	lang_catalog_free(back);
	lang_catalog_free(cat);
}

/* FNV-1a: a deterministic choice of corruptions per input. */
static uint64_t hash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void codec_round_trip(const struct lang_catalog *cat, const uint8_t *data, size_t size)
{
	void *e1 = NULL, *e2 = NULL;
	size_t n1 = 0, n2 = 0;
	struct lang_diag d = LANG_DIAG_INIT;

	FUZZ_CHECK(lang_catalog_encode(&e1, &n1, cat) == 0);
	struct lang_catalog *back = NULL;
	if (lang_catalog_decode(&back, e1, n1, &d) != 0) {
		fprintf(stderr, "decode of a fresh encoding failed: %s\n", d.message);
		abort();
	}
	FUZZ_CHECK(back->n_nodes == cat->n_nodes && back->n_edges == cat->n_edges &&
	           back->n_interfaces == cat->n_interfaces);
	check_lookups(cat);
	check_lookups(back);
	FUZZ_CHECK(lang_catalog_encode(&e2, &n2, back) == 0);
	FUZZ_CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0);
	free(e2);
	lang_catalog_free(back);

	/* The one-call path builds the same catalog. */
	struct lang_catalog *again = NULL;
	FUZZ_CHECK(lang_catalog_from_text(&again, (const char *)data, size, &d) == 0);
	FUZZ_CHECK(lang_catalog_encode(&e2, &n2, again) == 0);
	FUZZ_CHECK(n1 == n2 && memcmp(e1, e2, n1) == 0);
	free(e2);
	lang_catalog_free(again);

	/* Damaged encodings: one byte changed, then the tail cut off. */
	uint64_t h = hash(data, size);
	uint8_t *bad = malloc(n1);
	FUZZ_CHECK(bad != NULL);
	for (int k = 0; k < 4; k++, h = h * 6364136223846793005ull + 1442695040888963407ull) {
		memcpy(bad, e1, n1);
		size_t at = (size_t)(h >> 11) % n1;
		bad[at] ^= (uint8_t)((h >> 3) | 1);
		decode_stable(bad, n1);
		decode_stable(e1, at);
	}
	free(bad);
	free(e1);
}

static void public_api(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	for (int json = 0; json <= 1; json++) {
		char *report = NULL;
		int rc = grove_schema_check(&report, text, "fuzz.pg", json);
		FUZZ_CHECK(rc == 0 || rc == GROVE_EPARSE);
		FUZZ_CHECK(report != NULL);
		grove_free(report);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	struct lang_diag d = LANG_DIAG_INIT;
	struct pg_schema *schema = NULL;

	if (lang_schema_parse(&schema, src, size, &d) != 0) {
		FUZZ_CHECK(schema == NULL);
		check_failure(&d, LANG_PREFIX_PARSE, size);
		lang_diag_clear(&d);
	} else {
		struct lang_catalog *cat = NULL;
		if (lang_catalog_build(&cat, schema, &d) != 0) {
			FUZZ_CHECK(cat == NULL);
			check_failure(&d, LANG_PREFIX_CATALOG, size);
			lang_diag_clear(&d);
		} else {
			codec_round_trip(cat, data, size);
			lang_catalog_free(cat);
		}
		lang_schema_free(schema);
	}
	public_api(data, size);
	return 0;
}
