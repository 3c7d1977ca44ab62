/*
 * branch_bench — branches are O(1) (issue 5): the cost of creating a branch
 * on a big graph against a small one, of reading through a chain of nested
 * branches against reading main, and the speed of replaying the log
 * (grove_rebuild).
 *
 *   branch_bench [--quick]
 *
 * The big graph is load_bench's (gen.h): N Person nodes and 2N Knows edges,
 * N = 1,000,000 (full) or 100,000 (--quick), loaded in one commit; the
 * small one has 1,000 nodes and 2,000 edges.  Both live in fresh
 * directories under $GROVE_BENCH_DIR (default /var/tmp), removed at the end.
 *
 *  - create: CREATES branches of main on each graph, alternating big and
 *    small so that drift hits both alike; p50 of each and their ratio.
 *  - reads: two chains of 5 nested branches on the big graph: e1 from main,
 *    e2 from e1, ... e5 (empty), and b1 ... b5 where each branch loads one
 *    node of its own before the next forks from it (every layer of the
 *    chain holds data b5 sees).  READS grove_entity_json of random Person
 *    nodes (written on main by the load) at main, e5 and b5, in rotating
 *    order; p50 and p99 of each.
 *  - many branches: a third graph like the small one holding MANY (full)
 *    or MANY_QUICK (--quick) branches; CREATES creates, then deletes, on it
 *    and on the small graph, alternating; p50 of each and their ratios
 *    (the name checks seek, and a delete rules out its dependents by
 *    layer number: neither grows with the branches much).
 *  - replay: close the big graph, grove_rebuild it; effects per second.
 *
 * Headline lines:
 *   result branch.create_ratio_big_vs_small <big p50 / small p50>
 *   result branch.read_ratio_5_nested_vs_main <b5 p50 / main p50>
 *   result branch.read_ratio_5_nested_empty_vs_main <e5 p50 / main p50>
 *   result branch.create_ratio_many_vs_few, branch.delete_ratio_many_vs_few
 *   result replay.effects_per_s <effects / rebuild seconds>
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "grove.h"

#define CREATES 50
#define READS 2000
#define CHAIN 5
#define SMALL_NODES 1000
#define MANY 10000
#define MANY_QUICK 2000

static void check(grove_db *db, const char *what, int err)
{
	bench_check("branch_bench", db, what, err);
}

/* Create a graph at dir/name and load the generated graph of n nodes. */
static grove_db *make_graph(const char *work, const char *name, uint64_t n, double *load_s,
			    uint64_t *rows)
{
	char *dir = bench_path(work, name), *file = bench_path(work, "all.jsonl");
	grove_options go = GROVE_OPTIONS_INIT;
	grove_load_options lo = { .mode = GROVE_LOAD_OVERWRITE, .actor = "bench" };
	grove_load_result res;
	grove_db *db;
	struct gen_stats g;

	gen_write(&g, work, n, 2 * n, GEN_SEED, GEN_ALL_JSONL);
	check(NULL, "init", grove_init(&db, dir, gen_schema, &go));
	double t0 = bench_now_s();
	check(db, "load", grove_load_file(&res, db, &lo, file));
	*load_s = bench_now_s() - t0;
	*rows = res.nodes + res.edges;
	remove(file);
	free(file);
	free(dir);
	return db;
}

struct lat {
	double p50_us, p99_us;
};

static struct lat summarize(double *v, size_t n)
{
	struct lat l;
	l.p50_us = bench_pct(v, n, 0.5) * 1e6;
	l.p99_us = bench_pct(v, n, 0.99) * 1e6;
	return l;
}

static double time_create(grove_db *db, const char *name)
{
	double t0 = bench_now_s();
	check(db, "branch create", grove_branch_create(db, name, "main", "bench"));
	return bench_now_s() - t0;
}

static double time_read(grove_db *db, const char *branch, const char *id)
{
	grove_target t = { branch, NULL };
	char *json = NULL;
	double t0 = bench_now_s();
	check(db, "entity", grove_entity_json(&json, db, &t, "node:Person", id));
	double s = bench_now_s() - t0;
	grove_free(json);
	return s;
}

/* p50/p99 of reading random nodes at each of `nt` branches; the order of
 * the branches rotates from one node to the next so that none always finds
 * the pages warm. */
