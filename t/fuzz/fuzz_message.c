/*
 * fuzz_message - the daemon's whole per-message path without libmilter:
 * message_new/header/eoh/body/finish (milter/message.h), which run the
 * header-From parser, the forged Authentication-Results check, SPF
 * (libspf2 through milter/spf.c), DKIM (libopendkim through
 * milter/dkim.c), ARC (milter/arc.h), dmarc_evaluate() with policy
 * discovery, the local exceptions (TrustedForwarders with PTR checks,
 * LocalPolicyFile), decide_action() and authres_format(), all against a
 * fake DNS (fakedns.h) that answers
 * from the input's zone.
 *
 * Input: fuzzmsg.h layout.  Checks: the outcome is consistent (an
 * evaluated message has a verdict with known values, a non-evaluated one
 * was refused or accepted by BadFromAction), the Authentication-Results
 * value folds only with LF + TAB and starts with our authserv-id, and
 * the log line is printable ASCII (untrusted bytes must not reach
 * syslog raw).  With FUZZ_VERBOSE set in the environment each outcome
 * (log line and Authentication-Results) is printed on stderr.
 */
#include "../../milter/message.h"
#include "../../milter/authres.h"
#include "fakedns.h"
#include "fuzz.h"
#include "fuzzmsg.h"

#include <unistd.h>

#define FUZZ_AUTHSERV "mx.fuzz.test"

/* Two daemons: tree walk with MultipleFrom strictest (the default
 * runtime), and the PSL with MultipleFrom reject, Enforcement off,
 * TrustedForwarders and a LocalPolicyFile (envelope option "psl"). */
static const char *const fuzz_config[2] = {
    "AuthservID " FUZZ_AUTHSERV "\n"
    "HistoryDB \"\"\n"
    "MaximumSignatures 8\n"
    "MultipleFrom strictest\n",
    "AuthservID " FUZZ_AUTHSERV "\n"
    "HistoryDB \"\"\n"
    "MaximumSignatures 3\n"
    "Enforcement off\n"
    "TempErrorAction tempfail\n"
    "PolicyDiscovery psl\n"
    "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n"
    "TrustedForwarders 198.51.100.0/24, fwd.example, .relay.example\n",
};

static const char fuzz_localpolicy[] =
    "from example.com never-reject\n"
    "from strict.example always-reject\n"
    "rcpt rcpt.test enforcement=quarantine\n"
    "from monitor.example monitor\n";

static runtime_t runtimes[2];
static generation_t *generations[2];
static runtime_t *rt;

static void runtime_init(runtime_t *r, generation_t **gen, const char *conf)
{
	char err[CONFIG_ERR_MAX];
	config_t *cfg;

	cfg = config_load_buffer("fuzz", conf, strlen(conf), err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "fuzz config: %s\n", err);
		abort();
	}
	r->dns = dns_resolver_new(NULL, err, sizeof(err));
	dns_resolver_ops(r->dns, &r->dns_ops);
	r->spf = spf_checker_new(r->dns, err, sizeof(err));
	r->dkim = dkim_engine_new(r->dns, cfg->max_signatures, err,
	    sizeof(err));
	r->arc = arc_engine_new(r->dns, err, sizeof(err));
	FUZZ_CHECK(r->spf != NULL && r->dkim != NULL && r->arc != NULL);
	/* no list installed: tree walk */
	if (cfg->discovery == DISCOVERY_PSL && access(cfg->psl_file, R_OK) < 0)
		cfg->discovery = DISCOVERY_TREEWALK;
	*gen = generation_build(cfg, NULL, err, sizeof(err));
	if (*gen == NULL) {
		fprintf(stderr, "fuzz generation: %s\n", err);
		abort();
	}
}

static void load_localpolicy(generation_t *gen)
{
	char err[CONFIG_ERR_MAX];
	localpolicy_t *lp;

	lp = localpolicy_parse("fuzz-localpolicy", fuzz_localpolicy,
	    sizeof(fuzz_localpolicy) - 1, err, sizeof(err));
	if (lp == NULL) {
		fprintf(stderr, "fuzz local policy: %s\n", err);
		abort();
	}
	gen->localpolicy = lp;      /* before any message: still private */
}

static void on_header(void *ctx, const char *name, const char *value)
{
	message_header(ctx, name, value, true);
}

static void check_outcome(const message_t *m, const outcome_t *out)
{
	const char *s = strbuf_str(&out->authres);
	char id[256];
	size_t i;

	FUZZ_CHECK(out->decision.action >= ACTION_ACCEPT &&
	    out->decision.action <= ACTION_TEMPFAIL);
	if (out->evaluated) {
		FUZZ_CHECK(out->verdict.result <= DMARC_RESULT_PERMERROR);
		FUZZ_CHECK(out->verdict.applied <= DMARC_POLICY_REJECT);
		FUZZ_CHECK(out->verdict.noverrides <= EVAL_MAX_OVERRIDES);
		FUZZ_CHECK(m->from.ndomains >= 1);
	} else {
		FUZZ_CHECK(out->decision.action == ACTION_REJECT ||
		    out->decision.action == ACTION_ACCEPT);
	}
	FUZZ_CHECK(!out->authres.truncated);
	for (i = 0; i < out->authres.len; i++) {
		FUZZ_CHECK(s[i] != '\r' && s[i] != '\0');
		if (s[i] == '\n')
			FUZZ_CHECK(s[i + 1] == '\t');
	}
	FUZZ_CHECK(authres_authserv_id(s, out->authres.len, id,
	    sizeof(id)) == 0 && strcmp(id, FUZZ_AUTHSERV) == 0);
	s = strbuf_str(&out->logline);
	for (i = 0; i < out->logline.len; i++) {
		if (s[i] < 0x20 || s[i] >= 0x7f) {
			fprintf(stderr, "log line: %s\n", s);
			FUZZ_CHECK(!"log line is printable ASCII");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static outcome_t out;
	connection_t conn;
	message_t *m;
	fuzz_msg_t fm;
	size_t body, off, n;

	int which;

	if (generations[0] == NULL) {
		runtime_init(&runtimes[0], &generations[0], fuzz_config[0]);
		runtime_init(&runtimes[1], &generations[1], fuzz_config[1]);
		load_localpolicy(generations[1]);
	}
	fuzz_msg_split(data, size, &fm);
	which = strcmp(fm.options, "psl") == 0;
	rt = &runtimes[which];
	fakedns_load(fm.zone, fm.zonelen);
	memset(&conn, 0, sizeof(conn));
	str_copy(conn.client_ip, sizeof(conn.client_ip), fm.ip);
	str_copy(conn.helo, sizeof(conn.helo), fm.helo);
	str_copy(conn.client_host, sizeof(conn.client_host), "client.test");
	m = message_new(rt, generation_retain(generations[which]), "FUZZQID");
	FUZZ_CHECK(m != NULL);
	message_mailfrom(m, fm.mailfrom);
	message_rcpt(m, "<postmaster@rcpt.test>", true);
	body = fuzz_msg_headers(fm.msg, fm.msglen, on_header, m);
	message_eoh(m);
	for (off = body; off < fm.msglen; off += n) {
		n = fm.msglen - off;
		if (n > 65535)
			n = 65535;
		message_body(m, fm.msg + off, n);
	}
	message_finish(rt, &conn, m, &out);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s\nAuthentication-Results: %s\n",
		    strbuf_str(&out.logline), strbuf_str(&out.authres));
	check_outcome(m, &out);
	outcome_free(&out);
	message_free(m);
	return 0;
}
