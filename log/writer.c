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

/* Wait on `cv` as one of the log's bounded waiters.  Caller holds mu. */
static int enter(struct log *log)
{
	if (log->waiters >= log->opt.max_waiters)
		return log_error(GROVE_EBUSY, "%u threads are already waiting on the log",
				 log->waiters);
	log->waiters++;
	return 0;
}

static void leave(struct log *log)
{
	assert(log->waiters > 0);
	log->waiters--;
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
	log->tail_off += span;
	/* One sparse mark per LOG_MARK_BYTES stretch of the segment. */
	struct log_segment *seg = &log->segs[log->nsegs - 1];
	if (seg->nmarks == 0 ||
	    off / LOG_MARK_BYTES != seg->marks[seg->nmarks - 1].offset / LOG_MARK_BYTES)
		(void)log_mark_add(seg, h.lsn, off);
	return h.lsn;
}

/* Caller holds mu and has entered. */
static int wait_locked(struct log *log, uint64_t lsn, enum log_wait wait)
{
	if (wait == LOG_WAIT_NONE)
		return 0;
	if (wait == LOG_WAIT_DURABLE && log->sync_request_lsn < lsn) {
		log->sync_request_lsn = lsn;
		pthread_cond_signal(&log->cv_work);
	}
	while (!log->poisoned &&
	       (wait == LOG_WAIT_DURABLE ? log->durable_lsn : log->written_lsn) < lsn)
		pthread_cond_wait(&log->cv_done, &log->mu);
	return log->poisoned;
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
	pthread_mutex_lock(&log->mu);
	if ((err = enter(log)) < 0)
		goto out_unlocked_count;
	if ((err = reserve(log, span)) < 0)
		goto out;
	lsn = place(log, kind, payload, payload_bytes, hash, span);
	if (wait == LOG_WAIT_DURABLE)
		log->fill.need_sync = true;
	pthread_cond_signal(&log->cv_work);
	if (out_lsn)
		*out_lsn = lsn;
	err = wait_locked(log, lsn, wait);
out:
	leave(log);
out_unlocked_count:
	pthread_mutex_unlock(&log->mu);
	return err;
}

int log_wait(struct log *log, uint64_t lsn, enum log_wait wait)
{
	int err;

	pthread_mutex_lock(&log->mu);
	if (lsn >= log->next_lsn) {
		err = log_error(GROVE_EINVAL, "LSN %lu has not been appended",
				(unsigned long)lsn);
	} else if ((err = enter(log)) == 0) {
		err = wait_locked(log, lsn, wait);
		leave(log);
	}
	pthread_mutex_unlock(&log->mu);
	return err;
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
		while (!log->fill.len && log->sync_request_lsn <= log->durable_lsn &&
		       !log->closing)
			pthread_cond_wait(&log->cv_work, &log->mu);
		if (!log->fill.len && log->sync_request_lsn <= log->durable_lsn)
			break; /* closing, and everything is on disk */
		tmp = log->io;
		log->io = log->fill;
		log->fill = tmp;
		buf_reset(&log->fill);
		bool sync = log->io.need_sync || log->sync_request_lsn > log->durable_lsn;
		uint64_t target = log->io.len ? log->io.last_lsn : log->written_lsn;
		pthread_cond_broadcast(&log->cv_space);
		pthread_mutex_unlock(&log->mu);

		FAILPOINT("log.write.before");
		int err = write_batch(log, &log->io, sync);
		FAILPOINT("log.write.after");

		pthread_mutex_lock(&log->mu);
		buf_reset(&log->io);
		if (err < 0) {
			/* Fatal: after a failed fsync the page cache may have
			 * dropped our data; no retry could be trusted. */
			log->poisoned = log_error(GROVE_EPOISONED,
						  "log write failed: %s; the log is poisoned",
						  strerror(-err));
			pthread_cond_broadcast(&log->cv_done);
			pthread_cond_broadcast(&log->cv_space);
			break;
		}
		log->written_lsn = target;
		if (sync)
			log->durable_lsn = target;
		pthread_cond_broadcast(&log->cv_done);
	}
	pthread_mutex_unlock(&log->mu);
	return NULL;
}

int log_writer_start(struct log *log)
{
	size_t cap = log->opt.max_batch_bytes;
	int err;

	if (buf_reserve(&log->fill, cap) < 0 || buf_reserve(&log->io, cap) < 0)
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
