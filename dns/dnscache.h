/*
 * dnscache - answers the shared resolver already has, without asking
 * libunbound again.
 *
 * SYNOPSIS
 *	dnscache_t *c = dnscache_new();
 *	if (!dnscache_get(c, name, rrtype, &res)) {
 *		... resolve into res ...
 *		dnscache_put(c, name, rrtype, &res);
 *	}
 *	dnscache_free(c);
 *
 * DESCRIPTION
 *	libunbound keeps a cache, but reaching it costs a round trip through
 *	its worker thread: about 27 system calls (pipe writes with blocking
 *	mode toggled by fcntl(), epoll, poll, futex) and three thread
 *	switches per lookup, several lookups per message (make bench
 *	profile: more system than user time).  This table sits in front of
 *	it, in the calling thread.
 *
 *	dnscache_put() stores a copy of an answer with status DNSOPS_OK,
 *	DNSOPS_NODATA or DNSOPS_NXDOMAIN for the TTL libunbound reported
 *	with it (what remains of its own cache entry), never longer than
 *	DNSCACHE_TTL_MAX seconds; temporary failures (time-outs, SERVFAIL,
 *	DNSSEC bogus) and answers with a TTL of 0 are not stored.
 *	dnscache_get() fills res with a copy (the caller frees it with
 *	dns_result_free() as usual) and returns true when an unexpired
 *	answer for the same name (ASCII case-insensitive) and type is held.
 *
 *	Bounds: DNSCACHE_SLOTS answers, direct-mapped by a hash of name and
 *	type (a new answer replaces the one in its slot); answers whose
 *	records total more than DNSCACHE_ENTRY_MAX bytes are not stored, so
 *	the table never holds more than about SLOTS * ENTRY_MAX bytes.
 *	Thread-safe (one mutex; copies are made under it).
 *
 *	dnscache_new_fallback(keep_s) makes a table of the same kind whose
 *	entries are kept for keep_s seconds whatever their TTL (answers with
 *	TTL 0 included): the resolver stores the last good answer for names
 *	whose answers it may serve after a temporary failure (see dns.h),
 *	and reads it only then.
 */
#ifndef MILTER_DNSCACHE_H
#define MILTER_DNSCACHE_H

#include <stdbool.h>

#include "dns.h"

#define DNSCACHE_SLOTS 1024
#define DNSCACHE_ENTRY_MAX 4096
#define DNSCACHE_TTL_MAX 3600

typedef struct dnscache dnscache_t;

dnscache_t *dnscache_new(void);
dnscache_t *dnscache_new_fallback(unsigned keep_s);
void dnscache_free(dnscache_t *c);
bool dnscache_get(dnscache_t *c, const char *name, int rrtype,
    dns_result_t *res);
void dnscache_put(dnscache_t *c, const char *name, int rrtype,
    const dns_result_t *res);

#endif
