/* test_adjcache.c — traversals served by in-memory adjacency ranges
 * (index/adjcache.h) answer exactly what LMDB answers: on branches, at
 * older commits, after writes made a range stale, with deletes and
 * tombstones; and a direct-neighbour oracle from table scans. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/db.h"
#include "graph_testutil.h"
#include "index/adjcache.h"
#include "log/failpoint.h"

#define NP 24  /* people p00..p23 */

static const char ops[] =
	"query addp($n: String) { insert Person { name: $n } }\n"
	"query adde($a: String, $b: String) { insert Knows { from: $a, to: $b } }\n"
	"query dele($a: String) { delete Knows where from = $a }\n"
	"query delp($n: String) { delete Person where name = $n }\n";

/* Every traversal shape that walks adjacency. */
static const char *const shapes[] = {
	"query q($n: String) { match { $p: Person { name: $n } $p knows $f } return { $f.name } order { $f.name } }",
	"query q($n: String) { match { $p: Person { name: $n } $f knows $p } return { $f.name } order { $f.name } }",
	"query q($n: String) { match { $p: Person { name: $n } $p <knows> $f } return { $f.name } order { $f.name } }",
	"query q($n: String) { match { $p: Person { name: $n } $p knows $f $f knows $g } return { count($g) as n } }",
	"query q($n: String) { match { $p: Person { name: $n } $p knows{1,3} $f } return { $f.name } order { $f.name } }",
	"query q($n: String) { match { $p: Person { name: $n } $p $e:knows $f } return { count($f) as n } }",
	"query q($n: String) { match { $p: Person { name: $n } $p knows $f not { $f knows $p } } return { $f.name } order { $f.name } }",
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static char *run(grove_db *db, const grove_target *t, const char *gq, const char *name)
{
	char params[64], *out = NULL;
	snprintf(params, sizeof params, "{\"n\":\"%s\"}", name);
	int err = grove_query_json(&out, db, t, gq, "q", params);
	cr_assert_eq(err, 0, "%s: %s", gq, grove_errmsg(db));
	/* The result names the commit it read: the same for both runs. */
	return out;
}

/* A mutation; an edge onto a deleted person is refused (and changes
 * nothing), every other one must succeed. */
static void mutate(grove_db *db, const char *branch, const char *q, const char *params)
{
	grove_mutate_options o = { .branch = branch, .actor = "t" };
	char *out = NULL;
	int err = grove_mutate_json(&out, db, &o, ops, q, params);
	cr_assert(err == 0 || (!strcmp(q, "adde") && err == GROVE_EINVAL), "%s %s: %s", q, params,
		  grove_errmsg(db));
	grove_free(out);
}

/* Direct out-neighbours of `name` at t, from a scan of the edges. */
static char *oracle_out(grove_db *db, const grove_target *t, const char *name)
{
	char *scan = NULL, *persons = NULL;
	cr_assert_eq(grove_scan_json(&scan, db, t, "edge:Knows"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_scan_json(&persons, db, t, "node:Person"), 0, "%s", grove_errmsg(db));
	json_t *e = json_loads(scan, 0, NULL), *p = json_loads(persons, 0, NULL);
	cr_assert(e && p);
	bool alive = false, seen[NP] = { false };
	size_t i;
	json_t *v;
	json_array_foreach(p, i, v)
		alive |= !strcmp(json_string_value(json_object_get(v, "id")), name);
	json_array_foreach(e, i, v)
		if (alive && !strcmp(json_string_value(json_object_get(v, "src")), name))
			seen[atoi(json_string_value(json_object_get(v, "dst")) + 1)] = true;
	char *out = malloc(16 * NP + 16);
	strcpy(out, "[");
	for (int k = 0; k < NP; k++)
		if (seen[k])
			sprintf(out + strlen(out), "%s{\"f.name\":\"p%02d\"}", strlen(out) > 1 ? "," : "", k);
	strcat(out, "]");
	json_decref(e);
	json_decref(p);
	grove_free(scan);
	grove_free(persons);
	return out;
}

static void served_now(grove_db *db, uint64_t *built, uint64_t *served)
{
	adjc_counts(db->views->adjc, built, served);
}

/* Each shape at t for every person: through LMDB, then (after a build had
 * its chance) again, and the answers must be the same. */
static void compare_at(grove_db *db, const grove_target *t)
{
	for (size_t s = 0; s < NSHAPES; s++)
		for (int k = 0; k < NP; k++) {
			char name[16];
			snprintf(name, sizeof name, "p%02d", k);
			adjc_bypass = true;
			char *want = run(db, t, shapes[s], name);
			adjc_bypass = false;
			char *got = run(db, t, shapes[s], name);
			adjc_wait_idle(db->views->adjc);
			char *again = run(db, t, shapes[s], name);
			cr_assert_str_eq(got, want, "shape %zu, %s at %s/%s", s, name,
					 t->branch ? t->branch : "-", t->commit ? t->commit : "head");
			cr_assert_str_eq(again, want, "shape %zu, %s (again)", s, name);
			if (s == 0) {
				char *o = oracle_out(db, t, name);
				char *rows = strstr(want, "\"rows\":");
				cr_assert(rows && !strncmp(rows + 7, o, strlen(o)), "%s: %s vs %s", name, want, o);
				free(o);
			}
			grove_free(want);
			grove_free(got);
			grove_free(again);
		}
}

static uint32_t rng = 12345;
static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

Test(adjcache, random_writes_branches_and_time_travel_read_the_same_as_lmdb, .timeout = 300)
{
	char *dir;
	grove_db *db = gt_scratch(&dir, "adjc", NULL);
	char buf[4096] = "", params[96];
	uint32_t saved = adjc_first_misses;
	adjc_first_misses = 1;
	for (int k = 0; k < NP; k++)
		sprintf(buf + strlen(buf), "{\"type\":\"Person\",\"data\":{\"name\":\"p%02d\"}}\n", k);
	for (int k = 0; k < 3 * NP; k++)
		sprintf(buf + strlen(buf), "{\"edge\":\"Knows\",\"from\":\"p%02u\",\"to\":\"p%02u\"}\n",
			next_rand() % NP, next_rand() % NP);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, buf, NULL), 0, "%s", grove_errmsg(db));

	const char *branches[4] = { "main", NULL, NULL, NULL };
	char names[4][16];
	int nb = 1;
	char old[16][40];
	int nold = 0;
	for (int round = 0; round < 24; round++) {
		const char *b = branches[next_rand() % nb];
		uint32_t op = next_rand() % 6, a = next_rand() % NP, c = next_rand() % NP;
		if (op == 0 && nb < 4) {
			snprintf(names[nb], sizeof names[nb], "b%d", nb);
			cr_assert_eq(grove_branch_create(db, names[nb], b, "t"), 0, "%s", grove_errmsg(db));
			branches[nb] = names[nb];
			nb++;
			continue;
		}
		if (op <= 2)
			snprintf(params, sizeof params, "{\"a\":\"p%02u\",\"b\":\"p%02u\"}", a, c);
		else
			snprintf(params, sizeof params, "{\"%s\":\"p%02u\"}", op == 3 ? "a" : "n", a);
		mutate(db, b, op <= 2 ? "adde" : op == 3 ? "dele" : op == 4 ? "delp" : "addp", params);
		grove_commit head;
		cr_assert_eq(grove_branch_head(&head, db, b), 0);
		if (nold < 16)
			snprintf(old[nold++], sizeof old[0], "%s", head.id);
		/* Every branch head, and an older commit. */
		for (int i = 0; i < nb; i++) {
			grove_target t = { branches[i], NULL };
			compare_at(db, &t);
		}
		grove_target t = { NULL, old[next_rand() % nold] };
		compare_at(db, &t);
	}
	uint64_t built, served;
	served_now(db, &built, &served);
	cr_log_info("ranges built %lu, reads served %lu", (unsigned long)built, (unsigned long)served);
	cr_assert_gt(built, 0);
	cr_assert_gt(served, 0);
	adjc_first_misses = saved;
	gt_scratch_done(db, dir);
}

