/* test_long_ids.c — ids longer than an LMDB key (index/idkey.h): kept
 * whole, found, exported, paged through, and refused only when two
 * would share a key. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "graph_testutil.h"

static grove_db *db;
static char *dir;

static void setup(void)
{
	db = gt_scratch(&dir, "long-ids", NULL);
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(long_ids, .init = setup, .fini = teardown);

/* A string of n bytes: `c` repeated, then `tail`. */
static char *longid(char c, size_t n, const char *tail)
{
	size_t t = strlen(tail);
	char *s = malloc(n + 1);
	cr_assert(s && n >= t);
	memset(s, c, n - t);
	memcpy(s + n - t, tail, t + 1);
	return s;
}

static char *person(const char *name, int age)
{
	json_t *j = json_pack("{s:s, s:{s:s, s:i}}", "type", "Person", "data", "name", name, "age", age);
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static int load_people(int mode, const char *const *names, int n)
{
	size_t cap = 1, len = 0;
	char *all = calloc(1, 1);
	for (int i = 0; i < n; i++) {
		char *line = person(names[i], 1000 + i);
		size_t l = strlen(line);
		all = realloc(all, cap += l + 1);
		memcpy(all + len, line, l);
		all[len += l] = '\n';
		all[++len] = '\0';
		free(line);
	}
	int err = gt_load(db, NULL, mode, all, NULL);
	free(all);
	return err;
}

/* The age of Person `name`, or -1 if there is none. */
static int age_of(const char *name)
{
	json_t *pj = json_pack("{s:s}", "n", name);
	char *params = json_dumps(pj, JSON_COMPACT), *out = NULL;
	json_decref(pj);
	int err = grove_query_json(&out, db, NULL,
				   "query q($n: String) { match { $p: Person { name: $n } } return { $p.age } }",
				   "q", params);
	free(params);
	cr_assert_eq(err, 0, "%s", grove_errmsg(db));
	json_t *r = json_loads(out, 0, NULL);
	grove_free(out);
	json_t *rows = json_object_get(r, "rows");
	int age = json_array_size(rows) ? (int)json_integer_value(json_object_get(json_array_get(rows, 0), "p.age")) : -1;
	cr_assert_leq(json_array_size(rows), 1);
	json_decref(r);
	return age;
}

Test(long_ids, ids_of_any_length_load_query_export_and_verify)
{
	char *ids[] = { longid('a', 507, ""), longid('b', 508, ""), longid('c', 600, ""),
			longid('c', 601, "d"), longid('c', 5000, "e"), longid('c', 600, "f") };
	cr_assert_eq(load_people(GROVE_LOAD_OVERWRITE, (const char *const *)ids, 6), 0, "%s", grove_errmsg(db));
	for (int i = 0; i < 6; i++)
		cr_assert_eq(age_of(ids[i]), 1000 + i, "id %d", i);
	char *miss = longid('c', 600, "g");   /* same 491-byte prefix, another hash */
	cr_assert_eq(age_of(miss), -1);
	free(miss);
	/* Edges between long ids, then an append meeting one. */
	json_t *e = json_pack("{s:s, s:s, s:s}", "edge", "Knows", "from", ids[2], "to", ids[4]);
	char *line = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, line, NULL), 0, "%s", grove_errmsg(db));
	free(line);
	cr_assert_eq(load_people(GROVE_LOAD_APPEND, (const char *const *)&ids[3], 1), GROVE_EKEYCONFLICT);
	cr_assert_eq(load_people(GROVE_LOAD_MERGE, (const char *const *)&ids[3], 1), 0, "%s", grove_errmsg(db));
	cr_assert_eq(age_of(ids[3]), 1000, "a merge updates the long id in place");
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 6);
	char *x = gt_export(db, NULL, NULL);
	for (int i = 0; i < 6; i++)
		cr_assert(strstr(x, ids[i]), "export holds id %d whole", i);
	/* Rows by ascending id, also among ids sharing their first 491 bytes
	 * (keyed by hash): c*600 < c*4999+e < c*600+d < c*599+f. */
	const int order[] = { 0, 1, 2, 4, 3, 5 };
	const char *at = x;
	for (int i = 0; i < 6; i++) {
		const char *hit = NULL;
		for (const char *q = x; (q = strstr(q, "\"id\":\"")) != NULL; q++)
			if (!strncmp(q + 6, ids[order[i]], strlen(ids[order[i]])) && q[6 + strlen(ids[order[i]])] == '"')
				hit = q;
		cr_assert_not_null(hit, "id %d exported", order[i]);
		cr_assert_geq(hit, at, "id %d in id order", order[i]);
		at = hit;
	}
	grove_free(x);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(age_of(ids[4]), 1004);
	for (int i = 0; i < 6; i++)
		free(ids[i]);
}

