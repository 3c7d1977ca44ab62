/*
 * commit.c — the commit graph as users see it (engine §2): listing and
 * showing commits, branch heads, and opening a read at a branch head or a
 * commit (time travel, engine §4.1).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/jsonw.h"
#include "engine/schema_hist.h"
#include "index/apply.h"
#include "log/error.h"
#include "log/log.h"

size_t engine_chunk_bytes(const grove_db *db, size_t dflt)
{
	size_t want = db->opts.load_chunk_bytes ? db->opts.load_chunk_bytes : dflt;
	size_t max = log_max_record_bytes(db->log);
	size_t room = max > (128u << 10) ? max - (64u << 10) : max / 2;
	return want < room ? want : room;
}

int engine_chunk_events(struct event **out, uint32_t *n, const struct event *base,
			const struct event *last, struct event_effect *fx, size_t nfx, size_t chunk_bytes)
{
	uint32_t cap = 1 + (uint32_t)(nfx / 1024), count = 0;
	struct event *ev = calloc(cap, sizeof *ev);
	size_t bytes = 0, start = 0;

	if (!ev)
		return -ENOMEM;
	/* A chunk closes before the effect that would take it past
	 * chunk_bytes, so only a chunk of one effect exceeds it. */
	for (size_t i = 0; i <= nfx; i++) {
		bool end = i == nfx;
		size_t w = end ? 0 : fx[i].row.len + 48;
		if (!end && (i == start || bytes + w <= chunk_bytes) && i - start < EVENT_MAX_EFFECTS) {
			bytes += w;
			continue;
		}
		if (count == cap) {
			struct event *nv = realloc(ev, (cap *= 2) * sizeof *nv);
			if (!nv) {
				free(ev);
				return -ENOMEM;
			}
			ev = nv;
		}
		ev[count] = base ? *base : *last;
		ev[count].chunk_seq = count;
		ev[count].effects = nfx ? fx + start : fx;   /* an empty load: fx may be NULL */
		ev[count].neffects = (uint32_t)(i - start);
		count++;
		if (end)
			break;
		start = i;
		bytes = w;
	}
	/* The last carries the commit's own kind and fields. */
	struct event_effect *tail = ev[count - 1].effects;
	uint32_t ntail = ev[count - 1].neffects, seq = ev[count - 1].chunk_seq;
	ev[count - 1] = *last;
	ev[count - 1].effects = tail;
	ev[count - 1].neffects = ntail;
	ev[count - 1].chunk_seq = seq;
	ev[count - 1].last = true;
	*out = ev;
	*n = count;
	return 0;
}

int engine_main_head(struct commit_rec *out, grove_db *db)
{
	struct branch_rec b;
	MDB_txn *txn;
	int err = views_read_begin(&txn, db->views);
	if (err < 0)
		return db_error(db, err, NULL);
	if ((err = branch_get(&b, txn, db->views, MAIN_BRANCH)) == 0)
		err = commit_get(out, txn, db->views, &b.head);
	mdb_txn_abort(txn);
	return err < 0 ? db_error(db, err, NULL) : 0;
}

int engine_actor_check(grove_db *db, const char *actor)
{
	size_t n = actor ? strlen(actor) : 0;
	if (n > ACTOR_MAX)
		return db_error(db, GROVE_EINVAL, "actor id is longer than %u bytes (%zu)", ACTOR_MAX, n);
	/* It goes into every JSON answer about the commit.  (Checked only
	 * past ASCII: every write names its actor.) */
	size_t ascii = 0;
	while (ascii < n && !((unsigned char)actor[ascii] & 0x80))
		ascii++;
	json_t *utf8 = ascii < n ? json_stringn(actor, n) : NULL;
	if (ascii < n && !utf8)
		return db_error(db, GROVE_EINVAL, "actor id is not valid UTF-8");
	json_decref(utf8);
	return 0;
}

void engine_event_stamp(struct event *ev, const char *branch, const char *actor)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ev->time_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	/* getrandom() cannot fail for 10 bytes once the pool is initialized;
	 * if it ever did, the id keeps its time part and zero randomness. */
	(void)commit_id_new(&ev->commit, (uint64_t)ev->time_us / 1000);
	ev->branch = event_str(branch);
	if (actor && *actor)
		ev->actor = event_str(actor);
}

