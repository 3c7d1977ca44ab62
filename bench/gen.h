/*
 * bench/gen.h — the benchmarks' graph generator and small helpers.
 *
 * The graph: N Person nodes {name: String @key, age: I32, city: String}
 * and E Knows edges Person -> Person with uniformly random endpoints
 * (self-loops and repeated pairs allowed), all drawn from a seeded
 * xorshift generator, so the same (N, E, seed) always gives the same bytes.
 * Names are "p" and 16 hex digits of a bijective mix of the node's index:
 * distinct, of equal length, and in no useful order (like real keys).
 */
#ifndef GROVE_BENCH_GEN_H
#define GROVE_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_NAME_BYTES 18   /* "p" + 16 hex digits + NUL */
#define GEN_SEED 20261101u

/* The schema the generated data follows (.pg text). */
extern const char gen_schema[];

/* Which files gen_write() writes into its directory. */
#define GEN_ALL_JSONL   0x01   /* all.jsonl: node records, then edges  */
#define GEN_NODES_JSONL 0x02   /* nodes.jsonl: node records only       */
#define GEN_EDGES_JSONL 0x04   /* edges.jsonl: edge records only       */
#define GEN_CSV         0x08   /* person.csv and knows.csv (headers)   */

struct gen_stats {
	uint64_t nodes, edges;
	uint64_t all_bytes;     /* size of all.jsonl (or what it would be) */
	double seconds;
};

/* The name of node `i` into `buf` (GEN_NAME_BYTES). */
void gen_name(char *buf, uint64_t i, uint64_t seed);

/* Write the files `what` for a graph of `nodes` nodes and `edges` edges
 * into `dir`; exits the program on an I/O error. */
void gen_write(struct gen_stats *out, const char *dir, uint64_t nodes, uint64_t edges,
	       uint64_t seed, unsigned what);

/* ---- helpers shared by the benchmarks ---- */

struct grove_db;
/* err < 0: print "<bench>: <what>: <error name>: <message>" and exit 1. */
void bench_check(const char *bench, struct grove_db *db, const char *what, int err);

double bench_now_s(void);
/* "dir/name", malloc'd. */
char *bench_path(const char *dir, const char *name);
/* A fresh directory under $GROVE_BENCH_DIR (default /var/tmp). */
char *bench_mkdtemp(const char *prefix);
void bench_rmtree(const char *dir);
/* Bytes allocated on disk under `dir` (st_blocks). */
uint64_t bench_du(const char *dir);
/* CPU seconds (user + system, every thread) the process used so far. */
double bench_cpu_s(void);
/* Peak RSS of the process so far, in KiB (getrusage). */
long bench_maxrss_kib(void);
/* Median / percentile of `n` doubles (sorts them). */
double bench_pct(double *v, size_t n, double p);
/* Ask the kernel to pick this process first if memory runs out (the
 * machine is shared; a big load should not take others down with it). */
void bench_oom_first(void);
/* The machine's load average over the last minute (-1 if unknown). */
double bench_load1(void);

#endif
