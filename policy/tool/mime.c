/*
 * mime - find report attachments in an email.  See mime.h.
 */
#include "mime.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../util/strbuf.h"

typedef struct part_hdr {
	char type[MIME_HEADER_MAX];        /* Content-Type, unfolded */
	char encoding[64];                 /* Content-Transfer-Encoding */
	char disposition[MIME_HEADER_MAX]; /* Content-Disposition */
	char subject[MIME_HEADER_MAX];
} part_hdr_t;

typedef struct walk {
	size_t max, parts;
	unpack_member_fn each;
	void *ctx;
	char *err;
	size_t errlen;
	int found;
	bool all;          /* mime_parts(): every leaf, named by its type */
} walk_t;

/* Length of the line at p (without its LF), and where the next starts. */
static size_t line_len(const char *p, size_t len, size_t *next)
{
	const char *nl = memchr(p, '\n', len);
	size_t n = nl ? (size_t)(nl - p) : len;

	*next = nl ? n + 1 : len;
	return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

static void hdr_store(char *dst, size_t size, const char *v, size_t n)
{
	size_t have = strlen(dst);
	const char *end = v + n;

	if (have + 1 >= size)
		return;
	if (have > 0)
		dst[have++] = ' ';
	str_printable(dst + have, size - have, v, n);
	/* a folded line may start with a TAB (RFC 5322 WSP): keep it blank */
	for (; v < end && dst[have]; v++, have++)
		if (*v == '\t')
			dst[have] = ' ';
}

/* Parse the header block; returns the body offset, or -1 without one. */
static long parse_headers(const char *p, size_t len, part_hdr_t *h)
{
	size_t pos = 0, next, n, name;
	char *cur = NULL;
	size_t cursize = 0;

	memset(h, 0, sizeof(*h));
	while (pos < len) {
		n = line_len(p + pos, len - pos, &next);
		if (n == 0)
			return (long)(pos + next);
		if ((p[pos] == ' ' || p[pos] == '\t') && cur) {
			size_t b = 0;   /* a TAB fold would become '?' */

			while (b < n && p[pos + b] == '\t')
				b++;
			hdr_store(cur, cursize, p + pos + b, n - b);
		} else {
			const char *colon = memchr(p + pos, ':', n);

			cur = NULL;
			name = colon ? (size_t)(colon - (p + pos)) : 0;
#define HDR(s, f) (name == sizeof(s) - 1 && strncasecmp(p + pos, s, name) \
    == 0 && (cur = h->f, cursize = sizeof(h->f)))
			if (HDR("Content-Type", type) ||
			    HDR("Content-Transfer-Encoding", encoding) ||
			    HDR("Content-Disposition", disposition) ||
			    HDR("Subject", subject))
				hdr_store(cur, cursize, colon + 1, n - name - 1);
#undef HDR
		}
		pos += next;
	}
	return -1;
}

/* Raw value of parameter key in a header like 'a/b; key="v"' (quotes
 * removed).  Returns 1 when found. */
static int param_raw(const char *hv, const char *key, char *out,
    size_t outlen)
{
	size_t kl = strlen(key);
	const char *p = hv;

	out[0] = '\0';
	while ((p = strchr(p, ';')) != NULL) {
		size_t n = 0;

		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, key, kl) != 0 || p[kl] != '=')
			continue;
		p += kl + 1;
		if (*p == '"') {
			p++;
			while (p[n] && p[n] != '"')
				n++;
		} else {
			while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
				n++;
		}
		str_ncopy(out, outlen, p, n);
		return 1;
	}
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append an RFC 2231 extended value: %XX decoded, non-printable bytes
 * made '?'; the first segment starts with charset'language'. */
static void ext_append(strbuf_t *sb, const char *v, bool first)
{
	const char *q;
	int hi, lo;

	if (first && (q = strchr(v, '\'')) && (q = strchr(q + 1, '\'')))
		v = q + 1;
	for (; *v; v++) {
		char c = *v;

		if (c == '%' && (hi = hex_digit(v[1])) >= 0 &&
		    (lo = hex_digit(v[2])) >= 0) {
			c = (char)(hi << 4 | lo);
			v += 2;
		}
		strbuf_putc(sb, c > ' ' && c < 0x7f ? c : '?');
	}
}

/* Value of parameter name: name="v", or RFC 2231 name*=charset''v and
 * continuations name*0=, name*1*=, ... */
static void hdr_param(const char *hv, const char *name, char *out,
    size_t outlen)
{
	char key[64], seg[MIME_HEADER_MAX];
	strbuf_t sb;
	int i;

	if (param_raw(hv, name, out, outlen))
		return;
	strbuf_init(&sb, outlen - 1);
	str_format(key, sizeof(key), "%s*", name);
	if (param_raw(hv, key, seg, sizeof(seg)))
		ext_append(&sb, seg, true);
	else for (i = 0; i < 100; i++) {
		str_format(key, sizeof(key), "%s*%d*", name, i);
		if (param_raw(hv, key, seg, sizeof(seg))) {
			ext_append(&sb, seg, i == 0);
			continue;
		}
		str_format(key, sizeof(key), "%s*%d", name, i);
		if (!param_raw(hv, key, seg, sizeof(seg)))
			break;
		strbuf_puts(&sb, seg);
	}
	str_copy(out, outlen, strbuf_str(&sb));
	strbuf_free(&sb);
}

