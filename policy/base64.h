/*
 * base64 - the one base64 decoder (RFC 4648 alphabet), fed a byte at a
 * time so that callers keep their own output bounds.
 *
 * SYNOPSIS
 *	base64_t st;
 *	unsigned char q[3];
 *	int n;
 *
 *	base64_init(&st);
 *	for (each byte c)
 *		if ((n = base64_push(&st, c, q)) < 0) error;
 *		else use q[0..n-1];
 *	if ((n = base64_finish(&st, strict, q)) < 0) error;
 *	else use q[0..n-1];
 *
 * DESCRIPTION
 *	base64_push() skips whitespace (SP, HTAB, CR, LF: RFC 2045 line
 *	breaks and the folding whitespace of DKIM and ARC tag values) and
 *	returns 3 when a quantum of four characters completes, 0 when one
 *	is still open, or -1 for a byte outside the alphabet, for data after
 *	"=" and for a third "=".  A padded quantum is held until
 *	base64_finish(), which returns its 1 or 2 bytes.
 *
 *	base64_finish() ends the input.  With strict (DKIM/ARC b= and bh=,
 *	key data) the characters seen must fill whole quanta, padding
 *	included; otherwise (MIME bodies) a trailing quantum of 2 or 3
 *	characters without "=" still gives its 1 or 2 bytes.  A quantum of
 *	a single character is an error either way.
 *
 *	The state is a few integers: nothing is allocated.
 */
#ifndef POLICY_BASE64_H
#define POLICY_BASE64_H

#include <stdbool.h>

typedef struct base64 {
	unsigned long acc;      /* bits of the open quantum */
	unsigned nchars;        /* characters of the open quantum, "=" too */
	unsigned npad;          /* "=" seen */
} base64_t;

void base64_init(base64_t *st);
int base64_push(base64_t *st, unsigned char c, unsigned char out[3]);
int base64_finish(base64_t *st, bool strict, unsigned char out[3]);

#endif
