/*
 * ruf - failure reports read from an email.  See ruf.h.
 */
#include "ruf.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "../domain.h"
#include "../../util/strbuf.h"
#include "mime.h"

#define RUF_PART_MAX (64u << 10)    /* bytes kept of each part we read */

typedef struct parts {
	strbuf_t fields;   /* message/feedback-report */
	strbuf_t text;     /* first text/plain */
	strbuf_t inner;    /* header section of the enclosed message */
	bool has_fields, has_text, has_inner;
} parts_t;

/* Append n bytes to out as printable text (TAB is a blank), collapsing
 * the blanks at the start of what is appended. */
static void put_printable(char *out, size_t outlen, const char *s, size_t n)
{
	size_t have = strlen(out), i;

	for (i = 0; i < n && have + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == ' ') {
			if (have == 0 || out[have - 1] == ' ')
				continue;
			c = ' ';
		} else if (c < 0x20 || c >= 0x7f) {
			c = '?';
		}
		out[have++] = (char)c;
	}
	out[have] = '\0';
	while (have > 0 && out[have - 1] == ' ')
		out[--have] = '\0';
}

/* Does the line start with "name" and optional blanks, then ':'?  Returns
 * the offset of the value, or 0. */
static size_t field_name(const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name), i;

	if (n <= nl || strncasecmp(line, name, nl) != 0)
		return 0;
	for (i = nl; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i < n && line[i] == ':' ? i + 1 : 0;
}

void ruf_field(const char *block, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t pos = 0, next, n, v;
	bool in = false;

	out[0] = '\0';
	while (pos < len) {
		n = mime_line(block + pos, len - pos, &next);
		if (n == 0)
			break;                  /* end of the header section */
		if (block[pos] == ' ' || block[pos] == '\t') {
			if (in) {
				put_printable(out, outlen, " ", 1);
				put_printable(out, outlen, block + pos, n);
			}
		} else if (!in && (v = field_name(block + pos, n, name)) > 0) {
			in = true;
			put_printable(out, outlen, block + pos + v, n - v);
		} else if (in) {
			return;
		}
		pos += next;
	}
}

/* "  Key: value" lines of a plain-text body (Exim's failure reports). */
static void text_value(const char *text, size_t len, const char *key,
    char *out, size_t outlen)
{
	size_t pos = 0, next, n, b, v;

	out[0] = '\0';
	while (pos < len) {
		n = mime_line(text + pos, len - pos, &next);
		for (b = 0; b < n && (text[pos + b] == ' ' ||
		    text[pos + b] == '\t'); b++)
			;
		if ((v = field_name(text + pos + b, n - b, key)) > 0) {
			put_printable(out, outlen, text + pos + b + v, n - b - v);
			return;
		}
		pos += next;
	}
}

/* The domain of the (last) address in a From-like value, normalised. */
static void addr_domain(const char *value, char *out, size_t outlen)
{
	const char *lt = strrchr(value, '<'), *s = lt ? lt + 1 : value, *at;
	size_t n = 0;

	out[0] = '\0';
	at = strrchr(s, '@');
	if (at == NULL)
		return;
	at++;
	while (at[n] && strchr(">; \t)\"", at[n]) == NULL)
		n++;
	if (domain_normalize(at, n, out, outlen) < 0)
		out[0] = '\0';
}

/* header.from=DOMAIN in an Authentication-Results value. */
static void authres_header_from(const char *ar, char *out, size_t outlen)
{
	const char *p = strcasestr(ar, "header.from=");
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 12;
	while (p[n] && strchr("; \t)\"", p[n]) == NULL)
		n++;
	if (domain_normalize(p, n, out, outlen) < 0)
		out[0] = '\0';
}

/* An RFC 5322 date ("Mon, 1 Oct 2018 11:20:27 +0200"), or 0. */
static long long parse_date(const char *s)
{
	struct tm tm;
	const char *p = strchr(s, ','), *end;
	long off;

	p = p ? p + 1 : s;
	memset(&tm, 0, sizeof(tm));
	end = strptime(p, " %d %b %Y %H:%M:%S %z", &tm);
	if (end == NULL) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(p, " %d %b %Y %H:%M %z", &tm)) == NULL)
			return 0;
	}
	if (tm.tm_year < 90 || tm.tm_year > 200)
		return 0;
	off = tm.tm_gmtoff;            /* timegm() resets it */
	return (long long)timegm(&tm) - off;
}

