/*
 * mailmsg - the report mail: gzip, base64, RFC 5322 header and a MIME
 * multipart body, with CRLF line ends throughout.
 *
 * SYNOPSIS
 *	mailmsg_gzip(xml, len, &gz, &gzlen);          free(gz)
 *	mailmsg_gz_t *z = mailmsg_gzip_new();
 *	mailmsg_gzip_push(z, p, n); ...; mailmsg_gzip_finish(z, &gz, &gzlen);
 *	mailmsg_t m = { .from = ..., .to = ..., .subject = ..., ... };
 *	mailmsg_part_t parts[2] = { ... };
 *	strbuf_t msg; strbuf_init(&msg, MAILMSG_MAX);
 *	mailmsg_build(&m, parts, 2, &msg);            0 or -1
 *
 * DESCRIPTION
 *	mailmsg_gzip() compresses with zlib into a gzip member (RFC 1952,
 *	mtime 0, no file name, so equal input gives equal bytes) at level 1:
 *	on report XML that is five times faster than level 6 for about 15%
 *	more bytes.  The output belongs to the caller.  Returns 0 or -1.
 *	The same in pieces: mailmsg_gzip_push() compresses n more bytes
 *	(what it keeps is the compressed output so far and zlib's window),
 *	mailmsg_gzip_finish() ends the stream, hands the output over and
 *	frees the stream (also on -1), mailmsg_gzip_free() drops a stream
 *	(NULL ok).  The bytes do not depend on how the input was cut.
 *
 *	mailmsg_build() writes From (with the display name in a quoted
 *	string when given), To, Subject, Date, Message-ID (the id given,
 *	stable across retries), MIME-Version, Auto-Submitted:
 *	auto-generated (RFC 3834: no auto-replies, no vacation loops), the
 *	multipart Content-Type (m->multipart, e.g. "mixed" or
 *	"report; report-type=feedback-report") and the parts.  A part with
 *	base64 set is encoded in lines of 76 characters; others are copied
 *	with line ends made CRLF (such a part must be 7-bit text).  Header
 *	lines longer than 78 characters are folded at spaces.  The
 *	boundary is chosen so that it occurs in no part.  All header texts
 *	must be printable ASCII (checked: -1 otherwise); RFC 2047 is never
 *	needed for what the reporter writes.
 *
 *	mailmsg_date() formats an RFC 5322 date in UTC.
 *
 *	The message is bounded by the strbuf's limit: -1 when it does not
 *	fit.
 */
#ifndef REPORTER_MAILMSG_H
#define REPORTER_MAILMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../util/strbuf.h"

#define MAILMSG_MAX (256UL * 1024 * 1024)

typedef struct mailmsg_part {
	const char *content_type;    /* full value, with parameters */
	const char *disposition;     /* Content-Disposition value or NULL */
	const unsigned char *data;
	size_t len;
	bool base64;
} mailmsg_part_t;

typedef struct mailmsg {
	const char *from;            /* address */
	const char *from_name;       /* display name or NULL */
	const char *to;              /* address */
	const char *subject;
	const char *message_id;      /* without angle brackets */
	time_t date;
	const char *multipart;       /* subtype and parameters */
} mailmsg_t;

typedef struct mailmsg_gz mailmsg_gz_t;

int mailmsg_gzip(const unsigned char *in, size_t len, unsigned char **out,
    size_t *outlen);
mailmsg_gz_t *mailmsg_gzip_new(void);
int mailmsg_gzip_push(mailmsg_gz_t *gz, const unsigned char *p, size_t n);
int mailmsg_gzip_finish(mailmsg_gz_t *gz, unsigned char **out,
    size_t *outlen);
void mailmsg_gzip_free(mailmsg_gz_t *gz);
int mailmsg_build(const mailmsg_t *m, const mailmsg_part_t *parts,
    size_t nparts, strbuf_t *out);
void mailmsg_date(time_t t, char *buf, size_t size);
/* Base64 with CRLF every 76 characters (tests use it too). */
void mailmsg_base64(const unsigned char *p, size_t n, strbuf_t *out);

#endif
