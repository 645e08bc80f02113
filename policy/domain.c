/*
 * domain - domain names as DMARC compares them: lower-case A-labels
 * without a trailing dot.  See domain.h.
 */
#include "domain.h"

#include <idn2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../util/strbuf.h"
#include "utf8.h"

/* ----------------------------------------------------------------- */
/* Domain names                                                       */
/* ----------------------------------------------------------------- */

static int why(char *reason, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why(char *reason, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (reason != NULL && size > 0) {
		va_start(ap, fmt);
		vsnprintf(reason, size, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Check one label of an ASCII (A-label form) name. */
static int label_check(const char *s, size_t n, char *reason, size_t rsize)
{
	size_t i;

	if (n == 0)
		return why(reason, rsize, "empty label");
	if (n > 63)
		return why(reason, rsize, "label longer than 63 octets");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		    || c == '-' || c == '_'))
			return why(reason, rsize,
			    "invalid character 0x%02x in domain", c);
	}
	if (s[0] == '-' || s[n - 1] == '-')
		return why(reason, rsize, "label starts or ends with '-'");
	return 0;
}

/* Check a lower-case ASCII name without trailing dot. */
static int ldh_check(const char *s, size_t n, char *reason, size_t rsize)
{
	size_t start = 0, i;
	bool numeric = true;

	if (n == 0)
		return why(reason, rsize, "empty domain");
	if (n > 253)
		return why(reason, rsize, "domain longer than 253 octets");
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (label_check(s + start, i - start, reason, rsize) < 0)
			return -1;
		start = i + 1;
	}
	for (i = n; i > 0 && s[i - 1] != '.'; i--)
		if (s[i - 1] < '0' || s[i - 1] > '9')
			numeric = false;
	if (numeric)
		return why(reason, rsize, "all-numeric top-level label");
	return 0;
}

/* Convert one label to A-label form, appending it to sb. */
static int label_to_ascii(const char *s, size_t n, strbuf_t *sb,
	char *reason, size_t rsize)
{
	char in[DOMAIN_RAW_MAX + 1];
	char *alabel = NULL;
	size_t i;
	bool ascii = true;
	int rc;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = false;
	if (ascii) {
		for (i = 0; i < n; i++) {
			char c = s[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			strbuf_putc(sb, c);
		}
		return 0;
	}
	if (!utf8_valid((const unsigned char *)s, n))
		return why(reason, rsize, "invalid UTF-8 in domain");
	memcpy(in, s, n);
	in[n] = '\0';
	rc = idn2_lookup_u8((const uint8_t *)in, (uint8_t **)&alabel,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		return why(reason, rsize, "IDN conversion failed: %s",
		    idn2_strerror(rc));
	strbuf_puts(sb, alabel);
	idn2_free(alabel);
	return 0;
}

int domain_normalize_reason(const char *in, size_t len, char *out,
	size_t outlen, char *reason, size_t rsize)
{
	strbuf_t sb;
	size_t i, start = 0;
	bool stripped = false;
	int rc = 0;

	if (reason != NULL && rsize > 0)
		reason[0] = '\0';
	if (in == NULL || out == NULL || outlen == 0)
		return why(reason, rsize, "no domain");
	out[0] = '\0';
	if (len == 0)
		return why(reason, rsize, "empty domain");
	if (len > DOMAIN_RAW_MAX)
		return why(reason, rsize, "domain longer than 253 octets");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= 0x20 || c == 0x7f)
			return why(reason, rsize,
			    "invalid character 0x%02x in domain", c);
	}
	if (len > 1 && in[len - 1] == '.') {
		len--;
		stripped = true;
	}
	strbuf_init(&sb, 4 * DOMAIN_RAW_MAX);
	for (i = 0; i <= len && rc == 0; i++) {
		if (i < len && in[i] != '.')
			continue;
		if (start > 0)
			strbuf_putc(&sb, '.');
		rc = label_to_ascii(in + start, i - start, &sb, reason, rsize);
		start = i + 1;
	}
	if (rc == 0 && sb.truncated)
		rc = why(reason, rsize, "domain longer than 253 octets");
	if (rc == 0) {
		/* TR46 maps U+3002 etc. to "."; one trailing dot is fine. */
		if (!stripped && sb.len > 1 && sb.s[sb.len - 1] == '.')
			sb.s[--sb.len] = '\0';
		rc = ldh_check(strbuf_str(&sb), sb.len, reason, rsize);
	}
	if (rc == 0 && str_copy(out, outlen, strbuf_str(&sb)) < 0)
		rc = why(reason, rsize, "domain does not fit the buffer");
	if (rc < 0)
		out[0] = '\0';
	strbuf_free(&sb);
	return rc;
}

int domain_normalize(const char *in, size_t len, char *out, size_t outlen)
{
	return domain_normalize_reason(in, len, out, outlen, NULL, 0);
}
