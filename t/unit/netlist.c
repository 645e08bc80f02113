/* Unit tests for policy/netlist: table-driven match and parse cases. */
#include "../../policy/netlist.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <stdlib.h>

struct match_case {
	const char *list;
	const char *addr;
	bool want;
};

static const struct match_case match_cases[] = {
	{ "127.0.0.0/8, ::1/128", "127.0.0.1", true },
	{ "127.0.0.0/8, ::1/128", "127.255.255.255", true },
	{ "127.0.0.0/8, ::1/128", "128.0.0.1", false },
	{ "127.0.0.0/8, ::1/128", "126.255.255.255", false },
	{ "127.0.0.0/8, ::1/128", "::1", true },
	{ "127.0.0.0/8, ::1/128", "::2", false },
	{ "127.0.0.0/8, ::1/128", "::ffff:127.0.0.1", true },
	{ "127.0.0.0/8, ::1/128", "IPv6:::1", true },
	{ "192.0.2.0/24", "192.0.2.0", true },
	{ "192.0.2.0/24", "192.0.2.255", true },
	{ "192.0.2.0/24", "192.0.3.0", false },
	{ "192.0.2.0/25", "192.0.2.127", true },
	{ "192.0.2.0/25", "192.0.2.128", false },
	{ "192.0.2.128/25", "192.0.2.128", true },
	{ "192.0.2.128/25", "192.0.2.127", false },
	{ "10.0.0.0/9", "10.127.255.255", true },
	{ "10.0.0.0/9", "10.128.0.0", false },
	{ "192.0.2.7", "192.0.2.7", true },
	{ "192.0.2.7", "192.0.2.6", false },
	{ "192.0.2.7/32", "192.0.2.7", true },
	{ "192.0.2.7/32", "192.0.2.8", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::ffff:203.0.113.9", true },
	{ "0.0.0.0/0", "2001:db8::1", false },
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "::", true },
	{ "::/0", "192.0.2.1", false },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "2001:db8::1/128", "2001:db8::1", true },
	{ "2001:db8::1/128", "2001:db8::2", false },
	{ "2001:db8::1", "2001:0db8:0000::0001", true },
	{ "::ffff:192.0.2.0/120", "192.0.2.99", true },
	{ "::ffff:192.0.2.0/120", "::ffff:192.0.2.99", true },
	{ "::ffff:192.0.2.0/120", "192.0.3.99", false },
	{ "192.0.2.1", "::ffff:192.0.2.1", true },
	{ "192.0.2.1", "::192.0.2.1", false },          /* compat, not mapped */
	{ "192.0.2.1", "64:ff9b::192.0.2.1", false },   /* NAT64 is not v4 */
	{ "10.0.0.0/8 192.168.0.0/16,\t172.16.0.0/12", "172.31.1.1", true },
	{ "10.0.0.0/8 192.168.0.0/16,\t172.16.0.0/12", "172.32.1.1", false },
	{ ",,, 10.0.0.0/8 ,,", "10.1.2.3", true },
	{ "", "127.0.0.1", false },
	{ "", "::1", false },
	/* hostile or malformed addresses never match */
	{ "0.0.0.0/0, ::/0", "", false },
	{ "0.0.0.0/0, ::/0", "garbage", false },
	{ "0.0.0.0/0, ::/0", "192.0.2.1 ", false },
	{ "0.0.0.0/0, ::/0", "192.0.2", false },
	{ "0.0.0.0/0, ::/0", "192.0.2.256", false },
	{ "0.0.0.0/0, ::/0", "192.0.2.1/32", false },
	{ "0.0.0.0/0, ::/0", "[192.0.2.1]", false },
	{ "0.0.0.0/0, ::/0", "fe80::1%eth0", false },
	{ "0.0.0.0/0, ::/0", "1:2:3:4:5:6:7:8:9", false },
};

struct parse_case {
	const char *text;
	long count;             /* -1: must fail */
	const char *err;        /* expected error, or NULL */
};

static const struct parse_case parse_cases[] = {
	{ "", 0, NULL },
	{ " ,\t, ", 0, NULL },
	{ "127.0.0.0/8, ::1/128", 2, NULL },
	{ "0.0.0.0/0", 1, NULL },
	{ "::/0", 1, NULL },
	{ "255.255.255.255/32", 1, NULL },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 1, NULL },
	{ "10.0.0.0/33", -1, "bad prefix length in '10.0.0.0/33' (0..32)" },
	{ "::/129", -1, "bad prefix length in '::/129' (0..128)" },
	{ "10.0.0.0/", -1, "bad prefix length in '10.0.0.0/' (0..32)" },
	{ "10.0.0.0/-1", -1, "bad prefix length in '10.0.0.0/-1' (0..32)" },
	{ "10.0.0.0/+8", -1, "bad prefix length in '10.0.0.0/+8' (0..32)" },
	{ "10.0.0.0/0008", -1, "bad prefix length in '10.0.0.0/0008' (0..32)" },
	{ "10.0.0.0/8/8", -1, "bad prefix length in '10.0.0.0/8/8' (0..32)" },
	{ "10.0.0.0/0x8", -1, "bad prefix length in '10.0.0.0/0x8' (0..32)" },
	{ "10.0.0.1/8", -1, "host bits set beyond the prefix in '10.0.0.1/8'" },
	{ "192.0.2.1/0", -1,
	    "host bits set beyond the prefix in '192.0.2.1/0'" },
	{ "2001:db8::1/64", -1,
	    "host bits set beyond the prefix in '2001:db8::1/64'" },
	{ "10.0.0", -1, "bad network address '10.0.0'" },
	{ "10.0.0.256", -1, "bad network address '10.0.0.256'" },
	{ "localhost", -1, "bad network address 'localhost'" },
	{ "/8", -1, "bad network address '/8'" },
	{ "10.0.0.0/8;", -1, "bad prefix length in '10.0.0.0/8;' (0..32)" },
	{ "fe80::1%eth0", -1, "bad network address 'fe80::1%eth0'" },
	{ "::1:::", -1, "bad network address '::1:::'" },
	{ "10.0.0.0/8 bogus\x01", -1, "bad network address 'bogus?'" },
	{ "0x7f.0.0.1", -1, "bad network address '0x7f.0.0.1'" },
	{ "127.1", -1, "bad network address '127.1'" },
};

