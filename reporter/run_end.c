/*
 * run_end - the end of a run: --expire-days and the summary line.  See
 * run.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../util/log.h"
#include "../util/strbuf.h"
#include "backlog.h"
#include "run_ctx.h"

static const char *const skip_names[SKIP_COUNT] = {
	"no rua", "not mailto", "NoReportsList",
	"replaced by authorization record", "external not authorized"
};

/* repdb_expire() never deletes a row that still needs a report: say so
 * loudly when such rows are older than the expiry (they were never
 * reported: older than ReportCatchUpDays when the reporter came to
 * them), so that they are neither lost silently nor kept silently. */
static void kept_unreported(run_ctx_t *r, time_t before)
{
	long long n;
	time_t oldest;
	char day[16];
	struct tm tm;

	if (backlog_unreported(r->db, r->o.ndbs, before, &n, &oldest) < 0) {
		log_err("%s: counting unreported rows: %s",
		    repdb_path(r->db[0]), repdb_error(r->db[0]));
		r->st.errors++;
		return;
	}
	if (n == 0)
		return;
	r->st.kept = (unsigned long long)n;
	gmtime_r(&oldest, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	log_err("%lld messages older than %d days were never reported (the "
	    "oldest of %s): kept, not expired; report them with --begin %s "
	    "--end ... or raise ReportCatchUpDays", n, r->o.expire_days, day,
	    day);
}

int run_expire(run_ctx_t *r)
{
	time_t before;
	long long n;

	if (r->o.expire_days < 0 || r->o.dry_run)
		return 0;
	before = time(NULL) - (time_t)r->o.expire_days * 86400;
	for (size_t i = 0; i < r->o.ndbs; i++) {
		if ((n = repdb_expire(r->db[i], before)) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			r->st.errors++;
			return -1;
		}
		r->st.expired += (unsigned long long)n;
	}
	kept_unreported(r, before);
	return 0;
}

void run_summary(const run_ctx_t *r, FILE *fp)
{
	struct timespec t1;
	unsigned long skipped = 0;
	double secs;
	strbuf_t sb;
	int k;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - r->t0.tv_sec) +
	    (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
	strbuf_init(&sb, 1024);
	for (k = 0; k < SKIP_COUNT; k++)
		skipped += r->st.skipped[k];
	strbuf_appendf(&sb, "dmarcwarden-report: %lu domains, %lu reports, "
	    "%lu %s, %lu skipped", r->st.domains, r->st.reports, r->st.sent,
	    r->o.dry_run ? "written" : "sent", skipped);
	for (k = 0, skipped = 0; k < SKIP_COUNT; k++)
		if (r->st.skipped[k])
			strbuf_appendf(&sb, "%s%s %lu", skipped++ ? ", " : " (",
			    skip_names[k], r->st.skipped[k]);
	strbuf_appendf(&sb, "%s, %lu failed, %lu to retry, %lu invalid, "
	    "%llu rows", skipped ? ")" : "", r->st.failed, r->st.retry,
	    r->st.invalid, r->st.rows);
	if (r->o.failure_reports)
		strbuf_appendf(&sb, ", failure reports %lu sent %lu skipped "
		    "%lu deferred", r->st.fr_sent, r->st.fr_skipped,
		    r->st.fr_deferred);
	if (r->st.earlier)
		strbuf_appendf(&sb, ", %lu earlier period%s", r->st.earlier,
		    r->st.earlier == 1 ? "" : "s");
	if (r->st.deferred)
		strbuf_appendf(&sb, ", %lu deferred (ReportRetryBackoff)",
		    r->st.deferred);
	if (r->st.orphans)
		strbuf_appendf(&sb, ", %lu pending reports closed (no rows "
		    "left)", r->st.orphans);
	if (r->o.expire_days >= 0)
		strbuf_appendf(&sb, ", %llu expired", r->st.expired);
	if (r->st.kept)
		strbuf_appendf(&sb, ", %llu UNREPORTED rows kept past the "
		    "expiry", r->st.kept);
	if (r->st.errors)
		strbuf_appendf(&sb, ", %lu errors", r->st.errors);
	strbuf_appendf(&sb, ", %.1f s", secs);
	fprintf(fp, "%s\n", strbuf_str(&sb));
	strbuf_free(&sb);
}
