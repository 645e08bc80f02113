/*
 * dkim_select - which DKIM signatures are verified when a message has
 * more than MaximumSignatures: those whose d= aligns with the From
 * domain first.
 *
 * SYNOPSIS
 *	size_t order[n];
 *	dkim_select_order(domains, n, "news.example.com", order);
 *	if (dkim_select_aligned("example.com", "news.example.com")) ...
 *
 * DESCRIPTION
 *	An attacker can put many signatures of their own in front of a
 *	message's real one; verifying only the first MaximumSignatures would
 *	leave out the one DMARC needs.  dkim_select_order() fills order[]
 *	with 0..n-1: first the indices whose domain aligns with from_domain,
 *	then the others, each group in message order (a stable partition).
 *	With from_domain NULL or "" the order is unchanged.
 *
 *	dkim_select_aligned() is relaxed alignment as far as it can be told
 *	without DNS: the registrable domains (the public suffix list built
 *	into libpsl) of d and from are equal, ASCII case ignored; a name
 *	with no registrable domain (a public suffix itself) aligns only
 *	with itself.  DMARC's own alignment (the tree walk) is decided
 *	later, on the verified results; this only chooses what to verify.
 *
 *	Pure functions; nothing is allocated; domains may hold NULLs (never
 *	aligned).
 */
#ifndef MILTER_DKIM_SELECT_H
#define MILTER_DKIM_SELECT_H

#include <stdbool.h>
#include <stddef.h>

bool dkim_select_aligned(const char *d, const char *from);
void dkim_select_order(const char *const *domains, size_t n,
    const char *from_domain, size_t *order);

#endif
