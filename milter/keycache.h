/*
 * keycache - parsed DKIM/ARC public keys, shared between messages.
 *
 * SYNOPSIS
 *	#include "keycache.h"
 *	keycache_enable();
 *	EVP_PKEY *k = keycache_get(der, len);  ... EVP_PKEY_free(k);
 *	keycache_stats(&hits, &misses);
 *
 *	EVP_PKEY *d2i_PUBKEY_bio(BIO *bp, EVP_PKEY **a);  (interposer)
 *
 * DESCRIPTION
 *	OpenSSL 3.0 decodes a DER SubjectPublicKeyInfo through its generic
 *	decoder framework; for an RSA-2048 key that costs about three times
 *	the signature verification itself (callgrind, make bench corpus:
 *	26% of all the daemon's instructions).  Keys repeat from message to
 *	message (one per d=/s= pair), so the parsed key is kept.
 *
 *	keycache_get() returns the key for the DER bytes of a
 *	SubjectPublicKeyInfo, parsed by d2i_PUBKEY(), or NULL when they do
 *	not parse.  The result is a new reference owned by the caller: free
 *	it with EVP_PKEY_free().  Keys are shared read-only between threads
 *	(OpenSSL's reference counting, its lazily built legacy RSA copy and
 *	the RSA public-key operations lock what they cache).  A key is found
 *	again only for exactly the same bytes.
 *
 *	libopendkim parses every key with d2i_PUBKEY_bio() on a memory BIO.
 *	This module defines d2i_PUBKEY_bio(): the executable's definition
 *	comes first in the dynamic linker's search order, so libopendkim's
 *	calls arrive here (as reload.c does for libmilter's sigwait()).
 *	Once keycache_enable() has been called, a call with a memory BIO
 *	and no reuse argument consumes one DER object from the BIO, exactly
 *	as OpenSSL's function does, and answers from the cache; any other
 *	call, and every call before keycache_enable(), goes to OpenSSL's
 *	d2i_PUBKEY_bio() unchanged.
 *
 *	Bounds: KEYCACHE_SLOTS keys (direct-mapped by a hash of the DER;
 *	a new key replaces the old one in its slot), keys of at most
 *	KEYCACHE_DER_MAX DER bytes (larger ones are parsed every time).
 *	The table is process-wide state, guarded by one mutex; parsing is
 *	done outside it.
 *
 * BUGS
 *	With a statically linked libopendkim the interposer is not used
 *	and keys are parsed as before.
 */
#ifndef KEYCACHE_H
#define KEYCACHE_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/evp.h>

#define KEYCACHE_SLOTS 256
#define KEYCACHE_DER_MAX 4096

void keycache_enable(void);
EVP_PKEY *keycache_get(const unsigned char *der, size_t len);
void keycache_stats(unsigned long *hits, unsigned long *misses);

#endif
