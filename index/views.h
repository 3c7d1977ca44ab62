/*
 * views.h — the LMDB environment that holds Grove's materialized views of
 * the operation log (DESIGN.md §4), and its named databases.
 *
 *   meta      "applied_lsn", "replay_from", "next_id", "next_layer",
 *             "catalog" (the catalog in force, msgpack), "schema" (its text)
 *   branches  name -> branch record (branch.h)
 *   layers    layer u32 -> layer record: parent layer and fork LSN
 *   commits   commit id (16 bytes) -> commit record (commit.h)
 *   ids       type u32 | id bytes -> internal entity id u64   (global)
 *   names     entity u64 -> type u32 | id bytes               (global)
 *   rows      layer | type | entity | ~lsn -> row (row.h) or tombstone
 *   adj       layer | edge type | dir | node | edge | ~lsn -> other node
 *   pidx      layer | type | prop | value | entity | ~lsn -> "" or tombstone
 *   chg       layer | lsn | type | entity -> op (1 put, 2 delete): what each
 *             event changed, in LSN order, so diffs, commit changes and
 *             merges read exactly the entities an LSN range touched
 *
 * Every view is derived from the log.  Applying one event is one LMDB write
 * transaction that also advances "applied_lsn", so the views always equal
 * the log up to applied_lsn exactly (DESIGN.md §4, docs/durability.md).
 */
#ifndef GROVE_INDEX_VIEWS_H
#define GROVE_INDEX_VIEWS_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "index/idcache.h"

#define VIEWS_IDLE_READS 16

struct adjc;

struct views {
	MDB_env *env;
	MDB_dbi meta, branches, layers, commits, ids, names, rows, adj, pidx, chg;
	/* apply.c's id cache for the event being applied (writers only: one
	 * apply at a time per environment). */
	void *apply_cache;
	/* Its table for a big event, made ready ahead (views_prepare_ids). */
	struct id_spare ids_spare;
	/* Adjacency ranges kept in memory for traversals (adjcache.h). */
	struct adjc *adjc;
	bool writemap;             /* MDB_WRITEMAP (every environment opened)  */
	/* Huge pages for the map (views_huge.c). */
	bool huge;                 /* the map is advised MADV_HUGEPAGE now       */
	bool map_sought;           /* map_base was looked for                 */
	uintptr_t map_base;        /* where the map starts; 0: not found, or
				      the kernel refused advice          */
	/* Ended read transactions kept for views_read_begin to renew: reset,
	 * so they hold no snapshot, only their reader slot (MDB_NOTLS: any
	 * thread may renew one). */
	pthread_mutex_t idle_mu;
	MDB_txn *idle[VIEWS_IDLE_READS];
	unsigned n_idle;
};

/* Open (creating if needed) the environment in directory `dir`.  The map
 * is `map_bytes` of address space (0: 1 TiB); the file grows as needed. */
int views_open(struct views **out, const char *dir, uint64_t map_bytes);
/* Close, after writing everything committed to disk. */
void views_close(struct views *v);
/* The same, returning whether the write succeeded (0, or an error), with
 * flags: NOSYNC for views about to be deleted (nothing is written);
 * UNCACHE to drop the written pages from the page cache afterwards (views
 * written with huge pages that a graph of 4 KiB pages will open next:
 * views_huge.c says why those folios should not stay).  The map is
 * unmapped before the file is synced (views.c says why). */
#define VIEWS_CLOSE_NOSYNC  0x1u
#define VIEWS_CLOSE_UNCACHE 0x2u
int views_close_sync(struct views *v, unsigned flags);

/* Open fresh views in `dir` for a rebuild: the same views, written
 * faster (MDB_WRITEMAP), for a process that alone has the graph open. */
int views_open_rebuild(struct views **out, const char *dir);

/* Page size of the map (views_huge.c): whether a fault brings in 2 MiB
 * (MADV_HUGEPAGE, VIEWS_HUGE_ON) or LMDB's 4 KiB (AUTO, the default, and
 * OFF; the state after views_open). */
#define VIEWS_HUGE_AUTO 0
#define VIEWS_HUGE_OFF  1
#define VIEWS_HUGE_ON   2
void views_set_huge(struct views *v, int mode);
/* For open_env: 4 KiB pages (the map is found when first advised). */
void views_huge_init(struct views *v);

/* Where the map starts (views_huge.c): 0 when it cannot be found. */
uintptr_t views_map_addr(struct views *v);

/* The pages a bulk write is about to take at the end of a WRITEMAP map,
 * faulted in ahead of it, on another thread (views_prefault.c): a huge
 * event's apply plans before writing each part, and runs the range on
 * the thread that gathers the next part. */
struct views_prefault {
	bool off;                  /* not WRITEMAP, or the map was not found  */
	uintptr_t base;            /* the map                                 */
	uint32_t psize;
	uint64_t map_bytes;
	uint64_t end0;             /* committed end of the map when begun     */
	uint64_t pages0;           /* the transaction's pages when begun      */
	uint64_t effects;          /* effects written since begun              */
	uint64_t done;             /* populated up to here (map offset)       */
	uint64_t from, to;         /* the range views_prefault_run populates  */
};
void views_prefault_begin(struct views_prefault *p, struct views *v, MDB_txn *txn);
/* Before writing the part of `now` effects, with `next` more after it:
 * the range to populate (empty when nothing is needed). */
void views_prefault_plan(struct views_prefault *p, struct views *v, MDB_txn *txn,
			 uint32_t now, uint32_t next);
/* Before a write of about `bytes` more (adjbulk.h): the range. */
void views_prefault_plan_bytes(struct views_prefault *p, struct views *v, MDB_txn *txn,
			       uint64_t bytes);
/* MADV_POPULATE_WRITE the planned range (any thread; best effort). */
void views_prefault_run(const struct views_prefault *p);

/* Views without adjacency write stamps (made before they existed, or
 * new) get them from the next LSN on (adjcache.h): until then no copy of
 * an adjacency range could serve a read at a branch head.  A write: for
 * the owner of views it has marked open (engine/db.c). */
int views_stamp_init(struct views *v);

/* Start writing the views' dirty pages to disk without waiting for them,
 * so that closing finds little left to write.  Best effort.  (The views
 * are opened MDB_NOSYNC: the log is the durable truth; they are written
 * to disk when closed, docs/durability.md.) */
void views_writeback_start(struct views *v);

/* Convert an LMDB return code into a Grove error with a message naming
 * `what` (log/error.h's message buffer).  MDB_NOTFOUND -> GROVE_ENOTFOUND. */
int views_error(int rc, const char *what);

/* A read transaction on the newest committed state.  It is a reset one
 * of views_read_end renewed when there is one (a renewal takes the newest
 * snapshot exactly as a begin does, without allocating or locking the
 * reader table). */
int views_read_begin(MDB_txn **out, struct views *v);
/* End a read transaction of views_read_begin (or mdb_txn_abort it). */
void views_read_end(struct views *v, MDB_txn *txn);
int views_write_begin(MDB_txn **out, struct views *v);

/* meta: u64 values (absent: 0) and byte values. */
int meta_get_u64(uint64_t *out, MDB_txn *txn, const struct views *v, const char *key);
int meta_put_u64(MDB_txn *txn, const struct views *v, const char *key, uint64_t val);
int meta_get(MDB_val *out, MDB_txn *txn, const struct views *v, const char *key);
int meta_put(MDB_txn *txn, const struct views *v, const char *key, const void *p, size_t n);

#endif
