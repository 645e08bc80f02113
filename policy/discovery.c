/*
 * discovery - DMARC policy discovery and organizational domains: the
 * RFC 9989 DNS tree walk (sections 4.10, 4.10.1, 4.10.2) or the RFC 7489
 * Public Suffix List method (sections 3.2 and 6.6.3).  The contract is
 * in discovery.h.
 */
#include "discovery.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/strbuf.h"

#define DMARC_NAME_MAX 253      /* longest name we can query */

typedef struct walk_step {
	char name[FROM_DOMAIN_MAX];
	unsigned labels;
	bool found;                 /* one DMARC record usable by the walk */
	dmarc_record_status_t st;   /* of dmarc_record_select() */
	dmarc_record_t rec;
	char err[DMARC_ERR_MAX];
} walk_step_t;

typedef struct walk {
	walk_step_t step[DISCOVERY_MAX_QUERIES];
	size_t n;
	int last;                   /* last step with found, -1 if none */
	unsigned queries;
	bool tempfail;
	bool *from_cache;           /* set when an answer was stale, or NULL */
	char *reason;               /* where notes go, may be NULL */
	size_t reasonlen;
} walk_t;

/* Append a "; "-separated note; truncation is harmless. */
static void __attribute__((format(printf, 3, 4)))
reason_add(char *r, size_t size, const char *fmt, ...)
{
	size_t off;
	va_list ap;

	if (r == NULL || size == 0)
		return;
	off = strlen(r);
	if (off + 3 >= size)
		return;
	if (off) {
		memcpy(r + off, "; ", 3);
		off += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r + off, size - off, fmt, ap);
	va_end(ap);
}

/*
 * Lower-case, strip one trailing dot, check lengths and characters
 * (A-labels expected: letters, digits, '-' and '_').  Returns 0 or -1.
 */
static int normalize(const char *in, char *out, size_t outlen)
{
	size_t n, i, lab = 0;

	if (in == NULL || str_copy(out, outlen, in) < 0)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	if (n == 0 || n > DMARC_NAME_MAX)
		return -1;
	str_lower(out);
	for (i = 0; i < n; i++) {
		char c = out[i];

		if (c == '.') {
			if (lab == 0)
				return -1;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_') {
			if (++lab > 63)
				return -1;
		} else {
			return -1;
		}
	}
	return lab == 0 ? -1 : 0;
}

static unsigned count_labels(const char *name)
{
	unsigned n = 1;

	for (; *name; name++)
		if (*name == '.')
			n++;
	return n;
}

/* The right-most k labels of name (k >= 1, k <= labels(name)). */
static const char *suffix_labels(const char *name, unsigned k)
{
	unsigned skip = count_labels(name) - k;

	while (skip > 0 && *name) {
		if (*name++ == '.')
			skip--;
	}
	return name;
}

/* Query _dmarc.<name> and select its DMARC record (RFC 9989 4.10 step
 * 2 or 6).  Returns -1 on a temporary failure. */
static int walk_query(walk_t *w, const dns_ops_t *dns, const char *name)
{
	walk_step_t *s = &w->step[w->n++];
	char qname[DMARC_NAME_MAX + 8], why[DNS_REASON_MAX];
	txt_answer_t ans;
	dnsops_status_t st;

	memset(s, 0, sizeof(*s));
	str_copy(s->name, sizeof(s->name), name);
	s->labels = count_labels(name);
	s->st = DMARC_RECORD_NOT_DMARC;
	if (str_format(qname, sizeof(qname), "_dmarc.%s", name) < 0 ||
	    strlen(qname) > DMARC_NAME_MAX) {
		reason_add(w->reason, w->reasonlen, "name too long, not "
		    "queried: _dmarc.%.32s...", name);
		return 0;
	}
	txt_answer_init(&ans);
	st = dns->txt(dns->ctx, qname, &ans);
	w->queries++;
	if (st == DNSOPS_TEMPFAIL) {
		str_printable(why, sizeof(why), ans.reason, strlen(ans.reason));
		reason_add(w->reason, w->reasonlen, "TXT %s: temporary failure"
		    " (%s)", qname, why[0] ? why : "no reason given");
		txt_answer_free(&ans);
		w->tempfail = true;
		return -1;
	}
	if (ans.stale) {
		str_printable(why, sizeof(why), ans.reason, strlen(ans.reason));
		reason_add(w->reason, w->reasonlen, "TXT %s: %s", qname, why);
		if (w->from_cache)
			*w->from_cache = true;
	}
	if (st == DNSOPS_OK) {
		s->st = dmarc_record_select(&ans, &s->rec, s->err,
		    sizeof(s->err));
		/* A record whose only fault is its policy tags is still a
		 * retrieved record (RFC 9989 4.10.1); others are discarded. */
		s->found = s->st == DMARC_RECORD_OK || (s->st ==
		    DMARC_RECORD_INVALID && s->rec.policy_invalid);
		if (s->st == DMARC_RECORD_INVALID && !s->found)
			reason_add(w->reason, w->reasonlen, "%s ignored: %s",
			    qname, s->err);
		if (s->found)
			w->last = (int)(w->n - 1);
	}
	txt_answer_free(&ans);
	return 0;
}

