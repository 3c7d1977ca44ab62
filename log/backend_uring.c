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
 * A RWF_DSYNC batch goes to the segment's O_DIRECT descriptor when it has
 * one and the starting thread waits for it (log_io.own: the request is
 * issued inline, and its completion is that thread's task work): the
 * whole 4 KiB blocks it touches are written from an aligned copy
 * (the bytes before it in its first block from the block this backend
 * wrote last, else read back once; zeros after it).  Through the page
 * cache, a synced write is a copy and then a writeback and a flush that
 * an io_uring worker waits on in turn; direct, it is one device write and
 * its flush: measured 1.26x a lone pwrite+fdatasync, 1.03-1.06x direct.
 * Rewriting the earlier bytes of a block is harmless: they are rewritten
 * unchanged, so a torn block write leaves them as they were.  A direct
 * write refused (EINVAL: alignment, a file system without O_DIRECT) is
 * redone through the page cache, and direct I/O stays off from then on.
 *
 * Requests belong to the thread that submitted them, and any thread may
 * start a batch (writer.c), so the thread that finishes it may be another
 * one, and the starter may even have exited: see uring_finish().
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log/backend.h"

#define DIRECT_BLOCK 4096u

/* O_DIRECT writes: the aligned copy, and the last block written, which
 * holds the bytes the next batch's first block starts with. */
struct direct {
	uint8_t *buf;            /* DIRECT_BLOCK-aligned                     */
	size_t cap;
	size_t len;              /* the write in flight (0: none)            */
	size_t data_len;         /* its blocks that hold the batch           */
	bool off;                /* refused once: not tried again            */
	bool tail_ok;            /* `tail` is block tail_at of segment tail_seg */
	uint64_t tail_seg, tail_at;
	uint64_t zero_seg, zero_to; /* segment zero_seg is written up to zero_to */
	uint8_t tail[DIRECT_BLOCK];
};

struct uring_backend {
	struct log_backend base;
	struct io_uring ring;
	struct log_io io;        /* the batch between start() and finish() */
	unsigned pending;        /* CQEs it still owes */
	struct direct d;
};

#define URING_ENTRIES 8u
#define URING_TAG_WRITE 1u
#define URING_TAG_WRITE_DSYNC 2u
#define URING_TAG_SYNC  3u
#define URING_TAG_DIRECT 4u

/* How far ahead of the tail a direct write writes zeros.
 *
 * A segment is made with fallocate(), so its blocks are unwritten
 * extents: a synced write into one must also commit the extent's
 * conversion to the file system's journal, a second device write and
 * flush.  A synced write over blocks already written is the data write
 * alone (ext4: a FUA write).  So a direct write that reaches blocks this
 * backend has not written yet runs zeros on to the next ZERO_AHEAD
 * boundary, paying one conversion for the small batches that follow
 * instead of one each.  Zeros past the tail are what those blocks read as
 * anyway (a reader stops at a zero header), so a crash in the middle
 * changes nothing.  (4 KiB RWF_DSYNC writes on this machine's ext4 on
 * virtio: p50 490 us into fallocated blocks, 400 us over written ones.) */
#define ZERO_AHEAD (256u << 10)

/* The length of the direct write that holds `data` bytes from block `at`
 * of io's segment: with zeros to the next ZERO_AHEAD boundary (never past
 * the segment's end) when it reaches blocks not written yet. */
static size_t direct_span(const struct direct *d, const struct log_io *io, uint64_t at,
			  size_t data)
{
	uint64_t end = at + data;
	if (d->zero_seg == io->seg && end <= d->zero_to)
		return data;
	uint64_t want = (end + ZERO_AHEAD - 1) & ~(uint64_t)(ZERO_AHEAD - 1);
	if (want > io->seg_bytes)
		want = io->seg_bytes & ~(uint64_t)(DIRECT_BLOCK - 1);
	return want > end ? (size_t)(want - at) : data;
}

/* The aligned copy of io's bytes, with their first block's earlier bytes
 * and zeros after them: its length, or 0 when it cannot be made (then the
 * batch goes through the page cache). */
static size_t direct_fill(struct direct *d, const struct log_io *io)
{
	uint64_t at = io->off & ~(uint64_t)(DIRECT_BLOCK - 1);
	size_t head = (size_t)(io->off - at);
	size_t data = (head + io->len + DIRECT_BLOCK - 1) & ~(size_t)(DIRECT_BLOCK - 1);
	size_t len = direct_span(d, io, at, data);

	if (len > d->cap) {
		void *p;
		size_t cap = d->cap ? d->cap : 64u << 10;
		while (cap < len)
			cap *= 2;
		if (posix_memalign(&p, DIRECT_BLOCK, cap) != 0)
			return 0;
		free(d->buf);
		d->buf = p;
		d->cap = cap;
	}
	if (head && d->tail_ok && d->tail_seg == io->seg && d->tail_at == at)
		memcpy(d->buf, d->tail, head);
	else if (head && pread(io->fd, d->buf, head, (off_t)at) != (ssize_t)head)
		return 0;
	memcpy(d->buf + head, io->buf, io->len);
	memset(d->buf + head + io->len, 0, len - head - io->len);
	d->tail_ok = false;  /* until the write is done */
	d->tail_seg = io->seg;
	d->tail_at = at + data - DIRECT_BLOCK;
	d->data_len = data;
	return len;
}

/* The direct write of the batch in flight is done: keep its last block
 * of data, and how far the segment is written. */
static void direct_done(struct direct *d)
{
	memcpy(d->tail, d->buf + d->data_len - DIRECT_BLOCK, DIRECT_BLOCK);
	d->tail_ok = true;
	uint64_t at = d->tail_at + DIRECT_BLOCK - d->data_len; /* the write's first block */
	uint64_t end = at + d->len;
	if (d->zero_seg != d->tail_seg || d->zero_to < end) {
		d->zero_seg = d->tail_seg;
		d->zero_to = end;
	}
}

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
	/* Fewer taken than prepared: the rest would never complete, and a
	 * reap would wait for them forever. */
	return ret < 0 ? ret : (unsigned)ret < n ? -EIO : 0;
}

