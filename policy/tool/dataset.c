/*
 * dataset - load the records about one domain from the report database
 * or from the milter's history (history/verdicts.h).  Part of the analysis module; see
 * analysis.h.
 */
#include "analysis.h"

#include <stdlib.h>
#include <string.h>

#include "../../util/strbuf.h"

#define SQL_DOMAIN(col) \
	"(?1 = '' OR " col " = ?1 OR (length(" col ") > length(?1) AND" \
	" substr(" col ", -length(?1) - 1) = '.' || ?1))"

static const char reports_sql[] =
	"SELECT rec.id, rep.org_name, rep.format, rep.begin, rep.end, rep.p,"
	" rep.sp, rep.pct, rep.testing, rec.source_ip, rec.count,"
	" rec.disposition, rec.dkim, rec.spf, rec.header_from,"
	" rep.adkim, rep.aspf"
	" FROM records rec JOIN reports rep ON rec.report = rep.id"
	" WHERE " SQL_DOMAIN("rec.header_from")
	" AND rep.end > ?2 AND rep.begin < ?3 ORDER BY rec.id";
static const char auth_sql[] =
	"SELECT kind, domain, result FROM auth WHERE record = ? ORDER BY seq";
static const char reasons_sql[] =
	"SELECT type FROM reasons WHERE record = ? ORDER BY seq";

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static unsigned reporter_index(dataset_t *ds, const char *name)
{
	size_t i;

	for (i = 0; i < ds->nreporters; i++)
		if (strcmp(ds->reporters[i], name) == 0)
			return (unsigned)i;
	ds->reporters = realloc(ds->reporters, (ds->nreporters + 1) *
	    sizeof(*ds->reporters));
	if (ds->reporters == NULL)
		abort();
	str_copy(ds->reporters[ds->nreporters], RUA_NAME_MAX, name);
	return (unsigned)ds->nreporters++;
}

static arow_t *new_row(dataset_t *ds, char *err, size_t errlen)
{
	if (ds->n >= DATASET_MAX_ROWS) {
		str_format(err, errlen, "more than %d records in the window; "
		    "use --days to narrow it", DATASET_MAX_ROWS);
		return NULL;
	}
	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 256;
		if ((ds->rows = realloc(ds->rows, ds->cap * sizeof(*ds->rows))) ==
		    NULL)
			abort();
	}
	memset(&ds->rows[ds->n], 0, sizeof(ds->rows[0]));
	return &ds->rows[ds->n++];
}

/* One authentication result of a record: what it says about alignment.
 * "own" is the author's organization (relaxed alignment: signatures and
 * SPF checks of the owner's domains); "aligned" follows the published
 * adkim/aspf, so under strict alignment a pass for a subdomain of the
 * author domain is a relaxed pass, not an aligned one. */
static void derive_auth(arow_t *r, bool dkim, const char *domain,
    const char *result)
{
	bool own = domain[0] && analysis_aligned(domain, r->header_from);
	bool strict = dkim ? r->adkim_strict : r->aspf_strict;
	bool aligned = strict ? own && str_ieq(domain, r->header_from) : own;
	bool pass = strcmp(result, "pass") == 0;

	if (!dkim) {
		if (r->spf_domain[0] == '\0') {
			str_copy(r->spf_domain, sizeof(r->spf_domain), domain);
			str_copy(r->spf_result, sizeof(r->spf_result), result);
		}
		if (own && !pass)
			r->spf_own_failed = true;
	} else if (own && !pass && strcmp(result, "none") != 0) {
		r->own_sig_failed = true;
	}
	if (!aligned && pass && domain[0]) {
		r->foreign_pass = true;
		r->relaxed_pass |= own;
		/* DKIM names the sender better than an SPF bounce domain */
		if (r->foreign_domain[0] == '\0' || dkim)
			str_copy(r->foreign_domain, sizeof(r->foreign_domain),
			    domain);
	}
}

static void derive_reason(arow_t *r, const char *type)
{
	if (strcmp(type, "forwarded") == 0 ||
	    strcmp(type, "trusted_forwarder") == 0)
		r->reasons |= REASON_FORWARDED;
	else if (strcmp(type, "mailing_list") == 0)
		r->reasons |= REASON_LIST;
	else
		r->reasons |= REASON_OTHER;
}

static void load_children(sqlite3_stmt *auth, sqlite3_stmt *reasons,
    sqlite3_int64 id, arow_t *r)
{
	sqlite3_bind_int64(auth, 1, id);
	while (sqlite3_step(auth) == SQLITE_ROW)
		derive_auth(r, strcmp(col(auth, 0), "dkim") == 0, col(auth, 1),
		    col(auth, 2));
	sqlite3_reset(auth);
	sqlite3_bind_int64(reasons, 1, id);
	while (sqlite3_step(reasons) == SQLITE_ROW)
		derive_reason(r, col(reasons, 0));
	sqlite3_reset(reasons);
}

