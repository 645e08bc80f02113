/*
 * repdb - the reporter's reader of the history (versioned reader API):
 * which domains have rows in a period, their records, marking rows
 * reported, and the report bookkeeping tables (report_log, report_dest;
 * history/schema.h), on SQLite or PostgreSQL (history/hdb.h).
 *
 * SYNOPSIS
 *	repdb_t *db = repdb_open(spec, readonly, err, sizeof(err));
 *	repdb_lock(db);                           one run at a time
 *	repdb_domains(db, begin, end, &list);     sorted, distinct
 *	repdb_collect(db, "example.com", begin, end, row_fn, ctx);
 *	repdb_mark(db, "example.com", begin, end, report_id, &n);
 *	repdb_close(db);
 *
 * DESCRIPTION
 *	repdb_open() opens an existing history database (never creates
 *	one): an SQLite path or a "postgresql://" URI (hdb_spec_is_pg()).
 *	It checks the schema version (an older SQLite database is upgraded
 *	unless readonly; a newer version or a foreign database is refused)
 *	and takes a snapshot: the highest message id.  Rows the milter adds
 *	while the reporter runs are left for the next run, so that what is
 *	marked is exactly what was counted (see SNAPSHOT).
 *
 *	Rows that count for reports (the "reportable" rows of a period):
 *	begin <= time < end, id <= snapshot, reported IS NULL,
 *	policy_found = 1, policy_domain <> '', is_report = 0, action <>
 *	'tempfail' (the MTA answered 451 and the sender retries: the retry
 *	is counted, this row is not).
 *
 *	A row is handed to callers as REPDB_NFIELDS text fields in the
 *	order of enum repdb_field (never NULL: SQL NULL is ""), which is
 *	the record order of the reporter's aggregate.h; the DKIM and
 *	override lists are the messages.dkim_summary/override_summary
 *	format (entries joined by 0x1e, sub-fields by 0x1d), built from the
 *	child tables for rows written before schema version 2.
 *
 *	repdb_domains() lists the policy domains with reportable rows, in
 *	byte order, one query.  The list belongs to the caller
 *	(repdb_list_free).
 *
 *	repdb_collect() calls fn for each of one domain's reportable rows
 *	with its fields and count (1), read through the (policy_domain,
 *	time) index.  Returns the number of rows, or -1.  (Tests and small
 *	tools; a run uses the one-pass path below, which reads each table
 *	page once instead of once per row.)  repdb_policy() fills the
 *	policy of the domain's latest reportable row (1), or returns 0 when
 *	there is none.
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
 *	every reportable row of the period, on SQLite in time order through
 *	the messages_time index (nearly the order the rows were written, so the
 *	table is read almost sequentially: no random read per row), with the
 *	domain and the record fields; fn returning -1 stops it.  On
 *	PostgreSQL the rows come in the planner's order and stream
 *	(single-row mode): memory does not grow with the number of rows.  repdb_mark_later() notes (domain, report
 *	id) in a temporary table of the connection; repdb_mark_flush() then
 *	marks all noted domains' reportable rows in one pass (SQLite: in
 *	time order, one transaction per hour of the period so the write
 *	lock is held briefly; PostgreSQL: one UPDATE, see SNAPSHOT).
 *	repdb_report_complete() moves a report whose destinations are all
 *	final to "complete"; repdb_reports_done() closes the period's
 *	complete reports once their rows are marked.  A report found by
 *	repdb_report_find() may be pending or complete.
 *
 *	repdb_expire() deletes messages older than `before` that were
 *	reported (or need no report), with their children (foreign keys on),
 *	and report_log rows older than that; returns rows deleted or -1.
 *
 * SNAPSHOT
 *	Every row counted must be marked, and every row marked must have
 *	been counted, exactly once.  SQLite: the milter commits rows in id
 *	order (one writer), so "id <= the highest id at open" is a fixed
 *	set apart from the reporter's own marks.
 *
 *	PostgreSQL: many milters commit concurrently, and identity values
 *	are taken when a row is inserted, not when it commits: a row with an
 *	id below the snapshot can become visible after the scan.  So the
 *	rows are read and marked through a second connection, in one
 *	REPEATABLE READ transaction per period: repdb_domains, repdb_count,
 *	repdb_scan, repdb_policy, repdb_collect, repdb_mark*, and the
 *	backlog's row queries (repdb_reader()) all see the database as it
 *	was at the transaction's first statement, and the UPDATE that marks
 *	(reported IS NULL AND the same conditions) changes exactly the rows
 *	the scan saw.  A row committed later, whatever its id, is neither
 *	counted nor marked: the next run finds it.  repdb_mark_flush() and
 *	repdb_mark() commit the transaction; the next reader call starts a
 *	new one.  Bookkeeping goes through the first connection (repdb_hdb)
 *	in autocommit, so a send is recorded at once.  A concurrent change
 *	to a row being marked (another reporter that did not take the lock)
 *	fails the mark with a serialization error: nothing is marked twice.
 *	The transaction stays open while the period's reports are sent
 *	(minutes; hours for a slow relay): like pg_dump, it holds back the
 *	vacuuming of rows deleted meanwhile, nothing else (it takes no lock
 *	a milter's INSERT waits for).  If it fails (connection lost), no row
 *	is marked: the reports are complete in report_log, and the next run
 *	marks their rows without sending them again.
 *
 * LOCKING
 *	repdb_lock() makes a run exclusive: two dmarcwarden-report runs on
 *	one database (a fleet's cron on every host) would otherwise build
 *	the same reports.  SQLite: flock(2) on the database file (the file
 *	descriptor stays open until repdb_close, after the SQLite
 *	connection is closed, so SQLite's own POSIX locks are never
 *	dropped).  PostgreSQL: pg_try_advisory_lock(REPDB_PG_LOCK_KEY) on
 *	the bookkeeping connection, a session lock released when the
 *	connection ends, even by a crash.  It does not wait: 1 when taken,
 *	0 when another run holds it, -1 on error.  The snapshot is taken
 *	again after the lock, so a run that starts while another finishes
 *	sees its marks.  A dry run (readonly) needs no lock.
 *
 * DIAGNOSTICS
 *	Functions return -1 on database errors; repdb_error() tells the last
 *	one.
 */
