/*
 * merge_run.c — grove_merge_json: outcome detection, per-entity three-way
 * resolution, validation of the merged image, one merge event.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chg.h"
#include "engine/jsonw.h"
#include "engine/load.h"
#include "engine/merge.h"
#include "engine/schema_hist.h"
#include "engine/value.h"
#include "index/apply.h"
#include "index/row.h"
#include "log/error.h"

#define MERGE_MAX_ENTITIES (16u << 20)

struct merge {
	grove_db *db;
	struct load_plan plan;           /* target head; staged effects      */
	struct chg_point base, src, tgt;
	struct merge_conflicts conflicts;
};

static const char *presence_kind(bool b, bool s, bool t)
{
	if (!b && s && t)
		return "divergent_insert";
	if (b && (!s || !t))
		return "delete_vs_update";
	return "divergent_update";
}

static int conflict(struct merge *m, const struct chg_entity *e, bool b, bool s, bool t)
{
	const char *kind = presence_kind(b, s, t);
	char msg[384];
	snprintf(msg, sizeof msg, "%s for id '%.*s'",
		 !strcmp(kind, "divergent_insert") ? "divergent insert"
		 : !strcmp(kind, "delete_vs_update") ? "delete/update conflict" : "divergent update",
		 (int)e->id_len, e->id);
	return merge_conflict_add(&m->conflicts, e->t, e->id, e->id_len, kind, msg) < 0
		? db_error(m->db, -ENOMEM, "out of memory") : 0;
}

/* Stage the source's version of e onto the target. */
static int take_source(struct merge *m, const struct chg_entity *e, const MDB_val *row)
{
	struct load_plan *p = &m->plan;
	if (!row->mv_data) {
		if (idset_put(&p->deleted, e->t->id, e->id, e->id_len, 0) < 0)
			return db_error(m->db, -ENOMEM, "out of memory");
		p->present[e->t->id] = true;
		return 0;
	}
	p->scratch.size = 0;
	if (msgpack_sbuffer_write(&p->scratch, row->mv_data, row->mv_size) != 0)
		return db_error(m->db, -ENOMEM, "out of memory");
	int err = load_put_row(p, e->t, &p->scratch, 0);
	if (err < 0) {
		char msg[384];
		snprintf(msg, sizeof msg, "%s", grove_errmsg(m->db));
		return merge_conflict_add(&m->conflicts, e->t, NULL, 0, "value_constraint_violation",
					  msg) < 0 ? db_error(m->db, -ENOMEM, "out of memory") : 0;
	}
	return 0;
}

/* The rule of engine §3.3 for one entity. */
static int resolve(struct merge *m, const struct chg_entity *e)
{
	struct chg_rows sr, tr, st;
	enum chg_op sop, top, same;
	MDB_txn *txn = m->plan.at.txn;
	int err;

	if ((err = chg_classify(&sop, &sr, m->db, txn, &m->base.chain, &m->src.chain, e)) < 0)
		return db_error(m->db, err, NULL);
	if (sop == CHG_NONE)
		return 0; /* the source did not change it: keep the target's */
	if ((err = chg_classify(&top, &tr, m->db, txn, &m->base.chain, &m->tgt.chain, e)) < 0)
		return db_error(m->db, err, NULL);
	if (top == CHG_NONE)
		return take_source(m, e, &sr.after);
	if ((err = chg_classify(&same, &st, m->db, txn, &m->src.chain, &m->tgt.chain, e)) < 0)
		return db_error(m->db, err, NULL);
	if (same == CHG_NONE)
		return 0; /* the same change on both sides */
	return conflict(m, e, sr.before.mv_data != NULL, sr.after.mv_data != NULL,
			tr.after.mv_data != NULL);
}

/* Every entity either side changed since the base, each once. */
/* Row conflicts in the order OmniGraph collects them (engine §3.2-3.3):
 * tables by table key ("edge:..." before "node:..."), rows by id. */
