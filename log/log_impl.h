/*
 * log_impl.h — the log's internal state, shared by log.c (open, recovery,
 * close), writer.c (group commit) and cursor.c (reading).  Private to log/.
 */
#ifndef GROVE_LOG_IMPL_H
#define GROVE_LOG_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/backend.h"
#include "log/log.h"

/* A sparse index mark every LOG_MARK_BYTES of a segment bounds a seek's
 * scan to that many bytes. */
#define LOG_MARK_BYTES (256u * 1024u)

struct log_mark {
	uint64_t lsn;
	uint64_t offset;
};

/* One segment of the log as the process knows it. */
struct log_segment {
	uint64_t first_lsn;
	uint64_t bytes;
	struct log_mark *marks;   /* ascending; marks[0] is the first record */
	uint32_t nmarks, capmarks;
	bool marks_complete;      /* every mark of the segment is present   */
};

/* A batch buffer: records laid out exactly as they go to disk.  At most
 * one segment boundary per buffer: bytes [0, split) belong at `file_off`
 * of the segment being written, bytes [split, len) at the start of a new
 * segment whose first LSN is `split_lsn` (split_lsn == 0: no boundary). */
struct log_buf {
	uint8_t *data;
	size_t len, cap;
	uint64_t file_off;
	uint64_t last_lsn;
	uint32_t records;
	size_t split;
	uint64_t split_lsn;
	bool need_sync;
	bool unclaimed;          /* holds a record nobody promised to wait for */
};

/* A thread blocked until its record is written or durable.  Lives on the
 * waiting thread's stack.  The thread that finishes a batch unlinks the
 * satisfied ones, arranges them in a binary tree (`wake`), stores every
 * `result`, then wakes the root; each woken thread wakes its two children
 * before returning.  So one wake-up call per batch however many threads
 * wait, and the wake-ups fan out over the cores.  A waiter woken with
 * `reap` set is not satisfied: it is asked to finish the batch in flight. */
struct log_waiter {
	struct log_waiter *next;
	struct log_waiter *wake[2];
	uint64_t lsn;
	enum log_wait wait;
	int result;
	bool reap;
	_Atomic int done;
};

struct log {
	int dirfd;
	char *dir;
	struct log_options opt;
	struct log_backend *backend;

	pthread_mutex_t mu;          /* protects everything below            */
	pthread_cond_t cv_space;     /* appenders wait for buffer space, and
				      * close for the batch in flight        */

	struct log_buf fill;         /* being filled by appenders            */
	uint64_t next_lsn;           /* the next LSN to assign               */
	uint64_t tail_seg;           /* first LSN of the segment appends go to */
	uint64_t tail_off;           /* where the next record goes in it     */
	_Atomic uint64_t written_lsn; /* every record <= this is written;
				       * stored under mu, read without it    */
	_Atomic uint64_t durable_lsn; /* every record <= this is fdatasynced */
	uint64_t sync_request_lsn;   /* someone waits for durability to here */
	struct log_waiter *waiting;  /* blocked threads, any order           */
	_Atomic uint32_t waiters;    /* threads inside append/wait (bounded) */
	_Atomic int poisoned;        /* 0, or the fatal error               */
	char poison_msg[256];        /* why; set once, before `poisoned`    */
	bool closing;
	struct log_stats stats;

	struct log_segment *segs;    /* ascending by first_lsn               */
	size_t nsegs, capsegs;

	/* The batch in flight (writer.c).  Started under mu by whichever
	 * thread finds none in flight; finished without mu by one thread at a
	 * time (`reaping`), which then starts the next. */
	bool inflight;               /* `io` is being written                 */
	bool reaping;                /* a thread is finishing it              */
	bool nominated;              /* a waiter was woken to finish it       */
	bool io_started;             /* the backend has it; else finish writes */
	bool io_issued;              /* ... and issued it to the device itself */
	int io_err;                  /* start's failure, reported by finish   */
	enum log_sync io_sync;
	uint64_t io_target;          /* written/durable LSN once it is done   */
	uint64_t io_t0;
	struct log_buf io;           /* the batch being written              */
	struct log_waiter **ready;   /* max_waiters slots for release_waiters */
	int cur_fd;                  /* the segment being written            */
	int cur_dfd;                 /* ... opened O_DIRECT, or -1            */
	uint64_t cur_seg;            /* its first LSN                        */
};

/* writer.c */
int  log_writer_start(struct log *log);
void log_writer_stop(struct log *log);   /* write and sync what is pending */
void log_buf_free(struct log_buf *b);

/* log.c: add a sparse mark for a record at (segment, offset); caller holds mu. */
int log_mark_add(struct log_segment *seg, uint64_t lsn, uint64_t offset);
/* log.c: append a segment to the list; caller holds mu. */
int log_segment_push(struct log *log, uint64_t first_lsn, uint64_t bytes);

#endif
