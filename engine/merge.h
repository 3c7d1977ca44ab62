/*
 * merge.h — three-way merge (engine §3).  Private to engine/.
 */
#ifndef GROVE_ENGINE_MERGE_H
#define GROVE_ENGINE_MERGE_H

#include <stddef.h>

#include "engine/engine.h"

struct merge_conflict {
	const struct lang_cat_type *t;
	char *id;                 /* NULL: the conflict names no entity */
	char kind[32];            /* divergent_insert, orphan_edge, ... */
	char message[384];
};

struct merge_conflicts {
	struct merge_conflict *v;
	size_t n, cap;
};

int merge_conflict_add(struct merge_conflicts *c, const struct lang_cat_type *t, const char *id,
		       size_t id_len, const char *kind, const char *msg);
void merge_conflicts_free(struct merge_conflicts *c);

int merge_base(struct commit_rec *out, grove_db *db, MDB_txn *txn, const struct commit_id *a,
	       const struct commit_id *b);

#endif
