/* test_branch.c — branches, commits, time travel, export, reopen, rebuild. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph_testutil.h"

static const char base[] =
	"{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30,\"email\":null}}\n"
	"{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n"
	"{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"}\n";

static grove_db *db;
static char *dir;

static void setup(void)
{
	dir = gt_dir("branch");
	db = gt_init(dir, NULL);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_OVERWRITE, base, NULL), 0, "%s", grove_errmsg(db));
}

static void teardown(void)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}

TestSuite(branch, .init = setup, .fini = teardown);

Test(branch, a_new_branch_sees_its_source_and_writes_only_itself)
{
	cr_assert_eq(grove_branch_create(db, "feature", NULL, "me"), 0, "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, "feature", NULL, "node:Person"), 2);
	cr_assert_eq(gt_load(db, "feature", GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Eve\"}}", NULL), 0);
	cr_assert_eq(gt_count(db, "feature", NULL, "node:Person"), 3);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 2);
	cr_assert_eq(gt_load(db, "main", GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Mo\"}}", NULL), 0);
	cr_assert_eq(gt_count(db, "feature", NULL, "node:Person"), 3, "main's later write is not seen");
}

Test(branch, a_deleted_entity_on_a_branch_hides_the_parent_version)
{
	cr_assert_eq(grove_branch_create(db, "f", "main", NULL), 0);
	cr_assert_eq(gt_load(db, "f", GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}\n"
			     "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Alice\"}", NULL), 0,
		     "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, "f", NULL, "node:Person"), 1);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 2);
}

Test(branch, names_follow_the_rules)
{
	cr_assert_eq(grove_branch_create(db, "main", NULL, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "cannot create branch 'main'");
	cr_assert_eq(grove_branch_create(db, "", NULL, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "branch name cannot be empty");
	cr_assert_eq(grove_branch_create(db, "bad branch", NULL, NULL), GROVE_EINVAL);
	grove_error_info bad;
	grove_error_info_get(&bad, db);
	cr_assert_str_eq(bad.kind, "Storage", "engine §1.2 rule 6: Lance's InvalidRef");
	cr_assert_eq(grove_branch_create(db, "x.lock", NULL, NULL), GROVE_EINVAL);
	cr_assert_eq(grove_branch_create(db, "__schema_apply_lock__", NULL, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "branch_create does not allow internal system ref "
			 "'__schema_apply_lock__'");
	cr_assert_eq(grove_branch_create(db, "x", "/__schema_apply_lock__", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "branch_create_from does not allow internal system ref "
			 "'/__schema_apply_lock__'");
	cr_assert_eq(grove_branch_delete(db, "__schema_apply_lock__", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "branch_delete does not allow internal system ref "
			 "'__schema_apply_lock__'");
	char *mr = NULL;
	cr_assert_eq(grove_merge_json(&mr, db, "main", "/__schema_apply_lock__", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "branch_merge does not allow internal system refs "
			 "('main' -> '/__schema_apply_lock__')");
	cr_assert_eq(grove_branch_create(db, "a", NULL, NULL), 0);
	cr_assert_eq(grove_branch_create(db, "a", NULL, NULL), GROVE_ECONFLICT);
	cr_assert_str_eq(grove_errmsg(db), "branch 'a' already exists");
	cr_assert_eq(grove_branch_create(db, "a/b", NULL, NULL), GROVE_ECONFLICT);
	cr_assert(strstr(grove_errmsg(db), "may not be ancestors or descendants"));
	cr_assert_eq(grove_branch_create(db, "c", "nope", NULL), GROVE_ENOTFOUND);
	cr_assert_str_eq(grove_errmsg(db), "branch 'nope' not found");
	grove_error_info info;
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.kind, "BranchNotFound", "engine §1.3: a missing source");
	cr_assert_eq(grove_branch_delete(db, "nope", NULL), GROVE_ENOTFOUND);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.kind, "", "engine §1.5: deleting a missing branch is NotFound");
	uint64_t n;
	grove_target nope = { "nope", NULL };
	cr_assert_eq(grove_count(&n, db, &nope, "node:Person"), GROVE_ENOTFOUND);
	grove_error_info_get(&info, db);
	cr_assert_str_eq(info.kind, "BranchNotFound", "a read naming a missing branch");
	/* The source is opened before the namespace and syntax checks. */
	const char *names[] = { "a", "a/x", "bad branch" };
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(grove_branch_create(db, names[i], "ghost", NULL), GROVE_ENOTFOUND, "%s", names[i]);
		cr_assert_str_eq(grove_errmsg(db), "branch 'ghost' not found");
	}
	cr_assert_eq(grove_branch_create(db, "release/v1.2.3", NULL, NULL), 0);
}

