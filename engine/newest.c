/*
 * engine/newest.c — a writer's next snapshot, resolved by the apply before
 * it.
 *
 * A mutation plans on its branch's newest state (read_at_open_newest):
 * the branch record, its head commit, its layer chain and the catalog in
 * force, about 3.5 us of LMDB reads before the record can even exist, on
 * the critical path of a lone writer.  The apply that made that state
 * knows it already, inside its write transaction, while its own record's
 * write is in flight: it resolves the branch there (newest_note) and,
 * once that transaction has committed (an uncommitted one's id is used
 * again by the next), leaves the answer keyed by its id (newest_publish).  A read transaction
 * with the same id sees exactly the views that write transaction
 * committed, so the next plan on that snapshot takes the answer as it is
 * (newest_get); any other snapshot misses and reads as before.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/schema_hist.h"

struct newest_snap {
	uint64_t txnid;              /* the write transaction */
	struct read_at r;            /* without its txn */
};

struct newest_snap *newest_note(grove_db *db, MDB_txn *wtxn, const char *branch, size_t branch_len)
{
	struct newest_snap *n;
	struct branch_rec b;

	if (branch_len > BRANCH_NAME_MAX || !(n = malloc(sizeof *n)))
		return NULL;
	memcpy(n->r.branch, branch, branch_len);
	n->r.branch[branch_len] = '\0';
	n->txnid = mdb_txn_id(wtxn);
	n->r.txn = NULL;
	n->r.views = db->views;
	/* Best effort: a failure leaves the next plan to read for itself. */
	if (branch_get(&b, wtxn, db->views, n->r.branch) < 0 ||
	    commit_get(&n->r.head, wtxn, db->views, &b.head) < 0 ||
	    layer_chain(&n->r.chain, wtxn, db->views, b.layer, b.head_lsn) < 0 ||
	    engine_catalog_at(&n->r.cat, db, wtxn, n->r.head.lsn) < 0) {
		free(n);
		n = NULL;
	}
	return n;
}

void newest_publish(grove_db *db, struct newest_snap *n)
{
	pthread_mutex_lock(&db->newest_mu);
	struct newest_snap *old = db->newest;
	db->newest = n;
	pthread_mutex_unlock(&db->newest_mu);
	free(old);
}

bool newest_get(struct read_at *r, grove_db *db, const char *branch, uint64_t txnid)
{
	bool hit;
	pthread_mutex_lock(&db->newest_mu);
	const struct newest_snap *n = db->newest;
	hit = n && n->txnid == txnid && !strcmp(n->r.branch, branch);
	if (hit) {
		r->head = n->r.head;
		r->chain.n = n->r.chain.n;
		memcpy(r->chain.at, n->r.chain.at, n->r.chain.n * sizeof r->chain.at[0]);
		r->cat = n->r.cat;
		memcpy(r->branch, n->r.branch, strlen(n->r.branch) + 1);
	}
	pthread_mutex_unlock(&db->newest_mu);
	return hit;
}

void newest_free(grove_db *db)
{
	free(db->newest);
	db->newest = NULL;
}
