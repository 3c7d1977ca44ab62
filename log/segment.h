/*
 * segment.h — log segment files.
 *
 * The log is a sequence of fixed-size files in the graph's log/ directory,
 * each named by the LSN of its first record (20 decimal digits + ".seg",
 * so names sort in LSN order) and preallocated with fallocate() so that
 * appending never changes a file's size and fdatasync() flushes data only.
 *
 * A segment starts with a 40-byte header, then records (record.h) back to
 * back; the unwritten rest reads as zeros.  A segment is *sealed* (fsynced,
 * never written again) before the next one is created, so only the last
 * segment can have a torn tail.
 *
 *   off size field
 *     0    8 magic          "GROVESEG"
 *     8    4 version        LOG_SEGMENT_VERSION
 *    12    4 header_bytes   40
 *    16    8 first_lsn      equals the file name
 *    24    8 segment_bytes  the file's preallocated size
 *    32    8 checksum       XXH3-64 of bytes 0..31
 */
#ifndef GROVE_LOG_SEGMENT_H
#define GROVE_LOG_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#define LOG_SEGMENT_HEADER_BYTES 40u
#define LOG_SEGMENT_VERSION      1u
#define LOG_SEGMENT_NAME_BYTES   32u
#define LOG_SEGMENT_MIN_BYTES    (64u * 1024u)
#define LOG_SEGMENTS_MAX         (1u << 20)

/* "00000000000000000001.seg" */
void log_segment_name(char out[LOG_SEGMENT_NAME_BYTES], uint64_t first_lsn);

/* Create, preallocate, stamp and fsync a segment, then fsync the directory
 * so the name itself is durable.  Returns an O_RDWR fd or a negative error. */
int log_segment_create(int dirfd, uint64_t first_lsn, uint64_t segment_bytes);

/* Open a segment and check its header against its name.  On success
 * returns the fd and sets *segment_bytes.  A header that is all zeros (a
 * crash while the file was being created) returns GROVE_ENOTFOUND; any
 * other mismatch GROVE_ECORRUPT with a message. */
int log_segment_open(uint64_t *segment_bytes, int dirfd, uint64_t first_lsn,
		     int writable);

/* The next stretch of segment `fd` at or after `pos` (and below `size`)
 * that may hold non-zero bytes: sets [*start, *end) and returns 1, or
 * returns 0 when all of [pos, size) reads as zeros.  Asks the file system
 * (lseek SEEK_DATA / SEEK_HOLE) where its holes and unwritten
 * (preallocated, never written) extents are: those read as zeros by
 * definition, so skipping them is exact.  The answer may only err towards
 * "data" (an FS without SEEK_DATA reports the whole file as data; ext4 and
 * XFS report an unwritten extent with pages in the page cache as data; a
 * range written with zeros is data): then the caller reads more than it
 * needs to, never less.  Moves fd's file offset (the log never uses it). */
int log_segment_next_data(uint64_t *start, uint64_t *end, int fd, uint64_t pos,
			  uint64_t size);

/* Drop the clean page-cache pages of [from rounded up to a page, size):
 * past a segment's tail they are the zeros of unwritten extents that
 * read-around brought in, and while cached the file system reports them
 * as data to log_segment_next_data, so the next open would read them.  A
 * hint only: dirty and mapped pages stay. */
void log_segment_drop_cache(int fd, uint64_t from, uint64_t size);

/* The first LSNs of every segment in the directory, ascending.  *out is
 * malloc'd (free it); files that are not segments are ignored. */
int log_segment_list(uint64_t **out, size_t *count, int dirfd);

#endif