static void time_reads(struct lat *out, const char *const *branches, int nt, grove_db *db,
		       uint64_t n)
{
	double *v = malloc((size_t)nt * READS * sizeof *v);
	uint64_t x = 0x853c49e6748fea9bull;
	char id[GEN_NAME_BYTES];

	for (size_t i = 0; i < READS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		gen_name(id, (x >> 11) % n, GEN_SEED);
		for (int k = 0; k < nt; k++) {
			int j = (int)((i + (size_t)k) % (size_t)nt);
			v[(size_t)j * READS + i] = time_read(db, branches[j], id);
		}
	}
	for (int j = 0; j < nt; j++)
		out[j] = summarize(v + (size_t)j * READS, READS);
	free(v);
}

/* prefix1 from main, prefix2 from prefix1, ...; with `write`, each branch
 * loads one node of its own before the next one forks from it. */
static void make_chain(grove_db *db, const char *prefix, int write)
{
	char name[16], from[16] = "main", rec[160];
	for (int i = 1; i <= CHAIN; i++) {
		snprintf(name, sizeof name, "%s%d", prefix, i);
		check(db, "chain", grove_branch_create(db, name, from, "bench"));
		if (write) {
			grove_load_options lo = { .branch = name, .mode = GROVE_LOAD_APPEND,
						  .actor = "bench" };
			grove_load_result res;
			int len = snprintf(rec, sizeof rec,
					   "{\"type\":\"Person\",\"data\":{\"name\":\"%s\","
					   "\"age\":%d,\"city\":\"Oslo\"}}\n", name, i);
			check(db, "branch load", grove_load(&res, db, &lo, rec, (size_t)len));
		}
		memcpy(from, name, sizeof from);
	}
}

/* Branch creates on the big and the small graph, interleaved (which goes
 * first alternates, so neither always follows the other's sync). */
static void time_creates(struct lat *big_lat, struct lat *small_lat, grove_db *big, grove_db *small)
{
	double cb[CREATES], cs[CREATES];
	char name[64];
	for (int i = 0; i < CREATES; i++) {
		snprintf(name, sizeof name, "create-%d", i);
		if (i & 1) {
			cb[i] = time_create(big, name);
			cs[i] = time_create(small, name);
		} else {
			cs[i] = time_create(small, name);
			cb[i] = time_create(big, name);
		}
	}
	*big_lat = summarize(cb, CREATES);
	*small_lat = summarize(cs, CREATES);
}

static double time_delete(grove_db *db, const char *name)
{
	double t0 = bench_now_s();
	check(db, "branch delete", grove_branch_delete(db, name, "bench"));
	return bench_now_s() - t0;
}

/* Creates, then deletes, on a graph of many branches and on one of few,
 * interleaved.  lat: create many, create few, delete many, delete few. */
static void time_crowded(struct lat lat[4], grove_db *many, grove_db *few, int n_many)
{
	double v[4][CREATES];
	char name[64];
	for (int i = 0; i < n_many; i++) {
		snprintf(name, sizeof name, "crowd-%05d", i);
		check(many, "crowd", grove_branch_create(many, name, "main", "bench"));
	}
	sync();
	for (int op = 0; op < 2; op++)
		for (int i = 0; i < CREATES; i++) {
			snprintf(name, sizeof name, "c/%d", i);
			double (*fn)(grove_db *, const char *) = op ? time_delete : time_create;
			int first = i & 1;
			v[2 * op + first][i] = fn(first ? few : many, name);
			v[2 * op + !first][i] = fn(first ? many : few, name);
		}
	for (int k = 0; k < 4; k++)
		lat[k] = summarize(v[k], CREATES);
}

static void print_crowded(const struct lat crowded[4], int n_many)
{
	for (int k = 0; k < 4; k++) {
		char label[64], many_label[32];
		snprintf(many_label, sizeof many_label, "%d branches", n_many);
		snprintf(label, sizeof label, "branch %s, %s", k < 2 ? "create" : "delete",
			 k % 2 ? "few branches" : many_label);
		printf("%-44s %10.1f %10.1f\n", label, crowded[k].p50_us, crowded[k].p99_us);
	}
}

/* Rebuild the big graph's views from its log; its seconds (wall and CPU),
 * effects, and the Person nodes b5 then sees (not timed). */
