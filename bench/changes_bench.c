/*
 * changes_bench — paging through one large commit's changes costs each
 * change once, whatever the page size (engine §4.4: a handle keeps the
 * commit's sorted candidates between pages, engine/chg_cache.c).
 *
 *   changes_bench [--quick]
 *
 * load_bench's graph (gen.h: N Person nodes, 2N Knows edges; N = 100,000
 * full, 30,000 --quick) loaded in one commit under $GROVE_BENCH_DIR
 * (default /var/tmp), removed at the end; then every page of that
 * commit's changes by grove_commit_changes_json, by pages of 100, 1,000
 * and 8,192 changes, each run timed from the first page to the last.
 *
 * Headline lines:
 *   result changes.us_per_change <pages of 1,000: us per change>
 *   result changes.ratio_100_vs_8192 <us per change, pages of 100 / of 8,192> (target ~ 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "grove.h"

static void check(grove_db *db, const char *what, int err)
{
	bench_check("changes_bench", db, what, err);
}

/* Seconds to read every page of `commit` by pages of `size`; *changes,
 * *pages: how many. */
static double page_all(grove_db *db, const char *commit, uint32_t size, long *changes, long *pages)
{
	char *token = NULL;
	double t0 = bench_now_s();
	*changes = *pages = 0;
	do {
		char *out = NULL;
		check(db, "commit changes", grove_commit_changes_json(&out, db, commit, NULL, token, size));
		free(token);
		token = NULL;
		/* Count the changes by their "op" keys; the token is the last string. */
		for (const char *p = out; (p = strstr(p, "\"op\":")) != NULL; p += 5)
			(*changes)++;
		const char *t = strstr(out, "\"next_page_token\":\"");
		if (t) {
			t += strlen("\"next_page_token\":\"");
			token = strndup(t, (size_t)(strchr(t, '"') - t));
		}
		grove_free(out);
		(*pages)++;
	} while (token);
	return bench_now_s() - t0;
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: changes_bench [--quick]\n");
		return 2;
	}
	uint64_t n = quick ? 30000 : 100000;
	char *work = bench_mkdtemp("grove-changes-bench");
	char *dir = bench_path(work, "g"), *file = bench_path(work, "all.jsonl");
	struct gen_stats gs;
	grove_options go = GROVE_OPTIONS_INIT;
	grove_load_options lo = { .mode = GROVE_LOAD_OVERWRITE, .actor = "bench" };
	grove_load_result res;
	grove_db *db;

	gen_write(&gs, work, n, 2 * n, GEN_SEED, GEN_ALL_JSONL);
	check(NULL, "init", grove_init(&db, dir, gen_schema, &go));
	check(db, "load", grove_load_file(&res, db, &lo, file));
	const uint32_t sizes[3] = { 100, 1000, 8192 };
	double us[3];
	printf("changes_bench (%s): one commit of %llu nodes and %llu edges\n", quick ? "quick" : "full",
	       (unsigned long long)n, (unsigned long long)(2 * n));
	printf("%-16s %10s %8s %10s %14s\n", "page size", "changes", "pages", "seconds", "us per change");
	for (int i = 0; i < 3; i++) {
		long changes, pages;
		double s = page_all(db, res.commit.id, sizes[i], &changes, &pages);
		if (changes != (long)(3 * n)) {
			fprintf(stderr, "changes_bench: %ld changes, expected %llu\n", changes,
				(unsigned long long)(3 * n));
			return 1;
		}
		us[i] = s * 1e6 / (double)changes;
		printf("%-16u %10ld %8ld %10.3f %14.2f\n", sizes[i], changes, pages, s, us[i]);
	}
	grove_close(db);
	printf("result changes.us_per_change %.2f\n", us[1]);
	printf("result changes.ratio_100_vs_8192 %.3f\n", us[0] / us[2]);
	bench_rmtree(work);
	free(file);
	free(dir);
	free(work);
	return 0;
}
