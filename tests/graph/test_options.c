/* test_options.c — grove_options: views_huge_pages (docs/on-disk-format.md,
 * "Page size of the map"): out-of-range modes are refused, and each mode
 * leaves the views' map advised as it says (the mapping's VmFlags in
 * /proc/self/smaps: "hg" is MADV_HUGEPAGE). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph_testutil.h"

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

/* 1: the mapping of DIR/views/data.mdb has "hg" in its VmFlags, 0: it has
 * not, -1: no such mapping. */
static int map_advised_huge(const char *dir)
{
	char want[4096], line[4096];
	struct stat st;
	snprintf(want, sizeof want, "%s/views/data.mdb", dir);
	cr_assert_eq(stat(want, &st), 0, "%s", want);
	FILE *f = fopen("/proc/self/smaps", "r");
	cr_assert_not_null(f);
	int found = -1;
	bool in = false;
	while (fgets(line, sizeof line, f)) {
		unsigned long ino;
		char path[4096];
		if (sscanf(line, "%*x-%*x %*s %*x %*x:%*x %lu %4095s", &ino, path) == 2)
			in = ino == st.st_ino && strstr(path, "data.mdb");
		else if (in && !strncmp(line, "VmFlags:", 8))
			found = found == 1 ? 1 : strstr(line, " hg") != NULL;
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
	grove_db *db = gt_init(d, NULL);   /* AUTO: a tiny graph is far under RAM/8 */
	cr_assert_eq(map_advised_huge(d), 1);
	grove_close(db);
	db = open_with(d, GROVE_HUGE_PAGES_OFF);
	cr_assert_eq(map_advised_huge(d), 0);
	grove_close(db);
	db = open_with(d, GROVE_HUGE_PAGES_ON);
	cr_assert_eq(map_advised_huge(d), 1);
	grove_close(db);
	gt_rmtree(d);
	free(d);
}

/* A rebuild writes with huge pages whatever the mode; the graph it leaves
 * opens under OFF with the map unadvised and its data whole. */
Test(options, a_rebuilt_graph_opens_under_off_whole_and_unadvised)
{
	if (!thp_available())
		cr_skip_test("transparent huge pages are off on this kernel");
	char *d = gt_dir("opt-rebuild");
	grove_db *db = gt_init(d, NULL);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n", NULL), 0,
		     "%s", grove_errmsg(db));
	grove_close(db);
	uint64_t effects = 0;
	cr_assert_eq(grove_rebuild(d, &effects), 0, "%s", grove_errmsg(NULL));
	cr_assert_gt(effects, 0);
	db = open_with(d, GROVE_HUGE_PAGES_OFF);
	cr_assert_eq(map_advised_huge(d), 0);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 1);
	grove_close(db);
	gt_rmtree(d);
	free(d);
}
