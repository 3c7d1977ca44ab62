/* test_feed.c — change feed polls catching up on long histories: a handle
 * keeps the first-parent chain its last polls walked (engine/feed_chain.c);
 * whatever it keeps, each poll delivers what the chain holds after its
 * position, once, in order: with the head moving between polls, with more
 * consumers than kept chains, and from positions on and off the chain. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/feed_chain.h"
#include "graph_testutil.h"

#define SCHEMA "node Person { name: String @key\n age: I32? }\n"

static const char ops[] = "query add($n: String) { insert Person { name: $n } }\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("feed");
	db = gt_init(dir, SCHEMA);
}

static void teardown(void)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

TestSuite(feed, .init = setup, .fini = teardown);

static int serial;

/* n commits on `branch`, each inserting one person. */
static void commits(const char *branch, int n)
{
	grove_mutate_options o = { .branch = branch };
	for (int i = 0; i < n; i++) {
		char params[64], *out = NULL;
		snprintf(params, sizeof params, "{\"n\":\"p%05d\"}", serial++);
		cr_assert_eq(grove_mutate_json(&out, db, &o, ops, "add", params), 0, "%s", grove_errmsg(db));
		grove_free(out);
	}
}

/* The commits of the branch's first-parent chain after its genesis,
 * oldest first, as ids joined by ',' (walked with commit show). */
static char *chain_ids(const char *branch)
{
	grove_commit c;
	size_t n = 0, len = 0;
	char (*ids)[GROVE_COMMIT_ID_BYTES] = malloc(4096 * sizeof *ids);
	cr_assert_eq(grove_branch_head(&c, db, branch), 0, "%s", grove_errmsg(db));
	while (c.parent[0]) {
		cr_assert_lt(n, 4096);
		memcpy(ids[n++], c.id, sizeof ids[0]);
		cr_assert_eq(grove_commit_show(&c, db, c.parent), 0, "%s", grove_errmsg(db));
	}
	char *s = calloc(1, n * GROVE_COMMIT_ID_BYTES + 1);
	while (n-- > 0)
		len += (size_t)sprintf(s + len, "%s%s", len ? "," : "", ids[n]);
	free(ids);
	return s;
}

/* A consumer of one branch's feed. */
struct consumer {
	const char *branch;
	char *position;
	char *got;
	size_t len;
	bool caught_up;
};

static void consumer_init(struct consumer *k, const char *branch)
{
	memset(k, 0, sizeof *k);
	k->branch = branch;
	k->position = strdup("beginning");
	k->got = calloc(1, 1 << 20);
}

/* One poll of at most max commits; returns its error. */
static int poll_once(struct consumer *k, uint32_t max)
{
	char *out = NULL;
	int err = grove_changes_poll_json(&out, db, k->branch, k->position, NULL, max);
	if (err < 0)
		return err;
	json_t *j = json_loads(out, 0, NULL), *b;
	grove_free(out);
	size_t i;
	json_array_foreach(json_object_get(j, "blocks"), i, b) {
		const char *id = json_string_value(json_object_get(json_object_get(b, "cause"),
								   "graph_commit_id"));
		k->len += (size_t)sprintf(k->got + k->len, "%s%s", k->len ? "," : "", id);
	}
	const char *cursor = json_string_value(json_object_get(j, "cursor"));
	cr_assert_not_null(cursor, "pages of one-change commits never end inside a block");
	free(k->position);
	k->position = strdup(cursor);
	k->caught_up = json_is_true(json_object_get(j, "caught_up"));
	json_decref(j);
	return 0;
}

/* Each consumer got exactly the branch's chain after its genesis; frees
 * the consumers. */
static void expect_chain(const char *branch, struct consumer *k, int n)
{
	char *want = chain_ids(branch);
	for (int i = 0; i < n; i++) {
		cr_assert_str_eq(k[i].got, want, "consumer %d", i);
		free(k[i].got);
		free(k[i].position);
	}
	free(want);
}

