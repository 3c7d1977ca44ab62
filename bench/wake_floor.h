/*
 * wake_floor.h — how many blocked threads this machine can wake per second.
 *
 * A durable write through a blocking API puts its calling thread to sleep
 * until the write is on disk, and something must wake it: at least one
 * wake-up and two context switches per operation, whatever the engine
 * does.  wake_floor_measure() runs exactly that with no work at all —
 * `clients` threads each post a request and sleep, one server thread
 * wakes them — so its rate bounds the ops/s of any such design on this
 * machine, and its CPU per wake is the part of an op's CPU that no
 * engine can save.  Two ways to wake, as an engine may:
 *
 *   WAKE_EACH   each client sleeps on a futex word of its own, and the
 *               server wakes each with a system call of its own;
 *   WAKE_BATCH  clients sleep on one shared word, and the server wakes
 *               every client that posted since its last round with one
 *               call (what engine/branch_lock.c does for a batch).
 */
#ifndef GROVE_BENCH_WAKE_FLOOR_H
#define GROVE_BENCH_WAKE_FLOOR_H

enum wake_mode { WAKE_EACH, WAKE_BATCH };

struct wake_floor {
	double wakes_per_s;   /* requests served per second            */
	double cpu_us;        /* process CPU (user + system) per wake   */
	long wakes;           /* requests served in all                 */
};

/* Run for `secs` seconds with `clients` client threads (1..1024). */
struct wake_floor wake_floor_measure(int clients, double secs, enum wake_mode mode);

#endif
