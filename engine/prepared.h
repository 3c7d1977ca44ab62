/*
 * engine/prepared.h — compiled `.gq` queries cached per handle, so a query
 * run again skips parse, typecheck and lowering.  Private to engine/.
 *
 * Key.  (kind, catalog, query name, source text): the kind because a read
 * and a mutation compile the same text differently; the catalog because a
 * query compiles against the catalog in force (engine_catalog()), and a
 * schema apply installs a new catalog object.  Catalogs are identified by
 * address: a handle never frees a catalog that was in force while queries
 * ran (schema_hist.h retires it until close), so no later catalog can take
 * an old one's address, and an entry compiled against a replaced catalog
 * can never be found again; it ages out of the cache.
 *
 * Sharing.  An entry is immutable once published and reference counted:
 * prepared_get() returns it with a reference the caller drops with
 * prepared_release(); the cache holds one reference of its own.  Any
 * number of threads may use one entry at once (the executor only reads
 * the IR and the checked query).  The cache holds PREPARED_MAX entries and
 * evicts by the clock algorithm; an evicted entry in use lives until its
 * last user releases it.  Failures are not cached: a query that does not
 * compile is compiled (and reports its error) on every call.
 */
#ifndef GROVE_ENGINE_PREPARED_H
#define GROVE_ENGINE_PREPARED_H

#include <stdint.h>

#include "engine/db.h"
#include "lang/ir.h"
#include "lang/query_ast.h"
#include "lang/typecheck.h"

#define PREPARED_MAX 64u                /* entries per handle               */
#define PREPARED_SRC_MAX (1u << 20)     /* longer texts are compiled, never
                                         * cached (bounds the cache's bytes) */

struct prepared_cache;

enum prepared_kind {
	PREPARED_READ,
	PREPARED_MUTATION,
};

/* One compiled query.  file, checked and ir are filled by the compile
 * function and read-only afterwards; the rest is the cache's. */
struct prepared {
	struct gq_file *file;           /* parsed from `src` below (the AST
	                                 * points into it)                   */
	struct gq_checked *checked;
	struct gq_ir_query *ir;

	uint64_t hash;
	enum prepared_kind kind;
	const struct lang_catalog *cat; /* what it was compiled against      */
	char *name;                     /* NULL: the caller passed none      */
	char *src;
	size_t src_len;
	unsigned refs;                  /* atomic                            */
	unsigned used;                  /* the clock's reference bit (atomic) */
};

/* Compile the query `name` of `src` against `cat` into p->file, p->checked
 * and p->ir, reporting errors on db (its return code).  Whatever it
 * allocated before failing is freed by the caller. */
typedef int (*prepared_compile_fn)(struct prepared *p, grove_db *db, const struct lang_catalog *cat,
                                   const char *src, const char *name);

/* The compiled query for (kind, the catalog in force, name, src): from the
 * cache, or compiled with `compile` and cached.  0 and *out (release it),
 * or the compile function's error with *out NULL. */
int prepared_get(struct prepared **out, grove_db *db, enum prepared_kind kind, const char *src,
                 const char *name, prepared_compile_fn compile);

/* Drop a reference from prepared_get() (NULL is ignored). */
void prepared_release(struct prepared *p);

/* Counters since the handle opened (tests, diagnostics). */
struct prepared_stats {
	uint64_t hits, misses, evictions;
	uint32_t entries;
};
void prepared_stats(struct prepared_stats *out, grove_db *db);

/* Free a handle's cache (db_free); entries still in use are not freed
 * here, but nothing may use them after their handle closes. */
void prepared_cache_free(struct prepared_cache *c);

#endif /* GROVE_ENGINE_PREPARED_H */
