/*
 * replay.h — applying the log to views: recovery on open, rebuild, verify.
 */
#ifndef GROVE_REPLAY_REPLAY_H
#define GROVE_REPLAY_REPLAY_H

#include <stdint.h>

#include "index/views.h"
#include "lang/catalog.h"
#include "log/log.h"

struct replay_stats {
	uint64_t events;        /* events applied         */
	uint64_t effects;       /* effects applied        */
	uint64_t skipped;       /* already in the views   */
	uint64_t orphan_chunks; /* chunks of loads that never committed */
	uint64_t last_lsn;
};

/* Apply every event of `log` after what `v` already holds (meta
 * "applied_lsn", from meta "replay_from").  *cat is the catalog in force
 * (NULL for empty views); it is replaced when a schema event is replayed. */
int replay_log(struct replay_stats *st, struct views *v, struct log *log,
	       struct lang_catalog **cat);

/* Effects and events per replay transaction (200000 and 10000); tests
 * lower them to commit after every event. */
extern uint32_t replay_txn_max_effects, replay_txn_max_events;

/* The catalog stored in the views (NULL in *out if none yet). */
int replay_load_catalog(struct lang_catalog **out, struct views *v);

/* Remove `path` and everything under it (0 when it does not exist). */
int replay_rmtree(const char *path);

#endif