/* Count of p's out-neighbours at t. */
static char *out_of(grove_db *db, const grove_target *t, int k)
{
	char name[16];
	snprintf(name, sizeof name, "p%02d", k);
	return run(db, t, shapes[0], name);
}

static grove_db *small_graph(char **dir, const char *tag, const grove_options *o)
{
	char buf[4096] = "";
	grove_db *db;
	*dir = gt_dir(tag);
	cr_assert_eq(grove_init(&db, *dir, gt_schema, o), 0, "%s", grove_errmsg(NULL));
	for (int k = 0; k < NP; k++)
		sprintf(buf + strlen(buf), "{\"type\":\"Person\",\"data\":{\"name\":\"p%02d\"}}\n", k);
	for (int k = 0; k < NP; k++)
		sprintf(buf + strlen(buf), "{\"edge\":\"Knows\",\"from\":\"p%02d\",\"to\":\"p%02d\"}\n", k,
			(k + 1) % NP);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, buf, NULL), 0, "%s", grove_errmsg(db));
	return db;
}

Test(adjcache, a_budget_of_none_builds_nothing)
{
	grove_options o = GROVE_OPTIONS_INIT;
	o.adj_cache_bytes = GROVE_ADJ_CACHE_NONE;
	char *dir;
	grove_db *db = small_graph(&dir, "adjcnone", &o);
	uint64_t built, served;
	for (int i = 0; i < 200; i++)
		grove_free(out_of(db, NULL, i % NP));
	adjc_wait_idle(db->views->adjc);
	grove_free(out_of(db, NULL, 0));
	served_now(db, &built, &served);
	cr_assert_eq(built, 0);
	cr_assert_eq(served, 0);
	gt_scratch_done(db, dir);
}

