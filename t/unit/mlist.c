/* Unit tests for policy/mlist: List-Id/List-Post parsing and the
 * authenticated-list rule, including the forged List-Id abuse cases. */
#include <string.h>

#include "../../policy/mlist.h"
#include "../../util/strbuf.h"
#include "../tap.h"

static const struct { const char *name, *txt; } zone[] = {
	{ "_dmarc.example.org", "v=DMARC1; p=none" },
	{ "_dmarc.evil.example", "v=DMARC1; p=none" },
	{ "_dmarc.temp.example", "TEMP" },
	{ "_dmarc.author.example", "v=DMARC1; p=reject" },
};

static dnsops_status_t fake_txt(void *ctx, const char *name,
    txt_answer_t *out)
{
	size_t i;

	(void)ctx;
	txt_answer_init(out);
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (!str_ieq(zone[i].name, name))
			continue;
		if (strcmp(zone[i].txt, "TEMP") == 0)
			return DNSOPS_TEMPFAIL;
		txt_answer_add(out, zone[i].txt, strlen(zone[i].txt));
		return DNSOPS_OK;
	}
	return DNSOPS_NXDOMAIN;
}

static const dns_ops_t dns = { fake_txt, NULL, NULL };
static const discovery_cfg_t disc = { DISCOVERY_TREEWALK, NULL };

static const struct { const char *in, *want; } ids[] = {
	{ " Developers <dev.lists.example.org>", "dev.lists.example.org" },
	{ "<DEV.Example.ORG>", "dev.example.org" },
	{ "\"a <fake.example> phrase\" <real.example.org>", "real.example.org" },
	{ "(comment <fake.example>) <real.example.org> (trailing)",
	  "real.example.org" },
	{ " <list+tag=x.example.org>", "list+tag=x.example.org" },
	{ "<localhost>", NULL },                  /* needs a dot */
	{ "<dev..example.org>", NULL },
	{ "<.dev.example.org>", NULL },
	{ "<dev.example.org> trailing", NULL },
	{ "<dev.example.org", NULL },
	{ "dev.example.org", NULL },
	{ "<dev example.org>", NULL },
	{ "<dev.exa\xc3\xa9mple.org>", NULL },
	{ "\"unterminated <x.example>", NULL },
	{ "", NULL },
};

static const struct { const char *in, *want; } posts[] = {
	{ " <mailto:dev@lists.example.org>", "lists.example.org" },
	{ "<https://example.org/post>, <MAILTO:dev@Lists.Example.ORG?subject=x>",
	  "lists.example.org" },
	{ "NO (posting not allowed)", NULL },
	{ "<mailto:nobody>", NULL },
	{ "<mailto:dev@lists.example.org", NULL },
	{ "<mailto:dev@bad..domain>", NULL },
};

static void test_parse(void)
{
	char out[MLIST_ID_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		rc = mlist_parse_list_id(ids[i].in, strlen(ids[i].in), out,
		    sizeof(out));
		if (ids[i].want) {
			is_int(rc, 0, "List-Id %zu parses", i);
			is_str(out, ids[i].want, "List-Id %zu value", i);
		} else {
			is_int(rc, -1, "List-Id %zu refused", i);
			is_str(out, "", "List-Id %zu gives nothing", i);
		}
	}
	for (i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
		rc = mlist_parse_list_post(posts[i].in, strlen(posts[i].in),
		    out, sizeof(out));
		if (posts[i].want) {
			is_int(rc, 0, "List-Post %zu parses", i);
			is_str(out, posts[i].want, "List-Post %zu domain", i);
		} else {
			is_int(rc, -1, "List-Post %zu refused", i);
		}
	}
	is_int(mlist_parse_list_id("<a.example.org>", 8, out, sizeof(out)), -1,
	    "only len bytes read");
	is_int(mlist_parse_list_id("<abcdefgh.example.org>", 22, out, 10), -1,
	    "over-long list-id refused");
}

/* One message: list headers and authentication results. */
typedef struct scenario {
	const char *name;
	const char *list_id, *list_id2, *list_post;
	auth_result_t spf;
	spf_scope_t scope;
	const char *spf_domain;
	auth_result_t dkim;
	const char *dkim_domain;
	bool want;
	const char *what;
	/* a signature of d=orig failing only in the body hash (orig_bh), or
	 * failing in the header fields; the author's adkim=s (strict) */
	const char *orig;
	bool orig_bh, strict;
} scenario_t;

#define ORIG "author.example", true, false
#define NOORIG NULL, false, false

