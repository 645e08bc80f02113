/*
 * repdb_book - the report bookkeeping (report_log, report_dest), expiry,
 * and the questions the reporter's backlog asks.  See repdb.h; the
 * tables are documented in history/schema.h.  Bookkeeping goes through
 * the autocommit connection (repdb_hdb), questions about reportable
 * rows through the reader (repdb_reader, SNAPSHOT in repdb.h).
 */
#include "repdb_impl.h"

#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"

#define DAY 86400

/* "end" is a reserved word in PostgreSQL: quoted in both dialects. */
static const char sql_find[] =
	"SELECT report_id FROM report_log WHERE policy_domain = $1 AND"
	" begin = $2 AND \"end\" = $3 AND state <> 'done'"
	" ORDER BY created LIMIT 1";
static const char sql_log_insert[] =
	"INSERT INTO report_log (report_id, policy_domain, begin, \"end\","
	" created, state, messages) VALUES ($1, $2, $3, $4, $5, 'pending',"
	" $6)";
static const char sql_dest_insert[] =
	"INSERT INTO report_dest (report_id, uri, state) VALUES ($1, $2,"
	" 'pending') ON CONFLICT (report_id, uri) DO NOTHING";
static const char sql_dest_get[] =
	"SELECT state, attempts, detail, coalesce(last_attempt, 0) FROM"
	" report_dest WHERE report_id = $1 AND uri = $2";
static const char sql_dest_set[] =
	"INSERT INTO report_dest (report_id, uri, state, attempts,"
	" last_attempt, detail) VALUES ($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT (report_id, uri) DO UPDATE SET state = excluded.state,"
	" attempts = excluded.attempts, last_attempt ="
	" excluded.last_attempt, detail = excluded.detail";
static const char sql_done[] =
	"UPDATE report_log SET state = 'done' WHERE report_id = $1";
static const char sql_complete[] =
	"UPDATE report_log SET state = 'complete' WHERE report_id = $1"
	" AND state = 'pending'";
static const char sql_period_done[] =
	"UPDATE report_log SET state = 'done' WHERE state = 'complete'"
	" AND begin = $1 AND \"end\" = $2";
static const char sql_known[] =
	"SELECT 1 FROM report_log WHERE report_id = $1";
static const char sql_expire[] =
	"DELETE FROM messages WHERE time < $1 AND (reported IS NOT NULL OR"
	" policy_found = 0 OR is_report = 1 OR policy_domain = '' OR"
	" action = 'tempfail')";
static const char sql_expire_log[] =
	"DELETE FROM report_log WHERE \"end\" < $1 AND state = 'done'";

/* Reportable rows (repdb.h) of earlier days, through the index on
 * (reported, time): rows already reported are never read. */
#define DAYS_SQL(IX) \
	"SELECT DISTINCT time - time % 86400 FROM messages" IX \
	" WHERE reported IS NULL AND time >= $1 AND time < $2 AND id <= $3" \
	" AND policy_found = 1 AND is_report = 0 AND policy_domain <> ''"
static const char *const sql_days[2] = {
	DAYS_SQL(" INDEXED BY messages_reported"), DAYS_SQL(""),
};
static const char sql_pending[] =
	"SELECT DISTINCT begin, \"end\" FROM report_log WHERE state <> 'done'"
	" AND NOT (begin = $1 AND \"end\" = $2)";
#define DOMAIN_ROWS_SQL(IX) \
	"SELECT 1 FROM messages" IX " WHERE policy_domain = $1" \
	" AND time >= $2 AND time < $3 AND id <= $4 AND reported IS NULL" \
	" AND policy_found = 1 AND is_report = 0 LIMIT 1"
static const char *const sql_domain_rows[2] = {
	DOMAIN_ROWS_SQL(" INDEXED BY messages_policy_time"),
	DOMAIN_ROWS_SQL(""),
};
#define UNREPORTED_SQL(IX) \
	"SELECT count(*), coalesce(min(time), 0) FROM messages" IX \
	" WHERE reported IS NULL AND time < $1 AND policy_found = 1" \
	" AND is_report = 0 AND policy_domain <> ''"
static const char *const sql_unreported[2] = {
	UNREPORTED_SQL(" INDEXED BY messages_reported"), UNREPORTED_SQL(""),
};
static const char sql_open_reports[] =
	"SELECT report_id, policy_domain FROM report_log WHERE begin = $1"
	" AND \"end\" = $2 AND state <> 'done'";

