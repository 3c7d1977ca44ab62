/*
 * sequencer.c — log, wait for durability, apply in LSN order (see
 * sequencer.h).
 */
#include "engine/sequencer.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/schema_hist.h"
#include "index/apply.h"
#include "index/idkey.h"
#include "log/error.h"
#include "log/failpoint.h"

void seq_init(struct sequencer *s, uint64_t applied_lsn)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->order_mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->cv_durable, NULL);
	s->applied_lsn = applied_lsn;
	s->visible_lsn = applied_lsn;
	s->durable_lsn = applied_lsn;
}

void seq_destroy(struct sequencer *s)
{
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->order_mu);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->cv_durable);
}

/* Wait until every LSN before `lsn` is consumed.  Caller holds mu. */
static int await_turn(struct sequencer *s, uint64_t lsn)
{
	while (s->applied_lsn + 1 < lsn && !s->poisoned)
		pthread_cond_wait(&s->cv, &s->mu);
	return s->poisoned;
}

static void done_turn(struct sequencer *s, uint64_t lsn)
{
	s->applied_lsn = lsn;
	pthread_cond_broadcast(&s->cv);
}

static uint64_t replay_from(const struct sequencer *s, uint64_t lsn)
{
	uint64_t from = lsn + 1;
	for (uint32_t i = 0; i < s->n_open_loads; i++)
		if (s->open_loads[i] < from)
			from = s->open_loads[i];
	return from;
}

static void forget_load(struct sequencer *s, uint64_t first)
{
	for (uint32_t i = 0; i < s->n_open_loads; i++)
		if (s->open_loads[i] == first) {
			s->open_loads[i] = s->open_loads[--s->n_open_loads];
			return;
		}
}

/* Into `txn`: the event's effects (a huge event's in parts, whose puts
 * are written part by part inside the same transaction), the branch
 * head, the applied LSN and where replay must start.  `alone`: txn
 * holds nothing before this event, so the parts' second thread may read
 * the views committed before it (apply.h); not so in a batch that
 * applied a write already. */
static int apply_into(MDB_txn *txn, struct grove_db *db, uint64_t lsn, const struct event *ev,
		      const struct event_effect *fx, uint32_t n, bool alone)
{
	int err = 0;
	uint32_t head = views_apply_head(n);
	if (head) {
		err = views_apply_parts(txn, db->views, db->cat, lsn, ev, fx, head, alone);
		fx += head;
		n -= head;
		FAILPOINT("apply.between_parts");
	}
	FAILPOINT("apply.begin");
	if (!err)
		err = views_apply(txn, db->views, db->cat, lsn, ev, fx, n);
	FAILPOINT("apply.mid");
	if (!err)
		err = meta_put_u64(txn, db->views, "replay_from", replay_from(&db->seq, lsn));
	return err;
}

/* Commit `txn`, whose last event is of `kind` on `branch` at `lsn`. */
static int commit_views(MDB_txn *txn, struct grove_db *db, uint64_t lsn, uint16_t kind,
			const char *branch, size_t branch_len)
{
	/* The next plan's snapshot, resolved here while this record's write
	 * (when this append started one) is in flight: engine/newest.c. */
	struct newest_snap *next = NULL;
	if (kind == EVENT_MUTATION || kind == EVENT_LOAD_CHUNK || kind == EVENT_MERGE ||
	    kind == EVENT_OPTIMIZE)
		next = newest_note(db, txn, branch, branch_len);
	/* Readers must learn of this LSN before any snapshot can hold it. */
	atomic_store(&db->seq.visible_lsn, lsn);
	int rc = mdb_txn_commit(txn);
	if (rc) {
		free(next);
		return views_error(rc, "committing an apply");
	}
	if (next)
		newest_publish(db, next);
	FAILPOINT("apply.committed"); /* visible in LMDB, applied_lsn not yet moved */
	/* Even a huge apply leaves its pages dirty for the kernel's writeback
	 * or the close, which syncs after unmapping (index/views.c): starting
	 * their writeback here cost the writer a TLB shootdown per page, 1.3
	 * s after a 1M-node, 2M-edge load. */
	return 0;
}

/* One LMDB transaction for one event. */
static int apply_txn(struct grove_db *db, uint64_t lsn, const struct event *ev,
		     const struct event_effect *fx, uint32_t n)
{
	MDB_txn *txn;
	int err;
	if ((err = views_write_begin(&txn, db->views)) < 0)
		return err;
	if ((err = apply_into(txn, db, lsn, ev, fx, n, true)) < 0) {
		mdb_txn_abort(txn);
		return err;
	}
	return commit_views(txn, db, lsn, ev->kind, (const char *)ev->branch.ptr, ev->branch.len);
}

