/*
 * golden.h - decoding the escapes of golden test data (t/data/<module>/
 * NAME.in), shared by the C unit tests.
 *
 *	size_t n = golden_unescape(line, buf, sizeof(buf));
 *
 * Escapes: \r \n \t, \0 (NUL), \s (space, for trailing blanks), \xHH (a
 * byte), and a backslash before any other character stands for that
 * character.  The output is not NUL-terminated (it may contain NULs);
 * at most size bytes are written.
 */
#ifndef GOLDEN_H
#define GOLDEN_H

#include <stddef.h>

static inline int golden_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline char golden_escape(const char **sp)
{
	const char *s = *sp;

	switch (*s) {
	case 'r': return '\r';
	case 'n': return '\n';
	case 't': return '\t';
	case '0': return '\0';
	case 's': return ' ';
	case 'x':
		if (golden_hexval(s[1]) >= 0 && golden_hexval(s[2]) >= 0) {
			*sp = s + 2;
			return (char)(golden_hexval(s[1]) * 16 +
			    golden_hexval(s[2]));
		}
		break;
	}
	return *s;
}

static inline size_t golden_unescape(const char *s, char *dst, size_t size)
{
	size_t n = 0;

	for (; *s && n < size; s++) {
		if (*s != '\\' || s[1] == '\0') {
			dst[n++] = *s;
			continue;
		}
		s++;
		dst[n++] = golden_escape(&s);
	}
	return n;
}

#endif
