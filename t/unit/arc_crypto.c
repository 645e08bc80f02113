/* Unit tests for milter/arc_crypto: DKIM key records (good, revoked,
 * malformed, weak, oversized) and signature checks with keys generated
 * here. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../../milter/arc_crypto.h"
#include "../../util/strbuf.h"
#include "../tap.h"

static char rec[8192];

static int parse(const char *r, arc_key_t *k, char *why, size_t len)
{
	return arc_key_parse(r, strlen(r), k, why, len);
}

static void b64(const unsigned char *p, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

static const char *spki(EVP_PKEY *pk, char *out)
{
	unsigned char der[2048], *p = der;

	b64(der, (size_t)i2d_PUBKEY(pk, &p), out);
	return out;
}

static void expect_bad(const char *r, const char *why_part, const char *what)
{
	arc_key_t k;
	char why[128] = "";

	if (!ok(parse(r, &k, why, sizeof(why)) == -1 &&
	    strstr(why, why_part) != NULL, "refused: %s", what))
		diag("reason '%s'", why);
	ok(k.pkey == NULL, "  no key left behind");
}

static void records(EVP_PKEY *rsa, EVP_PKEY *ed, EVP_PKEY *weak)
{
	char p[3000], why[128];
	unsigned char raw[64], der[2048], *q = der;
	size_t n = sizeof(raw);
	arc_key_t k;

	spki(rsa, p);
	snprintf(rec, sizeof(rec), "v=DKIM1; k=rsa; h=sha1:sha256; "
	    "s=email; t=y; p=%s", p);
	ok(parse(rec, &k, why, sizeof(why)) == 0 && k.type == ARC_KEY_RSA &&
	    k.bits == 2048, "RSA key with h=, s=, t=");
	arc_key_free(&k);
	snprintf(rec, sizeof(rec), "p=%.40s \r\n\t%s", p, p + 40);
	ok(parse(rec, &k, why, sizeof(why)) == 0, "p= only, folded");
	arc_key_free(&k);
	b64(der, (size_t)i2d_PublicKey(rsa, &q), p);
	snprintf(rec, sizeof(rec), "k=rsa; p=%s", p);
	ok(parse(rec, &k, why, sizeof(why)) == 0 && k.bits == 2048,
	    "bare PKCS#1 RSAPublicKey accepted");
	arc_key_free(&k);
	EVP_PKEY_get_raw_public_key(ed, raw, &n);
	b64(raw, n, p);
	snprintf(rec, sizeof(rec), "v=DKIM1; k=ed25519; p=%s", p);
	ok(parse(rec, &k, why, sizeof(why)) == 0 && k.type ==
	    ARC_KEY_ED25519 && k.bits == 256, "ed25519 key (RFC 8463)");
	arc_key_free(&k);
	arc_key_free(&k);
	arc_key_free(NULL);

	expect_bad("v=DKIM1; k=rsa; p=", "revoked", "empty p=");
	expect_bad("v=DKIM1; k=rsa", "without p=", "no p=");
	expect_bad("v=DKIM2; p=AAAA", "version", "v=DKIM2");
	expect_bad("k=dsa; p=AAAA", "unknown key type", "k=dsa");
	expect_bad("h=sha1; p=AAAA", "sha256", "h=sha1 only");
	expect_bad("s=tlsrpt; p=AAAA", "not for email", "s=tlsrpt");
	expect_bad("v=DKIM1; k=rsa; omgwhatsgoingon", "bad key record",
	    "not a tag-list");
	expect_bad("p=AAAA; p=BBBB", "duplicate", "p= twice");
	expect_bad("p=!!!!", "base64", "p= not base64");
	expect_bad("p=QUJDREVG", "bad key data", "p= not DER");
	snprintf(rec, sizeof(rec), "k=ed25519; p=%.40s", p);
	expect_bad(rec, "bad key data", "ed25519 key of 30 bytes");
	spki(rsa, p);
	snprintf(rec, sizeof(rec), "p=%sAAAA", p);
	expect_bad(rec, "bad", "DER with trailing bytes");
	snprintf(rec, sizeof(rec), "k=ed25519; p=%s", p);
	expect_bad(rec, "bad key data", "RSA key published as k=ed25519");
	spki(weak, p);
	snprintf(rec, sizeof(rec), "p=%s", p);
	expect_bad(rec, "weak key (RFC 8301): 512 bits", "512-bit RSA");
	memset(p, 'A', 2900);
	p[2900] = '\0';
	snprintf(rec, sizeof(rec), "p=%s", p);
	expect_bad(rec, "base64", "p= decoding past 2 KB");
	is_int(arc_key_parse("p=A\0AA", 6, &k, why, sizeof(why)), -1,
	    "NUL byte in the record refused");
}

static void signatures(EVP_PKEY *rsa, EVP_PKEY *ed)
{
	unsigned char dg[32], sig[512];
	size_t len = sizeof(sig);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(rsa, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	arc_key_t k = { ARC_KEY_RSA, 2048, rsa };

	EVP_Digest("data", 4, dg, NULL, EVP_sha256(), NULL);
	EVP_PKEY_sign_init(c);
	EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
	EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
	EVP_PKEY_sign(c, sig, &len, dg, 32);
	ok(arc_crypto_verify(&k, dg, sig, len), "rsa-sha256 verifies");
	sig[10] ^= 1;
	ok(!arc_crypto_verify(&k, dg, sig, len), "  flipped bit fails");
	sig[10] ^= 1;
	ok(!arc_crypto_verify(&k, dg, sig, len - 1), "  short fails");
	ok(!arc_crypto_verify(&k, dg, sig, 0), "  empty fails");
	dg[0] ^= 1;
	ok(!arc_crypto_verify(&k, dg, sig, len), "  other digest fails");
	dg[0] ^= 1;
	EVP_PKEY_CTX_free(c);

	k.type = ARC_KEY_ED25519;
	k.pkey = ed;
	len = sizeof(sig);
	EVP_DigestSignInit(md, NULL, NULL, NULL, ed);
	EVP_DigestSign(md, sig, &len, dg, 32);
	ok(len == 64 && arc_crypto_verify(&k, dg, sig, len),
	    "ed25519-sha256 verifies (Ed25519 over the SHA-256 digest)");
	sig[63] ^= 0x80;
	ok(!arc_crypto_verify(&k, dg, sig, len), "  flipped bit fails");
	ok(!arc_crypto_verify(NULL, dg, sig, len), "NULL key fails");
	EVP_MD_CTX_free(md);
}

int main(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);

	records(rsa, ed, weak);
	signatures(rsa, ed);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(weak);
	return tap_done();
}
