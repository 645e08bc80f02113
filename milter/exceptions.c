/*
 * exceptions - facts for the override core.  See exceptions.h.
 */
#include "exceptions.h"

#include <string.h>

#include "../policy/mlist.h"
#include "../policy/sealer.h"
#include "../util/strbuf.h"
#include "../conf/forwarder.h"
#include "localpolicy.h"

static void gather_local(const message_t *m, const verdict_t *v,
    override_ctx_t *ctx)
{
	localpolicy_match_t match;

	localpolicy_lookup(m->gen->localpolicy, v->from_domain,
	    (const char (*)[FROM_DOMAIN_MAX])m->rcpt_domain, m->nrcpt_domains,
	    &match);
	ctx->stage = m->gen->cfg->enforcement;
	ctx->local_action = match.action;
	str_copy(ctx->local_where, sizeof(ctx->local_where),
	    match.action_where);
	if (match.has_stage) {
		ctx->stage = match.stage;
		ctx->stage_local = true;
		str_copy(ctx->stage_where, sizeof(ctx->stage_where),
		    match.stage_where);
	}
}

enforce_stage_t exceptions_stage(const message_t *m, const char *from_domain)
{
	localpolicy_match_t match;

	localpolicy_lookup(m->gen->localpolicy, from_domain,
	    (const char (*)[FROM_DOMAIN_MAX])m->rcpt_domain, m->nrcpt_domains,
	    &match);
	return match.has_stage ? match.stage : m->gen->cfg->enforcement;
}

static void gather_arc(const runtime_t *rt, const generation_t *gen,
    const arc_result_t *arc, const verdict_t *v, override_ctx_t *ctx)
{
	sealer_set_t sets[ARC_MAX_INSTANCES];
	char what[SEALER_WHAT_MAX];
	sealer_input_t in;
	size_t i;

	if (arc == NULL || arc->cv != ARC_CV_PASS ||
	    gen->cfg->arc_trusted_sealers[0] == NULL)
		return;
	memset(&in, 0, sizeof(in));
	for (i = 0; i < arc->nsets && i < ARC_MAX_INSTANCES; i++) {
		sets[i].instance = arc->set[i].instance;
		sets[i].sealer = arc->set[i].sealer;
		sets[i].aar = arc->set[i].aar;
		sets[i].ams_valid = arc->set[i].ams_valid;
		sets[i].ams_signs_from = arc->set[i].ams_signs_from;
	}
	in.chain_pass = true;
	in.sets = sets;
	in.nsets = i;
	in.trusted = gen->cfg->arc_trusted_sealers;
	in.verdict = v;
	if (sealer_vouches(&in, &gen->eval.discovery, &rt->dns_ops, what,
	    sizeof(what))) {
		ctx->arc_vouched = true;
		str_copy(ctx->arc_what, sizeof(ctx->arc_what), what);
	}
}

static void gather_forwarder(const runtime_t *rt, const generation_t *gen,
    const connection_t *c, override_ctx_t *ctx)
{
	char what[FORWARDER_WHAT_MAX];

	if (forwarders_empty(gen->forwarders) ||
	    !forwarders_match(gen->forwarders, rt->dns, c->client_ip, what,
	    sizeof(what)))
		return;
	ctx->trusted_forwarder = true;
	ctx->forwarder_disposition =
	    gen->cfg->forwarder_action == FORWARDER_ACTION_QUARANTINE ?
	    DMARC_POLICY_QUARANTINE : DMARC_POLICY_NONE;
	str_copy(ctx->forwarder_what, sizeof(ctx->forwarder_what), what);
}

static void gather_list(const runtime_t *rt, const message_t *m,
    const eval_input_t *in, const verdict_t *v, override_ctx_t *ctx)
{
	char what[MLIST_WHAT_MAX];

	ctx->list_action = m->gen->cfg->list_action;
	if (ctx->list_action == LIST_ACTION_POLICY ||
	    !mlist_present(&m->lists))
		return;
	if (mlist_authenticated(&m->lists, in, v, &m->gen->eval.discovery,
	    &rt->dns_ops, what, sizeof(what))) {
		ctx->list_mail = true;
		str_copy(ctx->list_what, sizeof(ctx->list_what), what);
	}
}

void exceptions_gather(const runtime_t *rt, const connection_t *c,
    const message_t *m, const eval_input_t *in, const arc_result_t *arc,
    const verdict_t *v, override_ctx_t *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	gather_local(m, v, ctx);
	if (v->result != DMARC_RESULT_FAIL)
		return;
	/* What override_apply() will look at, in its order; a fact that
	 * cannot matter is not looked up. */
	if (ctx->local_action == LOCAL_ALWAYS_REJECT)
		return;
	gather_arc(rt, m->gen, arc, v, ctx);
	if (ctx->arc_vouched)
		return;
	gather_forwarder(rt, m->gen, c, ctx);
	if (ctx->trusted_forwarder)
		return;
	gather_list(rt, m, in, v, ctx);
}
