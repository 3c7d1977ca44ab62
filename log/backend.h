/*
 * backend.h — how the log writer puts a batch on disk.
 *
 * Two implementations: io_uring (one write SQE linked with IOSQE_IO_LINK to
 * one fdatasync SQE, one submission, one wait) and a pwrite()+fdatasync()
 * fallback for kernels or sandboxes where io_uring is missing or forbidden
 * (ENOSYS, EPERM: seccomp filters, kernel.io_uring_disabled).  Both are
 * used by the writer thread only, so neither locks.
 */
#ifndef GROVE_LOG_BACKEND_H
#define GROVE_LOG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log_backend {
	const char *name;
	/* Write `len` bytes of `buf` at `off` of `fd` (len may be 0), then,
	 * if `sync`, fdatasync `fd`.  Returns 0 only if every byte was
	 * written and the sync (when asked) succeeded; else -errno. */
	int (*write)(struct log_backend *be, int fd, const void *buf, size_t len,
		     uint64_t off, bool sync);
	void (*destroy)(struct log_backend *be);
};

/* GROVE_LOG_BACKEND_AUTO picks io_uring and falls back to pwrite when the
 * kernel refuses io_uring; _URING fails instead; _PWRITE forces pwrite.
 * The environment variable GROVE_LOG_BACKEND=uring|pwrite overrides AUTO. */
int log_backend_create(struct log_backend **out, int which);

int log_backend_uring_create(struct log_backend **out);
int log_backend_pwrite_create(struct log_backend **out);

#endif