static const scenario_t scenarios[] = {
	{ "list: SPF pass for the bounce domain", "<dev.lists.example.org>",
	  NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM, "lists.example.org",
	  AUTH_NONE, NULL, true, "dev.lists.example.org via spf "
	  "lists.example.org", ORIG },
	{ "list: DKIM by the list's org domain", "<dev.lists.example.org>",
	  NULL, NULL, AUTH_FAIL, SPF_SCOPE_MFROM, "elsewhere.example",
	  AUTH_PASS, "example.org", true, "dev.lists.example.org via dkim "
	  "example.org", ORIG },
	{ "list: id in a sibling of the bounce domain", "<dev.example.org>",
	  NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM, "lists.example.org",
	  AUTH_NONE, NULL, true, "dev.example.org via spf lists.example.org",
	  ORIG },
	{ "list: List-Post only", NULL, NULL, "<mailto:dev@lists.example.org>",
	  AUTH_PASS, SPF_SCOPE_MFROM, "bounces.example.org", AUTH_NONE, NULL,
	  true, "lists.example.org via spf bounces.example.org", ORIG },
	{ "list that dropped or broke the author's signature",
	  "<dev.lists.example.org>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "lists.example.org", AUTH_NONE, NULL, false, "", NOORIG },
	{ "abuse: forged List-Id, SPF fail, no DKIM", "<dev.lists.example.org>",
	  NULL, NULL, AUTH_FAIL, SPF_SCOPE_MFROM, "lists.example.org",
	  AUTH_NONE, NULL, false, "", NOORIG },
	{ "abuse: forged List-Id, softfail, DKIM fail",
	  "<dev.lists.example.org>", NULL, NULL, AUTH_SOFTFAIL,
	  SPF_SCOPE_MFROM, "lists.example.org", AUTH_FAIL, "example.org",
	  false, "", NOORIG },
	{ "abuse: List-Id of another domain than the one authenticated",
	  "<dev.lists.example.org>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "evil.example", AUTH_PASS, "evil.example", false, "", NOORIG },
	{ "abuse: SPF pass only for HELO", "<dev.lists.example.org>", NULL,
	  NULL, AUTH_PASS, SPF_SCOPE_HELO, "lists.example.org", AUTH_NONE,
	  NULL, false, "", NOORIG },
	{ "abuse: two List-Id fields", "<dev.evil.example>",
	  "<dev.lists.example.org>", NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "evil.example", AUTH_NONE, NULL, false, "", NOORIG },
	{ "abuse: List-Id under a TLD", "<dev.example>", NULL, NULL, AUTH_PASS,
	  SPF_SCOPE_MFROM, "example", AUTH_NONE, NULL, false, "", NOORIG },
	{ "no list headers", NULL, NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "lists.example.org", AUTH_PASS, "example.org", false, "", NOORIG },
	{ "DNS failure finding the org domain", "<dev.temp.example>", NULL,
	  NULL, AUTH_PASS, SPF_SCOPE_MFROM, "lists.temp.example", AUTH_NONE,
	  NULL, false, "", NOORIG },
	{ "abuse: the sender's own domain (SPF pass, List-Id under it)",
	  "<x.evil.example>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "evil.example", AUTH_NONE, NULL, false, "", NOORIG },
	{ "abuse: own domain, author-looking signature failing in headers",
	  "<x.evil.example>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "evil.example", AUTH_NONE, NULL, false, "", "author.example",
	  false, false },
	{ "abuse: own domain, body-only failure of an unaligned signature",
	  "<x.evil.example>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "evil.example", AUTH_NONE, NULL, false, "", "other.example", true,
	  false },
	{ "abuse: own domain, subdomain signature under adkim=s",
	  "<x.evil.example>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "evil.example", AUTH_NONE, NULL, false, "", "mail.author.example",
	  true, true },
	{ "list: author signature of a subdomain (relaxed)",
	  "<dev.lists.example.org>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "lists.example.org", AUTH_NONE, NULL, true, "dev.lists.example.org "
	  "via spf lists.example.org", "mail.author.example", true, false },
	{ "residual: own domain replaying a signed message, body changed",
	  "<x.evil.example>", NULL, NULL, AUTH_PASS, SPF_SCOPE_MFROM,
	  "evil.example", AUTH_NONE, NULL, true,
	  "x.evil.example via spf evil.example", ORIG },
};

static void test_rule(void)
{
	char what[MLIST_WHAT_MAX];
	size_t i;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const scenario_t *s = &scenarios[i];
		mlist_headers_t h;
		eval_input_t in;
		verdict_t v;

		memset(&h, 0, sizeof(h));
		mlist_header(&h, "Subject", "<x.example.org>");
		if (s->list_id)
			mlist_header(&h, "List-ID", s->list_id);
		if (s->list_id2)
			mlist_header(&h, "list-id", s->list_id2);
		if (s->list_post)
			mlist_header(&h, "List-Post", s->list_post);
		memset(&in, 0, sizeof(in));
		memset(&v, 0, sizeof(v));
		str_copy(v.from_domain, sizeof(v.from_domain),
		    "author.example");
		str_copy(v.policy.org_domain, sizeof(v.policy.org_domain),
		    "author.example");
		v.policy.status = POLICY_FOUND;
		v.policy.rec.adkim = s->strict ? DMARC_ALIGN_STRICT :
		    DMARC_ALIGN_RELAXED;
		in.spf.result = s->spf;
		in.spf.scope = s->scope;
		str_copy(in.spf.domain, sizeof(in.spf.domain), s->spf_domain);
		if (s->dkim_domain) {
			in.ndkim = 1;
			in.dkim[0].result = s->dkim;
			str_copy(in.dkim[0].domain, FROM_DOMAIN_MAX,
			    s->dkim_domain);
		}
		if (s->orig) {
			in.dkim[in.ndkim].result = AUTH_FAIL;
			in.dkim[in.ndkim].body_hash_only = s->orig_bh;
			str_copy(in.dkim[in.ndkim++].domain, FROM_DOMAIN_MAX,
			    s->orig);
		}
		is_int(mlist_authenticated(&h, &in, &v, &disc, &dns, what,
		    sizeof(what)), s->want, "%s", s->name);
		is_str(what, s->what, "%s: what", s->name);
		is_int(mlist_present(&h), s->list_id || s->list_post,
		    "%s: present", s->name);
	}
}

int main(void)
{
	test_parse();
	test_rule();
	return tap_done();
}
