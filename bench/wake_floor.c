/*
 * wake_floor.c — the wake-up ceiling of a blocking API (wake_floor.h).
 *
 * Clients push their request on a lock-free stack and sleep on the
 * request's futex word; the server swaps the whole stack out, sets each
 * word and wakes its sleeper.  The server yields when the stack is empty
 * (its clients are all still waking up), so it never sleeps itself: the
 * wakes counted are the clients' only.
 */
#include "wake_floor.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gen.h"

struct request {
	struct request *next;
	_Atomic unsigned served;     /* futex word */
};

struct floor_run {
	struct request *_Atomic stack;
	atomic_bool stop;
	atomic_long served;
	atomic_int left;             /* clients that returned */
	int clients;
};

static void *client(void *arg)
{
	struct floor_run *run = arg;
	struct request r;

	while (!atomic_load(&run->stop)) {
		atomic_store(&r.served, 0);
		r.next = atomic_load(&run->stack);
		while (!atomic_compare_exchange_weak(&run->stack, &r.next, &r))
			;
		while (atomic_load(&r.served) == 0)
			syscall(SYS_futex, &r.served, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	}
	atomic_fetch_add(&run->left, 1);
	return NULL;
}

/* Serve until every client has left: one may push a request after the
 * stop, and sleeps until it is served. */
static void *server(void *arg)
{
	struct floor_run *run = arg;

	for (;;) {
		struct request *r = atomic_exchange(&run->stack, NULL);
		if (!r && atomic_load(&run->left) == run->clients)
			return NULL;
		if (!r)
			sched_yield();
		while (r) {
			struct request *next = r->next; /* r is gone once woken */
			atomic_store(&r->served, 1);
			syscall(SYS_futex, &r->served, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
			atomic_fetch_add_explicit(&run->served, 1, memory_order_relaxed);
			r = next;
		}
	}
}

struct wake_floor wake_floor_measure(int clients, double secs)
{
	struct floor_run run = { .stack = NULL, .clients = clients };
	struct wake_floor f = { 0, 0, 0 };
	pthread_t *t = calloc((size_t)clients, sizeof *t), srv;

	if (!t || clients < 1 || clients > 1024)
		goto out;
	for (int i = 0; i < clients; i++)
		if (pthread_create(&t[i], NULL, client, &run)) {
			fprintf(stderr, "wake_floor: cannot start thread %d\n", i);
			exit(1);
		}
	if (pthread_create(&srv, NULL, server, &run)) {
		fprintf(stderr, "wake_floor: cannot start the server\n");
		exit(1);
	}
	usleep(100 * 1000); /* everyone started */
	long w0 = atomic_load(&run.served);
	double t0 = bench_now_s(), c0 = bench_cpu_s();
	usleep((useconds_t)(secs * 1e6));
	long w1 = atomic_load(&run.served);
	double el = bench_now_s() - t0, cpu = bench_cpu_s() - c0;
	atomic_store(&run.stop, true);
	for (int i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	pthread_join(srv, NULL);
	f.wakes = w1 - w0;
	f.wakes_per_s = (double)f.wakes / el;
	f.cpu_us = f.wakes ? cpu / (double)f.wakes * 1e6 : 0;
out:
	free(t);
	return f;
}
