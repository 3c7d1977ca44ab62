/*
 * wake_floor.h — how many blocked threads this machine can wake per second.
 *
 * A durable write through a blocking API puts its calling thread to sleep
 * until the write is on disk, and something must wake it: at least one
 * futex wake and two context switches per operation, whatever the engine
 * does.  wake_floor_measure() runs exactly that with no work at all —
 * `clients` threads each post a request and sleep on a futex, one server
 * thread wakes each in turn — so its rate bounds the ops/s of any such
 * design on this machine, and its CPU per wake is the part of an op's
 * CPU that no engine can save.
 */
#ifndef GROVE_BENCH_WAKE_FLOOR_H
#define GROVE_BENCH_WAKE_FLOOR_H

struct wake_floor {
	double wakes_per_s;   /* requests served per second            */
	double cpu_us;        /* process CPU (user + system) per wake   */
	long wakes;           /* requests served in all                 */
};

/* Run for `secs` seconds with `clients` client threads (1..1024). */
struct wake_floor wake_floor_measure(int clients, double secs);

#endif
