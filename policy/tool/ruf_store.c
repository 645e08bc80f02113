/*
 * ruf_store - failure reports in the report database.  See ruf_store.h.
 */
#include "ruf_store.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../util/strbuf.h"

static const char table_sql[] =
	"CREATE TABLE IF NOT EXISTS failures (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  digest TEXT NOT NULL UNIQUE,\n"
	"  domain TEXT NOT NULL, reporter TEXT NOT NULL,\n"
	"  source_ip TEXT NOT NULL, arrival INTEGER NOT NULL,\n"
	"  auth_failure TEXT NOT NULL, delivery_result TEXT NOT NULL,\n"
	"  identity_alignment TEXT NOT NULL, dkim_domain TEXT NOT NULL,\n"
	"  mail_from TEXT NOT NULL, header_from TEXT NOT NULL,\n"
	"  subject TEXT NOT NULL, auth_results TEXT NOT NULL,\n"
	"  source TEXT NOT NULL, ingested INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS failures_domain ON failures (domain,"
	" arrival);\n";

/* The failure reports about ?1 or below it, in [?2, ?3). */
#define WHERE_SQL \
	" WHERE (domain = ?1 OR (length(domain) > length(?1) AND" \
	" substr(domain, -length(?1) - 1) = '.' || ?1))" \
	" AND (CASE arrival WHEN 0 THEN ingested ELSE arrival END) >= ?2" \
	" AND (CASE arrival WHEN 0 THEN ingested ELSE arrival END) < ?3"

static int db_error(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	str_format(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

static void text(sqlite3_stmt *st, int col, const char *s)
{
	sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
}

int ruf_store_add(sqlite3 *db, const ruf_t *r, const char *source, char *dup,
    size_t duplen, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	dup[0] = '\0';
	if (sqlite3_exec(db, table_sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, "creating the failures table", err, errlen);
	if (sqlite3_prepare_v2(db, "SELECT source FROM failures WHERE digest "
	    "= ?", -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "reading failures", err, errlen);
	text(st, 1, r->digest);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		str_copy(dup, duplen, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_error(db, "reading failures", err, errlen);
	if (sqlite3_prepare_v2(db, "INSERT INTO failures (digest, domain,"
	    " reporter, source_ip, arrival, auth_failure, delivery_result,"
	    " identity_alignment, dkim_domain, mail_from, header_from, subject,"
	    " auth_results, source, ingested) VALUES"
	    " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "storing a failure report", err, errlen);
	text(st, 1, r->digest);
	text(st, 2, r->domain);
	text(st, 3, r->reporter);
	text(st, 4, r->source_ip);
	sqlite3_bind_int64(st, 5, r->arrival);
	text(st, 6, r->auth_failure);
	text(st, 7, r->delivery_result);
	text(st, 8, r->identity_alignment);
	text(st, 9, r->dkim_domain);
	text(st, 10, r->mail_from);
	text(st, 11, r->header_from);
	text(st, 12, r->subject);
	text(st, 13, r->auth_results);
	text(st, 14, source);
	sqlite3_bind_int64(st, 15, (long long)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(db, "storing a failure report", err, errlen);
	return 1;
}

bool ruf_store_exists(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type ="
	    " 'table' AND name = 'failures'", -1, &st, NULL) == SQLITE_OK)
		yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static void column(sqlite3_stmt *st, int col, char *out, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	str_copy(out, size, s ? (const char *)s : "");
}

static void row(sqlite3_stmt *st, ruf_t *r)
{
	memset(r, 0, sizeof(*r));
	column(st, 0, r->digest, sizeof(r->digest));
	column(st, 1, r->domain, sizeof(r->domain));
	column(st, 2, r->reporter, sizeof(r->reporter));
	column(st, 3, r->source_ip, sizeof(r->source_ip));
	r->arrival = sqlite3_column_int64(st, 4);
	column(st, 5, r->auth_failure, sizeof(r->auth_failure));
	column(st, 6, r->delivery_result, sizeof(r->delivery_result));
	column(st, 7, r->identity_alignment, sizeof(r->identity_alignment));
	column(st, 8, r->dkim_domain, sizeof(r->dkim_domain));
	column(st, 9, r->mail_from, sizeof(r->mail_from));
	column(st, 10, r->header_from, sizeof(r->header_from));
	column(st, 11, r->subject, sizeof(r->subject));
	column(st, 12, r->auth_results, sizeof(r->auth_results));
}

static void bind_window(sqlite3_stmt *st, const char *domain, long long from,
    long long to)
{
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
}

int ruf_store_load(sqlite3 *db, const char *domain, long long from,
    long long to, ruf_list_t *l, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	memset(l, 0, sizeof(*l));
	if (!ruf_store_exists(db))
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM failures" WHERE_SQL,
	    -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "reading failures", err, errlen);
	bind_window(st, domain, from, to);
	if (sqlite3_step(st) == SQLITE_ROW)
		l->total = (unsigned long long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (l->total == 0)
		return 0;
	l->items = calloc(l->total < RUF_LIST_MAX ? l->total : RUF_LIST_MAX,
	    sizeof(*l->items));
	if (l->items == NULL)
		abort();
	if (sqlite3_prepare_v2(db, "SELECT digest, domain, reporter, source_ip,"
	    " arrival, auth_failure, delivery_result, identity_alignment,"
	    " dkim_domain, mail_from, header_from, subject, auth_results"
	    " FROM failures" WHERE_SQL " ORDER BY CASE arrival WHEN 0 THEN"
	    " ingested ELSE arrival END DESC, id DESC LIMIT ?4", -1, &st,
	    NULL) != SQLITE_OK)
		return db_error(db, "reading failures", err, errlen);
	bind_window(st, domain, from, to);
	sqlite3_bind_int(st, 4, RUF_LIST_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && l->n < RUF_LIST_MAX)
		row(st, &l->items[l->n++]);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(db, "reading failures", err, errlen);
	return 0;
}

void ruf_list_free(ruf_list_t *l)
{
	if (l == NULL)
		return;
	free(l->items);
	memset(l, 0, sizeof(*l));
}
