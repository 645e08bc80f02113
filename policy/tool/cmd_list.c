/*
 * cmd_list - "dmarcwarden-policy list [--db PATH] [--json | --csv]": every
 * domain the report database holds reports about, aggregate (by the
 * policy_published domain) or failure (by the reported domain), with
 * counts and the dates covered.
 */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

#include "../../util/strbuf.h"
#include "csv.h"
#include "rua_store.h"
#include "ruf_store.h"
#include "view.h"

/* Aggregate reports per domain, then failure reports per domain, joined
 * on the domain; FAILURES_SQL is empty when the table does not exist. */
#define LIST_SQL(failures) \
	"WITH r AS (SELECT rep.domain d, count(*) n, count(DISTINCT" \
	" rep.org_name) orgs, min(rep.begin) b, max(rep.end) e, sum((SELECT" \
	" coalesce(sum(count), 0) FROM records WHERE report = rep.id)) m" \
	" FROM reports rep GROUP BY rep.domain)," \
	" f AS (" failures ")" \
	" SELECT d, coalesce(r.n, 0), coalesce(r.orgs, 0), coalesce(r.m, 0)," \
	" coalesce(r.b, f.b, 0), max(coalesce(r.e, 0), coalesce(f.e, 0))," \
	" coalesce(f.n, 0) FROM (SELECT d FROM r UNION SELECT d FROM f)" \
	" LEFT JOIN r USING (d) LEFT JOIN f USING (d) ORDER BY d"
#define FAILURES_SQL \
	"SELECT domain d, count(*) n, min(CASE arrival WHEN 0 THEN ingested" \
	" ELSE arrival END) b, max(CASE arrival WHEN 0 THEN ingested ELSE" \
	" arrival END) e FROM failures GROUP BY domain"
#define NO_FAILURES_SQL "SELECT '' d, 0 n, 0 b, 0 e WHERE 0"

typedef struct list_row {
	const char *domain;
	unsigned long long reports, reporters, messages, failures;
	long long first, last;
} list_row_t;

static void print_row(FILE *f, const cmd_opts_t *o, const list_row_t *r,
    bool first)
{
	char a[16], b[16];

	view_date(r->first, a, sizeof(a));
	view_date(r->last, b, sizeof(b));
	if (o->csv) {
		csv_text(f, r->domain); csv_sep(f);
		csv_num(f, r->reports); csv_sep(f);
		csv_num(f, r->reporters); csv_sep(f);
		csv_num(f, r->messages); csv_sep(f);
		csv_num(f, r->failures); csv_sep(f);
		csv_text(f, a); csv_sep(f);
		csv_text(f, b);
		csv_end(f);
	} else if (o->json) {
		fprintf(f, "%s{\"domain\":\"%s\",\"reports\":%llu,\"reporters\":"
		    "%llu,\"messages\":%llu,\"failure_reports\":%llu,\"first\":"
		    "%lld,\"last\":%lld}", first ? "" : ",", r->domain,
		    r->reports, r->reporters, r->messages, r->failures, r->first,
		    r->last);
	} else {
		fprintf(f, "%-40s %8llu %9llu %10llu %8llu  %s .. %s\n",
		    r->domain, r->reports, r->reporters, r->messages,
		    r->failures, a, b);
	}
}

static int list(sqlite3 *db, const cmd_opts_t *o)
{
	static const char *const cols[] = { "domain", "reports", "reporters",
		"messages", "failure_reports", "first", "last", NULL };
	sqlite3_stmt *st;
	list_row_t r;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, ruf_store_exists(db) ? LIST_SQL(FAILURES_SQL)
	    : LIST_SQL(NO_FAILURES_SQL), -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "dmarcwarden-policy list: %s\n",
		    sqlite3_errmsg(db));
		return -1;
	}
	if (o->csv)
		csv_header(stdout, cols);
	else if (o->json)
		fputs("{\"domains\":[", stdout);
	else
		printf("%-40s %8s %9s %10s %8s  %s\n", "DOMAIN", "REPORTS",
		    "REPORTERS", "MESSAGES", "FAILURES", "DATES");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.domain = (const char *)sqlite3_column_text(st, 0);
		r.reports = (unsigned long long)sqlite3_column_int64(st, 1);
		r.reporters = (unsigned long long)sqlite3_column_int64(st, 2);
		r.messages = (unsigned long long)sqlite3_column_int64(st, 3);
		r.first = sqlite3_column_int64(st, 4);
		r.last = sqlite3_column_int64(st, 5);
		r.failures = (unsigned long long)sqlite3_column_int64(st, 6);
		print_row(stdout, o, &r, n++ == 0);
	}
	sqlite3_finalize(st);
	if (o->json)
		fputs("]}\n", stdout);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "dmarcwarden-policy list: %s\n",
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int cmd_list(int argc, char **argv)
{
	char path[4096], err[512];
	rua_store_t *s;
	cmd_opts_t o;
	int rc;

	if (cmd_parse(argc, argv, CMD_OPT_DB | CMD_OPT_JSON | CMD_OPT_CSV, &o) <
	    0 || o.nargs != 0 || (o.json && o.csv) || o.failures) {
		fprintf(stderr, "usage: dmarcwarden-policy list [--db PATH] "
		    "[--json | --csv]\n");
		return CMD_USAGE;
	}
	if (cmd_db_path(&o, path, sizeof(path)) < 0)
		return CMD_USAGE;
	if ((s = rua_store_open(path, false, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dmarcwarden-policy list: %s\n", err);
		return CMD_USAGE;
	}
	rc = list(rua_store_db(s), &o);
	rua_store_close(s);
	return rc < 0 ? CMD_USAGE : CMD_OK;
}
