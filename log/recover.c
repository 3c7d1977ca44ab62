/*
 * recover.c — find the end of the log after a crash.
 *
 * A crash can leave the last batch half-written: any prefix of it, and
 * after a power cut even any subset of its sectors.  None of that batch was
 * acknowledged (acknowledgement waits for the fdatasync), so recovery may
 * cut everything from the first damaged record on — unless a later intact
 * record says, through its durable_lsn field, that the damaged one had
 * been on disk already.  Then the damage is not a torn write but
 * corruption of acknowledged data, and open refuses to guess.
 */
#include "log/recover.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/record.h"
#include "log/segment.h"

/* Is there an intact record at `off` of the mapping?  Fills `h`. */
static bool intact_at(struct log_record_header *h, const uint8_t *m, uint64_t size,
		      uint64_t off, uint32_t max_payload_bytes)
{
	if (off + LOG_RECORD_HEADER_BYTES > size ||
	    !log_record_decode(h, m + off, max_payload_bytes))
		return false;
	return off + log_record_span(h->payload_bytes) <= size &&
	       log_record_verify(h, m + off + LOG_RECORD_HEADER_BYTES);
}

/* Offset just past the last non-zero byte of [from, to), or `from`. */
static uint64_t nonzero_end(const uint8_t *m, uint64_t from, uint64_t to)
{
	uint64_t end = to;
	while (end > from && end - from >= 4096 && log_bytes_zero(m + end - 4096, 4096))
		end -= 4096;
	while (end > from && m[end - 1] == 0)
		end--;
	return end;
}

static int zero_range(int fd, uint64_t from, uint64_t to)
{
	static const uint8_t zeros[65536];
	while (from < to) {
		size_t n = to - from < sizeof zeros ? (size_t)(to - from) : sizeof zeros;
		ssize_t w = pwrite(fd, zeros, n, (off_t)from);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO; /* no progress: never loop on it */
		from += (uint64_t)w;
	}
	return fdatasync(fd) < 0 ? -errno : 0;
}

/* After the intact prefix ends at `off` with `expect` the next LSN: decide
 * torn tail or corruption, and cut a torn tail.
 *
 * Which bytes must be looked at?  A crash can leave stale bytes of writes
 * that were never made durable anywhere after `off`, not only right after
 * it: the sectors of a batch persist in any order, so a lost first sector
 * can sit in front of surviving later ones.  They must all be found — a
 * later append that happened to end just before a stale record carrying the
 * next LSN would make that never-acknowledged record valid — so the whole
 * rest of the segment is in question.  A bound from the writer's limits
 * (one batch of max_batch_bytes, or one record of max_record_bytes) would
 * not be sound: only one batch is *in flight* at a time, but a batch of
 * appends that nobody waits for (LOG_WAIT_NONE, LOG_WAIT_WRITTEN) is written
 * without an fdatasync, and the next starts when it completes, so any number
 * of unsynced batches may sit in the page cache when the power goes, and
 * the kernel writes them back in any order; and the limits are options of
 * the process that wrote them, which are not kept on disk.
 *
 * What keeps open cheap is that segments are preallocated: the rest of a
 * segment is a run of unwritten extents, which the file system reports as
 * holes, and a hole reads as zeros by definition, so it can hold no stale
 * byte.  Only the stretches reported as data are read
 * (log_segment_next_data): the tail's last page, whatever read-ahead
 * cached around it, and whatever a crashed process wrote.  Where the file
 * system cannot tell, everything is data and the whole rest is read, as
 * before.  rep->tail_scanned_bytes counts what was read. */
static int judge_tail(const uint8_t *m, uint64_t size, uint64_t off, uint64_t expect,
		      int fd, const char *name, uint32_t max_payload_bytes, uint64_t acked,
		      struct log_recovery *rep)
{
	struct log_record_header h;
	uint64_t a, b, pos, end = off;

