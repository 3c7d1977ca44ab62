/* error.c — thread-local detail messages of log/ (see error.h). */
#include "log/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static __thread char errmsg[LOG_ERRMSG_BYTES];

int log_error(int err, const char *fmt, ...)
{
	/* Formatted aside first: the arguments may include log_errmsg()
	 * itself (a caller adding context to the message it got). */
	char buf[LOG_ERRMSG_BYTES];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	memcpy(errmsg, buf, sizeof errmsg);
	return err;
}

const char *log_errmsg(void)
{
	return errmsg;
}
