/*
 * engine/datetime.h — Date and DateTime text formats (spec §7.4).
 *
 * A Date is a count of days since 1970-01-01 (1969-12-31 is -1); a DateTime
 * is a count of milliseconds since 1970-01-01T00:00:00Z.  The calendar is
 * the proleptic Gregorian one, extended backwards and forwards without
 * gaps; there is no locale, no time zone database and no libc time
 * function involved: the civil <-> day-count arithmetic is done here.
 *
 * Accepted input:
 *   Date      YYYY-MM-DD, with one-digit month and/or day (YYYY-M-D),
 *             YYYYMMDD, and an extended signed year (+YYYYY-MM-DD,
 *             -YYYY-MM-DD, 4 to 6 digits) as chrono prints them.
 *   DateTime  <date>[T| ]HH:MM:SS[.fraction][Z|±HH:MM] where <date> is
 *             [±]YYYY-MM-DD; no zone means UTC; an offset is converted to
 *             UTC; a fraction has 1 to 9 digits and digits below the
 *             millisecond are truncated; 't' and 'z' are accepted too.
 *             A bare Date (any form above) is midnight UTC.
 * Years are bounded to [DATE_YEAR_MIN, DATE_YEAR_MAX] (chrono's range).
 *
 * Output: Date as YYYY-MM-DD and DateTime as YYYY-MM-DDTHH:MM:SS.mmmZ; a
 * year outside 0..9999 gets a sign and at least four digits (-0001,
 * +10000), the way chrono prints it.
 */
#ifndef GROVE_ENGINE_DATETIME_H
#define GROVE_ENGINE_DATETIME_H

#include <stddef.h>
#include <stdint.h>

#define DATE_YEAR_MIN (-262144)
#define DATE_YEAR_MAX 262143

/* Buffer sizes for the renderings, NUL included; enough for any int64. */
#define DATE_TEXT_MAX     32
#define DATETIME_TEXT_MAX 48

#define DATETIME_MS_PER_DAY 86400000LL

/* Days since 1970-01-01 of a civil date.  month 1..12, day 1..31; the
 * date is not validated (see date_is_valid). */
int64_t date_from_civil(int64_t year, unsigned month, unsigned day);

/* The civil date of a day count (any int64 count that fits the year). */
void date_to_civil(int64_t *out_year, unsigned *out_month, unsigned *out_day, int64_t days);

/* 1 when year/month/day names a real day (Feb 29 only in leap years). */
int date_is_valid(int64_t year, unsigned month, unsigned day);

/* Parse a Date: 0 and *out_days, or GROVE_EINVAL. */
int date_parse(int32_t *out_days, const char *s, size_t len);

/* Parse a DateTime: 0 and *out_ms, or GROVE_EINVAL. */
int datetime_parse(int64_t *out_ms, const char *s, size_t len);

/* Render into out (DATE_TEXT_MAX / DATETIME_TEXT_MAX bytes); returns the
 * length written, without the NUL. */
size_t date_format(char *out, int64_t days);
size_t datetime_format(char *out, int64_t ms);

#endif /* GROVE_ENGINE_DATETIME_H */
