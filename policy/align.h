/*
 * align - DMARC identifier alignment (RFC 9989 3.2.4, RFC 7489 3.1).
 *
 * SYNOPSIS
 *	int a = align_check(from, from_org, id, mode, &cfg, &dns, &queries);
 *
 * DESCRIPTION
 *	Strict mode: the identifier domain equals the author domain
 *	(ASCII case-insensitive).  Relaxed mode: both have the same
 *	organizational domain.  from_org is the author domain's
 *	organizational domain, already known from policy discovery; the
 *	identifier's is found with dmarc_org_domain() only when it could
 *	match (the identifier is from_org or one of its subdomains), so most
 *	unaligned identifiers cost no DNS query.  Domains are compared
 *	without a trailing dot.
 *
 * DIAGNOSTICS
 *	Returns 1 (aligned), 0 (not aligned), or -1 when the identifier's
 *	organizational domain could not be determined (DNS temporary error).
 */
#ifndef ALIGN_H
#define ALIGN_H

#include "discovery.h"

int align_check(const char *from_domain, const char *from_org,
    const char *id_domain, dmarc_align_t mode, const discovery_cfg_t *cfg,
    const dns_ops_t *dns, unsigned *queries);

/* True when name equals parent or is a subdomain of it (label boundary),
 * ASCII case-insensitive. */
bool domain_within(const char *name, const char *parent);

#endif
