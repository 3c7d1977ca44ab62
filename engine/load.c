/*
 * load.c — turning JSONL records into rows (spec §8.1-8.2): property
 * values converted by declared type, ids made canonical, per-row
 * constraints checked, duplicates within the input resolved.  The checks
 * that need the branch are in load_check.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/jsonl.h"
#include "engine/load.h"
#include "index/apply.h"
#include "index/hugemem.h"
#include "log/commit_id.h"
#include "log/error.h"
#include "log/log.h"

static int fail(struct load_plan *p, int err, unsigned long record, unsigned long line)
{
	if (record)
		db_error(p->db, err, "%s (record %lu, line %lu)", p->verr.msg, record, line);
	else
		db_error(p->db, err, "%s", p->verr.msg);
	if (p->verr.resource[0])
		db_error_limit(p->db, err, p->verr.resource, p->verr.limit, p->verr.actual);
	return err;
}

/* Zero the plan but for the read's layer chain (see load.h). */
static void plan_clear(struct load_plan *p)
{
	memset(p, 0, offsetof(struct load_plan, at));
	p->at.txn = NULL;
	p->at.views = NULL;
	p->at.chain.n = 0;
	p->at.cat = NULL;
}

int load_plan_init(struct load_plan *p, grove_db *db, int mode, int strict)
{
	uint32_t ntypes = db->cat->next_type_id + 1;

	plan_clear(p);
	p->db = db;
	p->mode = mode;
	p->strict = strict;
	idset_init(&p->input);
	idset_init(&p->deleted);
	idset_init(&p->legacy);
	idset_init(&p->known);
	msgpack_sbuffer_init(&p->scratch);
	msgpack_sbuffer_init(&p->slots);
	msgpack_zone_init(&p->zone, 2048);
	p->present = calloc(ntypes, sizeof *p->present);
	p->validators = calloc(ntypes, sizeof *p->validators);
	if (!p->present || !p->validators) {
		load_plan_free(p);
		return db_error(db, -ENOMEM, "out of memory");
	}
	return 0;
}

void load_plan_free(struct load_plan *p)
{
	arena_free(&p->rows);
	for (size_t i = 0; i < p->ndel_rows; i++)
		free(p->del_rows[i]);
	hugemem_free(p->items, p->capitems * sizeof *p->items);
	free(p->del_rows);
	hugemem_free(p->fx, p->capfx * sizeof *p->fx);
	free(p->present);
	free(p->loaded);
	free(p->validators);
	idset_free(&p->input);
	idset_free(&p->deleted);
	idset_free(&p->legacy);
	idset_free(&p->known);
	free(p->asks);
	msgpack_sbuffer_destroy(&p->scratch);
	msgpack_sbuffer_destroy(&p->slots);
	msgpack_zone_destroy(&p->zone);
	read_at_close(&p->at);
	plan_clear(p);
}

static const struct value_validator *validator(struct load_plan *p, const struct lang_cat_type *t)
{
	if (!p->validators[t->id])
		p->validators[t->id] = engine_validator(p->db, t, &p->verr);
	return p->validators[t->id];
}

/* A fresh ULID for an entity without an id: time from the clock, the
 * random part from this thread's pool (commit_id.c). */
