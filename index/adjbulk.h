/*
 * adjbulk.h — a huge event's adjacency, held back and written in key
 * order once, at the event's end; internal to index/.
 *
 * Why: applied in parts (apply_parts.c), a huge event wrote each part's
 * adjacency puts sorted, but every part's keys spread over the whole
 * view (an edge's endpoints are any nodes), so each put went into a page
 * of the growing tree: inserts that split full pages, part after part.
 * In a 3M-effect rebuild the 4M adjacency puts took ~2 s of ~4.5.  Held
 * back, they are sorted by node (a counting sort: node ids are dense) and
 * written in one pass — into an empty range, every one an append.
 *
 * Only the apply writes adjacency and nothing in an event's apply reads
 * it back, so holding it to the event's end changes nothing another
 * reader could see; the view ends up with exactly the entries put-by-put
 * writing would give (the later of two puts of one key wins).
 */
#ifndef GROVE_INDEX_ADJBULK_H
#define GROVE_INDEX_ADJBULK_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "index/adjcache.h"

/* One (edge type, direction)'s entries, in the order they were put. */
struct adj_bulk_list {
	uint32_t etype;
	uint8_t dir;
	struct adj_bulk_ent *v;
	size_t n, cap;
};

struct adj_bulk {
	bool on;                    /* adjacency puts go here              */
	struct adj_bulk_list *lists;
	uint32_t n, cap;
	uint32_t last;              /* the list the last put went to        */
};

/* The entry (layer, etype, dir, node, edge, ~lsn) -> other, or a
 * tombstone when other is NULL. */
int adj_bulk_add(struct adj_bulk *b, uint32_t etype, uint8_t dir, uint64_t node, uint64_t edge,
		 const uint64_t *other);

size_t adj_bulk_count(const struct adj_bulk *b);

/* Forget the entries and their memory (an event's worth is big). */
void adj_bulk_clear(struct adj_bulk *b);

/* Write every entry, for the event at lsn writing layer, into dbi in key
 * order through one cursor, and empty b.  The in-memory copies c learn
 * the nodes written first (adjcache.h). */
int adj_bulk_flush(struct adj_bulk *b, MDB_txn *txn, MDB_dbi dbi, struct adjc *c, uint32_t layer,
		   uint64_t lsn);

#endif