/* Writes elsewhere (another branch, another edge type, nodes only) leave
 * main's range whole; an edge written on main leaves it serving every
 * node but the one written, whose edges come from LMDB; more nodes
 * written than its dirty set holds make it stale, and a later build
 * serves them all again. */
Test(adjcache, writes_to_a_range_leave_its_copy_serving_but_for_their_nodes)
{
	char *dir, *r;
	grove_db *db = small_graph(&dir, "adjcstale", NULL);
	uint64_t built, served, built2, served2;
	for (int i = 0; i < 100; i++)
		grove_free(out_of(db, NULL, i % NP));
	adjc_wait_idle(db->views->adjc);
	served_now(db, &built, &served);
	cr_assert_eq(built, 2, "main's Knows out range and Person's id copy");
	cr_assert_eq(grove_branch_create(db, "side", NULL, "t"), 0);
	mutate(db, "side", "adde", "{\"a\":\"p00\",\"b\":\"p05\"}");
	mutate(db, NULL, "addp", "{\"n\":\"zed\"}");
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, "{\"type\":\"Company\",\"data\":{\"name\":\"Acme\"}}\n"
			     "{\"edge\":\"WorksAt\",\"from\":\"p01\",\"to\":\"Acme\"}\n", NULL), 0, "%s", grove_errmsg(db));
	r = out_of(db, NULL, 0);
	cr_assert(strstr(r, "[{\"f.name\":\"p01\"}]"), "%s", r);
	grove_free(r);
	served_now(db, &built2, &served2);
	cr_assert_eq(built2, built);
	cr_assert_eq(served2, served + 1, "main's range still serves");

	/* p00 -> p07 on main: p00's edges from LMDB, the others' from the copy. */
	mutate(db, NULL, "adde", "{\"a\":\"p00\",\"b\":\"p07\"}");
	r = out_of(db, NULL, 0);
	cr_assert(strstr(r, "[{\"f.name\":\"p01\"},{\"f.name\":\"p07\"}]"), "%s", r);
	grove_free(r);
	r = run(db, NULL, shapes[3], "p23");  /* p23 -> p00 -> {p01, p07} */
	cr_assert(strstr(r, "\"rows\":[{\"n\":2}]"), "%s", r);
	grove_free(r);
	served_now(db, &built2, &served2);
	cr_assert_eq(served2, served + 3, "the copy still serves");
	cr_assert_eq(built2, built);

	/* Edges from every person, more nodes than the dirty set holds
	 * (at least 1,024 slots, half of them): a load of 600 people. */
	char *buf = malloc(200 * 1024);
	buf[0] = '\0';
	for (int k = 0; k < 600; k++)
		sprintf(buf + strlen(buf), "{\"type\":\"Person\",\"data\":{\"name\":\"q%03d\"}}\n"
			"{\"edge\":\"Knows\",\"from\":\"q%03d\",\"to\":\"p01\"}\n", k, k);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, buf, NULL), 0, "%s", grove_errmsg(db));
	free(buf);
	r = out_of(db, NULL, 0);
	cr_assert(strstr(r, "[{\"f.name\":\"p01\"},{\"f.name\":\"p07\"}]"), "%s", r);
	grove_free(r);
	served_now(db, &built2, &served2);
	cr_assert_eq(served2, served + 3, "a stale range serves nothing");
	adjc_wait_idle(db->views->adjc);
	for (int i = 0; i < 200 && built2 < built + 1; i++) {
		grove_free(out_of(db, NULL, i % NP));
		adjc_wait_idle(db->views->adjc);
		served_now(db, &built2, &served2);
	}
	cr_assert_geq(built2, built + 1, "rebuilt after enough misses");
	r = run(db, NULL, shapes[1], "p01");  /* in: p00 and the 600 */
	cr_assert(strstr(r, "{\"f.name\":\"q599\"}"), "%s", r);
	grove_free(r);
	r = out_of(db, NULL, 0);
	cr_assert(strstr(r, "[{\"f.name\":\"p01\"},{\"f.name\":\"p07\"}]"), "%s", r);
	grove_free(r);
	served_now(db, &built, &served);
	cr_assert_gt(served, served2);
	gt_scratch_done(db, dir);
}