/* Past ASCII, a name's characters are Unicode letters and digits, in
 * valid UTF-8 (its bytes go into every JSON answer that names it). */
Test(branch, names_beyond_ascii_are_letters_and_digits_in_valid_utf8)
{
	const char *ok[] = { "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "x\xd9\xa3", "na\xc3\xafve-1.2" };
	const char *bad[] = { "x\xff", "\xc3", "em\xe2\x80\x94" "dash", "\xf0\x9f\x99\x82",
			      "y\xe2\x80\x8b", "\xc0\xaf" "overlong" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_assert_eq(grove_branch_create(db, ok[i], NULL, NULL), 0, "%s: %s", ok[i], grove_errmsg(db));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(grove_branch_create(db, bad[i], NULL, NULL), GROVE_EINVAL, "bad name %zu", i);
		cr_assert(strstr(grove_errmsg(db), "invalid branch name"), "%s", grove_errmsg(db));
	}
}

/* Reads walk every layer a branch sits on, at most LAYER_CHAIN_MAX (main
 * is one): the branch past that is refused at create, not left unreadable. */
Test(branch, nesting_past_the_limit_is_refused_at_create)
{
	char name[16], from[16] = "main";
	for (int i = 1; i < 256; i++) {
		snprintf(name, sizeof name, "n%d", i);
		cr_assert_eq(grove_branch_create(db, name, from, NULL), 0, "%s: %s", name, grove_errmsg(db));
		snprintf(from, sizeof from, "%s", name);
	}
	cr_assert_eq(gt_count(db, "n255", NULL, "node:Person"), gt_count(db, "main", NULL, "node:Person"));
	cr_assert_eq(grove_branch_create(db, "n256", "n255", NULL), GROVE_ETOOBIG);
	cr_assert(strstr(grove_errmsg(db), "branches nest at most 256 deep"), "%s", grove_errmsg(db));
}

Test(branch, every_api_trims_branch_names)
{
	cr_assert_eq(grove_branch_create(db, " main ", NULL, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "cannot create branch 'main'");
	cr_assert_eq(grove_branch_create(db, " \t ", NULL, NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "branch name cannot be empty");
	cr_assert_eq(grove_branch_create(db, " padded ", " main", NULL), 0, "%s", grove_errmsg(db));
	char **names;
	size_t n;
	cr_assert_eq(grove_branch_list(&names, &n, db), 0);
	cr_assert_eq(n, 2);
	cr_assert(!strcmp(names[0], "padded") || !strcmp(names[1], "padded"));
	grove_free(names);
	cr_assert_eq(gt_load(db, " padded", GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Eve\"}}", NULL), 0,
		     "%s", grove_errmsg(db));
	cr_assert_eq(gt_count(db, "padded ", NULL, "node:Person"), 3);
	cr_assert_eq(gt_count(db, " main ", NULL, "node:Person"), 2);
	cr_assert_eq(grove_branch_delete(db, " main", NULL), GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "cannot delete branch 'main'");
	grove_target from = { " main ", NULL }, to = { "padded ", NULL };
	char *out = NULL;
	cr_assert_eq(grove_diff_json(&out, db, &from, &to, NULL), 0, "%s", grove_errmsg(db));
	cr_assert(strstr(out, "Eve"), "%s", out);
	grove_free(out);
	cr_assert_eq(grove_changes_poll_json(&out, db, " padded", "beginning", NULL, GROVE_FEED_COMMITS_DEFAULT), 0, "%s", grove_errmsg(db));
	grove_free(out);
	cr_assert_eq(grove_branch_delete(db, "padded\n", NULL), 0, "%s", grove_errmsg(db));
}

Test(branch, a_load_with_from_creates_only_a_missing_branch)
{
	grove_load_options o = { .mode = GROVE_LOAD_MERGE, .branch = "f", .from = "main" };
	grove_load_result r;
	const char *eve = "{\"type\":\"Person\",\"data\":{\"name\":\"Eve\"}}";
	cr_assert_eq(grove_load(&r, db, &o, eve, strlen(eve)), 0, "%s", grove_errmsg(db));
	cr_assert_eq(r.branch_created, 1);
	const char *mo = "{\"type\":\"Person\",\"data\":{\"name\":\"Mo\"}}";
	cr_assert_eq(grove_load(&r, db, &o, mo, strlen(mo)), 0, "%s", grove_errmsg(db));
	cr_assert_eq(r.branch_created, 0, "an existing branch is loaded into as it is");
	cr_assert_eq(gt_count(db, "f", NULL, "node:Person"), 4);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 2);
	o.branch = NULL; /* main with from main: it exists */
	cr_assert_eq(grove_load(&r, db, &o, mo, strlen(mo)), 0, "%s", grove_errmsg(db));
	cr_assert_eq(r.branch_created, 0);
	cr_assert_eq(gt_count(db, "main", NULL, "node:Person"), 3);
	o.branch = "g";
	o.from = "nope";
	cr_assert_eq(grove_load(&r, db, &o, mo, strlen(mo)), GROVE_ENOTFOUND);
	cr_assert_str_eq(grove_errmsg(db), "branch 'nope' not found");
}

Test(branch, a_branch_with_descendants_cannot_be_deleted)
{
	char **names;
	size_t n;
	cr_assert_eq(grove_branch_create(db, "feature", NULL, NULL), 0);
	cr_assert_eq(grove_branch_create(db, "experiment", "feature", NULL), 0);
	cr_assert_eq(grove_branch_delete(db, "feature", NULL), GROVE_ECONFLICT);
	cr_assert(strstr(grove_errmsg(db), "because descendant branch 'experiment' still depends on it"),
		  "%s", grove_errmsg(db));
	cr_assert_eq(grove_branch_delete(db, "experiment", NULL), 0);
	cr_assert_eq(grove_branch_delete(db, "feature", NULL), 0);
	cr_assert_eq(grove_branch_delete(db, "feature", NULL), GROVE_ENOTFOUND);
	cr_assert_eq(grove_branch_delete(db, "main", NULL), GROVE_EINVAL);
	cr_assert_eq(grove_branch_list(&names, &n, db), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(names[0], "main");
	grove_free(names);
}

Test(branch, a_commit_id_reads_the_graph_as_it_was)
{
	grove_commit head;
	cr_assert_eq(grove_branch_head(&head, db, "main"), 0);
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Zed\"}}", NULL), 0);
	cr_assert_eq(gt_count(db, NULL, head.id, "node:Person"), 2);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 3);
	grove_target t = { NULL, "01ARZ3NDEKTSV4RRFFQ69G5FAV" };
	uint64_t n;
	cr_assert_eq(grove_count(&n, db, &t, "node:Person"), GROVE_ENOTFOUND);
	cr_assert_str_eq(grove_errmsg(db), "commit '01ARZ3NDEKTSV4RRFFQ69G5FAV' not found");
}

