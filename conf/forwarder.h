/*
 * forwarder - TrustedForwarders: client networks and verified PTR host
 * names of forwarders whose DMARC failures are not rejected.
 *
 * SYNOPSIS
 *	forwarders_t *f = forwarders_parse("192.0.2.0/24, fwd.example,
 *	    .relay.example", err, errlen);
 *	char what[FORWARDER_WHAT_MAX];
 *	if (forwarders_match(f, resolver, "192.0.2.7", what, sizeof(what)))
 *	forwarders_free(f);
 *
 * DESCRIPTION
 *	Entries are separated by commas and/or blanks.  An entry that holds
 *	a ':' or is an IPv4 address (optionally /prefix) is a network
 *	(netlist.h syntax); anything else is a host name: "fwd.example"
 *	matches that name only, ".relay.example" any name below
 *	relay.example (not relay.example itself).  At most FORWARDER_MAX_HOSTS
 *	host names.  The list is immutable after parsing, shared by all
 *	threads, and belongs to the caller (forwarders_free accepts NULL).
 *
 *	forwarders_match() is true when the client address is in one of the
 *	networks, or when a host name entry matches a *verified* PTR name of
 *	the client: the PTR records of the address (in-addr.arpa or
 *	ip6.arpa) are looked up, and a PTR name that matches an entry counts
 *	only if its own A (IPv4 client) or AAAA (IPv6) records include the
 *	client address (forward-confirmed reverse DNS), since anyone can
 *	publish any PTR name for addresses they control.  At most
 *	FORWARDER_MAX_FORWARD candidate names are checked forward.  DNS
 *	errors mean "no match"; no DNS is done when there are no host name
 *	entries or the address is in a network.  what receives "network
 *	(client ADDR)" or "verified PTR NAME".
 *
 *	forwarders_ptr_name() (for tests) builds the reverse name of an
 *	address; forwarders_wire_name() decodes an uncompressed wire-format
 *	name (PTR RDATA) into text, refusing compression pointers, labels
 *	with dots or non-printable bytes, and names past 253 bytes.
 *
 * DIAGNOSTICS
 *	forwarders_parse() returns NULL with the bad entry named in err.
 */
#ifndef MILTER_FORWARDER_H
#define MILTER_FORWARDER_H

#include <stdbool.h>
#include <stddef.h>

#include "../dns/dns.h"

#define FORWARDER_MAX_HOSTS 256
#define FORWARDER_MAX_FORWARD 4
#define FORWARDER_WHAT_MAX 96

typedef struct forwarders forwarders_t;

forwarders_t *forwarders_parse(const char *text, char *err, size_t errlen);
void forwarders_free(forwarders_t *f);
bool forwarders_empty(const forwarders_t *f);
bool forwarders_match(const forwarders_t *f, dns_resolver_t *r,
    const char *client_ip, char *what, size_t whatlen);

int forwarders_ptr_name(const char *ip, char *out, size_t outlen);
int forwarders_wire_name(const unsigned char *p, size_t len, char *out,
    size_t outlen);

#endif
