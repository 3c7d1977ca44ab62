/*
 * branch.c — creating, deleting and listing branches (spec: engine §1).
 *
 * Name-space changes are serialized by ns_mu; the event is logged and
 * applied through the sequencer like any write, so replay reproduces the
 * branch table exactly.  A branch is O(1) to create: one layer record.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"
#include "engine/engine.h"
#include "index/apply.h"
#include "index/records.h"
#include "log/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Letters and digits beyond ASCII are Unicode's (Rust's
 * char::is_alphanumeric: Alphabetic or Numeric), in valid UTF-8; PCRE2
 * checks both (its UTF mode refuses malformed input). */
static pcre2_code *wide_name_re;
static pthread_once_t wide_name_once = PTHREAD_ONCE_INIT;

static void wide_name_init(void)
{
	int code;
	PCRE2_SIZE at;
	wide_name_re = pcre2_compile((PCRE2_SPTR) "^[\\p{Alphabetic}\\p{N}./_-]+$",
				     PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY,
				     &code, &at, NULL);
}

/* A name with bytes past ASCII: each character a letter, a digit, '.',
 * '/', '-' or '_'.  False when the pattern could not be built. */
static bool valid_wide(const char *n)
{
	pthread_once(&wide_name_once, wide_name_init);
	if (!wide_name_re)
		return false;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(wide_name_re, NULL);
	int rc = md ? pcre2_match(wide_name_re, (PCRE2_SPTR)n, strlen(n), 0, 0, md, NULL) : -1;
	pcre2_match_data_free(md);
	return rc > 0;
}

/* Lance-compatible branch name syntax (engine §1.2 rule 6). */
static bool valid_syntax(const char *n)
{
	size_t len = strlen(n);
	if (!len || n[0] == '/' || n[len - 1] == '/' || strstr(n, "//") || strstr(n, "..") ||
	    strchr(n, '\\') || !strcmp(n, "main") ||
	    (len >= 5 && !strcmp(n + len - 5, ".lock")))
		return false;
	bool wide = false;
	for (const char *p = n; *p; p++) {
		wide |= (unsigned char)*p >= 0x80;
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_' &&
		    *p != '/' && (unsigned char)*p < 0x80)
			return false;
	}
	return !wide || valid_wide(n);
}

const char *branch_name_trim(char *buf, const char *name)
{
	if (!name)
		return NULL;
	size_t n = strlen(name);
	while (n && isspace((unsigned char)*name)) {
		name++;
		n--;
	}
	while (n && isspace((unsigned char)name[n - 1]))
		n--;
	if (n > BRANCH_NAME_MAX)
		return name;  /* too long either way: the checks refuse it */
	memcpy(buf, name, n);
	buf[n] = '\0';
	return buf;
}

/* Rules 1-3 of engine §1.2, shared by every branch operation. */
int branch_name_check(grove_db *db, const char *name, const char *op)
{
	const char *n = name;
	if (!name || !*name)
		return db_error(db, GROVE_EINVAL, "branch name cannot be empty");
	if (strlen(name) > BRANCH_NAME_MAX)
		return db_error(db, GROVE_EINVAL, "branch name is longer than %u bytes",
				BRANCH_NAME_MAX);
	while (*n == '/')
		n++;
	if (!strcmp(n, BRANCH_INTERNAL_REF))
		return db_error(db, GROVE_EINVAL, "%s does not allow internal system ref '%s'",
				op, name);
	return 0;
}

/* The first live branch in name order under `name/` into out (a seek: the
 * names under it are one run of keys).  1: found, 0: none, or an error. */
static int first_path_child(char out[BRANCH_NAME_MAX + 1], MDB_txn *txn, const struct views *v,
			    const char *name)
{
	char key[BRANCH_NAME_MAX + 2];
	size_t n = (size_t)snprintf(key, sizeof key, "%s/", name);
	MDB_cursor *cur;
	MDB_val k = { n, key }, d;
	int rc = mdb_cursor_open(txn, v->branches, &cur), found = 0;
	if (rc)
		return views_error(rc, "branches");
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size > n && k.mv_size <= BRANCH_NAME_MAX && !memcmp(k.mv_data, key, n)) {
		snprintf(out, BRANCH_NAME_MAX + 1, "%.*s", (int)k.mv_size, (char *)k.mv_data);
		found = 1;
	}
	mdb_cursor_close(cur);
	return rc && rc != MDB_NOTFOUND ? views_error(rc, "branches") : found;
}

/* The first live branch in name order that is a '/'-path ancestor or
 * descendant of `name` (main aside): its shortest ancestor, else its first
 * descendant.  1: found (into out), 0: none, or an error. */
