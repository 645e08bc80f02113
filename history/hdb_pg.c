/*
 * hdb_pg - the PostgreSQL side of the history's connection seam, over
 * libpq.  See hdb.h.
 *
 * Text sent to the server must be valid UTF-8 (the client encoding is
 * set to UTF8): a parameter that is not (a hostile HELO name, 8-bit
 * header bytes in a failure sample) is sent with each invalid byte
 * replaced by U+FFFD, so the row is stored rather than refused.  SQLite
 * stores such bytes as they are.
 */
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../policy/utf8.h"
#include "../util/strbuf.h"
#include "hdb_impl.h"

#define HDB_PG_CONNECT_TIMEOUT "10"

/* SQLSTATE classes that mean "not now": connection exceptions (08),
 * insufficient resources (53), operator intervention (57P0x: shutdown,
 * cannot connect now), serialization failure and deadlock (40001,
 * 40P01). */
static bool pg_transient(const PGconn *c, const PGresult *r)
{
	const char *st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) :
	    NULL;

	if (PQstatus(c) != CONNECTION_OK)
		return true;
	if (st == NULL)
		return r == NULL;
	return strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 ||
	    strncmp(st, "57P0", 4) == 0 || strcmp(st, "40001") == 0 ||
	    strcmp(st, "40P01") == 0;
}

static void pg_error(hdb_t *h, const char *sql, const PGresult *r)
{
	const char *msg = r != NULL ? PQresultErrorMessage(r) : "";

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(h->pg);
	hdb_set_error(h, sql, pg_transient(h->pg, r), "%s", msg);
}

/* Server notices ("table does not exist, skipping") are not errors and
 * must not reach a daemon's stderr. */
static void pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int hdbpg_open(hdb_t *h, char *err, size_t errlen, bool *unavailable)
{
	const char *keys[] = { "dbname", "connect_timeout",
	    "application_name", "client_encoding", NULL };
	const char *vals[] = { h->spec, HDB_PG_CONNECT_TIMEOUT,
	    "dmarcwarden", "UTF8", NULL };
	char shown[512];

	/* expand_dbname: the URI in dbname gives everything else; the
	 * keys after it are defaults the URI can override. */
	h->pg = PQconnectdbParams(keys, vals, 1);
	if (h->pg != NULL)
		PQsetNoticeProcessor(h->pg, pg_notice, NULL);
	if (h->pg != NULL && PQstatus(h->pg) == CONNECTION_OK &&
	    (!h->readonly || hdbpg_exec(h,
	    "SET default_transaction_read_only = on") == 0))
		return 0;
	hdb_spec_redacted(h->spec, shown, sizeof(shown));
	str_format(err, errlen, "%s: %s", shown, h->pg != NULL ?
	    PQerrorMessage(h->pg) : "out of memory");
	for (size_t n = strlen(err); n > 0 && err[n - 1] == '\n'; n--)
		err[n - 1] = '\0';
	*unavailable = true;     /* refused, down, unknown host: try later */
	return -1;
}

void hdbpg_close(hdb_t *h)
{
	if (h->pg != NULL)
		PQfinish(h->pg);
	h->pg = NULL;
}

int hdbpg_exec(hdb_t *h, const char *sql)
{
	PGresult *r = PQexec(h->pg, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_error(h, sql, r);
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* p itself when it is valid UTF-8, else a copy with every invalid byte
 * replaced by U+FFFD (*copy set, free it). */
static const char *pg_utf8(const char *p, char **copy)
{
	size_t n = strlen(p), i, k;
	char *out;

	*copy = NULL;
	if (utf8_valid((const unsigned char *)p, n))
		return p;
	if ((out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (i = 0, k = 0; i < n;) {
		size_t len = utf8_seq((const unsigned char *)p + i, n - i);

		if (len == 0) {
			memcpy(out + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		} else {
			memcpy(out + k, p + i, len);
			k += len;
			i += len;
		}
	}
	out[k] = '\0';
	*copy = out;
	return out;
}

/* Call fn for every row of one PGRES_SINGLE_TUPLE / TUPLES_OK result. */
static int pg_rows(PGresult *r, hdb_row_fn fn, void *ctx, long long *rows,
    bool *stop)
{
	int n = PQnfields(r), t, i;
	const char **vals;

	if (PQntuples(r) == 0)
		return 0;
	if ((vals = calloc((size_t)n + 1, sizeof(*vals))) == NULL)
		return -1;
	for (t = 0; t < PQntuples(r) && !*stop; t++) {
		for (i = 0; i < n; i++)
			vals[i] = PQgetisnull(r, t, i) ? NULL :
			    PQgetvalue(r, t, i);
		(*rows)++;
		if (fn != NULL && fn(ctx, n, vals) != 0)
			*stop = true;
	}
	free(vals);
	return 0;
}

/* Send sql with its parameters made valid UTF-8; 0 or -1. */
static int pg_send(hdb_t *h, const char *sql, int nparams,
    const char *const *params)
{
	const char *p[64];
	char *copies[64];
	int i, ok;

	for (i = 0, ok = 1; i < nparams; i++) {
		copies[i] = NULL;
		p[i] = params[i] == NULL ? NULL : pg_utf8(params[i],
		    &copies[i]);
		if (params[i] != NULL && p[i] == NULL)
			ok = 0;
	}
	if (!ok) {
		for (i = 0; i < nparams; i++)
			free(copies[i]);
		hdb_set_error(h, sql, true, "out of memory");
		return -1;
	}
	ok = PQsendQueryParams(h->pg, sql, nparams, NULL, nparams > 0 ? p :
	    NULL, NULL, NULL, 0);
	for (i = 0; i < nparams; i++)
		free(copies[i]);
	if (!ok) {
		pg_error(h, sql, NULL);
		return -1;
	}
	PQsetSingleRowMode(h->pg);
	return 0;
}

long long hdbpg_query(hdb_t *h, const char *sql, int nparams,
    const char *const *params, hdb_row_fn fn, void *ctx)
{
	long long rows = 0;
	bool stop = false, failed = false;
	PGresult *r;

	if (pg_send(h, sql, nparams, params) < 0)
		return -1;
	while ((r = PQgetResult(h->pg)) != NULL) {
		switch (PQresultStatus(r)) {
		case PGRES_TUPLES_OK:
			h->changes = strtoll(PQcmdTuples(r), NULL, 10);
			/* FALLTHROUGH */
		case PGRES_SINGLE_TUPLE:
			if (!stop && !failed &&
			    pg_rows(r, fn, ctx, &rows, &stop) < 0) {
				hdb_set_error(h, sql, true, "out of memory");
				failed = true;
			}
			break;
		case PGRES_COMMAND_OK:
			h->changes = strtoll(PQcmdTuples(r), NULL, 10);
			break;
		default:
			if (!failed)
				pg_error(h, sql, r);
			failed = true;
		}
		PQclear(r);
	}
	if (!failed && PQstatus(h->pg) != CONNECTION_OK) {
		pg_error(h, sql, NULL);
		failed = true;
	}
	return failed ? -1 : rows;
}
