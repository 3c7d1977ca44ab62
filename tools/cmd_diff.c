/*
 * grove diff DIR --from (BRANCH|COMMIT) --to (BRANCH|COMMIT)
 *            [--kind K]... [--type T]... [--op O]... [--json]
 * grove commit changes DIR ID [--kind K]... [--type T]... [--op O]...
 *            [--page-size N] [--page-token T] [--json]
 * grove changes poll DIR [--branch B] [--from POSITION] [--kind K]...
 *            [--type T]... [--op O]... [--max-commits N] [--page-size N] [--json]
 * grove changes baseline DIR [--branch B] [--kind K]... [--type T]...
 *            [--op O]... --out PATH [--json]
 *
 * A target is a branch name if such a branch exists, else a commit id.
 * Text output: one line per change ("insert node:Person Eve", edges with
 * "(src -> dst)"), then the counts; --json prints the API's JSON.  Text
 * output of commit changes follows every page; --json prints one page.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

#define FILTER_ITEMS_MAX 64

struct filter {
	json_t *kinds, *types, *ops;
};

/* Is v one of the words (case aside)?  Else say so: a usage error. */
static bool one_of(const char *opt, const char *v, const char *const *words)
{
	for (const char *const *w = words; *w; w++)
		if (!strcasecmp(v, *w))
			return true;
	fprintf(stderr, "grove: %s takes %s, not '%s'\n", opt,
		words[2] ? "insert, update or delete" : "node or edge", v);
	return false;
}

/* Add a --kind/--type/--op value: 1, 0 (not a filter option), or -1 (a
 * usage error: too many, or a kind or op that does not exist). */
static int filter_add(struct filter *f, const char *opt, const char *v)
{
	static const char *const kinds[] = { "node", "edge", NULL };
	static const char *const ops[] = { "insert", "update", "delete", NULL };
	json_t **a = !strcmp(opt, "--kind") ? &f->kinds : !strcmp(opt, "--type") ? &f->types
		   : !strcmp(opt, "--op") ? &f->ops : NULL;
	if (!a)
		return 0;
	if ((a == &f->kinds && !one_of(opt, v, kinds)) || (a == &f->ops && !one_of(opt, v, ops)))
		return -1;
	if (!*a)
		*a = json_array();
	if (json_array_size(*a) >= FILTER_ITEMS_MAX)
		return -1;
	json_array_append_new(*a, json_string(v));
	return 1;
}

/* Forget a filter not turned into text (a usage error). */
static void filter_drop(struct filter *f)
{
	json_decref(f->kinds);
	json_decref(f->types);
	json_decref(f->ops);
	memset(f, 0, sizeof *f);
}

/* A count option's value: decimal digits, 1..max; else say so and -1
 * (a usage error). */
