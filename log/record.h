/*
 * record.h — the framing of one log record on disk.
 *
 * A record is a fixed 40-byte header followed by the payload (a msgpack
 * event, see event.h), padded with zeros to a multiple of 8 bytes so that
 * every header starts 8-aligned.  All integers are little-endian.
 *
 *   off size field
 *     0    4 magic          LOG_RECORD_MAGIC
 *     4    4 payload_bytes  length of the payload, excluding padding
 *     8    8 lsn            dense, increasing from 1
 *    16    8 durable_lsn    every record <= this was on disk (fdatasync
 *                           completed) when this record was written
 *    24    2 kind           event kind (GROVE_EVENT_*)
 *    26    2 flags          reserved, zero
 *    28    4 reserved       zero
 *    32    8 checksum       XXH3-64 over the header (this field zeroed),
 *                           seeded with the XXH3-64 of the payload
 *
 * durable_lsn is what lets recovery tell a torn tail from corruption: a bad
 * record that some later intact record vouches for (durable_lsn >= its LSN)
 * had been acknowledged, so losing it is corruption; a bad record no later
 * record vouches for was never acknowledged and is cut off.
 */
#ifndef GROVE_LOG_RECORD_H
#define GROVE_LOG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_RECORD_MAGIC        0x52565247u /* "GRVR" little-endian */
#define LOG_RECORD_HEADER_BYTES 40u
#define LOG_RECORD_ALIGN        8u

struct log_record_header {
	uint32_t magic;
	uint32_t payload_bytes;
	uint64_t lsn;
	uint64_t durable_lsn;
	uint16_t kind;
	uint16_t flags;
	uint32_t reserved;
	uint64_t checksum;
};

_Static_assert(sizeof(struct log_record_header) == LOG_RECORD_HEADER_BYTES,
	       "the record header is 40 bytes on disk");

/* Bytes a record with `payload_bytes` of payload occupies, padding included. */
static inline uint64_t log_record_span(uint32_t payload_bytes)
{
	uint64_t n = (uint64_t)LOG_RECORD_HEADER_BYTES + payload_bytes;
	return (n + LOG_RECORD_ALIGN - 1) & ~(uint64_t)(LOG_RECORD_ALIGN - 1);
}

/* The payload half of the checksum; callers may compute it outside a lock. */
uint64_t log_payload_hash(const void *payload, uint32_t payload_bytes);

/* Serialize `h` (its checksum field computed here from `payload_hash`) into
 * `out`, which must hold LOG_RECORD_HEADER_BYTES. */
void log_record_encode(void *out, struct log_record_header *h, uint64_t payload_hash);

/* Parse a header.  Returns false if the magic or the reserved fields are
 * wrong or the length exceeds `max_payload_bytes`: then `h` is not a record
 * header at all.  The checksum is checked by log_record_verify(). */
/* The bound readers pass: a record on disk is bounded by its segment and
 * vouched for by its checksum, never by a writer's max_record_bytes, an
 * option of the process that wrote it which is not kept on disk (a log
 * reopened with a smaller option must not take a larger record for torn). */
#define LOG_RECORD_READ_MAX UINT32_MAX

bool log_record_decode(struct log_record_header *h, const void *in,
		       uint32_t max_payload_bytes);

/* True if `h` (decoded) and `payload` carry a matching checksum. */
bool log_record_verify(const struct log_record_header *h, const void *payload);

/* True if the `n` bytes at `p` are all zero (unwritten, preallocated space). */
bool log_bytes_zero(const void *p, size_t n);

#endif
