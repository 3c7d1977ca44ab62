/*
 * replay.c — bring views up to the log (see replay.h).
 *
 * Events are applied in LSN order, many per LMDB transaction (a rebuild
 * is bound by apply speed, not by commits).  Chunks of a load are held
 * (where the log cursor mapped them: log_cursor_hold) until its last chunk
 * arrives; chunks whose load never committed (a crash mid-load: never
 * acknowledged) are dropped at the end.  Every transaction
 * records the applied LSN and where the next replay must start, exactly as
 * the live sequencer does, so a crash during replay is itself recoverable.
 */
#include "replay/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grove.h"
#include "index/apply.h"
#include "index/hugemem.h"
#include "index/schemas.h"
#include "log/error.h"
#include "log/event.h"

/* A replay transaction commits after this many effects or events (tests
 * lower them, replay.h). */
uint32_t replay_txn_max_effects = 200000u;
uint32_t replay_txn_max_events = 10000u;

/* A load whose last chunk has not been seen yet. */
struct pending_load {
	struct commit_id commit;
	uint64_t first_lsn;
	struct event_effect *fx;   /* effects so far (rows point into held) */
	uint32_t nfx, capfx;
	struct log_hold **held;    /* the log mappings the effects point into */
	uint32_t nheld, capheld;
	size_t ids_asked;          /* views_prepare_ids() so far */
	bool ids_known;            /* its first chunk said how many (event.h) */
};

struct replay {
	struct views *v;
	struct lang_catalog **cat;
	struct replay_stats *st;
	struct log_cursor *cur;
	uint64_t applied;          /* meta applied_lsn at start */
	MDB_txn *txn;
	uint32_t txn_events, txn_effects;
	struct pending_load *loads;
	uint32_t nloads;
};

int replay_load_catalog(struct lang_catalog **out, struct views *v)
{
	struct lang_diag diag = LANG_DIAG_INIT;
	MDB_txn *txn;
	MDB_val d;
	int err;

	*out = NULL;
	if ((err = views_read_begin(&txn, v)) < 0)
		return err;
	err = meta_get(&d, txn, v, "catalog");
	if (err == GROVE_ENOTFOUND) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (!err && lang_catalog_decode(out, d.mv_data, d.mv_size, &diag) < 0)
		err = log_error(GROVE_ECORRUPT, "the views hold an undecodable catalog: %s",
				diag.message ? diag.message : "?");
	lang_diag_clear(&diag);
	mdb_txn_abort(txn);
	return err;
}

static uint64_t replay_from(const struct replay *r, uint64_t lsn)
{
	uint64_t from = lsn + 1;
	for (uint32_t i = 0; i < r->nloads; i++)
		if (r->loads[i].first_lsn < from)
			from = r->loads[i].first_lsn;
	return from;
}

static int flush(struct replay *r, uint64_t lsn)
{
	int err, rc;
	if (!r->txn)
		return 0;
	if ((err = meta_put_u64(r->txn, r->v, "replay_from", replay_from(r, lsn))) < 0) {
		mdb_txn_abort(r->txn);
		r->txn = NULL;
		return err;
	}
	rc = mdb_txn_commit(r->txn);
	r->txn = NULL;
	r->txn_events = r->txn_effects = 0;
	/* The views are synced when replay ends (grove_close, rebuild): let
	 * the disk work meanwhile rather than all at the end. */
	if (!rc)
		views_writeback_start(r->v);
	return rc ? views_error(rc, "committing a replay batch") : 0;
}

/* A huge event's leading effects, in parts: each part's puts are held in
 * memory to be written sorted (views_apply_parts), all inside the
 * replay's transaction, so a page is copied once however many parts
 * write to it (see engine/sequencer.c). */
static int apply_parts(struct replay *r, uint64_t lsn, const struct event *ev,
		       const struct event_effect **fx, uint32_t *n)
{
	uint32_t head = views_apply_head(*n); /* as the live applier */
	int err;
	if (!head)
		return 0;
	/* The parts may read the views as of before the event only if the
	 * transaction holds no earlier event. */
	bool alone = !r->txn || (r->txn_events == 0 && r->txn_effects == 0);
	if (!r->txn && (err = views_write_begin(&r->txn, r->v)) < 0)
		return err;
	if ((err = views_apply_parts(r->txn, r->v, *r->cat, lsn, ev, *fx, head, alone)) < 0) {
		mdb_txn_abort(r->txn);
		r->txn = NULL;
		return err;
	}
	r->st->effects += head;
	r->txn_effects += head;
	*fx += head;
	*n -= head;
	return 0;
}