Test(feed, a_consumer_catching_up_gets_every_commit_once_in_order_while_the_head_moves)
{
	commits("main", 300);
	struct consumer k;
	consumer_init(&k, "main");
	for (int polls = 0; !k.caught_up; polls++) {
		cr_assert_lt(polls, 200);
		cr_assert_eq(poll_once(&k, 7), 0, "%s", grove_errmsg(db));
		if (polls % 5 == 4 && polls < 60)
			commits("main", 3);   /* the head moves between polls */
	}
	char *want = chain_ids("main");
	cr_assert_str_eq(k.got, want);
	/* Caught up: later commits come, and only they. */
	size_t before = k.len;
	commits("main", 2);
	cr_assert_eq(poll_once(&k, 7), 0);
	cr_assert_eq(strlen(k.got) - before, 2 * (GROVE_COMMIT_ID_BYTES - 1 + 1));
	free(want);
	free(k.got);
	free(k.position);
}

/* Six consumers of five branches (more than the handle keeps chains for),
 * polled in turn. */
Test(feed, more_consumers_than_kept_chains_each_get_their_branch)
{
	const char *branches[6] = { "main", "b1", "b2", "b3", "b4", "main" };
	commits("main", 40);
	for (int i = 1; i < 5; i++) {
		cr_assert_eq(grove_branch_create(db, branches[i], "main", NULL), 0);
		commits(branches[i], 30 + 10 * i);
	}
	commits("main", 20);
	struct consumer k[6];
	for (int i = 0; i < 6; i++)
		consumer_init(&k[i], branches[i]);
	for (bool more = true; more;) {
		more = false;
		for (int i = 0; i < 6; i++)
			if (!k[i].caught_up) {
				cr_assert_eq(poll_once(&k[i], 3 + (uint32_t)i), 0, "%s", grove_errmsg(db));
				more = true;
			}
	}
	for (int i = 0; i < 6; i++) {
		char *want = chain_ids(branches[i]);
		cr_assert_str_eq(k[i].got, want, "consumer %d of %s", i, branches[i]);
		free(want);
		free(k[i].got);
		free(k[i].position);
	}
}

/* Positions given as after:<commit> against a chain the handle keeps: a
 * commit of the chain resumes after it; one of another branch is refused
 * as a fresh walk refuses it. */
Test(feed, an_after_position_resumes_on_the_chain_and_is_refused_off_it)
{
	commits("main", 5);
	cr_assert_eq(grove_branch_create(db, "b", "main", NULL), 0);
	commits("b", 2);
	commits("main", 4);
	struct consumer k;
	consumer_init(&k, "main");
	while (!k.caught_up)
		cr_assert_eq(poll_once(&k, 3), 0, "%s", grove_errmsg(db));
	char *want = chain_ids("main");
	cr_assert_str_eq(k.got, want);
	grove_commit head_b;
	cr_assert_eq(grove_branch_head(&head_b, db, "b"), 0);
	struct consumer off;
	consumer_init(&off, "main");
	free(off.position);
	off.position = malloc(64);
	snprintf(off.position, 64, "after:%s", head_b.id);
	cr_assert_eq(poll_once(&off, 3), GROVE_ECURSOR);
	cr_assert(strstr(grove_errmsg(db), "is not on the first-parent chain of branch 'main'"), "%s",
		  grove_errmsg(db));
	/* After main's third commit: the rest of the chain. */
	struct consumer mid;
	consumer_init(&mid, "main");
	free(mid.position);
	mid.position = malloc(64);
	snprintf(mid.position, 64, "after:%.*s", GROVE_COMMIT_ID_BYTES - 1, want + 2 * GROVE_COMMIT_ID_BYTES);
	while (!mid.caught_up)
		cr_assert_eq(poll_once(&mid, 2), 0, "%s", grove_errmsg(db));
	cr_assert_str_eq(mid.got, want + 3 * GROVE_COMMIT_ID_BYTES);
	/* The chain kept now starts at that commit: one from the beginning
	 * still gets all. */
	struct consumer all;
	consumer_init(&all, "main");
	while (!all.caught_up)
		cr_assert_eq(poll_once(&all, 50), 0, "%s", grove_errmsg(db));
	cr_assert_str_eq(all.got, want);
	free(all.got);
	free(all.position);
	free(want);
	free(k.got);
	free(k.position);
	free(off.got);
	free(off.position);
	free(mid.got);
	free(mid.position);
}

