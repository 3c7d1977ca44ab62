/* test_load_feed.c — loads whose records are read ahead on a second
 * thread (engine/load_feed.h): every record arrives, in order, through
 * every batch boundary; the first bad record by position is the one
 * reported, whether the reader or the planner finds it; a load stopped
 * early leaves nothing and the handle goes on; input that may block (a
 * pipe) is read in the caller and loads the same. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph_testutil.h"

/* The feed's batches are 256 records, 16 in flight: these cross both. */
#define MANY (256 * 16 * 2 + 77)

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("load_feed");
	db = gt_init(dir, NULL);
}

static void teardown(void)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

TestSuite(load_feed, .init = setup, .fini = teardown);

enum bad { GOOD, BAD_JSON, BAD_VALUE };

/* n Person records p1..pn, one a line, and n - 1 Knows edges between
 * neighbours; record `at` (1-based, 0: none) is bad in the way `how`
 * says, record `at2` in the way `how2` says. */
static char *input(int n, int at, enum bad how, int at2, enum bad how2)
{
	size_t cap = (size_t)n * 2 * 96 + 1, len = 0;
	char *s = malloc(cap);
	for (int i = 1; i <= 2 * n - 1; i++) {
		enum bad b = i == at ? how : i == at2 ? how2 : GOOD;
		if (i <= n)
			len += (size_t)snprintf(s + len, cap - len,
						b == BAD_JSON ? "{\"type\":\"Person\",\"data\":{\"name\":p%d}}\n"
						: b == BAD_VALUE
						? "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"age\":3000000000}}\n"
						: "{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"age\":1}}\n",
						i);
		else
			len += (size_t)snprintf(s + len, cap - len,
						"{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n",
						i - n, i - n + 1);
	}
	return s;
}

static void expect_loaded(int n)
{
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), (uint64_t)n);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), (uint64_t)(n - 1));
}

Test(load_feed, every_record_arrives_in_order)
{
	char *s = input(MANY, 0, GOOD, 0, GOOD);
	grove_load_result r;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, s, &r), 0, "%s", grove_errmsg(db));
	cr_assert_eq(r.nodes, MANY);
	cr_assert_eq(r.edges, MANY - 1);
	expect_loaded(MANY);
	/* Edges name nodes by id: had any record been dropped, duplicated or
	 * reordered across a batch, an edge would name a missing node or the
	 * last node's one edge would come from another. */
	free(s);
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, db, &(grove_target){ "main", NULL },
				      "query q() { match { $a: Person { name: \"p8269\" } $b knows $a } "
				      "return { $b.name } }", "q", NULL), 0, "%s",
		     grove_errmsg(db));
	cr_assert(strstr(json, "\"rows\":[{\"b.name\":\"p8268\"}]"), "%s", json);
	grove_free(json);
}

/* A malformed record at `at` (around the batch boundaries too): the
 * reader's error, naming it; nothing is loaded and the handle goes on. */
Test(load_feed, a_reader_error_deep_in_the_input_names_its_record)
{
	static const int at[] = { 1, 255, 256, 257, 4096, 4097, MANY };
	char want[64];
	for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
		char *s = input(MANY, at[k], BAD_JSON, 0, GOOD);
		cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, s, NULL), GROVE_EPARSE,
			     "bad record %d: %s", at[k], grove_errmsg(db));
		snprintf(want, sizeof want, "invalid JSON at record %d: ", at[k]);
		cr_assert(strstr(grove_errmsg(db), want), "want '%s' in: %s", want, grove_errmsg(db));
		cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 0);
		free(s);
	}
	char *s = input(300, 0, GOOD, 0, GOOD);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, s, NULL), 0, "%s", grove_errmsg(db));
	expect_loaded(300);
	free(s);
}

/* Two bad records: the earlier one is reported, whichever step finds it
 * (the planner stops at its own error while the reader is far ahead). */
