/*
 * idkey.c — the id map's key of an entity (see idkey.h).
 */
#include "index/idkey.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "grove.h"
#include "index/apply.h"
#include "index/apply_int.h"
#include "index/views.h"
#include "log/error.h"
#include "log/event.h"

uint32_t idkey_make(uint8_t k[IDKEY_MAX], uint32_t type, const void *id, uint32_t id_len)
{
	for (int i = 0; i < 4; i++)
		k[i] = (uint8_t)(type >> (24 - 8 * i));
	if (id_len <= IDKEY_WHOLE_MAX) {
		memcpy(k + 4, id, id_len);
		return 4 + id_len;
	}
	memcpy(k + 4, id, IDKEY_PREFIX_BYTES);
	XXH128_hash_t h = XXH3_128bits(id, id_len);
	uint8_t *p = k + 4 + IDKEY_PREFIX_BYTES;
	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
		p[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
	}
	return IDKEY_MAX;
}

int idkey_run_next(MDB_cursor *cur, const uint8_t head[4 + IDKEY_ORDER_MAX], MDB_val *k, MDB_val *d)
{
	MDB_val nk, nd;
	int rc = mdb_cursor_get(cur, &nk, &nd, MDB_NEXT);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return views_error(rc, "id map");
	if (nk.mv_size < 4 + IDKEY_ORDER_MAX || memcmp(nk.mv_data, head, 4 + IDKEY_ORDER_MAX)) {
		rc = mdb_cursor_get(cur, &nk, &nd, MDB_PREV);
		return rc ? views_error(rc, "id map") : 0;
	}
	*k = nk;
	*d = nd;
	return 1;
}

int idkey_confirm(MDB_txn *txn, const struct views *v, uint64_t e, uint32_t type,
		  const void *id, uint32_t id_len)
{
	uint32_t t, n;
	const char *name;
	int err = views_id_name(&t, &name, &n, txn, v, e);
	if (err < 0)
		return err;
	return t == type && n == id_len && !memcmp(name, id, id_len);
}

/* A long id a write puts, by key. */
struct long_id {
	uint8_t key[IDKEY_MAX];
	const uint8_t *id;
	uint32_t id_len, type, fx;   /* fx: the effect's index */
};

static int cmp_long(const void *pa, const void *pb)
{
	const struct long_id *a = pa, *b = pb;
	return memcmp(a->key, b->key, IDKEY_MAX);
}

static int collision(const struct long_id *l, uint32_t *bad)
{
	*bad = l->fx;
	return log_error(GROVE_ECONFLICT, "an id of %u bytes shares its id-map key with another id",
			 l->id_len);
}

/* Does a key in the views, or an earlier one of the write, belong to
 * another id? */
static int check_sorted(const struct views *v, MDB_txn *wtxn, struct long_id *l, size_t n,
			uint32_t *bad)
{
	MDB_txn *txn = wtxn;
	int rc = wtxn ? 0 : mdb_txn_begin(v->env, NULL, MDB_RDONLY, &txn), err = 0;
	if (rc)
		return views_error(rc, "read transaction");
	qsort(l, n, sizeof *l, cmp_long);
	for (size_t i = 0; i < n && !err; i++) {
		if (i > 0 && !memcmp(l[i].key, l[i - 1].key, IDKEY_MAX)) {
			if (l[i].id_len != l[i - 1].id_len || memcmp(l[i].id, l[i - 1].id, l[i].id_len))
				err = collision(&l[i], bad);
			continue;
		}
		uint64_t e;
		err = views_id_lookup_key(&e, txn, v, l[i].key, IDKEY_MAX);
		if (err == GROVE_ENOTFOUND) {
			err = 0;
			continue;
		}
		if (!err && (err = idkey_confirm(txn, v, e, l[i].type, l[i].id, l[i].id_len)) == 0)
			err = collision(&l[i], bad);
		err = err > 0 ? 0 : err;
	}
	if (!wtxn)
		mdb_txn_abort(txn);
	return err;
}

bool idkey_any_shared(const struct event_effect *fx, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct row_ids r;
		if ((fx[i].op == EFFECT_PUT_NODE || fx[i].op == EFFECT_PUT_EDGE) &&
		    row_ids(&r, fx[i].row.ptr, fx[i].row.len, false) == 0 && r.id_len >= IDKEY_WHOLE_MAX)
			return true;
	}
	return false;
}

int idkey_check(const struct views *v, MDB_txn *txn, const struct event_effect *fx, uint32_t n,
		uint32_t *bad)
{
	struct long_id *l = NULL;
	size_t nl = 0, cap = 0;
	int err = 0;
	for (uint32_t i = 0; i < n && !err; i++) {
		struct row_ids r;
		if (fx[i].op != EFFECT_PUT_NODE && fx[i].op != EFFECT_PUT_EDGE)
			continue;
		if (row_ids(&r, fx[i].row.ptr, fx[i].row.len, false) < 0 ||
		    r.id_len < IDKEY_WHOLE_MAX)
			continue;   /* a malformed row is the apply's to refuse */
		if (nl == cap) {
			struct long_id *g = realloc(l, (cap = cap ? 2 * cap : 8) * sizeof *l);
			if (!g) {
				err = log_error(-ENOMEM, "out of memory");
				break;
			}
			l = g;
		}
		idkey_make(l[nl].key, fx[i].type_id, r.id, r.id_len);
		l[nl].id = r.id;
		l[nl].id_len = r.id_len;
		l[nl].fx = i;
		l[nl++].type = fx[i].type_id;
	}
	if (!err && nl)
		err = check_sorted(v, txn, l, nl, bad);
	free(l);
	return err;
}