/*
 * RFC 9989 4.10: query the starting name, then shorten it: fewer than 8
 * labels lose the left-most one, 8 or more are cut to the last 7 (step
 * 4), then one label at a time (step 7), stopping at a single DMARC
 * record with psd=y or psd=n (steps 2, 6) or after the last label.  At
 * most 8 queries whatever the length of the name.
 */
static int tree_walk(const char *domain, const dns_ops_t *dns, walk_t *w)
{
	const char *target = domain;
	const walk_step_t *s;
	unsigned x;

	w->n = 0;
	w->last = -1;
	w->queries = 0;
	w->tempfail = false;
	while (w->n < DISCOVERY_MAX_QUERIES) {
		if (walk_query(w, dns, target) < 0)
			return -1;
		s = &w->step[w->n - 1];
		if (s->found && (s->rec.psd == 'y' || s->rec.psd == 'n'))
			break;
		x = count_labels(target);
		if (x <= 1)
			break;
		target = suffix_labels(target, x < 8 ? x - 1 : 7);
	}
	return 0;
}

/*
 * RFC 9989 4.10.2: among the names with valid records, longest first:
 * psd=n names the organizational domain; psd=y (not at the starting
 * name) makes the name one label below it the organizational domain;
 * otherwise the record with the fewest labels.  With no record at all
 * the starting name is its own organizational domain.  The walk stops
 * at the first psd=y/n record, so only the last record can carry one.
 */
static void walk_org_domain(const char *domain, const walk_t *w, char *out,
    size_t outlen)
{
	const walk_step_t *s;

	if (w->last < 0) {
		str_copy(out, outlen, domain);
		return;
	}
	s = &w->step[w->last];
	if (s->rec.psd == 'y' && w->last > 0)
		str_copy(out, outlen, suffix_labels(domain, s->labels + 1));
	else
		str_copy(out, outlen, s->name);   /* psd=n, or fewest labels */
}

/* RFC 7489 3.2 via libpsl: the registrable domain, or the name itself
 * when it is a public suffix (or no list was given). */
static void psl_org_domain(const psl_ctx_t *psl, const char *domain,
    char *out, size_t outlen)
{
	const char *reg = psl ? psl_registrable_domain(psl, domain) : NULL;

	str_copy(out, outlen, reg ? reg : domain);
}

dnsops_status_t dmarc_org_domain(const char *domain,
    const discovery_cfg_t *cfg, const dns_ops_t *dns, char *out,
    size_t outlen, unsigned *queries)
{
	char name[FROM_DOMAIN_MAX];
	walk_t w;

	if (queries)
		*queries = 0;
	if (normalize(domain, name, sizeof(name)) < 0) {
		str_copy(out, outlen, domain ? domain : "");
		str_lower(out);
		return DNSOPS_OK;
	}
	if (cfg->method == DISCOVERY_PSL) {
		psl_org_domain(cfg->psl, name, out, outlen);
		return DNSOPS_OK;
	}
	memset(&w, 0, sizeof(w));
	if (tree_walk(name, dns, &w) < 0) {
		if (queries)
			*queries = w.queries;
		str_copy(out, outlen, name);
		return DNSOPS_TEMPFAIL;
	}
	if (queries)
		*queries = w.queries;
	walk_org_domain(name, &w, out, outlen);
	return DNSOPS_OK;
}

/* Make step s the policy record (or "no DMARC processing" when only its
 * policy tags are invalid and there is no valid rua: RFC 9989 4.10.1). */