/* The stamps are bookkeeping: a graph whose reads built ranges and whose
 * writes stamped them verifies against a fresh replay. */
Test(adjcache, stamped_views_verify)
{
	char *dir;
	grove_db *db = small_graph(&dir, "adjcverify", NULL);
	for (int i = 0; i < 100; i++)
		grove_free(out_of(db, NULL, i % NP));
	adjc_wait_idle(db->views->adjc);
	mutate(db, NULL, "adde", "{\"a\":\"p03\",\"b\":\"p09\"}");
	cr_assert_eq(grove_branch_create(db, "x", NULL, "t"), 0);
	mutate(db, "x", "dele", "{\"a\":\"p03\"}");
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	gt_rmtree(dir);
	free(dir);
}

/* Readers at a fixed older commit and at the head while a writer adds
 * edges (ranges go stale, are rebuilt and dropped under the readers). */
struct reader {
	grove_db *db;
	const char *commit;
	char *want[NP];
	int bad;
};

static void *read_loop(void *arg)
{
	struct reader *rd = arg;
	grove_target t = { NULL, rd->commit };
	for (int i = 0; i < 3000; i++) {
		char *got = out_of(rd->db, &t, i % NP);
		rd->bad += strcmp(got, rd->want[i % NP]) != 0;
		grove_free(got);
		grove_free(out_of(rd->db, NULL, (i * 7) % NP));
	}
	return NULL;
}

Test(adjcache, readers_race_rebuilds, .timeout = 300)
{
	char *dir;
	grove_db *db = small_graph(&dir, "adjcrace", NULL);
	grove_commit head;
	struct reader rd[2];
	pthread_t th[2];
	uint32_t saved = adjc_first_misses;
	adjc_first_misses = 4;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	for (int r = 0; r < 2; r++) {
		rd[r] = (struct reader){ .db = db, .commit = head.id };
		grove_target t = { NULL, head.id };
		adjc_bypass = true;
		for (int k = 0; k < NP; k++)
			rd[r].want[k] = out_of(db, &t, k);
		adjc_bypass = false;
	}
	for (int r = 0; r < 2; r++)
		cr_assert_eq(pthread_create(&th[r], NULL, read_loop, &rd[r]), 0);
	char params[64];
	for (int i = 0; i < 150; i++) {
		snprintf(params, sizeof params, "{\"a\":\"p%02d\",\"b\":\"p%02d\"}", i % NP, (i * 5) % NP);
		mutate(db, NULL, "adde", params);
	}
	for (int r = 0; r < 2; r++) {
		pthread_join(th[r], NULL);
		cr_assert_eq(rd[r].bad, 0);
		for (int k = 0; k < NP; k++)
			grove_free(rd[r].want[k]);
	}
	adjc_first_misses = saved;
	uint64_t built, served;
	served_now(db, &built, &served);
	cr_log_info("race: ranges built %lu, reads served %lu", (unsigned long)built, (unsigned long)served);
	cr_assert_gt(served, 0);
	gt_scratch_done(db, dir);
}

/* The id copy has ids the target may lack: a person added after commit C
 * is found by key at the head and nowhere at C, through the row and the
 * adjacency paths; an id added after the copy is found through LMDB. */
