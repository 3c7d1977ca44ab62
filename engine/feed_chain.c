/*
 * feed_chain.c — the first-parent chains change feed polls walked, kept
 * by the handle for the next poll (engine §4.5, changes_feed.c).
 *
 * A poll walks back from the branch's head to its position, one commit
 * read per step, and delivers the oldest max_commits commits it passed.
 * A consumer catching up on a long history walked the whole remaining gap
 * again at every poll: n commits cost O(n^2 / max_commits) reads (200,000
 * commits: 391 polls, 13 s).  Below any commit the chain is history and
 * never changes, so the handle keeps, per branch incarnation, the links
 * (LSN, id) from the last poll's position up to its head, oldest first;
 * the next poll's walk stops at the first commit it finds there and takes
 * the links below it from here.  LSNs rise along a chain, so a commit is
 * found by binary search.
 *
 * DB_FEED_CHAINS branches are kept at once (the least recently used
 * goes); a walk of more than FEED_CHAIN_MAX links is not kept.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/feed_chain.h"

struct feed_chain {
	char branch[BRANCH_NAME_MAX + 1];
	uint64_t inc;                /* the branch's incarnation (created LSN) */
	uint64_t used;               /* db->feed_clock at the last use          */
	struct feed_link *v;         /* oldest first                           */
	size_t n;
	bool from_root;              /* v[0] is the genesis commit             */
};

static void chain_free(struct feed_chain *c)
{
	if (c) {
		free(c->v);
		free(c);
	}
}

static struct feed_chain **slot_of(grove_db *db, const char *branch, uint64_t inc)
{
	for (unsigned i = 0; i < DB_FEED_CHAINS; i++)
		if (db->feed_chains[i] && db->feed_chains[i]->inc == inc &&
		    !strcmp(db->feed_chains[i]->branch, branch))
			return &db->feed_chains[i];
	return NULL;
}

/* The index of link l in c, or -1. */
static ptrdiff_t index_of(const struct feed_chain *c, const struct feed_link *l)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->v[mid].lsn < l->lsn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->v[lo].lsn == l->lsn && !memcmp(&c->v[lo].id, &l->id, sizeof l->id)
		? (ptrdiff_t)lo : -1;
}

int feed_chain_splice(struct feed_link **out, size_t *n, grove_db *db, const char *branch,
		      uint64_t inc, const struct feed_link *at, const struct feed_link *after)
{
	int found = 0;
	pthread_mutex_lock(&db->feed_mu);
	struct feed_chain **s = slot_of(db, branch, inc), *c = s ? *s : NULL;
	ptrdiff_t i = c ? index_of(c, at) : -1, j = -1;
	if (i >= 0)
		j = after ? index_of(c, after) : c->from_root ? 0 : -1;
	if (j >= 0 && j <= i) {
		*n = (size_t)(i - j + 1);
		if ((*out = malloc(*n * sizeof **out)) != NULL) {
			memcpy(*out, c->v + j, *n * sizeof **out);
			c->used = ++db->feed_clock;
			found = 1;
		} else {
			found = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&db->feed_mu);
	return found;
}

void feed_chain_keep(grove_db *db, const char *branch, uint64_t inc, struct feed_link *v,
		     size_t n, bool from_root)
{
	struct feed_chain *c = n <= FEED_CHAIN_MAX && strlen(branch) <= BRANCH_NAME_MAX
		? calloc(1, sizeof *c) : NULL;
	if (!c) {
		free(v);
		return;
	}
	strcpy(c->branch, branch);
	c->inc = inc;
	c->v = v;
	c->n = n;
	c->from_root = from_root;
	pthread_mutex_lock(&db->feed_mu);
	c->used = ++db->feed_clock;
	struct feed_chain **s = slot_of(db, branch, inc);
	if (!s) {   /* an empty slot, else the least recently used */
		s = &db->feed_chains[0];
		for (unsigned i = 0; i < DB_FEED_CHAINS; i++) {
			if (!db->feed_chains[i]) {
				s = &db->feed_chains[i];
				break;
			}
			if (db->feed_chains[i]->used < (*s)->used)
				s = &db->feed_chains[i];
		}
	}
	struct feed_chain *old = *s;
	*s = c;
	pthread_mutex_unlock(&db->feed_mu);
	chain_free(old);
}

void feed_chain_free(grove_db *db)
{
	for (unsigned i = 0; i < DB_FEED_CHAINS; i++) {
		chain_free(db->feed_chains[i]);
		db->feed_chains[i] = NULL;
	}
}