static int path_relative(char out[BRANCH_NAME_MAX + 1], MDB_txn *txn, const struct views *v,
			 const char *name)
{
	struct branch_rec b;
	for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
		snprintf(out, BRANCH_NAME_MAX + 1, "%.*s", (int)(slash - name), name);
		if (!*out || !strcmp(out, MAIN_BRANCH))
			continue;
		int err = branch_get(&b, txn, v, out);
		if (err != GROVE_ENOTFOUND)
			return err < 0 ? err : 1;
	}
	return first_path_child(out, txn, v, name);
}

static int check_create(grove_db *db, MDB_txn *txn, const char *name, const char *from)
{
	struct branch_rec b, src;
	char other[BRANCH_NAME_MAX + 1];
	int err;

	/* Upstream's order: the source is opened first, then the namespace
	 * checks, then the name's syntax (engine §1.2, §1.3). */
	err = branch_get(&src, txn, db->views, from);
	if (err == GROVE_ENOTFOUND)
		return db_error_no_branch(db, from);
	if (err < 0)
		return db_error(db, err, NULL);
	if (branch_get(&b, txn, db->views, name) == 0)
		return db_error(db, GROVE_ECONFLICT, "branch '%s' already exists", name);
	if ((err = path_relative(other, txn, db->views, name)) < 0)
		return db_error(db, err, NULL);
	if (err)
		return db_error(db, GROVE_ECONFLICT,
				"cannot create branch '%s' while live branch '%s' shares its "
				"physical Lance path; live graph branch names may not be "
				"ancestors or descendants", name, other);
	if (!valid_syntax(name))   /* upstream: Lance's InvalidRef as a Storage error */
		return db_error_kind(db, db_error(db, GROVE_EINVAL, "invalid branch name '%s'", name),
				     "Storage");
	/* Reads walk the new branch's layer and every one it sits on: a
	 * branch that would be one too many could be made but never read. */
	struct layer_chain chain;
	if ((err = layer_chain(&chain, txn, db->views, src.layer, src.head_lsn)) < 0)
		return db_error(db, err, NULL);
	if (chain.n >= LAYER_CHAIN_MAX)
		return db_error(db, GROVE_ETOOBIG, "cannot create branch '%s' from '%s': branches "
				"nest at most %u deep (main counts as one)", name, from,
				LAYER_CHAIN_MAX);
	return 0;
}

static int log_branch_event(grove_db *db, enum event_kind kind, const char *name,
			    const char *from, const char *actor)
{
	struct event ev = { .kind = (uint16_t)kind };
	engine_event_stamp(&ev, MAIN_BRANCH, actor);
	ev.name = event_str(name);
	if (from)
		ev.from = event_str(from);
	memset(&ev.commit, 0, sizeof ev.commit); /* branch operations make no commit */
	return seq_commit(db, &ev, 1, NULL, 0, NULL);
}

/* Everything a create of `name` from `from` must pass before it is
 * logged: both names (rules 1-3), the actor, 'main' refused, then the
 * source, namespace, syntax and nesting against the views. */
static int create_checks(grove_db *db, const char *name, const char *from, const char *op,
			 const char *actor)
{
	MDB_txn *txn;
	int err;
	if ((err = branch_name_check(db, from, op)) < 0 ||
	    (err = branch_name_check(db, name, op)) < 0 || (err = engine_actor_check(db, actor)) < 0)
		return err;
	if (!strcmp(name, MAIN_BRANCH))
		return db_error(db, GROVE_EINVAL, "cannot create branch 'main'");
	if ((err = views_read_begin(&txn, db->views)) < 0)
		return db_error(db, err, NULL);
	err = check_create(db, txn, name, from);
	mdb_txn_abort(txn);
	return err;
}

int grove_branch_create(grove_db *db, const char *name, const char *from, const char *actor)
{
	char name_buf[BRANCH_NAME_MAX + 1], from_buf[BRANCH_NAME_MAX + 1];
	int err;

	name = branch_name_trim(name_buf, name);
	from = branch_name_trim(from_buf, from);
	/* NULL: from main; a source given blank names none (as a target). */
	if (from && !*from)
		return db_error(db, GROVE_EINVAL, "branch name cannot be empty");
	/* Upstream names the operation by whether a source was given. */
	const char *op = from ? "branch_create_from" : "branch_create";
	if (!from)
		from = MAIN_BRANCH;
	pthread_mutex_lock(&db->ns_mu);
	if ((err = create_checks(db, name, from, op, actor)) == 0)
		err = log_branch_event(db, EVENT_BRANCH_CREATE, name, from, actor);
	pthread_mutex_unlock(&db->ns_mu);
	return err;
}

int branch_create_check(grove_db *db, const char *name, const char *from)
{
	return create_checks(db, name, from, "branch_create_from", NULL);
}