static void take(strbuf_t *sb, bool *has, const char *data, size_t len)
{
	if (*has)
		return;
	*has = true;
	strbuf_append(sb, data, len < RUF_PART_MAX ? len : RUF_PART_MAX);
}

static int part_cb(void *ctx, const char *type, const char *data, size_t len)
{
	parts_t *p = ctx;

	if (strcmp(type, "message/feedback-report") == 0)
		take(&p->fields, &p->has_fields, data, len);
	else if (strcmp(type, "text/plain") == 0)
		take(&p->text, &p->has_text, data, len);
	else if (strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "text/rfc822-headers") == 0)
		take(&p->inner, &p->has_inner, data, len);
	return 0;
}

/* Hash bytes without CR: the same report in CRLF or LF form is one. */
static int update_nocr(EVP_MD_CTX *c, const strbuf_t *sb)
{
	const char *p = strbuf_str(sb), *end = p + sb->len, *cr;
	int ok = 1;

	while (ok && p < end) {
		cr = memchr(p, '\r', (size_t)(end - p));
		ok = EVP_DigestUpdate(c, p, (size_t)((cr ? cr : end) - p)) == 1;
		p = cr ? cr + 1 : end;
	}
	return ok && EVP_DigestUpdate(c, "", 1) == 1;
}

static void digest(const parts_t *p, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	out[0] = '\0';
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    !update_nocr(c, &p->fields) || !update_nocr(c, &p->inner) ||
	    (!p->has_fields && !update_nocr(c, &p->text)) ||
	    EVP_DigestFinal_ex(c, md, &n) != 1)
		n = 0;
	EVP_MD_CTX_free(c);
	for (i = 0; i < n && i < 32; i++)
		str_format(out + 2 * i, 3, "%02x", md[i]);
}

/* Fields of the message/feedback-report part. */
static int from_fields(const parts_t *p, ruf_t *r, char *ip, char *date,
    char *err, size_t errlen)
{
	const char *f = strbuf_str(&p->fields);
	size_t n = p->fields.len;
	char type[RUF_TEXT_MAX], dom[RUF_TEXT_MAX];

	ruf_field(f, n, "Feedback-Type", type, sizeof(type));
	if (type[0] && strcasecmp(type, "auth-failure") != 0) {
		str_format(err, errlen, "feedback report of type \"%.40s\", "
		    "not auth-failure", type);
		return 0;
	}
	ruf_field(f, n, "Reported-Domain", dom, sizeof(dom));
	if (dom[0] && domain_normalize(dom, strlen(dom), r->domain,
	    sizeof(r->domain)) < 0)
		r->domain[0] = '\0';
	ruf_field(f, n, "Source-IP", ip, RUF_TEXT_MAX);
	ruf_field(f, n, "Arrival-Date", date, RUF_TEXT_MAX);
	ruf_field(f, n, "Auth-Failure", r->auth_failure,
	    sizeof(r->auth_failure));
	ruf_field(f, n, "Delivery-Result", r->delivery_result,
	    sizeof(r->delivery_result));
	ruf_field(f, n, "Identity-Alignment", r->identity_alignment,
	    sizeof(r->identity_alignment));
	ruf_field(f, n, "DKIM-Domain", dom, sizeof(dom));
	if (dom[0] && domain_normalize(dom, strlen(dom), r->dkim_domain,
	    sizeof(r->dkim_domain)) < 0)
		r->dkim_domain[0] = '\0';
	ruf_field(f, n, "Original-Mail-From", r->mail_from,
	    sizeof(r->mail_from));
	ruf_field(f, n, "Authentication-Results", r->auth_results,
	    sizeof(r->auth_results));
	return 1;
}

