/*
 * log_api.c — the public log interface of grove.h: appending events given
 * as JSON, and iterating the log with each record rendered as JSON.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/engine.h"
#include "engine/jsonw.h"
#include "engine/schema_hist.h"
#include "engine/value.h"
#include "index/records.h"
#include "index/apply.h"
#include "log/error.h"
#include "log/event.h"
#include "log/log.h"
#include "replay/event_json.h"

struct grove_log_cursor {
	grove_db *db;
	struct log_cursor *cur;
	struct log_record_view rec;
	char *json;
};

/* Would `ev` apply cleanly to the views as they are?  (An event that
 * cannot apply must never reach the log: it would poison every replay.) */
/* A put's row must be one the engine could have written: a row of its
 * type (value_row_view), every slot of the property's type as the read
 * path decodes it (value_render), no NULL where the property is required,
 * and the type's enum, @range and @check (value_validate).  A row that
 * is not would be logged for good and fail every read and export of its
 * type after (the dry run's apply does not look inside rows). */
static int check_row(grove_db *db, const struct event_effect *fx, uint32_t i)
{
	bool edge = fx->op == EFFECT_PUT_EDGE;
	const struct lang_cat_type *t =
		engine_cat_type_by_id(engine_catalog(db), edge ? LANG_CAT_EDGE : LANG_CAT_NODE, fx->type_id);
	struct value_error verr = { 0 };
	msgpack_zone zone;
	msgpack_object o;
	struct value_row row;
	int err = 0;
	if (!t)
		return 0;   /* the dry run names an unknown type */
	if (!msgpack_zone_init(&zone, 1024))
		return db_error(db, -ENOMEM, "out of memory");
	if (value_row_unpack(&o, fx->row.ptr, fx->row.len, &zone) < 0 ||
	    value_row_view(&row, &o, t, &verr) < 0)
		err = db_error(db, GROVE_EINVAL, "event JSON: effect %u: not a row of %s %s", i,
			       edge ? "edge" : "node", t->name);
	for (uint32_t k = 0; !err && k < t->n_props; k++) {
		const struct lang_cat_property *p = &t->props[k];
		const msgpack_object *v = value_row_get(&row, p->id);
		struct jsonw w;
		jsonw_init(&w, 0);
		if (v->type == MSGPACK_OBJECT_NIL && !p->type.nullable)
			err = db_error(db, GROVE_EINVAL, "event JSON: effect %u: property '%s' of %s is "
				       "required, and the row holds NULL", i, p->name, t->name);
		else if (value_render(&w, &p->type, v, VALUE_RENDER_EXPORT, &verr) < 0)
			err = db_error(db, GROVE_EINVAL, "event JSON: effect %u: property '%s' of %s: %s",
				       i, p->name, t->name, verr.msg);
		jsonw_fini(&w);
	}
	/* A keyed node's id is its key's canonical id: any other would name
	 * one entity by another's key (two rows of one key, a key no lookup
	 * finds, an export no load takes back). */
	if (!err && !edge && t->has_key) {
		char *canon = NULL;
		size_t clen = 0;
		if (value_canonical_id(&canon, &clen, t, &row, &verr) < 0)
			err = db_error(db, GROVE_EINVAL, "event JSON: effect %u: %s", i, verr.msg);
		else if (clen != row.id_len || memcmp(canon, row.id, clen) != 0)
			err = db_error(db, GROVE_EINVAL, "event JSON: effect %u: node %s has id '%.*s', but "
				       "its @key gives '%s'", i, t->name, (int)row.id_len, row.id, canon);
		free(canon);
	}
	const struct value_validator *val = err ? NULL : engine_validator(db, t, &verr);
	if (!err && !val)
		err = db_error(db, GROVE_EINVAL, "event JSON: effect %u: %s", i, verr.msg);
	else if (!err && value_validate(val, &row, &verr) < 0)
		err = db_error(db, GROVE_EINVAL, "event JSON: effect %u: %s", i, verr.msg);
	msgpack_zone_destroy(&zone);
	return err;
}

