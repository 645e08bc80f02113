/*
 * ptool_unpack - unit tests of policy/tool/unpack.c: gzip (members,
 * truncation at every length, trailing garbage, size cap), zip (stored
 * and deflate members, CRC, bounds: every truncation and byte flips of
 * the directory never crash), base64, quoted-printable, sniffing.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../policy/tool/unpack.h"
#include "../tap.h"

static size_t deflate_buf(const char *in, size_t n, int wbits,
    unsigned char *out, size_t outlen)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)outlen;
	deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	return outlen - zs.avail_out;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void put32(unsigned char *p, unsigned long v)
{
	put16(p, v & 0xffff);
	put16(p + 2, (v >> 16) & 0xffff);
}

/* A one-member zip: name, data (stored when method 0, else deflated). */
static size_t make_zip(unsigned char *z, const char *name, const char *data,
    size_t n, int method, unsigned long declared)
{
	unsigned char comp[8192];
	size_t nl = strlen(name), cl, pos = 0, cd;
	unsigned long crc = crc32(0, (const unsigned char *)data, (uInt)n);

	cl = method ? deflate_buf(data, n, -MAX_WBITS, comp, sizeof(comp)) : n;
	if (!method)
		memcpy(comp, data, n);
	memset(z, 0, 30);
	put32(z, 0x04034b50);
	put16(z + 8, (unsigned)method);
	put32(z + 14, crc);
	put32(z + 18, cl);
	put32(z + 22, declared);
	put16(z + 26, (unsigned)nl);
	memcpy(z + 30, name, nl);
	memcpy(z + 30 + nl, comp, cl);
	pos = 30 + nl + cl;
	cd = pos;
	memset(z + pos, 0, 46);
	put32(z + pos, 0x02014b50);
	put16(z + pos + 10, (unsigned)method);
	put32(z + pos + 16, crc);
	put32(z + pos + 20, cl);
	put32(z + pos + 24, declared);
	put16(z + pos + 28, (unsigned)nl);
	memcpy(z + pos + 46, name, nl);
	pos += 46 + nl;
	memset(z + pos, 0, 22);
	put32(z + pos, 0x06054b50);
	put16(z + pos + 8, 1);
	put16(z + pos + 10, 1);
	put32(z + pos + 12, pos - cd);
	put32(z + pos + 16, cd);
	return pos + 22;
}

/* A fresh, generous decompression budget for one call. */
#define BUDGET (&(unpack_budget_t){ 1u << 30, 1000 })

/* A zip of k stored members; with overlap, every central directory
 * entry points at the first member's local header. */
static size_t make_zip_n(unsigned char *z, const char *const *data, int k,
    int overlap)
{
	size_t pos = 0, cd, off[16], len[16];
	unsigned long crc[16];
	char name[16];
	int i;

	for (i = 0; i < k; i++) {
		len[i] = strlen(data[i]);
		crc[i] = crc32(0, (const unsigned char *)data[i], (uInt)len[i]);
		off[i] = pos;
		memset(z + pos, 0, 30);
		put32(z + pos, 0x04034b50);
		put32(z + pos + 14, crc[i]);
		put32(z + pos + 18, len[i]);
		put32(z + pos + 22, len[i]);
		put16(z + pos + 26, 5);
		str_format(name, sizeof(name), "m%d.gz", i);
		memcpy(z + pos + 30, name, 5);
		memcpy(z + pos + 35, data[i], len[i]);
		pos += 35 + len[i];
	}
	cd = pos;
	for (i = 0; i < k; i++) {
		int src = overlap ? 0 : i;

		memset(z + pos, 0, 46);
		put32(z + pos, 0x02014b50);
		put32(z + pos + 16, crc[src]);
		put32(z + pos + 20, len[src]);
		put32(z + pos + 24, len[src]);
		put16(z + pos + 28, 5);
		put32(z + pos + 42, off[src]);
		str_format(name, sizeof(name), "m%d.gz", i);
		memcpy(z + pos + 46, name, 5);
		pos += 51;
	}
	memset(z + pos, 0, 22);
	put32(z + pos, 0x06054b50);
	put16(z + pos + 8, (unsigned)k);
	put16(z + pos + 10, (unsigned)k);
	put32(z + pos + 12, pos - cd);
	put32(z + pos + 16, cd);
	return pos + 22;
}

typedef struct got {
	int calls;
	char name[64];
	char data[4096];
	size_t len;
} got_t;

static int member(void *ctx, const char *name, const char *data, size_t len)
{
	got_t *g = ctx;

	g->calls++;
	str_copy(g->name, sizeof(g->name), name);
	g->len = len < sizeof(g->data) ? len : sizeof(g->data);
	memcpy(g->data, data, g->len);
	return 0;
}

