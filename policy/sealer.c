/*
 * sealer - trusted ARC sealer evaluation.  See sealer.h.
 */
#include "sealer.h"

#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "authres_parse.h"
#include "domain.h"
#include "../util/strbuf.h"

bool sealer_trusted(char *const *trusted, const char *domain)
{
	size_t i;

	if (trusted == NULL || domain == NULL || *domain == '\0')
		return false;
	for (i = 0; trusted[i]; i++)
		if (domain_within(domain, trusted[i]))
			return true;
	return false;
}

/* Domain of "local@domain", "@domain" or "domain", normalised. */
static int id_domain(const char *v, char *out, size_t outlen)
{
	const char *at = strrchr(v, '@');

	if (at)
		v = at + 1;
	return domain_normalize(v, strlen(v), out, outlen);
}

/* Is the identifier in property ptype.prop of e aligned with the author
 * domain? */
static bool entry_aligned(const ar_entry_t *e, const char *ptype,
    const char *prop, dmarc_align_t mode, const verdict_t *v,
    const discovery_cfg_t *cfg, const dns_ops_t *dns)
{
	char dom[FROM_DOMAIN_MAX];
	const char *val = ar_prop(e, ptype, prop);

	if (val == NULL || id_domain(val, dom, sizeof(dom)) < 0)
		return false;
	return align_check(v->from_domain, v->policy.org_domain, dom, mode,
	    cfg, dns, NULL) == 1;
}

static bool is_author(const ar_entry_t *e, const verdict_t *v)
{
	char dom[FROM_DOMAIN_MAX];
	const char *val = ar_prop(e, "header", "from");

	return val != NULL && id_domain(val, dom, sizeof(dom)) == 0 &&
	    strcmp(dom, v->from_domain) == 0;
}

/* Rule 3 for one parsed AAR; the method that vouched, or NULL. */
static const char *aar_vouches(const ar_payload_t *p, const verdict_t *v,
    const discovery_cfg_t *cfg, const dns_ops_t *dns)
{
	const dmarc_record_t *rec = &v->policy.rec;
	const ar_entry_t *e;
	size_t i;

	for (i = 0; i < p->nentries; i++) {
		e = &p->entry[i];
		if (strcmp(e->method, "dmarc") != 0 || !is_author(e, v))
			continue;
		if (strcmp(e->result, "pass") == 0)
			return "dmarc=pass";
		return NULL;    /* the sealer saw this domain fail */
	}
	for (i = 0; i < p->nentries; i++) {
		e = &p->entry[i];
		if (strcmp(e->result, "pass") != 0)
			continue;
		if (strcmp(e->method, "spf") == 0 && entry_aligned(e, "smtp",
		    "mailfrom", rec->aspf, v, cfg, dns))
			return "spf=pass aligned";
		if (strcmp(e->method, "dkim") == 0 && (entry_aligned(e,
		    "header", "d", rec->adkim, v, cfg, dns) || entry_aligned(e,
		    "header", "i", rec->adkim, v, cfg, dns)))
			return "dkim=pass aligned";
	}
	return NULL;
}

bool sealer_vouches(const sealer_input_t *in, const discovery_cfg_t *cfg,
    const dns_ops_t *dns, char *what, size_t whatlen)
{
	ar_payload_t *p;
	const char *how = NULL;
	size_t i;

	what[0] = '\0';
	if (!in->chain_pass || in->nsets == 0 || in->trusted == NULL ||
	    in->trusted[0] == NULL)
		return false;
	if ((p = malloc(sizeof(*p))) == NULL)
		return false;
	for (i = in->nsets; i > 0 && how == NULL; i--) {
		const sealer_set_t *s = &in->sets[i - 1];

		if (!s->ams_valid || !s->ams_signs_from ||
		    !sealer_trusted(in->trusted, s->sealer) ||
		    s->aar == NULL || ar_parse(s->aar, strlen(s->aar), p) < 0)
			continue;
		how = aar_vouches(p, in->verdict, cfg, dns);
		if (how)
			str_format(what, whatlen, "%s i=%u: %s", s->sealer,
			    s->instance, how);
	}
	free(p);
	return how != NULL;
}
