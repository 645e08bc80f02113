/*
 * backlog - the earlier periods a run must also handle: reports still
 * pending from earlier runs, and days whose messages were never
 * reported.
 *
 * SYNOPSIS
 *	backlog_t bl;
 *	backlog_find(dbs, ndbs, begin, end, catchup_days, &bl, err, errlen);
 *	for (i = 0; i < bl.n; i++) run the period bl.p[i].begin .. end;
 *	backlog_close_orphans(dbs, ndbs, begin, end, &closed);
 *	backlog_unreported(dbs, ndbs, before, &rows, &oldest);
 *
 * DESCRIPTION
 *	backlog_find() lists, oldest first and each once, the periods other
 *	than [begin, end) that still have work:
 *	 - every period of a report in report_log (of dbs[0], the
 *	   bookkeeping database) that is not "done": a destination still
 *	   pending after a 451, a DNS failure or a crash, or rows not yet
 *	   marked; whatever its age (ReportMaxAttempts bounds its retries);
 *	 - every whole UTC day of the catchup_days days before begin that
 *	   has reportable rows (repdb.h) in any database: reports that were
 *	   never started because the database was locked, the run stopped
 *	   or the configuration was wrong.
 *	At most BACKLOG_MAX periods (the oldest); the rest wait for the next
 *	run.
 *
 *	backlog_close_orphans() closes ("done", logged) the reports of a
 *	period that are not done although no database has reportable rows
 *	of their domain in that period any more (the rows were reported by
 *	another report or deleted): nothing could rebuild them, and they
 *	would be found again by every run.
 *
 *	backlog_unreported() counts the reportable rows older than `before`
 *	in all databases, and the time of the oldest (for --expire-days,
 *	which keeps them and says so).
 *
 * DIAGNOSTICS
 *	-1 on database errors (err, or the database's repdb_error()).
 */
#ifndef REPORTER_BACKLOG_H
#define REPORTER_BACKLOG_H

#include <stddef.h>
#include <time.h>

#include "../history/repdb.h"

#define BACKLOG_MAX 400

typedef struct backlog_period {
	time_t begin, end;
} backlog_period_t;

typedef struct backlog {
	backlog_period_t p[BACKLOG_MAX];
	size_t n;
} backlog_t;

int backlog_find(repdb_t *const *dbs, size_t ndbs, time_t begin, time_t end,
    unsigned catchup_days, backlog_t *bl, char *err, size_t errlen);
int backlog_close_orphans(repdb_t *const *dbs, size_t ndbs, time_t begin,
    time_t end, unsigned *closed);
int backlog_unreported(repdb_t *const *dbs, size_t ndbs, time_t before,
    long long *rows, time_t *oldest);

#endif
