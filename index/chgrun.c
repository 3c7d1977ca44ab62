/* chgrun.c — entries of the changes view as runs (see chgrun.h). */
#include "index/chgrun.h"

#include "index/layered.h"

/* A run's count fits the value's u32; a longer one is cut in two. */
#define RUN_MAX UINT32_MAX

static void key_of(uint8_t k[CHG_KEY_BYTES], uint32_t layer, uint64_t lsn, uint32_t type,
		   uint64_t entity)
{
	layered_be32(k, layer);
	layered_be64(k + 4, lsn);
	layered_be32(k + 12, type);
	layered_be64(k + 16, entity);
}

int chg_single(struct put_batch *b, uint32_t layer, uint64_t lsn, uint32_t type, uint64_t entity,
	       uint8_t op)
{
	uint8_t k[CHG_KEY_BYTES];
	key_of(k, layer, lsn, type, entity);
	return put_batch_add(b, k, sizeof k, &op, 1);
}

int chg_run_close(struct chg_run *r, struct put_batch *b)
{
	uint8_t k[CHG_KEY_BYTES], d[5];
	if (r->count == 0)
		return 0;
	key_of(k, r->layer, r->lsn, r->type, r->first);
	d[0] = r->op;
	layered_be32(d + 1, (uint32_t)r->count);
	uint32_t dn = r->count == 1 ? 1 : 5;  /* one entity: as before runs */
	r->count = 0;
	return put_batch_add(b, k, sizeof k, d, dn);
}

int chg_run_note(struct chg_run *r, struct put_batch *b, uint32_t layer, uint64_t lsn,
		 uint32_t type, uint64_t entity, uint8_t op)
{
	if (r->count && r->layer == layer && r->lsn == lsn && r->type == type && r->op == op &&
	    entity == r->first + r->count && r->count < RUN_MAX) {
		r->count++;
		return 0;
	}
	int err = chg_run_close(r, b);
	if (err < 0)
		return err;
	*r = (struct chg_run){ .layer = layer, .type = type, .lsn = lsn, .first = entity,
			       .count = 1, .op = op };
	return 0;
}

bool chg_entry_read(const MDB_val *k, const MDB_val *d, uint32_t *type, uint64_t *first,
		    uint64_t *count)
{
	const uint8_t *p = k->mv_data, *v = d->mv_data;
	if (k->mv_size != CHG_KEY_BYTES || (d->mv_size != 1 && d->mv_size != 5))
		return false;
	*type = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | (uint32_t)p[14] << 8 | p[15];
	*first = layered_rd64(p + 16);
	*count = d->mv_size == 1 ? 1
		: (uint64_t)v[1] << 24 | (uint64_t)v[2] << 16 | (uint64_t)v[3] << 8 | v[4];
	return *count > 0;
}
