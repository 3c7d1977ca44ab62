/*
 * engine/query_agg.c — the end of the pipeline: projection, grouping and
 * aggregates (spec §3.8, §3.9).
 *
 * Without aggregates every row reaching the sink becomes a result row:
 * its columns, its order keys and (when ordered) the ids of the bound
 * entities for the tie-break.  With aggregates, rows group by the tuple of
 * the other columns (the group keys; NULL is a value) in first-seen order
 * and each group accumulates:
 *   count  rows whose argument is not NULL (count($v): rows)  -> I64
 *   sum    of the non-NULL arguments, as a double              -> F64
 *   avg    sum / count of the non-NULL arguments               -> F64
 *   min/max of the non-NULL arguments                          -> its type
 * An empty or all-NULL group gives count 0 and NULL for the others.
 * Without group keys the result is one row even over no input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/query.h"
#include "engine/value.h"
#include "log/error.h"

/* ---- groups ---------------------------------------------------------- */

struct acc {
	uint64_t count;
	double sum;
	int has;
	msgpack_object best;          /* min/max; strings point into buf   */
	char *buf;
	size_t buf_cap;
};

struct group {
	char *key;                    /* the packed key tuple              */
	size_t key_len;
	size_t hash;
	msgpack_object *keys;         /* [ncols], group-key columns set     */
	struct acc *acc;              /* [ncols], aggregate columns used    */
};

struct agg {
	struct group *g;
	size_t n, cap;
	size_t *table;                /* open addressing: group index + 1   */
	size_t tcap;
	msgpack_zone zone;
	uint64_t bytes;
};

struct sink {
	struct qx_rows *rs;
	msgpack_object *cand;         /* [width]                            */
	uint32_t *ties;               /* tie-break slots, by variable name  */
	size_t nties;
	struct agg agg;
	msgpack_sbuffer sb;
	struct grove_result *res;
};

static size_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return (size_t)h;
}

static int table_grow(struct agg *a)
{
	size_t cap = a->tcap ? 2 * a->tcap : 16;
	size_t *t = calloc(cap, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		size_t h = a->g[i].hash & (cap - 1);
		while (t[h] != 0)
			h = (h + 1) & (cap - 1);
		t[h] = i + 1;
	}
	free(a->table);
	a->table = t;
	a->tcap = cap;
	return 0;
}

static int group_new(struct qx *x, struct agg *a, const char *key, size_t len, size_t hash,
                     const msgpack_object *cand)
{
	size_t ncols = x->ir->n_columns;
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 8;
		struct group *g = realloc(a->g, cap * sizeof(*g));
		if (g == NULL)
			return -ENOMEM;
		a->g = g;
		a->cap = cap;
	}
	struct group *g = &a->g[a->n];
	memset(g, 0, sizeof(*g));
	g->key = msgpack_zone_malloc(&a->zone, len + 1);
	g->keys = msgpack_zone_malloc(&a->zone, (ncols + 1) * sizeof(*g->keys));
	g->acc = calloc(ncols + 1, sizeof(*g->acc));
	if (g->key == NULL || g->keys == NULL || g->acc == NULL) {
		free(g->acc);
		return -ENOMEM;
	}
	if (len > 0)
		memcpy(g->key, key, len);
	g->key_len = len;
	g->hash = hash;
	a->bytes += len + (ncols + 1) * (sizeof(*g->keys) + sizeof(*g->acc));
	for (size_t c = 0; c < ncols; c++)
		if (x->ir->columns[c].is_group_key && qx_obj_copy(&a->zone, &g->keys[c], &cand[c], &a->bytes) < 0)
			return -ENOMEM;
	qx_zone_follow(&a->zone, a->bytes);
	a->n++;
	return 0;
}

/* The group of the current key tuple (cand's group-key columns). */
/* Groups are found by their keys' packed bytes: -0.0 packs as 0.0, the
 * value it equals (spec §3.9: rows group by equality of the key tuple). */