void engine_commit_public(grove_commit *out, const struct commit_rec *c)
{
	memset(out, 0, sizeof *out);
	commit_id_format(out->id, &c->id);
	if (!commit_id_is_zero(&c->parent))
		commit_id_format(out->parent, &c->parent);
	if (!commit_id_is_zero(&c->merged_parent))
		commit_id_format(out->merged_parent, &c->merged_parent);
	snprintf(out->branch, sizeof out->branch, "%s", c->branch);
	snprintf(out->actor, sizeof out->actor, "%s", c->actor);
	out->created_at_us = c->time_us;
	out->graph_version = c->version;
	out->lsn = c->lsn;
}

const struct lang_cat_type *engine_type_by_id(const grove_db *db, uint32_t id)
{
	const struct lang_catalog *cat = db->cat;
	for (uint32_t i = 0; i < cat->n_nodes; i++)
		if (cat->nodes[i].id == id)
			return &cat->nodes[i];
	for (uint32_t i = 0; i < cat->n_edges; i++)
		if (cat->edges[i].id == id)
			return &cat->edges[i];
	return NULL;
}

int engine_table(const struct lang_cat_type **out, grove_db *db, const char *table)
{
	if (table && !strncmp(table, "node:", 5) && (*out = lang_catalog_node(db->cat, table + 5)))
		return 0;
	if (table && !strncmp(table, "edge:", 5) && (*out = lang_catalog_edge(db->cat, table + 5)))
		return 0;
	return db_error(db, GROVE_EINVAL, "unknown table '%s' (expected node:<Type> or edge:<Type>)",
			table ? table : "");
}

int engine_commit_resolve(struct commit_rec *out, grove_db *db, MDB_txn *txn, const char *id)
{
	struct commit_id cid;
	struct branch_rec b;
	int err;
	if (!commit_id_parse(&cid, id))
		return db_error(db, GROVE_ENOTFOUND, "commit '%s' not found", id);
	err = commit_get(out, txn, db->views, &cid);
	/* Its branch must still be the one that made it: a deleted branch's
	 * commits go with it, and a name created again is a new branch with
	 * a new layer, which fails closed (engine §1.5.9, §4.1). */
	if (err == 0 && (err = branch_get(&b, txn, db->views, out->branch)) == 0 && b.layer != out->layer)
		return db_error(db, GROVE_EINVAL, "snapshot '%s' of branch '%s' has no persisted native-branch "
				"incarnation witness: the branch was deleted and created again since", id,
				out->branch);
	if (err == GROVE_ENOTFOUND)
		return db_error(db, GROVE_ENOTFOUND, "commit '%s' not found", id);
	return err < 0 ? db_error(db, err, NULL) : 0;
}

/* Step a branch's head back to its newest commit at or below `durable`
 * (views run ahead of the durable log while fsyncs are in flight, see
 * sequencer.h): a reader sees that state instead of waiting.  The branch
 * itself must be durable (its created_lsn). */
static int durable_head(struct branch_rec *b, struct commit_rec *head, MDB_txn *txn,
			const struct views *v, uint64_t durable)
{
	int err = 0;
	while (head->lsn > durable && !err)
		err = commit_get(head, txn, v, &head->parent);
	b->head_lsn = head->lsn > b->created_lsn ? head->lsn : b->created_lsn;
	return err;
}

/* The branch's head: the newest state, or (`fence`) the newest durable
 * state. */
static int open_branch(struct read_at *r, grove_db *db, const char *branch, bool fence,
		       uint64_t durable)
{
	struct branch_rec b;
	int err = branch_get(&b, r->txn, db->views, branch);
	if (err == GROVE_ENOTFOUND) {
		/* A delete in flight must not be seen before it is durable:
		 * once the snapshot is, its "not found" is the truth. */
		int ferr = fence ? seq_read_fence(db) : 0;
		return ferr < 0 ? ferr : db_error_no_branch(db, branch);
	}
	if (!err && fence && b.created_lsn > durable) {
		/* The branch is in flight: wait until all this snapshot is durable. */
		if ((err = seq_read_fence(db)) < 0)
			return err;
		fence = false;
	}
	if (err < 0 || (err = commit_get(&r->head, r->txn, db->views, &b.head)) < 0 ||
	    (fence && b.head_lsn > durable &&
	     (err = durable_head(&b, &r->head, r->txn, db->views, durable)) < 0) ||
	    (err = layer_chain(&r->chain, r->txn, db->views, b.layer, b.head_lsn)) < 0)
		return db_error(db, err, NULL);
	snprintf(r->branch, sizeof r->branch, "%s", branch);
	return 0;
}

