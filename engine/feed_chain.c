/*
 * feed_chain.c — the first-parent chains change feed polls walked, kept
 * by the handle for the next poll (engine §4.5, changes_feed.c).
 *
 * A poll walks back from the branch's head to its position, one commit
 * read per step, and delivers the oldest max_commits commits it passed.
 * A consumer catching up on a long history walked the whole remaining gap
 * again at every poll: n commits cost O(n^2 / max_commits) reads (200,000
 * commits: 391 polls, 13 s).  Below any commit the chain is history and
 * never changes, so the handle keeps the links (LSN, id) polls of a branch
 * incarnation walked, oldest first, as one piece per stretch of the chain:
 * a walk that overlaps a kept piece joins it, so consumers at different
 * positions of one branch keep what each of them needs.  The next poll's
 * walk stops at the first commit it finds in a piece that also holds its
 * position, and takes the links below it from there.  LSNs rise along a
 * chain, so a commit is found by binary search.
 *
 * DB_FEED_CHAINS pieces are kept at once (the least recently used goes);
 * a piece longer than FEED_CHAIN_MAX links loses its oldest ones.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/feed_chain.h"

size_t feed_chain_max = FEED_CHAIN_MAX;

struct feed_chain {
	char branch[BRANCH_NAME_MAX + 1];
	uint64_t inc;                /* the branch's incarnation (created LSN) */
	uint64_t used;               /* db->feed_clock at the last use          */
	struct feed_link *v;         /* oldest first                           */
	size_t n, cap;
	bool from_root;              /* v[0] is the genesis commit             */
};

static void chain_free(struct feed_chain *c)
{
	if (c) {
		free(c->v);
		free(c);
	}
}

static bool is_of(const struct feed_chain *c, const char *branch, uint64_t inc)
{
	return c && c->inc == inc && !strcmp(c->branch, branch);
}

/* The index of link l in v[0, n), or -1. */
static ptrdiff_t index_in(const struct feed_link *v, size_t n, const struct feed_link *l)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].lsn < l->lsn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].lsn == l->lsn && !memcmp(&v[lo].id, &l->id, sizeof l->id)
		? (ptrdiff_t)lo : -1;
}

static ptrdiff_t index_of(const struct feed_chain *c, const struct feed_link *l)
{
	return index_in(c->v, c->n, l);
}

