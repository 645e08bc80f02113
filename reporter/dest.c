/*
 * dest - report destinations and their verification.  See dest.h.
 */
#include "dest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../policy/align.h"
#include "../policy/domain.h"
#include "../util/strbuf.h"

#define ORG_CACHE_SLOTS 4096

typedef struct org_entry {
	char *domain, *org;
} org_entry_t;

struct dest_verifier {
	const dns_ops_t *dns;
	const discovery_cfg_t *disc;
	org_entry_t cache[ORG_CACHE_SLOTS];
	unsigned long queries;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dest_mailto(const char *uri, char *addr, size_t addrlen, char *domain,
    size_t domlen, char *why, size_t whylen)
{
	const char *p, *end;
	char *at;
	strbuf_t sb;
	int rc = -1;

	addr[0] = domain[0] = '\0';
	if (strncasecmp(uri, "mailto:", 7) != 0) {
		str_copy(why, whylen, "not a mailto: URI");
		return -1;
	}
	p = uri + 7;
	end = p + strcspn(p, "?");
	strbuf_init(&sb, addrlen - 1);
	for (; p < end; p++) {
		int hi, lo;

		if (*p == '%' && p + 2 < end && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0) {
			strbuf_putc(&sb, (char)(hi << 4 | lo));
			p += 2;
		} else {
			strbuf_putc(&sb, *p);
		}
	}
	at = strrchr(strbuf_str(&sb), '@');
	str_copy(why, whylen, "bad address");
	if (sb.truncated || at == NULL || at == sb.s || sb.s == NULL)
		goto out;
	for (p = sb.s; p < at; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>\"\\,;:()[]@", *p) != NULL)
			goto out;
	if (domain_normalize(at + 1, strlen(at + 1), domain, domlen) < 0)
		goto out;
	str_format(addr, addrlen, "%.*s@%s", (int)(at - sb.s), sb.s, domain);
	why[0] = '\0';
	rc = 0;
out:
	if (rc < 0)
		domain[0] = '\0';
	strbuf_free(&sb);
	return rc;
}

size_t dest_parse_list(const char *list, dest_t *out, size_t max)
{
	const char *p = list ? list : "";
	size_t n = 0, len;

	while (*p && n < max) {
		dest_t *d = &out[n];
		const char *bang;

		len = strcspn(p, ",");
		memset(d, 0, sizeof(*d));
		bang = memchr(p, '!', len);
		str_ncopy(d->uri, sizeof(d->uri), p, bang ? (size_t)(bang - p) :
		    len);
		if (bang)
			d->size = strtoull(bang + 1, NULL, 10);
		if (d->uri[0])
			n++;
		dest_mailto(d->uri, d->addr, sizeof(d->addr), d->domain,
		    sizeof(d->domain), d->why, sizeof(d->why));
		p += len;
		if (*p == ',')
			p++;
	}
	return n;
}

bool dest_listed(const char *no_reports, const char *addr)
{
	const char *p = no_reports ? no_reports : "", *at = strrchr(addr, '@');
	char item[DEST_ADDR_MAX];
	size_t n;

	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return false;
		n = strcspn(p, ", \t");
		str_ncopy(item, sizeof(item), p, n);
		p += n;
		if (strchr(item, '@') ? strcasecmp(item, addr) == 0 :
		    at != NULL && domain_within(at + 1, item))
			return true;
	}
}

/* ---- verification --------------------------------------------------- */

/* URIs in the history's form ("uri!bytes,uri"), as dest_parse_list()
 * reads them. */
static void join_uris(const dmarc_uri_t *u, size_t n, char *out,
    size_t outlen)
{
	strbuf_t sb;

	strbuf_init(&sb, outlen - 1);
	for (size_t i = 0; i < n; i++) {
		strbuf_appendf(&sb, "%s%s", i ? "," : "", u[i].uri);
		if (u[i].size)
			strbuf_appendf(&sb, "!%llu", u[i].size);
	}
	str_copy(out, outlen, sb.truncated ? "" : strbuf_str(&sb));
	strbuf_free(&sb);
}

dest_verifier_t *dest_verifier_new(const dns_ops_t *dns,
    const discovery_cfg_t *disc)
{
	dest_verifier_t *v = calloc(1, sizeof(*v));

	if (v == NULL)
		abort();
	v->dns = dns;
	v->disc = disc;
	return v;
}

void dest_verifier_free(dest_verifier_t *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < ORG_CACHE_SLOTS; i++) {
		free(v->cache[i].domain);
		free(v->cache[i].org);
	}
	free(v);
}

/* Organizational domain, cached (one slot per hash; a collision just
 * replaces the entry). */
static int org_domain(dest_verifier_t *v, const char *domain, char *out,
    size_t outlen)
{
	unsigned long h = 5381;
	unsigned q = 0;
	org_entry_t *e;

	for (const char *p = domain; *p; p++)
		h = h * 33 + (unsigned char)*p;
	e = &v->cache[h % ORG_CACHE_SLOTS];
	if (e->domain && strcmp(e->domain, domain) == 0) {
		str_copy(out, outlen, e->org);
		return 0;
	}
	if (dmarc_org_domain(domain, v->disc, v->dns, out, outlen, &q) !=
	    DNSOPS_OK) {
		v->queries += q;
		return -1;
	}
	v->queries += q;
	free(e->domain);
	free(e->org);
	if ((e->domain = strdup(domain)) == NULL ||
	    (e->org = strdup(out)) == NULL)
		abort();
	return 0;
}

