/*
 * dnslimit - a bound on the DNS lookups in flight for one domain.
 *
 * SYNOPSIS
 *	dnslimit_t *l = dnslimit_new(32);
 *	dnslimit_slot_t slot;
 *	if (dnslimit_enter(l, "_dmarc.mail.example.co.uk", &slot)) {
 *		... resolve ...
 *		dnslimit_leave(l, &slot);
 *	} else {
 *		... temporary failure: slot.domain has too many in flight ...
 *	}
 *	dnslimit_free(l);
 *
 * DESCRIPTION
 *	A domain whose DNS never answers keeps each lookup waiting for the
 *	whole DNSTimeout; a sender can have many of them waiting at once
 *	(random names under one domain are not merged by the resolver).
 *	dnslimit_enter() counts the lookups in flight for the registrable
 *	domain of name (the public suffix list built into libpsl; labels
 *	starting with '_' such as _dmarc and _domainkey belong to the name
 *	under them, a public suffix counts as its own domain) and refuses
 *	when that domain already has the limit in flight: the caller then
 *	fails that lookup temporarily without waiting, and other domains are
 *	not affected.  A limit of 0 disables the bound (every enter
 *	succeeds).
 *
 *	The slot belongs to the caller (usually on its stack) and must stay
 *	valid until dnslimit_leave(); after a refused enter it must not be
 *	left.  slot.domain holds the domain counted (lower case).
 *
 *	Bounds: memory is the callers' slots; counting walks the list of
 *	lookups in flight (one per waiting thread), under one mutex.
 *	Thread-safe.  dnslimit_free(NULL) does nothing.
 */
#ifndef MILTER_DNSLIMIT_H
#define MILTER_DNSLIMIT_H

#include <stdbool.h>
#include <stddef.h>

#define DNSLIMIT_DOMAIN_MAX 254

typedef struct dnslimit dnslimit_t;

typedef struct dnslimit_slot {
	struct dnslimit_slot *prev, *next;
	char domain[DNSLIMIT_DOMAIN_MAX];
} dnslimit_slot_t;

dnslimit_t *dnslimit_new(unsigned per_domain);
void dnslimit_free(dnslimit_t *l);
bool dnslimit_enter(dnslimit_t *l, const char *name, dnslimit_slot_t *slot);
void dnslimit_leave(dnslimit_t *l, dnslimit_slot_t *slot);

/* The domain name is counted under (for tests): lower case, into out. */
void dnslimit_domain(const char *name, char *out, size_t outlen);

#endif
