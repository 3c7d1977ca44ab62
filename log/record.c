/* record.c — encode, decode and verify record headers (see record.h). */
#include "log/record.h"

#include <assert.h>
#include <string.h>
#include <xxhash.h>

static void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put_le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put_le64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_le64(const uint8_t *p) { return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32; }

uint64_t log_payload_hash(const void *payload, uint32_t payload_bytes)
{
	return XXH3_64bits(payload, payload_bytes);
}

/* Header bytes with the checksum field zeroed, as the checksum covers them. */
static void encode_fields(uint8_t *p, const struct log_record_header *h)
{
	put_le32(p + 0, h->magic);
	put_le32(p + 4, h->payload_bytes);
	put_le64(p + 8, h->lsn);
	put_le64(p + 16, h->durable_lsn);
	put_le16(p + 24, h->kind);
	put_le16(p + 26, h->flags);
	put_le32(p + 28, h->reserved);
	put_le64(p + 32, 0);
}

static uint64_t header_checksum(const struct log_record_header *h, uint64_t payload_hash)
{
	uint8_t buf[LOG_RECORD_HEADER_BYTES];
	encode_fields(buf, h);
	return XXH3_64bits_withSeed(buf, sizeof buf, payload_hash);
}

void log_record_encode(void *out, struct log_record_header *h, uint64_t payload_hash)
{
	assert(h->magic == LOG_RECORD_MAGIC);
	assert(h->lsn > 0 && h->durable_lsn < h->lsn);
	h->checksum = header_checksum(h, payload_hash);
	encode_fields(out, h);
	put_le64((uint8_t *)out + 32, h->checksum);
}

bool log_record_decode(struct log_record_header *h, const void *in,
		       uint32_t max_payload_bytes)
{
	const uint8_t *p = in;
	h->magic = get_le32(p + 0);
	h->payload_bytes = get_le32(p + 4);
	h->lsn = get_le64(p + 8);
	h->durable_lsn = get_le64(p + 16);
	h->kind = get_le16(p + 24);
	h->flags = get_le16(p + 26);
	h->reserved = get_le32(p + 28);
	h->checksum = get_le64(p + 32);
	return h->magic == LOG_RECORD_MAGIC && h->reserved == 0 && h->flags == 0 &&
	       h->lsn > 0 && h->durable_lsn < h->lsn &&
	       h->payload_bytes <= max_payload_bytes;
}

bool log_record_verify(const struct log_record_header *h, const void *payload)
{
	uint64_t ph = log_payload_hash(payload, h->payload_bytes);
	return header_checksum(h, ph) == h->checksum;
}

bool log_bytes_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	/* Compare word-sized chunks; preallocated tails are megabytes long. */
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		if (w)
			return false;
		b += 8;
		n -= 8;
	}
	while (n--)
		if (*b++)
			return false;
	return true;
}
