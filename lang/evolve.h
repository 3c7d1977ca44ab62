/*
 * lang/evolve.h — schema migration planning (spec §10): the catalog of a
 * desired .pg schema built *against* an accepted catalog, and the plan of
 * steps that takes one to the other.  Pure: no I/O.
 *
 * Identity (spec §10.1).  A desired type keeps the id of the accepted type
 * of the same kind and exact name; else, with @rename_from("old"), the id
 * of the accepted type of the same kind named `old`; else it takes a new id
 * from the accepted catalog's next_type_id.  Properties likewise under a
 * stable owner (a type that kept its id), new ones taking ids from the
 * owner's next_prop_id in alphabetical order of their names.  Ids are never
 * reused: next_type_id and next_prop_id only grow, so a type or property
 * dropped and declared again is a new lifetime with a new id.  The engine
 * stores rows by these ids (index/row.h), which is why a rename needs no
 * data rewrite and why evolving must be deterministic: replay evolves the
 * catalog again from the same inputs and must find the same ids.
 *
 * The plan (spec §10.2-10.4) is a list of steps in the specified order,
 * with every unsupported change as an UNSUPPORTED step (the plan is then
 * not supported).  Drops are soft, or hard with allow_data_loss.
 */
#ifndef GROVE_LANG_EVOLVE_H
#define GROVE_LANG_EVOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "lang/arena.h"
#include "lang/catalog.h"
#include "lang/diag.h"

#define LANG_PREFIX_IDENTITY "schema identity resolution failed: "

/* Codes of the unsupported changes the planner attaches (spec §5.2). */
#define LANG_CODE_ADD_REQUIRED "OG-MF-103"   /* tier validated   */
#define LANG_CODE_TYPE_CHANGE  "OG-MF-106"   /* tier destructive */

enum lang_step_kind {
	LANG_STEP_ADD_TYPE = 1,
	LANG_STEP_RENAME_TYPE,
	LANG_STEP_ADD_PROPERTY,
	LANG_STEP_RENAME_PROPERTY,
	LANG_STEP_EXTEND_ENUM,
	LANG_STEP_ADD_CONSTRAINT,
	LANG_STEP_UPDATE_TYPE_METADATA,
	LANG_STEP_UPDATE_PROPERTY_METADATA,
	LANG_STEP_DROP_TYPE,
	LANG_STEP_DROP_PROPERTY,
	LANG_STEP_UNSUPPORTED,
};
#define LANG_STEP_KIND_MAX LANG_STEP_UNSUPPORTED

/* A metadata annotation a step sets (value NULL: removed). */
struct lang_step_annotation {
	const char *name;                  /* "description" or "instruction"  */
	const char *value;
};

/* One step.  Which fields are set depends on the kind (spec §10.2 table);
 * the rest are NULL / 0. */
struct lang_step {
	enum lang_step_kind kind;
	enum lang_cat_kind type_kind;      /* every kind but UNSUPPORTED       */
	uint32_t type_id;                  /* the type's identity (accepted id
	                                      for drops, else the desired one) */
	const char *name;                  /* ADD_TYPE, UPDATE_TYPE_METADATA,
	                                      DROP_TYPE: the type              */
	const char *type_name;             /* property steps, ADD_CONSTRAINT   */
	const char *property_name;         /* ADD/EXTEND/UPDATE/DROP property  */
	const char *property_type;         /* ADD_PROPERTY: display name       */
	const char *from, *to;             /* RENAME_*: old and new name       */
	uint32_t n_values;                 /* EXTEND_ENUM: values added,       */
	const char **values;               /*   sorted                         */
	const char *constraint;            /* ADD_CONSTRAINT: "@index(a, b)"   */
	uint32_t n_annotations;            /* UPDATE_*_METADATA                */
	struct lang_step_annotation *annotations;
	int hard;                          /* DROP_*: 1 hard, 0 soft           */
	const char *entity;                /* UNSUPPORTED: "node:T", "node:T.p" */
	const char *reason;
	const char *code;                  /* NULL: none                       */
};

struct lang_plan {
	struct lang_arena arena;           /* every string of the steps        */
	int supported;                     /* no UNSUPPORTED step              */
	int allow_data_loss;
	uint32_t n_steps, cap_steps;
	struct lang_step *steps;
};

/* Parse `src` (a .pg text) and evolve `accepted` into its catalog
 * (*out_cat) and the plan from one to the other (*out_plan).  Either
 * output may be NULL when not wanted.  Errors (-1, outputs NULL, diag set):
 * the schema's parse and catalog errors (spec §2.5, §2.6) and the identity
 * resolution errors of spec §10.1 ("schema identity resolution failed:
 * ...").  Deterministic: equal inputs give equal outputs. */
int lang_schema_evolve(struct lang_catalog **out_cat, struct lang_plan **out_plan,
                       const struct lang_catalog *accepted, const char *src, size_t len,
                       int allow_data_loss, struct lang_diag *diag);

void lang_plan_free(struct lang_plan *plan);

/* The first UNSUPPORTED step, or NULL. */
const struct lang_step *lang_plan_first_unsupported(const struct lang_plan *plan);

/* "add_type", ..., "unsupported_change" (the JSON `kind` tags). */
const char *lang_step_kind_name(enum lang_step_kind kind);
/* "interface", "node", "edge". */
const char *lang_cat_kind_name(enum lang_cat_kind kind);
/* The tier of a code ("validated", "destructive"), or NULL. */
const char *lang_code_tier(const char *code);

/* Renderers; each returns a malloc'd NUL-terminated string (NULL: out of
 * memory).  JSON: the array of steps, each an object with a snake-case
 * `kind` tag and the fields of spec §10.2.  Text: the lines of spec §10.5
 * ("schema plan for <uri>", "supported: yes|no", then "no schema changes"
 * or one "- <step>" line each), each ending in '\n'. */
char *lang_plan_steps_json(const struct lang_plan *plan);
char *lang_plan_text(const struct lang_plan *plan, const char *uri);
/* One step's text (what follows "- "), malloc'd. */
char *lang_step_text(const struct lang_step *step);

/*
 * The plan as it is logged with a schema apply (event.steps), msgpack:
 *
 *   ["grove.plan", 1, catalog_hash, allow_data_loss, [hard type id...],
 *    [step...]]
 *
 * catalog_hash (16 lowercase hex digits, a string so that JSON renderings
 * of the log keep every bit) is the caller's hash of the encoded evolved
 * catalog (replay
 * evolves again and must reproduce it); the hard type ids are the types
 * whose history before the apply a hard drop makes unreachable (a dropped
 * type, or the owner of a dropped property); each step is a map of the
 * JSON form's fields.  *out is malloc'd.
 */
int lang_plan_encode(void **out, size_t *out_len, const struct lang_plan *plan,
                     uint64_t catalog_hash);

/* Read back the header of an encoded plan: the hash and the hard type ids
 * (*ids malloc'd, NULL when none).  -1 when the bytes are not an encoded
 * plan. */
int lang_plan_decode_header(uint64_t *catalog_hash, uint32_t **ids, uint32_t *n_ids,
                            const void *buf, size_t len);

#endif /* GROVE_LANG_EVOLVE_H */
