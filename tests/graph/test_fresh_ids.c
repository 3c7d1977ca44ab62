/* test_fresh_ids.c — edges whose id a load made are logged as fresh
 * (log/event.h EFFECT_FRESH_ID) and applied without an id lookup; edges
 * with ids of the input, nodes, mutations and appended JSON events never
 * are; a replay and a verify of a graph of fresh edges agree with it.  A
 * load applied in parts logs how many ids its apply caches (id_count). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_testutil.h"
#include "index/apply.h"

static grove_db *db;
static char *dir;

static void setup(void)
{
	db = gt_scratch(&dir, "fresh-ids", NULL);
}

static void teardown(void)
{
	gt_scratch_done(db, dir);
}

TestSuite(fresh_ids, .init = setup, .fini = teardown);

/* How many effects of the log's records from `from` on say "fresh". */
static int fresh_effects(uint64_t from, int *effects)
{
	grove_log_cursor *c;
	int n = 0, rc;
	*effects = 0;
	cr_assert_eq(grove_log_cursor_open(&c, db, from), 0, "%s", grove_errmsg(db));
	while ((rc = grove_log_cursor_next(c)) == 0) {
		const char *j = grove_log_cursor_json(c);
		for (const char *p = j; (p = strstr(p, "\"op\":\"put_")) != NULL; p++)
			(*effects)++;
		for (const char *p = j; (p = strstr(p, "\"fresh\":true")) != NULL; p++)
			n++;
	}
	cr_assert_eq(rc, GROVE_ENOTFOUND, "%s", grove_errmsg(db));
	grove_log_cursor_close(c);
	return n;
}

Test(fresh_ids, only_edges_a_load_gave_ids_are_fresh)
{
	uint64_t from = grove_log_last_lsn(db) + 1;
	int effects;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Alice\"}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Alice\",\"data\":{\"id\":\"k1\"}}\n",
			     NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(fresh_effects(from, &effects), 2, "the two edges without ids");
	cr_assert_eq(effects, 5);

	/* A mutation's edge, id made or not, is looked up as ever. */
	from = grove_log_last_lsn(db) + 1;
	char *out = NULL;
	cr_assert_eq(grove_mutate_json(&out, db, NULL,
				       "query q() { insert Knows { from: \"Bob\", to: \"Bob\" } }", "q", NULL),
		     0, "%s", grove_errmsg(db));
	grove_free(out);
	cr_assert_eq(fresh_effects(from, &effects), 0);
	cr_assert_eq(effects, 1);

	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 4);
	grove_close(db);
	uint64_t n = 0;
	cr_assert_eq(grove_rebuild(dir, &n), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 4);
	char *e = NULL;
	grove_target t = { "main", NULL };
	cr_assert_eq(grove_entity_json(&e, db, &t, "edge:Knows", "k1"), 0, "%s", grove_errmsg(db));
	grove_free(e);
}

/* "fresh" is the writer's word alone: an appended JSON event's edge is
 * looked up like any other, so an id it repeats updates that edge.  (Type
 * 3 is Knows in this schema, as `grove log dump` of its loads shows.) */
Test(fresh_ids, an_appended_event_cannot_claim_fresh_ids)
{
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Alice\",\"data\":{\"id\":\"k1\"}}\n",
			     NULL), 0, "%s", grove_errmsg(db));
	const char *ev = "{\"kind\":\"mutation\",\"commit\":\"01M8PZASQG8Q7HPRXSGJM57Y29\",\"time_us\":1,"
			 "\"branch\":\"main\",\"op\":\"x\",\"effects\":[{\"op\":\"put_edge\",\"type\":3,"
			 "\"fresh\":true,\"row\":[\"k1\",\"Alice\",\"Alice\",null]}]}";
	uint64_t from = grove_log_last_lsn(db) + 1;
	int effects;
	cr_assert_eq(grove_log_append_json(NULL, db, ev), 0, "%s", grove_errmsg(db));
	cr_assert_eq(fresh_effects(from, &effects), 0);
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 1, "k1 updated, not doubled");
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
}

/* The id_count of the log's record at `lsn` (0 when it has none). */
static uint64_t id_count_at(uint64_t lsn)
{
	grove_log_cursor *c;
	uint64_t n = 0;
	cr_assert_eq(grove_log_cursor_open(&c, db, lsn), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_log_cursor_next(c), 0, "%s", grove_errmsg(db));
	const char *p = strstr(grove_log_cursor_json(c), "\"id_count\":");
	if (p)
		n = strtoull(p + strlen("\"id_count\":"), NULL, 10);
	grove_log_cursor_close(c);
	return n;
}

/* A load applied in parts tells a replay how many ids its apply caches:
 * its rows but the fresh edges, and the committed endpoints it names. */
Test(fresh_ids, a_load_in_parts_logs_the_ids_its_apply_caches)
{
	uint32_t part = views_apply_part_effects;
	views_apply_part_effects = 2;
	uint64_t from = grove_log_last_lsn(db) + 1;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\"}}\n"
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Carl\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Carl\"}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Alice\",\"data\":{\"id\":\"k1\"}}\n",
			     NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(id_count_at(from), 4, "3 people and the edge with an id");
	/* Edges only, between committed people: their endpoints. */
	from = grove_log_last_lsn(db) + 1;
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND,
			     "{\"edge\":\"Knows\",\"from\":\"Carl\",\"to\":\"Bob\"}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Carl\",\"to\":\"Alice\"}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Bob\",\"to\":\"Alice\"}\n", NULL), 0,
		     "%s", grove_errmsg(db));
	cr_assert_eq(id_count_at(from), 3, "Alice, Bob and Carl");
	views_apply_part_effects = part;
	cr_assert_eq(gt_count(db, NULL, NULL, "edge:Knows"), 6);
	grove_close(db);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
}
