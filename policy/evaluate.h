/*
 * evaluate - the DMARC decision for one message, as a pure function.
 *
 * SYNOPSIS
 *	eval_input_t in = { ... };
 *	verdict_t v;
 *	dmarc_evaluate(&in, &cfg, &dns, &v);
 *
 * DESCRIPTION
 *	dmarc_evaluate() takes what the milter gathered (header-From domains,
 *	the SPF result and the domain it was checked for, every DKIM
 *	signature's d=/s=/result) and decides, for each author domain: policy
 *	discovery, identifier alignment (relaxed/strict, SPF and every DKIM
 *	signature), the DMARC result, and the disposition: the policy the
 *	domain asked for (p, sp or np), t=y testing and legacy pct sampling,
 *	and local overrides.  With several author domains the strictest
 *	outcome wins and the verdict's top-level fields describe that domain.
 *
 *	It does no I/O but DNS through `dns`, and no logging; all randomness
 *	comes from in->pct_roll (0..99) so tests are repeatable.  The verdict
 *	is a plain value: no pointers, nothing to free.
 *
 *	Disposition names follow RFC 9990: none, quarantine, reject, and
 *	"pass" is not used here (pass is the DMARC result).  The verdict keeps
 *	both the disposition the published policy asked for (`requested`)
 *	and the one applied (`applied`), plus the override reasons explaining
 *	any difference (RFC 7489 PolicyOverrideType, RFC 9990 adds
 *	policy_test_mode).
 */
#ifndef EVALUATE_H
#define EVALUATE_H

#include <stdbool.h>
#include <stddef.h>

#include "discovery.h"
#include "dmarc_record.h"

#define EVAL_MAX_DKIM 32
#define EVAL_MAX_OVERRIDES 4
#define SELECTOR_MAX 64
#define OVERRIDE_COMMENT_MAX 128

typedef enum auth_result {
	AUTH_NONE = 0,
	AUTH_PASS,
	AUTH_FAIL,
	AUTH_SOFTFAIL,
	AUTH_NEUTRAL,
	AUTH_POLICY,      /* DKIM: signature valid, but local policy refused */
	AUTH_TEMPERROR,
	AUTH_PERMERROR,
} auth_result_t;

typedef enum dmarc_result {
	DMARC_RESULT_NONE = 0,
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR,
	DMARC_RESULT_PERMERROR,
} dmarc_result_t;

typedef enum spf_scope {
	SPF_SCOPE_MFROM = 0,
	SPF_SCOPE_HELO,
} spf_scope_t;

typedef enum override_reason {
	OVERRIDE_NONE = 0,
	OVERRIDE_FORWARDED,
	OVERRIDE_SAMPLED_OUT,
	OVERRIDE_TRUSTED_FORWARDER,
	OVERRIDE_MAILING_LIST,
	OVERRIDE_LOCAL_POLICY,
	OVERRIDE_POLICY_TEST_MODE,
	OVERRIDE_OTHER,
} override_reason_t;

typedef struct spf_input {
	auth_result_t result;
	spf_scope_t scope;
	char domain[FROM_DOMAIN_MAX];   /* MAIL FROM domain, or HELO name */
} spf_input_t;

typedef struct dkim_input {
	auth_result_t result;
	char domain[FROM_DOMAIN_MAX];   /* d= */
	char selector[SELECTOR_MAX];    /* s= */
	bool body_hash_only;            /* fail: header fields verified,
	                                   body hash differs */
} dkim_input_t;

typedef struct eval_input {
	size_t nfrom;
	char from[FROM_MAX_DOMAINS][FROM_DOMAIN_MAX];
	spf_input_t spf;
	size_t ndkim;
	dkim_input_t dkim[EVAL_MAX_DKIM];
	unsigned pct_roll;              /* uniform 0..99 */
} eval_input_t;

typedef struct eval_cfg {
	discovery_cfg_t discovery;
} eval_cfg_t;

typedef struct override {
	override_reason_t reason;
	char comment[OVERRIDE_COMMENT_MAX];
} override_t;

typedef struct verdict {
	char from_domain[FROM_DOMAIN_MAX];  /* the domain this verdict is for */
	dmarc_result_t result;
	policy_lookup_t policy;             /* discovery outcome and record */
	dmarc_policy_t requested;           /* what p/sp/np asked for */
	bool np_applied;                    /* author domain does not exist */
	bool sampled_out;                   /* pct said: do not apply */
	dmarc_policy_t evaluated;           /* at full local enforcement */
	dmarc_policy_t applied;             /* what we actually do */
	bool spf_aligned;                   /* SPF pass and aligned */
	bool dkim_aligned;                  /* some DKIM pass and aligned */
	bool dkim_sig_aligned[EVAL_MAX_DKIM]; /* per input signature */
	size_t noverrides;
	override_t overrides[EVAL_MAX_OVERRIDES];
	char reason[DISCOVERY_REASON_MAX];  /* temperror/permerror cause */
} verdict_t;

void dmarc_evaluate(const eval_input_t *in, const eval_cfg_t *cfg,
    const dns_ops_t *dns, verdict_t *out);

/* Add an override reason (ignored when the table is full). */
void verdict_add_override(verdict_t *v, override_reason_t r,
    const char *comment);

const char *auth_result_name(auth_result_t r);      /* "pass", ... */
const char *dmarc_result_name(dmarc_result_t r);
const char *override_reason_name(override_reason_t r); /* RFC 7489 names */
const char *spf_scope_name(spf_scope_t s);           /* "mfrom", "helo" */

#endif
