/*
 * tests/fuzz/fuzz.h — what the fuzz targets share.
 *
 * Each target defines LLVMFuzzerTestOneInput().  It is linked either with
 * libFuzzer (-Dfuzz=true, clang) or with replay_main.c, a plain driver that
 * feeds it the committed corpus and reproducers as a normal test.
 *
 * FUZZ_CHECK is an invariant of the code under test (not of the input):
 * when it fails the target aborts, which libFuzzer reports as a crash and
 * the replay test as a failure.  It is active whatever NDEBUG says.
 */
#ifndef GROVE_TESTS_FUZZ_H
#define GROVE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n",   \
			        __FILE__, __LINE__, #cond);                     \
			abort();                                                \
		}                                                               \
	} while (0)

#endif /* GROVE_TESTS_FUZZ_H */
