/*
 * engine/datetime.c — Date/DateTime parsing and rendering (datetime.h).
 *
 * The day-count arithmetic is Howard Hinnant's days_from_civil /
 * civil_from_days: shift the year to start in March so the leap day is the
 * last day of the year, then count 400-year eras of 146097 days.
 */
#include "engine/datetime.h"

#include <assert.h>
#include <stdio.h>

#include "grove.h"

/* ---- civil arithmetic --------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	assert(b > 0);
	int64_t q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

int64_t date_from_civil(int64_t year, unsigned month, unsigned day)
{
	assert(month >= 1 && month <= 12);
	assert(day >= 1 && day <= 31);
	int64_t y = year - (month <= 2);
	int64_t era = floor_div(y, 400);
	unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399]    */
	unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + (int64_t)doe - 719468;
}

void date_to_civil(int64_t *out_year, unsigned *out_month, unsigned *out_day, int64_t days)
{
	/* Days beyond this bound would overflow the shift below; no Date or
	 * DateTime of an int64 gets near it (ms / 86400000 < 1.1e14). */
	assert(days > INT64_MIN / 2 && days < INT64_MAX / 2);
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);                    /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);         /* [0, 365]    */
	unsigned mp = (5 * doy + 2) / 153;                              /* [0, 11]     */
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	*out_year = (int64_t)yoe + era * 400 + (m <= 2);
	*out_month = m;
	*out_day = d;
	assert(*out_month >= 1 && *out_month <= 12 && *out_day >= 1 && *out_day <= 31);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int date_is_valid(int64_t year, unsigned month, unsigned day)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (year < DATE_YEAR_MIN || year > DATE_YEAR_MAX || month < 1 || month > 12 || day < 1)
		return 0;
	unsigned max = mdays[month - 1] + (month == 2 && is_leap(year));
	return day <= max;
}

