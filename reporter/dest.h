/*
 * dest - report destinations: the rua/ruf URI lists stored in the
 * history, mailto: addresses, NoReportsList, and external destination
 * verification (RFC 7489 7.1, RFC 9990 section 4).
 *
 * SYNOPSIS
 *	dest_t d[DEST_MAX];
 *	size_t n = dest_parse_list(row_rua, d, DEST_MAX);
 *	if (d[i].addr[0] == '\0') ... not a usable mailto: (d[i].why)
 *	if (dest_listed(cfg->no_reports, d[i].addr)) ... never report
 *	dest_verifier_t *v = dest_verifier_new(&dns_ops, &disc);
 *	n = dest_override(v, "example.com", 'a', d, n, DEST_MAX);
 *	if (d[i].replaced) ... never send (d[i].why)
 *	switch (dest_verify(v, "example.com", d[i].domain, why, sizeof(why)))
 *	dest_verifier_free(v);
 *
 * DESCRIPTION
 *	dest_parse_list() reads the history's form ("uri!bytes,uri", see
 *	history/schema.h policy_rua) into at most max entries.  For
 *	a mailto: URI (RFC 6068) it takes the address before any "?",
 *	percent-decodes it and checks it: one '@', a local part of
 *	printable ASCII without spaces, quotes, angle brackets, commas or
 *	'\\', a valid domain (lower-cased).  Anything else leaves addr ""
 *	and says why ("not a mailto: URI", "bad address").
 *
 *	dest_listed() tells whether an address is in a NoReportsList value
 *	(items separated by commas or spaces): an item with '@' matches
 *	that address (case-insensitively), an item without matches the
 *	address's domain and its subdomains.
 *
 *	dest_verify() decides whether a report about policy_domain may go to
 *	a destination in rua_domain.  The destination is internal when
 *	rua_domain is policy_domain or below it, or when both have the same
 *	organizational domain (dmarc_org_domain(), the method of the
 *	discovery config; answers cached for the verifier's life).  An
 *	external destination must have authorized the policy domain: a TXT
 *	record starting "v=DMARC1" at
 *	<policy_domain>._report._dmarc.<rua_domain>.  Returns 1 (send),
 *	0 (do not send: why says so), -1 (DNS temporary failure: try again
 *	in a later run).  The same check serves rua and ruf.
 *
 *	dest_override() applies what the authorization records say about
 *	the destinations d[0..n) (kind 'a' for rua, 'f' for ruf): a record
 *	that authorizes the policy domain and carries rua= (ruf=) replaces
 *	the external destination (RFC 9990 section 4, RFC 7489 7.1).  The
 *	replacing URIs at the destination's own host are appended to d (at
 *	most max in all, no duplicates); others are ignored (the RFC allows
 *	only the same host).  The original gets `replaced` set and `why`
 *	says by what: it must not be sent to (unless the record names it
 *	too: then it stays).  Destinations that are
 *	internal, not mailto, not authorized or whose record cannot be read
 *	now (DNS) are left as they are; dest_verify() decides about them.
 *	Returns the new count.
 *
 *	The verifier borrows dns and disc; free it with dest_verifier_free
 *	(NULL is fine).  dest_verify_stats() counts the DNS lookups made.
 */
#ifndef REPORTER_DEST_H
#define REPORTER_DEST_H

#include <stdbool.h>
#include <stddef.h>

#include "../policy/discovery.h"
#include "../policy/dmarc_record.h"

/* The record's URIs and what authorization records replace them with. */
#define DEST_MAX (2 * DMARC_MAX_URIS)
#define DEST_ADDR_MAX 320
#define DEST_WHY_MAX 400
#define DEST_OVER_MAX 4096

typedef struct dest {
	char uri[DMARC_URI_MAX];         /* as published, without !size */
	unsigned long long size;         /* RFC 7489 limit in bytes, 0 none */
	char addr[DEST_ADDR_MAX];        /* mailto address, "" if unusable */
	char domain[FROM_DOMAIN_MAX];    /* domain of addr */
	char why[DEST_WHY_MAX];          /* why addr is "" or replaced */
	bool replaced;                   /* by the authorization record */
} dest_t;

typedef struct dest_verifier dest_verifier_t;

size_t dest_parse_list(const char *list, dest_t *out, size_t max);
int dest_mailto(const char *uri, char *addr, size_t addrlen, char *domain,
    size_t domlen, char *why, size_t whylen);
bool dest_listed(const char *no_reports, const char *addr);

dest_verifier_t *dest_verifier_new(const dns_ops_t *dns,
    const discovery_cfg_t *disc);
void dest_verifier_free(dest_verifier_t *v);
int dest_verify(dest_verifier_t *v, const char *policy_domain,
    const char *rua_domain, char *why, size_t whylen);
size_t dest_override(dest_verifier_t *v, const char *policy_domain,
    char kind, dest_t *d, size_t n, size_t max);
unsigned long dest_verify_queries(const dest_verifier_t *v);

#endif