static double rebuild(const char *work, double *cpu_s, uint64_t *effects, uint64_t *people)
{
	char *dir = bench_path(work, "big");
	grove_target t = { "b5", NULL };
	grove_db *db;
	double t0 = bench_now_s(), c0 = bench_cpu_s();
	check(NULL, "rebuild", grove_rebuild(dir, effects));
	double s = bench_now_s() - t0;
	*cpu_s = bench_cpu_s() - c0;
	check(NULL, "open", grove_open(&db, dir, NULL));
	check(db, "count", grove_count(people, db, &t, "node:Person"));
	grove_close(db);
	free(dir);
	return s;
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: branch_bench [--quick]\n");
		return 2;
	}
	uint64_t n = quick ? 100000 : 1000000;
	const char *nodes_env = getenv("GROVE_BENCH_NODES");   /* smoke tests */
	if (nodes_env && *nodes_env)
		n = strtoull(nodes_env, NULL, 10);
	double load_before = bench_load1();
	bench_oom_first();
	char *work = bench_mkdtemp("grove-branch-bench");
	double big_load_s, small_load_s;
	uint64_t big_rows, small_rows;
	grove_db *big = make_graph(work, "big", n, &big_load_s, &big_rows);
	grove_db *small = make_graph(work, "small", SMALL_NODES, &small_load_s, &small_rows);

	/* The loads leave the views' pages to the kernel's writeback (LMDB
	 * without sync); let it finish, so that the fdatasync of each branch
	 * create does not queue behind gigabytes of someone else's writes. */
	sync();

	struct lat create_big, create_small, crowded[4];
	time_creates(&create_big, &create_small, big, small);
	int n_many = quick ? MANY_QUICK : MANY;
	grove_db *many = make_graph(work, "many", SMALL_NODES, &small_load_s, &small_rows);
	time_crowded(crowded, many, small, n_many);
	grove_close(many);

	/* ---- reads through 5 nested branches ---- */
	make_chain(big, "e", 0);
	make_chain(big, "b", 1);
	const char *const targets[] = { "main", "e5", "b5" };
	struct lat rd[3];
	time_reads(rd, targets, 3, big, n);

	/* ---- replay ---- */
	grove_close(big);
	grove_close(small);
	sync();
	uint64_t effects = 0, people = 0;
	double rebuild_cpu_s, rebuild_s = rebuild(work, &rebuild_cpu_s, &effects, &people);
	double load_after = bench_load1();

	printf("branch_bench (%s): big graph %" PRIu64 " rows (%" PRIu64 " nodes; loaded in %.1f s), "
	       "small %" PRIu64 " rows, dir %s\n", quick ? "quick" : "full", big_rows, n,
	       big_load_s, small_rows, work);
	printf("load average %.2f before, %.2f after\n", load_before, load_after);
	printf("%-44s %10s %10s\n", "case", "p50 us", "p99 us");
	printf("%-44s %10.1f %10.1f\n", "branch create, big graph", create_big.p50_us,
	       create_big.p99_us);
	printf("%-44s %10.1f %10.1f\n", "branch create, small graph", create_small.p50_us,
	       create_small.p99_us);
	print_crowded(crowded, n_many);
	printf("%-44s %10.1f %10.1f\n", "read node at main", rd[0].p50_us, rd[0].p99_us);
	printf("%-44s %10.1f %10.1f\n", "read node at e5 (5 nested, empty)", rd[1].p50_us,
	       rd[1].p99_us);
	printf("%-44s %10.1f %10.1f\n", "read node at b5 (5 nested, each wrote 1)",
	       rd[2].p50_us, rd[2].p99_us);
	printf("rebuild: %" PRIu64 " effects in %.2f s (%.2f CPU s); b5 then holds %" PRIu64
	       " Person nodes%s\n", effects, rebuild_s, rebuild_cpu_s, people,
	       people == n + CHAIN ? "" : " (WRONG)");
	printf("result branch.create_ratio_big_vs_small %.3f\n", create_big.p50_us / create_small.p50_us);
	printf("result branch.create_p50_us %.1f\n", create_big.p50_us);
	printf("result branch.read_ratio_5_nested_vs_main %.3f\n", rd[2].p50_us / rd[0].p50_us);
	printf("result branch.read_ratio_5_nested_empty_vs_main %.3f\n", rd[1].p50_us / rd[0].p50_us);
	printf("result branch.create_ratio_many_vs_few %.3f\n", crowded[0].p50_us / crowded[1].p50_us);
	printf("result branch.delete_ratio_many_vs_few %.3f\n", crowded[2].p50_us / crowded[3].p50_us);
	printf("result replay.effects_per_s %.0f\n", (double)effects / rebuild_s);

	bench_rmtree(work);
	free(work);
	return people == n + CHAIN ? 0 : 1;
}
