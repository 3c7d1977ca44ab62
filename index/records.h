/*
 * records.h — the branch, layer and commit records of the views.
 *
 * A branch is a name pointing at a layer (DESIGN.md §4): the layer holds
 * the branch's own writes; its parent layer is read as of the fork LSN.
 * Layers outlive their branch's name (a commit of a deleted branch still
 * names its layer), so time travel to any commit keeps working.
 * All records are fixed little-endian structs plus trailing bytes.
 */
#ifndef GROVE_INDEX_RECORDS_H
#define GROVE_INDEX_RECORDS_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "index/views.h"
#include "log/commit_id.h"

#define BRANCH_NAME_MAX 255u
#define ACTOR_MAX 255u
#define LAYER_CHAIN_MAX 256u   /* nested branches deeper than this are refused */

struct branch_rec {
	uint32_t layer;
	uint32_t parent_layer;     /* the layer of the branch it was created from */
	uint64_t head_lsn;         /* LSN of the head commit: the read cutoff     */
	struct commit_id head;     /* the head commit                             */
	uint64_t created_lsn;      /* LSN of the branch-create event              */
	uint64_t version;          /* graph_version: the head commit's version    */
};
_Static_assert(sizeof(struct branch_rec) == 48, "branch record layout");

struct layer_rec {
	uint32_t parent;           /* 0: none (main's layer is 1)                 */
	uint32_t reserved;
	uint64_t fork_lsn;         /* parent versions <= this are visible          */
};
_Static_assert(sizeof(struct layer_rec) == 16, "layer record layout");

struct commit_rec {
	struct commit_id id;
	struct commit_id parent;         /* zero: none (genesis) */
	struct commit_id merged_parent;  /* zero: none */
	uint64_t lsn;
	int64_t time_us;
	uint64_t version;                /* graph_manifest_version */
	uint32_t layer;
	uint16_t kind;                   /* GROVE_EVENT_* that made it */
	uint16_t reserved;
	char branch[BRANCH_NAME_MAX + 1];
	char actor[ACTOR_MAX + 1];       /* "" : none */
};

int branch_get(struct branch_rec *out, MDB_txn *txn, const struct views *v, const char *name);
int branch_put(MDB_txn *txn, const struct views *v, const char *name, const struct branch_rec *b);
int branch_del(MDB_txn *txn, const struct views *v, const char *name);

int layer_get(struct layer_rec *out, MDB_txn *txn, const struct views *v, uint32_t layer);
int layer_put(MDB_txn *txn, const struct views *v, uint32_t layer, const struct layer_rec *l);

int commit_get(struct commit_rec *out, MDB_txn *txn, const struct views *v,
	       const struct commit_id *id);
int commit_put(MDB_txn *txn, const struct views *v, const struct commit_rec *c);

/* The layers a read of `layer` at `cutoff` consults, child first. */
struct layer_chain {
	uint32_t n;
	struct {
		uint32_t layer;
		uint64_t cutoff;
	} at[LAYER_CHAIN_MAX];
};

int layer_chain(struct layer_chain *out, MDB_txn *txn, const struct views *v,
		uint32_t layer, uint64_t cutoff);

#endif