static int fresh_id(void *arg, char *out)
{
	struct commit_id u;
	struct timespec ts;
	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	int err = commit_id_new(&u, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	if (err < 0)
		return err;
	commit_id_format(out, &u);
	return 0;
}

/* Bytes of a log record besides one row: the event's own fields and the
 * effect's (engine/sequencer.c checks the exact size before logging). */
#define LOAD_RECORD_FRAMING 4096u

/* The item's row, unpacked into the plan's zone (emptied for each row: a
 * zone of its own per row (msgpack_unpacked) cost a malloc and a free for
 * every record). */
static int view_item(struct value_row *row, struct load_plan *p, const struct load_item *it)
{
	msgpack_object obj;
	msgpack_zone_clear(&p->zone);
	if (value_row_unpack(&obj, it->row, it->row_len, &p->zone) < 0)
		return value_error_set(&p->verr, GROVE_ECORRUPT, NULL, "a built row does not decode");
	return value_row_view(row, &obj, it->t, &p->verr);
}

/* Unpack a built row, check its constraints, and point the item's id (and
 * endpoints) into it. */
static int adopt_row(struct load_plan *p, struct load_item *it, msgpack_sbuffer *sb)
{
	const struct value_validator *v = validator(p, it->t);
	struct value_row row;
	int err;

	if (!v)
		return GROVE_EINVAL;
	/* A row travels in one log record: one that cannot is refused here,
	 * naming its record, rather than by the log (a row can be far larger
	 * than its JSON: an F64 list element is 2 bytes there, 9 here). */
	uint32_t max = log_max_record_bytes(p->db->log);
	if (sb->size + LOAD_RECORD_FRAMING > max)
		return value_error_set(&p->verr, GROVE_ETOOBIG, NULL,
				       "%s %s: its stored row of %zu bytes does not fit one log record "
				       "(at most %u bytes with its framing; log_max_record_bytes)",
				       it->t->kind == LANG_CAT_EDGE ? "edge" : "node", it->t->name,
				       sb->size, max);
	/* An exact-size copy: sbuffers grow in 8 KiB steps, and a load holds
	 * every row until it commits (all freed at once: an arena). */
	if (!(it->row = arena_alloc(&p->rows, sb->size)))
		return value_error_set(&p->verr, -ENOMEM, NULL, "out of memory");
	memcpy(it->row, sb->data, sb->size);
	it->row_len = (uint32_t)sb->size;
	sb->size = 0; /* the caller may reuse the buffer */
	if ((err = view_item(&row, p, it)) < 0 ||
	    (!p->final_values && (err = value_validate(v, &row, &p->verr)) < 0))
		return err;
	/* The row's strings point into the buffer, which the item keeps. */
	it->id = row.id;
	it->id_len = row.id_len;
	it->src = row.src;
	it->src_len = row.src_len;
	it->dst = row.dst;
	it->dst_len = row.dst_len;
	return err;
}

int load_final_values(struct load_plan *p)
{
	for (size_t i = 0; i < p->nitems; i++) {
		struct load_item *it = &p->items[i];
		const struct value_validator *v;
		struct value_row row;
		int err;

		if (it->dead)
			continue;
		if (!(v = validator(p, it->t)))
			err = GROVE_EINVAL;
		else if ((err = view_item(&row, p, it)) == 0)
			err = value_validate(v, &row, &p->verr);
		if (err < 0)
			return db_error(p->db, err, "%s", p->verr.msg);
	}
	return 0;
}

/* A composite key's id (`["x","7"]`, spec §8.2) as messages show its
 * tuple: `(x, 7)`, as OmniGraph's format_tuple.  Into buf (cut short if
 * need be); the id itself if it is not such an array. */
static const char *key_tuple(char *buf, size_t cap, const char *id, size_t len)
{
	json_t *a = json_loadb(id, len, 0, NULL);
	size_t n = 0;
	if (!json_is_array(a)) {
		json_decref(a);
		snprintf(buf, cap, "%.*s", (int)len, id);
		return buf;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *m = json_string_value(json_array_get(a, i));
		n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", i ? ", " : "(",
				      m ? m : "");
	}
	if (n < cap)
		snprintf(buf + n, cap - n, ")");
	json_decref(a);
	return buf;
}

static int keyed_duplicate(struct load_plan *p, const struct load_item *it,
			   const struct load_item *prev)
{
	const struct lang_cat_type *t = it->t;
	char cols[256] = "", value[512];
	size_t n = 0;
	for (uint32_t i = 0; i < t->key.n; i++)
		n += (size_t)snprintf(cols + n, n < sizeof cols ? sizeof cols - n : 0, "%s%s",
				      i ? ", " : "", t->key.columns[i]);
	if (t->key.n > 1)
		return value_error_set(&p->verr, GROVE_EINVAL, t->key.columns[0],
				       "@unique violation on %s.(%s): value '%s' held by '%.*s' and '%.*s'",
				       t->name, cols, key_tuple(value, sizeof value, it->id, it->id_len),
				       (int)prev->id_len, prev->id, (int)it->id_len, it->id);
	return value_error_set(&p->verr, GROVE_EINVAL, t->key.columns[0],
			       "@unique violation on %s.%s: value '%.*s' held by '%.*s' and '%.*s'",
			       t->name, cols, (int)it->id_len, it->id, (int)prev->id_len, prev->id,
			       (int)it->id_len, it->id);
}

static int unkeyed_duplicate(struct load_plan *p, const struct load_item *it)
{
	const char *kind = it->t->kind == LANG_CAT_EDGE ? "edge" : "node";
	char key[256];
	snprintf(key, sizeof key, "%s:%s", kind, it->t->name);
	db_error(p->db, GROVE_EKEYCONFLICT, "%s type '%s' already has this id: %s '%.*s' (record %lu, line %lu)",
		 kind, it->t->name, key, (int)it->id_len, it->id, it->record, it->line);
	return db_error_entity(p->db, GROVE_EKEYCONFLICT, key, it->id, it->id_len);
}

static int grow_items(struct load_plan *p)
{
	if (p->nitems < p->capitems)
		return 0;
	size_t cap = p->capitems ? p->capitems * 2 : 1024;
	struct load_item *v = hugemem_realloc(p->items, p->capitems * sizeof *v, cap * sizeof *v);
	if (!v)
		return db_error(p->db, -ENOMEM, "out of memory");
	p->items = v;
	p->capitems = cap;
	return 0;
}

/* Register item p->items[p->nitems] as part of the input. */
static int keep_item(struct load_plan *p, struct load_item *it)
{
	p->nitems++;
	p->present[it->t->id] = true;
	/* Nothing can name an edge by an id made for it here, nor repeat
	 * it: the input set, whose lookups find records and committed
	 * entities by id, need not hold it (2M such edges: ~1 s of inserts
	 * into a table far larger than the caches).  A mutation's staged
	 * items are found by id (load_staged) and all stay. */
	if (it->fresh && !p->restage)
		return 0;
	int64_t prev = idset_get(&p->input, it->t->id, it->id, it->id_len);
	if (prev >= 0) {
		if (it->t->kind == LANG_CAT_NODE && it->t->has_key && !p->restage)
			return fail(p, keyed_duplicate(p, it, &p->items[prev]), it->record, it->line);
		/* An unkeyed id given twice: the last wins in a merge (also a
		 * mutation's or a branch merge's restaging); append and
		 * overwrite refuse it as the key conflict it is (spec §8.3). */
		if (!p->restage && p->mode != GROVE_LOAD_MERGE)
			return unkeyed_duplicate(p, it);
		p->items[prev].dead = true;
	}
	if (idset_put(&p->input, it->t->id, it->id, it->id_len, (uint32_t)(p->nitems - 1)) < 0)
		return db_error(p->db, -ENOMEM, "out of memory");
	return 0;
}

/* An explicit id of `it` spelled the legacy way: edges of this input
 * naming it are rewritten to `it`'s canonical id, so one spelling may not
 * name two nodes (OmniGraph refuses it even when no edge uses it). */
static int remember_legacy(struct load_plan *p, struct load_item *it, const char *given, uint32_t len)
{
	int64_t was = idset_get(&p->legacy, it->t->id, given, len);
	if (was >= 0 && (p->items[was].id_len != it->id_len ||
			 memcmp(p->items[was].id, it->id, it->id_len) != 0))
		return value_error_set(&p->verr, GROVE_EINVAL, "id",
				       "node %s explicit id '%.*s' maps to both canonical @key ids '%.*s' and "
				       "'%.*s'; refusing ambiguous edge endpoint remap", it->t->name, (int)len, given,
				       (int)p->items[was].id_len, p->items[was].id, (int)it->id_len, it->id);
	if (idset_put(&p->legacy, it->t->id, given, len, (uint32_t)p->nitems) < 0)
		return value_error_set(&p->verr, -ENOMEM, NULL, "out of memory");
	return 0;
}

int load_add_node(struct load_plan *p, const struct jsonl_record *rec)
{
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = p, .scratch = &p->slots };
	struct jsonl_ids ids = { 0 };
	int err;

	if ((err = grow_items(p)) < 0)
		return err;
	struct load_item *it = &p->items[p->nitems];
	*it = (struct load_item){ .t = rec->type, .record = rec->record, .line = rec->line };
	p->scratch.size = 0;
	err = jsonl_node_row(&p->scratch, &ids, rec, &o, &p->verr);
	if (!err)
		err = adopt_row(p, it, &p->scratch);
	if (!err && ids.given)
		err = remember_legacy(p, it, ids.given, (uint32_t)ids.given_len);
	jsonl_ids_free(&ids);
	if (err < 0)
		return fail(p, err, rec->record, rec->line);
	return keep_item(p, it);
}

