/*
 * load.h — planning a JSONL load (spec §8): turning records into the
 * effects of one commit, validated against the branch's newest state.
 * Private to engine/.
 */
#ifndef GROVE_ENGINE_LOAD_H
#define GROVE_ENGINE_LOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/idset.h"
#include "engine/jsonl.h"
#include "engine/value.h"
#include "index/arena.h"
#include "log/event.h"

/* One entity of the input, as it will be written. */
struct load_item {
	const struct lang_cat_type *t;
	const char *id, *src, *dst;      /* into `row` (not NUL-terminated) */
	uint32_t id_len, src_len, dst_len;
	uint8_t *row;                    /* the packed row (index/row.h)    */
	uint32_t row_len;
	unsigned long record, line;
	bool dead;                       /* replaced by a later duplicate   */
	bool fresh;                      /* its id was made for it here (a
					  * new ULID, 80 random bits): no
					  * other record or entity has it   */
};

/* What a constraint violation broke, for load_plan.on_violation. */
enum load_violation_kind {
	LOAD_VIOLATION_UNIQUE,       /* @unique: id is the offending entity  */
	LOAD_VIOLATION_CARD,         /* @card of edge type t: no entity       */
	LOAD_VIOLATION_ORPHAN,       /* edge id of type t lost an endpoint    */
};

struct load_violation {
	enum load_violation_kind kind;
	const struct lang_cat_type *t;
	const char *id;              /* NULL: none                          */
	size_t id_len;
};

struct load_ask;   /* load_endpoints.c */

struct load_plan {
	grove_db *db;
	int mode;                        /* GROVE_LOAD_*                    */
	int strict;
	bool restage;                    /* mutations: a later put of the same
					  * keyed id replaces the earlier one */
	bool uncapped;                   /* branch merges: no keyed-entity cap
					  * (it limits one input, not history) */
	bool final_values;               /* mutations: enum, @range and @check
					  * judge each entity's final row
					  * (load_finish), not every put */
	/* Branch merges: each constraint violation of the final image (an
	 * orphan edge, @unique, @card) is handed here once its message is
	 * set, and the checks go on, so that every one is reported; 0 goes
	 * on, < 0 stops.  NULL: the first one fails. */
	int (*on_violation)(void *arg, int err, const struct load_violation *v);
	void *violation_arg;
	struct load_item *items;         /* index/hugemem.h                 */
	size_t nitems, capitems;
	struct arena rows;               /* the items' rows                 */
	struct idset input;              /* (type, id) -> item index        */
	struct idset deleted;            /* (type, id) of entities removed  */
	struct idset legacy;             /* legacy id spelling -> item      */
	msgpack_sbuffer scratch;         /* rows are built here, then copied */
	msgpack_sbuffer slots;           /* ... from their values, packed here */
	msgpack_zone zone;               /* a row's objects while it is checked */
	struct idset known;              /* (type, id) -> its question to the
					  * branch (load_endpoints.c)       */
	struct load_ask *asks;           /* its questions and their answers */
	struct event_id_hints hints;     /* the answers, for a huge apply   */
	bool *present;                   /* by type id: the input has rows  */
	const struct value_validator **validators; /* by type id, lazily
					  * (engine_validator)              */
	struct event_effect *fx;
	size_t nfx, capfx;
	uint8_t **del_rows;              /* [id] rows of delete effects     */
	size_t ndel_rows;
	uint64_t nodes, edges;           /* counts for the result           */
	uint64_t *loaded;                /* by type id, when a report is asked
					  * (load_run.c); else NULL         */
	struct value_error verr;
	/* Last, and not cleared by init: its layer chain is 4 KiB that
	 * read_at_open writes before anything reads it. */
	struct read_at at;               /* the branch as it is now         */
};

/* load.c */
int load_plan_init(struct load_plan *p, grove_db *db, int mode, int strict);
void load_plan_free(struct load_plan *p);
/* A record becomes an item (its row built and checked). */
int load_add_node(struct load_plan *p, const struct jsonl_record *rec);
int load_add_edge(struct load_plan *p, const struct jsonl_record *rec);
/* After the last record: edges that named a keyed node by a legacy
 * spelling of its id (spec §8.2) get the canonical id. */
int load_fix_legacy_ids(struct load_plan *p);

/* Stage a built row (index/row.h) of `t`: constraints checked, the item
 * owns sb's bytes afterwards.  For mutations. */
int load_put_row(struct load_plan *p, const struct lang_cat_type *t, msgpack_sbuffer *sb,
		 unsigned long statement);

/* The staged item of (t, id), or NULL. */
static inline struct load_item *load_staged(struct load_plan *p, const struct lang_cat_type *t,
					    const char *id, uint32_t len)
{
	int64_t i = idset_get(&p->input, t->id, id, len);
	return i >= 0 && !p->items[i].dead ? &p->items[i] : NULL;
}

/* load_check.c: the checks of spec §8.3-8.4 against the branch; then the
 * effects in apply order (node puts, edge changes, node deletes). */
int load_finish(struct load_plan *p);
/* The value rules (enum, @range, @check) on every row still in the plan:
 * load_finish's, for a plan with final_values. */
int load_final_values(struct load_plan *p);

/* A constraint violation `err` (its message set), described by `v`: the
 * plan's on_violation's answer, or err when it has none. */
int load_violation(struct load_plan *p, int err, const struct load_violation *v);

/* Does (t, id) exist on the branch as it is now (before this load)? */
/* Every live edge's endpoints exist once the load is applied, or
 * GROVE_EINVAL naming the first edge (in input order) whose do not
 * (load_endpoints.c). */
int load_edge_endpoints(struct load_plan *p);

int load_exists_now(struct load_plan *p, const struct lang_cat_type *t, const char *id,
		    uint32_t len, MDB_val *row);

/* Is `it` an edge whose id this load made, logged EFFECT_FRESH_ID
 * (log/event.h) and never looked up?  Nothing else names such an id
 * (keep_item); not a node's (it may be an endpoint), nor a mutation's or
 * merge's restaged item, which later statements may find and write. */
static inline bool load_fresh_edge(const struct load_plan *p, const struct load_item *it)
{
	return it->t->kind == LANG_CAT_EDGE && it->fresh && !p->restage;
}

#endif
