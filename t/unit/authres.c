/* Unit tests for milter/authres: our header, and authserv-id parsing of
 * hostile headers. */
#include <string.h>

#include "../../milter/authres.h"
#include "../tap.h"

static const struct { const char *in, *id; } ids[] = {
	{ "mx.example.com; spf=pass", "mx.example.com" },
	{ " mx.example.com 1; none", "mx.example.com" },
	{ "(comment (nested)) mx.example.com;", "mx.example.com" },
	{ "\r\n\tMX.Example.COM;dkim=pass", "MX.Example.COM" },
	{ "\"quoted \\\"id\\\"\"; none", "quoted \"id\"" },
	{ "", NULL },
	{ ";", NULL },
	{ "(unterminated comment mx.example.com;", NULL },
	{ "\"unterminated", NULL },
	{ "   ", NULL },
};

static void test_authserv_id(void)
{
	char id[64];
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int rc = authres_authserv_id(ids[i].in, strlen(ids[i].in), id,
		    sizeof(id));
		if (ids[i].id == NULL) {
			is_int(rc, -1, "no authserv-id in '%s'", ids[i].in);
		} else {
			is_int(rc, 0, "authserv-id found in '%s'", ids[i].in);
			is_str(id, ids[i].id, "authserv-id value");
		}
	}
	is_int(authres_authserv_id("abcdefghijklmnopqrstuvwxyz", 26, id, 8),
	    -1, "over-long authserv-id refused");
	is_int(authres_authserv_id("ab\0cd;", 6, id, sizeof(id)), 0,
	    "NUL ends the token");
	is_str(id, "ab", "token before NUL");
	is_int(authres_authserv_id("mx.example.com;", 5, id, sizeof(id)), 0,
	    "length bound respected");
	is_str(id, "mx.ex", "only len bytes read");
}

static void test_ours(void)
{
	ok(authres_id_is_ours("mx.example.com", "mx.example.com"), "same id");
	ok(authres_id_is_ours("MX.Example.COM", "mx.example.com"),
	    "case differs");
	ok(authres_id_is_ours("mx.example.com.", "mx.example.com"),
	    "trailing dot claimed");
	ok(authres_id_is_ours("mx.example.com", "mx.example.com."),
	    "trailing dot configured");
	ok(!authres_id_is_ours("mx.example.com..", "mx.example.com"),
	    "two trailing dots: another name");
	ok(!authres_id_is_ours("mx.example.co", "mx.example.com"), "prefix");
	ok(!authres_id_is_ours("x.mx.example.com", "mx.example.com"),
	    "subdomain");
	ok(!authres_id_is_ours(".", "mx.example.com"), "a dot alone");
	ok(!authres_id_is_ours("", ""), "empty never matches");
}

static void test_format(void)
{
	spf_outcome_t spf = { AUTH_PASS, SPF_SCOPE_MFROM, "example.com", "" };
	dkim_results_t dk;
	verdict_t v;
	authres_input_t in;
	strbuf_t sb;

	memset(&dk, 0, sizeof(dk));
	dk.count = 1;
	dk.sig[0].result = AUTH_FAIL;
	str_copy(dk.sig[0].domain, sizeof(dk.sig[0].domain), "example.com");
	str_copy(dk.sig[0].selector, sizeof(dk.sig[0].selector), "s(1)");
	str_copy(dk.sig[0].reason, sizeof(dk.sig[0].reason), "body hash (mismatch)");
	memset(&v, 0, sizeof(v));
	str_copy(v.from_domain, sizeof(v.from_domain), "example.com");
	v.result = DMARC_RESULT_FAIL;
	v.policy.status = POLICY_FOUND;
	v.policy.rec.p = v.policy.rec.sp = DMARC_POLICY_REJECT;
	v.requested = v.evaluated = DMARC_POLICY_REJECT;
	v.applied = DMARC_POLICY_NONE;
	v.noverrides = 1;
	v.overrides[0].reason = OVERRIDE_LOCAL_POLICY;
	str_copy(v.overrides[0].comment, sizeof(v.overrides[0].comment),
	    "Enforcement monitor");
	memset(&in, 0, sizeof(in));
	in.authserv_id = "mx.test";
	in.spf = &spf;
	in.dkim = &dk;
	in.verdict = &v;
	strbuf_init(&sb, AUTHRES_MAX);
	authres_format(&in, &sb);
	is_str(strbuf_str(&sb), "mx.test;\n"
	    "\tspf=pass smtp.mailfrom=example.com;\n"
	    "\tdkim=fail (body hash  mismatch ) header.d=example.com "
	    "header.s=\"s(1)\";\n"
	    "\tdmarc=fail (p=reject sp=reject dis=none) "
	    "header.from=example.com policy.dmarc=reject "
	    "policy.applied-disposition=none "
	    "policy.evaluated-disposition=reject "
	    "policy.override-reason=local_policy (Enforcement monitor)",
	    "full header");
	strbuf_reset(&sb);
	in.dkim = NULL;
	in.verdict = NULL;
	spf.scope = SPF_SCOPE_HELO;
	authres_format(&in, &sb);
	is_str(strbuf_str(&sb), "mx.test;\n\tspf=pass smtp.helo=example.com;"
	    "\n\tdkim=none", "helo scope, no dkim, no dmarc");
	strbuf_free(&sb);
}

