/* engine/embed.c — the mock embedder of String nearest() queries (embed.h). */
#include "engine/embed.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/error.h"

static const char *env2(const char *ours, const char *omnigraphs)
{
	const char *v = getenv(ours);
	return v && *v ? v : getenv(omnigraphs);
}

/* OmniGraph's mock: OMNIGRAPH_EMBEDDINGS_MOCK=1, or the provider alias
 * "mock" (OMNIGRAPH_EMBED_PROVIDER), under either name prefix. */
static bool mock_on(void)
{
	const char *v = env2("GROVE_EMBEDDINGS_MOCK", "OMNIGRAPH_EMBEDDINGS_MOCK");
	const char *provider = env2("GROVE_EMBED_PROVIDER", "OMNIGRAPH_EMBED_PROVIDER");
	return (v && (!strcmp(v, "1") || !strcasecmp(v, "true"))) ||
	       (provider && !strcasecmp(provider, "mock"));
}

/* What OmniGraph's configured provider would need (its error text). */
static const char *provider_keys(const char **name)
{
	const char *provider = env2("GROVE_EMBED_PROVIDER", "OMNIGRAPH_EMBED_PROVIDER");
	if (provider && !strcasecmp(provider, "gemini")) {
		*name = "gemini";
		return "GEMINI_API_KEY";
	}
	if (provider && !strcasecmp(provider, "openai")) {
		*name = "openai";
		return "OPENAI_API_KEY";
	}
	*name = "openai-compatible";
	return "OPENROUTER_API_KEY or OPENAI_API_KEY";
}

static uint64_t fnv1a64(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t xorshift64(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* OmniGraph's mock_embedding(text, dim), to the bit. */
static void mock_embedding(const char *text, size_t n, float *out, size_t dim)
{
	uint64_t seed = fnv1a64(text, n);
	double sum = 0;
	for (size_t i = 0; i < dim; i++) {
		seed = xorshift64(seed);
		float ratio = (float)((double)seed / (double)UINT64_MAX);
		out[i] = ratio * 2.0f - 1.0f;
		sum += (double)out[i] * (double)out[i];
	}
	float norm = (float)sqrt(sum);
	if (norm > FLT_EPSILON)
		for (size_t i = 0; i < dim; i++)
			out[i] /= norm;
}

int embed_query(grove_db *db, const struct lang_cat_type *t, const struct lang_cat_property *p,
		const char *text, size_t n, float *out, size_t dim)
{
	if (!mock_on()) {
		const char *name, *keys = provider_keys(&name);
		return db_error(db, GROVE_EINVAL, "nearest(): a String query needs an embedding model "
		                "to turn it into a vector: %s is required for the %s embedding provider, "
		                "and Grove calls no provider (GROVE_EMBEDDINGS_MOCK=1 gives OmniGraph's "
		                "deterministic test embedder); pass a Vector(%zu) instead", keys, name, dim);
	}
	/* The mock's model is the configured one, or none (""). */
	const char *model = env2("GROVE_EMBED_MODEL", "OMNIGRAPH_EMBED_MODEL");
	if (model == NULL)
		model = "";
	if (p->embed_model && strcmp(p->embed_model, model))
		return db_error(db, GROVE_EINVAL, "nearest() on '%s.%s': its stored vectors were embedded "
		                "with model '%s', but the query embedder resolves to '%s'. Vectors from "
		                "different models do not compare", t->name, p->name, p->embed_model, model);
	mock_embedding(text, n, out, dim);
	return 0;
}
