/*
 * mime - find the aggregate report attached to an email (RFC 5322,
 * RFC 2045/2046), boundedly.
 *
 * SYNOPSIS
 *	n = mime_reports(msg, len, max, each, ctx, err, sizeof(err));
 *	n = mime_parts(msg, len, max, each, ctx, err, sizeof(err));
 *
 * DESCRIPTION
 *	Walks the message's MIME tree (multipart bodies nested at most
 *	MIME_MAX_DEPTH deep, at most MIME_MAX_PARTS parts in all, header
 *	fields unfolded up to MIME_HEADER_MAX bytes) and calls each() for
 *	every leaf part that can hold a report: application/gzip,
 *	application/x-gzip, application/x-gzip-compressed,
 *	application/gzip-compressed, application/x-gunzip, application/zip,
 *	application/x-zip, application/x-zip-compressed, text/xml,
 *	application/xml, or any other type whose file name ends in .xml,
 *	.gz, .gzip or .zip.  The part is decoded (base64, quoted-printable,
 *	7bit/8bit/binary) into at most max bytes; its name is the filename
 *	or name parameter (RFC 2231 filename*= and continuations decoded,
 *	printable) or the media type.  Header fields folded with a TAB are
 *	unfolded to a blank, so their parameters are read.  The
 *	bytes are valid during the call only.  A non-zero return from each()
 *	stops the walk.
 *
 *	mime_parts() walks the same way but calls each() for every leaf
 *	part (message/rfc822 included, not entered), decoded, with its
 *	media type (lower case) as the name: failure reports (ruf.h) need
 *	the message/feedback-report and text parts.  It returns each()'s
 *	non-zero return when that stopped the walk.
 *
 *	The Subject, when asked for with mime_subject(), is returned
 *	unfolded and printable (RFC 7489 reports carry "Report Domain: ...
 *	Report-ID: ...").
 *
 * DIAGNOSTICS
 *	mime_reports() returns the number of candidate parts, or -1 with a
 *	reason in err (bad base64, a part over max, too deep, too many
 *	parts, no header/body separator).
 */
#ifndef PTOOL_MIME_H
#define PTOOL_MIME_H

#include <stddef.h>

#include "unpack.h"

#define MIME_MAX_DEPTH 8
#define MIME_MAX_PARTS 100
#define MIME_HEADER_MAX 2048

int mime_reports(const char *msg, size_t len, size_t max,
    unpack_member_fn each, void *ctx, char *err, size_t errlen);
int mime_parts(const char *msg, size_t len, size_t max,
    unpack_member_fn each, void *ctx, char *err, size_t errlen);
void mime_subject(const char *msg, size_t len, char *out, size_t outlen);
/* Length of the line at p without its LF or CRLF; *next is past it. */
size_t mime_line(const char *p, size_t len, size_t *next);

#endif
