/*
 * changes_feed.c — the change feed (engine §4.5): a branch's first-parent
 * chain, oldest to newest after a position, one block per commit.
 *
 * A poll captures the head as its cut, walks back from the cut to the
 * position — stopping early where the handle kept that stretch of chain
 * from an earlier walk (feed_chain.c) — reads the oldest `max_commits`
 * commits after the position, and writes their blocks.  A
 * cursor names the last complete commit delivered; a page token, written
 * only when a page ends inside a block, names that position, the block's
 * commit, the last change delivered and the cut.  Both are bound to the
 * branch's incarnation (the LSN that created it) and the scope.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg_token.h"
#include "engine/feed_chain.h"
#include "grove.h"
#include "index/apply.h"
#include "log/error.h"

#define FEED_WHAT "change cursor"

enum feed_mode { FEED_NOW, FEED_BEGINNING, FEED_AFTER, FEED_PAGE };

struct feed {
	grove_db *db;
	MDB_txn *txn;
	const char *branch;
	struct branch_rec rec;
	const struct chg_scope *s;
	char scope_hex[17];
	enum feed_mode mode;
	struct commit_id after, cut, block;
	struct chg_pos pos;            /* FEED_PAGE: the last change delivered */
	struct commit_rec *ring;       /* the oldest commits after `after`     */
	uint32_t max, n_ring;
	uint32_t max_changes;          /* the page's budget                    */
	uint64_t max_bytes;
	uint64_t pending;              /* commits between `after` and the cut  */
};

static int parse_id(struct commit_id *out, struct feed *f, const char *text)
{
	if (!text || !commit_id_parse(out, text))
		return db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: '%s' is not a commit id",
				text ? text : "");
	return 0;
}

/* Check what a cursor or page token binds, and take its positions. */
static int token_position(struct feed *f, const char *token, const char *kind)
{
	json_t *j;
	int err = chg_token_open(&j, f->db, token, kind,
				 !strcmp(kind, "feed-page") ? "change feed page token" : "change feed cursor");
	if (err < 0)
		return err;
	const char *b = json_string_value(json_object_get(j, "branch"));
	const char *sc = json_string_value(json_object_get(j, "scope"));
	json_int_t inc = json_integer_value(json_object_get(j, "inc"));
	if (!b || strcmp(b, f->branch))
		err = db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: it belongs to a different "
			       "branch");
	else if ((uint64_t)inc != f->rec.created_lsn)
		err = db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: it belongs to a different "
			       "branch incarnation (the branch was deleted and created again)");
	else if (!sc || strcmp(sc, f->scope_hex))
		err = db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: it was made with a "
			       "different filter scope");
	else
		err = parse_id(&f->after, f, json_string_value(json_object_get(j, "after")));
	if (!err && !strcmp(kind, "feed-page") &&
	    ((err = parse_id(&f->cut, f, json_string_value(json_object_get(j, "cut")))) < 0 ||
	     (err = parse_id(&f->block, f, json_string_value(json_object_get(j, "block")))) < 0 ||
	     chg_pos_parse(&f->pos, json_object_get(j, "pos")) < 0))
		err = err < 0 ? err : db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: bad position");
	json_decref(j);
	return err;
}

static int parse_position(struct feed *f, const char *position)
{
	char kind[32];
	f->cut = f->rec.head;
	if (!position || !strcmp(position, "now")) {
		f->mode = FEED_NOW;
		f->after = f->rec.head;
		return 0;
	}
	if (!strcmp(position, "beginning")) {
		f->mode = FEED_BEGINNING;
		return 0;
	}
	if (!strncmp(position, "after:", 6)) {
		f->mode = FEED_AFTER;
		return parse_id(&f->after, f, position + 6);
	}
	if (chg_token_kind(position, kind, sizeof kind) == 0 && !strcmp(kind, "feed-page")) {
		f->mode = FEED_PAGE;
		return token_position(f, position, kind);
	}
	f->mode = FEED_AFTER;
	return token_position(f, position, "feed-cursor");
}

