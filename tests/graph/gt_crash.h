/* gt_crash.h — the harness of the crash tests: fork a writer child that
 * reports each acknowledged operation through a pipe, SIGKILL it (or let
 * it die at its failpoint), and hand the parent what was acknowledged. */
#ifndef GROVE_TESTS_GRAPH_GT_CRASH_H
#define GROVE_TESTS_GRAPH_GT_CRASH_H

#include <stddef.h>

#include "grove.h"

/* The child's work: write fixed-size acks to fd forever (never returns).
 * `failpoint` is already in its GROVE_FAILPOINT when it runs. */
typedef void (*gt_child_fn)(const char *dir, int fd, unsigned tag);

struct gt_crash {
	gt_child_fn child;
	size_t ack_size;          /* bytes of one ack record               */
	int max_wait_ms;          /* random wait after the first ack        */
	size_t total_acks, fired; /* acks seen; children dead at their failpoint */
};

/* One kill: fork the child with `failpoint` (or NULL), wait for its first
 * ack (at most 5 s), then up to 10 * max_wait_ms for it to die at its
 * failpoint, or with none a random 0..max_wait_ms; SIGKILL it, and
 * assert it died of a signal.  Returns its acks (malloc'd), *n of them. */
void *gt_crash_once(struct gt_crash *c, const char *dir, unsigned tag, const char *failpoint,
		    size_t *n);

/* One trial of the usual shape: two in three die at a failpoint of
 * `list` (each in turn, at its 1st..max_hit-th hit), the others at a
 * random moment; then open the graph twice (the second open must replay
 * nothing new), run check(db, acks, n) each time, and grove_verify. */
void gt_crash_trial(struct gt_crash *c, const char *dir, unsigned tag, const char *const *list,
		    size_t nlist, int max_hit,
		    void (*check)(grove_db *db, const void *acks, size_t n));

/* `name:N` with N in 1..max_hit, for the failpoint of `list` at index i
 * (mod n); into buf. */
const char *gt_failpoint(char *buf, size_t size, const char *const *list, size_t n, size_t i,
			 int max_hit);

/* Run trials(dir, t) for t in 0..count-1 ($GROVE_CRASH_TRIALS overrides
 * count), on a fresh graph of `schema` every per_graph trials; srand from
 * the time (logged); then assert the workload made progress. */
void gt_crash_run(struct gt_crash *c, const char *tag, const char *schema, int count, int per_graph,
		  void (*trial)(const char *dir, unsigned t));

#endif
