/*
 * arc_tags - the DKIM tag-list parser (RFC 6376 3.2) used by the ARC
 * verifier for ARC-Message-Signature, ARC-Seal and key records, and the
 * strict value decoders that go with it.
 *
 * SYNOPSIS
 *	arc_tags_t t;
 *	if (arc_tags_parse(value, len, &t, why, sizeof(why)) < 0) ...
 *	const arc_tag_t *b = arc_tags_get(&t, "b");
 *	n = arc_b64_decode(b->val, b->val_len, out, sizeof(out));
 *	arc_tag_eq(b, "rsa-sha256"); arc_tag_number(t, &u);
 *
 * DESCRIPTION
 *	arc_tags_parse() splits a tag-list into at most ARC_TAGS_MAX
 *	tag-specs without copying: each arc_tag_t points into the caller's
 *	buffer, which must outlive the result.  The grammar is RFC 6376's:
 *	tag-name is ALPHA *(ALPHA / DIGIT / "_") and case-sensitive;
 *	whitespace (SP, HTAB, CR, LF: folding) around names, "=" and values
 *	is dropped, whitespace inside a value is kept; values are bytes
 *	%x21-3A / %x3C-7E, plus 8-bit bytes (RFC 8617 4.1.4 allows UTF-8
 *	in d= and s=); a trailing ";" is allowed, an empty tag-spec (";;")
 *	is not.  Refused: a duplicate tag name (RFC 6376 3.2: "Tags with
 *	duplicate names MUST NOT occur"), a NUL or other control byte, a
 *	malformed name, a missing "=", more than ARC_TAGS_MAX tags.
 *
 *	For each tag, val_off/val_len locate the trimmed value and
 *	spec_end is the offset of the ";" ending the tag-spec (or the
 *	input length): the signature code blanks b= by deleting
 *	[val_off_of_value_start, spec_end), i.e. the value and the
 *	whitespace after it, which is what signers hash.
 *
 *	arc_b64_decode() decodes base64 ignoring whitespace (base64.h, in
 *	strict mode); it refuses characters outside the alphabet, "="
 *	anywhere but at the end, a length (without whitespace) that is not
 *	a multiple of 4, and output longer than outlen.  Returns the
 *	decoded length or -1.
 *
 *	arc_tag_number() accepts 1 to 20 decimal digits whose value fits
 *	in an unsigned long long, nothing else.
 *
 * DIAGNOSTICS
 *	Parse errors return -1 with a short, printable reason in why.
 */
#ifndef MILTER_ARC_TAGS_H
#define MILTER_ARC_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#define ARC_TAGS_MAX 32

typedef struct arc_tag {
	const char *name;
	size_t name_len;
	const char *val;          /* trimmed value, not NUL-terminated */
	size_t val_len;
	size_t val_off;           /* offset of val in the parsed buffer */
	size_t eq_end;            /* offset just after the "=" */
	size_t spec_end;          /* offset of the ";" after it, or len */
} arc_tag_t;

typedef struct arc_tags {
	size_t n;
	arc_tag_t tag[ARC_TAGS_MAX];
} arc_tags_t;

int arc_tags_parse(const char *s, size_t len, arc_tags_t *out, char *why,
    size_t whylen);
/* The tag with this exact (case-sensitive) name, or NULL. */
const arc_tag_t *arc_tags_get(const arc_tags_t *t, const char *name);
/* Value equals word exactly (case-sensitive). */
bool arc_tag_eq(const arc_tag_t *t, const char *word);
/* Colon-separated lists (h=, and h= and s= of key records): each call
 * gives the next item, trimmed of whitespace, possibly empty; *pos
 * starts at 0.  false when there is none left. */
bool arc_tag_list_next(const arc_tag_t *t, size_t *pos, const char **item,
    size_t *len);
/* Does the list hold word (ASCII case-insensitive)? */
bool arc_tag_list_has(const arc_tag_t *t, const char *word);
/* Value is a decimal number (see above): 0 and *out set, else -1. */
int arc_tag_number(const arc_tag_t *t, unsigned long long *out);
long arc_b64_decode(const char *s, size_t len, unsigned char *out,
    size_t outlen);

#endif
