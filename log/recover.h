/*
 * recover.h — scanning a segment's records and repairing a torn tail.
 */
#ifndef GROVE_LOG_RECOVER_H
#define GROVE_LOG_RECOVER_H

#include <stdint.h>

#include "log/log.h"
#include "log/log_impl.h"

/* Scan the last segment (open read-write as `fd`) from its first record:
 * every intact record in LSN order from seg->first_lsn, adding sparse
 * marks to `seg`.  What follows the last intact record must be zeros, or a
 * torn tail: bytes that no later intact record vouches for (record.h) are
 * zeroed and reported in `rep`.  A damaged record that a later one vouches
 * for is corruption: GROVE_ECORRUPT naming segment and offset.
 * After the last intact record only the stretches the file system reports
 * as data are read (holes and unwritten extents read as zeros); how many
 * bytes that was goes to rep->tail_scanned_bytes.
 * Nor is damage to a record at or before `acked` (log_options.acked_lsn:
 * known acknowledged from a clean close): never cut, GROVE_ECORRUPT.
 * On success sets *end_off (where the next record goes) and *last_lsn. */
int log_recover_tail(uint64_t *end_off, uint64_t *last_lsn, int fd,
		     struct log_segment *seg, uint32_t max_payload_bytes, uint64_t acked,
		     struct log_recovery *rep);

#endif