/* Engine §1.5.9 and §4.1: a branch's own commits go with it, and a name
 * created again is a new branch that does not answer for the old one's. */
static void assert_commit_gone(const char *id)
{
	grove_target t = { NULL, id };
	grove_commit c;
	uint64_t n;
	char want[128];
	snprintf(want, sizeof want, "commit '%s' not found", id);
	cr_assert_eq(grove_count(&n, db, &t, "node:Person"), GROVE_ENOTFOUND);
	cr_assert_str_eq(grove_errmsg(db), want);
	cr_assert_eq(grove_commit_show(&c, db, id), GROVE_ENOTFOUND);
	cr_assert_str_eq(grove_errmsg(db), want);
}

Test(branch, commits_of_a_deleted_branch_go_with_it)
{
	grove_load_result r, main_r;
	cr_assert_eq(grove_branch_create(db, "tmp", NULL, NULL), 0);
	cr_assert_eq(gt_load(db, "tmp", GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"T\"}}", &r), 0);
	cr_assert_eq(gt_count(db, NULL, r.commit.id, "node:Person"), 3);
	cr_assert_eq(grove_branch_delete(db, "tmp", NULL), 0);
	assert_commit_gone(r.commit.id);
	/* The same name again: a new branch, and the old commits fail closed. */
	cr_assert_eq(grove_branch_create(db, "tmp", NULL, NULL), 0);
	grove_target t = { NULL, r.commit.id };
	uint64_t n;
	cr_assert_eq(grove_count(&n, db, &t, "node:Person"), GROVE_EINVAL);
	cr_assert(strstr(grove_errmsg(db), "has no persisted native-branch incarnation witness"), "%s",
		  grove_errmsg(db));
	/* Main's commits are untouched. */
	cr_assert_eq(gt_load(db, NULL, GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"M\"}}", &main_r), 0);
	cr_assert_eq(gt_count(db, NULL, main_r.commit.id, "node:Person"), 3);
}

