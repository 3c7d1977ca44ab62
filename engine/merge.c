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

#define MERGE_HISTORY_MAX (1u << 22)

/* The branch's lineage as OmniGraph projects it: the first-parent chain
 * from `head` (its own commits, then its fork's history).  A merge brings
 * only its own commit into the target's lineage, not the source's. */
static int lineage(struct idset *lin, grove_db *db, MDB_txn *txn, const struct commit_id *head)
{
	struct commit_id at = *head;
	for (size_t n = 0; !commit_id_is_zero(&at) && idset_get(lin, 0, at.b, 16) < 0; n++) {
		struct commit_rec c;
		int err;
		if (n >= MERGE_HISTORY_MAX)
			return -ENOMEM;
		if (idset_put(lin, 0, at.b, 16, 0) < 0)
			return -ENOMEM;
		if ((err = commit_get(&c, txn, db->views, &at)) < 0)
			return err;
		at = c.parent;
	}
	return 0;
}

/* Distances from `start` to every ancestor (both parents) inside `lin`:
 * a parent outside both branches' lineages is neither a candidate nor a
 * way through (engine §2.5: the union of the two lineage projections). */
static int ancestors(struct idset *dist, grove_db *db, MDB_txn *txn, const struct commit_id *start,
		     const struct idset *lin)
{
	struct commit_id *queue = malloc(sizeof *queue * 64);
	size_t head = 0, tail = 0, cap = 64;
	int err = 0;

	if (!queue || idset_put(dist, 0, start->b, 16, 0) < 0) {
		free(queue);
		return -ENOMEM;
	}
	queue[tail++] = *start;
	while (head < tail && !err) {
		struct commit_rec c;
		struct commit_id at = queue[head++];
		uint32_t d = (uint32_t)idset_get(dist, 0, at.b, 16);
		if ((err = commit_get(&c, txn, db->views, &at)) < 0)
			break;
		const struct commit_id *next[2] = { &c.parent, &c.merged_parent };
		for (int i = 0; i < 2 && !err; i++) {
			if (commit_id_is_zero(next[i]) || idset_get(dist, 0, next[i]->b, 16) >= 0 ||
			    idset_get(lin, 0, next[i]->b, 16) < 0)
				continue;
			if (tail == cap) {
				struct commit_id *q = tail < MERGE_HISTORY_MAX
					? realloc(queue, sizeof *q * (cap *= 2)) : NULL;
				if (!q) {
					err = -ENOMEM;
					break;
				}
				queue = q;
			}
			queue[tail++] = *next[i];
			if (idset_put(dist, 0, next[i]->b, 16, d + 1) < 0)
				err = -ENOMEM;
		}
	}
	free(queue);
	return err;
}

/* Among the commits both heads reach, the one with the smallest summed
 * distance; a tie goes to the highest graph version (engine §2.5). */
int merge_base(struct commit_rec *out, grove_db *db, MDB_txn *txn, const struct commit_id *a,
	       const struct commit_id *b)
{
	struct idset da, dbb, lin;
	size_t i = 0;
	uint32_t type, val, len;
	const char *key;
	int64_t best = -1;
	int err;

	idset_init(&da);
	idset_init(&dbb);
	idset_init(&lin);
	if ((err = lineage(&lin, db, txn, a)) == 0 && (err = lineage(&lin, db, txn, b)) == 0 &&
	    (err = ancestors(&da, db, txn, a, &lin)) == 0 && (err = ancestors(&dbb, db, txn, b, &lin)) == 0) {
		while (idset_next(&da, &i, &type, &key, &len, &val)) {
			int64_t other = idset_get(&dbb, 0, key, len);
			struct commit_rec c;
			struct commit_id id;
			if (other < 0)
				continue;
			memcpy(id.b, key, 16);
			if ((err = commit_get(&c, txn, db->views, &id)) < 0)
				break;
			int64_t score = (int64_t)val + other;
			if (best < 0 || score < best || (score == best && c.version > out->version)) {
				best = score;
				*out = c;
			}
		}
	}
	idset_free(&da);
	idset_free(&dbb);
	idset_free(&lin);
	if (!err && best < 0)
		err = db_error(db, GROVE_ECONFLICT,
			       "captured branch commits are unavailable or have no common ancestor");
	return err < 0 && err != GROVE_ECONFLICT ? db_error(db, err, NULL) : err;
}
