/*
 * tests/engine/test_datetime.c — Date/DateTime parsing and rendering
 * (spec §7.4): every accepted form, day-of-month validation, leap years,
 * dates before 1970 and outside 0001..9999, and round trips.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/datetime.h"
#include "grove.h"

static int32_t days_of(const char *s)
{
	int32_t d = 0;
	int rc = date_parse(&d, s, strlen(s));
	cr_assert_eq(rc, 0, "'%s' should parse as a Date", s);
	return d;
}

static int64_t ms_of(const char *s)
{
	int64_t ms = 0;
	int rc = datetime_parse(&ms, s, strlen(s));
	cr_assert_eq(rc, 0, "'%s' should parse as a DateTime", s);
	return ms;
}

static void assert_bad_date(const char *s)
{
	int32_t d;
	cr_expect_eq(date_parse(&d, s, strlen(s)), GROVE_EINVAL, "'%s' should not parse as a Date", s);
}

static void assert_bad_datetime(const char *s)
{
	int64_t ms;
	cr_expect_eq(datetime_parse(&ms, s, strlen(s)), GROVE_EINVAL, "'%s' should not parse as a DateTime", s);
}

static void assert_date_text(int64_t days, const char *expected)
{
	char buf[DATE_TEXT_MAX];
	size_t n = date_format(buf, days);
	cr_expect_str_eq(buf, expected);
	cr_expect_eq(n, strlen(expected));
}

static void assert_datetime_text(int64_t ms, const char *expected)
{
	char buf[DATETIME_TEXT_MAX];
	size_t n = datetime_format(buf, ms);
	cr_expect_str_eq(buf, expected);
	cr_expect_eq(n, strlen(expected));
}

Test(date, counts_days_from_the_epoch)
{
	cr_expect_eq(days_of("1970-01-01"), 0);
	cr_expect_eq(days_of("1970-01-02"), 1);
	cr_expect_eq(days_of("1969-12-31"), -1);
	cr_expect_eq(days_of("2024-01-01"), 19723);
	cr_expect_eq(days_of("2024-01-02"), 19724);
	cr_expect_eq(days_of("2026-06-29"), 20633);
}

Test(date, reaches_the_first_and_last_four_digit_years)
{
	cr_expect_eq(days_of("0001-01-01"), -719162);
	cr_expect_eq(days_of("9999-12-31"), 2932896);
	cr_expect_eq(days_of("0000-03-01"), -719468);   /* the shifted era's origin */
	cr_expect_eq(days_of("0000-02-29"), -719469);   /* year 0 is a leap year */
}

Test(date, accepts_one_digit_month_and_day_and_the_compact_form)
{
	cr_expect_eq(days_of("2024-1-2"), 19724);
	cr_expect_eq(days_of("2024-01-2"), 19724);
	cr_expect_eq(days_of("2024-1-02"), 19724);
	cr_expect_eq(days_of("20240102"), 19724);
}

Test(date, accepts_signed_extended_years)
{
	cr_expect_eq(days_of("+10000-01-01"), 2932897);
	cr_expect_eq(days_of("-0001-12-31"), -719529);
	cr_expect_eq(days_of("+2024-01-01"), 19723);
}

Test(date, validates_the_day_of_the_month_with_leap_years)
{
	cr_expect_eq(days_of("2024-02-29"), 19782);
	cr_expect_eq(days_of("2000-02-29"), 11016);
	assert_bad_date("2023-02-29");
	assert_bad_date("1900-02-29");
	assert_bad_date("2024-02-30");
	assert_bad_date("2024-04-31");
	assert_bad_date("2024-01-32");
	assert_bad_date("2024-01-00");
	assert_bad_date("2024-13-01");
	assert_bad_date("2024-00-10");
	assert_bad_date("20230229");
}

Test(date, refuses_malformed_text)
{
	assert_bad_date("");
	assert_bad_date("24-01-01");
	assert_bad_date("2024-01-01x");
	assert_bad_date(" 2024-01-01");
	assert_bad_date("2024/01/01");
	assert_bad_date("2024-001-01");
	assert_bad_date("2024-01-001");
	assert_bad_date("2024-01");
	assert_bad_date("202401");
	assert_bad_date("2024-01-01T00:00:00Z");
	assert_bad_date("-001-01-01");
	assert_bad_date("+1234567-01-01");
	assert_bad_date("+262144-01-01");   /* beyond chrono's last year */
}

Test(date, renders_iso_dates_with_signed_years_outside_four_digits)
{
	assert_date_text(0, "1970-01-01");
	assert_date_text(-1, "1969-12-31");
	assert_date_text(19723, "2024-01-01");
	assert_date_text(-719162, "0001-01-01");
	assert_date_text(2932896, "9999-12-31");
	assert_date_text(2932897, "+10000-01-01");
	assert_date_text(-719163, "0000-12-31");
	assert_date_text(-719529, "-0001-12-31");
	assert_date_text(INT32_MAX, "+5881580-07-11");
	assert_date_text(INT32_MIN, "-5877641-06-23");
}

