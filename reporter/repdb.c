/*
 * repdb - reading and marking the history for reports.  See repdb.h; the
 * tables are documented in history/schema.h.
 */
#include "repdb.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../history/schema.h"
#include "../util/strbuf.h"

#define REPDB_BUSY_MS 10000
#define REPDB_MARK_WINDOW 3600      /* seconds of history per transaction */

struct repdb {
	sqlite3 *db;
	char *path;
	long long snapshot;          /* highest messages.id at open */
	char err[256];
	sqlite3_stmt *collect, *policy, *mark;
};

/* The rows that count (repdb.h).  ?1 domain, ?2 begin, ?3 end, ?4 snapshot. */
#define REPORTABLE \
	" m.policy_domain = ?1 AND m.time >= ?2 AND m.time < ?3" \
	" AND m.id <= ?4 AND m.reported IS NULL AND m.policy_found = 1" \
	" AND m.is_report = 0 AND m.action <> 'tempfail'"

/* The fields of every row, in aggregate.h order; the grouping is done by
 * agg_add() (a hash table), which measured faster than GROUP BY here. */
static const char sql_collect[] =
	"SELECT m.source_ip, m.header_from, m.envelope_from, m.envelope_to,"
	" coalesce(m.disposition_applied, 'none'), m.result,"
	" m.dkim_aligned, m.spf_aligned, m.spf_domain, m.spf_scope,"
	" m.spf_result,"
	" coalesce(m.dkim_summary, (SELECT group_concat(d.domain || char(29)"
	"  || d.selector || char(29) || d.result || char(29) ||"
	"  d.human_result, char(30)) FROM (SELECT * FROM message_dkim"
	"  WHERE message_id = m.id ORDER BY seq) d), ''),"
	" coalesce(m.override_summary, (SELECT group_concat(o.reason ||"
	"  char(29) || o.comment, char(30)) FROM (SELECT * FROM"
	"  message_override WHERE message_id = m.id ORDER BY seq) o), ''),"
	" 1"
	" FROM messages m INDEXED BY messages_policy_time WHERE" REPORTABLE;


static const char sql_policy[] =
	"SELECT m.time, m.policy_p, m.policy_sp, m.policy_np,"
	" m.policy_adkim, m.policy_aspf, m.policy_pct, m.policy_testing,"
	" m.policy_fo, m.policy_psd, m.discovery, m.policy_rua"
	" FROM messages m INDEXED BY messages_policy_time WHERE" REPORTABLE
	" ORDER BY m.time DESC LIMIT 1";

/* The whole period in one pass, in time order through messages_time:
 * nearly the order the rows were written, so the table is read almost
 * sequentially. */
static const char sql_scan[] =
	"SELECT m.policy_domain, m.source_ip, m.header_from, m.envelope_from,"
	" m.envelope_to, coalesce(m.disposition_applied, 'none'), m.result,"
	" m.dkim_aligned, m.spf_aligned, m.spf_domain, m.spf_scope,"
	" m.spf_result,"
	" coalesce(m.dkim_summary, (SELECT group_concat(d.domain || char(29)"
	"  || d.selector || char(29) || d.result || char(29) ||"
	"  d.human_result, char(30)) FROM (SELECT * FROM message_dkim"
	"  WHERE message_id = m.id ORDER BY seq) d), ''),"
	" coalesce(m.override_summary, (SELECT group_concat(o.reason ||"
	"  char(29) || o.comment, char(30)) FROM (SELECT * FROM"
	"  message_override WHERE message_id = m.id ORDER BY seq) o), '')"
	" FROM messages m INDEXED BY messages_time"
	" WHERE m.time >= ?1 AND m.time < ?2 AND m.id <= ?3"
	" AND m.reported IS NULL AND m.policy_found = 1 AND m.is_report = 0"
	" AND m.action <> 'tempfail' AND m.policy_domain <> ''";

static const char sql_mark_all[] =
	"UPDATE messages INDEXED BY messages_time SET reported ="
	" (SELECT report_id FROM temp.done_marks d"
	"  WHERE d.domain = messages.policy_domain)"
	" WHERE time >= ?1 AND time < ?2 AND id <= ?3 AND reported IS NULL"
	" AND policy_found = 1 AND is_report = 0 AND action <> 'tempfail'"
	" AND policy_domain IN (SELECT domain FROM temp.done_marks)";

