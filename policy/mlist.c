/*
 * mlist - mailing-list headers and the authenticated-list rule.  See
 * mlist.h.
 */
#include "mlist.h"

#include <string.h>
#include <strings.h>

#include "align.h"
#include "domain.h"
#include "../util/strbuf.h"

/* Skip a quoted-string or (nested) comment starting at v[i]; returns the
 * index after it, or len when it does not end. */
static size_t skip_special(const char *v, size_t len, size_t i)
{
	int depth = 0;
	char open = v[i];

	for (i++; i < len; i++) {
		if (v[i] == '\\') {
			i++;
		} else if (open == '"' && v[i] == '"') {
			return i + 1;
		} else if (open == '(' && v[i] == '(') {
			depth++;
		} else if (open == '(' && v[i] == ')') {
			if (depth-- == 0)
				return i + 1;
		}
	}
	return len;
}

/* RFC 5322 atext. */
static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* dot-atom-text with at least one dot, lower-cased into out. */
static int dot_atom(const char *p, size_t n, char *out, size_t outlen)
{
	size_t i, dots = 0;

	if (n == 0 || n >= outlen || p[0] == '.' || p[n - 1] == '.')
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (p[i - 1] == '.')
				return -1;
			dots++;
		} else if (!is_atext(c)) {
			return -1;
		}
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	return dots > 0 ? 0 : -1;
}

int mlist_parse_list_id(const char *value, size_t len, char *out,
    size_t outlen)
{
	size_t i = 0, start, end;

	out[0] = '\0';
	if (len > MLIST_FIELD_MAX)
		return -1;
	while (i < len && value[i] != '<') {
		if (value[i] == '"' || value[i] == '(')
			i = skip_special(value, len, i);
		else if (value[i] == '>' || value[i] == '\0')
			return -1;
		else
			i++;
	}
	if (i >= len)
		return -1;
	start = ++i;
	while (i < len && value[i] != '>')
		i++;
	if (i >= len)
		return -1;
	end = i++;
	/* Only CFWS may follow. */
	while (i < len) {
		if (value[i] == '(')
			i = skip_special(value, len, i);
		else if (value[i] == ' ' || value[i] == '\t' ||
		    value[i] == '\r' || value[i] == '\n')
			i++;
		else
			return -1;
	}
	if (dot_atom(value + start, end - start, out, outlen) < 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int mlist_parse_list_post(const char *value, size_t len, char *domain,
    size_t domainlen)
{
	const char *p = value, *end = value + len, *uri, *uend, *at;

	domain[0] = '\0';
	if (len > MLIST_FIELD_MAX || memchr(value, '\0', len) != NULL)
		return -1;
	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		uri = ++p;
		uend = memchr(uri, '>', (size_t)(end - uri));
		if (uend == NULL)
			return -1;
		p = uend + 1;
		if (uend - uri < 7 || strncasecmp(uri, "mailto:", 7) != 0)
			continue;
		uri += 7;
		for (at = NULL; uri < uend && *uri != '?'; uri++)
			if (*uri == '@')
				at = uri;
		if (at == NULL || domain_normalize(at + 1,
		    (size_t)(uri - at - 1), domain, domainlen) < 0) {
			domain[0] = '\0';
			return -1;
		}
		return 0;
	}
	return -1;
}

void mlist_header(mlist_headers_t *h, const char *name, const char *value)
{
	if (strcasecmp(name, "List-Id") == 0) {
		if (h->n_list_id++ == 0)
			mlist_parse_list_id(value, strlen(value), h->list_id,
			    sizeof(h->list_id));
	} else if (strcasecmp(name, "List-Post") == 0) {
		if (h->n_list_post++ == 0)
			mlist_parse_list_post(value, strlen(value),
			    h->post_domain, sizeof(h->post_domain));
	}
}

bool mlist_present(const mlist_headers_t *h)
{
	return h->n_list_id > 0 || h->n_list_post > 0;
}

/* Rule 1: the list's name, or NULL. */
static const char *mlist_name(const mlist_headers_t *h)
{
	if (h->n_list_id == 1)
		return h->list_id[0] ? h->list_id : NULL;
	if (h->n_list_id == 0 && h->n_list_post == 1 && h->post_domain[0])
		return h->post_domain;
	return NULL;
}

/* Rule 3: is the list name at or below D's organizational domain? */
static bool mlist_aligned(const char *list, const char *d,
    const discovery_cfg_t *cfg, const dns_ops_t *dns)
{
	char org[FROM_DOMAIN_MAX];
	unsigned q = 0;

	if (d[0] == '\0' || dmarc_org_domain(d, cfg, dns, org, sizeof(org),
	    &q) != DNSOPS_OK || strchr(org, '.') == NULL)
		return false;
	return domain_within(list, org);
}

/* Rule 4: a signature of the author's domain whose header fields
 * verified but whose body hash did not match. */
static bool mlist_original_signed(const eval_input_t *in, const verdict_t *v,
    const discovery_cfg_t *cfg, const dns_ops_t *dns)
{
	dmarc_align_t mode = v->policy.status == POLICY_FOUND ?
	    v->policy.rec.adkim : DMARC_ALIGN_RELAXED;
	size_t i;

	for (i = 0; i < in->ndkim && i < EVAL_MAX_DKIM; i++)
		if (in->dkim[i].result == AUTH_FAIL &&
		    in->dkim[i].body_hash_only &&
		    align_check(v->from_domain, v->policy.org_domain,
		    in->dkim[i].domain, mode, cfg, dns, NULL) == 1)
			return true;
	return false;
}

bool mlist_authenticated(const mlist_headers_t *h, const eval_input_t *in,
    const verdict_t *v, const discovery_cfg_t *cfg, const dns_ops_t *dns,
    char *what, size_t whatlen)
{
	const char *list = mlist_name(h);
	size_t i, tried = 0;

	what[0] = '\0';
	if (list == NULL || !mlist_original_signed(in, v, cfg, dns))
		return false;
	if (in->spf.result == AUTH_PASS && in->spf.scope == SPF_SCOPE_MFROM &&
	    in->spf.domain[0]) {
		tried++;
		if (mlist_aligned(list, in->spf.domain, cfg, dns)) {
			str_format(what, whatlen, "%s via spf %s", list,
			    in->spf.domain);
			return true;
		}
	}
	for (i = 0; i < in->ndkim && i < EVAL_MAX_DKIM; i++) {
		if (in->dkim[i].result != AUTH_PASS || !in->dkim[i].domain[0])
			continue;
		if (tried++ >= MLIST_MAX_CANDIDATES)
			break;
		if (mlist_aligned(list, in->dkim[i].domain, cfg, dns)) {
			str_format(what, whatlen, "%s via dkim %s", list,
			    in->dkim[i].domain);
			return true;
		}
	}
	return false;
}
