/*
 * discovery - find the DMARC policy record and organizational domain for
 * a domain: the RFC 9989 DNS tree walk, or the RFC 7489 Public Suffix
 * List method (libpsl).
 *
 * SYNOPSIS
 *	discovery_cfg_t cfg = { DISCOVERY_TREEWALK, psl };
 *	policy_lookup_t pl;
 *	dmarc_policy_lookup("mail.example.com", &cfg, &dns, &pl);
 *	dmarc_org_domain("d.example.com", &cfg, &dns, org, sizeof(org), &q);
 *
 * DESCRIPTION
 *	dmarc_policy_lookup() finds the DMARC policy record for an author
 *	domain (normalized first: lower case, one trailing dot dropped; an
 *	invalid name gives POLICY_NONE without any query).
 *
 *	Tree walk (default; RFC 9989 4.10, 4.10.1, 4.10.2).  One walk serves
 *	both the policy and the organizational domain: query
 *	_dmarc.<author>, then shorten the name (fewer than 8 labels: drop
 *	the left-most label; 8 or more: keep the last 7), then one label at a
 *	time up to the TLD, stopping early at a single DMARC record with
 *	psd=y or psd=n.  At most DISCOVERY_MAX_QUERIES (8) queries; a name
 *	whose _dmarc form passes 253 bytes is skipped, not queried.  At each
 *	name, non-DMARC TXT strings are ignored and several DMARC records are
 *	all discarded (the walk goes on), as is a record that is invalid
 *	for structural reasons (duplicate tag, NUL, length).
 *	 - organizational domain (4.10.2): the last record found, if it has
 *	   psd=n; the name one label below it (along the author domain), if
 *	   it has psd=y and is not the author domain itself; otherwise the
 *	   found name with the fewest labels; with no record at all, the
 *	   author domain itself;
 *	 - policy record (4.10.1): the author domain's record
 *	   (policy_is_author, p applies), else the organizational domain's,
 *	   else the psd=y record (public suffix domain); for the last two sp
 *	   or np apply (the caller decides, it knows whether the author
 *	   domain exists).  policy_domain names where it was found.
 *	PSL (RFC 7489 6.6.3, 3.2): query _dmarc.<author>; only when it holds
 *	no DMARC record at all, query _dmarc.<org domain> where the org
 *	domain is libpsl's registrable domain (a public suffix is its own
 *	org domain; with no psl handle every domain is its own).  Several
 *	DMARC records at the author domain end the lookup (no fallback).
 *
 *	A record whose only fault is an invalid p/sp/np value and that has
 *	no valid rua URI (dmarc_record.h: policy_invalid) is a record that
 *	was found: if it is the one to apply, the result is POLICY_NONE
 *	("applies no DMARC processing", RFC 9989 4.10.1), rec holds it.
 *	With a valid rua it is applied as p=none (POLICY_FOUND).
 *
 *	A TXT answer marked stale (the resolver served a kept earlier
 *	answer after a temporary failure) counts as an answer; from_cache
 *	is then set and reason says so.
 *
 *	A TXT temporary failure at any step stops the lookup with
 *	POLICY_TEMPERROR (the walk cannot tell the org domain either); the
 *	other fields then hold what was known.  `queries` counts the TXT
 *	queries sent.  `reason` collects notes: records discarded, why no
 *	policy, the failing name and the resolver's reason (printable).
 *
 *	dmarc_org_domain() determines the organizational domain of any domain
 *	(used for relaxed alignment of DKIM d= and SPF domains) by the same
 *	method, the tree walk starting at the domain itself.  An invalid
 *	name is returned lower-cased as its own org domain, without query.
 *	*queries (may be NULL) is set to the queries sent.
 *
 *	The psl handle is only read; it belongs to the caller.  Neither
 *	function keeps state between calls; DNS caching is the resolver's job.
 *	About 40 KB of stack per call.
 */
#ifndef DISCOVERY_H
#define DISCOVERY_H

#include <libpsl.h>

#include "dmarc_record.h"
#include "dnsops.h"
#include "from_header.h"

#define DISCOVERY_MAX_QUERIES 8
#define DISCOVERY_REASON_MAX 192

typedef enum discovery_method {
	DISCOVERY_TREEWALK = 0,
	DISCOVERY_PSL,
} discovery_method_t;

typedef struct discovery_cfg {
	discovery_method_t method;
	const psl_ctx_t *psl;   /* required for DISCOVERY_PSL */
} discovery_cfg_t;

typedef enum policy_lookup_status {
	POLICY_FOUND = 0,     /* rec is valid */
	POLICY_NONE,          /* no DMARC policy: DMARC result none */
	POLICY_TEMPERROR,     /* DNS failure: DMARC result temperror */
} policy_lookup_status_t;

typedef struct policy_lookup {
	policy_lookup_status_t status;
	discovery_method_t method;
	char author_domain[FROM_DOMAIN_MAX];
	char policy_domain[FROM_DOMAIN_MAX]; /* where rec was found */
	char org_domain[FROM_DOMAIN_MAX];    /* of the author domain */
	bool policy_is_author;  /* rec found at _dmarc.<author_domain> */
	bool from_cache;        /* an answer of the walk was the resolver's
	                           kept earlier one (dnsops.h: stale) */
	dmarc_record_t rec;
	unsigned queries;
	char reason[DISCOVERY_REASON_MAX];   /* none/temperror cause, and
	                                        invalid records skipped */
} policy_lookup_t;

void dmarc_policy_lookup(const char *author_domain,
    const discovery_cfg_t *cfg, const dns_ops_t *dns, policy_lookup_t *out);

/* Returns DNSOPS_OK with out filled, or DNSOPS_TEMPFAIL. */
dnsops_status_t dmarc_org_domain(const char *domain,
    const discovery_cfg_t *cfg, const dns_ops_t *dns, char *out,
    size_t outlen, unsigned *queries);

const char *discovery_method_name(discovery_method_t m); /* "treewalk", "psl" */

#endif
