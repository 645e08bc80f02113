/*
 * outcome - end-of-message evaluation of one message: SPF, DKIM, DMARC,
 * the action, and what is written about it (Authentication-Results, log
 * line, history row).  Declared in message.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "exceptions.h"
#include "../util/log.h"
#include "message.h"

static unsigned pct_roll(void)
{
	return arc4random_uniform(100);
}

static void outcome_eval_input(const message_t *m, const outcome_t *out,
    eval_input_t *in)
{
	size_t i;

	memset(in, 0, sizeof(*in));
	in->nfrom = m->from.ndomains;
	for (i = 0; i < m->from.ndomains; i++)
		str_copy(in->from[i], FROM_DOMAIN_MAX, m->from.domain[i]);
	in->spf.result = out->spf.result;
	in->spf.scope = out->spf.scope;
	str_copy(in->spf.domain, sizeof(in->spf.domain), out->spf.domain);
	in->ndkim = out->dkim.count;
	for (i = 0; i < out->dkim.count && i < EVAL_MAX_DKIM; i++) {
		in->dkim[i].result = out->dkim.sig[i].result;
		in->dkim[i].body_hash_only = out->dkim.sig[i].body_hash_only;
		str_copy(in->dkim[i].domain, FROM_DOMAIN_MAX,
		    out->dkim.sig[i].domain);
		str_copy(in->dkim[i].selector, SELECTOR_MAX,
		    out->dkim.sig[i].selector);
	}
	in->pct_roll = pct_roll();
}

/* ARC result and the sealers, oldest first, as many whole names as fit
 * (history/schema.h: comma separated). */
static void outcome_history_arc(const arc_result_t *arc, history_row_t *r)
{
	size_t i, len = 0, n;

	if (arc == NULL)
		return;
	str_copy(r->arc_result, sizeof(r->arc_result), arc_cv_name(arc->cv));
	for (i = 0; i < arc->nsets && i < ARC_MAX_INSTANCES; i++) {
		n = strlen(arc->set[i].sealer);
		if (n == 0 || len + n + 2 > sizeof(r->arc_sealers))
			continue;
		if (len)
			r->arc_sealers[len++] = ',';
		memcpy(r->arc_sealers + len, arc->set[i].sealer, n + 1);
		len += n;
	}
}

static void outcome_history(const connection_t *c, const message_t *m,
    outcome_t *out)
{
	history_row_t *r = &out->row;
	const verdict_t *v = &out->verdict;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->when = time(NULL);
	str_copy(r->qid, sizeof(r->qid), m->qid);
	str_copy(r->client_ip, sizeof(r->client_ip), c->client_ip);
	str_copy(r->helo, sizeof(r->helo), c->helo);
	str_copy(r->envelope_from, sizeof(r->envelope_from),
	    m->mailfrom_domain);
	r->nrcpt_domains = m->nrcpt_domains;
	for (i = 0; i < m->nrcpt_domains; i++)
		str_copy(r->rcpt_domain[i], FROM_DOMAIN_MAX, m->rcpt_domain[i]);
	str_copy(r->header_from, sizeof(r->header_from), v->from_domain);
	r->policy_found = v->policy.status == POLICY_FOUND;
	if (r->policy_found) {
		str_copy(r->policy_domain, sizeof(r->policy_domain),
		    v->policy.policy_domain);
		r->rec = v->policy.rec;
	}
	str_copy(r->org_domain, sizeof(r->org_domain), v->policy.org_domain);
	r->discovery = v->policy.method;
	r->result = v->result;
	r->requested = v->requested;
	r->evaluated = v->evaluated;
	r->applied = v->applied;
	r->np_applied = v->np_applied;
	r->sampled_out = v->sampled_out;
	r->noverrides = v->noverrides;
	memcpy(r->overrides, v->overrides, sizeof(r->overrides));
	r->spf_result = out->spf.result;
	r->spf_scope = out->spf.scope;
	str_copy(r->spf_domain, sizeof(r->spf_domain), out->spf.domain);
	r->spf_aligned = v->spf_aligned;
	r->ndkim = out->dkim.count;
	for (i = 0; i < out->dkim.count && i < EVAL_MAX_DKIM; i++) {
		history_dkim_t *d = &r->dkim[i];

		str_copy(d->domain, sizeof(d->domain), out->dkim.sig[i].domain);
		str_copy(d->selector, sizeof(d->selector),
		    out->dkim.sig[i].selector);
		d->result = out->dkim.sig[i].result;
		d->aligned = v->dkim_sig_aligned[i];
		str_copy(d->human_result, sizeof(d->human_result),
		    out->dkim.sig[i].reason);
	}
	outcome_history_arc(out->arc, r);
	str_copy(r->action, sizeof(r->action),
	    milter_action_name(out->decision.action));
	if (out->decision.rcode[0])
		str_format(r->smtp_reply, sizeof(r->smtp_reply), "%s %s",
		    out->decision.rcode, out->decision.xcode);
}

