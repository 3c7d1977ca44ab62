/*
 * merge_bench — the cost of merging a branch (issue 7): a fixed number of
 * changed entities must merge in the same time whatever the graph's size.
 *
 *   merge_bench [--quick]
 *
 * Two graphs of load_bench's shape (gen.h: N Person nodes, 2N Knows
 * edges), each loaded in one commit: the big one with N = 1,000,000 (full)
 * or 100,000 (--quick), the small one 100 times smaller.  They live in a
 * fresh directory under $GROVE_BENCH_DIR (default /var/tmp), removed at
 * the end.  $GROVE_BENCH_NODES overrides N (smoke tests).
 *
 * A change set of C entities is made by mutations on a branch forked from
 * main: C/4 existing Person nodes rewritten (an `insert` of an existing
 * key is an upsert: new age and city), C/4 new Person nodes and C/2 new
 * Knows edges between existing nodes, as mutation queries of at most 100
 * statements each (one commit each).  (`update Person set ... where name
 * = K` would rewrite a node too, but it scans the type per statement: the
 * set-up alone would take minutes at 1M.  A merge takes at most 8,192
 * keyed entities of one type, hence the edges in the 10,000 case.)  Cases, each timed around grove_merge_json(branch -> main) alone
 * (wall and process CPU):
 *   merged, big     C = 100; main also moved (one inserted node) after the
 *                   fork, so the outcome is a real three-way "merged"
 *   merged, small   the same on the small graph
 *   fast-forward    C = 100, main unmoved: outcome "fast_forward"
 *   merged, 10k     C = 10,000 on the big graph, main moved
 *   merged, history C = 100 on a graph like the small one whose main has
 *                   HISTORY (full) or HISTORY_QUICK one-node commits more:
 *                   finding the merge base must not walk the whole history
 * The 100-change cases repeat REPS times (big and small alternate, so that
 * drift in the machine's load hits both alike); the tables give medians.
 *
 * Headline lines:
 *   result merge.ms_100_changes <median ms, merged, big graph>   (target <= 10)
 *   result merge.size_ratio <big / small, merged, 100 changes>   (target ~ 1)
 *   result merge.size_ratio_cpu <the same ratio of the medians of CPU time>
 *   result merge.history_ratio <long history / small, merged, 100 changes> (target ~ 1)
 *   result merge.ff_ms_100_changes, merge.ms_10k_changes, merge.ms_100_changes_small
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"
#include "grove.h"

#define REPS 21
#define BATCH 100          /* statements per mutation */
#define HISTORY 200000     /* commits of the long-history graph */
#define HISTORY_QUICK 20000

struct graph {
	grove_db *db;
	uint64_t n;            /* Person nodes loaded */
	double load_s;
	const char *label;
};

/* One timed merge. */
struct sample {
	double ms, cpu_ms;
	double prep_s;         /* making the branch's changes (not timed) */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return rng_state >> 11;
}

static void check(grove_db *db, const char *what, int err)
{
	bench_check("merge_bench", db, what, err);
}

static void make_graph(struct graph *g, const char *work, const char *name, uint64_t n)
{
	char *dir = bench_path(work, name), *file = bench_path(work, "all.jsonl");
	grove_options go = GROVE_OPTIONS_INIT;
	grove_load_options lo = { .mode = GROVE_LOAD_OVERWRITE, .actor = "bench" };
	grove_load_result res;
	struct gen_stats gs;

	gen_write(&gs, work, n, 2 * n, GEN_SEED, GEN_ALL_JSONL);
	check(NULL, "init", grove_init(&g->db, dir, gen_schema, &go));
	double t0 = bench_now_s();
	check(g->db, "load", grove_load_file(&res, g->db, &lo, file));
	g->load_s = bench_now_s() - t0;
	g->n = n;
	g->label = name;
	remove(file);
	free(file);
	free(dir);
}

/* `commits` more commits on main, one new node each: a long history. */
static void make_history(const struct graph *g, int commits)
{
	grove_mutate_options mo = { .actor = "bench" };
	const char *gq = "query h($n: String) { insert Person { name: $n, age: 1, city: \"Rome\" } }";
	for (int i = 0; i < commits; i++) {
		char params[64], *out = NULL;
		snprintf(params, sizeof params, "{\"n\": \"history-%d\"}", i);
		check(g->db, "history", grove_mutate_json(&out, g->db, &mo, gq, "h", params));
		grove_free(out);
	}
}

/* Append one statement of change `i` of the set `tag` to buf: a quarter
 * rewrite existing Person nodes, a quarter insert new ones, half insert
 * Knows edges between existing nodes. */
