/*
 * engine/embed.h — turning a String query into a vector for nearest()
 * (spec §3.11, `@embed`), private to engine/.
 *
 * Grove calls no embedding service.  It has OmniGraph's deterministic
 * mock embedder, for tests, when GROVE_EMBEDDINGS_MOCK (or OmniGraph's
 * OMNIGRAPH_EMBEDDINGS_MOCK) is 1: FNV-1a of the text seeds xorshift64,
 * each draw maps to [-1, 1], and the vector is scaled to length 1.  When
 * the property records its model (`@embed(src, model="m")`) and
 * GROVE_EMBED_MODEL (or OMNIGRAPH_EMBED_MODEL) names another, the query
 * is refused, naming both (vectors of two models do not compare).
 */
#ifndef GROVE_ENGINE_EMBED_H
#define GROVE_ENGINE_EMBED_H

#include <stddef.h>

#include "engine/db.h"
#include "lang/catalog.h"

/* The embedding of text[0..n) for property p of type t into out[dim]:
 * 0, or GROVE_EINVAL with the handle's message set. */
int embed_query(grove_db *db, const struct lang_cat_type *t, const struct lang_cat_property *p,
		const char *text, size_t n, float *out, size_t dim);

#endif
