/*
 * grove rebuild DIR [--json]  — throw the views away and replay the log
 * grove verify DIR [--json]   — replay into a scratch directory, compare
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int parse(int argc, char **argv, const char *verb, int *json)
{
	*json = argc == 3 && !strcmp(argv[2], "--json");
	if ((argc == 2 || *json) && argv[1][0] != '-')   /* an option is no DIR */
		return 0;
	fprintf(stderr, "usage: grove %s DIR [--json]\n", verb);
	return -1;
}

int cmd_rebuild(int argc, char **argv)
{
	uint64_t effects = 0;
	int json, err;

	if (parse(argc, argv, "rebuild", &json) < 0)
		return GROVE_EXIT_USAGE;
	double t0 = now_s();
	if ((err = grove_rebuild(argv[1], &effects)) < 0)
		return cmd_fail(NULL, "rebuild", err);
	double s = now_s() - t0;
	if (json)
		printf("{\"effects\":%" PRIu64 ",\"seconds\":%.3f}\n", effects, s);
	else
		printf("rebuilt %s: %" PRIu64 " effects in %.3f s (%.0f effects/s)\n", argv[1],
		       effects, s, s > 0 ? (double)effects / s : 0.0);
	return GROVE_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	int json, err;

	if (parse(argc, argv, "verify", &json) < 0)
		return GROVE_EXIT_USAGE;
	err = grove_verify(argv[1]);
	if (json)
		printf("{\"ok\":%s}\n", err < 0 ? "false" : "true");
	if (err < 0)
		return cmd_fail(NULL, "verify", err);
	if (!json)
		printf("verified %s: the views equal a fresh replay of the log\n", argv[1]);
	return GROVE_EXIT_OK;
}
