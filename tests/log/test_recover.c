/*
 * test_recover.c — what open does with the tail of the log: torn records
 * are cut exactly, corruption of acknowledged records refuses the open
 * with the segment and offset, half-created segments are dropped.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/log.h"
#include "log/record.h"
#include "log/segment.h"
#include "log_testutil.h"

#define BOTH_BACKENDS(suite, name)                                              \
	static void name##_body(int backend);                                    \
	Test(suite, name##_with_io_uring) { name##_body(GROVE_LOG_BACKEND_URING); } \
	Test(suite, name##_with_pwrite) { name##_body(GROVE_LOG_BACKEND_PWRITE); } \
	static void name##_body(int backend)

#define NRECORDS 40

/* A log of NRECORDS durable records in one segment; offsets[i] is where
 * record i+1 starts, offsets[NRECORDS] where the next would. */
static char *make_log(int backend, uint64_t offsets[NRECORDS + 1])
{
	struct log_options o = tu_small_options(backend);
	char *dir = tu_tempdir("recover"), *ld = tu_logdir(dir);
	struct log *log;
	uint8_t buf[256];

	cr_assert_eq(log_create(ld, &o), 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	offsets[0] = LOG_SEGMENT_HEADER_BYTES;
	for (uint64_t s = 1; s <= NRECORDS; s++) {
		size_t n = tu_payload(buf, 20 + s * 5, 0, s);
		cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)n, LOG_WAIT_DURABLE), 0);
		offsets[s] = offsets[s - 1] + log_record_span((uint32_t)n);
	}
	cr_assert_eq(log_close(log), 0);
	free(ld);
	return dir;
}

static char *segment_path(const char *dir, uint64_t first)
{
	char name[LOG_SEGMENT_NAME_BYTES], *p = malloc(strlen(dir) + 64);
	log_segment_name(name, first);
	sprintf(p, "%s/log/%s", dir, name);
	return p;
}

