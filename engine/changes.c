/*
 * changes.c — what one commit changed (engine §4.4): the commit's state
 * against its first parent's, in the frozen order (nodes before edges,
 * type id, entity id), with before/after images, in bounded pages.
 *
 * A page token names the last change delivered; the next page starts
 * after it.  The candidates are sorted before any row is read, so a page
 * reads the rows of its own changes (and of the no-op rewrites between
 * them) only; a large block's sorted candidates are kept for its next
 * page (chg_cache.c), which then costs about its own size.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg_token.h"
#include "engine/schema_hist.h"
#include "engine/value.h"
#include "grove.h"
#include "index/idkey.h"
#include "log/error.h"

static const char *const op_names[] = { "", "insert", "update", "delete" };

void chg_write_cause(struct jsonw *w, const struct commit_rec *c)
{
	char id[COMMIT_ID_TEXT_BYTES];

	jsonw_object_begin(w);
	jsonw_key_cstr(w, "graph_commit_id");
	commit_id_format(id, &c->id);
	jsonw_cstr(w, id);
	jsonw_key_cstr(w, "parent_commit_id");
	if (commit_id_is_zero(&c->parent)) {
		jsonw_null(w);
	} else {
		commit_id_format(id, &c->parent);
		jsonw_cstr(w, id);
	}
	jsonw_key_cstr(w, "merged_parent_commit_id");
	if (commit_id_is_zero(&c->merged_parent)) {
		jsonw_null(w);
	} else {
		commit_id_format(id, &c->merged_parent);
		jsonw_cstr(w, id);
	}
	jsonw_key_cstr(w, "authored_branch");
	if (!strcmp(c->branch, "main"))
		jsonw_null(w);
	else
		jsonw_cstr(w, c->branch);
	jsonw_key_cstr(w, "actor_id");
	if (c->actor[0])
		jsonw_cstr(w, c->actor);
	else
		jsonw_null(w);
	jsonw_key_cstr(w, "authored_at");
	jsonw_int(w, c->time_us);
	jsonw_object_end(w);
}

/* {"properties":{...}, "endpoints":{"from","to"}} of a stored row. */
static int write_image(struct jsonw *w, grove_db *db, const struct lang_cat_type *t,
		       const MDB_val *row)
{
	msgpack_unpacked up;
	struct value_row r;
	struct value_error verr;
	int err;

	msgpack_unpacked_init(&up);
	if ((err = chg_row_view(&r, &up, db, t, row)) == 0) {
		jsonw_object_begin(w);
		jsonw_key_cstr(w, "properties");
		jsonw_object_begin(w);
		for (uint32_t i = 0; !err && i < t->n_props; i++) {
			const struct lang_cat_property *p = &t->props[i];
			jsonw_key_cstr(w, p->name);
			if ((err = value_render(w, &p->type, value_row_get(&r, p->id),
						VALUE_RENDER_EXPORT, &verr)) < 0)
				err = db_error(db, err, "%s", verr.msg);
		}
		jsonw_object_end(w);
		if (t->kind == LANG_CAT_EDGE) {
			jsonw_key_cstr(w, "endpoints");
			jsonw_object_begin(w);
			jsonw_key_cstr(w, "from");
			jsonw_string(w, r.src, r.src_len);
			jsonw_key_cstr(w, "to");
			jsonw_string(w, r.dst, r.dst_len);
			jsonw_object_end(w);
		}
		jsonw_object_end(w);
	}
	msgpack_unpacked_destroy(&up);
	return err;
}

static int write_change(struct jsonw *w, grove_db *db, const struct chg_entity *e,
			enum chg_op op, const struct chg_rows *rows)
{
	char tid[16];
	int err = 0;

	/* Fixed width: the string order of type ids (how upstream's opaque
	 * ids compare) is then the numeric order the frozen order uses. */
	snprintf(tid, sizeof tid, "%010u", e->t->id);
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "kind");
	jsonw_cstr(w, e->t->kind == LANG_CAT_EDGE ? "edge" : "node");
	jsonw_key_cstr(w, "type");
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "id");
	jsonw_cstr(w, tid);
	jsonw_key_cstr(w, "name");
	jsonw_cstr(w, e->t->name);
	jsonw_object_end(w);
	jsonw_key_cstr(w, "id");
	jsonw_string(w, e->id, e->id_len);
	jsonw_key_cstr(w, "op");
	jsonw_cstr(w, op_names[op]);
	if (op != CHG_INSERT) {
		jsonw_key_cstr(w, "before");
		err = write_image(w, db, e->t, &rows->before);
	}
	if (!err && op != CHG_DELETE) {
		jsonw_key_cstr(w, "after");
		err = write_image(w, db, e->t, &rows->after);
	}
	jsonw_object_end(w);
	return err;
}

