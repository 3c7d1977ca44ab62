/*
 * engine/base64.h — RFC 4648 base64, standard alphabet, with padding.
 *
 * Decoding is canonical, like the Rust base64 crate's STANDARD engine that
 * OmniGraph uses for "base64:" blobs (spec §7.6): the length must be a
 * multiple of 4, '=' only as the last one or two characters, unused bits
 * of the last symbol zero; no whitespace.  The failure detail follows that
 * crate's wording ("Invalid symbol 42, offset 3.").
 */
#ifndef GROVE_ENGINE_BASE64_H
#define GROVE_ENGINE_BASE64_H

#include <stddef.h>

#define BASE64_DETAIL_MAX 64

/* Encoded length of n bytes (without a NUL). */
size_t base64_encoded_len(size_t n);

/* Encode n bytes into out (base64_encoded_len(n) bytes, no NUL written). */
void base64_encode(char *out, const void *in, size_t n);

/* Upper bound of the decoded length of len characters. */
size_t base64_decoded_max(size_t len);

/* Decode in[0..len) into out (base64_decoded_max(len) bytes): 0 and
 * *out_len, or GROVE_EINVAL with a detail (BASE64_DETAIL_MAX bytes). */
int base64_decode(void *out, size_t *out_len, const char *in, size_t len, char *detail);

#endif /* GROVE_ENGINE_BASE64_H */