static void scribble(const char *dir, uint64_t off, const void *bytes, size_t n)
{
	char *p = segment_path(dir, 1);
	int fd = open(p, O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	close(fd);
	free(p);
}

/* Open, expecting recovery to end the log at `last`; returns the report. */
static struct log_recovery reopen_expect(const char *dir, int backend, uint64_t last)
{
	struct log_options o = tu_small_options(backend);
	struct log_recovery rep;
	struct log_cursor *c;
	struct log_record_view r;
	struct log *log;
	char *ld = tu_logdir(dir);
	uint64_t n = 0;
	uint8_t buf[64];
	int err;

	err = log_open(&log, ld, &o, &rep);
	cr_assert_eq(err, 0, "open: %s", log_errmsg());
	cr_assert_eq(rep.last_lsn, last);
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	while ((err = log_cursor_next(c, &r)) == 0)
		cr_assert_eq(r.lsn, ++n);
	cr_assert_eq(err, GROVE_ENOTFOUND);
	cr_assert_eq(n, last);
	log_cursor_close(c);
	/* The log goes on from the cut, and the next open is clean. */
	size_t len = tu_payload(buf, sizeof buf, 9, last + 1);
	uint64_t lsn;
	cr_assert_eq(log_append(log, &lsn, 1, buf, (uint32_t)len, LOG_WAIT_DURABLE), 0);
	cr_assert_eq(lsn, last + 1);
	log_close(log);
	struct log_recovery again;
	cr_assert_eq(log_open(&log, ld, &o, &again), 0);
	cr_assert_eq(again.last_lsn, last + 1);
	cr_assert_eq(again.truncated_bytes, 0);
	log_close(log);
	free(ld);
	return rep;
}

BOTH_BACKENDS(recovery, a_log_cut_mid_record_loses_exactly_that_record)
{
	uint64_t off[NRECORDS + 1];
	char *dir = make_log(backend, off);
	char *work = malloc(strlen(dir) + 8);
	sprintf(work, "%s.work", dir);

	/* Zero everything from a point inside one of the last 5 records: as
	 * if the write had stopped there. */
	for (uint64_t rec = NRECORDS - 4; rec <= NRECORDS; rec++) {
		/* Cuts inside the header or payload (padding is not data). */
		uint64_t data_end = off[rec - 1] + LOG_RECORD_HEADER_BYTES + 20 + rec * 5;
		for (uint64_t cut = off[rec - 1] + 1; cut < data_end; cut += 3) {
			tu_copytree(dir, work);
			static const uint8_t zeros[4096];
			cr_assert_leq(off[NRECORDS] - cut, sizeof zeros);
			scribble(work, cut, zeros, off[NRECORDS] - cut);
			struct log_recovery rep = reopen_expect(work, backend, rec - 1);
			cr_assert_eq(rep.truncated_offset, off[rec - 1]);
			cr_assert_eq(rep.truncated_lsn, rec);
			/* What is cut is the torn record's surviving bytes (up to
			 * its last non-zero byte), never anything before it. */
			cr_assert_geq(rep.truncated_bytes, 1);
			cr_assert_leq(rep.truncated_bytes, cut - off[rec - 1]);
			tu_rmtree(work);
		}
	}
	tu_rmtree(dir);
	free(dir);
	free(work);
}

BOTH_BACKENDS(recovery, garbage_over_the_tail_is_cut)
{
	uint64_t off[NRECORDS + 1];
	char *dir = make_log(backend, off);
	char *work = malloc(strlen(dir) + 8);
	uint8_t junk[2048];
	sprintf(work, "%s.work", dir);
	srand(42);
	for (int trial = 0; trial < 60; trial++) {
		/* Garbage from a random place inside the last 3 records to past
		 * the end of the data: a write that went wrong as it happened. */
		uint64_t start = off[NRECORDS - 3] + (uint64_t)rand() % (off[NRECORDS] - off[NRECORDS - 3]);
		size_t n = (size_t)(off[NRECORDS] - start) + (size_t)rand() % 512;
		for (size_t i = 0; i < n; i++)
			junk[i] = (uint8_t)(rand() | 1);
		uint64_t rec = NRECORDS - 3;
		while (off[rec] <= start)
			rec++;
		/* Record `rec` is the first that the garbage touches. */
		tu_copytree(dir, work);
		scribble(work, start, junk, n);
		struct log_recovery rep = reopen_expect(work, backend, rec - 1);
		cr_assert_eq(rep.truncated_offset, off[rec - 1]);
		cr_assert_eq(rep.truncated_bytes, start + n - off[rec - 1]);
		tu_rmtree(work);
	}
	tu_rmtree(dir);
	free(dir);
	free(work);
}

BOTH_BACKENDS(recovery, an_unacknowledged_batch_damaged_at_its_start_is_cut_whole)
{
	struct log_options o = tu_small_options(backend);
	char *dir = tu_tempdir("batch"), *ld = tu_logdir(dir);
	struct log *log;
	uint8_t buf[100];
	uint64_t first_of_batch_off = LOG_SEGMENT_HEADER_BYTES + 10 * log_record_span(100);

	cr_assert_eq(log_create(ld, &o), 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	for (uint64_t s = 1; s <= 10; s++)
		cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)tu_payload(buf, 100, 0, s),
					LOG_WAIT_DURABLE), 0);
	/* Records 11..15 go out in one batch with no fsync between them: none
	 * of them vouches for another. */
	for (uint64_t s = 11; s <= 15; s++)
		cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)tu_payload(buf, 100, 0, s),
					LOG_WAIT_NONE), 0);
	cr_assert_eq(log_wait(log, 15, LOG_WAIT_DURABLE), 0);
	log_close(log);
	/* A power cut that lost the batch's first sector but kept the rest. */
	static const uint8_t zeros[64];
	scribble(dir, first_of_batch_off, zeros, sizeof zeros);
	struct log_recovery rep = reopen_expect(dir, backend, 10);
	cr_assert_eq(rep.truncated_offset, first_of_batch_off);
	cr_assert_eq(rep.truncated_lsn, 11);
	free(ld);
	tu_rmtree(dir);
	free(dir);
}

