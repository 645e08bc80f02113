/*
 * domain - normalise a domain name to the form DMARC compares: lower-case
 * A-labels, no trailing dot.
 *
 * SYNOPSIS
 *	char d[DOMAIN_MAX];
 *	if (domain_normalize(in, len, d, sizeof(d)) < 0) ...
 *	domain_normalize_reason(in, len, d, sizeof(d), why, sizeof(why));
 *
 * DESCRIPTION
 *	Reads exactly len bytes of in (not necessarily NUL-terminated).
 *	Lower-cases, strips one trailing dot, converts each non-ASCII label
 *	with libidn2 (IDNA2008, TR46 non-transitional mapping, NFC input)
 *	and then requires: labels of 1..63 octets made of letters, digits,
 *	"-" and "_", no label that starts or ends with "-", a name of at
 *	most 253 octets, and a top-level label that is not all digits.  "_"
 *	is allowed because DMARC evaluates DNS names, not host names.  ASCII
 *	labels are not passed through libidn2, so existing IDNA2003-era
 *	A-labels ("xn--" labels libidn2 would refuse) and labels like
 *	"ab--cd" are kept as they are: the DNS decides whether they exist.
 *	Input longer than 1024 bytes is refused before any conversion.
 *
 *	Used for header-From domains, DKIM d=, SPF domains, envelope
 *	domains and configured domain lists.
 *
 * DIAGNOSTICS
 *	Both return 0, or -1 when the name is invalid or does not fit in
 *	outlen bytes; domain_normalize_reason() then writes a short
 *	printable reason (never input bytes) to reason[reasonlen] when
 *	reason is not NULL.
 */
#ifndef DOMAIN_H
#define DOMAIN_H

#include <stddef.h>

#define DOMAIN_MAX 254          /* 253 octets + NUL */
#define DOMAIN_RAW_MAX 1024     /* input bytes accepted before IDNA */

int domain_normalize(const char *in, size_t len, char *out, size_t outlen);
int domain_normalize_reason(const char *in, size_t len, char *out,
    size_t outlen, char *reason, size_t reasonlen);

#endif
