/*
 * ptool_ruf - unit tests of policy/tool/ruf.c: an RFC 6591 failure
 * report's fields, the enclosed message, dates with zones, the digest
 * (CRLF and LF forms are one report), the plain-text (Exim) form, and
 * malformed input: other feedback types, no domain, a bad Source-IP, no
 * feedback part at all, broken MIME, hostile bytes kept printable.
 */
#include <string.h>

#include "../../util/strbuf.h"
#include "../../policy/tool/ruf.h"
#include "../tap.h"

#define ARF_HEAD \
	"From: DMARC reporter <noreply@Reporter.Example>\n" \
	"Date: Tue, 30 Apr 2019 02:09:00 +0000\n" \
	"Content-Type: multipart/report; report-type=feedback-report;\n" \
	"\tboundary=\"b1\"\n\n" \
	"--b1\nContent-Type: text/plain\n\nA failure report.\n" \
	"--b1\nContent-Type: message/feedback-report\n\n"

#define INNER \
	"--b1\nContent-Type: message/rfc822\n\n" \
	"Received: from x\n" \
	"From: \"Spoofer\" <ceo@Example.COM>\n" \
	"Subject: Pay\n now\n\nbody\n--b1--\n"

static const char arf[] = ARF_HEAD
	"Feedback-Type: auth-failure\n"
	"Version: 1\n"
	"Auth-Failure: dmarc\n"
	"Reported-Domain: example.com\n"
	"Source-IP: 192.0.2.7\n"
	"Arrival-Date: Mon, 01 Oct 2018 11:20:27 +0200\n"
	"Original-Mail-From: <bounce@esp.example>\n"
	"Delivery-Result: reject\n"
	"Identity-Alignment: none\n"
	"DKIM-Domain: esp.example\n"
	"Authentication-Results: mx.example; dmarc=fail\n"
	"  header.from=example.com\n\n" INNER;