static const char *const dest_state_names[] = {
	"pending", "sent", "skipped", "failed"
};

const char *dest_state_name(dest_state_t s)
{
	return (unsigned)s < 4 ? dest_state_names[s] : "pending";
}

static dest_state_t dest_state_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, dest_state_names[i]) == 0)
			return (dest_state_t)i;
	return DEST_PENDING;
}

/* One statement on the bookkeeping connection. */
static int book(repdb_t *db, const char *sql, int n, const char *const *p,
    const char *what)
{
	if (hdb_query(db->h, sql, n, p, NULL, NULL) < 0)
		return repdb_fail(db, db->h, what);
	return 0;
}

int repdb_report_find(repdb_t *db, const char *domain, time_t begin,
    time_t end, char *id, size_t idlen)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[3] = { domain, repdb_num(b, begin), repdb_num(e, end) };
	int rc = hdb_query_text(db->h, sql_find, 3, p, id, idlen);

	return rc < 0 ? repdb_fail(db, db->h, "find report") : rc;
}

int repdb_report_start(repdb_t *db, const char *id, const char *domain,
    time_t begin, time_t end, unsigned long long messages,
    const char *const *uris, size_t nuris)
{
	char b[REPDB_NUM], e[REPDB_NUM], now[REPDB_NUM], m[REPDB_NUM];
	const char *p[6] = { id, domain, repdb_num(b, begin),
	    repdb_num(e, end), repdb_num(now, (long long)time(NULL)),
	    repdb_num(m, (long long)messages) };
	const char *d[2] = { id, NULL };
	size_t i;

	if (repdb_begin(db->h) < 0)
		return repdb_fail(db, db->h, "start report");
	if (book(db, sql_log_insert, 6, p, "insert report") < 0)
		goto bad;
	for (i = 0; i < nuris; i++) {
		d[1] = uris[i];
		if (book(db, sql_dest_insert, 2, d, "insert destination") < 0)
			goto bad;
	}
	if (hdb_commit(db->h) < 0)
		return repdb_fail(db, db->h, "start report");
	return 0;
bad:
	hdb_rollback(db->h);
	return -1;
}

static int dest_row(void *ctx, int ncols, const char *const *v)
{
	repdb_dest_t *out = ctx;

	(void)ncols;
	out->state = dest_state_parse(v[0]);
	out->attempts = (unsigned)strtoul(v[1] ? v[1] : "0", NULL, 10);
	str_copy(out->detail, sizeof(out->detail), v[2] ? v[2] : "");
	out->last_attempt = (time_t)strtoll(v[3] ? v[3] : "0", NULL, 10);
	return 1;
}

int repdb_dest_get(repdb_t *db, const char *id, const char *uri,
    repdb_dest_t *out)
{
	const char *p[2] = { id, uri };

	memset(out, 0, sizeof(*out));
	if (hdb_query(db->h, sql_dest_get, 2, p, dest_row, out) < 0)
		return repdb_fail(db, db->h, "read destination");
	return 0;
}

int repdb_dest_set(repdb_t *db, const char *id, const char *uri,
    const repdb_dest_t *s)
{
	char a[REPDB_NUM], now[REPDB_NUM];
	const char *p[6] = { id, uri, dest_state_name(s->state),
	    repdb_num(a, s->attempts), repdb_num(now, (long long)time(NULL)),
	    s->detail };

	return book(db, sql_dest_set, 6, p, "write destination");
}

int repdb_report_done(repdb_t *db, const char *id)
{
	return book(db, sql_done, 1, &id, "close report");
}

int repdb_report_complete(repdb_t *db, const char *id)
{
	return book(db, sql_complete, 1, &id, "complete report");
}

int repdb_reports_done(repdb_t *db, time_t begin, time_t end)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[2] = { repdb_num(b, begin), repdb_num(e, end) };

	return book(db, sql_period_done, 2, p, "close reports");
}

int repdb_report_known(repdb_t *db, const char *id)
{
	long long one = 0;
	int rc = hdb_query_int(db->h, sql_known, 1, &id, &one);

	return rc < 0 ? repdb_fail(db, db->h, "find report") : rc;
}