static size_t add_statement(char *buf, size_t cap, size_t len, const struct graph *g,
			    const char *tag, int i)
{
	char a[GEN_NAME_BYTES], b[GEN_NAME_BYTES];
	gen_name(a, rnd() % g->n, GEN_SEED);
	gen_name(b, rnd() % g->n, GEN_SEED);
	if (i % 4 == 0)
		return len + (size_t)snprintf(buf + len, cap - len,
					      "  insert Person { name: \"%s\", age: %d, city: \"Oslo\" }\n",
					      a, 100 + (int)(rnd() % 1000));
	if (i % 4 == 1)
		return len + (size_t)snprintf(buf + len, cap - len,
					      "  insert Person { name: \"%s-%d\", age: %d, city: \"Oslo\" }\n",
					      tag, i, (int)(rnd() % 100));
	return len + (size_t)snprintf(buf + len, cap - len,
				      "  insert Knows { from: \"%s\", to: \"%s\" }\n", a, b);
}

/* `changes` changed entities on `branch`, in mutations of BATCH statements. */
static void make_changes(const struct graph *g, const char *branch, const char *tag, int changes)
{
	grove_mutate_options mo = { .branch = branch, .actor = "bench" };
	size_t cap = (size_t)BATCH * 200 + 64;
	char *gq = malloc(cap);

	for (int done = 0; done < changes; done += BATCH) {
		size_t len = (size_t)snprintf(gq, cap, "query b() {\n");
		for (int i = done; i < changes && i < done + BATCH; i++)
			len = add_statement(gq, cap, len, g, tag, i);
		snprintf(gq + len, cap - len, "}\n");
		char *out = NULL;
		check(g->db, "mutate", grove_mutate_json(&out, g->db, &mo, gq, "b", NULL));
		grove_free(out);
	}
	free(gq);
}

static void expect_outcome(const char *json, const char *want)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	const char *got = json_string_value(json_object_get(o, "outcome"));
	if (!got || strcmp(got, want) != 0) {
		fprintf(stderr, "merge_bench: expected outcome %s, got %s\n", want, json);
		exit(1);
	}
	json_decref(o);
}

/* Fork `tag` from main, make `changes` changes there, move main too (or
 * not), then time the merge of `tag` into main. */
static struct sample one_merge(const struct graph *g, const char *tag, int changes, int move_main)
{
	grove_merge_options mopts = { .actor = "bench", .delete_branch = 0 };
	grove_mutate_options on_main = { .branch = NULL, .actor = "bench" };
	struct sample s;
	char gq[256], *out = NULL;

	check(g->db, "branch create", grove_branch_create(g->db, tag, "main", "bench"));
	double t0 = bench_now_s();
	make_changes(g, tag, tag, changes);
	s.prep_s = bench_now_s() - t0;
	if (move_main) {
		snprintf(gq, sizeof gq, "query m() { insert Person { name: \"main-%s\", age: 1, "
			 "city: \"Lima\" } }", tag);
		check(g->db, "mutate main", grove_mutate_json(&out, g->db, &on_main, gq, "m", NULL));
		grove_free(out);
		out = NULL;
	}
	/* Let the kernel finish writing back the views' pages, so that the
	 * merge's fdatasync does not queue behind them. */
	sync();
	double c0 = bench_cpu_s();
	t0 = bench_now_s();
	int err = grove_merge_json(&out, g->db, tag, "main", &mopts);
	s.ms = (bench_now_s() - t0) * 1e3;
	s.cpu_ms = (bench_cpu_s() - c0) * 1e3;
	if (err < 0 && out)
		fprintf(stderr, "merge_bench: merge of %s on the %s graph: %s\n", tag, g->label, out);
	check(g->db, "merge", err);
	expect_outcome(out, move_main ? "merged" : "fast_forward");
	grove_free(out);
	return s;
}

/* Medians of REPS samples (or fewer). */
struct summary {
	int reps;
	double ms, cpu_ms, min_ms, max_ms, prep_s;
};

static struct summary summarize(const struct sample *s, int n)
{
	double ms[REPS], cpu[REPS], prep[REPS];
	struct summary r = { .reps = n, .min_ms = 1e30, .max_ms = 0 };
	for (int i = 0; i < n; i++) {
		ms[i] = s[i].ms;
		cpu[i] = s[i].cpu_ms;
		prep[i] = s[i].prep_s;
		r.min_ms = s[i].ms < r.min_ms ? s[i].ms : r.min_ms;
		r.max_ms = s[i].ms > r.max_ms ? s[i].ms : r.max_ms;
	}
	r.ms = bench_pct(ms, (size_t)n, 0.5);
	r.cpu_ms = bench_pct(cpu, (size_t)n, 0.5);
	r.prep_s = bench_pct(prep, (size_t)n, 0.5);
	return r;
}

enum { C_BIG, C_SMALL, C_FF, C_10K, C_HIST, NCASES };

