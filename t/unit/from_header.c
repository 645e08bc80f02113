/*
 * Unit tests for policy/from_header.
 *
 * Golden files t/data/from_header/from.in (one field body per line) and
 * from.ref ("<same line> => <result>") are compared line by line; lines
 * that are empty or start with "#" are skipped in both.  Escapes in
 * from.in: \r \n \t \0 \s (space) \\ \xNN.  Each case is parsed from an
 * exact-size heap copy, so a read past len shows under ASan.  Set
 * FROM_HEADER_REGEN=file to write the current results in .ref form (to
 * review by hand, never to accept blindly).  Then come table tests for
 * domain_normalize(), limit tests and a deterministic mutation fuzz.
 */
#include "../../policy/from_header.h"
#include "../../util/strbuf.h"
#include "../golden.h"
#include "../tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse len bytes from an exact-size copy; describe the result. */
static int run_case(const char *bytes, size_t len, from_result_t *fr,
	strbuf_t *res)
{
	char *copy = malloc(len ? len : 1);
	int rc;
	size_t i;

	memcpy(copy, bytes, len);
	rc = from_header_parse(copy, len, fr);
	free(copy);
	strbuf_reset(res);
	if (rc < 0) {
		strbuf_appendf(res, "error: %s", fr->reason);
		return rc;
	}
	strbuf_appendf(res, "ok n=%zu", fr->nmailboxes);
	for (i = 0; i < fr->ndomains; i++)
		strbuf_appendf(res, " %s", fr->domain[i]);
	return rc;
}

/* Properties every result must have, whatever the input. */
static int result_sane(int rc, const from_result_t *fr)
{
	char again[FROM_DOMAIN_MAX];
	size_t i, j;

	if (rc < 0) {
		if (fr->reason[0] == '\0' || fr->ndomains != 0)
			return 0;
		for (i = 0; fr->reason[i]; i++)
			if ((unsigned char)fr->reason[i] < 0x20
			    || (unsigned char)fr->reason[i] >= 0x7f)
				return 0;
		return 1;
	}
	if (rc < 1 || (size_t)rc != fr->ndomains
	    || fr->ndomains > fr->nmailboxes
	    || fr->nmailboxes > FROM_MAX_DOMAINS)
		return 0;
	for (i = 0; i < fr->ndomains; i++) {
		if (domain_normalize(fr->domain[i], strlen(fr->domain[i]),
		    again, sizeof(again)) < 0
		    || strcmp(again, fr->domain[i]) != 0)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(fr->domain[i], fr->domain[j]) == 0)
				return 0;
	}
	return 1;
}

/* Next line that is not empty and not a comment; NULL at EOF. */
static char *next_line(FILE *fp, char **buf, size_t *cap)
{
	ssize_t n;

	while ((n = getline(buf, cap, fp)) >= 0) {
		while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
			(*buf)[--n] = '\0';
		if (n > 0 && (*buf)[0] != '#')
			return *buf;
	}
	return NULL;
}

static void golden(const char *dir)
{
	char path[512], *in = NULL, *ref = NULL, *raw;
	size_t incap = 0, refcap = 0, len, ncase = 0;
	FILE *fin, *fref, *regen = NULL;
	from_result_t fr;
	strbuf_t res, line;
	int rc;

	str_format(path, sizeof(path), "%s/from.in", dir);
	fin = fopen(path, "r");
	str_format(path, sizeof(path), "%s/from.ref", dir);
	fref = fopen(path, "r");
	if (!ok(fin && fref, "open golden files in %s", dir))
		return;
	if (getenv("FROM_HEADER_REGEN"))
		regen = fopen(getenv("FROM_HEADER_REGEN"), "w");
	strbuf_init(&res, 1 << 20);
	strbuf_init(&line, 1 << 20);
	while (next_line(fin, &in, &incap) != NULL) {
		ncase++;
		raw = malloc(strlen(in) + 1);
		len = golden_unescape(in, raw, strlen(in));
		rc = run_case(raw, len, &fr, &res);
		free(raw);
		ok(result_sane(rc, &fr), "case %zu result is consistent", ncase);
		if (regen)
			fprintf(regen, "%s => %s\n", in, strbuf_str(&res));
		strbuf_reset(&line);
		strbuf_appendf(&line, "%s => %s", in, strbuf_str(&res));
		if (next_line(fref, &ref, &refcap) == NULL)
			ref = NULL;
		is_str(strbuf_str(&line), ref ? ref : "(missing from from.ref)",
		    "golden case %zu", ncase);
	}
	ok(next_line(fref, &ref, &refcap) == NULL, "from.ref has no extra "
	    "lines");
	ok(ncase >= 80, "at least 80 golden cases (%zu)", ncase);
	if (regen)
		fclose(regen);
	fclose(fin);
	fclose(fref);
	free(in);
	free(ref);
	strbuf_free(&res);
	strbuf_free(&line);
}

