/*
 * test_recover.c — what open does with the tail of the log: torn records
 * are cut exactly, corruption of acknowledged records refuses the open
 * with the segment and offset, half-created segments are dropped.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
