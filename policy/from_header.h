/*
 * from_header - extract the author domains from an RFC 5322 From field.
 *
 * SYNOPSIS
 *	from_result_t fr;
 *	if (from_header_parse(value, len, &fr) < 0) use fr.reason;
 *	for (i = 0; i < fr.ndomains; i++) use fr.domain[i];
 *
 * DESCRIPTION
 *	Parses the field body (without "From:") of at most FROM_MAX_INPUT
 *	bytes: mailbox-list with display names, quoted strings, comments
 *	(nested), angle-addr, obsolete route syntax, groups, RFC 2047 encoded
 *	words in display names (skipped, never decoded into the domain),
 *	folding whitespace.  Each domain is returned lower-case, without a
 *	trailing dot, in A-label form (U-labels are converted with libidn2,
 *	IDNA2008 with TR46 non-transitional mapping).  Domain literals
 *	([192.0.2.1]) are an error: DMARC cannot evaluate them.  Duplicate
 *	domains are returned once.  At most FROM_MAX_DOMAINS domains.
 *
 * DIAGNOSTICS
 *	Returns the number of distinct domains (>= 1), or -1 with fr.reason
 *	set: empty field, no mailbox, mailbox without domain, syntax error
 *	(with byte offset), invalid domain, IDN conversion failure, too many
 *	mailboxes, input too long.  See from_header.c for the exact rules
 *	(underscores, 8-bit bytes, line breaks).
 */
#ifndef FROM_HEADER_H
#define FROM_HEADER_H

#include <stddef.h>

#include "domain.h"

#define FROM_MAX_DOMAINS 16
#define FROM_DOMAIN_MAX 254     /* 253 + NUL */
#define FROM_MAX_INPUT 16384
#define FROM_REASON_MAX 128
#define FROM_MAX_COMMENT_DEPTH 32 /* nested "(" levels */

typedef struct from_result {
	size_t ndomains;
	size_t nmailboxes;          /* mailboxes seen, counting duplicates */
	char domain[FROM_MAX_DOMAINS][FROM_DOMAIN_MAX];
	char reason[FROM_REASON_MAX];
} from_result_t;

int from_header_parse(const char *value, size_t len, from_result_t *out);


#endif