static int cmp_row_conflict(const void *pa, const void *pb)
{
	const struct merge_conflict *a = pa, *b = pb;
	bool ea = a->t->kind == LANG_CAT_EDGE, eb = b->t->kind == LANG_CAT_EDGE;
	int c = ea != eb ? (ea ? -1 : 1) : strcmp(a->t->name, b->t->name);
	return c ? c : strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

static int resolve_all(struct merge *m)
{
	struct chg_scope all = { 0 };
	struct chg_list a = { 0 }, b = { 0 };
	struct idset seen;
	MDB_txn *txn = m->plan.at.txn;
	int err;

	idset_init(&seen);
	if ((err = chg_candidates(&a, m->db, txn, &m->base.chain, &m->src.chain, &all,
				  MERGE_MAX_ENTITIES)) == 0 &&
	    (err = chg_candidates(&b, m->db, txn, &m->base.chain, &m->tgt.chain, &all,
				  MERGE_MAX_ENTITIES)) == 0) {
		for (size_t i = 0; !err && i < a.n + b.n; i++) {
			const struct chg_entity *e = i < a.n ? &a.v[i] : &b.v[i - a.n];
			if (idset_get(&seen, e->t->id, e->id, e->id_len) >= 0)
				continue;
			if (idset_put(&seen, e->t->id, e->id, e->id_len, 0) < 0)
				err = db_error(m->db, -ENOMEM, "out of memory");
			else
				err = resolve(m, e);
		}
	}
	chg_list_free(&a);
	chg_list_free(&b);
	idset_free(&seen);
	if (!err && m->conflicts.n > 1)
		qsort(m->conflicts.v, m->conflicts.n, sizeof *m->conflicts.v, cmp_row_conflict);
	return err;
}

/* load_plan.on_violation: a check of the merged image failed; record one
 * conflict of the matching kind and go on.  Unique violations and orphan
 * edges name their entity (engine §3.4); cardinality violations have
 * none. */
static int merge_violation(void *arg, int err, const struct load_violation *v)
{
	static const char *const kinds[] = {
		[LOAD_VIOLATION_UNIQUE] = "unique_violation",
		[LOAD_VIOLATION_CARD] = "cardinality_violation",
		[LOAD_VIOLATION_ORPHAN] = "orphan_edge",
	};
	struct merge *m = arg;
	if (err != GROVE_EINVAL)
		return err;
	return merge_conflict_add(&m->conflicts, v->t, v->id, v->id_len, kinds[v->kind],
				  grove_errmsg(m->db)) < 0
		? db_error(m->db, -ENOMEM, "out of memory") : 0;
}

static char *conflicts_json(const struct merge_conflicts *c)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_key_cstr(&w, "merge_conflicts");
	jsonw_array_begin(&w);
	for (size_t i = 0; i < c->n; i++) {
		const struct merge_conflict *x = &c->v[i];
		char key[160] = "";
		jsonw_object_begin(&w);
		jsonw_key_cstr(&w, "type_key");
		if (x->t) {
			chg_type_key(key, sizeof key, x->t);
			jsonw_cstr(&w, key);
		} else {
			jsonw_null(&w);
		}
		jsonw_key_cstr(&w, "entity_kind");
		x->t ? jsonw_cstr(&w, x->t->kind == LANG_CAT_EDGE ? "edge" : "node") : jsonw_null(&w);
		jsonw_key_cstr(&w, "type_name");
		x->t ? jsonw_cstr(&w, x->t->name) : jsonw_null(&w);
		jsonw_key_cstr(&w, "entity_id");
		x->id ? jsonw_cstr(&w, x->id) : jsonw_null(&w);
		jsonw_key_cstr(&w, "kind");
		jsonw_cstr(&w, x->kind);
		jsonw_key_cstr(&w, "message");
		jsonw_cstr(&w, x->message);
		jsonw_object_end(&w);
	}
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	if (jsonw_error(&w)) {
		jsonw_fini(&w);
		return NULL;
	}
	return w.buf;
}

/* OmniGraph's engine text: "merge conflicts: node type 'Person', entity
 * id 'Alice' (divergent_update): divergent update for id 'Alice'; ..."
 * (no entity: "node type 'T' (kind): message"), the first three, then
 * "; and N more"; the full list is grove_merge_json's *out. */