static int append_text(void *arg, const char *buf, size_t len)
{
	FILE *f = arg;
	return fwrite(buf, 1, len, f) == len ? 0 : -1;
}

static char *export_types(const char *const *types, size_t n, int expect)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	int err = grove_export_types(db, NULL, types, n, append_text, f);
	fclose(f);
	cr_assert_eq(err, expect, "%s", grove_errmsg(db));
	return text;
}

Test(branch, export_writes_only_the_types_named)
{
	const char *people[] = { "Person" }, *knows[] = { "Knows" }, *both[] = { "Person", "Knows" };
	char *all = gt_export(db, "main", NULL), *p = export_types(people, 1, 0);
	char *k = export_types(knows, 1, 0), *pk = export_types(both, 2, 0);
	cr_assert_str_eq(p, "{\"type\":\"Person\",\"data\":{\"id\":\"Alice\",\"name\":\"Alice\",\"age\":30,\"email\":null}}\n"
	                    "{\"type\":\"Person\",\"data\":{\"id\":\"Bob\",\"name\":\"Bob\",\"age\":25,\"email\":null}}\n");
	cr_assert(!strncmp(k, "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\"", 38), "%s", k);
	cr_assert_null(strstr(k, "\"type\""), "%s", k);
	cr_assert_str_eq(pk, all, "both types in the table order, as the whole export");
	const char *lower[] = { "knows" };   /* edge names are found without regard to case */
	char *kl = export_types(lower, 1, 0);
	cr_assert_str_eq(kl, k);
	free(kl);
	free(all);
	free(p);
	free(k);
	free(pk);
	const char *nope[] = { "Person", "Nope" };
	char *none = export_types(nope, 2, GROVE_EINVAL);
	cr_assert_str_eq(grove_errmsg(db), "unknown export type 'Nope'");
	cr_assert_str_eq(none, "", "nothing is written before the refusal");
	free(none);
}

Test(branch, export_round_trips_through_a_fresh_graph)
{
	char *before = gt_export(db, "main", NULL);
	char *dir2 = gt_dir("export");
	grove_db *db2 = gt_init(dir2, NULL);
	cr_assert_eq(gt_load(db2, NULL, GROVE_LOAD_OVERWRITE, before, NULL), 0, "%s",
		     grove_errmsg(db2));
	char *after = gt_export(db2, "main", NULL);
	cr_assert_str_eq(before, after);
	cr_assert(strstr(before, "{\"edge\":\"Knows\",\"from\":\"Alice\",\"to\":\"Bob\""), "%s", before);
	free(before);
	free(after);
	grove_close(db2);
	gt_rmtree(dir2);
	free(dir2);
}

Test(branch, everything_survives_reopen_rebuild_and_verify)
{
	uint64_t effects = 0;
	cr_assert_eq(grove_branch_create(db, "f", NULL, NULL), 0);
	cr_assert_eq(gt_load(db, "f", GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"F\"}}", NULL), 0);
	char *before = gt_export(db, "f", NULL);
	grove_close(db);
	cr_assert_eq(grove_rebuild(dir, &effects), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(effects, 4, "3 + 1 effects were logged");
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(grove_open(&db, dir, NULL), 0);
	char *after = gt_export(db, "f", NULL);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
}

Test(branch, init_refuses_a_directory_that_holds_a_graph)
{
	grove_db *other;
	cr_assert_eq(grove_init(&other, dir, "node X { k: String @key }", NULL), GROVE_EEXISTS);
	cr_assert(strstr(grove_errmsg(NULL), "already holds a graph"));
	cr_assert(strstr(grove_errmsg(NULL), "graph already initialized"));
	cr_assert_str_eq(grove_error_kind(GROVE_EEXISTS), "AlreadyInitialized");
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 2);
}

/* An init refused for its options leaves nothing behind: the same
 * directory can be initialized right after with good ones. */
