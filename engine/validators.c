/*
 * engine/validators.c — compiled row validators (value.h), one per
 * catalog type, kept for the handle's life.
 *
 * A validator compiles its type's @check patterns (PCRE2).  Made per
 * plan, every mutation of a type with a pattern compiled it again:
 * ~21 us of CPU on a one-node insert (83 -> 104 us, measured).  Catalog
 * types live until the handle closes (engine/schema_hist.h keeps retired
 * catalogs), so a type's address identifies it; pcre2_match on a compiled
 * pattern is safe from many threads at once.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/value.h"

struct validator_entry {
	const struct lang_cat_type *t;
	struct value_validator v;
	struct validator_entry *next;
};

const struct value_validator *engine_validator(grove_db *db, const struct lang_cat_type *t,
					       struct value_error *err)
{
	struct validator_entry *e;
	pthread_mutex_lock(&db->validators_mu);
	for (e = db->validators; e && e->t != t; e = e->next)
		;
	if (!e && (e = malloc(sizeof *e)) != NULL) {
		/* Compiled under the lock: once per type and handle. */
		if (value_validator_init(&e->v, t, err) < 0) {
			free(e);
			e = NULL;
		} else {
			e->t = t;
			e->next = db->validators;
			db->validators = e;
		}
	} else if (!e) {
		value_error_set(err, -ENOMEM, NULL, "out of memory");
	}
	pthread_mutex_unlock(&db->validators_mu);
	return e ? &e->v : NULL;
}

void engine_validators_free(grove_db *db)
{
	while (db->validators) {
		struct validator_entry *e = db->validators;
		db->validators = e->next;
		value_validator_fini(&e->v);
		free(e);
	}
}
