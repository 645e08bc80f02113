/*
 * ruf - read one DMARC failure report (an RFC 6591 authentication
 * failure report in the RFC 5965 ARF format, as RFC 9991 receivers send
 * to ruf= addresses) from an email, boundedly.
 *
 * SYNOPSIS
 *	ruf_t r;
 *	if (ruf_parse(msg, len, max, &r, err, sizeof(err)) == 1) ...
 *	ruf_field(block, len, "Source-IP", out, sizeof(out));
 *
 * DESCRIPTION
 *	ruf_parse() walks the email's MIME parts (mime_parts(), each part
 *	decoded into at most max bytes) and reads:
 *	 - the message/feedback-report part: Feedback-Type (must be
 *	   auth-failure when present), Auth-Failure, Reported-Domain,
 *	   Source-IP, Arrival-Date, Original-Mail-From, Delivery-Result,
 *	   Identity-Alignment, DKIM-Domain, Authentication-Results;
 *	 - without one, the "Key: value" lines some reporters (Exim) put in
 *	   the text/plain part instead: Sender Domain, Sender IP Address,
 *	   Received date, SPF Alignment, DKIM Alignment;
 *	 - the enclosed message (message/rfc822 or text/rfc822-headers):
 *	   its From domain and Subject;
 *	 - the report email itself: the reporter (the domain of From).
 *	The domain is Reported-Domain, else the enclosed From's domain, else
 *	header.from= of Authentication-Results; it is normalised
 *	(domain_normalize()) and required.  Source-IP must be an IPv4 or
 *	IPv6 address or is left empty.  Arrival-Date (RFC 5322 date) gives
 *	`arrival`; without a readable one, the report email's Date; else 0.
 *	Every text field is bounded and printable.  `digest` is the SHA-256
 *	(hex) of the feedback fields and the enclosed message's headers: the
 *	same report received twice has the same digest.
 *
 *	ruf_field() copies the named header field of a header-like block
 *	(lines "Name: value", folded lines unfolded, CRLF or LF), printable,
 *	without leading blanks; "" when absent.
 *
 * DIAGNOSTICS
 *	ruf_parse() returns 1 with r filled, 0 when the email is no failure
 *	report (err says why), -1 when its MIME structure is broken (err).
 */
#ifndef PTOOL_RUF_H
#define PTOOL_RUF_H

#include <stddef.h>

#include "rua_xml.h"

#define RUF_TEXT_MAX 256
#define RUF_AUTHRES_MAX 1024
#define RUF_ERR_MAX 160

typedef struct ruf {
	char domain[RUA_DOMAIN_MAX];        /* reported domain, normalised */
	char reporter[RUA_DOMAIN_MAX];      /* domain of the report's From */
	char source_ip[RUA_IP_MAX];
	long long arrival;                  /* epoch, 0 unknown */
	char auth_failure[RUA_WORD_MAX];    /* dmarc, dkim, spf, ... */
	char delivery_result[RUA_WORD_MAX]; /* delivered, reject, ... */
	char identity_alignment[RUA_WORD_MAX];
	char dkim_domain[RUA_DOMAIN_MAX];
	char mail_from[RUF_TEXT_MAX];
	char header_from[RUA_DOMAIN_MAX];   /* enclosed message's From domain */
	char subject[RUF_TEXT_MAX];         /* enclosed message's Subject */
	char auth_results[RUF_AUTHRES_MAX];
	char digest[65];
} ruf_t;

int ruf_parse(const char *msg, size_t len, size_t max, ruf_t *r, char *err,
    size_t errlen);
void ruf_field(const char *block, size_t len, const char *name, char *out,
    size_t outlen);

#endif