Test(branch, a_refused_init_leaves_the_directory_free_for_another)
{
	char *d = gt_dir("badinit");
	grove_db *g = NULL;
	grove_options bad_version = GROVE_OPTIONS_INIT, bad_backend = GROVE_OPTIONS_INIT,
		      tiny = GROVE_OPTIONS_INIT;
	bad_version.version = GROVE_OPTIONS_VERSION + 1;
	bad_backend.log_backend = 7;
	tiny.log_max_record_bytes = 10;   /* the genesis record cannot fit */
	cr_assert_eq(grove_init(&g, d, gt_schema, &bad_version), GROVE_EINVAL);
	cr_assert_neq(grove_init(&g, d, gt_schema, &bad_backend), 0);
	cr_assert_neq(grove_init(&g, d, gt_schema, &tiny), 0);
	cr_assert_null(g);
	cr_assert_eq(grove_init(&g, d, gt_schema, NULL), 0, "%s", grove_errmsg(NULL));
	grove_close(g);
	gt_rmtree(d);
	free(d);
}

Test(branch, init_reports_a_bad_schema_with_its_position)
{
	char *d = gt_dir("badschema");
	grove_db *other;
	cr_assert_eq(grove_init(&other, d, "node X {\n  k: Strin @key\n}\n", NULL), GROVE_EPARSE);
	cr_assert(strstr(grove_errmsg(NULL), "2:"), "%s", grove_errmsg(NULL));
	gt_rmtree(d);
	free(d);
}

Test(branch, views_left_open_by_an_earlier_boot_are_rebuilt_from_the_log)
{
	char path[1024];
	struct stat before, after;
	char *export_before = gt_export(db, "main", NULL);
	grove_close(db);
	/* What an OS crash leaves: the views marked open by another boot. */
	snprintf(path, sizeof path, "%s/views/SESSION", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "00000000-0000-0000-0000-000000000000 open\n");
	fclose(f);
	/* ...and views damaged by it: garbage where LMDB's pages were. */
	snprintf(path, sizeof path, "%s/views/data.mdb", dir);
	cr_assert_eq(stat(path, &before), 0);
	f = fopen(path, "r+");
	cr_assert(f);
	for (int i = 0; i < 16384; i++)
		fputc(0xA5, f);
	fclose(f);
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(stat(path, &after), 0);
	char *export_after = gt_export(db, "main", NULL);
	cr_assert_str_eq(export_before, export_after);
	free(export_before);
	free(export_after);
}

/* Garbage where LMDB's first pages were (what a torn write of an OS crash
 * can leave). */
static void scribble_views(const char *graph)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/views/data.mdb", graph);
	FILE *f = fopen(path, "r+");
	cr_assert(f);
	for (int i = 0; i < 16384; i++)
		fputc(0xA5, f);
	fclose(f);
}

/* Open again and check the graph exports as `before` did (frees it). */
static void reopened_as(char *before)
{
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	char *after = gt_export(db, "main", NULL);
	cr_assert_str_eq(before, after);
	free(before);
	free(after);
}

/* SESSION is written before the views' first write: views without one were
 * left by an open or a rebuild that died before it, and may be torn. */
Test(branch, views_without_a_session_record_are_rebuilt_from_the_log)
{
	char path[1024];
	char *export_before = gt_export(db, "main", NULL);
	grove_close(db);
	snprintf(path, sizeof path, "%s/views/SESSION", dir);
	cr_assert_eq(unlink(path), 0);
	scribble_views(dir);
	reopened_as(export_before);
	cr_assert_eq(access(path, F_OK), 0, "open wrote a new SESSION");
}

/* A close whose sync of the views failed marks them "unsynced": the
 * kernel may have dropped the pages it could not write, so even this boot
 * rebuilds them (here: this boot's id, and the views scribbled over). */
Test(branch, views_whose_sync_failed_at_close_are_rebuilt_even_in_the_same_boot)
{
	char path[1024], boot[64], state[16];
	unsigned long long acked;
	char *export_before = gt_export(db, "main", NULL);
	grove_close(db);
	snprintf(path, sizeof path, "%s/views/SESSION", dir);
	FILE *f = fopen(path, "r");
	cr_assert(f);
	cr_assert_eq(fscanf(f, "%63s %15s %llu", boot, state, &acked), 3);
	cr_assert_str_eq(state, "closed");
	fclose(f);
	f = fopen(path, "w");
	cr_assert(f);
	fprintf(f, "%s unsynced %llu\n", boot, acked);
	fclose(f);
	scribble_views(dir);
	reopened_as(export_before);
}

