/*
 * lang/evolve_int.h — what the identity resolution (catalog_evolve.c)
 * hands the planner (catalog_plan.c).  Private to lang/.
 */
#ifndef GROVE_LANG_EVOLVE_INT_H
#define GROVE_LANG_EVOLVE_INT_H

#include "lang/evolve.h"

/* Which accepted declaration each desired one took its identity from
 * (NULL: a new identity).  Indexed by enum lang_cat_kind, then by the
 * desired type's index in its kind's array; props[k][i] is parallel to
 * that type's props array. */
struct evolve_match {
	const struct lang_cat_type **types[4];
	const struct lang_cat_property ***props[4];
};

/* The kind's array of types in `cat` (sorted by name) and its length. */
const struct lang_cat_type *evolve_types_of(const struct lang_catalog *cat, enum lang_cat_kind kind,
                                            uint32_t *n);

/* Append the steps taking `old` to `cat` (identities in `m`) to `plan`.
 * Returns 0, or -1 when out of memory. */
int evolve_plan(struct lang_plan *plan, const struct lang_catalog *old, const struct lang_catalog *cat,
                const struct evolve_match *m);

#endif /* GROVE_LANG_EVOLVE_INT_H */
