/*
 * repdb - the reporter's side of the history database: which domains
 * have rows in a period, their grouped records, marking rows reported,
 * and the report bookkeeping tables (history/schema.h, version 2).
 *
 * SYNOPSIS
 *	repdb_t *db = repdb_open(path, readonly, err, sizeof(err));
 *	repdb_domains(db, begin, end, &list);     sorted, distinct
 *	repdb_collect(db, "example.com", begin, end, &rep);
 *	repdb_mark(db, "example.com", begin, end, report_id, &n);
 *	repdb_close(db);
 *
 * DESCRIPTION
 *	repdb_open() opens an existing history database (never creates
 *	one), sets a busy timeout, checks the schema version (an older
 *	database is upgraded with HISTORY_UPGRADE_SQL unless readonly;
 *	a newer version or a foreign database is refused) and takes a
 *	snapshot of the highest message id: rows the milter adds while the
 *	reporter runs are left for the next run, so that what is marked is
 *	exactly what was counted.
 *
 *	Rows that count for reports (the "reportable" rows of a period):
 *	begin <= time < end, id <= snapshot, reported IS NULL,
 *	policy_found = 1, policy_domain <> '', is_report = 0, action <>
 *	'tempfail' (the MTA answered 451 and the sender retries: the retry
 *	is counted, this row is not).
 *
 *	repdb_domains() lists the policy domains with reportable rows, in
 *	byte order, one query.  The list belongs to the caller
 *	(repdb_list_free).
 *
 *	repdb_collect() adds one domain's reportable rows to rep (which
 *	groups them, aggregate.h), read through the (policy_domain, time)
 *	index, and offers the policy of the domain's latest row to rep.
 *	Returns the number of rows added, or -1.  (Tests and small tools;
 *	a run uses the one-pass path below, which reads each table page
 *	once instead of once per row.)
 *
 *	repdb_mark() sets reported = report_id on the same rows, in one
 *	transaction; *n is the number of rows marked.
 *
 *	Bookkeeping (report_log, report_dest): repdb_report_find() finds the
 *	pending report of a domain and period (to resume it with the same
 *	id), repdb_report_start() records a new pending report with its
 *	destinations, repdb_dest_get()/repdb_dest_set() read and write one
 *	destination's state (each write is its own committed transaction:
 *	a send that succeeded is recorded before the next one starts),
 *	repdb_report_done() closes it.
 *
 *	The one-pass path (what dmarcwarden-report runs): repdb_count()
 *	counts the period's rows (index only), repdb_scan() calls fn for
 *	every reportable row of the period, in time order through the
 *	messages_time index (nearly the order the rows were written, so the
 *	table is read almost sequentially: no random read per row), with the
 *	domain and the record fields; fn returning -1 stops it.
 *	repdb_policy() offers one domain's latest policy to rep.
 *	repdb_mark_later() notes (domain, report id) in a temporary table of
 *	the connection; repdb_mark_flush() then marks all noted domains'
 *	reportable rows in one pass in time order, one transaction per hour
 *	of the period so the write lock is held briefly (one UPDATE per
 *	domain would rewrite each table page once per domain).  repdb_report_complete() moves a report whose destinations
 *	are all final to "complete"; repdb_reports_done() closes the
 *	period's complete reports once their rows are marked.  A report
 *	found by repdb_report_find() may be pending or complete.
 *
 *	repdb_expire() deletes messages older than `before` that were
 *	reported (or need no report), with their children (foreign keys on),
 *	and report_log rows older than that; returns rows deleted or -1.
 *
 * DIAGNOSTICS
 *	Functions return -1 on SQLite errors; repdb_error() tells the last
 *	one.
 */
#ifndef REPORTER_REPDB_H
#define REPORTER_REPDB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aggregate.h"

#define REPDB_ID_MAX 64
#define REPDB_DETAIL_MAX 256

typedef struct repdb repdb_t;

typedef struct repdb_list {
	char **item;
	size_t n, cap;
} repdb_list_t;

typedef enum dest_state {
	DEST_PENDING = 0,
	DEST_SENT,
	DEST_SKIPPED,
	DEST_FAILED,
} dest_state_t;

typedef struct repdb_dest {
	dest_state_t state;
	unsigned attempts;
	time_t last_attempt;         /* 0: never (read only) */
	char detail[REPDB_DETAIL_MAX];
} repdb_dest_t;

repdb_t *repdb_open(const char *path, bool readonly, char *err,
    size_t errlen);
void repdb_close(repdb_t *db);
const char *repdb_error(const repdb_t *db);
const char *repdb_path(const repdb_t *db);

int repdb_domains(repdb_t *db, time_t begin, time_t end, repdb_list_t *out);
void repdb_list_add(repdb_list_t *l, const char *s);
void repdb_list_free(repdb_list_t *l);

long long repdb_collect(repdb_t *db, const char *domain, time_t begin,
    time_t end, agg_report_t *rep);
int repdb_mark(repdb_t *db, const char *domain, time_t begin, time_t end,
    const char *report_id, long long *n);

int repdb_report_find(repdb_t *db, const char *domain, time_t begin,
    time_t end, char *id, size_t idlen);
int repdb_report_start(repdb_t *db, const char *id, const char *domain,
    time_t begin, time_t end, unsigned long long messages,
    const char *const *uris, size_t nuris);
int repdb_dest_get(repdb_t *db, const char *id, const char *uri,
    repdb_dest_t *out);
int repdb_dest_set(repdb_t *db, const char *id, const char *uri,
    const repdb_dest_t *st);
int repdb_report_done(repdb_t *db, const char *id);
/* 1 when report_log has this id (any state), 0 when not, -1 error. */
int repdb_report_known(repdb_t *db, const char *id);

long long repdb_expire(repdb_t *db, time_t before);

/* The one-pass path used by run.c (see DESCRIPTION). */
typedef int (*repdb_scan_fn)(void *ctx, const char *domain,
    const char *const fields[AGG_NFIELDS]);
long long repdb_count(repdb_t *db, time_t begin, time_t end);
long long repdb_scan(repdb_t *db, time_t begin, time_t end,
    repdb_scan_fn fn, void *ctx);
int repdb_policy(repdb_t *db, const char *domain, time_t begin, time_t end,
    agg_report_t *rep);
int repdb_mark_later(repdb_t *db, const char *domain, const char *report_id);
int repdb_mark_flush(repdb_t *db, time_t begin, time_t end, long long *n);
int repdb_report_complete(repdb_t *db, const char *id);
int repdb_reports_done(repdb_t *db, time_t begin, time_t end);

const char *dest_state_name(dest_state_t s);
/* Run one statement (tests, failure reports); 0 or -1. */
int repdb_exec(repdb_t *db, const char *sql);
/* The underlying handle, for the failure report module. */
struct sqlite3 *repdb_handle(repdb_t *db);
long long repdb_snapshot(const repdb_t *db);

#endif
