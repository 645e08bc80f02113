/*
 * arc - ARC chain validation (RFC 8617): parse the ARC sets of a message,
 * verify every ARC-Message-Signature and ARC-Seal, and say what the
 * chain is worth.
 *
 * SYNOPSIS
 *	arc_engine_t *e = arc_engine_new(resolver, err, errlen);
 *	arc_verify_t *v = arc_verify_new(e);
 *	arc_verify_header(v, name, value);   every header, in message order
 *	arc_verify_eoh(v);
 *	arc_verify_body(v, chunk, len);       the body, streamed
 *	const arc_result_t *r = arc_verify_eom(v);   owned by v
 *	arc_verify_free(v);
 *
 * DESCRIPTION
 *	Header values follow the dkim.h convention: the field body exactly
 *	as it appears after the colon (leading space included), folded lines
 *	joined with CRLF.  Header sets are collected as they arrive (bounded:
 *	at most ARC_MAX_INSTANCES sets; more, duplicates, gaps, or an
 *	instance outside 1..50 make the chain fail, RFC 8617 5.1.1/5.2).  The
 *	body is hashed while it streams for each (canonicalization,
 *	algorithm) pair the AMS headers ask for; nothing of the body is
 *	kept.  Keys are fetched through the shared resolver.
 *	rsa-sha256 and ed25519-sha256 (RFC 8463) are verified with OpenSSL;
 *	RSA keys under 1024 bits fail (RFC 8301).
 *
 *	cv: none (no ARC sets), pass (structure valid, every AS verifies, the
 *	newest AMS verifies, cv= of i=1 is none and of later sets pass), or
 *	fail (anything else; a cv=fail anywhere fails the chain).  For a
 *	passing chain, oldest_pass is the lowest instance whose AMS still
 *	verifies (RFC 8617 5.2, step 5), and each set carries its sealer
 *	domain and the text of its ARC-Authentication-Results, so policy can
 *	look at what a trusted sealer saw.
 *
 * DIAGNOSTICS
 *	arc_result_t.reason names the first problem ("i=2: AS signature
 *	does not verify", "gap at i=2", "key lookup timed out", ...).  A DNS
 *	temporary failure gives cv fail with temperror set, so callers can
 *	tell it from a broken chain.
 */
#ifndef MILTER_ARC_H
#define MILTER_ARC_H

#include <stdbool.h>
#include <stddef.h>

#include "../policy/evaluate.h"
#include "dns.h"

#define ARC_MAX_INSTANCES 50
#define ARC_AAR_MAX 1024
#define ARC_REASON_MAX 160

typedef enum arc_cv {
	ARC_CV_NONE = 0,
	ARC_CV_PASS,
	ARC_CV_FAIL,
} arc_cv_t;

typedef struct arc_set_info {
	unsigned instance;
	char sealer[FROM_DOMAIN_MAX];     /* ARC-Seal d= */
	char selector[SELECTOR_MAX];      /* ARC-Seal s= */
	char ams_domain[FROM_DOMAIN_MAX]; /* ARC-Message-Signature d= */
	char aar[ARC_AAR_MAX];            /* ARC-Authentication-Results value
	                                     after "i=N;", cut if longer */
	bool ams_valid;
	bool as_valid;
} arc_set_info_t;

typedef struct arc_result {
	arc_cv_t cv;
	bool temperror;                   /* a key lookup failed temporarily */
	size_t nsets;
	arc_set_info_t set[ARC_MAX_INSTANCES];   /* set[i-1] is instance i */
	unsigned oldest_pass;             /* 0 when none */
	char reason[ARC_REASON_MAX];
} arc_result_t;

typedef struct arc_engine arc_engine_t;
typedef struct arc_verify arc_verify_t;

arc_engine_t *arc_engine_new(dns_resolver_t *r, char *err, size_t errlen);
void arc_engine_free(arc_engine_t *e);

arc_verify_t *arc_verify_new(arc_engine_t *e);
int arc_verify_header(arc_verify_t *v, const char *name, const char *value);
int arc_verify_eoh(arc_verify_t *v);
int arc_verify_body(arc_verify_t *v, const unsigned char *p, size_t n);
const arc_result_t *arc_verify_eom(arc_verify_t *v);
void arc_verify_free(arc_verify_t *v);

const char *arc_cv_name(arc_cv_t cv);   /* "none", "pass", "fail" */

#endif