static bool same_id(const struct commit_id *a, const struct commit_id *b)
{
	return !memcmp(a->b, b->b, sizeof a->b);
}

/* The links walked back from the cut, newest first, in push order.  Past
 * walked_max() of them the vector turns into a ring of that size: only
 * the latest pushed (the oldest commits) are still needed, and a walk
 * that long is not kept. */
struct walked {
	struct feed_link *v;
	size_t n, cap;
};

/* The ring's size: a poll's commits and its position always fit. */
static size_t walked_max(void)
{
	return feed_chain_max > GROVE_FEED_COMMITS_MAX + 1u ? feed_chain_max : GROVE_FEED_COMMITS_MAX + 1u;
}

static bool walked_ring(const struct walked *w)
{
	return w->n > walked_max();
}

/* The link pushed k-th from the last (0: the last, the oldest commit). */
static const struct feed_link *walked_last(const struct walked *w, size_t k)
{
	return &w->v[(w->n - 1 - k) % walked_max()];
}

static int walked_push(struct walked *w, const struct commit_rec *c)
{
	size_t max = walked_max();
	if (w->n == w->cap && w->cap < max) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		cap = cap < max ? cap : max;
		struct feed_link *v = realloc(w->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++ % max] = (struct feed_link){ c->lsn, c->id };
	return 0;
}

/* What a walk found: the position and the oldest links after it (ring:
 * ring.v[0] the position, then at most f->max), how many commits there
 * are after it up to the cut, and the links to keep for the next poll. */
struct walk_out {
	struct walked ring, keep;
	uint64_t count;
	bool from_root;
};

