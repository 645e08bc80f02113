/*
 * spf_syntax - strict RFC 7208 section 12 syntax check of an SPF record.
 *
 * SYNOPSIS
 *	char why[SPF_SYNTAX_WHY_MAX];
 *	if (spf_syntax_check(text, len, why, sizeof(why)) < 0)
 *		... permerror, why says which term ...
 *	spf_syntax_is_spf1(text, len)
 *
 * DESCRIPTION
 *	libspf2 compiles some records the RFC says are errors (unknown
 *	characters, "-all.", bad top labels, macro typos, duplicate redirect=
 *	or exp=, octets outside printable ASCII).  spf_syntax_check() walks
 *	the record term by term against the ABNF of RFC 7208 section 12 and
 *	returns -1 with a short printable reason for the first bad term, 0
 *	when the whole record is well-formed.  It looks at syntax only: no
 *	macro is expanded, no DNS is used.
 *
 *	spf_syntax_is_spf1() tells whether a TXT string is an SPF record at
 *	all: "v=spf1" (any case) followed by a space or the end (4.5).
 *
 *	Input is bounded by len (SPF_SYNTAX_MAX_LEN at most; longer is an
 *	error); a NUL byte inside the record is an error, not an end.
 */
#ifndef MILTER_SPF_SYNTAX_H
#define MILTER_SPF_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

#define SPF_SYNTAX_WHY_MAX 128
#define SPF_SYNTAX_MAX_LEN 4096

bool spf_syntax_is_spf1(const char *text, size_t len);
int spf_syntax_check(const char *text, size_t len, char *why, size_t whylen);

#endif
