/*
 * backend_uring.c — the io_uring backend.
 *
 * A batch is one write SQE linked (IOSQE_IO_LINK) to one fdatasync SQE,
 * submitted together with a single io_uring_submit_and_wait(): one system
 * call per batch instead of two, and the kernel starts the flush as soon
 * as the write completes.  A link breaks if the write is short (the fsync
 * then completes with -ECANCELED), so a short write is resumed from where
 * it stopped and the pair resubmitted.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>

#include "log/backend.h"

struct uring_backend {
	struct log_backend base;
	struct io_uring ring;
};

#define URING_ENTRIES 8u
#define URING_TAG_WRITE 1u
#define URING_TAG_SYNC  2u

/* One submission of (write, fsync) or either alone.  Sets *written to the
 * bytes the write reported; returns -errno of the first real failure. */
static int uring_round(struct uring_backend *u, int fd, const char *buf, size_t len,
		       uint64_t off, bool sync, size_t *written, bool *synced)
{
	struct io_uring_sqe *sqe;
	unsigned n = 0;
	int err = 0, ret;

	if (len > 0) {
		sqe = io_uring_get_sqe(&u->ring);
		io_uring_prep_write(sqe, fd, buf, (unsigned)len, off);
		io_uring_sqe_set_data64(sqe, URING_TAG_WRITE);
		if (sync)
			sqe->flags |= IOSQE_IO_LINK;
		n++;
	}
	if (sync) {
		sqe = io_uring_get_sqe(&u->ring);
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, URING_TAG_SYNC);
		n++;
	}
	do
		ret = io_uring_submit_and_wait(&u->ring, n);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_cqe *cqe;
		while ((ret = io_uring_wait_cqe(&u->ring, &cqe)) == -EINTR)
			;
		if (ret < 0)
			return ret;
		uint64_t tag = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&u->ring, cqe);
		if (tag == URING_TAG_WRITE) {
			if (res < 0 && !err)
				err = res;
			else if (res >= 0)
				*written = (size_t)res;
		} else if (res == 0) {
			*synced = true;
		} else if (res != -ECANCELED && !err) {
			err = res;
		}
	}
	return err;
}

static int uring_write(struct log_backend *be, int fd, const void *buf, size_t len,
		       uint64_t off, bool sync)
{
	struct uring_backend *u = (struct uring_backend *)be;
	const char *p = buf;

	for (;;) {
		size_t written = 0;
		bool synced = false;
		int err = uring_round(u, fd, p, len, off, sync, &written, &synced);
		if (err == -EAGAIN || err == -EINTR)
			continue;
		if (err < 0)
			return err;
		if (written == len && (synced || !sync))
			return 0;
		if (written == 0 && len > 0)
			return -EIO; /* no progress: never spin */
		p += written;
		len -= written;
		off += written;
	}
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
	u->base.destroy = uring_destroy;
	*out = &u->base;
	return 0;
}
