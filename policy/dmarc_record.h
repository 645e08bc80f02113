/*
 * dmarc_record - parse one DMARC policy record (RFC 9989, RFC 7489 6.3).
 *
 * SYNOPSIS
 *	dmarc_record_t rec;
 *	char err[DMARC_ERR_MAX];
 *	switch (dmarc_record_parse(txt, len, &rec, err, sizeof(err))) ...
 *
 *	int n = dmarc_record_select(answer, &index, err, sizeof(err));
 *
 * DESCRIPTION
 *	dmarc_record_parse() reads one TXT record of at most len bytes (it
 *	need not be NUL-terminated and may contain NULs, which make it
 *	invalid).  The record must start with "v=DMARC1" (the v tag first,
 *	value case-sensitive per RFC 9989); other tags may come in any order,
 *	with optional whitespace around '=' and ';', tag names
 *	case-insensitive, values as the RFC says.  Unknown tags are ignored.
 *	No prefix abbreviations (p=n is invalid, not "none") and no lenient
 *	numbers (pct=abc is invalid, not 0).
 *
 *	Defaults are applied in the parsed record: a record with no p= is
 *	p=none (RFC 9989); sp defaults to p and np to sp (`*_present` tell
 *	what was written); adkim/aspf relaxed; pct 100; t=n; psd=u; fo=0;
 *	ri 86400.  rua/ruf keep at most DMARC_MAX_URIS URIs each; further ones
 *	are dropped and `uris_dropped` is set.
 *
 *	dmarc_record_select() applies RFC 9989's rule to all TXT records at a
 *	_dmarc name: records not starting with "v=DMARC1" are ignored; exactly
 *	one DMARC record is required, more than one means no policy.
 *
 * DIAGNOSTICS
 *	Parse results: DMARC_RECORD_OK; DMARC_RECORD_NOT_DMARC (does not start
 *	with v=DMARC1: not a DMARC record at all); DMARC_RECORD_INVALID (a
 *	DMARC record with a syntax error or invalid value; err says which tag
 *	and the byte offset).  A rejected record yields no policy.
 */
#ifndef DMARC_RECORD_H
#define DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "dnsops.h"

#define DMARC_ERR_MAX 160
#define DMARC_MAX_URIS 8
#define DMARC_URI_MAX 256

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
} dmarc_record_t;

dmarc_record_status_t dmarc_record_parse(const char *txt, size_t len,
    dmarc_record_t *out, char *err, size_t errlen);

/* Pick the DMARC record among all TXT records at one name.  Returns
 * DMARC_RECORD_OK with *index set; DMARC_RECORD_NOT_DMARC when there is
 * none; DMARC_RECORD_INVALID when there are several DMARC records (err
 * says so) or the only one does not parse. */
dmarc_record_status_t dmarc_record_select(const txt_answer_t *a,
    dmarc_record_t *out, char *err, size_t errlen);

const char *dmarc_policy_name(dmarc_policy_t p);   /* "none", ... */
const char *dmarc_align_name(dmarc_align_t a);     /* "r" or "s" */
/* Write the record back as canonical text (for logs, history, tests). */
int dmarc_record_format(const dmarc_record_t *r, char *buf, size_t size);

#endif