static int pack_key(msgpack_packer *pk, msgpack_object o)
{
	if (o.type == MSGPACK_OBJECT_ARRAY) {   /* list keys: element by element */
		int err = msgpack_pack_array(pk, o.via.array.size);
		for (uint32_t i = 0; !err && i < o.via.array.size; i++)
			err = pack_key(pk, o.via.array.ptr[i]);
		return err;
	}
	if ((o.type == MSGPACK_OBJECT_FLOAT64 || o.type == MSGPACK_OBJECT_FLOAT32) && o.via.f64 == 0.0)
		o.via.f64 = 0.0;
	return msgpack_pack_object(pk, o);
}

static int group_of(struct qx *x, struct sink *s, const msgpack_object *cand, struct group **out)
{
	struct agg *a = &s->agg;
	msgpack_packer pk;
	msgpack_sbuffer_clear(&s->sb);
	msgpack_packer_init(&pk, &s->sb, msgpack_sbuffer_write);
	for (size_t c = 0; c < x->ir->n_columns; c++)
		if (x->ir->columns[c].is_group_key && pack_key(&pk, cand[c]) != 0)
			return db_error(x->db, -ENOMEM, "out of memory");
	size_t h = hash_bytes(s->sb.data, s->sb.size);
	if (4 * (a->n + 1) > 3 * a->tcap && table_grow(a) < 0)
		return db_error(x->db, -ENOMEM, "out of memory");
	size_t i = h & (a->tcap - 1);
	for (; a->table[i] != 0; i = (i + 1) & (a->tcap - 1)) {
		struct group *g = &a->g[a->table[i] - 1];
		if (g->hash == h && g->key_len == s->sb.size &&
		    (g->key_len == 0 || memcmp(g->key, s->sb.data, g->key_len) == 0)) {
			*out = g;
			return 0;
		}
	}
	if (a->n >= QX_MAX_ROWS || a->bytes > QX_MAX_BYTES) {
		db_error(x->db, GROVE_ELIMIT, "an aggregate query may form at most %u groups", QX_MAX_ROWS);
		return db_error_limit(x->db, GROVE_ELIMIT, "query groups", QX_MAX_ROWS, a->n + 1);
	}
	if (group_new(x, a, s->sb.data, s->sb.size, h, cand) < 0)
		return db_error(x->db, -ENOMEM, "out of memory");
	a->table[i] = a->n;
	*out = &a->g[a->n - 1];
	return 0;
}

static int acc_best(struct acc *ac, const msgpack_object *v, int want)
{
	if (ac->has && qx_value_order(v, &ac->best) != want)
		return 0;
	ac->best = *v;
	if (v->type == MSGPACK_OBJECT_STR) {
		uint32_t n = v->via.str.size;
		if (n + 1 > ac->buf_cap) {
			char *b = realloc(ac->buf, n + 1);
			if (b == NULL)
				return -ENOMEM;
			ac->buf = b;
			ac->buf_cap = n + 1;
		}
		if (n)   /* "" may be NULL */
			memcpy(ac->buf, v->via.str.ptr, n);
		ac->best.via.str.ptr = ac->buf;
	}
	return 0;
}

static int accumulate(struct acc *ac, enum gq_agg f, const msgpack_object *v)
{
	if (v->type == MSGPACK_OBJECT_NIL)
		return 0;  /* NULL arguments are skipped */
	ac->count++;
	switch (f) {
	case GQ_AGG_SUM:
	case GQ_AGG_AVG:
		ac->sum += v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (double)v->via.u64
		         : v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? (double)v->via.i64 : v->via.f64;
		break;
	case GQ_AGG_MIN:
		if (acc_best(ac, v, -1) < 0)
			return -ENOMEM;
		break;
	case GQ_AGG_MAX:
		if (acc_best(ac, v, 1) < 0)
			return -ENOMEM;
		break;
	case GQ_AGG_COUNT:
		break;
	}
	ac->has = 1;
	return 0;
}

