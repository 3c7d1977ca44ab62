/* load_feed.c — a load's records read ahead on a second thread (see
 * load_feed.h).
 *
 * The reader thread fills batches of records and hands each over whole,
 * so the two threads meet once per FEED_BATCH records, not per record.
 * A record's JSON tree is the reader's until its next record; the thread
 * keeps a reference to each tree it hands over, and drops them when the
 * batch comes back to be filled again.  So the trees are freed by the
 * thread that made them: glibc's malloc frees another thread's memory
 * slowly (a load freeing its trees on the planning thread took 39 s of
 * CPU instead of 17).  A batch that ends the input carries the reader's
 * last return code (its end or its error) and the error's text.
 *
 * Memory: a batch closes at FEED_BATCH records or FEED_BATCH_BYTES of
 * record text, whichever comes first, and the reader stops reading ahead
 * while the batches handed over hold FEED_AHEAD_BYTES; the trees of the
 * batches given back are dropped while it waits.  So a load of 32 MiB
 * Blobs holds a few records at a time, not sixteen batches of them. */
#include "engine/load_feed.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FEED_BATCH 256u       /* records handed over at once            */
#define FEED_BATCHES 16u      /* batches in flight: bounds the memory    */
#define FEED_BATCH_BYTES (16u << 20)   /* record text one batch holds   */
#define FEED_AHEAD_BYTES (64u << 20)   /* record text handed over       */

/* Plain records' bytes (jsonl.h) live in the reader only until its next
 * record: a batch copies them into chunks of its own, which never move
 * (earlier records point into them) and are kept until it is refilled. */
#define FEED_CHUNK_BYTES (256u << 10)

struct feed_chunk {
	struct feed_chunk *next;
	size_t used, cap;
	uint8_t bytes[];
};

struct feed_batch {
	struct jsonl_record rec[FEED_BATCH];
	struct feed_chunk *chunks;   /* newest first */
	uint32_t n;
	size_t bytes;             /* the records' text                        */
	bool live;                /* rec[0, n) hold references to drop        */
	int end;                  /* 0, or the reader's last code after rec[] */
	struct value_error verr;  /* that code's error                        */
};

struct load_feed {
	struct jsonl_reader *r;
	bool threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;        /* a batch was filled, freed, or stop set  */
	struct feed_batch b[FEED_BATCHES];
	/* b[] is a ring: [read, read + full) filled, the rest free. */
	uint32_t read, full;
	size_t ahead;             /* bytes of the `full` batches             */
	bool stop;                /* the caller closes: the thread must end  */
	uint32_t pos;             /* the caller's place in b[read]           */
};

/* Drop the references batch b holds. */
static void drop(struct feed_batch *b)
{
	if (b->live)
		for (uint32_t i = 0; i < b->n; i++)
			json_decref((json_t *)b->rec[i].json);
	b->live = false;
}

/* Empty b's chunks, keeping one of the usual size for the next fill. */
static void chunks_reset(struct feed_batch *b)
{
	struct feed_chunk *keep = NULL;
	for (struct feed_chunk *c = b->chunks, *next; c; c = next) {
		next = c->next;
		if (!keep && c->cap == FEED_CHUNK_BYTES) {
			keep = c;
			keep->used = 0;
			keep->next = NULL;
		} else {
			free(c);
		}
	}
	b->chunks = keep;
}

/* Copy a plain record's bytes into b, moving its pointers along. */
static int keep_plain(struct feed_batch *b, struct jsonl_record *rec)
{
	struct feed_chunk *c = b->chunks;
	size_t n = rec->plain_len;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > FEED_CHUNK_BYTES ? n : FEED_CHUNK_BYTES;
		if (!(c = malloc(sizeof *c + cap)))
			return value_error_set(&b->verr, -ENOMEM, NULL, "out of memory reading ahead");
		c->used = 0;
		c->cap = cap;
		c->next = b->chunks;
		b->chunks = c;
	}
	uint8_t *to = c->bytes + c->used;
	const uint8_t *from = rec->plain;
	memcpy(to, from, n);
	c->used += n;
#define MOVED(p) ((p) ? (const void *)(to + ((const uint8_t *)(p) - from)) : NULL)
	rec->slots = MOVED(rec->slots);
	rec->from = MOVED(rec->from);
	rec->to = MOVED(rec->to);
	rec->id = MOVED(rec->id);