static int poison(struct grove_db *db, int err)
{
	struct sequencer *s = &db->seq;
	pthread_mutex_lock(&s->mu);
	if (!s->poisoned)
		s->poisoned = err < 0 ? err : GROVE_EPOISONED;
	pthread_cond_broadcast(&s->cv);
	pthread_cond_broadcast(&s->cv_durable);
	pthread_mutex_unlock(&s->mu);
	return db_error(db, GROVE_EPOISONED,
			"the handle is poisoned after a failure past the log (%s): %s; "
			"reopen the graph to recover", grove_strerror(err), log_errmsg());
}

/* An upper bound on the encoded size of ev (log/event.c: a map of small
 * fixed fields, eight strings with headers of at most 6 bytes, and the
 * effects: op, type, entity, endpoints and the row, at most 48 bytes
 * besides the row). */
static size_t event_bound(const struct event *ev)
{
	size_t n = 256 + 6 * 8 + ev->branch.len + ev->actor.len + ev->op_text.len + ev->params.len +
		   ev->name.len + ev->from.len + ev->schema_text.len + ev->steps.len;
	for (uint32_t i = 0; i < ev->neffects; i++)
		n += 48 + ev->effects[i].row.len;
	return n;
}

/* Every event of the commit must fit a log record, which is known before
 * the first is logged: a record the log refused after earlier chunks were
 * logged would poison the handle.  Exact sizes only where the bound says
 * it might not fit. */
static int check_sizes(struct grove_db *db, const struct event *events, uint32_t n)
{
	uint32_t max = log_max_record_bytes(db->log);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *buf;
		size_t len;
		if (event_bound(&events[i]) <= max)
			continue;
		int err = event_encode(&buf, &len, &events[i]);
		if (err < 0)
			return db_error(db, err, NULL);
		free(buf);
		if (len > max)
			return db_error(db, GROVE_ETOOBIG, "log record %u of this write would hold %zu bytes, "
					"over the log record limit of %u bytes (log_max_record_bytes); "
					"nothing was written", i + 1, len, max);
	}
	return 0;
}

static int append_all(struct grove_db *db, const struct event *events, uint32_t n,
		      uint64_t *lsns)
{
	int err = check_sizes(db, events, n);
	for (uint32_t i = 0; i < n && err >= 0; i++) {
		uint8_t *buf;
		size_t len;
		if ((err = event_encode(&buf, &len, &events[i])) >= 0) {
			/* A later chunk must go in (earlier ones are logged): a log
			 * crowded past log_max_waiters makes room as its waiters
			 * finish, none of which needs order_mu. */
			while ((err = log_append(db->log, &lsns[i], events[i].kind, buf, (uint32_t)len,
						 LOG_WAIT_LATER)) == GROVE_EBUSY && i > 0)
				sched_yield();
			free(buf);
		}
		if (err < 0)
			/* Earlier chunks are logged: they must be consumed. */
			return i ? poison(db, err) : db_error(db, err, NULL);
		if (i + 1 < n)
			FAILPOINT("seq.between_chunks");
	}
	return err < 0 ? err : 0;
}

/* Log the events and apply them in LSN order; the commit is then visible
 * to writers planning on the newest state, but not yet durable. */
/* Promise a multi-chunk load its open-load slot before anything is logged. */
static int reserve_load(struct grove_db *db, uint32_t n)
{
	struct sequencer *s = &db->seq;
	int err = 0;

	if (n < 2)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (s->n_open_loads + s->n_reserved >= SEQ_MAX_OPEN_LOADS)
		err = db_error(db, GROVE_EBUSY, "%u multi-chunk loads are already in flight",
			       SEQ_MAX_OPEN_LOADS);
	else
		s->n_reserved++;
	pthread_mutex_unlock(&s->mu);
	return err;
}

/* No two ids may share an id-map key (index/idkey.h): refused before the
 * write is logged, since its apply could only fail. */
static int long_ids_check(struct grove_db *db, MDB_txn *txn, const struct event_effect *fx,
			  uint32_t n)
{
	uint32_t bad = 0;
	int err = idkey_check(db->views, txn, fx, n, &bad);
	if (err != GROVE_ECONFLICT)
		return err < 0 ? db_error(db, err, NULL) : 0;
	bool edge = fx[bad].op == EFFECT_PUT_EDGE;
	const struct lang_cat_type *t =
		engine_cat_type_by_id(engine_catalog(db), edge ? LANG_CAT_EDGE : LANG_CAT_NODE, fx[bad].type_id);
	return db_error(db, GROVE_ECONFLICT, "%s %s: %s; ids longer than %u bytes are told apart by "
			"their first %u bytes and a 128-bit hash, and this one's equal another's: "
			"nothing was written", edge ? "edge" : "node", t ? t->name : "?", log_errmsg(),
			IDKEY_WHOLE_MAX, IDKEY_PREFIX_BYTES);
}