static void media_type(const char *hv, char *out, size_t outlen)
{
	size_t b = 0, n = 0;

	while (hv[b] == ' ' || hv[b] == '\t')
		b++;
	while (hv[b + n] && hv[b + n] != ';' && hv[b + n] != ' ')
		n++;
	str_ncopy(out, outlen, hv + b, n);
	str_lower(out);
	if (out[0] == '\0')
		str_copy(out, outlen, "text/plain");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static bool is_report_part(const char *type, const char *name)
{
	static const char *const types[] = { "application/gzip",
		"application/x-gzip", "application/x-gzip-compressed",
		"application/gzip-compressed", "application/x-gunzip",
		"application/zip", "application/x-zip",
		"application/x-zip-compressed", "text/xml", "application/xml",
		NULL };
	static const char *const names[] = { ".xml", ".gz", ".gzip", ".zip",
		NULL };
	size_t i;

	for (i = 0; types[i]; i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	/* any other type (octet-stream, text/plain, ...) by its file name */
	for (i = 0; names[i]; i++)
		if (ends_with(name, names[i]))
			return true;
	return false;
}

static int walk_part(walk_t *w, const char *p, size_t len, int depth);

static int leaf(walk_t *w, const part_hdr_t *h, const char *body, size_t len,
    const char *type)
{
	char name[UNPACK_NAME_MAX], enc[64];
	strbuf_t out;
	int rc, bad;

	hdr_param(h->disposition, "filename", name, sizeof(name));
	if (name[0] == '\0')
		hdr_param(h->type, "name", name, sizeof(name));
	if (!w->all && !is_report_part(type, name))
		return 0;
	if (name[0] == '\0' || w->all)
		str_copy(name, sizeof(name), type);
	w->found++;
	media_type(h->encoding, enc, sizeof(enc));
	strbuf_init(&out, w->max);
	if (strcmp(enc, "base64") == 0)
		bad = unpack_base64(body, len, &out);
	else if (strcmp(enc, "quoted-printable") == 0)
		bad = unpack_qp(body, len, &out);
	else
		bad = strbuf_append(&out, body, len);
	if (bad < 0) {
		str_format(w->err, w->errlen, "attachment %s: %s", name,
		    out.truncated ? "larger than the size limit" :
		    "bad transfer encoding");
		strbuf_free(&out);
		return -1;
	}
	rc = w->each(w->ctx, name, strbuf_str(&out), out.len);
	strbuf_free(&out);
	return rc;
}

static int multipart(walk_t *w, const part_hdr_t *h, const char *body,
    size_t len, int depth)
{
	char boundary[128];
	size_t blen, pos = 0, next, n, start = 0, end;
	bool in_part = false;
	int rc;

	hdr_param(h->type, "boundary", boundary, sizeof(boundary));
	if ((blen = strlen(boundary)) == 0) {
		str_copy(w->err, w->errlen, "multipart without boundary");
		return -1;
	}
	while (pos < len) {
		n = line_len(body + pos, len - pos, &next);
		if (n >= blen + 2 && body[pos] == '-' && body[pos + 1] == '-' &&
		    memcmp(body + pos + 2, boundary, blen) == 0) {
			/* the line break before a delimiter belongs to it */
			end = pos > start ? pos : start;
			if (end > start && body[end - 1] == '\n')
				end--;
			if (end > start && body[end - 1] == '\r')
				end--;
			if (in_part && (rc = walk_part(w, body + start,
			    end - start, depth + 1)) != 0)
				return rc;
			if (n >= blen + 4 && body[pos + blen + 2] == '-' &&
			    body[pos + blen + 3] == '-')
				return 0;
			in_part = true;
			start = pos + next;
		}
		pos += next;
	}
	/* no closing delimiter: take the last part as it is */
	return in_part ? walk_part(w, body + start, len - start, depth + 1) : 0;
}

static int walk_part(walk_t *w, const char *p, size_t len, int depth)
{
	part_hdr_t *h;
	char type[128];
	long body;
	int rc;

	if (depth > MIME_MAX_DEPTH || ++w->parts > MIME_MAX_PARTS) {
		str_copy(w->err, w->errlen, depth > MIME_MAX_DEPTH ?
		    "MIME structure nested too deeply" : "too many MIME parts");
		return -1;
	}
	if ((h = malloc(sizeof(*h))) == NULL)
		abort();
	body = parse_headers(p, len, h);
	if (body < 0) {
		str_copy(w->err, w->errlen, "no end of header section");
		free(h);
		return -1;
	}
	media_type(h->type, type, sizeof(type));
	if (strncmp(type, "multipart/", 10) == 0)
		rc = multipart(w, h, p + body, len - (size_t)body, depth);
	else
		rc = leaf(w, h, p + body, len - (size_t)body, type);
	free(h);
	return rc;
}

int mime_reports(const char *msg, size_t len, size_t max,
    unpack_member_fn each, void *ctx, char *err, size_t errlen)
{
	walk_t w = { max, 0, each, ctx, err, errlen, 0, false };

	if (walk_part(&w, msg, len, 0) != 0)
		return -1;
	return w.found;
}

int mime_parts(const char *msg, size_t len, size_t max,
    unpack_member_fn each, void *ctx, char *err, size_t errlen)
{
	walk_t w = { max, 0, each, ctx, err, errlen, 0, true };
	int rc = walk_part(&w, msg, len, 0);

	return rc < 0 ? -1 : rc > 0 ? rc : w.found;
}

void mime_subject(const char *msg, size_t len, char *out, size_t outlen)
{
	part_hdr_t *h;

	if ((h = malloc(sizeof(*h))) == NULL)
		abort();
	parse_headers(msg, len, h);
	str_copy(out, outlen, h->subject[0] == ' ' ? h->subject + 1 :
	    h->subject);
	free(h);
}

size_t mime_line(const char *p, size_t len, size_t *next)
{
	return line_len(p, len, next);
}
