/*
 * writer.c — group commit, without a writer thread.
 *
 * Appenders copy their record, header and all, into the `fill` buffer
 * under the log mutex, taking the next LSN as they do; so the buffer holds
 * records in LSN order, laid out exactly as they go to disk.  At most one
 * batch is in flight.  Whichever thread finds none in flight when it has
 * something to write (an appender, most often) swaps `fill` with `io` and
 * starts `io` on the backend, which for io_uring returns at once: the
 * appender goes on with its own work (applying its event to the views)
 * while the disk works.  A thread that must wait for its record finishes
 * the batch itself if nobody else is (`reap`: wait for the completion,
 * advance written/durable, start the next batch from everything that
 * arrived meanwhile, wake the threads it satisfied) and otherwise sleeps.
 * So a lone writer pays no thread hand-off at all, and with N threads one
 * fsync carries every record that arrived during the previous one.
 *
 * A thread that leaves while a batch is in flight and others still wait
 * wakes one of them to finish it (`hand_off`), so a batch never lacks a
 * finisher while anyone waits on it.  When nobody waits (appends that do
 * not wait), the batch is finished by the next thread that waits, needs
 * buffer space, or closes the log.
 *
 * Bounds: a batch holds at most max_batch_bytes (a lone record may exceed
 * it, up to max_record_bytes); appenders wait for space while the buffer is
 * full (back-pressure); at most max_waiters threads are inside the log at
 * once, the rest are refused with GROVE_EBUSY.
 */
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"
#include "log/direct.h"
#include "log/error.h"
#include "log/failpoint.h"
#include "log/log_impl.h"
#include "log/record.h"
#include "log/segment.h"

