/*
 * direct.h — the O_DIRECT descriptor of the segment being written, and
 * the lock that keeps a dead writer's direct writes from landing on a
 * new writer's records.
 *
 * A direct write is issued by io_uring_enter in the appending thread
 * (backend_uring.c) and is on its way to the device, not in the page
 * cache.  If the process is killed then, the kernel finishes the write
 * after the process is gone, possibly after another process has opened
 * the log, cut the tail the write had not reached yet and appended its
 * own records there: the late write would replace them.  The request
 * holds a reference to the descriptor's open file description until it
 * completes, so an exclusive flock() taken on that description lasts
 * until the last such write is done.  A process that opens the log for
 * appending first waits for that lock (log_direct_wait), then takes it on
 * its own direct descriptor (log_direct_open).
 *
 * A forked child would keep the lock for as long as it lives; fork()
 * therefore points the child's copies of these descriptors at /dev/null
 * (a child must not write its parent's log anyway).
 */
#ifndef GROVE_LOG_DIRECT_H
#define GROVE_LOG_DIRECT_H

#include <stdint.h>

/* How long log_direct_wait waits for another description's lock. */
#define LOG_DIRECT_WAIT_MS 30000u

/* Segment `first_lsn` opened O_DIRECT, with its writer lock, or -1: the
 * file system refuses O_DIRECT or flock, the lock is held elsewhere, or
 * the environment says GROVE_LOG_DIRECT=off (then the log writes through
 * the page cache). */
int log_direct_open(int dirfd, uint64_t first_lsn);

/* Close what log_direct_open returned (-1 is ignored). */
void log_direct_close(int fd);

/* Wait until no other open file description of segment `first_lsn`
 * holds its writer lock: the direct writes of an earlier writer, even a
 * killed one, are then on disk or failed.  0, or GROVE_EBUSY after
 * LOG_DIRECT_WAIT_MS (a writer is still alive). */
int log_direct_wait(int dirfd, uint64_t first_lsn);

#endif
