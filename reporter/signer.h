/*
 * signer - DKIM-sign report mail with libopendkim (ReportSigningKey).
 *
 * SYNOPSIS
 *	signer_t *s = signer_new(keyfile, selector, domain, err, errlen);
 *	signer_sign(s, jobid, &msg, err, errlen);    msg: CRLF message
 *	signer_free(s);
 *
 * DESCRIPTION
 *	signer_new() reads the PEM private key (RSA, rsa-sha256; at most
 *	SIGNER_KEY_MAX bytes) and sets up a signing library handle.
 *	signer_sign() signs the whole message (relaxed/relaxed, the header
 *	fields libopendkim signs by default: From, To, Subject, Date,
 *	Message-ID, MIME-Version, Content-Type, ...), then puts the
 *	DKIM-Signature field in front of the message, CRLF line ends.
 *	Returns 0, or -1 with err set (the message is unchanged).
 *
 *	The signer owns the key; signer_free() accepts NULL.
 */
#ifndef REPORTER_SIGNER_H
#define REPORTER_SIGNER_H

#include <stddef.h>

#include "../policy/strbuf.h"

#define SIGNER_KEY_MAX (64 * 1024)

typedef struct signer signer_t;

signer_t *signer_new(const char *keyfile, const char *selector,
    const char *domain, char *err, size_t errlen);
int signer_sign(signer_t *s, const char *jobid, strbuf_t *msg, char *err,
    size_t errlen);
void signer_free(signer_t *s);

#endif