struct block_ctx {
	grove_db *db;
	MDB_txn *txn;
	struct chg_point a, b;
	const struct chg_list *l; /* unnamed, by (kind, type id, entity):
	                           * shared (chg_cache.c), never written  */
	struct chg_cached *ref;   /* the hold on l, or NULL: own         */
	struct chg_list own;      /* l when it could not be kept          */
	struct jsonw one;     /* one change, measured before it is taken */
	const struct chg_scope *s;
	struct chg_budget *budget;
	struct chg_block_end *end;
};

/* One candidate through the page; when the page is full, the block is
 * marked truncated before it. */
static int take(struct jsonw *w, struct block_ctx *x, const struct chg_entity *e)
{
	struct chg_budget *budget = x->budget;
	struct chg_rows rows;
	enum chg_op op;
	int err = chg_classify(&op, &rows, x->db, x->txn, &x->a.chain, &x->b.chain, e);

	if (err < 0 || op == CHG_NONE || !chg_scope_wants_op(x->s, op))
		return err;
	if (budget->taken && !budget->changes) {
		x->end->truncated = true;
		return 0;
	}
	jsonw_reset(&x->one);
	if ((err = write_change(&x->one, x->db, e, op, &rows)) < 0 || (err = jsonw_error(&x->one)) < 0)
		return err == -ENOMEM || err == GROVE_ETOOBIG
			? db_error(x->db, err, "a change does not fit in memory") : err;
	if (budget->taken && x->one.len > budget->bytes) {
		x->end->truncated = true;
		return 0;
	}
	jsonw_raw(w, x->one.buf, x->one.len);
	budget->changes -= budget->changes ? 1 : 0;
	budget->bytes -= x->one.len < budget->bytes ? x->one.len : budget->bytes;
	budget->taken++;
	json_decref(x->end->last);
	if (!(x->end->last = chg_pos_json(e)))
		return db_error(x->db, -ENOMEM, "out of memory");
	return 0;
}

static int cmp_named(const void *pa, const void *pb)
{
	const struct chg_entity *a = pa, *b = pb;
	return chg_frozen_cmp(a, chg_kind_rank(b->t), b->t->id, b->id, b->id_len);
}

/* Group [lo, hi) named and in id order, its ids copied into the same
 * block (to outlive this read): for keeping with the list.  NULL when
 * memory is short. */
static struct chg_entity *named_copy(struct block_ctx *x, size_t lo, size_t hi, int *err)
{
	size_t n = hi - lo, bytes = 0;
	struct chg_entity *v = malloc(n * sizeof *v), *u;
	if (!v)
		return NULL;
	memcpy(v, x->l->v + lo, n * sizeof *v);
	for (size_t i = 0; i < n && !*err; i++)
		if ((*err = chg_entity_name(&v[i], x->db, x->txn)) == 0)
			bytes += v[i].id_len;
	if (*err < 0 || !(u = realloc(v, n * sizeof *v + bytes))) {
		free(v);
		return NULL;
	}
	char *at = (char *)(u + n);
	for (size_t i = 0; i < n; i++) {
		memcpy(at, u[i].id, u[i].id_len);
		u[i].id = at;
		at += u[i].id_len;
	}
	qsort(u, n, sizeof *u, cmp_named);
	return u;
}

