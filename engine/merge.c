/*
 * merge.c — three-way merge of one branch into another (engine §3).
 *
 * The merge base is the nearest common ancestor of the two heads in the
 * commit graph.  The entities that may have changed on either side since
 * the base come from the `chg` view (chg.h), so the cost is proportional to
 * what changed, never to the graph's size.  Per entity, the whole-row rule
 * of §3.3 decides: a side that did not change it yields to the other; the
 * same change on both sides is clean; anything else is a conflict, typed by
 * which sides hold the entity.  Without row conflicts the merged image is
 * checked like a write (orphan edges, @unique, @card, values); then the
 * resolved effects are logged as ONE merge event on the target — replay
 * never re-runs a merge.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg.h"
#include "engine/jsonw.h"
#include "engine/load.h"
#include "engine/merge.h"
#include "index/apply.h"
#include "log/error.h"

void merge_conflicts_free(struct merge_conflicts *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].id);
	free(c->v);
	memset(c, 0, sizeof *c);
}

int merge_conflict_add(struct merge_conflicts *c, const struct lang_cat_type *t, const char *id,
		       size_t id_len, const char *kind, const char *msg)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct merge_conflict *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	struct merge_conflict *x = &c->v[c->n];
	memset(x, 0, sizeof *x);
	x->t = t;
	x->id = id ? strndup(id, id_len) : NULL;
	snprintf(x->kind, sizeof x->kind, "%s", kind);
	snprintf(x->message, sizeof x->message, "%s", msg);
	c->n++;
	return 0;
}

/* ---- the merge base ---- */

/*
 * Engine §2.5: BFS from each head along both parents, inside the union of
 * the two branches' lineages; among the commits both reach, the smallest
 * summed distance wins, then the highest graph version (then, where the
 * spec says nothing, the highest LSN: deterministic).  Computed without
 * visiting the whole history: the two searches go level by level, the
 * shallower first, and stop once every commit one of them has not reached
 * is farther than the best found; and the lineages are walked only as deep
 * as the searches look.  So a merge costs the distance to its base, not
 * the age of the graph.
 */

#define MERGE_HISTORY_MAX (1u << 22)

/* A branch's lineage as OmniGraph projects it: the first-parent chain
 * from its head (its own commits, then its fork's history; a merge brings
 * only its own commit into the target's lineage, not the source's).  A
 * commit's parents were logged before it, so LSNs fall along the chain:
 * once the walk is below LSN L, a commit of LSN L is on it or never. */
struct chain {
	struct commit_rec next;          /* the next commit to add */
	bool done;
	size_t n;
};

/* Add the chain's commits down to LSN `lsn` to lin. */
static int chain_reach(struct chain *ch, struct idset *lin, grove_db *db, MDB_txn *txn, uint64_t lsn)
{
	while (!ch->done && ch->next.lsn >= lsn) {
		if (++ch->n > MERGE_HISTORY_MAX || idset_put(lin, 0, ch->next.id.b, 16, 0) < 0)
			return -ENOMEM;
		if (commit_id_is_zero(&ch->next.parent)) {
			ch->done = true;
			break;
		}
		int err = commit_get(&ch->next, txn, db->views, &ch->next.parent);
		if (err < 0)
			return err;
	}
	return 0;
}

/* A commit found, by the parents it leads to. */
struct found {
	struct commit_id parent, merged_parent;
};

/* One head's search: distances, and the commits found in distance order. */
struct side {
	struct idset dist;
	struct found *q;
	size_t head, tail, cap;
	uint32_t reach;                  /* every commit within it is found */
	bool exhausted;                  /* ... and there is nothing farther */
};

struct base_walk {
	grove_db *db;
	MDB_txn *txn;
	struct chain chain[2];
	struct idset lin;                /* the lineages as far as walked */
	struct side side[2];
	int64_t best;                    /* the best summed distance, or -1 */
	struct commit_rec *out;
};