static int apply(struct replay *r, uint64_t lsn, const struct event *ev,
		 const struct event_effect *fx, uint32_t n)
{
	int err;
	if ((err = apply_parts(r, lsn, ev, &fx, &n)) < 0)
		return err;
	if (!r->txn && (err = views_write_begin(&r->txn, r->v)) < 0)
		return err;
	if ((err = views_apply(r->txn, r->v, *r->cat, lsn, ev, fx, n)) < 0) {
		mdb_txn_abort(r->txn);
		r->txn = NULL;
		return log_error(err, "replaying LSN %lu: %s", (unsigned long)lsn, log_errmsg());
	}
	r->st->events++;
	r->st->effects += n;
	r->txn_events++;
	r->txn_effects += n;
	return 0;
}

/* Commit when the transaction is big enough.  Called once the record at
 * `lsn` is done with — after a load's chunks are dropped — or its commit
 * would write a replay_from that still points at that load's first chunk,
 * and every later open would decode the whole load again. */
static int maybe_flush(struct replay *r, uint64_t lsn)
{
	if (r->txn_events >= replay_txn_max_events || r->txn_effects >= replay_txn_max_effects)
		return flush(r, lsn);
	return 0;
}

static struct pending_load *find_load(struct replay *r, const struct commit_id *id, bool add,
				      uint64_t lsn)
{
	for (uint32_t i = 0; i < r->nloads; i++)
		if (!memcmp(&r->loads[i].commit, id, sizeof *id))
			return &r->loads[i];
	if (!add)
		return NULL;
	struct pending_load *nl = realloc(r->loads, (r->nloads + 1) * sizeof *nl);
	if (!nl)
		return NULL;
	r->loads = nl;
	nl = &r->loads[r->nloads++];
	memset(nl, 0, sizeof *nl);
	nl->commit = *id;
	nl->first_lsn = lsn;
	return nl;
}

static void drop_load(struct replay *r, struct pending_load *pl)
{
	if (pl->ids_asked)
		views_prepare_ids(r->v, 0); /* what its apply did not take (or it had none) */
	for (uint32_t i = 0; i < pl->nheld; i++)
		log_hold_release(pl->held[i]);
	free(pl->held);
	hugemem_free(pl->fx, (size_t)pl->capfx * sizeof *pl->fx);
	*pl = r->loads[--r->nloads];
}

/* Keep the log mapping the cursor's record lies in (its effects' rows
 * point into it) unless the load holds it already. */
static int hold_mapping(struct pending_load *pl, struct log_cursor *cur)
{
	struct log_hold *h = log_cursor_hold(cur);
	if (pl->nheld && pl->held[pl->nheld - 1] == h) {
		log_hold_release(h);
		return 0;
	}
	if (pl->nheld == pl->capheld) {
		uint32_t cap = pl->capheld ? pl->capheld * 2 : 4;
		struct log_hold **n = realloc(pl->held, cap * sizeof *n);
		if (!n) {
			log_hold_release(h);
			return log_error(-ENOMEM, "out of memory holding a load chunk");
		}
		pl->held = n;
		pl->capheld = cap;
	}
	pl->held[pl->nheld++] = h;
	return 0;
}

/* Keep a chunk: its payload stays mapped, and its decoded effects (whose
 * rows point into the payload: event.h) join the load's. */
static int hold_chunk(struct pending_load *pl, struct views *v, struct log_cursor *cur,
		      const struct event *ev)
{
	int err = hold_mapping(pl, cur);
	if (err < 0)
		return err;
	if (pl->nfx + ev->neffects > pl->capfx) {
		uint32_t cap = (pl->nfx + ev->neffects) * 2 + 16;
		struct event_effect *f = hugemem_realloc(pl->fx, (size_t)pl->capfx * sizeof *f,
							 (size_t)cap * sizeof *f);
		if (!f)
			return log_error(-ENOMEM, "out of memory holding a load chunk");
		pl->fx = f;
		pl->capfx = cap;
	}
	memcpy(&pl->fx[pl->nfx], ev->effects, (size_t)ev->neffects * sizeof *ev->effects);
	pl->nfx += ev->neffects;
	/* Its id table is made while the rest is read: of the size its first
	 * chunk gives (a 3M-effect rebuild asked 4M ids by guessing where it
	 * needed 1M: 3.6-3.8 s instead of 4.2-5.1), or where a log does not
	 * say, most likely holding all of it at four times what came so far. */
	if (ev->chunk_seq == 0 && ev->id_count) {
		pl->ids_known = true;
		pl->ids_asked = ev->id_count;
		views_prepare_ids(v, pl->ids_asked);
	}
	if (!pl->ids_known && pl->nfx > views_apply_part() && pl->nfx > pl->ids_asked) {
		pl->ids_asked = (size_t)pl->nfx * 4;
		views_prepare_ids(v, pl->ids_asked);
	}
	return 0;
}

