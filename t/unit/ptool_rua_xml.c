/*
 * ptool_rua_xml - unit tests of policy/tool/rua_xml.c: both aggregate
 * formats, every field, iteration, limits, and the structural checks.
 */
#include <stdlib.h>
#include <string.h>

#include "../../util/strbuf.h"
#include "../../policy/tool/rua_xml.h"
#include "../tap.h"

/* The RFC 9990 sample (shared/specs/dmarc-aggregate-2.0-sample.xml),
 * with a second record and an override reason added. */
static const char rfc9990[] =
	"<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
	"<version>1.0</version>\n"
	"<report_metadata><org_name>Sample Reporter</org_name>"
	"<email>report_sender@example-reporter.com</email>"
	"<extra_contact_info>...</extra_contact_info>"
	"<report_id>3v98abbp8ya9n3va8yr8oa3ya</report_id>"
	"<date_range><begin>302832000</begin><end>302918399</end></date_range>"
	"<generator>Example DMARC Aggregate Reporter v1.2</generator>"
	"</report_metadata>\n"
	"<policy_published><domain>Example.COM.</domain><p>quarantine</p>"
	"<sp>none</sp><np>none</np><testing>n</testing>"
	"<discovery_method>treewalk</discovery_method></policy_published>\n"
	"<record><row><source_ip>192.0.2.123</source_ip><count>123</count>"
	"<policy_evaluated><disposition>pass</disposition><dkim>pass</dkim>"
	"<spf>fail</spf></policy_evaluated></row><identifiers>"
	"<envelope_from>example.com</envelope_from>"
	"<header_from>example.com</header_from></identifiers><auth_results>"
	"<dkim><domain>example.com</domain><result>pass</result>"
	"<selector>abc123</selector></dkim><spf><domain>example.com</domain>"
	"<result>fail</result></spf></auth_results></record>\n"
	"<record><row><source_ip>2001:db8::1</source_ip><count>7</count>"
	"<policy_evaluated><disposition>none</disposition><dkim>fail</dkim>"
	"<spf>fail</spf><reason><type>policy_test_mode</type><comment>t=y"
	"</comment></reason></policy_evaluated></row><identifiers>"
	"<header_from>sub.example.com</header_from></identifiers>"
	"<auth_results><spf><domain>x.example</domain><scope>mfrom</scope>"
	"<result>softfail</result></spf></auth_results></record>\n"
	"</feedback>\n";

static const char rfc7489_head[] =
	"<?xml version=\"1.0\"?><feedback%s><report_metadata>"
	"<org_name>google.com</org_name><report_id>123</report_id>"
	"<date_range><begin>1</begin><end>2</end></date_range>"
	"</report_metadata><policy_published><domain>example.org</domain>"
	"<p>reject</p><pct>%s</pct></policy_published>";
static const char rfc7489_rec[] =
	"<record><row><source_ip>%s</source_ip><count>%s</count>"
	"<policy_evaluated><disposition>%s</disposition><dkim>fail</dkim>"
	"<spf>pass</spf></policy_evaluated></row><identifiers>"
	"<header_from>%s</header_from></identifiers><auth_results>%s"
	"</auth_results></record>";

static char *doc7489(const char *ns, const char *pct, const char *ip,
    const char *count, const char *disp, const char *hf, const char *auth)
{
	strbuf_t sb;

	strbuf_init(&sb, 1 << 20);
	strbuf_appendf(&sb, rfc7489_head, ns, pct);
	strbuf_appendf(&sb, rfc7489_rec, ip, count, disp, hf, auth);
	strbuf_puts(&sb, "</feedback>");
	return strbuf_steal(&sb);
}

