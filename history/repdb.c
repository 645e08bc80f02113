/*
 * repdb - reading and marking the history for reports, on SQLite or
 * PostgreSQL.  See repdb.h (SNAPSHOT and LOCKING); the tables are
 * documented in history/schema.h.  The bookkeeping is in repdb_book.c.
 */
#include "repdb_impl.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../util/strbuf.h"
#include "schema.h"

#define REPDB_MARK_WINDOW 3600      /* seconds of history per transaction */

/* The rows that count (repdb.h): $1 domain, $2 begin, $3 end, $4
 * snapshot. */
#define REPORTABLE \
	" m.policy_domain = $1 AND m.time >= $2 AND m.time < $3" \
	" AND m.id <= $4 AND m.reported IS NULL AND m.policy_found = 1" \
	" AND m.is_report = 0 AND m.action <> 'tempfail'"

/* A child table as one list (for rows written before version 2, which
 * have no summaries): the dialects differ in the aggregate's name, in
 * chr/char, and in how the order is given. */
#define DKIM_EXPR(C) "d.domain || " C "(29) || d.selector || " C "(29) ||" \
	" d.result || " C "(29) || d.human_result"
#define OVR_EXPR(C) "d.reason || " C "(29) || d.comment"
#define LIST_SQLITE(expr, table) "(SELECT group_concat(" expr ", char(30))" \
	" FROM (SELECT * FROM " table " WHERE message_id = m.id" \
	" ORDER BY seq) d)"
#define LIST_PG(expr, table) "(SELECT string_agg(" expr ", chr(30)" \
	" ORDER BY d.seq) FROM " table " d WHERE d.message_id = m.id)"

/* The record fields of a row, in repdb_field order; the grouping is done
 * by the caller (the reporter's hash table measured faster than GROUP
 * BY). */
#define FIELDS(LIST, C) \
	" m.source_ip, m.header_from, m.envelope_from, m.envelope_to," \
	" coalesce(m.disposition_applied, 'none'), m.result," \
	" m.dkim_aligned, m.spf_aligned, m.spf_domain, m.spf_scope," \
	" m.spf_result," \
	" coalesce(m.dkim_summary, " LIST(DKIM_EXPR(C), "message_dkim") \
	", '')," \
	" coalesce(m.override_summary, " LIST(OVR_EXPR(C), \
	"message_override") ", '')"

static const char *const sql_collect[2] = {
	"SELECT" FIELDS(LIST_SQLITE, "char")
	" FROM messages m INDEXED BY messages_policy_time WHERE" REPORTABLE,
	"SELECT" FIELDS(LIST_PG, "chr") " FROM messages m WHERE" REPORTABLE,
};

#define POLICY_COLS \
	"SELECT m.time, m.policy_p, m.policy_sp, m.policy_np," \
	" m.policy_adkim, m.policy_aspf, m.policy_pct, m.policy_testing," \
	" m.policy_fo, m.policy_psd, m.discovery, m.policy_rua FROM messages m"
static const char *const sql_policy[2] = {
	POLICY_COLS " INDEXED BY messages_policy_time WHERE" REPORTABLE
	" ORDER BY m.time DESC LIMIT 1",
	POLICY_COLS " WHERE" REPORTABLE " ORDER BY m.time DESC LIMIT 1",
};

/* The whole period in one pass; SQLite: in time order through
 * messages_time, nearly the order the rows were written, so the table is
 * read almost sequentially; PostgreSQL: in the planner's order (the
 * records are sorted later; a sort of the period would only cost).  $1
 * begin, $2 end, $3 snapshot. */
#define SCAN_WHERE \
	" WHERE m.time >= $1 AND m.time < $2 AND m.id <= $3" \
	" AND m.reported IS NULL AND m.policy_found = 1 AND m.is_report = 0" \
	" AND m.action <> 'tempfail' AND m.policy_domain <> ''"
static const char *const sql_scan[2] = {
	"SELECT m.policy_domain," FIELDS(LIST_SQLITE, "char")
	" FROM messages m INDEXED BY messages_time" SCAN_WHERE,
	"SELECT m.policy_domain," FIELDS(LIST_PG, "chr")
	" FROM messages m" SCAN_WHERE,
};

#define MARK_WHERE \
	" time >= $1 AND time < $2 AND id <= $3 AND reported IS NULL" \
	" AND policy_found = 1 AND is_report = 0 AND action <> 'tempfail'"
