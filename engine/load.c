/*
 * load.c — turning JSONL records into rows (spec §8.1-8.2): property
 * values converted by declared type, ids made canonical, per-row
 * constraints checked, duplicates within the input resolved.  The checks
 * that need the branch are in load_check.c.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/jsonl.h"
#include "engine/load.h"
#include "log/commit_id.h"
#include "log/error.h"

static int fail(struct load_plan *p, int err, unsigned long record, unsigned long line)
{
	if (record)
		return db_error(p->db, err, "%s (record %lu, line %lu)", p->verr.msg, record, line);
	return db_error(p->db, err, "%s", p->verr.msg);
}

int load_plan_init(struct load_plan *p, grove_db *db, int mode, int strict)
{
	uint32_t ntypes = db->cat->next_type_id + 1;

	memset(p, 0, sizeof *p);
	p->db = db;
	p->mode = mode;
	p->strict = strict;
	idset_init(&p->input);
	idset_init(&p->deleted);
	idset_init(&p->legacy);
	p->present = calloc(ntypes, sizeof *p->present);
	p->validators = calloc(ntypes, sizeof *p->validators);
	p->validator_ready = calloc(ntypes, sizeof *p->validator_ready);
	if (!p->present || !p->validators || !p->validator_ready) {
		load_plan_free(p);
		return db_error(db, -ENOMEM, "out of memory");
	}
	return 0;
}

void load_plan_free(struct load_plan *p)
{
	uint32_t ntypes = p->db->cat->next_type_id + 1;
	for (size_t i = 0; i < p->nitems; i++)
		free(p->items[i].row);
	for (size_t i = 0; i < p->ndel_rows; i++)
		free(p->del_rows[i]);
	for (uint32_t i = 0; p->validator_ready && i < ntypes; i++)
		if (p->validator_ready[i])
			value_validator_fini(&p->validators[i]);
	free(p->items);
	free(p->del_rows);
	free(p->fx);
	free(p->present);
	free(p->validators);
	free(p->validator_ready);
	idset_free(&p->input);
	idset_free(&p->deleted);
	idset_free(&p->legacy);
	for (size_t i = 0; i < p->nedges; i++) {
		free(p->edge_recs[i].from);
		free(p->edge_recs[i].to);
		json_decref(p->edge_recs[i].json);
	}
	free(p->edge_recs);
	read_at_close(&p->at);
	memset(p, 0, sizeof *p);
}

static struct value_validator *validator(struct load_plan *p, const struct lang_cat_type *t)
{
	if (!p->validator_ready[t->id]) {
		if (value_validator_init(&p->validators[t->id], t, &p->verr) < 0)
			return NULL;
		p->validator_ready[t->id] = true;
	}
	return &p->validators[t->id];
}

static int fresh_id(void *arg, char *out)
{
	struct commit_id u;
	struct timespec ts;
	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	int err = commit_id_new(&u, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	commit_id_format(out, &u);
	return err;
}

/* Unpack a built row, check its constraints, and point the item's id (and
 * endpoints) into it. */
static int adopt_row(struct load_plan *p, struct load_item *it, msgpack_sbuffer *sb)
{
	struct value_validator *v = validator(p, it->t);
	struct value_row row;
	msgpack_unpacked up;
	size_t off = 0;
	int err;

	if (!v)
		return GROVE_EINVAL;
	it->row = (uint8_t *)sb->data;
	it->row_len = (uint32_t)sb->size;
	msgpack_sbuffer_init(sb); /* the item owns the bytes now */
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, (const char *)it->row, it->row_len, &off) != MSGPACK_UNPACK_SUCCESS)
		err = value_error_set(&p->verr, GROVE_ECORRUPT, NULL, "a built row does not decode");
	else if ((err = value_row_view(&row, &up.data, it->t, &p->verr)) == 0 &&
		 (err = value_validate(v, &row, &p->verr)) == 0) {
		/* msgpack-c's strings point into the buffer, which the item keeps. */
		it->id = row.id;
		it->id_len = row.id_len;
		it->src = row.src;
		it->src_len = row.src_len;
		it->dst = row.dst;
		it->dst_len = row.dst_len;
	}
	msgpack_unpacked_destroy(&up);
	return err;
}

static int keyed_duplicate(struct load_plan *p, const struct load_item *it,
			   const struct load_item *prev)
{
	const struct lang_cat_type *t = it->t;
	char cols[256] = "";
	size_t n = 0;
	for (uint32_t i = 0; i < t->key.n; i++)
		n += (size_t)snprintf(cols + n, n < sizeof cols ? sizeof cols - n : 0, "%s%s",
				      i ? ", " : "", t->key.columns[i]);
	return value_error_set(&p->verr, GROVE_EINVAL, t->key.columns[0],
			       t->key.n > 1 ? "@unique violation on %s.(%s): value '%.*s' held by "
					      "'%.*s' and '%.*s'"
					    : "@unique violation on %s.%s: value '%.*s' held by "
					      "'%.*s' and '%.*s'",
			       t->name, cols, (int)it->id_len, it->id, (int)prev->id_len, prev->id,
			       (int)it->id_len, it->id);
}

