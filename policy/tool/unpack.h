/*
 * unpack - bounded decoders for received report containers: gzip, zip
 * (stored and deflate members), base64 and quoted-printable.
 *
 * SYNOPSIS
 *	strbuf_t out; strbuf_init(&out, max);
 *	if (unpack_gunzip(data, len, &out, err, sizeof(err)) < 0) ...
 *	unpack_budget_t b = { bytes, members };
 *	unpack_zip(data, len, max, &b, each_member, ctx, err, sizeof(err));
 *	unpack_base64(text, len, &out);
 *	unpack_kind(data, len)
 *
 * DESCRIPTION
 *	Every decoder writes into a strbuf whose limit is the caller's cap
 *	on the decoded size, and checks the cap while inflating: a zip bomb
 *	stops at the cap, it is never inflated in full.
 *
 *	unpack_gunzip() inflates one or more concatenated gzip members
 *	(zlib, RFC 1952).  Truncated or corrupt data, trailing garbage and
 *	output past the cap are errors; line ends, blanks and NULs after the
 *	last member (a trailing CRLF added by some mailers) are ignored.
 *
 *	unpack_zip() reads a zip archive (PKWARE APPNOTE) without any zip
 *	library: the end-of-central-directory record, then every central
 *	directory entry, each checked against the buffer's bounds, then the
 *	entry's local header; all before any member is inflated.  Only
 *	methods 0 (stored) and 8 (raw deflate) are accepted; encrypted
 *	entries, ZIP64, archives of more than UNPACK_ZIP_MAX_ENTRIES entries
 *	and entries whose bytes (local header and data) overlap another's
 *	or the central directory (the "overlapping zip bomb": one compressed
 *	kernel referenced by every entry) are refused.  A declared size over
 *	the cap or over what is left of the budget is refused before
 *	inflating, the actual size is checked while inflating, and the
 *	CRC-32 must match.  Each member takes one from b->members (none
 *	left: refused) and its size from b->bytes; the budget is shared by
 *	the nested calls each() makes, so it bounds one input file whatever
 *	its nesting.  Members are passed in the order of their offsets.
 *	Directory entries are
 *	skipped; each file member is passed to each() with its name
 *	(printable copy) and its bytes, which are valid during the call only.
 *	A non-zero return from each() stops the walk and is returned.
 *
 *	unpack_base64() decodes RFC 2045 base64 (../base64.h, lenient
 *	about missing padding), skipping whitespace; other bytes outside
 *	the alphabet, data after "=" and a lone trailing character are
 *	errors.  unpack_qp() decodes
 *	quoted-printable.  Both stop at the strbuf's limit (truncated set).
 *
 *	unpack_kind() sniffs the first bytes: gzip magic, zip local header,
 *	XML (optionally after a UTF-8 BOM and whitespace; a UTF-16 BOM also
 *	says XML, so that the XML checks refuse it by name), an mbox "From "
 *	line, or an RFC 5322 header line.
 *
 * DIAGNOSTICS
 *	Decoders return 0, or -1 with a short printable reason in err.
 */
#ifndef PTOOL_UNPACK_H
#define PTOOL_UNPACK_H

#include <stddef.h>

#include "../../util/strbuf.h"

#define UNPACK_ERR_MAX 160
#define UNPACK_ZIP_MAX_ENTRIES 64
#define UNPACK_NAME_MAX 128

typedef enum unpack_kind {
	UNPACK_UNKNOWN = 0,
	UNPACK_XML,
	UNPACK_GZIP,
	UNPACK_ZIP,
	UNPACK_MBOX,
	UNPACK_EMAIL,
} unpack_kind_t;

typedef int (*unpack_member_fn)(void *ctx, const char *name,
    const char *data, size_t len);

/* What one input file may still unpack, across all nesting levels. */
typedef struct unpack_budget {
	size_t bytes;          /* decompressed (or stored) member bytes */
	size_t members;        /* archive members and gzip streams */
} unpack_budget_t;

int unpack_gunzip(const char *data, size_t len, strbuf_t *out, char *err,
    size_t errlen);
int unpack_zip(const char *data, size_t len, size_t max, unpack_budget_t *b,
    unpack_member_fn each, void *ctx, char *err, size_t errlen);
int unpack_base64(const char *text, size_t len, strbuf_t *out);
int unpack_qp(const char *text, size_t len, strbuf_t *out);
unpack_kind_t unpack_kind(const char *data, size_t len);
const char *unpack_kind_name(unpack_kind_t k);

#endif