static void test_rfc9990(void)
{
	char err[RUA_ERR_MAX];
	rua_meta_t m;
	rua_record_t r;
	rua_doc_t *d = rua_doc_parse(rfc9990, strlen(rfc9990), 1 << 20, &m,
	    err, sizeof(err));

	if (!ok(d != NULL, "RFC 9990 sample parses (%s)", d ? "" : err))
		return;
	is_str(rua_format_name(m.format), "rfc9990", "format");
	is_str(m.org_name, "Sample Reporter", "org_name");
	is_str(m.report_id, "3v98abbp8ya9n3va8yr8oa3ya", "report_id");
	is_int(m.begin, 302832000, "begin");
	is_int(m.end, 302918399, "end");
	is_str(m.domain, "example.com", "policy domain normalised");
	is_str(m.p, "quarantine", "p");
	is_str(m.np, "none", "np");
	is_str(m.testing, "n", "testing");
	is_str(m.discovery, "treewalk", "discovery_method");
	is_int(m.pct, -1, "no pct");
	is_int(m.nrecords, 2, "two records");
	is_int(m.messages, 130, "messages summed");
	ok(rua_doc_next(d, &r) == 1, "first record");
	is_str(r.source_ip, "192.0.2.123", "source_ip");
	is_int(r.count, 123, "count");
	is_str(r.disposition, "pass", "disposition pass (RFC 9990)");
	ok(r.dkim_pass && !r.spf_pass, "policy_evaluated dkim/spf");
	is_int(r.nauth, 2, "two auth results");
	is_str(r.auth[0].selector, "abc123", "DKIM selector");
	ok(r.auth[1].kind == 's' && strcmp(r.auth[1].result, "fail") == 0,
	    "SPF result");
	ok(rua_doc_next(d, &r) == 1, "second record");
	is_str(r.source_ip, "2001:db8::1", "IPv6 source");
	is_int(r.nreason, 1, "one reason");
	is_str(r.reason[0].type, "policy_test_mode", "reason type");
	is_str(r.reason[0].comment, "t=y", "reason comment");
	is_str(r.auth[0].scope, "mfrom", "SPF scope");
	is_int(rua_doc_next(d, &r), 0, "end of records");
	rua_doc_free(d);
}

static void expect_error_n(const char *what, const char *xml, size_t len,
    const char *want)
{
	char err[RUA_ERR_MAX] = "";
	rua_meta_t m;
	rua_doc_t *d = rua_doc_parse(xml, len, 1 << 20, &m, err, sizeof(err));

	if (!ok(d == NULL && strstr(err, want) != NULL, "%s refused", what))
		diag("got '%s', want '%s'", err, want);
	rua_doc_free(d);
}

static void expect_error(const char *what, const char *xml, const char *want)
{
	expect_error_n(what, xml, strlen(xml), want);
}

