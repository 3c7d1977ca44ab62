/*
 * mutate.h — .gq mutation queries (spec §3.12, engine §5): statements
 * staged in a load plan with read-your-writes, checked on the final image,
 * logged as one event, one commit.  Private to engine/.
 */
#ifndef GROVE_ENGINE_MUTATE_H
#define GROVE_ENGINE_MUTATE_H

#include <jansson.h>
#include <msgpack.h>

#include "engine/load.h"
#include "lang/ir.h"

struct mutation {
	struct load_plan plan;           /* staged puts and deletes          */
	const struct gq_ir_query *ir;
	const json_t *params;            /* an object (maybe empty)          */
	int64_t now_ms;                  /* now(), fixed for the whole query */
	uint64_t affected_nodes, affected_edges;
};

/* Pack the value of a LIT / PARAM / NOW expression for a property of type
 * `t` (stored form, index/row.h).  Errors name the property. */
int mutate_value(struct mutation *m, msgpack_packer *pk, const struct gq_ir_expr *e,
		 const struct lang_type *t, const char *prop);

/* mutate.c: compile mutation `name` of `src` (a reference from the
 * handle's cache, engine/prepared.h; a query mixing inserts/updates with
 * deletes is refused), and run one with parsed parameters.  The event
 * records `src`, `name` and `params_json` (may be NULL). */
struct prepared;
int mutate_compile(struct prepared **out, grove_db *db, const char *src, const char *name);
int mutate_run(char **out, grove_db *db, const grove_mutate_options *o, struct prepared *p,
	       const json_t *params, const char *src, const char *name, const char *params_json);

/* mutate_stmt.c: run one statement against the staged state. */
int mutate_statement(struct mutation *m, const struct gq_ir_mutation *st, unsigned long n);

#endif