/* A live branch other than `name` whose reads pass through `layer` (the
 * first in name order).  Layers are numbered as they are made, and a
 * layer's parent is older, so a chain falls below `layer` where it no
 * longer can hold it: most branches are ruled out without a read. */
static int find_dependent(char *out, size_t cap, MDB_txn *txn, const struct views *v,
			  const char *name, uint32_t layer)
{
	MDB_cursor *cur;
	MDB_val k, d;
	int rc = mdb_cursor_open(txn, v->branches, &cur), found = 0;

	if (rc)
		return views_error(rc, "branches");
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && !found;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		struct branch_rec b;
		struct layer_rec l;
		if (d.mv_size != sizeof b || (k.mv_size == strlen(name) && !memcmp(k.mv_data, name, k.mv_size)))
			continue;
		memcpy(&b, d.mv_data, sizeof b);
		for (uint32_t at = b.parent_layer, depth = 0; at >= layer && depth < LAYER_CHAIN_MAX; depth++) {
			if (at == layer) {
				snprintf(out, cap, "%.*s", (int)k.mv_size, (char *)k.mv_data);
				found = 1;
				break;
			}
			if (layer_get(&l, txn, v, at) < 0)
				break;
			at = l.parent;
		}
	}
	mdb_cursor_close(cur);
	return found;
}

static int check_delete(grove_db *db, MDB_txn *txn, const char *name)
{
	char dep[BRANCH_NAME_MAX + 1];
	struct branch_rec b;
	int err = branch_get(&b, txn, db->views, name);

	if (err == GROVE_ENOTFOUND)
		return db_error(db, GROVE_ENOTFOUND, "branch '%s' not found", name);
	if (err < 0)
		return db_error(db, err, NULL);
	if ((err = first_path_child(dep, txn, db->views, name)) < 0)
		return db_error(db, err, NULL);
	if (err)
		return db_error(db, GROVE_ECONFLICT,
				"cannot delete branch '%s' while live branch '%s' is its path "
				"child; delete the child branch first", name, dep);
	if ((err = find_dependent(dep, sizeof dep, txn, db->views, name, b.layer)) < 0)
		return db_error(db, err, NULL);
	if (err)
		return db_error(db, GROVE_ECONFLICT,
				"cannot delete branch '%s' because descendant branch '%s' still "
				"depends on it", name, dep);
	return 0;
}

int grove_branch_delete(grove_db *db, const char *name, const char *actor)
{
	char name_buf[BRANCH_NAME_MAX + 1];
	struct branch_lock *bl;
	MDB_txn *txn;
	int err;

	name = branch_name_trim(name_buf, name);
	if (name && !strcmp(name, MAIN_BRANCH))
		return db_error(db, GROVE_EINVAL, "cannot delete branch 'main'");
	if ((err = branch_name_check(db, name, "branch_delete")) < 0 ||
	    (err = engine_actor_check(db, actor)) < 0)
		return err;
	pthread_mutex_lock(&db->ns_mu);
	/* Wait for the branch's writers: none may commit after its delete. */
	if (!(bl = db_branch_lock(db, name))) {
		pthread_mutex_unlock(&db->ns_mu);
		return db_error(db, -12, "out of memory");
	}
	if ((err = views_read_begin(&txn, db->views)) == 0) {
		err = check_delete(db, txn, name);
		mdb_txn_abort(txn);
		if (!err)
			err = log_branch_event(db, EVENT_BRANCH_DELETE, name, NULL, actor);
	} else {
		db_error(db, err, NULL);
	}
	db_branch_unlock(db, bl);
	pthread_mutex_unlock(&db->ns_mu);
	return err;
}

int grove_branch_list(char ***out, size_t *count, grove_db *db)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, d;
	size_t n = 0, bytes = 0;
	int err, rc;

	if ((err = db_read_begin(&txn, db)) < 0)
		return err;
	if ((rc = mdb_cursor_open(txn, db->views->branches, &cur)) != 0) {
		mdb_txn_abort(txn);
		return db_error(db, views_error(rc, "branches"), NULL);
	}
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
		n++, bytes += k.mv_size + 1;
	/* One allocation: the pointer array, then the strings. */
	char **v = malloc((n + 1) * sizeof *v + bytes + 1);
	if (!v) {
		mdb_cursor_close(cur);
		mdb_txn_abort(txn);
		return db_error(db, -12, "out of memory");
	}
	char *s = (char *)(v + n + 1);
	size_t i = 1;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		bool is_main = k.mv_size == 4 && !memcmp(k.mv_data, MAIN_BRANCH, 4);
		char **slot = is_main ? &v[0] : &v[i++];
		*slot = s;
		memcpy(s, k.mv_data, k.mv_size);
		s[k.mv_size] = '\0';
		s += k.mv_size + 1;
	}
	v[n] = NULL;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	*out = v;
	*count = n;
	return 0;
}