/* Append walked links, oldest first, until out->ring holds f->max + 1. */
static int ring_fill(struct feed *f, struct walk_out *out, const struct walked *w)
{
	size_t want = f->max + 1u, add = out->ring.n < want ? want - out->ring.n : 0;
	add = add < w->n ? add : w->n;
	struct feed_link *v = realloc(out->ring.v, (out->ring.n + add + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	for (size_t k = 0; k < add; k++)
		v[out->ring.n + k] = *walked_last(w, k);
	out->ring.v = v;
	out->ring.n += add;
	return 0;
}

/* The walked links, oldest first, after `base` as the keep list (none
 * when nothing was walked, the walk was too long, or memory is short:
 * keeping only saves work). */
static int keep_walked(struct walk_out *out, const struct feed_link *base, const struct walked *w)
{
	struct feed_link *v = !w->n || walked_ring(w) ? NULL : malloc((w->n + 1) * sizeof *v);
	if (!v)
		return 0;
	v[0] = *base;
	for (size_t k = 0; k < w->n; k++)
		v[1 + k] = *walked_last(w, k);
	out->keep = (struct walked){ v, w->n + 1, w->n + 1 };
	return 0;
}

/* c is in a kept piece that holds the position too: the links there from
 * the position up (as many as the ring takes), then the walked ones.
 * 1: done; 0: no piece helps at c. */
static int splice(struct feed *f, struct walk_out *out, const struct walked *w,
		  const struct commit_rec *c, const struct feed_link *after)
{
	struct feed_link at = { c->lsn, c->id };
	uint64_t below;
	if (f->mode != FEED_BEGINNING && !after)
		return 0;
	int found = feed_chain_splice(&out->ring.v, &out->ring.n, &below, f->db, f->branch,
				      f->rec.created_lsn, &at, f->mode == FEED_BEGINNING ? NULL : after,
				      f->max + 1u);
	if (found <= 0)
		return found;
	out->count = below + w->n;
	f->after = out->ring.v[0].id;
	int err = ring_fill(f, out, w);
	if (err == 0)
		err = keep_walked(out, &at, w);   /* from c up: joins the piece */
	return err < 0 ? err : 1;
}

/* The walk's end at commit c (the position, or the genesis commit of a
 * walk from the beginning). */
static int walk_end(struct feed *f, struct walk_out *out, struct walked *w, const struct commit_rec *c)
{
	struct feed_link base = { c->lsn, c->id };
	int err;
	out->count = w->n;
	if ((out->ring.v = malloc(sizeof *out->ring.v)) == NULL)
		return -ENOMEM;
	out->ring.v[0] = base;
	out->ring.n = 1;
	if ((err = ring_fill(f, out, w)) < 0)
		return err;
	return keep_walked(out, &base, w);
}

/* Walk back from the cut to the position (*out; errors leave it to free). */
static int walk_chain(struct feed *f, struct walk_out *out)
{
	struct commit_rec c, pos;
	struct feed_link after, *pafter = NULL;
	struct walked w = { NULL, 0, 0 };
	char id[COMMIT_ID_TEXT_BYTES];
	/* The position's LSN finds it in a kept piece (unknown: none helps). */
	if (f->mode != FEED_BEGINNING && commit_get(&pos, f->txn, f->db->views, &f->after) == 0) {
		after = (struct feed_link){ pos.lsn, pos.id };
		pafter = &after;
	}
	int err = commit_get(&c, f->txn, f->db->views, &f->cut);
	for (;;) {
		if (err < 0) {
			err = db_error(f->db, err == GROVE_ENOTFOUND ? GROVE_ECORRUPT : err,
				       "a commit of branch '%s' is missing", f->branch);
			break;
		}
		if (f->mode != FEED_BEGINNING && same_id(&c.id, &f->after)) {
			err = walk_end(f, out, &w, &c);
			break;
		}
		if ((err = splice(f, out, &w, &c, pafter)) != 0) {
			err = err > 0 ? 0 : err;
			break;
		}
		if (commit_id_is_zero(&c.parent)) {
			if (f->mode == FEED_BEGINNING) {
				f->after = c.id;
				out->from_root = true;
				err = walk_end(f, out, &w, &c);
				break;
			}
			commit_id_format(id, &f->after);
			err = db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: commit %s is not "
				       "on the first-parent chain of branch '%s'", id, f->branch);
			break;
		}
		if ((err = walked_push(&w, &c)) < 0)
			break;
		err = commit_get(&c, f->txn, f->db->views, &c.parent);
	}
	free(w.v);
	return err == -ENOMEM ? db_error(f->db, err, "out of memory") : err;
}

/* The commits after the position up to the cut: how many (f->pending),
 * and the oldest f->max of them read into f->ring.  The links walked are
 * kept for the next poll. */
static int walk(struct feed *f)
{
	struct walk_out out = { { NULL, 0, 0 }, { NULL, 0, 0 }, 0, false };
	int err = walk_chain(f, &out);
	if (err == 0) {
		f->pending = out.count;
		f->n_ring = f->pending < f->max ? (uint32_t)f->pending : f->max;
		for (uint32_t i = 0; i < f->n_ring && !err; i++)
			if ((err = commit_get(&f->ring[i], f->txn, f->db->views, &out.ring.v[1 + i].id)) < 0)
				err = db_error(f->db, err == GROVE_ENOTFOUND ? GROVE_ECORRUPT : err,
					       "a commit of branch '%s' is missing", f->branch);
	}
	if (err == 0 && out.keep.n)
		feed_chain_keep(f->db, f->branch, f->rec.created_lsn, out.keep.v, out.keep.n, out.from_root);
	else
		free(out.keep.v);
	free(out.ring.v);
	return err;
}

static const struct commit_rec *oldest(const struct feed *f, uint32_t i)
{
	return &f->ring[i];
}

static int seal(char **out, struct feed *f, const char *kind, const json_t *pos)
{
	char after[COMMIT_ID_TEXT_BYTES], cut[COMMIT_ID_TEXT_BYTES], block[COMMIT_ID_TEXT_BYTES];
	commit_id_format(after, &f->after);
	commit_id_format(cut, &f->cut);
	commit_id_format(block, &f->block);
	json_t *p = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s}", "v", 1, "kind", kind,
			      "branch", f->branch, "inc", (json_int_t)f->rec.created_lsn,
			      "scope", f->scope_hex, "after", after);
	if (p && pos && (json_object_set_new(p, "cut", json_string(cut)) ||
			 json_object_set_new(p, "block", json_string(block)) ||
			 json_object_set(p, "pos", (json_t *)pos))) {
		json_decref(p);
		p = NULL;
	}
	if (!p)
		return db_error(f->db, -ENOMEM, "out of memory");
	return chg_token_seal(out, f->db, p);
}

