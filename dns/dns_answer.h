/*
 * dns_answer - what the resolver's raw answers become: TXT strings, a
 * name's existence, and the policy core's dns_ops.
 *
 * SYNOPSIS
 *	#include "dns.h"            (includes this header)
 *
 *	dns_lookup(r, name, DNS_T_MX, &res); ... dns_result_free(&res);
 *	dns_txt(r, "_dmarc.example.com", &txt); ... txt_answer_free(&txt);
 *	dns_exists(r, "example.com", reason, sizeof(reason));
 *	dns_ops_t ops; dns_resolver_ops(r, &ops);   (for the policy core)
 *
 * DESCRIPTION
 *	Everything here is built on dns_lookup() (dns.h) and nothing else,
 *	so it works the same over the real resolver (dns.c) and over the
 *	fuzzers' fake one (t/fuzz/fakedns.c), which supplies only
 *	dns_lookup() and the resolver's life cycle.
 *
 *	dns_result_free() frees the records of an answer (NULL ok; the
 *	result itself belongs to the caller).
 *
 *	dns_txt() looks up TXT records and concatenates the character-
 *	strings of each (RFC 7208 §3.3, RFC 7489 §6.6.3 read them so).  A
 *	TXT RDATA whose length octets run past its end is a temporary
 *	failure, "malformed TXT RDATA" (a broken answer, not a record the
 *	domain owner published).  More than DNS_MAX_RR records set
 *	out->truncated.
 *
 *	dns_exists() says whether a name exists: any answer or NODATA for
 *	A, AAAA or MX is DNSOPS_OK; NXDOMAIN for all three is
 *	DNSOPS_NXDOMAIN; otherwise DNSOPS_TEMPFAIL with the reason.  A
 *	timeout ends the search, so it waits at most one timeout.
 *
 *	dns_resolver_ops() fills the policy core's callbacks (dnsops.h) so
 *	that it queries through r.
 */
#ifndef MILTER_DNS_ANSWER_H
#define MILTER_DNS_ANSWER_H

#include "dns.h"

void dns_result_free(dns_result_t *res);
dnsops_status_t dns_txt(dns_resolver_t *r, const char *name,
    txt_answer_t *out);
dnsops_status_t dns_exists(dns_resolver_t *r, const char *name,
    char *reason, size_t reasonlen);
void dns_resolver_ops(dns_resolver_t *r, dns_ops_t *ops);

#endif
