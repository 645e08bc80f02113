/*
 * arc_crypto - DKIM key records and signature checks with OpenSSL, for
 * the ARC verifier.
 *
 * SYNOPSIS
 *	arc_key_t key;
 *	if (arc_key_parse(txt, len, &key, why, sizeof(why)) < 0) ...
 *	ok = arc_crypto_verify(&key, digest, sig, siglen);
 *	arc_key_free(&key);
 *
 * DESCRIPTION
 *	arc_key_parse() reads a DKIM key record (RFC 6376 3.6.1) the way
 *	DKIM verifiers do: a tag-list (arc_tags.h); v= if present must be
 *	DKIM1; k= rsa (default) or ed25519 (RFC 8463); h= if present must
 *	list sha256; s= if present must list "*" or "email"; p= is
 *	required, and empty means the key was revoked.  For RSA, p= is the
 *	base64 of a DER SubjectPublicKeyInfo (a bare PKCS#1 RSAPublicKey is
 *	accepted too, as other verifiers do); for ed25519 it is the raw
 *	32-byte key.  RSA keys under 1024 bits are refused (RFC 8301), and
 *	keys over ARC_KEY_MAX_BITS too (bounded verification cost).  On
 *	success key->pkey belongs to the caller: arc_key_free() (NULL-safe,
 *	may be called on a zeroed key).
 *
 *	arc_crypto_verify() checks sig over a SHA-256 digest of the
 *	canonicalized data: RSASSA-PKCS1-v1_5 with SHA-256 for rsa-sha256,
 *	and for ed25519-sha256 a pure Ed25519 signature whose message is
 *	the 32-byte digest (RFC 8463 3).  Returns true only for a valid
 *	signature; any OpenSSL error is "does not verify".
 *
 *	Thread-safe: no shared state; a key may be used by one thread at a
 *	time (OpenSSL EVP_PKEY reference semantics allow concurrent
 *	verification, but the verifier never shares keys).
 *
 * DIAGNOSTICS
 *	arc_key_parse() returns -1 with a short reason ("key revoked",
 *	"weak key (RFC 8301)", "unknown key type", ...).
 */
#ifndef MILTER_ARC_CRYPTO_H
#define MILTER_ARC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "arc_canon.h"

#define ARC_KEY_MAX_BITS 8192
#define ARC_SIG_MAX (ARC_KEY_MAX_BITS / 8)

typedef enum arc_keytype {
	ARC_KEY_RSA = 1,
	ARC_KEY_ED25519,
} arc_keytype_t;

typedef struct arc_key {
	arc_keytype_t type;
	unsigned bits;
	EVP_PKEY *pkey;
} arc_key_t;

int arc_key_parse(const char *txt, size_t len, arc_key_t *key, char *why,
    size_t whylen);
void arc_key_free(arc_key_t *key);
bool arc_crypto_verify(const arc_key_t *key,
    const unsigned char digest[ARC_DIGEST_LEN], const unsigned char *sig,
    size_t siglen);

#endif