static void test_gzip(void)
{
	static const char text[] = "<feedback>hello</feedback>";
	unsigned char gz[4096], two[8192], *big;
	char err[UNPACK_ERR_MAX], *zeros;
	size_t n = deflate_buf(text, strlen(text), 16 + MAX_WBITS, gz,
	    sizeof(gz)), i, bad = 0, bn;
	strbuf_t out;

	strbuf_init(&out, 1024);
	ok(unpack_gunzip((char *)gz, n, &out, err, sizeof(err)) == 0 &&
	    strcmp(strbuf_str(&out), text) == 0, "gzip round trip");
	strbuf_free(&out);
	memcpy(two, gz, n);
	memcpy(two + n, gz, n);
	strbuf_init(&out, 1024);
	ok(unpack_gunzip((char *)two, 2 * n, &out, err, sizeof(err)) == 0 &&
	    out.len == 2 * strlen(text), "two concatenated members");
	strbuf_free(&out);
	for (i = 0; i < n; i++) {
		strbuf_init(&out, 1024);
		bad += unpack_gunzip((char *)gz, i, &out, err, sizeof(err)) < 0;
		strbuf_free(&out);
	}
	is_int(bad, n, "every truncation of the gzip is refused");
	strbuf_init(&out, 1024);
	unpack_gunzip((char *)gz, n - 5, &out, err, sizeof(err));
	is_str(err, "truncated compressed data", "truncation named");
	strbuf_free(&out);
	memcpy(two + n, "junk", 4);
	strbuf_init(&out, 1024);
	ok(unpack_gunzip((char *)two, n + 4, &out, err, sizeof(err)) < 0 &&
	    strstr(err, "trailing garbage"), "trailing garbage refused");
	strbuf_free(&out);
	memcpy(two + n, "\r\n\0 \n", 5);
	strbuf_init(&out, 1024);
	ok(unpack_gunzip((char *)two, n + 5, &out, err, sizeof(err)) == 0 &&
	    strcmp(strbuf_str(&out), text) == 0, "trailing CRLF, blank and NUL "
	    "after the last member ignored");
	strbuf_free(&out);
	zeros = calloc(1, 1 << 20);
	big = malloc(1 << 16);
	bn = deflate_buf(zeros, 1 << 20, 16 + MAX_WBITS, big, 1 << 16);
	strbuf_init(&out, 100000);
	ok(unpack_gunzip((char *)big, bn, &out, err, sizeof(err)) < 0 &&
	    strstr(err, "exceeds 100000 bytes") && out.len <= 100000,
	    "1 MB bomb stops at the 100000 byte cap (%zu compressed)", bn);
	strbuf_free(&out);
	free(zeros);
	free(big);
}

static void test_zip(void)
{
	static const char xml[] = "<feedback>zip member</feedback>";
	unsigned char z[16384], f[16384];
	char err[UNPACK_ERR_MAX];
	size_t n, i, crashes_avoided = 0;
	got_t g;
	int method;

	for (method = 0; method <= 8; method += 8) {
		memset(&g, 0, sizeof(g));
		n = make_zip(z, "r.xml", xml, strlen(xml), method, strlen(xml));
		ok(unpack_zip((char *)z, n, 4096, BUDGET, member, &g, err,
		    sizeof(err)) == 0 && g.calls == 1 && g.len == strlen(xml) &&
		    memcmp(g.data, xml, g.len) == 0 && strcmp(g.name, "r.xml")
		    == 0, "zip method %d member read", method);
	}
	n = make_zip(z, "r.xml", xml, strlen(xml), 8, 5);
	memset(&g, 0, sizeof(g));
	ok(unpack_zip((char *)z, n, 4096, BUDGET, member, &g, err, sizeof(err)) < 0 &&
	    g.calls == 0 && strstr(err, "declared size"),
	    "member larger than declared: refused (%s)", err);
	n = make_zip(z, "r.xml", xml, strlen(xml), 8, 100000);
	ok(unpack_zip((char *)z, n, 4096, BUDGET, member, &g, err, sizeof(err)) < 0 &&
	    strstr(err, "declared size 100000 exceeds 4096"),
	    "declared size over the cap: refused before inflating");
	n = make_zip(z, "r.xml", xml, strlen(xml), 8, strlen(xml));
	z[40] ^= 0x55;           /* corrupt the compressed data */
	ok(unpack_zip((char *)z, n, 4096, BUDGET, member, &g, err, sizeof(err)) < 0,
	    "corrupt member refused (%s)", err);
	n = make_zip(z, "r.xml", xml, strlen(xml), 8, strlen(xml));
	for (i = 0; i < n; i++) {
		memset(&g, 0, sizeof(g));
		crashes_avoided += unpack_zip((char *)z, i, 4096, BUDGET, member, &g,
		    err, sizeof(err)) < 0 && g.calls == 0;
	}
	is_int(crashes_avoided, n, "every truncated zip refused, no member");
	for (i = 0; i < n; i++) {
		memcpy(f, z, n);
		f[i] ^= 0xff;
		memset(&g, 0, sizeof(g));
		(void)unpack_zip((char *)f, n, 4096, BUDGET, member, &g, err,
		    sizeof(err));
	}
	ok(1, "every single-byte flip handled without crash");
	memcpy(f, z, n);
	put32(f + n - 22 + 16, 0x7fffffff);   /* directory offset */
	ok(unpack_zip((char *)f, n, 4096, BUDGET, member, &g, err, sizeof(err)) < 0 &&
	    strstr(err, "out of bounds"), "directory offset out of bounds");
	memcpy(f, z, n);
	put16(f + n - 22 + 10, 1000);         /* entry count */
	ok(unpack_zip((char *)f, n, 4096, BUDGET, member, &g, err, sizeof(err)) < 0 &&
	    strstr(err, "entries"), "too many entries refused");
}