/* One block into `one`; *keep: whether the page takes it. */
static int one_block(struct feed *f, struct jsonw *one, struct chg_block_end *end,
		     const struct commit_rec *c, bool first, struct chg_budget *budget)
{
	bool resume = first && f->mode == FEED_PAGE;
	if (resume && !same_id(&c->id, &f->block))
		return db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: the page token's "
				"commit does not follow its position");
	jsonw_reset(one);
	jsonw_object_begin(one);
	int err = chg_block_write(one, end, f->db, f->txn, c, f->s, resume ? &f->pos : NULL,
				  budget);
	jsonw_object_end(one);
	if (!err && (err = jsonw_error(one)) < 0)
		err = db_error(f->db, err, "a change block does not fit in memory");
	return err;
}

/* The blocks, then the cursor or the page token. */
static int write_blocks(struct jsonw *w, struct feed *f)
{
	struct chg_budget budget = { f->max_changes, (size_t)f->max_bytes, 0 };
	struct chg_block_end end = { false, NULL, false };
	struct jsonw one;
	char *token = NULL;
	uint32_t done = 0;
	int err = 0;

	jsonw_init(&one, GROVE_DIFF_MAX_BYTES);
	jsonw_key_cstr(w, "blocks");
	jsonw_array_begin(w);
	for (; done < f->n_ring && !err; done++) {
		const struct commit_rec *c = oldest(f, done);
		/* A spent budget ends the page before the next commit, empty or
		 * not (OmniGraph's feed does the same). */
		if (done > 0 && (budget.changes == 0 || budget.bytes == 0))
			break;
		uint32_t taken = budget.taken;
		json_decref(end.last);
		if ((err = one_block(f, &one, &end, c, done == 0, &budget)) < 0) {
			/* A commit past a schema boundary is refused only when it
			 * comes first: else the page ends before it, and the next
			 * poll, starting there, refuses it (engine §4.5). */
			if (end.boundary && done > 0)
				err = 0;
			break;
		}
		if (end.truncated && done > 0 && budget.taken == taken)
			break;   /* took nothing: the page ends at the previous block */
		/* A block cut short goes on the page as far as it got, and the
		 * page token resumes it (upstream's mid-block page). */
		jsonw_raw(w, one.buf, one.len);
		if (end.truncated) {
			f->block = c->id;
			err = seal(&token, f, "feed-page", end.last);
			break;
		}
		f->after = c->id;
	}
	jsonw_array_end(w);
	if (!err && token) {
		jsonw_key_cstr(w, "next_page_token");
		jsonw_cstr(w, token);
	} else if (!err && !(err = seal(&token, f, "feed-cursor", NULL))) {
		jsonw_key_cstr(w, "cursor");
		jsonw_cstr(w, token);
		/* Caught up: every commit up to the cut delivered, and the cut
		 * (pinned by a page token's first poll) still the branch's head. */
		jsonw_key_cstr(w, "caught_up");
		jsonw_bool(w, done == f->pending && !memcmp(&f->cut, &f->rec.head, sizeof f->cut));
	}
	json_decref(end.last);
	jsonw_fini(&one);
	free(token);
	return err;
}

/* A page token's cut must be a commit of the branch's first-parent chain
 * (tokens are checksummed, not signed).  The walk back from the head stops
 * at the cut's LSN, so it costs the commits made since the token's first
 * poll. */
