/*
 * authres_parse - read the payload of an Authentication-Results or
 * ARC-Authentication-Results header field (RFC 8601 section 2.2, RFC 8617
 * section 4.1.1) into method=result entries with their properties.
 *
 * SYNOPSIS
 *	ar_payload_t p;
 *	if (ar_parse(text, len, &p) == 0) {
 *		const ar_entry_t *e = ar_find(&p, "dmarc", 0);
 *		const char *from = e ? ar_prop(e, "header", "from") : NULL;
 *	}
 *
 * DESCRIPTION
 *	ar_parse() reads exactly len bytes of text (not necessarily
 *	NUL-terminated; a NUL byte is an error): an optional "i=N;" prefix
 *	(ARC-Authentication-Results; the instance is stored), the
 *	authserv-id (token or quoted-string), an optional version, then
 *	either "; none" or one or more "; method[/version]=result
 *	[reason=value] [ptype.property=pvalue ...]".  CFWS (spaces, tabs,
 *	CR, LF and comments, nested at most AR_COMMENT_DEPTH deep, with
 *	quoted-pairs) may appear wherever RFC 8601 allows it.  Methods,
 *	results, ptypes and properties are keywords (letters, digits, '-',
 *	'_' and '.' accepted in properties) and are stored lower-cased;
 *	values keep their case, quoted-strings are unquoted.  A pvalue may
 *	be a token, a quoted-string, or [local-part] "@" domain; as
 *	deployed software writes base64 fragments (header.b=ab/+c=), any
 *	printable run without CFWS, ';', '"' or '\' is accepted.
 *
 *	Everything is bounded: input at most AR_INPUT_MAX bytes, at most
 *	AR_MAX_ENTRIES entries of at most AR_MAX_PROPS properties, values
 *	at most AR_VALUE_MAX - 1 bytes.  Past any bound the payload is
 *	refused, never cut: a caller deciding trust from it must not act on
 *	half of it.  The result is a plain value (about 25 KB), nothing to
 *	free.  No I/O, no global state; thread-safe.
 *
 *	ar_find() returns the first entry for method (case-insensitive) at
 *	or after index start, or NULL.  ar_prop() returns the value of
 *	ptype.property in an entry, or NULL.
 *
 * DIAGNOSTICS
 *	ar_parse() returns 0, or -1 with a short reason and the byte offset
 *	in p->error (never input bytes).
 */
#ifndef AUTHRES_PARSE_H
#define AUTHRES_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define AR_INPUT_MAX 16384
#define AR_MAX_ENTRIES 16
#define AR_MAX_PROPS 6
#define AR_VALUE_MAX 320        /* local-part "@" domain */
#define AR_KEYWORD_MAX 32
#define AR_COMMENT_DEPTH 8
#define AR_ERROR_MAX 96

typedef struct ar_prop {
	char ptype[AR_KEYWORD_MAX];          /* "smtp", "header", ... */
	char property[AR_KEYWORD_MAX];       /* "mailfrom", "d", ... */
	char value[AR_VALUE_MAX];
} ar_prop_t;

typedef struct ar_entry {
	char method[AR_KEYWORD_MAX];         /* "spf", "dkim", "dmarc" */
	char result[AR_KEYWORD_MAX];         /* "pass", "fail", ... */
	char reason[AR_VALUE_MAX];           /* reason=, "" when absent */
	size_t nprops;
	ar_prop_t prop[AR_MAX_PROPS];
} ar_entry_t;

typedef struct ar_payload {
	unsigned instance;                   /* ARC i=, 0 when absent */
	char authserv_id[AR_VALUE_MAX];
	unsigned version;                    /* 0 when absent */
	bool none;                           /* "; none" */
	size_t nentries;
	ar_entry_t entry[AR_MAX_ENTRIES];
	char error[AR_ERROR_MAX];
} ar_payload_t;

int ar_parse(const char *text, size_t len, ar_payload_t *out);
const ar_entry_t *ar_find(const ar_payload_t *p, const char *method,
    size_t start);
const char *ar_prop(const ar_entry_t *e, const char *ptype,
    const char *property);

#endif