	/* Where does the last non-zero byte after `off` end? */
	for (pos = off; log_segment_next_data(&a, &b, fd, pos, size); pos = b) {
		if (a < pos)
			a = pos;
		rep->tail_scanned_bytes += b - a;
		if (!log_bytes_zero(m + a, b - a))
			end = nonzero_end(m, a, b);
	}
	if (end == off)
		return 0; /* a clean end: preallocated zeros */
	/* Does an intact record after the damage vouch for it?  A record's
	 * magic is non-zero, so only offsets inside data stretches, before
	 * `end`, can hold one. */
	for (pos = off + LOG_RECORD_ALIGN; pos < end &&
	     log_segment_next_data(&a, &b, fd, pos, end); pos = b) {
		uint64_t o = a < pos ? pos : (a + LOG_RECORD_ALIGN - 1) & ~(uint64_t)(LOG_RECORD_ALIGN - 1);
		for (; o < b && o + LOG_RECORD_HEADER_BYTES <= size; o += LOG_RECORD_ALIGN) {
			if (intact_at(&h, m, size, o, max_payload_bytes) && h.durable_lsn >= expect)
				return log_error(GROVE_ECORRUPT,
						 "log segment %s, offset %lu: record %lu is damaged, but "
						 "record %lu at offset %lu shows it had been acknowledged",
						 name, (unsigned long)off, (unsigned long)expect,
						 (unsigned long)h.lsn, (unsigned long)o);
		}
	}
	/* Nothing later vouches for it, but the last clean close does. */
	if (expect <= acked)
		return log_error(GROVE_ECORRUPT,
				 "log segment %s, offset %lu: record %lu is damaged, but the graph "
				 "was closed cleanly after record %lu was on disk; not cut (to open "
				 "the graph without the damaged records, delete views/SESSION)",
				 name, (unsigned long)off, (unsigned long)expect,
				 (unsigned long)acked);
	rep->truncated_bytes = end - off;
	rep->truncated_lsn = expect;
	rep->truncated_offset = off;
	snprintf(rep->segment, sizeof rep->segment, "%s", name);
	int err = zero_range(fd, off, end);
	if (err < 0)
		return log_error(err, "cannot cut the torn tail of log segment %s: %s",
				 name, strerror(-err));
	return 0;
}

int log_recover_tail(uint64_t *end_off, uint64_t *last_lsn, int fd,
		     struct log_segment *seg, uint32_t max_payload_bytes, uint64_t acked,
		     struct log_recovery *rep)
{
	char name[LOG_SEGMENT_NAME_BYTES];
	struct log_record_header h;
	uint64_t size = seg->bytes, off = LOG_SEGMENT_HEADER_BYTES;
	uint64_t expect = seg->first_lsn;
	const uint8_t *m;
	int err;

	log_segment_name(name, seg->first_lsn);
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return log_error(-errno, "cannot map log segment %s: %s", name, strerror(errno));
	while (intact_at(&h, m, size, off, max_payload_bytes) && h.lsn == expect) {
		if (seg->nmarks == 0 ||
		    off / LOG_MARK_BYTES != seg->marks[seg->nmarks - 1].offset / LOG_MARK_BYTES)
			if ((err = log_mark_add(seg, h.lsn, off)) < 0)
				goto out;
		off += log_record_span(h.payload_bytes);
		expect++;
	}
	/* Past the tail, read only what judge_tail asks for: read-around would
	 * fill the page cache with the zeros of unwritten extents, which the
	 * file system then reports as data (to this scan and the next open's). */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	(void)madvise((uint8_t *)m + off / page * page, size - off / page * page, MADV_RANDOM);
	err = judge_tail(m, size, off, expect, fd, name, max_payload_bytes, acked, rep);
	*end_off = off;
	*last_lsn = expect - 1;
out:
	munmap((void *)m, size);
	/* Leave no read-around zeros cached past the tail (nor past a cut,
	 * whose zeros were written and are data anyway) to the next open. */
	if (err == 0)
		log_segment_drop_cache(fd, off + rep->truncated_bytes, size);
	return err;
}
