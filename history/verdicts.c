/*
 * verdicts - the verdict history read back for the policy tool
 * (verdicts.h).
 *
 * The SQL names every column it reads; the variants differ only where
 * the schema version (summaries since 2, action since 3) or the dialect
 * (suffix match, string aggregation, collation) do.  Each variant is a
 * static string (hdb caches SQLite statements by address).
 */
#include "verdicts.h"

#include <stdlib.h>
#include <string.h>

#include "hdb.h"
#include "migrate.h"
#include "schema.h"
#include "../util/strbuf.h"

struct verdicts {
	hdb_t *h;
	int version;
};

/* header_from is the domain p or one of its subdomains ('' = any). */
#define DOM_SQLITE(col, p) \
	"(CAST(" p " AS TEXT) = '' OR " col " = " p " OR (length(" col ")" \
	" > length(" p ") AND substr(" col ", -length(" p ") - 1) = '.' || " \
	p "))"
#define DOM_PG(col, p) \
	"(CAST(" p " AS TEXT) = '' OR " col " = " p " OR (length(" col ")" \
	" > length(CAST(" p " AS TEXT)) AND right(" col ", length(CAST(" p \
	" AS TEXT)) + 1) = '.' || " p "))"
#define NOT_TEMPFAIL " AND m.action <> 'tempfail'"

/* The summaries' form (schema.h), built from the children for rows
 * without them. */
#define DKIM_SUB_SQLITE \
	"(SELECT group_concat(d.domain || char(29) || d.selector ||" \
	" char(29) || d.result || char(29) || d.human_result, char(30))" \
	" FROM (SELECT * FROM message_dkim WHERE message_id = m.id" \
	" ORDER BY seq) d)"
#define OVER_SUB_SQLITE \
	"(SELECT group_concat(o.reason || char(29) || o.comment, char(30))" \
	" FROM (SELECT * FROM message_override WHERE message_id = m.id" \
	" ORDER BY seq) o)"
#define DKIM_SUB_PG \
	"(SELECT string_agg(d.domain || chr(29) || d.selector || chr(29) ||" \
	" d.result || chr(29) || d.human_result, chr(30) ORDER BY d.seq)" \
	" FROM message_dkim d WHERE d.message_id = m.id)"
#define OVER_SUB_PG \
	"(SELECT string_agg(o.reason || chr(29) || o.comment, chr(30)" \
	" ORDER BY o.seq) FROM message_override o WHERE o.message_id = m.id)"

#define ROWS_SQL(dkim, over, dom, action) \
	"SELECT m.id, m.time, m.source_ip, m.header_from, m.spf_domain," \
	" m.spf_result, m.spf_aligned, m.dkim_aligned," \
	" coalesce(m.disposition_applied, 'none'), coalesce(m.policy_p, '')," \
	" coalesce(m.policy_sp, ''), coalesce(m.policy_pct, -1)," \
	" coalesce(m.policy_testing, 'n'), coalesce(m.policy_adkim, '')," \
	" coalesce(m.policy_aspf, ''), coalesce(" dkim ", '')," \
	" coalesce(" over ", '')" \
	" FROM messages m WHERE " dom("m.header_from", "$1") \
	" AND m.time >= $2 AND m.time < $3" action " ORDER BY m.id"
enum {
	R_ID, R_TIME, R_IP, R_FROM, R_SPF_DOMAIN, R_SPF_RESULT, R_SPF_ALIGNED,
	R_DKIM_ALIGNED, R_DISPOSITION, R_P, R_SP, R_PCT, R_TESTING, R_ADKIM,
	R_ASPF, R_DKIM, R_OVER, R_NCOLS
};

static const char rows_sqlite_v1[] = ROWS_SQL(DKIM_SUB_SQLITE,
	OVER_SUB_SQLITE, DOM_SQLITE, "");
static const char rows_sqlite_v2[] = ROWS_SQL("coalesce(m.dkim_summary, "
	DKIM_SUB_SQLITE ")", "coalesce(m.override_summary, " OVER_SUB_SQLITE
	")", DOM_SQLITE, "");
static const char rows_sqlite_v3[] = ROWS_SQL("coalesce(m.dkim_summary, "
	DKIM_SUB_SQLITE ")", "coalesce(m.override_summary, " OVER_SUB_SQLITE
	")", DOM_SQLITE, NOT_TEMPFAIL);
static const char rows_pg[] = ROWS_SQL("coalesce(m.dkim_summary, "
	DKIM_SUB_PG ")", "coalesce(m.override_summary, " OVER_SUB_PG ")",
	DOM_PG, NOT_TEMPFAIL);