/* ---- the sink ------------------------------------------------------------- */

/* The current row's column values (aggregates: their argument). */
static int eval_columns(struct qx *x, msgpack_object *cand)
{
	for (size_t c = 0; c < x->ir->n_columns; c++) {
		const struct gq_ir_expr *e = x->ir->columns[c].expr;
		if (e->kind == GQ_IR_AGG && e->agg == GQ_AGG_COUNT && e->arg[0]->kind == GQ_IR_NODE) {
			/* A bound variable is never NULL: counted without reading its row. */
			cand[c] = (msgpack_object){ .type = MSGPACK_OBJECT_BOOLEAN, .via.boolean = true };
			continue;
		}
		if (e->kind == GQ_IR_AGG)
			e = e->arg[0];
		if (e->kind == GQ_IR_COLUMN) {
			cand[c] = e->index < c ? cand[e->index] : (msgpack_object){ .type = MSGPACK_OBJECT_NIL };
			continue;
		}
		int err = qx_eval(x, e, &cand[c]);
		if (err < 0)
			return err;
	}
	return 0;
}

static int agg_sink(struct qx *x, void *arg)
{
	struct sink *s = arg;
	struct group *g;
	int err = eval_columns(x, s->cand);
	if (err < 0 || (err = group_of(x, s, s->cand, &g)) < 0)
		return err;
	for (size_t c = 0; c < x->ir->n_columns; c++)
		if (x->ir->columns[c].is_aggregate &&
		    accumulate(&g->acc[c], x->ir->columns[c].expr->agg, &s->cand[c]) < 0)
			return db_error(x->db, -ENOMEM, "out of memory");
	return 0;
}

static int row_sink(struct qx *x, void *arg)
{
	struct sink *s = arg;
	const struct gq_ir_query *ir = x->ir;
	msgpack_object *cand = s->cand;
	uint64_t pos;
	int err = 0;
	if (ir->rank_first && (err = qx_rank_position(x, &pos)) <= 0)
		return err;   /* an entity the ranking left out: no row */
	err = eval_columns(x, cand);
	for (size_t k = 0; err == 0 && ir->rank_first && k < ir->n_orders; k++)
		cand[ir->n_columns + k] = k == 0
			? (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER, .via.u64 = pos }
			: (msgpack_object){ .type = MSGPACK_OBJECT_NIL };
	for (size_t k = 0; err == 0 && !ir->rank_first && k < ir->n_orders; k++) {
		const struct gq_ir_expr *e = ir->orders[k].expr;
		if (e->kind == GQ_IR_COLUMN && e->index < ir->n_columns)
			cand[ir->n_columns + k] = cand[e->index];
		else
			err = qx_eval(x, e, &cand[ir->n_columns + k]);
	}
	for (size_t k = 0; err == 0 && k < s->nties; k++) {
		const struct value_row *v;
		msgpack_object *o = &cand[ir->n_columns + ir->n_orders + k];
		if ((err = qx_slot_view(x, s->ties[k], &v)) == 0)
			*o = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
			                       .via.str = { .size = v->id_len, .ptr = v->id } };
	}
	return err < 0 ? err : qx_rows_add(s->rs, cand);
}

/* ---- finishing groups ------------------------------------------------------ */

static void agg_value(const struct acc *ac, enum gq_agg f, msgpack_object *o)
{
	memset(o, 0, sizeof(*o));
	o->type = MSGPACK_OBJECT_NIL;
	if (f == GQ_AGG_COUNT) {
		o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		o->via.u64 = ac->count;
	} else if (ac->has && (f == GQ_AGG_SUM || f == GQ_AGG_AVG)) {
		o->type = MSGPACK_OBJECT_FLOAT64;
		o->via.f64 = f == GQ_AGG_SUM ? ac->sum : ac->sum / (double)ac->count;
	} else if (ac->has) {
		*o = ac->best;
	}
}

