/*
 * feed_chain.h — the first-parent chains change feed polls walked, kept
 * by the handle for the next poll (feed_chain.c).  Private to engine/.
 */
#ifndef GROVE_ENGINE_FEED_CHAIN_H
#define GROVE_ENGINE_FEED_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/db.h"
#include "log/commit_id.h"

/* One commit of a chain. */
struct feed_link {
	uint64_t lsn;
	struct commit_id id;
};

/* The most links one kept chain holds (a longer walk is not kept). */
#define FEED_CHAIN_MAX (1u << 21)

/* If the chain kept for branch incarnation (branch, inc) holds `at` and,
 * at or below it, `after` (NULL: the chain's root, if it reaches the
 * genesis commit), copy its links from `after` up to `at` into *out
 * (malloc'd, oldest first; *n of them) and return 1; else 0, or -ENOMEM. */
int feed_chain_splice(struct feed_link **out, size_t *n, grove_db *db, const char *branch,
		      uint64_t inc, const struct feed_link *at, const struct feed_link *after);

/* Keep v[0, n) (oldest first, each link the first parent of the next; v[0]
 * the genesis commit when from_root) as the chain of (branch, inc),
 * replacing an older one of that branch or the least recently used.
 * Takes v. */
void feed_chain_keep(grove_db *db, const char *branch, uint64_t inc, struct feed_link *v,
		     size_t n, bool from_root);

void feed_chain_free(grove_db *db);

#endif
