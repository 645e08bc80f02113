/*
 * override - local exceptions and staged enforcement.  See override.h.
 */
#include "override.h"

#include <string.h>

#include "disposition.h"
#include "../util/strbuf.h"

static const char *const stage_names[] = { "monitor", "reject",
	"quarantine" };

int enforce_stage_parse(const char *s, enforce_stage_t *out)
{
	if (str_ieq(s, "monitor") || str_ieq(s, "off"))
		*out = ENFORCE_MONITOR;
	else if (str_ieq(s, "quarantine"))
		*out = ENFORCE_QUARANTINE;
	else if (str_ieq(s, "reject") || str_ieq(s, "on"))
		*out = ENFORCE_REJECT;
	else
		return -1;
	return 0;
}

const char *enforce_stage_name(enforce_stage_t s)
{
	if ((unsigned)s < sizeof(stage_names) / sizeof(stage_names[0]))
		return stage_names[s];
	return "reject";
}

/* The weaker of a and b. */
static dmarc_policy_t weaker_of(dmarc_policy_t a, dmarc_policy_t b)
{
	return disposition_stricter(a, b) == a ? b : a;
}

/* Move *d to to, recording why when it changes. */
static void step(verdict_t *v, dmarc_policy_t *d, dmarc_policy_t to,
    override_reason_t r, const char *fmt, const char *what)
{
	char comment[OVERRIDE_COMMENT_MAX];

	if (to == *d)
		return;
	str_format(comment, sizeof(comment), fmt, what);
	verdict_add_override(v, r, comment);
	*d = to;
}

/* Step 3: the first exception that applies. */
static void exceptions(const override_ctx_t *ctx, verdict_t *v,
    dmarc_policy_t *d)
{
	dmarc_policy_t to;

	if (*d == DMARC_POLICY_NONE)
		return;
	if (ctx->arc_vouched) {
		step(v, d, DMARC_POLICY_NONE, OVERRIDE_LOCAL_POLICY,
		    "trusted ARC sealer %s", ctx->arc_what);
		return;
	}
	if (ctx->trusted_forwarder) {
		to = ctx->forwarder_disposition == DMARC_POLICY_QUARANTINE ?
		    DMARC_POLICY_QUARANTINE : DMARC_POLICY_NONE;
		step(v, d, weaker_of(*d, to), OVERRIDE_TRUSTED_FORWARDER,
		    "TrustedForwarders %s", ctx->forwarder_what);
		return;
	}
	if (ctx->list_mail && ctx->list_action != LIST_ACTION_POLICY) {
		to = ctx->list_action == LIST_ACTION_NONE ? DMARC_POLICY_NONE :
		    DMARC_POLICY_QUARANTINE;
		step(v, d, weaker_of(*d, to), OVERRIDE_MAILING_LIST,
		    "list %s", ctx->list_what);
	}
}

/* Step 4: the enforcement stage. */
static void stage(const override_ctx_t *ctx, verdict_t *v, dmarc_policy_t *d)
{
	char what[OVERRIDE_WHAT_MAX + 32];
	dmarc_policy_t to = *d;

	if (ctx->stage == ENFORCE_MONITOR)
		to = DMARC_POLICY_NONE;
	else if (ctx->stage == ENFORCE_QUARANTINE)
		to = weaker_of(*d, DMARC_POLICY_QUARANTINE);
	if (ctx->stage_local)
		str_format(what, sizeof(what), "%s, %s",
		    enforce_stage_name(ctx->stage), ctx->stage_where);
	else
		str_copy(what, sizeof(what), enforce_stage_name(ctx->stage));
	step(v, d, to, OVERRIDE_LOCAL_POLICY, "Enforcement %s", what);
}

void override_apply(const override_ctx_t *ctx, verdict_t *v)
{
	dmarc_policy_t d;

	if (v->result != DMARC_RESULT_FAIL)
		return;
	d = v->applied == DMARC_POLICY_UNSPEC ? DMARC_POLICY_NONE : v->applied;
	if (ctx->local_action == LOCAL_ALWAYS_REJECT) {
		step(v, &d, DMARC_POLICY_REJECT, OVERRIDE_LOCAL_POLICY,
		    "always-reject, %s", ctx->local_where);
	} else {
		if (ctx->local_action == LOCAL_NEVER_REJECT)
			step(v, &d, weaker_of(d, DMARC_POLICY_QUARANTINE),
			    OVERRIDE_LOCAL_POLICY, "never-reject, %s",
			    ctx->local_where);
		exceptions(ctx, v, &d);
	}
	v->evaluated = d;
	stage(ctx, v, &d);
	v->applied = d;
}

dmarc_policy_t override_published(const verdict_t *v)
{
	dmarc_policy_t p = v->requested;

	if (v->result != DMARC_RESULT_FAIL || p == DMARC_POLICY_UNSPEC)
		return DMARC_POLICY_NONE;
	if (v->policy.rec.testing || v->sampled_out)
		p = disposition_weaker(p);
	return p;
}
