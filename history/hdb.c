/*
 * hdb - the history's connection seam: dispatch, and the SQLite side.
 * See hdb.h; the PostgreSQL side is hdb_pg.c.
 */
#include "hdb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "../util/strbuf.h"
#include "hdb_impl.h"

#define HDB_BUSY_MS 10000
#define HDB_MAX_PARAMS 64
#define HDB_STACK_COLS 64

bool hdb_spec_is_pg(const char *spec)
{
	return spec != NULL && (strncasecmp(spec, "postgresql://", 13) == 0 ||
	    strncasecmp(spec, "postgres://", 11) == 0);
}

/* Copy spec, replacing a password (user:PASSWORD@ in the authority, or
 * a password= parameter) by "***". */
void hdb_spec_redacted(const char *spec, char *out, size_t outlen)
{
	strbuf_t sb;
	const char *p, *auth, *at, *colon, *q;

	if (spec == NULL || !hdb_spec_is_pg(spec)) {
		str_copy(out, outlen, spec != NULL ? spec : "");
		return;
	}
	strbuf_init(&sb, outlen);
	auth = strstr(spec, "://") + 3;
	at = auth + strcspn(auth, "@/?");
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (*at == '@' && colon != NULL) {
		strbuf_append(&sb, spec, (size_t)(colon - spec));
		strbuf_puts(&sb, ":***");
		p = at;
	} else
		p = spec;
	while ((q = strcasestr(p, "password=")) != NULL) {
		strbuf_append(&sb, p, (size_t)(q - p) + 9);
		p = q + 9;
		if (q[-1] == '?' || q[-1] == '&') {
			strbuf_puts(&sb, "***");
			p += strcspn(p, "&");
		}
	}
	strbuf_puts(&sb, p);
	str_copy(out, outlen, strbuf_str(&sb));
	strbuf_free(&sb);
}

void hdb_set_error(hdb_t *h, const char *sql, bool unavailable,
    const char *fmt, ...)
{
	char msg[HDB_ERR_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	for (char *c = msg; *c != '\0'; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	h->unavailable = unavailable;
	if (sql != NULL)
		str_format(h->err, sizeof(h->err), "%s (in: %.40s%s)", msg,
		    sql, strlen(sql) > 40 ? "..." : "");
	else
		str_copy(h->err, sizeof(h->err), msg);
}

/* ---- SQLite ------------------------------------------------------- */

/* SQLite errors that mean "not now" rather than "never". */
static bool sq_transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_FULL:
	case SQLITE_IOERR: case SQLITE_CANTOPEN: case SQLITE_READONLY:
	case SQLITE_NOMEM: case SQLITE_PROTOCOL:
		return true;
	default:
		return false;
	}
}

