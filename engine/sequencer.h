/*
 * sequencer.h — the commit pipeline of DESIGN.md §5.
 *
 * A write arrives planned (its effects resolved on the newest state of its
 * branch, under that branch's lock).  The sequencer logs its event(s) —
 * many writers' records share one fsync through the log's group commit —
 * waits until they are durable, then applies them to the views strictly in
 * LSN order, each event in one LMDB write transaction together with the
 * new applied LSN.  Only then does the writer return: an acknowledged
 * write is on disk and visible to the next read.
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
#include <stdatomic.h>
#include <stdint.h>

#include "log/event.h"

#define SEQ_MAX_OPEN_LOADS 64u

struct sequencer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t applied_lsn;           /* every LSN <= this is consumed     */
	uint64_t open_loads[SEQ_MAX_OPEN_LOADS]; /* first LSN of each load in flight */
	uint32_t n_open_loads;
	uint32_t n_reserved;            /* slots promised to loads not yet logged */
	_Atomic int poisoned;
};

struct grove_db;

void seq_init(struct sequencer *s, uint64_t applied_lsn);
void seq_destroy(struct sequencer *s);

/* Log `n` events that make one commit (n > 1: the chunks of a load, the
 * last with ev.last set), wait until durable, apply.  `effects` are all
 * effects of the commit (for one event: its own).  Sets *out_lsn to the
 * LSN of the last event. */
int seq_commit(struct grove_db *db, const struct event *events, uint32_t n,
	       const struct event_effect *effects, uint32_t neffects, uint64_t *out_lsn);

#endif
