/*
 * Unit tests for history/migrate: create, upgrade from every older
 * version (t/data/history/schema-vN.sql, the DDL old releases created),
 * and hostile databases (foreign tables, missing meta, version 0 with
 * tables, a newer version, a garbage file) on SQLite; the same on
 * PostgreSQL when DW_TEST_PG_URI names a server (t/integration/
 * migrate_pg.t starts a private one and runs this program with it).
 */
#include "../../history/hdb.h"
#include "../../history/migrate.h"
#include "../../history/schema.h"
#include "../../history/schema_pg.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* A fresh SQLite file at version v (0: empty), holding one message. */
static hdb_t *sqlite_at(const char *name, int v)
{
	char path[300], fixture[64], err[HDB_ERR_MAX];
	char *sql;
	hdb_t *h;

	str_format(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	h = hdb_open(path, HDB_CREATE, err, sizeof(err), NULL);
	if (h == NULL || v == 0)
		return h;
	str_format(fixture, sizeof(fixture), "t/data/history/schema-v%d.sql",
	    v);
	sql = slurp(fixture);
	ok(sql != NULL && hdb_exec(h, sql) == 0 && hdb_exec(h, "INSERT INTO"
	    " messages (time, header_from, policy_domain, discovery,"
	    " policy_found, result, spf_scope, spf_result) VALUES"
	    " (1700000000, 'a.example', 'a.example', 'treewalk', 1, 'fail',"
	    " 'mfrom', 'fail')") == 0, "SQLite at version %d from %s", v,
	    fixture);
	free(sql);
	return h;
}

static long long count(hdb_t *h, const char *sql)
{
	long long n = -1;

	hdb_query_int(h, sql, 0, NULL, &n);
	return n;
}

static bool has_column(hdb_t *h, const char *table, const char *col)
{
	char sql[256];

	if (hdb_kind(h) == HDB_PG)
		str_format(sql, sizeof(sql), "SELECT count(*) FROM"
		    " information_schema.columns WHERE table_schema ="
		    " current_schema() AND table_name = '%s' AND column_name ="
		    " '%s'", table, col);
	else
		str_format(sql, sizeof(sql), "SELECT count(*) FROM"
		    " pragma_table_info('%s') WHERE name = '%s'", table, col);
	return count(h, sql) == 1;
}

static void is_current(hdb_t *h, const char *what)
{
	char text[32] = "";

	hdb_query_text(h, "SELECT value FROM meta WHERE key ="
	    " 'schema_version'", 0, NULL, text, sizeof(text));
	ok(atoi(text) == HISTORY_SCHEMA_VERSION, "%s: meta schema_version %s",
	    what, text);
	if (hdb_kind(h) == HDB_SQLITE)
		is_int(count(h, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION,
		    "%s: user_version", what);
	ok(has_column(h, "messages", "row_uid") && has_column(h, "messages",
	    "host") && has_column(h, "messages", "action") &&
	    has_column(h, "failure_samples", "headers"), "%s: version 4"
	    " columns", what);
}

static void sqlite_upgrades(void)
{
	char err[256], what[64];
	hdb_t *h;
	int v;

	for (v = 1; v < HISTORY_SCHEMA_VERSION; v++) {
		str_format(what, sizeof(what), "SQLite from version %d", v);
		h = sqlite_at("old.db", v);
		is_int(hist_schema_open(h, 0, err, sizeof(err)), v,
		    "%s: without UPGRADE the old version is returned", what);
		ok(strstr(err, "older") != NULL, "%s: err says so: %s", what,
		    err);
		is_int(hist_schema_open(h, HIST_SCHEMA_UPGRADE, err,
		    sizeof(err)), HISTORY_SCHEMA_VERSION, "%s: upgraded (%s)",
		    what, err);
		is_current(h, what);
		ok(count(h, "SELECT count(*) FROM messages WHERE header_from ="
		    " 'a.example' AND host = '' AND row_uid IS NULL") == 1,
		    "%s: old row kept, new columns empty", what);
		hdb_close(h);
	}
}

static void sqlite_create(void)
{
	char err[256], path[300];
	hdb_t *h = sqlite_at("new.db", 0);
	hdb_t *ro;

	is_int(hist_schema_open(h, 0, err, sizeof(err)), -2,
	    "SQLite empty, no CREATE: refused");
	ok(strstr(err, "empty") != NULL, "err says empty: %s", err);
	is_int(count(h, "SELECT count(*) FROM sqlite_master"), 0,
	    "nothing created without CREATE");
	is_int(hist_schema_open(h, HIST_SCHEMA_CREATE, err, sizeof(err)),
	    HISTORY_SCHEMA_VERSION, "SQLite created (%s)", err);
	is_current(h, "SQLite created");
	is_int(count(h, "SELECT count(*) FROM meta WHERE key = 'created'"), 1,
	    "meta created");
	is_int(hist_schema_open(h, HIST_SCHEMA_CREATE | HIST_SCHEMA_UPGRADE,
	    err, sizeof(err)), HISTORY_SCHEMA_VERSION, "opened again");
	hdb_close(h);
	str_format(path, sizeof(path), "%s/new.db", tmpdir);
	ro = hdb_open(path, HDB_READONLY, err, sizeof(err), NULL);
	is_int(ro ? hist_schema_open(ro, 0, err, sizeof(err)) : -9,
	    HISTORY_SCHEMA_VERSION, "read-only open of the current version");
	hdb_close(ro);
}

/* Open a file holding what sql makes and expect -2 with err naming why. */
static void sqlite_hostile(const char *what, const char *sql,
    const char *why)
{
	char err[256] = "";
	hdb_t *h = sqlite_at("hostile.db", 0);
	int rc;

	ok(h != NULL && hdb_exec(h, sql) == 0, "%s: made", what);
	rc = hist_schema_open(h, HIST_SCHEMA_CREATE | HIST_SCHEMA_UPGRADE, err,
	    sizeof(err));
	is_int(rc, -2, "%s: refused", what);
	ok(strstr(err, why) != NULL, "%s: err '%s' says '%s'", what, err, why);
	hdb_close(h);
}

static void sqlite_refusals(void)
{
	char path[300], err[256] = "";
	FILE *f;
	hdb_t *h;
	bool unav = true;
	int rc = -9;

	sqlite_hostile("foreign tables", "CREATE TABLE customers (id INTEGER"
	    " PRIMARY KEY, name TEXT)", "user_version 0, 1 objects");
	sqlite_hostile("version 0 with our tables", HISTORY_SCHEMA_SQL,
	    "user_version 0");
	sqlite_hostile("missing meta", "CREATE TABLE messages (id INTEGER);"
	    " PRAGMA user_version = 3", "no meta or messages table");
	sqlite_hostile("newer version", HISTORY_SCHEMA_SQL "PRAGMA"
	    " user_version = 99", "schema version 99 is newer than version 4");
	sqlite_hostile("negative version", "CREATE TABLE meta (key TEXT);"
	    " PRAGMA user_version = -3", "user_version -3");

	str_format(path, sizeof(path), "%s/garbage.db", tmpdir);
	f = fopen(path, "w");
	fputs("this is not an SQLite database, it is a text file of a length"
	    " that goes past the 100-byte header of an SQLite file so that"
	    " the library reads it and decides\n", f);
	fclose(f);
	h = hdb_open(path, 0, err, sizeof(err), &unav);
	if (h != NULL)
		rc = hist_schema_open(h, HIST_SCHEMA_CREATE |
		    HIST_SCHEMA_UPGRADE, err, sizeof(err));
	ok((h == NULL && !unav) || rc == -2, "garbage file: never usable"
	    " (open %s, rc %d: %s)", h ? "ok" : "failed", rc, err);
	hdb_close(h);
}

/* ---- PostgreSQL ----------------------------------------------------- */

static const char pg_drop[] = "DROP TABLE IF EXISTS failure_samples,"
	" report_dest, report_log, message_override, message_dkim,"
	" message_rcpt, messages, meta, customers CASCADE";

/* N processes create the schema of an empty database at once: each must
 * get the current version, and the schema must be made once. */
static void pg_concurrent(const char *uri, hdb_t *h)
{
	enum { N = 6 };
	pid_t pid[N];
	int i, good = 0, status;

	hdb_exec(h, pg_drop);
	for (i = 0; i < N; i++) {
		if ((pid[i] = fork()) == 0) {
			char err[256];
			hdb_t *c = hdb_open(uri, 0, err, sizeof(err), NULL);
			int rc = c ? hist_schema_open(c, HIST_SCHEMA_CREATE |
			    HIST_SCHEMA_UPGRADE, err, sizeof(err)) : -9;

			if (rc != HISTORY_SCHEMA_VERSION)
				fprintf(stderr, "child %d: %d %s\n", i, rc, err);
			hdb_close(c);
			_exit(rc == HISTORY_SCHEMA_VERSION ? 0 : 1);
		}
	}
	for (i = 0; i < N; i++)
		if (waitpid(pid[i], &status, 0) == pid[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			good++;
	is_int(good, N, "PostgreSQL: %d processes opening an empty database"
	    " at once all succeed", N);
	is_int(count(h, "SELECT count(*) FROM meta"), 2, "PostgreSQL: meta"
	    " written once (schema_version, created)");
	is_current(h, "PostgreSQL: concurrent create");
}

static void pg_checks(const char *uri)
{
	char err[256] = "";
	hdb_t *h = hdb_open(uri, 0, err, sizeof(err), NULL);

	if (!ok(h != NULL, "PostgreSQL: connected (%s)", err))
		return;
	hdb_exec(h, pg_drop);
	is_int(hist_schema_open(h, 0, err, sizeof(err)), -2,
	    "PostgreSQL: empty, no CREATE: refused (%s)", err);
	is_int(hist_schema_open(h, HIST_SCHEMA_CREATE, err, sizeof(err)),
	    HISTORY_SCHEMA_VERSION, "PostgreSQL: created (%s)", err);
	is_current(h, "PostgreSQL: created");
	is_int(count(h, "SELECT count(*) FROM pg_indexes WHERE indexname IN"
	    " ('messages_row_uid', 'messages_time', 'messages_policy_time',"
	    " 'messages_reported', 'report_log_domain',"
	    " 'failure_samples_reported')"), 6, "PostgreSQL: indexes");
	ok(hdb_exec(h, "INSERT INTO messages (time, discovery, policy_found,"
	    " result, spf_scope, spf_result, row_uid) VALUES (1, 'psl', 0,"
	    " 'none', 'mfrom', 'none', 'ab-1')") == 0 && hdb_exec(h, "INSERT"
	    " INTO messages (time, discovery, policy_found, result, spf_scope,"
	    " spf_result, row_uid) VALUES (1, 'psl', 0, 'none', 'mfrom',"
	    " 'none', 'ab-1') ON CONFLICT (row_uid) DO NOTHING") == 0 &&
	    count(h, "SELECT count(*) FROM messages") == 1,
	    "PostgreSQL: row_uid unique, ON CONFLICT (row_uid) works");
	is_int(hist_schema_open(h, HIST_SCHEMA_CREATE | HIST_SCHEMA_UPGRADE,
	    err, sizeof(err)), HISTORY_SCHEMA_VERSION, "PostgreSQL: reopened");

	/* the base version, as a database of the previous version */
	hdb_exec(h, pg_drop);
	ok(hdb_exec(h, HISTORY_PG_BASE_SQL) == 0 && hdb_exec(h, "INSERT INTO"
	    " meta VALUES ('schema_version', '3'); INSERT INTO messages (time,"
	    " header_from, discovery, policy_found, result, spf_scope,"
	    " spf_result) VALUES (5, 'a.example', 'psl', 0, 'none', 'mfrom',"
	    " 'none')") == 0, "PostgreSQL: version 3 made");
	is_int(hist_schema_open(h, 0, err, sizeof(err)), 3,
	    "PostgreSQL: version 3 read without UPGRADE");
	is_int(hist_schema_open(h, HIST_SCHEMA_UPGRADE, err, sizeof(err)),
	    HISTORY_SCHEMA_VERSION, "PostgreSQL: upgraded from 3 (%s)", err);
	is_current(h, "PostgreSQL: upgraded");
	is_int(count(h, "SELECT count(*) FROM messages WHERE header_from ="
	    " 'a.example' AND host = '' AND row_uid IS NULL"), 1,
	    "PostgreSQL: old row kept");

	/* hostile */
	ok(hdb_exec(h, "UPDATE meta SET value = '99' WHERE key ="
	    " 'schema_version'") == 0 && hist_schema_open(h,
	    HIST_SCHEMA_UPGRADE, err, sizeof(err)) == -2 && strstr(err,
	    "99 is newer") != NULL, "PostgreSQL: newer refused: %s", err);
	ok(hdb_exec(h, "UPDATE meta SET value = 'x7' WHERE key ="
	    " 'schema_version'") == 0 && hist_schema_open(h,
	    HIST_SCHEMA_UPGRADE, err, sizeof(err)) == -2 && strstr(err,
	    "no valid schema_version") != NULL, "PostgreSQL: garbage version"
	    " refused: %s", err);
	ok(hdb_exec(h, "DROP TABLE meta") == 0 && hist_schema_open(h,
	    HIST_SCHEMA_CREATE | HIST_SCHEMA_UPGRADE, err, sizeof(err)) == -2
	    && strstr(err, "no meta table") != NULL, "PostgreSQL: missing meta"
	    " refused: %s", err);
	hdb_exec(h, pg_drop);
	ok(hdb_exec(h, "CREATE TABLE customers (id INTEGER)") == 0 &&
	    hist_schema_open(h, HIST_SCHEMA_CREATE, err, sizeof(err)) ==
	    HISTORY_SCHEMA_VERSION, "PostgreSQL: someone else's table beside"
	    " ours is left alone (%s)", err);
	pg_concurrent(uri, h);
	hdb_exec(h, pg_drop);
	hdb_close(h);
}

int main(void)
{
	const char *pg = getenv("DW_TEST_PG_URI");

	str_format(tmpdir, sizeof(tmpdir), "/tmp/dw-migrate-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	sqlite_create();
	sqlite_upgrades();
	sqlite_refusals();
	if (pg != NULL)
		pg_checks(pg);
	{
		char cmd[300];

		str_format(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("cannot remove %s", tmpdir);
	}
	return tap_done();
}