/* Views LMDB cannot open, though marked closed cleanly: open refuses them,
 * and grove rebuild replaces them without opening them. */
Test(branch, rebuild_replaces_views_that_lmdb_cannot_open)
{
	char *export_before = gt_export(db, "main", NULL);
	grove_close(db);
	db = NULL;
	scribble_views(dir);
	cr_assert_neq(grove_open(&db, dir, NULL), 0, "damaged views, marked closed, are refused");
	uint64_t effects = 0;
	cr_assert_eq(grove_rebuild(dir, &effects), 0, "%s", grove_errmsg(NULL));
	cr_assert_gt(effects, 0);
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	char *export_after = gt_export(db, "main", NULL);
	cr_assert_str_eq(export_before, export_after);
	free(export_before);
	free(export_after);
	cr_assert_eq(grove_verify(dir), 0, "%s", grove_errmsg(NULL));
}

Test(branch, a_second_open_in_the_same_process_shares_the_graph)
{
	grove_db *other;
	cr_assert_eq(grove_open(&other, dir, NULL), 0, "%s", grove_errmsg(NULL));
	cr_assert_eq(gt_load(other, NULL, GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Via\"}}", NULL), 0);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 3, "seen at once by the first handle");
	grove_close(other);
	cr_assert_eq(gt_count(db, NULL, NULL, "node:Person"), 3, "the first handle still works");
}

/* Opens and closes of one graph racing in two threads: an open never
 * finds the graph's lock held by a close of this same process (it used to
 * refuse with GROVE_ELOCKED, "open in another process"). */
static void *open_close_loop(void *arg)
{
	const char *d = arg;
	for (int i = 0; i < 40; i++) {
		grove_db *g;
		int err = grove_open(&g, d, NULL);
		if (err)
			return (void *)(intptr_t)err;
		grove_close(g);
	}
	return NULL;
}

Test(branch, opens_and_closes_racing_in_one_process_never_see_a_lock)
{
	grove_close(db);
	db = NULL;
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, open_close_loop, dir);
	for (int i = 0; i < 2; i++) {
		void *r;
		pthread_join(t[i], &r);
		cr_assert_null(r, "thread %d: open failed with %d", i, (int)(intptr_t)r);
	}
	grove_options bad = GROVE_OPTIONS_INIT;
	bad.version = 9;
	cr_assert_eq(grove_open(&db, dir, NULL), 0, "%s", grove_errmsg(NULL));
	grove_db *second = NULL;
	cr_assert_eq(grove_open(&second, dir, &bad), GROVE_EINVAL, "a second handle checks its options too");
}

/* A thread remembers its last branch read (engine/commit.c): two graphs
 * with the same history have the same LMDB transaction ids, and a graph
 * closed and opened again starts over, so the memory must tell handles
 * and branches apart. */
static uint64_t people(grove_db *g, const char *branch)
{
	return gt_count(g, branch, NULL, "node:Person");
}

Test(branch, repeated_reads_of_twin_graphs_and_branches_stay_apart)
{
	char *d2 = gt_dir("twin");
	/* Person is a different type id here than in the suite's graph. */
	grove_db *g2 = gt_init(d2, "node Pet { name: String @key }\n"
				   "node Person { name: String @key\n age: I32? }\n");
	cr_assert_eq(gt_load(g2, NULL, GROVE_LOAD_OVERWRITE,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Solo\",\"age\":1}}\n", NULL), 0);
	uint64_t mine = people(db, "main");
	cr_assert_neq(mine, 1);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(people(db, "main"), mine);
		cr_assert_eq(people(g2, "main"), 1);
	}
	cr_assert_eq(grove_branch_create(g2, "x", NULL, NULL), 0);
	cr_assert_eq(gt_load(g2, "x", GROVE_LOAD_APPEND,
			     "{\"type\":\"Person\",\"data\":{\"name\":\"Duo\",\"age\":2}}\n", NULL), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(people(g2, "x"), 2);
		cr_assert_eq(people(g2, "main"), 1);
	}
	grove_close(g2);
	cr_assert_eq(grove_open(&g2, d2, NULL), 0);
	cr_assert_eq(people(g2, "main"), 1);
	cr_assert_eq(grove_branch_delete(g2, "x", NULL), 0);
	cr_assert_eq(grove_branch_create(g2, "x", NULL, NULL), 0);
	cr_assert_eq(people(g2, "x"), 1, "a re-created branch starts from main again");
	grove_close(g2);
	gt_rmtree(d2);
	free(d2);
}

