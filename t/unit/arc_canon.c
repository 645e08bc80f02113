/* Unit tests for milter/arc_canon: the streaming body hasher (simple and
 * relaxed, fed whole, byte by byte and split at every position) and
 * header canonicalization, against canonical forms written out by hand
 * (RFC 6376 3.4 and its example in 3.4.5). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../../milter/arc_canon.h"
#include "../tap.h"

typedef struct vec {
	const char *in, *simple, *relaxed;
} vec_t;

static const vec_t body[] = {
	{ "", "\r\n", "" },
	{ "\r\n", "\r\n", "" },
	{ "\r\n\r\n\r\n", "\r\n", "" },
	{ "abc", "abc\r\n", "abc\r\n" },
	{ "abc\r\n", "abc\r\n", "abc\r\n" },
	{ "abc\r\n\r\n", "abc\r\n", "abc\r\n" },
	/* RFC 6376 3.4.5 */
	{ " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n" },
	{ " a  b \t c \r\n", " a  b \t c \r\n", " a b c\r\n" },
	{ "a\r\n  \r\n\t\r\n", "a\r\n  \r\n\t\r\n", "a\r\n" },
	{ "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "\r\n\r\nabc", "\r\n\r\nabc\r\n", "\r\n\r\nabc\r\n" },
	{ "a\rb\r\n", "a\rb\r\n", "a\rb\r\n" },
	{ "a \r b", "a \r b\r\n", "a \r b\r\n" },
	{ "a\r", "a\r\r\n", "a\r\r\n" },
	{ "a\r\r\n", "a\r\r\n", "a\r\r\n" },
	{ "a\n b", "a\n b\r\n", "a\n b\r\n" },
	{ "  \r\n", "  \r\n", "" },
	{ "a\t\r\n", "a\t\r\n", "a\r\n" },
	{ "a  \r\n\r\n  b  ", "a  \r\n\r\n  b  \r\n", "a\r\n\r\n b\r\n" },
	{ "x\r\n \r\n \r\ny", "x\r\n \r\n \r\ny\r\n", "x\r\n\r\n\r\ny\r\n" },
};

static void digest_of(const char *s, size_t n, unsigned char *out)
{
	EVP_Digest(s, n, out, NULL, EVP_sha256(), NULL);
}

/* Hash in with canon, split at the given points (sorted, <= n). */
static void hash_split(const char *in, size_t n, arc_canon_t canon,
    size_t step, size_t cut, unsigned char *out)
{
	arc_bodyhash_t *bh = arc_bodyhash_new(canon);
	size_t i;

	if (step > 0) {
		for (i = 0; i < n; i += step)
			arc_bodyhash_update(bh, (const unsigned char *)in + i,
			    n - i < step ? n - i : step);
	} else {
		arc_bodyhash_update(bh, (const unsigned char *)in, cut);
		arc_bodyhash_update(bh, (const unsigned char *)in + cut,
		    n - cut);
	}
	arc_bodyhash_update(bh, (const unsigned char *)"", 0);
	arc_bodyhash_final(bh, out);
	arc_bodyhash_free(bh);
}

static void body_vectors(void)
{
	unsigned char want[32], got[32];
	size_t i, n, cut;
	int c, splits_ok;

	for (i = 0; i < sizeof(body) / sizeof(body[0]); i++)
		for (c = 0; c < 2; c++) {
			const char *exp = c ? body[i].relaxed : body[i].simple;

			n = strlen(body[i].in);
			digest_of(exp, strlen(exp), want);
			hash_split(body[i].in, n, (arc_canon_t)c, n ? n : 1, 0,
			    got);
			ok(memcmp(want, got, 32) == 0, "body %zu %s, whole",
			    i, c ? "relaxed" : "simple");
			hash_split(body[i].in, n, (arc_canon_t)c, 1, 0, got);
			ok(memcmp(want, got, 32) == 0, "body %zu %s, bytewise",
			    i, c ? "relaxed" : "simple");
			splits_ok = 1;
			for (cut = 0; cut <= n; cut++) {
				hash_split(body[i].in, n, (arc_canon_t)c, 0,
				    cut, got);
				splits_ok &= memcmp(want, got, 32) == 0;
			}
			ok(splits_ok, "body %zu %s, every two-piece split", i,
			    c ? "relaxed" : "simple");
		}
}

/* A big body: 1 MB of text with long runs of whitespace and 100000
 * trailing empty lines, in 4 KB chunks, against the canonical form. */