Test(adjcache, the_id_copy_never_shows_what_a_target_lacks)
{
	char *dir, *r;
	grove_db *db = small_graph(&dir, "adjcids", NULL);
	grove_commit before;
	cr_assert_eq(grove_branch_head(&before, db, "main"), 0);
	mutate(db, NULL, "addp", "{\"n\":\"late\"}");
	mutate(db, NULL, "adde", "{\"a\":\"late\",\"b\":\"p02\"}");
	for (int i = 0; i < 100; i++)
		grove_free(out_of(db, NULL, i % NP));
	adjc_wait_idle(db->views->adjc);
	uint64_t ids0 = adjc_ids_served(db->views->adjc);
	grove_target at = { NULL, before.id }, head = { NULL, NULL };
	r = run(db, &at, shapes[0], "late");
	cr_assert(strstr(r, "\"rows\":[]"), "%s", r);
	grove_free(r);
	r = run(db, &head, shapes[0], "late");
	cr_assert(strstr(r, "\"rows\":[{\"f.name\":\"p02\"}]"), "%s", r);
	grove_free(r);
	const char *row_q = "query q($n: String) { match { $p: Person { name: $n } } return { $p.name } }";
	r = run(db, &at, row_q, "late");
	cr_assert(strstr(r, "\"rows\":[]"), "%s", r);
	grove_free(r);
	cr_assert_geq(adjc_ids_served(db->views->adjc), ids0 + 3, "the copy answered");
	/* Added after the copy: LMDB has it. */
	mutate(db, NULL, "addp", "{\"n\":\"later\"}");
	r = run(db, &head, row_q, "later");
	cr_assert(strstr(r, "\"rows\":[{\"p.name\":\"later\"}]"), "%s", r);
	grove_free(r);
	gt_scratch_done(db, dir);
}

/* A budget that holds one range: walking the other direction long
 * enough evicts the copy no longer read and builds the one that is. */
Test(adjcache, the_least_recently_used_copy_makes_room)
{
	grove_options o = GROVE_OPTIONS_INIT;
	/* Room for Person's id copy (4 KiB of table and its names) and one
	 * range of 24 edges (a page of entries, a page of offsets), not two. */
	o.adj_cache_bytes = 16 << 10;
	char *dir;
	grove_db *db = small_graph(&dir, "adjclru", &o);
	uint64_t built, served, served2;
	for (int i = 0; i < 100; i++)
		grove_free(out_of(db, NULL, i % NP));
	adjc_wait_idle(db->views->adjc);
	served_now(db, &built, &served);
	for (int i = 0; i < 800; i++) {  /* the out range unread long enough */
		char name[16];
		snprintf(name, sizeof name, "p%02d", i % NP);
		grove_free(run(db, NULL, shapes[1], name));  /* in: another range */
		if (i % 50 == 0)
			adjc_wait_idle(db->views->adjc);
	}
	adjc_wait_idle(db->views->adjc);
	char *r = run(db, NULL, shapes[1], "p01");
	cr_assert(strstr(r, "\"rows\":[{\"f.name\":\"p00\"}]"), "%s", r);
	grove_free(r);
	served_now(db, &built, &served2);
	cr_assert_gt(served2, served + 1, "the in range was built and served (built %lu)", (unsigned long)built);
	gt_scratch_done(db, dir);
}

/* Ids of 507 bytes or more may have shared keys (index/idkey.h): never in
 * a copy, and looking them up does not make fresh copies over and over. */
Test(adjcache, long_ids_go_to_lmdb_without_rebuilding_copies)
{
	static const size_t lens[] = { 506, 507, 508, 600 };
	char *dir, id[601], buf[800], params[700], *out = NULL;
	grove_db *db = small_graph(&dir, "adjclong", NULL);
	const char *q = "query q($n: String) { match { $p: Person { name: $n } } return { count($p) as n } }";
	uint64_t built0, built, served;
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		memset(id, 'a' + (int)k, lens[k]);
		id[lens[k]] = '\0';
		snprintf(buf, sizeof buf, "{\"type\":\"Person\",\"data\":{\"name\":\"%s\"}}\n", id);
		cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, buf, NULL), 0, "%s", grove_errmsg(db));
	}
	for (int i = 0; i < 100; i++)
		grove_free(out_of(db, NULL, i % NP));
	adjc_wait_idle(db->views->adjc);
	served_now(db, &built0, &served);
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		memset(id, 'a' + (int)k, lens[k]);
		id[lens[k]] = '\0';
		snprintf(params, sizeof params, "{\"n\":\"%s\"}", id);
		for (int i = 0; i < 500; i++) {
			cr_assert_eq(grove_query_json(&out, db, NULL, q, "q", params), 0, "%s", grove_errmsg(db));
			cr_assert(strstr(out, "\"rows\":[{\"n\":1}]"), "%zu: %s", lens[k], out);
			grove_free(out);
		}
		adjc_wait_idle(db->views->adjc);
		served_now(db, &built, &served);
		/* A 506-byte id may be newer than the copy: one fresher copy. */
		cr_assert_leq(built, built0 + 1, "ids of %zu bytes: %lu copies built", lens[k],
			      (unsigned long)(built - built0));
	}
	gt_scratch_done(db, dir);
}

