/*
 * dkim - streaming DKIM verification of every signature with libopendkim.
 *
 * SYNOPSIS
 *	dkim_engine_t *e = dkim_engine_new(resolver, max_sigs, err, errlen);
 *	dkim_verify_t *v = dkim_verify_new(e, qid);
 *	dkim_verify_header(v, name, value);      for each header, in order
 *	dkim_verify_eoh(v);
 *	dkim_verify_body(v, chunk, len);         for each body chunk
 *	dkim_verify_eom(v, &res);
 *	dkim_verify_free(v);
 *
 * DESCRIPTION
 *	One engine (a DKIM_LIB) per process; one verifier per message.  The
 *	body is streamed into libopendkim's canonicalizers and never held.
 *	Key lookups go through the shared resolver (libopendkim's key lookup
 *	hook), so DKIM keys share the cache and timeout with everything else.
 *	At most max_sigs signatures are verified (MaximumSignatures), those
 *	aligned with the From domain first (dkim_verify_prefer()); further
 *	signatures are reported with result permerror ("too many").
 *	RFC 8301: rsa-sha1 and RSA keys under 1024 bits fail.  ed25519-sha256
 *	(RFC 8463) is verified where libopendkim supports it.
 *
 *	The result lists every signature with d=, s=, the result and a short
 *	reason.  Bad input never crashes; a message whose headers libopendkim
 *	refuses gives permerror results with the reason.
 *
 *	dkim_verify_header() takes the field name and its raw value: every
 *	byte after the colon, leading space included (libmilter strips one
 *	space unless SMFIP_HDR_LEADSPC: the caller puts it back), folded
 *	lines with CRLF (bare LF is converted).  The field given to
 *	libopendkim is exactly name ":" value.
 *
 *	Results: pass; fail (bad signature, body hash mismatch, l= beyond
 *	the body, and by RFC 8301 rsa-sha1 or an RSA key < 1024 bits even
 *	if the signature verifies: reasons "rsa-sha1 not allowed (RFC
 *	8301)", "weak key (RFC 8301)"); temperror (key lookup timeout or
 *	SERVFAIL); permerror (signature syntax, key NXDOMAIN/NODATA, revoked
 *	or undecodable key, k= not matching a=, too many signatures).
 *	policy: a signature with l= that verifies while content follows the
 *	signed length, unless dkim_verify_strict_length(v, false).  neutral
 *	is not produced.  max_sigs 0 or above
 *	EVAL_MAX_DKIM means EVAL_MAX_DKIM.  `ignored` counts signatures
 *	past max_sigs (they are still listed, as permerror, while sig[] has
 *	room).  keybits is 256 for ed25519.  body_hash_only marks a fail
 *	whose signature over the header fields verified while the body hash
 *	did not match: the signer's header fields arrived intact, the body
 *	was changed (a mailing list's footer; the list rule, policy/mlist.h).
 *
 *	Thread-safety: one engine may serve many threads, one verifier per
 *	message; dkim_engine_free() only when no verifier is left.
 */
#ifndef MILTER_DKIM_H
#define MILTER_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "../policy/evaluate.h"
#include "../dns/dns.h"

#define DKIM_REASON_MAX 96

typedef struct dkim_engine dkim_engine_t;
typedef struct dkim_verify dkim_verify_t;

typedef struct dkim_sig_result {
	auth_result_t result;           /* pass/fail/neutral/policy/
	                                   temperror/permerror */
	char domain[FROM_DOMAIN_MAX];   /* d=, lower-case */
	char selector[SELECTOR_MAX];    /* s= */
	char identity[FROM_DOMAIN_MAX + 64]; /* i= or "" */
	char algorithm[24];             /* a= */
	char bhash8[16];                /* first chars of b= (RFC 6008) */
	char reason[DKIM_REASON_MAX];
	unsigned keybits;
	int body_length_limited;        /* l= present */
	bool body_hash_only;            /* fail only because the body hash
	                                   differs: the signature over the
	                                   header fields verified (with a
	                                   key RFC 8301 allows) */
} dkim_sig_result_t;

typedef struct dkim_results {
	size_t count;
	dkim_sig_result_t sig[EVAL_MAX_DKIM];
	size_t ignored;                 /* signatures beyond the limit */
} dkim_results_t;

dkim_engine_t *dkim_engine_new(dns_resolver_t *r, unsigned max_sigs,
    char *err, size_t errlen);
void dkim_engine_free(dkim_engine_t *e);

dkim_verify_t *dkim_verify_new(dkim_engine_t *e, const char *qid);
/* Before the first header: at most max_sigs signatures for this message
 * instead of the engine's (a reloaded MaximumSignatures; NULL ok). */
void dkim_verify_limit(dkim_verify_t *v, unsigned max_sigs);
/* Return 0, or -1 when the message can no longer be verified (the
 * verifier then reports what it knows at eom). */
int dkim_verify_header(dkim_verify_t *v, const char *name,
    const char *value);
/* Before the first header: give up on the message past max_fields
 * header fields or max_bytes bytes of them (name ":" value; 0 = no
 * limit).  Its signatures are then permerror, reason "more than N header
 * fields, MaxHeaderFields" or "header fields over N bytes,
 * MaxHeaderBytes", and libopendkim's copy of the headers is freed at
 * once. */
void dkim_verify_header_limits(dkim_verify_t *v, size_t max_fields,
    size_t max_bytes);
/* Before eoh: a signature with l= that verifies while content follows
 * the signed length (dkim_length.h) gets result policy, reason
 * "unsigned content after l=N", instead of pass (DKIMTrustLengthTag no). */
void dkim_verify_strict_length(dkim_verify_t *v, bool strict);
/* Before eoh: with more signatures than max_sigs, verify those whose d=
 * aligns with from_domain first (dkim_select.h); results are then listed
 * in that order. */
void dkim_verify_prefer(dkim_verify_t *v, const char *from_domain);
int dkim_verify_eoh(dkim_verify_t *v);
int dkim_verify_body(dkim_verify_t *v, const unsigned char *p, size_t n);
void dkim_verify_eom(dkim_verify_t *v, dkim_results_t *out);
void dkim_verify_free(dkim_verify_t *v);

#endif