int load_put_row(struct load_plan *p, const struct lang_cat_type *t, msgpack_sbuffer *sb,
		 unsigned long statement)
{
	int err;
	if ((err = grow_items(p)) < 0)
		return err;
	struct load_item *it = &p->items[p->nitems];
	*it = (struct load_item){ .t = t, .record = statement };
	if ((err = adopt_row(p, it, sb)) < 0)
		return db_error(p->db, err, "%s", p->verr.msg);
	return keep_item(p, it);
}

/* A keyed node id spelled the legacy way in this input -> canonical. */
static char *canonical(struct load_plan *p, uint32_t type, const char *id, uint32_t len)
{
	int64_t i = idset_get(&p->legacy, type, id, len);
	return i >= 0 ? strndup(p->items[i].id, p->items[i].id_len) : NULL;
}

int load_add_edge(struct load_plan *p, const struct jsonl_record *rec)
{
	struct jsonl_row_opts o = { .fresh_id = fresh_id, .fresh_id_arg = p, .scratch = &p->slots };
	struct jsonl_ids ids = { 0 };
	int err;

	if ((err = grow_items(p)) < 0)
		return err;
	struct load_item *it = &p->items[p->nitems];
	*it = (struct load_item){ .t = rec->type, .record = rec->record, .line = rec->line };
	p->scratch.size = 0;
	err = jsonl_edge_row(&p->scratch, &ids, rec, rec->from, rec->to, &o, &p->verr);
	if (!err)
		err = adopt_row(p, it, &p->scratch);
	it->fresh = ids.fresh != 0;
	jsonl_ids_free(&ids);
	if (err < 0)
		return fail(p, err, rec->record, rec->line);
	return keep_item(p, it);
}

