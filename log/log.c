/*
 * log.c — creating, opening (with tail recovery) and closing the log, and
 * the in-memory list of its segments.
 */
#include "log/log.h"

#include <assert.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grove.h"
#include "log/direct.h"
#include "log/error.h"
#include "log/log_impl.h"
#include "log/record.h"
#include "log/recover.h"
#include "log/segment.h"

#define MiB (1024u * 1024u)

/* Fill in defaults and check that the limits fit together: a record of
 * max_record_bytes must fit in an empty segment. */
static int resolve_options(struct log_options *o, const struct log_options *in)
{
	static const struct log_options none;
	*o = in ? *in : none;
	if (!o->segment_bytes)
		o->segment_bytes = 64 * (uint64_t)MiB;
	if (!o->max_record_bytes)
		o->max_record_bytes = 40 * MiB;  /* a 32 MiB JSONL line's row, and its framing */
	if (!o->max_batch_bytes)
		o->max_batch_bytes = 8 * MiB;
	if (!o->max_waiters)
		o->max_waiters = 4096;
	if (o->segment_bytes < LOG_SEGMENT_MIN_BYTES || o->segment_bytes > (1ull << 40))
		return log_error(GROVE_EINVAL, "log segment size %lu is outside [%u, 2^40]",
				 (unsigned long)o->segment_bytes, LOG_SEGMENT_MIN_BYTES);
	uint64_t room = o->segment_bytes - LOG_SEGMENT_HEADER_BYTES;
	if (log_record_span(o->max_record_bytes) > room)
		o->max_record_bytes = (uint32_t)(room - LOG_RECORD_HEADER_BYTES) &
				      ~(LOG_RECORD_ALIGN - 1);
	if (o->max_batch_bytes > room)
		o->max_batch_bytes = (uint32_t)(room < UINT32_MAX ? room : UINT32_MAX);
	return 0;
}

int log_mark_add(struct log_segment *seg, uint64_t lsn, uint64_t offset)
{
	assert(seg->nmarks == 0 || seg->marks[seg->nmarks - 1].lsn < lsn);
	if (seg->nmarks == seg->capmarks) {
		uint32_t cap = seg->capmarks ? seg->capmarks * 2 : 16;
		struct log_mark *m = realloc(seg->marks, cap * sizeof *m);
		if (!m)
			return -ENOMEM; /* marks only speed seeks up; none is fine */
		seg->marks = m;
		seg->capmarks = cap;
	}
	seg->marks[seg->nmarks++] = (struct log_mark){ lsn, offset };
	return 0;
}

int log_segment_push(struct log *log, uint64_t first_lsn, uint64_t bytes)
{
	assert(log->nsegs == 0 || log->segs[log->nsegs - 1].first_lsn < first_lsn);
	if (log->nsegs == log->capsegs) {
		size_t cap = log->capsegs ? log->capsegs * 2 : 16;
		struct log_segment *s = cap <= LOG_SEGMENTS_MAX
			? realloc(log->segs, cap * sizeof *s) : NULL;
		if (!s)
			return log_error(-ENOMEM, "too many log segments");
		log->segs = s;
		log->capsegs = cap;
	}
	log->segs[log->nsegs++] = (struct log_segment){ .first_lsn = first_lsn, .bytes = bytes };
	return 0;
}

