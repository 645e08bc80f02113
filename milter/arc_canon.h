/*
 * arc_canon - DKIM canonicalization (RFC 6376 3.4): the project's one
 * streaming body hasher, and header field canonicalization.
 *
 * SYNOPSIS
 *	arc_bodyhash_t *bh = arc_bodyhash_new(ARC_CANON_RELAXED);
 *	arc_bodyhash_update(bh, chunk, len);        as the body streams
 *	arc_bodyhash_final(bh, digest);             SHA-256, 32 bytes
 *	arc_bodyhash_free(bh);
 *
 *	arc_canon_header(&sb, canon, name, value, crlf);
 *
 * DESCRIPTION
 *	Why this module exists.  DKIM signatures are verified by
 *	libopendkim (milter/dkim.c), whose canonicalizers are internal: the
 *	library exposes no body hash or header canonicalization a caller
 *	could feed.  ARC-Message-Signature verification (RFC 8617) needs
 *	exactly the same canonicalization and body hash as DKIM, so the
 *	project needs one implementation of its own.  This is it: the only
 *	body hasher in dmarcwarden outside libopendkim.  Anything else that
 *	has to hash a body the DKIM way (ARC today) uses this API rather
 *	than writing another.
 *
 *	Body.  arc_bodyhash_update() takes the body as it arrives, in pieces
 *	of any size, with CRLF line ends (as the milter receives it); a
 *	CRLF may be split across two calls.  Nothing of the body is kept:
 *	the only state is a handful of flags and a count of withheld empty
 *	lines, plus a 4 KB staging buffer in front of SHA-256.
 *	  simple:  every trailing CRLF is dropped and one CRLF appended
 *	           (an empty body hashes as CRLF);
 *	  relaxed: whitespace (SP, HTAB) at the end of a line is removed,
 *	           other runs of whitespace become one SP, trailing empty
 *	           lines are dropped, and a non-empty body ends with CRLF
 *	           (an empty body hashes as nothing).
 *	A CR not followed by LF is ordinary text.  There is no l= support:
 *	ARC forbids it; DKIM (libopendkim) uses this module only to learn
 *	the canonical body's length, arc_bodyhash_length(), to tell whether
 *	content follows a signature's l= (dkim.c).
 *
 *	Headers.  arc_canon_header() appends the canonical form of one
 *	header field to sb: name and value are as the milter delivers them
 *	(value = every byte after the colon, folds as CRLF).  simple keeps
 *	both exactly ("name:value"); relaxed lower-cases the name, drops
 *	whitespace at the end of the name, removes the CRLF of folds,
 *	turns runs of SP/HTAB into one SP and drops whitespace at both ends
 *	of the value.  crlf appends CRLF (signature header fields are
 *	hashed without it).
 *
 *	arc_canon_parse() maps "relaxed/simple" style c= values: header
 *	and body canonicalization; a missing body part means simple, an
 *	unknown word fails.
 *
 * DIAGNOSTICS
 *	arc_bodyhash_new() returns NULL only when OpenSSL cannot set up
 *	SHA-256 (allocation failure).  arc_canon_header() returns -1 when
 *	sb refuses the append (its limit).
 */
#ifndef MILTER_ARC_CANON_H
#define MILTER_ARC_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/strbuf.h"

#define ARC_DIGEST_LEN 32               /* SHA-256 */

typedef enum arc_canon {
	ARC_CANON_SIMPLE = 0,
	ARC_CANON_RELAXED = 1,
} arc_canon_t;

typedef struct arc_bodyhash arc_bodyhash_t;

arc_bodyhash_t *arc_bodyhash_new(arc_canon_t canon);
void arc_bodyhash_update(arc_bodyhash_t *bh, const unsigned char *p,
    size_t n);
/* Finish and write the digest; the hasher accepts no more input. */
void arc_bodyhash_final(arc_bodyhash_t *bh,
    unsigned char digest[ARC_DIGEST_LEN]);
void arc_bodyhash_free(arc_bodyhash_t *bh);
/* Bytes of canonical body hashed so far; after final, the whole
 * canonical body's length (DKIM l= is measured in these). */
unsigned long long arc_bodyhash_length(const arc_bodyhash_t *bh);

int arc_canon_header(strbuf_t *sb, arc_canon_t canon, const char *name,
    size_t namelen, const char *value, size_t valuelen, bool crlf);

/* Parse c= ("relaxed/relaxed", "simple", ...): 0, or -1 if invalid. */
int arc_canon_parse(const char *v, size_t n, arc_canon_t *header,
    arc_canon_t *body);

#endif
