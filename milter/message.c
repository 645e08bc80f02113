/*
 * message - per-message state and end-of-message evaluation.  See
 * message.h.
 */
#include "message.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "authres.h"
#include "../util/log.h"

message_t *message_new(const runtime_t *rt, generation_t *gen,
    const char *qid)
{
	message_t *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		generation_release(gen);
		return NULL;
	}
	m->gen = gen;
	m->rcpt_all_ignored = true;
	message_set_qid(m, qid);
	if (rt->dkim) {
		m->dkim = dkim_verify_new(rt->dkim, m->qid);
		dkim_verify_limit(m->dkim, gen->cfg->max_signatures);
		dkim_verify_header_limits(m->dkim, gen->cfg->max_header_fields,
		    gen->cfg->max_header_bytes);
		dkim_verify_strict_length(m->dkim, !gen->cfg->dkim_trust_length);
	}
	if (rt->arc) {
		m->arc = arc_verify_new(rt->arc);
		arc_verify_limits(m->arc, gen->cfg->max_header_fields,
		    gen->cfg->max_header_bytes);
	}
	return m;
}

void message_free(message_t *m)
{
	if (m == NULL)
		return;
	dkim_verify_free(m->dkim);
	arc_verify_free(m->arc);
	strbuf_free(&m->sample);
	generation_release(m->gen);
	free(m);
}

void message_set_qid(message_t *m, const char *qid)
{
	str_printable(m->qid, sizeof(m->qid), qid ? qid : "NOQUEUE",
	    strlen(qid ? qid : "NOQUEUE"));
}

void address_domain(const char *addr, char *out, size_t outlen)
{
	const char *at = strrchr(addr, '@');
	size_t n;

	out[0] = '\0';
	if (at == NULL)
		return;
	at++;
	n = strcspn(at, ">");
	if (domain_normalize(at, n, out, outlen) < 0)
		out[0] = '\0';
}

/* Envelope addresses arrive as "<user@domain>" with optional ESMTP
 * parameters in later argv entries; keep the address only. */
static void strip_brackets(const char *arg, char *out, size_t outlen)
{
	size_t n = strlen(arg);

	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>')
		str_ncopy(out, outlen, arg + 1, n - 2);
	else
		str_copy(out, outlen, arg);
}

void message_mailfrom(message_t *m, const char *arg)
{
	strip_brackets(arg, m->mailfrom, sizeof(m->mailfrom));
	address_domain(m->mailfrom, m->mailfrom_domain,
	    sizeof(m->mailfrom_domain));
}

/* Does the recipient domain share the first recipient's LocalPolicyFile
 * settings?  The first one sets them. */
static bool rcpt_settings_match(message_t *m, const char *dom)
{
	localpolicy_rcpt_t rs;

	localpolicy_rcpt_settings(m->gen->localpolicy, dom, &rs);
	if (m->nrcpt == 0) {
		m->rcpt_settings = rs;
		return true;
	}
	return localpolicy_rcpt_same(&rs, &m->rcpt_settings);
}

int message_rcpt(message_t *m, const char *arg, bool can_refuse)
{
	char addr[MSG_MAILFROM_MAX], dom[FROM_DOMAIN_MAX];
	size_t i;

	strip_brackets(arg, addr, sizeof(addr));
	address_domain(addr, dom, sizeof(dom));
	if (!rcpt_settings_match(m, dom)) {
		if (can_refuse)
			return -1;
		m->rcpt_mixed = true;
	}
	m->nrcpt++;
	if (!config_domain_listed(m->gen->cfg->ignore_recipient_domains, dom))
		m->rcpt_all_ignored = false;
	for (i = 0; i < m->nrcpt_domains; i++)
		if (strcmp(m->rcpt_domain[i], dom) == 0)
			return 0;
	if (m->nrcpt_domains < HISTORY_MAX_RCPT_DOMAINS && dom[0])
		str_copy(m->rcpt_domain[m->nrcpt_domains++], FROM_DOMAIN_MAX,
		    dom);
	return 0;
}

static void message_from(message_t *m, const char *value)
{
	from_result_t fr;
	size_t i, j;

	m->nfrom_headers++;
	if (from_header_parse(value, strlen(value), &fr) < 0) {
		if (!m->from_error)
			str_copy(m->from_reason, sizeof(m->from_reason),
			    fr.reason);
		m->from_error = true;
		return;
	}
	for (i = 0; i < fr.ndomains; i++) {
		for (j = 0; j < m->from.ndomains; j++)
			if (strcmp(m->from.domain[j], fr.domain[i]) == 0)
				break;
		if (j < m->from.ndomains)
			continue;
		if (m->from.ndomains >= FROM_MAX_DOMAINS) {
			m->from_error = true;
			str_copy(m->from_reason, sizeof(m->from_reason),
			    "too many author domains");
			return;
		}
		str_copy(m->from.domain[m->from.ndomains++], FROM_DOMAIN_MAX,
		    fr.domain[i]);
	}
	m->from.nmailboxes += fr.nmailboxes;
}

static void message_authres(message_t *m, const char *value)
{
	char id[256];

	m->nauthres++;
	if (authres_authserv_id(value, strlen(value), id, sizeof(id)) < 0 ||
	    !authres_id_is_ours(id, m->gen->cfg->authserv_id))
		return;
	if (m->nforged >= MSG_MAX_FORGED) {
		m->forged_overflow = true;
		return;
	}
	m->forged[m->nforged++] = m->nauthres;
}

/* libmilter hands folded header values with bare LF line breaks (as
 * Postfix and Sendmail send them); DKIM canonicalization wants CRLF. */
static void header_to_crlf(const char *value, strbuf_t *sb)
{
	const char *p = value, *nl;

	while ((nl = strchr(p, '\n')) != NULL) {
		strbuf_append(sb, p, (size_t)(nl - p));
		if (nl == value || nl[-1] != '\r')
			strbuf_putc(sb, '\r');
		strbuf_putc(sb, '\n');
		p = nl + 1;
	}
	strbuf_puts(sb, p);
}

void message_header(message_t *m, const char *name, const char *value,
    bool leadspc)
{
	strbuf_t sb;

	if (strcasecmp(name, "From") == 0)
		message_from(m, value);
	else if (strcasecmp(name, "Authentication-Results") == 0)
		message_authres(m, value);
	mlist_header(&m->lists, name, value);
	outcome_header(m, name, value);
	if (m->dkim == NULL && m->arc == NULL)
		return;
	strbuf_init(&sb, 1024 * 1024);
	if (!leadspc)
		strbuf_putc(&sb, ' ');
	header_to_crlf(value, &sb);
	if (!sb.truncated && m->dkim)
		dkim_verify_header(m->dkim, name, strbuf_str(&sb));
	if (!sb.truncated && m->arc)
		arc_verify_header(m->arc, name, strbuf_str(&sb));
	strbuf_free(&sb);
}

void message_eoh(message_t *m)
{
	if (m->dkim && m->from.ndomains == 1)
		dkim_verify_prefer(m->dkim, m->from.domain[0]);
	if (m->dkim)
		dkim_verify_eoh(m->dkim);
	if (m->arc)
		arc_verify_eoh(m->arc);
}

void message_body(message_t *m, const unsigned char *p, size_t n)
{
	if (m->dkim)
		dkim_verify_body(m->dkim, p, n);
	if (m->arc)
		arc_verify_body(m->arc, p, n);
}
