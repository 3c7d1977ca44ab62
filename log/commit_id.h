/*
 * commit_id.h — commit identifiers: 128-bit ULIDs (48-bit millisecond time,
 * 80 random bits), written in Crockford base32 as 26 characters.  Ids sort
 * by creation time, are unique without coordination, and are assigned once
 * by the primary and stored in the event, so replay reproduces them.
 */
#ifndef GROVE_LOG_COMMIT_ID_H
#define GROVE_LOG_COMMIT_ID_H

#include <stdbool.h>
#include <stdint.h>

#define COMMIT_ID_TEXT_BYTES 27 /* 26 characters and a NUL */

struct commit_id {
	uint8_t b[16];
};

/* A new id for time `time_ms`.  Returns 0 or -errno (getrandom). */
int commit_id_new(struct commit_id *out, uint64_t time_ms);
bool commit_id_is_zero(const struct commit_id *id);
void commit_id_format(char out[COMMIT_ID_TEXT_BYTES], const struct commit_id *id);
/* Parse 26 Crockford base32 characters (case-insensitive); false if bad. */
bool commit_id_parse(struct commit_id *out, const char *text);

#endif