static const char sql_mark[] =
	"UPDATE messages AS m SET reported = ?5 WHERE" REPORTABLE;

static int fail(repdb_t *db, const char *what)
{
	str_format(db->err, sizeof(db->err), "%s: %s", what,
	    sqlite3_errmsg(db->db));
	return -1;
}

const char *repdb_error(const repdb_t *db)
{
	return db->err;
}

const char *repdb_path(const repdb_t *db)
{
	return db->path;
}

struct sqlite3 *repdb_handle(repdb_t *db)
{
	return db->db;
}

long long repdb_snapshot(const repdb_t *db)
{
	return db->snapshot;
}

int repdb_exec(repdb_t *db, const char *sql)
{
	if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "exec");
	return 0;
}

static int query_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

void repdb_close(repdb_t *db)
{
	if (db == NULL)
		return;
	sqlite3_finalize(db->collect);
	sqlite3_finalize(db->policy);
	sqlite3_finalize(db->mark);
	sqlite3_close_v2(db->db);
	free(db->path);
	free(db);
}

/* Version check and, when allowed, the upgrade from an older version. */
static int check_schema(repdb_t *db, bool readonly)
{
	long long v = -1;

	if (query_int(db->db, "PRAGMA user_version", &v) != SQLITE_OK)
		return fail(db, "read schema version");
	if (v == HISTORY_SCHEMA_VERSION)
		return 0;
	if (HISTORY_UPGRADE_SQL(v) != NULL && !readonly) {
		if (repdb_exec(db, "BEGIN IMMEDIATE") < 0)
			return -1;
		if (query_int(db->db, "PRAGMA user_version", &v) ==
		    SQLITE_OK && HISTORY_UPGRADE_SQL(v) != NULL &&
		    sqlite3_exec(db->db, HISTORY_UPGRADE_SQL(v), NULL, NULL,
		    NULL) != SQLITE_OK) {
			fail(db, "upgrade from an older schema version");
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		return repdb_exec(db, "COMMIT");
	}
	str_format(db->err, sizeof(db->err), "schema version %lld, this "
	    "program knows version %d%s", v, HISTORY_SCHEMA_VERSION,
	    HISTORY_UPGRADE_SQL(v) != NULL ? " (open it writable to upgrade)" :
	    "");
	return -1;
}

repdb_t *repdb_open(const char *path, bool readonly, char *err,
    size_t errlen)
{
	repdb_t *db = calloc(1, sizeof(*db));
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;

	if (db == NULL || (db->path = strdup(path)) == NULL)
		abort();
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
		fail(db, "open");
		goto bad;
	}
	sqlite3_busy_timeout(db->db, REPDB_BUSY_MS);
	/* WAL (the milter's mode) with synchronous=NORMAL: a commit does
	 * not wait for fsync; a crash can lose the last commits, never
	 * corrupt (a lost mark means a report repeated with its id). */
	if (check_schema(db, readonly) < 0 ||
	    repdb_exec(db, "PRAGMA foreign_keys = ON") < 0 ||
	    (!readonly && repdb_exec(db, "PRAGMA synchronous = NORMAL") < 0) ||
	    repdb_exec(db, "PRAGMA cache_size = -32768") < 0)
		goto bad;
	if (query_int(db->db, "SELECT coalesce(max(id), 0) FROM messages",
	    &db->snapshot) != SQLITE_OK) {
		fail(db, "snapshot");
		goto bad;
	}
	if (sqlite3_prepare_v2(db->db, sql_collect, -1, &db->collect, NULL) ||
	    sqlite3_prepare_v2(db->db, sql_policy, -1, &db->policy, NULL) ||
	    (!readonly && sqlite3_prepare_v2(db->db, sql_mark, -1, &db->mark,
	    NULL))) {
		fail(db, "prepare");
		goto bad;
	}
	return db;
bad:
	str_format(err, errlen, "%s: %s", path, db->err);
	repdb_close(db);
	return NULL;
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
	if ((l->item[l->n++] = strdup(s)) == NULL)
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

int repdb_domains(repdb_t *db, time_t begin, time_t end, repdb_list_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT DISTINCT policy_domain FROM"
	    " messages WHERE time >= ?1 AND time < ?2 AND id <= ?3 AND"
	    " reported IS NULL AND policy_found = 1 AND policy_domain <> ''"
	    " AND is_report = 0 AND action <> 'tempfail'"
	    " ORDER BY policy_domain", -1, &st, NULL))
		return fail(db, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)end);
	sqlite3_bind_int64(st, 3, db->snapshot);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		repdb_list_add(out, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(db, "list domains");
}

