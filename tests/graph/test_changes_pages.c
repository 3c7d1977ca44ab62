/* test_changes_pages.c — paging through large commits' changes: a handle
 * keeps the candidate lists of the blocks it pages (engine/chg_cache.c);
 * whatever it keeps, every page is the one a fresh read gives: paged
 * alone, interleaved with other commits and scopes, from two threads at
 * once, and across a schema apply that makes a block unreadable. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph_testutil.h"
#include "log/failpoint.h"

#define SCHEMA "node Person { name: String @key\n age: I32? }\nnode Pet { name: String @key }\n"

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("changes-pages");
	db = gt_init(dir, SCHEMA);
}

static void teardown(void)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

TestSuite(changes_pages, .init = setup, .fini = teardown);

/* Load n records of `type` named prefix00000.. (every 7th with an age),
 * in descending order (the id order is not the input order); returns the
 * commit. */
static void load_many(char commit[GROVE_COMMIT_ID_BYTES], const char *type, const char *prefix, int n)
{
	size_t cap = (size_t)n * 80 + 1, len = 0;
	char *jsonl = malloc(cap);
	for (int i = n - 1; i >= 0; i--)
		len += (size_t)snprintf(jsonl + len, cap - len, i % 7 ? "{\"type\":\"%s\",\"data\":{\"name\":\"%s%05d\"}}\n"
					: "{\"type\":\"%s\",\"data\":{\"name\":\"%s%05d\",\"age\":%d}}\n",
					type, prefix, i, i);
	grove_load_result r;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, jsonl, &r), 0, "%s", grove_errmsg(db));
	memcpy(commit, r.commit.id, GROVE_COMMIT_ID_BYTES);
	free(jsonl);
}

/* A paging in progress: the ids and ops delivered so far, one per line. */
struct paging {
	const char *commit, *scope;
	uint32_t size;
	char *token;
	bool done;
	char *got;
	size_t len, cap;
	unsigned pages;
};

static void paging_init(struct paging *p, const char *commit, const char *scope, uint32_t size)
{
	memset(p, 0, sizeof *p);
	p->commit = commit;
	p->scope = scope;
	p->size = size;
	p->cap = 1 << 16;
	p->got = calloc(1, p->cap);
}

/* The next page; returns its error (0: taken). */
static int paging_step(struct paging *p)
{
	char *out = NULL;
	int err = grove_commit_changes_json(&out, db, p->commit, p->scope, p->token, p->size);
	if (err < 0)
		return err;
	json_t *j = json_loads(out, 0, NULL), *c;
	grove_free(out);
	size_t i;
	json_array_foreach(json_object_get(j, "changes"), i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *op = json_string_value(json_object_get(c, "op"));
		while (p->len + strlen(id) + strlen(op) + 3 > p->cap)
			p->got = realloc(p->got, p->cap *= 2);
		p->len += (size_t)sprintf(p->got + p->len, "%s %s\n", id, op);
	}
	const char *next = json_string_value(json_object_get(j, "next_page_token"));
	free(p->token);
	p->token = next ? strdup(next) : NULL;
	p->done = next == NULL;
	p->pages++;
	json_decref(j);
	return 0;
}

static char *paging_all(const char *commit, const char *scope, uint32_t size, unsigned *pages)
{
	struct paging p;
	paging_init(&p, commit, scope, size);
	while (!p.done)
		cr_assert_eq(paging_step(&p), 0, "%s", grove_errmsg(db));
	if (pages)
		*pages = p.pages;
	return p.got;
}

/* The expected lines of a load_many() commit: inserts in id order. */
static char *expected(const char *prefix, int n, int every)
{
	size_t cap = (size_t)n * 24 + 1, len = 0;
	char *s = malloc(cap);
	s[0] = '\0';
	for (int i = 0; i < n; i += every)
		len += (size_t)snprintf(s + len, cap - len, "%s%05d insert\n", prefix, i);
	return s;
}

Test(changes_pages, pages_of_one_commit_are_the_commit_in_id_order)
{
	char a[GROVE_COMMIT_ID_BYTES];
	load_many(a, "Person", "a", 3000);
	unsigned pages;
	char *want = expected("a", 3000, 1), *got = paging_all(a, NULL, 250, &pages);
	cr_assert_eq(pages, 12);
	cr_assert_str_eq(got, want);
	free(got);
	/* Again on the same handle (the first paging's list was dropped at its
	 * end), and in one page. */
	got = paging_all(a, NULL, 250, &pages);
	cr_assert_str_eq(got, want);
	free(got);
	got = paging_all(a, NULL, 8192, &pages);
	cr_assert_eq(pages, 1);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);
}

