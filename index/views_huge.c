/* views_huge.c — the page size of the views' map (see views.h,
 * docs/on-disk-format.md "Page size of the map").
 *
 * LMDB maps its file with MADV_RANDOM: a fault reads one 4 KiB page.
 * Advised MADV_HUGEPAGE as well, a fault brings in 2 MiB (one folio where
 * the file system has large folios, mapped by one TLB entry; 512 pages of
 * readahead where it has not): fewer faults and TLB misses for views that
 * live in memory anyway, and 2 MiB read per miss and dirtied per small
 * write for views that do not.  Hence the policy: huge pages while the
 * views are small against the memory this process may use.
 *
 * Every function here runs on one thread at a time for a given views:
 * at open and rebuild before other threads use them, and after commits,
 * which the sequencer serializes (seq.order_mu) or replay runs alone. */
#include "index/views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Auto: huge pages while the pages in use are at most 1/VIEWS_HUGE_SHARE
 * of the memory this process may use. */
#define VIEWS_HUGE_SHARE 8

/* The smaller of *mem and the limit in file `path` ("max": none). */
static void limit_min(uint64_t *mem, const char *path)
{
	char text[64];
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(text, sizeof text, f) && strncmp(text, "max", 3) != 0) {
		char *end;
		unsigned long long v = strtoull(text, &end, 10);
		if (end != text && v < *mem)
			*mem = v;
	}
	fclose(f);
}

/* The machine's memory, or this process's cgroup limit where lower: v2's
 * memory.max of the cgroup and each ancestor, v1's limit_in_bytes. */
static uint64_t memory_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	uint64_t mem = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
	char line[4096], path[4200];
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return mem;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *v1 = strstr(line, ":memory:");
		if (!strncmp(line, "0::", 3)) {
			char *p = line + 3;
			for (;;) {
				snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", p);
				limit_min(&mem, path);
				char *slash = strrchr(p, '/');
				if (!slash || !*p)
					break;
				*slash = '\0';
			}
		} else if (v1) {
			snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes",
				 v1 + 8);
			limit_min(&mem, path);
		}
	}
	fclose(f);
	return mem;
}

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

/* Advise the whole map; false if that did not happen.  A kernel that
 * refuses the advice (no transparent huge pages) is not asked again:
 * views_tune runs after every commit. */
static bool advise_map(struct views *v, int advice)
{
	MDB_envinfo info;
	if (!v->map_base || mdb_env_info(v->env, &info) != 0)
		return false;
	if (madvise((void *)v->map_base, info.me_mapsize, advice) == 0)
		return true;
	v->map_base = 0;
	return false;
}

static void huge_set(struct views *v, bool on)
{
	if (v->huge != on && advise_map(v, on ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		v->huge = on;
}

void views_huge_init(struct views *v)
{
	MDB_stat st;
	v->psize = mdb_env_stat(v->env, &st) == 0 ? st.ms_psize : 4096;
	v->huge_limit = memory_bytes() / VIEWS_HUGE_SHARE;
	v->huge_mode = VIEWS_HUGE_OFF;   /* until views_set_huge */
	v->huge = false;
	v->map_base = map_base(v->env);
}

void views_tune(struct views *v)
{
	if (v->bulk || v->huge_mode != VIEWS_HUGE_AUTO)
		return;
	MDB_envinfo info;
	if (mdb_env_info(v->env, &info) == 0)
		huge_set(v, (uint64_t)(info.me_last_pgno + 1) * v->psize <= v->huge_limit);
}

void views_set_huge(struct views *v, int mode)
{
	v->huge_mode = mode;
	if (!v->bulk && mode != VIEWS_HUGE_AUTO)
		huge_set(v, mode == VIEWS_HUGE_ON);
	views_tune(v);
}

void views_bulk_begin(struct views *v)
{
	huge_set(v, true);
	v->bulk = true;
}

void views_bulk_end(struct views *v)
{
	if (v->bulk) {
		v->bulk = false;
		huge_set(v, v->huge_mode == VIEWS_HUGE_ON);
		views_tune(v);
	}
}
