/* Unit tests for policy/override: exceptions and enforcement stages, one
 * table row per case. */
#include <string.h>

#include "../../policy/override.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#define N DMARC_POLICY_NONE
#define Q DMARC_POLICY_QUARANTINE
#define R DMARC_POLICY_REJECT
#define FAIL DMARC_RESULT_FAIL

enum { ARC = 1, FWD = 2, FWDQ = 4, LIST = 8 };

static const struct {
	const char *name;
	dmarc_result_t result;
	dmarc_policy_t published;       /* applied after t=/pct */
	enforce_stage_t stage;
	bool stage_local;
	local_action_t local;
	int facts;                      /* ARC | FWD | FWDQ | LIST */
	list_action_t list_action;
	dmarc_policy_t evaluated, applied;
	const char *reasons;            /* "reason(comment),..." */
} cases[] = {
	{ "pass untouched", DMARC_RESULT_PASS, N, ENFORCE_MONITOR, false,
	  LOCAL_ALWAYS_REJECT, ARC, 0, N, N, "" },
	{ "temperror untouched", DMARC_RESULT_TEMPERROR, N, ENFORCE_REJECT,
	  false, 0, 0, 0, N, N, "" },
	{ "fail reject, full enforcement", FAIL, R, ENFORCE_REJECT, false, 0,
	  0, 0, R, R, "" },
	{ "fail quarantine", FAIL, Q, ENFORCE_REJECT, false, 0, 0, 0, Q, Q,
	  "" },
	{ "fail p=none", FAIL, N, ENFORCE_REJECT, false, 0, 0, 0, N, N, "" },
	{ "monitor stage", FAIL, R, ENFORCE_MONITOR, false, 0, 0, 0, R, N,
	  "local_policy(Enforcement monitor)" },
	{ "monitor stage, p=none: nothing to say", FAIL, N, ENFORCE_MONITOR,
	  false, 0, 0, 0, N, N, "" },
	{ "quarantine stage caps reject", FAIL, R, ENFORCE_QUARANTINE, false,
	  0, 0, 0, R, Q, "local_policy(Enforcement quarantine)" },
	{ "quarantine stage keeps quarantine", FAIL, Q, ENFORCE_QUARANTINE,
	  false, 0, 0, 0, Q, Q, "" },
	{ "per-domain stage named", FAIL, R, ENFORCE_MONITOR, true, 0, 0, 0,
	  R, N, "local_policy(Enforcement monitor, lp:4 example.com)" },
	{ "trusted ARC sealer", FAIL, R, ENFORCE_REJECT, false, 0, ARC, 0,
	  N, N, "local_policy(trusted ARC sealer what-arc)" },
	{ "ARC wins over forwarder and list", FAIL, R, ENFORCE_REJECT, false,
	  0, ARC | FWDQ | LIST, 0, N, N,
	  "local_policy(trusted ARC sealer what-arc)" },
	{ "trusted forwarder, action none", FAIL, R, ENFORCE_REJECT, false,
	  0, FWD, 0, N, N, "trusted_forwarder(TrustedForwarders what-fwd)" },
	{ "trusted forwarder, action quarantine", FAIL, R, ENFORCE_REJECT,
	  false, 0, FWDQ, 0, Q, Q,
	  "trusted_forwarder(TrustedForwarders what-fwd)" },
	{ "forwarder quarantine does not raise p=none", FAIL, N,
	  ENFORCE_REJECT, false, 0, FWDQ, 0, N, N, "" },
	{ "forwarder quarantine on quarantine: no reason", FAIL, Q,
	  ENFORCE_REJECT, false, 0, FWDQ, 0, Q, Q, "" },
	{ "forwarder before list", FAIL, R, ENFORCE_REJECT, false, 0,
	  FWD | LIST, LIST_ACTION_QUARANTINE, N, N,
	  "trusted_forwarder(TrustedForwarders what-fwd)" },
	{ "list mail, default action", FAIL, R, ENFORCE_REJECT, false, 0,
	  LIST, LIST_ACTION_QUARANTINE, Q, Q, "mailing_list(list what-list)" },
	{ "list mail, action none", FAIL, Q, ENFORCE_REJECT, false, 0, LIST,
	  LIST_ACTION_NONE, N, N, "mailing_list(list what-list)" },
	{ "list mail, action policy", FAIL, R, ENFORCE_REJECT, false, 0, LIST,
	  LIST_ACTION_POLICY, R, R, "" },
	{ "list mail on quarantine, default action", FAIL, Q, ENFORCE_REJECT,
	  false, 0, LIST, LIST_ACTION_QUARANTINE, Q, Q, "" },
	{ "no facts, unauthenticated list is not list", FAIL, R,
	  ENFORCE_REJECT, false, 0, 0, LIST_ACTION_NONE, R, R, "" },
	{ "never-reject", FAIL, R, ENFORCE_REJECT, false, LOCAL_NEVER_REJECT,
	  0, 0, Q, Q, "local_policy(never-reject, lp:3 example.com)" },
	{ "never-reject then list none", FAIL, R, ENFORCE_REJECT, false,
	  LOCAL_NEVER_REJECT, LIST, LIST_ACTION_NONE, N, N,
	  "local_policy(never-reject, lp:3 example.com),"
	  "mailing_list(list what-list)" },
	{ "always-reject beats p=none", FAIL, N, ENFORCE_REJECT, true,
	  LOCAL_ALWAYS_REJECT, 0, 0, R, R,
	  "local_policy(always-reject, lp:3 example.com)" },
	{ "always-reject ignores exceptions", FAIL, Q, ENFORCE_REJECT, true,
	  LOCAL_ALWAYS_REJECT, ARC | FWD | LIST, LIST_ACTION_NONE, R, R,
	  "local_policy(always-reject, lp:3 example.com)" },
	{ "always-reject under a local monitor stage", FAIL, R,
	  ENFORCE_MONITOR, true, LOCAL_ALWAYS_REJECT, 0, 0, R, N,
	  "local_policy(Enforcement monitor, lp:4 example.com)" },
	{ "exception and quarantine stage", FAIL, R, ENFORCE_QUARANTINE,
	  false, 0, LIST, LIST_ACTION_QUARANTINE, Q, Q,
	  "mailing_list(list what-list)" },
	{ "exception and monitor stage", FAIL, R, ENFORCE_MONITOR, false, 0,
	  FWDQ, 0, Q, N, "trusted_forwarder(TrustedForwarders what-fwd),"
	  "local_policy(Enforcement monitor)" },
};