/* ---- collecting ----------------------------------------------------- */

static void bind_range(repdb_t *db, sqlite3_stmt *st, const char *domain,
    time_t begin, time_t end)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)end);
	sqlite3_bind_int64(st, 4, db->snapshot);
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_copy(dst, size, t ? (const char *)t : "");
}

int repdb_policy(repdb_t *db, const char *domain, time_t begin,
    time_t end, agg_report_t *rep)
{
	sqlite3_stmt *st = db->policy;
	agg_policy_t p;
	int rc;

	bind_range(db, st, domain, begin, end);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		p.seen = (time_t)sqlite3_column_int64(st, 0);
		col_copy(st, 1, p.p, sizeof(p.p));
		col_copy(st, 2, p.sp, sizeof(p.sp));
		col_copy(st, 3, p.np, sizeof(p.np));
		col_copy(st, 4, p.adkim, sizeof(p.adkim));
		col_copy(st, 5, p.aspf, sizeof(p.aspf));
		p.pct = (unsigned)sqlite3_column_int(st, 6);
		col_copy(st, 7, p.testing, sizeof(p.testing));
		col_copy(st, 8, p.fo, sizeof(p.fo));
		col_copy(st, 9, p.psd, sizeof(p.psd));
		col_copy(st, 10, p.discovery, sizeof(p.discovery));
		col_copy(st, 11, p.rua, sizeof(p.rua));
		p.valid = true;
		agg_policy_offer(rep, &p);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(db, "policy");
}

long long repdb_collect(repdb_t *db, const char *domain, time_t begin,
    time_t end, agg_report_t *rep)
{
	sqlite3_stmt *st = db->collect;
	const char *f[AGG_NFIELDS];
	long long rows = 0, n;
	int rc, i;

	if (repdb_policy(db, domain, begin, end, rep) < 0)
		return -1;
	bind_range(db, st, domain, begin, end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < AGG_NFIELDS; i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			f[i] = t ? (const char *)t : "";
		}
		n = sqlite3_column_int64(st, AGG_NFIELDS);
		agg_add(rep, f, (unsigned long long)n);
		rows += n;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? rows : fail(db, "collect");
}

int repdb_mark(repdb_t *db, const char *domain, time_t begin, time_t end,
    const char *report_id, long long *n)
{
	sqlite3_stmt *st = db->mark;

	*n = 0;
	if (st == NULL) {
		str_copy(db->err, sizeof(db->err), "database opened read-only");
		return -1;
	}
	if (repdb_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	bind_range(db, st, domain, begin, end);
	sqlite3_bind_text(st, 5, report_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fail(db, "mark reported");
		sqlite3_reset(st);
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	*n = sqlite3_changes(db->db);
	sqlite3_reset(st);
	return repdb_exec(db, "COMMIT");
}

/* ---- bookkeeping ---------------------------------------------------- */

static const char *const dest_state_names[] = {
	"pending", "sent", "skipped", "failed"
};

const char *dest_state_name(dest_state_t s)
{
	return (unsigned)s < 4 ? dest_state_names[s] : "pending";
}

static dest_state_t dest_state_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, dest_state_names[i]) == 0)
			return (dest_state_t)i;
	return DEST_PENDING;
}

