/*
 * failpoint.h — named crash points for crash tests.
 *
 * FAILPOINT("name") kills the process with SIGKILL — no cleanup, no
 * flush, exactly like a power cut as far as the process is concerned —
 * when the environment variable GROVE_FAILPOINT names it.
 * "GROVE_FAILPOINT=name:N" fires on the N-th time that point is reached
 * (default 1).  "GROVE_FAILPOINT=name:N:pause=MS" sleeps MS milliseconds
 * at that hit instead of dying (tests that need a slow step, e.g. a log
 * write held back while readers run).  "name:N:hold" stops the thread
 * there until grove_failpoint_release(); grove_failpoint_held() counts
 * the threads stopped (tests that must order threads exactly).  "name:N:error" makes a point
 * written FAILPOINT_ERROR("name") return -EIO there instead: the step
 * fails as if the kernel had refused it.  Up to four comma-separated
 * entries may be armed at once, each with its own hit count.  Compiled
 * in only with GROVE_FAILPOINTS defined, which only the tests' copy of
 * the library is (meson.build: libgrove_test); in libgrove, the CLI and
 * the benchmarks FAILPOINT expands to nothing.
 *
 * The variable is read at the first hit; if it was unset then, later hits
 * cost one atomic load.  A process that sets or changes it after that (a
 * test, or a forked child) calls grove_failpoint_rearm().
 */
#ifndef GROVE_LOG_FAILPOINT_H
#define GROVE_LOG_FAILPOINT_H

#ifdef GROVE_FAILPOINTS
void grove_failpoint_hit(const char *name);
int grove_failpoint_error(const char *name);
void grove_failpoint_rearm(void);
int grove_failpoint_held(void);
void grove_failpoint_release(void);
#define FAILPOINT(name) grove_failpoint_hit(name)
#define FAILPOINT_ERROR(name) grove_failpoint_error(name)
#else
#define FAILPOINT(name) ((void)0)
#define FAILPOINT_ERROR(name) 0
static inline void grove_failpoint_rearm(void) {}
#endif

#endif