/* More pagings at once than the handle keeps lists for: each still gets
 * its own commit's pages, also under another scope of the same commit
 * (the ops filter shares the candidates; the kinds and types do not). */
Test(changes_pages, interleaved_pagings_of_several_commits_and_scopes_each_get_their_own)
{
	char a[GROVE_COMMIT_ID_BYTES], b[GROVE_COMMIT_ID_BYTES], c[GROVE_COMMIT_ID_BYTES];
	load_many(a, "Person", "a", 2500);
	load_many(b, "Person", "b", 1800);
	load_many(c, "Pet", "c", 2100);
	char *want_a = expected("a", 2500, 1), *want_b = expected("b", 1800, 1), *want_c = expected("c", 2100, 1);
	struct paging p[5];
	paging_init(&p[0], a, NULL, 300);
	paging_init(&p[1], b, NULL, 200);
	paging_init(&p[2], c, NULL, 400);
	paging_init(&p[3], a, "{\"ops\":[\"insert\"]}", 700);
	paging_init(&p[4], c, "{\"types\":[\"Person\"]}", 100);
	for (bool more = true; more;) {
		more = false;
		for (int i = 0; i < 5; i++)
			if (!p[i].done) {
				cr_assert_eq(paging_step(&p[i]), 0, "paging %d: %s", i, grove_errmsg(db));
				more = true;
			}
	}
	cr_assert_str_eq(p[0].got, want_a);
	cr_assert_str_eq(p[1].got, want_b);
	cr_assert_str_eq(p[2].got, want_c);
	cr_assert_str_eq(p[3].got, want_a);
	cr_assert_str_eq(p[4].got, "", "Pet's commit holds no Person");
	cr_assert_eq(p[0].pages, 9);
	cr_assert_eq(p[3].pages, 4);
	for (int i = 0; i < 5; i++)
		free(p[i].got);
	free(want_a);
	free(want_b);
	free(want_c);
}

struct reader {
	const char *commit;
	uint32_t size;
	char *got;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	struct paging p;
	paging_init(&p, r->commit, NULL, r->size);
	while (!p.done)
		if (paging_step(&p) < 0)
			break;
	r->got = p.done ? p.got : (free(p.got), NULL);
	free(p.token);
	return NULL;
}

Test(changes_pages, threads_paging_one_commit_at_once_each_get_every_page)
{
	char a[GROVE_COMMIT_ID_BYTES];
	load_many(a, "Person", "a", 4000);
	char *want = expected("a", 4000, 1);
	struct reader r[4] = { { a, 100, NULL }, { a, 333, NULL }, { a, 100, NULL }, { a, 1000, NULL } };
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, read_all, &r[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		cr_assert_not_null(r[i].got, "reader %d failed", i);
		cr_assert_str_eq(r[i].got, want, "reader %d", i);
		free(r[i].got);
	}
	free(want);
}

/* A schema apply between two pages: the next page is what a fresh read
 * gives then.  Dropping Pet with its rows reclaims its history, so the
 * rest of a commit that loaded pets is refused, not served from the list
 * the first page made. */
Test(changes_pages, a_schema_apply_between_pages_is_seen_by_the_next_page)
{
	char c[GROVE_COMMIT_ID_BYTES];
	load_many(c, "Pet", "c", 2100);
	struct paging p;
	paging_init(&p, c, NULL, 1000);
	cr_assert_eq(paging_step(&p), 0, "%s", grove_errmsg(db));
	cr_assert(!p.done);
	char *out = NULL;
	cr_assert_eq(grove_schema_apply_json(&out, db, "node Person { name: String @key\n age: I32? }\n", 1, NULL), 0,
		     "%s", grove_errmsg(db));
	grove_free(out);
	int err = paging_step(&p);
	char *fresh = NULL;
	int fresh_err = grove_commit_changes_json(&fresh, db, c, NULL, NULL, 1000);
	cr_assert_lt(fresh_err, 0, "a fresh read of the commit is refused after the drop");
	cr_assert_eq(err, fresh_err, "the next page: %s", grove_errmsg(db));
	free(p.got);
	free(p.token);
}

/* Pagings left unfinished keep their lists until the handle closes (the
 * sanitizer build checks that closing frees them). */
