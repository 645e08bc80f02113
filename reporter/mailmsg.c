/*
 * mailmsg - gzip and MIME for report mail.  See mailmsg.h.
 */
#include "mailmsg.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define FOLD_AT 78

struct mailmsg_gz {
	z_stream z;
	strbuf_t out;
};

mailmsg_gz_t *mailmsg_gzip_new(void)
{
	mailmsg_gz_t *gz = calloc(1, sizeof(*gz));

	if (gz == NULL)
		abort();
	/* 15 + 16: a gzip wrapper with a default (zero) header. */
	if (deflateInit2(&gz->z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(gz);
		return NULL;
	}
	strbuf_init(&gz->out, UINT_MAX);
	return gz;
}

void mailmsg_gzip_free(mailmsg_gz_t *gz)
{
	if (gz == NULL)
		return;
	deflateEnd(&gz->z);
	strbuf_free(&gz->out);
	free(gz);
}

/* Deflate what is in z.next_in (all of it; with Z_FINISH, to the end of
 * the stream) into gz->out. */
static int deflate_out(mailmsg_gz_t *gz, int flush)
{
	unsigned char buf[32768];
	int rc;

	do {
		gz->z.next_out = buf;
		gz->z.avail_out = sizeof(buf);
		rc = deflate(&gz->z, flush);
		if (rc == Z_STREAM_ERROR || strbuf_append(&gz->out,
		    (const char *)buf, sizeof(buf) - gz->z.avail_out) < 0)
			return -1;
	} while (gz->z.avail_out == 0 || (flush == Z_FINISH &&
	    rc != Z_STREAM_END));
	return 0;
}

int mailmsg_gzip_push(mailmsg_gz_t *gz, const unsigned char *p, size_t n)
{
	while (n > 0) {
		uInt k = n > UINT_MAX ? UINT_MAX : (uInt)n;

		gz->z.next_in = (Bytef *)(uintptr_t)p;
		gz->z.avail_in = k;
		if (deflate_out(gz, Z_NO_FLUSH) < 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

int mailmsg_gzip_finish(mailmsg_gz_t *gz, unsigned char **out,
    size_t *outlen)
{
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	gz->z.next_in = NULL;
	gz->z.avail_in = 0;
	if (deflate_out(gz, Z_FINISH) == 0) {
		*outlen = gz->out.len;
		*out = (unsigned char *)strbuf_steal(&gz->out);
		rc = 0;
	}
	mailmsg_gzip_free(gz);
	return rc;
}

int mailmsg_gzip(const unsigned char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	mailmsg_gz_t *gz = mailmsg_gzip_new();

	*out = NULL;
	*outlen = 0;
	if (gz == NULL)
		return -1;
	if (mailmsg_gzip_push(gz, in, len) < 0) {
		mailmsg_gzip_free(gz);
		return -1;
	}
	return mailmsg_gzip_finish(gz, out, outlen);
}

void mailmsg_base64(const unsigned char *p, size_t n, strbuf_t *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	char q[4];
	size_t i, col = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = tab[v >> 18 & 63];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		strbuf_append(out, q, 4);
		col += 4;
		if (col == 76) {
			strbuf_puts(out, "\r\n");
			col = 0;
		}
	}
	if (col > 0)
		strbuf_puts(out, "\r\n");
}

void mailmsg_date(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (strftime(buf, size, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0 &&
	    size > 0)
		buf[0] = '\0';
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* "Name: value", folded at spaces before FOLD_AT where possible. */
static void header(strbuf_t *out, const char *name, const char *value)
{
	size_t col = strlen(name) + 2, wlen;
	const char *p = value;

	strbuf_appendf(out, "%s: ", name);
	while (*p) {
		wlen = strcspn(p + 1, " ") + 1;
		if (*p == ' ' && col + wlen > FOLD_AT && col > strlen(name) + 2) {
			strbuf_puts(out, "\r\n");
			col = 0;
		}
		strbuf_append(out, p, wlen);
		col += wlen;
		p += wlen;
	}
	strbuf_puts(out, "\r\n");
}

static bool contains(const mailmsg_part_t *parts, size_t n, const char *b)
{
	size_t blen = strlen(b);

	for (size_t i = 0; i < n; i++)
		if (!parts[i].base64 && parts[i].len >= blen &&
		    memmem(parts[i].data, parts[i].len, b, blen) != NULL)
			return true;
	return false;
}

/* 7-bit text with its line ends made CRLF. */
static void text_crlf(strbuf_t *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			strbuf_putc(out, '\r');
		strbuf_putc(out, (char)p[i]);
	}
	if (n > 0 && p[n - 1] != '\n')
		strbuf_puts(out, "\r\n");
}

static void write_parts(strbuf_t *out, const char *boundary,
    const mailmsg_part_t *parts, size_t nparts)
{
	for (size_t i = 0; i < nparts; i++) {
		strbuf_appendf(out, "\r\n--%s\r\n", boundary);
		header(out, "Content-Type", parts[i].content_type);
		if (parts[i].disposition)
			header(out, "Content-Disposition", parts[i].disposition);
		header(out, "Content-Transfer-Encoding", parts[i].base64 ?
		    "base64" : "7bit");
		strbuf_puts(out, "\r\n");
		if (parts[i].base64)
			mailmsg_base64(parts[i].data, parts[i].len, out);
		else
			text_crlf(out, parts[i].data, parts[i].len);
	}
	strbuf_appendf(out, "\r\n--%s--\r\n", boundary);
}

int mailmsg_build(const mailmsg_t *m, const mailmsg_part_t *parts,
    size_t nparts, strbuf_t *out)
{
	char date[64], boundary[96], value[1024];
	unsigned serial = 0;

	if (!printable(m->from) || !printable(m->to) ||
	    !printable(m->subject) || !printable(m->message_id) ||
	    (m->from_name && !printable(m->from_name)))
		return -1;
	do
		str_format(boundary, sizeof(boundary), "=_dw_%08x_%u",
		    (unsigned)(m->date & 0xffffffff), serial++);
	while (contains(parts, nparts, boundary));
	if (m->from_name && m->from_name[0]) {
		strbuf_t q;

		strbuf_init(&q, sizeof(value) - 1);
		strbuf_putc(&q, '"');
		for (const char *p = m->from_name; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_putc(&q, '\\');
			strbuf_putc(&q, *p);
		}
		strbuf_appendf(&q, "\" <%s>", m->from);
		header(out, "From", strbuf_str(&q));
		strbuf_free(&q);
	} else {
		str_format(value, sizeof(value), "<%s>", m->from);
		header(out, "From", value);
	}
	str_format(value, sizeof(value), "<%s>", m->to);
	header(out, "To", value);
	header(out, "Subject", m->subject);
	mailmsg_date(m->date, date, sizeof(date));
	header(out, "Date", date);
	str_format(value, sizeof(value), "<%s>", m->message_id);
	header(out, "Message-ID", value);
	header(out, "MIME-Version", "1.0");
	header(out, "Auto-Submitted", "auto-generated");
	str_format(value, sizeof(value), "multipart/%s; boundary=\"%s\"",
	    m->multipart, boundary);
	header(out, "Content-Type", value);
	strbuf_puts(out, "\r\nThis is a multi-part message in MIME format.\r\n");
	write_parts(out, boundary, parts, nparts);
	return out->truncated ? -1 : 0;
}
