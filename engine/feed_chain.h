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

/* The most links one kept piece holds (its oldest go first), and one walk
 * keeps: feed_chain_max, FEED_CHAIN_MAX unless a test lowers it. */
#define FEED_CHAIN_MAX (1u << 20)
extern size_t feed_chain_max;

/* If a piece kept for branch incarnation (branch, inc) holds `at` and, at
 * or below it, `after` (NULL: the piece's root, if it reaches the genesis
 * commit): how many links lie above `after` up to `at` (*below), and the
 * first max_links of them from `after` itself into *out (malloc'd, oldest
 * first; *n of them); returns 1.  Else 0, or -ENOMEM. */
int feed_chain_splice(struct feed_link **out, size_t *n, uint64_t *below, grove_db *db,
		      const char *branch, uint64_t inc, const struct feed_link *at,
		      const struct feed_link *after, size_t max_links);

/* Keep v[0, n) (oldest first, each link the first parent of the next; v[0]
 * the genesis commit when from_root) for (branch, inc): joined to a kept
 * piece it overlaps, else in a slot of its own (an empty one, or the least
 * recently used).  Takes v. */
void feed_chain_keep(grove_db *db, const char *branch, uint64_t inc, struct feed_link *v,
		     size_t n, bool from_root);

void feed_chain_free(grove_db *db);

#endif
