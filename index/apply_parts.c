/*
 * apply_parts.c — a huge event applied in parts (see apply.h), the next
 * part gathered while this one is written.
 *
 * Gathering a part (resolving ids, building keys, sorting them) and
 * writing it (LMDB puts) take about as long as each other, and only the
 * writing needs the write transaction.  So while the caller writes part
 * k, a helper thread gathers and sorts part k+1 into the other set of
 * batches with apply_branch.no_txn set, reading the views as they were
 * before the event through a read transaction of its own (rtxn).  It
 * stops at the first effect that needs the write transaction (apply.c:
 * a delete, an entity the event touched already, a full id cache), and
 * the caller, once its write is done, gathers the rest of the part
 * itself.  Each effect is gathered once, in order, by one thread at a
 * time, so the puts, the ids and next_id come out exactly as applying
 * the parts in turn gives (a 3M-effect rebuild 12.9-15.6 -> 8.7 s).
 */
#include <pthread.h>
#include <stdio.h>

#include "index/apply_int.h"
#include "log/error.h"

struct helper {
	pthread_t thread;
	struct views *v;
	const struct lang_catalog *cat;
	struct apply_branch *b;
	uint64_t lsn;
	const struct event_effect *fx;
	uint32_t n, done;
	int err;
	char msg[LOG_ERRMSG_BYTES]; /* log_errmsg() of err: it is per thread */
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	h->b->no_txn = true;
	h->err = apply_build(h->b->rtxn, h->v, h->cat, h->b, h->lsn, h->fx, h->n, &h->done);
	h->b->no_txn = false;
	if (h->err == 0)
		apply_sort(h->b); /* the whole part: its flush only writes */
	if (h->err < 0)
		snprintf(h->msg, sizeof h->msg, "%s", log_errmsg());
	return NULL;
}

static void *prefault_main(void *arg)
{
	views_prefault_run(arg);
	return NULL;
}

/* Write `set` (the part of `now` effects just gathered) while the helper,
 * if it could be started, gathers fx[0, n) into the other set, and a
 * third thread faults in the map's pages this part and the next will take
 * (views.h); then gather what the helper left.  The faults have a thread
 * of their own because the helper was the slower of the two (a 3M-effect
 * rebuild: gathering ~3 s, faulting ~1.7 s, the writer busy ~40% of the
 * time), and two cores can share three threads.  On error both sets are
 * emptied. */
static int write_and_gather(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			    struct apply_branch *b, uint64_t lsn, struct put_batch *set,
			    uint32_t now, const struct event_effect *fx, uint32_t n,
			    struct views_prefault *pf)
{
	struct helper h = { .v = v, .cat = cat, .b = b, .lsn = lsn, .fx = fx,
			    .n = n, .err = n ? APPLY_NEED_TXN : 0 };
	uint64_t next_id = b->next_id; /* as of the end of `set`'s part */
	pthread_t faulter;
	views_prefault_plan(pf, v, txn, now, n);
	bool faulting = pf->to > pf->from && pthread_create(&faulter, NULL, prefault_main, pf) == 0;
	bool helping = n > 0 && pthread_create(&h.thread, NULL, helper_main, &h) == 0;
	int err = apply_flush(txn, v, set, next_id);
	if (helping)
		pthread_join(h.thread, NULL);
	if (faulting)
		pthread_join(faulter, NULL);
	if (!err && h.err < 0)
		err = log_error(h.err, "%s", h.msg);
	if (!err && n > 0 && h.err == APPLY_NEED_TXN)
		err = apply_build(txn, v, cat, b, lsn, fx, n, &h.done);
	if (err)
		apply_discard_all(b);
	return err;
}

/* Bytes of views an adjacency entry takes, written in order: its key
 * (33) and value (8), LMDB's node header and index (10), and a little for
 * the branch pages above. */
#define ADJ_BULK_BYTES_PER_ENTRY 52u

/* Write the event's adjacency, held back from its parts (adjbulk.h), with
 * the pages it takes faulted in on another thread. */
static int write_adjacency(MDB_txn *txn, struct views *v, struct apply_branch *b, uint64_t lsn,
			   struct views_prefault *pf)
{
	pthread_t faulter;
	views_prefault_plan_bytes(pf, v, txn, (uint64_t)apply_bulk_count(b) * ADJ_BULK_BYTES_PER_ENTRY);
	bool faulting = pf->to > pf->from && pthread_create(&faulter, NULL, prefault_main, pf) == 0;
	int err = apply_bulk_end(txn, v, b, lsn, true);
	if (faulting)
		pthread_join(faulter, NULL);
	return err;
}

/* views_apply_parts() once b is open. */
static int apply_in_parts(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
			  struct apply_branch *b, uint64_t lsn, const struct event_effect *fx,
			  uint32_t n)
{
	uint32_t part = views_apply_part();
	uint32_t done = 0, len = n < part ? n : part;
	struct views_prefault pf;
	int err;

	views_prefault_begin(&pf, v, txn);

	if ((err = apply_build(txn, v, cat, b, lsn, fx, len, &done)) != 0) {
		apply_discard_all(b);
		return err;
	}
	for (;;) {
		/* fx[0, len) is gathered: write it, gathering the next part. */
		uint32_t next = n - len < part ? n - len : part;
		struct put_batch *set = apply_switch(b);
		if ((err = write_and_gather(txn, v, cat, b, lsn, set, len, fx + len, next, &pf)) < 0)
			return err;
		if (next == 0)
			return write_adjacency(txn, v, b, lsn, &pf);
		fx += len;
		n -= len;
		len = next;
	}
}

int views_apply_parts(MDB_txn *txn, struct views *v, const struct lang_catalog *cat,
		      uint64_t lsn, const struct event *ev, const struct event_effect *fx,
		      uint32_t n, bool may_read)
{
	struct apply_branch b;
	char name[BRANCH_NAME_MAX + 1];
	int err;

	if (n == 0)
		return 0;
	if ((err = apply_begin(&b, name, txn, v, lsn, ev)) < 0)
		return err;
	/* The event's ids, and the endpoints it names that exist already. */
	apply_reserve_ids(&b, views_cached_ids(fx, n) + (ev->id_hints ? ev->id_hints->n : 0));
	apply_take_hints(&b, ev->id_hints);
	/* The helper's view of the views before this event; without one
	 * (none can be had, or txn holds more than this event) it gathers
	 * only what needs no view at all. */
	if (may_read && views_read_begin(&b.rtxn, v) < 0)
		b.rtxn = NULL;
	apply_bulk_begin(&b);
	err = apply_in_parts(txn, v, cat, &b, lsn, fx, n);
	if (b.rtxn)
		views_read_end(v, b.rtxn);
	if (err < 0) {
		apply_bulk_end(txn, v, &b, lsn, false);
		apply_end(v); /* its cached ids point into effects that will go */
	}
	return err;
}
