/* error.c — thread-local detail messages of log/ (see error.h). */
#include "log/error.h"

#include <stdarg.h>
#include <stdio.h>

static __thread char errmsg[LOG_ERRMSG_BYTES];

int log_error(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof errmsg, fmt, ap);
	va_end(ap);
	return err;
}

const char *log_errmsg(void)
{
	return errmsg;
}
