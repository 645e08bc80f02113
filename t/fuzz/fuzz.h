/*
 * fuzz.h - what every libFuzzer target in t/fuzz/ shares.
 *
 * DESCRIPTION
 *	Each t/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput() for one
 *	parser.  The same source is linked with libFuzzer (make fuzz, clang,
 *	t/fuzz/build/) and with standalone.c (make, the normal toolchain,
 *	t/fuzz/bin/, replayed by t/fuzz/regress.t).  A target must accept any
 *	bytes, never read past size, free everything it allocates, and abort()
 *	(FUZZ_CHECK) when a documented invariant of the code under test does
 *	not hold, so that libFuzzer records the input.
 *
 *	fuzz_cstr() returns a NUL-terminated heap copy (free with free()) for
 *	APIs that take C strings; NUL bytes inside stay, so the API sees the
 *	string cut there, as it would from libmilter.
 */
#ifndef T_FUZZ_FUZZ_H
#define T_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

#endif