/* The SQE of a batch written direct (u->d.buf, u->d.len bytes). */
static unsigned prep_direct(struct uring_backend *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	io_uring_prep_write(sqe, u->io.dfd, u->d.buf, (unsigned)u->d.len,
			    u->io.off & ~(uint64_t)(DIRECT_BLOCK - 1));
	sqe->rw_flags = RWF_DSYNC;
	/* inline: issued in the caller, no worker (see above) */
	io_uring_sqe_set_data64(sqe, URING_TAG_DIRECT);
	return 1;
}

/* A direct write's completion: the whole batch on disk, or nothing that
 * counts (finish() then writes it again through the page cache). */
static int reap_direct(struct uring_backend *u, int res, size_t len, size_t *written,
		       bool *synced)
{
	if (res >= 0 && (size_t)res == u->d.len) {
		*written = len;
		*synced = true;
		direct_done(&u->d);
		return 0;
	}
	if (res == -EINVAL)
		u->d.off = true;  /* refused: no alignment this file takes */
	return res < 0 && res != -EINVAL ? res : 0;
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
		if (tag == URING_TAG_DIRECT) {
			int e = reap_direct(u, res, len, written, synced);
			if (e < 0 && !err)
				err = e;
		} else if (tag != URING_TAG_SYNC) {
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

	u->d.tail_ok = false; /* the page cache may now hold newer bytes */
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
	u->d.len = 0;
	if (io->own && io->sync == LOG_SYNC_RANGE && io->len > 0 && io->dfd >= 0 && !u->d.off &&
	    (u->d.len = direct_fill(&u->d, io)) != 0) {
		u->pending = prep_direct(u);
	} else {
		u->d.tail_ok = false; /* through the page cache: our copy is stale */
		u->pending = prep(u, io->fd, io->buf, io->len, io->off, io->sync);
	}
	/* A failed submission may leave the SQEs queued for the next one:
	 * the caller must treat it as fatal and never write again. */
	int err = submit(u, u->pending);
	return err < 0 ? err : u->d.len ? 1 : 0;
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
	free(u->d.buf);
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
