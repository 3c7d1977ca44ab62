/* backend.c — choose the log writer's backend (see backend.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "log/backend.h"
#include "log/error.h"

int log_backend_create(struct log_backend **out, int which)
{
	const char *env = getenv("GROVE_LOG_BACKEND");
	int err;

	if (which == GROVE_LOG_BACKEND_AUTO && env && *env) {
		if (!strcmp(env, "uring") || !strcmp(env, "io_uring"))
			which = GROVE_LOG_BACKEND_URING;
		else if (!strcmp(env, "pwrite"))
			which = GROVE_LOG_BACKEND_PWRITE;
		else
			return log_error(GROVE_EINVAL,
					 "GROVE_LOG_BACKEND=%s: expected uring or pwrite", env);
	}
	if (which == GROVE_LOG_BACKEND_PWRITE)
		return log_backend_pwrite_create(out);
	if (which != GROVE_LOG_BACKEND_AUTO && which != GROVE_LOG_BACKEND_URING)
		return log_error(GROVE_EINVAL, "unknown log backend %d", which);
	err = log_backend_uring_create(out);
	/* ENOSYS: a kernel without io_uring.  EPERM/EACCES: a seccomp filter
	 * or kernel.io_uring_disabled.  ENOMEM: locked-memory limits on old
	 * kernels.  AUTO falls back; URING reports. */
	if (err < 0 && which == GROVE_LOG_BACKEND_AUTO &&
	    (err == -ENOSYS || err == -EPERM || err == -EACCES || err == -ENOMEM))
		return log_backend_pwrite_create(out);
	if (err < 0)
		return log_error(err, "io_uring is unavailable: %s", strerror(-err));
	return 0;
}
