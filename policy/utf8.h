/*
 * utf8 - strict UTF-8 validation (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) of byte ranges that need not be
 * NUL-terminated.
 *
 *	size_t n = utf8_seq(p, len);   bytes of the sequence at p, 0 if bad
 *	bool ok = utf8_valid(p, len);
 */
#ifndef UTF8_H
#define UTF8_H

#include <stdbool.h>
#include <stddef.h>

size_t utf8_seq(const unsigned char *p, size_t n);
bool utf8_valid(const unsigned char *p, size_t n);

#endif
