/*
 * error.h — the detail message of the log layer's last error.
 *
 * Functions of log/ return 0, a GROVE_E* code or -errno.  When an error has
 * detail worth telling (which segment, which offset, which limit), they also
 * leave a message in a thread-local buffer; the engine copies it into the
 * handle's last-error message.  Stale messages are never read: a caller
 * reads the message only right after a call that failed.
 */
#ifndef GROVE_LOG_ERROR_H
#define GROVE_LOG_ERROR_H

#define LOG_ERRMSG_BYTES 512

/* Set the message and return `err`, so a failure path reads
 * `return log_error(GROVE_ECORRUPT, "...", ...);`. */
int log_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The calling thread's last message ("" if none was set). */
const char *log_errmsg(void);

#endif
