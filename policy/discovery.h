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
 *	dmarc_policy_lookup() queries _dmarc.<author-domain>; when no usable
 *	record is there it continues per the configured method:
 *	 - tree walk (RFC 9989 4.10): walk up towards the root, querying at
 *	   most DISCOVERY_MAX_QUERIES names in total (long names skip to the
 *	   last labels as the RFC says), honouring psd=y/n/u;
 *	 - PSL (RFC 7489 6.6.3): query the organizational domain found with
 *	   the Public Suffix List.
 *	The result says where the record was found (policy_domain), whether
 *	that is the author domain itself (then p applies, else sp/np), the
 *	organizational domain of the author domain, and the number of DNS
 *	queries made.  A TXT temporary failure at any step is a temperror
 *	(RFC 9989: the receiver cannot know the policy).
 *
 *	dmarc_org_domain() determines the organizational domain of any domain
 *	(used for relaxed alignment of DKIM d= and SPF domains) by the same
 *	method.
 *
 *	The psl handle is only read; it belongs to the caller.  Neither
 *	function keeps state between calls; DNS caching is the resolver's job.
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