long long repdb_expire(repdb_t *db, time_t before)
{
	char b[REPDB_NUM];
	const char *p[1] = { repdb_num(b, before) };
	long long n;

	if (repdb_begin(db->h) < 0)
		return repdb_fail(db, db->h, "expire");
	if (book(db, sql_expire, 1, p, "expire") < 0)
		goto bad;
	n = hdb_changes(db->h);
	if (book(db, sql_expire_log, 1, p, "expire") < 0)
		goto bad;
	return hdb_commit(db->h) < 0 ? repdb_fail(db, db->h, "expire") : n;
bad:
	hdb_rollback(db->h);
	return -1;
}

/* ---- the backlog's questions ---------------------------------------- */

typedef struct period_ctx {
	repdb_period_fn fn;
	void *ctx;
	bool days;
} period_ctx_t;

static int period_row(void *ctx, int ncols, const char *const *v)
{
	period_ctx_t *c = ctx;
	time_t t0 = (time_t)strtoll(v[0] ? v[0] : "0", NULL, 10);

	(void)ncols;
	c->fn(c->ctx, t0, c->days ? t0 + DAY :
	    (time_t)strtoll(v[1] ? v[1] : "0", NULL, 10));
	return 0;
}

int repdb_pending_periods(repdb_t *db, time_t begin, time_t end,
    repdb_period_fn fn, void *ctx)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[2] = { repdb_num(b, begin), repdb_num(e, end) };
	period_ctx_t c = { fn, ctx, false };

	if (hdb_query(db->h, sql_pending, 2, p, period_row, &c) < 0)
		return repdb_fail(db, db->h, "earlier periods");
	return 0;
}

int repdb_unreported_days(repdb_t *db, time_t from, time_t to,
    repdb_period_fn fn, void *ctx)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[3] = { repdb_num(b, from), repdb_num(e, to), db->snap };
	period_ctx_t c = { fn, ctx, true };
	hdb_t *h = repdb_reader(db);

	if (h == NULL)
		return -1;
	if (hdb_query(h, REPDB_SQL(h, sql_days), 3, p, period_row, &c) < 0)
		return repdb_fail(db, h, "earlier periods");
	return 0;
}

int repdb_has_rows(repdb_t *db, const char *domain, time_t begin,
    time_t end)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[4] = { domain, repdb_num(b, begin), repdb_num(e, end),
	    db->snap };
	hdb_t *h = repdb_reader(db);
	long long n;

	if (h == NULL)
		return -1;
	n = hdb_query(h, REPDB_SQL(h, sql_domain_rows), 4, p, NULL, NULL);
	return n < 0 ? repdb_fail(db, h, "unreported rows") : n > 0;
}

static int pair_row(void *ctx, int ncols, const char *const *v)
{
	repdb_list_t *l = ctx;

	(void)ncols;
	repdb_list_add(&l[0], v[0]);
	repdb_list_add(&l[1], v[1]);
	return 0;
}

int repdb_open_reports(repdb_t *db, time_t begin, time_t end,
    repdb_list_t *ids, repdb_list_t *domains)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[2] = { repdb_num(b, begin), repdb_num(e, end) };
	repdb_list_t l[2] = { { 0 }, { 0 } };

	if (hdb_query(db->h, sql_open_reports, 2, p, pair_row, l) < 0) {
		repdb_list_free(&l[0]);
		repdb_list_free(&l[1]);
		return repdb_fail(db, db->h, "open reports");
	}
	*ids = l[0];
	*domains = l[1];
	return 0;
}

static int unreported_row(void *ctx, int ncols, const char *const *v)
{
	long long *out = ctx;

	(void)ncols;
	out[0] = strtoll(v[0] ? v[0] : "0", NULL, 10);
	out[1] = strtoll(v[1] ? v[1] : "0", NULL, 10);
	return 1;
}

int repdb_unreported(repdb_t *db, time_t before, long long *rows,
    time_t *oldest)
{
	char b[REPDB_NUM];
	const char *p[1] = { repdb_num(b, before) };
	long long out[2] = { 0, 0 };

	if (hdb_query(db->h, REPDB_SQL(db->h, sql_unreported), 1, p,
	    unreported_row, out) < 0)
		return repdb_fail(db, db->h, "unreported rows");
	*rows = out[0];
	*oldest = (time_t)out[1];
	return 0;
}
