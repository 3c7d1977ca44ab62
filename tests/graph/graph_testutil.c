/* graph_testutil.c — see graph_testutil.h. */
#include "graph_testutil.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char gt_schema[] =
	"node Person {\n"
	"    name: String @key\n"
	"    age: I32?\n"
	"    email: String? @unique\n"
	"}\n"
	"node Company {\n"
	"    name: String @key\n"
	"}\n"
	"edge Knows: Person -> Person {\n"
	"    since: Date?\n"
	"}\n"
	"edge WorksAt: Person -> Company @card(0..1)\n";

char *gt_dir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *p = malloc(512);
	snprintf(p, 512, "%s/grove-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	cr_assert(mkdtemp(p));
	strcat(p, "/g");
	return p;
}

void gt_rmtree(const char *path)
{
	char cmd[1100];
	const char *slash = strrchr(path, '/');
	snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(slash - path), path);
	(void)!system(cmd);
}

grove_db *gt_init(const char *dir, const char *schema)
{
	grove_db *db;
	int err = grove_init(&db, dir, schema ? schema : gt_schema, NULL);
	cr_assert_eq(err, 0, "init: %s", grove_errmsg(NULL));
	return db;
}

int gt_load(grove_db *db, const char *branch, int mode, const char *jsonl, grove_load_result *out)
{
	grove_load_options o = { .branch = branch, .mode = mode, .actor = "tester" };
	grove_load_result scratch;
	return grove_load(out ? out : &scratch, db, &o, jsonl, strlen(jsonl));
}

uint64_t gt_count(grove_db *db, const char *branch, const char *commit, const char *table)
{
	grove_target t = { branch, commit };
	uint64_t n = 0;
	int err = grove_count(&n, db, &t, table);
	cr_assert_eq(err, 0, "count %s: %s", table, grove_errmsg(db));
	return n;
}

struct sbuf {
	char *p;
	size_t n;
};

static int append(void *arg, const char *buf, size_t len)
{
	struct sbuf *s = arg;
	s->p = realloc(s->p, s->n + len + 1);
	memcpy(s->p + s->n, buf, len);
	s->n += len;
	s->p[s->n] = '\0';
	return 0;
}

char *gt_export(grove_db *db, const char *branch, const char *commit)
{
	grove_target t = { branch, commit };
	struct sbuf s = { calloc(1, 1), 0 };
	int err = grove_export(db, &t, append, &s);
	cr_assert_eq(err, 0, "export: %s", grove_errmsg(db));
	return s.p;
}

grove_db *gt_scratch(char **dir, const char *tag, const char *schema)
{
	*dir = gt_dir(tag);
	return gt_init(*dir, schema);
}

void gt_scratch_done(grove_db *db, char *dir)
{
	grove_close(db);
	gt_rmtree(dir);
	free(dir);
}