Test(date, round_trips_every_day_between_year_minus_200_and_9999)
{
	char buf[DATE_TEXT_MAX];
	for (int32_t d = -800000; d <= 2932896; d++) {
		size_t n = date_format(buf, d);
		int32_t back = 0;
		cr_assert_eq(date_parse(&back, buf, n), 0, "%s", buf);
		cr_assert_eq(back, d, "%s", buf);
		int64_t y;
		unsigned m, day;
		date_to_civil(&y, &m, &day, d);
		cr_assert_eq(date_from_civil(y, m, day), d);
	}
}

Test(datetime, parses_utc_and_zoneless_forms)
{
	cr_expect_eq(ms_of("1970-01-01T00:00:00Z"), 0);
	cr_expect_eq(ms_of("1970-01-01T00:00:00"), 0);
	cr_expect_eq(ms_of("1970-01-01 00:00:01"), 1000);
	cr_expect_eq(ms_of("2024-01-02T03:04:05Z"), 1704164645000LL);
	cr_expect_eq(ms_of("2024-01-02t03:04:05z"), 1704164645000LL);
	cr_expect_eq(ms_of("1969-12-31T23:59:59.999Z"), -1);
}

Test(datetime, converts_offsets_to_utc)
{
	cr_expect_eq(ms_of("2024-01-02T05:04:05+02:00"), 1704164645000LL);
	cr_expect_eq(ms_of("2024-01-01T21:34:05-05:30"), 1704164645000LL);
	cr_expect_eq(ms_of("1970-01-01T00:00:00+00:00"), 0);
	cr_expect_eq(ms_of("1970-01-01T00:00:00-00:01"), 60000);
}

Test(datetime, keeps_milliseconds_and_truncates_finer_digits)
{
	cr_expect_eq(ms_of("1970-01-01T00:00:00.5Z"), 500);
	cr_expect_eq(ms_of("1970-01-01T00:00:00.12Z"), 120);
	cr_expect_eq(ms_of("1970-01-01T00:00:00.678Z"), 678);
	cr_expect_eq(ms_of("1970-01-01T00:00:00.6789Z"), 678);
	cr_expect_eq(ms_of("1970-01-01T00:00:00.123456789Z"), 123);
	cr_expect_eq(ms_of("1969-12-31T23:59:59.9999Z"), -1);
}

Test(datetime, takes_a_bare_date_as_midnight_utc)
{
	cr_expect_eq(ms_of("2024-01-01"), 19723LL * 86400000);
	cr_expect_eq(ms_of("20240101"), 19723LL * 86400000);
	cr_expect_eq(ms_of("1969-12-31"), -86400000);
	cr_expect_eq(ms_of("0001-01-01T00:00:00Z"), -62135596800000LL);
	cr_expect_eq(ms_of("9999-12-31T23:59:59.999Z"), 253402300799999LL);
}

Test(datetime, refuses_out_of_range_fields_and_malformed_text)
{
	assert_bad_datetime("");
	assert_bad_datetime("2024-01-02T24:00:00Z");
	assert_bad_datetime("2024-01-02T10:60:00Z");
	assert_bad_datetime("2024-01-02T10:00:60Z");
	assert_bad_datetime("2024-01-02T10:00Z");
	assert_bad_datetime("2024-01-02T10:00:00.Z");
	assert_bad_datetime("2024-01-02T10:00:00.1234567890Z");
	assert_bad_datetime("2024-01-02T10:00:00+2:00");
	assert_bad_datetime("2024-01-02T10:00:00+0200");
	assert_bad_datetime("2024-01-02T10:00:00+24:00");
	assert_bad_datetime("2024-01-02T10:00:00Zjunk");
	assert_bad_datetime("2024-02-30T00:00:00Z");
	assert_bad_datetime("2024-1-2T00:00:00Z");
	assert_bad_datetime("2024-01-02X10:00:00Z");
	assert_bad_datetime("2024-01-02T1:00:00Z");
}

Test(datetime, renders_utc_with_three_fraction_digits)
{
	assert_datetime_text(0, "1970-01-01T00:00:00.000Z");
	assert_datetime_text(-1, "1969-12-31T23:59:59.999Z");
	assert_datetime_text(1704164645678LL, "2024-01-02T03:04:05.678Z");
	assert_datetime_text(-62135596800000LL, "0001-01-01T00:00:00.000Z");
	assert_datetime_text(253402300800000LL, "+10000-01-01T00:00:00.000Z");
	assert_datetime_text(INT64_MAX, "+292278994-08-17T07:12:55.807Z");
	assert_datetime_text(INT64_MIN, "-292275055-05-16T16:47:04.192Z");
}

Test(datetime, round_trips_through_text)
{
	static const int64_t samples[] = {
		0, 1, -1, 999, -999, 86399999, -86400001, 1704164645678LL, -62135596800000LL,
		253402300799999LL, -8000000000000000LL, 8000000000000000LL,
	};
	char buf[DATETIME_TEXT_MAX];
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		size_t n = datetime_format(buf, samples[i]);
		int64_t back = 0;
		cr_assert_eq(datetime_parse(&back, buf, n), 0, "%s", buf);
		cr_expect_eq(back, samples[i], "%s", buf);
	}
}