static int parse_count(const char *opt, const char *v, unsigned *out, unsigned max)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (!*v || *v == '-' || *end || errno || n == 0 || n > max) {
		fprintf(stderr, "grove: %s takes a count from 1 to %u, not '%s'\n", opt, max, v);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* The filter as JSON text (malloc'd), or NULL for none. */
static char *filter_json(struct filter *f)
{
	json_t *o = json_object();
	if (f->kinds)
		json_object_set_new(o, "kinds", f->kinds);
	if (f->types)
		json_object_set_new(o, "type_names", f->types);
	if (f->ops)
		json_object_set_new(o, "ops", f->ops);
	char *s = json_object_size(o) ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static void target_of(grove_target *t, grove_db *db, const char *name)
{
	grove_commit c;
	t->branch = NULL;
	t->commit = NULL;
	if (grove_branch_head(&c, db, name) == 0)
		t->branch = name;
	else
		t->commit = name;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void print_diff_text(const char *text)
{
	json_t *r = json_loads(text, 0, NULL), *c, *st = json_object_get(r, "stats");
	size_t i;
	json_array_foreach(json_object_get(r, "changes"), i, c) {
		const json_t *e = json_object_get(c, "endpoints");
		printf("%s %s %s", str(c, "op"), str(c, "type_key"), str(c, "id"));
		if (json_is_object(e))
			printf(" (%s -> %s)", str(e, "src"), str(e, "dst"));
		printf("\n");
	}
	printf("inserts=%lld updates=%lld deletes=%lld\n",
	       (long long)json_integer_value(json_object_get(st, "inserts")),
	       (long long)json_integer_value(json_object_get(st, "updates")),
	       (long long)json_integer_value(json_object_get(st, "deletes")));
	json_decref(r);
}

static int diff_usage(void)
{
	fprintf(stderr, "usage: grove diff DIR --from (BRANCH|COMMIT) --to (BRANCH|COMMIT) "
			"[--kind node|edge] [--type T] [--op insert|update|delete] [--json]\n");
	return GROVE_EXIT_USAGE;
}

int cmd_diff(int argc, char **argv)
{
	struct filter f = { 0 };
	const char *from = NULL, *to = NULL;
	int json = 0, err, rc = GROVE_EXIT_OK;
	grove_db *db;

	if (argc < 2 || argv[1][0] == '-')
		return diff_usage();
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int k = v ? filter_add(&f, a, v) : 0;
		if (k < 0) return filter_drop(&f), diff_usage();
		else if (k) i++;
		else if (!strcmp(a, "--from") && v) from = v, i++;
		else if (!strcmp(a, "--to") && v) to = v, i++;
		else if (!strcmp(a, "--json")) json = 1;
		else return filter_drop(&f), diff_usage();
	}
	char *filter = filter_json(&f);
	if (!from || !to) {
		free(filter);
		return diff_usage();
	}
	if ((err = grove_open(&db, argv[1], NULL)) < 0) {
		free(filter);
		return cmd_fail(NULL, "open", err);
	}
	grove_target a, b;
	char *out;
	target_of(&a, db, from);
	target_of(&b, db, to);
	if ((err = grove_diff_json(&out, db, &a, &b, filter)) < 0) {
		rc = cmd_fail(db, "diff", err);
	} else {
		json ? (void)printf("%s\n", out) : print_diff_text(out);
		grove_free(out);
	}
	grove_close(db);
	free(filter);
	return rc;
}

/* ---- grove commit changes ----------------------------------------------- */

/* One page as text; returns its next_page_token (a copy) or NULL. */
static char *print_page_text(const char *text, int first)
{
	json_t *r = json_loads(text, 0, NULL), *c, *cause = json_object_get(r, "cause");
	size_t i;
	if (first) {
		printf("commit %s parent %s", str(cause, "graph_commit_id"),
		       str(cause, "parent_commit_id"));
		if (json_is_string(json_object_get(cause, "authored_branch")))
			printf(" branch %s", str(cause, "authored_branch"));
		if (json_is_string(json_object_get(cause, "actor_id")))
			printf(" actor %s", str(cause, "actor_id"));
		printf("\n");
	}
	json_array_foreach(json_object_get(r, "changes"), i, c) {
		const json_t *img = json_object_get(c, json_object_get(c, "after") ? "after" : "before");
		const json_t *e = json_object_get(img, "endpoints");
		printf("%s %s:%s %s", str(c, "op"), str(c, "kind"),
		       str(json_object_get(c, "type"), "name"), str(c, "id"));
		if (json_is_object(e))
			printf(" (%s -> %s)", str(e, "from"), str(e, "to"));
		printf("\n");
	}
	const char *next = json_string_value(json_object_get(r, "next_page_token"));
	char *copy = next ? strdup(next) : NULL;
	json_decref(r);
	return copy;
}

static int changes_usage(void)
{
	fprintf(stderr, "usage: grove commit changes DIR ID [--kind K] [--type T] [--op O] "
			"[--page-size N] [--page-token T] [--json]\n");
	return GROVE_EXIT_USAGE;
}

static int changes_pages(grove_db *db, const char *id, const char *filter, const char *token,
			 unsigned size, int json)
{
	char *next = token ? strdup(token) : NULL, *out;
	int err = 0, first = 1;
	do {
		err = grove_commit_changes_json(&out, db, id, filter, next, size);
		free(next);
		next = NULL;
		if (err < 0)
			return cmd_fail(db, "commit changes", err);
		if (json)
			printf("%s\n", out);
		else
			next = print_page_text(out, first);
		first = 0;
		grove_free(out);
		/* Output nobody reads (a closed pipe): stop paging; main says so. */
		if (next && (fflush(stdout) != 0 || ferror(stdout))) {
			free(next);
			next = NULL;
		}
	} while (next);
	return GROVE_EXIT_OK;
}

int cmd_commit_changes(int argc, char **argv)
{
	struct filter f = { 0 };
	const char *id = NULL, *token = NULL;
	unsigned size = GROVE_CHANGES_PAGE_DEFAULT;
	bool size_given = false;
	int json = 0, err, rc;
	grove_db *db;

	/* argv: commit changes DIR ID ... */
	if (argc < 4 || argv[2][0] == '-')
		return changes_usage();
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int k = v ? filter_add(&f, a, v) : 0;
		if (k < 0) return filter_drop(&f), changes_usage();
		else if (k) i++;
		else if ((!strcmp(a, "--page-size") || !strcmp(a, "--limit")) && v) {
			if (parse_count(a, v, &size, GROVE_CHANGES_PAGE_MAX) < 0)
				return filter_drop(&f), changes_usage();
			size_given = true;
			i++;
		}
		else if (!strcmp(a, "--page-token") && v) token = v, i++;
		else if (!strcmp(a, "--json")) json = 1;
		else if (a[0] != '-' && !id) id = a;
		else return filter_drop(&f), changes_usage();
	}
	char *filter = filter_json(&f);
	if (!id) {
		free(filter);
		return changes_usage();
	}
	/* Text follows every page: unless asked otherwise, in the largest
	 * pages (each page reads the commit's changes again). */
	if (!json && !size_given)
		size = GROVE_CHANGES_PAGE_MAX;
	if ((err = grove_open(&db, argv[2], NULL)) < 0) {
		free(filter);
		return cmd_fail(NULL, "open", err);
	}
	rc = changes_pages(db, id, filter, token, size, json);
	grove_close(db);
	free(filter);
	return rc;
}

/* ---- grove changes poll -------------------------------------------------- */

static int poll_usage(void)
{
	fprintf(stderr, "usage: grove changes poll DIR [--branch B] [--from now|beginning|after:ID|CURSOR|TOKEN] "
			"[--kind K] [--type T] [--op O] [--max-commits N] [--page-size N] [--json]\n");
	return GROVE_EXIT_USAGE;
}

/* A poll's page as text: each block's changes, then where to go on. */
static void print_poll_text(const char *text)
{
	json_t *r = json_loads(text, 0, NULL), *b;
	size_t i;
	json_array_foreach(json_object_get(r, "blocks"), i, b) {
		char *one = json_dumps(b, JSON_COMPACT);
		free(print_page_text(one, 1));
		free(one);
	}
	if (json_is_string(json_object_get(r, "next_page_token")))
		printf("next_page_token %s\n", str(r, "next_page_token"));
	else
		printf("cursor %s caught_up %s\n", str(r, "cursor"),
		       json_is_true(json_object_get(r, "caught_up")) ? "true" : "false");
	json_decref(r);
}

static int cmd_poll(int argc, char **argv)
{
	struct filter f = { 0 };
	const char *branch = NULL, *from = NULL;
	unsigned max_commits = GROVE_FEED_COMMITS_DEFAULT, size = GROVE_CHANGES_PAGE_DEFAULT;
	int json = 0, err;
	grove_db *db;

	/* argv: changes poll DIR ... */
	if (argc < 3 || strcmp(argv[1], "poll") || argv[2][0] == '-')
		return poll_usage();
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int k = v ? filter_add(&f, a, v) : 0;
		if (k < 0) return filter_drop(&f), poll_usage();
		else if (k) i++;
		else if (!strcmp(a, "--branch") && v) branch = v, i++;
		/* --start and --cursor: OmniGraph's names for a position */
		else if ((!strcmp(a, "--from") || !strcmp(a, "--start") || !strcmp(a, "--cursor")) && v)
			from = v, i++;
		else if ((!strcmp(a, "--max-commits") || !strcmp(a, "--page-size") ||
			  !strcmp(a, "--limit")) && v) {
			bool commits = !strcmp(a, "--max-commits");
			if (parse_count(a, v, commits ? &max_commits : &size,
					commits ? GROVE_FEED_COMMITS_MAX : GROVE_CHANGES_PAGE_MAX) < 0)
				return filter_drop(&f), poll_usage();
			i++;
		}
		else if (!strcmp(a, "--json")) json = 1;
		else return filter_drop(&f), poll_usage();
	}
	char *filter = filter_json(&f), *out = NULL;
	if ((err = grove_open(&db, argv[2], NULL)) < 0) {
		free(filter);
		return cmd_fail(NULL, "open", err);
	}
	err = grove_changes_poll_page_json(&out, db, branch, from, filter, max_commits, size,
					   GROVE_CHANGES_PAGE_BYTES);
	free(filter);
	if (err < 0) {
		int rc = cmd_fail(db, "changes poll", err);
		grove_close(db);
		return rc;
	}
	if (json)
		printf("%s\n", out);
	else
		print_poll_text(out);
	grove_free(out);
	grove_close(db);
	return GROVE_EXIT_OK;
}

/* ---- grove changes baseline ---------------------------------------------- */

static int baseline_usage(void)
{
	fprintf(stderr, "usage: grove changes baseline DIR [--branch B] [--kind K] [--type T] [--op O] "
			"--out PATH [--json]\n");
	return GROVE_EXIT_USAGE;
}

static int write_file(void *arg, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

/* The directory `path` is in (malloc'd). */
static char *dir_of(const char *path)
{
	char *copy = strdup(path), *d = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	return d;
}

/* Sync directory `dir` (a rename into it is durable after this). */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	return rc;
}

/* Capture the baseline into a fresh file beside `out`, then make it durable
 * and rename it over `out`: a failed capture leaves `out` as it was, and
 * the cursor is printed only for a snapshot that is on disk.  *record: the
 * engine's terminal record. */
static int capture(char **record, grove_db *db, const char *branch, const char *filter,
		   const char *out)
{
	char *dir = dir_of(out), *tmp = malloc(strlen(out) + 16);
	int fd = -1, err = -ENOMEM;
	FILE *f = NULL;
	if (!dir || !tmp)
		goto done;
	sprintf(tmp, "%s.tmp-XXXXXX", out);
	mode_t mask = umask(0);
	umask(mask);
	/* mkstemp makes 0600: the snapshot gets a new file's usual mode. */
	if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0666 & ~mask) != 0 || !(f = fdopen(fd, "w"))) {
		err = -errno;
		fprintf(stderr, "grove: changes baseline: cannot create %s: %s\n", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto done;
	}
	if ((err = grove_changes_baseline(record, db, branch, filter, write_file, f)) < 0) {
		fclose(f);
		unlink(tmp);
		cmd_fail(db, "changes baseline", err);
		goto done;
	}
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;   /* always closed */
	if (bad || rename(tmp, out) != 0) {
		err = -errno;
		fprintf(stderr, "grove: changes baseline: cannot write %s: %s\n", out, strerror(errno));
		unlink(tmp);
	} else if (sync_dir(dir) != 0) {
		/* In place, but its rename may not survive a crash: no cursor. */
		err = -errno;
		fprintf(stderr, "grove: changes baseline: %s is written, but its directory could not "
			"be synced (%s): no cursor is printed\n", out, strerror(errno));
	}
	if (err < 0) {
		grove_free(*record);
		*record = NULL;
	}
done:
	free(dir);
	free(tmp);
	return err;
}