static const char *const sql_mark_all[2] = {
	"UPDATE messages INDEXED BY messages_time SET reported ="
	" (SELECT report_id FROM done_marks d"
	"  WHERE d.domain = messages.policy_domain) WHERE" MARK_WHERE
	" AND policy_domain IN (SELECT domain FROM done_marks)",
	"UPDATE messages SET reported = d.report_id FROM done_marks d"
	" WHERE d.domain = messages.policy_domain AND" MARK_WHERE,
};

static const char sql_mark[] =
	"UPDATE messages AS m SET reported = $5 WHERE" REPORTABLE;

static const char sql_domains[] =
	"SELECT DISTINCT policy_domain FROM messages m WHERE m.time >= $1"
	" AND m.time < $2 AND m.id <= $3 AND m.reported IS NULL AND"
	" m.policy_found = 1 AND m.policy_domain <> '' AND m.is_report = 0"
	" AND m.action <> 'tempfail' ORDER BY policy_domain";

static const char *const sql_count[2] = {
	"SELECT count(*) FROM messages INDEXED BY messages_time"
	" WHERE time >= $1 AND time < $2",
	"SELECT count(*) FROM messages WHERE time >= $1 AND time < $2",
};

static const char sql_marks_table[] =
	"CREATE TEMP TABLE IF NOT EXISTS done_marks"
	" (domain TEXT PRIMARY KEY, report_id TEXT NOT NULL)";
static const char sql_mark_later[] =
	"INSERT INTO done_marks (domain, report_id) VALUES ($1, $2)"
	" ON CONFLICT (domain) DO UPDATE SET report_id = excluded.report_id";
static const char sql_snapshot[] =
	"SELECT coalesce(max(id), 0) FROM messages";

int repdb_fail(repdb_t *db, hdb_t *h, const char *what)
{
	str_format(db->err, sizeof(db->err), "%s: %s", what, hdb_error(h));
	return -1;
}

int repdb_begin(hdb_t *h)
{
	return hdb_kind(h) == HDB_SQLITE ? hdb_exec(h, "BEGIN IMMEDIATE") :
	    hdb_begin(h);
}

const char *repdb_num(char *buf, long long v)
{
	snprintf(buf, REPDB_NUM, "%lld", v);
	return buf;
}

const char *repdb_error(const repdb_t *db)
{
	return db->err;
}

const char *repdb_path(const repdb_t *db)
{
	return db->path;
}

hdb_t *repdb_hdb(repdb_t *db)
{
	return db->h;
}

struct sqlite3 *repdb_handle(repdb_t *db)
{
	return hdb_sqlite(db->h);
}

long long repdb_snapshot(const repdb_t *db)
{
	return db->snapshot;
}

int repdb_exec(repdb_t *db, const char *sql)
{
	return hdb_exec(db->h, sql) < 0 ? repdb_fail(db, db->h, "exec") : 0;
}

hdb_t *repdb_reader(repdb_t *db)
{
	if (db->rd == db->h || db->in_tx)
		return db->rd;
	if (hdb_exec(db->rd, "BEGIN ISOLATION LEVEL REPEATABLE READ") < 0) {
		repdb_fail(db, db->rd, "start the reading transaction");
		return NULL;
	}
	db->in_tx = true;
	return db->rd;
}

/* PostgreSQL: end the reading transaction (commit: the marks). */
static int reader_end(repdb_t *db, bool commit)
{
	if (!db->in_tx)
		return 0;
	db->in_tx = false;
	if (hdb_exec(db->rd, commit ? "COMMIT" : "ROLLBACK") < 0)
		return repdb_fail(db, db->rd, commit ? "commit the marks" :
		    "rollback");
	return 0;
}

void repdb_close(repdb_t *db)
{
	if (db == NULL)
		return;
	if (db->rd != NULL && db->rd != db->h) {
		reader_end(db, false);
		hdb_close(db->rd);
	}
	hdb_close(db->h);
	if (db->lockfd >= 0)
		close(db->lockfd);    /* after SQLite's own descriptors */
	free(db->path);
	free(db);
}

/* SQLite: the version check and, when allowed, the upgrade from an older
 * version; PostgreSQL: the version in meta.  (To be replaced by
 * hist_schema_open(), history/migrate.h.) */
