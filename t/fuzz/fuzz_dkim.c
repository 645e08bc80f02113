/*
 * fuzz_dkim - DKIM verification of a whole message (milter/dkim.h) with
 * keys from a fake DNS (fakedns.h); libopendkim parses the
 * DKIM-Signature tag lists and the key records, dkim.c maps results.
 *
 * Input: fuzzmsg.h layout (zone with the key records, "%%", envelope
 * line, message).  Header values get CRLF folding, as message.c gives
 * them.  Checks: every signature result has a known value, printable
 * terminated d=/s=/reason, count within EVAL_MAX_DKIM.
 */
#include "../../milter/dkim.h"
#include "../../util/strbuf.h"
#include "fakedns.h"
#include "fuzz.h"
#include "fuzzmsg.h"

#define FUZZ_MAX_SIGS 8

static void on_header(void *ctx, const char *name, const char *value)
{
	dkim_verify_t *v = ctx;
	strbuf_t sb;
	const char *p;

	strbuf_init(&sb, 1024 * 1024);
	for (p = value; *p; p++) {
		if (*p == '\n')
			strbuf_putc(&sb, '\r');
		strbuf_putc(&sb, *p);
	}
	if (!sb.truncated)
		dkim_verify_header(v, name, strbuf_str(&sb));
	strbuf_free(&sb);
}

static void check_text(const char *s, size_t max)
{
	FUZZ_CHECK(strnlen(s, max) < max);
	for (; *s; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f);
}

static void check_results(const dkim_results_t *r)
{
	size_t i;

	FUZZ_CHECK(r->count <= EVAL_MAX_DKIM);
	for (i = 0; i < r->count; i++) {
		const dkim_sig_result_t *s = &r->sig[i];

		FUZZ_CHECK(s->result >= AUTH_NONE &&
		    s->result <= AUTH_PERMERROR);
		check_text(s->domain, sizeof(s->domain));
		check_text(s->selector, sizeof(s->selector));
		check_text(s->reason, sizeof(s->reason));
		check_text(s->algorithm, sizeof(s->algorithm));
		check_text(s->identity, sizeof(s->identity));
		FUZZ_CHECK(strnlen(s->bhash8, sizeof(s->bhash8)) <
		    sizeof(s->bhash8));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dkim_engine_t *engine;
	static dkim_results_t res;
	dns_resolver_t *r;
	dkim_verify_t *v;
	fuzz_msg_t m;
	size_t body, off, n;
	char err[256];

	if (engine == NULL) {
		r = dns_resolver_new(NULL, err, sizeof(err));
		engine = dkim_engine_new(r, FUZZ_MAX_SIGS, err, sizeof(err));
		FUZZ_CHECK(engine != NULL);
	}
	fuzz_msg_split(data, size, &m);
	fakedns_load(m.zone, m.zonelen);
	v = dkim_verify_new(engine, "FUZZQID");
	FUZZ_CHECK(v != NULL);
	body = fuzz_msg_headers(m.msg, m.msglen, on_header, v);
	dkim_verify_eoh(v);
	/* Uneven chunks, as an MTA's 64 KB body packets would cut it. */
	for (off = body; off < m.msglen; off += n) {
		n = m.msglen - off;
		if (n > 4093)
			n = 4093;
		dkim_verify_body(v, m.msg + off, n);
	}
	memset(&res, 0x5a, sizeof(res));
	dkim_verify_eom(v, &res);
	check_results(&res);
	dkim_verify_free(v);
	return 0;
}
