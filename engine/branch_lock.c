/*
 * branch_lock.c — one writer at a time per branch, and combining.
 *
 * Each branch has a mutex that a write holds from its plan to its apply
 * (db_branch_lock).  Mutations, the small and frequent writes, go through
 * db_branch_run instead: callers queue their work on the branch, and one
 * of them — the combiner — takes the mutex and runs the whole queue back
 * to back while the others sleep.  Handing a contended mutex from thread
 * to thread costs a wake-up on the critical path for every write; the
 * combiner pays one per batch.  It runs one batch (everything queued when
 * it looked), then hands the role to the first thread queued after it,
 * so loads waiting on the mutex and the combiner's own caller are never
 * starved.  Then, outside the mutex, it waits once for the batch's last
 * record to be durable and wakes the batch's callers: each caller sleeps
 * once, not once for its turn and again for its fsync.
 *
 * A job's failure message is thread-local (grove_errmsg); the combiner
 * saves it into the job and the caller restores it in its own thread.
 *
 * Waking: the jobs queued between two takes of the queue form one
 * generation, and one batch is exactly one generation.  A queued job
 * sleeps on two futex words at once (futex_waitv): its own, for the
 * combiner's role, and its generation's, for the batch's end — so the
 * combiner wakes a whole batch with one system call instead of one per
 * job.  (64 threads that only sleep and are woken, on a 2-core guest:
 * 155-166k wakes/s at 10.5-11.3 us of CPU each with one call per wake,
 * 290-323k/s at 5.8-6.6 us with one call per batch; mutate_bench prints
 * both.)  Without futex_waitv (kernels before 5.16, some seccomp
 * filters) each job is woken on its own word.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "engine/db.h"
#include "log/failpoint.h"

enum { JOB_QUEUED, JOB_DONE, JOB_COMBINE };

struct branch_job {
	struct branch_job *next;
	int (*fn)(void *arg, uint64_t *lsn);
	void (*meanwhile)(void *arg);
	void *arg;
	uint64_t lsn;               /* what fn logged: durable before DONE */
	int err;
	struct db_error_state es;   /* the failure's message, when run elsewhere */
	_Atomic uint32_t state;     /* JOB_*; futex word                         */
	uint32_t gen;               /* its generation (queued jobs only)         */
};

/* Generations share GEN_WORDS futex words, round robin: a job woken by
 * another generation's end finds itself still queued and sleeps again. */
#define GEN_WORDS 8u

struct branch_lock {
	struct branch_lock *next;
	char *name;
	pthread_mutex_t mu;         /* the branch's writer */
	pthread_mutex_t qmu;        /* guards the queue, `combining` and `gen` */
	struct branch_job *head, **tail;
	bool combining;             /* a thread owns the queue */
	uint32_t gen;               /* the generation jobs join when queued */
	_Atomic uint32_t ended[GEN_WORDS]; /* futex words: batches ended */
	_Atomic uint32_t users;     /* threads holding it (branch_entry)      */
};

/* Entries a table holds before its first sweep. */
#define LOCKS_SWEEP_MIN 64u

/* The bucket of a branch name. */
static struct branch_lock **bucket(grove_db *db, const char *name)
{
	return &db->locks[XXH3_64bits(name, strlen(name)) % DB_LOCK_BUCKETS];
}

static struct branch_lock *find(struct branch_lock *l, const char *name)
{
	while (l && strcmp(l->name, name))
		l = l->next;
	return l;
}

static void entry_free(struct branch_lock *l)
{
	pthread_mutex_destroy(&l->mu);
	pthread_mutex_destroy(&l->qmu);
	free(l->name);
	free(l);
}

/* Free every entry no thread uses (the table's write lock held).  An idle
 * entry holds nothing: its writer mutex is free and its queue empty, so
 * the branch's next write makes it again.  Sweeping when the table has
 * doubled since the last sweep bounds it by twice the branches in use,
 * at an amortized O(1) per entry made: a handle that creates and deletes
 * branches for ever (or writes to names that do not exist) does not
 * grow. */
static void sweep(grove_db *db)
{
	size_t kept = 0;
	for (uint32_t i = 0; i < DB_LOCK_BUCKETS; i++)
		for (struct branch_lock **p = &db->locks[i]; *p;) {
			struct branch_lock *l = *p;
			if (atomic_load_explicit(&l->users, memory_order_acquire) == 0) {
				*p = l->next;
				entry_free(l);
			} else {
				kept++;
				p = &l->next;
			}
		}
	db->n_locks = kept;
	db->locks_sweep_at = 2 * kept > LOCKS_SWEEP_MIN ? 2 * kept : LOCKS_SWEEP_MIN;
}