/* The authorization record at <policy_domain>._report._dmarc.<rua_domain>:
 * 1 authorized (and its rua= or ruf= URIs, with "!size", joined by commas
 * in over[] when want_uris), 0 not, -1 DNS temporary failure. */
static int verify_record(dest_verifier_t *v, const char *policy_domain,
    const char *rua_domain, char want_uris, char *over, size_t overlen,
    char *why, size_t whylen)
{
	char name[512], err[DMARC_ERR_MAX];
	txt_answer_t a;
	dmarc_record_t rec;
	dnsops_status_t st;
	dmarc_record_status_t rs;
	int ok = 0;

	if (over)
		over[0] = '\0';
	if (str_format(name, sizeof(name), "%s._report._dmarc.%s",
	    policy_domain, rua_domain) < 0 || strlen(name) > 253) {
		str_format(why, whylen, "external destination %s: "
		    "verification name too long", rua_domain);
		return 0;
	}
	txt_answer_init(&a);
	st = v->dns->txt(v->dns->ctx, name, &a);
	v->queries++;
	if (st == DNSOPS_TEMPFAIL) {
		str_format(why, whylen, "external destination %s: %s: %s",
		    rua_domain, name, a.reason[0] ? a.reason : "temporary "
		    "DNS failure");
		txt_answer_free(&a);
		return -1;
	}
	for (size_t i = 0; st == DNSOPS_OK && i < a.count && !ok; i++) {
		rs = dmarc_record_parse(a.rec[i], a.len[i], &rec, err,
		    sizeof(err));
		ok = rs != DMARC_RECORD_NOT_DMARC;
		if (ok && rs == DMARC_RECORD_OK && over)
			join_uris(want_uris == 'f' ? rec.ruf : rec.rua,
			    want_uris == 'f' ? rec.nruf : rec.nrua, over,
			    overlen);
	}
	txt_answer_free(&a);
	if (!ok)
		str_format(why, whylen, "external destination %s has not "
		    "authorized reports for %s (no v=DMARC1 at %s)", rua_domain,
		    policy_domain, name);
	return ok;
}

/* 1 when rua_domain belongs to the policy domain's organization (no
 * authorization needed), 0 when external, -1 DNS temporary failure. */
static int internal(dest_verifier_t *v, const char *policy_domain,
    const char *rua_domain, char *why, size_t whylen)
{
	char org_p[FROM_DOMAIN_MAX], org_r[FROM_DOMAIN_MAX];

	if (domain_within(rua_domain, policy_domain))
		return 1;
	if (org_domain(v, policy_domain, org_p, sizeof(org_p)) < 0 ||
	    org_domain(v, rua_domain, org_r, sizeof(org_r)) < 0) {
		str_format(why, whylen, "organizational domain of %s or %s: "
		    "temporary DNS failure", policy_domain, rua_domain);
		return -1;
	}
	return strcasecmp(org_p, org_r) == 0;
}

int dest_verify(dest_verifier_t *v, const char *policy_domain,
    const char *rua_domain, char *why, size_t whylen)
{
	int in;

	why[0] = '\0';
	if ((in = internal(v, policy_domain, rua_domain, why, whylen)) != 0)
		return in;
	return verify_record(v, policy_domain, rua_domain, 0, NULL, 0, why,
	    whylen);
}

/* Replace d[i] by the override's URIs at its own host (appended to d
 * unless listed already); d[i] stays when the override names it. */
static size_t replace_one(dest_t *d, size_t i, size_t n, size_t max,
    const char *over, const char *tag, const char *record_name)
{
	dest_t o[DEST_MAX];
	size_t no = dest_parse_list(over, o, DEST_MAX), k, j, found = 0;
	bool dup;

	for (k = 0; k < no; k++) {
		if (o[k].addr[0] == '\0' ||
		    strcasecmp(o[k].domain, d[i].domain) != 0)
			continue;       /* RFC 7489 7.1: the same host only */
		if (strcmp(o[k].uri, d[i].uri) == 0)
			return n;       /* it names this destination */
		for (j = 0, dup = false; j < n; j++)
			dup = dup || strcmp(d[j].uri, o[k].uri) == 0;
		if (!dup && n < max)
			d[n++] = o[k];
		found++;
	}
	d[i].replaced = true;
	if (found)
		str_format(d[i].why, sizeof(d[i].why), "replaced by the %s= "
		    "of %s", tag, record_name);
	else
		str_format(d[i].why, sizeof(d[i].why), "the %s= of %s names "
		    "no URI at %s: not sent", tag, record_name, d[i].domain);
	return n;
}

size_t dest_override(dest_verifier_t *v, const char *policy_domain,
    char kind, dest_t *d, size_t n, size_t max)
{
	char over[DEST_OVER_MAX], why[DEST_WHY_MAX], name[300];
	size_t i, n0 = n;

	for (i = 0; i < n0; i++) {
		if (d[i].addr[0] == '\0' || d[i].replaced ||
		    internal(v, policy_domain, d[i].domain, why,
		    sizeof(why)) != 0)
			continue;
		if (verify_record(v, policy_domain, d[i].domain, kind, over,
		    sizeof(over), why, sizeof(why)) != 1 || over[0] == '\0')
			continue;
		str_format(name, sizeof(name), "%s._report._dmarc.%s",
		    policy_domain, d[i].domain);
		n = replace_one(d, i, n, max, over, kind == 'f' ? "ruf" :
		    "rua", name);
	}
	return n;
}

unsigned long dest_verify_queries(const dest_verifier_t *v)
{
	return v->queries;
}
