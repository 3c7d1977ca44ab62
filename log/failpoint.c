/* failpoint.c — see failpoint.h. */
#include "log/failpoint.h"

#ifdef GROVE_FAILPOINTS
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAILPOINT_MAX_ARMED 4

static atomic_long hits[FAILPOINT_MAX_ARMED];

/* FP_UNKNOWN until the first hit reads the environment; FP_UNARMED then
 * skips every later hit (points sit on every commit: nine per mutation,
 * and getenv scans the whole environment).  While armed, each hit reads
 * the variable again, so it may change between hits. */
enum { FP_UNKNOWN, FP_UNARMED, FP_ARMED };
static atomic_int state = FP_UNKNOWN;

/* Threads stopped at a `hold` entry, and whether they may go on. */
static atomic_int held, released;

/* The hit counts are not reset: each test that arms a point runs in a
 * process of its own (Criterion forks one per test). */
void grove_failpoint_rearm(void)
{
	atomic_store(&state, FP_UNKNOWN);
	atomic_store(&released, 0);
}

int grove_failpoint_held(void)
{
	return atomic_load(&held);
}

void grove_failpoint_release(void)
{
	atomic_store(&released, 1);
}

/* What the matching entry asks for at this hit: sleep, report an error,
 * or die.  `entry` is the entry's text, `len` its length, `n` the name's. */
static int act(const char *entry, size_t len, size_t n)
{
	const char *pause = strstr(entry + n, ":pause=");
	const char *error = strstr(entry + n, ":error");
	const char *hold = strstr(entry + n, ":hold");
	if (hold && hold < entry + len) {
		atomic_fetch_add(&held, 1);
		while (!atomic_load(&released))
			usleep(1000);
		atomic_fetch_sub(&held, 1);
		return 0;
	}
	if (pause && pause < entry + len) {
		usleep((useconds_t)strtoul(pause + 7, NULL, 10) * 1000u);
		return 0;
	}
	if (error && error < entry + len)
		return -EIO;
	kill(getpid(), SIGKILL);
	return 0;
}

/* The variable holds up to four comma-separated entries, each counting
 * its own hits. */
static int fire(const char *name)
{
	if (atomic_load_explicit(&state, memory_order_relaxed) == FP_UNARMED)
		return 0;
	const char *env = getenv("GROVE_FAILPOINT");
	size_t n = strlen(name);

	atomic_store_explicit(&state, env && *env ? FP_ARMED : FP_UNARMED, memory_order_relaxed);
	for (int i = 0; env && *env && i < FAILPOINT_MAX_ARMED; i++) {
		const char *end = strchr(env, ',');
		size_t len = end ? (size_t)(end - env) : strlen(env);
		if (len >= n && strncmp(env, name, n) == 0 && (len == n || env[n] == ':')) {
			long fire_at = 1;
			if (len > n && (fire_at = strtol(env + n + 1, NULL, 10)) < 1)
				fire_at = 1;
			if (atomic_fetch_add(&hits[i], 1) + 1 != fire_at)
				return 0;
			return act(env, len, n);
		}
		env = end ? end + 1 : env + len;
	}
	return 0;
}

void grove_failpoint_hit(const char *name)
{
	(void)fire(name);
}

int grove_failpoint_error(const char *name)
{
	return fire(name);
}
#endif
