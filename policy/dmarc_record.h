/*
 * dmarc_record - parse one DMARC policy record (RFC 9989, RFC 7489 6.3).
 *
 * SYNOPSIS
 *	dmarc_record_t rec;
 *	char err[DMARC_ERR_MAX];
 *	switch (dmarc_record_parse(txt, len, &rec, err, sizeof(err))) ...
 *
 *	switch (dmarc_record_select(answer, &rec, err, sizeof(err))) ...
 *
 * DESCRIPTION
 *	dmarc_record_parse() reads one TXT record of at most len bytes (it
 *	need not be NUL-terminated).  The record must start with "v=DMARC1"
 *	(RFC 9989 4.7: the v tag first, nothing before it, value
 *	case-sensitive, followed by ';' or the end); otherwise it is not a
 *	DMARC record at all.  Other tags may come in any order, with optional
 *	SP/HTAB around '=' and ';'; tag names and the keyword values (none,
 *	r, y, ...) are case-insensitive (RFC 5234 quoted strings).  Unknown
 *	tags are ignored (RFC 9989 4.7).  No prefix abbreviations (p=n is not
 *	"none") and no lenient numbers (pct=abc is not 0).
 *
 *	What makes the whole record invalid (DMARC_RECORD_INVALID, no
 *	policy), with err naming the tag and byte offset:
 *	 - a known tag given twice (case-insensitively): RFC 9989 4.7 uses
 *	   the DKIM tag-list syntax, and RFC 6376 3.2 says a duplicate tag
 *	   makes the entire tag-list invalid.  Unknown tags may repeat;
 *	 - a NUL byte anywhere, or more than DMARC_RECORD_MAX_LEN bytes;
 *	 - an invalid p, sp or np value when rua holds no syntactically valid
 *	   URI (RFC 9989 4.10.1: "applies no DMARC processing").  Then
 *	   `policy_invalid` is set and the rest of the record is filled in.
 *	With at least one valid rua URI the record is instead treated as
 *	"p=none" (p, sp and np all none, RFC 9989 4.10.1 read literally),
 *	the status is DMARC_RECORD_OK and `policy_invalid` is set.
 *
 *	Any other syntax error is discarded in favour of the default (RFC
 *	9989 4.8: "Syntax errors in the remainder of the record MUST be
 *	discarded in favor of default values (if any) or ignored
 *	outright"): a bad adkim/aspf/t/psd/fo/pct/ri/rf value, a malformed
 *	tag-spec (no '='), an empty tag-spec (";;"), an invalid URI in a
 *	list.  The status stays DMARC_RECORD_OK, `tags_discarded` counts
 *	them and err holds one note per problem ("; "-separated, with tag
 *	and offset; empty when the record was clean).
 *
 *	Defaults are applied in the parsed record: a record with no p= is
 *	p=none (RFC 9989 4.7); sp defaults to p and np to sp (`*_present` tell
 *	what was written); adkim/aspf relaxed; pct 100; t=n; psd=u; fo=0;
 *	rf afrf; ri 86400.  fo follows RFC 9989 4.8 (0 and 1 exclusive, each
 *	option at most once).  rua/ruf are comma-separated URIs (RFC 3986
 *	character syntax, scheme ':' and at least one more byte; ',' and
 *	'!' must be %-escaped) with the RFC 7489 "!size" suffix (k/m/g/t,
 *	powers of two) kept in `size` and cut from `uri`; URIs are stored
 *	as given, trimmed.  At most DMARC_MAX_URIS URIs of less than
 *	DMARC_URI_MAX bytes each are kept; others are dropped and
 *	`uris_dropped` is set.
 *
 *	dmarc_record_select() applies RFC 9989 4.10 step 2 to all TXT records
 *	at one _dmarc name: records not starting with "v=DMARC1" are
 *	ignored; exactly one DMARC record is required.  Returns
 *	DMARC_RECORD_OK with *out set; DMARC_RECORD_NOT_DMARC when there is
 *	none; DMARC_RECORD_INVALID when there are several (all discarded,
 *	`policy_invalid` false), when the answer was truncated so uniqueness
 *	cannot be told (even when the kept records hold no DMARC record),
 *	or when the only one is invalid (err says why).
 *
 *	dmarc_record_format() writes the canonical text: every RFC 9989 tag
 *	with its effective value in a fixed order, then rua/ruf, then pct,
 *	rf, ri only when written.  Returns the length, or -1 when buf is too
 *	small (buf then holds a terminated prefix).  Parsing the canonical
 *	text yields the same record.
 *
 * DIAGNOSTICS
 *	Parse results: DMARC_RECORD_OK; DMARC_RECORD_NOT_DMARC (does not start
 *	with v=DMARC1: not a DMARC record at all); DMARC_RECORD_INVALID (a
 *	DMARC record that yields no policy; err says which tag and the byte
 *	offset).  Messages contain only printable ASCII.
 */
#ifndef DMARC_RECORD_H
#define DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "dnsops.h"

#define DMARC_ERR_MAX 160
#define DMARC_MAX_URIS 8
#define DMARC_URI_MAX 256
#define DMARC_RECORD_MAX_LEN 8192   /* real records are < 1 KB */

typedef enum dmarc_policy {
	DMARC_POLICY_UNSPEC = 0,
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
} dmarc_policy_t;

typedef enum dmarc_align {
	DMARC_ALIGN_RELAXED = 0,
	DMARC_ALIGN_STRICT,
} dmarc_align_t;

typedef enum dmarc_record_status {
	DMARC_RECORD_OK = 0,
	DMARC_RECORD_NOT_DMARC,
	DMARC_RECORD_INVALID,
} dmarc_record_status_t;

typedef struct dmarc_uri {
	char uri[DMARC_URI_MAX];   /* e.g. "mailto:rua@example.com" */
	unsigned long long size;   /* RFC 7489 "!10m" limit in bytes, 0 none */
} dmarc_uri_t;

typedef struct dmarc_record {
	dmarc_policy_t p, sp, np;  /* effective, defaults applied */
	bool p_present, sp_present, np_present;
	dmarc_align_t adkim, aspf;
	bool adkim_present, aspf_present;
	unsigned pct;              /* 0..100, RFC 7489 legacy */
	bool pct_present;
	bool testing;              /* t=y (RFC 9989) */
	bool t_present;
	char psd;                  /* 'y', 'n' or 'u' */
	char fo[16];               /* validated fo value, e.g. "0", "1:d" */
	char rf[32];               /* RFC 7489 legacy, e.g. "afrf" */
	unsigned long ri;          /* RFC 7489 legacy */
	size_t nrua, nruf;
	dmarc_uri_t rua[DMARC_MAX_URIS];
	dmarc_uri_t ruf[DMARC_MAX_URIS];
	bool uris_dropped;
	bool rf_present, ri_present;
	bool policy_invalid;       /* p/sp/np value invalid, see above */
	unsigned tags_discarded;   /* syntax errors ignored (RFC 9989 4.8) */
} dmarc_record_t;

dmarc_record_status_t dmarc_record_parse(const char *txt, size_t len,
    dmarc_record_t *out, char *err, size_t errlen);

/* Pick the DMARC record among all TXT records at one name (see above). */
dmarc_record_status_t dmarc_record_select(const txt_answer_t *a,
    dmarc_record_t *out, char *err, size_t errlen);

const char *dmarc_policy_name(dmarc_policy_t p);   /* "none", ... */
const char *dmarc_align_name(dmarc_align_t a);     /* "r" or "s" */
/* Write the record back as canonical text (for logs, history, tests). */
int dmarc_record_format(const dmarc_record_t *r, char *buf, size_t size);

#endif