/* The column an order key of an aggregate query names. */
static int key_column(const struct gq_ir_query *ir, const struct gq_ir_expr *e)
{
	if (e->kind == GQ_IR_COLUMN)
		return e->index == GQ_IR_NONE ? -1 : (int)e->index;
	for (size_t c = 0; c < ir->n_columns; c++) {
		const struct gq_ir_expr *ce = ir->columns[c].expr;
		if (ce->kind == e->kind && ce->slot == e->slot && ce->prop_id == e->prop_id &&
		    (e->kind == GQ_IR_PROP || e->kind == GQ_IR_NODE))
			return (int)c;
	}
	return -1;
}

static int groups_to_rows(struct qx *x, struct sink *s)
{
	const struct gq_ir_query *ir = x->ir;
	int err = 0;
	for (size_t i = 0; err == 0 && i < s->agg.n; i++) {
		struct group *g = &s->agg.g[i];
		for (size_t c = 0; c < ir->n_columns; c++) {
			if (ir->columns[c].is_aggregate)
				agg_value(&g->acc[c], ir->columns[c].expr->agg, &s->cand[c]);
			else
				s->cand[c] = g->keys[c];
		}
		for (size_t k = 0; k < ir->n_orders; k++) {
			int c = key_column(ir, ir->orders[k].expr);
			if (c < 0)  /* check_orders refused it before any row */
				return db_error(x->db, GROVE_EINVAL, "unsupported ordering expression");
			s->cand[ir->n_columns + k] = s->cand[c];
		}
		err = qx_rows_add(s->rs, s->cand);
	}
	return err == QX_STOP ? 0 : err;
}

static int has_group_keys(const struct gq_ir_query *ir)
{
	for (size_t c = 0; c < ir->n_columns; c++)
		if (ir->columns[c].is_group_key)
			return 1;
	return 0;
}

static int run_aggregate(struct qx *x, struct sink *s)
{
	if (!msgpack_zone_init(&s->agg.zone, QX_ZONE_CHUNK_MIN))
		return db_error(x->db, -ENOMEM, "out of memory");
	int err = qx_pipe(x, &x->ir->pipeline, 0, agg_sink, s);
	if (err == 0 && s->agg.n == 0 && !has_group_keys(x->ir)) {
		struct group *g;  /* one row even over no input */
		err = group_of(x, s, s->cand, &g);
		for (size_t c = 0; err == 0 && c < x->ir->n_columns; c++) {
			if (x->checked->query->projs[c].alias != NULL)
				continue;  /* unaliased, no input: `?` (spec §3.8) */
			free(s->res->cols[c].name);
			if ((s->res->cols[c].name = strdup("?")) == NULL)
				err = db_error(x->db, -ENOMEM, "out of memory");
		}
	}
	if (err == 0)
		err = groups_to_rows(x, s);
	for (size_t i = 0; i < s->agg.n; i++) {
		for (size_t c = 0; c < x->ir->n_columns; c++)
			free(s->agg.g[i].acc[c].buf);
		free(s->agg.g[i].acc);
	}
	free(s->agg.g);
	free(s->agg.table);
	msgpack_zone_destroy(&s->agg.zone);
	return err;
}

/* ---- collect ------------------------------------------------------------- */

static int by_name(const void *a, const void *b, void *arg)
{
	const struct gq_ir_binding *v = arg;
	return strcmp(v[*(const uint32_t *)a].name, v[*(const uint32_t *)b].name);
}

/* The tie-break variables: the match block's named variables, by name. */
static int tie_slots(struct qx *x, struct sink *s)
{
	const struct gq_checked *c = x->checked;
	s->ties = calloc(c->n_vars + 1, sizeof(*s->ties));
	if (s->ties == NULL)
		return db_error(x->db, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->n_vars; i++)
		if (c->vars[i].scope == 0 && strcmp(c->vars[i].name, "_") != 0)
			s->ties[s->nties++] = (uint32_t)i;
	qsort_r(s->ties, s->nties, sizeof(*s->ties), by_name, x->ir->bindings);
	return 0;
}