BOTH_BACKENDS(recovery, a_damaged_acknowledged_record_refuses_the_open)
{
	uint64_t off[NRECORDS + 1];
	char *dir = make_log(backend, off);
	struct log_options o = tu_small_options(backend);
	char *ld = tu_logdir(dir), expect[128];
	struct log *log;
	uint8_t x = 0x5a;

	/* Record 20's payload is damaged; records 21.. were written after it
	 * was durable and say so. */
	scribble(dir, off[19] + LOG_RECORD_HEADER_BYTES + 3, &x, 1);
	cr_assert_eq(log_open(&log, ld, &o, NULL), GROVE_ECORRUPT);
	snprintf(expect, sizeof expect, "log segment 00000000000000000001.seg, offset %lu: record 20",
		 (unsigned long)off[19]);
	cr_assert(strstr(log_errmsg(), expect), "message: %s", log_errmsg());
	free(ld);
	tu_rmtree(dir);
	free(dir);
}

BOTH_BACKENDS(recovery, a_damaged_sealed_segment_is_reported_by_readers)
{
	struct log_options o = tu_small_options(backend);
	char *dir = tu_tempdir("sealed"), *ld = tu_logdir(dir);
	struct log *log;
	uint8_t buf[200];

	cr_assert_eq(log_create(ld, &o), 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	for (uint64_t s = 1; s <= 1000; s++)
		cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)tu_payload(buf, 200, 0, s),
					LOG_WAIT_WRITTEN), 0);
	cr_assert_eq(log_wait(log, 1000, LOG_WAIT_DURABLE), 0);
	log_close(log);
	uint8_t x = 0xff;
	uint64_t off = LOG_SEGMENT_HEADER_BYTES + 10 * log_record_span(200) + 100;
	scribble(dir, off, &x, 1); /* record 11 of the first segment */

	cr_assert_eq(log_open(&log, ld, &o, NULL), 0, "only the last segment is scanned at open");
	struct log_cursor *c;
	struct log_record_view r;
	int err;
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	while ((err = log_cursor_next(c, &r)) == 0)
		;
	cr_assert_eq(err, GROVE_ECORRUPT);
	cr_assert(strstr(log_errmsg(), "log segment 00000000000000000001.seg, offset"), "%s", log_errmsg());
	cr_assert(strstr(log_errmsg(), "record 11 fails its checksum"), "%s", log_errmsg());
	log_cursor_close(c);
	log_close(log);
	free(ld);
	tu_rmtree(dir);
	free(dir);
}

Test(recovery, a_segment_whose_creation_was_interrupted_is_removed)
{
	uint64_t off[NRECORDS + 1];
	char *dir = make_log(GROVE_LOG_BACKEND_PWRITE, off);
	char *p = segment_path(dir, NRECORDS + 1);
	/* A crash after creating and sizing the file, before its header. */
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 65536), 0);
	close(fd);
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_PWRITE);
	struct log_recovery rep;
	struct log *log;
	char *ld = tu_logdir(dir);
	cr_assert_eq(log_open(&log, ld, &o, &rep), 0, "%s", log_errmsg());
	cr_assert_eq(rep.removed_segments, 1);
	cr_assert_eq(rep.last_lsn, NRECORDS);
	cr_assert_eq(access(p, F_OK), -1);
	log_close(log);
	free(ld);
	free(p);
	tu_rmtree(dir);
	free(dir);
}

/* A named segment is always created whole (under a temporary name, then
 * renamed): one whose header reads as zeros but that holds records was
 * damaged, and removing it would drop them.  Open refuses and keeps it. */
