/* Unit tests for milter/decide: verdict to milter action. */
#include <string.h>

#include "../../milter/decide.h"
#include "../../util/strbuf.h"
#include "../tap.h"

static void verdict(verdict_t *v, dmarc_result_t r, dmarc_policy_t applied)
{
	memset(v, 0, sizeof(*v));
	str_copy(v->from_domain, sizeof(v->from_domain), "example.com");
	v->result = r;
	v->requested = v->evaluated = v->applied = applied;
}

/* The message's stage decides, whatever the global Enforcement. */
static const struct {
	enforce_stage_t global, stage;
	const char *temperror, *bad_from;
} stages[] = {
	{ ENFORCE_REJECT, ENFORCE_MONITOR, "accept", "accept" },
	{ ENFORCE_MONITOR, ENFORCE_REJECT, "tempfail", "reject" },
	{ ENFORCE_MONITOR, ENFORCE_QUARANTINE, "tempfail", "reject" },
	{ ENFORCE_QUARANTINE, ENFORCE_MONITOR, "accept", "accept" },
};

int main(void)
{
	char err[CONFIG_ERR_MAX], buf[64];
	config_t *cfg = config_load(NULL, err, sizeof(err));
	decision_t d;
	verdict_t v;
	size_t i;

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
	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		cfg->enforcement = stages[i].global;
		decide_action(cfg, stages[i].stage, &v, &d);
		is_str(milter_action_name(d.action), stages[i].temperror,
		    "temperror, global %s, message stage %s: %s",
		    enforce_stage_name(stages[i].global),
		    enforce_stage_name(stages[i].stage), stages[i].temperror);
		decide_bad_from(cfg, stages[i].stage, &d);
		is_str(milter_action_name(d.action), stages[i].bad_from,
		    "bad From, global %s, message stage %s: %s",
		    enforce_stage_name(stages[i].global),
		    enforce_stage_name(stages[i].stage), stages[i].bad_from);
	}
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
