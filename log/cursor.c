/*
 * cursor.c — reading the log in LSN order from any LSN.
 *
 * A cursor maps one segment at a time read-only.  Seeking to an LSN is a
 * binary search over the segments' first LSNs, then a hop from the nearest
 * sparse mark (at most about LOG_MARK_BYTES away) header to header.  Marks
 * exist for segments written or recovered by this process; a sealed segment
 * from an earlier run gets its marks from the first cursor that hops
 * through it.  Cursors never read past the durable LSN, so they never see a
 * record that a crash could still take away.
 *
 * A mapping is counted: the cursor holds one reference and each
 * log_cursor_hold() another, so a payload someone holds stays mapped after
 * the cursor moved to the next segment (a replay holding a large load's
 * chunks points into them instead of copying them: the copies were ~200
 * MiB of fresh memory for a 3M-row load).  Segments are append-only and
 * are not truncated while the log is open, so held bytes never change.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "grove.h"
#include "log/error.h"
#include "log/log_impl.h"
#include "log/record.h"
#include "log/segment.h"

struct log_hold {
	const uint8_t *base;
	uint64_t bytes;
	atomic_uint refs;
};

struct log_cursor {
	struct log *log;
	struct log_hold *seg;    /* the mapped segment, or NULL (none yet) */
	uint64_t next_lsn;       /* the LSN the next call returns          */
	uint64_t seg_first;      /* first LSN of the mapped segment (0: none) */
	uint64_t seg_end_lsn;    /* first LSN of the segment after it (0: none) */
	uint64_t off;            /* offset of record next_lsn in the mapping */
};

void log_hold_release(struct log_hold *h)
{
	if (h && atomic_fetch_sub(&h->refs, 1) == 1) {
		munmap((void *)h->base, h->bytes);
		free(h);
	}
}

struct log_hold *log_cursor_hold(struct log_cursor *c)
{
	if (c->seg)
		atomic_fetch_add(&c->seg->refs, 1);
	return c->seg;
}

static void unmap(struct log_cursor *c)
{
	log_hold_release(c->seg);
	c->seg = NULL;
	c->seg_first = 0;
}

static int map_segment(struct log_cursor *c, uint64_t first_lsn)
{
	char name[LOG_SEGMENT_NAME_BYTES];
	uint64_t bytes;
	int fd = log_segment_open(&bytes, c->log->dirfd, first_lsn, 0);

	/* The cursor maps only segments that hold durable records: one
	 * without a header lost it (ENOTFOUND would read as the log's end). */
	if (fd == GROVE_ENOTFOUND)
		return log_error(GROVE_ECORRUPT, "%s, and it holds records", log_errmsg());
	if (fd < 0)
		return fd;
	struct log_hold *h = malloc(sizeof *h);
	void *m = h ? mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
	int saved = h ? errno : ENOMEM;
	close(fd);
	if (m == MAP_FAILED) {
		free(h);
		log_segment_name(name, first_lsn);
		return log_error(-saved, "cannot map log segment %s: %s", name, strerror(saved));
	}
	*h = (struct log_hold){ .base = m, .bytes = bytes };
	atomic_init(&h->refs, 1);
	c->seg = h;
	c->seg_first = first_lsn;
	return 0;
}

static int damaged(const struct log_cursor *c, const char *what)
{
	char name[LOG_SEGMENT_NAME_BYTES];
	log_segment_name(name, c->seg_first);
	return log_error(GROVE_ECORRUPT, "log segment %s, offset %lu: record %lu %s", name,
			 (unsigned long)c->off, (unsigned long)c->next_lsn, what);
}

/* Decode the header at c->off, which must be record c->next_lsn. */
static int header_here(struct log_cursor *c, struct log_record_header *h)
{
	if (c->off + LOG_RECORD_HEADER_BYTES > c->seg->bytes ||
	    !log_record_decode(h, c->seg->base + c->off, LOG_RECORD_READ_MAX))
		return damaged(c, "has a bad header");
	if (h->lsn != c->next_lsn)
		return damaged(c, "is missing: another LSN is in its place");
	if (c->off + log_record_span(h->payload_bytes) > c->seg->bytes)
		return damaged(c, "runs past the end of its segment");
	return 0;
}

