/*
 * bench/gen.c — see gen.h.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "grove.h"
#include <unistd.h>

#include "gen.h"

const char gen_schema[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32\n"
	"    city: String\n"
	"}\n"
	"edge Knows: Person -> Person\n";

static const char *const cities[] = {
	"Amsterdam", "Athens",   "Berlin",    "Bogota",    "Boston",     "Brussels",
	"Cairo",     "Chicago",  "Dakar",     "Delhi",     "Dublin",     "Helsinki",
	"Istanbul",  "Jakarta",  "Kyiv",      "Lagos",     "Lima",       "Lisbon",
	"London",    "Madrid",   "Manila",    "Melbourne", "Mexico City", "Montreal",
	"Mumbai",    "Nairobi",  "Osaka",     "Oslo",      "Paris",      "Prague",
	"Quito",     "Riga",     "Rome",      "Santiago",  "Seoul",      "Shanghai",
	"Singapore", "Sofia",    "Stockholm", "Sydney",    "Taipei",     "Tallinn",
	"Tokyo",     "Toronto",  "Tunis",     "Vienna",    "Vilnius",    "Warsaw",
	"Zagreb",    "Zurich",
};
#define NCITIES (sizeof cities / sizeof cities[0])

/* splitmix64's finalizer: a bijection of uint64_t. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

void gen_name(char *buf, uint64_t i, uint64_t seed)
{
	static const char hex[] = "0123456789abcdef";
	/* i + constant, then a bijection: distinct i give distinct names. */
	uint64_t x = mix64(i + seed * 0x9e3779b97f4a7c15ull);
	buf[0] = 'p';
	for (int k = 16; k >= 1; k--, x >>= 4)
		buf[k] = hex[x & 15];
	buf[17] = '\0';
}

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

static FILE *open_out(const char *dir, const char *name, unsigned what, unsigned bit)
{
	if (!(what & bit))
		return NULL;
	char *p = bench_path(dir, name);
	FILE *f = fopen(p, "w");
	if (!f) {
		fprintf(stderr, "gen: cannot create %s: %s\n", p, strerror(errno));
		exit(1);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	free(p);
	return f;
}

static void put(FILE *f, const char *s, size_t len)
{
	if (f && fwrite(s, 1, len, f) != len) {
		fprintf(stderr, "gen: write failed: %s\n", strerror(errno));
		exit(1);
	}
}

static void close_out(FILE *f)
{
	if (f && fclose(f) != 0) {
		fprintf(stderr, "gen: close failed: %s\n", strerror(errno));
		exit(1);
	}
}

void gen_write(struct gen_stats *out, const char *dir, uint64_t nodes, uint64_t edges,
	       uint64_t seed, unsigned what)
{
	double t0 = bench_now_s();
	FILE *all = open_out(dir, "all.jsonl", what, GEN_ALL_JSONL);
	FILE *nj = open_out(dir, "nodes.jsonl", what, GEN_NODES_JSONL);
	FILE *ej = open_out(dir, "edges.jsonl", what, GEN_EDGES_JSONL);
	FILE *pc = open_out(dir, "person.csv", what, GEN_CSV);
	FILE *kc = open_out(dir, "knows.csv", what, GEN_CSV);
	struct rng r = { mix64(seed) | 1 };
	char name[GEN_NAME_BYTES], name2[GEN_NAME_BYTES], line[256];
	uint64_t bytes = 0;
	int n;

	put(pc, "name,age,city\n", 14);
	put(kc, "from,to\n", 8);
	for (uint64_t i = 0; i < nodes; i++) {
		uint64_t x = rng_next(&r);
		unsigned age = (unsigned)(x % 100);
		const char *city = cities[(x >> 32) % NCITIES];
		gen_name(name, i, seed);
		n = snprintf(line, sizeof line,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"%s\",\"age\":%u,\"city\":\"%s\"}}\n",
			     name, age, city);
		put(all, line, (size_t)n);
		put(nj, line, (size_t)n);
		bytes += (uint64_t)n;
		n = snprintf(line, sizeof line, "%s,%u,%s\n", name, age, city);
		put(pc, line, (size_t)n);
	}
	for (uint64_t i = 0; i < edges && nodes; i++) {
		gen_name(name, rng_next(&r) % nodes, seed);
		gen_name(name2, rng_next(&r) % nodes, seed);
		n = snprintf(line, sizeof line, "{\"edge\":\"Knows\",\"from\":\"%s\",\"to\":\"%s\"}\n",
			     name, name2);
		put(all, line, (size_t)n);
		put(ej, line, (size_t)n);
		bytes += (uint64_t)n;
		n = snprintf(line, sizeof line, "%s,%s\n", name, name2);
		put(kc, line, (size_t)n);
	}
	close_out(all);
	close_out(nj);
	close_out(ej);
	close_out(pc);
	close_out(kc);
	*out = (struct gen_stats){ nodes, nodes ? edges : 0, bytes, bench_now_s() - t0 };
}

/* ---- helpers ---- */

double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *bench_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);
	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	snprintf(p, len, "%s/%s", dir, name);
	return p;
}

char *bench_mkdtemp(const char *prefix)
{
	const char *base = getenv("GROVE_BENCH_DIR");
	char *dir = malloc(4096);
	if (!dir) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	snprintf(dir, 4096, "%s/%s-XXXXXX", base && *base ? base : "/var/tmp", prefix);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	return dir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void bench_rmtree(const char *dir)
{
	if (access(dir, F_OK) == 0 && nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "warning: cannot remove %s: %s\n", dir, strerror(errno));
}

static uint64_t du_bytes;

static int du_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	du_bytes += (uint64_t)st->st_blocks * 512u;
	return 0;
}

uint64_t bench_du(const char *dir)
{
	du_bytes = 0;
	if (nftw(dir, du_entry, 16, FTW_PHYS) != 0)
		return 0;
	return du_bytes;
}

double bench_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

long bench_maxrss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	return v[(size_t)(p * (double)(n - 1) + 0.5)];
}

void bench_oom_first(void)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");
	if (f) {
		fputs("1000\n", f);
		fclose(f);
	}
}

double bench_load1(void)
{
	double l[1];
	return getloadavg(l, 1) == 1 ? l[0] : -1;
}

void bench_check(const char *bench, grove_db *db, const char *what, int err)
{
	if (err < 0) {
		fprintf(stderr, "%s: %s: %s: %s\n", bench, what, grove_strerror(err), grove_errmsg(db));
		exit(1);
	}
}
