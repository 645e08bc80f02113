/* Unit tests for milter/decide: verdict to milter action. */
#include <string.h>

#include "../../milter/decide.h"
#include "../../policy/strbuf.h"
#include "../tap.h"

static void verdict(verdict_t *v, dmarc_result_t r, dmarc_policy_t applied)
{
	memset(v, 0, sizeof(*v));
	str_copy(v->from_domain, sizeof(v->from_domain), "example.com");
	v->result = r;
	v->requested = v->evaluated = v->applied = applied;
}

int main(void)
{
	char err[CONFIG_ERR_MAX], buf[64];
	config_t *cfg = config_load(NULL, err, sizeof(err));
	decision_t d;
	verdict_t v;

	if (!ok(cfg != NULL, "default configuration loads"))
		return tap_done();
	verdict(&v, DMARC_RESULT_FAIL, DMARC_POLICY_REJECT);
	decide_action(cfg, cfg->enforcement, &v, &d);
	is_str(milter_action_name(d.action), "reject", "fail+reject rejects");
	is_str(d.rcode, "550", "reject code");
	is_str(d.xcode, "5.7.1", "reject enhanced code");
	ok(strstr(d.text, "example.com") != NULL, "reject text names domain");
	verdict(&v, DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE);
	decide_action(cfg, cfg->enforcement, &v, &d);
	is_str(milter_action_name(d.action), "quarantine", "quarantine");
	verdict(&v, DMARC_RESULT_PASS, DMARC_POLICY_NONE);
	decide_action(cfg, cfg->enforcement, &v, &d);
	is_str(milter_action_name(d.action), "accept", "pass accepts");
	verdict(&v, DMARC_RESULT_TEMPERROR, DMARC_POLICY_NONE);
	decide_action(cfg, cfg->enforcement, &v, &d);
	is_str(milter_action_name(d.action), "accept",
	    "temperror accepted by default");
	cfg->temperror_action = TEMPERROR_TEMPFAIL;
	decide_action(cfg, cfg->enforcement, &v, &d);
	is_str(milter_action_name(d.action), "tempfail", "TempErrorAction");
	is_str(d.rcode, "451", "tempfail code");
	is_str(d.xcode, "4.7.5", "tempfail enhanced code");
	cfg->enforcement = ENFORCE_MONITOR;
	verdict(&v, DMARC_RESULT_TEMPERROR, DMARC_POLICY_NONE);
	decide_action(cfg, cfg->enforcement, &v, &d);
	is_str(milter_action_name(d.action), "accept",
	    "no tempfail under Enforcement monitor");
	decide_bad_from(cfg, cfg->enforcement, &d);
	is_str(milter_action_name(d.action), "accept",
	    "bad From accepted under Enforcement monitor");
	cfg->enforcement = ENFORCE_QUARANTINE;
	decide_bad_from(cfg, cfg->enforcement, &d);
	is_str(milter_action_name(d.action), "reject",
	    "bad From rejected under Enforcement quarantine");
	cfg->enforcement = ENFORCE_REJECT;
	decide_bad_from(cfg, cfg->enforcement, &d);
	is_str(milter_action_name(d.action), "reject", "bad From rejected");
	/* A per-domain stage (LocalPolicyFile) rules, not the global one. */
	cfg->temperror_action = TEMPERROR_TEMPFAIL;
	verdict(&v, DMARC_RESULT_TEMPERROR, DMARC_POLICY_NONE);
	decide_action(cfg, ENFORCE_MONITOR, &v, &d);
	is_str(milter_action_name(d.action), "accept",
	    "no tempfail under a per-domain monitor stage");
	decide_bad_from(cfg, ENFORCE_MONITOR, &d);
	is_str(milter_action_name(d.action), "accept",
	    "bad From accepted under a per-domain monitor stage");
	cfg->enforcement = ENFORCE_MONITOR;
	decide_action(cfg, ENFORCE_REJECT, &v, &d);
	is_str(milter_action_name(d.action), "tempfail",
	    "tempfail under a per-domain reject stage, global monitor");
	decide_bad_from(cfg, ENFORCE_QUARANTINE, &d);
	is_str(milter_action_name(d.action), "reject",
	    "bad From rejected under a per-domain quarantine stage");
	decide_forged(&d);
	is_str(milter_action_name(d.action), "reject", "forged A-R refused");
	is_str(d.rcode, "550", "forged A-R: 550");
	is_str(d.xcode, "5.7.1", "forged A-R: 5.7.1");
	cfg->enforcement = ENFORCE_REJECT;
	decide_expand("a %d b %% c %x", "ex.org", buf, sizeof(buf));
	is_str(buf, "a ex.org b %% c x", "template expansion");
	decide_expand("%d%d%d", "example.com", buf, 16);
	is_str(buf, "example.com", "expansion bounded: what does not fit is left out");
	config_free(cfg);
	return tap_done();
}
