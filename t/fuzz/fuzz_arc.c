/*
 * fuzz_arc - ARC chain validation of a whole message (milter/arc.h):
 * the ARC header sets' tag lists, instance bookkeeping, canonicalization
 * and signature checks, with keys from a fake DNS (fakedns.h).
 *
 * Input: fuzzmsg.h layout (zone with the sealers' key records, "%%",
 * envelope line, message).  Header values get CRLF folding, as for DKIM.
 * Checks: cv is none/pass/fail, at most ARC_MAX_INSTANCES sets, set[i-1]
 * is instance i, a passing chain has sets and cv=none only without
 * sets, oldest_pass within the chain, printable reason and AAR text.
 * FUZZ_VERBOSE in the environment prints each result on stderr.
 */
#include "../../milter/arc.h"
#include "../../util/strbuf.h"
#include "fakedns.h"
#include "fuzz.h"
#include "fuzzmsg.h"

static void on_header(void *ctx, const char *name, const char *value)
{
	arc_verify_t *v = ctx;
	strbuf_t sb;
	const char *p;

	strbuf_init(&sb, 1024 * 1024);
	for (p = value; *p; p++) {
		if (*p == '\n')
			strbuf_putc(&sb, '\r');
		strbuf_putc(&sb, *p);
	}
	if (!sb.truncated)
		arc_verify_header(v, name, strbuf_str(&sb));
	strbuf_free(&sb);
}

static void check_text(const char *s, size_t max)
{
	FUZZ_CHECK(strnlen(s, max) < max);
	for (; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f);
}

static void check_result(const arc_result_t *r)
{
	size_t i;

	FUZZ_CHECK(r->cv == ARC_CV_NONE || r->cv == ARC_CV_PASS ||
	    r->cv == ARC_CV_FAIL);
	FUZZ_CHECK(r->nsets <= ARC_MAX_INSTANCES);
	if (r->cv == ARC_CV_PASS)
		FUZZ_CHECK(r->nsets >= 1 && !r->temperror);
	FUZZ_CHECK(r->oldest_pass <= r->nsets);
	check_text(r->reason, sizeof(r->reason));
	for (i = 0; i < r->nsets; i++) {
		if (r->cv == ARC_CV_PASS)
			FUZZ_CHECK(r->set[i].instance == i + 1);
		check_text(r->set[i].sealer, sizeof(r->set[i].sealer));
		check_text(r->set[i].selector, sizeof(r->set[i].selector));
		check_text(r->set[i].ams_domain, sizeof(r->set[i].ams_domain));
		FUZZ_CHECK(strnlen(r->set[i].aar, sizeof(r->set[i].aar)) <
		    sizeof(r->set[i].aar));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arc_engine_t *engine;
	const arc_result_t *res;
	dns_resolver_t *r;
	arc_verify_t *v;
	fuzz_msg_t m;
	size_t body, off, n;
	char err[256];

	if (engine == NULL) {
		r = dns_resolver_new(NULL, err, sizeof(err));
		engine = arc_engine_new(r, err, sizeof(err));
		FUZZ_CHECK(engine != NULL);
	}
	fuzz_msg_split(data, size, &m);
	fakedns_load(m.zone, m.zonelen);
	v = arc_verify_new(engine);
	FUZZ_CHECK(v != NULL);
	body = fuzz_msg_headers(m.msg, m.msglen, on_header, v);
	arc_verify_eoh(v);
	for (off = body; off < m.msglen; off += n) {
		n = m.msglen - off;
		if (n > 4093)
			n = 4093;
		arc_verify_body(v, m.msg + off, n);
	}
	res = arc_verify_eom(v);
	FUZZ_CHECK(res != NULL);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "cv=%s sets=%zu oldest_pass=%u reason=%s\n",
		    arc_cv_name(res->cv), res->nsets, res->oldest_pass,
		    res->reason);
	check_result(res);
	arc_verify_free(v);
	return 0;
}
