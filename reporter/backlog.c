/*
 * backlog - earlier periods with work left.  See backlog.h.
 */
#include "backlog.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "../util/strbuf.h"

#define DAY 86400

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

typedef struct add_ctx {
	backlog_t *bl;
	bool full;
} add_ctx_t;

static void add_period(void *ctx, time_t begin, time_t end)
{
	add_ctx_t *a = ctx;

	add(a->bl, begin, end, &a->full);
}

int backlog_find(repdb_t *const *dbs, size_t ndbs, time_t begin, time_t end,
    unsigned catchup_days, backlog_t *bl, char *err, size_t errlen)
{
	time_t day0 = begin - begin % DAY;
	add_ctx_t a = { bl, false };
	size_t i = 0;

	bl->n = 0;
	if (repdb_pending_periods(dbs[0], begin, end, add_period, &a) < 0)
		goto bad;
	for (i = 0; catchup_days > 0 && i < ndbs; i++)
		if (repdb_unreported_days(dbs[i], day0 - (time_t)catchup_days *
		    DAY, day0, add_period, &a) < 0)
			goto bad;
	qsort(bl->p, bl->n, sizeof(bl->p[0]), cmp_period);
	if (a.full)
		log_warn("more than %d earlier periods have reports to send; "
		    "the oldest %d now, the rest next run", BACKLOG_MAX,
		    BACKLOG_MAX);
	return 0;
bad:
	i = i < ndbs ? i : 0;
	str_format(err, errlen, "%s: %s", repdb_path(dbs[i]),
	    repdb_error(dbs[i]));
	return -1;
}

/* 1 when some database has reportable rows of domain in the period. */
static int has_rows(repdb_t *const *dbs, size_t ndbs, const char *domain,
    time_t begin, time_t end)
{
	int rc = 0;

	for (size_t i = 0; i < ndbs && rc == 0; i++)
		rc = repdb_has_rows(dbs[i], domain, begin, end);
	return rc;
}

int backlog_close_orphans(repdb_t *const *dbs, size_t ndbs, time_t begin,
    time_t end, unsigned *closed)
{
	repdb_list_t ids, domains;
	int rc, have;

	*closed = 0;
	if ((rc = repdb_open_reports(dbs[0], begin, end, &ids, &domains)) < 0)
		return -1;
	for (size_t k = 0; k < ids.n && rc == 0; k++) {
		if ((have = has_rows(dbs, ndbs, domains.item[k], begin,
		    end)) < 0)
			rc = -1;
		else if (have == 0) {
			log_warn("report %s for %s: no unreported messages of "
			    "its period left; closed without sending",
			    ids.item[k], domains.item[k]);
			if (repdb_report_done(dbs[0], ids.item[k]) < 0)
				rc = -1;
			else
				(*closed)++;
		}
	}
	repdb_list_free(&ids);
	repdb_list_free(&domains);
	return rc;
}

int backlog_unreported(repdb_t *const *dbs, size_t ndbs, time_t before,
    long long *rows, time_t *oldest)
{
	long long n;
	time_t t;

	*rows = 0;
	*oldest = 0;
	for (size_t i = 0; i < ndbs; i++) {
		if (repdb_unreported(dbs[i], before, &n, &t) < 0)
			return -1;
		if (n > 0 && (*oldest == 0 || t < *oldest))
			*oldest = t;
		*rows += n;
	}
	return 0;
}
