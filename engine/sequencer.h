/*
 * sequencer.h — the commit pipeline of DESIGN.md §5.
 *
 * A write arrives planned (its effects resolved on the newest state of its
 * branch, under that branch's lock).  The sequencer logs its event(s) and
 * applies them to the views strictly in LSN order, each event in one LMDB
 * write transaction together with the new applied LSN (or a batch of
 * combined mutations in one: seq_batch_begin), while the log puts the
 * records on disk (seq_commit_begin).  order_mu makes the log-and-apply
 * of one write, or of one batch, exclusive.  A writer may
 * then release its branch lock — the next writer of the branch plans on
 * the applied state, and its record can share the same fsync (early lock
 * release) — and waits until its record is durable (seq_commit_end).  Only
 * then does it return: an acknowledged write is on disk and visible to the
 * next read.
 *
 * Views may thus run ahead of the durable log by the records in flight.
 * Readers never see that: a branch read steps back to its newest durable
 * commit (engine/commit.c), and seq_read_fence() holds other reads until
 * everything their snapshot may contain is durable.  A process killed in
 * that window leaves views ahead of the log; open then discards and
 * rebuilds them.
 *
 * A load too large for one log record is several LOAD_CHUNK records with
 * one commit; only the last one's apply changes the views (all effects at
 * once), so no reader ever sees part of a load.  While a load's chunks are
 * logged but not applied, meta "replay_from" stays at its first chunk so
 * recovery replays the whole load.
 *
 * A failure after an event was logged (an apply error, a poisoned log) is
 * fatal for the handle: it is poisoned and every later write fails;
 * reopening replays the log.
 */
#ifndef GROVE_ENGINE_SEQUENCER_H
#define GROVE_ENGINE_SEQUENCER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

#include "index/records.h"
#include "log/event.h"

#define SEQ_MAX_OPEN_LOADS 64u

struct sequencer {
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* applied_lsn moved                 */
	pthread_cond_t cv_durable;      /* durable_lsn moved (readers wait)  */
	_Atomic uint64_t applied_lsn;   /* every LSN <= this is consumed     */
	_Atomic uint64_t visible_lsn;   /* no snapshot holds an LSN above it:
					 * set before each apply's commit    */
	uint64_t durable_lsn;           /* every LSN <= this is acknowledged */
	uint32_t n_fenced;              /* readers waiting on cv_durable     */
	uint64_t open_loads[SEQ_MAX_OPEN_LOADS]; /* first LSN of each load in flight */
	uint32_t n_open_loads;
	uint32_t n_reserved;            /* slots promised to loads not yet logged */
	_Atomic int poisoned;
	/* Held by a write from its checks to its apply's commit: LSNs are
	 * taken and applied in one order, and checks that read the views
	 * (idkey.h) see every write before them. */
	pthread_mutex_t order_mu;
	/* A batch (seq_batch_begin): one write transaction that the writes
	 * of one thread are applied in, committed once at its end. */
	MDB_txn *batch_txn;
	uint64_t batch_lsn;             /* the last LSN applied in it, or 0 */
	uint64_t batch_effects;         /* effects applied in it             */
	uint16_t batch_kind;            /* its event's kind and branch       */
	size_t batch_branch_len;
	char batch_branch[BRANCH_NAME_MAX + 1];
};

struct grove_db;

void seq_init(struct sequencer *s, uint64_t applied_lsn);
void seq_destroy(struct sequencer *s);

/* Log `n` events that make one commit (n > 1: the chunks of a load, the
 * last with ev.last set) and apply them.  `effects` are all effects of the
 * commit (for one event: its own).  Sets *out_lsn to the LSN of the last
 * event.  On success the caller must call seq_commit_end(*out_lsn). */
int seq_commit_begin(struct grove_db *db, const struct event *events, uint32_t n,
		     const struct event_effect *effects, uint32_t neffects, uint64_t *out_lsn);

/* Wait until the commit ending at `lsn` is durable: its acknowledgement. */
int seq_commit_end(struct grove_db *db, uint64_t lsn);

/* A batch: until seq_batch_end, every commit this thread begins is
 * applied in one LMDB write transaction, opened by the first apply, and
 * no other thread logs or applies anything.  Plans read the committed
 * views until then (the newest state: nothing else can commit), and
 * through that transaction after it (seq_batch_txn).  Each
 * commit still has its own log record; a batch of mutations so shares
 * the copy-on-write of the pages they touch and one LMDB commit instead
 * of one per write.  Views change at seq_batch_end, all at once; a
 * commit begun in a batch is durable only after it (seq_commit_end).
 * seq_batch_end fails if any commit of the batch failed past the log
 * (the handle is poisoned then, and no view changed). */
int seq_batch_begin(struct grove_db *db);
int seq_batch_end(struct grove_db *db);

/* A batch holding SEQ_BATCH_EFFECTS effects ends before the next commit:
 * the pages one LMDB transaction dirties stay bounded.  seq_batch_effects
 * is the bound in force (tests lower it). */
#define SEQ_BATCH_EFFECTS 65536u
extern uint32_t seq_batch_effects;
bool seq_batch_full(struct grove_db *db);

/* The calling thread's batch transaction: NULL outside a batch, and in
 * one until its first apply. */
MDB_txn *seq_batch_txn(struct grove_db *db);

/* Both: log, apply, wait until durable.  out_lsn may be NULL. */
int seq_commit(struct grove_db *db, const struct event *events, uint32_t n,
	       const struct event_effect *effects, uint32_t neffects, uint64_t *out_lsn);

/* Called by a reader after it began its LMDB read transaction: wait until
 * every write the transaction can see is durable, so no read ever returns
 * a write that a crash could still take back.  Free when nothing is in
 * flight (two atomic loads). */
int seq_read_fence(struct grove_db *db);

#endif
