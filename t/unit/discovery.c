/*
 * Unit tests for policy/discovery: a fake resolver answers from a static
 * zone table (name -> TXT records, TEMPFAIL; anything else NXDOMAIN) and
 * logs every query, so each case checks the result, the names asked and
 * their number.  The PSL cases load the system Public Suffix List.
 */
#include "../../policy/discovery.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <stdlib.h>

#define PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
#define MAX_LOG 32

typedef struct zone_entry {
	const char *name;
	dnsops_status_t st;
	const char *rec[3];
} zone_entry_t;

static const zone_entry_t zone[] = {
	{ "_dmarc.example.com", DNSOPS_OK,
	    { "v=DMARC1; p=reject; sp=quarantine", "v=spf1 -all" } },
	{ "_dmarc.signing.example.com", DNSOPS_OK, { "v=DMARC1; p=none" } },
	{ "_dmarc.mail.inter.test", DNSOPS_OK, { "v=DMARC1; p=none" } },
	{ "_dmarc.inter.test", DNSOPS_OK, { "v=DMARC1; p=reject" } },
	{ "_dmarc.mail.psdn.test", DNSOPS_OK,
	    { "v=DMARC1; p=quarantine; psd=n" } },
	{ "_dmarc.psdn.test", DNSOPS_OK, { "v=DMARC1; p=reject" } },
	{ "_dmarc.bank.example", DNSOPS_OK,
	    { "v=DMARC1; p=reject; sp=quarantine; psd=y" } },
	{ "_dmarc.giant.bank.example", DNSOPS_OK, { "v=DMARC1; p=none" } },
	{ "_dmarc.tld", DNSOPS_OK, { "v=DMARC1; p=reject; np=reject; psd=y" } },
	{ "_dmarc.org.test", DNSOPS_OK, { "v=DMARC1; p=reject" } },
	{ "_dmarc.dup.org.test", DNSOPS_OK,
	    { "v=DMARC1; p=none", "v=DMARC1; p=quarantine" } },
	{ "_dmarc.badp.org.test", DNSOPS_OK, { "v=DMARC1; p=n" } },
	{ "_dmarc.badprua.org.test", DNSOPS_OK,
	    { "v=DMARC1; p=n; rua=mailto:r@org.test" } },
	{ "_dmarc.dupp.org.test", DNSOPS_OK,
	    { "v=DMARC1; p=none; p=none" } },
	{ "_dmarc.spf.org.test", DNSOPS_OK, { "v=spf1 -all", "hello" } },
	{ "_dmarc.nodata.org.test", DNSOPS_NODATA, { NULL } },
	{ "_dmarc.example.co.uk", DNSOPS_OK, { "v=DMARC1; p=reject" } },
	{ "_dmarc.mail.example.co.uk", DNSOPS_OK, { "v=DMARC1; p=none" } },
	{ "_dmarc.example.org.uk", DNSOPS_OK, { "v=DMARC1; p=quarantine" } },
	{ "_dmarc.broken.test", DNSOPS_TEMPFAIL, { NULL } },
};

typedef struct fake_dns {
	const char *tempfail;   /* extra name answering TEMPFAIL */
	unsigned nq;
	char log[MAX_LOG][300];
} fake_dns_t;

static dnsops_status_t fake_txt(void *ctx, const char *name,
    txt_answer_t *out)
{
	fake_dns_t *f = ctx;
	size_t i, j;

	if (f->nq < MAX_LOG)
		str_copy(f->log[f->nq], sizeof(f->log[0]), name);
	f->nq++;
	if (f->tempfail && str_ieq(name, f->tempfail)) {
		str_copy(out->reason, sizeof(out->reason), "SERVFAIL");
		return DNSOPS_TEMPFAIL;
	}
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (!str_ieq(name, zone[i].name))
			continue;
		if (zone[i].st == DNSOPS_TEMPFAIL)
			str_copy(out->reason, sizeof(out->reason), "timeout");
		for (j = 0; j < 3 && zone[i].rec[j]; j++)
			txt_answer_add(out, zone[i].rec[j],
			    strlen(zone[i].rec[j]));
		return zone[i].st;
	}
	return DNSOPS_NXDOMAIN;
}