static int check_schema(repdb_t *db)
{
	long long v = -1;
	int rc;

	if (hdb_kind(db->h) == HDB_PG)
		rc = hdb_query_int(db->h, "SELECT value FROM meta WHERE key ="
		    " 'schema_version'", 0, NULL, &v);
	else
		rc = hdb_query_int(db->h, "PRAGMA user_version", 0, NULL, &v);
	if (rc < 0)
		return repdb_fail(db, db->h, "read schema version");
	if (v == HISTORY_SCHEMA_VERSION)
		return 0;
	if (hdb_kind(db->h) == HDB_SQLITE && HISTORY_UPGRADE_SQL(v) != NULL &&
	    !db->readonly) {
		if (repdb_begin(db->h) < 0)
			return repdb_fail(db, db->h, "upgrade");
		if (hdb_query_int(db->h, "PRAGMA user_version", 0, NULL,
		    &v) == 1 && HISTORY_UPGRADE_SQL(v) != NULL &&
		    hdb_exec(db->h, HISTORY_UPGRADE_SQL(v)) < 0) {
			repdb_fail(db, db->h, "upgrade from an older schema "
			    "version");
			hdb_rollback(db->h);
			return -1;
		}
		return hdb_commit(db->h) < 0 ? repdb_fail(db, db->h,
		    "upgrade") : 0;
	}
	str_format(db->err, sizeof(db->err), "schema version %lld, this "
	    "program knows version %d%s", v, HISTORY_SCHEMA_VERSION,
	    HISTORY_UPGRADE_SQL(v) != NULL && hdb_kind(db->h) == HDB_SQLITE ?
	    " (open it writable to upgrade)" : "");
	return -1;
}

static int take_snapshot(repdb_t *db)
{
	if (hdb_query_int(db->h, sql_snapshot, 0, NULL, &db->snapshot) < 0)
		return repdb_fail(db, db->h, "snapshot");
	repdb_num(db->snap, db->snapshot);
	return 0;
}

repdb_t *repdb_open(const char *spec, bool readonly, char *err,
    size_t errlen)
{
	repdb_t *db = calloc(1, sizeof(*db));
	char path[1024], e[HDB_ERR_MAX];

	if (db == NULL)
		abort();
	db->lockfd = -1;
	db->readonly = readonly;
	hdb_spec_redacted(spec, path, sizeof(path));
	if ((db->path = strdup(path)) == NULL)
		abort();
	if ((db->h = hdb_open(spec, readonly ? HDB_READONLY : 0, e, sizeof(e),
	    NULL)) == NULL) {
		str_format(err, errlen, "%s", e);
		free(db->path);
		free(db);
		return NULL;
	}
	db->rd = db->h;
	if (check_schema(db) < 0 || (hdb_kind(db->h) == HDB_SQLITE &&
	    repdb_exec(db, "PRAGMA cache_size = -32768") < 0) ||
	    take_snapshot(db) < 0)
		goto bad;
	if (hdb_kind(db->h) == HDB_PG && (db->rd = hdb_open(spec, 0, e,
	    sizeof(e), NULL)) == NULL) {
		str_format(db->err, sizeof(db->err), "second connection: %s",
		    e);
		goto bad;
	}
	return db;
bad:
	str_format(err, errlen, "%s: %s", db->path, db->err);
	repdb_close(db);
	return NULL;
}

int repdb_lock(repdb_t *db)
{
	char key[REPDB_NUM], got[8] = "";
	const char *p[1] = { repdb_num(key, REPDB_PG_LOCK_KEY) };

	if (hdb_kind(db->h) == HDB_PG) {
		if (hdb_query_text(db->h, "SELECT pg_try_advisory_lock($1)", 1,
		    p, got, sizeof(got)) < 0)
			return repdb_fail(db, db->h, "lock");
		if (strcmp(got, "t") != 0)
			return 0;
	} else if (db->lockfd < 0) {
		if ((db->lockfd = open(hdb_spec(db->h), O_RDONLY | O_CLOEXEC)) <
		    0) {
			str_format(db->err, sizeof(db->err), "lock: %m");
			return -1;
		}
		if (flock(db->lockfd, LOCK_EX | LOCK_NB) < 0) {
			close(db->lockfd);
			db->lockfd = -1;
			return 0;
		}
	}
	return take_snapshot(db) < 0 ? -1 : 1;
}

/* ---- lists ---------------------------------------------------------- */

void repdb_list_add(repdb_list_t *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->item = realloc(l->item, l->cap * sizeof(*l->item));
		if (l->item == NULL)
			abort();
	}
	if ((l->item[l->n++] = strdup(s ? s : "")) == NULL)
		abort();
}

void repdb_list_free(repdb_list_t *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->item[i]);
	free(l->item);
	memset(l, 0, sizeof(*l));
}

static int list_row(void *ctx, int ncols, const char *const *vals)
{
	(void)ncols;
	repdb_list_add(ctx, vals[0]);
	return 0;
}

