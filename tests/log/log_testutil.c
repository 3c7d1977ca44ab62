/* log_testutil.c — see log_testutil.h. */
#include "log_testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/error.h"

char *tu_tempdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(512);
	snprintf(path, 512, "%s/grove-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		abort();
	}
	return path;
}

void tu_rmtree(const char *path)
{
	char cmd[2048];
	if (!path || strlen(path) < 6)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	(void)!system(cmd);
}

void tu_copytree(const char *src, const char *dst)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", src, dst);
	if (system(cmd) != 0)
		abort();
}

char *tu_logdir(const char *dir)
{
	char *p = malloc(strlen(dir) + 8);
	sprintf(p, "%s/log", dir);
	return p;
}

static uint8_t pattern(uint32_t writer, uint64_t seq, size_t i)
{
	uint64_t x = (seq * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)writer << 48) ^ (i * 0xBF58476D1CE4E5B9ull);
	return (uint8_t)(x >> 29);
}

size_t tu_payload(uint8_t *out, size_t len, uint32_t writer, uint64_t seq)
{
	memcpy(out, &writer, 4);
	memcpy(out + 4, &seq, 8);
	uint32_t l32 = (uint32_t)len;
	memcpy(out + 12, &l32, 4);
	for (size_t i = 16; i < len; i++)
		out[i] = pattern(writer, seq, i);
	return len;
}

int tu_payload_check(const void *p, size_t len, uint32_t *writer, uint64_t *seq)
{
	const uint8_t *b = p;
	uint32_t l32;
	if (len < 16)
		return -1;
	memcpy(writer, b, 4);
	memcpy(seq, b + 4, 8);
	memcpy(&l32, b + 12, 4);
	if (l32 != len)
		return -1;
	for (size_t i = 16; i < len; i++)
		if (b[i] != pattern(*writer, *seq, i))
			return -1;
	return 0;
}

char *tu_new_log(const char *tag, const struct log_options *o)
{
	char *dir = tu_tempdir(tag), *ld = tu_logdir(dir);
	if (log_create(ld, o) != 0) {
		fprintf(stderr, "log_create %s: %s\n", ld, log_errmsg());
		abort();
	}
	free(ld);
	return dir;
}

struct log_options tu_small_options(int backend)
{
	struct log_options o = { 0 };
	o.segment_bytes = 64 * 1024;
	o.max_record_bytes = 8 * 1024;
	o.max_batch_bytes = 16 * 1024;
	o.backend = backend;
	return o;
}

int tu_count_segments(const char *logdir)
{
	DIR *d = opendir(logdir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".seg");
	closedir(d);
	return n;
}
