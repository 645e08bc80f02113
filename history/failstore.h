/*
 * failstore - the failure samples of the history (table failure_samples,
 * schema.h) as the failure reporter reads and marks them, on SQLite or
 * PostgreSQL (hdb.h).
 *
 * SYNOPSIS
 *	#include "failstore.h"
 *	long long ids[100];
 *	long long n = failstore_pending(h, ids, 100);
 *	failstore_read(h, ids[0], fn, ctx);
 *	failstore_mark(h, ids[0], now, "");
 *	failstore_instance(h, true, tag, sizeof(tag));
 *	failstore_sent_since(h, "mailto:a@example.com", now - 3600);
 *
 * DESCRIPTION
 *	failstore_pending() fills ids with the unhandled samples
 *	(reported IS NULL), oldest first (time, then id), at most max; it
 *	returns how many, or -1.  Ids first, then one sample at a time: no
 *	scan runs while rows are updated, and one sample's header section
 *	is in memory at a time.
 *
 *	failstore_read() calls fn once with the sample and what its
 *	message's history row says about it (row fields as text, never
 *	NULL: '' when unknown or when the messages row is gone); the
 *	strings live until fn returns.  dkim is messages.dkim_summary, or
 *	for rows written by schema version 1 (SQLite only) the same built
 *	from message_dkim.  It returns 1, 0 when there is no such sample,
 *	or -1.
 *
 *	failstore_mark() sets reported (the time sent, or 0 when the sample
 *	is skipped for good) and detail; 0 or -1.
 *
 *	failstore_instance() is the database's instance tag (meta key
 *	report.instance): a random 64-bit number in hex, made and stored on
 *	first use when create is true (two reporters at once store one tag:
 *	the first insert wins, both read it back).  Without create and
 *	without a stored tag, out is "".  0, or -1 (then out is "" when
 *	reading failed, the new tag when storing it failed).
 *
 *	failstore_sent_since() counts the failure reports (report ids "fr")
 *	sent to uri at or after since (report_dest), or -1.
 */
#ifndef HISTORY_FAILSTORE_H
#define HISTORY_FAILSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "hdb.h"

typedef struct failstore_row {
	long long id;
	long long time;
	const char *policy_domain, *header_from, *source_ip, *mail_from;
	const char *auth_failure, *ruf, *headers;
	/* from the message's history row */
	const char *psd, *spf_domain, *spf_scope, *spf_result, *dkim;
	const char *result;
	bool spf_aligned, dkim_aligned;
} failstore_row_t;

typedef void (*failstore_fn)(void *ctx, const failstore_row_t *row);

long long failstore_pending(hdb_t *h, long long *ids, size_t max);
int failstore_read(hdb_t *h, long long id, failstore_fn fn, void *ctx);
int failstore_mark(hdb_t *h, long long id, long long reported,
    const char *detail);
int failstore_instance(hdb_t *h, bool create, char *out, size_t outlen);
long long failstore_sent_since(hdb_t *h, const char *uri, time_t since);

#endif