/* ---- parsing ------------------------------------------------------------ */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n >= 1 digits at s as a number; -1 unless all are digits. */
static int64_t digits(const char *s, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* A run of 1 or 2 digits starting at *pos, ending at `stop` or the end. */
static int64_t short_field(const char *s, size_t len, size_t *pos)
{
	size_t start = *pos, i = start;
	while (i < len && is_digit(s[i]) && i - start < 3)
		i++;
	if (i == start || i - start > 2)
		return -1;
	*pos = i;
	return digits(s + start, i - start);
}

/* The year of [±]YYYY[YY] ending at the first '-' after the digits;
 * unsigned years have exactly four digits. */
static int parse_year(int64_t *out, const char *s, size_t len, size_t *pos)
{
	size_t i = 0;
	int neg = 0, sign = 0;
	if (len > 0 && (s[0] == '+' || s[0] == '-')) {
		sign = 1;
		neg = s[0] == '-';
		i = 1;
	}
	size_t start = i;
	while (i < len && is_digit(s[i]))
		i++;
	size_t n = i - start;
	if (sign ? (n < 4 || n > 6) : n != 4)
		return GROVE_EINVAL;
	int64_t y = digits(s + start, n);
	*out = neg ? -y : y;
	*pos = i;
	return 0;
}

static int civil_days(int32_t *out, int64_t y, int64_t m, int64_t d)
{
	if (m < 1 || m > 12 || d < 1 || d > 31 || !date_is_valid(y, (unsigned)m, (unsigned)d))
		return GROVE_EINVAL;
	int64_t days = date_from_civil(y, (unsigned)m, (unsigned)d);
	assert(days >= INT32_MIN && days <= INT32_MAX);
	*out = (int32_t)days;
	return 0;
}

int date_parse(int32_t *out_days, const char *s, size_t len)
{
	assert(out_days != NULL && (s != NULL || len == 0));
	if (len == 8 && digits(s, 8) >= 0)   /* YYYYMMDD */
		return civil_days(out_days, digits(s, 4), digits(s + 4, 2), digits(s + 6, 2));
	int64_t y;
	size_t i;
	if (parse_year(&y, s, len, &i) < 0 || i >= len || s[i] != '-')
		return GROVE_EINVAL;
	i++;
	int64_t m = short_field(s, len, &i);
	if (m < 0 || i >= len || s[i] != '-')
		return GROVE_EINVAL;
	i++;
	int64_t d = short_field(s, len, &i);
	if (d < 0 || i != len)
		return GROVE_EINVAL;
	return civil_days(out_days, y, m, d);
}

/* HH:MM:SS[.fraction] at s[*pos]: milliseconds of the day. */
static int parse_time(int64_t *out_ms, const char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	if (len - i < 8 || s[i + 2] != ':' || s[i + 5] != ':')
		return GROVE_EINVAL;
	int64_t h = digits(s + i, 2), mi = digits(s + i + 3, 2), sec = digits(s + i + 6, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return GROVE_EINVAL;
	int64_t ms = ((h * 60 + mi) * 60 + sec) * 1000;
	i += 8;
	if (i < len && s[i] == '.') {
		size_t start = ++i;
		int64_t frac = 0, scale = 100;
		while (i < len && is_digit(s[i])) {
			frac += (s[i] - '0') * scale;   /* digits below 1 ms: scale 0 */
			scale /= 10;
			i++;
		}
		if (i == start || i - start > 9)
			return GROVE_EINVAL;
		ms += frac;
	}
	*out_ms = ms;
	*pos = i;
	return 0;
}

/* Z, ±HH:MM or nothing at s[*pos]: the offset east of UTC in ms. */
static int parse_zone(int64_t *out_ms, const char *s, size_t len, size_t pos)
{
	*out_ms = 0;
	if (pos == len)
		return 0;
	if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == len)
		return 0;
	if ((s[pos] != '+' && s[pos] != '-') || len - pos != 6 || s[pos + 3] != ':')
		return GROVE_EINVAL;
	int64_t h = digits(s + pos + 1, 2), m = digits(s + pos + 4, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59)
		return GROVE_EINVAL;
	*out_ms = (h * 60 + m) * 60000 * (s[pos] == '-' ? -1 : 1);
	return 0;
}

int datetime_parse(int64_t *out_ms, const char *s, size_t len)
{
	assert(out_ms != NULL && (s != NULL || len == 0));
	int32_t days;
	if (date_parse(&days, s, len) == 0) {   /* a bare date: midnight UTC */
		*out_ms = (int64_t)days * DATETIME_MS_PER_DAY;
		return 0;
	}
	int64_t y;
	size_t i;
	if (parse_year(&y, s, len, &i) < 0 || len - i < 7 || s[i] != '-' || s[i + 3] != '-')
		return GROVE_EINVAL;
	int64_t m = digits(s + i + 1, 2), d = digits(s + i + 4, 2);
	if (m < 0 || d < 0 || civil_days(&days, y, m, d) < 0)
		return GROVE_EINVAL;
	i += 6;
	if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return GROVE_EINVAL;
	i++;
	int64_t tod, off;
	if (parse_time(&tod, s, len, &i) < 0 || parse_zone(&off, s, len, i) < 0)
		return GROVE_EINVAL;
	*out_ms = (int64_t)days * DATETIME_MS_PER_DAY + tod - off;
	return 0;
}

/* ---- rendering ---------------------------------------------------------- */

static int format_ymd(char *out, size_t cap, int64_t days)
{
	int64_t y;
	unsigned m, d;
	date_to_civil(&y, &m, &d, days);
	int n;
	if (y >= 0 && y <= 9999)
		n = snprintf(out, cap, "%04lld-%02u-%02u", (long long)y, m, d);
	else if (y > 0)
		n = snprintf(out, cap, "+%04lld-%02u-%02u", (long long)y, m, d);
	else   /* y > INT64_MIN here: the day count bounds the year */
		n = snprintf(out, cap, "-%04lld-%02u-%02u", (long long)-y, m, d);
	assert(n > 0 && (size_t)n < cap);
	return n;
}

size_t date_format(char *out, int64_t days)
{
	return (size_t)format_ymd(out, DATE_TEXT_MAX, days);
}

size_t datetime_format(char *out, int64_t ms)
{
	/* Division first: days * 86400000 can overflow near INT64_MIN. */
	int64_t days = ms / DATETIME_MS_PER_DAY, tod = ms % DATETIME_MS_PER_DAY;
	if (tod < 0) {
		tod += DATETIME_MS_PER_DAY;
		days--;
	}
	assert(tod >= 0 && tod < DATETIME_MS_PER_DAY);
	int n = format_ymd(out, DATETIME_TEXT_MAX, days);
	int k = snprintf(out + n, DATETIME_TEXT_MAX - (size_t)n, "T%02d:%02d:%02d.%03dZ",
		(int)(tod / 3600000), (int)(tod / 60000 % 60), (int)(tod / 1000 % 60), (int)(tod % 1000));
	assert(k == 14);
	return (size_t)(n + k);
}
