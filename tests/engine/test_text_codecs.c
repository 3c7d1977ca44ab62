/*
 * tests/engine/test_text_codecs.c — the engine's text encoders: float
 * formatting (engine/numfmt.h), base64 (engine/base64.h) and the JSON
 * writer (engine/jsonw.h).
 */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/base64.h"
#include "engine/jsonw.h"
#include "engine/numfmt.h"
#include "grove.h"

/* ---- numbers, base64, the JSON writer ----------------------------------- */

static void expect_json_num(double x, const char *expected)
{
	char buf[NUMFMT_JSON_MAX];
	size_t n = numfmt_json_f64(buf, x);
	cr_expect_str_eq(buf, expected, "got %s", buf);
	cr_expect_eq(n, strlen(expected));
}

Test(numfmt, prints_json_floats_like_serde)
{
	expect_json_num(0.1, "0.1");
	expect_json_num((double)0.1f, "0.10000000149011612");
	expect_json_num(2.0, "2.0");
	expect_json_num(-0.0, "-0.0");
	expect_json_num(0.0, "0.0");
	expect_json_num(1e300, "1e300");
	expect_json_num(1.5e300, "1.5e300");
	expect_json_num(1e-7, "1e-7");
	expect_json_num(0.001234, "0.001234");
	expect_json_num(12340000000.0, "12340000000.0");
	expect_json_num(1e15, "1000000000000000.0");
	expect_json_num(1e16, "1e16");
	expect_json_num(123.456, "123.456");
	expect_json_num(5e-324, "5e-324");
	expect_json_num(DBL_MAX, "1.7976931348623157e308");
	expect_json_num(-2.5e-5, "-0.000025");
}

Test(numfmt, prints_plain_floats_at_their_width)
{
	char buf[NUMFMT_PLAIN_MAX];
	numfmt_plain_f32(buf, 0.1f);
	cr_expect_str_eq(buf, "0.1");
	numfmt_plain_f32(buf, 16777216.0f);
	cr_expect_str_eq(buf, "16777216");
	numfmt_plain_f32(buf, 1e-45f);
	cr_expect_str_eq(buf, "0.000000000000000000000000000000000000000000001");
	numfmt_plain_f64(buf, (double)0.1f);
	cr_expect_str_eq(buf, "0.10000000149011612");
	numfmt_plain_f64(buf, -0.0);
	cr_expect_str_eq(buf, "0");
	numfmt_plain_f64(buf, 5e-324);
	cr_expect_eq(strlen(buf), 326);
	numfmt_plain_f64(buf, -DBL_MAX);
	cr_expect_eq(strlen(buf), 310);
}

Test(numfmt, round_trips_random_doubles_and_floats)
{
	uint64_t s = 0x9E3779B97F4A7C15ULL;
	char buf[NUMFMT_PLAIN_MAX];
	for (int i = 0; i < 20000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		double d;
		memcpy(&d, &s, 8);
		if (!isfinite(d))
			continue;
		numfmt_json_f64(buf, d);
		cr_assert_eq(strtod(buf, NULL), d, "%s", buf);
		numfmt_plain_f64(buf, d);
		cr_assert(strtod(buf, NULL) == d || d == 0, "%s", buf);
		float f;
		uint32_t b = (uint32_t)s;
		memcpy(&f, &b, 4);
		if (!isfinite(f))
			continue;
		numfmt_plain_f32(buf, f);
		cr_assert(strtof(buf, NULL) == f, "%s", buf);
	}
}

Test(base64, encodes_rfc4648_vectors)
{
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	for (int i = 0; i < 7; i++) {
		char buf[16] = { 0 };
		base64_encode(buf, in[i], strlen(in[i]));
		cr_expect_str_eq(buf, out[i]);
		cr_expect_eq(base64_encoded_len(strlen(in[i])), strlen(out[i]));
	}
}