int repdb_domains(repdb_t *db, time_t begin, time_t end, repdb_list_t *out)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[3] = { repdb_num(b, begin), repdb_num(e, end),
	    db->snap };
	hdb_t *h = repdb_reader(db);

	if (h == NULL)
		return -1;
	if (hdb_query(h, sql_domains, 3, p, list_row, out) < 0)
		return repdb_fail(db, h, "list domains");
	return 0;
}

/* ---- collecting ----------------------------------------------------- */

/* Values as fields: NULL is "". */
static void fields_of(const char *const *vals, const char **f)
{
	for (int i = 0; i < REPDB_NFIELDS; i++)
		f[i] = vals[i] ? vals[i] : "";
}

static void col_copy(const char *v, char *dst, size_t size)
{
	str_copy(dst, size, v ? v : "");
}

static int policy_row(void *ctx, int ncols, const char *const *v)
{
	repdb_policy_t *p = ctx;

	(void)ncols;
	memset(p, 0, sizeof(*p));
	p->seen = (time_t)strtoll(v[0] ? v[0] : "0", NULL, 10);
	col_copy(v[1], p->p, sizeof(p->p));
	col_copy(v[2], p->sp, sizeof(p->sp));
	col_copy(v[3], p->np, sizeof(p->np));
	col_copy(v[4], p->adkim, sizeof(p->adkim));
	col_copy(v[5], p->aspf, sizeof(p->aspf));
	p->pct = (unsigned)strtoul(v[6] ? v[6] : "0", NULL, 10);
	col_copy(v[7], p->testing, sizeof(p->testing));
	col_copy(v[8], p->fo, sizeof(p->fo));
	col_copy(v[9], p->psd, sizeof(p->psd));
	col_copy(v[10], p->discovery, sizeof(p->discovery));
	col_copy(v[11], p->rua, sizeof(p->rua));
	p->valid = true;
	return 1;
}

/* The four parameters of REPORTABLE. */
typedef struct range {
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[5];
} range_t;

static const char *const *range(repdb_t *db, range_t *r, const char *domain,
    time_t begin, time_t end)
{
	r->p[0] = domain;
	r->p[1] = repdb_num(r->b, begin);
	r->p[2] = repdb_num(r->e, end);
	r->p[3] = db->snap;
	r->p[4] = NULL;
	return r->p;
}

int repdb_policy(repdb_t *db, const char *domain, time_t begin,
    time_t end, repdb_policy_t *out)
{
	range_t r;
	hdb_t *h = repdb_reader(db);
	long long n;

	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return -1;
	n = hdb_query(h, REPDB_SQL(h, sql_policy), 4, range(db, &r, domain,
	    begin, end), policy_row, out);
	return n < 0 ? repdb_fail(db, h, "policy") : n > 0;
}

typedef struct collect_ctx {
	repdb_row_fn fn;
	void *ctx;
} collect_ctx_t;

static int collect_row(void *ctx, int ncols, const char *const *vals)
{
	collect_ctx_t *c = ctx;
	const char *f[REPDB_NFIELDS];

	(void)ncols;
	fields_of(vals, f);
	return c->fn(c->ctx, f, 1) < 0;
}

long long repdb_collect(repdb_t *db, const char *domain, time_t begin,
    time_t end, repdb_row_fn fn, void *ctx)
{
	collect_ctx_t c = { fn, ctx };
	range_t r;
	hdb_t *h = repdb_reader(db);
	long long n;

	if (h == NULL)
		return -1;
	n = hdb_query(h, REPDB_SQL(h, sql_collect), 4, range(db, &r, domain,
	    begin, end), collect_row, &c);
	return n < 0 ? repdb_fail(db, h, "collect") : n;
}

/* Write transactions of the reader: SQLite takes the write lock now;
 * PostgreSQL is inside the reading transaction already. */
static int mark_begin(repdb_t *db, hdb_t *h)
{
	if (db->readonly) {
		str_copy(db->err, sizeof(db->err), "database opened "
		    "read-only");
		return -1;
	}
	if (hdb_kind(h) == HDB_SQLITE && repdb_begin(h) < 0)
		return repdb_fail(db, h, "mark reported");
	return 0;
}

static int mark_end(repdb_t *db, hdb_t *h, bool ok)
{
	if (hdb_kind(h) == HDB_PG)
		return reader_end(db, ok) < 0 || !ok ? -1 : 0;
	if (!ok) {
		hdb_rollback(h);
		return -1;
	}
	return hdb_commit(h) < 0 ? repdb_fail(db, h, "mark reported") : 0;
}

