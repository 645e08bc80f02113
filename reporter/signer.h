/*
 * signer - DKIM-sign report mail with libopendkim (ReportSigningKey).
 *
 * SYNOPSIS
 *	signer_t *s = signer_new(keyfile, selector, domain, err, errlen);
 *	signer_sign(s, jobid, &msg, err, errlen);    msg: CRLF message
 *	signer_free(s);
 *
 * DESCRIPTION
 *	signer_new() reads the PEM private key (at most SIGNER_KEY_MAX
 *	bytes), tells its type with OpenSSL (RSA of at least 1024 bits:
 *	rsa-sha256; Ed25519: ed25519-sha256, RFC 8463), sets up a signing
 *	library handle and signs a trial message, so that an unreadable,
 *	foreign or unusable key is refused at start-up (NULL, err says why)
 *	rather than failing every report.  signer_alg_name() names the
 *	algorithm (a= of the signatures).
 *	signer_sign() signs the whole message (relaxed/relaxed, the header
 *	fields libopendkim signs by default: From, To, Subject, Date,
 *	Message-ID, MIME-Version, Content-Type, ...), then puts the
 *	DKIM-Signature field in front of the message, CRLF line ends.
 *	Returns 0, or -1 with err set (the message is unchanged).
 *
 *	The signer owns the key; signer_free() accepts NULL.
 *
 * BUGS
 *	libopendkim 2.11.0~beta2 (Debian 12) loses the Ed25519 key it loads
 *	for each signature (about 0.9 KB; fixed upstream in OpenDKIM pull
 *	request #321): a run that signs 50,000 reports with an Ed25519 key
 *	grows by about 45 MB.  RSA keys are freed.
 */
#ifndef REPORTER_SIGNER_H
#define REPORTER_SIGNER_H

#include <stddef.h>

#include "../util/strbuf.h"

#define SIGNER_KEY_MAX (64 * 1024)

typedef struct signer signer_t;

signer_t *signer_new(const char *keyfile, const char *selector,
    const char *domain, char *err, size_t errlen);
int signer_sign(signer_t *s, const char *jobid, strbuf_t *msg, char *err,
    size_t errlen);
const char *signer_alg_name(const signer_t *s);
void signer_free(signer_t *s);

#endif