static void test_match_table(void)
{
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		netlist_t *nl = netlist_parse(c->list, err, sizeof(err));

		if (!ok(nl != NULL, "parse '%s'", c->list)) {
			diag("error: %s", err);
			continue;
		}
		is_int(netlist_match(nl, c->addr), c->want, "'%s' %s '%s'",
		    c->addr, c->want ? "in" : "not in", c->list);
		netlist_free(nl);
	}
}

static void test_parse_table(void)
{
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		netlist_t *nl;

		err[0] = '\0';
		nl = netlist_parse(c->text, err, sizeof(err));
		if (c->count < 0) {
			ok(nl == NULL, "parse '%s' fails", c->text);
			is_str(err, c->err, "error for '%s'", c->text);
		} else if (ok(nl != NULL, "parse '%s'", c->text)) {
			is_int(netlist_count(nl), c->count, "count of '%s'",
			    c->text);
		} else {
			diag("error: %s", err);
		}
		netlist_free(nl);
	}
}

static void test_limits(void)
{
	strbuf_t sb;
	char err[256];
	netlist_t *nl;
	int i;

	strbuf_init(&sb, 64 * 1024);
	for (i = 0; i < NETLIST_MAX; i++)
		strbuf_appendf(&sb, "10.%d.%d.0/24 ", i / 256, i % 256);
	nl = netlist_parse(strbuf_str(&sb), err, sizeof(err));
	ok(nl != NULL, "NETLIST_MAX entries accepted");
	is_int(netlist_count(nl), NETLIST_MAX, "count is NETLIST_MAX");
	ok(netlist_match(nl, "10.3.255.77"), "last entry matches");
	ok(!netlist_match(nl, "10.4.0.1"), "beyond the entries no match");
	netlist_free(nl);
	strbuf_puts(&sb, "192.0.2.0/24");
	nl = netlist_parse(strbuf_str(&sb), err, sizeof(err));
	ok(nl == NULL, "NETLIST_MAX + 1 entries refused");
	is_str(err, "too many networks (more than 1024)", "too many error");
	strbuf_free(&sb);

	strbuf_init(&sb, 1024);
	for (i = 0; i < NETLIST_ENTRY_MAX + 10; i++)
		strbuf_putc(&sb, '1');
	nl = netlist_parse(strbuf_str(&sb), err, sizeof(err));
	ok(nl == NULL, "over-long entry refused");
	ok(strncmp(err, "network entry too long: '111", 28) == 0,
	    "over-long entry error: %s", err);
	strbuf_free(&sb);

	nl = netlist_parse(NULL, err, sizeof(err));
	ok(nl != NULL && netlist_count(nl) == 0, "NULL text is an empty list");
	netlist_free(nl);
	ok(!netlist_match(NULL, "127.0.0.1"), "NULL list matches nothing");
	is_int(netlist_count(NULL), 0, "NULL list count 0");
	netlist_free(NULL);

	nl = netlist_parse("10.0.0.0/8", err, 4);
	ok(nl != NULL, "tiny err buffer fine on success");
	netlist_free(nl);
	nl = netlist_parse("10.0.0.1/8", err, 4);
	ok(nl == NULL && strlen(err) == 3, "tiny err buffer truncated");
}

static void test_format(void)
{
	static const char *const in =
	    "127.0.0.0/8 ::1 2001:0DB8:0::/32, ::ffff:192.0.2.0/120 0.0.0.0/0";
	static const char *const want =
	    "127.0.0.0/8, ::1/128, 2001:db8::/32, 192.0.2.0/24, 0.0.0.0/0";
	strbuf_t sb, sb2;
	char err[256];
	netlist_t *nl, *nl2;

	strbuf_init(&sb, 4096);
	strbuf_init(&sb2, 4096);
	nl = netlist_parse(in, err, sizeof(err));
	is_int(netlist_format(nl, &sb), 0, "format ok");
	is_str(strbuf_str(&sb), want, "canonical form");
	nl2 = netlist_parse(strbuf_str(&sb), err, sizeof(err));
	netlist_format(nl2, &sb2);
	is_str(strbuf_str(&sb2), want, "canonical form round-trips");
	netlist_free(nl);
	netlist_free(nl2);
	strbuf_reset(&sb);
	is_int(netlist_format(NULL, &sb), 0, "format NULL list");
	is_str(strbuf_str(&sb), "", "NULL list formats as empty");
	strbuf_free(&sb);
	strbuf_free(&sb2);

	strbuf_init(&sb, 8);
	nl = netlist_parse("192.0.2.0/24", err, sizeof(err));
	is_int(netlist_format(nl, &sb), -1, "format reports truncation");
	netlist_free(nl);
	strbuf_free(&sb);
}

int main(void)
{
	test_match_table();
	test_parse_table();
	test_limits();
	test_format();
	return tap_done();
}
