/*
 * hdb_impl - what hdb.c (the SQLite side and the dispatch) and hdb_pg.c
 * (the PostgreSQL side) share: the connection structure.  Private to
 * those two files.
 */
#ifndef HISTORY_HDB_IMPL_H
#define HISTORY_HDB_IMPL_H

#include <stdarg.h>

#include "hdb.h"

#define HDB_CACHE 48           /* SQLite statements kept per connection */

struct sqlite3;
struct sqlite3_stmt;
struct pg_conn;

struct hdb {
	hdb_kind_t kind;
	char *spec;
	bool readonly;
	bool unavailable;          /* the last error was "try later" */
	long long changes;
	char err[HDB_ERR_MAX];
	struct sqlite3 *db;
	struct {
		const char *sql;       /* the caller's text, compared */
		struct sqlite3_stmt *st;
	} cache[HDB_CACHE];
	unsigned next_evict;
	struct pg_conn *pg;
};

/* Set h->err from a format, prefixed by the first words of sql (when
 * not NULL); unavailable as given. */
void hdb_set_error(hdb_t *h, const char *sql, bool unavailable,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The PostgreSQL side (hdb_pg.c). */
int hdbpg_open(hdb_t *h, char *err, size_t errlen, bool *unavailable);
void hdbpg_close(hdb_t *h);
int hdbpg_exec(hdb_t *h, const char *sql);
long long hdbpg_query(hdb_t *h, const char *sql, int nparams,
    const char *const *params, hdb_row_fn fn, void *ctx);

#endif
