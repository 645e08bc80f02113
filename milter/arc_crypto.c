/*
 * arc_crypto - DKIM key records and OpenSSL signature checks.  See
 * arc_crypto.h.
 */
#include <string.h>
#include <strings.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../util/strbuf.h"
#include "arc_crypto.h"
#include "arc_tags.h"
#include "keycache.h"

/* Base64 of an 8192-bit SubjectPublicKeyInfo decodes to about 1060
 * bytes; anything much longer is not a key we accept. */
#define KEY_DER_MAX 2048

static EVP_PKEY *rsa_key(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	/* SubjectPublicKeyInfo without trailing bytes (parsed once per key:
	 * see keycache.h) */
	EVP_PKEY *k = keycache_get(der, len);

	if (k == NULL) {                        /* PKCS#1 RSAPublicKey */
		p = der;
		k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
		if (k != NULL && p != der + len) {
			EVP_PKEY_free(k);
			return NULL;
		}
	}
	if (k != NULL && EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static int check_tags(const arc_tags_t *t, arc_keytype_t *type, char *why,
    size_t whylen)
{
	const arc_tag_t *v = arc_tags_get(t, "v"), *k = arc_tags_get(t, "k");
	const arc_tag_t *h = arc_tags_get(t, "h"), *s = arc_tags_get(t, "s");

	if (v != NULL && !arc_tag_eq(v, "DKIM1")) {
		str_copy(why, whylen, "bad key record version");
		return -1;
	}
	if (k == NULL || (k->val_len == 3 && strncasecmp(k->val, "rsa", 3)
	    == 0))
		*type = ARC_KEY_RSA;
	else if (k->val_len == 7 && strncasecmp(k->val, "ed25519", 7) == 0)
		*type = ARC_KEY_ED25519;
	else {
		str_copy(why, whylen, "unknown key type");
		return -1;
	}
	if (h != NULL && !arc_tag_list_has(h, "sha256")) {
		str_copy(why, whylen, "key does not allow sha256");
		return -1;
	}
	if (s != NULL && !arc_tag_list_has(s, "*") &&
	    !arc_tag_list_has(s, "email")) {
		str_copy(why, whylen, "key not for email");
		return -1;
	}
	if (arc_tags_get(t, "p") == NULL) {
		str_copy(why, whylen, "key record without p=");
		return -1;
	}
	return 0;
}

int arc_key_parse(const char *txt, size_t len, arc_key_t *key, char *why,
    size_t whylen)
{
	unsigned char der[KEY_DER_MAX];
	char tagwhy[96];
	const arc_tag_t *p;
	arc_tags_t t;
	long n;

	memset(key, 0, sizeof(*key));
	if (arc_tags_parse(txt, len, &t, tagwhy, sizeof(tagwhy)) < 0) {
		str_format(why, whylen, "bad key record: %s", tagwhy);
		return -1;
	}
	if (check_tags(&t, &key->type, why, whylen) < 0)
		return -1;
	p = arc_tags_get(&t, "p");
	if (p->val_len == 0) {
		str_copy(why, whylen, "key revoked");
		return -1;
	}
	if ((n = arc_b64_decode(p->val, p->val_len, der, sizeof(der))) < 0) {
		str_copy(why, whylen, "bad key data (base64)");
		return -1;
	}
	if (key->type == ARC_KEY_ED25519) {
		if (n == 32)
			key->pkey = EVP_PKEY_new_raw_public_key(
			    EVP_PKEY_ED25519, NULL, der, 32);
		key->bits = 256;
	} else {
		key->pkey = rsa_key(der, (size_t)n);
		key->bits = key->pkey ? (unsigned)EVP_PKEY_get_bits(key->pkey)
		    : 0;
	}
	if (key->pkey == NULL) {
		str_copy(why, whylen, "bad key data");
		return -1;
	}
	if (key->type == ARC_KEY_RSA && (key->bits < 1024 ||
	    key->bits > ARC_KEY_MAX_BITS)) {
		str_format(why, whylen, key->bits < 1024 ?
		    "weak key (RFC 8301): %u bits" : "key too large: %u bits",
		    key->bits);
		arc_key_free(key);
		return -1;
	}
	return 0;
}

void arc_key_free(arc_key_t *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	key->pkey = NULL;
}

static bool rsa_verify(EVP_PKEY *pkey, const unsigned char *digest,
    const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	bool ok = false;

	if (ctx != NULL && EVP_PKEY_verify_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1)
		ok = EVP_PKEY_verify(ctx, sig, siglen, digest,
		    ARC_DIGEST_LEN) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static bool ed25519_verify(EVP_PKEY *pkey, const unsigned char *digest,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = false;

	if (md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey)
	    == 1)
		ok = EVP_DigestVerify(md, sig, siglen, digest,
		    ARC_DIGEST_LEN) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

bool arc_crypto_verify(const arc_key_t *key,
    const unsigned char digest[ARC_DIGEST_LEN], const unsigned char *sig,
    size_t siglen)
{
	if (key == NULL || key->pkey == NULL || siglen == 0)
		return false;
	if (key->type == ARC_KEY_ED25519)
		return ed25519_verify(key->pkey, digest, sig, siglen);
	return rsa_verify(key->pkey, digest, sig, siglen);
}