static struct branch_lock *entry_new(const char *name)
{
	struct branch_lock *l = calloc(1, sizeof *l);
	if (l && !(l->name = strdup(name))) {
		free(l);
		return NULL;
	}
	if (l) {
		pthread_mutex_init(&l->mu, NULL);
		pthread_mutex_init(&l->qmu, NULL);
		l->tail = &l->head;
	}
	return l;
}

/* The branch's entry, in use by the caller until branch_release: a sweep
 * frees only entries no thread uses.  Every write looks one up, so the
 * common case takes the table's lock shared; hashed, so a handle that
 * saw many branches still finds one at once.  NULL: out of memory. */
static struct branch_lock *branch_entry(grove_db *db, const char *name)
{
	struct branch_lock **b = bucket(db, name), *l;

	pthread_rwlock_rdlock(&db->locks_rw);
	if ((l = find(*b, name)) != NULL)
		atomic_fetch_add_explicit(&l->users, 1, memory_order_relaxed);
	pthread_rwlock_unlock(&db->locks_rw);
	if (l)
		return l;
	pthread_rwlock_wrlock(&db->locks_rw);
	if (!(l = find(*b, name))) {
		if (db->n_locks >= db->locks_sweep_at)
			sweep(db);
		if ((l = entry_new(name)) != NULL) {
			l->next = *b;
			*b = l;
			db->n_locks++;
		}
	}
	if (l)
		atomic_fetch_add_explicit(&l->users, 1, memory_order_relaxed);
	pthread_rwlock_unlock(&db->locks_rw);
	return l;
}

/* The caller is done with l: it must not touch it after. */
static void branch_release(struct branch_lock *l)
{
	atomic_fetch_sub_explicit(&l->users, 1, memory_order_release);
}

struct branch_lock *db_branch_lock(grove_db *db, const char *name)
{
	struct branch_lock *l = branch_entry(db, name);
	if (l)
		pthread_mutex_lock(&l->mu);
	return l;
}

void db_branch_unlock(grove_db *db, struct branch_lock *l)
{
	(void)db;
	pthread_mutex_unlock(&l->mu);
	branch_release(l);
}

void db_branch_locks_free(grove_db *db)
{
	for (uint32_t i = 0; i < DB_LOCK_BUCKETS; i++) {
		struct branch_lock *l, *next;
		for (l = db->locks[i]; l; l = next) {
			next = l->next;
			entry_free(l);
		}
		db->locks[i] = NULL;
	}
	db->n_locks = 0;
}

/* Where the headers know futex_waitv (Linux 5.16, glibc 2.35). */
#if defined(SYS_futex_waitv) && defined(FUTEX_WAITV_MAX)
#define HAVE_FUTEX_WAITV 1
#endif

/* 1: futex_waitv works here; 0: it does not; -1: not asked yet. */
static _Atomic int waitv_ok = -1;

/* Can threads sleep on two words at once?  Asked once per process, at
 * the first handle's open (db_branch_locks_init), before any job can
 * queue: waiters and combiners must agree.  A wait on a word that does
 * not hold the value given returns at once, EAGAIN where the call
 * exists. */
static bool have_waitv(void)
{
	int ok = atomic_load_explicit(&waitv_ok, memory_order_relaxed);
	if (ok >= 0)
		return ok;
	ok = 0;
#ifdef HAVE_FUTEX_WAITV
	uint32_t word = 1;
	struct futex_waitv w = { .val = 0, .uaddr = (uintptr_t)&word,
				 .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG };
	ok = syscall(SYS_futex_waitv, &w, 1, 0, NULL, CLOCK_MONOTONIC) < 0 && errno == EAGAIN;
#endif
	int none = -1; /* the first answer stands (and db_branch_wake_each's) */
	if (!atomic_compare_exchange_strong(&waitv_ok, &none, ok))
		ok = none;
	return ok;
}

void db_branch_locks_init(void)
{
	(void)have_waitv();
}

static void futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static void job_set(struct branch_job *j, uint32_t state)
{
	atomic_store_explicit(&j->state, state, memory_order_release);
	futex_wake(&j->state, 1);
}

