/*
 * fakedns - a table-driven stand-in for dns/dns.c, for fuzz targets.
 *
 * SYNOPSIS
 *	fakedns_load(zone_text, len);
 *	dns_resolver_t *r = dns_resolver_new(&cfg, err, sizeof(err));
 *	... spf_checker_new(r, ...), dkim_engine_new(r, ...) ...
 *
 * DESCRIPTION
 *	fakedns.c defines the functions of dns/dns.c (the resolver's life
 *	cycle, dns_lookup(), stats), answering from an in-memory zone instead
 *	of libunbound; dns/dns_answer.c (TXT, existence, dns_ops) works on
 *	top of it as on the real one.  So the SPF, DKIM and DMARC code of the
 *	daemon runs unchanged, without threads, sockets or timeouts.
 *	Link it before milter/libdwmilter.a (the archive's dns.o is then not
 *	pulled in) or instead of dns/dns.o.
 *
 *	Zone text: one record per line, "NAME TYPE VALUE".  NAME is matched
 *	case-insensitively, one trailing dot ignored.  Types:
 *	  TXT VALUE     one TXT record; VALUE runs to the end of the line and
 *	                is split into 255-byte character-strings; "\n" and
 *	                "\xHH" escapes are decoded
 *	  TXTWIRE VALUE a TXT record whose RDATA is VALUE as given (length
 *	                octets included, possibly malformed)
 *	  A, AAAA ADDR  an address record
 *	  MX PREF HOST, PTR HOST, CNAME HOST   (CNAME: data only, not chased)
 *	  SERVFAIL, REFUSED, TIMEOUT   every query for NAME fails temporarily
 *	                with that reason
 *	Lines that do not parse are ignored.  At most FAKEDNS_MAX_RR records
 *	of at most FAKEDNS_RDATA_MAX bytes each; the rest is dropped.
 *	Answers carry at most DNS_MAX_RR records (the rest sets truncated).
 *
 *	Single-threaded: the zone is a global, replaced by each load.
 */
#ifndef T_FUZZ_FAKEDNS_H
#define T_FUZZ_FAKEDNS_H

#include <stddef.h>

#include "../../dns/dns.h"

#define FAKEDNS_MAX_RR 256
#define FAKEDNS_RDATA_MAX 8192

void fakedns_load(const char *text, size_t len);
/* Number of dns_lookup() calls since the last load. */
unsigned long fakedns_queries(void);

#endif
