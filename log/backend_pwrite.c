/* backend_pwrite.c — the portable backend: pwrite() then fdatasync().
 * Synchronous: start only notes the batch, finish does the I/O. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "log/backend.h"

struct pwrite_backend {
	struct log_backend base;
	struct log_io io;        /* the batch between start() and finish() */
};

static int pwrite_write(struct log_backend *be, int fd, const void *buf, size_t len,
			uint64_t off, enum log_sync sync)
{
	const char *p = buf;
	(void)be;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* no progress: never spin */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	if (sync != LOG_SYNC_NONE && fdatasync(fd) < 0)
		return -errno;
	return 0;
}

static int pwrite_start(struct log_backend *be, const struct log_io *io)
{
	((struct pwrite_backend *)be)->io = *io;
	return 1; /* no kernel worker: finish does the I/O */
}

static int pwrite_finish(struct log_backend *be)
{
	const struct log_io *io = &((struct pwrite_backend *)be)->io;
	return pwrite_write(be, io->fd, io->buf, io->len, io->off, io->sync);
}

static void pwrite_destroy(struct log_backend *be)
{
	free(be);
}

int log_backend_pwrite_create(struct log_backend **out)
{
	struct pwrite_backend *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->base.name = "pwrite";
	p->base.write = pwrite_write;
	p->base.start = pwrite_start;
	p->base.finish = pwrite_finish;
	p->base.destroy = pwrite_destroy;
	*out = &p->base;
	return 0;
}