/* Sleep until j leaves JOB_QUEUED: woken on its own word, or on its
 * generation's when the batch it ran in ends. */
static uint32_t job_wait(struct branch_lock *l, struct branch_job *j)
{
	_Atomic uint32_t *ended = &l->ended[j->gen % GEN_WORDS];
	bool v = have_waitv();
	uint32_t s;
	for (;;) {
		/* The generation's word before the state: a batch end after
		 * this load changes the word, so the wait cannot miss it. */
		uint32_t seen = atomic_load_explicit(ended, memory_order_acquire);
		if ((s = atomic_load_explicit(&j->state, memory_order_acquire)) != JOB_QUEUED)
			return s;
		if (!v) {
			syscall(SYS_futex, &j->state, FUTEX_WAIT_PRIVATE, JOB_QUEUED, NULL, NULL, 0);
			continue;
		}
#ifdef HAVE_FUTEX_WAITV
		struct futex_waitv w[2] = {
			{ .val = JOB_QUEUED, .uaddr = (uintptr_t)&j->state,
			  .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
			{ .val = seen, .uaddr = (uintptr_t)ended, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
		};
		if (syscall(SYS_futex_waitv, w, 2, 0, NULL, CLOCK_MONOTONIC) >= 0 ||
		    errno == EAGAIN || errno == EINTR)
			continue;
#endif
		/* Refused in this thread only (a seccomp filter of its own):
		 * the combiner wakes the generation's word, not ours, so look
		 * again every millisecond rather than spin. */
		struct timespec ms = { 0, 1000000 };
		syscall(SYS_futex, &j->state, FUTEX_WAIT_PRIVATE, JOB_QUEUED, &ms, NULL, 0);
	}
}

/* Finish the jobs of a batch of generation `gen` (their err set): each
 * leaves as soon as it sees JOB_DONE, so none is touched after. */
static void finish_jobs(struct branch_lock *l, uint32_t gen, struct branch_job *jobs)
{
	bool v = have_waitv();
	if (!jobs)
		return; /* a lone writer's batch: no call at all */
	while (jobs) {
		struct branch_job *j = jobs;
		jobs = j->next;
		if (v)
			atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
		else
			job_set(j, JOB_DONE);
	}
	if (v) {
		_Atomic uint32_t *ended = &l->ended[gen % GEN_WORDS];
		atomic_fetch_add_explicit(ended, 1, memory_order_release);
		futex_wake(ended, INT32_MAX);
	}
}

/* Run one job under the branch's writer.  Jobs that logged records wait
 * on *pending until those are durable.  So do failed jobs and jobs that
 * logged nothing once an earlier job of the batch logged: they planned
 * through the batch's transaction (sequencer.h), so their answer — a
 * precondition naming the head an earlier job made, a key conflict with
 * its row, "nothing changed" — may rest on that job's write, which is
 * not durable yet and which a crash or a failed fsync would take back.
 * (db_writer_settle cannot cover them: the batch's writes become visible
 * to seq_read_fence only when the batch commits.)  The rest finish at
 * once. */
static void run_job(struct branch_job *j, struct branch_job *mine, struct branch_job **pending,
		    uint64_t *max_lsn)
{
	j->lsn = 0;
	/* A job whose failure leaves the message as it found it must not
	 * hand on an earlier job's (or caller's) message. */
	db_error_clear();
	if ((j->err = j->fn(j->arg, &j->lsn)) < 0)
		db_error_save(&j->es); /* later jobs overwrite this thread's */
	bool logged = j->err == 0 && j->lsn;
	if (logged && j->lsn > *max_lsn)
		*max_lsn = j->lsn;
	if (j == mine)
		return;
	if (logged || *max_lsn) {
		j->next = *pending;
		*pending = j;
	} else {
		job_set(j, JOB_DONE);
	}
}

/* Pass the combiner's role to the first thread queued, if any. */
static void hand_on(struct branch_lock *l)
{
	pthread_mutex_lock(&l->qmu);
	struct branch_job *next = l->head;
	if (next) {
		l->head = next->next;
		if (!l->head)
			l->tail = &l->head;
	} else {
		l->combining = false;
	}
	pthread_mutex_unlock(&l->qmu);
	if (next)
		job_set(next, JOB_COMBINE);
}

/* The batch's transaction failed: no job that logged a record made it
 * into the views (the handle is poisoned). */
static void fail_logged(struct branch_job *mine, struct branch_job *pending, int err,
			const struct db_error_state *es)
{
	if (mine->err == 0 && mine->lsn) {
		mine->err = err;
		mine->es = *es;
	}
	for (struct branch_job *j = pending; j; j = j->next) {
		j->err = err;
		j->es = *es;
	}
}

/* Commit the batch's transaction; if that fails, so did every job
 * logged in it (mine and those pending now). */
static void end_batch(grove_db *db, struct branch_job *mine, struct branch_job *pending)
{
	int err = seq_batch_end(db);
	if (err < 0) {
		struct db_error_state es;
		db_error_save(&es);
		fail_logged(mine, pending, err, &es);
	}
}

/* Run every job queued now (`mine` first), pass the role on, then wait
 * once for the whole batch to be durable and finish its jobs: one fsync
 * wait per batch instead of one per job. */
static void combine(grove_db *db, struct branch_lock *l, struct branch_job *mine)
{
	struct branch_job *pending = NULL;
	uint64_t max_lsn = 0;

	FAILPOINT("combine.begin");
	pthread_mutex_lock(&l->qmu);
	struct branch_job *batch = l->head;
	uint32_t gen = l->gen++; /* the queue's jobs; later ones are the next */
	l->head = NULL;
	l->tail = &l->head;
	pthread_mutex_unlock(&l->qmu);

	pthread_mutex_lock(&l->mu);
	/* One LMDB write transaction for the jobs (sequencer.h) until it
	 * holds seq_batch_effects; the jobs after that, or all of them if it
	 * cannot start, commit one by one. */
	bool txn = seq_batch_begin(db) == 0;
	run_job(mine, mine, &pending, &max_lsn);
	while (batch) {
		struct branch_job *j = batch;
		batch = j->next;
		if (txn && seq_batch_full(db)) {
			end_batch(db, mine, pending);
			txn = false;
		}
		run_job(j, mine, &pending, &max_lsn);
	}
	FAILPOINT("combine.end"); /* every job has run; the batch is not committed */
	if (txn)
		end_batch(db, mine, pending);
	pthread_mutex_unlock(&l->mu);
	hand_on(l);

	if (mine->meanwhile && mine->err == 0 && mine->lsn)
		mine->meanwhile(mine->arg);
	int err = max_lsn ? seq_commit_end(db, max_lsn) : 0;
	struct db_error_state es;
	if (err < 0)
		db_error_save(&es);
	if (err < 0 && mine->err == 0 && mine->lsn) {
		mine->err = err;
		mine->es = es;
	}
	if (err < 0)
		for (struct branch_job *j = pending; j; j = j->next) {
			j->err = err;
			j->es = es;
		}
	finish_jobs(l, gen, pending);
}

#ifdef GROVE_FAILPOINTS
size_t db_branch_queued(grove_db *db, const char *name)
{
	struct branch_lock *l = branch_entry(db, name);
	size_t n = 0;
	pthread_mutex_lock(&l->qmu);
	for (const struct branch_job *j = l->head; j; j = j->next)
		n++;
	pthread_mutex_unlock(&l->qmu);
	branch_release(l);
	return n;
}

void db_branch_wake_each(void)
{
	atomic_store(&waitv_ok, 0);
}
#endif

int db_branch_run(grove_db *db, const char *name, int (*fn)(void *arg, uint64_t *lsn),
		  void (*meanwhile)(void *arg), void *arg)
{
	struct branch_job j = { .fn = fn, .meanwhile = meanwhile, .arg = arg };
	struct branch_lock *l = branch_entry(db, name);
	bool lead;

	if (!l)
		return db_error(db, -ENOMEM, "out of memory");
	pthread_mutex_lock(&l->qmu);
	lead = !l->combining;
	if (lead) {
		l->combining = true;
	} else {
		j.gen = l->gen;
		*l->tail = &j;
		l->tail = &j.next;
	}
	pthread_mutex_unlock(&l->qmu);
	if (lead || job_wait(l, &j) == JOB_COMBINE) {
		/* The batch's failures pass through this thread's last error;
		 * a caller that succeeded gets its own back. */
		struct db_error_state before;
		db_error_save(&before);
		combine(db, l, &j);
		if (j.err == 0)
			db_error_restore(before.db, 0, &before);
	}
	branch_release(l);
	if (j.err < 0)
		db_error_restore(db, j.err, &j.es);
	return j.err;
}
