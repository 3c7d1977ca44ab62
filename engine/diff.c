/*
 * diff.c — grove_diff_json: the net diff between two read targets
 * (engine §4.3), from the versioned views' change records (chg.h).
 *
 * Net semantics fall out of comparing the two visible states: an entity
 * inserted and deleted inside the range is absent on both sides, one
 * written again with the same content has equal rows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg.h"
#include "engine/value.h"
#include "engine/jsonw.h"
#include "grove.h"
#include "log/error.h"

static const char *const op_names[] = { "", "Insert", "Update", "Delete" };

struct diff_out {
	struct jsonw w;
	uint64_t count[4];            /* by op                          */
	const char *types[256];       /* affected type names, a few     */
	const struct lang_cat_type *last;
	size_t n_types;
	bool types_overflow;
};

static void note_type(struct diff_out *o, const struct lang_cat_type *t)
{
	if (o->last == t)
		return;
	o->last = t;
	for (size_t i = 0; i < o->n_types; i++)
		if (!strcmp(o->types[i], t->name))
			return;
	if (o->n_types < sizeof o->types / sizeof o->types[0])
		o->types[o->n_types++] = t->name;
	else
		o->types_overflow = true;
}

static int write_change(struct diff_out *o, const struct chg_entity *e, enum chg_op op,
			const struct chg_rows *rows, grove_db *db)
{
	struct jsonw *w = &o->w;
	bool edge = e->t->kind == LANG_CAT_EDGE;
	char key[320];
	int err = 0;

	chg_type_key(key, sizeof key, e->t);
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "kind");
	jsonw_cstr(w, edge ? "Edge" : "Node");
	jsonw_key_cstr(w, "type_name");
	jsonw_cstr(w, e->t->name);
	jsonw_key_cstr(w, "type_key");
	jsonw_cstr(w, key);
	jsonw_key_cstr(w, "id");
	jsonw_string(w, e->id, e->id_len);
	jsonw_key_cstr(w, "op");
	jsonw_cstr(w, op_names[op]);
	jsonw_key_cstr(w, "endpoints");
	if (edge) {
		/* The endpoints of the state that has the edge (after, or
		 * before for a delete). */
		msgpack_unpacked up;
		struct value_row r;
		msgpack_unpacked_init(&up);
		err = chg_row_view(&r, &up, db, e->t, op == CHG_DELETE ? &rows->before : &rows->after);
		if (!err) {
			jsonw_object_begin(w);
			jsonw_key_cstr(w, "src");
			jsonw_string(w, r.src, r.src_len);
			jsonw_key_cstr(w, "dst");
			jsonw_string(w, r.dst, r.dst_len);
			jsonw_object_end(w);
		}
		msgpack_unpacked_destroy(&up);
	} else {
		jsonw_null(w);
	}
	jsonw_object_end(w);
	return err;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_stats(struct diff_out *o)
{
	struct jsonw *w = &o->w;
	jsonw_key_cstr(w, "stats");
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "inserts");
	jsonw_uint(w, o->count[CHG_INSERT]);
	jsonw_key_cstr(w, "updates");
	jsonw_uint(w, o->count[CHG_UPDATE]);
	jsonw_key_cstr(w, "deletes");
	jsonw_uint(w, o->count[CHG_DELETE]);
	jsonw_key_cstr(w, "types_affected");
	qsort(o->types, o->n_types, sizeof o->types[0], cmp_name);
	jsonw_array_begin(w);
	for (size_t i = 0; i < o->n_types; i++)
		jsonw_cstr(w, o->types[i]);
	jsonw_array_end(w);
	jsonw_object_end(w);
}

/* The branch a target names: its own, the read commit's, or main (NULL
 * target: main). */
static const char *target_branch(const struct chg_point *p, const grove_target *t)
{
	if (t && !t->branch && !t->commit)
		return "main";
	return p->branch; /* as resolved: the target's name trimmed, or the commit's */
}

/* graph_branch: the `to` side's branch, else the `from` side's (main is
 * null), as OmniGraph's diff names it. */
static void write_head(struct jsonw *w, const struct chg_point *from, const struct chg_point *to,
		       const grove_target *ft, const grove_target *tt)
{
	const char *branch = target_branch(to, tt);
	if (!branch || !*branch || !strcmp(branch, "main"))
		branch = target_branch(from, ft);
	jsonw_object_begin(w);
	jsonw_key_cstr(w, "from_graph_manifest_version");
	jsonw_uint(w, from->head.version);
	jsonw_key_cstr(w, "to_graph_manifest_version");
	jsonw_uint(w, to->head.version);
	jsonw_key_cstr(w, "graph_branch");
	if (!branch || !strcmp(branch, "main"))
		jsonw_null(w);
	else
		jsonw_cstr(w, branch);
}

/* Classify every candidate (in output order) and write the kept ones. */
static int diff_write(struct diff_out *o, grove_db *db, MDB_txn *txn, const struct chg_point *from,
		      const struct chg_point *to, const struct chg_list *l,
		      const struct chg_scope *s)
{
	int err = 0;
	jsonw_key_cstr(&o->w, "changes");
	jsonw_array_begin(&o->w);
	for (size_t i = 0; i < l->n && !err; i++) {
		struct chg_rows rows;
		enum chg_op op;
		if ((err = chg_classify(&op, &rows, db, txn, &from->chain, &to->chain, &l->v[i])) < 0)
			break;
		if (op == CHG_NONE || !chg_scope_wants_op(s, op))
			continue;
		o->count[op]++;
		note_type(o, l->v[i].t);
		if ((err = write_change(o, &l->v[i], op, &rows, db)) < 0 ||
		    (err = jsonw_error(&o->w)) < 0)
			break;
	}
	jsonw_array_end(&o->w);
	return err;
}

int grove_diff_json(char **out, grove_db *db, const grove_target *from, const grove_target *to,
		    const char *filter_json)
{
	struct diff_out o = { .last = NULL };
	struct chg_point a, b;
	struct chg_scope s;
	struct chg_list l = { 0 };
	MDB_txn *txn;
	int err;

	if (!out || !db)
		return GROVE_EINVAL;
	*out = NULL;
	if ((err = chg_scope_parse(&s, db, filter_json)) < 0)
		return err;
	if ((err = db_read_begin(&txn, db)) < 0) {
		chg_scope_free(&s);
		return err;
	}
	jsonw_init(&o.w, GROVE_DIFF_MAX_BYTES);
	if ((err = chg_point_target(&a, db, txn, from)) == 0 &&
	    (err = chg_point_target(&b, db, txn, to)) == 0 &&
	    (err = chg_candidates_at(&l, db, txn, &a, &b, &s, GROVE_DIFF_MAX_ENTITIES)) == 0) {
		chg_sort_by_table(&l);
		write_head(&o.w, &a, &b, from, to);
		err = diff_write(&o, db, txn, &a, &b, &l, &s);
		write_stats(&o);
		jsonw_object_end(&o.w);
	}
	if (!err)
		err = jsonw_error(&o.w);
	if (err == GROVE_ETOOBIG)
		err = db_error_limit(db, db_error(db, GROVE_ELIMIT, "the diff exceeds %u bytes",
						  GROVE_DIFF_MAX_BYTES),
				     "diff_bytes", GROVE_DIFF_MAX_BYTES, o.w.len);
	else if (err == -ENOMEM)
		err = db_error(db, err, "out of memory");
	chg_list_free(&l);
	mdb_txn_abort(txn);
	chg_scope_free(&s);
	if (err < 0) {
		jsonw_fini(&o.w);
		return err;
	}
	*out = o.w.buf;
	return 0;
}