/* The catalog in force after schema event `ev`: the genesis builds it
 * from the text; a migration evolves the catalog in force, exactly as the
 * primary did (a fresh build would number the ids differently), and must
 * reproduce the catalog the primary planned with. */
static int schema_event(struct replay *r, uint64_t lsn, const struct event *ev)
{
	struct lang_catalog *cat = NULL;
	struct lang_diag diag = LANG_DIAG_INIT;
	int err = 0;

	if (*r->cat && lsn <= r->applied)
		return 0; /* the views' catalog, where this replay started, has it */
	if (*r->cat) {
		if ((err = schemas_evolve(&cat, NULL, NULL, *r->cat, lsn, ev)) < 0)
			return err;
	} else if (lang_catalog_from_text(&cat, (const char *)ev->schema_text.ptr,
					  ev->schema_text.len, &diag) < 0) {
		err = log_error(GROVE_ECORRUPT, "LSN %llu holds a schema that does not build",
				(unsigned long long)lsn);
	}
	lang_diag_clear(&diag);
	if (err < 0)
		return err;
	lang_catalog_free(*r->cat);
	*r->cat = cat;
	return 0;
}

static int one_record(struct replay *r, const struct log_record_view *rec)
{
	struct event ev;
	int err = event_decode(&ev, rec->payload, rec->payload_bytes);

	if (err < 0)
		return log_error(err, "LSN %lu: %s", (unsigned long)rec->lsn, log_errmsg());
	/* A commit logged in chunks (a large load or merge): LOAD_CHUNK records
	 * numbered from 0, then its last record (chunk_seq > 0, last set), of
	 * the commit's own kind, applies them all.  A record that is a whole
	 * commit (chunk 0, and last set or not a LOAD_CHUNK) never gathers
	 * held chunks, even ones of its commit id (orphans of a crash). */
	bool whole = ev.chunk_seq == 0 && (ev.last || ev.kind != EVENT_LOAD_CHUNK);
	struct pending_load *pl = !whole && (ev.kind == EVENT_LOAD_CHUNK || ev.last)
		? find_load(r, &ev.commit, ev.kind == EVENT_LOAD_CHUNK, rec->lsn) : NULL;
	if (!whole && ev.kind == EVENT_LOAD_CHUNK && !pl) {
		err = log_error(-ENOMEM, "out of memory");
	} else if (pl && !ev.last) {
		err = hold_chunk(pl, r->v, r->cur, &ev);
	} else if (pl && rec->lsn <= r->applied) {
		drop_load(r, pl);
	} else if (pl) {
		if ((err = hold_chunk(pl, r->v, r->cur, &ev)) == 0)
			err = apply(r, rec->lsn, &ev, pl->fx, pl->nfx);
		drop_load(r, pl);
	} else if (ev.kind == EVENT_SCHEMA_APPLY && (err = schema_event(r, rec->lsn, &ev)) < 0) {
		/* err set */
	} else if (rec->lsn <= r->applied) {
		r->st->skipped++;
	} else {
		err = apply(r, rec->lsn, &ev, ev.effects, ev.neffects);
	}
	event_release(&ev);
	return err < 0 ? err : maybe_flush(r, rec->lsn);
}

int replay_log(struct replay_stats *st, struct views *v, struct log *log,
	       struct lang_catalog **cat)
{
	struct replay r = { .v = v, .cat = cat, .st = st };
	struct log_record_view rec;
	uint64_t from = 1;
	MDB_txn *txn;
	int err;

	memset(st, 0, sizeof *st);
	if ((err = views_read_begin(&txn, v)) < 0)
		return err;
	if ((err = meta_get_u64(&r.applied, txn, v, "applied_lsn")) == 0)
		err = meta_get_u64(&from, txn, v, "replay_from");
	mdb_txn_abort(txn);
	if (err < 0)
		return err;
	if ((err = log_cursor_open(&r.cur, log, from ? from : 1)) < 0)
		return err;
	while ((err = log_cursor_next(r.cur, &rec)) == 0) {
		st->last_lsn = rec.lsn;
		if ((err = one_record(&r, &rec)) < 0) {
			/* A record that does not apply is no end of the log: a
			 * replay that stopped there would call views missing
			 * every later commit complete. */
			if (err == GROVE_ENOTFOUND)
				err = log_error(GROVE_ECORRUPT, "%s", log_errmsg());
			break;
		}
	}
	log_cursor_close(r.cur);
	if (err == GROVE_ENOTFOUND)
		err = 0; /* the cursor's: past the last durable record */
	st->orphan_chunks = r.nloads;
	while (r.nloads)
		drop_load(&r, &r.loads[0]); /* never committed: never acknowledged */
	free(r.loads);
	if (!err)
		err = flush(&r, st->last_lsn > r.applied ? st->last_lsn : r.applied);
	else if (r.txn)
		mdb_txn_abort(r.txn);
	return err;
}