Test(recovery, a_last_segment_with_a_zeroed_header_and_records_is_refused)
{
	uint64_t off[NRECORDS + 1];
	char *dir = make_log(GROVE_LOG_BACKEND_PWRITE, off);
	char *p = segment_path(dir, NRECORDS + 1);
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 65536), 0);
	cr_assert_eq(pwrite(fd, "a record's bytes", 16, 4096), 16);
	close(fd);
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_PWRITE);
	struct log_recovery rep;
	struct log *log;
	char *ld = tu_logdir(dir);
	cr_assert_eq(log_open(&log, ld, &o, &rep), GROVE_ECORRUPT);
	cr_assert(strstr(log_errmsg(), "the header is zeros but the segment holds records"), "%s",
		  log_errmsg());
	cr_assert_eq(access(p, F_OK), 0, "the segment is kept");
	free(ld);
	free(p);
	tu_rmtree(dir);
	free(dir);
}

/* A log of 64 KiB segments holding records 1..n of ~4 KiB, three
 * segments or more; *second: the first LSN of the second segment. */
static char *make_segments(uint64_t *n, uint64_t *second)
{
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_PWRITE);
	char *dir = tu_tempdir("recover-segs"), *ld = tu_logdir(dir);
	struct log *log;
	uint8_t buf[4000];
	uint64_t lsn = 0;

	cr_assert_eq(log_create(ld, &o), 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	*second = 0;
	while (tu_count_segments(ld) < 3) {
		size_t len = tu_payload(buf, sizeof buf, 0, lsn + 1);
		cr_assert_eq(log_append(log, &lsn, 1, buf, (uint32_t)len, LOG_WAIT_DURABLE), 0);
		if (!*second && tu_count_segments(ld) == 2)
			*second = lsn;
	}
	*n = lsn;
	cr_assert_eq(log_close(log), 0);
	free(ld);
	return dir;
}

static void zero_header(const char *dir, uint64_t first)
{
	char *p = segment_path(dir, first);
	int fd = open(p, O_WRONLY);
	uint8_t z[LOG_SEGMENT_HEADER_BYTES] = { 0 };
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, z, sizeof z, 0), (ssize_t)sizeof z);
	close(fd);
	free(p);
}

/* Only a last segment may be without its header (its creation cut
 * short); one with later segments after it lost its header to damage.
 * Open refuses it, and a cursor reading through it says so rather than
 * calling the log ended there (a replay would stop short and call the
 * views complete). */
Test(recovery, a_segment_with_later_ones_and_a_zeroed_header_is_damage)
{
	uint64_t n, second;
	char *dir = make_segments(&n, &second), *ld = tu_logdir(dir);
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_PWRITE);
	struct log *log;
	struct log_cursor *c;
	struct log_record_view r;
	char name[LOG_SEGMENT_NAME_BYTES];
	uint64_t seen = 0;
	int err;

	log_segment_name(name, second);
	/* Damaged while open: the cursor stops at the damage, with ECORRUPT. */
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0, "%s", log_errmsg());
	zero_header(dir, second);
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	while ((err = log_cursor_next(c, &r)) == 0)
		seen = r.lsn;
	cr_assert_eq(err, GROVE_ECORRUPT, "%d after LSN %lu of %lu", err, (unsigned long)seen,
		     (unsigned long)n);
	cr_assert_eq(seen, second - 1);
	cr_assert(strstr(log_errmsg(), name) && strstr(log_errmsg(), "has no header, and it holds records"),
		  "%s", log_errmsg());
	log_cursor_close(c);
	cr_assert_eq(log_close(log), 0);
	/* At open: refused, naming it. */
	cr_assert_eq(log_open(&log, ld, &o, NULL), GROVE_ECORRUPT);
	cr_assert(strstr(log_errmsg(), name) && strstr(log_errmsg(), "later segments follow: damaged"),
		  "%s", log_errmsg());
	free(ld);
	tu_rmtree(dir);
	free(dir);
}

/* ---- What open reads past the tail ----------------------------------
 *
 * Open reads, after the last intact record, only the stretches the file
 * system reports as data (log_segment_next_data): unwritten extents of the
 * preallocated segment read as zeros.  These tests put stale bytes where a
 * crash could have left them — anywhere after the tail, not only within
 * one batch of it — and check they are still found. */

