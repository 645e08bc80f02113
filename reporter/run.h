/*
 * run - one reporter run: every policy domain of the period, one report
 * per domain, sent to each of its rua destinations, bookkeeping that
 * makes reruns safe.
 *
 * SYNOPSIS
 *	run_ctx_t *r = run_new(&opts, err, sizeof(err));
 *	run_reports(r);                 aggregate reports
 *	run_expire(r);                  --expire-days
 *	run_summary(r, stdout);
 *	run_free(r);
 *
 * DESCRIPTION
 *	run_new() opens every database of opts->dbs (the first one holds the
 *	report bookkeeping; SQLite paths or PostgreSQL URIs), takes each
 *	one's run lock (repdb_lock(), not in a dry run), the embedded XSDs,
 *	the resolver (external destination verification), the DKIM signer
 *	when configured.  When another run holds a lock, run_busy() names
 *	the database and the caller does nothing else.
 *
 *	run_reports() reads the period's reportable rows of every database
 *	once (collect.h: nearly sequential, spilled to compressed hash
 *	partitions of domains next to the first database), then one partition at a time builds one report per
 *	policy domain (counts of several databases summed).  The XML
 *	(feedback_xml.h, validated), gzip and the mail of each report are
 *	built on RUN_WORKERS threads (reportjob.h); destinations and
 *	bookkeeping happen on the calling thread, sending on the send pool.  Memory holds one
 *	partition's domains and the reports in flight.
 *
 *	Per destination: not mailto, NoReportsList, the !size limit, or an
 *	external destination that did not authorize the domain: skipped
 *	(logged with the reason).  Sent: recorded at once (report_dest).  A
 *	temporary failure counts an attempt; after ReportMaxAttempts runs,
 *	or at once on a permanent failure (5xx), the destination is failed
 *	and logged.  When every destination of a report is final the report
 *	is "complete"; at the end of the run the rows of all complete
 *	reports are marked with their ids, one pass per database (an hour
 *	of history per transaction), and the reports are closed (a crash before that: the next
 *	run finds the complete reports, sends nothing and marks).  A report
 *	with a destination still pending keeps its rows unmarked and its id;
 *	the next run resumes it and sends only to the destinations still
 *	pending.  Rows of a domain
 *	without any rua are marked "-".  Mails are handed to the MTA by a
 *	pool of ReportSendConcurrency threads (sendpool.h); each result is
 *	recorded by the calling thread as it comes back.  A crash between a
 *	send and its record can only repeat the messages in flight (at most
 *	ReportSendConcurrency), under the same report id and Message-ID, so
 *	the receiver can drop them.
 *
 *	Earlier periods (backlog.h): before its own period, run_reports()
 *	handles, oldest first, the periods of reports still pending and the
 *	days of the last ReportCatchUpDays with unreported rows, in the
 *	same way; a pending destination of such a period is retried only
 *	after ReportRetryBackoff (doubled per attempt, at most a day) since
 *	its last attempt.  A report that cannot be built counts an attempt
 *	for each pending destination.  run_expire() never deletes
 *	unreported rows and logs (and counts in the summary) those older
 *	than the expiry.
 *
 *	Dry run (opts->dry_run = DIR): the same reports are built and the
 *	decisions made, but DIR receives FILENAME.xml.gz and one
 *	FILENAME.N.eml per destination instead of mail, and no database is
 *	written (they are opened read-only).
 *
 *	Pacing: after every opts->batch messages to one destination domain
 *	the run sleeps opts->delay seconds; with pacing (and in a dry run)
 *	mails go one at a time.  Progress: when opts->progress,
 *	a bar on stderr (the caller checks isatty).
 *
 *	The context owns everything it opened; run_free() accepts NULL.
 */
#ifndef REPORTER_RUN_H
#define REPORTER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "../conf/config.h"

#define RUN_MAX_DBS 64

typedef struct run_opts {
	const config_t *cfg;
	const char *dbs[RUN_MAX_DBS];
	size_t ndbs;
	time_t begin, end;           /* end exclusive */
	const char *dry_run;         /* directory, or NULL */
	report_format_t format;
	unsigned batch;              /* 0: no pacing */
	unsigned delay;              /* seconds */
	int expire_days;             /* < 0: no expiry */
	bool progress;
	bool failure_reports;        /* also failure reports (failrep.h) */
} run_opts_t;

typedef enum run_skip {
	SKIP_NO_RUA, SKIP_SCHEME, SKIP_NOREPORTS, SKIP_REPLACED, SKIP_EXTERNAL,
	SKIP_COUNT
} run_skip_t;

typedef struct run_stats {
	unsigned long domains, reports, sent, failed, retry, invalid;
	unsigned long skipped[SKIP_COUNT];
	unsigned long long rows, marked, expired;
	unsigned long earlier;       /* earlier periods handled (backlog.h) */
	unsigned long deferred;      /* retries waiting for their backoff */
	unsigned long orphans;       /* pending reports closed, rows gone */
	unsigned long long kept;     /* unreported rows past --expire-days */
	unsigned long fr_sent, fr_skipped, fr_deferred;
	unsigned long errors;
} run_stats_t;

typedef struct run_ctx run_ctx_t;

run_ctx_t *run_new(const run_opts_t *opts, char *err, size_t errlen);
int run_reports(run_ctx_t *r);
int run_expire(run_ctx_t *r);
void run_summary(const run_ctx_t *r, FILE *fp);
const run_stats_t *run_stats(const run_ctx_t *r);
/* The database another run is working on (run_new() took no lock: this
 * run must do nothing), or NULL. */
const char *run_busy(const run_ctx_t *r);
void run_free(run_ctx_t *r);

#endif