static void reasons(const verdict_t *v, size_t first, char *out, size_t len)
{
	strbuf_t sb;
	size_t i;

	strbuf_init(&sb, len - 1);
	for (i = first; i < v->noverrides; i++)
		strbuf_appendf(&sb, "%s%s(%s)", i > first ? "," : "",
		    override_reason_name(v->overrides[i].reason),
		    v->overrides[i].comment);
	str_copy(out, len, strbuf_str(&sb));
	strbuf_free(&sb);
}

static void test_table(void)
{
	char got[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		override_ctx_t ctx;
		verdict_t v;

		memset(&v, 0, sizeof(v));
		v.result = cases[i].result;
		v.requested = v.evaluated = v.applied = cases[i].published;
		memset(&ctx, 0, sizeof(ctx));
		ctx.stage = cases[i].stage;
		ctx.stage_local = cases[i].stage_local;
		ctx.local_action = cases[i].local;
		str_copy(ctx.local_where, sizeof(ctx.local_where),
		    "lp:3 example.com");
		str_copy(ctx.stage_where, sizeof(ctx.stage_where),
		    "lp:4 example.com");
		ctx.arc_vouched = (cases[i].facts & ARC) != 0;
		str_copy(ctx.arc_what, sizeof(ctx.arc_what), "what-arc");
		ctx.trusted_forwarder = (cases[i].facts & (FWD | FWDQ)) != 0;
		ctx.forwarder_disposition = (cases[i].facts & FWDQ) ? Q : N;
		str_copy(ctx.forwarder_what, sizeof(ctx.forwarder_what),
		    "what-fwd");
		ctx.list_mail = (cases[i].facts & LIST) != 0;
		ctx.list_action = cases[i].list_action;
		str_copy(ctx.list_what, sizeof(ctx.list_what), "what-list");
		override_apply(&ctx, &v);
		is_str(dmarc_policy_name(v.evaluated),
		    dmarc_policy_name(cases[i].evaluated), "%s: evaluated",
		    cases[i].name);
		is_str(dmarc_policy_name(v.applied),
		    dmarc_policy_name(cases[i].applied), "%s: applied",
		    cases[i].name);
		reasons(&v, 0, got, sizeof(got));
		is_str(got, cases[i].reasons, "%s: reasons", cases[i].name);
	}
}

static void test_published_and_names(void)
{
	enforce_stage_t s;
	verdict_t v;

	memset(&v, 0, sizeof(v));
	v.result = FAIL;
	v.requested = R;
	is_str(dmarc_policy_name(override_published(&v)), "reject",
	    "published: p=reject");
	v.sampled_out = true;
	is_str(dmarc_policy_name(override_published(&v)), "quarantine",
	    "published: sampled out");
	v.sampled_out = false;
	v.policy.rec.testing = true;
	is_str(dmarc_policy_name(override_published(&v)), "quarantine",
	    "published: t=y");
	v.result = DMARC_RESULT_PASS;
	is_str(dmarc_policy_name(override_published(&v)), "none",
	    "published: pass is none");
	ok(enforce_stage_parse("Monitor", &s) == 0 && s == ENFORCE_MONITOR,
	    "stage monitor");
	ok(enforce_stage_parse("off", &s) == 0 && s == ENFORCE_MONITOR,
	    "stage alias off");
	ok(enforce_stage_parse("ON", &s) == 0 && s == ENFORCE_REJECT,
	    "stage alias on");
	ok(enforce_stage_parse("quarantine", &s) == 0 &&
	    s == ENFORCE_QUARANTINE, "stage quarantine");
	ok(enforce_stage_parse("yes", &s) < 0, "stage yes refused");
	ok(enforce_stage_parse("", &s) < 0, "empty stage refused");
	is_str(enforce_stage_name(ENFORCE_QUARANTINE), "quarantine",
	    "stage name");
	is_int(ENFORCE_MONITOR, 0, "monitor is false (Enforcement off)");
	is_int(ENFORCE_REJECT, 1, "reject is true (Enforcement on)");
}

int main(void)
{
	test_table();
	test_published_and_names();
	return tap_done();
}
