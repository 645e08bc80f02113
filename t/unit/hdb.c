/*
 * Unit tests for history/hdb: the same checks on SQLite (always) and on
 * PostgreSQL when DW_TEST_PG_URI names a server (t/integration/hdb_pg.t
 * starts a private one and runs this program with it).  With
 * DW_TEST_PG_DOWN_URI, opening that URI must fail as "unavailable".
 */
#include "../../history/hdb.h"
#include "../tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct seen {
	long long rows, sum;
	int ncols, stop_after;
	char last[64];
	bool null_seen;
};

static int count_rows(void *ctx, int ncols, const char *const *vals)
{
	struct seen *s = ctx;

	s->rows++;
	s->ncols = ncols;
	s->sum += vals[0] != NULL ? atoll(vals[0]) : 0;
	if (ncols > 1 && vals[1] == NULL)
		s->null_seen = true;
	snprintf(s->last, sizeof(s->last), "%s", ncols > 1 && vals[1] ?
	    vals[1] : "");
	return s->stop_after > 0 && s->rows >= s->stop_after;
}

static void spec_checks(void)
{
	char out[256];

	ok(hdb_spec_is_pg("postgresql://x@/db"), "postgresql:// is PG");
	ok(hdb_spec_is_pg("POSTGRES://h/db"), "postgres:// is PG");
	ok(!hdb_spec_is_pg("/var/lib/dmarcwarden/history.db"), "path is SQLite");
	ok(!hdb_spec_is_pg("postgresql:/x"), "no // is a path");
	hdb_spec_redacted("postgresql://dw:s3cret@db.example/dw", out,
	    sizeof(out));
	is_str(out, "postgresql://dw:***@db.example/dw", "password redacted");
	hdb_spec_redacted("postgresql://db/dw?sslmode=require&password=x&a=b",
	    out, sizeof(out));
	is_str(out, "postgresql://db/dw?sslmode=require&password=***&a=b",
	    "password= parameter redacted");
	hdb_spec_redacted("postgresql://dw@db/dw", out, sizeof(out));
	is_str(out, "postgresql://dw@db/dw", "no password: unchanged");
	hdb_spec_redacted("/tmp/a.db", out, sizeof(out));
	is_str(out, "/tmp/a.db", "path unchanged");
}

static const char sql_ins[] =
	"INSERT INTO t (id, name, n) VALUES ($1, $2, $3)"
	" ON CONFLICT (id) DO NOTHING";
static const char sql_sel[] = "SELECT id, name FROM t WHERE n >= $2"
	" AND id <> $1 ORDER BY id";

static void insert_many(hdb_t *h, int from, int to)
{
	char id[16], n[16];
	const char *p[3] = { id, "row", n };
	int i, bad = 0;

	for (i = from; i < to; i++) {
		snprintf(id, sizeof(id), "%d", i);
		snprintf(n, sizeof(n), "%d", i % 100);
		if (hdb_query(h, sql_ins, 3, p, NULL, NULL) < 0)
			bad++;
	}
	is_int(bad, 0, "%d inserts", to - from);
}