#undef MOVED
	rec->plain = to;
	return 0;
}

/* Fill b with records until it is full or the reader ends.  The trees b
 * still holds are dropped one by one, each just before its slot is read
 * into: glibc's per-thread cache then hands the freed blocks straight to
 * the next tree, where dropping a whole batch at once overflows it (a 3M-
 * record load: _int_free was 9% of all CPU). */
static void fill(struct load_feed *f, struct feed_batch *b)
{
	uint32_t held = b->live ? b->n : 0;   /* rec[next, held) hold trees */
	uint32_t next = 0;
	chunks_reset(b);
	b->live = true;
	b->n = 0;
	b->bytes = 0;
	b->end = 0;
	while (b->n < FEED_BATCH && b->bytes < FEED_BATCH_BYTES) {
		struct jsonl_record *rec = &b->rec[b->n];
		if (next < held && next == b->n)
			json_decref((json_t *)b->rec[next++].json);
		int rc = jsonl_reader_next(rec, f->r, &b->verr);
		if (rc == 0 && rec->plain)
			rc = keep_plain(b, rec);
		if (rc != 0) {
			b->end = rc;
			break;
		}
		json_incref((json_t *)rec->json);
		b->bytes += rec->bytes;
		b->n++;
	}
	while (next < held)
		json_decref((json_t *)b->rec[next++].json);
}

/* Drop the trees of the batches the caller gave back (under f->mu: which
 * slots are free is the ring's state; only this thread touches them). */
static void drop_free(struct load_feed *f)
{
	for (uint32_t k = f->full; k < FEED_BATCHES; k++)
		drop(&f->b[(f->read + k) % FEED_BATCHES]);
}

static void *reader_main(void *arg)
{
	struct load_feed *f = arg;
	bool end = false;

	pthread_mutex_lock(&f->mu);
	while (!end) {
		while (!f->stop && (f->full == FEED_BATCHES || f->ahead >= FEED_AHEAD_BYTES)) {
			drop_free(f);
			pthread_cond_wait(&f->cv, &f->mu);
		}
		if (f->stop)
			break;
		struct feed_batch *b = &f->b[(f->read + f->full) % FEED_BATCHES];
		pthread_mutex_unlock(&f->mu);
		fill(f, b);
		end = b->end != 0;
		pthread_mutex_lock(&f->mu);
		f->full++;
		f->ahead += b->bytes;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int load_feed_open(struct load_feed **out, struct jsonl_reader *r, bool ahead)
{
	struct load_feed *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->r = r;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->threaded = ahead && pthread_create(&f->thread, NULL, reader_main, f) == 0;
	*out = f;
	return 0;
}

int load_feed_next(struct jsonl_record *out, struct load_feed *f, struct value_error *err)
{
	if (!f->threaded)
		return jsonl_reader_next(out, f->r, err);
	struct feed_batch *b = &f->b[f->read];
	if (f->pos > 0 && f->pos == b->n && b->end == 0) {
		/* b is used up (by count or by bytes): give it back and move
		 * to the next one. */
		pthread_mutex_lock(&f->mu);
		f->ahead -= b->bytes;
		f->read = (f->read + 1) % FEED_BATCHES;
		f->full--;
		f->pos = 0;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		b = &f->b[f->read];
	}
	if (f->pos == 0) {
		pthread_mutex_lock(&f->mu);
		while (f->full == 0)
			pthread_cond_wait(&f->cv, &f->mu);
		pthread_mutex_unlock(&f->mu);
	}
	if (f->pos < b->n) {
		*out = b->rec[f->pos++];
		return 0;
	}
	/* The batch that ended the input: its end, again on every call. */
	*err = b->verr;
	return b->end;
}

void load_feed_close(struct load_feed *f)
{
	if (!f)
		return;
	if (f->threaded) {
		pthread_mutex_lock(&f->mu);
		f->stop = true;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->thread, NULL);
		for (uint32_t k = 0; k < FEED_BATCHES; k++) {
			drop(&f->b[k]);
			chunks_reset(&f->b[k]);
			free(f->b[k].chunks);
		}
	}
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
