/*
 * changes.c — what one commit changed (engine §4.4): the commit's state
 * against its first parent's, in the frozen order (nodes before edges,
 * type id, entity id), with before/after images, in bounded pages.
 *
 * A page token names the last change delivered; the next page starts
 * after it.  The candidates are sorted before any row is read, so a page
 * reads the rows of its own changes (and of the no-op rewrites between
 * them) only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg_token.h"
#include "engine/value.h"
#include "grove.h"
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

	snprintf(tid, sizeof tid, "%u", e->t->id);
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

/* The first candidate after `from` in the frozen order. */
static size_t first_after(const struct chg_list *l, const struct chg_pos *from)
{
	size_t lo = 0, hi = l->n;
	if (!from)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (chg_frozen_cmp(&l->v[mid], from->kind_rank, from->type_id, from->id,
				   from->id_len) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct block_ctx {
	grove_db *db;
	MDB_txn *txn;
	struct chg_point a, b;
	struct chg_list l;
	struct jsonw one;     /* one change, measured before it is taken */
};

/* The changes of the block, from candidate `i` on, within the budget. */
static int write_changes(struct jsonw *w, struct chg_block_end *end, struct block_ctx *x,
			 size_t i, const struct chg_scope *s, struct chg_budget *budget)
{
	int err = 0;
	for (; i < x->l.n && !err; i++) {
		const struct chg_entity *e = &x->l.v[i];
		struct chg_rows rows;
		enum chg_op op;
		if ((err = chg_classify(&op, &rows, x->db, x->txn, &x->a.chain, &x->b.chain, e)) < 0)
			break;
		if (op == CHG_NONE || !chg_scope_wants_op(s, op))
			continue;
		if (budget->taken && !budget->changes) {
			end->truncated = true;
			break;
		}
		jsonw_reset(&x->one);
		if ((err = write_change(&x->one, x->db, e, op, &rows)) < 0 ||
		    (err = jsonw_error(&x->one)) < 0)
			break;
		if (budget->taken && x->one.len > budget->bytes) {
			end->truncated = true;
			break;
		}
		jsonw_raw(w, x->one.buf, x->one.len);
		budget->changes -= budget->changes ? 1 : 0;
		budget->bytes -= x->one.len < budget->bytes ? x->one.len : budget->bytes;
		budget->taken++;
		json_decref(end->last);
		if (!(end->last = chg_pos_json(e)))
			err = db_error(x->db, -ENOMEM, "out of memory");
	}
	if (err == -ENOMEM || err == GROVE_ETOOBIG)
		err = db_error(x->db, err, "a change does not fit in memory");
	return err;
}

/* A commit that added or dropped a type it touches (a schema apply) has
 * no entity changes to show for it (engine §4.4, "schema_boundary"). */
static int schema_boundary(grove_db *db, const struct chg_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].sides != (CHG_SIDE_A | CHG_SIDE_B))
			return db_error(db, GROVE_ECONFLICT, "change diff refused (schema_boundary): "
					"commit %s changes the schema of type '%s' it touches",
					id, l->v[i].t->name);
	return 0;
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
	    (err = chg_candidates_at(&x.l, db, txn, &x.a, &x.b, s, GROVE_DIFF_MAX_ENTITIES)) < 0 ||
	    (err = schema_boundary(db, &x.l, id)) < 0) {
		chg_list_free(&x.l);
		return err;
	}
	chg_sort_frozen(&x.l);
	jsonw_init(&x.one, GROVE_DIFF_MAX_BYTES);
	jsonw_key_cstr(w, "cause");
	chg_write_cause(w, c);
	jsonw_key_cstr(w, "changes");
	jsonw_array_begin(w);
	err = write_changes(w, end, &x, first_after(&x.l, from), s, budget);
	jsonw_array_end(w);
	jsonw_fini(&x.one);
	chg_list_free(&x.l);
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
	int err = chg_token_open(&j, db, token, "commit-page", "page token");

	if (err < 0)
		return err;
	const char *c = json_string_value(json_object_get(j, "commit"));
	const char *sc = json_string_value(json_object_get(j, "scope"));
	if (!c || strcmp(c, commit) || !sc || strcmp(sc, digest_hex(hex, s->digest)))
		err = db_error(db, GROVE_EINVAL, "page token rejected: it continues another commit "
			       "or filter");
	else if (chg_pos_parse(pos, json_object_get(j, "pos")) < 0)
		err = db_error(db, GROVE_EINVAL, "page token rejected: bad position");
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
		       const struct chg_scope *s, const char *token, uint32_t max_changes)
{
	struct chg_budget budget = { max_changes, GROVE_CHANGES_PAGE_BYTES, 0 };
	struct chg_block_end end = { false, NULL };
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

int grove_commit_changes_json(char **out, grove_db *db, const char *commit_id,
			      const char *scope_json, const char *page_token_text,
			      uint32_t max_changes)
{
	struct chg_scope s;
	struct jsonw w;
	MDB_txn *txn;
	int err;

	if (!out || !db)
		return GROVE_EINVAL;
	*out = NULL;
	if (max_changes > GROVE_CHANGES_PAGE_MAX)
		return db_error_limit(db, db_error(db, GROVE_ELIMIT, "a page of commit changes holds "
						   "at most %u changes, not %u",
						   GROVE_CHANGES_PAGE_MAX, max_changes),
				      "commit_changes_page_changes", GROVE_CHANGES_PAGE_MAX,
				      max_changes);
	if ((err = chg_scope_parse(&s, db, scope_json)) < 0)
		return err;
	if ((err = views_read_begin(&txn, db->views)) < 0) {
		chg_scope_free(&s);
		return db_error(db, err, NULL);
	}
	jsonw_init(&w, 0);
	err = commit_page(&w, db, txn, commit_id, &s, page_token_text,
			  max_changes ? max_changes : GROVE_CHANGES_PAGE_DEFAULT);
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