#define BIG_SEGMENT (4u << 20)

/* A log in 4 MiB segments (small record and batch limits, so "far" is far
 * beyond both) holding records 1..10; returns the directory and sets
 * *tail to where record 11 would go. */
static char *make_big_log(int backend, uint64_t *tail)
{
	struct log_options o = tu_small_options(backend);
	char *dir = tu_tempdir("stale"), *ld = tu_logdir(dir);
	struct log *log;
	uint8_t buf[100];

	o.segment_bytes = BIG_SEGMENT;
	cr_assert_eq(log_create(ld, &o), 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	for (uint64_t s = 1; s <= 10; s++)
		cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)tu_payload(buf, 100, 0, s),
					LOG_WAIT_DURABLE), 0);
	cr_assert_eq(log_close(log), 0);
	*tail = LOG_SEGMENT_HEADER_BYTES + 10 * log_record_span(100);
	free(ld);
	return dir;
}

/* Write bytes into segment 1 the way a crash leaves them: `on_disk`, synced
 * and evicted from the page cache (a power cut: only the file system's
 * extents say where they are), or else dirty in the page cache (a killed
 * process). */
static void leave_stale(const char *dir, uint64_t off, const void *bytes, size_t n,
			bool on_disk)
{
	char *p = segment_path(dir, 1);
	int fd = open(p, O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	if (on_disk) {
		cr_assert_eq(fdatasync(fd), 0);
		cr_assert_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	}
	close(fd);
	free(p);
}

/* An intact record of `lsn` saying `durable` was on disk when it was
 * written, into out[]; returns its span. */
static size_t stale_record(uint8_t *out, uint64_t lsn, uint64_t durable)
{
	uint8_t payload[64];
	size_t n = tu_payload(payload, sizeof payload, 7, lsn);
	struct log_record_header h = { .magic = LOG_RECORD_MAGIC, .payload_bytes = (uint32_t)n,
				       .lsn = lsn, .durable_lsn = durable, .kind = 1 };
	log_record_encode(out, &h, log_payload_hash(payload, (uint32_t)n));
	memcpy(out + LOG_RECORD_HEADER_BYTES, payload, n);
	return (size_t)log_record_span((uint32_t)n);
}

static bool zeros_in_file(const char *dir, uint64_t from, uint64_t to)
{
	char *p = segment_path(dir, 1);
	int fd = open(p, O_RDONLY);
	static uint8_t buf[65536];
	bool zero = true;
	cr_assert(fd >= 0);
	while (zero && from < to) {
		size_t n = to - from < sizeof buf ? (size_t)(to - from) : sizeof buf;
		cr_assert_eq(pread(fd, buf, n, (off_t)from), (ssize_t)n);
		zero = log_bytes_zero(buf, n);
		from += n;
	}
	close(fd);
	free(p);
	return zero;
}

BOTH_BACKENDS(recovery, stale_bytes_anywhere_past_a_torn_tail_are_found_and_zeroed)
{
	uint64_t tail;
	char *dir = make_big_log(backend, &tail);
	char *work = malloc(strlen(dir) + 8);
	sprintf(work, "%s.work", dir);
	/* Record 11's first sectors were lost; a later fragment of the same
	 * never-acknowledged write survived: next to it, beyond any one batch
	 * or record (the limits are 16 KiB and 8 KiB), at the segment's end. */
	const uint64_t where[] = { tail + 4096 - 24, tail + 8192, tail + (1u << 20),
				   BIG_SEGMENT - 512 };
	for (int on_disk = 0; on_disk <= 1; on_disk++) {
		for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
			uint8_t rec[256];
			/* An intact record 12 that does not vouch for 11: were it
			 * left, appends reaching it could make it look valid. */
			size_t n = stale_record(rec, 12, 10);
			tu_copytree(dir, work);
			leave_stale(work, where[i], rec, n, on_disk);
			struct log_recovery rep = reopen_expect(work, backend, 10);
			cr_assert_eq(rep.truncated_offset, tail);
			cr_assert_eq(rep.truncated_lsn, 11);
			cr_assert_eq(rep.truncated_bytes, where[i] + n - tail,
				     "stale record at %lu (%s): cut %lu bytes",
				     (unsigned long)where[i], on_disk ? "on disk" : "cached",
				     (unsigned long)rep.truncated_bytes);
			cr_assert_geq(rep.tail_scanned_bytes, n);
			/* Zeroed (reopen_expect has appended a record 11 of 104
			 * bytes at the tail since). */
			cr_assert(zeros_in_file(work, tail + 256, BIG_SEGMENT));
			tu_rmtree(work);
		}
	}
	tu_rmtree(dir);
	free(dir);
	free(work);
}