/* The changes of a group in id order (v[0, n)) after `from` (NULL: all). */
static int take_sorted(struct jsonw *w, struct block_ctx *x, const struct chg_entity *v, size_t n,
		       const char *from, uint32_t from_len)
{
	size_t lo = 0, hi = n;
	while (from && lo < hi) {   /* the first entity after `from` */
		size_t mid = lo + (hi - lo) / 2;
		if (chg_frozen_cmp(&v[mid], chg_kind_rank(v[mid].t), v[mid].t->id, from, from_len) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	int err = 0;
	for (size_t i = lo; !err && !x->end->truncated && i < n; i++)
		err = take(w, x, &v[i]);
	return err;
}

/* Candidates [lo, hi) of one type, named and sorted by id, after `from`
 * (NULL: all). */
static int group_by_names(struct jsonw *w, struct block_ctx *x, size_t lo, size_t hi,
			  const char *from, uint32_t from_len)
{
	int err = 0;
	struct chg_entity *v = named_copy(x, lo, hi, &err);
	if (!v)
		return err < 0 ? err : db_error(x->db, -ENOMEM, "out of memory");
	err = take_sorted(w, x, v, hi - lo, from, from_len);
	free(v);
	return err;
}

static int cmp_entity(const void *key, const void *pe)
{
	uint64_t k = *(const uint64_t *)key, e = ((const struct chg_entity *)pe)->entity;
	return k < e ? -1 : k > e;
}

#define GROUP_NAMED_MAX 4096   /* groups up to this size are named and sorted */

/* Entity e of the walk, named id: taken if it is a candidate of [lo, hi),
 * which then becomes the walk's position. */
static int take_walked(struct jsonw *w, struct block_ctx *x, size_t lo, size_t hi, struct chg_pos *from,
		       uint64_t e, const char *id, uint32_t id_len)
{
	const struct chg_entity *c = bsearch(&e, x->l->v + lo, hi - lo, sizeof *c, cmp_entity);
	if (!c)
		return 0;
	struct chg_entity named = *c;
	named.id = id;
	named.id_len = id_len;
	from->ext = id;
	from->id_len = id_len;
	from->set = true;
	return take(w, x, &named);
}

static int cmp_named_id(const void *pa, const void *pb)
{
	const struct chg_entity *a = pa, *b = pb;
	int c = memcmp(a->id, b->id, a->id_len < b->id_len ? a->id_len : b->id_len);
	return c ? c : (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

/* Ids of IDKEY_ORDER_MAX bytes or more sharing their first ones lie in the
 * map in hash order (idkey.h): the run of keys sharing the cursor's head,
 * the candidates among them named and in id order, those after `from`
 * taken.  The cursor is left on the run's last key; *scanned counts it. */
static int take_run(struct jsonw *w, struct block_ctx *x, size_t lo, size_t hi, MDB_cursor *cur,
		    MDB_val *k, MDB_val *d, struct chg_pos *from, size_t *scanned)
{
	uint8_t head[4 + IDKEY_ORDER_MAX];
	struct chg_entity *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0, err = 0;
	memcpy(head, k->mv_data, sizeof head);
	for (;;) {
		if (d->mv_size != 8) {
			err = db_error(x->db, GROVE_ECORRUPT, "an id map entry has %zu bytes", d->mv_size);
			break;
		}
		uint64_t e = layered_rd64(d->mv_data);
		const struct chg_entity *c = bsearch(&e, x->l->v + lo, hi - lo, sizeof *c, cmp_entity);
		(*scanned)++;
		if (c && n == cap) {
			struct chg_entity *g = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof *v);
			if (!g) {
				err = db_error(x->db, -ENOMEM, "out of memory");
				break;
			}
			v = g;
		}
		if (c) {
			v[n] = *c;
			if ((err = chg_entity_name(&v[n++], x->db, x->txn)) < 0)
				break;
		}
		if ((rc = idkey_run_next(cur, head, k, d)) != 1)
			break;
	}
	if (!err && rc < 0)
		err = db_error(x->db, rc, NULL);
	if (!err)
		qsort(v, n, sizeof *v, cmp_named_id);
	for (size_t i = 0; !err && !x->end->truncated && i < n; i++) {
		struct chg_entity at = { .id = chg_pos_id(from), .id_len = from->id_len };
		if (!from->set || cmp_named_id(&v[i], &at) > 0)
			err = take_walked(w, x, lo, hi, from, v[i].entity, v[i].id, v[i].id_len);
	}
	free(v);
	return err;
}

/* A large group of one type in id order by walking the type's id map from
 * `from`, each id looked up among the candidates: a page costs about its
 * own size when the candidates are dense (a bulk load).  After `limit` ids
 * the walk hands over (*handed_over; `from`: where it stopped) to
 * group_handed_over. */
static int group_by_idmap(struct jsonw *w, struct block_ctx *x, size_t lo, size_t hi,
			  struct chg_pos *from, bool *handed_over)
{
	uint32_t type = x->l->v[lo].t->id;
	uint8_t key[IDKEY_MAX];
	size_t scanned = 0, limit = 16 * (size_t)x->budget->changes + 1024;
	MDB_cursor *cur;
	int rc, err = 0;

	if ((rc = mdb_cursor_open(x->txn, x->db->views->ids, &cur)) != 0)
		return db_error(x->db, views_error(rc, "id map"), NULL);
	/* Start at the position's key, or for a long id at its run's head. */
	uint32_t kn = !from->set ? (idkey_make(key, type, "", 0))
		    : idkey_make(key, type, chg_pos_id(from), from->id_len);
	MDB_val k = { from->set && from->id_len >= IDKEY_ORDER_MAX ? 4 + IDKEY_ORDER_MAX : kn, key }, d;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && !err && !x->end->truncated;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		if (k.mv_size < 4 || memcmp(p, key, 4))
			break;
		if (d.mv_size != 8) {
			err = db_error(x->db, GROVE_ECORRUPT, "an id map entry has %zu bytes", d.mv_size);
			break;
		}
		if (scanned > limit) {
			*handed_over = true;
			break;
		}
		if (k.mv_size >= 4 + IDKEY_ORDER_MAX) {
			err = take_run(w, x, lo, hi, cur, &k, &d, from, &scanned);
			continue;
		}
		scanned++;
		if (from->set && k.mv_size == kn && !memcmp(p, key, kn))
			continue;   /* the position itself */
		err = take_walked(w, x, lo, hi, from, layered_rd64(d.mv_data), (const char *)p + 4,
				  (uint32_t)k.mv_size - 4);
	}
	mdb_cursor_close(cur);
	if (!err && rc && rc != MDB_NOTFOUND)
		err = db_error(x->db, views_error(rc, "id map"), NULL);
	return err;
}

/* A digest position (a long id, chg_token.h) made exact: the one id of
 * the group's candidates [lo, hi) whose prefix and hash it holds.  A group
 * small enough to be named anyway is searched by name; a larger one through
 * the map's keys that start with the prefix (a token carries no more of
 * the id).  None, or more than one (a crafted hash collision), rejects the
 * token. */
static int digest_found(struct chg_pos *pos, struct block_ctx *x, int found)
{
	if (found != 1)
		return db_error(x->db, GROVE_ECURSOR, "change cursor rejected: its position %s", found
				? "is ambiguous within its prefix range" : "names no change of this commit");
	pos->digest = false;
	return 0;
}

static int resolve_digest(struct chg_pos *pos, struct block_ctx *x, size_t lo, size_t hi)
{
	uint8_t key[4 + CHG_POS_PREFIX];
	MDB_cursor *cur;
	int rc, err = 0, found = 0;
	if (hi - lo <= GROUP_NAMED_MAX) {
		for (size_t i = lo; i < hi && found < 2; i++) {
			struct chg_entity c = x->l->v[i];
			if ((err = chg_entity_name(&c, x->db, x->txn)) < 0)
				return err;
			if (chg_pos_names(pos, &c) && found++ == 0) {
				pos->ext = c.id;
				pos->id_len = c.id_len;
			}
		}
		return digest_found(pos, x, found);
	}
	if ((rc = mdb_cursor_open(x->txn, x->db->views->ids, &cur)) != 0)
		return db_error(x->db, views_error(rc, "id map"), NULL);
	layered_be32(key, x->l->v[lo].t->id);
	memcpy(key + 4, pos->buf, CHG_POS_PREFIX);
	MDB_val k = { sizeof key, key }, d;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE); rc == 0 && !err && found < 2;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		if (k.mv_size < sizeof key || memcmp(k.mv_data, key, sizeof key))
			break;
		if (d.mv_size != 8) {
			err = db_error(x->db, GROVE_ECORRUPT, "an id map entry has %zu bytes", d.mv_size);
			break;
		}
		uint64_t e = layered_rd64(d.mv_data);
		const struct chg_entity *c = bsearch(&e, x->l->v + lo, hi - lo, sizeof *c, cmp_entity);
		if (!c)
			continue;
		struct chg_entity named = *c;
		if ((err = chg_entity_name(&named, x->db, x->txn)) < 0 || !chg_pos_names(pos, &named))
			continue;
		if (found++ == 0) {
			pos->ext = named.id;
			pos->id_len = named.id_len;
		}
	}
	mdb_cursor_close(cur);
	if (err < 0)
		return err;
	if (rc && rc != MDB_NOTFOUND)
		return db_error(x->db, views_error(rc, "id map"), NULL);
	return digest_found(pos, x, found);
}


