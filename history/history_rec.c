/*
 * history_rec - a queued history item as text values.  See history_rec.h.
 */
#include "history_rec.h"

#include <string.h>

#include "../policy/utf8.h"
#include "../util/strbuf.h"

const char hrec_msg_columns[] = HREC_MSG_COLUMNS;

static const char *policy_text(dmarc_policy_t p)
{
	return p == DMARC_POLICY_UNSPEC ? NULL : dmarc_policy_name(p);
}

/* NOT NULL columns: a name function never returns NULL today. */
static const char *nn(const char *s)
{
	return s != NULL ? s : "";
}

static const char *flag(bool b)
{
	return b ? "1" : "0";
}

static void rec_policy(hrec_t *r, const hist_item_t *it)
{
	static const char *const psd[] = { "u", "y", "n" };
	const char **m = r->msg;

	if (!it->policy_found)
		return;                 /* all NULL */
	m[HREC_POLICY_P] = policy_text(it->p);
	m[HREC_POLICY_SP] = policy_text(it->sp);
	m[HREC_POLICY_NP] = policy_text(it->np);
	m[HREC_POLICY_ADKIM] = dmarc_align_name(it->adkim);
	m[HREC_POLICY_ASPF] = dmarc_align_name(it->aspf);
	str_format(r->num[1], sizeof(r->num[1]), "%u", it->pct);
	m[HREC_POLICY_PCT] = r->num[1];
	m[HREC_POLICY_TESTING] = it->testing ? "y" : "n";
	m[HREC_POLICY_FO] = it->strs + it->str[HS_FO];
	m[HREC_POLICY_PSD] = psd[it->psd == 'y' ? 1 : it->psd == 'n' ? 2 : 0];
	m[HREC_POLICY_RUA] = it->strs + it->str[HS_RUA];
	m[HREC_POLICY_RUF] = it->strs + it->str[HS_RUF];
}

static bool rec_dkim_aligned(const hist_item_t *it)
{
	for (size_t i = 0; i < it->ndkim; i++)
		if (it->dkim[i].aligned && it->dkim[i].result == AUTH_PASS)
			return true;
	return false;
}

static void rec_children(hrec_t *r, const hist_item_t *it)
{
	const char *s = it->strs;

	r->nrcpt = (unsigned)it->nrcpt;
	for (size_t k = 0; k < it->nrcpt; k++)
		r->rcpt[k] = s + it->rcpt[k];
	r->ndkim = (unsigned)it->ndkim;
	for (size_t k = 0; k < it->ndkim; k++) {
		const hist_dkim_t *d = &it->dkim[k];

		r->dkim[k][HREC_DKIM_DOMAIN] = s + d->domain;
		r->dkim[k][HREC_DKIM_SELECTOR] = s + d->selector;
		r->dkim[k][HREC_DKIM_RESULT] = nn(auth_result_name(d->result));
		r->dkim[k][HREC_DKIM_ALIGNED_COL] = flag(d->aligned);
		r->dkim[k][HREC_DKIM_HUMAN] = s + d->human;
	}
	r->nover = (unsigned)it->nover;
	for (size_t k = 0; k < it->nover; k++) {
		r->over[k][HREC_OVER_REASON] =
		    nn(override_reason_name(it->reason[k]));
		r->over[k][HREC_OVER_COMMENT] = s + it->comment[k];
	}
	r->has_sample = it->has_sample;
	if (it->has_sample) {
		r->sample[HREC_SAMPLE_MAIL_FROM] = s + it->str[HS_SAMPLE_MAILFROM];
		r->sample[HREC_SAMPLE_RUF] = s + it->str[HS_RUF];
		r->sample[HREC_SAMPLE_AUTH] = s + it->str[HS_SAMPLE_AUTH];
		r->sample[HREC_SAMPLE_HEADERS] = s + it->str[HS_SAMPLE_HDRS];
	}
}

void hrec_from_item(hrec_t *r, const hist_item_t *it, const char *row_uid,
    const char *host)
{
	const char *s = it->strs;
	const char **m = r->msg;

	memset(r, 0, sizeof(*r));
	str_format(r->num[0], sizeof(r->num[0]), "%lld", (long long)it->when);
	m[HREC_TIME] = r->num[0];
	m[HREC_QID] = s + it->str[HS_QID];
	m[HREC_SOURCE_IP] = s + it->str[HS_IP];
	m[HREC_HELO] = s + it->str[HS_HELO];
	m[HREC_ENVELOPE_FROM] = s + it->str[HS_ENVFROM];
	m[HREC_HEADER_FROM] = s + it->str[HS_HFROM];
	m[HREC_POLICY_DOMAIN] = s + it->str[HS_PDOM];
	m[HREC_ORG_DOMAIN] = s + it->str[HS_ORG];
	m[HREC_DISCOVERY] = nn(discovery_method_name(it->discovery));
	m[HREC_POLICY_FOUND] = flag(it->policy_found);
	rec_policy(r, it);
	m[HREC_RESULT] = nn(dmarc_result_name(it->result));
	m[HREC_DISP_REQUESTED] = policy_text(it->requested);
	m[HREC_DISP_EVALUATED] = policy_text(it->evaluated);
	m[HREC_DISP_APPLIED] = policy_text(it->applied);
	m[HREC_NP_APPLIED] = flag(it->np_applied);
	m[HREC_SAMPLED_OUT] = flag(it->sampled_out);
	m[HREC_SPF_DOMAIN] = s + it->str[HS_SPFDOM];
	m[HREC_SPF_SCOPE] = nn(spf_scope_name(it->spf_scope));
	m[HREC_SPF_RESULT] = nn(auth_result_name(it->spf_result));
	m[HREC_SPF_ALIGNED] = flag(it->spf_aligned);
	m[HREC_DKIM_ALIGNED] = flag(rec_dkim_aligned(it));
	m[HREC_ARC_RESULT] = s + it->str[HS_ARC];
	m[HREC_ARC_SEALERS] = s + it->str[HS_ARCSEAL];
	m[HREC_IS_REPORT] = flag(it->is_report);
	m[HREC_ENVELOPE_TO] = it->nrcpt ? s + it->rcpt[0] : "";
	m[HREC_DKIM_SUMMARY] = s + it->str[HS_DKIMSUM];
	m[HREC_OVERRIDE_SUMMARY] = s + it->str[HS_OVERSUM];
	m[HREC_ACTION] = s + it->str[HS_ACTION];
	m[HREC_SMTP_REPLY] = s + it->str[HS_REPLY];
	str_copy(r->uid, sizeof(r->uid), row_uid);
	str_copy(r->host, sizeof(r->host), host);
	m[HREC_ROW_UID] = r->uid;
	m[HREC_HOST] = r->host;
	rec_children(r, it);
}

void hrec_utf8_clean(char *buf, size_t len)
{
	unsigned char *p = (unsigned char *)buf;
	size_t i = 0, k;

	while (i < len) {
		if ((k = utf8_seq(p + i, len - i)) == 0) {
			p[i++] = '?';
			continue;
		}
		i += k;
	}
}
