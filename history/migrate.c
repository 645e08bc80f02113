/*
 * migrate - create, check and upgrade the history schema (migrate.h).
 *
 * The version is read before any transaction (the common case, a current
 * database, costs two or three small queries and no lock) and read again
 * under the lock before anything is changed.
 */
#include "migrate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hdb.h"
#include "schema.h"
#include "schema_pg.h"
#include "../util/strbuf.h"

/* One upgrade step, from version `from` to from + 1.  NULL: the backend
 * never had that version (PostgreSQL starts at HISTORY_PG_BASE_VERSION). */
typedef struct migrate_step {
	int from;
	const char *sqlite;
	const char *pg;
} migrate_step_t;

static const migrate_step_t steps[] = {
	{ 1, HISTORY_UPGRADE_V1_SQL, NULL },
	{ 2, HISTORY_UPGRADE_V2_SQL, NULL },
	{ 3, HISTORY_UPGRADE_V3_SQL, HISTORY_PG_UPGRADE_V3_SQL },
};

/* The history's tables: in PostgreSQL, any of them in the current schema
 * makes the database "not empty". */
#define OUR_TABLES "'meta', 'messages', 'message_rcpt', 'message_dkim'," \
	" 'message_override', 'report_log', 'report_dest', 'failure_samples'"

/* Fail with the database's error: -1 when it is unavailable now, -2 when
 * the error is the database's own. */
static int db_fail(hdb_t *h, const char *what, char *err, size_t errlen)
{
	str_format(err, errlen, "%s: %s", what, hdb_error(h));
	return hdb_unavailable(h) ? -1 : -2;
}

static int query_count(hdb_t *h, const char *sql, long long *n, char *err,
    size_t errlen)
{
	*n = 0;
	if (hdb_query_int(h, sql, 0, NULL, n) < 0)
		return db_fail(h, "read schema", err, errlen);
	return 0;
}

/* SQLite: the version, 0 when empty, -1 or -2. */
static int version_sqlite(hdb_t *h, char *err, size_t errlen)
{
	long long v = 0, nobj = 0, nours = 0;
	int rc;

	if ((rc = query_count(h, "PRAGMA user_version", &v, err, errlen)) ||
	    (rc = query_count(h, "SELECT count(*) FROM sqlite_master", &nobj,
	    err, errlen)) ||
	    (rc = query_count(h, "SELECT count(*) FROM sqlite_master WHERE"
	    " type = 'table' AND name IN ('meta', 'messages')", &nours, err,
	    errlen)))
		return rc;
	if (v == 0 && nobj == 0)
		return 0;
	if (v <= 0) {
		str_format(err, errlen, "not a dmarcwarden history database"
		    " (user_version %lld, %lld objects)", v, nobj);
		return -2;
	}
	if (v <= HISTORY_SCHEMA_VERSION && nours != 2) {
		str_format(err, errlen, "not a dmarcwarden history database"
		    " (user_version %lld but no meta or messages table)", v);
		return -2;
	}
	return v > 1000000 ? 1000000 : (int)v;
}

/* PostgreSQL: the version in meta, 0 when none of our tables exist. */
static int version_pg(hdb_t *h, char *err, size_t errlen)
{
	long long nmeta = 0, nours = 0;
	char text[32], *end;
	long v;
	int rc, got;

	if ((rc = query_count(h, "SELECT count(*) FROM pg_catalog.pg_tables"
	    " WHERE schemaname = current_schema() AND tablename IN ("
	    OUR_TABLES ")", &nours, err, errlen)) ||
	    (rc = query_count(h, "SELECT count(*) FROM pg_catalog.pg_tables"
	    " WHERE schemaname = current_schema() AND tablename = 'meta'",
	    &nmeta, err, errlen)))
		return rc;
	if (nours == 0)
		return 0;
	if (nmeta == 0) {
		str_format(err, errlen, "not a dmarcwarden history database"
		    " (%lld of its tables exist in the current schema, but no"
		    " meta table)", nours);
		return -2;
	}
	got = hdb_query_text(h, "SELECT value FROM meta"
	    " WHERE key = 'schema_version'", 0, NULL, text, sizeof(text));
	if (got < 0)
		return db_fail(h, "read schema version", err, errlen);
	v = got == 1 ? strtol(text, &end, 10) : 0;
	if (got == 0 || end == text || *end != '\0' || v <= 0) {
		str_format(err, errlen, "not a dmarcwarden history database"
		    " (meta holds no valid schema_version)");
		return -2;
	}
	return v > 1000000 ? 1000000 : (int)v;
}

static int read_version(hdb_t *h, char *err, size_t errlen)
{
	return hdb_kind(h) == HDB_PG ? version_pg(h, err, errlen) :
	    version_sqlite(h, err, errlen);
}