static dnsops_status_t fake_exists(void *ctx, const char *name,
    char *reason, size_t reasonlen)
{
	return DNSOPS_OK;
}

typedef struct lookup_case {
	const char *author;
	discovery_method_t method;
	policy_lookup_status_t status;
	const char *policy_domain;  /* "" when none */
	const char *org_domain;
	bool is_author;
	unsigned queries;
	dmarc_policy_t p, sp;       /* of the record, when found */
	const char *reason;         /* substring expected in reason, or NULL */
} lookup_case_t;

#define TW DISCOVERY_TREEWALK
#define PSL DISCOVERY_PSL
#define R DMARC_POLICY_REJECT
#define Q DMARC_POLICY_QUARANTINE
#define N DMARC_POLICY_NONE

static const lookup_case_t lookups[] = {
	/* author record; the walk still runs for the org domain */
	{ "example.com", TW, POLICY_FOUND, "example.com", "example.com", true,
	    2, R, Q, NULL },
	{ "EXAMPLE.COM.", TW, POLICY_FOUND, "example.com", "example.com", true,
	    2, R, Q, NULL },
	/* organizational domain record */
	{ "sub.example.com", TW, POLICY_FOUND, "example.com", "example.com",
	    false, 3, R, Q, NULL },
	{ "signing.example.com", TW, POLICY_FOUND, "signing.example.com",
	    "example.com", true, 3, N, N, NULL },
	/* 4.10.2: fewest labels wins over the intermediate record */
	{ "a.mail.inter.test", TW, POLICY_FOUND, "inter.test", "inter.test",
	    false, 4, R, R, NULL },
	/* psd=n stops the walk and names the org domain */
	{ "a.mail.psdn.test", TW, POLICY_FOUND, "mail.psdn.test",
	    "mail.psdn.test", false, 2, Q, Q, NULL },
	/* B.4.3: psd=y above an author domain with its own record */
	{ "giant.bank.example", TW, POLICY_FOUND, "giant.bank.example",
	    "giant.bank.example", true, 2, N, N, NULL },
	/* no record at the org domain: the PSD record applies */
	{ "x.mega.bank.example", TW, POLICY_FOUND, "bank.example",
	    "mega.bank.example", false, 3, R, Q, NULL },
	{ "bank.example", TW, POLICY_FOUND, "bank.example", "bank.example",
	    true, 1, R, Q, NULL },
	{ "a.mail.shop.tld", TW, POLICY_FOUND, "tld", "shop.tld", false, 4,
	    R, R, NULL },
	/* several DMARC records, structurally invalid, not DMARC, NODATA:
	 * discarded, the walk goes on */
	{ "dup.org.test", TW, POLICY_FOUND, "org.test", "org.test", false, 3,
	    R, R, "2 DMARC records" },
	{ "dupp.org.test", TW, POLICY_FOUND, "org.test", "org.test", false, 3,
	    R, R, "duplicate tag p" },
	{ "spf.org.test", TW, POLICY_FOUND, "org.test", "org.test", false, 3,
	    R, R, NULL },
	{ "nodata.org.test", TW, POLICY_FOUND, "org.test", "org.test", false,
	    3, R, R, NULL },
	/* invalid p, no rua: retrieved, but no DMARC processing */
	{ "badp.org.test", TW, POLICY_NONE, "badp.org.test", "org.test", true,
	    3, N, N, "no DMARC processing" },
	{ "badprua.org.test", TW, POLICY_FOUND, "badprua.org.test", "org.test",
	    true, 3, N, N, "treated as p=none" },
	/* nothing anywhere */
	{ "a.b.nothing.invalid", TW, POLICY_NONE, "", "a.b.nothing.invalid",
	    false, 4, N, N, "no DMARC record" },
	{ "x.broken.test", TW, POLICY_TEMPERROR, "", "x.broken.test", false, 2,
	    N, N, "_dmarc.broken.test: temporary failure (timeout)" },
	/* invalid author domains: no query at all */
	{ "", TW, POLICY_NONE, "", "", false, 0, N, N, "invalid author" },
	{ "a..example.com", TW, POLICY_NONE, "", "", false, 0, N, N, NULL },
	{ "exa mple.com", TW, POLICY_NONE, "", "", false, 0, N, N, NULL },
	{ "caf\xc3\xa9.example", TW, POLICY_NONE, "", "", false, 0, N, N,
	    "invalid author domain \"caf??.example\"" },
	/* RFC 7489 PSL method */
	{ "mail.example.co.uk", PSL, POLICY_FOUND, "mail.example.co.uk",
	    "example.co.uk", true, 1, N, N, NULL },
	{ "x.mail.example.co.uk", PSL, POLICY_FOUND, "example.co.uk",
	    "example.co.uk", false, 2, R, R, NULL },
	{ "a.mail.inter.test", PSL, POLICY_FOUND, "inter.test", "inter.test",
	    false, 2, R, R, NULL },
	{ "a.mail.psdn.test", PSL, POLICY_FOUND, "psdn.test", "psdn.test",
	    false, 2, R, R, NULL },
	{ "dup.org.test", PSL, POLICY_NONE, "", "org.test", false, 1, N, N,
	    "2 DMARC records" },
	{ "spf.org.test", PSL, POLICY_FOUND, "org.test", "org.test", false, 2,
	    R, R, NULL },
	{ "co.uk", PSL, POLICY_NONE, "", "co.uk", false, 1, N, N, NULL },
	{ "x.broken.test", PSL, POLICY_TEMPERROR, "", "broken.test", false, 2,
	    N, N, "temporary failure" },
};