static int check_cut(struct feed *f)
{
	struct commit_rec cut, c;
	int err = commit_get(&cut, f->txn, f->db->views, &f->cut);
	if (err == 0)
		err = commit_get(&c, f->txn, f->db->views, &f->rec.head);
	while (err == 0 && c.lsn > cut.lsn && !commit_id_is_zero(&c.parent))
		err = commit_get(&c, f->txn, f->db->views, &c.parent);
	if (err < 0 && err != GROVE_ENOTFOUND)
		return db_error(f->db, err, NULL);
	if (err < 0 || !same_id(&c.id, &cut.id))
		return db_error(f->db, GROVE_ECURSOR, FEED_WHAT " rejected: the page token's cut is "
				"not a commit of branch '%s'", f->branch);
	return 0;
}

static int feed_poll(struct jsonw *w, struct feed *f, const char *position)
{
	int err = branch_get(&f->rec, f->txn, f->db->views, f->branch);
	if (err == GROVE_ENOTFOUND)
		return db_error_no_branch(f->db, f->branch);
	if (err < 0)
		return db_error(f->db, err, NULL);
	if ((err = parse_position(f, position)) < 0 ||
	    (f->mode == FEED_PAGE && (err = check_cut(f)) < 0))
		return err;
	if (!(f->ring = malloc(f->max * sizeof *f->ring)))
		return db_error(f->db, -ENOMEM, "out of memory");
	if (f->mode != FEED_NOW && (err = walk(f)) < 0)
		return err;
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "branch");
	jsonw_cstr(w, f->branch);
	err = write_blocks(w, f);
	jsonw_object_end(w);
	return err;
}

/* The scope and the read a poll or a baseline works in (f->db set). */
static int feed_open(struct feed *f, struct chg_scope *s, const char *scope_json)
{
	int err = chg_scope_parse(s, f->db, scope_json);
	if (err < 0)
		return err;
	f->s = s;
	snprintf(f->scope_hex, sizeof f->scope_hex, "%016llx", (unsigned long long)s->digest);
	if ((err = db_read_begin(&f->txn, f->db)) < 0)
		chg_scope_free(s);
	return err;
}

int grove_changes_poll_json(char **out, grove_db *db, const char *branch, const char *position,
			    const char *scope_json, uint32_t max_commits)
{
	return grove_changes_poll_page_json(out, db, branch, position, scope_json, max_commits,
					    GROVE_CHANGES_PAGE_DEFAULT, GROVE_CHANGES_PAGE_BYTES);
}

int grove_changes_poll_page_json(char **out, grove_db *db, const char *branch, const char *position,
				 const char *scope_json, uint32_t max_commits, uint32_t max_changes,
				 uint64_t max_bytes)
{
	char branch_buf[BRANCH_NAME_MAX + 1];
	struct feed f = { .db = db, .branch = branch ? branch_name_trim(branch_buf, branch) : MAIN_BRANCH };
	struct chg_scope s;
	struct jsonw w;
	int err;

	if (!out || !db)
		return GROVE_EINVAL;
	*out = NULL;
	if ((err = chg_page_limits(db, max_changes, max_bytes)) < 0)
		return err;
	if (max_commits == 0)
		return db_error(db, GROVE_EINVAL, "change feed commit ceiling must be greater than zero");
	if (max_commits > GROVE_FEED_COMMITS_MAX)
		return db_error_limit(db, db_error(db, GROVE_ELIMIT, "a poll examines at most %u "
						   "commits, not %u", GROVE_FEED_COMMITS_MAX,
						   max_commits),
				      "change_feed_commits_per_poll", GROVE_FEED_COMMITS_MAX, max_commits);
	f.max = max_commits;
	f.max_changes = max_changes;
	f.max_bytes = max_bytes;
	if ((err = feed_open(&f, &s, scope_json)) < 0)
		return err;
	jsonw_init(&w, 0);
	err = feed_poll(&w, &f, position);
	if (!err && (err = jsonw_error(&w)) < 0)
		err = db_error(db, err, "the poll's answer does not fit in memory");
	mdb_txn_abort(f.txn);
	free(f.ring);
	chg_scope_free(&s);
	if (err < 0) {
		jsonw_fini(&w);
		return err;
	}
	*out = w.buf;
	return 0;
}