static void sq_error(hdb_t *h, const char *sql, int rc)
{
	hdb_set_error(h, sql, sq_transient(rc), "%s", h->db != NULL ?
	    sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
}

static int sq_open(hdb_t *h, unsigned flags, char *err, size_t errlen,
    bool *unavailable)
{
	int oflags = SQLITE_OPEN_NOMUTEX, rc;

	oflags |= (flags & HDB_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | ((flags & HDB_CREATE) ?
	    SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(h->spec, &h->db, oflags, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(h->db, 1);
		sqlite3_busy_timeout(h->db, HDB_BUSY_MS);
		if (!h->readonly)
			rc = sqlite3_exec(h->db, "PRAGMA journal_mode=WAL;"
			    " PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(h->db, "PRAGMA foreign_keys=ON",
			    NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		return 0;
	*unavailable = sq_transient(rc);
	str_format(err, errlen, "%s: %s", h->spec, h->db != NULL ?
	    sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
	return -1;
}

static void sq_close(hdb_t *h)
{
	for (size_t i = 0; i < HDB_CACHE; i++)
		sqlite3_finalize(h->cache[i].st);
	sqlite3_close_v2(h->db);
	h->db = NULL;
}

/* The cached statement for sql, prepared on first use. */
static sqlite3_stmt *sq_prepare(hdb_t *h, const char *sql)
{
	sqlite3_stmt *st = NULL;
	unsigned slot;
	int rc;

	for (slot = 0; slot < HDB_CACHE; slot++)
		if (h->cache[slot].sql == sql && h->cache[slot].st != NULL &&
		    strcmp(sqlite3_sql(h->cache[slot].st), sql) == 0)
			return h->cache[slot].st;
	rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		sq_error(h, sql, rc);
		return NULL;
	}
	for (slot = 0; slot < HDB_CACHE && h->cache[slot].st != NULL; slot++)
		;
	if (slot == HDB_CACHE) {
		slot = h->next_evict++ % HDB_CACHE;
		sqlite3_finalize(h->cache[slot].st);
	}
	h->cache[slot].sql = sql;
	h->cache[slot].st = st;
	return st;
}

static int sq_bind(hdb_t *h, sqlite3_stmt *st, const char *sql, int nparams,
    const char *const *params)
{
	char name[8];
	int i, idx, rc;

	if (sqlite3_bind_parameter_count(st) != nparams) {
		hdb_set_error(h, sql, false, "%d parameters given, the"
		    " statement has %d", nparams,
		    sqlite3_bind_parameter_count(st));
		return -1;
	}
	for (i = 1; i <= nparams; i++) {
		str_format(name, sizeof(name), "$%d", i);
		if ((idx = sqlite3_bind_parameter_index(st, name)) == 0) {
			hdb_set_error(h, sql, false, "parameter %s missing",
			    name);
			return -1;
		}
		rc = params[i - 1] == NULL ? sqlite3_bind_null(st, idx) :
		    sqlite3_bind_text(st, idx, params[i - 1], -1,
		    SQLITE_STATIC);
		if (rc != SQLITE_OK) {
			sq_error(h, sql, rc);
			return -1;
		}
	}
	return 0;
}

/* Hand one row to fn; its return value. */
static int sq_row(sqlite3_stmt *st, hdb_row_fn fn, void *ctx)
{
	const char *stackv[HDB_STACK_COLS], **vals = stackv;
	int n = sqlite3_column_count(st), i, rc;

	if (n > HDB_STACK_COLS && (vals = malloc(sizeof(*vals) *
	    (size_t)n)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		vals[i] = (const char *)sqlite3_column_text(st, i);
	rc = fn(ctx, n, vals);
	if (vals != stackv)
		free(vals);
	return rc;
}

static long long sq_query(hdb_t *h, const char *sql, int nparams,
    const char *const *params, hdb_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = sq_prepare(h, sql);
	long long rows = 0;
	int rc;

	if (st == NULL || sq_bind(h, st, sql, nparams, params) < 0) {
		if (st != NULL)
			sqlite3_clear_bindings(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		if (fn != NULL && sq_row(st, fn, ctx) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_error(h, sql, rc);
	else
		h->changes = sqlite3_changes64(h->db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? rows : -1;
}

/* ---- dispatch ------------------------------------------------------ */

hdb_t *hdb_open(const char *spec, unsigned flags, char *err, size_t errlen,
    bool *unavailable)
{
	bool unav = false;
	hdb_t *h;
	int rc;

	if (unavailable == NULL)
		unavailable = &unav;
	*unavailable = false;
	if (spec == NULL || *spec == '\0') {
		str_copy(err, errlen, "no history database given");
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->spec = strdup(spec)) == NULL) {
		free(h);
		*unavailable = true;
		str_copy(err, errlen, "out of memory");
		return NULL;
	}
	h->kind = hdb_spec_is_pg(spec) ? HDB_PG : HDB_SQLITE;
	h->readonly = (flags & HDB_READONLY) != 0;
	rc = h->kind == HDB_PG ? hdbpg_open(h, err, errlen, unavailable) :
	    sq_open(h, flags, err, errlen, unavailable);
	if (rc < 0) {
		hdb_close(h);
		return NULL;
	}
	return h;
}

void hdb_close(hdb_t *h)
{
	if (h == NULL)
		return;
	if (h->kind == HDB_PG)
		hdbpg_close(h);
	else
		sq_close(h);
	free(h->spec);
	free(h);
}

hdb_kind_t hdb_kind(const hdb_t *h) { return h->kind; }
const char *hdb_spec(const hdb_t *h) { return h->spec; }
const char *hdb_error(const hdb_t *h) { return h->err; }
bool hdb_unavailable(const hdb_t *h) { return h->unavailable; }
bool hdb_readonly(const hdb_t *h) { return h->readonly; }
long long hdb_changes(const hdb_t *h) { return h->changes; }

struct sqlite3 *hdb_sqlite(hdb_t *h)
{
	return h->kind == HDB_SQLITE ? h->db : NULL;
}

struct pg_conn *hdb_pg(hdb_t *h)
{
	return h->kind == HDB_PG ? h->pg : NULL;
}

int hdb_exec(hdb_t *h, const char *sql)
{
	char *msg = NULL;
	int rc;

	h->err[0] = '\0';
	if (h->kind == HDB_PG)
		return hdbpg_exec(h, sql);
	rc = sqlite3_exec(h->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		hdb_set_error(h, sql, sq_transient(rc), "%s",
		    msg != NULL ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc == SQLITE_OK ? 0 : -1;
}

long long hdb_query(hdb_t *h, const char *sql, int nparams,
    const char *const *params, hdb_row_fn fn, void *ctx)
{
	h->err[0] = '\0';
	h->changes = 0;
	if (nparams < 0 || nparams > HDB_MAX_PARAMS) {
		hdb_set_error(h, sql, false, "too many parameters (%d)",
		    nparams);
		return -1;
	}
	return h->kind == HDB_PG ? hdbpg_query(h, sql, nparams, params, fn,
	    ctx) : sq_query(h, sql, nparams, params, fn, ctx);
}

struct first {
	char *text;
	size_t len;
	bool found;
};

static int first_cell(void *ctx, int ncols, const char *const *vals)
{
	struct first *f = ctx;

	if (ncols > 0 && vals[0] != NULL) {
		str_copy(f->text, f->len, vals[0]);
		f->found = true;
	}
	return 1;
}

int hdb_query_text(hdb_t *h, const char *sql, int nparams,
    const char *const *params, char *out, size_t outlen)
{
	struct first f = { out, outlen, false };

	if (outlen > 0)
		out[0] = '\0';
	if (hdb_query(h, sql, nparams, params, first_cell, &f) < 0)
		return -1;
	return f.found ? 1 : 0;
}

int hdb_query_int(hdb_t *h, const char *sql, int nparams,
    const char *const *params, long long *out)
{
	char buf[32], *end;
	int rc = hdb_query_text(h, sql, nparams, params, buf, sizeof(buf));

	if (rc <= 0)
		return rc;
	*out = strtoll(buf, &end, 10);
	if (end == buf || (*end != '\0' && *end != '.')) {
		hdb_set_error(h, sql, false, "not a number: %.20s", buf);
		return -1;
	}
	return 1;
}

int hdb_begin(hdb_t *h) { return hdb_exec(h, "BEGIN"); }
int hdb_commit(hdb_t *h) { return hdb_exec(h, "COMMIT"); }

int hdb_rollback(hdb_t *h)
{
	char keep[HDB_ERR_MAX];
	bool unav = h->unavailable;
	int rc;

	str_copy(keep, sizeof(keep), h->err);   /* the error that matters */
	rc = hdb_exec(h, "ROLLBACK");
	str_copy(h->err, sizeof(h->err), keep);
	h->unavailable = unav || h->unavailable;
	return rc;
}