/* Under mu: the segment holding `lsn`, its successor's first LSN, and the
 * best mark to start from. */
static size_t locate(struct log *log, uint64_t lsn, struct log_mark *start)
{
	size_t lo = 0, hi = log->nsegs;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (log->segs[mid].first_lsn <= lsn)
			lo = mid;
		else
			hi = mid;
	}
	struct log_segment *s = &log->segs[lo];
	*start = (struct log_mark){ s->first_lsn, LOG_SEGMENT_HEADER_BYTES };
	for (uint32_t a = 0, b = s->nmarks; a < b;) {
		uint32_t m = (a + b) / 2;
		if (s->marks[m].lsn <= lsn) {
			*start = s->marks[m];
			a = m + 1;
		} else {
			b = m;
		}
	}
	return lo;
}

static void learn_mark(struct log *log, size_t seg, uint64_t lsn, uint64_t off)
{
	pthread_mutex_lock(&log->mu);
	struct log_segment *s = &log->segs[seg];
	if (!s->marks_complete &&
	    (s->nmarks == 0 || (s->marks[s->nmarks - 1].lsn < lsn &&
				off / LOG_MARK_BYTES != s->marks[s->nmarks - 1].offset / LOG_MARK_BYTES)))
		(void)log_mark_add(s, lsn, off);
	pthread_mutex_unlock(&log->mu);
}

/* Position the cursor on record `lsn` (known to be durable). */
static int seek(struct log_cursor *c, uint64_t lsn)
{
	struct log_mark start;
	struct log_record_header h;
	int err;

	pthread_mutex_lock(&c->log->mu);
	size_t seg = locate(c->log, lsn, &start);
	uint64_t first = c->log->segs[seg].first_lsn;
	c->seg_end_lsn = seg + 1 < c->log->nsegs ? c->log->segs[seg + 1].first_lsn : 0;
	pthread_mutex_unlock(&c->log->mu);

	if (c->seg_first != first) {
		unmap(c);
		if ((err = map_segment(c, first)) < 0)
			return err;
	}
	c->off = start.offset;
	c->next_lsn = start.lsn;
	while (c->next_lsn < lsn) {
		if ((err = header_here(c, &h)) < 0)
			return err;
		c->off += log_record_span(h.payload_bytes);
		c->next_lsn++;
		learn_mark(c->log, seg, c->next_lsn, c->off);
	}
	return 0;
}

int log_cursor_open(struct log_cursor **out, struct log *log, uint64_t from_lsn)
{
	struct log_cursor *c;

	if (from_lsn == 0)
		return log_error(GROVE_EINVAL, "LSNs start at 1");
	if (!(c = calloc(1, sizeof *c)))
		return log_error(-ENOMEM, "out of memory");
	c->log = log;
	c->next_lsn = from_lsn;
	c->off = UINT64_MAX; /* not positioned */
	*out = c;
	return 0;
}

int log_cursor_next(struct log_cursor *c, struct log_record_view *rec)
{
	struct log_record_header h;
	int err;

	if (c->next_lsn > log_durable_lsn(c->log))
		return GROVE_ENOTFOUND;
	if (c->off == UINT64_MAX || !c->seg ||
	    (c->seg_end_lsn && c->next_lsn >= c->seg_end_lsn) ||
	    c->off + LOG_RECORD_HEADER_BYTES > c->seg->bytes ||
	    log_bytes_zero(c->seg->base + c->off, LOG_RECORD_HEADER_BYTES)) {
		if ((err = seek(c, c->next_lsn)) < 0)
			return err;
	}
	if ((err = header_here(c, &h)) < 0)
		return err;
	const uint8_t *payload = c->seg->base + c->off + LOG_RECORD_HEADER_BYTES;
	if (!log_record_verify(&h, payload))
		return damaged(c, "fails its checksum");
	rec->lsn = h.lsn;
	rec->kind = h.kind;
	rec->payload_bytes = h.payload_bytes;
	rec->payload = payload;
	c->off += log_record_span(h.payload_bytes);
	c->next_lsn++;
	return 0;
}

void log_cursor_close(struct log_cursor *c)
{
	if (!c)
		return;
	unmap(c);
	free(c);
}
