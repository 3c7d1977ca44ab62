/*
 * backend_uring.c — the io_uring backend.
 *
 * A batch whose earlier bytes are all on disk goes out as one write SQE
 * flagged RWF_DSYNC: the kernel writes it and syncs its range in one
 * request, with no link to chain.  Otherwise (LOG_SYNC_FILE) a write SQE
 * is linked (IOSQE_IO_LINK) to an fdatasync SQE.  start() submits and
 * returns; finish() reaps.  A link breaks if the write is short (the fsync
 * then completes with -ECANCELED), and a RWF_DSYNC write that comes back
 * short synced only what it wrote; either way finish() completes the rest
 * synchronously with a linked write + fdatasync.
 *
 * Requests belong to the thread that submitted them, and any thread may
 * start a batch (writer.c), so the thread that finishes it may be another
 * one, and the starter may even have exited: see uring_finish().
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "log/backend.h"

struct uring_backend {
	struct log_backend base;
	struct io_uring ring;
	struct log_io io;        /* the batch between start() and finish() */
	unsigned pending;        /* CQEs it still owes */
};

#define URING_ENTRIES 8u
#define URING_TAG_WRITE 1u
#define URING_TAG_WRITE_DSYNC 2u
#define URING_TAG_SYNC  3u

/* Queue the SQEs for one batch; returns how many. */
static unsigned prep(struct uring_backend *u, int fd, const char *buf, size_t len,
		     uint64_t off, enum log_sync sync)
{
	struct io_uring_sqe *sqe;
	unsigned n = 0;
	bool fsync_op = sync == LOG_SYNC_FILE || (sync == LOG_SYNC_RANGE && len == 0);

	if (len > 0) {
		sqe = io_uring_get_sqe(&u->ring);
		io_uring_prep_write(sqe, fd, buf, (unsigned)len, off);
		if (sync == LOG_SYNC_RANGE) {
			/* Straight to a worker: tried inline first, the
			 * write and its flush would run in the caller. */
			sqe->rw_flags = RWF_DSYNC;
			sqe->flags |= IOSQE_ASYNC;
			io_uring_sqe_set_data64(sqe, URING_TAG_WRITE_DSYNC);
		} else {
			io_uring_sqe_set_data64(sqe, URING_TAG_WRITE);
		}
		if (fsync_op)
			sqe->flags |= IOSQE_IO_LINK;
		n++;
	}
	if (fsync_op) {
		sqe = io_uring_get_sqe(&u->ring);
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, URING_TAG_SYNC);
		n++;
	}
	return n;
}

static int submit(struct uring_backend *u, unsigned n)
{
	int ret;
	if (n == 0)
		return 0;
	do
		ret = io_uring_submit(&u->ring);
	while (ret == -EINTR);
	return ret < 0 ? ret : 0;
}

/* Reap `n` CQEs of one batch.  Sets *written to the bytes the write
 * reported and *synced if its bytes are on disk; returns -errno of the
 * first real failure. */
static int reap(struct uring_backend *u, unsigned n, size_t len, size_t *written,
		bool *synced)
{
	int err = 0, ret;

	for (unsigned i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		while ((ret = io_uring_wait_cqe(&u->ring, &cqe)) == -EINTR)
			;
		if (ret < 0)
			return ret;
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		if (tag != URING_TAG_SYNC) {
			if (res < 0 && !err)
				err = res;
			else if (res >= 0)
				*written = (size_t)res;
			if (tag == URING_TAG_WRITE_DSYNC && res >= 0 && (size_t)res == len)
				*synced = true;
		} else if (res == 0) {
			*synced = true;
		} else if (res != -ECANCELED && !err) {
			err = res;
		}
	}
	return err;
}

static int uring_write(struct log_backend *be, int fd, const void *buf, size_t len,
		       uint64_t off, enum log_sync sync)
{
	struct uring_backend *u = (struct uring_backend *)be;
	const char *p = buf;

	/* Synchronous writes complete short batches and seal segments: a
	 * whole-file sync is always right for them. */
	if (sync == LOG_SYNC_RANGE)
		sync = LOG_SYNC_FILE;
	for (;;) {
		size_t written = 0;
		bool synced = false;
		unsigned n = prep(u, fd, p, len, off, sync);
		int err = submit(u, n);
		if (err == 0)
			err = reap(u, n, len, &written, &synced);
		if (err == -EAGAIN || err == -EINTR)
			continue;
		if (err < 0)
			return err;
		if (written == len && (synced || sync == LOG_SYNC_NONE))
			return 0;
		if (written == 0 && len > 0)
			return -EIO; /* no progress: never spin */
		p += written;
		len -= written;
		off += written;
	}
}

static int uring_start(struct log_backend *be, const struct log_io *io)
{
	struct uring_backend *u = (struct uring_backend *)be;

	u->io = *io;
	u->pending = prep(u, io->fd, io->buf, io->len, io->off, io->sync);
	/* A failed submission may leave the SQEs queued for the next one:
	 * the caller must treat it as fatal and never write again. */
	return submit(u, u->pending);
}

static int uring_finish(struct log_backend *be)
{
	struct uring_backend *u = (struct uring_backend *)be;
	size_t written = 0;
	bool synced = false;
	const struct log_io *io = &u->io;
	int err = reap(u, u->pending, io->len, &written, &synced);

	u->pending = 0;
	/* -ECANCELED: the thread that started the batch exited before a
	 * worker took it up, and the kernel cancels an exiting thread's
	 * queued requests.  Nothing of it was written; the finisher redoes
	 * the whole batch synchronously, as for a transient failure. */
	if (err == -EAGAIN || err == -EINTR || err == -ECANCELED) {
		written = 0;
		err = 0;
	}
	if (err < 0)
		return err;
	if (written == io->len && (synced || io->sync == LOG_SYNC_NONE))
		return 0;
	return uring_write(be, io->fd, (const char *)io->buf + written, io->len - written,
			   io->off + written, io->sync);
}

static void uring_destroy(struct log_backend *be)
{
	struct uring_backend *u = (struct uring_backend *)be;
	io_uring_queue_exit(&u->ring);
	free(u);
}

int log_backend_uring_create(struct log_backend **out)
{
	struct uring_backend *u = calloc(1, sizeof *u);
	int err;

	if (!u)
		return -ENOMEM;
	err = io_uring_queue_init(URING_ENTRIES, &u->ring, 0);
	if (err < 0) {
		free(u);
		return err;
	}
	u->base.name = "io_uring";
	u->base.write = uring_write;
	u->base.start = uring_start;
	u->base.finish = uring_finish;
	u->base.destroy = uring_destroy;
	*out = &u->base;
	return 0;
}
