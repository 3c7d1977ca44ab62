/*
 * tests/fuzz/fuzz_load.c — libFuzzer target for loads through the public API.
 *
 * The first byte of the input picks the mode (overwrite, append, merge),
 * the rest is JSONL.  Each input is loaded into a fresh branch of a graph
 * whose main holds a small fixed dataset (BASE), so the load meets keys,
 * edges and endpoints that exist already.  Then:
 *
 *  - a load that fails leaves the branch exactly as it was (its export is
 *    byte for byte the one before) and says why;
 *  - a load that succeeds exports to JSONL that loads (overwrite) into an
 *    empty branch of a second graph and exports again to the same bytes:
 *    what a load writes is a graph the loader itself accepts whole
 *    (referential integrity, keys, constraints).
 *
 * Both graphs live under $FUZZ_LOAD_DIR (default /dev/shm, where an fsync
 * costs nothing) with small log segments, and are created once per
 * process; every input gets branches of its own, deleted afterwards.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "grove.h"

static const char SCHEMA[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    nick: String? @unique\n"
	"    born: Date?\n"
	"    tags: [String]?\n"
	"    status: enum(active, away)?\n"
	"    @range(age, 0..150)\n"
	"}\n"
	"node Doc { slug: String  lang: String  title: String?  @key(slug, lang) }\n"
	"node Note { text: String? }\n"
	"edge Knows: Person -> Person @card(0..3) { since: Date? }\n"
	"edge Wrote: Person -> Doc { @unique(src, dst) }\n"
	"edge About: Note -> Person\n";

static const char BASE[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"ada\",\"age\":36,\"nick\":\"a\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"bob\",\"tags\":[\"x\"],\"status\":\"away\"}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"cy\",\"born\":\"2000-01-01\"}}\n"
	"{\"type\":\"Doc\",\"data\":{\"slug\":\"intro\",\"lang\":\"en\"}}\n"
	"{\"type\":\"Note\",\"data\":{\"id\":\"n1\",\"text\":\"hi\"}}\n"
	"{\"edge\":\"Knows\",\"from\":\"ada\",\"to\":\"bob\",\"data\":{\"since\":\"2020-05-05\"}}\n"
	"{\"edge\":\"Wrote\",\"from\":\"ada\",\"to\":\"[\\\"en\\\",\\\"intro\\\"]\"}\n"
	"{\"edge\":\"About\",\"from\":\"n1\",\"to\":\"cy\"}\n";

static grove_db *g1, *g2;   /* g1: BASE on main; g2: empty */
static char d1[256], d2[256];
static unsigned long n_input;

static grove_db *make(const char *dir, const char *jsonl)
{
	grove_options go = GROVE_OPTIONS_INIT;
	grove_db *db = NULL;
	char cmd[512];
	go.log_segment_bytes = 1u << 20;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	FUZZ_CHECK(system(cmd) == 0);
	if (grove_init(&db, dir, SCHEMA, &go) != 0) {
		fprintf(stderr, "fuzz_load: grove_init %s: %s\n", dir, grove_errmsg(NULL));
		abort();
	}
	if (jsonl) {
		grove_load_options lo = { .mode = GROVE_LOAD_OVERWRITE };
		grove_load_result res;
		if (grove_load(&res, db, &lo, jsonl, strlen(jsonl)) != 0) {
			fprintf(stderr, "fuzz_load: BASE does not load: %s\n", grove_errmsg(db));
			abort();
		}
	}
	return db;
}

static void cleanup(void)
{
	char cmd[600];
	grove_close(g1);
	grove_close(g2);
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", d1, d2);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_load: could not remove %s and %s\n", d1, d2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("FUZZ_LOAD_DIR") ? getenv("FUZZ_LOAD_DIR") : "/dev/shm";
	(void)argc;
	(void)argv;
	snprintf(d1, sizeof d1, "%s/grove-fuzz-load-%d-a", base, (int)getpid());
	snprintf(d2, sizeof d2, "%s/grove-fuzz-load-%d-b", base, (int)getpid());
	g1 = make(d1, BASE);
	g2 = make(d2, NULL);
	atexit(cleanup);
	return 0;
}

/* ---- exports ---------------------------------------------------------- */

struct text {
	char *p;
	size_t n, cap;
};

static int append(void *arg, const char *buf, size_t len)
{
	struct text *t = arg;
	if (t->n + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->n + len + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (p == NULL)
			return -ENOMEM;
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->n, buf, len);
	t->n += len;
	t->p[t->n] = '\0';
	return 0;
}

static struct text export_branch(grove_db *db, const char *branch)
{
	struct text t = { 0 };
	grove_target at = { branch, NULL };
	if (grove_export(db, &at, append, &t) != 0) {
		fprintf(stderr, "fuzz_load: export of %s: %s\n", branch, grove_errmsg(db));
		abort();
	}
	return t;
}

static bool same(const struct text *a, const struct text *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* ---- the target -------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int modes[] = { GROVE_LOAD_OVERWRITE, GROVE_LOAD_APPEND, GROVE_LOAD_MERGE };
	char b1[32], b2[32];
	grove_load_options lo = { 0 };
	grove_load_result res;

	if (g1 == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size == 0)
		return 0;
	n_input++;
	snprintf(b1, sizeof b1, "in%lu", n_input);
	snprintf(b2, sizeof b2, "rt%lu", n_input);
	FUZZ_CHECK(grove_branch_create(g1, b1, "main", NULL) == 0);

	struct text before = export_branch(g1, b1);
	lo.branch = b1;
	lo.mode = modes[data[0] % 3];
	memset(&res, 0, sizeof res);
	int rc = grove_load(&res, g1, &lo, (const char *)data + 1, size - 1);
	struct text after = export_branch(g1, b1);
	if (rc != 0) {
		const char *msg = grove_errmsg(g1);
		FUZZ_CHECK(msg != NULL && msg[0] != '\0');
		if (!same(&before, &after))
			fprintf(stderr, "fuzz_load: a failed load (%s) changed the branch\n", msg);
		FUZZ_CHECK(same(&before, &after));
	} else {
		/* What the load made loads whole into an empty graph. */
		FUZZ_CHECK(grove_branch_create(g2, b2, "main", NULL) == 0);
		grove_load_options ro = { .branch = b2, .mode = GROVE_LOAD_OVERWRITE };
		int rc2 = grove_load(&res, g2, &ro, after.p ? after.p : "", after.n);
		if (rc2 != 0)
			fprintf(stderr, "fuzz_load: the export of a load does not load: %s\n%s",
				grove_errmsg(g2), after.p ? after.p : "");
		FUZZ_CHECK(rc2 == 0);
		struct text again = export_branch(g2, b2);
		if (!same(&after, &again))
			fprintf(stderr, "fuzz_load: export -> load -> export differs\n--- first\n%s--- second\n%s",
				after.p ? after.p : "", again.p ? again.p : "");
		FUZZ_CHECK(same(&after, &again));
		free(again.p);
		FUZZ_CHECK(grove_branch_delete(g2, b2, NULL) == 0);
	}
	free(before.p);
	free(after.p);
	int del = grove_branch_delete(g1, b1, NULL);
	if (del != 0)
		fprintf(stderr, "fuzz_load: deleting branch %s: %s\n", b1, grove_errmsg(g1));
	FUZZ_CHECK(del == 0);
	return 0;
}