static void backend_checks(hdb_t *h, const char *what)
{
	const char *p[3] = { "1", NULL, "7" };
	const char *q[2] = { "2", "5" };
	struct seen s = { 0 };
	long long v = -1;
	char text[64];

	diag("backend %s", what);
	ok(hdb_exec(h, "DROP TABLE IF EXISTS t; CREATE TABLE t (id BIGINT"
	    " PRIMARY KEY, name TEXT, n BIGINT NOT NULL)") == 0, "%s: DDL", what);
	is_int(hdb_query(h, sql_ins, 3, p, NULL, NULL), 0, "%s: insert with"
	    " a NULL", what);
	is_int((int)hdb_changes(h), 1, "%s: one row changed", what);
	is_int(hdb_query(h, sql_ins, 3, p, NULL, NULL), 0, "%s: conflict",
	    what);
	is_int((int)hdb_changes(h), 0, "%s: ON CONFLICT DO NOTHING changed"
	    " nothing", what);
	ok(hdb_begin(h) == 0, "%s: begin", what);
	insert_many(h, 2, 20002);
	ok(hdb_commit(h) == 0, "%s: commit", what);
	is_int((int)hdb_query(h, sql_sel, 2, q, count_rows, &s), 19001,
	    "%s: streamed rows ($2 before $1 in the SQL)", what);
	ok(s.ncols == 2 && strcmp(s.last, "row") == 0, "%s: columns", what);
	s = (struct seen){ .stop_after = 10 };
	is_int((int)hdb_query(h, "SELECT id, name FROM t ORDER BY id", 0,
	    NULL, count_rows, &s), 10, "%s: callback stops the query", what);
	ok(s.sum == 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 && s.null_seen,
	    "%s: values in order, NULL passed as NULL", what);
	is_int(hdb_query_int(h, "SELECT count(*) FROM t WHERE n > $1", 1,
	    (const char *[]){ "98" }, &v), 1, "%s: query_int", what);
	ok(v == 200, "%s: text parameter compared as a number (%lld)", what,
	    v);
	is_int(hdb_query_int(h, "SELECT n FROM t WHERE id = -5", 0, NULL, &v),
	    0, "%s: no row is 0", what);
	ok(hdb_query_text(h, "SELECT name FROM t WHERE id = 2", 0, NULL, text,
	    sizeof(text)) == 1 && strcmp(text, "row") == 0, "%s: query_text",
	    what);
	ok(hdb_query(h, "UPDATE t SET name = 'x' WHERE n = 3", 0, NULL, NULL,
	    NULL) == 0 && hdb_changes(h) == 200, "%s: UPDATE changes", what);
	ok(hdb_query(h, "INSERT INTO t (id, name, n) VALUES (-1, 'r', 0)"
	    " RETURNING id", 0, NULL, count_rows, &s) == 1, "%s: RETURNING",
	    what);

	/* a transaction rolled back leaves nothing */
	hdb_begin(h);
	insert_many(h, 30000, 30010);
	hdb_rollback(h);
	hdb_query_int(h, "SELECT count(*) FROM t WHERE id >= 30000", 0, NULL,
	    &v);
	ok(v == 0, "%s: rollback", what);

	/* errors */
	ok(hdb_query(h, "SELEKT 1", 0, NULL, NULL, NULL) < 0 &&
	    !hdb_unavailable(h) && strstr(hdb_error(h), "SELEKT") != NULL,
	    "%s: syntax error names the SQL, not unavailable: %s", what,
	    hdb_error(h));
	ok(hdb_query(h, sql_ins, 2, p, NULL, NULL) < 0, "%s: too few"
	    " parameters refused", what);
	ok(hdb_query(h, "INSERT INTO t (id, name, n) VALUES (9, 'a', NULL)",
	    0, NULL, NULL, NULL) < 0 && !hdb_unavailable(h),
	    "%s: constraint error", what);

	/* invalid UTF-8 is stored, not refused */
	ok(hdb_query(h, sql_ins, 3, (const char *[]){ "40000", "a\xff\xfe"
	    "b", "1" }, NULL, NULL) == 0, "%s: invalid UTF-8 stored", what);
	hdb_query_text(h, "SELECT name FROM t WHERE id = 40000", 0, NULL,
	    text, sizeof(text));
	ok(hdb_kind(h) == HDB_SQLITE ? strcmp(text, "a\xff\xfe" "b") == 0 :
	    strcmp(text, "a\xef\xbf\xbd\xef\xbf\xbd" "b") == 0,
	    "%s: as documented (SQLite: as is; PostgreSQL: U+FFFD)", what);
	ok(hdb_exec(h, "DROP TABLE t") == 0, "%s: drop", what);
}

static void sqlite_checks(void)
{
	char path[] = "/tmp/hdb-test-XXXXXX", db[64], err[HDB_ERR_MAX];
	bool unav = true;
	hdb_t *h;
	int fd = mkstemp(path);

	close(fd);
	unlink(path);
	snprintf(db, sizeof(db), "%s.db", path);
	ok(hdb_open(db, 0, err, sizeof(err), &unav) == NULL,
	    "SQLite: no file without HDB_CREATE (%s)", err);
	h = hdb_open(db, HDB_CREATE, err, sizeof(err), &unav);
	ok(h != NULL && hdb_kind(h) == HDB_SQLITE, "SQLite: created");
	if (h == NULL)
		return;
	backend_checks(h, "SQLite");
	hdb_exec(h, "CREATE TABLE keep (a INTEGER)");
	hdb_close(h);
	h = hdb_open(db, HDB_READONLY, err, sizeof(err), &unav);
	ok(h != NULL && hdb_readonly(h), "SQLite: read-only open");
	if (h != NULL) {
		ok(hdb_exec(h, "INSERT INTO keep VALUES (1)") < 0,
		    "SQLite: read-only refuses writes (%s)", hdb_error(h));
		hdb_close(h);
	}
	unlink(db);
	snprintf(err, sizeof(err), "%s-wal", db);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", db);
	unlink(err);
}

static void pg_checks(const char *uri, const char *down)
{
	char err[HDB_ERR_MAX];
	bool unav = false;
	hdb_t *h;

	if (uri != NULL) {
		h = hdb_open(uri, HDB_CREATE, err, sizeof(err), &unav);
		ok(h != NULL && hdb_kind(h) == HDB_PG, "PostgreSQL: connected"
		    " (%s)", h == NULL ? err : "ok");
		if (h != NULL) {
			backend_checks(h, "PostgreSQL");
			hdb_close(h);
		}
		h = hdb_open(uri, HDB_READONLY, err, sizeof(err), &unav);
		ok(h != NULL && hdb_exec(h, "CREATE TABLE ro (a int)") < 0,
		    "PostgreSQL: read-only session refuses writes");
		hdb_close(h);
	}
	if (down != NULL) {
		h = hdb_open(down, 0, err, sizeof(err), &unav);
		ok(h == NULL && unav, "PostgreSQL down: unavailable (%s)", err);
		ok(strstr(err, "s3cret") == NULL, "password not in the error");
		hdb_close(h);
	}
}

int main(void)
{
	spec_checks();
	sqlite_checks();
	pg_checks(getenv("DW_TEST_PG_URI"), getenv("DW_TEST_PG_DOWN_URI"));
	return tap_done();
}