#define COUNT_IF(cond) "sum(CASE WHEN " cond " THEN 1 ELSE 0 END)"
#define DOMAINS_SQL(dom, action, collate) \
	"SELECT m.header_from, count(*), " COUNT_IF("m.result = 'pass'") "," \
	" " COUNT_IF("m.result = 'fail'") "," \
	" " COUNT_IF("m.disposition_applied = 'quarantine'") "," \
	" " COUNT_IF("m.disposition_applied = 'reject'") "," \
	" " COUNT_IF("EXISTS (SELECT 1 FROM message_override o" \
	" WHERE o.message_id = m.id)") \
	" FROM messages m WHERE m.time >= $1 AND m.time < $2 AND " \
	dom("m.header_from", "$3") action \
	" GROUP BY m.header_from ORDER BY count(*) DESC, m.header_from" \
	collate " LIMIT $4"

static const char domains_sqlite_v1[] = DOMAINS_SQL(DOM_SQLITE, "", "");
static const char domains_sqlite_v3[] = DOMAINS_SQL(DOM_SQLITE,
	NOT_TEMPFAIL, "");
static const char domains_pg[] = DOMAINS_SQL(DOM_PG, NOT_TEMPFAIL,
	" COLLATE \"C\"");

#define REASONS_SQL(action, collate) \
	"SELECT o.reason, count(*) FROM message_override o JOIN messages m" \
	" ON m.id = o.message_id WHERE m.header_from = $1 AND m.time >= $2" \
	" AND m.time < $3" action " GROUP BY o.reason" \
	" ORDER BY count(*) DESC, o.reason" collate

static const char reasons_v1[] = REASONS_SQL("", "");
static const char reasons_sqlite_v3[] = REASONS_SQL(NOT_TEMPFAIL, "");
static const char reasons_pg[] = REASONS_SQL(NOT_TEMPFAIL,
	" COLLATE \"C\"");

#define TEMPFAIL_SQL(dom) \
	"SELECT count(*) FROM messages m WHERE " dom("m.header_from", "$1") \
	" AND m.time >= $2 AND m.time < $3 AND m.action = 'tempfail'"

static const char tempfail_sqlite[] = TEMPFAIL_SQL(DOM_SQLITE);
static const char tempfail_pg[] = TEMPFAIL_SQL(DOM_PG);

verdicts_t *verdicts_open(const char *spec, char *err, size_t errlen)
{
	char why[HDB_ERR_MAX], shown[512];
	verdicts_t *vd;
	hdb_t *h;

	if ((h = hdb_open(spec, HDB_READONLY, err, errlen, NULL)) == NULL)
		return NULL;
	if ((vd = calloc(1, sizeof(*vd))) == NULL)
		abort();
	vd->h = h;
	vd->version = hist_schema_open(h, 0, why, sizeof(why));
	if (vd->version >= 1 && vd->version <= HISTORY_SCHEMA_VERSION)
		return vd;
	hdb_spec_redacted(spec, shown, sizeof(shown));
	str_format(err, errlen, "%s: %s", shown, why);
	verdicts_close(vd);
	return NULL;
}

void verdicts_close(verdicts_t *vd)
{
	if (vd == NULL)
		return;
	hdb_close(vd->h);
	free(vd);
}

int verdicts_version(const verdicts_t *vd)
{
	return vd->version;
}

const char *verdicts_error(const verdicts_t *vd)
{
	return hdb_error(vd->h);
}

/* The window's ends as text parameters. */
typedef struct window {
	char from[24], to[24];
} window_t;

static window_t window(long long from, long long to)
{
	window_t w;

	str_format(w.from, sizeof(w.from), "%lld", from);
	str_format(w.to, sizeof(w.to), "%lld", to);
	return w;
}

static bool pg(const verdicts_t *vd)
{
	return hdb_kind(vd->h) == HDB_PG;
}

static const char *val(const char *const *vals, int i)
{
	return vals[i] != NULL ? vals[i] : "";
}

/* Split a summary (entries by 0x1e, fields by 0x1d) in place: calls
 * take(r, fields, n) for every entry. */
static void split_summary(char *s, verdict_row_t *r,
    void (*take)(verdict_row_t *, char **, int))
{
	char *entry, *next, *f[4];
	int n;

	for (entry = s; entry != NULL && *entry != '\0'; entry = next) {
		if ((next = strchr(entry, '\x1e')) != NULL)
			*next++ = '\0';
		for (n = 0, f[0] = entry; n < 4 && f[n] != NULL; n++) {
			char *sep = strchr(f[n], '\x1d');

			if (sep != NULL)
				*sep++ = '\0';
			if (n + 1 < 4)
				f[n + 1] = sep;
		}
		take(r, f, n);
	}
}

static void take_sig(verdict_row_t *r, char **f, int n)
{
	if (r->nsigs < VERDICTS_MAX_SIGS && f[0][0] != '\0') {
		r->sig[r->nsigs].domain = f[0];
		r->sig[r->nsigs].result = n >= 3 ? f[2] : "";
		r->nsigs++;
	}
}

static void take_reason(verdict_row_t *r, char **f, int n)
{
	if (r->nreasons < VERDICTS_MAX_REASONS && f[0][0] != '\0')
		r->reason[r->nreasons++] = f[0];
}

