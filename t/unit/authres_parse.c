/* Unit tests for policy/authres_parse: RFC 8601 payloads as written by
 * real software, and malformed or hostile ones. */
#include <stdlib.h>
#include <string.h>

#include "../../policy/authres_parse.h"
#include "../../util/strbuf.h"
#include "../tap.h"

/* One line per payload: "id[/v][ i=N]: method=result[ reason=x]
 * {ptype.prop=value ...}; ..." or "none". */
static void dump(const ar_payload_t *p, strbuf_t *sb)
{
	size_t i, j;

	strbuf_puts(sb, p->authserv_id);
	if (p->version)
		strbuf_appendf(sb, "/%u", p->version);
	if (p->instance)
		strbuf_appendf(sb, " i=%u", p->instance);
	strbuf_puts(sb, ":");
	if (p->none)
		strbuf_puts(sb, " none");
	for (i = 0; i < p->nentries; i++) {
		const ar_entry_t *e = &p->entry[i];

		strbuf_appendf(sb, "%s %s=%s", i ? ";" : "", e->method,
		    e->result);
		if (e->reason[0])
			strbuf_appendf(sb, " reason=%s", e->reason);
		for (j = 0; j < e->nprops; j++)
			strbuf_appendf(sb, " %s.%s=%s", e->prop[j].ptype,
			    e->prop[j].property, e->prop[j].value);
	}
}

static const struct {
	const char *in, *want;
} good[] = {
	{ "mx.example.com; spf=pass smtp.mailfrom=example.com",
	  "mx.example.com: spf=pass smtp.mailfrom=example.com" },
	{ " mx.example.com 1; none", "mx.example.com/1: none" },
	{ "example.org; none (nothing to say)", "example.org: none" },
	{ "i=2; lists.example.org;\r\n\tdkim=pass header.d=example.com "
	  "header.s=sel header.b=Ab/+c9=;\r\n\tspf=fail "
	  "smtp.mailfrom=list-bounces@lists.example.org;\r\n\tdmarc=pass "
	  "(p=reject) header.from=example.com",
	  "lists.example.org i=2: dkim=pass header.d=example.com "
	  "header.s=sel header.b=Ab/+c9=; spf=fail "
	  "smtp.mailfrom=list-bounces@lists.example.org; dmarc=pass "
	  "header.from=example.com" },
	{ "(c) \"mx (1)\" ; DKIM/1 = Pass (ok) Header . D = Example.COM",
	  "mx (1): dkim=pass header.d=Example.COM" },
	{ "mx; spf=softfail reason=\"no match\" smtp.mailfrom="
	  "\"odd local\"@example.com;",
	  "mx: spf=softfail reason=no match "
	  "smtp.mailfrom=odd local@example.com" },
	{ "mx; dmarc=fail (p=reject sp=reject dis=none) header.from=ex.com "
	  "policy.dmarc=reject policy.applied-disposition=none",
	  "mx: dmarc=fail header.from=ex.com policy.dmarc=reject "
	  "policy.applied-disposition=none" },
	{ "mx;arc=pass(( nested ) comment)smtp.remote-ip=\"2001:db8::1\" "
	  "arc.chain=a.example:b.example",
	  "mx: arc=pass smtp.remote-ip=2001:db8::1 "
	  "arc.chain=a.example:b.example" },
	{ "mx; auth=pass smtp.auth=@example.com",
	  "mx: auth=pass smtp.auth=@example.com" },
	{ "iprev.example; iprev=pass policy.iprev=192.0.2.1",
	  "iprev.example: iprev=pass policy.iprev=192.0.2.1" },
	{ "mx; nonexistent=pass", "mx: nonexistent=pass" },
};

static const struct {
	const char *in, *error;
} bad[] = {
	{ "", "expected an authserv-id at offset 0" },
	{ "   (only a comment)", "expected an authserv-id at offset 19" },
	{ "mx.example.com", "no results at offset 14" },
	{ "mx; spf", "expected '=' after the method at offset 7" },
	{ "mx; spf=", "expected a result at offset 8" },
	{ "mx; =pass", "expected a method at offset 4" },
	{ "mx; spf=pass smtp.mailfrom", "expected '=' after the property "
	  "at offset 26" },
	{ "mx; spf=pass smtp=x", "expected ptype.property at offset 17" },
	{ "mx; spf=pass smtp.mailfrom=", "missing property value at offset 27" },
	{ "mx; spf=pass (unterminated", "unterminated comment at offset 26" },
	{ "mx; spf=pass smtp.mailfrom=\"x", "unterminated quoted-string at "
	  "offset 29" },
	{ "\"mx; none", "unterminated quoted-string at offset 9" },
	{ "mx; none; spf=pass", "expected '=' after the method at offset 8" },
	{ "mx spf=pass", "expected ';' at offset 3" },
	{ "mx; spf/x=pass", "expected a number at offset 8" },
	{ "i=; mx; none", "expected a number at offset 2" },
	{ "mx; dkim=pass header.d=a.example; header.d=b.example",
	  "expected '=' after the method at offset 40" },
	{ "mx; spf=pass reason=", "expected a reason at offset 20" },
	{ "mx; dkim=pass h\x80.d=x", "expected ptype.property at offset 15" },
};