/* Exim's plain-text failure report: no feedback-report part. */
static int from_text(const parts_t *p, ruf_t *r, char *ip, char *date,
    char *err, size_t errlen)
{
	const char *t = strbuf_str(&p->text);
	size_t n = p->text.len;
	char dom[RUF_TEXT_MAX], spf[RUF_TEXT_MAX], dkim[RUF_TEXT_MAX];

	text_value(t, n, "Sender Domain", dom, sizeof(dom));
	text_value(t, n, "Sender IP Address", ip, RUF_TEXT_MAX);
	if (dom[0] == '\0' || ip[0] == '\0') {
		str_copy(err, errlen, "no feedback report (message/feedback-"
		    "report part) and no failure report text");
		return 0;
	}
	if (domain_normalize(dom, strlen(dom), r->domain, sizeof(r->domain)) <
	    0)
		r->domain[0] = '\0';
	text_value(t, n, "Received date", date, RUF_TEXT_MAX);
	text_value(t, n, "SPF Alignment", spf, sizeof(spf));
	text_value(t, n, "DKIM Alignment", dkim, sizeof(dkim));
	str_copy(r->auth_failure, sizeof(r->auth_failure), "dmarc");
	str_format(r->identity_alignment, sizeof(r->identity_alignment),
	    "%s%s%s", strcasecmp(spf, "yes") == 0 ? "spf" : "",
	    strcasecmp(spf, "yes") == 0 && strcasecmp(dkim, "yes") == 0 ?
	    "," : "", strcasecmp(dkim, "yes") == 0 ? "dkim" : "");
	if (r->identity_alignment[0] == '\0')
		str_copy(r->identity_alignment, sizeof(r->identity_alignment),
		    "none");
	return 1;
}

static int fill(const char *msg, size_t len, const parts_t *p, ruf_t *r,
    char *err, size_t errlen)
{
	char ip[RUF_TEXT_MAX], date[RUF_TEXT_MAX], v[RUF_TEXT_MAX];
	unsigned char bin[16];
	int rc;

	rc = p->has_fields ? from_fields(p, r, ip, date, err, errlen) :
	    p->has_text ? from_text(p, r, ip, date, err, errlen) : 0;
	if (rc == 0) {
		if (!p->has_fields && !p->has_text)
			str_copy(err, errlen, "no feedback report "
			    "(message/feedback-report part)");
		return 0;
	}
	if (p->has_inner) {
		ruf_field(strbuf_str(&p->inner), p->inner.len, "From", v,
		    sizeof(v));
		addr_domain(v, r->header_from, sizeof(r->header_from));
		ruf_field(strbuf_str(&p->inner), p->inner.len, "Subject",
		    r->subject, sizeof(r->subject));
	}
	if (r->domain[0] == '\0')
		str_copy(r->domain, sizeof(r->domain), r->header_from);
	if (r->domain[0] == '\0')
		authres_header_from(r->auth_results, r->domain,
		    sizeof(r->domain));
	if (r->domain[0] == '\0') {
		str_copy(err, errlen, "failure report names no valid domain "
		    "(Reported-Domain, From)");
		return 0;
	}
	if (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) ==
	    1)
		str_copy(r->source_ip, sizeof(r->source_ip), ip);
	if ((r->arrival = parse_date(date)) == 0) {
		ruf_field(msg, len, "Date", v, sizeof(v));
		r->arrival = parse_date(v);
	}
	ruf_field(msg, len, "From", v, sizeof(v));
	addr_domain(v, r->reporter, sizeof(r->reporter));
	digest(p, r->digest);
	return 1;
}

int ruf_parse(const char *msg, size_t len, size_t max, ruf_t *r, char *err,
    size_t errlen)
{
	parts_t p;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	strbuf_init(&p.fields, RUF_PART_MAX);
	strbuf_init(&p.text, RUF_PART_MAX);
	strbuf_init(&p.inner, RUF_PART_MAX);
	rc = mime_parts(msg, len, max, part_cb, &p, err, errlen);
	if (rc >= 0)
		rc = fill(msg, len, &p, r, err, errlen);
	strbuf_free(&p.fields);
	strbuf_free(&p.text);
	strbuf_free(&p.inner);
	return rc;
}
