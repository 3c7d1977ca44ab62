/* failpoint.c — see failpoint.h. */
#include "log/failpoint.h"

#ifdef GROVE_FAILPOINTS
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long hits;

/* The environment is read at every hit (points sit on slow paths: once
 * per batch, not per record), so a forked child can arm a point that its
 * parent never had. */
void grove_failpoint_hit(const char *name)
{
	const char *env = getenv("GROVE_FAILPOINT");
	size_t n = strlen(name);
	long fire_at = 1;

	if (!env || strncmp(env, name, n) != 0 || (env[n] != '\0' && env[n] != ':'))
		return;
	if (env[n] == ':' && (fire_at = strtol(env + n + 1, NULL, 10)) < 1)
		fire_at = 1;
	if (atomic_fetch_add(&hits, 1) + 1 != fire_at)
		return;
	const char *pause = strstr(env + n, ":pause=");
	if (pause)
		usleep((useconds_t)strtoul(pause + 7, NULL, 10) * 1000u);
	else
		kill(getpid(), SIGKILL);
}
#endif
