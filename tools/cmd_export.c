/* grove export DIR [--branch B | --snapshot COMMIT] [--type T]... [--out FILE] — JSONL. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static int write_file(void *arg, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, arg) == len ? 0 : -1;
}

int cmd_export(int argc, char **argv)
{
	const char *branch = NULL, *snapshot = NULL, *out = NULL;
	const char *types[64];
	size_t n_types = 0;
	grove_target t;
	grove_db *db;
	int err, rc = GROVE_EXIT_OK;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: grove export DIR [--branch B | --snapshot COMMIT] [--type T]... "
			"[--out FILE]\n");
		return GROVE_EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--branch") && i + 1 < argc)
			branch = argv[++i];
		else if (!strcmp(argv[i], "--snapshot") && i + 1 < argc)
			snapshot = argv[++i];
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--type") && i + 1 < argc && n_types < 64)
			types[n_types++] = argv[++i];
		else
			return cmd_export(1, argv);
	}
	if (cmd_target(&t, branch, snapshot) < 0)
		return GROVE_EXIT_USAGE;
	/* Written beside FILE and renamed over it only when the export is
	 * whole: a failed export (a missing graph, branch or type, a lock)
	 * leaves an existing FILE as it was. */
	char tmp[4096];
	if (out && snprintf(tmp, sizeof tmp, "%s.grove-tmp", out) >= (int)sizeof tmp) {
		fprintf(stderr, "grove: export: the path %s is too long\n", out);
		return GROVE_EXIT_USAGE;
	}
	if ((err = grove_open(&db, argv[1], NULL)) < 0)
		return cmd_fail(NULL, "open", err);
	FILE *f = out ? fopen(tmp, "w") : stdout;
	if (!f) {
		fprintf(stderr, "grove: cannot write %s: %s\n", tmp, strerror(errno));
		grove_close(db);
		return GROVE_EXIT_ERROR;
	}
	if ((err = grove_export_types(db, &t, types, n_types, write_file, f)) < 0)
		rc = cmd_fail(db, "export", err);
	grove_close(db);
	if (out && (fclose(f) != 0 || (rc == 0 && rename(tmp, out) != 0))) {
		fprintf(stderr, "grove: cannot write %s: %s\n", out, strerror(errno));
		rc = GROVE_EXIT_ERROR;
	}
	if (out && rc != 0)
		unlink(tmp);
	return rc;
}