int repdb_mark(repdb_t *db, const char *domain, time_t begin, time_t end,
    const char *report_id, long long *n)
{
	range_t r;
	hdb_t *h = repdb_reader(db);

	*n = 0;
	if (h == NULL || mark_begin(db, h) < 0)
		return -1;
	range(db, &r, domain, begin, end);
	r.p[4] = report_id;
	if (hdb_query(h, sql_mark, 5, r.p, NULL, NULL) < 0) {
		repdb_fail(db, h, "mark reported");
		return mark_end(db, h, false);
	}
	*n = hdb_changes(h);
	return mark_end(db, h, true);
}

/* ---- the one-pass path (run.c) ------------------------------------- */

long long repdb_count(repdb_t *db, time_t begin, time_t end)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[2] = { repdb_num(b, begin), repdb_num(e, end) };
	long long n = 0;
	hdb_t *h = repdb_reader(db);

	if (h == NULL)
		return -1;
	if (hdb_query_int(h, REPDB_SQL(h, sql_count), 2, p, &n) < 0)
		return repdb_fail(db, h, "count");
	return n;
}

typedef struct scan_ctx {
	repdb_scan_fn fn;
	void *ctx;
	bool stopped;
} scan_ctx_t;

static int scan_row(void *ctx, int ncols, const char *const *vals)
{
	scan_ctx_t *s = ctx;
	const char *f[REPDB_NFIELDS];

	(void)ncols;
	fields_of(vals + 1, f);
	if (s->fn(s->ctx, vals[0] ? vals[0] : "", f) < 0) {
		s->stopped = true;
		return 1;
	}
	return 0;
}

long long repdb_scan(repdb_t *db, time_t begin, time_t end,
    repdb_scan_fn fn, void *ctx)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[3] = { repdb_num(b, begin), repdb_num(e, end),
	    db->snap };
	scan_ctx_t s = { fn, ctx, false };
	hdb_t *h = repdb_reader(db);
	long long n;

	if (h == NULL)
		return -1;
	n = hdb_query(h, REPDB_SQL(h, sql_scan), 3, p, scan_row, &s);
	if (n < 0)
		return repdb_fail(db, h, "scan");
	if (s.stopped) {
		str_copy(db->err, sizeof(db->err), "scan stopped");
		return -1;
	}
	return n;
}

int repdb_mark_later(repdb_t *db, const char *domain, const char *report_id)
{
	const char *p[2] = { domain, report_id };
	hdb_t *h = repdb_reader(db);

	if (h == NULL)
		return -1;
	if (hdb_exec(h, sql_marks_table) < 0 ||
	    hdb_query(h, sql_mark_later, 2, p, NULL, NULL) < 0)
		return repdb_fail(db, h, "mark later");
	return 0;
}

/* Rows of [from, to) of every noted domain; SQLite: in its own
 * transaction. */
static int mark_window(repdb_t *db, hdb_t *h, time_t from, time_t to,
    long long *n)
{
	char b[REPDB_NUM], e[REPDB_NUM];
	const char *p[3] = { repdb_num(b, from), repdb_num(e, to), db->snap };

	if (hdb_kind(h) == HDB_SQLITE && mark_begin(db, h) < 0)
		return -1;
	if (hdb_query(h, REPDB_SQL(h, sql_mark_all), 3, p, NULL, NULL) < 0) {
		repdb_fail(db, h, "mark reported");
		if (hdb_kind(h) == HDB_SQLITE)
			hdb_rollback(h);
		return -1;
	}
	*n += hdb_changes(h);
	if (hdb_kind(h) == HDB_SQLITE && hdb_commit(h) < 0)
		return repdb_fail(db, h, "mark reported");
	return 0;
}

/* Marking is idempotent, so on SQLite the period is marked a window at
 * a time: the write lock is never held for long (the milter keeps
 * writing).  PostgreSQL marks in one UPDATE inside the transaction that
 * counted the rows (SNAPSHOT), then commits. */
int repdb_mark_flush(repdb_t *db, time_t begin, time_t end, long long *n)
{
	hdb_t *h = repdb_reader(db);
	time_t w, step;
	int rc = 0;

	*n = 0;
	if (h == NULL)
		return -1;
	if (db->readonly)
		return mark_begin(db, h);
	if (hdb_exec(h, sql_marks_table) < 0)
		return repdb_fail(db, h, "mark");
	step = hdb_kind(h) == HDB_PG ? end - begin : REPDB_MARK_WINDOW;
	for (w = begin; w < end && rc == 0; w += step)
		rc = mark_window(db, h, w, end - w > step ? w + step : end, n);
	if (rc == 0 && hdb_exec(h, "DELETE FROM done_marks") < 0)
		rc = repdb_fail(db, h, "mark");
	if (hdb_kind(h) == HDB_PG)
		return mark_end(db, h, rc == 0);
	return rc;
}
