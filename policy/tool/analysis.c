/*
 * analysis - per-source statistics and classification.  See analysis.h.
 */
#include "analysis.h"

#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libpsl.h>

#include "../../util/strbuf.h"

/* The PSL handle is loaded once per process: the tool is single-threaded. */
static const psl_ctx_t *analysis_psl(void)
{
	static psl_ctx_t *latest;
	static int tried;

	if (!tried) {
		tried = 1;
		latest = psl_latest(NULL);
	}
	return latest ? latest : psl_builtin();
}

void analysis_org_domain(const char *domain, char *out, size_t size)
{
	const psl_ctx_t *psl = analysis_psl();
	const char *reg = psl ? psl_registrable_domain(psl, domain) : NULL;

	str_copy(out, size, reg ? reg : domain);
	str_lower(out);
}

bool analysis_aligned(const char *a, const char *b)
{
	char oa[RUA_DOMAIN_MAX], ob[RUA_DOMAIN_MAX];

	if (str_ieq(a, b))
		return true;
	analysis_org_domain(a, oa, sizeof(oa));
	analysis_org_domain(b, ob, sizeof(ob));
	return strcmp(oa, ob) == 0;
}

const char *class_name(src_class_t c)
{
	static const char *const names[] = { "authorized", "misaligned",
		"forwarder", "mailing_list", "spoof" };

	return c < CLASS_COUNT ? names[c] : "?";
}

const char *class_label(src_class_t c)
{
	static const char *const names[] = { "authorized sender",
		"authorized but misaligned", "forwarder", "mailing list",
		"unknown / spoof" };

	return c < CLASS_COUNT ? names[c] : "?";
}

bool class_legitimate(src_class_t c)
{
	return c != CLASS_SPOOF;
}

/* ---- sources --------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_source_ip(const void *key, const void *elem)
{
	return strcmp(key, ((const source_t *)elem)->ip);
}

static size_t source_of(const analysis_t *a, const arow_t *r)
{
	const source_t *s = bsearch(r->source_ip, a->src, a->nsrc,
	    sizeof(*a->src), cmp_source_ip);

	return s ? (size_t)(s - a->src) : 0;
}

/* One source_t per distinct address, sorted by address. */
static void make_sources(const dataset_t *ds, analysis_t *a)
{
	const char **ips = malloc((ds->n + 1) * sizeof(*ips));
	size_t i;

	if (ips == NULL || (a->src = calloc(ds->n + 1, sizeof(*a->src))) ==
	    NULL)
		abort();
	for (i = 0; i < ds->n; i++)
		ips[i] = ds->rows[i].source_ip;
	qsort(ips, ds->n, sizeof(*ips), cmp_str);
	for (i = 0; i < ds->n; i++)
		if (a->nsrc == 0 || strcmp(a->src[a->nsrc - 1].ip, ips[i]) != 0)
			str_copy(a->src[a->nsrc++].ip, RUA_IP_MAX, ips[i]);
	free(ips);
}

static void set_bit(unsigned long long *bits, size_t i)
{
	bits[i / 64] |= 1ULL << (i % 64);
}

static unsigned count_bits(const unsigned long long *bits, size_t words)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < words; i++)
		n += (unsigned)__builtin_popcountll(bits[i]);
	return n;
}

static void add_row(analysis_t *a, const arow_t *r, long long first_day)
{
	source_t *s = &a->src[source_of(a, r)];
	long long d = (r->begin + r->end) / 2 / 86400 - first_day;
	bool pass = r->dkim_aligned || r->spf_aligned;
	unsigned long long n = r->count;

	s->total += n;
	s->dmarc_pass += pass ? n : 0;
	s->spf_aligned += r->spf_aligned ? n : 0;
	s->dkim_aligned += r->dkim_aligned ? n : 0;
	s->own_sig_failed += r->own_sig_failed ? n : 0;
	s->foreign_pass += r->foreign_pass ? n : 0;
	s->spf_own_failed += r->spf_own_failed ? n : 0;
	s->relaxed_pass += r->relaxed_pass ? n : 0;
	s->forwarded += r->reasons & REASON_FORWARDED ? n : 0;
	s->listed += r->reasons & REASON_LIST ? n : 0;
	s->quarantined += strcmp(r->disposition, "quarantine") == 0 ? n : 0;
	s->rejected += strcmp(r->disposition, "reject") == 0 ? n : 0;
	s->subdomain += strcmp(r->header_from, a->ds->domain) != 0 ? n : 0;
	if (n >= s->largest) {
		s->largest = n;
		str_copy(s->foreign_domain, RUA_DOMAIN_MAX, r->foreign_domain);
		str_copy(s->spf_domain, RUA_DOMAIN_MAX, r->spf_domain);
		str_copy(s->header_from, RUA_DOMAIN_MAX, r->header_from);
	}
	if (r->reporter < 256)
		set_bit(s->repbits, r->reporter);
	if (d >= 0 && d < ANALYSIS_MAX_DAYS) {
		set_bit(s->daybits, (size_t)d);
		a->day[d].total += n;
		a->day[d].dmarc_pass += pass ? n : 0;
	}
	a->total += n;
	a->dmarc_pass += pass ? n : 0;
}