int repdb_report_find(repdb_t *db, const char *domain, time_t begin,
    time_t end, char *id, size_t idlen)
{
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	if (sqlite3_prepare_v2(db->db, "SELECT report_id FROM report_log"
	    " WHERE policy_domain = ?1 AND begin = ?2 AND end = ?3 AND"
	    " state <> 'done' ORDER BY created LIMIT 1", -1, &st, NULL))
		return fail(db, "prepare");
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)end);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_copy(st, 0, id, idlen);
		found = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, "find report");
	return found;
}

static int step_once(repdb_t *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(db, what);
}

int repdb_report_start(repdb_t *db, const char *id, const char *domain,
    time_t begin, time_t end, unsigned long long messages,
    const char *const *uris, size_t nuris)
{
	sqlite3_stmt *log = NULL, *dest = NULL;
	int rc = -1;
	size_t i;

	if (repdb_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (sqlite3_prepare_v2(db->db, "INSERT INTO report_log (report_id,"
	    " policy_domain, begin, end, created, state, messages) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, 'pending', ?6)", -1, &log, NULL) ||
	    sqlite3_prepare_v2(db->db, "INSERT OR IGNORE INTO report_dest"
	    " (report_id, uri, state) VALUES (?1, ?2, 'pending')", -1, &dest,
	    NULL)) {
		fail(db, "prepare");
		goto out;
	}
	sqlite3_bind_text(log, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(log, 2, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(log, 3, (sqlite3_int64)begin);
	sqlite3_bind_int64(log, 4, (sqlite3_int64)end);
	sqlite3_bind_int64(log, 5, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(log, 6, (sqlite3_int64)messages);
	if (step_once(db, log, "insert report") < 0)
		goto out;
	for (i = 0; i < nuris; i++) {
		sqlite3_bind_text(dest, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(dest, 2, uris[i], -1, SQLITE_TRANSIENT);
		if (step_once(db, dest, "insert destination") < 0)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(log);
	sqlite3_finalize(dest);
	if (rc == 0)
		return repdb_exec(db, "COMMIT");
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int repdb_dest_get(repdb_t *db, const char *id, const char *uri,
    repdb_dest_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(db->db, "SELECT state, attempts, detail,"
	    " coalesce(last_attempt, 0) FROM"
	    " report_dest WHERE report_id = ?1 AND uri = ?2", -1, &st, NULL))
		return fail(db, "prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, uri, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out->state = dest_state_parse(
		    (const char *)sqlite3_column_text(st, 0));
		out->attempts = (unsigned)sqlite3_column_int(st, 1);
		col_copy(st, 2, out->detail, sizeof(out->detail));
		out->last_attempt = (time_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    fail(db, "read destination");
}

int repdb_dest_set(repdb_t *db, const char *id, const char *uri,
    const repdb_dest_t *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO report_dest"
	    " (report_id, uri, state, attempts, last_attempt, detail) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL))
		return fail(db, "prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, uri, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, dest_state_name(s->state), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, (int)s->attempts);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 6, s->detail, -1, SQLITE_TRANSIENT);
	rc = step_once(db, st, "write destination");
	sqlite3_finalize(st);
	return rc;
}

int repdb_report_done(repdb_t *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->db, "UPDATE report_log SET state = 'done'"
	    " WHERE report_id = ?1", -1, &st, NULL))
		return fail(db, "prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = step_once(db, st, "close report");
	sqlite3_finalize(st);
	return rc;
}

long long repdb_expire(repdb_t *db, time_t before)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (repdb_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (sqlite3_prepare_v2(db->db, "DELETE FROM messages WHERE time < ?1"
	    " AND (reported IS NOT NULL OR policy_found = 0 OR is_report = 1"
	    " OR policy_domain = '' OR action = 'tempfail')", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)before);
		if (sqlite3_step(st) == SQLITE_DONE)
			n = sqlite3_changes(db->db);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n >= 0 && sqlite3_prepare_v2(db->db, "DELETE FROM report_log"
	    " WHERE end < ?1 AND state = 'done'", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)before);
		if (sqlite3_step(st) != SQLITE_DONE)
			n = -1;
	}
	sqlite3_finalize(st);
	if (n < 0) {
		fail(db, "expire");
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return repdb_exec(db, "COMMIT") < 0 ? -1 : n;
}

/* ---- the one-pass path (run.c) ------------------------------------- */

long long repdb_count(repdb_t *db, time_t begin, time_t end)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM messages"
	    " INDEXED BY messages_time WHERE time >= ?1 AND time < ?2", -1, &st,
	    NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)end);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n < 0 ? fail(db, "count") : n;
}

long long repdb_scan(repdb_t *db, time_t begin, time_t end,
    repdb_scan_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	const char *f[AGG_NFIELDS];
	long long rows = 0;
	int rc, i;

	if (sqlite3_prepare_v2(db->db, sql_scan, -1, &st, NULL) != SQLITE_OK)
		return fail(db, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)end);
	sqlite3_bind_int64(st, 3, db->snapshot);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *dom = sqlite3_column_text(st, 0);

		for (i = 0; i < AGG_NFIELDS; i++) {
			const unsigned char *t = sqlite3_column_text(st, i + 1);

			f[i] = t ? (const char *)t : "";
		}
		if (fn(ctx, dom ? (const char *)dom : "", f) < 0) {
			rc = SQLITE_ABORT;
			break;
		}
		rows++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ABORT) {
		str_copy(db->err, sizeof(db->err), "scan stopped");
		return -1;
	}
	return rc == SQLITE_DONE ? rows : fail(db, "scan");
}

int repdb_mark_later(repdb_t *db, const char *domain, const char *report_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_exec(db->db, "CREATE TEMP TABLE IF NOT EXISTS done_marks"
	    " (domain TEXT PRIMARY KEY, report_id TEXT NOT NULL)", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO temp.done_marks"
	    " VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return fail(db, "mark later");
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, report_id, -1, SQLITE_TRANSIENT);
	rc = step_once(db, st, "mark later");
	sqlite3_finalize(st);
	return rc;
}

/* One window of the period in one transaction. */
static int mark_window(repdb_t *db, sqlite3_stmt *st, time_t from,
    time_t to, long long *n)
{
	if (repdb_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)to);
	sqlite3_bind_int64(st, 3, db->snapshot);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fail(db, "mark reported");
		sqlite3_reset(st);
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	*n += sqlite3_changes(db->db);
	sqlite3_reset(st);
	return repdb_exec(db, "COMMIT");
}

