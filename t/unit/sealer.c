/* Unit tests for policy/sealer: when a trusted ARC sealer's
 * ARC-Authentication-Results vouch for the author domain. */
#include <string.h>

#include "../../policy/sealer.h"
#include "../../util/strbuf.h"
#include "../tap.h"

static const struct { const char *name, *txt; } zone[] = {
	{ "_dmarc.example.com", "v=DMARC1; p=reject" },
	{ "_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s; adkim=s" },
};

static dnsops_status_t fake_txt(void *ctx, const char *name,
    txt_answer_t *out)
{
	size_t i;

	(void)ctx;
	txt_answer_init(out);
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (str_ieq(zone[i].name, name)) {
			txt_answer_add(out, zone[i].txt, strlen(zone[i].txt));
			return DNSOPS_OK;
		}
	}
	return DNSOPS_NXDOMAIN;
}

static const dns_ops_t dns = { fake_txt, NULL, NULL };
static const discovery_cfg_t disc = { DISCOVERY_TREEWALK, NULL };
static char *trusted[] = { "lists.example.org", "forwarder.example", NULL };

#define AAR_DMARC "lists.example.org; dkim=fail header.d=example.com; " \
	"spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com"

#define NOFROM 2        /* AMS verifies but does not sign From */

static const struct {
	const char *name;
	bool chain_pass;
	const char *from;
	const char *sealer1, *aar1;
	int ams1;                       /* 0, 1, or NOFROM */
	const char *sealer2, *aar2;     /* NULL: one set */
	bool ams2;
	bool want;
	const char *what;
} cases[] = {
	{ "trusted sealer, dmarc=pass", true, "example.com",
	  "lists.example.org", AAR_DMARC, true, NULL, NULL, false, true,
	  "lists.example.org i=1: dmarc=pass" },
	{ "broken chain never vouches", false, "example.com",
	  "lists.example.org", AAR_DMARC, true, NULL, NULL, false, false, "" },
	{ "untrusted sealer", true, "example.com", "evil.example", AAR_DMARC,
	  true, NULL, NULL, false, false, "" },
	{ "subdomain of a trusted sealer", true, "example.com",
	  "arc.forwarder.example", "x; dmarc=pass header.from=example.com",
	  true, NULL, NULL, false, true,
	  "arc.forwarder.example i=1: dmarc=pass" },
	{ "dmarc=pass for another From domain", true, "example.com",
	  "lists.example.org", "x; dmarc=pass header.from=other.example", true,
	  NULL, NULL, false, false, "" },
	{ "sealer saw dmarc=fail", true, "example.com", "lists.example.org",
	  "x; spf=pass smtp.mailfrom=example.com; dmarc=fail "
	  "header.from=example.com", true, NULL, NULL, false, false, "" },
	{ "aligned SPF pass (relaxed)", true, "example.com",
	  "lists.example.org", "x; spf=pass smtp.mailfrom=bounce@"
	  "mail.example.com", true, NULL, NULL, false, true,
	  "lists.example.org i=1: spf=pass aligned" },
	{ "aligned DKIM pass", true, "example.com", "lists.example.org",
	  "x; dkim=pass header.d=example.com header.s=s", true, NULL, NULL,
	  false, true, "lists.example.org i=1: dkim=pass aligned" },
	{ "DKIM pass by header.i", true, "example.com", "lists.example.org",
	  "x; dkim=pass header.i=@example.com", true, NULL, NULL, false, true,
	  "lists.example.org i=1: dkim=pass aligned" },
	{ "unaligned DKIM pass", true, "example.com", "lists.example.org",
	  "x; dkim=pass header.d=example.net", true, NULL, NULL, false, false,
	  "" },
	{ "strict alignment refuses a subdomain", true, "strict.example",
	  "lists.example.org", "x; spf=pass smtp.mailfrom=a.strict.example",
	  true, NULL, NULL, false, false, "" },
	{ "SPF fail recorded", true, "example.com", "lists.example.org",
	  "x; spf=fail smtp.mailfrom=example.com", true, NULL, NULL, false,
	  false, "" },
	{ "malformed AAR", true, "example.com", "lists.example.org",
	  "x; dmarc=pass header.from=", true, NULL, NULL, false, false, "" },
	{ "trusted set whose AMS no longer verifies", true, "example.com",
	  "lists.example.org", AAR_DMARC, false, "relay.example",
	  "relay.example; arc=pass", true, false, "" },
	{ "trusted sealer first, untrusted hop after it", true,
	  "example.com", "lists.example.org", AAR_DMARC, true,
	  "relay.example", "relay.example; dmarc=fail "
	  "header.from=example.com", true, true,
	  "lists.example.org i=1: dmarc=pass" },
	{ "trusted AMS does not sign From", true, "example.com",
	  "lists.example.org", AAR_DMARC, NOFROM, NULL, NULL, false, false,
	  "" },
	{ "newest trusted set wins", true, "example.com", "lists.example.org",
	  AAR_DMARC, true, "forwarder.example",
	  "f; dkim=pass header.d=example.com", true, true,
	  "forwarder.example i=2: dkim=pass aligned" },
	{ "untrusted newest claims pass, trusted older saw fail", true,
	  "example.com", "lists.example.org", "x; dmarc=fail "
	  "header.from=example.com", true, "evil.example", "e; dmarc=pass "
	  "header.from=example.com", true, false, "" },
};

static void test_cases(void)
{
	char what[SEALER_WHAT_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sealer_set_t sets[2] = {
			{ 1, cases[i].sealer1, cases[i].aar1, cases[i].ams1,
			  cases[i].ams1 != NOFROM },
			{ 2, cases[i].sealer2, cases[i].aar2, cases[i].ams2,
			  true },
		};
		sealer_input_t in;
		verdict_t v;

		memset(&v, 0, sizeof(v));
		str_copy(v.from_domain, sizeof(v.from_domain), cases[i].from);
		str_copy(v.policy.org_domain, sizeof(v.policy.org_domain),
		    cases[i].from);
		v.policy.rec.aspf = v.policy.rec.adkim =
		    strcmp(cases[i].from, "strict.example") == 0 ?
		    DMARC_ALIGN_STRICT : DMARC_ALIGN_RELAXED;
		in.chain_pass = cases[i].chain_pass;
		in.sets = sets;
		in.nsets = cases[i].sealer2 ? 2 : 1;
		in.trusted = trusted;
		in.verdict = &v;
		is_int(sealer_vouches(&in, &disc, &dns, what, sizeof(what)),
		    cases[i].want, "%s", cases[i].name);
		is_str(what, cases[i].what, "%s: what", cases[i].name);
	}
}

static void test_trusted(void)
{
	char *none[] = { NULL };

	ok(sealer_trusted(trusted, "lists.example.org"), "exact match");
	ok(sealer_trusted(trusted, "a.lists.example.org"), "subdomain");
	ok(!sealer_trusted(trusted, "xlists.example.org"),
	    "label boundary respected");
	ok(!sealer_trusted(trusted, "example.org"), "parent not trusted");
	ok(!sealer_trusted(none, "lists.example.org"), "empty list");
	ok(!sealer_trusted(NULL, "lists.example.org"), "no list");
	ok(!sealer_trusted(trusted, ""), "empty sealer");
}

int main(void)
{
	test_cases();
	test_trusted();
	return tap_done();
}
