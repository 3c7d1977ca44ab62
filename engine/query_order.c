/*
 * engine/query_order.c — materialized rows, `order` and `limit` (spec
 * §3.10).
 *
 * Order keys sort ascending unless `desc`; NULL sorts first ascending and
 * last descending (NULL is the smallest value, `desc` reverses); ties
 * break ascending on the bound entities' ids (the caller passes them in
 * the lexical order of their variables' names), then on arrival, so equal
 * rows keep their first-seen order.
 *
 * `order` + `limit n` keeps a max-heap of the n best rows seen so far: a
 * row that does not beat the worst kept row is never copied, and a row
 * pushed out frees its memory (each heap row has its own zone), so memory
 * is O(n) whatever the input.  Without `order`, the n-th row stops the
 * producers (QX_STOP).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/query.h"
#include "engine/value.h"
#include "log/error.h"

#define HEAP_ZONE_CHUNK 512

void qx_zone_follow(msgpack_zone *z, uint64_t bytes)
{
	/* msgpack allocates each new chunk at chunk_size: a small first
	 * chunk keeps small results cheap, a growing one keeps big results
	 * from taking a malloc per few rows. */
	while (z->chunk_size < QX_ZONE_CHUNK_MAX && bytes / 4 > z->chunk_size)
		z->chunk_size *= 2;
}

int qx_sbuffer_init(msgpack_sbuffer *sb)
{
	sb->size = 0;
	sb->alloc = QX_ZONE_CHUNK_MIN;
	sb->data = malloc(sb->alloc);
	return sb->data != NULL ? 0 : -ENOMEM;
}

int qx_obj_copy(msgpack_zone *z, msgpack_object *dst, const msgpack_object *src, uint64_t *bytes)
{
	*dst = *src;
	switch (src->type) {
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN: {
		uint32_t n = src->via.str.size;
		char *p = msgpack_zone_malloc(z, n + 1);
		if (p == NULL)
			return -ENOMEM;
		if (n > 0)
			memcpy(p, src->via.str.ptr, n);
		dst->via.str.ptr = p;
		*bytes += n;
		return 0;
	}
	case MSGPACK_OBJECT_ARRAY: {
		uint32_t n = src->via.array.size;
		msgpack_object *a = msgpack_zone_malloc(z, (n + 1) * sizeof(*a));
		if (a == NULL)
			return -ENOMEM;
		*bytes += (uint64_t)n * sizeof(*a);
		for (uint32_t i = 0; i < n; i++)
			if (qx_obj_copy(z, &a[i], &src->via.array.ptr[i], bytes) < 0)
				return -ENOMEM;
		dst->via.array.ptr = a;
		return 0;
	}
	case MSGPACK_OBJECT_MAP:
	case MSGPACK_OBJECT_EXT:
		dst->type = MSGPACK_OBJECT_NIL;  /* never a stored query value */
		return 0;
	default:
		return 0;
	}
}

int qx_value_order(const msgpack_object *a, const msgpack_object *b)
{
	int an = a->type == MSGPACK_OBJECT_NIL, bn = b->type == MSGPACK_OBJECT_NIL;
	if (an || bn)
		return bn - an;
	enum value_cmp c = value_compare(a, b);
	if (c == VALUE_LT || c == VALUE_GT || c == VALUE_EQ)
		return (int)c;
	return (a->type > b->type) - (a->type < b->type);
}

static int row_cmp(const struct qx_mrow *a, const struct qx_mrow *b, const struct qx_rows *rs)
{
	for (size_t k = 0; k < rs->nkeys; k++) {
		int c = qx_value_order(&a->v[rs->key_off + k], &b->v[rs->key_off + k]);
		if (c != 0)
			return rs->desc[k] ? -c : c;
	}
	for (size_t k = 0; k < rs->nties; k++) {
		int c = qx_value_order(&a->v[rs->tie_off + k], &b->v[rs->tie_off + k]);
		if (c != 0)
			return c;
	}
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static int row_cmp_qsort(const void *a, const void *b, void *rs)
{
	return row_cmp(a, b, rs);
}

int qx_rows_init(struct qx_rows *rs, grove_db *db, size_t width)
{
	memset(rs, 0, sizeof(*rs));
	rs->db = db;
	rs->width = width;
	if (!msgpack_zone_init(&rs->zone, QX_ZONE_CHUNK_MIN))
		return db_error(db, -ENOMEM, "out of memory");
	return 0;
}

void qx_rows_fini(struct qx_rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rows[i].own != NULL)
			msgpack_zone_free(rs->rows[i].own);
	free(rs->rows);
	rs->rows = NULL;
	rs->n = 0;
	msgpack_zone_destroy(&rs->zone);
}

static int too_big(struct qx_rows *rs, uint64_t rows)
{
	if (rows > QX_MAX_ROWS) {
		db_error(rs->db, GROVE_ELIMIT, "a query result may hold at most %u rows", QX_MAX_ROWS);
		return db_error_limit(rs->db, GROVE_ELIMIT, "query rows", QX_MAX_ROWS, rows);
	}
	if (rs->bytes > QX_MAX_BYTES) {
		db_error(rs->db, GROVE_ELIMIT, "a query result may hold at most %llu bytes",
		         (unsigned long long)QX_MAX_BYTES);
		return db_error_limit(rs->db, GROVE_ELIMIT, "query bytes", QX_MAX_BYTES, rs->bytes);
	}
	return 0;
}

