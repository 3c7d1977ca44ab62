/*
 * grove log dump DIR [--from LSN] [--json]   print the log's records
 * grove log append DIR EVENT_JSON|-          append one event durably
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int dump(grove_db *db, uint64_t from, int json)
{
	grove_log_cursor *cur;
	int err;

	if ((err = grove_log_cursor_open(&cur, db, from)) < 0)
		return cmd_fail(db, "log dump", err);
	while ((err = grove_log_cursor_next(cur)) == 0) {
		if (json)
			printf("%s\n", grove_log_cursor_json(cur));
		else
			printf("%8" PRIu64 "  %s\n", grove_log_cursor_lsn(cur),
			       grove_log_cursor_json(cur));
	}
	grove_log_cursor_close(cur);
	if (err != GROVE_ENOTFOUND)
		return cmd_fail(db, "log dump", err);
	return GROVE_EXIT_OK;
}

static int append(grove_db *db, const char *arg)
{
	char *text = strcmp(arg, "-") ? strdup(arg) : cmd_read_file("-", NULL);
	uint64_t lsn;
	int err;

	if (!text)
		return GROVE_EXIT_ERROR;
	err = grove_log_append_json(&lsn, db, text);
	free(text);
	if (err < 0)
		return cmd_fail(db, "log append", err);
	printf("appended LSN %" PRIu64 "\n", lsn);
	return GROVE_EXIT_OK;
}

static int usage(void)
{
	fprintf(stderr, "usage: grove log dump DIR [--from LSN] [--json]\n"
			"       grove log append DIR EVENT_JSON|-\n");
	return GROVE_EXIT_USAGE;
}

int cmd_log(int argc, char **argv)
{
	uint64_t from = 1;
	int json = 0, rc;
	grove_db *db;
	int err;

	if (argc < 3 || argv[2][0] == '-')   /* an option is no DIR */
		return usage();
	int is_dump = !strcmp(argv[1], "dump");
	if (!is_dump && (strcmp(argv[1], "append") || argc != 4))
		return usage();
	for (int i = 3; is_dump && i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			/* An LSN: digits only (strtoull would read "abc" as 0 and
			 * "-1" as the largest LSN). */
			const char *v = argv[++i];
			char *end;
			errno = 0;
			from = strtoull(v, &end, 10);
			if (!*v || *end || errno || strspn(v, "0123456789") != strlen(v))
				return usage();
		} else {
			return usage();
		}
	}
	if ((err = grove_open(&db, argv[2], NULL)) < 0)
		return cmd_fail(NULL, "open", err);
	rc = is_dump ? dump(db, from, json) : append(db, argv[3]);
	grove_close(db);
	return rc;
}
