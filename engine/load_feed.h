/*
 * load_feed.h — the records of a load, read ahead on a second thread.
 *
 * Before a load is logged, each record is read (framed, parsed as JSON,
 * its shape checked: jsonl.h) and then planned (load.h).  Reading record
 * n+1 does not depend on planning record n, and reading is some 40% of
 * the two, so a feed reads on its own thread into a bounded queue while
 * the caller plans (inputs of 256 KiB and more: load_run.c).  Records
 * come out in input order, and the reader's error or end comes out in
 * its place in that order: the first bad record by position is still the
 * one reported, whichever step finds it.
 */
#ifndef GROVE_ENGINE_LOAD_FEED_H
#define GROVE_ENGINE_LOAD_FEED_H

#include <stdbool.h>

#include "engine/jsonl.h"

struct load_feed;

/* Read r (which must outlive the feed; only the feed reads it from now
 * on), ahead on a thread if `ahead` and one can be started, else in the
 * caller, record by record.  Not ahead for input that may block (a pipe,
 * a terminal): a caller that stops early would wait for the thread's
 * read.  0 or -ENOMEM. */
int load_feed_open(struct load_feed **out, struct jsonl_reader *r, bool ahead);

/* The next record, with jsonl_reader_next()'s contract: 0, GROVE_ENOTFOUND
 * at the end, or the reader's error (*err filled).  The record is valid
 * until the next call or load_feed_close(). */
int load_feed_next(struct jsonl_record *out, struct load_feed *f, struct value_error *err);

/* Stop the reader (at any point: what it read ahead is dropped) and free. */
void load_feed_close(struct load_feed *f);

#endif
