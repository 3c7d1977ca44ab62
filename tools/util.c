/* util.c — small helpers shared by the CLI verbs. */
#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

char *cmd_read_file(const char *path, size_t *len_out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "grove: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			char *nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "grove: %s is too large to read\n", path);
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				fprintf(stderr, "grove: cannot read %s: %s\n", path, strerror(errno));
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[len] = '\0';
		if (len_out)
			*len_out = len;
	}
	return buf;
}

int cmd_fail(const grove_db *db, const char *what, int err)
{
	const char *msg = grove_errmsg(db);
	fprintf(stderr, "grove: %s: %s\n", what, msg && *msg ? msg : grove_strerror(err));
	return GROVE_EXIT_ERROR;
}

int cmd_fail_in(const grove_db *db, const char *what, int err, const char *source)
{
	grove_error_info info;
	grove_error_info_get(&info, db);
	const char *msg = grove_errmsg(db);
	if (!msg || !*msg)
		return cmd_fail(db, what, err);
	if (!info.line && (err == GROVE_EPARSE || err == GROVE_ETYPE)) {
		/* the place is in the message ("--> 3:8") */
		fprintf(stderr, "grove: %s: %s: %s\n", what, source, msg);
		return GROVE_EXIT_ERROR;
	}
	if (!info.line)
		return cmd_fail(db, what, err);
	/* The engine says "query:L:C: " for a syntax error: say where instead. */
	const char *colon = strncmp(msg, "query:", 6) == 0 ? strstr(msg + 6, ": ") : NULL;
	fprintf(stderr, "grove: %s: %s:%u:%u: %s\n", what, source, (unsigned)info.line,
		(unsigned)info.column, colon ? colon + 2 : msg);
	return GROVE_EXIT_ERROR;
}

/* The length of the well-formed UTF-8 sequence at p (1-4), or 0. */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned c = p[0], need = c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2
	                       : c >= 0xf0 && c < 0xf5 ? 3 : 0;
	if (need == 0)
		return 0;
	for (unsigned i = 1; i <= need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) ||   /* overlong, surrogate */
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))      /* overlong, > U+10FFFF */
		return 0;
	return need + 1;
}

/* s as a JSON string.  A byte that is not part of well-formed UTF-8 (a
 * directory name may hold any) becomes U+FFFD, so the output stays JSON. */
void cmd_print_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n;
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else if (*p < 0x80)
			fputc(*p, f);
		else if ((n = utf8_seq(p)) > 0)
			fwrite(p, 1, n, f), p += n - 1;
		else
			fputs("\\ufffd", f);
	}
	fputc('"', f);
}

int cmd_target(grove_target *t, const char *branch, const char *snapshot)
{
	if (branch && snapshot) {
		fprintf(stderr, "grove: give --branch or --snapshot, not both\n");
		return -1;
	}
	t->branch = branch;
	t->commit = snapshot;
	return 0;
}

const char *cmd_trim(char *buf, size_t cap, const char *s)
{
	if (!s)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= cap)
		return s;   /* too long to hold: the engine refuses it as given */
	snprintf(buf, cap, "%.*s", (int)n, s);
	return buf;
}

void cmd_print_commit_json(const grove_commit *c)
{
	printf("{\"graph_commit_id\":\"%s\",\"graph_branch\":", c->id);
	if (strcmp(c->branch, "main"))   /* null for main, as the commit DTO */
		cmd_print_json_string(stdout, c->branch);
	else
		printf("null");
	printf(",\"graph_manifest_version\":%" PRIu64 ",\"parent_commit_id\":", c->graph_version);
	c->parent[0] ? printf("\"%s\"", c->parent) : printf("null");
	printf(",\"merged_parent_commit_id\":");
	c->merged_parent[0] ? printf("\"%s\"", c->merged_parent) : printf("null");
	printf(",\"actor_id\":");
	c->actor[0] ? cmd_print_json_string(stdout, c->actor) : (void)printf("null");
	printf(",\"created_at\":%" PRId64 "}", c->created_at_us);
}