static int check_rows(grove_db *db, const struct event *ev)
{
	int err = 0;
	for (uint32_t i = 0; i < ev->neffects && !err; i++)
		if (ev->effects[i].op == EFFECT_PUT_NODE || ev->effects[i].op == EFFECT_PUT_EDGE)
			err = check_row(db, &ev->effects[i], i);
	return err;
}

/* A branch created by an appended event passes grove_branch_create's
 * checks: the dry run's apply takes any name and any depth. */
static int check_branch_create(grove_db *db, const struct event *ev)
{
	char name[BRANCH_NAME_MAX + 1], from[BRANCH_NAME_MAX + 1];
	if (ev->name.len > BRANCH_NAME_MAX || ev->from.len > BRANCH_NAME_MAX)
		return db_error(db, GROVE_EINVAL, "event JSON: branch name is longer than %u bytes",
				BRANCH_NAME_MAX);
	if ((ev->name.len && memchr(ev->name.ptr, '\0', ev->name.len)) ||
	    (ev->from.len && memchr(ev->from.ptr, '\0', ev->from.len)))
		return db_error(db, GROVE_EINVAL, "event JSON: a branch name holds a NUL byte");
	snprintf(name, sizeof name, "%.*s", (int)ev->name.len, ev->name.ptr ? (const char *)ev->name.ptr : "");
	snprintf(from, sizeof from, "%.*s", (int)ev->from.len, ev->from.ptr ? (const char *)ev->from.ptr : "");
	return branch_create_check(db, name, from[0] ? from : MAIN_BRANCH);
}

/* A commit's parent is its branch's head when it applies (the apply takes
 * the head, whatever the event says): the record logged says so too, so
 * that the log never keeps a lineage the views do not.  (A record dumped
 * from another graph names that graph's head.) */
static int set_parent(grove_db *db, struct event *ev, const char *branch)
{
	grove_commit head;
	if (!branch[0] || (ev->kind != EVENT_MUTATION && ev->kind != EVENT_LOAD_CHUNK &&
			   ev->kind != EVENT_MERGE && ev->kind != EVENT_OPTIMIZE))
		return 0;
	if (grove_branch_head(&head, db, branch) < 0)
		return 0;   /* the dry run says what is wrong */
	struct commit_id id;
	if (commit_id_parse(&id, head.id))
		ev->parent = id;
	return 0;
}

static int dry_run(grove_db *db, const struct event *ev)
{
	MDB_txn *txn;
	int err = views_write_begin(&txn, db->views);
	if (err < 0)
		return err;
	err = views_apply(txn, db->views, db->cat, log_last_lsn(db->log) + 1, ev, ev->effects,
			  ev->neffects);
	mdb_txn_abort(txn);
	return err;
}

/* Check and log `ev`.  The dry run must still hold when the event is
 * applied, so nothing it depends on may change in between: its branch
 * (every writer of a branch holds its lock from plan to apply, engine/
 * mutate.c), the branch name space (ns_mu: branch events carry the
 * branch "main", not the one they create or delete) and the commit ids
 * other appended events bring (ns_mu again: appends take turns).  Without
 * them two appends could both pass their dry runs and the second be
 * logged and then fail to apply: a record no replay can get past. */
static int append_locked(grove_db *db, struct event *ev, uint64_t *out_lsn)
{
	char branch[BRANCH_NAME_MAX + 1];
	struct branch_lock *bl = NULL;
	int err;

	snprintf(branch, sizeof branch, "%.*s", (int)ev->branch.len,
		 ev->branch.ptr ? (const char *)ev->branch.ptr : "");
	pthread_mutex_lock(&db->ns_mu);
	if (branch[0] && !(bl = db_branch_lock(db, branch))) {
		pthread_mutex_unlock(&db->ns_mu);
		return db_error(db, -ENOMEM, "out of memory");
	}
	if ((err = check_rows(db, ev)) < 0 || (err = set_parent(db, ev, branch)) < 0)
		;   /* said why */
	else if ((err = dry_run(db, ev)) < 0)
		db_error(db, err, "event JSON: the event does not apply: %s", log_errmsg());
	else
		err = seq_commit(db, ev, 1, ev->effects, ev->neffects, out_lsn);
	if (bl)
		db_branch_unlock(db, bl);
	pthread_mutex_unlock(&db->ns_mu);
	return err;
}

