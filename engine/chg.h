/*
 * chg.h — change sets read from the versioned views (engine §4.3-4.5),
 * shared by diff.c (net diff between two targets), changes.c (one
 * commit's changes, paged) and changes_feed.c (the change feed).
 * Private to engine/.
 *
 * Nothing here compares full scans.  The apply step records, in the `chg`
 * view, every entity each event changed, keyed layer | lsn | type | entity
 * (index/views.h).  Two reads (layer chains) can only differ on an entity
 * that has a version, in some layer, between the two reads' cutoffs for
 * that layer; a layer one chain does not contain counts as cutoff 0 there.
 * So the candidates are the union over the layers L of either chain of
 *
 *     chg(L, (min(cutoff_a(L), cutoff_b(L)), max(...)])
 *
 * and every other entity has the same visible version in both reads: for
 * each layer, the newest version at or below either cutoff is the same
 * one, and both chains list their common layers in the same order (a
 * layer's parent never changes).  Each candidate is then classified by
 * reading its visible row in both chains (layered_get) and comparing the
 * rows typed, property by property (null, "" and [] are distinct; an
 * identical rewrite is no change).
 *
 * Types follow the schema's history (schema_hist.h): a candidate's type is
 * named by the catalog in force (a renamed type keeps its id, so its rows
 * pair up across the rename), else by the catalog of the `to` side, else
 * of the `from` side.  A type only one side's catalog has (dropped, or
 * re-added under a new identity) is a table added or removed: every row
 * of it visible on that side is a candidate, and the side without the
 * type sees none of its rows.
 *
 * All reads of one operation share one LMDB read transaction, so they see
 * one consistent state; entity ids point into that transaction's memory.
 */
#ifndef GROVE_ENGINE_CHG_H
#define GROVE_ENGINE_CHG_H

#include <lmdb.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

enum chg_op {
	CHG_NONE = 0,     /* the rows are equal (or absent on both sides) */
	CHG_INSERT = 1,
	CHG_UPDATE = 2,
	CHG_DELETE = 3,   /* rank = op - 1: insert < update < delete      */
};

#define CHG_KIND_NODE 1u
#define CHG_KIND_EDGE 2u
#define CHG_SCOPE_TYPES_MAX 256u

/* A filter: kinds, type names and ops; an empty dimension matches all. */
struct chg_scope {
	unsigned kinds;                        /* CHG_KIND_* bits, 0: all   */
	unsigned ops;                          /* 1u << CHG_*, 0: all       */
	uint32_t n_types;                      /* 0: all                    */
	char *types[CHG_SCOPE_TYPES_MAX];      /* sorted, unique            */
	bool none;                             /* a list given empty: the
	                                        * scope holds nothing (as
	                                        * OmniGraph's Some(vec![]))  */
	uint64_t digest;                       /* binds tokens to the scope */
};

/* Parse {"kinds":[...], "type_names"|"types":[...], "ops":[...]} (NULL or
 * "": everything).  Kinds are node/edge and ops insert/update/delete in
 * any letter case.  GROVE_EINVAL on anything else. */
int chg_scope_parse(struct chg_scope *out, grove_db *db, const char *json);
void chg_scope_free(struct chg_scope *s);
bool chg_scope_wants_type(const struct chg_scope *s, const struct lang_cat_type *t);
bool chg_scope_wants_op(const struct chg_scope *s, enum chg_op op);

/* One side of a comparison: a commit (or a branch head) and its chain. */
struct chg_point {
	struct commit_rec head;          /* the commit the read sees          */
	struct layer_chain chain;
	const struct lang_catalog *cat;  /* the catalog readable at `head`    */
	char branch[BRANCH_NAME_MAX + 1];/* the branch read, or the commit's  */
};

/* Resolve a target (branch head or commit; NULL: main) inside `txn`. */
int chg_point_target(struct chg_point *out, grove_db *db, MDB_txn *txn, const grove_target *t);
/* The read of commit `c` itself. */
int chg_point_commit(struct chg_point *out, grove_db *db, MDB_txn *txn, const struct commit_rec *c);

#define CHG_SIDE_A 1u   /* the type exists in the `from` side's catalog */
#define CHG_SIDE_B 2u   /* ... in the `to` side's                        */

/* A candidate entity. */
struct chg_entity {
	const struct lang_cat_type *t;
	uint64_t entity;                 /* internal id                        */
	const char *id;                  /* user id, in the txn's memory       */
	uint32_t id_len;
	unsigned sides;                  /* CHG_SIDE_* where its type exists   */
};

struct chg_list {
	struct chg_entity *v;
	size_t n, cap;
};