static void use_record(policy_lookup_t *out, const walk_step_t *s,
    bool is_author)
{
	out->rec = s->rec;
	str_copy(out->policy_domain, sizeof(out->policy_domain), s->name);
	out->policy_is_author = is_author;
	out->status = s->st == DMARC_RECORD_OK ? POLICY_FOUND : POLICY_NONE;
	if (s->err[0] != '\0')
		reason_add(out->reason, sizeof(out->reason), "_dmarc.%s: %s",
		    s->name, s->err);
}

/* RFC 9989 4.10.1: the author domain's record, else the organizational
 * domain's, else the public suffix domain's (the psd=y record). */
static void lookup_treewalk(const char *author, const dns_ops_t *dns,
    policy_lookup_t *out)
{
	walk_t w;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.reason = out->reason;
	w.reasonlen = sizeof(out->reason);
	w.from_cache = &out->from_cache;
	if (tree_walk(author, dns, &w) < 0) {
		out->queries = w.queries;
		out->status = POLICY_TEMPERROR;
		return;
	}
	out->queries = w.queries;
	walk_org_domain(author, &w, out->org_domain, sizeof(out->org_domain));
	if (w.step[0].found) {
		use_record(out, &w.step[0], true);
		return;
	}
	for (i = 1; i < w.n; i++) {
		if (w.step[i].found &&
		    strcmp(w.step[i].name, out->org_domain) == 0) {
			use_record(out, &w.step[i], false);
			return;
		}
	}
	if (w.last > 0 && w.step[w.last].rec.psd == 'y') {
		use_record(out, &w.step[w.last], false);
		return;
	}
	out->status = POLICY_NONE;
	reason_add(out->reason, sizeof(out->reason), "no DMARC record for %s "
	    "or its parent domains", author);
}

/* RFC 7489 6.6.3: the author domain's record; only when it has no DMARC
 * record at all, the organizational domain's (Public Suffix List). */
static void lookup_psl(const char *author, const psl_ctx_t *psl,
    const dns_ops_t *dns, policy_lookup_t *out)
{
	const char *names[2];
	size_t i, nnames = 1;
	walk_t w;

	psl_org_domain(psl, author, out->org_domain, sizeof(out->org_domain));
	if (psl == NULL)
		reason_add(out->reason, sizeof(out->reason), "no public suffix "
		    "list loaded");
	names[0] = author;
	if (strcmp(author, out->org_domain) != 0)
		names[nnames++] = out->org_domain;
	memset(&w, 0, sizeof(w));
	w.reason = out->reason;
	w.reasonlen = sizeof(out->reason);
	w.from_cache = &out->from_cache;
	w.last = -1;
	for (i = 0; i < nnames; i++) {
		if (walk_query(&w, dns, names[i]) < 0) {
			out->queries = w.queries;
			out->status = POLICY_TEMPERROR;
			return;
		}
		out->queries = w.queries;
		if (w.step[i].found) {
			use_record(out, &w.step[i], i == 0);
			return;
		}
		if (w.step[i].st != DMARC_RECORD_NOT_DMARC)
			break;      /* several or invalid: step 5, terminate */
	}
	out->status = POLICY_NONE;
	reason_add(out->reason, sizeof(out->reason), "no usable DMARC record "
	    "for %s (public suffix list method)", author);
}

void dmarc_policy_lookup(const char *author_domain,
    const discovery_cfg_t *cfg, const dns_ops_t *dns, policy_lookup_t *out)
{
	char name[FROM_DOMAIN_MAX];
	char shown[64];

	memset(out, 0, sizeof(*out));
	out->method = cfg->method;
	out->status = POLICY_NONE;
	if (normalize(author_domain, name, sizeof(name)) < 0) {
		str_printable(shown, sizeof(shown), author_domain ?
		    author_domain : "", author_domain ?
		    strlen(author_domain) : 0);
		reason_add(out->reason, sizeof(out->reason), "invalid author "
		    "domain \"%s\"", shown);
		return;
	}
	str_copy(out->author_domain, sizeof(out->author_domain), name);
	str_copy(out->org_domain, sizeof(out->org_domain), name);
	if (cfg->method == DISCOVERY_PSL)
		lookup_psl(name, cfg->psl, dns, out);
	else
		lookup_treewalk(name, dns, out);
}

const char *discovery_method_name(discovery_method_t m)
{
	return m == DISCOVERY_PSL ? "psl" : "treewalk";
}
