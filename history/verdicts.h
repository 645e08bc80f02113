/*
 * verdicts - the verdict history read back per message and per author
 * domain, read-only, for the domain owner's tool (dmarcwarden-policy
 * --history), on SQLite or PostgreSQL.
 *
 * SYNOPSIS
 *	#include "verdicts.h"
 *	verdicts_t *vd = verdicts_open(spec, err, sizeof(err));
 *	verdicts_rows(vd, "example.com" or "", from, to, row_fn, ctx);
 *	verdicts_domains(vd, "", from, to, 1000, dom_fn, ctx);
 *	verdicts_reasons(vd, "example.com", from, to, reason_fn, ctx);
 *	verdicts_tempfailed(vd, "", from, to);
 *	verdicts_close(vd);
 *
 * DESCRIPTION
 *	verdicts_open() opens the history named by spec (an SQLite path,
 *	opened read-only, or a PostgreSQL URI, hdb.h) and checks its schema
 *	with hist_schema_open() without creating or upgrading anything:
 *	versions 1 to HISTORY_SCHEMA_VERSION are read (the SQL follows the
 *	version: columns a version lacks are derived or left out), a newer
 *	version or a database that is not a history is refused.  err then
 *	names the database (password redacted) and says why.
 *
 *	A domain argument selects header_from equal to it or a subdomain of
 *	it; "" selects every domain.  The window is from <= time < to.
 *
 *	Rows whose action is "tempfail" (schema version 3 on) are never
 *	passed on or counted: the milter told the MTA to try later, the
 *	sender retries, and the retry gets its own row (as the reporter
 *	does).  verdicts_tempfailed() counts them, so a caller can say how
 *	many were left out.
 *
 *	verdicts_rows() calls fn for each message row in id order; the
 *	strings live until fn returns.  sig[] holds the message's DKIM
 *	signatures (domain, result; at most VERDICTS_MAX_SIGS) and reason[]
 *	its policy override reasons (at most VERDICTS_MAX_REASONS), from
 *	the row's summaries or, in version 1 rows, from the child tables.
 *	fn returns 0 to go on.  verdicts_domains() calls fn per author
 *	domain, most messages first, at most max domains;
 *	verdicts_reasons() per override reason of one author domain, most
 *	frequent first.  They return the number of calls, or -1 with
 *	verdicts_error() set.
 *
 *	verdicts_close() accepts NULL.
 */
#ifndef HISTORY_VERDICTS_H
#define HISTORY_VERDICTS_H

#include <stdbool.h>
#include <stddef.h>

#define VERDICTS_MAX_SIGS 16
#define VERDICTS_MAX_REASONS 8

typedef struct verdicts verdicts_t;

typedef struct verdict_row {
	long long id, time;
	const char *source_ip, *header_from, *spf_domain, *spf_result;
	bool spf_aligned, dkim_aligned;
	const char *disposition;        /* applied; "none" when NULL */
	const char *p, *sp;             /* '' when no policy */
	int pct;                        /* -1 when no policy */
	const char *testing;            /* "y" or "n" */
	const char *adkim, *aspf;       /* '' when no policy */
	size_t nsigs, nreasons;
	struct { const char *domain, *result; } sig[VERDICTS_MAX_SIGS];
	const char *reason[VERDICTS_MAX_REASONS];
} verdict_row_t;

typedef struct verdict_domain {
	const char *domain;
	unsigned long long total, pass, fail, quarantined, rejected;
	unsigned long long overridden;
} verdict_domain_t;

typedef int (*verdict_row_fn)(void *ctx, const verdict_row_t *r);
typedef int (*verdict_domain_fn)(void *ctx, const verdict_domain_t *d);
typedef int (*verdict_reason_fn)(void *ctx, const char *reason,
    unsigned long long count);

verdicts_t *verdicts_open(const char *spec, char *err, size_t errlen);
void verdicts_close(verdicts_t *vd);
int verdicts_version(const verdicts_t *vd);
const char *verdicts_error(const verdicts_t *vd);

long long verdicts_rows(verdicts_t *vd, const char *domain, long long from,
    long long to, verdict_row_fn fn, void *ctx);
long long verdicts_domains(verdicts_t *vd, const char *domain,
    long long from, long long to, size_t max, verdict_domain_fn fn,
    void *ctx);
long long verdicts_reasons(verdicts_t *vd, const char *header_from,
    long long from, long long to, verdict_reason_fn fn, void *ctx);
long long verdicts_tempfailed(verdicts_t *vd, const char *domain,
    long long from, long long to);

#endif