/* The last branch-head read of this thread.  A snapshot (LMDB txn id) and
 * a durable LSN resolve a branch to one head, layer chain and catalog, so
 * a read that repeats them skips the lookups behind them (with readers
 * and no writes, every read after the first). */
static __thread struct {
	uint64_t serial;               /* grove_db.serial; 0: empty */
	uint64_t txnid, durable;
	struct read_at r;              /* without its txn */
} last_read;

static bool last_read_get(struct read_at *r, const grove_db *db, const char *branch,
			  uint64_t txnid, uint64_t durable)
{
	if (last_read.serial != db->serial || last_read.txnid != txnid ||
	    last_read.durable != durable || strcmp(last_read.r.branch, branch))
		return false;
	r->head = last_read.r.head;
	r->chain.n = last_read.r.chain.n;
	memcpy(r->chain.at, last_read.r.chain.at, r->chain.n * sizeof r->chain.at[0]);
	r->cat = last_read.r.cat;
	memcpy(r->branch, last_read.r.branch, strlen(last_read.r.branch) + 1);
	return true;
}

static void last_read_put(const struct read_at *r, const grove_db *db, uint64_t txnid,
			  uint64_t durable)
{
	last_read.serial = db->serial;
	last_read.txnid = txnid;
	last_read.durable = durable;
	last_read.r.head = r->head;
	last_read.r.chain.n = r->chain.n;
	memcpy(last_read.r.chain.at, r->chain.at, r->chain.n * sizeof r->chain.at[0]);
	last_read.r.cat = r->cat;
	memcpy(last_read.r.branch, r->branch, sizeof r->branch);
}

/* A branch head: from this thread's last read when it applies. */
static int read_branch(struct read_at *r, grove_db *db, const char *branch, bool fence)
{
	uint64_t txnid = mdb_txn_id(r->txn), durable = log_durable_lsn(db->log);
	int err;

	/* A batch's write transaction holds writes of its own (it opens at
	 * the batch's first apply): nothing published describes them. */
	if (r->borrowed)
		txnid = 0;
	if (fence ? last_read_get(r, db, branch, txnid, durable) : newest_get(r, db, branch, txnid))
		return 0;
	if ((err = open_branch(r, db, branch, fence, durable)) < 0)
		return err;
	if ((err = engine_catalog_at(&r->cat, db, r->txn, r->head.lsn)) < 0)
		return db_error(db, err, NULL);
	if (fence)
		last_read_put(r, db, txnid, durable);
	return 0;
}

static int read_at_txn(struct read_at *r, grove_db *db, const grove_target *target, bool fence)
{
	char buf[BRANCH_NAME_MAX + 1];
	/* NULL names main; a blank name is refused (branch_get), as for writes. */
	const char *branch = target && target->branch ? branch_name_trim(buf, target->branch)
						      : MAIN_BRANCH;
	int err = 0;

	/* Not the whole struct: the chain's 4 KiB of entries count only up
	 * to chain.n. */
	r->txn = NULL;
	r->views = db->views;
	r->borrowed = false;
	r->chain.n = 0;
	memset(&r->head, 0, sizeof r->head);
	r->branch[0] = '\0';
	r->cat = NULL;
	if (!fence && (r->txn = seq_batch_txn(db)) != NULL) /* the writes before ours */
		r->borrowed = true;
	else if (fence && target && target->commit) /* a commit in flight: wait for it */
		err = db_read_begin(&r->txn, db);
	else if ((err = views_read_begin(&r->txn, db->views)) < 0)
		db_error(db, err, NULL);
	if (err < 0)
		return err;
	if (target && target->commit) {
		if ((err = engine_commit_resolve(&r->head, db, r->txn, target->commit)) == 0 &&
		    (err = layer_chain(&r->chain, r->txn, db->views, r->head.layer, r->head.lsn)) < 0)
			db_error(db, err, NULL);
		snprintf(r->branch, sizeof r->branch, "%s", r->head.branch);
		if (!err && (err = engine_catalog_at(&r->cat, db, r->txn, r->head.lsn)) < 0)
			db_error(db, err, NULL);
	} else {
		err = read_branch(r, db, branch, fence);
	}
	if (err < 0)
		read_at_close(r);
	return err;
}

