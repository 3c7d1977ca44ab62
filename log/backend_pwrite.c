/* backend_pwrite.c — the portable backend: pwrite() then fdatasync(). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "log/backend.h"

static int pwrite_write(struct log_backend *be, int fd, const void *buf, size_t len,
			uint64_t off, bool sync)
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
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	if (sync && fdatasync(fd) < 0)
		return -errno;
	return 0;
}

static void pwrite_destroy(struct log_backend *be)
{
	free(be);
}

int log_backend_pwrite_create(struct log_backend **out)
{
	struct log_backend *be = calloc(1, sizeof *be);
	if (!be)
		return -ENOMEM;
	be->name = "pwrite";
	be->write = pwrite_write;
	be->destroy = pwrite_destroy;
	*out = be;
	return 0;
}