static void domain_table(void)
{
	static const struct {
		const char *in;
		const char *want;	/* NULL: must fail */
	} t[] = {
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"example.com..", NULL},
		{".", NULL},
		{"", NULL},
		{".example.com", NULL},
		{"a..b", NULL},
		{"-foo.com", NULL},
		{"foo-.com", NULL},
		{"f-o-o.com", "f-o-o.com"},
		{"_dmarc.example.com", "_dmarc.example.com"},
		{"ex ample.com", NULL},
		{"ex\tample.com", NULL},
		{"exa\x7fmple.com", NULL},
		{"b\xc3\xbc" "cher.de", "xn--bcher-kva.de"},
		{"B\xc3\x9c" "CHER.DE", "xn--bcher-kva.de"},
		{"xn--bcher-kva.DE", "xn--bcher-kva.de"},
		{"m\xc3\xbcnchen\xe3\x80\x82" "de", "xn--mnchen-3ya.de"},
		{"b\xc3\xbc" "cher.de\xe3\x80\x82", "xn--bcher-kva.de"},
		{"b\xc3\xbc" "cher.de\xe3\x80\x82.", NULL},
		{"\xff" "bad.com", NULL},
		{"\xc0\xaf" ".com", NULL},	/* overlong "/" */
		{"\xed\xa0\x80" ".com", NULL},	/* surrogate */
		{"\xe2\x98\x83" ".net", NULL},	/* snowman: IDNA2008 DISALLOWED */
		{"192.0.2.1", NULL},
		{"example.123", NULL},
		{"123.example", "123.example"},
		{"localhost", "localhost"},
		{"[192.0.2.1]", NULL},
		{"a_b-c.example", "a_b-c.example"},
		{"a@b.example", NULL},
	};
	char out[FROM_DOMAIN_MAX], reason[128], small[8];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = domain_normalize_reason(t[i].in, strlen(t[i].in), out,
		    sizeof(out), reason, sizeof(reason));
		if (t[i].want)
			is_str(rc == 0 ? out : reason, t[i].want,
			    "domain_normalize case %zu", i);
		else if (!ok(rc == -1 && reason[0] && out[0] == '\0',
		    "domain_normalize case %zu rejected", i))
			diag("got '%s'", out);
	}
	is_int(domain_normalize("a\0b.com", 7, out, sizeof(out)), -1,
	    "NUL inside domain rejected");
	is_int(domain_normalize("example.comXXX", 11, out, sizeof(out)), 0,
	    "domain_normalize honours len");
	is_str(out, "example.com", "domain_normalize honours len (value)");
	is_int(domain_normalize("example.com", 11, small, sizeof(small)), -1,
	    "domain_normalize refuses a too small buffer");
	is_int(domain_normalize(NULL, 3, out, sizeof(out)), -1, "NULL input");
}

/* Builds "<repeat n times>" strings for the length tests. */
static char *repeat(const char *pre, const char *unit, size_t n,
	const char *post)
{
	strbuf_t sb;
	size_t i;

	strbuf_init(&sb, 1 << 22);
	strbuf_puts(&sb, pre);
	for (i = 0; i < n; i++)
		strbuf_puts(&sb, unit);
	strbuf_puts(&sb, post);
	return strbuf_steal(&sb);
}

static void check(const char *s, const char *want, const char *name)
{
	from_result_t fr;
	strbuf_t res;
	int rc;

	strbuf_init(&res, 1 << 20);
	rc = run_case(s, strlen(s), &fr, &res);
	ok(result_sane(rc, &fr), "%s: consistent", name);
	is_str(strbuf_str(&res), want, "%s", name);
	strbuf_free(&res);
}

