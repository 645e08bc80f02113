/*
 * backlog - earlier periods with work left.  See backlog.h.
 */
#include "backlog.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../util/log.h"
#include "../util/strbuf.h"

#define DAY 86400

/* Reportable rows (repdb.h) of the earlier days, through the index on
 * (reported, time): rows already reported are never read. */
static const char sql_days[] =
	"SELECT DISTINCT time - time % 86400 FROM messages"
	" INDEXED BY messages_reported WHERE reported IS NULL"
	" AND time >= ?1 AND time < ?2 AND id <= ?3 AND policy_found = 1"
	" AND is_report = 0 AND policy_domain <> ''";

static const char sql_pending[] =
	"SELECT DISTINCT begin, end FROM report_log WHERE state <> 'done'"
	" AND NOT (begin = ?1 AND end = ?2)";

static const char sql_domain_rows[] =
	"SELECT 1 FROM messages INDEXED BY messages_policy_time"
	" WHERE policy_domain = ?1 AND time >= ?2 AND time < ?3 AND id <= ?4"
	" AND reported IS NULL AND policy_found = 1 AND is_report = 0"
	" LIMIT 1";

static const char sql_unreported[] =
	"SELECT count(*), coalesce(min(time), 0) FROM messages"
	" INDEXED BY messages_reported WHERE reported IS NULL AND time < ?1"
	" AND policy_found = 1 AND is_report = 0 AND policy_domain <> ''";

static int cmp_period(const void *a, const void *b)
{
	const backlog_period_t *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Add a period unless it is there already (the list is short). */
static void add(backlog_t *bl, time_t begin, time_t end, bool *full)
{
	for (size_t i = 0; i < bl->n; i++)
		if (bl->p[i].begin == begin && bl->p[i].end == end)
			return;
	if (bl->n == BACKLOG_MAX) {
		*full = true;
		return;
	}
	bl->p[bl->n].begin = begin;
	bl->p[bl->n++].end = end;
}

static int query_periods(repdb_t *db, const char *sql, sqlite3_int64 a,
    sqlite3_int64 b, bool days, backlog_t *bl, bool *full)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(repdb_handle(db), sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (days)
		sqlite3_bind_int64(st, 3, repdb_snapshot(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		time_t t0 = (time_t)sqlite3_column_int64(st, 0);

		add(bl, t0, days ? t0 + DAY :
		    (time_t)sqlite3_column_int64(st, 1), full);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int backlog_find(repdb_t *const *dbs, size_t ndbs, time_t begin, time_t end,
    unsigned catchup_days, backlog_t *bl, char *err, size_t errlen)
{
	time_t day0 = begin - begin % DAY;
	bool full = false;
	size_t i = 0;

	bl->n = 0;
	if (query_periods(dbs[0], sql_pending, begin, end, false, bl,
	    &full) < 0)
		goto bad;
	for (i = 0; catchup_days > 0 && i < ndbs; i++)
		if (query_periods(dbs[i], sql_days, day0 - (time_t)catchup_days *
		    DAY, day0, true, bl, &full) < 0)
			goto bad;
	qsort(bl->p, bl->n, sizeof(bl->p[0]), cmp_period);
	if (full)
		log_warn("more than %d earlier periods have reports to send; "
		    "the oldest %d now, the rest next run", BACKLOG_MAX,
		    BACKLOG_MAX);
	return 0;
bad:
	i = i < ndbs ? i : 0;
	str_format(err, errlen, "%s: earlier periods: %s", repdb_path(dbs[i]),
	    sqlite3_errmsg(repdb_handle(dbs[i])));
	return -1;
}

/* 1 when some database has reportable rows of domain in the period. */
static int has_rows(repdb_t *const *dbs, size_t ndbs, const char *domain,
    time_t begin, time_t end)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	for (size_t i = 0; i < ndbs && rc == 0; i++) {
		if (sqlite3_prepare_v2(repdb_handle(dbs[i]), sql_domain_rows,
		    -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)begin);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)end);
		sqlite3_bind_int64(st, 4, repdb_snapshot(dbs[i]));
		rc = sqlite3_step(st);
		rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
		sqlite3_finalize(st);
	}
	return rc;
}

int backlog_close_orphans(repdb_t *const *dbs, size_t ndbs, time_t begin,
    time_t end, unsigned *closed)
{
	sqlite3 *h = repdb_handle(dbs[0]);
	sqlite3_stmt *st = NULL;
	char id[REPDB_ID_MAX], domain[256];
	int rc, have;

	*closed = 0;
	if (sqlite3_prepare_v2(h, "SELECT report_id, policy_domain FROM"
	    " report_log WHERE begin = ?1 AND end = ?2 AND state <> 'done'",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		str_copy(id, sizeof(id), (const char *)sqlite3_column_text(st,
		    0));
		str_copy(domain, sizeof(domain),
		    (const char *)sqlite3_column_text(st, 1));
		if ((have = has_rows(dbs, ndbs, domain, begin, end)) < 0)
			break;
		if (have == 0) {
			log_warn("report %s for %s: no unreported messages of "
			    "its period left; closed without sending", id,
			    domain);
			if (repdb_report_done(dbs[0], id) < 0)
				break;
			(*closed)++;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int backlog_unreported(repdb_t *const *dbs, size_t ndbs, time_t before,
    long long *rows, time_t *oldest)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE;

	*rows = 0;
	*oldest = 0;
	for (size_t i = 0; i < ndbs && rc == SQLITE_DONE; i++) {
		if (sqlite3_prepare_v2(repdb_handle(dbs[i]), sql_unreported,
		    -1, &st, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)before);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			long long n = sqlite3_column_int64(st, 0);
			time_t t = (time_t)sqlite3_column_int64(st, 1);

			if (n > 0 && (*oldest == 0 || t < *oldest))
				*oldest = t;
			*rows += n;
			rc = SQLITE_DONE;
		}
		sqlite3_finalize(st);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}