static void run_lookups(const psl_ctx_t *psl, const dns_ops_t *dns,
    fake_dns_t *f)
{
	discovery_cfg_t cfg = { DISCOVERY_TREEWALK, psl };
	policy_lookup_t pl;
	const lookup_case_t *c;
	size_t i;

	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		c = &lookups[i];
		if (c->method == PSL && psl == NULL)
			continue;
		cfg.method = c->method;
		f->nq = 0;
		dmarc_policy_lookup(c->author, &cfg, dns, &pl);
		diag("%s %s: %s", discovery_method_name(c->method), c->author,
		    pl.reason);
		is_int(pl.status, c->status, "%s %s: status",
		    discovery_method_name(c->method), c->author);
		is_str(pl.policy_domain, c->policy_domain, "%s: policy domain",
		    c->author);
		is_str(pl.org_domain, c->org_domain, "%s: org domain", c->author);
		is_int(pl.policy_is_author, c->is_author, "%s: is author",
		    c->author);
		is_int(pl.queries, c->queries, "%s: queries", c->author);
		is_int(f->nq, c->queries, "%s: queries seen by resolver",
		    c->author);
		is_int(pl.method, c->method, "%s: method", c->author);
		if (c->status == POLICY_FOUND)
			ok(pl.rec.p == c->p && pl.rec.sp == c->sp,
			    "%s: p=%s sp=%s", c->author,
			    dmarc_policy_name(pl.rec.p),
			    dmarc_policy_name(pl.rec.sp));
		if (c->reason)
			ok(strstr(pl.reason, c->reason) != NULL,
			    "%s: reason has \"%s\"", c->author, c->reason);
	}
}

