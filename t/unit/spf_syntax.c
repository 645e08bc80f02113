/* Unit tests for policy/spf_syntax: a table of records, well-formed and
 * not, and the libspf2 rewrite. */
#include <arpa/inet.h>
#include <string.h>

#include "../../policy/spf_syntax.h"
#include "../../util/strbuf.h"
#include "../tap.h"

static const struct {
	const char *rec;
	int want;            /* 0 valid, -1 permerror */
} cases[] = {
	{ "v=spf1", 0 },
	{ "v=spf1 -all", 0 },
	{ "V=SpF1 ~ALL", 0 },
	{ "v=spf1  a  -all ", 0 },
	{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all", 0 },
	{ "v=spf1 ip4:1.1.1.1/0 ip6:::1.1.1.1/0", 0 },
	{ "v=spf1 a/24//64 mx:example.com/0//0 ptr ptr:example.org", 0 },
	{ "v=spf1 a:foo:bar/baz.example.com", 0 },
	{ "v=spf1 include:_spf.example.com exists:%{i}.%{l2r-}.x.%{d2}", 0 },
	{ "v=spf1 a:macro%%percent%_%_space%-url-space.example.com", 0 },
	{ "v=spf1 redirect=%{d}.d.spf.example.com.", 0 },
	{ "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all", 0 },
	{ "v=spf1 a:foo.example.xn--zckzah -all", 0 },
	{ "v=spf1 default=pass", 0 },
	{ "v=spf1 exp=msg.%{D2} -all", 0 },
	{ "v=spf1 a:%{H} -all", 0 },
	{ "v=spf1 -all.", -1 },
	{ "v=spf1 -all:foobar", -1 },
	{ "v=spf1 -all/8", -1 },
	{ "v=spf1 ptr/0 -all", -1 },
	{ "v=spf1 ptr:", -1 },
	{ "v=spf1 a/33", -1 },
	{ "v=spf1 a//129", -1 },
	{ "v=spf1 a/24/64", -1 },
	{ "v=spf1 ip4:1.2.3.4/032", -1 },
	{ "v=spf1 ip4:1.2.3.4//32", -1 },
	{ "v=spf1 ip4:1.2.3.4:8080", -1 },
	{ "v=spf1 ip4:1.2.3", -1 },
	{ "v=spf1 ip4", -1 },
	{ "v=spf1 ip6::CAFE::BABE", -1 },
	{ "v=spf1 ip6:::1/129", -1 },
	{ "v=spf1 a:foo-bar", -1 },
	{ "v=spf1 a:111.222.33.44", -1 },
	{ "v=spf1 a:abc.123", -1 },
	{ "v=spf1 a:museum.", -1 },
	{ "v=spf1 a:example.-com", -1 },
	{ "v=spf1 a:", -1 },
	{ "v=spf1 include:", -1 },
	{ "v=spf1 include:ip5.example.com/24", -1 },
	{ "v=spf1 exists", -1 },
	{ "v=spf1 exists:foo%.sbl.example.com", -1 },
	{ "v=spf1 -exists:%(ir).sbl.example.com", -1 },
	{ "v=spf1 exists:%{x}.example.com", -1 },
	{ "v=spf1 exists:%{r}.example.com", -1 },
	{ "v=spf1 exists:%{i", -1 },
	{ "v=spf1 redirect:t2.example.com", -1 },
	{ "v=spf1 redirect=a.example.com redirect=a.example.com", -1 },
	{ "v=spf1 exp=a.example.com exp=b.example.com -all", -1 },
	{ "v=spf1 exp= -all", -1 },
	{ "v=spf1 -redirect=a.example.com", -1 },
	{ "v=spf1 1up=foo", -1 },
	{ "v=spf1 =all", -1 },
	{ "v=spf1 foo=%abc", -1 },
	{ "v=spf1 moo.cow/far_out=man:dog/cat", -1 },
	{ "v=spf1 a:ctrl.example.com\rptr -all", -1 },
	{ "v=spf1 ip4:192.0.2.5\n include:x.example.com", -1 },
	{ "v=spf1 \x80" "a:example.net -all", -1 },
	{ "v=spf1 a:example.net \x96" "all", -1 },
	{ "v=spf1 foo -all", -1 },
	{ "v=spf10", -1 },
	{ "spf1 -all", -1 },
};

static void check_table(void)
{
	char why[SPF_SYNTAX_WHY_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = spf_syntax_check(cases[i].rec, strlen(cases[i].rec),
		    why, sizeof(why));
		char shown[80];

		str_printable(shown, sizeof(shown), cases[i].rec,
		    strlen(cases[i].rec));
		is_int(got, cases[i].want, "%s %s", shown,
		    cases[i].want ? "refused" : "accepted");
		if (got < 0)
			ok(why[0] != '\0', "reason given: %s", why);
	}
}

static void check_hostile(void)
{
	static const char nul[] = "v=spf1 a:foo.example.com\0 -all";
	char big[SPF_SYNTAX_MAX_LEN + 10], why[SPF_SYNTAX_WHY_MAX];

	is_int(spf_syntax_check(nul, sizeof(nul) - 1, why, sizeof(why)), -1,
	    "NUL inside the record refused");
	memset(big, 'a', sizeof(big));
	memcpy(big, "v=spf1 a:", 9);
	is_int(spf_syntax_check(big, sizeof(big), why, sizeof(why)), -1,
	    "record over the limit refused");
	ok(!spf_syntax_is_spf1("v=spf1x", 7), "v=spf1x is not SPF");
	ok(spf_syntax_is_spf1("v=spf1", 6), "bare v=spf1 is SPF");
	ok(!spf_syntax_is_spf1("v=spf", 5), "short prefix is not SPF");
}

static void rewrite_is(const char *in, int af, const char *want)
{
	spf_features_t f;
	strbuf_t sb;

	strbuf_init(&sb, 4096);
	is_int(spf_syntax_rewrite(in, strlen(in), af, &sb, &f), 0,
	    "rewrite %s", in);
	is_str(strbuf_str(&sb), want, "rewritten for %s",
	    af == AF_INET6 ? "IPv6" : "IPv4");
	strbuf_free(&sb);
}

static void check_rewrite(void)
{
	spf_features_t f;
	strbuf_t sb;

	rewrite_is("v=spf1 -ip4:1.1.1.1/0 ip6:::1/0", AF_INET,
	    "v=spf1 -ip4:0.0.0.0/1 -ip4:128.0.0.0/1 ip6:::/1 ip6:8000::/1");
	rewrite_is("v=spf1 a/0 -all", AF_INET,
	    "v=spf1 a:" SPF_SYNTAX_CIDR0_LABEL ".%{d} -all");
	rewrite_is("v=spf1 a/0 -all", AF_INET6, "v=spf1 a -all");
	rewrite_is("v=spf1 mx:example.com/24//0", AF_INET6,
	    "v=spf1 mx:" SPF_SYNTAX_CIDR0_LABEL ".example.com");
	rewrite_is("v=spf1 mx:example.com/24//0", AF_INET,
	    "v=spf1 mx:example.com/24");
	rewrite_is("v=spf1 redirect=b.example a foo=bar", AF_INET,
	    "v=spf1 a redirect=b.example");
	rewrite_is("v=spf1 redirect=b.example ~all", AF_INET, "v=spf1 ~all");
	strbuf_init(&sb, 4096);
	spf_syntax_rewrite("v=spf1 ptr exists:%{p}.x.example", 33, AF_INET,
	    &sb, &f);
	ok(f.has_ptr && f.has_p_macro && !f.has_all, "features reported");
	strbuf_free(&sb);
	strbuf_init(&sb, 10);
	is_int(spf_syntax_rewrite("v=spf1 a mx ptr -all", 20, AF_INET, &sb,
	    &f), -1, "rewrite overflow reported");
	strbuf_free(&sb);
}

int main(void)
{
	check_table();
	check_hostile();
	check_rewrite();
	return tap_done();
}