static void print_baseline(const char *record, const char *out, int json)
{
	json_t *r = json_loads(record, 0, NULL), *b = json_object_get(r, "baseline");
	if (json) {
		char *s = json_dumps(b, JSON_COMPACT);
		printf("%s\n", s ? s : "null");
		free(s);
	} else {
		printf("snapshot: %s\nsnapshot_commit_id: %s\nresume_cursor: %s\n", out,
		       str(b, "snapshot_commit_id"), str(b, "resume_cursor"));
	}
	json_decref(r);
}

static int cmd_baseline(int argc, char **argv)
{
	struct filter f = { 0 };
	const char *branch = NULL, *out = NULL;
	int json = 0, err, lock = -1;
	grove_db *db;

	/* argv: changes baseline DIR ... */
	if (argc < 3 || argv[2][0] == '-')
		return baseline_usage();
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int k = v ? filter_add(&f, a, v) : 0;
		if (k < 0) return filter_drop(&f), baseline_usage();
		else if (k) i++;
		else if (!strcmp(a, "--branch") && v) branch = v, i++;
		else if (!strcmp(a, "--out") && v) out = v, i++;
		else if (!strcmp(a, "--json")) json = 1;
		else return filter_drop(&f), baseline_usage();
	}
	if (!out || !*out)
		return filter_drop(&f), baseline_usage();
	char *filter = filter_json(&f), *record = NULL, *lock_path = malloc(strlen(out) + 6);
	/* Captures of the same --out take turns (a stable "<out>.lock"), so
	 * none prints a cursor beside another's snapshot. */
	if (lock_path) {
		sprintf(lock_path, "%s.lock", out);
		lock = open(lock_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	}
	if (lock < 0 || flock(lock, LOCK_EX) != 0) {
		fprintf(stderr, "grove: changes baseline: cannot lock %s: %s\n",
			lock_path ? lock_path : out, strerror(errno));
		err = -errno;
	} else if ((err = grove_open(&db, argv[2], NULL)) < 0) {
		cmd_fail(NULL, "open", err);
	} else {
		err = capture(&record, db, branch, filter, out);
		grove_close(db);
	}
	if (err == 0)
		print_baseline(record, out, json);
	if (lock >= 0)
		close(lock);
	grove_free(record);
	free(lock_path);
	free(filter);
	return err < 0 ? GROVE_EXIT_ERROR : GROVE_EXIT_OK;
}

int cmd_changes(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "baseline"))
		return cmd_baseline(argc, argv);
	return cmd_poll(argc, argv);
}
