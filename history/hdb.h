/*
 * hdb - one connection to the history database, SQLite or PostgreSQL,
 * behind one small API: the backend seam of history/.
 *
 * SYNOPSIS
 *	hdb_t *h = hdb_open(spec, HDB_CREATE, err, sizeof(err));
 *	hdb_exec(h, "CREATE TABLE ...; CREATE INDEX ...");
 *	const char *p[] = { "example.com", "1700000000" };
 *	hdb_query(h, "SELECT id, qid FROM messages"
 *	    " WHERE policy_domain = $1 AND time >= $2", 2, p, row_fn, ctx);
 *	hdb_query_int(h, "SELECT count(*) FROM messages", 0, NULL, &n);
 *	hdb_begin(h); ... hdb_commit(h);      (or hdb_rollback(h))
 *	hdb_close(h);
 *
 * DESCRIPTION
 *	A spec starting with "postgresql://" or "postgres://" is a libpq
 *	connection URI (hdb_spec_is_pg()); anything else is the path of an
 *	SQLite file.  hdb_open() connects (PostgreSQL) or opens the file
 *	(SQLite: WAL mode, synchronous=NORMAL, foreign keys on, a busy
 *	timeout; the file is created only with HDB_CREATE, and opened
 *	read-only with HDB_READONLY).  It does not look at the schema: that
 *	is migrate.h's job.
 *
 *	SQL is written once for both backends where the dialects agree
 *	(they do for plain SELECT/INSERT/UPDATE/DELETE, ON CONFLICT DO
 *	NOTHING, RETURNING, SAVEPOINT): parameters are written $1, $2, ...
 *	(SQLite reads them as named parameters), and passed as text, NULL
 *	meaning SQL NULL; both backends convert text to the column's type.
 *	Where the dialects differ (DDL, string aggregation, locking, index
 *	hints), callers test hdb_kind().
 *
 *	hdb_query() runs one statement and calls fn for every result row
 *	with the row's values as text (NULL for SQL NULL), streaming: rows
 *	are not collected in memory first (PostgreSQL single-row mode).  fn
 *	returns 0 to go on, non-zero to stop (the rest is discarded).  It
 *	returns the number of rows fn saw, or -1.  fn may be NULL for a
 *	statement whose rows do not matter.  hdb_changes() is the number of
 *	rows the last INSERT/UPDATE/DELETE of hdb_query() changed.
 *
 *	hdb_query_int() is the first column of the first row as a number:
 *	1 with *out set, 0 when there was no row or it was NULL, -1 on error.
 *	hdb_query_text() the same as text, cut to outlen.
 *
 *	hdb_exec() runs one or more statements without parameters.
 *
 *	SQLite statements are prepared once per SQL text address (keep SQL
 *	in static strings) and kept until hdb_close(); PostgreSQL statements
 *	are sent with PQexecParams.
 *
 * DIAGNOSTICS
 *	Functions return -1 on error; hdb_error() tells the last error, with
 *	the SQL's first words.  hdb_unavailable() is true when the last error
 *	means the database cannot be used now but may be later (PostgreSQL:
 *	connection lost or refused, server shutting down; SQLite: busy,
 *	locked, disk full, I/O error): a writer keeps its rows and retries
 *	with a new connection.  Other errors (syntax, constraint) are the
 *	statement's.  hdb_open() returns NULL with err set; *unavailable
 *	(when not NULL) says which kind of failure it was.
 *
 *	hdb_spec_redacted() is the spec safe for logs: a URI's password is
 *	replaced by "***".
 *
 *	An hdb_t is used by one thread at a time.
 */
#ifndef HISTORY_HDB_H
#define HISTORY_HDB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hdb hdb_t;

typedef enum hdb_kind {
	HDB_SQLITE = 0,
	HDB_PG,
} hdb_kind_t;

enum {
	HDB_CREATE = 1 << 0,     /* SQLite: create the file if missing */
	HDB_READONLY = 1 << 1,   /* SQLite: open read-only */
};

#define HDB_ERR_MAX 512

typedef int (*hdb_row_fn)(void *ctx, int ncols, const char *const *vals);

bool hdb_spec_is_pg(const char *spec);
void hdb_spec_redacted(const char *spec, char *out, size_t outlen);

hdb_t *hdb_open(const char *spec, unsigned flags, char *err, size_t errlen,
    bool *unavailable);
void hdb_close(hdb_t *h);

hdb_kind_t hdb_kind(const hdb_t *h);
const char *hdb_spec(const hdb_t *h);     /* as given, for reopening */
const char *hdb_error(const hdb_t *h);
bool hdb_unavailable(const hdb_t *h);
bool hdb_readonly(const hdb_t *h);

int hdb_exec(hdb_t *h, const char *sql);
long long hdb_query(hdb_t *h, const char *sql, int nparams,
    const char *const *params, hdb_row_fn fn, void *ctx);
long long hdb_changes(const hdb_t *h);
int hdb_query_int(hdb_t *h, const char *sql, int nparams,
    const char *const *params, long long *out);
int hdb_query_text(hdb_t *h, const char *sql, int nparams,
    const char *const *params, char *out, size_t outlen);

int hdb_begin(hdb_t *h);
int hdb_commit(hdb_t *h);
int hdb_rollback(hdb_t *h);

/* The underlying handles, for code that needs more than this API (the
 * SQLite writer's prepared statements, PostgreSQL COPY): NULL when h is
 * of the other kind. */
struct sqlite3 *hdb_sqlite(hdb_t *h);
struct pg_conn *hdb_pg(hdb_t *h);

#endif