static void report_row(dataset_t *ds, sqlite3_stmt *st, arow_t *r)
{
	r->reporter = reporter_index(ds, col(st, 1));
	r->rfc9990 = strcmp(col(st, 2), "rfc9990") == 0;
	r->begin = sqlite3_column_int64(st, 3);
	r->end = sqlite3_column_int64(st, 4);
	str_copy(r->p, sizeof(r->p), col(st, 5));
	str_copy(r->sp, sizeof(r->sp), col(st, 6)[0] ? col(st, 6) : r->p);
	r->pct = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 7);
	r->testing = strcmp(col(st, 8), "y") == 0;
	str_copy(r->source_ip, sizeof(r->source_ip), col(st, 9));
	r->count = (unsigned long long)sqlite3_column_int64(st, 10);
	str_copy(r->disposition, sizeof(r->disposition), col(st, 11));
	r->dkim_aligned = strcmp(col(st, 12), "pass") == 0;
	r->spf_aligned = strcmp(col(st, 13), "pass") == 0;
	str_copy(r->header_from, sizeof(r->header_from), col(st, 14));
	r->adkim_strict = strcmp(col(st, 15), "s") == 0;
	r->aspf_strict = strcmp(col(st, 16), "s") == 0;
}

static void dataset_start(dataset_t *ds, bool history, const char *domain,
    long long from, long long to)
{
	memset(ds, 0, sizeof(*ds));
	str_copy(ds->domain, sizeof(ds->domain), domain);
	ds->history = history;
	ds->from = from;
	ds->to = to;
}

static int load(sqlite3 *db, const char *const sql[3], const char *domain,
    long long from, long long to, dataset_t *ds, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *auth = NULL, *reasons = NULL;
	int rc = 0, step;
	arow_t *r;

	dataset_start(ds, false, domain, from, to);
	if (sqlite3_prepare_v2(db, sql[0], -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql[1], -1, &auth, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql[2], -1, &reasons, NULL) != SQLITE_OK) {
		str_format(err, errlen, "reading reports: %s",
		    sqlite3_errmsg(db));
		rc = -1;
		goto out;
	}
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = new_row(ds, err, errlen)) == NULL) {
			rc = -1;
			break;
		}
		report_row(ds, st, r);
		load_children(auth, reasons, sqlite3_column_int64(st, 0), r);
	}
	if (rc == 0 && step != SQLITE_DONE) {
		str_format(err, errlen, "reading: %s", sqlite3_errmsg(db));
		rc = -1;
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(auth);
	sqlite3_finalize(reasons);
	return rc;
}

int dataset_load_reports(sqlite3 *db, const char *domain, long long from,
    long long to, dataset_t *ds, char *err, size_t errlen)
{
	static const char *const sql[3] = { reports_sql, auth_sql,
		reasons_sql };
	sqlite3_stmt *st;
	int rc = load(db, sql, domain, from, to, ds, err, errlen);

	if (rc == 0 && sqlite3_prepare_v2(db, "SELECT count(DISTINCT"
	    " rec.report) FROM records rec WHERE " SQL_DOMAIN("rec.header_from")
	    " AND rec.report IN (SELECT id FROM reports WHERE end > ?2 AND"
	    " begin < ?3)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, to);
		if (sqlite3_step(st) == SQLITE_ROW)
			ds->nreports = (size_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return rc;
}

/* One message of the history: one record of count 1, as a receiver's
 * report would give it, with the policy the milter saw. */
typedef struct hist_ctx {
	dataset_t *ds;
	char *err;
	size_t errlen;
	bool full;
} hist_ctx_t;

static int history_row(void *ctx, const verdict_row_t *v)
{
	hist_ctx_t *c = ctx;
	arow_t *r;
	size_t i;

	if ((r = new_row(c->ds, c->err, c->errlen)) == NULL) {
		c->full = true;
		return 1;
	}
	r->reporter = reporter_index(c->ds, "dmarcwarden (local)");
	r->begin = r->end = v->time;
	str_copy(r->source_ip, sizeof(r->source_ip), v->source_ip);
	str_copy(r->header_from, sizeof(r->header_from), v->header_from);
	r->adkim_strict = strcmp(v->adkim, "s") == 0;
	r->aspf_strict = strcmp(v->aspf, "s") == 0;
	r->count = 1;
	derive_auth(r, false, v->spf_domain, v->spf_result);
	r->spf_aligned = v->spf_aligned;
	r->dkim_aligned = v->dkim_aligned;
	str_copy(r->disposition, sizeof(r->disposition), v->disposition);
	str_copy(r->p, sizeof(r->p), v->p);
	str_copy(r->sp, sizeof(r->sp), v->sp);
	r->pct = v->pct;
	r->testing = strcmp(v->testing, "y") == 0;
	for (i = 0; i < v->nsigs; i++)
		derive_auth(r, true, v->sig[i].domain, v->sig[i].result);
	for (i = 0; i < v->nreasons; i++)
		derive_reason(r, v->reason[i]);
	return 0;
}

int dataset_load_history(verdicts_t *vd, const char *domain,
    long long from, long long to, dataset_t *ds, char *err, size_t errlen)
{
	hist_ctx_t c = { ds, err, errlen, false };

	dataset_start(ds, true, domain, from, to);
	if (verdicts_rows(vd, domain, from, to, history_row, &c) < 0 &&
	    !c.full) {
		str_format(err, errlen, "reading the history: %s",
		    verdicts_error(vd));
		return -1;
	}
	ds->nreports = ds->n;
	return c.full ? -1 : 0;
}

void dataset_free(dataset_t *ds)
{
	if (ds == NULL)
		return;
	free(ds->rows);
	free(ds->reporters);
	ds->rows = NULL;
	ds->reporters = NULL;
	ds->n = ds->cap = ds->nreporters = 0;
}
