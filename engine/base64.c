/*
 * engine/base64.c — canonical standard base64 (base64.h).
 */
#include "engine/base64.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>

#include "grove.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void base64_encode(char *out, const void *in, size_t n)
{
	const unsigned char *p = in;
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	assert(o == base64_encoded_len(n));
}

size_t base64_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

static int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int bad_symbol(char *detail, const char *what, unsigned char c, size_t offset)
{
	snprintf(detail, BASE64_DETAIL_MAX, "Invalid %s %u, offset %zu.", what, c, offset);
	return GROVE_EINVAL;
}

/* Padding: '=' may only end the input, one or two of them. */
static int check_padding(const char *in, size_t len, size_t *pad, char *detail)
{
	*pad = 0;
	while (*pad < len && *pad < 3 && in[len - 1 - *pad] == '=')
		(*pad)++;
	if (*pad == 3)
		return bad_symbol(detail, "symbol", '=', len - 3);
	for (size_t i = 0; i + *pad < len; i++) {
		if (in[i] == '=') {
			snprintf(detail, BASE64_DETAIL_MAX, "Invalid padding");
			return GROVE_EINVAL;
		}
	}
	return 0;
}

int base64_decode(void *out, size_t *out_len, const char *in, size_t len, char *detail)
{
	unsigned char *o = out;
	size_t pad, n = 0;
	if (len % 4 != 0) {
		snprintf(detail, BASE64_DETAIL_MAX, "Invalid input length: %zu.", len);
		return GROVE_EINVAL;
	}
	if (check_padding(in, len, &pad, detail) < 0)
		return GROVE_EINVAL;
	uint32_t acc = 0;
	for (size_t i = 0; i + pad < len; i++) {
		int s = sextet((unsigned char)in[i]);
		if (s < 0)
			return bad_symbol(detail, "symbol", (unsigned char)in[i], i);
		acc = acc << 6 | (uint32_t)s;
		if (i % 4 == 3) {
			o[n++] = (unsigned char)(acc >> 16);
			o[n++] = (unsigned char)(acc >> 8);
			o[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (pad > 0) {
		/* 4 - pad symbols remain: 2 give one byte, 3 give two; the
		 * bits below them must be zero in canonical base64. */
		size_t last = len - pad - 1;
		unsigned spare = pad == 2 ? 4 : 2;
		if (acc & ((1u << spare) - 1))
			return bad_symbol(detail, "last symbol", (unsigned char)in[last], last);
		acc >>= spare;
		if (pad == 1)
			o[n++] = (unsigned char)(acc >> 8);
		o[n++] = (unsigned char)acc;
	}
	assert(n <= base64_decoded_max(len));
	*out_len = n;
	return 0;
}