/* ---- DMARC reports and failure samples (dmarcwarden-report(8)) ---- */

static bool header_listed(const char *list, const char *name)
{
	size_t n, len = strlen(name);
	const char *p = list;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return false;
		n = strcspn(p, ", \t");
		if (n == len && strncasecmp(p, name, n) == 0)
			return true;
		p += n;
	}
}

void outcome_header(message_t *m, const char *name, const char *value)
{
	const char *v = value + strspn(value, " \t");

	if ((strcasecmp(name, "Subject") == 0 &&
	    strncasecmp(v, "Report Domain:", 14) == 0) ||
	    (strcasecmp(name, "Content-Type") == 0 &&
	    strcasestr(v, "report-type=feedback-report") != NULL) ||
	    (strcasecmp(name, "Content-Type") == 0 &&
	    strcasestr(v, "report-type=\"feedback-report\"") != NULL))
		m->is_report = true;
	if (!m->gen->cfg->failure_reports ||
	    !header_listed(m->gen->cfg->failure_headers, name))
		return;
	if (m->sample.max == 0)
		strbuf_init(&m->sample, HISTORY_SAMPLE_MAX - 1);
	strbuf_appendf(&m->sample, "%s:", name);
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			strbuf_putc(&m->sample, '\r');
		strbuf_putc(&m->sample, *p);
	}
	strbuf_puts(&m->sample, "\r\n");
}

/* RFC 9991 / RFC 7489 fo=: which failure asks for a sample, and its
 * Auth-Failure name ("dmarc", "dkim", "spf"); NULL for none. */
static const char *fo_failure(const char *fo, const outcome_t *out)
{
	const verdict_t *v = &out->verdict;
	bool dkim_failed = false;
	char opt[16];
	size_t i, n;

	for (i = 0; i < out->dkim.count && i < EVAL_MAX_DKIM; i++)
		if (out->dkim.sig[i].result == AUTH_FAIL)
			dkim_failed = true;
	for (const char *p = fo[0] ? fo : "0"; *p; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		str_ncopy(opt, sizeof(opt), p, n);
		if (strcmp(opt, "0") == 0 && v->result == DMARC_RESULT_FAIL)
			return "dmarc";
		if (strcmp(opt, "1") == 0 && (!v->spf_aligned ||
		    !v->dkim_aligned))
			return "dmarc";
		if (strcmp(opt, "d") == 0 && dkim_failed)
			return "dkim";
		if (strcmp(opt, "s") == 0 && (out->spf.result == AUTH_FAIL ||
		    out->spf.result == AUTH_SOFTFAIL))
			return "spf";
	}
	return NULL;
}

/* After outcome_history: mark reports, and attach a failure sample when
 * FailureReports is on and the record has ruf= and fo= asks for one. */
static void outcome_sample(const message_t *m, outcome_t *out)
{
	history_row_t *r = &out->row;
	const char *why;

	r->is_report = m->is_report;
	if (!m->gen->cfg->failure_reports || !r->policy_found ||
	    r->rec.nruf == 0 || m->sample.len == 0 || m->is_report ||
	    (why = fo_failure(r->rec.fo, out)) == NULL)
		return;
	r->failure_headers = strbuf_str(&m->sample);
	str_copy(r->failure_auth, sizeof(r->failure_auth), why);
	str_copy(r->mail_from, sizeof(r->mail_from), m->mailfrom);
}

static void outcome_logline_arc(const arc_result_t *arc, strbuf_t *sb)
{
	size_t i;

	if (arc == NULL)
		return;
	strbuf_appendf(sb, " arc=%s", arc_cv_name(arc->cv));
	for (i = 0; i < arc->nsets && i < ARC_MAX_INSTANCES; i++)
		strbuf_appendf(sb, "%s%s", i ? ":" : "(",
		    arc->set[i].sealer[0] ? arc->set[i].sealer : "?");
	if (arc->nsets > 0)
		strbuf_putc(sb, ')');
}

