/*
 * spf - SPF (RFC 7208) checks with libspf2 behind dmarcwarden's resolver.
 *
 * SYNOPSIS
 *	spf_checker_t *c = spf_checker_new(resolver, err, sizeof(err));
 *	spf_outcome_t o;
 *	spf_check(c, "192.0.2.1", "helo.example", "user@example.com", &o);
 *	spf_checker_free(c);
 *
 * DESCRIPTION
 *	check_host() for the MAIL FROM identity, or for the HELO identity
 *	when MAIL FROM is the null sender (RFC 7208 2.4: postmaster@helo).
 *	libspf2 does the evaluation; every DNS query it makes goes through a
 *	libspf2 DNS layer (SPF_dns_server_t) backed by dns.c, which also
 *	enforces RFC 7208 4.6.4: at most 10 DNS-querying terms and at most
 *	2 void lookups per check, either giving permerror.  libspf2's
 *	SPF_RESULT_INVALID with an error code is mapped to temperror (DNS
 *	failure) or permerror (syntax and limits).
 *
 *	The checker is thread-safe; each spf_check() uses its own libspf2
 *	request and per-check counters.
 *
 *	o->domain is the domain that was checked (MAIL FROM domain, or the
 *	HELO name), the identity DMARC aligns.  o->reason carries libspf2's
 *	diagnostic or ours, for logs and Authentication-Results comments.
 */
#ifndef MILTER_SPF_H
#define MILTER_SPF_H

#include "../policy/evaluate.h"
#include "../dns/dns.h"

#define SPF_REASON_MAX 160

typedef struct spf_checker spf_checker_t;

typedef struct spf_outcome {
	auth_result_t result;       /* none/neutral/pass/fail/softfail/
	                               temperror/permerror */
	spf_scope_t scope;
	char domain[FROM_DOMAIN_MAX];
	char reason[SPF_REASON_MAX];
} spf_outcome_t;

spf_checker_t *spf_checker_new(dns_resolver_t *r, char *err, size_t errlen);
void spf_checker_free(spf_checker_t *c);

/* ip: textual IPv4 or IPv6 client address.  helo may be NULL or empty.
 * mailfrom: the envelope sender without angle brackets; "" for <>. */
void spf_check(spf_checker_t *c, const char *ip, const char *helo,
    const char *mailfrom, spf_outcome_t *out);

#endif
