/*
 * history_pg - the PostgreSQL side of the verdict history: one
 * connection, batches of records (history_rec.h) in one transaction.
 *
 * SYNOPSIS
 *	history_pg_t pg = { .spec = uri };          (one thread only)
 *	history_pg_open(&pg, err, errlen);          0, -1 later, -2 never
 *	history_pg_write(&pg, recs, n, &nbad, err, errlen);
 *	history_pg_close(&pg);
 *
 * DESCRIPTION
 *	history_pg_open() connects (hdb_open), asks for synchronous commit
 *	(a committed batch must survive a server crash: its spool file is
 *	deleted after the commit), and checks the schema,
 *	creating or upgrading it (several milters starting at once are
 *	safe).  It returns -1 when the server cannot be used now (refused,
 *	down, starting up: try again later) and -2 when the database must
 *	never be used (a newer schema, someone else's tables).
 *
 *	history_pg_write() writes n records in one transaction: the
 *	messages rows with INSERT ... ON CONFLICT (row_uid) DO NOTHING
 *	RETURNING id, several rows a statement, and the child rows only of
 *	the messages it inserted, so a batch written twice (a spool file
 *	replayed after a crash) adds nothing the second time.  When a
 *	statement fails for a reason of its own (a row the server refuses),
 *	the batch is written again row by row, each in a savepoint, and the
 *	refused rows are left out, logged and counted in *nbad.  It returns
 *	0 when the transaction committed; -1 when the server became
 *	unavailable (the connection is closed; nothing was written); -2 on
 *	another error (nothing written; err says why).
 *
 *	The batch statements go to libpq directly (hdb_pg(): PQexecParams),
 *	as they carry thousands of parameters; hdb does the connection and
 *	the schema.
 *
 *	history_pg_close() accepts a closed connection.
 */
#ifndef HISTORY_PG_H
#define HISTORY_PG_H

#include <stddef.h>
#include <time.h>

#include "hdb.h"
#include "history_rec.h"

typedef struct history_pg {
	const char *spec;               /* borrowed, set by the caller */
	hdb_t *db;                      /* NULL while closed */
	time_t last_row_log, last_slow_log;
	char err[HDB_ERR_MAX];          /* last statement's error */
	bool unavailable;               /* ... means "try later" */
} history_pg_t;

int history_pg_open(history_pg_t *p, char *err, size_t errlen);
int history_pg_write(history_pg_t *p, const hrec_t *recs, size_t n,
    size_t *nbad, char *err, size_t errlen);
void history_pg_close(history_pg_t *p);

#endif
