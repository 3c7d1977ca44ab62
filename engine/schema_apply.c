/*
 * schema_apply.c — schema plan and apply (spec languages §10, DESIGN.md §7;
 * the public contract is grove.h's "Schema migration").
 *
 * Planning evolves the catalog in force with the desired text
 * (lang_schema_evolve): the new catalog keeps every stable id, and the plan
 * lists the steps.  Applying logs ONE event — the new schema text and the
 * plan (lang_plan_encode, with a hash of the new catalog) — through the
 * sequencer; the views apply it by evolving their own catalog the same way
 * (index/schemas.c) and make a commit on main.  Then the handle's catalog
 * is swapped; the old one is retired, not freed (schema_hist.h), so readers
 * holding it finish safely.
 *
 * Writers.  An apply holds the name-space lock (no branch can be created
 * meanwhile) and main's branch lock, and requires main to be the only
 * branch: so it holds every write lock there is, and no write commits
 * between the plan and the swap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/jsonw.h"
#include "engine/schema_hist.h"
#include "index/apply.h"
#include "index/schemas.h"
#include "lang/evolve.h"
#include "log/error.h"
#include "log/failpoint.h"

#define BRANCH_LIST_BYTES 2048

/* The desired schema evolved from the catalog in force. */
static int evolve(struct lang_catalog **cat, struct lang_plan **plan, grove_db *db, const char *pg,
		  int allow_data_loss)
{
	struct lang_diag diag = LANG_DIAG_INIT;
	int err = 0;
	if (!pg)
		return db_error(db, GROVE_EINVAL, "a schema migration needs the desired schema text");
	if (lang_schema_evolve(cat, plan, engine_catalog(db), pg, strlen(pg), allow_data_loss, &diag) < 0) {
		const char *msg = diag.message ? diag.message : "invalid schema";
		bool identity = !strncmp(msg, LANG_PREFIX_IDENTITY, strlen(LANG_PREFIX_IDENTITY));
		err = db_error(db, identity ? GROVE_EINVAL : GROVE_EPARSE, "%s", msg);
	}
	lang_diag_clear(&diag);
	return err;
}

/* {"uri", "supported", ["applied",] "step_count", [commit,] "steps"} */
static int result_json(char **out, grove_db *db, const struct lang_plan *p, int applied,
		       const grove_commit *c)
{
	char *steps = lang_plan_steps_json(p);
	struct jsonw w;
	int err;

	if (!steps)
		return db_error(db, -ENOMEM, "out of memory");
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_key_cstr(&w, "uri");
	jsonw_cstr(&w, db->dir);
	jsonw_key_cstr(&w, "supported");
	jsonw_bool(&w, p->supported);
	if (applied >= 0) {
		jsonw_key_cstr(&w, "applied");
		jsonw_bool(&w, applied);
	}
	jsonw_key_cstr(&w, "step_count");
	jsonw_uint(&w, p->n_steps);
	if (c) {
		jsonw_key_cstr(&w, "graph_manifest_version");
		jsonw_uint(&w, c->graph_version);
		jsonw_key_cstr(&w, "graph_commit_id");
		jsonw_cstr(&w, c->id);
	}
	jsonw_key_cstr(&w, "steps");
	jsonw_raw(&w, steps, strlen(steps));
	jsonw_object_end(&w);
	free(steps);
	if ((err = jsonw_error(&w)) < 0) {
		jsonw_fini(&w);
		return db_error(db, err, "out of memory");
	}
	*out = w.buf;
	return 0;
}

static int plan_only(char **out, grove_db *db, const char *pg, int allow_data_loss, bool json)
{
	struct lang_plan *p = NULL;
	int err;

	*out = NULL;
	/* Holding the name-space lock keeps an apply from swapping the
	 * catalog under the plan (a plan reads db->cat once, so this is only
	 * for a consistent "plan against the schema in force"). */
	pthread_mutex_lock(&db->ns_mu);
	err = evolve(NULL, &p, db, pg, allow_data_loss);
	pthread_mutex_unlock(&db->ns_mu);
	if (err < 0)
		return err;
	if (json) {
		err = result_json(out, db, p, -1, NULL);
	} else if (!(*out = lang_plan_text(p, db->dir))) {
		err = db_error(db, -ENOMEM, "out of memory");
	}
	lang_plan_free(p);
	return err;
}

int grove_schema_plan_json(char **out, grove_db *db, const char *new_pg, int allow_data_loss)
{
	return plan_only(out, db, new_pg, allow_data_loss, true);
}

