/*
 * wake_floor.c — the wake-up ceiling of a blocking API (wake_floor.h).
 *
 * WAKE_EACH: clients push their request on a lock-free stack and sleep on
 * the request's futex word; the server swaps the whole stack out, sets
 * each word and wakes its sleeper.  WAKE_BATCH: clients count themselves
 * in and sleep on the round's word; the server ends the round (bumps the
 * word) and wakes all of them at once.  The server yields while nobody
 * has posted (its clients are all still waking up), so it never sleeps
 * itself: the wakes counted are the clients' only.
 */
#include "wake_floor.h"

#include <limits.h>
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
	_Atomic unsigned served;     /* futex word (WAKE_EACH) */
};

struct floor_run {
	enum wake_mode mode;
	struct request *_Atomic stack; /* WAKE_EACH: posted requests   */
	atomic_long posted;          /* WAKE_BATCH: requests posted     */
	_Atomic unsigned round;      /* WAKE_BATCH: futex word          */
	atomic_bool stop;
	atomic_long served;
	atomic_int left;             /* clients that returned */
	int clients;
};

static void futex_wait(_Atomic unsigned *word, unsigned val)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic unsigned *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static void *client(void *arg)
{
	struct floor_run *run = arg;
	struct request r;

	while (!atomic_load(&run->stop)) {
		if (run->mode == WAKE_BATCH) {
			unsigned round = atomic_load(&run->round);
			atomic_fetch_add(&run->posted, 1);
			while (atomic_load(&run->round) == round)
				futex_wait(&run->round, round);
			continue;
		}
		atomic_store(&r.served, 0);
		r.next = atomic_load(&run->stack);
		while (!atomic_compare_exchange_weak(&run->stack, &r.next, &r))
			;
		while (atomic_load(&r.served) == 0)
			futex_wait(&r.served, 0);
	}
	atomic_fetch_add(&run->left, 1);
	return NULL;
}

/* One round of serving: how many requests it served. */
static long serve(struct floor_run *run, long *done)
{
	if (run->mode == WAKE_BATCH) {
		long posted = atomic_load(&run->posted), n = posted - *done;
		if (n) {
			atomic_fetch_add(&run->round, 1);
			futex_wake(&run->round, INT_MAX);
			*done = posted;
		}
		return n;
	}
	long n = 0;
	for (struct request *r = atomic_exchange(&run->stack, NULL); r; n++) {
		struct request *next = r->next; /* r is gone once woken */
		atomic_store(&r->served, 1);
		futex_wake(&r->served, 1);
		r = next;
	}
	return n;
}

/* Serve until every client has left: one may post a request after the
 * stop, and sleeps until it is served. */
static void *server(void *arg)
{
	struct floor_run *run = arg;
	long done = 0;

	for (;;) {
		long n = serve(run, &done);
		atomic_fetch_add_explicit(&run->served, n, memory_order_relaxed);
		if (!n && atomic_load(&run->left) == run->clients)
			return NULL;
		if (!n)
			sched_yield();
	}
}

struct wake_floor wake_floor_measure(int clients, double secs, enum wake_mode mode)
{
	struct floor_run run = { .mode = mode, .clients = clients };
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
