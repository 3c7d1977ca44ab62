/* grove query DIR (-e GQ | --query FILE) [NAME] [--params JSON]
 *             [--branch B | --snapshot COMMIT] [--format table|json|jsonl|csv]
 *
 * Runs a read query (grove_query) and prints its result: a table
 * (default), the result JSON of grove_query_json, one JSON object per row
 * (jsonl), or CSV with a header line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define USAGE "usage: grove query DIR (-e GQ | --query FILE) [NAME] [--params JSON]\n" \
              "                   [--branch B | --snapshot COMMIT] [--format table|json|jsonl|csv]\n"

struct qargs {
	const char *dir, *text, *file, *name, *params, *branch, *snapshot, *format;
};

static int parse_args(struct qargs *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	a->format = "table";
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		int more = i + 1 < argc;
		if (!strcmp(s, "-e") && more)
			a->text = argv[++i];
		else if (!strcmp(s, "--query") && more)
			a->file = argv[++i];
		else if (!strcmp(s, "--params") && more)
			a->params = argv[++i];
		else if (!strcmp(s, "--branch") && more)
			a->branch = argv[++i];
		else if (!strcmp(s, "--snapshot") && more)
			a->snapshot = argv[++i];
		else if (!strcmp(s, "--format") && more)
			a->format = argv[++i];
		else if (!strcmp(s, "--json"))   /* OmniGraph's spelling */
			a->format = "json";
		else if (!strcmp(s, "--name") && more && a->name == NULL)
			a->name = argv[++i];   /* as OmniGraph's --name */
		else if (s[0] == '-')
			return -1;
		else if (a->dir == NULL)
			a->dir = s;
		else if (a->name == NULL)
			a->name = s;
		else
			return -1;
	}
	if (a->dir == NULL || (a->text == NULL) == (a->file == NULL))
		return -1;
	return strcmp(a->format, "table") && strcmp(a->format, "json") && strcmp(a->format, "jsonl") &&
	       strcmp(a->format, "csv") ? -1 : 0;
}

/* A cell as plain text: strings unquoted, everything else as JSON. */
static const char *plain(grove_result *r, size_t row, size_t col, size_t *len)
{
	const char *s;
	if (grove_result_string(&s, len, r, row, col) == 0)
		return s;
	s = grove_result_value_json(r, row, col);
	*len = s ? strlen(s) : 0;
	/* A JSON string with nothing escaped (a Date, a DateTime, a Blob's
	 * base64): its text, as a String cell prints. */
	if (*len >= 2 && s[0] == '"' && s[*len - 1] == '"' && !memchr(s, '\\', *len)) {
		*len -= 2;
		return s + 1;
	}
	return s ? s : "";
}

/* s[0, n) as one CSV field (s need not end in a NUL: result strings
 * point into their rows). */
static void print_csv_field(const char *s, size_t n)
{
	size_t k = 0;
	while (k < n && s[k] != ',' && s[k] != '"' && s[k] != '\r' && s[k] != '\n')
		k++;
	if (k == n) {
		fwrite(s, 1, n, stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

static void print_csv(grove_result *r)
{
	size_t nc = grove_result_ncols(r);
	for (size_t c = 0; c < nc; c++) {
		const char *name = grove_result_column(r, c);
		if (c)
			putchar(',');
		print_csv_field(name, strlen(name));
	}
	putchar('\n');
	for (size_t i = 0; i < grove_result_nrows(r); i++) {
		for (size_t c = 0; c < nc; c++) {
			size_t n = 0;
			const char *s = grove_result_is_null(r, i, c) ? "" : plain(r, i, c, &n);
			if (c)
				putchar(',');
			print_csv_field(s, n);
		}
		putchar('\n');
	}
}

static void print_jsonl(grove_result *r)
{
	size_t nc = grove_result_ncols(r);
	for (size_t i = 0; i < grove_result_nrows(r); i++) {
		putchar('{');
		for (size_t c = 0; c < nc; c++) {
			if (c)
				putchar(',');
			cmd_print_json_string(stdout, grove_result_column(r, c));
			putchar(':');
			fputs(grove_result_value_json(r, i, c), stdout);
		}
		fputs("}\n", stdout);
	}
}

static void print_table(grove_result *r)
{
	size_t nc = grove_result_ncols(r), nr = grove_result_nrows(r);
	size_t *w = calloc(nc + 1, sizeof(*w));
	if (w == NULL)
		return;
	for (size_t c = 0; c < nc; c++) {
		w[c] = strlen(grove_result_column(r, c));
		for (size_t i = 0; i < nr; i++) {
			size_t n;
			plain(r, i, c, &n);
			w[c] = n > w[c] ? n : w[c];
		}
	}
	for (size_t c = 0; c < nc; c++)
		printf("%s%-*s", c ? " | " : "", (int)w[c], grove_result_column(r, c));
	putchar('\n');
	for (size_t c = 0; c < nc; c++)
		for (size_t k = 0; k < w[c] + (c ? 3 : 0); k++)
			putchar(c && k == 1 ? '+' : '-');
	putchar('\n');
	for (size_t i = 0; i < nr; i++) {
		for (size_t c = 0; c < nc; c++) {
			size_t n;
			const char *s = plain(r, i, c, &n);
			printf("%s%.*s%*s", c ? " | " : "", (int)n, s, (int)(w[c] - n), "");
		}
		putchar('\n');
	}
	printf("(%zu row%s)\n", nr, nr == 1 ? "" : "s");
	free(w);
}

static int print_result(grove_db *db, grove_result *r, const char *format)
{
	if (!strcmp(format, "json")) {
		char *text = NULL;
		int err = grove_result_json(&text, r);
		if (err < 0)
			return cmd_fail(db, "query", err);
		puts(text);
		grove_free(text);
	} else if (!strcmp(format, "jsonl")) {
		print_jsonl(r);
	} else if (!strcmp(format, "csv")) {
		print_csv(r);
	} else {
		print_table(r);
	}
	return GROVE_EXIT_OK;
}

int cmd_query(int argc, char **argv)
{
	struct qargs a;
	grove_target t;
	if (parse_args(&a, argc, argv) < 0 || cmd_target(&t, a.branch, a.snapshot) < 0) {
		fputs(USAGE, stderr);
		return GROVE_EXIT_USAGE;
	}
	char *src = a.file ? cmd_read_file(a.file, NULL) : strdup(a.text);
	if (src == NULL)
		return GROVE_EXIT_ERROR;
	grove_db *db;
	int err = grove_open(&db, a.dir, NULL);
	if (err < 0) {
		free(src);
		return cmd_fail(NULL, "open", err);
	}
	grove_result *r = NULL;
	int rc = GROVE_EXIT_OK;
	if ((err = grove_query(&r, db, &t, src, a.name, a.params)) < 0)
		rc = cmd_fail_in(db, "query", err, a.file ? a.file : "<query>");
	else
		rc = print_result(db, r, a.format);
	grove_result_free(r);
	grove_close(db);
	free(src);
	return rc;
}