static void test_arf(void)
{
	char err[RUF_ERR_MAX], crlf[sizeof(arf) * 2];
	ruf_t r, r2;
	size_t i, n = 0;

	is_int(ruf_parse(arf, strlen(arf), 65536, &r, err, sizeof(err)), 1,
	    "RFC 6591 report read");
	is_str(r.domain, "example.com", "Reported-Domain");
	is_str(r.reporter, "reporter.example", "reporter: From domain, lower");
	is_str(r.source_ip, "192.0.2.7", "Source-IP");
	ok(r.arrival == 1538385627, "Arrival-Date with +0200 zone: %lld",
	    r.arrival);
	is_str(r.auth_failure, "dmarc", "Auth-Failure");
	is_str(r.delivery_result, "reject", "Delivery-Result");
	is_str(r.identity_alignment, "none", "Identity-Alignment");
	is_str(r.dkim_domain, "esp.example", "DKIM-Domain");
	is_str(r.mail_from, "<bounce@esp.example>", "Original-Mail-From");
	is_str(r.auth_results, "mx.example; dmarc=fail header.from=example.com",
	    "Authentication-Results unfolded");
	is_str(r.header_from, "example.com", "enclosed From domain");
	is_str(r.subject, "Pay now", "enclosed Subject unfolded");
	is_int((int)strlen(r.digest), 64, "SHA-256 digest in hex");
	for (i = 0; arf[i]; i++) {
		if (arf[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = arf[i];
	}
	is_int(ruf_parse(crlf, n, 65536, &r2, err, sizeof(err)), 1,
	    "CRLF form read");
	is_str(r2.digest, r.digest, "CRLF and LF forms: same digest");
	is_str(r2.source_ip, "192.0.2.7", "CRLF form: Source-IP");
}

static const char exim[] =
	"From: no-reply@mailgate.example.net\n"
	"Date: Mon, 07 Apr 2025 23:16:09 +0200\n"
	"Content-Type: multipart/report;\n boundary=\"==x==\"\n\n"
	"--==x==\nContent-Type: text/plain\n\n"
	"A message claiming to be from you has failed.\n\n"
	"  Sender Domain: example.com\n"
	"  Sender IP Address: 203.0.113.68\n"
	"  Received date: Mon, 07 Apr 2025 23:16:09 +0200\n"
	"  SPF Alignment: no\n"
	"  DKIM Alignment: yes\n"
	"--==x==--\n";

static void test_exim(void)
{
	char err[RUF_ERR_MAX];
	ruf_t r;

	is_int(ruf_parse(exim, strlen(exim), 65536, &r, err, sizeof(err)), 1,
	    "plain-text failure report (no ARF part) read");
	is_str(r.domain, "example.com", "Sender Domain");
	is_str(r.source_ip, "203.0.113.68", "Sender IP Address");
	ok(r.arrival == 1744060569, "Received date: %lld", r.arrival);
	is_str(r.identity_alignment, "dkim", "alignment from the yes/no lines");
	is_str(r.auth_failure, "dmarc", "auth failure: dmarc");
}

static int parse(const char *msg, ruf_t *r, char *err, size_t errlen)
{
	return ruf_parse(msg, strlen(msg), 65536, r, err, errlen);
}

static void test_malformed(void)
{
	char err[RUF_ERR_MAX];
	ruf_t r;

	is_int(parse(ARF_HEAD "Feedback-Type: abuse\nSource-IP: 192.0.2.1\n"
	    "Reported-Domain: example.com\n\n--b1--\n", &r, err, sizeof(err)),
	    0, "abuse feedback report: not a failure report");
	ok(strstr(err, "not auth-failure") != NULL, "says why: %s", err);
	is_int(parse(ARF_HEAD "Feedback-Type: auth-failure\nSource-IP: "
	    "192.0.2.1\n\n--b1--\n", &r, err, sizeof(err)), 0,
	    "no Reported-Domain, no enclosed From: refused");
	ok(strstr(err, "no valid domain") != NULL, "says why: %s", err);
	is_int(parse(ARF_HEAD "Feedback-Type: auth-failure\nReported-Domain: "
	    "bad..domain\n\n" INNER, &r, err, sizeof(err)), 1,
	    "invalid Reported-Domain: the enclosed From's domain instead");
	is_str(r.domain, "example.com", "domain from the enclosed From");
	is_int(parse(ARF_HEAD "Auth-Failure: dmarc\nReported-Domain: "
	    "example.com\nSource-IP: 192.0.2.999\nArrival-Date: yesterday\n\n"
	    "--b1--\n", &r, err, sizeof(err)), 1,
	    "bad Source-IP and date: report kept");
	is_str(r.source_ip, "", "bad Source-IP left empty");
	ok(r.arrival == 1556590140, "unreadable Arrival-Date: the email's "
	    "Date instead (%lld)", r.arrival);
	is_int(parse("From: a@b.example\nSubject: hi\n\nhello\n", &r, err,
	    sizeof(err)), 0, "plain email: no failure report");
	is_int(parse("From: a@b.example\nContent-Type: multipart/mixed\n\nx\n",
	    &r, err, sizeof(err)), -1, "multipart without boundary: error");
	is_int(parse(ARF_HEAD "Reported-Domain: example.com\nSource-IP: "
	    "2001:db8::1\nDelivery-Result: \x1b[31mred\x01\n\n--b1--\n", &r,
	    err, sizeof(err)), 1, "IPv6 source, control bytes in a field");
	is_str(r.source_ip, "2001:db8::1", "IPv6 Source-IP");
	is_str(r.delivery_result, "?[31mred?", "control bytes made printable");
	is_int(parse("", &r, err, sizeof(err)), -1, "empty input: error");
}

static void test_field(void)
{
	static const char block[] = "Name : one\r\n\ttwo\r\nNameX: no\r\n"
	    "Other: three\r\n\r\nName: body\r\n";
	char out[16];

	ruf_field(block, strlen(block), "name", out, sizeof(out));
	is_str(out, "one two", "field name case-insensitive, blanks before "
	    "the colon, folded line");
	ruf_field(block, strlen(block), "Missing", out, sizeof(out));
	is_str(out, "", "absent field: empty");
	ruf_field(block, strlen(block), "Other", out, 4);
	is_str(out, "thr", "bounded copy");
}

int main(void)
{
	test_arf();
	test_exim();
	test_malformed();
	test_field();
	return tap_done();
}
