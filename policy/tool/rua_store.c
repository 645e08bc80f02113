/*
 * rua_store - SQLite database of received aggregate reports.  See
 * rua_store.h.
 */
#include "rua_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../util/strbuf.h"

#define BUSY_TIMEOUT_MS 5000

static int db_error(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	str_format(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return -1;
}

struct rua_store {
	sqlite3 *db;
	sqlite3_stmt *find, *report, *record, *auth, *reason;
	sqlite3_stmt *same, *seen, *done;
};

static const char schema_sql[] =
	"CREATE TABLE reports (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  org_name TEXT NOT NULL,\n"
	"  report_id TEXT NOT NULL,\n"
	"  email TEXT NOT NULL DEFAULT '',\n"
	"  format TEXT NOT NULL,\n"
	"  begin INTEGER NOT NULL,\n"
	"  end INTEGER NOT NULL,\n"
	"  domain TEXT NOT NULL,\n"
	"  p TEXT NOT NULL, sp TEXT NOT NULL, np TEXT NOT NULL,\n"
	"  adkim TEXT NOT NULL, aspf TEXT NOT NULL, testing TEXT NOT NULL,\n"
	"  discovery TEXT NOT NULL, fo TEXT NOT NULL, pct INTEGER,\n"
	"  source TEXT NOT NULL,\n"
	"  ingested INTEGER NOT NULL,\n"
	"  UNIQUE (org_name, report_id)\n"
	");\n"
	"CREATE INDEX reports_domain ON reports (domain, begin);\n"
	"CREATE TABLE records (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  report INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,\n"
	"  source_ip TEXT NOT NULL, count INTEGER NOT NULL,\n"
	"  disposition TEXT NOT NULL, dkim TEXT NOT NULL, spf TEXT NOT NULL,\n"
	"  header_from TEXT NOT NULL, envelope_from TEXT NOT NULL,\n"
	"  envelope_to TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX records_report ON records (report);\n"
	"CREATE INDEX records_header_from ON records (header_from);\n"
	"CREATE TABLE auth (\n"
	"  record INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,\n"
	"  seq INTEGER NOT NULL, kind TEXT NOT NULL, domain TEXT NOT NULL,\n"
	"  selector TEXT NOT NULL, scope TEXT NOT NULL, result TEXT NOT NULL,\n"
	"  PRIMARY KEY (record, seq)\n"
	");\n"
	"CREATE TABLE reasons (\n"
	"  record INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,\n"
	"  seq INTEGER NOT NULL, type TEXT NOT NULL, comment TEXT NOT NULL,\n"
	"  PRIMARY KEY (record, seq)\n"
	");\n";

/* Added after version 1 was released: created on open when missing, so
 * databases of either age work (user_version stays 1). */
static const char additions_sql[] =
	"CREATE TABLE IF NOT EXISTS files (\n"
	"  path TEXT PRIMARY KEY, size INTEGER NOT NULL,\n"
	"  mtime INTEGER NOT NULL, ingested INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX IF NOT EXISTS reports_digest ON reports (digest);\n";

static int store_additions(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int has_digest = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info("
	    "'reports') WHERE name = 'digest'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		has_digest = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if ((!has_digest && sqlite3_exec(db, "ALTER TABLE reports ADD COLUMN "
	    "digest TEXT NOT NULL DEFAULT ''", NULL, NULL, NULL) !=
	    SQLITE_OK) || sqlite3_exec(db, additions_sql, NULL, NULL,
	    NULL) != SQLITE_OK)
		return db_error(db, "updating the schema", err, errlen);
	return 0;
}