int log_create(const char *dir, const struct log_options *opts)
{
	struct log_options o;
	int dirfd, fd, err;

	if ((err = resolve_options(&o, opts)) < 0)
		return err;
	if (mkdir(dir, 0755) < 0)
		return log_error(-errno, "cannot create log directory %s: %s", dir, strerror(errno));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return log_error(-errno, "cannot open log directory %s: %s", dir, strerror(errno));
	fd = log_segment_create(dirfd, 1, o.segment_bytes);
	close(dirfd);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Does segment `first` hold a non-zero byte anywhere?  1, 0, or an error.
 * Only what the file system reports as data is read. */
static int segment_holds_data(int dirfd, uint64_t first)
{
	char name[LOG_SEGMENT_NAME_BYTES];
	uint8_t buf[65536];
	struct stat st;
	uint64_t a, b, pos;
	int found = 0;

	log_segment_name(name, first);
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int err = log_error(-errno, "cannot read log segment %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	for (pos = 0; !found && log_segment_next_data(&a, &b, fd, pos, (uint64_t)st.st_size); pos = b)
		for (uint64_t at = a; !found && at < b; at += sizeof buf) {
			size_t want = b - at < sizeof buf ? (size_t)(b - at) : sizeof buf;
			ssize_t got = pread(fd, buf, want, (off_t)at);
			if (got <= 0)
				break;
			found = !log_bytes_zero(buf, (size_t)got);
		}
	close(fd);
	return found;
}

/* Load the segment list; drop a last segment whose creation a crash
 * interrupted (no header and nothing else: nothing in it was ever
 * acknowledged).  Segments are created under a temporary name and
 * renamed whole (segment.c), so a named one without a header that holds
 * data was damaged: refused, never removed with the records it holds. */
static int load_segments(struct log *log, struct log_recovery *rep)
{
	uint64_t *firsts = NULL, bytes;
	size_t n = 0;
	int err, fd;

	if ((err = log_segment_list(&firsts, &n, log->dirfd)) < 0)
		return err;
	if (n == 0) {
		free(firsts);
		return log_error(GROVE_ECORRUPT, "log directory %s has no segments", log->dir);
	}
	for (size_t i = 0; i < n; i++) {
		fd = log_segment_open(&bytes, log->dirfd, firsts[i], 0);
		if (fd == GROVE_ENOTFOUND && i == n - 1 && n > 1) {
			char name[LOG_SEGMENT_NAME_BYTES];
			log_segment_name(name, firsts[i]);
			int data = segment_holds_data(log->dirfd, firsts[i]);
			if (data != 0) {
				err = data < 0 ? data
				      : log_error(GROVE_ECORRUPT, "log segment %s, offset 0: the header "
						  "is zeros but the segment holds records: damaged, not removed",
						  name);
				break;
			}
			if (unlinkat(log->dirfd, name, 0) < 0 || fsync(log->dirfd) < 0) {
				err = log_error(-errno, "cannot remove empty segment %s", name);
				break;
			}
			rep->removed_segments++;
			continue;
		}
		if (fd == GROVE_ENOTFOUND) {
			/* Only a last segment may lack its header (above). */
			err = log_error(GROVE_ECORRUPT, "%s%s: damaged", log_errmsg(),
					i + 1 < n ? ", and later segments follow" : "");
			break;
		}
		if (fd < 0) {
			err = fd;
			break;
		}
		close(fd);
		if ((err = log_segment_push(log, firsts[i], bytes)) < 0)
			break;
	}
	free(firsts);
	return err;
}

static int open_tail(struct log *log, struct log_recovery *rep)
{
	struct log_segment *last = &log->segs[log->nsegs - 1];
	uint64_t bytes, end_off, last_lsn;
	int fd, err;

	/* A killed writer's direct writes may still be on their way: they
	 * must land before the tail is read (direct.h). */
	if ((err = log_direct_wait(log->dirfd, last->first_lsn)) < 0)
		return err;
	fd = log_segment_open(&bytes, log->dirfd, last->first_lsn, 1);
	if (fd < 0)
		return fd;
	err = log_recover_tail(&end_off, &last_lsn, fd, last, LOG_RECORD_READ_MAX,
			       log->opt.acked_lsn, rep);
	if (err == 0 && last_lsn < log->opt.acked_lsn)
		err = log_error(GROVE_ECORRUPT,
				"the log ends at record %lu, but the graph was closed cleanly after "
				"record %lu was on disk: records are missing (to open the graph "
				"without them, delete views/SESSION)",
				(unsigned long)last_lsn, (unsigned long)log->opt.acked_lsn);
	/* Records a killed process wrote but never synced survive in the page
	 * cache; sync them before they count as durable (readers trust
	 * durable_lsn, and an OS crash must not take back what they saw). */
	if (err == 0 && fdatasync(fd) < 0)
		err = log_error(-errno, "cannot sync the log's last segment: %s", strerror(errno));
	if (err < 0) {
		close(fd);
		return err;
	}
	last->marks_complete = true;
	log->cur_fd = fd;
	log->cur_dfd = log_direct_open(log->dirfd, last->first_lsn);
	log->cur_seg = last->first_lsn;
	log->tail_seg = last->first_lsn;
	log->tail_off = end_off;
	log->next_lsn = last_lsn + 1;
	log->written_lsn = last_lsn;
	log->durable_lsn = last_lsn;
	log->sync_request_lsn = last_lsn;
	rep->last_lsn = last_lsn;
	return 0;
}

static void log_free(struct log *log)
{
	for (size_t i = 0; i < log->nsegs; i++)
		free(log->segs[i].marks);
	free(log->segs);
	log_buf_free(&log->fill);
	log_buf_free(&log->io);
	free(log->ready);
	if (log->backend)
		log->backend->destroy(log->backend);
	if (log->cur_fd >= 0)
		close(log->cur_fd);
	log_direct_close(log->cur_dfd);
	if (log->dirfd >= 0)
		close(log->dirfd);
	pthread_mutex_destroy(&log->mu);
	pthread_cond_destroy(&log->cv_space);
	free(log->dir);
	free(log);
}

int log_open(struct log **out, const char *dir, const struct log_options *opts,
	     struct log_recovery *report)
{
	struct log_recovery scratch;
	struct log *log = calloc(1, sizeof *log);
	int err;

	if (!log)
		return log_error(-ENOMEM, "out of memory");
	struct log_recovery *rep = report ? report : &scratch;
	memset(rep, 0, sizeof *rep);
	log->dirfd = log->cur_fd = log->cur_dfd = -1;
	/* Adaptive: appenders hold the mutex for a memcpy, so a contended
	 * lock is better spun on briefly than slept on. */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&log->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_cond_init(&log->cv_space, NULL);
	if ((err = resolve_options(&log->opt, opts)) < 0)
		goto fail;
	if (!(log->dir = strdup(dir))) {
		err = log_error(-ENOMEM, "out of memory");
		goto fail;
	}
	log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dirfd < 0) {
		err = log_error(-errno, "cannot open log directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	if ((err = load_segments(log, rep)) < 0 || (err = open_tail(log, rep)) < 0)
		goto fail;
	/* Appends go on in the segment's own size, whatever the options say. */
	log->opt.segment_bytes = log->segs[log->nsegs - 1].bytes;
	if ((err = resolve_options(&log->opt, &log->opt)) < 0 ||
	    (err = log_backend_create(&log->backend, log->opt.backend)) < 0 ||
	    (err = log_writer_start(log)) < 0)
		goto fail;
	*out = log;
	return 0;
fail:
	log_free(log);
	return err;
}

int log_close(struct log *log)
{
	int err;

	if (!log)
		return 0;
	log_writer_stop(log);
	err = log->poisoned ? log_error(log->poisoned, "%s", log->poison_msg) : 0;
	/* Readers' read-around cached zeros past the tail; uncached, they are
	 * holes again to the next open's scan (recover.c). */
	if (!err && log->cur_fd >= 0 && log->cur_seg == log->tail_seg)
		log_segment_drop_cache(log->cur_fd, log->tail_off, log->opt.segment_bytes);
	log_free(log);
	return err;
}

uint64_t log_last_lsn(struct log *log)
{
	pthread_mutex_lock(&log->mu);
	uint64_t v = log->next_lsn - 1;
	pthread_mutex_unlock(&log->mu);
	return v;
}

uint64_t log_durable_lsn(struct log *log)
{
	return atomic_load(&log->durable_lsn);
}

const char *log_backend_name(const struct log *log)
{
	return log->backend->name;
}

void log_stats_get(struct log_stats *out, struct log *log)
{
	pthread_mutex_lock(&log->mu);
	*out = log->stats;
	pthread_mutex_unlock(&log->mu);
}

uint32_t log_max_record_bytes(const struct log *log)
{
	return log->opt.max_record_bytes;
}
