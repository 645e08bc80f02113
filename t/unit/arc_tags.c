/* Unit tests for milter/arc_tags: the DKIM tag-list parser, base64 and
 * number decoding, on well-formed and hostile input. */
#include <stdlib.h>
#include <string.h>

#include "../../milter/arc_tags.h"
#include "../tap.h"

static int parse(const char *s, arc_tags_t *t, char *why, size_t whylen)
{
	return arc_tags_parse(s, strlen(s), t, why, whylen);
}

static const char *val(const arc_tags_t *t, const char *name, char *buf,
    size_t len)
{
	const arc_tag_t *g = arc_tags_get(t, name);

	if (g == NULL || g->val_len >= len)
		return "(none)";
	memcpy(buf, g->val, g->val_len);
	buf[g->val_len] = '\0';
	return buf;
}

static void good_lists(void)
{
	arc_tags_t t;
	char why[96], buf[128];
	const char *s;
	const arc_tag_t *b;

	is_int(parse(" a=rsa-sha256; d=example.org ;s = sel ;", &t, why,
	    sizeof(why)), 0, "tag-list with spaces and a trailing ;");
	is_int(t.n, 3, "three tags");
	is_str(val(&t, "a", buf, sizeof(buf)), "rsa-sha256", "a=");
	is_str(val(&t, "s", buf, sizeof(buf)), "sel", "s= trimmed");
	is_int(parse("h=from : to\r\n\t: subject; x_1=", &t, why, sizeof(why)),
	    0, "folded value and underscore in name");
	is_str(val(&t, "h", buf, sizeof(buf)), "from : to\r\n\t: subject",
	    "inner whitespace kept");
	is_str(val(&t, "x_1", buf, sizeof(buf)), "", "empty value");
	is_int(parse("", &t, why, sizeof(why)), 0, "empty list");
	is_int(t.n, 0, "no tags");
	is_int(parse(" \r\n ", &t, why, sizeof(why)), 0, "whitespace only");
	ok(arc_tags_get(&t, "a") == NULL, "get on empty list");
	is_int(parse("d=b\xc3\xbc\x63her.example", &t, why, sizeof(why)), 0,
	    "8-bit bytes in a value (RFC 8617 4.1.4)");
	s = "a=1; b=  QUJD\r\n DEF= ; c=2";
	is_int(parse(s, &t, why, sizeof(why)), 0, "b= for blanking");
	b = arc_tags_get(&t, "b");
	is_int(b->eq_end, 7, "eq_end just after '='");
	is_int(b->val_off, 9, "val_off after the spaces");
	is_int(b->spec_end, 21, "spec_end at the ';'");
	ok(s[b->spec_end] == ';', "spec_end points at ;");
	is_int(parse("I=1; i=2", &t, why, sizeof(why)), 0,
	    "names are case-sensitive: I and i differ");
	is_str(val(&t, "i", buf, sizeof(buf)), "2", "i= is the lower-case one");
}

static void bad_lists(void)
{
	static const struct {
		const char *in, *what;
	} bad[] = {
		{ "a=1; a=2", "duplicate tag" },
		{ "i=1; b=x; i=1", "duplicate i=" },
		{ "a=1;; b=2", "empty tag-spec (;;)" },
		{ ";a=1", "leading ;" },
		{ "=1", "no name" },
		{ "1a=2", "name starting with a digit" },
		{ "_a=2", "name starting with _" },
		{ "a b=2", "space in name" },
		{ "a", "no =" },
		{ "a=1; b", "second tag without =" },
		{ "a=x\x01y", "control byte in value" },
		{ "a=x\x7fy", "DEL in value" },
		{ "a=1; ==", "== as a tag" },
		{ "a-b=1", "hyphen in name" },
	};
	arc_tags_t t;
	char why[96];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(parse(bad[i].in, &t, why, sizeof(why)), -1, "refused: %s",
		    bad[i].what);
		ok(why[0] != '\0', "  with a reason (%s)", why);
	}
	is_int(arc_tags_parse("a=x\0y; b=1", 10, &t, why, sizeof(why)), -1,
	    "NUL byte in a value refused");
	is_int(arc_tags_parse("a\0=1", 4, &t, why, sizeof(why)), -1,
	    "NUL byte in a name refused");
	ok(strchr(why, '\0') == why + strlen(why), "reason is a C string");
}