static void big_body(void)
{
	size_t n = 1024 * 1024 + 200000, i, o = 0;
	char *in = malloc(n), *exp = malloc(n);
	unsigned char want[32], got[32];

	for (i = 0; i < 1024 * 1024; i++)
		in[i] = (i % 100 < 50) ? 'x' : ' ';
	for (; i < n; i += 2) {
		in[i] = '\r';
		in[i + 1] = '\n';
	}
	for (i = 0; i < 1024 * 1024; i++)
		if (in[i] == 'x' || (i % 100 == 50 && i + 50 < 1024 * 1024))
			exp[o++] = in[i];
	exp[o++] = '\r';
	exp[o++] = '\n';
	digest_of(exp, o, want);
	hash_split(in, n, ARC_CANON_RELAXED, 4096, 0, got);
	ok(memcmp(want, got, 32) == 0, "1 MB relaxed body with 100000 "
	    "trailing empty lines");
	memcpy(exp, in, 1024 * 1024);
	exp[1024 * 1024] = '\r';
	exp[1024 * 1024 + 1] = '\n';
	digest_of(exp, 1024 * 1024 + 2, want);
	hash_split(in, n, ARC_CANON_SIMPLE, 4093, 0, got);
	ok(memcmp(want, got, 32) == 0, "1 MB simple body, odd chunks");
	free(in);
	free(exp);
}

static void header(arc_canon_t c, const char *name, const char *value,
    bool crlf, const char *want, const char *what)
{
	strbuf_t sb;

	strbuf_init(&sb, 4096);
	is_int(arc_canon_header(&sb, c, name, strlen(name), value,
	    strlen(value), crlf), 0, "%s: appended", what);
	is_str(strbuf_str(&sb), want, "%s", what);
	strbuf_free(&sb);
}

static void headers(void)
{
	strbuf_t sb;

	header(ARC_CANON_RELAXED, "A", " X", true, "a:X\r\n",
	    "RFC 6376 3.4.5 relaxed A");
	header(ARC_CANON_RELAXED, "B ", " Y\t\r\n\tZ  ", true, "b:Y Z\r\n",
	    "RFC 6376 3.4.5 relaxed B");
	header(ARC_CANON_SIMPLE, "B ", " Y\t\r\n\tZ  ", true,
	    "B : Y\t\r\n\tZ  \r\n", "RFC 6376 3.4.5 simple B");
	header(ARC_CANON_RELAXED, "SUBJect", " AbC  \r\n\t def  ", false,
	    "subject:AbC def", "relaxed, no CRLF");
	header(ARC_CANON_RELAXED, "X", "", true, "x:\r\n", "empty value");
	header(ARC_CANON_RELAXED, "X", " \r\n ", true, "x:\r\n",
	    "whitespace-only value");
	header(ARC_CANON_RELAXED, "X", "a\r\nb", true, "x:ab\r\n",
	    "CRLF without WSP removed");
	header(ARC_CANON_RELAXED, "X", " a\rb", true, "x:a\rb\r\n",
	    "lone CR kept");
	header(ARC_CANON_RELAXED, "X-\xc3\x9c", " \xc3\x9c  x", true,
	    "x-\xc3\x9c:\xc3\x9c x\r\n", "8-bit bytes left alone");
	strbuf_init(&sb, 8);
	is_int(arc_canon_header(&sb, ARC_CANON_RELAXED, "Subject", 7,
	    " long value", 11, true), -1, "buffer limit reported");
	strbuf_free(&sb);
}

static void canon_words(void)
{
	static const struct {
		const char *in;
		int rc, h, b;
	} c[] = {
		{ "relaxed/simple", 0, 1, 0 }, { "simple", 0, 0, 0 },
		{ "relaxed", 0, 1, 0 }, { "Relaxed/RELAXED", 0, 1, 1 },
		{ "simple/relaxed", 0, 0, 1 }, { "", -1, 0, 0 },
		{ "relaxed/", -1, 0, 0 }, { "/relaxed", -1, 0, 0 },
		{ "nowsp", -1, 0, 0 }, { "relaxed/relaxed/relaxed", -1, 0, 0 },
		{ "relaxed /simple", -1, 0, 0 },
	};
	arc_canon_t h, b;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = arc_canon_parse(c[i].in, strlen(c[i].in), &h, &b);

		ok(rc == c[i].rc && (rc < 0 || ((int)h == c[i].h &&
		    (int)b == c[i].b)), "c=%s", c[i].in);
	}
}

int main(void)
{
	unsigned char d[32];

	body_vectors();
	big_body();
	headers();
	canon_words();
	arc_bodyhash_free(NULL);
	arc_bodyhash_update(NULL, (const unsigned char *)"x", 1);
	arc_bodyhash_final(NULL, d);
	ok(1, "NULL hasher accepted by update, final, free");
	return tap_done();
}
