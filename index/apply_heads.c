/* apply_heads.c — what adjacency an apply writes, stamped (see apply_int.h). */
#include "index/apply_int.h"

#include <errno.h>
#include <stdlib.h>

#include "grove.h"
#include "index/views.h"
#include "log/error.h"

int adj_heads_note(struct adj_heads *h, uint32_t layer, uint32_t etype, uint64_t lsn)
{
	for (uint32_t i = h->n; i-- > 0;)
		if (h->at[i].layer == layer && h->at[i].etype == etype) {
			h->at[i].lsn = lsn;
			return 0;
		}
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? 2 * h->cap : 4;
		struct adjc_written *p = realloc(h->at, cap * sizeof *p);
		if (!p)
			return log_error(-ENOMEM, "out of memory");
		h->at = p;
		h->cap = cap;
	}
	h->at[h->n++] = (struct adjc_written){ layer, etype, lsn };
	return 0;
}

/* In the transaction of the puts (the views were stamped from an LSN on
 * when they opened: views.c); a stamp only ever grows. */
int adj_heads_stamp(MDB_txn *txn, struct views *v, struct adj_heads *h)
{
	char key[ADJC_STAMP_KEY_MAX];
	int err = 0;
	for (uint32_t i = 0; i < h->n && !err; i++) {
		uint64_t was;
		adjc_stamp_key(key, h->at[i].layer, h->at[i].etype);
		if ((err = meta_get_u64(&was, txn, v, key)) == 0 && was < h->at[i].lsn)
			err = meta_put_u64(txn, v, key, h->at[i].lsn);
	}
	h->n = 0;
	return err;
}