/* Node ids far apart (edges take ids between them): the copy finds nodes
 * by hash, not by an offsets array, and answers the same. */
Test(adjcache, sparse_node_ids_answer_the_same)
{
	char *dir;
	static char buf[65536];
	grove_db *db = gt_scratch(&dir, "adjcsparse", NULL);
	buf[0] = '\0';
	uint32_t saved = adjc_first_misses;
	adjc_first_misses = 1;
	for (int k = 0; k < NP / 2; k++)
		sprintf(buf + strlen(buf), "{\"type\":\"Person\",\"data\":{\"name\":\"p%02d\"}}\n", k);
	for (int k = 0; k < 400; k++)
		sprintf(buf + strlen(buf), "{\"edge\":\"Knows\",\"from\":\"p%02d\",\"to\":\"p%02d\"}\n",
			k % (NP / 2), (k * 7 + 1) % (NP / 2));
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, buf, NULL), 0, "%s", grove_errmsg(db));
	buf[0] = '\0';
	for (int k = NP / 2; k < NP; k++)
		sprintf(buf + strlen(buf), "{\"type\":\"Person\",\"data\":{\"name\":\"p%02d\"}}\n"
			"{\"edge\":\"Knows\",\"from\":\"p%02d\",\"to\":\"p%02d\"}\n", k, k, k - NP / 2);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_MERGE, buf, NULL), 0, "%s", grove_errmsg(db));
	grove_target head = { NULL, NULL };
	compare_at(db, &head);
	uint64_t built, served;
	served_now(db, &built, &served);
	cr_assert_gt(served, 0);
	adjc_first_misses = saved;
	gt_scratch_done(db, dir);
}

/* Room for one range: reads of a branch whose chain needs two do not
 * evict the parent's copy the branch itself needs, nor take turns
 * rebuilding them. */
Test(adjcache, a_chain_does_not_evict_its_own_copies)
{
	grove_options o = GROVE_OPTIONS_INIT;
	o.adj_cache_bytes = 16 << 10;
	char *dir;
	grove_db *db = small_graph(&dir, "adjcpin", &o);
	uint64_t built0, built, served0, served;
	for (int i = 0; i < 100; i++)
		grove_free(out_of(db, NULL, i % NP));
	adjc_wait_idle(db->views->adjc);
	cr_assert_eq(grove_branch_create(db, "side", NULL, "t"), 0);
	mutate(db, "side", "adde", "{\"a\":\"p00\",\"b\":\"p05\"}");
	served_now(db, &built0, &served0);
	grove_target side = { "side", NULL };
	for (int i = 0; i < 300; i++) {
		grove_free(out_of(db, &side, i % NP));
		grove_free(out_of(db, NULL, i % NP));
		if (i % 20 == 0)
			adjc_wait_idle(db->views->adjc);
	}
	adjc_wait_idle(db->views->adjc);
	served_now(db, &built, &served);
	cr_assert_leq(built, built0 + 1, "%lu copies built", (unsigned long)(built - built0));
	cr_assert_geq(served, served0 + 290, "main's reads kept their copy (%lu served)",
		      (unsigned long)(served - served0));
	char *r = out_of(db, &side, 0);
	cr_assert(strstr(r, "[{\"f.name\":\"p01\"},{\"f.name\":\"p05\"}]"), "%s", r);
	grove_free(r);
	gt_scratch_done(db, dir);
}

/* A build that starts while a write is applied but not committed (held
 * at apply.mid) waits for a snapshot holding it: the write was noted
 * before the build's dirty set existed, so a copy made without it would
 * miss the edge for good. */
struct held_write {
	grove_db *db;
};