static void outcome_logline(const message_t *m, outcome_t *out)
{
	strbuf_t *sb = &out->logline;
	const verdict_t *v = &out->verdict;
	size_t i;

	strbuf_appendf(sb, "%s: from=%s spf=%s", m->qid,
	    out->evaluated ? v->from_domain : "-",
	    auth_result_name(out->spf.result));
	if (out->spf.domain[0])
		strbuf_appendf(sb, "(%s)", out->spf.domain);
	for (i = 0; i < out->dkim.count && i < EVAL_MAX_DKIM; i++)
		strbuf_appendf(sb, " dkim=%s(%s/%s)",
		    auth_result_name(out->dkim.sig[i].result),
		    out->dkim.sig[i].domain, out->dkim.sig[i].selector);
	if (out->dkim.count == 0)
		strbuf_puts(sb, " dkim=none");
	outcome_logline_arc(out->arc, sb);
	if (out->evaluated) {
		strbuf_appendf(sb, " dmarc=%s policy_domain=%s requested=%s "
		    "evaluated=%s applied=%s", dmarc_result_name(v->result),
		    v->policy.policy_domain[0] ? v->policy.policy_domain : "-",
		    dmarc_policy_name(v->requested),
		    dmarc_policy_name(v->evaluated),
		    dmarc_policy_name(v->applied));
		for (i = 0; i < v->noverrides; i++)
			strbuf_appendf(sb, " override=%s",
			    override_reason_name(v->overrides[i].reason));
		if (v->reason[0])
			strbuf_appendf(sb, " reason=\"%s\"", v->reason);
	} else {
		strbuf_appendf(sb, " dmarc=none reason=\"%s\"",
		    m->from_reason[0] ? m->from_reason : "not evaluated");
	}
	strbuf_appendf(sb, " action=%s",
	    milter_action_name(out->decision.action));
	if (m->forged_overflow)
		strbuf_appendf(sb, " forged_authres=\"more than %d\"",
		    MSG_MAX_FORGED);
	if (m->rcpt_mixed)
		strbuf_puts(sb, " rcpt_settings=mixed");
	for (i = 0; out->evaluated && i < v->noverrides; i++)
		strbuf_appendf(sb, "%s%s%s", i ? "; " : " overrides=\"",
		    v->overrides[i].comment, i + 1 == v->noverrides ? "\"" : "");
}

/* Several author domains, a From that does not parse, or none at all. */
static const char *outcome_bad_from(const message_t *m)
{
	if (m->nfrom_headers == 0)
		return "no From header";
	if (m->from_error)
		return m->from_reason;
	if (m->from.ndomains == 0)
		return "no author domain";
	if ((m->nfrom_headers > 1 || m->from.ndomains > 1) &&
	    m->gen->cfg->multiple_from == MULTIFROM_REJECT)
		return m->nfrom_headers > 1 ? "multiple From headers" :
		    "multiple author domains";
	return NULL;
}

void message_finish(const runtime_t *rt, const connection_t *c,
    message_t *m, outcome_t *out)
{
	authres_input_t ar;
	eval_input_t in;
	override_ctx_t ctx;
	const generation_t *gen = m->gen;
	const char *bad;

	memset(out, 0, sizeof(*out));
	strbuf_init(&out->authres, AUTHRES_MAX);
	strbuf_init(&out->logline, 2048);
	spf_check(rt->spf, c->client_ip, c->helo, m->mailfrom, &out->spf);
	if (m->dkim)
		dkim_verify_eom(m->dkim, &out->dkim);
	if (m->arc)
		out->arc = arc_verify_eom(m->arc);
	bad = outcome_bad_from(m);
	if (bad != NULL) {
		str_copy(m->from_reason, sizeof(m->from_reason), bad);
		decide_bad_from(gen->cfg, exceptions_stage(m, ""),
		    &out->decision);
	} else {
		outcome_eval_input(m, out, &in);
		dmarc_evaluate(&in, &gen->eval, &rt->dns_ops, &out->verdict);
		exceptions_gather(rt, c, m, &in, out->arc, &out->verdict, &ctx);
		override_apply(&ctx, &out->verdict);
		out->evaluated = true;
		decide_action(gen->cfg, ctx.stage, &out->verdict,
		    &out->decision);
	}
	if (m->rcpt_mixed)
		decide_rcpt_mixed(&out->decision);
	if (m->forged_overflow)
		decide_forged(&out->decision);
	if (out->evaluated) {
		outcome_history(c, m, out);
		outcome_sample(m, out);
	}
	memset(&ar, 0, sizeof(ar));
	ar.authserv_id = gen->cfg->authserv_id;
	ar.spf = &out->spf;
	ar.dkim = &out->dkim;
	ar.arc = out->arc;
	ar.client_ip = c->client_ip;
	ar.verdict = out->evaluated ? &out->verdict : NULL;
	authres_format(&ar, &out->authres);
	outcome_logline(m, out);
}

void outcome_free(outcome_t *out)
{
	if (out == NULL)
		return;
	strbuf_free(&out->authres);
	strbuf_free(&out->logline);
}
