/*
 * engine.h — helpers shared by the files of engine/: stamping events,
 * naming tables, opening a read at a target.  Private to engine/ (and the
 * replay/ layer below it).
 */
#ifndef GROVE_ENGINE_ENGINE_H
#define GROVE_ENGINE_ENGINE_H

#include <lmdb.h>

#include "engine/db.h"
#include "index/records.h"
#include "log/event.h"

/* Give `ev` a new commit id, the current time, its branch and actor. */
void engine_event_stamp(struct event *ev, const char *branch, const char *actor);

/* The rows a chunk may take: grove_options.load_chunk_bytes (0: `dflt`),
 * kept below the handle's log record limit with room for the framing. */
size_t engine_chunk_bytes(const grove_db *db, size_t dflt);

/* One commit's effects as log events of about `chunk_bytes` of rows each
 * (malloc'd array, *n of them): copies of `base` (a LOAD_CHUNK with the
 * commit's stamp) numbered by chunk_seq, the last one `last` (the commit's
 * own kind and fields) with last set; a commit that fits is `last` alone.
 * Only the last one's apply changes the views (engine/sequencer.h), and
 * replay gathers the chunks for it.  -ENOMEM. */
int engine_chunk_events(struct event **out, uint32_t *n, const struct event *base,
			const struct event *last, struct event_effect *fx, size_t nfx, size_t chunk_bytes);

/* Main's head commit, newest applied state (for writers holding main's
 * lock: schema apply, optimize). */
int engine_main_head(struct commit_rec *out, grove_db *db);

/* A commit records its actor whole: an actor id over ACTOR_MAX bytes is
 * GROVE_EINVAL, refused before anything is done. */
int engine_actor_check(grove_db *db, const char *actor);

/* The internal system ref no public operation may name (engine §1.2). */
#define BRANCH_INTERNAL_REF "__schema_apply_lock__"

/* Engine §1.2 rule 1: every API trims a branch name of surrounding
 * whitespace first.  `buf` holds BRANCH_NAME_MAX + 1 bytes; returns the
 * trimmed name (in buf), NULL for NULL, or `name` itself when even
 * trimmed it is too long (the checks then refuse it). */
const char *branch_name_trim(char *buf, const char *name);
/* Rules 1-3 of engine §1.2 for any branch operation named `op`. */
int branch_name_check(grove_db *db, const char *name, const char *op);
/* Every check grove_branch_create makes before it logs the creation of
 * `name` from `from` (names, existence, namespace, syntax, nesting). */
int branch_create_check(grove_db *db, const char *name, const char *from);

/* "node:Person" / "edge:Knows" -> its catalog type (error: unknown). */
int engine_table(const struct lang_cat_type **out, grove_db *db, const char *table);
/* The catalog type with id `id` (node or edge), or NULL. */
const struct lang_cat_type *engine_type_by_id(const grove_db *db, uint32_t id);

/* A consistent read: one LMDB read transaction and the layer chain of a
 * branch head or a commit. */
struct read_at {
	MDB_txn *txn;
	struct views *views;        /* whose txn it is (read_at_close) */
	bool borrowed;              /* txn is a batch's (seq_batch_txn): not ours to end */
	struct layer_chain chain;
	struct commit_rec head;     /* the commit the read sees */
	char branch[BRANCH_NAME_MAX + 1];
	/* The catalog readable at `head` (engine_catalog_at): the types that
	 * existed then.  Resolve a table at the target with engine_table_at
	 * (schema_hist.h); lives until the handle closes. */
	const struct lang_catalog *cat;
};

/* A reader's snapshot: only durable writes (seq_read_fence). */
int read_at_open(struct read_at *r, grove_db *db, const grove_target *target);
/* A writer's plan: the newest applied state, durable or not (its own
 * record follows every record it read in the log, so it cannot become
 * durable without them). */
int read_at_open_newest(struct read_at *r, grove_db *db, const grove_target *target);
void read_at_close(struct read_at *r);

/* engine/newest.c: the apply of an effect event on `branch` notes, inside
 * its write transaction, the branch's newest state (NULL: not noted), and
 * publishes it once the transaction has committed (else frees it); a
 * writer's plan on that very snapshot (read_at_open_newest) then takes it
 * instead of reading it again.  newest_get: 1 and r's head, chain,
 * catalog and branch set when it applies to `txnid`. */
