/* Unit tests for the DMARC decision (policy/evaluate, align, disposition)
 * against a table-driven fake DNS. */
#include <string.h>

#include "../../policy/align.h"
#include "../../policy/disposition.h"
#include "../../policy/evaluate.h"
#include "../../util/strbuf.h"
#include "../tap.h"

/* name -> TXT record, "NX" for NXDOMAIN, "TEMP" for a temporary error. */
static const struct { const char *name, *txt; } zone[] = {
	{ "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject" },
	{ "_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s; adkim=s" },
	{ "_dmarc.sampled.example", "v=DMARC1; p=reject; pct=50" },
	{ "_dmarc.testing.example", "v=DMARC1; p=reject; t=y" },
	{ "_dmarc.none.example", "v=DMARC1; p=none" },
	{ "_dmarc.tempfail.example", "TEMP" },
	{ "_dmarc.quarantine.example", "v=DMARC1; p=quarantine" },
};
/* Names that exist (for np=). */
static const char *existing[] = { "sub.example.com", "example.com" };

static dnsops_status_t fake_txt(void *ctx, const char *name,
    txt_answer_t *out)
{
	size_t i;

	(void)ctx;
	txt_answer_init(out);
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (!str_ieq(zone[i].name, name))
			continue;
		if (strcmp(zone[i].txt, "TEMP") == 0) {
			str_copy(out->reason, sizeof(out->reason), "SERVFAIL");
			return DNSOPS_TEMPFAIL;
		}
		txt_answer_add(out, zone[i].txt, strlen(zone[i].txt));
		return DNSOPS_OK;
	}
	return DNSOPS_NXDOMAIN;
}

static dnsops_status_t fake_exists(void *ctx, const char *name,
    char *reason, size_t len)
{
	size_t i;

	(void)ctx; (void)reason; (void)len;
	for (i = 0; i < sizeof(existing) / sizeof(existing[0]); i++)
		if (str_ieq(existing[i], name))
			return DNSOPS_OK;
	return DNSOPS_NXDOMAIN;
}

static const dns_ops_t dns = { fake_txt, fake_exists, NULL };
static const eval_cfg_t cfg = { { DISCOVERY_TREEWALK, NULL } };

static void input(eval_input_t *in, const char *from, auth_result_t spf,
    const char *spfdom)
{
	memset(in, 0, sizeof(*in));
	in->nfrom = 1;
	str_copy(in->from[0], FROM_DOMAIN_MAX, from);
	in->spf.result = spf;
	str_copy(in->spf.domain, FROM_DOMAIN_MAX, spfdom);
}

static void add_dkim(eval_input_t *in, auth_result_t r, const char *d)
{
	dkim_input_t *k = &in->dkim[in->ndkim++];

	k->result = r;
	str_copy(k->domain, sizeof(k->domain), d);
	str_copy(k->selector, sizeof(k->selector), "sel");
}

static void expect(const eval_input_t *in, dmarc_result_t r,
    dmarc_policy_t applied, const char *name)
{
	verdict_t v;

	dmarc_evaluate(in, &cfg, &dns, &v);
	is_str(dmarc_result_name(v.result), dmarc_result_name(r),
	    "%s: result", name);
	is_str(dmarc_policy_name(v.applied), dmarc_policy_name(applied),
	    "%s: applied", name);
}

static void test_alignment(void)
{
	eval_input_t in;

	input(&in, "example.com", AUTH_PASS, "example.com");
	expect(&in, DMARC_RESULT_PASS, DMARC_POLICY_NONE, "aligned SPF");
	input(&in, "example.com", AUTH_PASS, "bounce.example.com");
	expect(&in, DMARC_RESULT_PASS, DMARC_POLICY_NONE, "relaxed SPF");
	input(&in, "strict.example", AUTH_PASS, "bounce.strict.example");
	expect(&in, DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, "strict SPF");
	input(&in, "example.com", AUTH_FAIL, "example.com");
	add_dkim(&in, AUTH_PASS, "example.com");
	expect(&in, DMARC_RESULT_PASS, DMARC_POLICY_NONE, "aligned DKIM");
	input(&in, "example.com", AUTH_FAIL, "example.com");
	add_dkim(&in, AUTH_PASS, "other.org");
	add_dkim(&in, AUTH_FAIL, "example.com");
	expect(&in, DMARC_RESULT_FAIL, DMARC_POLICY_REJECT,
	    "unaligned DKIM pass, aligned DKIM fail");
	input(&in, "strict.example", AUTH_NONE, "");
	add_dkim(&in, AUTH_PASS, "mail.strict.example");
	expect(&in, DMARC_RESULT_FAIL, DMARC_POLICY_REJECT,
	    "strict DKIM subdomain");
	input(&in, "example.com", AUTH_PASS, "evil-example.com");
	expect(&in, DMARC_RESULT_FAIL, DMARC_POLICY_REJECT,
	    "suffix that is no subdomain does not align");
}

