/*
 * dns - the one shared libunbound resolver of a dmarcwarden process.
 *
 * SYNOPSIS
 *	dns_resolver_t *r = dns_resolver_new(&cfg, err, sizeof(err));
 *	dns_ops_t ops; dns_resolver_ops(r, &ops);   (for the policy core)
 *	dns_lookup(r, "example.com", DNS_T_MX, &res);  ... dns_result_free(&res)
 *	dns_resolver_free(r);
 *
 * DESCRIPTION
 *	One libunbound context per process, shared by every milter thread and
 *	every consumer (DMARC records, SPF through libspf2's DNS layer, DKIM
 *	keys through libopendkim's key lookup hook), so all of them share one
 *	cache.  Queries are asynchronous inside libunbound; a dispatcher
 *	thread processes answers and each caller waits at most cfg->timeout_ms
 *	for its own, then cancels it and gets DNSOPS_TEMPFAIL ("timeout").
 *	Answers (not temporary failures) are also kept in the caller's
 *	thread for their TTL (dnscache.h), which spares the round trip
 *	through libunbound's worker thread.
 *
 *	Resolver: cfg->nameservers ("ADDR[@PORT]" separated by spaces or
 *	commas, at most DNS_MAX_FORWARDERS) are used as forwarders, each in
 *	its own libunbound context; when empty, one context with the
 *	forwarders of /etc/resolv.conf.  A lookup makes up to three attempts
 *	(cfg->timeout_ms split into parts of at least a second), the first to
 *	the forwarder that answered last, each next one to the next
 *	forwarder; an attempt without answer is cancelled before libunbound's
 *	own retransmit timer runs out, so a time-out never marks a forwarder
 *	down and one domain's dead DNS cannot fail other domains' lookups.
 *
 *	Bounds: at most cfg->per_domain_lookups lookups in flight per
 *	registrable domain (dnslimit.h); one more fails at once with
 *	DNSOPS_TEMPFAIL, reason "N lookups in flight for DOMAIN".  With
 *	cfg->policy_cache_s, the last good answer for each TXT name starting
 *	with "_dmarc." is kept that long (dnscache_new_fallback(), 1024
 *	names) and served, marked stale, when a later lookup of the name
 *	fails temporarily; the reason then ends in ", answer from cache".
 *
 *	With
 *	cfg->dnssec a trust anchor file is loaded and bogus answers are
 *	temporary failures whose reason names the cause (why_bogus, and the
 *	Extended DNS Error code where libunbound reports one).
 *
 *	Thread-safe.  dns_resolver_free() must only be called when no other
 *	thread uses the resolver.  The resolver runs threads: create it after
 *	fork()/daemonizing, never before.  Files (resolv.conf, trust anchor)
 *	are read by dns_resolver_new(), so it may precede a chroot.
 *
 *	Names are checked before querying: NULL, empty, longer than 253
 *	octets or with an empty or >63-octet label give DNSOPS_NXDOMAIN with
 *	reason "invalid name".  What answers become (TXT strings, existence,
 *	the policy core's dns_ops) is dns_answer.h, which this header
 *	includes.
 *
 * DIAGNOSTICS
 *	dns_resolver_new() returns NULL with a message in err on bad
 *	configuration (unparseable nameserver, unreadable trust anchor).
 */
#ifndef MILTER_DNS_H
#define MILTER_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "../policy/dnsops.h"

#define DNS_T_A 1
#define DNS_T_NS 2
#define DNS_T_CNAME 5
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28

#define DNS_MAX_RR 64      /* records kept per answer */
#define DNS_MAX_FORWARDERS 16

typedef struct dns_resolver dns_resolver_t;

typedef struct dns_cfg {
	const char *nameservers;   /* NULL or "" for /etc/resolv.conf */
	unsigned timeout_ms;       /* per query, default 5000 */
	bool dnssec;
	const char *trust_anchor;  /* file, when dnssec */
	unsigned per_domain_lookups; /* in flight per domain, 0 = no bound */
	unsigned policy_cache_s;   /* keep _dmarc answers, 0 = do not */
} dns_cfg_t;

/* One answer: raw RDATA of each record (wire format, as libunbound gives
 * it), with the owner name's canonical type. */
typedef struct dns_result {
	dnsops_status_t status;
	int rrtype;
	size_t count;
	unsigned char *data[DNS_MAX_RR];
	size_t len[DNS_MAX_RR];
	unsigned ttl;
	bool secure;               /* DNSSEC validated */
	char reason[DNS_REASON_MAX];
	bool truncated;            /* more than DNS_MAX_RR records */
	bool stale;                /* the last good answer, served after a
	                              temporary failure (policy_cache_s) */
} dns_result_t;

dns_resolver_t *dns_resolver_new(const dns_cfg_t *cfg, char *err,
    size_t errlen);
void dns_resolver_free(dns_resolver_t *r);

/* Resolve name/type; always fills res (free with dns_result_free(),
 * dns_answer.h). */
dnsops_status_t dns_lookup(dns_resolver_t *r, const char *name, int rrtype,
    dns_result_t *res);

/* Counters for logging and stats. */
typedef struct dns_stats {
	unsigned long queries, timeouts, servfail, bogus;
	unsigned long limited;     /* refused: too many in flight */
	unsigned long stale;       /* last good answers served */
	unsigned long late_cancels; /* attempts cancelled after libunbound's
	                              own retransmit timer (a second past
	                              the attempt): the thread waited for
	                              the CPU that long, and libunbound may
	                              have counted a time-out against the
	                              forwarder */
} dns_stats_t;
void dns_resolver_stats(dns_resolver_t *r, dns_stats_t *out);

/* dns_result_free(), dns_txt(), dns_exists(), dns_resolver_ops(): built
 * on dns_lookup() alone, in their own module. */
#include "dns_answer.h"

#endif