typedef struct rows_ctx {
	verdict_row_fn fn;
	void *ctx;
} rows_ctx_t;

static int row_cb(void *ctx, int ncols, const char *const *vals)
{
	rows_ctx_t *c = ctx;
	verdict_row_t r;
	char *dkim, *over;
	int rc;

	if (ncols < R_NCOLS)
		return 1;
	memset(&r, 0, sizeof(r));
	r.id = atoll(val(vals, R_ID));
	r.time = atoll(val(vals, R_TIME));
	r.source_ip = val(vals, R_IP);
	r.header_from = val(vals, R_FROM);
	r.spf_domain = val(vals, R_SPF_DOMAIN);
	r.spf_result = val(vals, R_SPF_RESULT);
	r.spf_aligned = atoi(val(vals, R_SPF_ALIGNED)) != 0;
	r.dkim_aligned = atoi(val(vals, R_DKIM_ALIGNED)) != 0;
	r.disposition = val(vals, R_DISPOSITION);
	r.p = val(vals, R_P);
	r.sp = val(vals, R_SP);
	r.pct = atoi(val(vals, R_PCT));
	r.testing = val(vals, R_TESTING);
	r.adkim = val(vals, R_ADKIM);
	r.aspf = val(vals, R_ASPF);
	if ((dkim = strdup(val(vals, R_DKIM))) == NULL ||
	    (over = strdup(val(vals, R_OVER))) == NULL)
		abort();
	split_summary(dkim, &r, take_sig);
	split_summary(over, &r, take_reason);
	rc = c->fn(c->ctx, &r);
	free(dkim);
	free(over);
	return rc;
}

long long verdicts_rows(verdicts_t *vd, const char *domain, long long from,
    long long to, verdict_row_fn fn, void *ctx)
{
	rows_ctx_t c = { fn, ctx };
	window_t w = window(from, to);
	const char *p[3] = { domain, w.from, w.to };
	const char *sql = pg(vd) ? rows_pg : vd->version == 1 ?
	    rows_sqlite_v1 : vd->version == 2 ? rows_sqlite_v2 :
	    rows_sqlite_v3;

	return hdb_query(vd->h, sql, 3, p, row_cb, &c);
}

typedef struct dom_ctx {
	verdict_domain_fn fn;
	void *ctx;
} dom_ctx_t;

static int domain_cb(void *ctx, int ncols, const char *const *vals)
{
	dom_ctx_t *c = ctx;
	verdict_domain_t d;

	if (ncols < 7)
		return 1;
	d.domain = val(vals, 0);
	d.total = strtoull(val(vals, 1), NULL, 10);
	d.pass = strtoull(val(vals, 2), NULL, 10);
	d.fail = strtoull(val(vals, 3), NULL, 10);
	d.quarantined = strtoull(val(vals, 4), NULL, 10);
	d.rejected = strtoull(val(vals, 5), NULL, 10);
	d.overridden = strtoull(val(vals, 6), NULL, 10);
	return c->fn(c->ctx, &d);
}

long long verdicts_domains(verdicts_t *vd, const char *domain,
    long long from, long long to, size_t max, verdict_domain_fn fn,
    void *ctx)
{
	dom_ctx_t c = { fn, ctx };
	window_t w = window(from, to);
	char m[24];
	const char *p[4] = { w.from, w.to, domain, m };
	const char *sql = pg(vd) ? domains_pg : vd->version < 3 ?
	    domains_sqlite_v1 : domains_sqlite_v3;

	str_format(m, sizeof(m), "%zu", max);
	return hdb_query(vd->h, sql, 4, p, domain_cb, &c);
}

typedef struct reason_ctx {
	verdict_reason_fn fn;
	void *ctx;
} reason_ctx_t;

static int reason_cb(void *ctx, int ncols, const char *const *vals)
{
	reason_ctx_t *c = ctx;

	if (ncols < 2)
		return 1;
	return c->fn(c->ctx, val(vals, 0), strtoull(val(vals, 1), NULL, 10));
}

long long verdicts_reasons(verdicts_t *vd, const char *header_from,
    long long from, long long to, verdict_reason_fn fn, void *ctx)
{
	reason_ctx_t c = { fn, ctx };
	window_t w = window(from, to);
	const char *p[3] = { header_from, w.from, w.to };
	const char *sql = pg(vd) ? reasons_pg : vd->version < 3 ? reasons_v1 :
	    reasons_sqlite_v3;

	return hdb_query(vd->h, sql, 3, p, reason_cb, &c);
}

long long verdicts_tempfailed(verdicts_t *vd, const char *domain,
    long long from, long long to)
{
	window_t w = window(from, to);
	const char *p[3] = { domain, w.from, w.to };
	long long n = 0;

	if (vd->version < 3)
		return 0;
	if (hdb_query_int(vd->h, pg(vd) ? tempfail_pg : tempfail_sqlite, 3, p,
	    &n) < 0)
		return -1;
	return n;
}