/* Marking is idempotent, so the period is marked a window at a time:
 * the write lock is never held for long (the milter keeps writing). */
int repdb_mark_flush(repdb_t *db, time_t begin, time_t end, long long *n)
{
	sqlite3_stmt *st = NULL;
	time_t w;
	int rc = 0;

	*n = 0;
	if (sqlite3_exec(db->db, "CREATE TEMP TABLE IF NOT EXISTS done_marks"
	    " (domain TEXT PRIMARY KEY, report_id TEXT NOT NULL)", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db, sql_mark_all, -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(db, "mark");
	for (w = begin; w < end && rc == 0; w += REPDB_MARK_WINDOW)
		rc = mark_window(db, st, w, end - w > REPDB_MARK_WINDOW ?
		    w + REPDB_MARK_WINDOW : end, n);
	sqlite3_finalize(st);
	if (rc == 0 && sqlite3_exec(db->db, "DELETE FROM temp.done_marks",
	    NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, "mark");
	return rc;
}

int repdb_report_complete(repdb_t *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->db, "UPDATE report_log SET state ="
	    " 'complete' WHERE report_id = ?1 AND state = 'pending'", -1, &st,
	    NULL))
		return fail(db, "prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = step_once(db, st, "complete report");
	sqlite3_finalize(st);
	return rc;
}

int repdb_reports_done(repdb_t *db, time_t begin, time_t end)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->db, "UPDATE report_log SET state = 'done'"
	    " WHERE state = 'complete' AND begin = ?1 AND end = ?2", -1, &st,
	    NULL))
		return fail(db, "prepare");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)begin);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)end);
	rc = step_once(db, st, "close reports");
	sqlite3_finalize(st);
	return rc;
}

int repdb_report_known(repdb_t *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM report_log WHERE"
	    " report_id = ?1", -1, &st, NULL))
		return fail(db, "prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(db, "find report");
	return rc == SQLITE_ROW;
}