static const char *const case_names[NCASES] = {
	"merged, 100 changes, big graph",
	"merged, 100 changes, small graph",
	"fast-forward, 100 changes, big graph",
	"merged, 10,000 changes, big graph",
	"merged, 100 changes, long history",
};

static void run_cases(struct summary *sum, const struct graph *big, const struct graph *small,
		      const struct graph *hist, int reps_10k)
{
	struct sample s[NCASES][REPS];
	char tag[32];

	for (int r = 0; r < REPS; r++) {
		snprintf(tag, sizeof tag, "m%d", r);
		if (r & 1) {
			s[C_BIG][r] = one_merge(big, tag, 100, 1);
			s[C_SMALL][r] = one_merge(small, tag, 100, 1);
		} else {
			s[C_SMALL][r] = one_merge(small, tag, 100, 1);
			s[C_BIG][r] = one_merge(big, tag, 100, 1);
		}
	}
	/* After the pairs: until then both graphs have the same history (a
	 * merge walks the commit graph to find the base). */
	for (int r = 0; r < REPS; r++) {
		snprintf(tag, sizeof tag, "f%d", r);
		s[C_FF][r] = one_merge(big, tag, 100, 0);
	}
	for (int r = 0; r < reps_10k; r++) {
		snprintf(tag, sizeof tag, "k%d", r);
		s[C_10K][r] = one_merge(big, tag, 10000, 1);
	}
	for (int r = 0; r < REPS; r++) {
		snprintf(tag, sizeof tag, "h%d", r);
		s[C_HIST][r] = one_merge(hist, tag, 100, 1);
	}
	for (int c = 0; c < NCASES; c++)
		sum[c] = summarize(s[c], c == C_10K ? reps_10k : REPS);
}

int main(int argc, char **argv)
{
	int quick = argc == 2 && !strcmp(argv[1], "--quick");
	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: merge_bench [--quick]\n");
		return 2;
	}
	uint64_t n = quick ? 100000 : 1000000;
	const char *nodes_env = getenv("GROVE_BENCH_NODES");   /* smoke tests */
	if (nodes_env && *nodes_env)
		n = strtoull(nodes_env, NULL, 10);
	double load_before = bench_load1(), t_start = bench_now_s();
	struct graph big, small, hist;
	struct summary sum[NCASES];

	bench_oom_first();
	char *work = bench_mkdtemp("grove-merge-bench");
	make_graph(&big, work, "big", n);
	make_graph(&small, work, "small", n / 100 ? n / 100 : 1);
	make_graph(&hist, work, "hist", n / 100 ? n / 100 : 1);
	double h0 = bench_now_s();
	make_history(&hist, quick ? HISTORY_QUICK : HISTORY);
	double hist_s = bench_now_s() - h0;
	sync();
	run_cases(sum, &big, &small, &hist, quick ? 1 : 3);
	grove_close(big.db);
	grove_close(small.db);
	grove_close(hist.db);

	printf("merge_bench (%s): big graph %" PRIu64 " nodes (loaded in %.1f s), small %" PRIu64
	       " nodes (%.2f s); total %.0f s\n", quick ? "quick" : "full", big.n, big.load_s,
	       small.n, small.load_s, bench_now_s() - t_start);
	printf("long history: %d one-node commits on a graph like the small one (%.1f s)\n",
	       quick ? HISTORY_QUICK : HISTORY, hist_s);
	printf("load average %.2f before, %.2f after\n", load_before, bench_load1());
	printf("%-38s %5s %10s %10s %10s %10s %12s\n", "case (merge into main)", "runs",
	       "median ms", "min ms", "max ms", "CPU ms", "prep s");
	for (int c = 0; c < NCASES; c++)
		printf("%-38s %5d %10.2f %10.2f %10.2f %10.2f %12.2f\n", case_names[c], sum[c].reps,
		       sum[c].ms, sum[c].min_ms, sum[c].max_ms, sum[c].cpu_ms, sum[c].prep_s);
	printf("(CPU ms: the whole process's CPU time during the merge, every thread; prep s:\n"
	       " making the branch's changes by mutations, not timed)\n");
	printf("result merge.ms_100_changes %.2f\n", sum[C_BIG].ms);
	printf("result merge.size_ratio %.3f\n", sum[C_BIG].ms / sum[C_SMALL].ms);
	printf("result merge.size_ratio_cpu %.3f\n", sum[C_BIG].cpu_ms / sum[C_SMALL].cpu_ms);
	printf("result merge.ms_100_changes_small %.2f\n", sum[C_SMALL].ms);
	printf("result merge.ff_ms_100_changes %.2f\n", sum[C_FF].ms);
	printf("result merge.ms_10k_changes %.2f\n", sum[C_10K].ms);
	printf("result merge.history_ratio %.3f\n", sum[C_HIST].ms / sum[C_SMALL].ms);

	bench_rmtree(work);
	free(work);
	return 0;
}
