/* records.c — branch, layer and commit records (see records.h). */
#include "index/records.h"

#include <string.h>

#include "grove.h"
#include "log/error.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "records are stored in host order, which must be little-endian");

static MDB_val str_key(const char *s)
{
	MDB_val k = { strlen(s), (void *)s };
	return k;
}

static void be32(uint8_t out[4], uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (uint8_t)(v >> (24 - 8 * i));
}

int branch_get(struct branch_rec *out, MDB_txn *txn, const struct views *v, const char *name)
{
	if (!*name)   /* no LMDB key: say what is wrong, not MDB_BAD_VALSIZE */
		return log_error(GROVE_EINVAL, "branch name cannot be empty");
	MDB_val k = str_key(name), d;
	int rc = mdb_get(txn, v->branches, &k, &d);
	if (rc)
		return views_error(rc, "branch");
	if (d.mv_size != sizeof *out)
		return log_error(GROVE_ECORRUPT, "branch record '%s' has %zu bytes", name, d.mv_size);
	memcpy(out, d.mv_data, sizeof *out);
	return 0;
}

int branch_put(MDB_txn *txn, const struct views *v, const char *name, const struct branch_rec *b)
{
	MDB_val k = str_key(name), d = { sizeof *b, (void *)b };
	int rc = mdb_put(txn, v->branches, &k, &d, 0);
	return rc ? views_error(rc, "branch") : 0;
}

int branch_del(MDB_txn *txn, const struct views *v, const char *name)
{
	MDB_val k = str_key(name);
	int rc = mdb_del(txn, v->branches, &k, NULL);
	return rc ? views_error(rc, "branch") : 0;
}

int layer_get(struct layer_rec *out, MDB_txn *txn, const struct views *v, uint32_t layer)
{
	uint8_t kb[4];
	be32(kb, layer);
	MDB_val k = { 4, kb }, d;
	int rc = mdb_get(txn, v->layers, &k, &d);
	if (rc)
		return views_error(rc, "layer");
	if (d.mv_size != sizeof *out)
		return log_error(GROVE_ECORRUPT, "layer record %u has %zu bytes", layer, d.mv_size);
	memcpy(out, d.mv_data, sizeof *out);
	return 0;
}

int layer_put(MDB_txn *txn, const struct views *v, uint32_t layer, const struct layer_rec *l)
{
	uint8_t kb[4];
	be32(kb, layer);
	MDB_val k = { 4, kb }, d = { sizeof *l, (void *)l };
	int rc = mdb_put(txn, v->layers, &k, &d, 0);
	return rc ? views_error(rc, "layer") : 0;
}

/* Stored form: the fixed part, then branch and actor without their NULs. */
struct commit_disk {
	struct commit_id id, parent, merged_parent;
	uint64_t lsn;
	int64_t time_us;
	uint64_t version;
	uint32_t layer;
	uint16_t kind;
	uint8_t branch_len, actor_len;
};
_Static_assert(sizeof(struct commit_disk) == 80, "commit record layout");

int commit_get(struct commit_rec *out, MDB_txn *txn, const struct views *v,
	       const struct commit_id *id)
{
	MDB_val k = { sizeof id->b, (void *)id->b }, d;
	struct commit_disk c;
	int rc = mdb_get(txn, v->commits, &k, &d);

	if (rc)
		return views_error(rc, "commit");
	if (d.mv_size < sizeof c)
		return log_error(GROVE_ECORRUPT, "commit record has %zu bytes", d.mv_size);
	memcpy(&c, d.mv_data, sizeof c);
	if (d.mv_size != sizeof c + c.branch_len + c.actor_len)
		return log_error(GROVE_ECORRUPT, "commit record has %zu bytes", d.mv_size);
	memset(out, 0, sizeof *out);
	out->id = c.id;
	out->parent = c.parent;
	out->merged_parent = c.merged_parent;
	out->lsn = c.lsn;
	out->time_us = c.time_us;
	out->version = c.version;
	out->layer = c.layer;
	out->kind = c.kind;
	memcpy(out->branch, (char *)d.mv_data + sizeof c, c.branch_len);
	memcpy(out->actor, (char *)d.mv_data + sizeof c + c.branch_len, c.actor_len);
	return 0;
}

int commit_put(MDB_txn *txn, const struct views *v, const struct commit_rec *r)
{
	uint8_t buf[sizeof(struct commit_disk) + BRANCH_NAME_MAX + ACTOR_MAX];
	size_t bl = strlen(r->branch), al = strlen(r->actor);
	struct commit_disk c = { r->id, r->parent, r->merged_parent, r->lsn, r->time_us,
				 r->version, r->layer, r->kind, (uint8_t)bl, (uint8_t)al };

	if (bl > BRANCH_NAME_MAX || al > ACTOR_MAX)
		return log_error(GROVE_EINVAL, "branch or actor name too long");
	memcpy(buf, &c, sizeof c);
	memcpy(buf + sizeof c, r->branch, bl);
	memcpy(buf + sizeof c + bl, r->actor, al);
	MDB_val k = { sizeof r->id.b, (void *)r->id.b }, d = { sizeof c + bl + al, buf };
	/* A commit id names one commit: another with the same id would make a
	 * branch's history a loop (its own parent).  Only an appended event
	 * can bring one (grove_log_append_json refuses it on a dry run). */
	int rc = mdb_put(txn, v->commits, &k, &d, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		char id[COMMIT_ID_TEXT_BYTES];
		commit_id_format(id, &r->id);
		return log_error(GROVE_ECONFLICT, "commit %s already exists", id);
	}
	return rc ? views_error(rc, "commit") : 0;
}

int layer_chain(struct layer_chain *out, MDB_txn *txn, const struct views *v,
		uint32_t layer, uint64_t cutoff)
{
	struct layer_rec l;
	int err;

	out->n = 0;
	while (layer) {
		if (out->n == LAYER_CHAIN_MAX)
			return log_error(GROVE_ETOOBIG, "branches are nested more than %u deep",
					 LAYER_CHAIN_MAX);
		out->at[out->n].layer = layer;
		out->at[out->n].cutoff = cutoff;
		out->n++;
		if ((err = layer_get(&l, txn, v, layer)) < 0)
			return err;
		/* A parent is read as of the fork, never later than the child. */
		if (l.fork_lsn < cutoff)
			cutoff = l.fork_lsn;
		layer = l.parent;
	}
	return 0;
}
