/*
 * afrf - one DMARC failure report (RFC 9991) in the Authentication
 * Failure Reporting Format (RFC 6591 over ARF, RFC 5965), built from a
 * failure sample and the history row of its message.
 *
 * SYNOPSIS
 *	afrf_sample_t s = { ... };          (failrep.c reads it)
 *	strbuf_t msg;
 *	afrf_message(&s, "mx.example.net", sender, to, msgid, now, &msg);
 *	strbuf_free(&msg);
 *
 * DESCRIPTION
 *	afrf_message() builds multipart/report;
 *	report-type=feedback-report with three parts: a text/plain
 *	explanation, the message/feedback-report fields and the sample's
 *	header as text/rfc822-headers (already redacted by the milter: only
 *	the FailureReportHeaders fields; bytes that are not 7-bit printable
 *	or tab become '?').  The feedback-report fields:
 *	 - ARF (RFC 5965): Feedback-Type: auth-failure, Version: 1,
 *	   User-Agent (name/version), Original-Mail-From, Arrival-Date,
 *	   Source-IP, Reported-Domain;
 *	 - RFC 6591 required: Auth-Failure, and Authentication-Results
 *	   (authserv-id `authserv`; dmarc (the history's result: fo=1
 *	   samples a message that passed with one mechanism unaligned)
 *	   with header.from, spf with
 *	   smtp.mailfrom or smtp.helo, every DKIM signature with header.d
 *	   and header.s, "dkim=none" when unsigned; one resinfo a line);
 *	 - RFC 9991 required: Identity-Alignment ("dkim", "spf", "dkim,
 *	   spf" or "none", from the history's aligned flags), SPF-DNS (the
 *	   SPF record s->spf_record of s->spf_domain as one or more quoted
 *	   strings, "" when the domain has none; left out only when no SPF
 *	   domain was checked), and, when the message was signed,
 *	   DKIM-Domain, DKIM-Identity and DKIM-Selector of one signature:
 *	   the first whose d= is the author domain or related to it, else
 *	   the first.  The history keeps no i= tag, so DKIM-Identity is
 *	   "@" and the d= (the RFC 6376 default of i=).
 *	Values taken from the history are made printable; long records are
 *	cut into quoted strings on folded lines (no line over 998 octets).
 *
 *	Returns 0, or -1 when the message cannot be built (msg too large,
 *	non-printable header values); msg belongs to the caller either
 *	way (strbuf_free).
 */
#ifndef REPORTER_AFRF_H
#define REPORTER_AFRF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../conf/config.h"
#include "../util/strbuf.h"

#define AFRF_DKIM_MAX 4096
#define AFRF_SPF_RECORD_MAX 2048

typedef struct afrf_sample {
	long long id;
	time_t time;
	char policy_domain[FROM_DOMAIN_MAX];
	char header_from[FROM_DOMAIN_MAX];
	char source_ip[64];
	char mail_from[512];
	char auth_failure[16];
	char ruf[2048];
	char *headers;               /* owned */
	/* from the message's history row */
	char psd[2];                 /* y, n, u; "" unknown */
	char result[16];             /* DMARC result; "" unknown: fail */
	char spf_domain[FROM_DOMAIN_MAX];
	char spf_scope[8];           /* mfrom, helo */
	char spf_result[16];
	bool spf_aligned, dkim_aligned;
	char dkim[AFRF_DKIM_MAX];    /* messages.dkim_summary form */
	/* looked up at report time */
	char spf_record[AFRF_SPF_RECORD_MAX];
} afrf_sample_t;

int afrf_message(const afrf_sample_t *s, const char *authserv,
    const char *sender, const char *to, const char *msgid, time_t now,
    strbuf_t *msg);

#endif