int read_at_open(struct read_at *r, grove_db *db, const grove_target *target)
{
	return read_at_txn(r, db, target, true);
}

int read_at_open_newest(struct read_at *r, grove_db *db, const grove_target *target)
{
	return read_at_txn(r, db, target, false);
}

void read_at_close(struct read_at *r)
{
	if (r->txn && !r->borrowed)
		views_read_end(r->views, r->txn);
	r->txn = NULL;
}

int grove_branch_head(grove_commit *out, grove_db *db, const char *branch)
{
	grove_target t = { branch ? branch : MAIN_BRANCH, NULL };
	struct read_at r;
	int err = read_at_open(&r, db, &t);
	if (err < 0)
		return err;
	engine_commit_public(out, &r.head);
	read_at_close(&r);
	return 0;
}

int grove_commit_show(grove_commit *out, grove_db *db, const char *commit_id)
{
	struct commit_rec c;
	MDB_txn *txn;
	int err = db_read_begin(&txn, db);
	if (err < 0)
		return err;
	if ((err = engine_commit_resolve(&c, db, txn, commit_id)) == 0)
		engine_commit_public(out, &c);
	mdb_txn_abort(txn);
	return err;
}

int grove_commit_list(grove_commit **out, size_t *count, grove_db *db, const char *branch)
{
	grove_target t = { branch ? branch : MAIN_BRANCH, NULL };
	grove_commit *v = NULL;
	size_t n = 0, cap = 0;
	struct read_at r;
	struct commit_rec c;
	int err = read_at_open(&r, db, &t);

	if (err < 0)
		return err;
	c = r.head;
	/* The first-parent chain: what this branch's history is (engine §2.3). */
	for (;;) {
		if (n == cap) {
			grove_commit *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof *v);
			if (!nv) {
				err = db_error(db, -ENOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		engine_commit_public(&v[n++], &c);
		if (commit_id_is_zero(&c.parent))
			break;
		if ((err = commit_get(&c, r.txn, db->views, &c.parent)) < 0) {
			db_error(db, err, NULL);
			break;
		}
	}
	read_at_close(&r);
	if (err < 0) {
		free(v);
		return err;
	}
	*out = v;
	*count = n;
	return 0;
}

int grove_schema_text(char **out, grove_db *db)
{
	MDB_txn *txn;
	MDB_val d;
	int err = db_read_begin(&txn, db);

	*out = NULL;
	if (err < 0)
		return err;
	if ((err = meta_get(&d, txn, db->views, "schema")) < 0)
		db_error(db, err, NULL);
	else if (!(*out = malloc(d.mv_size + 1)))
		err = db_error(db, -ENOMEM, "out of memory");
	else {
		memcpy(*out, d.mv_data, d.mv_size);
		(*out)[d.mv_size] = '\0';
	}
	mdb_txn_abort(txn);
	return err;
}

void engine_commit_json(struct jsonw *w, const grove_commit *c)
{
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "graph_commit_id");
	jsonw_cstr(w, c->id);
	jsonw_key_cstr(w, "graph_branch");   /* null for main (engine §2.1) */
	strcmp(c->branch, MAIN_BRANCH) ? jsonw_cstr(w, c->branch) : jsonw_null(w);
	jsonw_key_cstr(w, "graph_manifest_version");
	jsonw_uint(w, c->graph_version);
	jsonw_key_cstr(w, "parent_commit_id");
	c->parent[0] ? jsonw_cstr(w, c->parent) : jsonw_null(w);
	jsonw_key_cstr(w, "merged_parent_commit_id");
	c->merged_parent[0] ? jsonw_cstr(w, c->merged_parent) : jsonw_null(w);
	jsonw_key_cstr(w, "actor_id");
	c->actor[0] ? jsonw_cstr(w, c->actor) : jsonw_null(w);
	jsonw_key_cstr(w, "created_at");
	jsonw_int(w, c->created_at_us);
	jsonw_object_end(w);
}
