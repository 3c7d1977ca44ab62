/* test_options.c — grove_options: views_huge_pages (docs/on-disk-format.md,
 * "Page size of the map"): out-of-range modes are refused, and each mode
 * leaves the views' map advised as it says (index/views_huge.c), read
 * back from the mapping's VmFlags in /proc/self/smaps. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph_testutil.h"
#include "engine/db.h"
#include "index/views.h"
#include "log/error.h"

/* Does this kernel take MADV_HUGEPAGE at all (THP not "never")? */
static bool thp_available(void)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!f)
		return false;
	bool ok = fgets(line, sizeof line, f) && !strstr(line, "[never]");
	fclose(f);
	return ok;
}

enum advice { NOT_MAPPED = -1, NONE, HUGE, NOHUGE };

/* How the mapping of DIR/views/data.mdb is advised: its VmFlags in
 * /proc/self/smaps ("hg" MADV_HUGEPAGE, "nh" MADV_NOHUGEPAGE), found by
 * the file's inode. */
static enum advice map_advice(const char *dir)
{
	char file[4096], line[4096];
	struct stat st;
	snprintf(file, sizeof file, "%s/views/data.mdb", dir);
	cr_assert_eq(stat(file, &st), 0, "%s", file);
	FILE *f = fopen("/proc/self/smaps", "r");
	cr_assert_not_null(f);
	enum advice found = NOT_MAPPED;
	bool in = false;
	while (fgets(line, sizeof line, f)) {
		unsigned long ino;
		if (sscanf(line, "%*x-%*x %*s %*x %*x:%*x %lu", &ino) == 1)
			in = ino == st.st_ino;
		else if (in && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, " hg") ? HUGE : strstr(line, " nh") ? NOHUGE : NONE;
	}
	fclose(f);
	return found;
}

static grove_db *open_with(const char *dir, int mode)
{
	grove_options o = GROVE_OPTIONS_INIT;
	grove_db *db = NULL;
	o.views_huge_pages = mode;
	cr_assert_eq(grove_open(&db, dir, &o), 0, "%s", grove_errmsg(NULL));
	return db;
}

Test(options, a_huge_page_mode_out_of_range_is_refused_naming_the_field)
{
	char *d = gt_dir("opt-range");
	grove_options o = GROVE_OPTIONS_INIT;
	grove_db *db = NULL;
	o.views_huge_pages = 3;
	cr_assert_eq(grove_init(&db, d, gt_schema, &o), GROVE_EINVAL);
	cr_assert_null(db);
	cr_assert_str_eq(grove_errmsg(NULL), "grove_options.views_huge_pages 3 is not one of "
			 "GROVE_HUGE_PAGES_AUTO, _OFF, _ON");
	struct stat st;
	cr_assert_neq(stat(d, &st), 0, "a refused init created %s", d);
	db = gt_init(d, NULL);
	grove_close(db);
	o.views_huge_pages = -1;
	cr_assert_eq(grove_open(&db, d, &o), GROVE_EINVAL);
	cr_assert_null(db);
	gt_rmtree(d);
	free(d);
}

Test(options, each_huge_page_mode_advises_the_map_as_it_says)
{
	if (!thp_available())
		cr_skip_test("transparent huge pages are off on this kernel");
	char *d = gt_dir("opt-huge");
	grove_db *db = gt_init(d, NULL);   /* the default: LMDB's 4 KiB pages */
	cr_assert_eq(map_advice(d), NONE);
	grove_close(db);
	db = open_with(d, GROVE_HUGE_PAGES_OFF);
	cr_assert_eq(map_advice(d), NONE);
	grove_close(db);
	db = open_with(d, GROVE_HUGE_PAGES_ON);
	cr_assert_eq(map_advice(d), HUGE);
	grove_close(db);
	gt_rmtree(d);
	free(d);
}

/* Options of version 1 (before views_huge_pages) are still taken, and
 * what lies where the field is now is not read. */
Test(options, version_1_options_are_taken_with_the_default_mode)
{
	char *d = gt_dir("opt-v1");
	grove_options o = GROVE_OPTIONS_INIT;
	grove_db *db = NULL;
	o.version = 1;
	o.views_huge_pages = 99;   /* a version-1 caller's padding */
	cr_assert_eq(grove_init(&db, d, gt_schema, &o), 0, "%s", grove_errmsg(NULL));
	grove_close(db);
	cr_assert_eq(grove_open(&db, d, &o), 0, "%s", grove_errmsg(NULL));
	if (thp_available())
		cr_assert_eq(map_advice(d), NONE, "the default");
	grove_close(db);
	gt_rmtree(d);
	free(d);
}

/* Options of version 2 (before adj_cache_bytes) are still taken: what
 * lies where the field is now is not read, the default budget holds. */
