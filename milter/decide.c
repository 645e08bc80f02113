/*
 * decide - verdict to milter action.  See decide.h.
 */
#include "decide.h"

#include <string.h>

#include "../util/strbuf.h"

void decide_expand(const char *tmpl, const char *domain, char *out,
    size_t outlen)
{
	strbuf_t sb;
	const char *p;

	strbuf_init(&sb, outlen > 0 ? outlen - 1 : 0);
	for (p = tmpl; *p; p++) {
		if (*p != '%') {
			strbuf_putc(&sb, *p);
			continue;
		}
		if (p[1] == 'd') {
			strbuf_puts(&sb, domain);
			p++;
		} else if (p[1] == '%') {
			strbuf_puts(&sb, "%%");
			p++;
		}
	}
	str_copy(out, outlen, strbuf_str(&sb));
	strbuf_free(&sb);
}

static void decide_reply(decision_t *d, milter_action_t a, const char *rcode,
    const char *xcode)
{
	d->action = a;
	str_copy(d->rcode, sizeof(d->rcode), rcode);
	str_copy(d->xcode, sizeof(d->xcode), xcode);
}

void decide_action(const config_t *cfg, enforce_stage_t stage,
    verdict_t *v, decision_t *d)
{
	memset(d, 0, sizeof(*d));
	d->action = ACTION_ACCEPT;
	if (v->result == DMARC_RESULT_TEMPERROR) {
		if (cfg->temperror_action == TEMPERROR_TEMPFAIL &&
		    stage != ENFORCE_MONITOR) {
			decide_reply(d, ACTION_TEMPFAIL, "451", "4.7.5");
			str_format(d->text, sizeof(d->text),
			    "Temporary error evaluating DMARC policy of %s",
			    v->from_domain);
		}
		return;
	}
	if (v->result != DMARC_RESULT_FAIL ||
	    v->applied == DMARC_POLICY_NONE)
		return;
	if (v->applied == DMARC_POLICY_REJECT) {
		decide_reply(d, ACTION_REJECT, "550", "5.7.1");
		decide_expand(cfg->reject_text, v->from_domain, d->text,
		    sizeof(d->text));
		return;
	}
	d->action = ACTION_QUARANTINE;
	str_format(d->text, sizeof(d->text), "DMARC policy of %s: quarantine",
	    v->from_domain);
}

void decide_bad_from(const config_t *cfg, enforce_stage_t stage,
    decision_t *d)
{
	memset(d, 0, sizeof(*d));
	d->action = ACTION_ACCEPT;
	if (cfg->bad_from != BADFROM_REJECT || stage == ENFORCE_MONITOR)
		return;
	decide_reply(d, ACTION_REJECT, "550", "5.7.1");
	decide_expand(cfg->bad_from_text, "", d->text, sizeof(d->text));
}

void decide_forged(decision_t *d)
{
	memset(d, 0, sizeof(*d));
	decide_reply(d, ACTION_REJECT, "550", "5.7.1");
	str_copy(d->text, sizeof(d->text), "Too many Authentication-Results "
	    "header fields claiming to be from this host");
}

void decide_rcpt_mixed(decision_t *d)
{
	memset(d, 0, sizeof(*d));
	decide_reply(d, ACTION_TEMPFAIL, "451", "4.7.1");
	str_copy(d->text, sizeof(d->text), "Recipients with different DMARC "
	    "settings, try again");
}

const char *milter_action_name(milter_action_t a)
{
	switch (a) {
	case ACTION_ACCEPT: return "accept";
	case ACTION_REJECT: return "reject";
	case ACTION_QUARANTINE: return "quarantine";
	case ACTION_TEMPFAIL: return "tempfail";
	}
	return "accept";
}
