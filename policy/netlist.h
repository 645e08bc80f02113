/*
 * netlist - lists of IPv4/IPv6 networks in CIDR notation.
 *
 * SYNOPSIS
 *	netlist_t *nl = netlist_parse("127.0.0.0/8, ::1/128", err, errlen);
 *	if (netlist_match(nl, "192.0.2.7")) ...
 *	netlist_free(nl);
 *
 * DESCRIPTION
 *	Entries are separated by commas and/or whitespace; a bare address is
 *	a /32 or /128.  IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) match
 *	IPv4 entries, and an IPv4-mapped entry with a prefix of at least 96
 *	is stored as the IPv4 network it denotes; other IPv6 entries (::/0
 *	included) never match IPv4 addresses.  Host bits set beyond the
 *	prefix are an error (a typo guard).  At most NETLIST_MAX entries,
 *	each at most NETLIST_ENTRY_MAX bytes.  The list is immutable after
 *	parsing and safe to share between threads; it belongs to the caller,
 *	free with netlist_free (NULL ok).
 *
 *	netlist_match() takes an address as text (a bare address; an
 *	"IPv6:" prefix as in SMTP address literals is accepted); anything
 *	unparseable, and a NULL list, does not match.
 *
 *	netlist_format() appends the canonical form of the list ("a/len,
 *	b/len", inet_ntop spelling) to sb; parsing it gives an equal list.
 *
 * DIAGNOSTICS
 *	netlist_parse() returns NULL with the offending entry named in err.
 *	An empty string gives an empty list, not NULL.
 */
#ifndef NETLIST_H
#define NETLIST_H

#include <stdbool.h>
#include <stddef.h>

#define NETLIST_MAX 1024
#define NETLIST_ENTRY_MAX 64

struct strbuf;

typedef struct netlist netlist_t;

netlist_t *netlist_parse(const char *text, char *err, size_t errlen);
bool netlist_match(const netlist_t *nl, const char *addr);
size_t netlist_count(const netlist_t *nl);
void netlist_free(netlist_t *nl);
/* Returns 0, or -1 when sb refused to grow (sb->truncated). */
int netlist_format(const netlist_t *nl, struct strbuf *sb);

#endif
