/*
 * spfwalk - count the DNS lookups an SPF record costs (RFC 7208 4.6.4),
 * statically, for "dmarcwarden-policy check".
 *
 * SYNOPSIS
 *	spfwalk_t w;
 *	spfwalk_run(resolver, "example.com", &w);
 *	... w.lookups, w.voids, w.errors, strbuf_str(&w.log) ...
 *	spfwalk_free(&w);
 *
 * DESCRIPTION
 *	Fetches the domain's SPF record (TXT strings starting "v=spf1",
 *	policy/spf_syntax.h decides), checks its syntax strictly
 *	(spf_syntax_check) and walks it term by term: include, a, mx, ptr,
 *	exists and redirect each cost one lookup toward the limit of
 *	SPFWALK_MAX_LOOKUPS (10); include and redirect targets are walked
 *	recursively (redirect only when the record has no "all").  A lookup
 *	that answers nothing (NXDOMAIN or no record: a/exists with no
 *	address, mx with no MX, an include/redirect target without an SPF
 *	record) is a void lookup; more than SPFWALK_MAX_VOID (2) is an
 *	error, as is an MX answer with more than 10 names (4.6.4), an
 *	include or redirect target without SPF record, several SPF records
 *	at one name, a syntax error, an include loop, or more than 10
 *	lookups.  Domain specs with macros cannot be resolved without a
 *	message: they are counted and noted, not followed.  ptr is counted
 *	and noted as discouraged (5.5).
 *
 *	At most SPFWALK_MAX_NAMES records are fetched (the walk stops
 *	after the limit is passed anyway).  One line per term goes to
 *	w.log; the walker owns it (spfwalk_free()).
 *
 * DIAGNOSTICS
 *	w.found: the domain has exactly one SPF record.  w.errors counts
 *	problems (each also in w.log prefixed "error:"); w.tempfail is set
 *	when DNS failed, the counts are then lower bounds.
 */
#ifndef PTOOL_SPFWALK_H
#define PTOOL_SPFWALK_H

#include <stdbool.h>

#include "../../util/strbuf.h"
#include "resolve.h"

#define SPFWALK_MAX_LOOKUPS 10
#define SPFWALK_MAX_VOID 2
#define SPFWALK_MAX_NAMES 40
#define SPFWALK_MAX_DEPTH 12

typedef struct spfwalk {
	bool found, tempfail;
	char record[512];          /* the top record (cut, printable) */
	unsigned lookups, voids, errors, fetched;
	strbuf_t log;
} spfwalk_t;

void spfwalk_run(resolve_t *r, const char *domain, spfwalk_t *w);
void spfwalk_free(spfwalk_t *w);

#endif