static int conflicts_error(struct merge *m)
{
	char msg[2048];
	size_t n = (size_t)snprintf(msg, sizeof msg, "merge conflicts: ");
	for (size_t i = 0; i < m->conflicts.n && i < 3 && n < sizeof msg; i++) {
		const struct merge_conflict *x = &m->conflicts.v[i];
		const char *kind = x->t && x->t->kind == LANG_CAT_EDGE ? "edge" : "node";
		const char *name = x->t ? x->t->name : "?";
		if (x->id)
			n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s type '%s', entity id '%s' (%s): %s",
					      i ? "; " : "", kind, name, x->id, x->kind, x->message);
		else
			n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s type '%s' (%s): %s", i ? "; " : "",
					      kind, name, x->kind, x->message);
	}
	if (m->conflicts.n > 3 && n < sizeof msg)
		snprintf(msg + n, sizeof msg - n, "; and %zu more", m->conflicts.n - 3);
	return db_error(m->db, GROVE_EMERGE, "%s", msg);
}

static const char *const outcome_names[] = { "already_up_to_date", "fast_forward", "merged" };

/* `deleted`: -1 not asked, 0 the delete failed (`delete_error`), 1 done. */
static int write_result(char **out, struct merge *m, const char *source, const char *target,
			const char *actor, int outcome, const grove_commit *c, int deleted,
			const char *delete_error)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_key_cstr(&w, "source");
	jsonw_cstr(&w, source);
	jsonw_key_cstr(&w, "target");
	jsonw_cstr(&w, target);
	jsonw_key_cstr(&w, "outcome");
	jsonw_cstr(&w, outcome_names[outcome]);
	jsonw_key_cstr(&w, "actor_id");
	actor && *actor ? jsonw_cstr(&w, actor) : jsonw_null(&w);
	jsonw_key_cstr(&w, "commit");
	if (c)
		engine_commit_json(&w, c);
	else
		jsonw_null(&w);
	if (deleted >= 0) {  /* engine §3.7 */
		jsonw_key_cstr(&w, "branch_deleted");
		jsonw_bool(&w, deleted);
		if (!deleted) {
			jsonw_key_cstr(&w, "branch_delete_error");
			jsonw_cstr(&w, delete_error);
		}
	}
	jsonw_object_end(&w);
	int err = jsonw_error(&w);
	if (err < 0) {
		jsonw_fini(&w);
		return db_error(m->db, err, "out of memory");
	}
	*out = w.buf;
	return 0;
}

#define MERGE_CHUNK_BYTES (4u << 20)   /* effect bytes per log record, as a load's */
#define MERGE_VALIDATION_BYTES (32ull << 20)  /* engine §3.4 */

/* Only nodes whose every property is a key member are put: nothing for
 * the merged image's checks to read but ids (OmniGraph's proven
 * pure-insert fast-forward on @key-only tables skips validation). */
static bool key_only_puts(const struct merge *m)
{
	if (m->plan.deleted.n)
		return false;
	for (size_t i = 0; i < m->plan.nitems; i++) {
		const struct lang_cat_type *t = m->plan.items[i].t;
		if (t->kind != LANG_CAT_NODE || !t->has_key || t->n_props != t->key.n)
			return false;
	}
	return true;
}

/* What validating and carrying one staged row weighs: its bytes without
 * Vector and Blob values (no constraint reads them: OmniGraph's
 * validation projection), and the payload bytes of its managed Blobs (an
 * external Blob is carried as its URI). */
static int row_weight(const struct load_item *it, msgpack_zone *zone, uint64_t *scalar,
		      uint64_t *blob)
{
	msgpack_object o;
	msgpack_zone_clear(zone);
	if (value_row_unpack(&o, it->row, it->row_len, zone) < 0)
		return log_error(GROVE_ECORRUPT, "a staged row of %s does not decode", it->t->name);
	uint32_t first = it->t->kind == LANG_CAT_EDGE ? ROW_EDGE_FIRST_PROP : ROW_NODE_FIRST_PROP;
	uint64_t heavy = 0;
	for (uint32_t i = 0; i < it->t->n_props; i++) {
		const struct lang_cat_property *p = &it->t->props[i];
		uint32_t slot = first + p->id - 1;
		if (p->type.scalar != LANG_SCALAR_BLOB && p->type.scalar != LANG_SCALAR_VECTOR)
			continue;
		if (slot >= o.via.array.size)
			continue;
		const msgpack_object *v = &o.via.array.ptr[slot];
		if (v->type == MSGPACK_OBJECT_BIN) {
			heavy += v->via.bin.size;
			if (p->type.scalar == LANG_SCALAR_BLOB)
				*blob += v->via.bin.size;
		} else if (v->type == MSGPACK_OBJECT_STR) {
			heavy += v->via.str.size;
		}
	}
	*scalar += it->row_len - (heavy < it->row_len ? heavy : it->row_len);
	return 0;
}

