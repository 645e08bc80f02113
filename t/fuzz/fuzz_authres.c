/*
 * fuzz_authres - Authentication-Results authserv-id extraction and our
 * header's formatting (milter/authres.h).
 *
 * Input: a header field body for authres_authserv_id() (no terminator).
 * The same bytes, cut at NUL bytes into pieces, fill the fields of an
 * authres_input_t (authserv-id, SPF domain and reason, DKIM d=, s=, b=
 * and reason, header.from, DMARC reason) for authres_format().  Checks:
 * an extracted id is non-empty, terminated and fits; the formatted value
 * has no NUL or CR, folds only with LF + TAB, and gives back our
 * authserv-id when it is printable ASCII.
 */
#include "../../milter/authres.h"
#include "fuzz.h"

#define PIECES 9

static void check_id(const uint8_t *data, size_t size)
{
	char id[64];
	int rc;

	memset(id, 'x', sizeof(id));
	rc = authres_authserv_id((const char *)data, size, id, sizeof(id));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		FUZZ_CHECK(id[0] != '\0' && strnlen(id, sizeof(id)) < sizeof(id));
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return false;
	return true;
}

static void check_format(const char *piece[PIECES])
{
	static dkim_results_t dkim;
	static verdict_t v;
	spf_outcome_t spf;
	authres_input_t in;
	strbuf_t sb;
	const char *s;
	char id[AUTHRES_MAX];

	memset(&spf, 0, sizeof(spf));
	memset(&dkim, 0, sizeof(dkim));
	memset(&v, 0, sizeof(v));
	spf.result = (auth_result_t)(strlen(piece[1]) % 8);
	spf.scope = strlen(piece[2]) % 2 ? SPF_SCOPE_HELO : SPF_SCOPE_MFROM;
	str_copy(spf.domain, sizeof(spf.domain), piece[1]);
	str_copy(spf.reason, sizeof(spf.reason), piece[2]);
	dkim.count = strlen(piece[3]) % 3;
	for (size_t i = 0; i < dkim.count; i++) {
		dkim.sig[i].result = (auth_result_t)((i + strlen(piece[6])) % 8);
		str_copy(dkim.sig[i].domain, FROM_DOMAIN_MAX, piece[3]);
		str_copy(dkim.sig[i].selector, SELECTOR_MAX, piece[4]);
		str_copy(dkim.sig[i].bhash8, sizeof(dkim.sig[i].bhash8),
		    piece[5]);
		str_copy(dkim.sig[i].reason, DKIM_REASON_MAX, piece[6]);
	}
	str_copy(v.from_domain, sizeof(v.from_domain), piece[7]);
	str_copy(v.reason, sizeof(v.reason), piece[8]);
	v.result = (dmarc_result_t)(strlen(piece[8]) % 5);
	v.policy.status = strlen(piece[7]) % 2 ? POLICY_FOUND : POLICY_NONE;
	v.policy.rec.p = v.policy.rec.sp = DMARC_POLICY_REJECT;
	v.noverrides = strlen(piece[7]) % 3 == 0;
	memset(&in, 0, sizeof(in));
	in.authserv_id = piece[0];
	in.spf = &spf;
	in.mailfrom_local = piece[2];
	in.dkim = &dkim;
	in.verdict = strlen(piece[0]) % 2 ? &v : NULL;
	strbuf_init(&sb, AUTHRES_MAX);
	authres_format(&in, &sb);
	s = strbuf_str(&sb);
	FUZZ_CHECK(strlen(s) == sb.len);
	for (size_t i = 0; i < sb.len; i++) {
		FUZZ_CHECK(s[i] != '\r');
		if (s[i] == '\n')
			FUZZ_CHECK(s[i + 1] == '\t');
	}
	if (!sb.truncated && piece[0][0] != '\0' && printable_ascii(piece[0])) {
		FUZZ_CHECK(authres_authserv_id(s, sb.len, id, sizeof(id)) == 0);
		FUZZ_CHECK(strcmp(id, piece[0]) == 0);
	}
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_cstr(data, size), *p = copy;
	const char *piece[PIECES];
	size_t i;

	check_id(data, size);
	for (i = 0; i < PIECES; i++) {
		piece[i] = p;
		if (p < copy + size)
			p += strlen(p) + 1;
		if (p > copy + size)
			p = copy + size;
	}
	check_format(piece);
	free(copy);
	return 0;
}