/* ---- the baseline (engine §4.6) ---- */

/* Names of the types of `cat` the baseline exports for scope `s` into
 * names[] (room for cat's types); the count. */
static size_t baseline_types(const char **names, const struct lang_catalog *cat,
			     const struct chg_scope *s)
{
	size_t n = 0;
	for (uint32_t k = 0; k < 2; k++) {
		const struct lang_cat_type *v = k ? cat->edges : cat->nodes;
		uint32_t nv = k ? cat->n_edges : cat->n_nodes;
		for (uint32_t i = 0; i < nv; i++)
			if (chg_scope_wants_type(s, &v[i]))
				names[n++] = v[i].name;
	}
	return n;
}

/* The head, its catalog and the cursor that resumes after it. */
static int baseline_cut(struct feed *f, struct chg_point *pt, char **cursor)
{
	int err = branch_get(&f->rec, f->txn, f->db->views, f->branch);
	if (err == GROVE_ENOTFOUND)
		return db_error_no_branch(f->db, f->branch);
	if (err < 0 || (err = commit_get(&pt->head, f->txn, f->db->views, &f->rec.head)) < 0)
		return db_error(f->db, err, NULL);
	if ((err = chg_point_commit(pt, f->db, f->txn, &pt->head)) < 0)
		return err;
	f->after = f->rec.head;
	return seal(cursor, f, "feed-cursor", NULL);
}

int grove_changes_baseline(char **out, grove_db *db, const char *branch, const char *scope_json,
			   int (*write)(void *arg, const char *buf, size_t len), void *arg)
{
	char branch_buf[BRANCH_NAME_MAX + 1], head[COMMIT_ID_TEXT_BYTES];
	struct feed f = { .db = db, .branch = branch ? branch_name_trim(branch_buf, branch) : MAIN_BRANCH };
	struct chg_point pt;
	struct chg_scope s;
	char *cursor = NULL;
	const char **names = NULL;
	int err;

	if (!out || !db || !write)
		return GROVE_EINVAL;
	*out = NULL;
	if ((err = feed_open(&f, &s, scope_json)) < 0)
		return err;
	/* The read stays open to the last byte: the catalog of the head is
	 * its memory.  The export pins the head commit, so a commit landing
	 * meanwhile is outside the snapshot and the cursor's first block. */
	if ((err = baseline_cut(&f, &pt, &cursor)) == 0 &&
	    !(names = malloc(((size_t)pt.cat->n_nodes + pt.cat->n_edges + 1) * sizeof *names)))
		err = db_error(db, -ENOMEM, "out of memory");
	/* A type name the head's schema lacks is an error, as in an export. */
	for (uint32_t i = 0; err == 0 && i < s.n_types; i++)
		if (!lang_catalog_node(pt.cat, s.types[i]) && !lang_catalog_edge(pt.cat, s.types[i]))
			err = db_error(db, GROVE_EINVAL, "unknown export type '%s'", s.types[i]);
	if (err == 0) {
		size_t n = baseline_types(names, pt.cat, &s);
		grove_target t = { NULL, head };
		commit_id_format(head, &f.rec.head);
		/* A scope that admits no type has an empty snapshot (n 0 would
		 * export everything). */
		if (n)
			err = grove_export_types(db, &t, names, n, write, arg);
	}
	mdb_txn_abort(f.txn);
	if (err == 0) {
		json_t *j = json_pack("{s:{s:s, s:s}}", "baseline", "snapshot_commit_id", head,
				      "resume_cursor", cursor);
		if (!j || !(*out = json_dumps(j, JSON_COMPACT)))
			err = db_error(db, -ENOMEM, "out of memory");
		json_decref(j);
	}
	free(names);
	free(cursor);
	chg_scope_free(&s);
	return err;
}