Test(changes_pages, unfinished_pagings_end_with_the_handle)
{
	char a[GROVE_COMMIT_ID_BYTES], b[GROVE_COMMIT_ID_BYTES], c[GROVE_COMMIT_ID_BYTES];
	load_many(a, "Person", "a", 1500);
	load_many(b, "Person", "b", 1500);
	load_many(c, "Pet", "c", 1500);
	const char *commits[3] = { a, b, c };
	for (int i = 0; i < 3; i++) {
		struct paging p;
		paging_init(&p, commits[i], NULL, 10);
		cr_assert_eq(paging_step(&p), 0, "%s", grove_errmsg(db));
		cr_assert(!p.done);
		free(p.got);
		free(p.token);
	}
}

static void *apply_drop(void *arg)
{
	char *out = NULL;
	*(int *)arg = grove_schema_apply_json(&out, db, "node Person { name: String @key\n age: I32? }\n", 1, NULL);
	grove_free(out);
	return NULL;
}

/* A page read while a schema apply has committed but not yet installed its
 * catalog reads the new state: the kept list, made under the old schema
 * generation, is not its list (found by review: the list was keyed by the
 * catalog in force, which still was the old one). */
Test(changes_pages, a_page_read_during_a_schema_apply_sees_the_snapshot_it_reads)
{
	char c[GROVE_COMMIT_ID_BYTES];
	load_many(c, "Pet", "c", 2100);
	struct paging p;
	paging_init(&p, c, NULL, 1000);
	cr_assert_eq(paging_step(&p), 0, "%s", grove_errmsg(db));
	setenv("GROVE_FAILPOINT", "schema_apply.committed:1:hold", 1);
	grove_failpoint_rearm();
	int apply_err = -1;
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, apply_drop, &apply_err), 0);
	while (grove_failpoint_held() == 0)
		usleep(1000);
	/* A read that cannot use the kept list (another scope), then the
	 * paging's next page: the same refusal. */
	char *fresh = NULL;
	int fresh_err = grove_commit_changes_json(&fresh, db, c, "{\"kinds\":[\"node\"]}", NULL, 1000);
	int err = paging_step(&p);
	char msg[512];
	snprintf(msg, sizeof msg, "%s", grove_errmsg(db));
	grove_failpoint_release();
	pthread_join(t, NULL);
	unsetenv("GROVE_FAILPOINT");
	grove_failpoint_rearm();
	cr_assert_eq(apply_err, 0);
	cr_assert_lt(fresh_err, 0, "the snapshot after the drop refuses the block");
	cr_assert_eq(err, fresh_err, "the next page: %s", msg);
	cr_assert(strstr(msg, "'Pet' is unavailable at this snapshot"), "%s", msg);
	free(p.got);
	free(p.token);
}

/* A large commit whose changed ids are sparse among the type's (4,800 of
 * 124,800: too sparse for the id-map walk to fill a page of 250): its
 * pages name the group once and keep it in id order with the list; two
 * pagings of it interleaved, under two scopes, each get every change
 * once, in id order. */
Test(changes_pages, pages_of_a_sparse_large_group_are_the_group_in_id_order)
{
	char c[GROVE_COMMIT_ID_BYTES];
	size_t cap = 120000 * 64, len = 0, xn = 0;
	char *jsonl = malloc(cap), *want = malloc(4800 * 24);
	for (int i = 0; i < 120000; i++)
		len += (size_t)snprintf(jsonl + len, cap - len,
					"{\"type\":\"Person\",\"data\":{\"name\":\"a%06d\"}}\n", i);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, jsonl, NULL), 0, "%s", grove_errmsg(db));
	len = 0;
	for (int i = 0; i < 4800; i++)   /* "a%06dz": one after every 25th of the a's */
		len += (size_t)snprintf(jsonl + len, cap - len,
					"{\"type\":\"Person\",\"data\":{\"name\":\"a%06dz\"}}\n", 25 * i);
	for (int i = 0; i < 4800; i++)
		xn += (size_t)sprintf(want + xn, "a%06dz insert\n", 25 * i);
	grove_load_result r;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, jsonl, &r), 0, "%s", grove_errmsg(db));
	memcpy(c, r.commit.id, sizeof c);
	free(jsonl);
	struct paging p[2];
	paging_init(&p[0], c, NULL, 250);
	paging_init(&p[1], c, "{\"ops\":[\"insert\"]}", 333);
	while (!p[0].done || !p[1].done)
		for (int i = 0; i < 2; i++)
			if (!p[i].done)
				cr_assert_eq(paging_step(&p[i]), 0, "%s", grove_errmsg(db));
	cr_assert_str_eq(p[0].got, want);
	cr_assert_str_eq(p[1].got, want);
	cr_assert_eq(p[0].pages, 20);
	free(p[0].got);
	free(p[1].got);
	free(want);
}
