/*
 * writer.c — group commit.
 *
 * Appenders copy their record, header and all, into the `fill` buffer
 * under the log mutex, taking the next LSN as they do; so the buffer holds
 * records in LSN order, laid out exactly as they go to disk.  The writer
 * thread swaps `fill` with its private `io` buffer, drops the mutex, and
 * writes `io` with one write + one fdatasync while appenders keep filling
 * the other buffer.  When the fsync completes it advances durable_lsn and
 * wakes every waiter whose record is now on disk.  With N threads waiting
 * on one fsync, one fsync carries N records.
 *
 * Bounds: a batch holds at most max_batch_bytes (a lone record may exceed
 * it, up to max_record_bytes); appenders wait for space while the buffer is
 * full (back-pressure); at most max_waiters threads are inside the log at
 * once, the rest are refused with GROVE_EBUSY.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"
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
	return wait == LOG_WAIT_NONE ||
	       (wait == LOG_WAIT_DURABLE ? atomic_load(&log->durable_lsn)
					 : atomic_load(&log->written_lsn)) >= lsn;
}

static void futex_wake_done(struct log_waiter *w)
{
	atomic_store_explicit(&w->done, 1, memory_order_release);
	/* A wake on an address whose waiter already left is harmless:
	 * FUTEX_WAKE writes nothing, and every futex wait loops. */
	syscall(SYS_futex, &w->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Block until `lsn` is written or durable.  Called with mu held; returns
 * with mu released. */
static int wait_unlock(struct log *log, uint64_t lsn, enum log_wait wait)
{
	struct log_waiter w = { .lsn = lsn, .wait = wait };

	if (log->poisoned || satisfied(log, lsn, wait)) {
		int err = log->poisoned;
		pthread_mutex_unlock(&log->mu);
		return err;
	}
	if (wait == LOG_WAIT_DURABLE && log->sync_request_lsn < lsn) {
		log->sync_request_lsn = lsn;
		pthread_cond_signal(&log->cv_work);
	}
	w.next = log->waiting;
	log->waiting = &w;
	pthread_mutex_unlock(&log->mu);
	while (!atomic_load_explicit(&w.done, memory_order_acquire))
		syscall(SYS_futex, &w.done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	/* Our children in the wake tree are still blocked, so still alive. */
	for (int i = 0; i < 2; i++)
		if (w.wake[i])
			futex_wake_done(w.wake[i]);
	return w.result;
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
	log->expect = (uint32_t)n;
}

/* Group commit's one judgment call.  The threads the last batch released
 * are about to append again; taking the batch before they do would split
 * every group in two (half in flight, half waiting).  So when `fill` holds
 * fewer records than were released, wait for the rest — at most half an
 * I/O's time, so a thread that went away costs little.  A lone writer
 * never waits: its own record is the one expected.  Caller holds mu. */
static void linger(struct log *log)
{
	struct timespec deadline;

	if (log->closing || log->fill.records >= log->expect ||
	    log->fill.len >= log->opt.max_batch_bytes / 2)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	uint64_t ns = (uint64_t)deadline.tv_nsec + log->linger_ns;
	deadline.tv_sec += (time_t)(ns / 1000000000u);
	deadline.tv_nsec = (long)(ns % 1000000000u);
	log->writer_want = log->expect;
	while (log->fill.records < log->expect && !log->closing)
		if (pthread_cond_timedwait(&log->cv_work, &log->mu, &deadline) != 0)
			break;
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
			return log->poisoned;
		if (log->closing)
			return log_error(GROVE_ECLOSED, "the log is closing");
		rotate = log->tail_off + span > log->opt.segment_bytes;
		if (f->len == 0 ||
		    (f->len + span <= log->opt.max_batch_bytes && !(rotate && f->split_lsn)))
			break;
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
		pthread_mutex_unlock(&log->mu);
		leave(log);
		return err;
	}
	lsn = place(log, kind, payload, payload_bytes, hash, span);
	log->stats.records++;
	if (wait == LOG_WAIT_DURABLE)
		log->fill.need_sync = true;
	if (out_lsn)
		*out_lsn = lsn;
	if (log->fill.records >= log->writer_want)
		pthread_cond_signal(&log->cv_work);
	if (wait == LOG_WAIT_NONE) {
		pthread_mutex_unlock(&log->mu);
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

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Put one batch on disk.  Writer thread only, without the mutex. */
static int write_batch(struct log *log, struct log_buf *b, bool sync)
{
	struct log_backend *be = log->backend;
	int err, fd;

	if (b->split_lsn) {
		/* Seal the full segment before starting the next, so that only
		 * the last segment of the log can ever have a torn tail. */
		if ((err = be->write(be, log->cur_fd, b->data, b->split, b->file_off, true)) < 0)
			return err;
		FAILPOINT("log.rotate.sealed");
		fd = log_segment_create(log->dirfd, b->split_lsn, log->opt.segment_bytes);
		if (fd < 0)
			return fd;
		close(log->cur_fd);
		log->cur_fd = fd;
		log->cur_seg = b->split_lsn;
		return be->write(be, fd, b->data + b->split, b->len - b->split,
				 LOG_SEGMENT_HEADER_BYTES, sync);
	}
	return be->write(be, log->cur_fd, b->data, b->len, b->file_off, sync);
}

static void *writer_main(void *arg)
{
	struct log *log = arg;
	struct log_buf tmp;

	pthread_mutex_lock(&log->mu);
	for (;;) {
		log->writer_want = 1;
		while (!log->fill.len && log->sync_request_lsn <= log->durable_lsn &&
		       !log->closing)
			pthread_cond_wait(&log->cv_work, &log->mu);
		if (!log->fill.len && log->sync_request_lsn <= log->durable_lsn)
			break; /* closing, and everything is on disk */
		linger(log);
		log->writer_want = UINT32_MAX; /* busy: no appender needs to signal */
		tmp = log->io;
		log->io = log->fill;
		log->fill = tmp;
		buf_reset(&log->fill);
		bool sync = log->io.need_sync || log->sync_request_lsn > log->durable_lsn;
		uint64_t target = log->io.len ? log->io.last_lsn : log->written_lsn;
		size_t written = log->io.len;
		pthread_cond_broadcast(&log->cv_space);
		pthread_mutex_unlock(&log->mu);

		FAILPOINT("log.write.before");
		uint64_t t0 = now_ns();
		int err = write_batch(log, &log->io, sync);
		uint64_t t1 = now_ns();
		FAILPOINT("log.write.after");

		pthread_mutex_lock(&log->mu);
		buf_reset(&log->io);
		if (err < 0) {
			/* Fatal: after a failed fsync the page cache may have
			 * dropped our data; no retry could be trusted. */
			log->poisoned = log_error(GROVE_EPOISONED,
						  "log write failed: %s; the log is poisoned",
						  strerror(-err));
			release_waiters(log);
			pthread_cond_broadcast(&log->cv_space);
			break;
		}
		log->stats.batches += written > 0;
		log->stats.syncs += sync;
		log->stats.bytes += written;
		log->written_lsn = target;
		if (sync)
			log->durable_lsn = target;
		release_waiters(log);
		log->stats.io_ns += t1 - t0;
		/* Linger for at most half a recent I/O, within [10 us, 1 ms]. */
		uint64_t half = (t1 - t0) / 2;
		log->linger_ns = (log->linger_ns * 7 + (half < 10000 ? 10000 : half > 1000000 ? 1000000 : half)) / 8;
		log->stats.wake_ns += now_ns() - t1;
	}
	pthread_mutex_unlock(&log->mu);
	return NULL;
}

int log_writer_start(struct log *log)
{
	size_t cap = log->opt.max_batch_bytes;
	int err;

	log->ready = calloc(log->opt.max_waiters, sizeof *log->ready);
	if (!log->ready || buf_reserve(&log->fill, cap) < 0 || buf_reserve(&log->io, cap) < 0)
		return log_error(-ENOMEM, "out of memory for log buffers");
	err = pthread_create(&log->writer, NULL, writer_main, log);
	if (err)
		return log_error(-err, "cannot start the log writer: %s", strerror(err));
	return 0;
}

void log_writer_stop(struct log *log)
{
	pthread_mutex_lock(&log->mu);
	log->closing = true;
	if (log->sync_request_lsn < log->next_lsn - 1)
		log->sync_request_lsn = log->next_lsn - 1;
	pthread_cond_signal(&log->cv_work);
	pthread_cond_broadcast(&log->cv_space);
	pthread_mutex_unlock(&log->mu);
	pthread_join(log->writer, NULL);
}