/* arc= (RFC 8617 section 6) and the dmarc properties after local
 * exceptions. */
static void test_arc(void)
{
	static arc_result_t arc;
	spf_outcome_t spf = { AUTH_FAIL, SPF_SCOPE_MFROM, "example.com", "" };
	authres_input_t in;
	verdict_t v;
	strbuf_t sb;

	memset(&arc, 0, sizeof(arc));
	arc.cv = ARC_CV_PASS;
	arc.nsets = 2;
	arc.oldest_pass = 2;
	str_copy(arc.set[0].sealer, FROM_DOMAIN_MAX, "lists.example.org");
	str_copy(arc.set[1].sealer, FROM_DOMAIN_MAX, "fwd.example");
	memset(&v, 0, sizeof(v));
	str_copy(v.from_domain, sizeof(v.from_domain), "example.com");
	v.result = DMARC_RESULT_FAIL;
	v.policy.status = POLICY_FOUND;
	v.policy.rec.p = v.policy.rec.sp = DMARC_POLICY_REJECT;
	v.policy.rec.testing = true;
	v.requested = DMARC_POLICY_REJECT;
	v.evaluated = v.applied = DMARC_POLICY_NONE;
	v.noverrides = 2;
	v.overrides[0].reason = OVERRIDE_POLICY_TEST_MODE;
	str_copy(v.overrides[0].comment, OVERRIDE_COMMENT_MAX, "t=y");
	v.overrides[1].reason = OVERRIDE_LOCAL_POLICY;
	memset(&in, 0, sizeof(in));
	in.authserv_id = "mx.test";
	in.spf = &spf;
	in.arc = &arc;
	in.client_ip = "2001:db8::25";
	in.verdict = &v;
	strbuf_init(&sb, AUTHRES_MAX);
	authres_format(&in, &sb);
	is_str(strbuf_str(&sb), "mx.test;\n"
	    "\tspf=fail smtp.mailfrom=example.com;\n"
	    "\tdkim=none;\n"
	    "\tarc=pass header.oldest-pass=2 smtp.remote-ip=\"2001:db8::25\" "
	    "arc.chain=\"lists.example.org:fwd.example\";\n"
	    "\tdmarc=fail (p=reject sp=reject dis=none) "
	    "header.from=example.com policy.dmarc=quarantine "
	    "policy.applied-disposition=none "
	    "policy.evaluated-disposition=none "
	    "policy.override-reason=policy_test_mode (t=y)",
	    "arc pass with chain; policy.dmarc after t=y");
	strbuf_reset(&sb);
	arc.cv = ARC_CV_FAIL;
	str_copy(arc.reason, sizeof(arc.reason), "i=2: AS (bad) signature");
	in.client_ip = "192.0.2.1";
	in.verdict = NULL;
	authres_format(&in, &sb);
	is_str(strbuf_str(&sb), "mx.test;\n\tspf=fail "
	    "smtp.mailfrom=example.com;\n\tdkim=none;\n\tarc=fail "
	    "(i=2: AS  bad  signature) smtp.remote-ip=192.0.2.1",
	    "arc fail: reason, no chain");
	strbuf_reset(&sb);
	memset(&arc, 0, sizeof(arc));
	in.client_ip = NULL;
	authres_format(&in, &sb);
	ok(strstr(strbuf_str(&sb), "\tarc=none") != NULL &&
	    strstr(strbuf_str(&sb), "remote-ip") == NULL, "arc none");
	strbuf_free(&sb);
}

int main(void)
{
	test_authserv_id();
	test_ours();
	test_format();
	test_arc();
	return tap_done();
}