/* The commit c, at distance d from side s's head, if it is on a lineage. */
static int discover(struct base_walk *w, int s, const struct commit_rec *c, uint32_t d)
{
	struct side *me = &w->side[s];
	int err;
	if (idset_get(&me->dist, 0, c->id.b, 16) >= 0)
		return 0;
	for (int i = 0; i < 2; i++)
		if ((err = chain_reach(&w->chain[i], &w->lin, w->db, w->txn, c->lsn)) < 0)
			return err;
	if (idset_get(&w->lin, 0, c->id.b, 16) < 0)
		return 0;   /* neither a candidate nor a way through */
	if (me->tail == me->cap) {
		struct found *q = me->cap < MERGE_HISTORY_MAX
			? realloc(me->q, sizeof *q * (me->cap = me->cap ? 2 * me->cap : 64)) : NULL;
		if (!q)
			return -ENOMEM;
		me->q = q;
	}
	me->q[me->tail++] = (struct found){ c->parent, c->merged_parent };
	if (idset_put(&me->dist, 0, c->id.b, 16, d) < 0)
		return -ENOMEM;
	int64_t other = idset_get(&w->side[!s].dist, 0, c->id.b, 16);
	if (other < 0)
		return 0;
	int64_t score = (int64_t)d + other;
	if (w->best < 0 || score < w->best ||
	    (score == w->best && (c->version > w->out->version ||
				  (c->version == w->out->version && c->lsn > w->out->lsn)))) {
		w->best = score;
		*w->out = *c;
	}
	return 0;
}

/* Find every commit one step farther than side s has reached. */
static int expand(struct base_walk *w, int s)
{
	struct side *me = &w->side[s];
	size_t end = me->tail;
	int err = 0;
	while (me->head < end && !err) {
		const struct found *c = &me->q[me->head++];
		const struct commit_id *next[2] = { &c->parent, &c->merged_parent };
		for (int i = 0; i < 2 && !err; i++) {
			struct commit_rec p;
			if (commit_id_is_zero(next[i]) || idset_get(&me->dist, 0, next[i]->b, 16) >= 0)
				continue;   /* none, or found already */
			err = commit_get(&p, w->txn, w->db->views, next[i]);
			/* A merged parent this graph lacks (a record appended from
			 * another graph) is on no lineage: a first-parent chain
			 * holding it could not be walked. */
			if (err == GROVE_ENOTFOUND && i == 1)
				err = 0;
			else if (err == 0)
				err = discover(w, s, &p, me->reach + 1);
		}
	}
	me->reach++;
	me->exhausted = me->head == me->tail;
	return err;
}

/* Is every commit not yet reached by both searches farther than the best?
 * (One side has not reached it: its distance there is beyond its reach.) */
static bool settled(const struct base_walk *w)
{
	const struct side *a = &w->side[0], *b = &w->side[1];
	if (a->exhausted && b->exhausted)
		return true;
	uint32_t lo = a->exhausted ? b->reach : b->exhausted ? a->reach
		    : a->reach < b->reach ? a->reach : b->reach;
	return w->best >= 0 && (int64_t)lo + 1 > w->best;
}

static int base_search(struct base_walk *w, const struct commit_id *a, const struct commit_id *b)
{
	struct commit_rec head[2];
	int err;
	if ((err = commit_get(&head[0], w->txn, w->db->views, a)) < 0 ||
	    (err = commit_get(&head[1], w->txn, w->db->views, b)) < 0)
		return err;
	w->chain[0].next = head[0];
	w->chain[1].next = head[1];
	if ((err = discover(w, 0, &head[0], 0)) < 0 || (err = discover(w, 1, &head[1], 0)) < 0)
		return err;
	while (!settled(w) && !err) {
		const struct side *x = &w->side[0], *y = &w->side[1];
		err = expand(w, x->exhausted || (!y->exhausted && y->reach < x->reach) ? 1 : 0);
	}
	return err;
}

int merge_base(struct commit_rec *out, grove_db *db, MDB_txn *txn, const struct commit_id *a,
	       const struct commit_id *b)
{
	struct base_walk w = { .db = db, .txn = txn, .best = -1, .out = out };
	idset_init(&w.lin);
	for (int i = 0; i < 2; i++)
		idset_init(&w.side[i].dist);
	int err = base_search(&w, a, b);
	idset_free(&w.lin);
	for (int i = 0; i < 2; i++) {
		idset_free(&w.side[i].dist);
		free(w.side[i].q);
	}
	if (!err && w.best < 0)
		err = db_error(db, GROVE_ECONFLICT,
			       "captured branch commits are unavailable or have no common ancestor");
	return err < 0 && err != GROVE_ECONFLICT ? db_error(db, err, NULL) : err;
}
