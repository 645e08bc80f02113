/* Unit tests for policy/base64: both modes, every error, and a round
 * trip of every byte value against a reference encoder written here. */
#include "../../policy/base64.h"
#include "../tap.h"

#include <stdlib.h>
#include <string.h>

/* Decodes s; -> output length or -1. */
static int decode(const char *s, bool strict, unsigned char *out,
    size_t outlen)
{
	unsigned char q[3];
	base64_t st;
	size_t i, n = 0;
	int k;

	base64_init(&st);
	for (i = 0; s[i]; i++) {
		if ((k = base64_push(&st, (unsigned char)s[i], q)) < 0 ||
		    n + (size_t)k > outlen)
			return -1;
		memcpy(out + n, q, (size_t)k);
		n += (size_t)k;
	}
	if ((k = base64_finish(&st, strict, q)) < 0 || n + (size_t)k > outlen)
		return -1;
	memcpy(out + n, q, (size_t)k);
	return (int)(n + (size_t)k);
}

static bool decodes_to(const char *s, bool strict, const char *want)
{
	unsigned char out[64];
	int n = decode(s, strict, out, sizeof(out));

	return n == (int)strlen(want) && memcmp(out, want, (size_t)n) == 0;
}

static void encode(const unsigned char *p, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*out++ = abc[v >> 18 & 63];
		*out++ = abc[v >> 12 & 63];
		*out++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*out = '\0';
}

static void round_trip(void)
{
	unsigned char in[256], out[256];
	char text[400];
	size_t len;
	int bad = 0;

	for (len = 0; len < sizeof(in); len++)
		in[len] = (unsigned char)(255 - len);
	for (len = 0; len <= sizeof(in); len++) {
		encode(in, len, text);
		if (decode(text, true, out, sizeof(out)) != (int)len ||
		    memcmp(in, out, len) != 0)
			bad++;
	}
	is_int(bad, 0, "every length 0..256 and byte value round-trips");
}

int main(void)
{
	unsigned char out[8];

	ok(decodes_to("QUJD", true, "ABC"), "one quantum");
	ok(decodes_to("QUI=", true, "AB"), "one pad");
	ok(decodes_to("QQ==", true, "A"), "two pads");
	ok(decodes_to(" QU\r\n\tJD ", true, "ABC"), "whitespace skipped");
	ok(decodes_to("", true, ""), "empty is empty");
	is_int(decode("QUJ", true, out, sizeof(out)), -1,
	    "strict: unpadded quantum refused");
	ok(decodes_to("QUJ", false, "AB"), "lenient: 3 characters, 2 bytes");
	ok(decodes_to("QU", false, "A"), "lenient: 2 characters, 1 byte");
	is_int(decode("Q", false, out, sizeof(out)), -1,
	    "a lone trailing character is an error in both modes");
	is_int(decode("QU*D", false, out, sizeof(out)), -1,
	    "byte outside the alphabet");
	is_int(decode("Q===", false, out, sizeof(out)), -1, "three pads");
	is_int(decode("=QUJ", false, out, sizeof(out)), -1, "pad first");
	is_int(decode("QUJD=", false, out, sizeof(out)), -1,
	    "pad after a whole quantum");
	is_int(decode("QQ==QUJD", false, out, sizeof(out)), -1,
	    "data after padding");
	is_int(decode("QUJDQUJD", true, out, 5), -1, "output bound kept");
	is_int(decode("QUJDQUI=", true, out, 5), 5, "output bound exact");
	is_int(decode("\xff\x80", false, out, sizeof(out)), -1,
	    "8-bit bytes refused");
	round_trip();
	return tap_done();
}
