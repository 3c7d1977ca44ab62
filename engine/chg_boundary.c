/*
 * chg_boundary.c — whether a commit crosses a schema boundary (engine
 * §4.4): a commit that changed the schema of a type it touches (a schema
 * apply adding or dropping a type with rows, or a property of one) has no
 * entity changes it can prove, and its change block is refused with
 * OmniGraph's ChangeSchemaBoundary, whatever the scope.
 */
#include <stdio.h>
#include <string.h>

#include "engine/chg.h"
#include "engine/schema_hist.h"
#include "index/layered.h"

/* Upstream's ChangeSchemaBoundary text, and why; the info names the type
 * (type_key "node:T" / "edge:T") and the commit (entity_id). */
static int boundary_error(grove_db *db, const char *id, const struct lang_cat_type *t)
{
	char key[300];
	snprintf(key, sizeof key, "%s:%s", t->kind == LANG_CAT_EDGE ? "edge" : "node", t->name);
	return db_error_entity(db, db_error(db, GROVE_EBOUNDARY, "entity changes for commit '%s' cross "
					    "an unprovable schema boundary at type '%s' (schema_boundary: "
					    "the commit changes the schema of a type it touches)", id, t->name),
			       key, id, strlen(id));
}

/* Do a's and b's versions of one type store different columns: a
 * property added, dropped or renamed, or its stored type or nullability
 * changed (OmniGraph's schema fingerprint: name, type, nullability, id)?
 * An enum widened keeps them (enums are stored as strings). */
static bool columns_differ(const struct lang_cat_type *a, const struct lang_cat_type *b)
{
	if (a->n_props != b->n_props)
		return true;
	for (uint32_t i = 0; i < a->n_props; i++) {
		const struct lang_cat_property *p = &a->props[i], *q = NULL;
		for (uint32_t j = 0; j < b->n_props && q == NULL; j++)
			q = b->props[j].id == p->id ? &b->props[j] : NULL;
		if (q == NULL || strcmp(p->name, q->name) || p->type.scalar != q->type.scalar ||
		    p->type.list != q->type.list || p->type.nullable != q->type.nullable ||
		    p->type.vector_dim != q->type.vector_dim)
			return true;
	}
	return false;
}

/* Does `t` hold a row at point p? */
static int has_rows(grove_db *db, MDB_txn *txn, const struct chg_point *p, const struct lang_cat_type *t)
{
	uint8_t prefix[4];
	struct layered_iter it;
	layered_be32(prefix, t->id);
	int err = layered_open(&it, txn, db->views->rows, &p->chain, prefix, sizeof prefix, NULL, 0);
	if (err < 0)
		return db_error(db, err, NULL);
	err = layered_next(&it);
	layered_close(&it);
	return err == 0 ? 1 : err == GROVE_ENOTFOUND ? 0 : db_error(db, err, NULL);
}

/* Does type t of one side's catalog hold rows at that side's point and
 * not exist as such on the other (other_cat; NULL: look it up there)? */
static int side_only(grove_db *db, MDB_txn *txn, const struct chg_point *p, const struct lang_catalog *other,
		     const struct lang_cat_type *t)
{
	return engine_cat_type_by_id(other, t->kind, t->id) ? 0 : has_rows(db, txn, p, t);
}

int chg_schema_boundary(grove_db *db, MDB_txn *txn, const struct chg_point *a, const struct chg_point *b,
			const char *id)
{
	if (a->cat == b->cat)
		return 0;
	for (int pass = 0; pass < 4; pass++) {
		/* 0, 1: b's nodes and edges (changed or added); 2, 3: a's (dropped) */
		const struct lang_catalog *cat = pass < 2 ? b->cat : a->cat;
		const struct lang_cat_type *ts = pass % 2 ? cat->edges : cat->nodes;
		uint32_t n = pass % 2 ? cat->n_edges : cat->n_nodes;
		for (uint32_t i = 0; i < n; i++) {
			int rows;
			if (pass >= 2) {
				rows = side_only(db, txn, a, b->cat, &ts[i]);
			} else {
				const struct lang_cat_type *was =
					engine_cat_type_by_id(a->cat, ts[i].kind, ts[i].id);
				/* A type whose columns changed was rewritten, rows or
				 * none; a type added counts when it holds rows. */
				rows = was == NULL ? has_rows(db, txn, b, &ts[i]) : columns_differ(was, &ts[i]);
			}
			if (rows != 0)
				return rows < 0 ? rows : boundary_error(db, id, &ts[i]);
		}
	}
	return 0;
}

