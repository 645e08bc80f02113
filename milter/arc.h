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
 *	joined with CRLF.  Every header field is kept until eom (an AMS may
 *	sign any of them) in one bounded store: at most 1 MB and 4096
 *	fields (arc_impl.h), lower with arc_verify_limits() (the daemon's
 *	MaxHeaderFields, MaxHeaderBytes); past that, a message with ARC sets
 *	fails ("more than N header fields, MaxHeaderFields").  ARC header fields are recognised as they
 *	arrive (bounded: more than 3 * ARC_MAX_INSTANCES of them, one longer
 *	than 16 KB, duplicates, gaps, or an instance outside 1..50 make the
 *	chain fail, RFC 8617 5.1.1/5.2).  At eoh the chain's structure is
 *	checked (RFC 8617 5.2 steps 2-3) and a streaming body hasher
 *	(arc_canon.h, the project's one body hasher) is set up for each
 *	body canonicalization the AMS headers ask for, at most two (all
 *	algorithms hash with SHA-256); nothing of the body is kept.  At eom
 *	keys are fetched through the shared resolver (a small per-message
 *	cache avoids fetching a key twice) and the signatures are checked
 *	in the RFC's order, stopping at the first failure: the newest AMS,
 *	the older AMS for oldest_pass, then every AS from the newest down.
 *	rsa-sha256 and ed25519-sha256 (RFC 8463) are verified with OpenSSL;
 *	rsa-sha1 and RSA keys under 1024 bits fail (RFC 8301).
 *
 *	AMS: DKIM-Signature semantics (RFC 8617 4.1.2): a=, b=, bh=, d=,
 *	h=, s= required; no c= means simple/simple (RFC 6376 3.5); h= picks
 *	fields bottom-up, each name as often as listed (over-signing: a
 *	listed name with no field left hashes nothing); l= is refused, so
 *	is an h= naming ARC-Seal; x= in the past or before t= fails (x= is
 *	not an ARC-Seal tag: ignored there like any unknown tag).  AS:
 *	a=, b=, cv=, d=, s= required, h= refused (RFC 8617 4.1.3), relaxed
 *	header canonicalization over the sets 1..i, AAR, AMS, AS each
 *	(5.1.1).  Both: t= must be a number and not more than 10 hours
 *	ahead of the verification time (time(NULL) at eom, or the time
 *	given to arc_verify_set_time()).  Unknown tags are ignored.
 *
 *	cv: none (no ARC header field at all), pass (structure valid, the
 *	newest AMS verifies, every AS verifies, cv= of i=1 is none and of
 *	later sets pass), or fail (anything else; a cv=fail anywhere fails
 *	the chain).  For a passing chain, oldest_pass is the lowest
 *	instance whose AMS still verifies, counting down from the newest
 *	(RFC 8617 5.2 step 5): 1 when all do; RFC 8617's header.oldest-pass
 *	writes that case as 0, see arc_oldest_pass_property().  For any
 *	chain with sets, set[i-1] describes instance i as far as it could
 *	be parsed: the sealer domain (AS d=, lower-cased, made printable),
 *	selector, AMS d=, whether the AMS h= names From (an AMS that does
 *	not sign From does not bind the author: policy should not trust
 *	such a set's AAR for the From domain), and the text of its
 *	ARC-Authentication-Results (unfolded, after "i=N;", cut to
 *	ARC_AAR_MAX - 1 bytes; the sender's bytes: make them printable
 *	before logging), so policy can look at what a trusted sealer saw.
 *	ams_valid and as_valid are true only for signatures that were
 *	checked and verified (checking stops at the first failure).
 *
 *	Ownership: the engine holds only the DNS callbacks and may serve
 *	every thread; one verifier per message, used by one thread.  The
 *	result belongs to the verifier (valid until arc_verify_free());
 *	for a message without ARC it is a shared read-only "none" result.
 *	The free functions accept NULL.  arc_verify_header() returns -1
 *	when it did not keep the field (NULL arguments, called after eoh,
 *	or past the store's limits); the verifier goes on and eom reports.
 *	arc_verify_eoh() is implied by the first body chunk or by eom.
 *
 * DIAGNOSTICS
 *	arc_result_t.reason names the first problem ("i=2: AS signature
 *	does not verify", "gap at i=2", "i=1: AMS key lookup: timeout",
 *	...).  A DNS temporary failure gives cv fail with temperror set, so
 *	callers can tell it from a broken chain (RFC 8617 5.2.1 treats it
 *	as a failure all the same).
 */
#ifndef MILTER_ARC_H
#define MILTER_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../policy/evaluate.h"
#include "../dns/dns.h"

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
	bool ams_signs_from;              /* "from" is in the AMS h= */
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
/* Same, with keys fetched through ops->txt (tests, tools). */
arc_engine_t *arc_engine_new_ops(const dns_ops_t *ops, char *err,
    size_t errlen);
void arc_engine_free(arc_engine_t *e);

arc_verify_t *arc_verify_new(arc_engine_t *e);
/* Before the first header: keep at most max_fields header fields and
 * max_bytes bytes of them (0, or more than the built-in 4096 fields and
 * 1 MB: the built-in limit); past that, a message with ARC sets fails,
 * reason "more than N header fields, MaxHeaderFields" or "header fields
 * over N bytes, MaxHeaderBytes". */
void arc_verify_limits(arc_verify_t *v, size_t max_fields, size_t max_bytes);
/* Verify as of this time (t=, x= checks) instead of time(NULL). */
void arc_verify_set_time(arc_verify_t *v, time_t now);
int arc_verify_header(arc_verify_t *v, const char *name, const char *value);
int arc_verify_eoh(arc_verify_t *v);
int arc_verify_body(arc_verify_t *v, const unsigned char *p, size_t n);
const arc_result_t *arc_verify_eom(arc_verify_t *v);
void arc_verify_free(arc_verify_t *v);

const char *arc_cv_name(arc_cv_t cv);   /* "none", "pass", "fail" */
/* RFC 8617 header.oldest-pass: 0 when every AMS verifies, else
 * oldest_pass (and 0 for a chain that does not pass). */
unsigned arc_oldest_pass_property(const arc_result_t *r);

#endif