/* Copy v into a row of zone z. */
static int row_copy(struct qx_rows *rs, struct qx_mrow *r, msgpack_zone *z, const msgpack_object *v)
{
	uint64_t before = rs->bytes;
	r->v = msgpack_zone_malloc(z, (rs->width + 1) * sizeof(*r->v));
	if (r->v == NULL)
		return db_error(rs->db, -ENOMEM, "out of memory");
	rs->bytes += (rs->width + 1) * sizeof(*r->v);
	for (size_t k = 0; k < rs->width; k++)
		if (qx_obj_copy(z, &r->v[k], &v[k], &rs->bytes) < 0)
			return db_error(rs->db, -ENOMEM, "out of memory");
	r->bytes = rs->bytes - before;
	return too_big(rs, rs->n + 1);
}

static void sift_down(struct qx_rows *rs, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < rs->n && row_cmp(&rs->rows[l], &rs->rows[m], rs) > 0)
			m = l;
		if (r < rs->n && row_cmp(&rs->rows[r], &rs->rows[m], rs) > 0)
			m = r;
		if (m == i)
			return;
		struct qx_mrow t = rs->rows[i];
		rs->rows[i] = rs->rows[m];
		rs->rows[m] = t;
		i = m;
	}
}

static void sift_up(struct qx_rows *rs, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (row_cmp(&rs->rows[i], &rs->rows[p], rs) <= 0)
			return;
		struct qx_mrow t = rs->rows[i];
		rs->rows[i] = rs->rows[p];
		rs->rows[p] = t;
		i = p;
	}
}

static int grow(struct qx_rows *rs)
{
	if (rs->n < rs->cap)
		return 0;
	size_t cap = rs->cap ? 2 * rs->cap : 8;
	struct qx_mrow *v = realloc(rs->rows, cap * sizeof(*v));
	if (v == NULL)
		return db_error(rs->db, -ENOMEM, "out of memory");
	rs->rows = v;
	rs->cap = cap;
	return 0;
}

/* The bounded heap of `order` + `limit`. */
static int heap_add(struct qx_rows *rs, const msgpack_object *v)
{
	struct qx_mrow cand = { .v = (msgpack_object *)v, .seq = rs->seq++ };
	if (rs->n == rs->limit && row_cmp(&cand, &rs->rows[0], rs) >= 0)
		return 0;  /* not among the best: never copied */
	msgpack_zone *z = msgpack_zone_new(HEAP_ZONE_CHUNK);
	if (z == NULL)
		return db_error(rs->db, -ENOMEM, "out of memory");
	cand.own = z;
	int err = row_copy(rs, &cand, z, v);
	if (err < 0) {
		msgpack_zone_free(z);
		return err;
	}
	if (rs->n == rs->limit) {
		rs->bytes -= rs->rows[0].bytes;
		msgpack_zone_free(rs->rows[0].own);
		rs->rows[0] = cand;
		sift_down(rs, 0);
		return 0;
	}
	if ((err = grow(rs)) < 0) {
		msgpack_zone_free(z);
		return err;
	}
	rs->rows[rs->n++] = cand;
	sift_up(rs, rs->n - 1);
	return 0;
}

int qx_rows_add(struct qx_rows *rs, const msgpack_object *v)
{
	if (rs->has_limit && rs->limit == 0)
		return QX_STOP;
	if (rs->heap)
		return heap_add(rs, v);
	int err = grow(rs);
	if (err < 0)
		return err;
	struct qx_mrow *r = &rs->rows[rs->n];
	r->seq = rs->seq++;
	r->own = NULL;
	if ((err = row_copy(rs, r, &rs->zone, v)) < 0)
		return err;
	qx_zone_follow(&rs->zone, rs->bytes);
	rs->n++;
	if (rs->has_limit && rs->nkeys == 0 && rs->n >= rs->limit)
		return QX_STOP;
	return 0;
}

int qx_rows_finish(struct qx_rows *rs)
{
	if (rs->nkeys > 0 && rs->n > 1)
		qsort_r(rs->rows, rs->n, sizeof(*rs->rows), row_cmp_qsort, rs);
	if (rs->has_limit && rs->n > rs->limit) {
		for (size_t i = (size_t)rs->limit; i < rs->n; i++)
			if (rs->rows[i].own != NULL)
				msgpack_zone_free(rs->rows[i].own);
		rs->n = (size_t)rs->limit;
	}
	for (size_t i = 0; i < rs->n; i++) {
		struct qx_mrow *r = &rs->rows[i];
		if (r->own == NULL)
			continue;
		struct qx_mrow moved = *r;
		int err = row_copy(rs, &moved, &rs->zone, r->v);
		rs->bytes -= r->bytes;
		msgpack_zone_free(r->own);
		r->own = NULL;
		if (err < 0)
			return err;
		r->v = moved.v;
	}
	return 0;
}