static int collect_rows(struct qx *x, struct sink *s, struct qx_rows *rs)
{
	const struct gq_ir_query *ir = x->ir;
	int err = 0;
	if (!ir->has_aggregates && ir->n_orders > 0)
		err = tie_slots(x, s);
	size_t width = ir->n_columns + ir->n_orders + s->nties;
	unsigned char *desc = calloc(ir->n_orders + 1, 1);
	s->cand = calloc(width + 1, sizeof(*s->cand));
	if (err == 0 && (desc == NULL || s->cand == NULL))
		err = db_error(x->db, -ENOMEM, "out of memory");
	if (err == 0) {
		rs->width = width;
		/* A rank fixes the whole order: its place, best first (the
		 * other keys and directions are ignored, spec §3.11). */
		for (size_t k = 0; k < ir->n_orders; k++)
			desc[k] = ir->rank_first ? 0 : (unsigned char)ir->orders[k].descending;
		rs->desc = desc;
		rs->nkeys = ir->n_orders;
		rs->key_off = ir->n_columns;
		rs->nties = s->nties;
		rs->tie_off = ir->n_columns + ir->n_orders;
		rs->has_limit = ir->has_limit;
		rs->limit = ir->limit;
		rs->heap = ir->has_limit && ir->n_orders > 0 && !ir->has_aggregates && ir->limit <= QX_MAX_ROWS;
		s->rs = rs;
		if (ir->has_aggregates)
			err = run_aggregate(x, s);
		else if (!(ir->has_limit && ir->limit == 0))
			err = qx_pipe(x, &ir->pipeline, 0, row_sink, s);
		if (err == QX_STOP)
			err = 0;
		if (err == 0)
			err = qx_rows_finish(rs);
	}
	rs->desc = NULL;
	free(desc);
	return err;
}

/* Order keys are property accesses, returned columns (aliases) or ranks
 * (spec §3.10); anything else (a node variable, a literal, a parameter,
 * an aggregate a query does not return) has no order, as in OmniGraph. */
static int check_orders(struct qx *x)
{
	const struct gq_ir_query *ir = x->ir;
	for (size_t k = 0; k < ir->n_orders; k++) {
		const struct gq_ir_expr *e = ir->orders[k].expr;
		bool ok = ir->has_aggregates ? key_column(ir, e) >= 0
		        : e->kind == GQ_IR_PROP || (e->kind == GQ_IR_COLUMN && e->index != GQ_IR_NONE) ||
		          e->kind == GQ_IR_NEAREST || e->kind == GQ_IR_BM25 || e->kind == GQ_IR_RRF;
		if (!ok)
			return db_error(x->db, GROVE_EINVAL, "unsupported ordering expression");
	}
	return 0;
}

int qx_collect(struct qx *x, struct grove_result **out)
{
	struct grove_result *res;
	int err = check_orders(x);
	if (err < 0 || (err = qx_result_new(&res, x)) < 0)
		return err;
	if (err < 0)
		return err;
	struct sink s = { .res = res };
	if (qx_sbuffer_init(&s.sb) < 0)
		err = db_error(x->db, -ENOMEM, "out of memory");
	else
		err = collect_rows(x, &s, &res->store);
	msgpack_sbuffer_destroy(&s.sb);
	free(s.cand);
	free(s.ties);
	if (err == 0 && (res->rows = calloc(res->store.n + 1, sizeof(*res->rows))) == NULL)
		err = db_error(x->db, -ENOMEM, "out of memory");
	if (err < 0) {
		grove_result_free(res);
		return err;
	}
	res->nrows = res->store.n;
	for (size_t i = 0; i < res->nrows; i++)
		res->rows[i] = res->store.rows[i].v;
	res->rows_visited = x->rows_visited;
	*out = res;
	return 0;
}
