/* idmap.c — the id map's lookups (see apply.h): a user id to its
 * internal entity id (views `ids`), and back (views `names`). */
#include "index/apply.h"

#include "grove.h"
#include "index/idkey.h"
#include "index/layered.h"
#include "log/error.h"

/* One id map lookup by key, through txn or (when c is set) the cursor c. */
static int key_lookup(uint64_t *out, MDB_txn *txn, const struct views *v, MDB_cursor *c,
		      const uint8_t *k, uint32_t kn)
{
	MDB_val key = { kn, (void *)k }, d;
	int rc = c ? mdb_cursor_get(c, &key, &d, MDB_SET_KEY) : mdb_get(txn, v->ids, &key, &d);
	if (rc)
		return views_error(rc, "id map");
	if (d.mv_size != 8)
		return log_error(GROVE_ECORRUPT, "id map entry has %zu bytes", d.mv_size);
	*out = layered_rd64(d.mv_data);
	return 0;
}

/* The entity of (type, id); a shared key (idkey.h) is confirmed by the
 * name map, and held by another id it answers GROVE_ENOTFOUND. */
static int id_lookup(uint64_t *out, MDB_txn *txn, const struct views *v, MDB_cursor *c,
		     uint32_t type, const void *id, uint32_t id_len)
{
	uint8_t k[IDKEY_MAX];
	uint32_t kn = idkey_make(k, type, id, id_len);
	int err = key_lookup(out, txn, v, c, k, kn);
	if (err < 0 || !idkey_shared(kn))
		return err;
	err = idkey_confirm(c ? mdb_cursor_txn(c) : txn, v, *out, type, id, id_len);
	return err < 0 ? err : err ? 0 : GROVE_ENOTFOUND;
}

int views_id_lookup(uint64_t *out, MDB_txn *txn, const struct views *v, uint32_t type,
		    const void *id, uint32_t id_len)
{
	return id_lookup(out, txn, v, NULL, type, id, id_len);
}

int views_id_lookup_key(uint64_t *out, MDB_txn *txn, const struct views *v, const uint8_t *key,
			uint32_t key_len)
{
	return key_lookup(out, txn, v, NULL, key, key_len);
}

int views_id_lookup_at(uint64_t *out, MDB_cursor *c, const struct views *v, uint32_t type,
		       const void *id, uint32_t id_len)
{
	return id_lookup(out, NULL, v, c, type, id, id_len);
}

int views_id_name(uint32_t *type, const char **id, uint32_t *id_len, MDB_txn *txn,
		  const struct views *v, uint64_t e)
{
	uint8_t ek[8];
	layered_be64(ek, e);
	MDB_val key = { 8, ek }, d;
	int rc = mdb_get(txn, v->names, &key, &d);
	if (rc)
		return views_error(rc, "name map");
	if (d.mv_size < 4)
		return log_error(GROVE_ECORRUPT, "name map entry has %zu bytes", d.mv_size);
	const uint8_t *p = d.mv_data;
	*type = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	*id = (const char *)p + 4;
	*id_len = (uint32_t)d.mv_size - 4;
	return 0;
}