/* A consumer tailing the head and one catching up on the same branch,
 * polled in turn: the pieces they leave are joined, and each gets its
 * commits once, in order. */
Test(feed, a_tailing_and_a_catching_up_consumer_of_one_branch_each_get_theirs)
{
	commits("main", 200);
	struct consumer k[2];   /* tailing, catching up */
	consumer_init(&k[0], "main");
	consumer_init(&k[1], "main");
	while (!k[0].caught_up)
		cr_assert_eq(poll_once(&k[0], 512), 0, "%s", grove_errmsg(db));
	for (int round = 0; round < 30 || !k[0].caught_up || !k[1].caught_up; round++) {
		cr_assert_lt(round, 200);
		if (round < 30)
			commits("main", 1);
		cr_assert_eq(poll_once(&k[0], 512), 0, "%s", grove_errmsg(db));
		cr_assert_eq(poll_once(&k[1], 9), 0, "%s", grove_errmsg(db));
	}
	expect_chain("main", k, 2);
}

/* With the kept pieces and the walks that are kept held to 40 links, a
 * walk longer than that is walked again by the next poll (its links
 * are not kept) and pieces lose their oldest links: the deliveries are
 * the same. */
Test(feed, pieces_and_walks_past_their_bound_change_no_delivery)
{
	size_t saved = feed_chain_max;
	feed_chain_max = 40;
	commits("main", 10);    /* a piece from the root, until it grows past 40 */
	struct consumer k[3];
	for (int i = 0; i < 3; i++)
		consumer_init(&k[i], "main");
	for (int round = 0; round < 60 || !k[0].caught_up || !k[1].caught_up; round++) {
		cr_assert_lt(round, 400);
		if (round % 3 == 0 && round < 60)
			commits("main", round == 30 ? 100 : 2);   /* one walk longer than 40 */
		cr_assert_eq(poll_once(&k[0], 5), 0, "%s", grove_errmsg(db));
		if (round % 2)
			cr_assert_eq(poll_once(&k[1], 17), 0, "%s", grove_errmsg(db));
	}
	/* The pieces kept now lost their oldest links: one from the beginning
	 * still gets all. */
	while (!k[2].caught_up)
		cr_assert_eq(poll_once(&k[2], 30), 0, "%s", grove_errmsg(db));
	feed_chain_max = saved;
	expect_chain("main", k, 3);
}

/* A piece kept from the genesis commit that grows past its bound loses
 * its oldest links, and with them the genesis commit: a consumer from the
 * beginning then walks down to it, and gets every commit. */
Test(feed, a_piece_that_lost_its_root_is_no_beginning)
{
	size_t saved = feed_chain_max;
	feed_chain_max = 40;
	commits("main", 10);
	struct consumer k[2];   /* tailing, then one from the beginning */
	consumer_init(&k[0], "main");
	cr_assert_eq(poll_once(&k[0], 512), 0, "%s", grove_errmsg(db));
	for (int i = 0; i < 20; i++) {   /* the piece grows by appends to 51: trimmed */
		commits("main", 2);
		cr_assert_eq(poll_once(&k[0], 512), 0, "%s", grove_errmsg(db));
	}
	consumer_init(&k[1], "main");
	cr_assert_eq(poll_once(&k[1], 512), 0, "%s", grove_errmsg(db));
	feed_chain_max = saved;
	expect_chain("main", k, 2);
}