static int limit_error(struct merge *m, const char *resource, const char *what, uint64_t bytes)
{
	db_error(m->db, GROVE_ELIMIT, "the merge %s %llu bytes; at most %llu are allowed", what,
		 (unsigned long long)bytes, (unsigned long long)MERGE_VALIDATION_BYTES);
	return db_error_limit(m->db, GROVE_ELIMIT, resource, MERGE_VALIDATION_BYTES, bytes);
}

/* Engine §3.4, §3.7: the managed Blob payloads a merge carries, and the
 * scalar delta its validation retains, are each at most 32 MiB; more is
 * refused before anything is written. */
static int merge_bounds(struct merge *m)
{
	uint64_t scalar = 0, blob = 0;  /* of the rows the merge stages */
	msgpack_zone zone;
	int err = 0;
	if (!msgpack_zone_init(&zone, 4096))
		return db_error(m->db, -ENOMEM, "out of memory");
	for (size_t i = 0; i < m->plan.nitems && !err; i++)
		if (!m->plan.items[i].dead)
			err = row_weight(&m->plan.items[i], &zone, &scalar, &blob);
	msgpack_zone_destroy(&zone);
	if (err < 0)
		return db_error(m->db, err, NULL);
	if (blob > MERGE_VALIDATION_BYTES)
		return limit_error(m, "materialized blob payload bytes", "carries Blob payloads of", blob);
	if (scalar <= MERGE_VALIDATION_BYTES || key_only_puts(m))
		return 0;
	return limit_error(m, "branch-merge retained validation delta bytes",
			   "changes rows whose validation would retain", scalar);
}

/* Resolve, validate and log the merge of source head into target head. */
static int commit_merge(struct merge *m, const char *source, const char *target,
			const char *actor, grove_commit *c)
{
	struct event ev = { .kind = EVENT_MERGE };
	char id[COMMIT_ID_TEXT_BYTES];
	int err;

	if ((err = resolve_all(m)) < 0 || (!m->conflicts.n && (err = merge_bounds(m)) < 0))
		return err;
	/* A failed check of the merged image is a conflict, and the checks
	 * go on to report every one (engine §3.6: the full list); anything
	 * else (no memory, an I/O error) is the merge's error. */
	m->plan.on_violation = merge_violation;
	m->plan.violation_arg = m;
	if (!m->conflicts.n && (err = load_finish(&m->plan)) < 0)
		return err;
	if (m->conflicts.n)
		return conflicts_error(m);
	engine_event_stamp(&ev, target, actor);
	ev.parent = m->tgt.head.id;
	ev.merged_parent = m->src.head.id;
	ev.base = m->base.head.id;
	ev.name = event_str(source);
	ev.op_text = event_str("merge");
	ev.effects = m->plan.fx;
	ev.neffects = (uint32_t)m->plan.nfx;
	ev.id_hints = &m->plan.hints;
	read_at_close(&m->plan.at);
	/* A merge carrying more than a log record holds goes as chunks with
	 * one commit, as a large load does. */
	struct event chunk = { .kind = EVENT_LOAD_CHUNK, .commit = ev.commit, .time_us = ev.time_us,
			       .branch = ev.branch, .actor = ev.actor, .parent = ev.parent }, *evs = NULL;
	uint32_t nev = 0;
	size_t chunk_bytes = engine_chunk_bytes(m->db, MERGE_CHUNK_BYTES);
	if ((err = engine_chunk_events(&evs, &nev, &chunk, &ev, m->plan.fx, m->plan.nfx, chunk_bytes)) < 0)
		return db_error(m->db, err, "out of memory");
	err = seq_commit(m->db, evs, nev, m->plan.fx, (uint32_t)m->plan.nfx, NULL);
	free(evs);
	if (err < 0)
		return err;
	commit_id_format(id, &ev.commit);
	return grove_commit_show(c, m->db, id);
}

