/* failpoint.c — see failpoint.h. */
#include "log/failpoint.h"

#ifdef GROVE_FAILPOINTS
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char armed[128];          /* the point named by GROVE_FAILPOINT */
static long fire_at = 1;         /* fire on this hit                   */
static atomic_long hits;

static void load_config(void)
{
	const char *env = getenv("GROVE_FAILPOINT");
	if (!env || !*env)
		return;
	strncpy(armed, env, sizeof armed - 1);
	char *colon = strchr(armed, ':');
	if (colon) {
		*colon = '\0';
		fire_at = strtol(colon + 1, NULL, 10);
		if (fire_at < 1)
			fire_at = 1;
	}
}

void grove_failpoint_hit(const char *name)
{
	pthread_once(&once, load_config);
	if (!armed[0] || strcmp(armed, name) != 0)
		return;
	if (atomic_fetch_add(&hits, 1) + 1 == fire_at)
		kill(getpid(), SIGKILL);
}
#endif