/* RFC 9989 4.10: the walk of a 13-label name is exactly these 8 names. */
static void test_deep(const dns_ops_t *dns, fake_dns_t *f)
{
	static const char *const want[] = {
		"_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com",
		"_dmarc.g.h.i.j.mail.example.com", "_dmarc.h.i.j.mail.example.com",
		"_dmarc.i.j.mail.example.com", "_dmarc.j.mail.example.com",
		"_dmarc.mail.example.com", "_dmarc.example.com", "_dmarc.com",
	};
	discovery_cfg_t cfg = { DISCOVERY_TREEWALK, NULL };
	policy_lookup_t pl;
	char name[260], org[FROM_DOMAIN_MAX];
	unsigned i, q;

	f->nq = 0;
	dmarc_policy_lookup("a.b.c.d.e.f.g.h.i.j.mail.example.com", &cfg, dns,
	    &pl);
	is_int(pl.status, POLICY_FOUND, "deep: found");
	is_str(pl.policy_domain, "example.com", "deep: policy domain");
	is_str(pl.org_domain, "example.com", "deep: org domain");
	is_int(pl.queries, 8, "deep: 8 queries");
	is_int(f->nq, 8, "deep: resolver saw 8");
	for (i = 0; i < 8; i++)
		is_str(f->log[i], want[i], "deep: query %u", i + 1);

	/* 10 labels, nothing published: at most 8 queries */
	f->nq = 0;
	dmarc_policy_lookup("l1.l2.l3.l4.l5.l6.l7.l8.nothing.invalid", &cfg,
	    dns, &pl);
	is_int(pl.status, POLICY_NONE, "10 labels: none");
	is_int(pl.queries, 8, "10 labels: 8 queries");
	is_str(f->log[1], "_dmarc.l4.l5.l6.l7.l8.nothing.invalid",
	    "10 labels: jumps to 7 labels");
	is_str(f->log[7], "_dmarc.invalid", "10 labels: ends at the TLD");

	/* 8 and 9 labels */
	f->nq = 0;
	dmarc_org_domain("a.b.c.d.e.f.nothing.invalid", &cfg, dns, org,
	    sizeof(org), &q);
	is_int(q, 8, "8 labels: 8 queries");
	is_str(f->log[1], "_dmarc.b.c.d.e.f.nothing.invalid", "8 labels: 7");
	f->nq = 0;
	dmarc_org_domain("z.a.b.c.d.e.f.nothing.invalid", &cfg, dns, org,
	    sizeof(org), &q);
	is_int(q, 8, "9 labels: 8 queries");
	is_str(org, "z.a.b.c.d.e.f.nothing.invalid", "no record: itself");

	/* 100 labels (199 bytes): still 8 */
	name[0] = '\0';
	for (i = 0; i < 99; i++)
		str_copy(name + strlen(name), sizeof(name) - strlen(name), "x.");
	str_copy(name + strlen(name), sizeof(name) - strlen(name), "com");
	f->nq = 0;
	dmarc_policy_lookup(name, &cfg, dns, &pl);
	is_int(pl.queries, 8, "100 labels: 8 queries");
	is_int(pl.status, POLICY_NONE, "100 labels: none (no _dmarc.com)");
}

/* A temporary failure at every step of the walk is a temperror. */
static void test_tempfail(const dns_ops_t *dns, fake_dns_t *f)
{
	static const char *const steps[] = {
		"_dmarc.x.y.example.com", "_dmarc.y.example.com",
		"_dmarc.example.com", "_dmarc.com",
	};
	discovery_cfg_t cfg = { DISCOVERY_TREEWALK, NULL };
	policy_lookup_t pl;
	char org[FROM_DOMAIN_MAX];
	unsigned i, q;

	for (i = 0; i < 4; i++) {
		f->tempfail = steps[i];
		f->nq = 0;
		dmarc_policy_lookup("x.y.example.com", &cfg, dns, &pl);
		is_int(pl.status, POLICY_TEMPERROR, "tempfail at step %u", i + 1);
		is_int(pl.queries, i + 1, "tempfail at step %u: stops there",
		    i + 1);
		ok(strstr(pl.reason, steps[i]) && strstr(pl.reason, "SERVFAIL"),
		    "tempfail at step %u: reason \"%s\"", i + 1, pl.reason);
		is_int(dmarc_org_domain("x.y.example.com", &cfg, dns, org,
		    sizeof(org), &q), DNSOPS_TEMPFAIL, "org domain: tempfail "
		    "at step %u", i + 1);
		is_int(q, i + 1, "org domain: tempfail at step %u queries",
		    i + 1);
	}
	f->tempfail = NULL;
}

typedef struct org_case {
	const char *domain;
	discovery_method_t method;
	const char *org;
	unsigned queries;
} org_case_t;

