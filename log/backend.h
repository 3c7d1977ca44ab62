/*
 * backend.h — how the log puts a batch on disk.
 *
 * Two implementations: io_uring and a pwrite()+fdatasync() fallback for
 * kernels or sandboxes where io_uring is missing or forbidden (ENOSYS,
 * EPERM: seccomp filters, kernel.io_uring_disabled).
 *
 * A batch is started by one thread (start) and finished by one thread
 * (finish), possibly another; at most one batch is in flight, and the log
 * never calls two of these at once, so no backend locks.  io_uring starts
 * the I/O at once, so the caller's own work (applying the batch to the
 * views) overlaps the disk; the pwrite backend does all of it in finish.
 */
#ifndef GROVE_LOG_BACKEND_H
#define GROVE_LOG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a batch must reach before it counts as done. */
enum log_sync {
	LOG_SYNC_NONE = 0,   /* written to the page cache                      */
	LOG_SYNC_RANGE,      /* its own bytes on disk (RWF_DSYNC); only valid
			      * when every earlier byte is on disk already     */
	LOG_SYNC_FILE,       /* fdatasync of the whole file                    */
};

/* One batch's I/O: `len` bytes of `buf` at `off` of `fd`, made as durable
 * as `sync` says.  `dfd` is the same file opened O_DIRECT (or -1), and
 * `seg` names the file (descriptor numbers are reused).  `own`: the
 * thread starting the batch waits for it before returning to its caller.
 * Only then may a backend issue the I/O itself: io_uring delivers the
 * completion of a request it issued inline as task work of that thread,
 * which must stay in the log's hands until then (else other threads wait
 * on a thread busy elsewhere, and its own system calls return EINTR). */
struct log_io {
	int fd, dfd;
	uint64_t seg;
	const void *buf;
	size_t len;
	uint64_t off;
	enum log_sync sync;
	bool own;
	uint64_t seg_bytes;      /* the segment's size: a direct write may run
				  * zeros past `len`, never past this         */
};

struct log_backend {
	const char *name;
	/* Write `len` bytes of `buf` at `off` of `fd` (len may be 0), then
	 * make them as durable as `sync` says, and return when done: 0 only
	 * if every byte was written and the sync succeeded; else -errno. */
	int (*write)(struct log_backend *be, int fd, const void *buf, size_t len,
		     uint64_t off, enum log_sync sync);
	/* The same, in two halves: start returns as soon as the I/O is under
	 * way (io->buf must stay valid until finish returns; *io is copied):
	 * 1 if it issued the I/O to the device itself, 0 if a kernel worker
	 * will (writer.c yields to it), or -errno; finish waits for it and
	 * completes whatever the kernel left short. */
	int (*start)(struct log_backend *be, const struct log_io *io);
	int (*finish)(struct log_backend *be);
	void (*destroy)(struct log_backend *be);
};

/* GROVE_LOG_BACKEND_AUTO picks io_uring and falls back to pwrite when the
 * kernel refuses io_uring; _URING fails instead; _PWRITE forces pwrite.
 * The environment variable GROVE_LOG_BACKEND=uring|pwrite overrides AUTO. */
int log_backend_create(struct log_backend **out, int which);

int log_backend_uring_create(struct log_backend **out);
int log_backend_pwrite_create(struct log_backend **out);

#endif