/* Rebuild an edge row whose endpoint names a keyed node by a legacy
 * spelling of its id: [id, src, dst, slots...] with canonical endpoints. */
static int rewrite_edge(struct load_plan *p, struct load_item *it, const char *src,
			const char *dst)
{
	msgpack_unpacked up;
	msgpack_packer pk;
	size_t off = 0;
	int err;

	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)it->row, it->row_len, &off) != MSGPACK_UNPACK_SUCCESS) {
		msgpack_unpacked_destroy(&up);
		return db_error(p->db, GROVE_ECORRUPT, "a built row does not decode");
	}
	const msgpack_object_array *a = &up.data.via.array;
	p->scratch.size = 0;
	msgpack_packer_init(&pk, &p->scratch, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, a->size);
	msgpack_pack_object(&pk, a->ptr[0]);
	msgpack_pack_str_with_body(&pk, src, strlen(src));
	msgpack_pack_str_with_body(&pk, dst, strlen(dst));
	for (uint32_t i = 3; i < a->size; i++)
		msgpack_pack_object(&pk, a->ptr[i]);
	msgpack_unpacked_destroy(&up);
	err = adopt_row(p, it, &p->scratch); /* the old row stays in the arena */
	if (err < 0)
		return fail(p, err, it->record, it->line);
	/* adopt_row re-pointed the id; the input set keys on its bytes, which
	 * the set copied, so nothing else changes. */
	return 0;
}

int load_fix_legacy_ids(struct load_plan *p)
{
	if (!p->legacy.n)
		return 0;
	for (size_t i = 0; i < p->nitems; i++) {
		struct load_item *it = &p->items[i];
		if (it->dead || it->t->kind != LANG_CAT_EDGE)
			continue;
		char *src = canonical(p, it->t->from_id, it->src, it->src_len);
		char *dst = canonical(p, it->t->to_id, it->dst, it->dst_len);
		int err = 0;
		if (src || dst) {
			char *s2 = src ? src : strndup(it->src, it->src_len);
			char *d2 = dst ? dst : strndup(it->dst, it->dst_len);
			err = s2 && d2 ? rewrite_edge(p, it, s2, d2) : db_error(p->db, -ENOMEM, "out of memory");
			free(s2);
			free(d2);
		}
		if (err < 0)
			return err;
	}
	return 0;
}
