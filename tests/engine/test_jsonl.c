/* tests/engine/test_jsonl.c — being written. */
#include <criterion/criterion.h>

Test(jsonl, placeholder) {}
