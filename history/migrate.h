/*
 * migrate - create, check and upgrade the history schema, for SQLite and
 * PostgreSQL: the only code that runs DDL on the history.
 *
 * SYNOPSIS
 *	#include "migrate.h"
 *	int v = hist_schema_open(h, HIST_SCHEMA_CREATE | HIST_SCHEMA_UPGRADE,
 *	    err, sizeof(err));
 *
 * DESCRIPTION
 *	hist_schema_open() reads the version of the database behind h
 *	(SQLite: PRAGMA user_version; PostgreSQL: meta's schema_version in
 *	the connection's current schema) and decides:
 *
 *	- the current version (HISTORY_SCHEMA_VERSION): returns it;
 *	- empty (SQLite: no object at all; PostgreSQL: none of the history's
 *	  tables in the current schema): with HIST_SCHEMA_CREATE creates the
 *	  schema and returns HISTORY_SCHEMA_VERSION, else -2;
 *	- older: with HIST_SCHEMA_UPGRADE runs every upgrade step it needs
 *	  (schema.h, schema_pg.h) and returns HISTORY_SCHEMA_VERSION; without
 *	  it returns the older version, with err saying so, for a reader that
 *	  can read it (or refuses, quoting err);
 *	- newer than this program, or not a history database (SQLite: tables
 *	  but user_version 0, or a version but no meta/messages table;
 *	  PostgreSQL: some of the history's tables but no usable meta
 *	  version; an unreadable file): -2.
 *
 *	A create or upgrade runs in one transaction: a failure leaves the
 *	database as it was.  Several processes may start at once on the same
 *	database: SQLite takes the write lock first (BEGIN IMMEDIATE),
 *	PostgreSQL holds the advisory lock pg_advisory_xact_lock(1684893042,
 *	1) ("dmar", 1) until commit; each then reads the version again and
 *	finds the work done, so the schema is created or upgraded once.
 *	Taking the lock waits for the other process's transaction, no more.
 *
 *	The flags are ignored on a read-only handle (hdb_readonly()).
 *	hist_schema_open() does nothing else to h; call it outside a
 *	transaction: it leaves none open.
 *
 * DIAGNOSTICS
 *	-1 when the database cannot be used now (hdb_unavailable(): busy,
 *	locked, server down; try again later), -2 when it must never be
 *	used; err says why, without the database's name (callers add it).
 */
#ifndef HISTORY_MIGRATE_H
#define HISTORY_MIGRATE_H

#include <stddef.h>

#include "hdb.h"

enum { HIST_SCHEMA_CREATE = 1, HIST_SCHEMA_UPGRADE = 2 };

int hist_schema_open(hdb_t *h, unsigned flags, char *err, size_t errlen);

#endif