Test(options, version_2_options_are_taken_with_the_default_copies)
{
	char *d = gt_dir("opt-v2");
	grove_options o = GROVE_OPTIONS_INIT;
	grove_db *db = NULL;
	o.version = 2;
	o.adj_cache_bytes = GROVE_ADJ_CACHE_NONE;   /* a version-2 caller's stack */
	cr_assert_eq(grove_init(&db, d, gt_schema, &o), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(db->opts.adj_cache_bytes, 0, "not read: the default");
	grove_close(db);
	gt_rmtree(d);
	free(d);
}

/* Views of their own in a fresh directory *d, for the tests on the views
 * themselves; THP must be on. */
static struct views *scratch_views(char **d, const char *tag)
{
	char vdir[4096];
	struct views *v;
	if (!thp_available())
		cr_skip_test("transparent huge pages are off on this kernel");
	*d = gt_dir(tag);
	cr_assert_eq(mkdir(*d, 0755), 0);
	snprintf(vdir, sizeof vdir, "%s/views", *d);
	cr_assert_eq(views_open(&v, vdir, 0), 0);
	return v;
}

static void scratch_views_done(struct views *v, char *d)
{
	views_close(v);
	gt_rmtree(d);
	free(d);
}

/* Each mode moves the advice of a map already open: the default (AUTO)
 * and OFF take huge pages away. */
Test(options, the_mode_of_open_views_moves_their_advice)
{
	char *d;
	struct views *v = scratch_views(&d, "opt-views");
	cr_assert_eq(map_advice(d), NONE, "views_open leaves LMDB's advice");
	views_set_huge(v, VIEWS_HUGE_AUTO);
	cr_assert_eq(map_advice(d), NONE);
	views_set_huge(v, VIEWS_HUGE_ON);
	cr_assert_eq(map_advice(d), HUGE);
	views_set_huge(v, VIEWS_HUGE_AUTO);
	cr_assert_eq(map_advice(d), NOHUGE);
	views_set_huge(v, VIEWS_HUGE_ON);
	cr_assert_eq(map_advice(d), HUGE);
	views_set_huge(v, VIEWS_HUGE_OFF);
	cr_assert_eq(map_advice(d), NOHUGE);
	scratch_views_done(v, d);
}

/* A rebuild leaves a graph whole. */
Test(options, a_rebuilt_graph_is_whole)
{
	char *d = gt_dir("opt-rebuild");
	grove_db *db = gt_init(d, NULL);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n", NULL), 0,
		     "%s", grove_errmsg(db));
	grove_close(db);
	uint64_t effects = 0;
	cr_assert_eq(grove_rebuild(d, &effects), 0, "%s", grove_errmsg(NULL));
	cr_assert_gt(effects, 0);
	cr_assert_eq(grove_verify(d), 0, "%s", grove_errmsg(NULL));
	db = open_with(d, GROVE_HUGE_PAGES_OFF);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 1);
	grove_close(db);
	gt_rmtree(d);
	free(d);
}

/* Closing unmaps and then syncs: the file is cut to the pages in use,
 * what was committed is there when the views open again, and closing
 * with UNCACHE or NOSYNC succeeds as well. */
Test(options, views_close_cuts_syncs_and_keeps_what_was_committed)
{
	char *d = gt_dir("opt-close"), vdir[4096], file[4200];
	struct views *v;
	MDB_txn *txn;
	uint64_t got = 0;
	struct stat st;
	cr_assert_eq(mkdir(d, 0755), 0);
	snprintf(vdir, sizeof vdir, "%s/views", d);
	snprintf(file, sizeof file, "%s/data.mdb", vdir);
	for (unsigned flags = 0; flags <= VIEWS_CLOSE_UNCACHE; flags += VIEWS_CLOSE_UNCACHE) {
		cr_assert_eq(views_open(&v, vdir, 0), 0);
		cr_assert_eq(views_write_begin(&txn, v), 0);
		cr_assert_eq(meta_put_u64(txn, v, "test_close", 40 + flags), 0);
		cr_assert_eq(mdb_txn_commit(txn), 0);
		cr_assert_eq(views_close_sync(v, flags), 0, "%s", log_errmsg());
		cr_assert_eq(stat(file, &st), 0);
		cr_assert_lt(st.st_size, 1 << 20, "cut from the map's length: %lld",
			     (long long)st.st_size);
		cr_assert_eq(st.st_size % 4096, 0);
		cr_assert_eq(views_open(&v, vdir, 0), 0);
		cr_assert_eq(views_read_begin(&txn, v), 0);
		cr_assert_eq(meta_get_u64(&got, txn, v, "test_close"), 0);
		views_read_end(v, txn);
		cr_assert_eq(got, 40 + flags);
		cr_assert_eq(views_close_sync(v, VIEWS_CLOSE_NOSYNC), 0);
	}
	gt_rmtree(d);
	free(d);
}