static void test_rfc7489(void)
{
	static const char dkim9[] = "<dkim><domain>a.example</domain>"
	    "<result>pass</result></dkim>";
	char err[RUA_ERR_MAX], *x, auth[2048] = "";
	rua_meta_t m;
	rua_record_t r;
	rua_doc_t *d;
	int i;

	for (i = 0; i < 10; i++)
		str_format(auth + strlen(auth), sizeof(auth) - strlen(auth),
		    "%s", dkim9);
	x = doc7489(" xmlns=\"http://dmarc.org/dmarc-xml/0.1\"", "50",
	    "192.0.2.1", "5", "quarantine", "EXAMPLE.org", auth);
	d = rua_doc_parse(x, strlen(x), 1 << 20, &m, err, sizeof(err));
	ok(d && m.format == RUA_FORMAT_RFC7489 && m.pct == 50,
	    "RFC 7489 with the 0.1 namespace, pct 50");
	ok(d && rua_doc_next(d, &r) == 1 && r.nauth == RUA_MAX_AUTH &&
	    r.auth_dropped == 2, "auth results past %d dropped and counted",
	    RUA_MAX_AUTH);
	ok(d && strcmp(r.header_from, "example.org") == 0,
	    "header_from lower-cased");
	rua_doc_free(d);
	free(x);
	x = doc7489("", "", "192.0.2.1", "5", "none", "example.org", "");
	d = rua_doc_parse(x, strlen(x), 1 << 20, &m, err, sizeof(err));
	ok(d && m.pct == -1, "empty pct is absent");
	rua_doc_free(d);
	ok(rua_doc_parse(x, strlen(x), 100, &m, err, sizeof(err)) == NULL &&
	    strstr(err, "more than the limit of 100"), "size limit");
	free(x);
	x = doc7489("", "101", "192.0.2.1", "5", "none", "example.org", "");
	expect_error("pct 101", x, "<pct> is not a valid");
	free(x);
	x = doc7489("", "", "192.0.2.1", "5", "pass", "example.org", "");
	expect_error("disposition pass in RFC 7489", x, "outside the schema");
	free(x);
	x = doc7489("", "", "192.0.2.1", "5", "none", "not a domain", "");
	expect_error("bad header_from", x, "<header_from> is not a valid");
	free(x);
	x = doc7489("", "", "192.0.2.1", "99999999999999999999", "none",
	    "example.org", "");
	expect_error("huge count", x, "<count> is not a valid");
	free(x);
	x = doc7489("", "", "192.0.2.1", "5", "none", "example.org",
	    "<spf><domain>a.example</domain><result>maybe</result></spf>"
	    "<spf><domain>b.example</domain><result>HardFail</result></spf>");
	d = rua_doc_parse(x, strlen(x), 1 << 20, &m, err, sizeof(err));
	ok(d && m.nwarnings == 2 && strstr(m.warning, "<result> dropped, "
	    "outside the schema: \"maybe\""), "unknown SPF result: report "
	    "kept, value dropped with a warning (%s)", d ? m.warning : err);
	ok(d && rua_doc_next(d, &r) == 1 && r.nauth == 1 &&
	    strcmp(r.auth[0].domain, "b.example") == 0 &&
	    strcmp(r.auth[0].result, "fail") == 0, "SPF hardfail kept as fail");
	rua_doc_free(d);
	free(x);
	x = doc7489(" xmlns=\"urn:other\"", "", "192.0.2.1", "5", "none",
	    "example.org", "");
	expect_error("foreign namespace", x, "unknown namespace");
	free(x);
}

static rua_doc_t *parse_ok(const char *what, const char *xml,
    rua_meta_t *m)
{
	char err[RUA_ERR_MAX];
	rua_doc_t *d = rua_doc_parse(xml, strlen(xml), 1 << 20, m, err,
	    sizeof(err));

	ok(d != NULL, "%s: parses (%s)", what, d ? m->warning : err);
	return d;
}

