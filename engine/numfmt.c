/*
 * engine/numfmt.c — shortest round-trip float renderings (numfmt.h).
 *
 * The digits come from glibc's correctly rounded printf("%.*e") and are
 * checked with the correctly rounded strtod/strtof.  Rounding x to p+1
 * digits is at least as close to x as rounding it to p digits (a p-digit
 * number is also a (p+1)-digit one), so "p digits round-trip" is monotone
 * in p and a binary search finds the least p in about four tries.
 */
#include "engine/numfmt.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest digits of |x| (finite, non-zero): digits[0..n) with no
 * trailing zeros, and kk such that |x| ~= 0.d1d2...dn * 10^kk. */
struct decimal {
	char digits[24];
	int n;
	int kk;
};

static int round_trips(double x, int p, int is_f32, char *buf, size_t cap)
{
	snprintf(buf, cap, "%.*e", p - 1, x);
	if (is_f32)
		return strtof(buf, NULL) == (float)x;
	return strtod(buf, NULL) == x;
}

static void shortest(struct decimal *d, double ax, int is_f32)
{
	assert(isfinite(ax) && ax > 0);
	char buf[40];
	int lo = 1, hi = is_f32 ? 9 : 17;   /* hi digits always round-trip */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (round_trips(ax, mid, is_f32, buf, sizeof buf))
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(buf, sizeof buf, "%.*e", lo - 1, ax);
	/* buf is "d[.ddd]e±XX" */
	char *e = strchr(buf, 'e');
	assert(e != NULL);
	d->n = 0;
	for (const char *c = buf; c < e; c++)
		if (*c != '.')
			d->digits[d->n++] = *c;
	while (d->n > 1 && d->digits[d->n - 1] == '0')
		d->n--;
	d->digits[d->n] = '\0';
	d->kk = atoi(e + 1) + 1;
}

static size_t put_zeros(char *out, size_t at, int count)
{
	for (int i = 0; i < count; i++)
		out[at++] = '0';
	return at;
}

static size_t put_digits(char *out, size_t at, const char *digits, int n)
{
	memcpy(out + at, digits, (size_t)n);
	return at + (size_t)n;
}

size_t numfmt_json_f64(char *out, double x)
{
	assert(isfinite(x));
	size_t at = 0;
	if (signbit(x))
		out[at++] = '-';
	if (x == 0) {
		memcpy(out + at, "0.0", 4);
		return at + 3;
	}
	struct decimal d;
	shortest(&d, fabs(x), 0);
	int n = d.n, kk = d.kk;
	if (kk >= n && kk <= 16) {                /* 1234e7 -> 12340000000.0 */
		at = put_digits(out, at, d.digits, n);
		at = put_zeros(out, at, kk - n);
		out[at++] = '.';
		out[at++] = '0';
	} else if (kk > 0 && kk <= 16) {          /* 1234e-2 -> 12.34 */
		at = put_digits(out, at, d.digits, kk);
		out[at++] = '.';
		at = put_digits(out, at, d.digits + kk, n - kk);
	} else if (kk > -5 && kk <= 0) {          /* 1234e-6 -> 0.001234 */
		out[at++] = '0';
		out[at++] = '.';
		at = put_zeros(out, at, -kk);
		at = put_digits(out, at, d.digits, n);
	} else {                                  /* 1e30, 1.234e33 */
		out[at++] = d.digits[0];
		if (n > 1) {
			out[at++] = '.';
			at = put_digits(out, at, d.digits + 1, n - 1);
		}
		at += (size_t)snprintf(out + at, NUMFMT_JSON_MAX - at, "e%d", kk - 1);
	}
	assert(at < NUMFMT_JSON_MAX);
	out[at] = '\0';
	return at;
}

static size_t plain(char *out, double x, int is_f32)
{
	assert(isfinite(x));
	if (x == 0) {   /* both zeros (spec §7.7) */
		memcpy(out, "0", 2);
		return 1;
	}
	size_t at = 0;
	if (x < 0)
		out[at++] = '-';
	struct decimal d;
	shortest(&d, fabs(x), is_f32);
	int n = d.n, kk = d.kk;
	if (kk <= 0) {
		out[at++] = '0';
		out[at++] = '.';
		at = put_zeros(out, at, -kk);
		at = put_digits(out, at, d.digits, n);
	} else if (kk >= n) {
		at = put_digits(out, at, d.digits, n);
		at = put_zeros(out, at, kk - n);
	} else {
		at = put_digits(out, at, d.digits, kk);
		out[at++] = '.';
		at = put_digits(out, at, d.digits + kk, n - kk);
	}
	assert(at < NUMFMT_PLAIN_MAX);
	out[at] = '\0';
	return at;
}

size_t numfmt_plain_f64(char *out, double x)
{
	return plain(out, x, 0);
}

size_t numfmt_plain_f32(char *out, float x)
{
	return plain(out, (double)x, 1);
}
