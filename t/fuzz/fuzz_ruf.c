/*
 * fuzz_ruf - a received DMARC failure report email, as the policy tool's
 * ingest reads it (policy/tool/ruf.h: MIME walk, ARF fields, the Exim
 * plain-text form, dates, digest).
 *
 * Input: one email.  Checks: a refused email has a printable error; an
 * accepted one has a non-empty domain, a 64-digit digest, and bounded,
 * terminated, printable fields.
 */
#include "../../policy/tool/ruf.h"
#include "fuzz.h"

static void check_text(const char *s, size_t max)
{
	FUZZ_CHECK(strnlen(s, max) < max);
	for (; *s; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ruf_t r;
	char err[RUF_ERR_MAX];
	int rc;

	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	rc = ruf_parse((const char *)data, size, 1024 * 1024, &r, err,
	    sizeof(err));
	FUZZ_CHECK(rc >= -1 && rc <= 1);
	if (rc <= 0) {
		check_text(err, sizeof(err));
		return 0;
	}
	FUZZ_CHECK(r.domain[0] != '\0');
	FUZZ_CHECK(strlen(r.digest) == 64);
	check_text(r.domain, sizeof(r.domain));
	check_text(r.reporter, sizeof(r.reporter));
	check_text(r.source_ip, sizeof(r.source_ip));
	check_text(r.auth_failure, sizeof(r.auth_failure));
	check_text(r.delivery_result, sizeof(r.delivery_result));
	check_text(r.identity_alignment, sizeof(r.identity_alignment));
	check_text(r.dkim_domain, sizeof(r.dkim_domain));
	check_text(r.mail_from, sizeof(r.mail_from));
	check_text(r.header_from, sizeof(r.header_from));
	check_text(r.subject, sizeof(r.subject));
	check_text(r.auth_results, sizeof(r.auth_results));
	return 0;
}
