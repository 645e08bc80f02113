/*
 * dkim_result - what libopendkim's state says about one DKIM signature,
 * in the terms of dkim.h: its details, its error mapped to a result,
 * the RFC 8301 rule, the k=/a= check.
 *
 * SYNOPSIS
 *	dkim_result_details(dkim, sig, &r);      d=, s=, a=, b=, i=, l=, bits
 *	r.result = dkim_result_sigerror(err, bh, &reason);
 *	if (dkim_result_rfc8301(&r, &why) != AUTH_PASS) ...
 *	if (dkim_result_key_mismatch(sig, &r)) ...
 *
 * DESCRIPTION
 *	dkim.c decides each signature's result (sig_result()) from these
 *	and from what it knows beyond libopendkim (key lookup notes, the
 *	signature limit, the l= rule).  The mapping (RFC 6376, RFC 8601,
 *	RFC 8301):
 *	pass       signature and body hash verify, policy allows it
 *	fail       bad signature, body hash mismatch, l= beyond the body,
 *	           t=s subdomain violation; also, by RFC 8301, a signature
 *	           made with rsa-sha1 ("rsa-sha1 not allowed") or an RSA key
 *	           under 1024 bits ("weak key") even when it verifies
 *	temperror  key lookup timed out or failed transiently
 *	permerror  signature syntax errors, no key (NXDOMAIN/NODATA), revoked
 *	           or undecodable key, key record syntax, expired signature,
 *	           unsupported algorithm, too many signatures, a message
 *	           libopendkim could not process (reason says why)
 *
 *	dkim_result_details() fills the descriptive fields of r from the
 *	signature (printable, bounded by r's arrays; d= and a= lower-case;
 *	keybits 256 for a verified ed25519 key, which libopendkim leaves
 *	unset).  dkim_result_sigerror() maps a DKIM_SIGERROR_* (bh: the
 *	body hash state) to a result and a static reason.
 *	dkim_result_rfc8301() is AUTH_FAIL with a static reason for rsa-sha1
 *	and RSA keys under 1024 bits, else AUTH_PASS.
 *	dkim_result_key_mismatch() is true when the key record's k= (RFC
 *	6376 3.6.1, 6.1.2) is not the key type of a= (libopendkim does not
 *	check it).  Nothing is allocated; the signature is only read.
 */
#ifndef MILTER_DKIM_RESULT_H
#define MILTER_DKIM_RESULT_H

#include <stdbool.h>

#include <dkim.h>

#include "dkim.h"

void dkim_result_details(DKIM *dkim, DKIM_SIGINFO *sig,
    dkim_sig_result_t *r);
auth_result_t dkim_result_sigerror(int err, int bh, const char **reason);
auth_result_t dkim_result_rfc8301(const dkim_sig_result_t *r,
    const char **why);
bool dkim_result_key_mismatch(DKIM_SIGINFO *sig,
    const dkim_sig_result_t *r);

#endif
