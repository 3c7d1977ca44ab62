/*
 * lang/catalog.h — the typed view of a schema (spec §2.6) used by the
 * typechecker and the engine, and its msgpack encoding.
 *
 * A catalog is built from a parsed schema (lang_catalog_build) or decoded
 * from bytes (lang_catalog_decode); either way it is immutable afterwards
 * and owns all its memory (one arena).
 *
 * Identity.  Node and edge types get numeric ids unique across both kinds
 * (nodes first, then edges, each in alphabetical order at creation;
 * interfaces after them).  Within a type, properties get ids in
 * alphabetical order of their names (spec §7.7): a composite key's member
 * order is the order of these ids.  Ids are what the engine stores; names
 * may change through migrations (@rename_from), ids do not.
 */
#ifndef GROVE_LANG_CATALOG_H
#define GROVE_LANG_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"
#include "lang/diag.h"
#include "lang/schema_ast.h"
#include "lang/types.h"

#define LANG_CATALOG_FORMAT_VERSION 1u
#define LANG_CATALOG_ENCODED_MAX_BYTES (64u * 1024u * 1024u)

struct lang_cat_kwarg {
	const char *name;
	const char *value;
};

/* An annotation as written (metadata; custom ones are kept too). */
struct lang_cat_annotation {
	const char *name;
	const char *value;                /* NULL: no positional argument     */
	uint32_t n_kwargs;
	struct lang_cat_kwarg *kwargs;    /* sorted by name                   */
};

struct lang_cat_property {
	uint32_t id;                      /* stable within its type, >= 1     */
	const char *name;
	struct lang_type type;
	const char *embed_source;         /* @embed source property, or NULL  */
	const char *embed_model;          /* @embed model="...", or NULL      */
	const char *rename_from;          /* migration hint, or NULL          */
	const char *description;          /* @description, or NULL            */
	const char *interface_name;       /* injected from it, or NULL        */
	uint32_t n_annotations;
	struct lang_cat_annotation *annotations;
};

/* A column set of a key/unique/index: names sorted and unique. */
struct lang_cat_colset {
	uint32_t n;
	const char **columns;
};

struct lang_cat_range {
	const char *property;
	struct pg_bound min, max;         /* present = 0: open end            */
};

struct lang_cat_check {
	const char *property;
	const char *pattern;              /* regex, compiled only when used    */
};

enum lang_cat_kind {
	LANG_CAT_INTERFACE = 1,
	LANG_CAT_NODE = 2,
	LANG_CAT_EDGE = 3,
};

struct lang_cat_type {
	enum lang_cat_kind kind;
	uint32_t id;
	const char *name;
	uint32_t n_props;
	struct lang_cat_property *props;  /* declared order, injected last     */
	uint32_t next_prop_id;            /* first id a new property may take  */
	/* nodes */
	uint32_t n_implements;
	const char **implements;
	int has_key;
	struct lang_cat_colset key;
	/* nodes and edges */
	uint32_t n_unique;
	struct lang_cat_colset *unique;
	uint32_t n_index;                 /* includes the key's implied index  */
	struct lang_cat_colset *index;
	uint32_t n_range;
	struct lang_cat_range *ranges;
	uint32_t n_check;
	struct lang_cat_check *checks;
	/* edges */
	const char *from_type;
	const char *to_type;
	uint32_t from_id, to_id;
	uint32_t card_min;                /* default 0..* */
	int has_card_max;
	uint32_t card_max;
	/* type-level metadata (nodes, edges) */
	const char *description;
	const char *instruction;
	const char *rename_from;
	uint32_t n_annotations;
	struct lang_cat_annotation *annotations;
};

struct lang_catalog {
	struct lang_arena arena;
	uint32_t next_type_id;
	uint32_t n_interfaces, n_nodes, n_edges;
	struct lang_cat_type *interfaces; /* each array sorted by name */
	struct lang_cat_type *nodes;
	struct lang_cat_type *edges;
};

/* Build the catalog of a parsed schema.  On failure returns -1 with a
 * "catalog error: ..." message (spec §2.6) and *out NULL. */
int lang_catalog_build(struct lang_catalog **out, const struct pg_schema *schema, struct lang_diag *diag);

/* Parse + build in one call (what `init` and `schema check` do). */
int lang_catalog_from_text(struct lang_catalog **out, const char *src, size_t len, struct lang_diag *diag);

void lang_catalog_free(struct lang_catalog *cat);

/* Lookups; NULL when absent.  Edge lookup is exact first, then
 * case-insensitive on the whole name (spec §2.6). */
const struct lang_cat_type *lang_catalog_node(const struct lang_catalog *cat, const char *name);
const struct lang_cat_type *lang_catalog_edge(const struct lang_catalog *cat, const char *name);
const struct lang_cat_type *lang_catalog_interface(const struct lang_catalog *cat, const char *name);
const struct lang_cat_property *lang_cat_type_prop(const struct lang_cat_type *t, const char *name);

/* msgpack encoding.  Encoding is deterministic: equal catalogs give equal
 * bytes, and decode(encode(c)) encodes to the same bytes.  *out is
 * malloc'd (free()).  Decoding validates everything it reads and fails with
 * "catalog error: corrupt encoded catalog: ..." */
int lang_catalog_encode(void **out, size_t *out_len, const struct lang_catalog *cat);
int lang_catalog_decode(struct lang_catalog **out, const void *buf, size_t len, struct lang_diag *diag);

#endif /* GROVE_LANG_CATALOG_H */
