/* segment.c — create, open and list segment files (see segment.h). */
#include "log/segment.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "grove.h"
#include "log/error.h"
#include "log/record.h"

static const char segment_magic[8] = { 'G', 'R', 'O', 'V', 'E', 'S', 'E', 'G' };

void log_segment_name(char out[LOG_SEGMENT_NAME_BYTES], uint64_t first_lsn)
{
	snprintf(out, LOG_SEGMENT_NAME_BYTES, "%020" PRIu64 ".seg", first_lsn);
}

static void encode_header(uint8_t out[LOG_SEGMENT_HEADER_BYTES], uint64_t first_lsn,
			  uint64_t segment_bytes)
{
	uint32_t fields32[2] = { LOG_SEGMENT_VERSION, LOG_SEGMENT_HEADER_BYTES };
	memcpy(out, segment_magic, 8);
	/* Little-endian hosts only (asserted in record.c's users via the
	 * static assert below): the header is copied field by field. */
	memcpy(out + 8, fields32, 8);
	memcpy(out + 16, &first_lsn, 8);
	memcpy(out + 24, &segment_bytes, 8);
	uint64_t sum = XXH3_64bits(out, 32);
	memcpy(out + 32, &sum, 8);
}

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "segment headers are written in host order, which must be little-endian");

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* no progress: never loop on it */
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int preallocate(int fd, uint64_t bytes)
{
	if (fallocate(fd, 0, 0, (off_t)bytes) == 0)
		return 0;
	/* File systems without fallocate (some network and overlay ones):
	 * extend the file; blocks get allocated on first write instead. */
	if (errno == EOPNOTSUPP || errno == ENOSYS)
		return ftruncate(fd, (off_t)bytes) == 0 ? 0 : -errno;
	return -errno;
}

int log_segment_create(int dirfd, uint64_t first_lsn, uint64_t segment_bytes)
{
	char name[LOG_SEGMENT_NAME_BYTES], tmp[LOG_SEGMENT_NAME_BYTES + 4];
	uint8_t hdr[LOG_SEGMENT_HEADER_BYTES];
	int fd, err;

	assert(first_lsn > 0 && segment_bytes >= LOG_SEGMENT_MIN_BYTES);
	log_segment_name(name, first_lsn);
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	/* Built under a temporary name and renamed when complete, so a file
	 * with a segment's name always has its full size and header. */
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error(-errno, "cannot create log segment %s: %s", tmp, strerror(errno));
	encode_header(hdr, first_lsn, segment_bytes);
	if ((err = preallocate(fd, segment_bytes)) < 0 ||
	    (err = write_all(fd, hdr, sizeof hdr, 0)) < 0)
		goto fail;
	/* The header and size, then the directory entry, must be on disk
	 * before any record in this segment can be acknowledged. */
	if (fdatasync(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0 || fsync(dirfd) < 0) {
		err = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlinkat(dirfd, tmp, 0);
	return log_error(err, "cannot prepare log segment %s: %s", name, strerror(-err));
}

int log_segment_open(uint64_t *segment_bytes, int dirfd, uint64_t first_lsn, int writable)
{
	char name[LOG_SEGMENT_NAME_BYTES];
	uint8_t hdr[LOG_SEGMENT_HEADER_BYTES], want[LOG_SEGMENT_HEADER_BYTES];
	uint64_t size;
	ssize_t n;
	int fd;

	log_segment_name(name, first_lsn);
	fd = openat(dirfd, name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return log_error(-errno, "cannot open log segment %s: %s", name, strerror(errno));
	n = pread(fd, hdr, sizeof hdr, 0);
	if (n >= 0 && n < (ssize_t)sizeof hdr)
		memset(hdr + n, 0, sizeof hdr - (size_t)n);
	if (n >= 0 && log_bytes_zero(hdr, sizeof hdr)) {
		close(fd);
		return log_error(GROVE_ENOTFOUND, "log segment %s has no header", name);
	}
	memcpy(&size, hdr + 24, 8);
	encode_header(want, first_lsn, size);
	if (n != (ssize_t)sizeof hdr || memcmp(hdr, want, sizeof hdr) != 0 ||
	    size < LOG_SEGMENT_MIN_BYTES) {
		close(fd);
		return log_error(GROVE_ECORRUPT,
				 "log segment %s, offset 0: bad segment header", name);
	}
	*segment_bytes = size;
	return fd;
}

int log_segment_next_data(uint64_t *start, uint64_t *end, int fd, uint64_t pos,
			  uint64_t size)
{
	if (pos >= size)
		return 0;
	off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
	if (d < 0) {
		if (errno == ENXIO)
			return 0; /* no data at or after pos: the rest reads as zeros */
		/* The file system cannot tell (EINVAL: no SEEK_DATA): read it all. */
		*start = pos;
		*end = size;
		return 1;
	}
	if ((uint64_t)d >= size)
		return 0;
	off_t h = lseek(fd, d, SEEK_HOLE);
	*start = (uint64_t)d;
	*end = h > d && (uint64_t)h < size ? (uint64_t)h : size;
	return 1;
}

void log_segment_drop_cache(int fd, uint64_t from, uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	from = (from + page - 1) / page * page;
	if (from < size)
		(void)posix_fadvise(fd, (off_t)from, (off_t)(size - from), POSIX_FADV_DONTNEED);
}

static int parse_name(uint64_t *lsn, const char *name)
{
	char *end;
	if (strlen(name) != 24 || strcmp(name + 20, ".seg") != 0)
		return 0;
	for (int i = 0; i < 20; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	errno = 0;
	*lsn = strtoull(name, &end, 10);
	return errno == 0 && end == name + 20 && *lsn > 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

int log_segment_list(uint64_t **out, size_t *count, int dirfd)
{
	uint64_t *v = NULL, lsn;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int fd = dup(dirfd);
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		int err = -errno;
		if (fd >= 0)
			close(fd);
		return log_error(err, "cannot list the log directory: %s", strerror(-err));
	}
	rewinddir(d);
	while ((e = readdir(d))) {
		if (!parse_name(&lsn, e->d_name))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint64_t *nv = ncap <= LOG_SEGMENTS_MAX ? realloc(v, ncap * sizeof *v) : NULL;
			if (!nv) {
				free(v);
				closedir(d);
				return log_error(-ENOMEM, "too many log segments");
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = lsn;
	}
	closedir(d);
	qsort(v, n, sizeof *v, cmp_u64);
	*out = v;
	*count = n;
	return 0;
}