#ifndef HISTORY_REPDB_H
#define HISTORY_REPDB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "hdb.h"

#define REPDB_ID_MAX 64
#define REPDB_DETAIL_MAX 256
#define REPDB_PG_LOCK_KEY 0x64775265706f7274LL   /* "dwReport" */

/* The fields of a row, in the order the reporter's records use. */
enum repdb_field {
	REPDB_F_SOURCE_IP, REPDB_F_HEADER_FROM, REPDB_F_ENVELOPE_FROM,
	REPDB_F_ENVELOPE_TO, REPDB_F_DISPOSITION, REPDB_F_RESULT,
	REPDB_F_DKIM_ALIGNED, REPDB_F_SPF_ALIGNED, REPDB_F_SPF_DOMAIN,
	REPDB_F_SPF_SCOPE, REPDB_F_SPF_RESULT, REPDB_F_DKIM, REPDB_F_REASONS,
	REPDB_NFIELDS
};

/* The policy published, as stored in the history (RFC names). */
typedef struct repdb_policy {
	time_t seen;                 /* time of the row it came from */
	char p[12], sp[12], np[12];  /* none, quarantine, reject */
	char adkim[2], aspf[2];      /* r, s */
	unsigned pct;
	char testing[2];             /* y, n */
	char fo[16];
	char psd[2];
	char discovery[12];          /* treewalk, psl */
	char rua[2048];              /* messages.policy_rua */
	bool valid;
} repdb_policy_t;

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

repdb_t *repdb_open(const char *spec, bool readonly, char *err,
    size_t errlen);
void repdb_close(repdb_t *db);
int repdb_lock(repdb_t *db);
const char *repdb_error(const repdb_t *db);
/* The spec for messages (a URI's password hidden). */
const char *repdb_path(const repdb_t *db);

int repdb_domains(repdb_t *db, time_t begin, time_t end, repdb_list_t *out);
void repdb_list_add(repdb_list_t *l, const char *s);
void repdb_list_free(repdb_list_t *l);

typedef int (*repdb_row_fn)(void *ctx,
    const char *const fields[REPDB_NFIELDS], unsigned long long count);
long long repdb_collect(repdb_t *db, const char *domain, time_t begin,
    time_t end, repdb_row_fn fn, void *ctx);
int repdb_policy(repdb_t *db, const char *domain, time_t begin, time_t end,
    repdb_policy_t *out);
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
    const char *const fields[REPDB_NFIELDS]);
long long repdb_count(repdb_t *db, time_t begin, time_t end);
long long repdb_scan(repdb_t *db, time_t begin, time_t end,
    repdb_scan_fn fn, void *ctx);
int repdb_mark_later(repdb_t *db, const char *domain, const char *report_id);
int repdb_mark_flush(repdb_t *db, time_t begin, time_t end, long long *n);
int repdb_report_complete(repdb_t *db, const char *id);
int repdb_reports_done(repdb_t *db, time_t begin, time_t end);

/* The backlog's questions (reporter/backlog.c): periods of report_log
 * not done other than [begin, end); days (fn(ctx, day, day + 86400))
 * of [from, to) with reportable rows; whether a domain has reportable
 * rows in a period (1, 0, -1); the reports of a period not done (two
 * lists, the caller frees them); unreported rows before `before` and
 * the oldest one's time. */
typedef void (*repdb_period_fn)(void *ctx, time_t begin, time_t end);
int repdb_pending_periods(repdb_t *db, time_t begin, time_t end,
    repdb_period_fn fn, void *ctx);
int repdb_unreported_days(repdb_t *db, time_t from, time_t to,
    repdb_period_fn fn, void *ctx);
int repdb_has_rows(repdb_t *db, const char *domain, time_t begin,
    time_t end);
int repdb_open_reports(repdb_t *db, time_t begin, time_t end,
    repdb_list_t *ids, repdb_list_t *domains);
int repdb_unreported(repdb_t *db, time_t before, long long *rows,
    time_t *oldest);

const char *dest_state_name(dest_state_t s);
/* Run statements on the bookkeeping connection (tests, failure
 * reports); 0 or -1. */
int repdb_exec(repdb_t *db, const char *sql);
/* The bookkeeping connection (autocommit): report_log, report_dest,
 * failure samples, meta. */
hdb_t *repdb_hdb(repdb_t *db);
/* The connection that reads and marks reportable rows (SNAPSHOT): on
 * PostgreSQL inside the period's REPEATABLE READ transaction (started
 * here when none is open), on SQLite the same as repdb_hdb().  NULL
 * with repdb_error() set when the transaction cannot start. */
hdb_t *repdb_reader(repdb_t *db);
long long repdb_snapshot(const repdb_t *db);
/* Record a database error of h as the last error, prefixed by what. */
int repdb_fail(repdb_t *db, hdb_t *h, const char *what);
/* Until failrep.c is converted to repdb_hdb(): the SQLite handle, NULL
 * on PostgreSQL. */
struct sqlite3 *repdb_handle(repdb_t *db);

#endif
