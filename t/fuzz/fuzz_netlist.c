/*
 * fuzz_netlist - CIDR network lists (policy/netlist.h), as in
 * IgnoreNetworks.
 *
 * Input: list text (cut at the first NUL, as a config value would be).
 * Checks: a refused list names its problem in a terminated err; an
 * accepted one has at most NETLIST_MAX entries, formats to text that
 * parses to a list with the same count and the same format, and answers
 * the same for a set of probe addresses (and for the input's own words
 * used as addresses) before and after the round trip.  The same text is
 * also parsed as a TrustedForwarders list (conf/forwarder.h) and
 * matched against the probes.
 */
#include "../../conf/forwarder.h"
#include "../../policy/netlist.h"
#include "../../util/strbuf.h"
#include "fakedns.h"
#include "fuzz.h"

static const char *const probes[] = {
	"127.0.0.1", "192.0.2.1", "0.0.0.0", "255.255.255.255", "10.1.2.3",
	"::1", "::", "2001:db8::1", "::ffff:192.0.2.1", "IPv6:2001:db8::7",
	"fe80::1%eth0", "", "1.2.3", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

/* TrustedForwarders (conf/forwarder.h) takes the same kind of list,
 * plus host names checked by forward-confirmed PTR lookups (against an
 * empty fake DNS zone here: every lookup is NXDOMAIN). */
static void forwarders(const char *text)
{
	char err[256], what[FORWARDER_WHAT_MAX];
	forwarders_t *f;
	dns_resolver_t *r;
	size_t i;

	f = forwarders_parse(text, err, sizeof(err));
	if (f == NULL) {
		FUZZ_CHECK(strnlen(err, sizeof(err)) < sizeof(err));
		return;
	}
	r = dns_resolver_new(NULL, err, sizeof(err));
	fakedns_load("", 0);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		what[0] = '\0';
		if (forwarders_match(f, r, probes[i], what, sizeof(what)))
			FUZZ_CHECK(what[0] != '\0');
		FUZZ_CHECK(strnlen(what, sizeof(what)) < sizeof(what));
	}
	forwarders_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *word, *save = NULL;
	char err[256];
	netlist_t *nl, *nl2;
	strbuf_t sb, sb2;
	size_t i;

	forwarders(text);
	memset(err, 'x', sizeof(err));
	nl = netlist_parse(text, err, sizeof(err));
	if (nl == NULL) {
		FUZZ_CHECK(strnlen(err, sizeof(err)) < sizeof(err));
		free(text);
		return 0;
	}
	FUZZ_CHECK(netlist_count(nl) <= NETLIST_MAX);
	strbuf_init(&sb, 1024 * 1024);
	strbuf_init(&sb2, 1024 * 1024);
	FUZZ_CHECK(netlist_format(nl, &sb) == 0);
	nl2 = netlist_parse(strbuf_str(&sb), err, sizeof(err));
	if (nl2 == NULL) {
		fprintf(stderr, "formatted list refused: %s\n%s\n", err,
		    strbuf_str(&sb));
		FUZZ_CHECK(!"formatted list parses");
	}
	FUZZ_CHECK(netlist_count(nl2) == netlist_count(nl));
	FUZZ_CHECK(netlist_format(nl2, &sb2) == 0);
	FUZZ_CHECK(strcmp(strbuf_str(&sb), strbuf_str(&sb2)) == 0);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		FUZZ_CHECK(netlist_match(nl, probes[i]) ==
		    netlist_match(nl2, probes[i]));
	for (word = strtok_r(text, ", \t\n/", &save); word != NULL;
	    word = strtok_r(NULL, ", \t\n/", &save))
		FUZZ_CHECK(netlist_match(nl, word) == netlist_match(nl2, word));
	netlist_free(nl);
	netlist_free(nl2);
	strbuf_free(&sb);
	strbuf_free(&sb2);
	free(text);
	return 0;
}