/* engine/validators.c: type t's compiled validator (value.h), made on
 * first use and kept until the handle closes; NULL with *err set when
 * its @check patterns do not compile. */
struct value_validator;
struct value_error;
const struct value_validator *engine_validator(grove_db *db, const struct lang_cat_type *t,
					       struct value_error *err);
void engine_validators_free(grove_db *db);

struct newest_snap;
struct newest_snap *newest_note(grove_db *db, MDB_txn *wtxn, const char *branch,
				size_t branch_len);
void newest_publish(grove_db *db, struct newest_snap *n);
bool newest_get(struct read_at *r, grove_db *db, const char *branch, uint64_t txnid);
void newest_free(grove_db *db);

struct jsonw;
struct msgpack_object;

/* Call `fn` for each entity of `t` visible at `r`, in id order. */
typedef int (*engine_row_fn)(void *arg, const struct lang_cat_type *t,
			     const struct msgpack_object *row);
int engine_each_row(grove_db *db, struct read_at *r, const struct lang_cat_type *t,
		    engine_row_fn fn, void *arg);

/* Call `fn` for each entity of `t` visible through `chain` in `txn`, in
 * internal-id order (cheaper than engine_each_row), with its user id and
 * its decoded row.  A stored row without an id is GROVE_ECORRUPT. */
typedef int (*engine_visible_fn)(void *arg, const char *id, uint32_t id_len,
				 const struct msgpack_object *row);
int engine_each_visible(grove_db *db, MDB_txn *txn, const struct layer_chain *chain,
			const struct lang_cat_type *t, engine_visible_fn fn, void *arg);

/* The commit object of results (spec §9.2): id, branch (null for main),
 * version, parents, actor, created_at. */
void engine_commit_json(struct jsonw *w, const grove_commit *c);

/* {"id", ["src", "dst",] props in schema order} of a stored row. */
int engine_render_entity(struct jsonw *w, const struct lang_cat_type *t,
			 const struct msgpack_object *o, bool endpoints);

struct gq_lit;
struct json_t;
/* A .gq literal as a new JSON value (NULL: out of memory). */
struct json_t *engine_lit_json(const struct gq_lit *lit);

/* The params object of a query or mutation from its JSON text (NULL or
 * blank: an empty object).  Errors say where the JSON is wrong, or that it
 * is not an object. */
int engine_params_parse(struct json_t **out, grove_db *db, const char *text);

/* Undeclared keys are typed by their JSON values (spec §7.1), and an
 * object has no type: "param '<k>': object is not supported".  Checked
 * for every key the query does not declare, used or not. */
struct gq_ir_query;
int engine_params_undeclared(grove_db *db, const struct json_t *params, const struct gq_ir_query *ir);
/* Every declared parameter given converts by its declared type (spec §7.1:
 * a null for a non-nullable one, a value out of its type's range or of
 * another kind are refused whether or not the query uses it; of a name
 * declared twice, the last declaration, as the typechecker reads it); a
 * missing one is refused where it is used.  The conversion's code
 * (GROVE_EINVAL, or GROVE_ELIMIT with its resource) and message. */
int engine_params_declared(grove_db *db, const struct json_t *params, const struct gq_ir_query *ir);

/* The params object as compact JSON text, as the event records it
 * (malloc'd; NULL: out of memory). */
char *engine_params_text(const struct json_t *params);

/* Is declaration i of ir's parameters shadowed by a later one of the same
 * name (the typechecker's "last declaration wins")? */
bool engine_param_shadowed(const struct gq_ir_query *ir, size_t i);

/* Convert a commit record to the public form. */
void engine_commit_public(grove_commit *out, const struct commit_rec *c);
/* A commit named by a user (time travel, show, changes): found, and made
 * by a branch that still exists as the same branch; else GROVE_ENOTFOUND
 * "commit '<id>' not found" (engine §4.1).  Internal walks of the commit
 * graph (merge bases) use commit_get and still see every commit. */
int engine_commit_resolve(struct commit_rec *out, grove_db *db, MDB_txn *txn, const char *id);

#endif
