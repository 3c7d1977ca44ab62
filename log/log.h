/*
 * log.h — the operation log: the durable, ordered sequence of events that
 * is Grove's truth (DESIGN.md §3).  This is log/'s interface to the layers
 * below it in the table (index/, engine/, replay/).
 *
 * Appends are group-committed: any number of threads call log_append();
 * records gather in one buffer while the previous batch is on its way to
 * disk, and go out together as one io_uring write (RWF_DSYNC, or linked to
 * an fdatasync).  There is no writer thread: the appender that finds the
 * disk idle starts the I/O and returns, and a thread that waits for
 * durability finishes the batch in flight itself when nobody else is
 * (writer.c).  LSNs are assigned at append time,
 * dense and increasing from 1, so an append's LSN is its position in the
 * log.
 *
 * Errors: 0, a GROVE_E* code or -errno; log_errmsg() has the detail.  A
 * failed write or fdatasync is fatal: the log is poisoned and every later
 * append and wait returns GROVE_EPOISONED (the page cache may have dropped
 * the data, so retrying the fsync could report success falsely).
 */
#ifndef GROVE_LOG_LOG_H
#define GROVE_LOG_LOG_H

#include <stdint.h>

struct log;

struct log_options {
	uint64_t segment_bytes;     /* 0: 64 MiB; fixed when the log is created */
	uint32_t max_record_bytes;  /* 0: 40 MiB payload                       */
	uint32_t max_batch_bytes;   /* 0: 8 MiB per write                      */
	uint32_t max_waiters;       /* 0: 4096 threads blocked in the log      */
	int backend;                /* GROVE_LOG_BACKEND_*                     */
	/* Every record up to this LSN was durable when the graph was last
	 * closed cleanly (0: unknown).  Open then never cuts one of them as
	 * a torn tail, and refuses a log that ends before it: damage, not a
	 * crash (recover.h). */
	uint64_t acked_lsn;
};

/* What open found at the tail (see grove_recovery_report in grove.h). */
struct log_recovery {
	uint64_t last_lsn;
	uint64_t truncated_bytes;
	uint64_t truncated_lsn;
	uint64_t truncated_offset;
	char segment[32];
	uint32_t removed_segments;   /* half-created empty segments removed */
	uint64_t tail_scanned_bytes; /* bytes after the last intact record read
				      * to check them for stale writes: only
				      * what the file system reports as data
				      * (recover.c), not the whole segment   */
};

/* How long log_append() and log_wait() block. */
enum log_wait {
	LOG_WAIT_NONE = 0,   /* return once the record has its LSN          */
	LOG_WAIT_LATER,      /* the same, but start making it durable now:
			      * the caller will log_wait(DURABLE) for it    */
	LOG_WAIT_WRITTEN,    /* return once it is written (page cache)      */
	LOG_WAIT_DURABLE,    /* return once it is on disk (fdatasync)       */
};

/* Create an empty log in directory `dir` (created; must not exist). */
int log_create(const char *dir, const struct log_options *opts);

/* Open the log in `dir`: recover its tail (truncating a torn last record,
 * refusing corruption before it). */
int log_open(struct log **out, const char *dir, const struct log_options *opts,
	     struct log_recovery *report);

/* Write and fsync whatever is pending, free.  Returns the
 * poisoning error if the log had one. */
int log_close(struct log *log);

/* The largest payload this handle appends (its max_record_bytes). */
uint32_t log_max_record_bytes(const struct log *log);

/* Append one record of `kind` whose payload is `payload_bytes` at
 * `payload`.  The payload is copied before this returns.  Blocks as `wait`
 * says; may also block while the batch buffer is full (back-pressure).
 * GROVE_ETOOBIG if the payload exceeds max_record_bytes; GROVE_EBUSY if
 * max_waiters threads are already blocked. */
int log_append(struct log *log, uint64_t *out_lsn, uint16_t kind,
	       const void *payload, uint32_t payload_bytes, enum log_wait wait);

/* Block until every record <= lsn is written or durable, as `wait` says. */
int log_wait(struct log *log, uint64_t lsn, enum log_wait wait);

uint64_t log_last_lsn(struct log *log);      /* last LSN assigned  */
/* The last LSN known to be on disk.  It moves when a batch is finished:
 * by a thread waiting for durability, or by close. */
uint64_t log_durable_lsn(struct log *log);
const char *log_backend_name(const struct log *log);

/* Counters since open, for benchmarks and tests. */
struct log_stats {
	uint64_t records;      /* records appended            */
	uint64_t batches;      /* batches (write, sync or both) */
	uint64_t syncs;        /* fdatasyncs issued           */
	uint64_t direct;       /* batches the backend issued itself (direct writes) */
	uint64_t bytes;        /* bytes written               */
	uint64_t io_ns;        /* time from start to finish of batches */
	uint64_t wake_ns;      /* time publishing and waking waiters   */
};
void log_stats_get(struct log_stats *out, struct log *log);

/* Reading.  A cursor sees records up to the durable LSN at each step. */
struct log_cursor;

struct log_record_view {
	uint64_t lsn;
	uint16_t kind;
	uint32_t payload_bytes;
	const void *payload;     /* valid until the next cursor call */
};

int  log_cursor_open(struct log_cursor **out, struct log *log, uint64_t from_lsn);
/* 0 and a record; GROVE_ENOTFOUND past the last durable record; or
 * GROVE_ECORRUPT naming the segment and offset. */
int  log_cursor_next(struct log_cursor *cur, struct log_record_view *rec);
void log_cursor_close(struct log_cursor *cur);

/* The payload of the record last returned, kept valid after the cursor
 * moves on and after it closes: the mapping it lies in stays until every
 * hold on it is released.  NULL before the first record. */
struct log_hold;
struct log_hold *log_cursor_hold(struct log_cursor *cur);
void log_hold_release(struct log_hold *h);   /* NULL: nothing */

/* Lookup by LSN is log_cursor_open(lsn) then one log_cursor_next(): the
 * seek costs a binary search over segments plus a scan of at most
 * LOG_MARK_BYTES of one segment. */

#endif