Test(base64, round_trips_every_length_and_byte)
{
	unsigned char data[300], back[310];
	char text[420], detail[BASE64_DETAIL_MAX];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof data; n++) {
		size_t len = base64_encoded_len(n), got;
		base64_encode(text, data, n);
		cr_assert_eq(base64_decode(back, &got, text, len, detail), 0, "%zu: %s", n, detail);
		cr_assert_eq(got, n);
		cr_assert_eq(memcmp(back, data, n), 0);
	}
}

Test(base64, refuses_non_canonical_input)
{
	unsigned char out[16];
	size_t n;
	char detail[BASE64_DETAIL_MAX];
	cr_expect_eq(base64_decode(out, &n, "Zg=", 3, detail), GROVE_EINVAL);
	cr_expect_str_eq(detail, "Invalid input length: 3.");
	cr_expect_eq(base64_decode(out, &n, "Zh==", 4, detail), GROVE_EINVAL);
	cr_expect_str_eq(detail, "Invalid last symbol 104, offset 1.");
	cr_expect_eq(base64_decode(out, &n, "Z===", 4, detail), GROVE_EINVAL);
	cr_expect_eq(base64_decode(out, &n, "Zg== ", 5, detail), GROVE_EINVAL);
	cr_expect_eq(base64_decode(out, &n, "Zm 9", 4, detail), GROVE_EINVAL);
	cr_expect_str_eq(detail, "Invalid symbol 32, offset 2.");
	cr_expect_eq(base64_decode(out, &n, "Zm9v", 4, detail), 0);
	cr_expect_eq(n, 3);
}

Test(jsonw, escapes_strings_like_serde_json)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_string(&w, "a\"b\\c\n\t\x01\x1f/\x7f\xc3\xa9", 13);
	cr_expect_str_eq(w.buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\x7f\xc3\xa9\"");
	jsonw_fini(&w);
}

Test(jsonw, writes_compact_documents_and_json_lines)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_key_cstr(&w, "a");
	jsonw_array_begin(&w);
	jsonw_int(&w, -1);
	jsonw_int(&w, INT64_MIN);
	jsonw_int(&w, 0);
	jsonw_int(&w, INT64_MAX);
	jsonw_uint(&w, UINT64_MAX);
	jsonw_uint(&w, 0);
	jsonw_double(&w, 0.5);
	jsonw_bool(&w, 0);
	jsonw_null(&w);
	jsonw_raw(&w, "{}", 2);
	jsonw_array_end(&w);
	jsonw_key_cstr(&w, "b");
	jsonw_cstr(&w, "x");
	jsonw_object_end(&w);
	jsonw_newline(&w);
	jsonw_array_begin(&w);
	jsonw_array_end(&w);
	jsonw_newline(&w);
	cr_expect_eq(jsonw_error(&w), 0);
	cr_expect_str_eq(w.buf, "{\"a\":[-1,-9223372036854775808,0,9223372036854775807,"
				"18446744073709551615,0,0.5,false,null,{}],\"b\":\"x\"}\n[]\n");
	jsonw_fini(&w);
}

Test(jsonw, reports_misuse_and_its_byte_bound_stickily)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_int(&w, 1);   /* a value without a key */
	cr_expect_eq(jsonw_error(&w), GROVE_EINVAL);
	jsonw_reset(&w);
	jsonw_array_end(&w);
	cr_expect_eq(jsonw_error(&w), GROVE_EINVAL);
	jsonw_fini(&w);
	jsonw_init(&w, 8);
	jsonw_cstr(&w, "0123456789");
	cr_expect_eq(jsonw_error(&w), GROVE_ETOOBIG);
	jsonw_null(&w);
	cr_expect_eq(jsonw_error(&w), GROVE_ETOOBIG);
	jsonw_fini(&w);
	jsonw_init(&w, 0);
	for (int i = 0; i <= JSONW_DEPTH_MAX; i++)
		jsonw_array_begin(&w);
	cr_expect_eq(jsonw_error(&w), GROVE_EINVAL);
	jsonw_fini(&w);
}
