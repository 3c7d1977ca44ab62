/* direct.c — O_DIRECT segment descriptors and their writer lock (direct.h). */
#include "log/direct.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/segment.h"

/* The direct descriptors open in this process, for fork(). */
#define DIRECT_MAX 64

static struct {
	pthread_mutex_t mu;
	pthread_once_t once;
	int fd[DIRECT_MAX];
	int n;
} open_fds = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_ONCE_INIT, { 0 }, 0 };

static void before_fork(void)
{
	pthread_mutex_lock(&open_fds.mu);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&open_fds.mu);
}

/* The child's copies would keep the parent's lock alive: /dev/null takes
 * their place (async-signal-safe calls only). */
static void after_fork_child(void)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (int i = 0; i < open_fds.n; i++) {
		if (null >= 0)
			dup2(null, open_fds.fd[i]);
		else
			close(open_fds.fd[i]);
	}
	if (null >= 0)
		close(null);
	open_fds.n = 0;
	pthread_mutex_unlock(&open_fds.mu);
}

static void register_atfork(void)
{
	(void)pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

static bool remember(int fd)
{
	bool ok;
	pthread_once(&open_fds.once, register_atfork);
	pthread_mutex_lock(&open_fds.mu);
	if ((ok = open_fds.n < DIRECT_MAX))
		open_fds.fd[open_fds.n++] = fd;
	pthread_mutex_unlock(&open_fds.mu);
	return ok;
}

static void forget(int fd)
{
	pthread_mutex_lock(&open_fds.mu);
	for (int i = 0; i < open_fds.n; i++)
		if (open_fds.fd[i] == fd) {
			open_fds.fd[i] = open_fds.fd[--open_fds.n];
			break;
		}
	pthread_mutex_unlock(&open_fds.mu);
}

int log_direct_open(int dirfd, uint64_t first_lsn)
{
	char name[LOG_SEGMENT_NAME_BYTES];
	const char *env = getenv("GROVE_LOG_DIRECT");
	if (env && !strcmp(env, "off"))
		return -1;
	log_segment_name(name, first_lsn);
	int fd = openat(dirfd, name, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* Without the lock a later opener could not wait for our writes. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || !remember(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

void log_direct_close(int fd)
{
	if (fd < 0)
		return;
	forget(fd);
	close(fd);
}

int log_direct_wait(int dirfd, uint64_t first_lsn)
{
	char name[LOG_SEGMENT_NAME_BYTES];
	const struct timespec pause = { 0, 1000000 };  /* 1 ms */

	log_segment_name(name, first_lsn);
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* log_segment_open reports it */
	for (unsigned waited = 0;; waited++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK)
			break; /* ours (released by close), or no locks here at all */
		if (waited >= LOG_DIRECT_WAIT_MS) {
			close(fd);
			return log_error(GROVE_EBUSY,
					 "log segment %s is held by another writer (a process still "
					 "running, or the direct writes of a killed one not done "
					 "after %u s)", name, LOG_DIRECT_WAIT_MS / 1000);
		}
		nanosleep(&pause, NULL);
	}
	close(fd);
	return 0;
}
