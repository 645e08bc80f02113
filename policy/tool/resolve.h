/*
 * resolve - the tool's DNS: the daemon's resolver (dns/dns.h) plus PTR
 * and address helpers.
 *
 * SYNOPSIS
 *	resolve_t *r = resolve_new(nameservers, timeout_ms, err, sizeof(err));
 *	resolve_ptr(r, "192.0.2.1", name, sizeof(name));
 *	dns_ops_t ops; resolve_ops(r, &ops);
 *	resolve_free(r);
 *
 * DESCRIPTION
 *	nameservers is "ADDR[@PORT] ..." (tests use the loopback test DNS)
 *	or NULL for /etc/resolv.conf.  resolve_ptr() builds the in-addr.arpa
 *	or ip6.arpa name, queries PTR and returns the first name, lower-case
 *	without the trailing dot, then forward-confirms it (FCrDNS: the
 *	name's A or AAAA records must include the address); it matches
 *	analysis_ptr_fn (ctx is the resolve_t).  After
 *	RESOLVE_MAX_PTR_FAILURES temporary failures in a row (no network, a dead
 *	resolver) it stops querying and returns -1
 *	at once, so a report is not held up by one timeout per source.
 *	resolve_count() returns a DNS lookup's record count and status for the
 *	SPF walker (A, AAAA, MX, TXT by type number).
 *
 * DIAGNOSTICS
 *	resolve_new() returns NULL with err set.  resolve_ptr() returns 1
 *	with a forward-confirmed name, 0 with a name that is not confirmed,
 *	-1 when there is none (or on DNS failure).
 */
#ifndef PTOOL_RESOLVE_H
#define PTOOL_RESOLVE_H

#include <stddef.h>

#include "../../dns/dns.h"

#define RESOLVE_MAX_PTR_FAILURES 3

typedef struct resolve {
	dns_resolver_t *dns;
	unsigned lookups;
	unsigned ptr_failures;      /* consecutive temporary failures */
} resolve_t;

resolve_t *resolve_new(const char *nameservers, unsigned timeout_ms,
    char *err, size_t errlen);
void resolve_free(resolve_t *r);
void resolve_ops(resolve_t *r, dns_ops_t *ops);
int resolve_ptr(void *ctx, const char *ip, char *name, size_t size);
/* Reverse lookup name of an address; -1 when ip is not an address. */
int resolve_reverse_name(const char *ip, char *out, size_t size);
/* Decode an uncompressed wire-format name at p[0..n); -1 if malformed. */
int resolve_wire_name(const unsigned char *p, size_t n, char *out,
    size_t size);

#endif