static void test_good(void)
{
	ar_payload_t *p = malloc(sizeof(*p));
	strbuf_t sb;
	size_t i;

	strbuf_init(&sb, 4096);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = ar_parse(good[i].in, strlen(good[i].in), p);

		if (!ok(rc == 0, "good payload %zu parses", i)) {
			diag("%s", p->error);
			continue;
		}
		strbuf_reset(&sb);
		dump(p, &sb);
		is_str(strbuf_str(&sb), good[i].want, "good payload %zu entries",
		    i);
	}
	strbuf_free(&sb);
	free(p);
}

static void test_bad(void)
{
	ar_payload_t *p = malloc(sizeof(*p));
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ar_parse(bad[i].in, strlen(bad[i].in), p);

		is_int(rc, -1, "refused: %s", bad[i].in);
		is_str(p->error, bad[i].error, "reason for: %s", bad[i].in);
	}
	is_int(ar_parse("mx; spf=pass\0x", 14, p), -1, "NUL byte refused");
	is_str(p->error, "NUL byte at offset 12", "NUL reason");
	is_int(ar_parse("mx; spf=pass smtp.mailfrom=example.com", 12, p), 0,
	    "only len bytes are read");
	is_int((long long)p->entry[0].nprops, 0, "property past len unseen");
	free(p);
}

/* Bounds: every limit refuses instead of cutting. */
static void test_bounds(void)
{
	ar_payload_t *p = malloc(sizeof(*p));
	strbuf_t sb;
	int i;

	strbuf_init(&sb, 2 * AR_INPUT_MAX);
	strbuf_puts(&sb, "mx");
	for (i = 0; i < AR_MAX_ENTRIES; i++)
		strbuf_puts(&sb, "; spf=pass");
	is_int(ar_parse(sb.s, sb.len, p), 0, "%d entries fit", AR_MAX_ENTRIES);
	strbuf_puts(&sb, "; dkim=pass");
	is_int(ar_parse(sb.s, sb.len, p), -1, "one more entry refused");
	ok(strstr(p->error, "too many results") != NULL, "reason: %s",
	    p->error);
	strbuf_reset(&sb);
	strbuf_puts(&sb, "mx; dkim=pass");
	for (i = 0; i <= AR_MAX_PROPS; i++)
		strbuf_appendf(&sb, " header.p%d=x", i);
	is_int(ar_parse(sb.s, sb.len, p), -1, "too many properties refused");
	strbuf_reset(&sb);
	strbuf_puts(&sb, "mx; dkim=pass header.d=");
	for (i = 0; i < AR_VALUE_MAX; i++)
		strbuf_putc(&sb, 'a');
	is_int(ar_parse(sb.s, sb.len, p), -1, "over-long value refused");
	ok(strstr(p->error, "too long") != NULL, "reason: %s", p->error);
	strbuf_reset(&sb);
	strbuf_puts(&sb, "mx; spf=pass ");
	for (i = 0; i < AR_COMMENT_DEPTH + 1; i++)
		strbuf_putc(&sb, '(');
	for (i = 0; i < AR_COMMENT_DEPTH + 1; i++)
		strbuf_putc(&sb, ')');
	is_int(ar_parse(sb.s, sb.len, p), -1, "deep comments refused");
	strbuf_reset(&sb);
	strbuf_puts(&sb, "mx; spf=pass ");
	for (i = 0; i < AR_INPUT_MAX; i++)
		strbuf_putc(&sb, ' ');
	is_int(ar_parse(sb.s, sb.len, p), -1, "over-long payload refused");
	strbuf_free(&sb);
	free(p);
}

static void test_lookup(void)
{
	static const char in[] = "mx; dkim=fail header.d=a.example; "
	    "dkim=pass header.d=b.example header.s=s1; dmarc=pass "
	    "header.from=b.example";
	ar_payload_t *p = malloc(sizeof(*p));
	const ar_entry_t *e;

	if (!ok(ar_parse(in, sizeof(in) - 1, p) == 0, "lookup payload"))
		goto out;
	e = ar_find(p, "DKIM", 0);
	ok(e == &p->entry[0], "first dkim entry");
	e = ar_find(p, "dkim", 1);
	ok(e == &p->entry[1], "second dkim entry");
	is_str(ar_prop(e, "Header", "S"), "s1", "property by name");
	ok(ar_prop(e, "smtp", "mailfrom") == NULL, "absent property");
	ok(ar_find(p, "spf", 0) == NULL, "absent method");
	ok(ar_find(p, "dmarc", 3) == NULL, "start past the entry");
out:
	free(p);
}

int main(void)
{
	test_good();
	test_bad();
	test_bounds();
	test_lookup();
	return tap_done();
}