/* Overlapping entries and the shared budget (issue 12.6). */
static void test_zip_bombs(void)
{
	static const char *const three[] = { "first member", "second member",
		"third member" };
	unsigned char z[4096];
	char err[UNPACK_ERR_MAX];
	unpack_budget_t b;
	size_t n;
	got_t g;

	n = make_zip_n(z, three, 3, 0);
	memset(&g, 0, sizeof(g));
	ok(unpack_zip((char *)z, n, 4096, BUDGET, member, &g, err,
	    sizeof(err)) == 0 && g.calls == 3 && g.len == 12 &&
	    memcmp(g.data, "third member", 12) == 0,
	    "three separate members read (%s)", g.calls == 3 ? "" : err);
	n = make_zip_n(z, three, 3, 1);
	memset(&g, 0, sizeof(g));
	ok(unpack_zip((char *)z, n, 4096, BUDGET, member, &g, err,
	    sizeof(err)) < 0 && g.calls == 0 && strstr(err, "overlap"),
	    "entries sharing one local header refused before any member (%s)",
	    err);
	n = make_zip_n(z, three, 3, 0);
	b.bytes = 1 << 20;
	b.members = 2;
	memset(&g, 0, sizeof(g));
	ok(unpack_zip((char *)z, n, 4096, &b, member, &g, err, sizeof(err)) < 0
	    && g.calls == 2 && b.members == 0 && strstr(err, "too many archive "
	    "members"), "member budget: the third member refused (%s)", err);
	b.bytes = strlen(three[0]) + strlen(three[1]);
	b.members = 100;
	memset(&g, 0, sizeof(g));
	ok(unpack_zip((char *)z, n, 4096, &b, member, &g, err, sizeof(err)) < 0
	    && g.calls == 2 && b.bytes == 0 && b.members == 97 &&
	    strstr(err, "decompression budget"), "byte budget shared by the "
	    "members: the third refused (%s)", err);
}

static void test_text(void)
{
	strbuf_t out;

	strbuf_init(&out, 64);
	ok(unpack_base64("aGVs\r\nbG8=", 10, &out) == 0 &&
	    strcmp(strbuf_str(&out), "hello") == 0, "base64 with line break");
	strbuf_reset(&out);
	ok(unpack_base64("aGV*bG8=", 8, &out) < 0, "base64 bad character");
	strbuf_reset(&out);
	ok(unpack_base64("aGVsbG8=x", 9, &out) < 0, "base64 data after padding");
	strbuf_free(&out);
	strbuf_init(&out, 3);
	ok(unpack_base64("aGVsbG8=", 8, &out) < 0 && out.truncated,
	    "base64 stops at the cap");
	strbuf_free(&out);
	strbuf_init(&out, 64);
	ok(unpack_qp("a=3Db=\r\nc=\nd", 12, &out) == 0 &&
	    strcmp(strbuf_str(&out), "a=bcd") == 0, "quoted-printable");
	strbuf_reset(&out);
	ok(unpack_qp("a=ZZ", 4, &out) < 0, "quoted-printable bad escape");
	strbuf_free(&out);
}

static void test_kind(void)
{
	static const struct {
		const char *data;
		size_t len;
		unpack_kind_t want;
	} t[] = {
		{ "\x1f\x8b\x08", 3, UNPACK_GZIP },
		{ "PK\x03\x04", 4, UNPACK_ZIP },
		{ "  \n<?xml", 8, UNPACK_XML },
		{ "\xef\xbb\xbf<feedback>", 13, UNPACK_XML },
		{ "\xff\xfe<\0", 4, UNPACK_XML },
		{ "From a@b Mon Jan 1\n", 19, UNPACK_MBOX },
		{ "Received: from x\r\n", 18, UNPACK_EMAIL },
		{ "hello world", 11, UNPACK_UNKNOWN },
		{ "", 0, UNPACK_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(unpack_kind_name(unpack_kind(t[i].data, t[i].len)),
		    unpack_kind_name(t[i].want), "sniff case %zu", i);
}

int main(void)
{
	test_gzip();
	test_zip();
	test_zip_bombs();
	test_text();
	test_kind();
	return tap_done();
}