/* The entities that may differ between chains a and b, restricted to the
 * scope's kinds and types, each once, with their user ids, typed by the
 * catalog in force only (types it lacks are left out; sides = both).
 * More than `max` of them: GROVE_ELIMIT (resource "change_entities"). */
int chg_candidates(struct chg_list *out, grove_db *db, MDB_txn *txn, const struct layer_chain *a,
		   const struct layer_chain *b, const struct chg_scope *s, size_t max);
/* The same between two points, following the schema's history (above):
 * what diffs and commit blocks use. */
int chg_candidates_at(struct chg_list *out, grove_db *db, MDB_txn *txn, const struct chg_point *a,
		      const struct chg_point *b, const struct chg_scope *s, size_t max);
/* The same without user ids (id NULL), in (type id, entity) order: for
 * callers that name only the entities they use; chg_entity_name() names
 * one, chg_name_all() all (freeing the list on error). */
int chg_candidates_unnamed_at(struct chg_list *out, grove_db *db, MDB_txn *txn,
			      const struct chg_point *a, const struct chg_point *b,
			      const struct chg_scope *s, size_t max);
int chg_entity_name(struct chg_entity *e, grove_db *db, MDB_txn *txn);
int chg_name_all(struct chg_list *l, grove_db *db, MDB_txn *txn);
void chg_list_free(struct chg_list *l);

/* Kept candidate lists (chg_cache.c).  A block's list is bound to the
 * scope's kinds and types and to the reads of the commit (b) and its
 * parent (a): their commit and catalogs.  chg_cache_get() finds a kept
 * list, in the frozen group order, or NULL.  chg_cache_put() keeps l
 * (taking it: l is emptied) unless the same list is kept already or
 * memory is short: then it returns NULL, *ref is NULL and the caller
 * still owns l.  A list found or put is held (*ref) until
 * chg_cache_release(); `done` (the block's last change was delivered)
 * drops it. */
struct chg_cached;
struct chg_key {
	const struct chg_point *a, *b;
	const struct chg_scope *s;
};
const struct chg_list *chg_cache_get(struct chg_cached **ref, grove_db *db, const struct chg_key *k);
const struct chg_list *chg_cache_put(struct chg_cached **ref, grove_db *db, const struct chg_key *k,
				     struct chg_list *l);
void chg_cache_release(grove_db *db, struct chg_cached *ref, bool done);
/* A group of a held list, from l.v[lo], named and in id order, kept with
 * the list: chg_cache_named() finds it (*n entities) or NULL;
 * chg_cache_named_put() keeps v (n entities whose ids live in v's block;
 * taken) unless one is kept already, and returns the kept one (NULL and v
 * freed when memory is short). */
const struct chg_entity *chg_cache_named(grove_db *db, struct chg_cached *ref, size_t lo, size_t *n);
const struct chg_entity *chg_cache_named_put(grove_db *db, struct chg_cached *ref, size_t lo,
					     struct chg_entity *v, size_t *n);
void chg_cache_free(grove_db *db);

/* By table key ("edge:..." before "node:...", then name, then identity)
 * and id: the net diff's order. */
void chg_sort_by_table(struct chg_list *l);
/* The frozen order of commit blocks (nodes before edges, type id, id) as
 * a comparison of one (named) entity with a position. */
int chg_frozen_cmp(const struct chg_entity *e, unsigned kind_rank, uint32_t type_id,
		   const char *id, uint32_t id_len);

/* The visible rows of e in chains a (before) and b (after); mv_data NULL
 * for absent (also on a side e->sides lacks).  *op: what
 * happened between them (CHG_NONE: equal). */
struct chg_rows {
	MDB_val before, after;
};
int chg_classify(enum chg_op *op, struct chg_rows *rows, grove_db *db, MDB_txn *txn,
		 const struct layer_chain *a, const struct layer_chain *b,
		 const struct chg_entity *e);

/* GROVE_EBOUNDARY (naming the type and the commit `id`) when the reads a
 * (the parent) and b (the commit) see different columns of a type with
 * rows (chg_boundary.c); else 0. */
int chg_schema_boundary(grove_db *db, MDB_txn *txn, const struct chg_point *a, const struct chg_point *b,
			const char *id);

/* Unpack a stored row of t into *up (msgpack_unpacked_destroy() it, also
 * on error) and view it. */
struct value_row;
int chg_row_view(struct value_row *r, msgpack_unpacked *up, grove_db *db,
		 const struct lang_cat_type *t, const MDB_val *row);

/* "node:Person" / "edge:Knows" into buf (cap bytes, truncated). */
void chg_type_key(char *buf, size_t cap, const struct lang_cat_type *t);

static inline unsigned chg_kind_rank(const struct lang_cat_type *t)
{
	return t->kind == LANG_CAT_EDGE ? 1u : 0u;
}

#endif