int grove_log_append_json(uint64_t *out_lsn, grove_db *db, const char *json)
{
	json_error_t jerr;
	char msg[256];
	uint8_t *payload = NULL;
	size_t len = 0;
	uint16_t kind = 0;
	struct event ev;
	int err;

	json_t *obj = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return db_error(db, GROVE_EPARSE, "event JSON, line %d column %d: %s",
				jerr.line, jerr.column, jerr.text);
	err = event_payload_from_json(&payload, &len, &kind, obj, msg, sizeof msg);
	json_decref(obj);
	if (err < 0)
		return db_error(db, err, "event JSON: %s", msg[0] ? msg : "out of memory");
	if ((err = event_decode(&ev, payload, len)) < 0) {
		free(payload);
		return db_error(db, err, NULL);
	}
	if (ev.kind == EVENT_SCHEMA_APPLY || (ev.kind == EVENT_LOAD_CHUNK && !ev.last))
		err = db_error(db, GROVE_EINVAL, "event JSON: a %s event cannot be appended alone",
			       event_kind_name(ev.kind));
	else if (ev.chunk_seq > 0)
		err = db_error(db, GROVE_EINVAL, "event JSON: chunk %u of a chunked commit cannot be "
			       "appended alone (append a whole commit: chunk 0)", ev.chunk_seq);
	else if (ev.actor.len > ACTOR_MAX)   /* as every write that records an actor */
		err = db_error(db, GROVE_EINVAL, "event JSON: actor id is longer than %u bytes (%u)",
			       ACTOR_MAX, ev.actor.len);
	else if (ev.kind == EVENT_OPTIMIZE &&
		 (ev.neffects || ev.actor.len || ev.branch.len != strlen(MAIN_BRANCH) ||
		  memcmp(ev.branch.ptr, MAIN_BRANCH, ev.branch.len)))
		err = db_error(db, GROVE_EINVAL, "event JSON: an optimize event is main's, without "
			       "effects or actor (grove_optimize)");
	else if (ev.kind == EVENT_BRANCH_CREATE && (err = check_branch_create(db, &ev)) < 0)
		;   /* said why */
	else
		err = append_locked(db, &ev, out_lsn);
	event_release(&ev);
	free(payload);
	return err;
}

uint64_t grove_log_last_lsn(const grove_db *db)
{
	return log_durable_lsn(db->log);
}

int grove_log_cursor_open(grove_log_cursor **out, grove_db *db, uint64_t from_lsn)
{
	grove_log_cursor *c = calloc(1, sizeof *c);
	int err;

	if (!c)
		return db_error(db, -ENOMEM, "out of memory");
	c->db = db;
	if ((err = log_cursor_open(&c->cur, db->log, from_lsn ? from_lsn : 1)) < 0) {
		free(c);
		return db_error(db, err, NULL);
	}
	*out = c;
	return 0;
}

int grove_log_cursor_next(grove_log_cursor *c)
{
	free(c->json);
	c->json = NULL;
	int err = log_cursor_next(c->cur, &c->rec);
	if (err < 0 && err != GROVE_ENOTFOUND)
		db_error(c->db, err, NULL);
	return err;
}

uint64_t grove_log_cursor_lsn(const grove_log_cursor *c)
{
	return c->rec.lsn;
}

int grove_log_cursor_kind(const grove_log_cursor *c)
{
	return c->rec.kind;
}

const char *grove_log_cursor_json(grove_log_cursor *c)
{
	struct event ev;
	json_t *j;

	if (c->json)
		return c->json;
	if (event_decode(&ev, c->rec.payload, c->rec.payload_bytes) < 0) {
		j = json_pack("{sIss}", "lsn", (json_int_t)c->rec.lsn, "error",
			      "undecodable event payload");
	} else {
		j = event_to_json(&ev, c->rec.lsn);
		event_release(&ev);
	}
	c->json = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return c->json ? c->json : "{}";
}

void grove_log_cursor_close(grove_log_cursor *c)
{
	if (!c)
		return;
	log_cursor_close(c->cur);
	free(c->json);
	free(c);
}