static int grow_items(struct load_plan *p)
{
	if (p->nitems < p->capitems)
		return 0;
	size_t cap = p->capitems ? p->capitems * 2 : 1024;
	struct load_item *v = realloc(p->items, cap * sizeof *v);
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
	int64_t prev = idset_get(&p->input, it->t->id, it->id, it->id_len);
	if (prev >= 0) {
		if (it->t->kind == LANG_CAT_NODE && it->t->has_key && !p->restage)
			return fail(p, keyed_duplicate(p, it, &p->items[prev]), it->record, it->line);
		p->items[prev].dead = true; /* an unkeyed id given twice: the last wins */
	}
	if (idset_put(&p->input, it->t->id, it->id, it->id_len, (uint32_t)(p->nitems - 1)) < 0)
		return db_error(p->db, -ENOMEM, "out of memory");
	return 0;
}

int load_add_node(struct load_plan *p, const struct jsonl_record *rec)
{
	struct jsonl_row_opts o = { .fresh_id = fresh_id };
	struct jsonl_ids ids = { 0 };
	msgpack_sbuffer sb;
	int err;

	if ((err = grow_items(p)) < 0)
		return err;
	struct load_item *it = &p->items[p->nitems];
	*it = (struct load_item){ .t = rec->type, .record = rec->record, .line = rec->line };
	msgpack_sbuffer_init(&sb);
	err = jsonl_node_row(&sb, &ids, rec, &o, &p->verr);
	if (!err)
		err = adopt_row(p, it, &sb);
	if (!err && ids.given && idset_put(&p->legacy, rec->type->id, ids.given,
					   (uint32_t)ids.given_len, (uint32_t)p->nitems) < 0)
		err = value_error_set(&p->verr, -ENOMEM, NULL, "out of memory");
	msgpack_sbuffer_destroy(&sb);
	jsonl_ids_free(&ids);
	if (err < 0) {
		free(it->row);
		return fail(p, err, rec->record, rec->line);
	}
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
	if ((err = adopt_row(p, it, sb)) < 0) {
		free(it->row);
		return db_error(p->db, err, "%s", p->verr.msg);
	}
	return keep_item(p, it);
}

int load_defer_edge(struct load_plan *p, const struct jsonl_record *rec)
{
	if (p->nedges == p->capedges) {
		size_t cap = p->capedges ? p->capedges * 2 : 1024;
		struct load_edge_rec *v = realloc(p->edge_recs, cap * sizeof *v);
		if (!v)
			return db_error(p->db, -ENOMEM, "out of memory");
		p->edge_recs = v;
		p->capedges = cap;
	}
	struct load_edge_rec *e = &p->edge_recs[p->nedges];
	e->rec = *rec;
	e->from = strdup(rec->from);
	e->to = strdup(rec->to);
	/* The reader reuses its records: keep our own reference. */
	e->json = json_incref((json_t *)rec->json);
	e->rec.from = e->from;
	e->rec.to = e->to;
	if (!e->from || !e->to) {
		free(e->from);
		free(e->to);
		json_decref(e->json);
		return db_error(p->db, -ENOMEM, "out of memory");
	}
	p->nedges++;
	return 0;
}

/* A keyed node id spelled the legacy way in this input -> canonical. */
static char *canonical(struct load_plan *p, uint32_t type, const char *id)
{
	int64_t i = idset_get(&p->legacy, type, id, (uint32_t)strlen(id));
	return i >= 0 ? strndup(p->items[i].id, p->items[i].id_len) : NULL;
}

static int build_edge(struct load_plan *p, struct load_edge_rec *e)
{
	struct jsonl_row_opts o = { .fresh_id = fresh_id };
	struct jsonl_ids ids = { 0 };
	msgpack_sbuffer sb;
	int err;

	if ((err = grow_items(p)) < 0)
		return err;
	char *from = canonical(p, e->rec.type->from_id, e->from);
	char *to = canonical(p, e->rec.type->to_id, e->to);
	struct load_item *it = &p->items[p->nitems];
	*it = (struct load_item){ .t = e->rec.type, .record = e->rec.record, .line = e->rec.line };
	msgpack_sbuffer_init(&sb);
	err = jsonl_edge_row(&sb, &ids, &e->rec, from ? from : e->from, to ? to : e->to, &o,
			     &p->verr);
	if (!err)
		err = adopt_row(p, it, &sb);
	msgpack_sbuffer_destroy(&sb);
	jsonl_ids_free(&ids);
	free(from);
	free(to);
	if (err < 0) {
		free(it->row);
		return fail(p, err, e->rec.record, e->rec.line);
	}
	return keep_item(p, it);
}

int load_build_edges(struct load_plan *p)
{
	for (size_t i = 0; i < p->nedges; i++) {
		int err = build_edge(p, &p->edge_recs[i]);
		if (err < 0)
			return err;
	}
	return 0;
}
