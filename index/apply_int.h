/*
 * apply_int.h — what apply.c shares with apply_parts.c; internal to
 * index/.
 *
 * An effect event's effects become puts gathered in a set of batches
 * (apply_build), which are then written sorted (apply_flush).  The apply
 * state holds two sets, so that a huge event's next part can be gathered
 * on another thread while this one's are written.
 */
#ifndef GROVE_INDEX_APPLY_INT_H
#define GROVE_INDEX_APPLY_INT_H

#include <stdbool.h>

#include "index/adjcache.h"
#include "index/apply.h"
#include "index/putbatch.h"
#include "index/records.h"

enum { B_IDMAP, B_NAMES, B_ROWS, B_ADJ, B_PIDX, B_CHG, NBATCHES };

/* apply_build() without the transaction met an effect that needs it. */
#define APPLY_NEED_TXN 2   /* not 1: resolve_new() returns 1 for a new id */

struct apply_state;

/* apply_heads.c: the (layer, edge type) pairs a set of batches writes
 * adjacency of, and at which LSN: the apply notes each adjacency put
 * (adj_heads_note), tells the in-memory copies (adjcache.h) and stamps
 * them in meta when the set is written (adj_heads_stamp, which empties
 * it). */
struct adj_heads {
	struct adjc_written *at;
	uint32_t n, cap;
};
int adj_heads_note(struct adj_heads *h, uint32_t layer, uint32_t etype, uint64_t lsn);
int adj_heads_stamp(MDB_txn *txn, struct views *v, struct adj_heads *h);

/* The leading strings of a row: its id, and for edges src and dst
 * (row.h), read without unpacking the rest.  0, or -1 if malformed. */
struct row_ids {
	const uint8_t *id, *src, *dst;
	uint32_t id_len, src_len, dst_len;
};
int row_ids(struct row_ids *r, const uint8_t *row, size_t n, bool edge);

/* The branch an event writes, and where its puts go. */
struct apply_branch {
	const char *name;
	struct apply_state *s;
	struct branch_rec rec;
	struct layer_chain chain;   /* the branch as of before this event   */
	uint64_t next_id;           /* meta "next_id", written back once    */
	uint64_t first_new;         /* next_id as the event began: the ids
				       from it on are the event's new ones */
	/* Gather without the write transaction (another thread writes
	 * through it), reading the views as of before the event through
	 * rtxn (or not at all when it is NULL): stop at the first effect
	 * that needs the write transaction. */
	bool no_txn;
	MDB_txn *rtxn;
};

/* A huge event's adjacency is held back from its parts' batches and
 * written at its end (adjbulk.h): begin before the first part; end
 * writes it (write) or forgets it (the event failed). */
void apply_bulk_begin(struct apply_branch *b);
size_t apply_bulk_count(const struct apply_branch *b);
int apply_bulk_end(MDB_txn *txn, struct views *v, struct apply_branch *b, uint64_t lsn, bool write);

/* Open the branch event `ev` writes, as of before it (name: room for
 * BRANCH_NAME_MAX + 1 bytes), and the apply state of event `lsn`. */
int apply_begin(struct apply_branch *b, char *name, MDB_txn *txn, struct views *v,
		uint64_t lsn, const struct event *ev);

/* The event failed: forget its ids and puts (views_apply does this when
 * the event ends). */
void apply_end(struct views *v);

/* Room in the id cache for the ids of n more effects, at once: growing
 * it step by step rehashes a table far larger than the CPU caches (a
 * hint: failing is harmless). */
void apply_reserve_ids(struct apply_branch *b, uint32_t n);

/* Ask `h` (event.h; NULL: none) for an id before searching the id map,
 * until the event ends: the plan already searched the map for its edges'
 * endpoints, in key order (2M edges into a graph of 1M nodes: ~1M
 * searches, some 1.7 s of gathering, spared).  Sound because the id map
 * only gains entries: an id it held when the plan read it has that
 * entity for good.  The answers are only taken where the views would be
 * asked (an entity that exists), so they change no id. */
void apply_take_hints(struct apply_branch *b, const struct event_id_hints *h);

/* Gather the puts of effects [*done, n) into the current set, advancing
 * *done past each one applied: 0, an error, or APPLY_NEED_TXN (b->no_txn
 * and effect *done needs the views; nothing of it was applied). */
int apply_build(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
		struct apply_branch *b, uint64_t lsn, const struct event_effect *fx, uint32_t n,
		uint32_t *done);

/* The set gathered so far; puts go to the other set from now on. */
struct put_batch *apply_switch(struct apply_branch *b);

/* Write a set's puts (emptying it) and meta "next_id". */
int apply_flush(MDB_txn *txn, struct views *v, struct put_batch *set, uint64_t next_id);

/* Sort the puts gathered so far (no transaction needed: the helper
 * sorts its part, so that the part's flush only writes). */
void apply_sort(struct apply_branch *b);

/* Forget a set's puts; apply_discard_all: both sets'. */
void apply_discard(struct apply_state *s, struct put_batch *set);
void apply_discard_all(struct apply_branch *b);

#endif