static void pct_text(char *buf, size_t size, unsigned long long part,
    unsigned long long whole)
{
	str_format(buf, size, "%.1f%%", whole ? 100.0 * (double)part /
	    (double)whole : 0.0);
}

static void misaligned(source_t *s)
{
	s->cls = CLASS_MISALIGNED;
	if (s->relaxed_pass * 2 >= s->foreign_pass)
		str_format(s->why, sizeof(s->why), "authenticates as %s, in "
		    "the organization of %s, but the published strict "
		    "alignment (adkim=s / aspf=s) requires the exact domain",
		    s->foreign_domain, s->header_from);
	else
		str_format(s->why, sizeof(s->why), "authenticates as %s, not "
		    "aligned with %s (e.g. an ESP using its own domain)",
		    s->foreign_domain, s->header_from);
}

/* The rules of analysis.h, in order. */
static void classify(source_t *s, const char *domain)
{
	unsigned long long half = (s->total + 1) / 2;
	char p1[16], p2[16];

	pct_text(p1, sizeof(p1), s->spf_aligned, s->total);
	pct_text(p2, sizeof(p2), s->dkim_aligned, s->total);
	if (s->dmarc_pass >= half && s->total > 0) {
		if (s->spf_aligned == 0 && s->dkim_aligned > 0 &&
		    (s->spf_own_failed >= half || s->forwarded >= half)) {
			s->cls = CLASS_FORWARDER;
			str_format(s->why, sizeof(s->why), "aligned DKIM passes "
			    "(%s) but SPF fails for %s: forwarded mail", p2,
			    s->spf_domain[0] ? s->spf_domain : domain);
		} else {
			s->cls = CLASS_AUTHORIZED;
			str_format(s->why, sizeof(s->why), "DMARC passes (aligned "
			    "SPF %s, aligned DKIM %s)", p1, p2);
		}
	} else if (s->listed >= half || (s->own_sig_failed >= half &&
	    s->foreign_pass >= half)) {
		s->cls = CLASS_LIST;
		str_format(s->why, sizeof(s->why), "%s%s%s", s->listed >= half ?
		    "reported as mailing list" : "our DKIM signature broken, "
		    "re-authenticated as ", s->listed >= half ? "" :
		    s->foreign_domain, "");
	} else if (s->forwarded >= half || s->own_sig_failed >= half) {
		s->cls = CLASS_FORWARDER;
		str_copy(s->why, sizeof(s->why), s->forwarded >= half ?
		    "reported as forwarded by the receiver" : "our DKIM "
		    "signature broken in transit and SPF fails: forwarded and "
		    "modified");
	} else if (s->foreign_pass >= half || (s->dmarc_pass == 0 &&
	    s->foreign_pass > 0)) {
		misaligned(s);
	} else if (s->dmarc_pass > 0) {
		s->cls = CLASS_AUTHORIZED;
		str_format(s->why, sizeof(s->why), "DMARC passes for only part "
		    "of its mail (aligned SPF %s, aligned DKIM %s)", p1, p2);
	} else {
		/* said only when nothing passed, for any domain */
		s->cls = CLASS_SPOOF;
		str_copy(s->why, sizeof(s->why), "no SPF or DKIM pass for any "
		    "domain: unknown sender or spoofing");
	}
}

static int cmp_volume(const void *pa, const void *pb)
{
	const source_t *a = pa, *b = pb;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->ip, b->ip);
}