Test(load_feed, the_first_bad_record_by_position_is_reported)
{
	char *s = input(MANY, 3000, BAD_VALUE, 7000, BAD_JSON);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, s, NULL), GROVE_EINVAL, "%s",
		     grove_errmsg(db));
	cr_assert(strstr(grove_errmsg(db), "exceeds Int32 range (record 3000, line 3000)"), "%s",
		  grove_errmsg(db));
	free(s);
	s = input(MANY, 3000, BAD_JSON, 7000, BAD_VALUE);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, s, NULL), GROVE_EPARSE, "%s",
		     grove_errmsg(db));
	cr_assert(strstr(grove_errmsg(db), "invalid JSON at record 3000: "), "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 0);
	free(s);
}

struct writer {
	int fd;
	const char *s;
};

static void *write_all(void *arg)
{
	struct writer *w = arg;
	size_t n = strlen(w->s), off = 0;
	while (off < n) {
		ssize_t k = write(w->fd, w->s + off, n - off);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	close(w->fd);
	return NULL;
}

/* A file and a pipe load alike (a pipe is read in the caller). */
Test(load_feed, a_file_and_a_pipe_load_the_same)
{
	char *s = input(MANY, 0, GOOD, 0, GOOD), path[512];
	snprintf(path, sizeof path, "%s.jsonl", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f && fputs(s, f) >= 0 && fclose(f) == 0);
	grove_load_options o = { .mode = GROVE_LOAD_OVERWRITE };
	grove_load_result r;
	cr_assert_eq(grove_load_file(&r, db, &o, path), 0, "%s", grove_errmsg(db));
	unlink(path);
	expect_loaded(MANY);

	int p[2];
	cr_assert_eq(pipe(p), 0);
	struct writer w = { p[1], s };
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, write_all, &w), 0);
	snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
	cr_assert_eq(grove_load_file(&r, db, &o, path), 0, "%s", grove_errmsg(db));
	pthread_join(t, NULL);
	close(p[0]);
	cr_assert_eq(r.nodes, MANY);
	expect_loaded(MANY);
	free(s);
}

/* Records of 600 KB: batches close by bytes (16 MiB) long before 256
 * records, and the reader stops ahead at 64 MiB in flight; every record
 * still arrives, in order. */
Test(load_feed, large_records_close_batches_by_bytes_and_all_arrive)
{
	enum { N = 200, PAD = 600 * 1024 };
	size_t cap = (size_t)N * (PAD + 128) * 2, len = 0;
	char *s = malloc(cap), *pad = malloc(PAD + 1);
	memset(pad, 'x', PAD);
	pad[PAD] = '\0';
	for (int i = 1; i <= N; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"{\"type\":\"Person\",\"data\":{\"name\":\"p%d\",\"email\":\"%d%s\"}}\n", i, i, pad);
	for (int i = 1; i < N; i++)
		len += (size_t)snprintf(s + len, cap - len, "{\"edge\":\"Knows\",\"from\":\"p%d\",\"to\":\"p%d\"}\n",
					i, i + 1);
	grove_load_result r;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, s, &r), 0, "%s", grove_errmsg(db));
	cr_assert_eq(r.nodes, N);
	cr_assert_eq(r.edges, N - 1);
	char *json = NULL;
	cr_assert_eq(grove_query_json(&json, db, &(grove_target){ "main", NULL },
				      "query q() { match { $a: Person { name: \"p200\" } $b knows $a } "
				      "return { $b.name } }", "q", NULL), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(json, "\"rows\":[{\"b.name\":\"p199\"}]"), "%s", json);
	grove_free(json);
	/* Each record's bytes outlive the reader's buffer (plain records are
	 * copied into their batch, engine/load_feed.c): a value is whole. */
	cr_assert_eq(grove_query_json(&json, db, &(grove_target){ "main", NULL },
				      "query q() { match { $a: Person { name: \"p137\" } } return { $a.email } }",
				      "q", NULL), 0, "%s", grove_errmsg(db));
	char *at = strstr(json, "\"a.email\":\"137x");
	cr_assert(at != NULL, "%.200s", json);
	at += strlen("\"a.email\":\"137");
	cr_assert_eq(strspn(at, "x"), (size_t)PAD);
	cr_assert_eq(at[PAD], '"');
	grove_free(json);
	free(pad);
	free(s);
}