static void limits_domain(void)
{
	char *s, label63[64], want[400];

	memset(label63, 'a', 63);
	label63[63] = '\0';
	s = repeat("u@", "a", 63, ".example");
	check(s, "ok n=1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	    "63-octet label");
	free(s);
	s = repeat("u@", "a", 64, ".example");
	check(s, "error: invalid domain at offset 2: label longer than 63 "
	    "octets", "64-octet label");
	free(s);
	/* Three 63-octet labels with their dots (192 octets), then
	 * 57 + 4 octets ("b...b.com") make 253; one more "b" makes 254. */
	{
		char *a3 = repeat("", label63, 1, ".");
		char *d253 = repeat("u@", a3, 3, "");
		char *d254 = repeat("u@", a3, 3, "b");
		char *tmp;

		tmp = repeat(d253, "b", 57, ".com");
		is_int(strlen(tmp + 2), 253, "253-octet domain built");
		str_format(want, sizeof(want), "ok n=1 %s", tmp + 2);
		check(tmp, want, "253-octet domain");
		free(tmp);
		tmp = repeat(d254, "b", 57, ".com");
		is_int(strlen(tmp + 2), 254, "254-octet domain built");
		check(tmp, "error: invalid domain at offset 2: domain longer "
		    "than 253 octets", "254-octet domain");
		free(tmp);
		free(a3);
		free(d253);
		free(d254);
	}
}

static void limits_input(void)
{
	from_result_t fr;
	char *s;

	s = repeat("a@b.example", " ", FROM_MAX_INPUT - 11, "");
	check(s, "ok n=1 b.example", "exactly FROM_MAX_INPUT bytes");
	free(s);
	s = repeat("a@b.example", " ", FROM_MAX_INPUT - 10, "");
	check(s, "error: too long: 16385 bytes (limit 16384)",
	    "FROM_MAX_INPUT + 1 bytes");
	free(s);
	s = repeat("", ",", 5000, "a@b.example,,,");
	check(s, "ok n=1 b.example", "5000 commas (obsolete empty elements)");
	free(s);
	s = repeat("", ",", 5000, "");
	check(s, "error: no mailbox in From field", "only commas");
	free(s);
	{
		char *open = repeat("", "(", FROM_MAX_COMMENT_DEPTH, "");
		char *close = repeat(open, ")", FROM_MAX_COMMENT_DEPTH,
		    " a@b.example");

		check(close, "ok n=1 b.example", "comments nested to the limit");
		free(open);
		free(close);
	}
	s = repeat("", "(", FROM_MAX_COMMENT_DEPTH + 1, "");
	check(s, "error: comments nested deeper than 32 at offset 32",
	    "comments nested past the limit");
	free(s);
	s = repeat("a@b.example ", "(", 10000, "");
	check(s, "error: comments nested deeper than 32 at offset 44",
	    "10000 open parentheses");
	free(s);
	s = repeat("", "a@b.example, ", FROM_MAX_DOMAINS, "");
	check(s, "ok n=16 b.example", "FROM_MAX_DOMAINS mailboxes");
	free(s);
	s = repeat("", "a@b.example, ", FROM_MAX_DOMAINS + 1, "");
	check(s, "error: too many mailboxes (more than 16)",
	    "FROM_MAX_DOMAINS + 1 mailboxes");
	free(s);
	s = repeat("g:", "a@b.example,", 1000, ";");
	check(s, "error: too many mailboxes (more than 16)",
	    "1000 mailboxes in a group");
	free(s);
	{
		strbuf_t sb;
		int i;

		strbuf_init(&sb, 4096);
		for (i = 0; i < FROM_MAX_DOMAINS; i++)
			strbuf_appendf(&sb, "%su@d%d.example", i ? "," : "", i);
		is_int(from_header_parse(sb.s, sb.len, &fr), FROM_MAX_DOMAINS,
		    "16 distinct domains returned");
		is_str(fr.domain[15], "d15.example", "last distinct domain");
		strbuf_free(&sb);
	}
	is_int(from_header_parse(NULL, 5, &fr), -1, "NULL value");
	is_str(fr.reason, "empty From field", "NULL value reason");
	is_int(from_header_parse("a@b.example", 0, &fr), -1, "len 0");
	is_int(from_header_parse("a@b.example", 11, NULL), -1, "NULL result");
	is_int(from_header_parse("a@b.example(unclosed", 11, &fr), 1,
	    "only len bytes are read");
	is_str(fr.domain[0], "b.example", "only len bytes are read (domain)");
}

/* Deterministic mutation fuzz: results must stay consistent. */
static void fuzz(void)
{
	static const char *seeds[] = {
		"\"J. Doe\" (c) <@r.example,@s.example:j.doe@Example.COM.>",
		"g: a@b.example, (x) c@d.example;, =?utf-8?q?x@y?= <e@f.example>",
		"b\xc3\xbc" "cher <u@b\xc3\xbc" "cher.de>\r\n\t, \"q\\\"@\" <x@y.z>",
	};
	static const char alphabet[] = "()<>@,;:.\"\\[]=? \t\r\nab\x80\xc3\xbc\0";
	unsigned long state = 12345;
	char buf[256];
	from_result_t fr;
	size_t i, k, len, bad = 0;
	int rc;

	for (i = 0; i < 60000; i++) {
		const char *seed = seeds[i % 3];

		len = strlen(seed);
		memcpy(buf, seed, len);
		for (k = 0; k < 1 + i % 4; k++) {
			state = state * 6364136223846793005UL + 1442695040888963407UL;
			buf[(state >> 33) % len] =
			    alphabet[(state >> 17) % (sizeof(alphabet) - 1)];
		}
		if ((state >> 40) % 5 == 0)
			len = (state >> 20) % len;
		{
			char *copy = malloc(len ? len : 1);

			memcpy(copy, buf, len);
			rc = from_header_parse(copy, len, &fr);
			free(copy);
		}
		if (!result_sane(rc, &fr) && bad++ < 5)
			diag("inconsistent result for fuzz case %zu", i);
	}
	is_int(bad, 0, "60000 mutated inputs give consistent results");
}

int main(int argc, char **argv)
{
	char dir[512];
	const char *slash;

	if (getenv("FROM_HEADER_DATA"))
		str_copy(dir, sizeof(dir), getenv("FROM_HEADER_DATA"));
	else if (argc > 0 && (slash = strrchr(argv[0], '/')) != NULL)
		str_format(dir, sizeof(dir), "%.*s/../data/from_header",
		    (int)(slash - argv[0]), argv[0]);
	else
		str_copy(dir, sizeof(dir), "t/data/from_header");
	golden(dir);
	domain_table();
	limits_domain();
	limits_input();
	fuzz();
	return tap_done();
}