static void *write_edge(void *arg)
{
	struct held_write *h = arg;
	mutate(h->db, NULL, "adde", "{\"a\":\"p00\",\"b\":\"p07\"}");
	return NULL;
}

Test(adjcache, a_build_waits_for_a_write_applied_before_it)
{
	char *dir, *r;
	grove_db *db = small_graph(&dir, "adjcheld", NULL);
	uint32_t saved = adjc_first_misses;
	adjc_first_misses = 1;
	struct held_write h = { db };
	pthread_t th;
	setenv("GROVE_FAILPOINT", "apply.mid:1:hold", 1);
	grove_failpoint_rearm();
	cr_assert_eq(pthread_create(&th, NULL, write_edge, &h), 0);
	while (grove_failpoint_held() < 1)
		usleep(1000);
	/* Not durable yet: not seen; this miss starts the build. */
	r = out_of(db, NULL, 0);
	cr_assert(strstr(r, "\"rows\":[{\"f.name\":\"p01\"}]"), "%s", r);
	grove_free(r);
	/* The build waits for a snapshot with the write. */
	for (int i = 0; i < 2000 && adjc_build_waits(db->views->adjc) == 0; i++)
		usleep(1000);
	cr_assert_eq(adjc_build_waits(db->views->adjc), 1, "the build waited for the write");
	grove_failpoint_release();
	pthread_join(th, NULL);
	unsetenv("GROVE_FAILPOINT");
	grove_failpoint_rearm();
	adjc_wait_idle(db->views->adjc);
	uint64_t built, served, served2;
	served_now(db, &built, &served);
	r = out_of(db, NULL, 0);
	cr_assert(strstr(r, "\"rows\":[{\"f.name\":\"p01\"},{\"f.name\":\"p07\"}]"), "%s", r);
	grove_free(r);
	served_now(db, &built, &served2);
	cr_assert_eq(served2, served + 1, "served by the copy");
	adjc_first_misses = saved;
	gt_scratch_done(db, dir);
}

/* Many copies (10 edge types, both directions): a write to one range is
 * noted in its own copy's dirty set, whatever the number of others. */
Test(adjcache, a_write_is_noted_among_many_copies)
{
	char schema[2048] = "node Person { name: String @key }\n", *dir, buf[8192] = "", q[256], *r;
	for (int e = 0; e < 10; e++)
		sprintf(schema + strlen(schema), "edge E%d: Person -> Person\n", e);
	grove_db *db = gt_scratch(&dir, "adjcmany", schema);
	for (int k = 0; k < 8; k++)
		sprintf(buf + strlen(buf), "{\"type\":\"Person\",\"data\":{\"name\":\"p%02d\"}}\n", k);
	for (int e = 0; e < 10; e++)
		for (int k = 0; k < 8; k++)
			sprintf(buf + strlen(buf), "{\"edge\":\"E%d\",\"from\":\"p%02d\",\"to\":\"p%02d\"}\n", e, k,
				(k + 1) % 8);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND, buf, NULL), 0, "%s", grove_errmsg(db));
	for (int e = 0; e < 10; e++)
		for (int in = 0; in < 2; in++) {
			snprintf(q, sizeof q, in ? "query q($n: String) { match { $p: Person { name: $n } $f e%d $p } return { $f.name } }"
						 : "query q($n: String) { match { $p: Person { name: $n } $p e%d $f } return { $f.name } }", e);
			for (int i = 0; i < 80; i++)
				grove_free(run(db, NULL, q, "p00"));
		}
	adjc_wait_idle(db->views->adjc);
	uint64_t built, served, served2;
	served_now(db, &built, &served);
	cr_assert_geq(built, 20, "a copy per type and direction (%lu)", (unsigned long)built);
	grove_mutate_options o = { .actor = "t" };
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, &o, "query a() { insert E9 { from: \"p00\", to: \"p05\" } }", "a", NULL), 0,
		     "%s", grove_errmsg(db));
	grove_free(out);
	r = run(db, NULL, "query q($n: String) { match { $p: Person { name: $n } $p e9 $f } return { $f.name } order { $f.name } }", "p00");
	cr_assert(strstr(r, "[{\"f.name\":\"p01\"},{\"f.name\":\"p05\"}]"), "%s", r);
	grove_free(r);
	served_now(db, &built, &served2);
	cr_assert_eq(served2, served + 1, "E9's copy still serves");
	gt_scratch_done(db, dir);
}
