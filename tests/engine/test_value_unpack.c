/*
 * test_value_unpack.c — value_row_unpack builds exactly the objects
 * msgpack_unpack builds, for rows of every msgpack encoding (each integer
 * width signed and unsigned, float32/64, str and bin of every length
 * class, nil, bools, nested arrays, maps, exts, array16 rows), and refuses
 * every truncation of a row.
 */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <string.h>

#include "engine/value.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void pack_bytes(msgpack_packer *pk, int bin)
{
	static const size_t lens[] = { 0, 1, 5, 31, 32, 255, 256, 300, 70000 };
	static char body[70000];
	size_t n = lens[next_rand() % (sizeof(lens) / sizeof(lens[0]))];
	for (size_t i = 0; i < n; i++)
		body[i] = (char)('a' + i % 26);
	if (bin) {
		msgpack_pack_bin(pk, n);
		msgpack_pack_bin_body(pk, body, n);
	} else {
		msgpack_pack_str(pk, n);
		msgpack_pack_str_body(pk, body, n);
	}
}

static void pack_item(msgpack_packer *pk, int depth)
{
	int64_t s = (int64_t)next_rand() >> (next_rand() % 64);
	switch (next_rand() % 16) {
	case 0: msgpack_pack_nil(pk); break;
	case 1: next_rand() % 2 ? msgpack_pack_true(pk) : msgpack_pack_false(pk); break;
	case 2: msgpack_pack_int8(pk, (int8_t)s); break;
	case 3: msgpack_pack_int16(pk, (int16_t)s); break;
	case 4: msgpack_pack_int32(pk, (int32_t)s); break;
	case 5: msgpack_pack_int64(pk, next_rand() % 2 ? s : -s); break;
	case 6: msgpack_pack_uint8(pk, (uint8_t)s); break;
	case 7: msgpack_pack_uint16(pk, (uint16_t)s); break;
	case 8: msgpack_pack_uint64(pk, (uint64_t)s); break;
	case 9: msgpack_pack_fix_int8(pk, (int8_t)s); break;   /* always 0xd0 */
	case 10: msgpack_pack_float(pk, (float)s / 7.0f); break;
	case 11: msgpack_pack_double(pk, (double)s / 3.0); break;
	case 12: pack_bytes(pk, 0); break;
	case 13: pack_bytes(pk, 1); break;
	case 14:
		if (depth < 3) {
			uint32_t n = (uint32_t)(next_rand() % 20);
			msgpack_pack_array(pk, n);
			for (uint32_t i = 0; i < n; i++)
				pack_item(pk, depth + 1);
			break;
		}
		msgpack_pack_int64(pk, s);
		break;
	default:
		if (next_rand() % 2) {
			msgpack_pack_map(pk, 2);
			for (int i = 0; i < 4; i++)
				pack_item(pk, 3);
		} else {
			msgpack_pack_ext(pk, 3, 5);
			msgpack_pack_ext_body(pk, "12345", 3);
		}
		break;
	}
}

Test(value_unpack, rows_unpack_as_msgpack_unpacks_them)
{
	for (int round = 0; round < 3000; round++) {
		msgpack_sbuffer sb;
		msgpack_packer pk;
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		uint32_t n = (uint32_t)(next_rand() % 40);   /* fixarray and array16 rows */
		msgpack_pack_array(&pk, n);
		for (uint32_t i = 0; i < n; i++)
			pack_item(&pk, 0);
		msgpack_zone za, zb;
		msgpack_zone_init(&za, 512);
		msgpack_zone_init(&zb, 512);
		msgpack_object a, b;
		size_t off = 0;
		cr_assert_eq(msgpack_unpack(sb.data, sb.size, &off, &za, &a), MSGPACK_UNPACK_SUCCESS);
		cr_assert_eq(value_row_unpack(&b, sb.data, sb.size, &zb), 0, "round %d", round);
		cr_assert_eq(b.type, MSGPACK_OBJECT_ARRAY);
		cr_assert_eq(b.via.array.size, n);
		for (uint32_t i = 0; i < n; i++) {
			cr_assert_eq(a.via.array.ptr[i].type, b.via.array.ptr[i].type, "round %d item %u", round, i);
			cr_assert(msgpack_object_equal(a.via.array.ptr[i], b.via.array.ptr[i]), "round %d item %u", round, i);
		}
		/* Every truncation is refused (a row never ends early). */
		for (size_t cut = 0; cut < sb.size && cut < 200; cut++)
			cr_assert_eq(value_row_unpack(&b, sb.data, cut, &zb), -1, "round %d cut %zu", round, cut);
		msgpack_zone_destroy(&za);
		msgpack_zone_destroy(&zb);
		msgpack_sbuffer_destroy(&sb);
	}
}

Test(value_unpack, a_row_that_is_not_an_array_unpacks_as_msgpack_says)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_zone z;
	msgpack_object o;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "hi", 2);
	msgpack_zone_init(&z, 512);
	cr_assert_eq(value_row_unpack(&o, sb.data, sb.size, &z), 0);
	cr_assert_eq(o.type, MSGPACK_OBJECT_STR);
	const char bad[] = { (char)0x91, (char)0xc1 };   /* 0xc1 is never used */
	cr_assert_eq(value_row_unpack(&o, bad, sizeof(bad), &z), -1);
	msgpack_zone_destroy(&z);
	msgpack_sbuffer_destroy(&sb);
}