BOTH_BACKENDS(recovery, a_record_far_past_a_damaged_one_still_vouches_for_it)
{
	uint64_t tail;
	char *dir = make_big_log(backend, &tail);
	struct log_options o = tu_small_options(backend);
	char *ld = tu_logdir(dir), expect[160];
	struct log *log;
	uint8_t rec[256];

	/* Record 11 is gone, and an intact record 1 MiB on says 11 had been
	 * durable: corruption, wherever the witness lies. */
	size_t n = stale_record(rec, 500, 11);
	leave_stale(dir, tail + (1u << 20), rec, n, true);
	cr_assert_eq(log_open(&log, ld, &o, NULL), GROVE_ECORRUPT);
	snprintf(expect, sizeof expect,
		 "offset %lu: record 11 is damaged, but record 500 at offset %lu",
		 (unsigned long)tail, (unsigned long)(tail + (1u << 20)));
	cr_assert(strstr(log_errmsg(), expect), "message: %s", log_errmsg());
	free(ld);
	tu_rmtree(dir);
	free(dir);
}

/* Can this file system tell a preallocated segment's unwritten extents
 * from data?  (Else open reads the whole rest of the segment, correctly.) */
static bool reports_holes(const char *dir, uint64_t size)
{
	char *p = segment_path(dir, 1);
	int fd = open(p, O_RDONLY);
	cr_assert(fd >= 0);
	off_t h = lseek(fd, 0, SEEK_HOLE);
	close(fd);
	free(p);
	return h >= 0 && (uint64_t)h < size;
}

/* The kernel's read-ahead window for files under `dir`, in bytes: how
 * far past the tail the prefix scan's read-around may have cached zeros,
 * which the file system then reports as data (128 KiB if unknown). */
static uint64_t readahead_bytes(const char *dir)
{
	struct stat st;
	char path[128];
	unsigned long kb = 128;
	if (stat(dir, &st) != 0)
		return kb << 10;
	for (int up = 0; up < 2; up++) { /* a partition's queue is its disk's */
		snprintf(path, sizeof path, "/sys/dev/block/%u:%u/%squeue/read_ahead_kb",
			 major(st.st_dev), minor(st.st_dev), up ? "../" : "");
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lu", &kb) != 1)
			kb = 128;
		fclose(f);
		break;
	}
	return (uint64_t)kb << 10;
}

static uint64_t scanned_at_open(const char *ld, const struct log_options *o)
{
	struct log_recovery rep;
	struct log *log;
	cr_assert_eq(log_open(&log, ld, o, &rep), 0, "%s", log_errmsg());
	cr_assert_eq(rep.truncated_bytes, 0);
	cr_assert_eq(log_close(log), 0);
	return rep.tail_scanned_bytes;
}