/* Real reports that break the schema in a readable way (issue 14.2). */
static void test_lenient(void)
{
	static const char meta[] = "<report_metadata><org_name>%s</org_name>"
	    "<email>%s</email><report_id>i</report_id><date_range><begin>1"
	    "</begin><end>2</end></date_range></report_metadata>";
	static const char rest[] = "<policy_published><domain>example.com"
	    "</domain><p>none</p>%s</policy_published><record><row><source_ip>"
	    "192.0.2.1</source_ip><count>2</count><policy_evaluated>"
	    "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>"
	    "%s</policy_evaluated></row><identifiers><header_from>example.com"
	    "</header_from></identifiers></record></feedback>";
	rua_meta_t m;
	rua_record_t r;
	rua_doc_t *d;
	strbuf_t sb;

	strbuf_init(&sb, 4096);
	strbuf_puts(&sb, "<feedback>");
	strbuf_appendf(&sb, meta, "", "Admin &lt;noreply@Reports.Example.NET&gt;");
	strbuf_appendf(&sb, rest, "<adkim>x</adkim>", "<reason><type></type>"
	    "<comment/></reason><reason><type>forwarded</type></reason>");
	if ((d = parse_ok("empty org_name, empty reason type, bad adkim",
	    strbuf_str(&sb), &m)) != NULL) {
		is_str(m.org_name, "reports.example.net", "org_name from the "
		    "email's domain");
		is_int(m.nwarnings, 3, "three warnings");
		ok(strstr(m.warning, "<org_name> is empty") != NULL, "first "
		    "warning named (%s)", m.warning);
		is_str(m.adkim, "", "adkim outside the schema dropped");
		ok(rua_doc_next(d, &r) == 1 && r.nreason == 1 &&
		    strcmp(r.reason[0].type, "forwarded") == 0, "empty reason "
		    "type dropped, the valid one kept");
		is_str(rua_format_name(m.format), "rfc7489", "no namespace, no "
		    "RFC 9990 element: RFC 7489");
	}
	rua_doc_free(d);
	strbuf_reset(&sb);
	strbuf_appendf(&sb, "<feedback><version>2.0</version>");
	strbuf_appendf(&sb, meta, "o", "");
	strbuf_appendf(&sb, rest, "", "");
	if ((d = parse_ok("no namespace, version 2.0", strbuf_str(&sb), &m)))
		is_str(rua_format_name(m.format), "rfc9990", "read as RFC 9990");
	rua_doc_free(d);
	strbuf_reset(&sb);
	strbuf_appendf(&sb, "<feedback>");
	strbuf_appendf(&sb, meta, "o", "");
	strbuf_appendf(&sb, rest, "<np>reject</np>", "");
	if ((d = parse_ok("no namespace, np", strbuf_str(&sb), &m)))
		is_str(rua_format_name(m.format), "rfc9990", "read as RFC 9990");
	rua_doc_free(d);
	strbuf_reset(&sb);
	strbuf_appendf(&sb, "<feedback>");
	strbuf_appendf(&sb, meta, "google.com", "");
	strbuf_appendf(&sb, rest, "<pct>100</pct><np>none</np>", "");
	if ((d = parse_ok("no namespace, np and pct", strbuf_str(&sb), &m)))
		is_str(rua_format_name(m.format), "rfc7489", "read as RFC 7489 "
		    "(Google's reports)");
	rua_doc_free(d);
	strbuf_reset(&sb);
	strbuf_appendf(&sb, "<?xml version=\"1.0\"?> <xs:schema xmlns:xs="
	    "\"http://www.w3.org/2001/XMLSchema\">\n<feedback>");
	strbuf_appendf(&sb, meta, "ikea.com", "");
	strbuf_appendf(&sb, rest, "", "");
	if ((d = parse_ok("unclosed wrapper before <feedback>",
	    strbuf_str(&sb), &m)))
		ok(strstr(m.warning, "ignored 78 bytes of malformed content "
		    "before <feedback>") != NULL, "warning says what was "
		    "ignored (%s)", m.warning);
	rua_doc_free(d);
	strbuf_reset(&sb);
	strbuf_appendf(&sb, "<x><feedback>");
	strbuf_appendf(&sb, meta, "o", "");
	strbuf_appendf(&sb, rest, "", "<bad");
	expect_error("malformed inside <feedback> still refused",
	    strbuf_str(&sb), "malformed XML at line 1");
	strbuf_reset(&sb);
	strbuf_appendf(&sb, "<feedback>");
	strbuf_appendf(&sb, meta, "", "no address");
	strbuf_appendf(&sb, rest, "", "");
	expect_error("empty org_name, no email domain", strbuf_str(&sb),
	    "<org_name> is empty");
	strbuf_free(&sb);
}

static void test_structure(void)
{
	expect_error("wrong root", "<report><x/></report>",
	    "root element is <report>");
	expect_error("empty feedback", "<feedback/>",
	    "<report_metadata> is missing");
	expect_error("prefixed elements in another namespace",
	    "<feedback xmlns:o=\"urn:o\"><o:report_metadata/></feedback>",
	    "<report_metadata> is missing");
	expect_error("DOCTYPE", "<!DOCTYPE feedback><feedback/>",
	    "DOCTYPE or ENTITY declaration refused");
	expect_error_n("NUL byte", "<feedback>\0</feedback>", 22, "NUL byte");
	expect_error("not XML", "<feedback><unclosed></feedback>",
	    "malformed XML at line 1");
	expect_error("end before begin",
	    "<feedback><report_metadata><org_name>o</org_name><report_id>i"
	    "</report_id><date_range><begin>5</begin><end>4</end>"
	    "</date_range></report_metadata></feedback>",
	    "ends before it begins");
	expect_error("org_name blank",
	    "<feedback><report_metadata><org_name>  </org_name><report_id>i"
	    "</report_id></report_metadata></feedback>", "<org_name> is empty");
}

int main(void)
{
	test_rfc9990();
	test_rfc7489();
	test_structure();
	test_lenient();
	return tap_done();
}
