/* views_prefault.c — the map's new pages faulted in ahead of a bulk write
 * (see views.h).
 *
 * A WRITEMAP environment writes its pages in the map itself, so every new
 * page LMDB takes at the end of the file costs the writer a page fault: a
 * trap, a page cache folio zeroed, a page table entry.  Under a hypervisor
 * that shadows page tables a fault costs 5-10 us, and a bulk write of
 * 1 GiB takes 262,144 of them: 2.5 s of a 3M-effect rebuild's 10 s were
 * spent in faults.  MADV_POPULATE_WRITE (Linux 5.14) does the same work
 * for a whole range in one call, without the traps: 1 GiB in 0.42 s, and
 * on another thread than the writer's.
 *
 * LMDB does not say where the write transaction's next page is.  It takes
 * new pages in order at the end of the file (a bulk write into fresh views
 * has no free pages to reuse), so the end is estimated as the committed
 * end plus the pages the transaction's databases have gained since the
 * bulk write began, and each part's growth from the bytes per effect seen
 * so far.  A page populated but never used is harmless: populating does
 * not change its bytes; the file is cut back to the pages in use when the
 * environment closes (views_close). */
#include "index/views.h"

#include <errno.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Bytes per effect before any were measured (a 3-property node or an
 * edge: ~330 B of views each). */
#define GUESS_BPE 384u
/* Populate in steps of this much, so that the writer, following close
 * behind, finds its pages mapped as soon as possible. */
#define STEP (8u << 20)

/* Pages of every database in txn (as the transaction sees them). */
static uint64_t txn_pages(struct views *v, MDB_txn *txn)
{
	const MDB_dbi dbis[] = { v->meta, v->branches, v->layers, v->commits, v->ids,
				 v->names, v->rows, v->adj, v->pidx, v->chg };
	uint64_t n = 0;
	for (size_t i = 0; i < sizeof dbis / sizeof *dbis; i++) {
		MDB_stat st;
		if (mdb_stat(txn, dbis[i], &st) == 0)
			n += st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
	}
	return n;
}

void views_prefault_begin(struct views_prefault *p, struct views *v, MDB_txn *txn)
{
	MDB_envinfo info;
	MDB_stat st;

	*p = (struct views_prefault){ .off = true };
	if (!v->writemap || mdb_env_info(v->env, &info) != 0 || mdb_env_stat(v->env, &st) != 0)
		return;
	uintptr_t base = views_map_addr(v);
	if (!base)
		return;
	p->base = base;
	p->psize = st.ms_psize;
	p->map_bytes = info.me_mapsize;
	p->end0 = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	p->done = p->end0;
	p->pages0 = txn_pages(v, txn);
	p->off = false;
}

/* Populate from where the transaction's pages end to `bytes` past it. */
static void plan_to(struct views_prefault *p, struct views *v, MDB_txn *txn, uint64_t grown,
		    uint64_t bytes)
{
	uint64_t end = p->end0 + grown;
	uint64_t to = end + bytes;
	(void)v;
	(void)txn;
	if (to > p->map_bytes)
		to = p->map_bytes;
	if (end > p->done)
		p->done = end;  /* the writer got there first */
	if (to > p->done) {
		p->from = p->done;
		p->to = to;
		p->done = to;
	}
}

void views_prefault_plan(struct views_prefault *p, struct views *v, MDB_txn *txn,
			 uint32_t now, uint32_t next)
{
	p->from = p->to = 0;
	if (p->off)
		return;
	uint64_t grown = (txn_pages(v, txn) - p->pages0) * p->psize;
	double bpe = p->effects ? (double)grown / (double)p->effects : GUESS_BPE;
	plan_to(p, v, txn, grown, (uint64_t)(bpe * ((double)now + (double)next)));
	p->effects += now;
}

void views_prefault_plan_bytes(struct views_prefault *p, struct views *v, MDB_txn *txn,
			       uint64_t bytes)
{
	p->from = p->to = 0;
	if (!p->off)
		plan_to(p, v, txn, (txn_pages(v, txn) - p->pages0) * p->psize, bytes);
}

void views_prefault_run(const struct views_prefault *p)
{
	for (uint64_t at = p->from & ~(uint64_t)(p->psize - 1); at < p->to; at += STEP) {
		uint64_t len = p->to - at < STEP ? p->to - at : STEP;
		if (madvise((void *)(p->base + at), len, MADV_POPULATE_WRITE) != 0)
			return; /* an older kernel, or no memory: the writer faults */
	}
}