static void expect_create_conflict(const char *name, const char *other)
{
	char want[300];
	cr_assert_eq(grove_branch_create(db, name, NULL, NULL), GROVE_ECONFLICT, "%s", name);
	snprintf(want, sizeof want, "cannot create branch '%s' while live branch '%s' shares its physical "
		 "Lance path", name, other);
	cr_assert(strstr(grove_errmsg(db), want), "%s: %s", name, grove_errmsg(db));
}

/* Names are paths: a branch may not be created under or over a live one
 * (engine §1.2).  The one named is the first in name order: the shortest
 * ancestor, else the first descendant. */
Test(branch, a_path_conflict_names_the_first_relative_in_name_order)
{
	cr_assert_eq(grove_branch_create(db, "team", NULL, NULL), 0);
	cr_assert_eq(grove_branch_create(db, "team-x", NULL, NULL), 0, "not a path relative");
	cr_assert_eq(grove_branch_create(db, "tea", NULL, NULL), 0, "nor is a prefix: %s", grove_errmsg(db));
	expect_create_conflict("team/a", "team");
	expect_create_conflict("team/a/b", "team");
	cr_assert_eq(grove_branch_create(db, "ops/db/primary", NULL, NULL), 0, "%s", grove_errmsg(db));
	cr_assert_eq(grove_branch_create(db, "ops/dbx", NULL, NULL), 0, "%s", grove_errmsg(db));
	expect_create_conflict("ops", "ops/db/primary");
	expect_create_conflict("ops/db", "ops/db/primary");
	expect_create_conflict("ops/db/primary/x", "ops/db/primary");
	cr_assert_eq(grove_branch_create(db, "q/b", NULL, NULL), 0);
	cr_assert_eq(grove_branch_create(db, "q/a", NULL, NULL), 0);
	expect_create_conflict("q", "q/a");
	cr_assert_eq(grove_branch_create(db, "main/x", NULL, NULL), 0, "main is no path parent: %s",
		     grove_errmsg(db));
}

/* A branch whose reads pass through another's layer, at any depth, keeps
 * that one from being deleted; the one named is the first in name order. */
Test(branch, every_descendant_at_any_depth_keeps_its_ancestors)
{
	cr_assert_eq(grove_branch_create(db, "f1", NULL, NULL), 0);
	cr_assert_eq(grove_branch_create(db, "h", NULL, NULL), 0);
	cr_assert_eq(grove_branch_create(db, "f2", "f1", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "g", "f1", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "f3", "f2", NULL), 0);
	cr_assert_eq(grove_branch_create(db, "a0", "f3", NULL), 0);
	const char *refused[][2] = { { "f1", "a0" }, { "f2", "a0" }, { "f3", "a0" } };
	for (int i = 0; i < 3; i++) {
		char want[200];
		cr_assert_eq(grove_branch_delete(db, refused[i][0], NULL), GROVE_ECONFLICT, "%s", refused[i][0]);
		snprintf(want, sizeof want, "cannot delete branch '%s' because descendant branch '%s' still "
			 "depends on it", refused[i][0], refused[i][1]);
		cr_assert(strstr(grove_errmsg(db), want), "%s", grove_errmsg(db));
	}
	cr_assert_eq(grove_branch_delete(db, "h", NULL), 0, "a sibling made later depends on nothing");
	cr_assert_eq(grove_branch_delete(db, "a0", NULL), 0);
	cr_assert_eq(grove_branch_delete(db, "f1", NULL), GROVE_ECONFLICT);
	cr_assert(strstr(grove_errmsg(db), "descendant branch 'f2'"), "%s", grove_errmsg(db));
	cr_assert_eq(grove_branch_delete(db, "f3", NULL), 0);
	cr_assert_eq(grove_branch_delete(db, "f2", NULL), 0);
	cr_assert_eq(grove_branch_delete(db, "f1", NULL), GROVE_ECONFLICT);
	cr_assert(strstr(grove_errmsg(db), "descendant branch 'g'"), "%s", grove_errmsg(db));
	cr_assert_eq(grove_branch_delete(db, "g", NULL), 0);
	cr_assert_eq(grove_branch_delete(db, "f1", NULL), 0);
}