/* The empty database gets the schema (inside the transaction). */
static int create(hdb_t *h, char *err, size_t errlen)
{
	char sql[256];
	bool pg = hdb_kind(h) == HDB_PG;
	int v = pg ? HISTORY_PG_BASE_VERSION : HISTORY_SCHEMA_VERSION;

	str_format(sql, sizeof(sql), "INSERT INTO meta (key, value) VALUES"
	    " ('schema_version', '%d'), ('created', '%lld')", v,
	    (long long)time(NULL));
	if (!pg)
		str_format(sql + strlen(sql), sizeof(sql) - strlen(sql),
		    "; PRAGMA user_version = %d", v);
	if (hdb_exec(h, pg ? HISTORY_PG_BASE_SQL : HISTORY_SCHEMA_SQL) < 0 ||
	    hdb_exec(h, sql) < 0)
		return db_fail(h, "create schema", err, errlen);
	return v;
}

/* Every step from version v to the current one (inside the
 * transaction). */
static int upgrade(hdb_t *h, int v, char *err, size_t errlen)
{
	bool pg = hdb_kind(h) == HDB_PG;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const char *sql = pg ? steps[i].pg : steps[i].sqlite;

		if (steps[i].from != v)
			continue;
		if (sql == NULL) {
			str_format(err, errlen, "schema version %d: no upgrade"
			    " known from it", v);
			return -2;
		}
		if (hdb_exec(h, sql) < 0) {
			char what[64];

			str_format(what, sizeof(what), "upgrade from schema"
			    " version %d", v);
			return db_fail(h, what, err, errlen);
		}
		v++;
	}
	if (v != HISTORY_SCHEMA_VERSION) {
		str_format(err, errlen, "schema version %d: no upgrade known"
		    " from it", v);
		return -2;
	}
	return v;
}

static int begin_locked(hdb_t *h, char *err, size_t errlen)
{
	if (hdb_kind(h) == HDB_PG) {
		if (hdb_begin(h) < 0 || hdb_query(h, "SELECT"
		    " pg_advisory_xact_lock(1684893042, 1)", 0, NULL, NULL,
		    NULL) < 0)
			return db_fail(h, "lock for the schema", err, errlen);
	} else if (hdb_exec(h, "BEGIN IMMEDIATE") < 0) {
		return db_fail(h, "lock for the schema", err, errlen);
	}
	return 0;
}

/* Create or upgrade under the lock, after reading the version again:
 * another process may have done it meanwhile. */
static int change(hdb_t *h, unsigned flags, char *err, size_t errlen)
{
	bool created = false;
	int v, rc;

	if ((rc = begin_locked(h, err, errlen)) < 0)
		return rc;
	v = read_version(h, err, errlen);
	if (v == 0 && (flags & HIST_SCHEMA_CREATE)) {
		v = create(h, err, errlen);
		created = true;
	}
	if (v > 0 && v < HISTORY_SCHEMA_VERSION &&
	    ((flags & HIST_SCHEMA_UPGRADE) || created))
		v = upgrade(h, v, err, errlen);
	if (v != HISTORY_SCHEMA_VERSION) {
		if (v >= 0)
			str_format(err, errlen, "schema version %d changed"
			    " while opening", v);
		hdb_rollback(h);
		return v < 0 ? v : -1;
	}
	if (hdb_commit(h) < 0) {
		rc = db_fail(h, "commit the schema", err, errlen);
		hdb_rollback(h);
		return rc;
	}
	return v;
}

int hist_schema_open(hdb_t *h, unsigned flags, char *err, size_t errlen)
{
	int v;

	err[0] = '\0';
	if (hdb_readonly(h))
		flags = 0;
	if ((v = read_version(h, err, errlen)) < 0 ||
	    v == HISTORY_SCHEMA_VERSION)
		return v;
	if (v > HISTORY_SCHEMA_VERSION) {
		str_format(err, errlen, "schema version %d is newer than"
		    " version %d, the newest this program knows (written by"
		    " a newer dmarcwarden?)", v, HISTORY_SCHEMA_VERSION);
		return -2;
	}
	if (v == 0 && !(flags & HIST_SCHEMA_CREATE)) {
		str_format(err, errlen, "no dmarcwarden history in it (empty"
		    " database)");
		return -2;
	}
	if (v > 0 && !(flags & HIST_SCHEMA_UPGRADE)) {
		str_format(err, errlen, "schema version %d is older than"
		    " version %d (an upgrade needs a writable open)", v,
		    HISTORY_SCHEMA_VERSION);
		return v;
	}
	return change(h, flags, err, errlen);
}
