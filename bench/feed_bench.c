/*
 * feed_bench — catching up on a change feed costs each commit once: a
 * consumer reading a branch's history from the beginning, page after page
 * (engine §4.5), must take about as long per commit on a long history as
 * on a short one.
 *
 *   feed_bench [--quick]
 *
 * Two graphs under $GROVE_BENCH_DIR (default /var/tmp), removed at the
 * end: one with SHORT commits on main, one with LONG (full) or LONG_QUICK
 * (--quick), each a mutation inserting one node.  A consumer polls each
 * from "beginning" with pages of POLL commits, cursor after cursor, until
 * caught up; timed from the first poll to the last.
 *
 * Headline lines:
 *   result feed.catchup_us_per_commit <long history: us per commit>
 *   result feed.catchup_ratio_long_vs_short <us per commit, long / short> (target ~ 1)
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "grove.h"

#define SHORT 2000
#define LONG 200000
#define LONG_QUICK 20000
#define POLL 512

static void check(grove_db *db, const char *what, int err)
{
	bench_check("feed_bench", db, what, err);
}

static grove_db *make_history(const char *work, const char *name, int commits)
{
	char *dir = bench_path(work, name);
	grove_options go = GROVE_OPTIONS_INIT;
	grove_mutate_options mo = { .actor = "bench" };
	const char *gq = "query h($n: String) { insert Person { name: $n, age: 1, city: \"Rome\" } }";
	grove_db *db;
	check(NULL, "init", grove_init(&db, dir, gen_schema, &go));
	for (int i = 0; i < commits; i++) {
		char params[64], *out = NULL;
		snprintf(params, sizeof params, "{\"n\": \"h%d\"}", i);
		check(db, "mutate", grove_mutate_json(&out, db, &mo, gq, "h", params));
		grove_free(out);
	}
	free(dir);
	return db;
}

/* Seconds to read the whole feed from the beginning; *blocks: how many. */
static double catch_up(grove_db *db, long *blocks, int *polls)
{
	char *position = strdup("beginning");
	double t0 = bench_now_s();
	bool caught_up = false;
	*blocks = 0;
	*polls = 0;
	while (!caught_up) {
		char *out = NULL;
		check(db, "poll", grove_changes_poll_json(&out, db, "main", position, NULL, POLL));
		json_t *j = json_loads(out, 0, NULL);
		grove_free(out);
		*blocks += (long)json_array_size(json_object_get(j, "blocks"));
		free(position);
		position = strdup(json_string_value(json_object_get(j, "cursor")));
		caught_up = json_is_true(json_object_get(j, "caught_up"));
		json_decref(j);
		(*polls)++;
	}
	free(position);
	return bench_now_s() - t0;
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: feed_bench [--quick]\n");
		return 2;
	}
	int n_long = quick ? LONG_QUICK : LONG;
	char *work = bench_mkdtemp("grove-feed-bench");
	double t0 = bench_now_s();
	grove_db *s = make_history(work, "short", SHORT);
	grove_db *l = make_history(work, "long", n_long);
	double made_s = bench_now_s() - t0;
	long bs, bl;
	int ps, pl;
	double ts = catch_up(s, &bs, &ps), tl = catch_up(l, &bl, &pl);
	if (bs != SHORT || bl != n_long) {
		fprintf(stderr, "feed_bench: expected %d and %d blocks, got %ld and %ld\n", SHORT, n_long,
			bs, bl);
		return 1;
	}
	grove_close(s);
	grove_close(l);
	double us_s = ts * 1e6 / (double)bs, us_l = tl * 1e6 / (double)bl;
	printf("feed_bench (%s): histories of %d and %d commits made in %.1f s\n", quick ? "quick" : "full",
	       SHORT, n_long, made_s);
	printf("%-28s %8s %8s %10s %14s\n", "catch-up from the beginning", "commits", "polls", "seconds",
	       "us per commit");
	printf("%-28s %8ld %8d %10.3f %14.2f\n", "short history", bs, ps, ts, us_s);
	printf("%-28s %8ld %8d %10.3f %14.2f\n", "long history", bl, pl, tl, us_l);
	printf("result feed.catchup_us_per_commit %.2f\n", us_l);
	printf("result feed.catchup_ratio_long_vs_short %.3f\n", us_l / us_s);
	bench_rmtree(work);
	free(work);
	return 0;
}
