/*
 * spf_syntax - strict RFC 7208 section 12 syntax check of an SPF record.
 *
 * SYNOPSIS
 *	char why[SPF_SYNTAX_WHY_MAX];
 *	if (spf_syntax_check(text, len, why, sizeof(why)) < 0)
 *		... permerror, why says which term ...
 *	spf_syntax_is_spf1(text, len)
 *	spf_syntax_rewrite(text, len, AF_INET, &sb, &features)
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
 *	spf_syntax_rewrite() takes a record that passed spf_syntax_check()
 *	and writes into sb the equivalent record libspf2 evaluates as RFC
 *	7208 says: unknown modifiers dropped, redirect= moved last and dropped
 *	when an "all" mechanism exists (6.1), ip4/ip6 "/0" split into two
 *	"/1" halves, and an a/mx CIDR of 0 for the client's address family
 *	(af) expressed with SPF_SYNTAX_CIDR0_LABEL in front of the domain,
 *	which the caller's DNS layer must strip and honour; it also reports
 *	which features the record uses.  Returns -1 when sb overflowed.
 *
 *	Input is bounded by len (SPF_SYNTAX_MAX_LEN at most; longer is an
 *	error); a NUL byte inside the record is an error, not an end.
 */
#ifndef MILTER_SPF_SYNTAX_H
#define MILTER_SPF_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/strbuf.h"

#define SPF_SYNTAX_WHY_MAX 128
#define SPF_SYNTAX_MAX_LEN 4096

bool spf_syntax_is_spf1(const char *text, size_t len);
int spf_syntax_check(const char *text, size_t len, char *why, size_t whylen);

/* Label spf_syntax_rewrite() puts in front of an a/mx domain whose CIDR
 * length for the client's family is 0: "any address of this name". */
#define SPF_SYNTAX_CIDR0_LABEL "_dw-cidr0"

typedef struct spf_features {
	bool has_all;        /* an "all" mechanism */
	bool has_ptr;        /* a "ptr" mechanism */
	bool has_p_macro;    /* a %{p} macro */
} spf_features_t;

int spf_syntax_rewrite(const char *text, size_t len, int af, strbuf_t *out,
    spf_features_t *f);

#endif