/* The graph whose batch this thread has open: only its own thread ever
 * reads or writes a batch's fields, under order_mu. */
static _Thread_local struct grove_db *batch_db;

/* Apply the commit whose events were logged at lsns[], in LSN order:
 * in the thread's batch, or in a transaction of its own. */
static int apply_logged(struct grove_db *db, const struct event *events, uint32_t n,
			const struct event_effect *effects, uint32_t neffects, const uint64_t *lsns)
{
	struct sequencer *s = &db->seq;
	bool batch = batch_db == db;
	int err = 0;

	/* Batches hold single-event commits (mutations): a load's chunks
	 * would wait below for an applied_lsn that moves only at the
	 * batch's end. */
	assert(!batch || n == 1);
	pthread_mutex_lock(&s->mu);
	for (uint32_t i = 0; i + 1 < n && !err; i++) {
		/* A non-last chunk changes no view; it only holds replay back. */
		if ((err = await_turn(s, lsns[i])) == 0) {
			if (i == 0) {
				s->n_reserved--;
				s->open_loads[s->n_open_loads++] = lsns[0];
			}
			done_turn(s, lsns[i]);
		}
	}
	if (!err && (batch || (err = await_turn(s, lsns[n - 1])) == 0)) {
		if (n > 1)
			forget_load(s, lsns[0]);
		pthread_mutex_unlock(&s->mu);
		if (batch) {
			/* applied_lsn moves at the batch's end (seq_batch_end) */
			if (!s->batch_txn && (err = views_write_begin(&s->batch_txn, db->views)) < 0)
				s->batch_txn = NULL;
			if (!err)
				err = apply_into(s->batch_txn, db, lsns[n - 1], &events[n - 1], effects,
						 neffects, s->batch_lsn == 0);
			const struct event *ev = &events[n - 1];
			if (!err && ev->branch.len <= BRANCH_NAME_MAX) {
				s->batch_lsn = lsns[n - 1];
				s->batch_effects += neffects;
				s->batch_kind = ev->kind;
				s->batch_branch_len = ev->branch.len;
				memcpy(s->batch_branch, ev->branch.ptr, ev->branch.len);
			} else if (!err) {
				err = GROVE_EINVAL; /* never: branch names are checked */
			}
		} else {
			/* Only this thread may apply now: every other writer
			 * waits for applied_lsn to reach its own LSN - 1. */
			err = apply_txn(db, lsns[n - 1], &events[n - 1], effects, neffects);
		}
		pthread_mutex_lock(&s->mu);
		if (!err && !batch)
			done_turn(s, lsns[n - 1]);
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

/* Under order_mu. */
static int commit_ordered(struct grove_db *db, const struct event *events, uint32_t n,
			  const struct event_effect *effects, uint32_t neffects, uint64_t *out_lsn)
{
	struct sequencer *s = &db->seq;
	uint64_t *lsns = calloc(n, sizeof *lsns);
	int err = 0;

	if (!lsns)
		return db_error(db, -ENOMEM, "out of memory");
	if (s->poisoned) {
		free(lsns);
		return db_error(db, GROVE_EPOISONED, "the handle is poisoned; reopen the graph");
	}
	/* A write planned before a schema apply must not log effects on a
	 * type the apply dropped: no replay could apply them.  No two ids
	 * may share an id-map key (index/idkey.h): refused before the write
	 * is logged, since its apply could only fail; order_mu keeps every
	 * other write out from this check to the apply. */
	if ((err = engine_effects_check(db, effects, neffects)) < 0 ||
	    (idkey_any_shared(effects, neffects) &&
	     (err = long_ids_check(db, seq_batch_txn(db), effects, neffects)) < 0) ||
	    (err = reserve_load(db, n)) < 0) {
		free(lsns);
		return err;
	}
	if ((err = append_all(db, events, n, lsns)) < 0) {
		if (n > 1) {
			pthread_mutex_lock(&s->mu);
			s->n_reserved--;
			pthread_mutex_unlock(&s->mu);
		}
		free(lsns);
		return err;
	}
	FAILPOINT("seq.appended");
	err = apply_logged(db, events, n, effects, neffects, lsns);
	FAILPOINT("seq.applied");
	*out_lsn = lsns[n - 1];
	free(lsns);
	return err ? poison(db, err) : 0;
}

int seq_commit_begin(struct grove_db *db, const struct event *events, uint32_t n,
		     const struct event_effect *effects, uint32_t neffects, uint64_t *out_lsn)
{
	bool batch = batch_db == db;
	if (!batch)
		pthread_mutex_lock(&db->seq.order_mu);
	int err = commit_ordered(db, events, n, effects, neffects, out_lsn);
	if (!batch)
		pthread_mutex_unlock(&db->seq.order_mu);
	return err;
}

uint32_t seq_batch_effects = SEQ_BATCH_EFFECTS;

MDB_txn *seq_batch_txn(struct grove_db *db)
{
	return batch_db == db ? db->seq.batch_txn : NULL;
}

bool seq_batch_full(struct grove_db *db)
{
	return batch_db == db && db->seq.batch_effects >= seq_batch_effects;
}

int seq_batch_begin(struct grove_db *db)
{
	struct sequencer *s = &db->seq;

	pthread_mutex_lock(&s->order_mu);
	if (s->poisoned) {
		pthread_mutex_unlock(&s->order_mu);
		return db_error(db, GROVE_EPOISONED, "the handle is poisoned; reopen the graph");
	}
	s->batch_txn = NULL; /* opened by the first apply (apply_logged) */
	s->batch_lsn = 0;
	s->batch_effects = 0;
	batch_db = db;
	return 0;
}

int seq_batch_end(struct grove_db *db)
{
	struct sequencer *s = &db->seq;
	MDB_txn *txn = s->batch_txn;
	uint64_t lsn = s->batch_lsn;
	int err = 0;

	batch_db = NULL;
	s->batch_txn = NULL;
	if (!lsn) {
		if (txn)
			mdb_txn_abort(txn); /* nothing was applied */
	} else if (s->poisoned) {
		/* A commit of the batch failed past the log: none of it is
		 * in the views, and reopening replays all of it. */
		mdb_txn_abort(txn);
		err = db_error(db, GROVE_EPOISONED, "the handle is poisoned; reopen the graph");
	} else if ((err = commit_views(txn, db, lsn, s->batch_kind, s->batch_branch,
				       s->batch_branch_len)) < 0) {
		err = poison(db, err);
	} else {
		pthread_mutex_lock(&s->mu);
		done_turn(s, lsn);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&s->order_mu);
	return err;
}

int seq_commit_end(struct grove_db *db, uint64_t lsn)
{
	struct sequencer *s = &db->seq;
	int err;

	/* The record is logged and applied: a log too crowded to take one
	 * more waiter (GROVE_EBUSY) is no failure of it.  The threads inside
	 * finish the batches; wait for them to make room or make it durable. */
	while ((err = log_wait(db->log, lsn, LOG_WAIT_DURABLE)) == GROVE_EBUSY &&
	       log_durable_lsn(db->log) < lsn)
		sched_yield();
	if (err == GROVE_EBUSY)
		err = 0;
	if (err < 0)
		return poison(db, err);
	FAILPOINT("seq.durable");
	pthread_mutex_lock(&s->mu);
	if (s->durable_lsn < lsn)
		s->durable_lsn = lsn;
	if (s->n_fenced)
		pthread_cond_broadcast(&s->cv_durable);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int seq_commit(struct grove_db *db, const struct event *events, uint32_t n,
	       const struct event_effect *effects, uint32_t neffects, uint64_t *out_lsn)
{
	uint64_t lsn;
	int err = seq_commit_begin(db, events, n, effects, neffects, &lsn);
	if (err < 0)
		return err;
	if ((err = seq_commit_end(db, lsn)) < 0)
		return err;
	if (out_lsn)
		*out_lsn = lsn;
	return 0;
}

int seq_read_fence(struct grove_db *db)
{
	struct sequencer *s = &db->seq;
	uint64_t applied = atomic_load(&s->visible_lsn);
	int err;

	if (applied <= log_durable_lsn(db->log))
		return 0;
	pthread_mutex_lock(&s->mu);
	s->n_fenced++;
	while (s->durable_lsn < applied && !s->poisoned && log_durable_lsn(db->log) < applied)
		pthread_cond_wait(&s->cv_durable, &s->mu);
	s->n_fenced--;
	err = s->poisoned && s->durable_lsn < applied && log_durable_lsn(db->log) < applied;
	pthread_mutex_unlock(&s->mu);
	if (err)
		return db_error(db, GROVE_EPOISONED,
				"the views hold writes that never became durable: the handle is "
				"poisoned; reopen the graph");
	return 0;
}
