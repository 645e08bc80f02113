/*
 * evaluate - the DMARC decision for one message.  See evaluate.h.
 */
#include "evaluate.h"

#include <stdio.h>
#include <string.h>

#include "align.h"
#include "disposition.h"
#include "../util/strbuf.h"

void verdict_add_override(verdict_t *v, override_reason_t r,
    const char *comment)
{
	override_t *o;

	if (v->noverrides >= EVAL_MAX_OVERRIDES)
		return;
	o = &v->overrides[v->noverrides++];
	o->reason = r;
	str_copy(o->comment, sizeof(o->comment), comment ? comment : "");
}

/* Alignment of one identifier that authenticated with result r.  Sets
 * *aligned for a passing aligned identifier and *temp when a temporary
 * error (of the identifier, or of finding its organizational domain)
 * hides what could have been an aligned pass. */
static void evaluate_identifier(const verdict_t *v, auth_result_t r,
    const char *id, dmarc_align_t mode, const eval_cfg_t *cfg,
    const dns_ops_t *dns, bool *aligned, bool *temp)
{
	unsigned q = 0;
	int a;

	*aligned = false;
	if (r != AUTH_PASS && r != AUTH_TEMPERROR)
		return;
	a = align_check(v->from_domain, v->policy.org_domain, id, mode,
	    &cfg->discovery, dns, &q);
	if (a < 0 || (a == 1 && r == AUTH_TEMPERROR))
		*temp = true;
	else if (a == 1)
		*aligned = true;
}

static void evaluate_alignment(const eval_input_t *in, const eval_cfg_t *cfg,
    const dns_ops_t *dns, verdict_t *v, bool *temp)
{
	const dmarc_record_t *rec = &v->policy.rec;
	size_t i;

	evaluate_identifier(v, in->spf.result, in->spf.domain, rec->aspf,
	    cfg, dns, &v->spf_aligned, temp);
	for (i = 0; i < in->ndkim && i < EVAL_MAX_DKIM; i++) {
		evaluate_identifier(v, in->dkim[i].result, in->dkim[i].domain,
		    rec->adkim, cfg, dns, &v->dkim_sig_aligned[i], temp);
		if (v->dkim_sig_aligned[i])
			v->dkim_aligned = true;
	}
}

/* RFC 9989: np= applies to an author domain that does not exist.  A
 * temporary failure is taken as "exists": sp= is the policy the domain
 * owner wrote for real subdomains. */
static bool author_exists(const verdict_t *v, const dns_ops_t *dns)
{
	char reason[DNS_REASON_MAX];

	if (v->policy.policy_is_author || dns->exists == NULL)
		return true;
	return dns->exists(dns->ctx, v->from_domain, reason,
	    sizeof(reason)) != DNSOPS_NXDOMAIN;
}

static void evaluate_failure(const eval_input_t *in, const dns_ops_t *dns,
    verdict_t *v)
{
	bool exists = author_exists(v, dns);

	v->np_applied = !exists;
	v->requested = disposition_requested(&v->policy, exists);
	v->evaluated = disposition_evaluate(&v->policy.rec, v->requested,
	    in->pct_roll, v);
	v->applied = v->evaluated;
}

static void evaluate_domain(const char *from, const eval_input_t *in,
    const eval_cfg_t *cfg, const dns_ops_t *dns, verdict_t *v)
{
	bool temp = false;

	memset(v, 0, sizeof(*v));
	str_copy(v->from_domain, sizeof(v->from_domain), from);
	v->requested = v->evaluated = v->applied = DMARC_POLICY_NONE;
	dmarc_policy_lookup(from, &cfg->discovery, dns, &v->policy);
	str_copy(v->reason, sizeof(v->reason), v->policy.reason);
	switch (v->policy.status) {
	case POLICY_NONE:
		v->result = DMARC_RESULT_NONE;
		return;
	case POLICY_TEMPERROR:
		v->result = DMARC_RESULT_TEMPERROR;
		return;
	case POLICY_FOUND:
		break;
	}
	evaluate_alignment(in, cfg, dns, v, &temp);
	if (v->spf_aligned || v->dkim_aligned) {
		v->result = DMARC_RESULT_PASS;
	} else if (temp) {
		v->result = DMARC_RESULT_TEMPERROR;
		str_copy(v->reason, sizeof(v->reason),
		    "temporary error on a possibly aligned identifier");
	} else {
		v->result = DMARC_RESULT_FAIL;
		evaluate_failure(in, dns, v);
	}
}

static int result_rank(dmarc_result_t r)
{
	switch (r) {
	case DMARC_RESULT_FAIL: return 4;
	case DMARC_RESULT_PERMERROR: return 3;
	case DMARC_RESULT_TEMPERROR: return 2;
	case DMARC_RESULT_NONE: return 1;
	case DMARC_RESULT_PASS: return 0;
	}
	return 0;
}

/* True when b is a stricter outcome than a. */
static bool verdict_stricter(const verdict_t *a, const verdict_t *b)
{
	if (a->applied != b->applied)
		return disposition_stricter(a->applied, b->applied) ==
		    b->applied;
	return result_rank(b->result) > result_rank(a->result);
}

void dmarc_evaluate(const eval_input_t *in, const eval_cfg_t *cfg,
    const dns_ops_t *dns, verdict_t *out)
{
	verdict_t cur;
	size_t i;

	if (in->nfrom == 0) {
		memset(out, 0, sizeof(*out));
		out->result = DMARC_RESULT_PERMERROR;
		out->requested = out->evaluated = out->applied =
		    DMARC_POLICY_NONE;
		str_copy(out->reason, sizeof(out->reason), "no author domain");
		return;
	}
	evaluate_domain(in->from[0], in, cfg, dns, out);
	for (i = 1; i < in->nfrom && i < FROM_MAX_DOMAINS; i++) {
		evaluate_domain(in->from[i], in, cfg, dns, &cur);
		if (verdict_stricter(out, &cur))
			*out = cur;
	}
}

const char *auth_result_name(auth_result_t r)
{
	switch (r) {
	case AUTH_NONE: return "none";
	case AUTH_PASS: return "pass";
	case AUTH_FAIL: return "fail";
	case AUTH_SOFTFAIL: return "softfail";
	case AUTH_NEUTRAL: return "neutral";
	case AUTH_POLICY: return "policy";
	case AUTH_TEMPERROR: return "temperror";
	case AUTH_PERMERROR: return "permerror";
	}
	return "none";
}

const char *dmarc_result_name(dmarc_result_t r)
{
	switch (r) {
	case DMARC_RESULT_NONE: return "none";
	case DMARC_RESULT_PASS: return "pass";
	case DMARC_RESULT_FAIL: return "fail";
	case DMARC_RESULT_TEMPERROR: return "temperror";
	case DMARC_RESULT_PERMERROR: return "permerror";
	}
	return "none";
}

const char *override_reason_name(override_reason_t r)
{
	switch (r) {
	case OVERRIDE_NONE: return "none";
	case OVERRIDE_FORWARDED: return "forwarded";
	case OVERRIDE_SAMPLED_OUT: return "sampled_out";
	case OVERRIDE_TRUSTED_FORWARDER: return "trusted_forwarder";
	case OVERRIDE_MAILING_LIST: return "mailing_list";
	case OVERRIDE_LOCAL_POLICY: return "local_policy";
	case OVERRIDE_POLICY_TEST_MODE: return "policy_test_mode";
	case OVERRIDE_OTHER: return "other";
	}
	return "other";
}

const char *spf_scope_name(spf_scope_t s)
{
	return s == SPF_SCOPE_HELO ? "helo" : "mfrom";
}
