/* Unit tests for conf/forwarder: TrustedForwarders parsing, reverse
 * names, PTR RDATA decoding and network matches (verified PTR matching
 * against real DNS is in t/integration/exceptions.t). */
#include <string.h>

#include "../../conf/forwarder.h"
#include "../tap.h"

static void test_parse(void)
{
	char err[256], what[FORWARDER_WHAT_MAX];
	forwarders_t *f;

	f = forwarders_parse("192.0.2.0/24, 2001:db8::/32 fwd.example\t"
	    ".relay.example,198.51.100.7", err, sizeof(err));
	if (!ok(f != NULL, "mixed list parses"))
		diag("%s", err);
	ok(!forwarders_empty(f), "not empty");
	ok(forwarders_match(f, NULL, "192.0.2.99", what, sizeof(what)),
	    "IPv4 network");
	is_str(what, "network (client 192.0.2.99)", "what for a network");
	ok(forwarders_match(f, NULL, "198.51.100.7", what, sizeof(what)),
	    "bare address");
	ok(forwarders_match(f, NULL, "2001:db8::25", what, sizeof(what)),
	    "IPv6 network");
	ok(!forwarders_match(f, NULL, "203.0.113.1", what, sizeof(what)),
	    "other address, no resolver: no match");
	is_str(what, "", "what empty without a match");
	ok(!forwarders_match(f, NULL, "", what, sizeof(what)), "no address");
	forwarders_free(f);
	f = forwarders_parse("", err, sizeof(err));
	ok(f != NULL && forwarders_empty(f), "empty list");
	ok(!forwarders_match(f, NULL, "192.0.2.1", what, sizeof(what)),
	    "empty list matches nothing");
	forwarders_free(f);
	f = forwarders_parse("192.0.2.1/24", err, sizeof(err));
	ok(f == NULL, "host bits refused: %s", err);
	f = forwarders_parse("fwd..example", err, sizeof(err));
	ok(f == NULL, "bad host refused: %s", err);
	f = forwarders_parse(".", err, sizeof(err));
	ok(f == NULL, "lone dot refused: %s", err);
	f = forwarders_parse("123mail.example", err, sizeof(err));
	ok(f != NULL, "host name starting with a digit is a host");
	forwarders_free(f);
	forwarders_free(NULL);
}

static void test_names(void)
{
	static const unsigned char wire[] = "\3fwd\7example\0";
	static const unsigned char ptr[] = "\3fwd\300\14";
	static const unsigned char dot[] = "\3f.d\7example\0";
	static const unsigned char cut[] = "\3fwd\7exam";
	char out[256];

	ok(forwarders_ptr_name("192.0.2.7", out, sizeof(out)) == 0, "v4 name");
	is_str(out, "7.2.0.192.in-addr.arpa", "in-addr.arpa name");
	ok(forwarders_ptr_name("::ffff:192.0.2.7", out, sizeof(out)) == 0,
	    "mapped v4 name");
	is_str(out, "7.2.0.192.in-addr.arpa", "mapped address reverses as v4");
	ok(forwarders_ptr_name("2001:db8::1", out, sizeof(out)) == 0,
	    "v6 name");
	is_str(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0."
	    "1.0.0.2.ip6.arpa", "ip6.arpa name");
	ok(forwarders_ptr_name("not-an-ip", out, sizeof(out)) < 0,
	    "bad address");
	ok(forwarders_ptr_name("2001:db8::1", out, 20) < 0, "bounded output");
	ok(forwarders_wire_name(wire, sizeof(wire) - 1, out, sizeof(out)) == 0,
	    "wire name");
	is_str(out, "fwd.example", "wire name text");
	ok(forwarders_wire_name(ptr, sizeof(ptr) - 1, out, sizeof(out)) < 0,
	    "compression pointer refused");
	ok(forwarders_wire_name(dot, sizeof(dot) - 1, out, sizeof(out)) < 0,
	    "dot inside a label refused");
	ok(forwarders_wire_name(cut, sizeof(cut) - 1, out, sizeof(out)) < 0,
	    "truncated name refused");
	ok(forwarders_wire_name((const unsigned char *)"", 1, out,
	    sizeof(out)) < 0, "root name refused");
}

int main(void)
{
	test_parse();
	test_names();
	return tap_done();
}