static int store_schema(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = -1, tables = 0;
	char sql[64];

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1,
	    &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		tables = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == RUA_STORE_VERSION)
		return 0;
	if (version != 0 || tables != 0) {
		str_format(err, errlen, "not a dmarcwarden-policy report "
		    "database (user_version %d, %d objects)", version, tables);
		return -1;
	}
	str_format(sql, sizeof(sql), "PRAGMA user_version = %d",
	    RUA_STORE_VERSION);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(db, "creating the schema", err, errlen);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static int store_prepare(rua_store_t *s, char *err, size_t errlen)
{
	static const char *const sql[] = {
		"SELECT source FROM reports WHERE org_name = ? AND report_id = ?",
		"INSERT INTO reports (org_name, report_id, email, format, begin,"
		" end, domain, p, sp, np, adkim, aspf, testing, discovery, fo,"
		" pct, source, ingested, digest) VALUES"
		" (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		"INSERT INTO records (report, source_ip, count, disposition,"
		" dkim, spf, header_from, envelope_from, envelope_to)"
		" VALUES (?,?,?,?,?,?,?,?,?)",
		("INSERT INTO auth (record, seq, kind, domain, selector, scope,"
		" result) VALUES (?,?,?,?,?,?,?)"),
		"INSERT INTO reasons (record, seq, type, comment) VALUES (?,?,?,?)",
		"SELECT source, org_name, report_id FROM reports"
		" WHERE digest = ? AND digest != '' LIMIT 1",
		"SELECT 1 FROM files WHERE path = ? AND size = ? AND mtime = ?",
		"INSERT OR REPLACE INTO files (path, size, mtime, ingested)"
		" VALUES (?,?,?,?)",
	};
	sqlite3_stmt **st[] = { &s->find, &s->report, &s->record, &s->auth,
		&s->reason, &s->same, &s->seen, &s->done };
	size_t i;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (sqlite3_prepare_v2(s->db, sql[i], -1, st[i], NULL) !=
		    SQLITE_OK)
			return db_error(s->db, "preparing statements", err,
			    errlen);
	return 0;
}

static void make_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;

	if (str_copy(dir, sizeof(dir), path) < 0 ||
	    (slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno == ENOENT) {
		/* one level up (e.g. ~/.local/share/dmarcwarden) */
		char *up = strrchr(dir, '/');

		if (up && up != dir) {
			*up = '\0';
			(void)mkdir(dir, 0700);
			*up = '/';
			(void)mkdir(dir, 0700);
		}
	}
}

rua_store_t *rua_store_open(const char *path, bool create, char *err,
    size_t errlen)
{
	rua_store_t *s;
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);

	if (!create && access(path, F_OK) < 0) {
		str_format(err, errlen, "%s: no such database (run ingest first)",
		    path);
		return NULL;
	}
	if (create)
		make_parent_dir(path);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		abort();
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		db_error(s->db, path, err, errlen);
		rua_store_close(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"
	    " PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	if (store_schema(s->db, err, errlen) < 0 ||
	    store_additions(s->db, err, errlen) < 0 ||
	    store_prepare(s, err, errlen) < 0) {
		rua_store_close(s);
		return NULL;
	}
	return s;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int add_report_row(rua_store_t *s, const rua_meta_t *m,
    const char *source)
{
	const char *text[] = { m->org_name, m->report_id, m->email,
		rua_format_name(m->format) };
	const char *policy[] = { m->domain, m->p, m->sp, m->np, m->adkim,
		m->aspf, m->testing, m->discovery, m->fo };
	sqlite3_stmt *st = s->report;
	int i;

	for (i = 0; i < 4; i++)
		bind_text(st, i + 1, text[i]);
	sqlite3_bind_int64(st, 5, m->begin);
	sqlite3_bind_int64(st, 6, m->end);
	for (i = 0; i < 9; i++)
		bind_text(st, i + 7, policy[i]);
	if (m->pct >= 0)
		sqlite3_bind_int(st, 16, m->pct);
	else
		sqlite3_bind_null(st, 16);
	bind_text(st, 17, source);
	sqlite3_bind_int64(st, 18, (sqlite3_int64)time(NULL));
	bind_text(st, 19, m->digest);
	return step_done(st);
}

static int add_record(rua_store_t *s, sqlite3_int64 report,
    const rua_record_t *r)
{
	sqlite3_int64 id;
	size_t i;

	sqlite3_bind_int64(s->record, 1, report);
	bind_text(s->record, 2, r->source_ip);
	sqlite3_bind_int64(s->record, 3, (sqlite3_int64)r->count);
	bind_text(s->record, 4, r->disposition);
	bind_text(s->record, 5, r->dkim_pass ? "pass" : "fail");
	bind_text(s->record, 6, r->spf_pass ? "pass" : "fail");
	bind_text(s->record, 7, r->header_from);
	bind_text(s->record, 8, r->envelope_from);
	bind_text(s->record, 9, r->envelope_to);
	if (step_done(s->record) < 0)
		return -1;
	id = sqlite3_last_insert_rowid(s->db);
	for (i = 0; i < r->nauth; i++) {
		const rua_auth_t *a = &r->auth[i];

		sqlite3_bind_int64(s->auth, 1, id);
		sqlite3_bind_int(s->auth, 2, (int)i);
		bind_text(s->auth, 3, a->kind == 'd' ? "dkim" : "spf");
		bind_text(s->auth, 4, a->domain);
		bind_text(s->auth, 5, a->selector);
		bind_text(s->auth, 6, a->scope);
		bind_text(s->auth, 7, a->result);
		if (step_done(s->auth) < 0)
			return -1;
	}
	for (i = 0; i < r->nreason; i++) {
		sqlite3_bind_int64(s->reason, 1, id);
		sqlite3_bind_int(s->reason, 2, (int)i);
		bind_text(s->reason, 3, r->reason[i].type);
		bind_text(s->reason, 4, r->reason[i].comment);
		if (step_done(s->reason) < 0)
			return -1;
	}
	return 0;
}

static int find_duplicate(rua_store_t *s, const rua_meta_t *m, char *dup,
    size_t duplen)
{
	int found = 0;

	bind_text(s->find, 1, m->org_name);
	bind_text(s->find, 2, m->report_id);
	if (sqlite3_step(s->find) == SQLITE_ROW) {
		found = 1;
		str_copy(dup, duplen, (const char *)sqlite3_column_text(s->find,
		    0));
	}
	sqlite3_reset(s->find);
	sqlite3_clear_bindings(s->find);
	if (found)
		return found;
	bind_text(s->same, 1, m->digest);
	if (sqlite3_step(s->same) == SQLITE_ROW) {
		found = 1;
		str_format(dup, duplen, "%s, the same content as %s report %s",
		    (const char *)sqlite3_column_text(s->same, 0),
		    (const char *)sqlite3_column_text(s->same, 1),
		    (const char *)sqlite3_column_text(s->same, 2));
	}
	sqlite3_reset(s->same);
	sqlite3_clear_bindings(s->same);
	return found;
}

int rua_store_file_seen(rua_store_t *s, const char *path, long long size,
    long long mtime)
{
	int seen;

	bind_text(s->seen, 1, path);
	sqlite3_bind_int64(s->seen, 2, size);
	sqlite3_bind_int64(s->seen, 3, mtime);
	seen = sqlite3_step(s->seen) == SQLITE_ROW;
	sqlite3_reset(s->seen);
	sqlite3_clear_bindings(s->seen);
	return seen;
}

int rua_store_file_done(rua_store_t *s, const char *path, long long size,
    long long mtime)
{
	bind_text(s->done, 1, path);
	sqlite3_bind_int64(s->done, 2, size);
	sqlite3_bind_int64(s->done, 3, mtime);
	sqlite3_bind_int64(s->done, 4, (sqlite3_int64)time(NULL));
	return step_done(s->done);
}

int rua_store_add(rua_store_t *s, const rua_meta_t *m, rua_doc_t *d,
    const char *source, char *dup, size_t duplen, char *err, size_t errlen)
{
	rua_record_t *r;
	sqlite3_int64 report;
	int rc = 1;

	if (find_duplicate(s, m, dup, duplen))
		return 0;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return db_error(s->db, "begin", err, errlen);
	if (add_report_row(s, m, source) < 0) {
		/* another ingest stored it since find_duplicate() */
		bool dup_now = sqlite3_errcode(s->db) == SQLITE_CONSTRAINT;

		if (!dup_now)
			db_error(s->db, "storing the report", err, errlen);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		if (dup_now)
			str_copy(dup, duplen, "a concurrent ingest");
		return dup_now ? 0 : -1;
	}
	report = sqlite3_last_insert_rowid(s->db);
	if ((r = malloc(sizeof(*r))) == NULL)
		abort();
	while (rc == 1 && rua_doc_next(d, r) > 0)
		if (add_record(s, report, r) < 0)
			rc = db_error(s->db, "storing a record", err, errlen);
	free(r);
	if (rc == 1 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = db_error(s->db, "commit", err, errlen);
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

sqlite3 *rua_store_db(rua_store_t *s)
{
	return s->db;
}

void rua_store_close(rua_store_t *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->find);
	sqlite3_finalize(s->report);
	sqlite3_finalize(s->record);
	sqlite3_finalize(s->auth);
	sqlite3_finalize(s->reason);
	sqlite3_finalize(s->same);
	sqlite3_finalize(s->seen);
	sqlite3_finalize(s->done);
	sqlite3_close(s->db);
	free(s);
}

int rua_store_default_path(char *buf, size_t size)
{
	const char *env = getenv("DMARCWARDEN_POLICY_DB");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		return str_copy(buf, size, env);
	if (geteuid() == 0)
		return str_copy(buf, size, "/var/lib/dmarcwarden/reports.db");
	if (xdg && *xdg == '/')
		return str_format(buf, size, "%s/dmarcwarden/reports.db", xdg) <
		    0 ? -1 : 0;
	if (home && *home == '/')
		return str_format(buf, size,
		    "%s/.local/share/dmarcwarden/reports.db", home) < 0 ? -1 : 0;
	return -1;
}