int analysis_run(const dataset_t *ds, analysis_t *a)
{
	long long first = 0, last = 0, d;
	size_t i, *pos;

	memset(a, 0, sizeof(*a));
	a->ds = ds;
	for (i = 0; i < ds->n; i++) {
		d = (ds->rows[i].begin + ds->rows[i].end) / 2 / 86400;
		if (i == 0 || d < first)
			first = d;
		if (i == 0 || d > last)
			last = d;
	}
	a->ndays = ds->n == 0 ? 0 : (size_t)(last - first + 1);
	if (a->ndays > ANALYSIS_MAX_DAYS)
		a->ndays = ANALYSIS_MAX_DAYS;
	for (i = 0; i < a->ndays; i++)
		a->day[i].day = first + (long long)i;
	make_sources(ds, a);
	for (i = 0; i < ds->n; i++)
		add_row(a, &ds->rows[i], first);
	for (i = 0; i < a->nsrc; i++) {
		source_t *s = &a->src[i];

		s->slot = i;
		classify(s, ds->domain);
		s->ndays = count_bits(s->daybits, sizeof(s->daybits) /
		    sizeof(s->daybits[0]));
		s->nreporters = count_bits(s->repbits, 4);
		a->class_total[s->cls] += s->total;
		a->class_sources[s->cls]++;
	}
	if ((a->row_src = calloc(ds->n + 1, sizeof(*a->row_src))) == NULL ||
	    (pos = calloc(a->nsrc + 1, sizeof(*pos))) == NULL)
		abort();
	for (i = 0; i < ds->n; i++)
		a->row_src[i] = source_of(a, &ds->rows[i]);
	qsort(a->src, a->nsrc, sizeof(*a->src), cmp_volume);
	for (i = 0; i < a->nsrc; i++)
		pos[a->src[i].slot] = i;
	/* per-day volume by class, now that classes are known */
	for (i = 0; i < ds->n; i++) {
		const arow_t *r = &ds->rows[i];

		a->row_src[i] = pos[a->row_src[i]];
		d = (r->begin + r->end) / 2 / 86400 - first;
		if (d >= 0 && d < (long long)a->ndays)
			a->day[d].by_class[a->src[a->row_src[i]].cls] +=
			    r->count;
	}
	free(pos);
	return 0;
}

/* The network of an address: its /24 (IPv4) or /48 (IPv6). */
static void network_of(const char *ip, const char *why, char *out,
    size_t size)
{
	unsigned char b[16];
	char text[INET6_ADDRSTRLEN];
	bool v6 = strchr(ip, ':') != NULL;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, b) != 1) {
		str_format(out, size, "%s %s", ip, why);
		return;
	}
	memset(b + (v6 ? 6 : 3), 0, v6 ? 10 : 1);
	inet_ntop(v6 ? AF_INET6 : AF_INET, b, text, sizeof(text));
	str_format(out, size, "%s/%d %s", text, v6 ? 48 : 24, why);
}

static int cmp_group(const void *pa, const void *pb)
{
	const src_group_t *a = pa, *b = pb;

	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cmp_group_name(const void *pa, const void *pb)
{
	return strcmp(((const src_group_t *)pa)->name,
	    ((const src_group_t *)pb)->name);
}

static int cmp_group_key(const void *key, const void *elem)
{
	return strcmp(key, ((const src_group_t *)elem)->name);
}

/* One src_group_t per distinct group name, largest first. */
static void make_groups(analysis_t *a)
{
	src_group_t *g = calloc(a->nsrc + 1, sizeof(*g)), *k;
	size_t i, n = 0;

	if (g == NULL)
		abort();
	for (i = 0; i < a->nsrc; i++)
		str_copy(g[i].name, sizeof(g[i].name), a->src[i].group);
	qsort(g, a->nsrc, sizeof(*g), cmp_group_name);
	for (i = 0; i < a->nsrc; i++)
		if (n == 0 || strcmp(g[n - 1].name, g[i].name) != 0)
			g[n++] = g[i];
	for (i = a->nsrc; i-- > 0;) {        /* first: the largest source */
		const source_t *s = &a->src[i];

		if ((k = bsearch(s->group, g, n, sizeof(*g), cmp_group_key)) ==
		    NULL)
			continue;
		k->nsrc++;
		k->total += s->total;
		k->dmarc_pass += s->dmarc_pass;
		k->classes |= 1u << s->cls;
		k->first = i;
	}
	qsort(g, n, sizeof(*g), cmp_group);
	free(a->groups);
	a->groups = g;
	a->ngroups = n;
}

void analysis_ptr(analysis_t *a, analysis_ptr_fn ptr, void *ctx)
{
	size_t i;
	int rc;

	for (i = 0; i < a->nsrc; i++) {
		source_t *s = &a->src[i];

		rc = i < ANALYSIS_MAX_PTR && ptr ? ptr(ctx, s->ip, s->ptr,
		    sizeof(s->ptr)) : -1;
		if (rc < 0)
			s->ptr[0] = '\0';
		s->ptr_confirmed = rc == 1 && s->ptr[0];
		if (s->ptr_confirmed)
			analysis_org_domain(s->ptr, s->group, sizeof(s->group));
		else
			network_of(s->ip, s->ptr[0] ? "(PTR not confirmed)" :
			    "(no PTR)", s->group, sizeof(s->group));
	}
	make_groups(a);
}

void analysis_free(analysis_t *a)
{
	if (a == NULL)
		return;
	free(a->src);
	free(a->row_src);
	free(a->groups);
	a->src = NULL;
	a->row_src = NULL;
	a->groups = NULL;
	a->nsrc = a->ngroups = 0;
}