int grove_schema_plan_text(char **out, grove_db *db, const char *new_pg, int allow_data_loss)
{
	return plan_only(out, db, new_pg, allow_data_loss, false);
}

/* Refuse unless main is the only branch (spec §10.5). */
static int only_main(grove_db *db)
{
	char **names = NULL, list[BRANCH_LIST_BYTES] = "";
	size_t n = 0, len = 0;
	int err = grove_branch_list(&names, &n, db);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(names[i], MAIN_BRANCH) || len >= sizeof list - 1)
			continue;
		int k = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", names[i]);
		len = k < 0 ? sizeof list - 1 : len + (size_t)k;
		if (len >= sizeof list)
			len = sizeof list - 1;
	}
	free(names);
	if (len)
		return db_error(db, GROVE_ECONFLICT,
				"schema apply requires a graph with only main; found non-main branches: %s", list);
	return 0;
}

/* The first unsupported step, as the apply's refusal. */
static int refuse(grove_db *db, const struct lang_plan *p)
{
	const struct lang_step *s = lang_plan_first_unsupported(p);
	if (s->code)
		return db_error(db, GROVE_EINVAL, "[%s] %s", s->code, s->reason);
	return db_error(db, GROVE_EINVAL, "%s", s->reason);
}

/* Log the apply as one event through the sequencer, then swap the
 * handle's catalog (*cat passes to the handle then: set to NULL). */
static int commit_apply(grove_commit *out, grove_db *db, struct lang_catalog **cat,
			const struct lang_plan *p, const char *pg, const char *actor)
{
	struct event ev = { .kind = EVENT_SCHEMA_APPLY };
	void *enc = NULL, *steps = NULL;
	size_t enc_len = 0, steps_len = 0;
	char id[GROVE_COMMIT_ID_BYTES];
	int err = 0;

	if (lang_catalog_encode(&enc, &enc_len, *cat) < 0 ||
	    lang_plan_encode(&steps, &steps_len, p, schemas_catalog_hash(enc, enc_len)) < 0) {
		free(enc);
		return db_error(db, -ENOMEM, "out of memory");
	}
	free(enc);
	struct commit_rec head;
	if (steps_len > UINT32_MAX || (err = engine_main_head(&head, db)) < 0) {
		free(steps);
		return steps_len > UINT32_MAX ? db_error(db, GROVE_ETOOBIG, "the plan is too large") : err;
	}
	ev.parent = head.id;
	engine_event_stamp(&ev, MAIN_BRANCH, actor);
	ev.schema_text = event_str(pg);
	ev.op_text = event_str("schema apply");
	ev.steps = (struct event_bytes){ steps, (uint32_t)steps_len };
	FAILPOINT("schema_apply.before_log");
	err = seq_commit(db, &ev, 1, NULL, 0, NULL);
	free(steps);
	if (err < 0)
		return err;
	FAILPOINT("schema_apply.committed");
	engine_catalog_swap(db, *cat);
	*cat = NULL;
	commit_id_format(id, &ev.commit);
	return grove_commit_show(out, db, id);
}

/* Under every write lock (see the top): plan, refuse or commit. */
static int apply_locked(char **out, grove_db *db, const char *pg, int allow_data_loss, const char *actor)
{
	struct lang_catalog *cat = NULL;
	struct lang_plan *p = NULL;
	grove_commit c;
	int err = 0;

	if ((err = only_main(db)) < 0 || (err = evolve(&cat, &p, db, pg, allow_data_loss)) < 0)
		return err;
	if (!p->supported)
		err = refuse(db, p);
	else if (p->n_steps == 0)
		err = result_json(out, db, p, 0, NULL);  /* nothing to do: nothing written */
	else if ((err = commit_apply(&c, db, &cat, p, pg, actor)) == 0)
		err = result_json(out, db, p, 1, &c);
	lang_catalog_free(cat);
	lang_plan_free(p);
	return err;
}

int grove_schema_apply_json(char **out, grove_db *db, const char *new_pg, int allow_data_loss,
			    const char *actor)
{
	struct branch_lock *bl;
	int err;

	*out = NULL;
	if ((err = engine_actor_check(db, actor)) < 0)
		return err;
	pthread_mutex_lock(&db->ns_mu);
	if (!(bl = db_branch_lock(db, MAIN_BRANCH))) {
		pthread_mutex_unlock(&db->ns_mu);
		return db_error(db, -ENOMEM, "out of memory");
	}
	err = apply_locked(out, db, new_pg, allow_data_loss, actor);
	db_branch_unlock(db, bl);
	pthread_mutex_unlock(&db->ns_mu);
	return err;
}