/* A 600-byte id whose key's hash bytes are all ASCII (but NUL), and the 507-byte
 * id that is exactly its key: two ids, one key. */
static void colliding_pair(char **longer, char **whole, unsigned salt)
{
	char tail[32];
	for (unsigned n = 0;; n++) {
		snprintf(tail, sizeof tail, "-%u-%u", salt, n);
		char *id = longid('k', 600, tail);
		XXH128_hash_t h = XXH3_128bits(id, 600);
		uint8_t d[16];
		for (int i = 0; i < 8; i++) {
			d[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
			d[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
		}
		bool ascii = true;
		for (int i = 0; i < 16; i++)
			ascii = ascii && d[i] >= 0x01 && d[i] < 0x80;
		if (ascii) {
			*longer = id;
			*whole = malloc(508);
			memcpy(*whole, id, 491);
			memcpy(*whole + 491, d, 16);
			(*whole)[507] = '\0';
			return;
		}
		free(id);
	}
}

Test(long_ids, two_ids_sharing_a_key_are_refused_before_anything_is_written)
{
	char *longer, *whole;
	colliding_pair(&longer, &whole, 0);
	cr_assert_eq(load_people(GROVE_LOAD_APPEND, (const char *const *)&longer, 1), 0, "%s", grove_errmsg(db));
	cr_assert_eq(load_people(GROVE_LOAD_APPEND, (const char *const *)&whole, 1), GROVE_ECONFLICT, "%s",
		     grove_errmsg(db));
	cr_assert(strstr(grove_errmsg(db), "node Person: an id of 507 bytes shares its id-map key with another id"),
		  "%s", grove_errmsg(db));
	cr_assert_eq(age_of(whole), -1);
	cr_assert_eq(age_of(longer), 1000);
	/* The same through a mutation, and both in one load of a fresh type. */
	json_t *pj = json_pack("{s:s, s:i}", "n", whole, "a", 5);
	char *params = json_dumps(pj, JSON_COMPACT), *out = NULL;
	json_decref(pj);
	cr_assert_eq(grove_mutate_json(&out, db, NULL,
				       "query add($n: String, $a: I32) { insert Person { name: $n, age: $a } }",
				       "add", params), GROVE_ECONFLICT);
	free(params);
	const char *both[] = { whole, longer };
	cr_assert_eq(load_people(GROVE_LOAD_OVERWRITE, both, 2), GROVE_ECONFLICT);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 1);
	cr_assert_eq(age_of(longer), 1000, "the refused overwrite left the graph as it was");
	/* The handle lives on. */
	const char *ok = "ok";
	cr_assert_eq(load_people(GROVE_LOAD_APPEND, &ok, 1), 0, "%s", grove_errmsg(db));
	free(longer);
	free(whole);
}

/* Every page of commit r's changes, `per` at a time: the ids in order. */
static int page_all(char ***out, const char *commit, uint32_t per)
{
	char *token = NULL, **seen = NULL;
	int n = 0;
	do {
		char *page = NULL;
		cr_assert_eq(grove_commit_changes_page_json(&page, db, commit, NULL, token, per,
							    GROVE_CHANGES_PAGE_BYTES), 0, "%s", grove_errmsg(db));
		json_t *p = json_loads(page, 0, NULL), *c;
		size_t i;
		grove_free(page);
		free(token);
		json_t *ch = json_object_get(p, "changes");
		cr_assert_leq(json_array_size(ch), per);
		seen = realloc(seen, (n + json_array_size(ch)) * sizeof *seen);
		json_array_foreach(ch, i, c)
			seen[n++] = strdup(json_string_value(json_object_get(c, "id")));
		const char *next = json_string_value(json_object_get(p, "next_page_token"));
		cr_assert(!next || strlen(next) < 4096, "a token never grows with an id");
		token = next ? strdup(next) : NULL;
		json_decref(p);
	} while (token);
	*out = seen;
	return n;
}

static void load_all(grove_load_result *r, char **ids, int n)
{
	char *all = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&all, &len);
	for (int i = 0; i < n; i++) {
		char *p = person(ids[i], i);
		fprintf(f, "%s\n", p);
		free(p);
	}
	fclose(f);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, all, r), 0, "%s", grove_errmsg(db));
	free(all);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Pages of `per` changes hold every id once, in id order. */