static int check_names(grove_db *db, const char *source, const char *target)
{
	int err;
	const char *names[2] = { source ? source : "", target ? target : "" };
	for (int i = 0; i < 2; i++) {
		const char *n = names[i];
		while (*n == '/')
			n++;
		if (!strcmp(n, BRANCH_INTERNAL_REF))
			return db_error(db, GROVE_EINVAL, "branch_merge does not allow internal system "
					"refs ('%s' -> '%s')", names[0], names[1]);
	}
	if ((err = branch_name_check(db, source, "branch_merge")) < 0 ||
	    (err = branch_name_check(db, target, "branch_merge")) < 0)
		return err;
	if (!strcmp(source, target))
		return db_error(db, GROVE_EINVAL,
				"branch_merge requires distinct source and target branches");
	return 0;
}

/* Capture both heads in one read and find the base; 0 up-to-date,
 * 1 fast-forward, 2 merged. */
static int outcome_of(struct merge *m, const char *source, const char *target)
{
	grove_target s = { source, NULL }, t = { target, NULL };
	MDB_txn *txn = m->plan.at.txn;
	struct commit_rec base;
	int err;

	if ((err = chg_point_target(&m->src, m->db, txn, &s)) < 0 ||
	    (err = chg_point_target(&m->tgt, m->db, txn, &t)) < 0)
		return err;
	if (!memcmp(&m->src.head.id, &m->tgt.head.id, 16))
		return 0;
	if ((err = merge_base(&base, m->db, txn, &m->src.head.id, &m->tgt.head.id)) < 0)
		return err;
	if (!memcmp(&base.id, &m->src.head.id, 16))
		return 0;
	if ((err = chg_point_commit(&m->base, m->db, txn, &base)) < 0)
		return err;
	return !memcmp(&base.id, &m->tgt.head.id, 16) ? 1 : 2;
}

int grove_merge_json(char **out, grove_db *db, const char *source, const char *target,
		     const grove_merge_options *o)
{
	char source_buf[BRANCH_NAME_MAX + 1], target_buf[BRANCH_NAME_MAX + 1];
	source = branch_name_trim(source_buf, source);
	target = branch_name_trim(target_buf, target);
	struct merge m = { .db = db };
	grove_target t = { target, NULL };
	struct branch_lock *bl;
	grove_commit c;
	int outcome = 0, err;

	*out = NULL;
	if ((err = check_names(db, source, target)) < 0 ||
	    (err = engine_actor_check(db, o ? o->actor : NULL)) < 0)
		return err;
	if (!(bl = db_branch_lock(db, target)))
		return db_error(db, -ENOMEM, "out of memory");
	if ((err = load_plan_init(&m.plan, db, GROVE_LOAD_MERGE, 0)) == 0) {
		m.plan.restage = true;
		m.plan.uncapped = true;
		if ((err = read_at_open_newest(&m.plan.at, db, &t)) == 0 &&
		    (outcome = err = outcome_of(&m, source, target)) > 0)
			err = commit_merge(&m, source, target, o ? o->actor : NULL, &c);
		if (err == GROVE_EMERGE)
			*out = conflicts_json(&m.conflicts);
		load_plan_free(&m.plan);
	}
	db_branch_unlock(db, bl);
	merge_conflicts_free(&m.conflicts);
	if ((err < 0 || outcome == 0) && (err = db_writer_settle(db, err)) < 0 &&
	    err != GROVE_EMERGE) {
		grove_free(*out);
		*out = NULL;
	}
	if (err < 0)
		return err;
	/* After a merge that landed (any outcome), the source is deleted under
	 * its own rules; a refusal is reported, not returned (engine §3.7). */
	int deleted = -1;
	char delete_error[512] = "";
	if (o && o->delete_branch) {
		deleted = grove_branch_delete(db, source, o->actor) == 0;
		if (!deleted)
			snprintf(delete_error, sizeof delete_error, "%s", grove_errmsg(db));
	}
	if ((err = write_result(out, &m, source, target, o ? o->actor : NULL, outcome,
				outcome ? &c : NULL, deleted, delete_error)) < 0)
		return err;
	if (!deleted)  /* the delete's error stays in grove_errmsg for the caller */
		db_error(db, GROVE_ECONFLICT, "%s", delete_error);
	return 0;
}