int feed_chain_splice(struct feed_link **out, size_t *n, uint64_t *below, grove_db *db,
		      const char *branch, uint64_t inc, const struct feed_link *at,
		      const struct feed_link *after, size_t max_links)
{
	int found = 0;
	pthread_mutex_lock(&db->feed_mu);
	for (unsigned k = 0; k < DB_FEED_CHAINS && !found; k++) {
		struct feed_chain *c = db->feed_chains[k];
		ptrdiff_t i = is_of(c, branch, inc) ? index_of(c, at) : -1, j = -1;
		if (i >= 0)
			j = after ? index_of(c, after) : c->from_root ? 0 : -1;
		if (j < 0 || j > i)
			continue;
		*below = (uint64_t)(i - j);
		*n = (size_t)(i - j + 1) < max_links ? (size_t)(i - j + 1) : max_links;
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

/* Drop c's oldest links past FEED_CHAIN_MAX (a quarter more, so that a
 * piece growing by appends moves its links seldom). */
static void trim(struct feed_chain *c)
{
	if (c->n <= feed_chain_max)
		return;
	size_t drop = c->n - feed_chain_max + feed_chain_max / 4;
	memmove(c->v, c->v + drop, (c->n - drop) * sizeof *c->v);
	c->n -= drop;
	c->from_root = false;
	if (c->cap > c->n + c->n / 2) {   /* give back what appends grew */
		struct feed_link *v = realloc(c->v, (c->n + c->n / 4) * sizeof *v);
		if (v) {
			c->v = v;
			c->cap = c->n + c->n / 4;
		}
	}
}

/* v[0, n) continues c from c's newest link (v[0]): appended in place. */
static bool append(struct feed_chain *c, struct feed_link *v, size_t n)
{
	if (c->n + n - 1 > c->cap) {
		size_t cap = 2 * (c->n + n);
		struct feed_link *u = realloc(c->v, cap * sizeof *u);
		if (!u)
			return false;
		c->v = u;
		c->cap = cap;
	}
	memcpy(c->v + c->n, v + 1, (n - 1) * sizeof *v);
	c->n += n - 1;
	free(v);
	trim(c);
	return true;
}

/* Join the walk v[0, n) to piece c where they overlap: c becomes their
 * union (one stretch of the chain), v is freed.  false: they do not
 * overlap, or memory ran out (v is the caller's then). */
static bool join(struct feed_chain *c, struct feed_link *v, size_t n, bool from_root)
{
	ptrdiff_t i = index_of(c, &v[0]), j = index_in(v, n, &c->v[0]);
	if (i < 0 && j < 0)
		return false;
	/* A walk from the genesis commit tells that c starts there too. */
	if (i == 0 && from_root)
		c->from_root = true;
	if (i >= 0 && (size_t)i + n <= c->n) {   /* v lies inside c */
		free(v);
		return true;
	}
	if (i >= 0 && (size_t)i == c->n - 1)     /* v goes on from c's newest */
		return append(c, v, n);
	/* The union: the older piece up to where the newer one starts, then
	 * the newer one (whichever ends later). */
	const struct feed_link *lo = i >= 0 ? c->v : v, *hi = i >= 0 ? v : c->v;
	size_t n_lo = i >= 0 ? (size_t)i : (size_t)j, n_hi = i >= 0 ? n : c->n;
	size_t len_lo = i >= 0 ? c->n : n;
	if (n_lo + n_hi < len_lo) {               /* the newer lies inside */
		hi = lo + n_lo;
		n_hi = len_lo - n_lo;
	}
	struct feed_link *u = malloc((n_lo + n_hi) * sizeof *u);
	if (!u)
		return false;
	memcpy(u, lo, n_lo * sizeof *u);
	memcpy(u + n_lo, hi, n_hi * sizeof *u);
	c->from_root = i >= 0 ? c->from_root : from_root;
	free(c->v);
	free(v);
	c->v = u;
	c->n = c->cap = n_lo + n_hi;
	trim(c);
	return true;
}

void feed_chain_keep(grove_db *db, const char *branch, uint64_t inc, struct feed_link *v,
		     size_t n, bool from_root)
{
	if (n < 2 || strlen(branch) > BRANCH_NAME_MAX) {   /* one link: nothing to gain */
		free(v);
		return;
	}
	pthread_mutex_lock(&db->feed_mu);
	uint64_t now = ++db->feed_clock;
	for (unsigned k = 0; k < DB_FEED_CHAINS; k++) {
		struct feed_chain *c = db->feed_chains[k];
		if (is_of(c, branch, inc) && join(c, v, n, from_root)) {
			c->used = now;
			pthread_mutex_unlock(&db->feed_mu);
			return;
		}
	}
	struct feed_chain **s = &db->feed_chains[0], *old;
	for (unsigned k = 0; k < DB_FEED_CHAINS; k++) {   /* an empty slot, else the LRU */
		if (!db->feed_chains[k]) {
			s = &db->feed_chains[k];
			break;
		}
		if (db->feed_chains[k]->used < (*s)->used)
			s = &db->feed_chains[k];
	}
	struct feed_chain *c = calloc(1, sizeof *c);
	if (c) {
		strcpy(c->branch, branch);
		c->inc = inc;
		c->v = v;
		c->n = c->cap = n;
		c->from_root = from_root;
		c->used = now;
		trim(c);
		old = *s;
		*s = c;
	} else {
		old = NULL;
		free(v);
	}
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