static void limits(void)
{
	char *big = malloc(64 * 1024), why[96];
	arc_tags_t t;
	size_t i, n = 0;

	for (i = 0; i < ARC_TAGS_MAX; i++)
		n += (size_t)snprintf(big + n, 64, "t%zu=%zu;", i, i);
	is_int(arc_tags_parse(big, n, &t, why, sizeof(why)), 0,
	    "%d tags accepted", ARC_TAGS_MAX);
	n += (size_t)snprintf(big + n, 64, "x=1");
	is_int(arc_tags_parse(big, n, &t, why, sizeof(why)), -1,
	    "%d tags refused", ARC_TAGS_MAX + 1);
	memcpy(big, "b=", 2);
	for (i = 2; i < 60000; i++)
		big[i] = "QUJD"[i % 4];
	is_int(arc_tags_parse(big, 60000, &t, why, sizeof(why)), 0,
	    "a 60 KB value parses (size limits are the caller's)");
	is_int(t.tag[0].val_len, 59998, "  all of it");
	free(big);
}

static void base64(void)
{
	unsigned char out[64];

	is_int(arc_b64_decode("QUJD", 4, out, sizeof(out)), 3, "QUJD");
	ok(memcmp(out, "ABC", 3) == 0, "  is ABC");
	is_int(arc_b64_decode("QUI=", 4, out, sizeof(out)), 2, "one pad");
	is_int(arc_b64_decode("QQ==", 4, out, sizeof(out)), 1, "two pads");
	ok(out[0] == 'A', "  is A");
	is_int(arc_b64_decode(" QU\r\n\tJD ", 9, out, sizeof(out)), 3,
	    "whitespace and folds ignored");
	is_int(arc_b64_decode("", 0, out, sizeof(out)), 0, "empty is empty");
	is_int(arc_b64_decode("QUJ", 3, out, sizeof(out)), -1,
	    "length not a multiple of 4");
	is_int(arc_b64_decode("QU*D", 4, out, sizeof(out)), -1,
	    "bad character");
	is_int(arc_b64_decode("Q===", 4, out, sizeof(out)), -1,
	    "three pads");
	is_int(arc_b64_decode("QQ==QUJD", 8, out, sizeof(out)), -1,
	    "data after padding");
	is_int(arc_b64_decode("=QUJ", 4, out, sizeof(out)), -1,
	    "leading pad");
	is_int(arc_b64_decode("QUJDQUJD", 8, out, 5), -1,
	    "output larger than the buffer refused");
	is_int(arc_b64_decode("QUJDQUI=", 8, out, 5), 5,
	    "output exactly the buffer");
}

static void numbers(void)
{
	arc_tag_t t;
	unsigned long long v = 7;

	memset(&t, 0, sizeof(t));
	t.val = "12345";
	t.val_len = 5;
	ok(arc_tag_number(&t, &v) == 0 && v == 12345, "12345");
	t.val = "18446744073709551615";
	t.val_len = 20;
	ok(arc_tag_number(&t, &v) == 0 && v == 18446744073709551615ULL,
	    "2^64-1");
	t.val = "18446744073709551616";
	is_int(arc_tag_number(&t, &v), -1, "2^64 overflows");
	t.val = "12 3";
	t.val_len = 4;
	is_int(arc_tag_number(&t, &v), -1, "inner space");
	t.val = "-1";
	t.val_len = 2;
	is_int(arc_tag_number(&t, &v), -1, "sign");
	t.val_len = 0;
	is_int(arc_tag_number(&t, &v), -1, "empty");
	is_int(arc_tag_number(NULL, &v), -1, "NULL tag");
}

static void lists(void)
{
	arc_tags_t t;
	const char *item;
	char why[96], got[128] = "";
	size_t pos = 0, len, o = 0;

	is_int(parse("h= From : to\r\n\t:: Subject :", &t, why, sizeof(why)),
	    0, "h= list parses");
	while (arc_tag_list_next(&t.tag[0], &pos, &item, &len))
		o += (size_t)snprintf(got + o, sizeof(got) - o, "[%.*s]",
		    (int)len, item);
	is_str(got, "[From][to][][Subject][]", "items trimmed, empty kept");
	ok(arc_tag_list_has(&t.tag[0], "subject"), "has subject (any case)");
	ok(!arc_tag_list_has(&t.tag[0], "sub"), "not a prefix match");
	parse("h=", &t, why, sizeof(why));
	pos = 0;
	ok(arc_tag_list_next(&t.tag[0], &pos, &item, &len) && len == 0 &&
	    !arc_tag_list_next(&t.tag[0], &pos, &item, &len),
	    "empty list: one empty item");
	ok(!arc_tag_list_has(NULL, "from"), "NULL list has nothing");
}

int main(void)
{
	lists();
	good_lists();
	bad_lists();
	limits();
	base64();
	numbers();
	return tap_done();
}