static void test_policies(void)
{
	eval_input_t in;
	verdict_t v;

	input(&in, "sub.example.com", AUTH_FAIL, "sub.example.com");
	dmarc_evaluate(&in, &cfg, &dns, &v);
	is_str(dmarc_policy_name(v.applied), "quarantine", "sp= on subdomain");
	is_str(v.policy.policy_domain, "example.com", "policy domain");
	ok(!v.policy.policy_is_author && !v.np_applied, "sp, not np");
	input(&in, "nx.example.com", AUTH_FAIL, "nx.example.com");
	dmarc_evaluate(&in, &cfg, &dns, &v);
	is_str(dmarc_policy_name(v.applied), "reject", "np= on nonexistent");
	ok(v.np_applied, "np recorded");
	input(&in, "nopolicy.example", AUTH_FAIL, "x.example");
	expect(&in, DMARC_RESULT_NONE, DMARC_POLICY_NONE, "no record");
	input(&in, "tempfail.example", AUTH_PASS, "tempfail.example");
	expect(&in, DMARC_RESULT_TEMPERROR, DMARC_POLICY_NONE, "DNS tempfail");
	input(&in, "none.example", AUTH_FAIL, "none.example");
	expect(&in, DMARC_RESULT_FAIL, DMARC_POLICY_NONE, "p=none");
	input(&in, "quarantine.example", AUTH_FAIL, "quarantine.example");
	expect(&in, DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE, "p=quarantine");
	input(&in, "example.com", AUTH_FAIL, "example.com");
	add_dkim(&in, AUTH_TEMPERROR, "example.com");
	expect(&in, DMARC_RESULT_TEMPERROR, DMARC_POLICY_NONE,
	    "aligned DKIM temperror is temperror");
}

static void test_modifiers(void)
{
	eval_input_t in;
	verdict_t v;

	input(&in, "sampled.example", AUTH_FAIL, "sampled.example");
	in.pct_roll = 49;
	dmarc_evaluate(&in, &cfg, &dns, &v);
	is_str(dmarc_policy_name(v.applied), "reject", "pct=50 roll 49");
	ok(!v.sampled_out && v.noverrides == 0, "not sampled out");
	in.pct_roll = 50;
	dmarc_evaluate(&in, &cfg, &dns, &v);
	is_str(dmarc_policy_name(v.applied), "quarantine", "pct=50 roll 50");
	ok(v.sampled_out && v.noverrides == 1 &&
	    v.overrides[0].reason == OVERRIDE_SAMPLED_OUT, "sampled_out");
	is_str(dmarc_policy_name(v.requested), "reject", "requested kept");
	input(&in, "testing.example", AUTH_FAIL, "testing.example");
	dmarc_evaluate(&in, &cfg, &dns, &v);
	is_str(dmarc_policy_name(v.applied), "quarantine", "t=y weakens");
	ok(v.noverrides == 1 &&
	    v.overrides[0].reason == OVERRIDE_POLICY_TEST_MODE,
	    "policy_test_mode");
}

static void test_multiple_authors(void)
{
	eval_input_t in;
	verdict_t v;

	input(&in, "none.example", AUTH_PASS, "none.example");
	in.nfrom = 2;
	str_copy(in.from[1], FROM_DOMAIN_MAX, "example.com");
	dmarc_evaluate(&in, &cfg, &dns, &v);
	is_str(v.from_domain, "example.com", "strictest author wins");
	is_str(dmarc_policy_name(v.applied), "reject", "strictest applied");
	in.nfrom = 0;
	dmarc_evaluate(&in, &cfg, &dns, &v);
	is_int(v.result, DMARC_RESULT_PERMERROR, "no author is permerror");
}

static void test_helpers(void)
{
	ok(domain_within("a.example.com", "example.com"), "within subdomain");
	ok(domain_within("EXAMPLE.com.", "example.COM"), "within case/dot");
	ok(!domain_within("badexample.com", "example.com"), "label boundary");
	ok(!domain_within("com", "example.com"), "shorter name");
	is_int(disposition_weaker(DMARC_POLICY_REJECT),
	    DMARC_POLICY_QUARANTINE, "weaker reject");
	is_int(disposition_weaker(DMARC_POLICY_QUARANTINE), DMARC_POLICY_NONE,
	    "weaker quarantine");
	is_int(disposition_stricter(DMARC_POLICY_NONE, DMARC_POLICY_REJECT),
	    DMARC_POLICY_REJECT, "stricter");
}

int main(void)
{
	test_alignment();
	test_policies();
	test_modifiers();
	test_multiple_authors();
	test_helpers();
	return tap_done();
}