/* A large group whose id-map walk handed over: named and kept with the
 * list (the next pages take from it), or named for this page only. */
static int group_handed_over(struct jsonw *w, struct block_ctx *x, size_t lo, size_t hi,
			     const struct chg_pos *at)
{
	const char *from = at->set ? chg_pos_id(at) : NULL;
	int err = 0;
	if (x->ref) {
		struct chg_entity *v = named_copy(x, lo, hi, &err);
		size_t n = hi - lo;
		const struct chg_entity *kept = v ? chg_cache_named_put(x->db, x->ref, lo, v, &n) : NULL;
		if (err < 0)
			return err;
		if (kept)
			return take_sorted(w, x, kept, n, from, at->id_len);
	}
	return group_by_names(w, x, lo, hi, from, at->id_len);   /* memory short, or not kept */
}

/* Type groups in the frozen order: nodes before edges, then type id. */
static int cmp_group_type(const struct lang_cat_type *a, const struct lang_cat_type *b)
{
	unsigned ka = chg_kind_rank(a), kb = chg_kind_rank(b);
	if (ka != kb)
		return ka < kb ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int cmp_group(const void *pa, const void *pb)
{
	const struct chg_entity *a = pa, *b = pb;
	int c = cmp_group_type(a->t, b->t);
	if (c)
		return c;
	return a->entity < b->entity ? -1 : a->entity > b->entity;
}

/* The end of the type group that starts at v[lo] (v in cmp_group order):
 * a binary search, so that a page of a large block does not pass every
 * entity of it. */
static size_t group_end(const struct chg_entity *v, size_t n, size_t lo)
{
	const struct lang_cat_type *t = v[lo].t;
	size_t hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].t == t || cmp_group_type(v[mid].t, t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The changes of the block after `from` (NULL: all), type group by type
 * group in the frozen order, within the budget. */
static int write_changes(struct jsonw *w, struct block_ctx *x, const struct chg_pos *from)
{
	const struct chg_entity *v = x->l->v;
	int err = 0;

	for (size_t lo = 0, hi; !err && !x->end->truncated && lo < x->l->n; lo = hi) {
		unsigned kind = chg_kind_rank(v[lo].t);
		hi = group_end(v, x->l->n, lo);
		if (from && (kind < from->kind_rank ||
			     (kind == from->kind_rank && v[lo].t->id < from->type_id)))
			continue;
		bool resume = from && kind == from->kind_rank && v[lo].t->id == from->type_id;
		struct chg_pos at = { .id_len = 0, .set = false };
		if (resume) {
			at = *from;
			at.ext = chg_pos_id(from);
			if (at.digest && (err = resolve_digest(&at, x, lo, hi)) < 0)
				break;
		}
		if (hi - lo <= GROUP_NAMED_MAX) {
			err = group_by_names(w, x, lo, hi, at.set ? chg_pos_id(&at) : NULL, at.id_len);
			continue;
		}
		size_t n_named;
		const struct chg_entity *named = x->ref ? chg_cache_named(x->db, x->ref, lo, &n_named) : NULL;
		if (named) {   /* a sparse group an earlier page named */
			err = take_sorted(w, x, named, n_named, at.set ? chg_pos_id(&at) : NULL, at.id_len);
			continue;
		}
		bool handed_over = false;
		err = group_by_idmap(w, x, lo, hi, &at, &handed_over);
		if (!err && handed_over && !x->end->truncated)
			err = group_handed_over(w, x, lo, hi, &at);
	}
	return err;
}

/* Blocks of fewer candidates make their list again for each page. */
#define KEEP_MIN 1024u

/* The block's candidates in the group order: kept by an earlier page of
 * it, or made. */
static int block_candidates(struct block_ctx *x, const struct chg_scope *s)
{
	struct chg_key k = { &x->a, &x->b, s };
	if ((x->l = chg_cache_get(&x->ref, x->db, &k)) != NULL)
		return 0;
	x->l = &x->own;
	int err = chg_candidates_unnamed_at(&x->own, x->db, x->txn, &x->a, &x->b, s,
					    GROVE_DIFF_MAX_ENTITIES);
	if (err == 0 && x->own.n)
		qsort(x->own.v, x->own.n, sizeof *x->own.v, cmp_group);
	return err;
}

/* The page ended inside the block: keep a list made for it if it is
 * large, for the next page. */
static void keep_candidates(struct block_ctx *x, const struct chg_scope *s)
{
	struct chg_key k = { &x->a, &x->b, s };
	const struct chg_list *kept;
	if (!x->ref && x->own.n >= KEEP_MIN && (kept = chg_cache_put(&x->ref, x->db, &k, &x->own)))
		x->l = kept;
}

/* done: the block's last change was delivered (its kept list goes). */
static void drop_candidates(struct block_ctx *x, bool done)
{
	chg_cache_release(x->db, x->ref, done);
	chg_list_free(&x->own);
	x->l = NULL;
	x->ref = NULL;
}

int chg_block_write(struct jsonw *w, struct chg_block_end *end, grove_db *db, MDB_txn *txn,
		    const struct commit_rec *c, const struct chg_scope *s,
		    const struct chg_pos *from, struct chg_budget *budget)
{
	struct block_ctx x = { .db = db, .txn = txn };
	struct commit_rec parent;
	char id[COMMIT_ID_TEXT_BYTES];
	int err;

	end->truncated = false;
	end->boundary = false;
	end->last = NULL;
	commit_id_format(id, &c->id);
	if (commit_id_is_zero(&c->parent))
		return db_error_entity(db, db_error(db, GROVE_ENOPARENT, "commit '%s' has no parent "
						    "(the genesis commit): it has no changes to show",
						    id),
				       "", id, strlen(id));
	if ((err = commit_get(&parent, txn, db->views, &c->parent)) < 0)
		return db_error(db, err == GROVE_ENOTFOUND ? GROVE_ECORRUPT : err,
				"the parent of commit %s is missing", id);
	if ((err = chg_point_commit(&x.a, db, txn, &parent)) < 0 ||
	    (err = chg_point_commit(&x.b, db, txn, c)) < 0 ||
	    (err = block_candidates(&x, s)) < 0 ||
	    (err = chg_schema_boundary(db, txn, &x.a, &x.b, id)) < 0) {
		end->boundary = err == GROVE_EBOUNDARY;
		drop_candidates(&x, false);
		return err;
	}
	jsonw_init(&x.one, GROVE_DIFF_MAX_BYTES);
	jsonw_key_cstr(w, "cause");
	chg_write_cause(w, c);
	jsonw_key_cstr(w, "changes");
	jsonw_array_begin(w);
	x.s = s;
	x.budget = budget;
	x.end = end;
	err = write_changes(w, &x, from);
	jsonw_array_end(w);
	jsonw_fini(&x.one);
	if (!err && end->truncated)
		keep_candidates(&x, s);
	drop_candidates(&x, !err && !end->truncated);
	return err;
}

/* ---- grove_commit_changes_json ------------------------------------------ */

static const char *digest_hex(char *buf, uint64_t d)
{
	snprintf(buf, 17, "%016llx", (unsigned long long)d);
	return buf;
}

/* The resume position of a commit-page token for this commit and scope. */
static int page_from(struct chg_pos *pos, grove_db *db, const char *token, const char *commit,
		     const struct chg_scope *s)
{
	char hex[17];
	json_t *j;
	int err = chg_token_open(&j, db, token, "commit-page", "commit changes page token");

	if (err < 0)
		return err;
	const char *c = json_string_value(json_object_get(j, "commit"));
	const char *sc = json_string_value(json_object_get(j, "scope"));
	if (!c || strcmp(c, commit))
		err = db_error(db, GROVE_ECURSOR, "change cursor rejected: the commit changes page token "
			       "does not match this graph and commit");
	else if (!sc || strcmp(sc, digest_hex(hex, s->digest)))
		err = db_error(db, GROVE_ECURSOR, "change cursor rejected: the commit changes page token "
			       "was made with a different filter scope");
	else if (chg_pos_parse(pos, json_object_get(j, "pos")) < 0)
		err = db_error(db, GROVE_ECURSOR, "change cursor rejected: the commit changes page token "
			       "has a bad position");
	json_decref(j);
	return err;
}

static int page_token(char **out, grove_db *db, const char *commit, const struct chg_scope *s,
		      json_t *last)
{
	char hex[17];
	json_t *p = json_pack("{s:i, s:s, s:s, s:s, s:O}", "v", 1, "kind", "commit-page",
			      "commit", commit, "scope", digest_hex(hex, s->digest), "pos", last);
	if (!p)
		return db_error(db, -ENOMEM, "out of memory");
	return chg_token_seal(out, db, p);
}

static int commit_page(struct jsonw *w, grove_db *db, MDB_txn *txn, const char *commit_id,
		       const struct chg_scope *s, const char *token, uint32_t max_changes, uint64_t max_bytes)
{
	struct chg_budget budget = { max_changes, (size_t)max_bytes, 0 };
	struct chg_block_end end = { false, NULL, false };
	struct chg_point p;
	struct chg_pos pos;
	char id[COMMIT_ID_TEXT_BYTES], *next = NULL;
	grove_target t = { NULL, commit_id };
	int err;

	if ((err = chg_point_target(&p, db, txn, &t)) < 0)
		return err;
	commit_id_format(id, &p.head.id);   /* canonical spelling */
	if (token && (err = page_from(&pos, db, token, id, s)) < 0)
		return err;
	jsonw_object_begin(w);
	err = chg_block_write(w, &end, db, txn, &p.head, s, token ? &pos : NULL, &budget);
	if (!err && end.truncated)
		err = page_token(&next, db, id, s, end.last);
	jsonw_key_cstr(w, "next_page_token");
	if (next)
		jsonw_cstr(w, next);
	else
		jsonw_null(w);
	jsonw_object_end(w);
	json_decref(end.last);
	free(next);
	return err;
}

int chg_page_limits(grove_db *db, uint32_t max_changes, uint64_t max_bytes)
{
	/* Engine §4.4, in upstream's order: a limit of 0 is malformed, one above
	 * the ceiling a resource limit (the feed shares the names). */
	if (max_changes == 0)
		return db_error(db, GROVE_EINVAL, "change page limit must be greater than zero");
	if (max_changes > GROVE_CHANGES_PAGE_MAX)
		return db_error_limit(db, db_error(db, GROVE_ELIMIT, "a page holds at most %u changes, not %u",
						   GROVE_CHANGES_PAGE_MAX, max_changes),
				      "commit_changes_page_changes", GROVE_CHANGES_PAGE_MAX, max_changes);
	if (max_bytes == 0)
		return db_error(db, GROVE_EINVAL, "change page max_bytes must be greater than zero");
	if (max_bytes > GROVE_CHANGES_PAGE_MAX_BYTES)
		return db_error_limit(db, db_error(db, GROVE_ELIMIT, "a page holds at most %u bytes, not %llu",
						   GROVE_CHANGES_PAGE_MAX_BYTES, (unsigned long long)max_bytes),
				      "commit_changes_page_bytes", GROVE_CHANGES_PAGE_MAX_BYTES, max_bytes);
	return 0;
}

int grove_commit_changes_json(char **out, grove_db *db, const char *commit_id,
			      const char *scope_json, const char *page_token_text,
			      uint32_t max_changes)
{
	return grove_commit_changes_page_json(out, db, commit_id, scope_json, page_token_text, max_changes,
					      GROVE_CHANGES_PAGE_BYTES);
}

int grove_commit_changes_page_json(char **out, grove_db *db, const char *commit_id,
				   const char *scope_json, const char *page_token_text,
				   uint32_t max_changes, uint64_t max_bytes)
{
	struct chg_scope s;
	struct jsonw w;
	MDB_txn *txn;
	int err;

	if (!out || !db)
		return GROVE_EINVAL;
	*out = NULL;
	if ((err = chg_page_limits(db, max_changes, max_bytes)) < 0)
		return err;
	if ((err = chg_scope_parse(&s, db, scope_json)) < 0)
		return err;
	if ((err = db_read_begin(&txn, db)) < 0) {
		chg_scope_free(&s);
		return err;
	}
	jsonw_init(&w, 0);
	err = commit_page(&w, db, txn, commit_id, &s, page_token_text, max_changes, max_bytes);
	if (!err && (err = jsonw_error(&w)) < 0)
		err = db_error(db, err, "the page does not fit in memory");
	mdb_txn_abort(txn);
	chg_scope_free(&s);
	if (err < 0) {
		jsonw_fini(&w);
		return err;
	}
	*out = w.buf;
	return 0;
}