void log_buf_free(struct log_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static void buf_reset(struct log_buf *b)
{
	b->len = 0;
	b->split = 0;
	b->split_lsn = 0;
	b->need_sync = false;
	b->unclaimed = false;
	b->last_lsn = 0;
	b->records = 0;
}

static int buf_reserve(struct log_buf *b, size_t extra)
{
	if (b->len + extra <= b->cap)
		return 0;
	size_t cap = b->len + extra;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Count the calling thread in as one of at most max_waiters threads inside
 * the log; refuse beyond that.  Without the mutex. */
static int enter(struct log *log)
{
	uint32_t n = atomic_fetch_add(&log->waiters, 1);
	if (n >= log->opt.max_waiters) {
		atomic_fetch_sub(&log->waiters, 1);
		return log_error(GROVE_EBUSY, "%u threads are already waiting on the log", n);
	}
	return 0;
}

static void leave(struct log *log)
{
	uint32_t n = atomic_fetch_sub(&log->waiters, 1);
	assert(n > 0);
	(void)n;
}

static bool satisfied(struct log *log, uint64_t lsn, enum log_wait wait)
{
	return wait == LOG_WAIT_NONE || wait == LOG_WAIT_LATER ||
	       (wait == LOG_WAIT_DURABLE ? atomic_load(&log->durable_lsn)
					 : atomic_load(&log->written_lsn)) >= lsn;
}

/* The poisoning error, with its reason as this thread's message: every
 * thread that meets it hears why, not only the one whose write failed. */
static int poisoned_error(struct log *log)
{
	return log_error(log->poisoned, "%s", log->poison_msg);
}

static void futex_wake_done(struct log_waiter *w)
{
	atomic_store_explicit(&w->done, 1, memory_order_release);
	/* A wake on an address whose waiter already left is harmless:
	 * FUTEX_WAKE writes nothing, and every futex wait loops. */
	syscall(SYS_futex, &w->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Wake the waiters that are satisfied now (all of them if poisoned).
 * Called with mu held. */
static void release_waiters(struct log *log)
{
	struct log_waiter **pp = &log->waiting;
	size_t n = 0;

	while (*pp) {
		struct log_waiter *w = *pp;
		if (log->poisoned || satisfied(log, w->lsn, w->wait)) {
			*pp = w->next;
			assert(n < log->opt.max_waiters);
			log->ready[n++] = w;
		} else {
			pp = &w->next;
		}
	}
	/* No woken thread can return before its parent wakes it, so every
	 * node stays valid until the root is woken below. */
	for (size_t i = 0; i < n; i++) {
		struct log_waiter *w = log->ready[i];
		w->result = log->poisoned;
		w->wake[0] = 2 * i + 1 < n ? log->ready[2 * i + 1] : NULL;
		w->wake[1] = 2 * i + 2 < n ? log->ready[2 * i + 2] : NULL;
	}
	if (n)
		futex_wake_done(log->ready[0]);
}

/* Put one batch on disk synchronously: a batch that crosses into a new
 * segment, or one the backend could not start.  Without the mutex. */
static int write_batch(struct log *log, struct log_buf *b, enum log_sync sync)
{
	struct log_backend *be = log->backend;
	int err, fd;

	if (b->split_lsn) {
		/* Seal the full segment before starting the next, so that only
		 * the last segment of the log can ever have a torn tail. */
		if ((err = be->write(be, log->cur_fd, b->data, b->split, b->file_off,
				     LOG_SYNC_FILE)) < 0)
			return err;
		FAILPOINT("log.rotate.sealed");
		fd = log_segment_create(log->dirfd, b->split_lsn, log->opt.segment_bytes);
		if (fd < 0)
			return fd;
		close(log->cur_fd);
		log_direct_close(log->cur_dfd);
		log->cur_fd = fd;
		log->cur_dfd = log_direct_open(log->dirfd, b->split_lsn);
		log->cur_seg = b->split_lsn;
		return be->write(be, fd, b->data + b->split, b->len - b->split,
				 LOG_SEGMENT_HEADER_BYTES, sync);
	}
	return be->write(be, log->cur_fd, b->data, b->len, b->file_off, sync);
}

/* Start writing what `fill` holds (and syncing what is asked) unless a
 * batch is in flight already.  `own`: the calling thread waits for the
 * batch to be done before it leaves the log, so the backend may issue it
 * from this thread (backend.h: a direct write's completion is delivered
 * to the thread that issued it).  Caller holds mu. */
static void kick(struct log *log, bool own)
{
	bool sync_asked = log->sync_request_lsn > log->durable_lsn;

	if (log->inflight || log->poisoned || (!log->fill.len && !sync_asked))
		return;
	struct log_buf tmp = log->io;
	log->io = log->fill;
	log->fill = tmp;
	buf_reset(&log->fill);
	pthread_cond_broadcast(&log->cv_space);
	log->inflight = true;
	log->io_target = log->io.len ? log->io.last_lsn : log->written_lsn;
	/* A batch may sync only its own range when everything before it is
	 * on disk already; else the whole file. */
	log->io_sync = !(log->io.need_sync || sync_asked) ? LOG_SYNC_NONE
		     : log->written_lsn == log->durable_lsn ? LOG_SYNC_RANGE
							     : LOG_SYNC_FILE;
	log->io_started = log->io_issued = false;
	log->io_err = 0;
	FAILPOINT("log.write.before");
	log->io_t0 = now_ns();
	if (!log->io.split_lsn) {
		struct log_io io = { log->cur_fd, log->cur_dfd, log->cur_seg, log->io.data,
				     log->io.len, log->io.file_off, log->io_sync, own,
				     log->opt.segment_bytes };
		int r = log->backend->start(log->backend, &io);
		log->io_err = r < 0 ? r : 0;
		log->io_started = r >= 0;
		log->io_issued = r == 1;
	}
}

/* Finish the batch in flight: wait for it without the mutex, publish it,
 * start the next batch, wake the threads it satisfied.  Caller holds mu,
 * with inflight and not reaping; returns with mu held. */
static void reap(struct log *log)
{
	enum log_sync sync = log->io_sync;
	int err = log->io_err;

	log->reaping = true;
	pthread_mutex_unlock(&log->mu);
	FAILPOINT("log.reap.before");
	if (!err)
		err = log->io_started ? log->backend->finish(log->backend)
				      : write_batch(log, &log->io, sync);
	if (!err)
		err = FAILPOINT_ERROR("log.write.error");
	uint64_t t1 = now_ns();
	FAILPOINT("log.write.after");
	pthread_mutex_lock(&log->mu);
	log->reaping = false;
	log->inflight = false;
	if (err < 0) {
		/* Fatal: after a failed fsync the page cache may have dropped
		 * our data, and a failed submission may have left requests
		 * queued; no retry could be trusted. */
		snprintf(log->poison_msg, sizeof log->poison_msg,
			 "log write failed: %s; the log is poisoned", strerror(-err));
		log->poisoned = GROVE_EPOISONED;
	} else {
		log->stats.batches++;
		log->stats.syncs += sync != LOG_SYNC_NONE;
		log->stats.direct += log->io_issued;
		log->stats.bytes += log->io.len;
		log->stats.io_ns += t1 - log->io_t0;
		log->written_lsn = log->io_target;
		if (sync != LOG_SYNC_NONE)
			log->durable_lsn = log->io_target;
	}
	buf_reset(&log->io);
	release_waiters(log);
	/* What arrived meanwhile goes out from a thread that will finish it,
	 * so the backend may issue it directly (kick: own): this one if it
	 * still waits (wait_unlock), else the waiter hand_off names, else
	 * the appender when it waits as it promised (LOG_WAIT_LATER).  Only
	 * records nobody will wait for are started here, for others: through
	 * the page cache, with a copy, a writeback and an fdatasync on an
	 * io_uring worker thread for each batch (64 threads inserting: CPU
	 * per write 48 us with those batches, 41 us without). */
	if (!log->waiting && log->fill.unclaimed)
		kick(log, false);
	pthread_cond_broadcast(&log->cv_space);
	log->stats.wake_ns += now_ns() - t1;
}

/* A thread leaving the log while a batch is in flight, nobody finishing
 * it and others waiting on it wakes one of them to finish it.  Caller
 * holds mu. */
static void hand_off(struct log *log)
{
	struct log_waiter *w = log->waiting;
	bool startable = log->fill.len || log->sync_request_lsn > log->durable_lsn;

	if (!(log->inflight || startable) || log->reaping || log->nominated || !w)
		return;
	log->waiting = w->next;
	w->reap = true;
	w->wake[0] = w->wake[1] = NULL;
	log->nominated = true;
	futex_wake_done(w);
}

/* Block until `lsn` is written or durable, finishing batches while nobody
 * else does.  Called with mu held; returns with mu released. */
static int wait_unlock(struct log *log, uint64_t lsn, enum log_wait wait)
{
	for (;;) {
		if (log->poisoned || satisfied(log, lsn, wait)) {
			int err = log->poisoned ? poisoned_error(log) : 0;
			hand_off(log);
			pthread_mutex_unlock(&log->mu);
			return err;
		}
		if (wait == LOG_WAIT_DURABLE && log->sync_request_lsn < lsn)
			log->sync_request_lsn = lsn;
		kick(log, true);
		if (log->inflight && !log->reaping) {
			reap(log);
			continue;
		}
		struct log_waiter w = { .lsn = lsn, .wait = wait, .next = log->waiting };
		log->waiting = &w;
		pthread_mutex_unlock(&log->mu);
		while (!atomic_load_explicit(&w.done, memory_order_acquire))
			syscall(SYS_futex, &w.done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		/* Our children in the wake tree are still blocked, so alive. */
		for (int i = 0; i < 2; i++)
			if (w.wake[i])
				futex_wake_done(w.wake[i]);
		if (!w.reap)
			return w.result ? poisoned_error(log) : 0;
		pthread_mutex_lock(&log->mu);
		log->nominated = false;
	}
}

/* Make room in `fill` for a record of `span` bytes; opens a new segment
 * (logically) when the record does not fit in the current one.  Caller
 * holds mu and has entered. */
static int reserve(struct log *log, uint64_t span)
{
	struct log_buf *f = &log->fill;
	bool rotate;

	for (;;) {
		if (log->poisoned)
			return poisoned_error(log);
		if (log->closing)
			return log_error(GROVE_ECLOSED, "the log is closing");
		rotate = log->tail_off + span > log->opt.segment_bytes;
		if (f->len == 0 ||
		    (f->len + span <= log->opt.max_batch_bytes && !(rotate && f->split_lsn)))
			break;
		/* Full: write it out, or finish the batch that holds it up. */
		kick(log, false);
		if (log->inflight && !log->reaping && f->len)
			reap(log);
		else if (f->len)
			pthread_cond_wait(&log->cv_space, &log->mu);
	}
	if (buf_reserve(f, span) < 0)
		return log_error(-ENOMEM, "out of memory for a %lu-byte log record",
				 (unsigned long)span);
	if (rotate) {
		int err = log_segment_push(log, log->next_lsn, log->opt.segment_bytes);
		if (err < 0)
			return err;
		f->split = f->len;
		f->split_lsn = log->next_lsn;
		log->tail_seg = log->next_lsn;
		log->tail_off = LOG_SEGMENT_HEADER_BYTES;
	} else if (f->len == 0) {
		f->file_off = log->tail_off;
	}
	return 0;
}

/* Frame the record into `fill` at the tail.  Caller holds mu, has reserved. */
static uint64_t place(struct log *log, uint16_t kind, const void *payload,
		      uint32_t payload_bytes, uint64_t payload_hash, uint64_t span)
{
	struct log_buf *f = &log->fill;
	struct log_record_header h = {
		.magic = LOG_RECORD_MAGIC,
		.payload_bytes = payload_bytes,
		.lsn = log->next_lsn++,
		.durable_lsn = log->durable_lsn,
		.kind = kind,
	};
	uint8_t *dst = f->data + f->len;
	uint64_t off = log->tail_off;

	log_record_encode(dst, &h, payload_hash);
	memcpy(dst + LOG_RECORD_HEADER_BYTES, payload, payload_bytes);
	memset(dst + LOG_RECORD_HEADER_BYTES + payload_bytes, 0,
	       span - LOG_RECORD_HEADER_BYTES - payload_bytes);
	f->len += span;
	f->last_lsn = h.lsn;
	f->records++;
	log->tail_off += span;
	/* One sparse mark per LOG_MARK_BYTES stretch of the segment. */
	struct log_segment *seg = &log->segs[log->nsegs - 1];
	if (seg->nmarks == 0 ||
	    off / LOG_MARK_BYTES != seg->marks[seg->nmarks - 1].offset / LOG_MARK_BYTES)
		(void)log_mark_add(seg, h.lsn, off);
	return h.lsn;
}

int log_append(struct log *log, uint64_t *out_lsn, uint16_t kind, const void *payload,
	       uint32_t payload_bytes, enum log_wait wait)
{
	uint64_t span = log_record_span(payload_bytes), lsn;
	uint64_t hash;
	int err;

	if (payload_bytes > log->opt.max_record_bytes)
		return log_error(GROVE_ETOOBIG,
				 "log record of %u bytes exceeds the limit of %u bytes",
				 payload_bytes, log->opt.max_record_bytes);
	hash = log_payload_hash(payload, payload_bytes); /* outside the lock */
	if ((err = enter(log)) < 0)
		return err;
	pthread_mutex_lock(&log->mu);
	if ((err = reserve(log, span)) < 0) {
		/* reserve() may have finished a batch and started none: a
		 * thread waiting on the buffer must not be left alone. */
		hand_off(log);
		pthread_mutex_unlock(&log->mu);
		leave(log);
		return err;
	}
	lsn = place(log, kind, payload, payload_bytes, hash, span);
	log->stats.records++;
	if (wait == LOG_WAIT_DURABLE || wait == LOG_WAIT_LATER)
		log->fill.need_sync = true;
	if (wait == LOG_WAIT_NONE)
		log->fill.unclaimed = true;
	if (out_lsn)
		*out_lsn = lsn;
	/* Start the I/O now, so that it overlaps the caller's next steps. */
	bool idle = !log->inflight;
	kick(log, wait != LOG_WAIT_NONE); /* LATER promises a wait */
	/* Only when nobody else waits on the log (light load): under load the
	 * yield would hand the CPU to other writers, not to the I/O. */
	bool started = idle && log->inflight && log->io_started && !log->io_issued &&
		       !log->waiting;
	if (wait == LOG_WAIT_NONE || wait == LOG_WAIT_LATER) {
		hand_off(log);
		pthread_mutex_unlock(&log->mu);
		/* The kernel worker that performs the batch is often queued on
		 * this CPU, behind this thread: without a yield it starts only
		 * when we next block, after our apply, and nothing overlaps.
		 * A batch the backend issued itself (a direct write) has no
		 * worker to wait for.
		 * (mutate_bench, 1 thread: p50 1.50-1.57x raw fdatasync without,
		 * 1.42-1.45x with.) */
		if (started)
			sched_yield();
		err = 0;
	} else {
		err = wait_unlock(log, lsn, wait);
	}
	leave(log);
	return err;
}

int log_wait(struct log *log, uint64_t lsn, enum log_wait wait)
{
	int err;

	if (satisfied(log, lsn, wait) && !log->poisoned)
		return 0; /* the common case in pipelined use: no lock at all */
	if ((err = enter(log)) < 0)
		return err;
	pthread_mutex_lock(&log->mu);
	if (lsn >= log->next_lsn) {
		pthread_mutex_unlock(&log->mu);
		err = log_error(GROVE_EINVAL, "LSN %lu has not been appended",
				(unsigned long)lsn);
	} else {
		err = wait_unlock(log, lsn, wait);
	}
	leave(log);
	return err;
}

int log_writer_start(struct log *log)
{
	size_t cap = log->opt.max_batch_bytes;

	log->ready = calloc(log->opt.max_waiters, sizeof *log->ready);
	if (!log->ready || buf_reserve(&log->fill, cap) < 0 || buf_reserve(&log->io, cap) < 0)
		return log_error(-ENOMEM, "out of memory for log buffers");
	return 0;
}

/* Close: every record appended goes to disk, synced.  The caller has
 * stopped appending; a thread still finishing a batch is waited for. */
void log_writer_stop(struct log *log)
{
	pthread_mutex_lock(&log->mu);
	log->closing = true;
	if (log->sync_request_lsn < log->next_lsn - 1)
		log->sync_request_lsn = log->next_lsn - 1;
	while (!log->poisoned && (log->inflight || log->fill.len ||
				  log->sync_request_lsn > log->durable_lsn)) {
		kick(log, true);
		if (log->inflight && !log->reaping)
			reap(log);
		else if (log->reaping)
			pthread_cond_wait(&log->cv_space, &log->mu);
	}
	pthread_cond_broadcast(&log->cv_space);
	pthread_mutex_unlock(&log->mu);
}