Test(recovery, open_reads_past_the_tail_only_what_may_hold_data)
{
	struct log_options o = tu_small_options(GROVE_LOG_BACKEND_PWRITE);
	char *dir = tu_tempdir("scan"), *ld = tu_logdir(dir);
	const uint64_t seg = 64u << 20;
	struct log *log;
	uint8_t buf[1000];

	o.segment_bytes = seg; /* the default size */
	cr_assert_eq(log_create(ld, &o), 0);
	if (!reports_holes(dir, seg)) {
		free(ld);
		tu_rmtree(dir);
		free(dir);
		cr_skip_test("the file system reports no holes: open reads whole segments");
	}
	/* A fresh log: its first page, not 64 MiB.  Reading records (or the
	 * header) may cache one read-around window of zeros past the tail
	 * (8 MiB on a disk whose read_ahead_kb is 8192), which the file
	 * system reports as data: read, from the cache, but no more. */
	uint64_t ra = readahead_bytes(dir);
	uint64_t fresh = scanned_at_open(ld, &o);
	cr_assert_leq(fresh, 64 * 1024 + ra, "a fresh log: %lu bytes read past the tail",
		      (unsigned long)fresh);
	/* A short tail: a few hundred KiB of records. */
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	for (uint64_t s = 1; s <= 300; s++)
		cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)tu_payload(buf, 1000, 0, s),
					LOG_WAIT_DURABLE), 0);
	cr_assert_eq(log_close(log), 0);
	uint64_t shortt = scanned_at_open(ld, &o);
	cr_assert_leq(shortt, 64 * 1024 + ra, "a short tail: %lu bytes read past it",
		      (unsigned long)shortt);
	/* A cold page cache: the records' read-ahead may cache zeros past the
	 * tail (reported as data, so read once); open drops them again, and
	 * the next open reads as little as before. */
	char *p = segment_path(dir, 1);
	int fd = open(p, O_RDONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
	free(p);
	uint64_t cold = scanned_at_open(ld, &o);
	cr_assert_lt(cold, seg);
	uint64_t after = scanned_at_open(ld, &o);
	cr_assert_leq(after, 64 * 1024 + ra, "after a cold open: %lu bytes read past the tail",
		      (unsigned long)after);
	free(ld);
	tu_rmtree(dir);
	free(dir);
}

/* A record larger than the limit of the process reopening the log is a
 * record all the same: the limit is a writer's option, not kept on disk,
 * and a reader taking the record for a torn tail would cut an
 * acknowledged write. */
BOTH_BACKENDS(recovery, a_record_over_the_reopening_processs_limit_is_kept)
{
	struct log_options o = tu_small_options(backend);
	char *dir = tu_tempdir("recover-big"), *ld = tu_logdir(dir);
	struct log *log;
	uint8_t buf[6000];

	cr_assert_eq(log_create(ld, &o), 0);
	cr_assert_eq(log_open(&log, ld, &o, NULL), 0);
	size_t n = tu_payload(buf, sizeof buf, 0, 1);
	cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)n, LOG_WAIT_DURABLE), 0);
	cr_assert_eq(log_close(log), 0);

	struct log_recovery rep;
	o.max_record_bytes = 1024;
	cr_assert_eq(log_open(&log, ld, &o, &rep), 0, "%s", log_errmsg());
	cr_assert_eq(rep.truncated_bytes, 0);
	struct log_cursor *c;
	struct log_record_view r;
	cr_assert_eq(log_cursor_open(&c, log, 1), 0);
	cr_assert_eq(log_cursor_next(c, &r), 0, "%s", log_errmsg());
	cr_assert_eq(r.payload_bytes, n);
	cr_assert_eq(memcmp(r.payload, buf, n), 0);
	log_cursor_close(c);
	/* Writes are still held to this process's limit. */
	cr_assert_eq(log_append(log, NULL, 1, buf, (uint32_t)n, LOG_WAIT_DURABLE), GROVE_ETOOBIG);
	cr_assert_eq(log_close(log), 0);
	cr_assert_eq(log_open(&log, ld, &o, &rep), 0, "%s", log_errmsg());
	cr_assert_eq(rep.last_lsn, 1);
	cr_assert_eq(log_close(log), 0);
	tu_rmtree(dir);
	free(ld);
	free(dir);
}
