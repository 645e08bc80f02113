/*
 * failstore - the failure samples of the history (failstore.h).
 */
#include "failstore.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../util/strbuf.h"

static const char sql_pending[] =
	"SELECT id FROM failure_samples WHERE reported IS NULL"
	" ORDER BY time, id LIMIT $1";

/* The sample and what its message's history row says about it.  The
 * column list is the same in both; only the fallback for version 1 rows
 * (no dkim_summary, SQLite only) differs. */
#define SAMPLE_COLS \
	"SELECT f.id, f.time, f.policy_domain, f.header_from, f.source_ip," \
	" f.mail_from, f.auth_failure, f.ruf, f.headers," \
	" coalesce(m.policy_psd, ''), coalesce(m.spf_domain, '')," \
	" coalesce(m.spf_scope, ''), coalesce(m.spf_result, '')," \
	" coalesce(m.spf_aligned, 0), coalesce(m.dkim_aligned, 0),"
#define SAMPLE_FROM \
	" coalesce(m.result, '')" \
	" FROM failure_samples f LEFT JOIN messages m ON m.id = f.message_id" \
	" WHERE f.id = $1"
enum { SAMPLE_NCOLS = 17 };

static const char sql_sample_sqlite[] = SAMPLE_COLS
	" coalesce(m.dkim_summary, (SELECT group_concat(d.domain || char(29)"
	"  || d.selector || char(29) || d.result || char(29) ||"
	"  d.human_result, char(30)) FROM (SELECT * FROM message_dkim"
	"  WHERE message_id = m.id ORDER BY seq) d), ''),"
	SAMPLE_FROM;
static const char sql_sample_pg[] = SAMPLE_COLS
	" coalesce(m.dkim_summary, ''),"
	SAMPLE_FROM;

static const char sql_mark[] =
	"UPDATE failure_samples SET reported = $1, detail = $2 WHERE id = $3";
static const char sql_instance[] =
	"SELECT value FROM meta WHERE key = 'report.instance'";
static const char sql_instance_put[] =
	"INSERT INTO meta (key, value) VALUES ('report.instance', $1)"
	" ON CONFLICT (key) DO NOTHING";
static const char sql_sent[] =
	"SELECT count(*) FROM report_dest WHERE uri = $1 AND state = 'sent'"
	" AND report_id LIKE 'fr%' AND last_attempt >= $2";

typedef struct ids_ctx {
	long long *ids;
	size_t n, max;
} ids_ctx_t;

static int id_row(void *ctx, int ncols, const char *const *vals)
{
	ids_ctx_t *c = ctx;

	if (ncols >= 1 && vals[0] != NULL && c->n < c->max)
		c->ids[c->n++] = atoll(vals[0]);
	return c->n >= c->max;
}

long long failstore_pending(hdb_t *h, long long *ids, size_t max)
{
	ids_ctx_t c = { ids, 0, max };
	char limit[24];
	const char *p[1] = { limit };

	if (max == 0)
		return 0;
	str_format(limit, sizeof(limit), "%zu", max);
	if (hdb_query(h, sql_pending, 1, p, id_row, &c) < 0)
		return -1;
	return (long long)c.n;
}

typedef struct read_ctx {
	failstore_fn fn;
	void *ctx;
} read_ctx_t;

static const char *text(const char *const *vals, int i)
{
	return vals[i] != NULL ? vals[i] : "";
}

static int sample_row(void *ctx, int ncols, const char *const *vals)
{
	read_ctx_t *c = ctx;
	failstore_row_t r;

	if (ncols < SAMPLE_NCOLS)
		return 1;
	r.id = atoll(text(vals, 0));
	r.time = atoll(text(vals, 1));
	r.policy_domain = text(vals, 2);
	r.header_from = text(vals, 3);
	r.source_ip = text(vals, 4);
	r.mail_from = text(vals, 5);
	r.auth_failure = text(vals, 6);
	r.ruf = text(vals, 7);
	r.headers = text(vals, 8);
	r.psd = text(vals, 9);
	r.spf_domain = text(vals, 10);
	r.spf_scope = text(vals, 11);
	r.spf_result = text(vals, 12);
	r.spf_aligned = atoll(text(vals, 13)) != 0;
	r.dkim_aligned = atoll(text(vals, 14)) != 0;
	r.dkim = text(vals, 15);
	r.result = text(vals, 16);
	c->fn(c->ctx, &r);
	return 1;
}

int failstore_read(hdb_t *h, long long id, failstore_fn fn, void *ctx)
{
	read_ctx_t c = { fn, ctx };
	char num[24];
	const char *p[1] = { num };
	long long n;

	str_format(num, sizeof(num), "%lld", id);
	n = hdb_query(h, hdb_kind(h) == HDB_PG ? sql_sample_pg :
	    sql_sample_sqlite, 1, p, sample_row, &c);
	return n < 0 ? -1 : n > 0;
}

int failstore_mark(hdb_t *h, long long id, long long reported,
    const char *detail)
{
	char num[24], when[24];
	const char *p[3] = { when, detail, num };

	str_format(num, sizeof(num), "%lld", id);
	str_format(when, sizeof(when), "%lld", reported);
	return hdb_query(h, sql_mark, 3, p, NULL, NULL) < 0 ? -1 : 0;
}

int failstore_instance(hdb_t *h, bool create, char *out, size_t outlen)
{
	unsigned char rnd[8];
	char tag[24];
	const char *p[1] = { tag };

	out[0] = '\0';
	if (hdb_query_text(h, sql_instance, 0, NULL, out, outlen) < 0)
		return -1;
	if (out[0] != '\0' || !create)
		return 0;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		abort();
	str_format(tag, sizeof(tag), "%02x%02x%02x%02x%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (hdb_query(h, sql_instance_put, 1, p, NULL, NULL) < 0 ||
	    hdb_query_text(h, sql_instance, 0, NULL, out, outlen) < 0) {
		str_copy(out, outlen, tag);
		return -1;
	}
	return 0;
}

long long failstore_sent_since(hdb_t *h, const char *uri, time_t since)
{
	char when[24];
	const char *p[2] = { uri, when };
	long long n = 0;

	str_format(when, sizeof(when), "%lld", (long long)since);
	return hdb_query_int(h, sql_sent, 2, p, &n) < 0 ? -1 : n;
}
