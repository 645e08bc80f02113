/*
 * repdb_impl - what repdb.c (reading and marking) and repdb_book.c (the
 * report bookkeeping) share: the structure and small helpers.  Private
 * to those two files.
 */
#ifndef HISTORY_REPDB_IMPL_H
#define HISTORY_REPDB_IMPL_H

#include "repdb.h"

#define REPDB_NUM 24                /* a number as text */

struct repdb {
	hdb_t *h;                    /* bookkeeping, autocommit */
	hdb_t *rd;                   /* reader (SNAPSHOT); h on SQLite */
	bool in_tx;                  /* PostgreSQL: rd's transaction open */
	bool readonly;
	int lockfd;                  /* SQLite: flock(2) held, or -1 */
	char *path;                  /* spec, password hidden */
	long long snapshot;          /* highest messages.id */
	char snap[REPDB_NUM];        /* the same, as text */
	char err[HDB_ERR_MAX + 64];
};

/* The SQL of h's dialect from a { SQLite, PostgreSQL } pair. */
#define REPDB_SQL(h, pair) ((pair)[hdb_kind(h) == HDB_PG])

/* A write transaction: SQLite takes the write lock at once (BEGIN
 * IMMEDIATE, waiting out the milter's with the busy timeout). */
int repdb_begin(hdb_t *h);

/* v as text in buf (REPDB_NUM bytes); returns buf. */
const char *repdb_num(char *buf, long long v);

#endif
