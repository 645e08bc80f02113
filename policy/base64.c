/*
 * base64 - the one base64 decoder.  See base64.h.
 */
#include "base64.h"

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void base64_init(base64_t *st)
{
	st->acc = 0;
	st->nchars = 0;
	st->npad = 0;
}

int base64_push(base64_t *st, unsigned char c, unsigned char out[3])
{
	int v;

	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return 0;
	if (c == '=') {
		/* "=" fills the last quantum only: after at least two data
		 * characters, and at most two of them. */
		if (++st->npad > 2 || st->nchars < 2)
			return -1;
		st->nchars++;
		st->acc <<= 6;
		return 0;
	}
	if (st->npad > 0 || (v = b64_value(c)) < 0)
		return -1;
	st->acc = (st->acc << 6) | (unsigned long)v;
	if (++st->nchars < 4)
		return 0;
	out[0] = (unsigned char)(st->acc >> 16);
	out[1] = (unsigned char)(st->acc >> 8);
	out[2] = (unsigned char)st->acc;
	st->acc = 0;
	st->nchars = 0;
	return 3;
}

int base64_finish(base64_t *st, bool strict, unsigned char out[3])
{
	unsigned data = st->nchars - st->npad;     /* data characters */

	if (st->nchars == 0)
		return 0;
	if (data < 2 || (strict && st->nchars != 4))
		return -1;
	/* Shift a quantum ended without its padding into place. */
	st->acc <<= 6 * (4 - st->nchars);
	out[0] = (unsigned char)(st->acc >> 16);
	out[1] = (unsigned char)(st->acc >> 8);
	base64_init(st);
	return (int)data - 1;
}