static void check_pages(const char *commit, char **ids, int n, uint32_t per)
{
	char **seen;
	cr_assert_eq(page_all(&seen, commit, per), n);
	qsort(ids, (size_t)n, sizeof *ids, cmp_str);
	for (int i = 0; i < n; i++) {
		cr_assert_str_eq(seen[i], ids[i], "change %d", i);
		free(seen[i]);
	}
	free(seen);
}

/* Page by page, one change each: positions on long ids ride in the token
 * as a prefix and a hash, and resume exactly after them. */
Test(long_ids, change_pages_resume_after_long_ids)
{
	char *ids[] = { longid('m', 300, "1"), longid('m', 300, "2"), longid('m', 900, "3"), longid('m', 10, "4"),
			longid('m', 2000, "5") };
	grove_load_result r;
	load_all(&r, ids, 5);
	check_pages(r.commit.id, ids, 5, 1);
	for (int i = 0; i < 5; i++)
		free(ids[i]);
}

/* A group too large to sort by name is walked in the id map's order,
 * which long ids sharing a prefix do not keep: the walk hands over. */
Test(long_ids, a_large_group_walked_by_the_id_map_keeps_id_order)
{
	enum { N = 5000, L = 6 };
	char *ids[N + L];
	for (int i = 0; i < N; i++) {
		char t[16];
		snprintf(t, sizeof t, "%05d", i);
		ids[i] = strdup(i ? t : "");   /* the empty id first (review by helper-33) */
	}
	for (int i = 0; i < L; i++) {
		char t[8];
		snprintf(t, sizeof t, "%d", i);
		ids[N + i] = longid(i % 2 ? '0' : 'z', 495 + 100 * (size_t)i, t);
	}
	grove_load_result r;
	load_all(&r, ids, N + L);
	check_pages(r.commit.id, ids, N + L, 1000);
	check_pages(r.commit.id, ids, N + L, 3);   /* resumes inside the run of long ids */
	for (int i = 0; i < N + L; i++)
		free(ids[i]);
}

struct racer {
	pthread_barrier_t *start;
	const char *branch, *id;
	int err;
};

static void *race_load(void *arg)
{
	struct racer *r = arg;
	char *line = person(r->id, 1);
	pthread_barrier_wait(r->start);
	r->err = gt_load(db, r->branch, GROVE_LOAD_MERGE, line, NULL);
	free(line);
	return NULL;
}

/* The id map is global, writers are serialized per branch: two ids that
 * share a key, written at once on two branches, must not both pass the
 * check (the later apply would take the key from the earlier id). */
Test(long_ids, two_ids_sharing_a_key_on_two_branches_at_once_are_not_both_taken)
{
	cr_assert_eq(grove_branch_create(db, "feat", NULL, NULL), 0, "%s", grove_errmsg(db));
	for (unsigned trial = 1; trial <= 12; trial++) {
		char *longer, *whole;
		colliding_pair(&longer, &whole, trial);
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, 2);
		struct racer a = { &start, "main", longer, 0 }, b = { &start, "feat", whole, 0 };
		pthread_t ta, tb;
		pthread_create(&ta, NULL, race_load, &a);
		pthread_create(&tb, NULL, race_load, &b);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
		pthread_barrier_destroy(&start);
		cr_assert((a.err == 0) != (b.err == 0), "trial %u: exactly one is taken (%d, %d)", trial, a.err, b.err);
		cr_assert_eq(a.err ? a.err : b.err, GROVE_ECONFLICT);
		free(longer);
		free(whole);
	}
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
}
