/*
 * grove branch create DIR NAME [--from BASE] [--as ACTOR] [--json]
 * grove branch delete DIR NAME [--as ACTOR] [--json]
 * grove branch list DIR [--json]
 * grove branch merge DIR SOURCE [--into TARGET] [--delete-branch] [--as ACTOR] [--json]
 *
 * Texts as OmniGraph's CLI (engine §9): "created branch N from X",
 * "merged S into T: <outcome>", and the list sorted lexicographically
 * (main is not necessarily first, engine §1.4).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int usage(void)
{
	fprintf(stderr, "usage: grove branch create DIR NAME [--from BASE] [--as ACTOR] [--json]\n"
			"       grove branch delete DIR NAME [--as ACTOR] [--json]\n"
			"       grove branch list DIR [--json]\n"
			"       grove branch merge DIR SOURCE [--into TARGET] [--delete-branch] [--as ACTOR] "
			"[--json]\n");
	return GROVE_EXIT_USAGE;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(grove_db *db, int json)
{
	char **names;
	size_t n;
	int err = grove_branch_list(&names, &n, db);
	if (err < 0)
		return cmd_fail(db, "branch list", err);
	qsort(names, n, sizeof *names, by_name);
	if (json) {
		printf("{\"branches\":[");
		for (size_t i = 0; i < n; i++) {
			printf("%s", i ? "," : "");
			cmd_print_json_string(stdout, names[i]);
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
	}
	grove_free(names);
	return GROVE_EXIT_OK;
}

/* The outcome named in a merge's JSON answer. */
static void print_outcome(const char *out, const char *source, const char *target)
{
	const char *o = strstr(out, "\"outcome\":\"");
	int n = 0;
	if (o) {
		o += strlen("\"outcome\":\"");
		n = (int)strcspn(o, "\"");
	}
	printf("merged %s into %s: %.*s\n", source, target, n, o ? o : "");
}

/* A merge's conflicts, one line each: "<kind> <type_key> '<id>': <message>". */
static void print_conflicts(const char *out)
{
	json_t *j = json_loads(out, 0, NULL), *c;
	size_t i;
	json_array_foreach(json_object_get(j, "merge_conflicts"), i, c) {
		const char *id = json_string_value(json_object_get(c, "entity_id"));
		const char *kind = json_string_value(json_object_get(c, "kind"));
		const char *type_key = json_string_value(json_object_get(c, "type_key"));
		printf("%s %s", kind ? kind : "conflict", type_key ? type_key : "-");
		if (id)
			printf(" '%s'", id);
		const char *msg = json_string_value(json_object_get(c, "message"));
		printf(": %s\n", msg ? msg : "");
	}
	json_decref(j);
}

static int merge(grove_db *db, const char *source, const char *target, const char *actor,
		 int delete_branch, int json)
{
	grove_merge_options o = { .actor = actor, .delete_branch = delete_branch };
	char *out = NULL;
	target = target ? target : "main";
	int err = grove_merge_json(&out, db, source, target, &o);
	if (err == GROVE_EMERGE && out)
		json ? (void)printf("%s\n", out) : print_conflicts(out);
	if (err < 0) {
		grove_free(out);
		return cmd_fail(db, "merge", err);
	}
	if (json) {
		printf("%s\n", out);
	} else {
		print_outcome(out, source, target);
		if (strstr(out, "\"branch_deleted\":true"))
			printf("deleted branch %s\n", source);
	}
	if (strstr(out, "\"branch_deleted\":false"))
		fprintf(stderr, "grove: warning: merged, but branch '%s' was not deleted: %s\n", source,
			grove_errmsg(db));
	grove_free(out);
	return GROVE_EXIT_OK;
}

/* Create (from `from`, NULL: main) or delete; the JSON is OmniGraph's
 * answer ({uri, from, name, actor_id} / {uri, name, actor_id}). */
static int create_or_delete(grove_db *db, const char *dir, const char *verb, const char *name,
			    const char *from, const char *actor, int json)
{
	int create = !strcmp(verb, "create");
	int err = create ? grove_branch_create(db, name, from, actor) : grove_branch_delete(db, name, actor);
	if (err < 0)
		return cmd_fail(db, verb, err);
	from = from ? from : "main";
	if (json) {
		printf("{\"uri\":");
		cmd_print_json_string(stdout, dir);
		if (create) {
			printf(",\"from\":");
			cmd_print_json_string(stdout, from);
		}
		printf(",\"name\":");
		cmd_print_json_string(stdout, name);
		printf(",\"actor_id\":");
		actor ? cmd_print_json_string(stdout, actor) : (void)printf("null");
		printf("}\n");
	} else if (create) {
		printf("created branch %s from %s\n", name, from);
	} else {
		printf("deleted branch %s\n", name);
	}
	return GROVE_EXIT_OK;
}

int cmd_branch(int argc, char **argv)
{
	const char *verb, *dir, *name = NULL, *from = NULL, *actor = NULL, *into = NULL;
	int json = 0, delete_branch = 0, rc, err;
	grove_db *db;

	if (argc < 3 || argv[2][0] == '-')   /* an option is no DIR */
		return usage();
	verb = argv[1];
	dir = argv[2];
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = argv[++i];
		else if (!strcmp(argv[i], "--as") && i + 1 < argc)
			actor = argv[++i];
		else if (!strcmp(argv[i], "--into") && i + 1 < argc)
			into = argv[++i];
		else if (!strcmp(argv[i], "--delete-branch"))
			delete_branch = 1;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			return usage();
	}
	int is_list = !strcmp(verb, "list"), is_merge = !strcmp(verb, "merge");
	if ((is_list && name) || (!is_list && !name) ||
	    (!is_list && !is_merge && strcmp(verb, "create") && strcmp(verb, "delete")))
		return usage();
	/* Echoed as the engine reads them: trimmed (engine §1.2). */
	char name_buf[256], from_buf[256], into_buf[256];
	name = cmd_trim(name_buf, sizeof name_buf, name);
	from = from ? cmd_trim(from_buf, sizeof from_buf, from) : NULL;
	into = into ? cmd_trim(into_buf, sizeof into_buf, into) : NULL;
	if ((err = grove_open(&db, dir, NULL)) < 0)
		return cmd_fail(NULL, "open", err);
	if (is_merge)
		rc = merge(db, name, into, actor, delete_branch, json);
	else if (is_list)
		rc = list(db, json);
	else
		rc = create_or_delete(db, dir, verb, name, from, actor, json);
	grove_close(db);
	return rc;
}
