/*
 * signer - DKIM signatures on report mail.  See signer.h.
 */
#include "signer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dkim.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* What signer_new() signs once to prove that the key works. */
static const char trial_msg[] =
	"From: <t@example.invalid>\r\nSubject: trial\r\n\r\ntrial\r\n";

struct signer {
	DKIM_LIB *lib;
	unsigned char *key;
	char *selector, *domain;
	dkim_alg_t alg;
};

static char *read_key(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL) {
		str_format(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(SIGNER_KEY_MAX + 1)) == NULL)
		abort();
	n = fread(buf, 1, SIGNER_KEY_MAX + 1, fp);
	fclose(fp);
	if (n == 0 || n > SIGNER_KEY_MAX || strstr(buf, "PRIVATE KEY") ==
	    NULL) {
		str_format(err, errlen, "%s: not a PEM private key of at most "
		    "%d bytes", path, SIGNER_KEY_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

void signer_free(signer_t *s)
{
	if (s == NULL)
		return;
	if (s->lib)
		dkim_close(s->lib);
	free(s->key);
	free(s->selector);
	free(s->domain);
	free(s);
}

/* The key's algorithm, from OpenSSL's reading of the PEM: RSA
 * (rsa-sha256) or Ed25519 (ed25519-sha256, RFC 8463); -1 otherwise. */
static int key_alg(const char *pem, const char *path, char *err,
    size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) :
	    NULL;
	int alg = -1, bits = 0;

	if (pk == NULL) {
		str_format(err, errlen, "%s: not a readable PEM private key",
		    path);
	} else if (EVP_PKEY_base_id(pk) == EVP_PKEY_ED25519) {
		alg = DKIM_SIGN_ED25519SHA256;
	} else if (EVP_PKEY_base_id(pk) == EVP_PKEY_RSA) {
		bits = EVP_PKEY_bits(pk);
		if (bits >= 1024)
			alg = DKIM_SIGN_RSASHA256;
		else
			str_format(err, errlen, "%s: RSA key of %d bits (RFC "
			    "8301: at least 1024)", path, bits);
	} else {
		str_format(err, errlen, "%s: neither an RSA nor an Ed25519 "
		    "key", path);
	}
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return alg;
}

signer_t *signer_new(const char *keyfile, const char *selector,
    const char *domain, char *err, size_t errlen)
{
	signer_t *s = calloc(1, sizeof(*s));
	strbuf_t trial;
	int alg;

	if (s == NULL)
		abort();
	if ((s->key = (unsigned char *)read_key(keyfile, err, errlen)) == NULL)
		goto bad;
	if ((alg = key_alg((const char *)s->key, keyfile, err, errlen)) < 0)
		goto bad;
	s->alg = (dkim_alg_t)alg;
	if ((s->lib = dkim_init(NULL, NULL)) == NULL) {
		str_copy(err, errlen, "dkim_init failed");
		goto bad;
	}
	if ((s->selector = strdup(selector)) == NULL ||
	    (s->domain = strdup(domain)) == NULL)
		abort();
	/* Sign once now: a key the library cannot use is a start-up
	 * error, not one failure per report. */
	strbuf_init(&trial, 4096);
	strbuf_puts(&trial, trial_msg);
	alg = signer_sign(s, "start-up", &trial, err, errlen);
	strbuf_free(&trial);
	if (alg < 0)
		goto bad;
	return s;
bad:
	signer_free(s);
	return NULL;
}

const char *signer_alg_name(const signer_t *s)
{
	return s->alg == DKIM_SIGN_ED25519SHA256 ? "ed25519-sha256" :
	    "rsa-sha256";
}

/* Feed the header fields (with their folding, without the final CRLF)
 * and return the offset of the body. */
static int feed_headers(DKIM *d, const char *m, size_t len, size_t *body)
{
	size_t start = 0, i;

	for (i = 0; i + 1 < len; i++) {
		if (m[i] != '\r' || m[i + 1] != '\n')
			continue;
		if (i == start) {               /* empty line: end of header */
			*body = i + 2;
			return dkim_eoh(d) == DKIM_STAT_OK ? 0 : -1;
		}
		if (i + 2 < len && (m[i + 2] == ' ' || m[i + 2] == '\t'))
			continue;               /* folded */
		if (dkim_header(d, (unsigned char *)(m + start), i - start) !=
		    DKIM_STAT_OK)
			return -1;
		start = i + 2;
		i++;
	}
	return -1;
}

/* libopendkim folds the signature with bare LF: make it CRLF. */
static void prepend_signature(strbuf_t *msg, const unsigned char *sig,
    size_t siglen)
{
	strbuf_t out;

	strbuf_init(&out, msg->max);
	strbuf_puts(&out, "DKIM-Signature: ");
	for (size_t i = 0; i < siglen; i++) {
		if (sig[i] == '\n' && (i == 0 || sig[i - 1] != '\r'))
			strbuf_putc(&out, '\r');
		strbuf_putc(&out, (char)sig[i]);
	}
	strbuf_puts(&out, "\r\n");
	strbuf_append(&out, strbuf_str(msg), msg->len);
	if (!out.truncated) {
		strbuf_free(msg);
		*msg = out;
	} else {
		strbuf_free(&out);
	}
}

int signer_sign(signer_t *s, const char *jobid, strbuf_t *msg, char *err,
    size_t errlen)
{
	DKIM_STAT st;
	DKIM *d;
	unsigned char *sig = NULL;
	size_t siglen = 0, body = 0;
	const char *m = strbuf_str(msg);
	int rc = -1;

	d = dkim_sign(s->lib, (const unsigned char *)jobid, NULL, s->key,
	    (const unsigned char *)s->selector,
	    (const unsigned char *)s->domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, s->alg, -1, &st);
	if (d == NULL) {
		str_format(err, errlen, "dkim_sign: %s", dkim_getresultstr(st));
		return -1;
	}
	if (feed_headers(d, m, msg->len, &body) < 0 ||
	    dkim_body(d, (unsigned char *)(m + body), msg->len - body) !=
	    DKIM_STAT_OK || dkim_eom(d, NULL) != DKIM_STAT_OK ||
	    dkim_getsighdr_d(d, strlen("DKIM-Signature: "), &sig, &siglen) !=
	    DKIM_STAT_OK) {
		const char *e = dkim_geterror(d);

		str_format(err, errlen, "DKIM signing failed: %s",
		    e && *e ? e : "bad message or key");
		goto out;
	}
	prepend_signature(msg, sig, siglen);
	rc = 0;
out:
	dkim_free(d);
	return rc;
}
