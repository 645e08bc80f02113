/* Unit tests for the reporter's XML (reporter/feedback_xml.c) from real
 * history databases: rows are written by the milter's own writer
 * (history_db.c), read back by repdb.c, merged across two databases and
 * turned into RFC 9990 and RFC 7489 reports that must match the golden
 * files t/data/report/fleet-{9990,7489}.xml byte for byte and validate
 * against the bundled schemas.  Also: the embedded schemas equal
 * reporter/xsd/, hostile text, values the schema refuses, IPv6 forms.
 *
 * REPORT_GOLDEN_UPDATE=1 rewrites the golden files (review the diff). */
#include "../../history/history_db.h"
#include "../../reporter/aggregate.h"
#include "../../reporter/feedback_xml.h"
#include "../../history/repdb.h"
#include "../../reporter/collect.h"
#include "../../reporter/xsd_embed.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char datadir[4096], tmpdir[256];

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = malloc(4 * 1024 * 1024);
	n = fread(buf, 1, 4 * 1024 * 1024 - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void base_row(history_row_t *r, time_t when, const char *ip)
{
	memset(r, 0, sizeof(*r));
	r->when = when;
	str_copy(r->client_ip, sizeof(r->client_ip), ip);
	str_copy(r->helo, sizeof(r->helo), "mail.sender.example");
	str_copy(r->envelope_from, sizeof(r->envelope_from), "example.org");
	r->nrcpt_domains = 1;
	str_copy(r->rcpt_domain[0], FROM_DOMAIN_MAX, "example.net");
	str_copy(r->header_from, sizeof(r->header_from), "example.org");
	str_copy(r->policy_domain, sizeof(r->policy_domain), "example.org");
	str_copy(r->org_domain, sizeof(r->org_domain), "example.org");
	r->policy_found = true;
	r->rec.p = DMARC_POLICY_QUARANTINE;
	r->rec.sp = DMARC_POLICY_REJECT;
	r->rec.np = DMARC_POLICY_NONE;
	r->rec.adkim = DMARC_ALIGN_STRICT;
	r->rec.pct = 50;
	r->rec.psd = 'n';
	str_copy(r->rec.fo, sizeof(r->rec.fo), "1:d");
	r->rec.nrua = 1;
	str_copy(r->rec.rua[0].uri, DMARC_URI_MAX, "mailto:dmarc@example.org");
	r->rec.rua[0].size = 10485760;
	r->result = DMARC_RESULT_PASS;
	r->spf_result = AUTH_PASS;
	str_copy(r->spf_domain, sizeof(r->spf_domain), "example.org");
	r->spf_aligned = true;
	r->ndkim = 1;
	str_copy(r->dkim[0].domain, FROM_DOMAIN_MAX, "example.org");
	str_copy(r->dkim[0].selector, SELECTOR_MAX, "sel1");
	r->dkim[0].result = AUTH_PASS;
	r->dkim[0].aligned = true;
}

static void fail_row(history_row_t *r, time_t when)
{
	base_row(r, when, "2001:db8::25");
	r->result = DMARC_RESULT_FAIL;
	r->requested = r->evaluated = DMARC_POLICY_QUARANTINE;
	r->applied = DMARC_POLICY_NONE;
	r->noverrides = 1;
	r->overrides[0].reason = OVERRIDE_LOCAL_POLICY;
	str_copy(r->overrides[0].comment, OVERRIDE_COMMENT_MAX,
	    "Enforcement off");
	r->spf_result = AUTH_SOFTFAIL;
	r->spf_scope = SPF_SCOPE_HELO;
	str_copy(r->spf_domain, sizeof(r->spf_domain), "mail.sender.example");
	r->spf_aligned = false;
	r->ndkim = 2;
	r->dkim[0].result = AUTH_FAIL;
	str_copy(r->dkim[0].human_result, 64, "body hash mismatch");
	str_copy(r->dkim[1].domain, FROM_DOMAIN_MAX, "esp.example");
	str_copy(r->dkim[1].selector, SELECTOR_MAX, "s2");
	r->dkim[1].result = AUTH_TEMPERROR;
	str_copy(r->dkim[1].human_result, 64, "key query timed out");
}

static int write_rows(const char *path, history_row_t *rows, size_t n)
{
	char err[256] = "";
	history_db_t db = { .path = path };
	hist_item_t *head = NULL, **tail = &head;
	size_t nbad = 0;
	int rc;

	if (history_db_open(&db, err, sizeof(err)) != 0) {
		diag("history_db_open %s: %s", path, err);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		*tail = hist_item_new(&rows[i]);
		tail = &(*tail)->next;
	}
	rc = history_db_write(&db, head, &nbad, err, sizeof(err));
	hist_item_free_list(head);
	history_db_close(&db);
	return rc == 0 && nbad == 0 ? 0 : -1;
}

#define T0 1763856000      /* 2025-11-23 00:00:00 UTC */

/* Database A: the day's mail of the first MX, B: the second. */
static void make_fleet(const char *a, const char *b)
{
	history_row_t r[8];

	for (int i = 0; i < 3; i++)
		base_row(&r[i], T0 + 100 + i, "192.0.2.1");
	fail_row(&r[3], T0 + 200);
	/* Forwarded mail under t=y: the legacy names must be mapped. */
	fail_row(&r[4], T0 + 300);
	r[4].noverrides = 2;
	r[4].overrides[0].reason = OVERRIDE_FORWARDED;
	r[4].overrides[0].comment[0] = '\0';
	r[4].overrides[1].reason = OVERRIDE_POLICY_TEST_MODE;
	/* A subdomain author, null sender, no SPF domain: pass under sp. */
	base_row(&r[5], T0 + 400, "198.51.100.7");
	str_copy(r[5].header_from, FROM_DOMAIN_MAX, "news.example.org");
	r[5].envelope_from[0] = '\0';
	r[5].spf_domain[0] = '\0';
	r[5].spf_result = AUTH_NONE;
	r[5].spf_aligned = false;
	/* Hostile text from a verifier or a comment. */
	fail_row(&r[6], T0 + 500);
	str_copy(r[6].dkim[1].human_result, 64, "<b>&\"x\"\x01\x7f\xc3\xa9");
	str_copy(r[6].overrides[0].comment, OVERRIDE_COMMENT_MAX, "]]><x/>");
	/* Outside the period: never counted. */
	base_row(&r[7], T0 + 86400, "192.0.2.1");
	ok(write_rows(a, r, 8) == 0, "database A written by history_db");
	for (int i = 0; i < 2; i++)
		base_row(&r[i], T0 + 600 + i, "192.0.2.1");
	/* The latest row of the period holds the record as published last. */
	r[1].rec.p = DMARC_POLICY_REJECT;
	r[1].rec.testing = true;
	base_row(&r[2], T0 + 700, "203.0.113.9");
	str_copy(r[2].policy_domain, FROM_DOMAIN_MAX, "other.example");
	ok(write_rows(b, r, 3) == 0, "database B written by history_db");
}

static void compare_golden(const char *name, const unsigned char *xml,
    size_t len)
{
	char path[4400];
	char *want;
	FILE *fp;

	str_format(path, sizeof(path), "%s/%s", datadir, name);
	if (getenv("REPORT_GOLDEN_UPDATE")) {
		fp = fopen(path, "wb");
		if (fp) {
			fwrite(xml, 1, len, fp);
			fclose(fp);
		}
	}
	want = slurp(path, NULL);
	ok(want != NULL, "golden %s readable", name);
	is_str((const char *)xml, want ? want : "", "report matches %s", name);
	free(want);
}

static void test_fleet(fxml_schemas_t *s)
{
	char a[300], b[300], err[FXML_ERR_MAX];
	repdb_t *da, *db;
	repdb_list_t l = { 0 };
	agg_report_t rep;
	unsigned char *xml;
	size_t len;
	fxml_meta_t meta = { "Example Receiver", "noreply-dmarc@mx.example.net",
	    "https://mx.example.net/dmarc", "20251123golden", T0, T0 + 86400,
	    "dmarcwarden-report", NULL, 0 };

	str_format(a, sizeof(a), "%s/a.db", tmpdir);
	str_format(b, sizeof(b), "%s/b.db", tmpdir);
	make_fleet(a, b);
	da = repdb_open(a, false, err, sizeof(err));
	db = repdb_open(b, true, err, sizeof(err));
	if (!ok(da && db, "both databases open: %s", err))
		return;
	repdb_domains(da, T0, T0 + 86400, &l);
	repdb_domains(db, T0, T0 + 86400, &l);
	is_int(l.n, 3, "domains: example.org twice, other.example once");
	repdb_list_free(&l);
	agg_init(&rep, "example.org");
	is_int(collect_domain(da, T0, T0 + 86400, &rep), 7,
	    "7 rows of A in the period");
	is_int(collect_domain(db, T0, T0 + 86400, &rep), 2,
	    "2 rows of B");
	agg_sort(&rep);
	is_int(rep.messages, 9, "9 messages");
	is_int(rep.nrecords, 5, "5 records (the 5 pass rows merged)");
	is_str(rep.policy.p, "reject", "policy of the latest row (B's)");
	is_str(rep.policy.rua, "mailto:dmarc@example.org!10485760",
	    "rua with its size in bytes");
	ok(fxml_report(s, REPORT_RFC9990, &meta, &rep, &xml, &len, err,
	    sizeof(err)) == 0, "RFC 9990 report built and valid: %s", err);
	if (xml) {
		compare_golden("fleet-9990.xml", xml, len);
		ok(fxml_validate_text(s, REPORT_RFC9990, (char *)xml, len, err,
		    sizeof(err)) == 0, "serialized form validates again");
		ok(strstr((char *)xml, "<count>5</count>") != NULL,
		    "merged count 5");
		free(xml);
	}
	ok(fxml_report(s, REPORT_RFC7489, &meta, &rep, &xml, &len, err,
	    sizeof(err)) == 0, "RFC 7489 report built and valid: %s", err);
	if (xml) {
		compare_golden("fleet-7489.xml", xml, len);
		ok(strstr((char *)xml, "2001:db8:0:0:0:0:0:25") != NULL,
		    "IPv6 written in full for the RFC 7489 pattern");
		free(xml);
	}
	agg_free(&rep);
	repdb_close(da);
	repdb_close(db);
}

/* A value the schema does not allow must stop the report. */
static void test_invalid(fxml_schemas_t *s)
{
	const char *f[AGG_NFIELDS] = { "192.0.2.1", "example.org",
	    "example.org", "", "none", "pass", "1", "1", "example.org",
	    "mfrom", "bogus", "", "" };
	fxml_meta_t meta = { "R", "r@example.net", NULL, "id1", T0, T0 + 10,
	    NULL, NULL, 0 };
	agg_report_t rep;
	agg_policy_t p = { .seen = 1, .p = "none", .sp = "none", .np = "none",
	    .adkim = "r", .aspf = "r", .pct = 100, .testing = "n", .fo = "0",
	    .discovery = "psl", .valid = true };
	unsigned char *xml = (unsigned char *)"x";
	size_t len = 1;
	char err[FXML_ERR_MAX] = "";

	agg_init(&rep, "example.org");
	agg_policy_offer(&rep, &p);
	agg_add(&rep, f, 1);
	ok(fxml_report(s, REPORT_RFC9990, &meta, &rep, &xml, &len, err,
	    sizeof(err)) < 0, "spf result 'bogus' refused");
	ok(xml == NULL && len == 0, "no bytes returned for an invalid report");
	ok(strstr(err, "bogus") != NULL, "error names the value: %s", err);
	f[AGG_F_SPF_RESULT] = "pass";
	f[AGG_F_DISPOSITION] = "pass";
	agg_free(&rep);
	agg_init(&rep, "example.org");
	agg_policy_offer(&rep, &p);
	agg_add(&rep, f, 1);
	ok(fxml_report(s, REPORT_RFC7489, &meta, &rep, &xml, &len, err,
	    sizeof(err)) < 0, "disposition 'pass' refused by RFC 7489");
	ok(fxml_report(s, REPORT_RFC9990, &meta, &rep, &xml, &len, err,
	    sizeof(err)) == 0, "and allowed by RFC 9990");
	free(xml);
	agg_free(&rep);
	agg_init(&rep, "example.org");
	ok(fxml_report(s, REPORT_RFC9990, &meta, &rep, &xml, &len, err,
	    sizeof(err)) < 0, "a report without records or policy refused");
	agg_free(&rep);
	ok(fxml_validate_text(s, REPORT_RFC9990, "<feedback/>", 11, err,
	    sizeof(err)) < 0, "empty feedback does not validate");
	ok(fxml_validate_text(s, REPORT_RFC9990, "<a", 2, err,
	    sizeof(err)) < 0, "broken XML refused");
}

/* One record's report in fmt; the XML (caller frees) or NULL. */
static char *one_record(fxml_schemas_t *s, report_format_t fmt,
    const agg_policy_t *p, const char *const f[AGG_NFIELDS],
    const fxml_meta_t *meta)
{
	agg_report_t rep;
	unsigned char *xml = NULL;
	size_t len;
	char err[FXML_ERR_MAX] = "";

	agg_init(&rep, "example.org");
	agg_policy_offer(&rep, p);
	agg_add(&rep, f, 1);
	if (fxml_report(s, fmt, meta, &rep, &xml, &len, err, sizeof(err)) < 0)
		diag("fxml_report: %s", err);
	agg_free(&rep);
	return (char *)xml;
}

static const char *after(const char *hay, const char *needle)
{
	const char *p = hay ? strstr(hay, needle) : NULL;

	return p ? p + strlen(needle) : NULL;
}

#define SUB "\x1d"
#define LIST "\x1e"

/* RFC 7489 without a namespace; HELO-scope SPF; the DKIM order; np=. */
static void test_rules(fxml_schemas_t *s)
{
	const char *f[AGG_NFIELDS] = { "192.0.2.1", "example.org",
	    "", "", "none", "fail", "0", "0", "mail.sender.example",
	    "helo", "softfail",
	    "esp.example" SUB "s1" SUB "pass" SUB LIST
	    "example.org" SUB "s2" SUB "fail" SUB "bad" LIST
	    "other.example" SUB "s4" SUB "fail" SUB LIST
	    "mail.example.org" SUB "s3" SUB "pass" SUB, "" };
	fxml_meta_t meta = { "R", "r@example.net", NULL, "id1", T0, T0 + 10,
	    "dmarcwarden-report 0.1.0", NULL, 0 };
	agg_policy_t p = { .seen = 1, .p = "reject", .sp = "reject",
	    .np = "none", .adkim = "r", .aspf = "r", .pct = 100,
	    .testing = "n", .fo = "0", .psd = "n", .discovery = "treewalk",
	    .valid = true };
	const char *nx[] = { "gone.example.org" };
	char *x, err[FXML_ERR_MAX] = "";
	const char *a, *b, *c, *d;

	x = one_record(s, REPORT_RFC7489, &p, f, &meta);
	ok(x && strstr(x, "xmlns") == NULL && strstr(x, "\n<feedback>\n"),
	    "RFC 7489: <feedback> without a namespace");
	ok(x && fxml_validate_text(s, REPORT_RFC7489, x, strlen(x), err,
	    sizeof(err)) == 0, "and it validates %s", err);
	ok(x && strstr(x, "<scope>helo</scope>"), "RFC 7489: scope helo");
	free(x);
	x = one_record(s, REPORT_RFC9990, &p, f, &meta);
	ok(x && strstr(x, "mail.sender.example") == NULL, "RFC 9990: a HELO check is not "
	    "written as the (mfrom) spf result");
	ok(x && strstr(x, "<generator>dmarcwarden-report 0.1.0</generator>"),
	    "generator with its version");
	a = after(x, "<selector>s3<");
	b = after(x, "<selector>s1<");
	c = after(x, "<selector>s2<");
	d = after(x, "<selector>s4<");
	ok(a && b && c && d && a < b && b < c && c < d, "DKIM in the RFC "
	    "order: pass aligned, pass, fail aligned, fail");
	free(x);
	f[AGG_F_SPF_SCOPE] = "mfrom";
	x = one_record(s, REPORT_RFC9990, &p, f, &meta);
	ok(x && strstr(x, "<scope>mfrom</scope>"), "RFC 9990: mfrom scope "
	    "written");
	free(x);

	/* A pass for a subdomain: sp=reject enforces ("pass"), but for a
	 * subdomain that does not exist np=none applies ("none"). */
	f[AGG_F_HEADER_FROM] = "gone.example.org";
	f[AGG_F_RESULT] = "pass";
	x = one_record(s, REPORT_RFC9990, &p, f, &meta);
	ok(x && strstr(x, "<disposition>pass</disposition>"),
	    "existing subdomain: sp=reject, disposition pass");
	free(x);
	meta.nonexistent = nx;
	meta.nnonexistent = 1;
	x = one_record(s, REPORT_RFC9990, &p, f, &meta);
	ok(x && strstr(x, "<disposition>none</disposition>"),
	    "non-existent subdomain: np=none, disposition none");
	free(x);
	str_copy(p.sp, sizeof(p.sp), "none");
	str_copy(p.np, sizeof(p.np), "quarantine");
	x = one_record(s, REPORT_RFC9990, &p, f, &meta);
	ok(x && strstr(x, "<disposition>pass</disposition>"),
	    "non-existent subdomain: np=quarantine, disposition pass");
	free(x);
}

static void test_embedded(void)
{
	char path[4400];
	char *text;
	size_t len;

	str_format(path, sizeof(path), "%s/../../../reporter/xsd/"
	    "dmarc-aggregate-2.0.xsd", datadir);
	text = slurp(path, &len);
	ok(text && len == xsd_rfc9990_len && memcmp(text, xsd_rfc9990, len) ==
	    0, "embedded RFC 9990 schema equals reporter/xsd (run mkembed)");
	free(text);
	str_format(path, sizeof(path), "%s/../../../reporter/xsd/"
	    "dmarc-aggregate-rfc7489.xsd", datadir);
	text = slurp(path, &len);
	ok(text && len == xsd_rfc7489_len && memcmp(text, xsd_rfc7489, len) ==
	    0, "embedded RFC 7489 schema equals reporter/xsd (run mkembed)");
	free(text);
}

static void test_ip(void)
{
	char out[64];

	fxml_ip_full("2001:db8::1", out, sizeof(out));
	is_str(out, "2001:db8:0:0:0:0:0:1", "IPv6 expanded");
	fxml_ip_full("::ffff:192.0.2.1", out, sizeof(out));
	is_str(out, "0:0:0:0:0:ffff:c000:201", "mapped IPv4 expanded");
	fxml_ip_full("192.0.2.1", out, sizeof(out));
	is_str(out, "192.0.2.1", "IPv4 unchanged");
	fxml_ip_full("not:an:ip", out, sizeof(out));
	is_str(out, "not:an:ip", "garbage copied (the schema decides)");
}

int main(int argc, char **argv)
{
	char self[4096], err[FXML_ERR_MAX];
	fxml_schemas_t *s;

	str_copy(self, sizeof(self), argc > 0 ? argv[0] : ".");
	str_format(datadir, sizeof(datadir), "%s/../data/report",
	    dirname(self));
	str_copy(tmpdir, sizeof(tmpdir), "/tmp/report-xml.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	s = fxml_schemas_new(err, sizeof(err));
	ok(s != NULL, "embedded schemas compile: %s", s ? "" : err);
	if (s) {
		test_fleet(s);
		test_invalid(s);
		test_rules(s);
	}
	test_embedded();
	test_ip();
	fxml_schemas_free(s);
	{
		char cmd[300];

		str_format(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("cleanup failed");
	}
	return tap_done();
}
