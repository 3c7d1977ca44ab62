/* views_huge.c — the page size of the views' map (see views.h,
 * docs/on-disk-format.md "Page size of the map").
 *
 * LMDB maps its file with MADV_RANDOM: a fault reads one 4 KiB page.
 * Advised MADV_HUGEPAGE as well, a fault brings in 2 MiB (one folio where
 * the file system has large folios, mapped by one TLB entry; 512 pages of
 * readahead where it has not): fewer faults and TLB misses for reads and
 * bulk writes.  But the page cache keeps those folios, and on ext4 the
 * first write into a clean one (after writeback) marks all 512 of its
 * blocks dirty, and writeback writes all 2 MiB back: on a 1M-node graph
 * whose pages came in huge, durable updates of random nodes took 190-260
 * us at the median instead of 110-120, and a 100-change merge 4-11 ms
 * instead of 2-4.  So huge pages are for graphs that are mostly read,
 * when asked for (VIEWS_HUGE_ON); the default keeps LMDB's 4 KiB.
 *
 * Every function here runs on one thread at a time for a given views: at
 * open and rebuild, before other threads use them. */
#include "index/views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Where the map starts: LMDB does not say (me_mapaddr is set only for a
 * fixed map), but a key of the main database points into the map, and
 * /proc/self/maps gives the mapping that holds it and its file offset;
 * the map is of the file from offset 0.  0 when it cannot be found. */
static uintptr_t map_base(MDB_env *env)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_dbi main_db;
	MDB_val k, d;
	uintptr_t at = 0, base = 0;
	char line[512];

	if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_dbi_open(txn, NULL, 0, &main_db) == 0 && mdb_cursor_open(txn, main_db, &cur) == 0) {
		if (mdb_cursor_get(cur, &k, &d, MDB_FIRST) == 0)
			at = (uintptr_t)k.mv_data;
		mdb_cursor_close(cur);
	}
	mdb_txn_abort(txn);
	FILE *maps = at ? fopen("/proc/self/maps", "re") : NULL;
	if (!maps)
		return 0;
	while (!base && fgets(line, sizeof line, maps)) {
		unsigned long lo, hi, off;
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && lo <= at && at < hi &&
		    off <= lo)
			base = lo - off;
		/* A line longer than the buffer: skip the rest of it. */
		while (!strchr(line, '\n') && fgets(line, sizeof line, maps))
			;
	}
	fclose(maps);
	return base;
}

uintptr_t views_map_addr(struct views *v)
{
	if (!v->map_sought) {   /* found when first needed: most opens never do */
		v->map_base = map_base(v->env);
		v->map_sought = true;
	}
	return v->map_base;
}

/* Advise the whole map; false if that did not happen. */
static bool advise_map(struct views *v, int advice)
{
	MDB_envinfo info;
	if (!views_map_addr(v) || mdb_env_info(v->env, &info) != 0)
		return false;
	if (madvise((void *)v->map_base, info.me_mapsize, advice) == 0)
		return true;
	v->map_base = 0;   /* a kernel that refuses is not asked again */
	return false;
}

void views_huge_init(struct views *v)
{
	v->huge = false;
	v->map_sought = false;
	v->map_base = 0;
}

void views_set_huge(struct views *v, int mode)
{
	bool on = mode == VIEWS_HUGE_ON;
	if (v->huge != on && advise_map(v, on ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		v->huge = on;
}