static const org_case_t orgs[] = {
	{ "example.com", TW, "example.com", 2 },
	{ "signing.example.com", TW, "example.com", 3 },
	{ "mail.giant.bank.example", TW, "giant.bank.example", 3 },
	{ "mail.mega.bank.example", TW, "mega.bank.example", 3 },
	{ "a.mail.inter.test", TW, "inter.test", 4 },
	{ "a.mail.psdn.test", TW, "mail.psdn.test", 2 },
	{ "mail.psdn.test", TW, "mail.psdn.test", 1 },
	{ "bank.example", TW, "bank.example", 1 },
	{ "x.mail.example.co.uk", TW, "example.co.uk", 5 },
	{ "mail.example.org.uk", TW, "example.org.uk", 4 },
	{ "co.uk", TW, "co.uk", 2 },
	{ "other.co.uk", TW, "other.co.uk", 3 },
	{ "Mail.Example.CO.UK.", TW, "example.co.uk", 4 },
	{ "x.mail.example.co.uk", PSL, "example.co.uk", 0 },
	{ "mail.example.org.uk", PSL, "example.org.uk", 0 },
	{ "co.uk", PSL, "co.uk", 0 },
	{ "uk", PSL, "uk", 0 },
	{ "a.b.example.com", PSL, "example.com", 0 },
	{ "www.city.kawasaki.jp", PSL, "city.kawasaki.jp", 0 },
	{ "a.b.foo.kawasaki.jp", PSL, "b.foo.kawasaki.jp", 0 },
	{ "x.y.example.blogspot.com", PSL, "example.blogspot.com", 0 },
	{ "a.b.c.unlisted-tld-zz", PSL, "c.unlisted-tld-zz", 0 },
};

static void run_orgs(const psl_ctx_t *psl, const dns_ops_t *dns,
    fake_dns_t *f)
{
	discovery_cfg_t cfg = { DISCOVERY_TREEWALK, psl };
	char org[FROM_DOMAIN_MAX];
	unsigned q;
	size_t i;

	for (i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++) {
		if (orgs[i].method == PSL && psl == NULL)
			continue;
		cfg.method = orgs[i].method;
		f->nq = 0;
		is_int(dmarc_org_domain(orgs[i].domain, &cfg, dns, org,
		    sizeof(org), &q), DNSOPS_OK, "org %s %s: ok",
		    discovery_method_name(cfg.method), orgs[i].domain);
		is_str(org, orgs[i].org, "org %s %s",
		    discovery_method_name(cfg.method), orgs[i].domain);
		is_int(q, orgs[i].queries, "org %s: queries", orgs[i].domain);
		is_int(f->nq, orgs[i].queries, "org %s: resolver saw",
		    orgs[i].domain);
	}
	cfg.method = DISCOVERY_TREEWALK;
	is_int(dmarc_org_domain("bad..name", &cfg, dns, org, sizeof(org),
	    NULL), DNSOPS_OK, "org of an invalid name: ok, no query");
	is_str(org, "bad..name", "org of an invalid name: itself");
}

static void test_long_name(const dns_ops_t *dns, fake_dns_t *f)
{
	discovery_cfg_t cfg = { DISCOVERY_TREEWALK, NULL };
	policy_lookup_t pl;
	char name[256];
	size_t i;

	/* 250 bytes: _dmarc.<name> would pass 253, so not queried */
	for (i = 0; i < 250; i++)
		name[i] = (i % 50 == 49) ? '.' : 'a';
	str_copy(name + 245, sizeof(name) - 245, "x.com");
	f->nq = 0;
	dmarc_policy_lookup(name, &cfg, dns, &pl);
	is_int(pl.status, POLICY_NONE, "250-byte name: none");
	is_int(f->nq, pl.queries, "250-byte name: queries counted");
	ok(pl.queries < 8 && strstr(pl.reason, "name too long"),
	    "250-byte name: first name skipped (%u queries)", pl.queries);
}

int main(void)
{
	fake_dns_t f;
	dns_ops_t dns = { fake_txt, fake_exists, &f };
	psl_ctx_t *psl;

	memset(&f, 0, sizeof(f));
	psl = psl_load_file(PSL_FILE);
	ok(psl != NULL, "loaded %s", PSL_FILE);
	run_lookups(psl, &dns, &f);
	test_deep(&dns, &f);
	test_tempfail(&dns, &f);
	run_orgs(psl, &dns, &f);
	test_long_name(&dns, &f);
	is_str(discovery_method_name(DISCOVERY_PSL), "psl", "method name psl");
	is_str(discovery_method_name(DISCOVERY_TREEWALK), "treewalk",
	    "method name treewalk");
	psl_free(psl);
	return tap_done();
}
