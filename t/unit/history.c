/* Unit tests for history/history: rows reach SQLite from several threads,
 * every column is stored as documented in history/schema.h, and mail
 * keeps flowing (bounded buffer, retries) when the database is locked,
 * missing or deleted. */
#include "../../history/history.h"
#include "../../history/schema.h"
#include "../../util/log.h"
#include "../../util/strbuf.h"
#include "../tap.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[256];

static void path_in(char *buf, size_t size, const char *name)
{
	str_format(buf, size, "%s/%s", tmpdir, name);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static history_stats_t stats_of(history_t *h)
{
	history_stats_t st;

	history_stats(h, &st);
	return st;
}

/* Poll until `written` reaches want or timeout_ms passes. */
static uint64_t wait_written(history_t *h, uint64_t want, long timeout_ms)
{
	long waited;

	for (waited = 0; waited < timeout_ms; waited += 20) {
		if (stats_of(h).written >= want)
			break;
		sleep_ms(20);
	}
	return stats_of(h).written;
}

static void make_row(history_row_t *r, int t, int i)
{
	memset(r, 0, sizeof(*r));
	r->when = 1700000000 + t * 1000 + i;
	str_format(r->qid, sizeof(r->qid), "Q-%d-%d", t, i);
	str_format(r->client_ip, sizeof(r->client_ip), "192.0.2.%d", t + 1);
	str_copy(r->helo, sizeof(r->helo), "mx.example.net");
	str_copy(r->envelope_from, sizeof(r->envelope_from),
	    "bounce.example.org");
	r->nrcpt_domains = 2;
	str_copy(r->rcpt_domain[0], FROM_DOMAIN_MAX, "example.com");
	str_copy(r->rcpt_domain[1], FROM_DOMAIN_MAX, "example.net");
	str_copy(r->header_from, sizeof(r->header_from), "news.example.org");
	str_copy(r->policy_domain, sizeof(r->policy_domain), "example.org");
	str_copy(r->org_domain, sizeof(r->org_domain), "example.org");
	r->discovery = t % 2 ? DISCOVERY_PSL : DISCOVERY_TREEWALK;
	r->policy_found = true;
	r->rec.p = DMARC_POLICY_QUARANTINE;
	r->rec.sp = DMARC_POLICY_REJECT;
	r->rec.np = DMARC_POLICY_NONE;
	r->rec.adkim = DMARC_ALIGN_STRICT;
	r->rec.aspf = DMARC_ALIGN_RELAXED;
	r->rec.pct = 50;
	r->rec.testing = true;
	r->rec.psd = 'n';
	str_copy(r->rec.fo, sizeof(r->rec.fo), "1:d");
	r->result = DMARC_RESULT_FAIL;
	r->requested = DMARC_POLICY_QUARANTINE;
	r->evaluated = DMARC_POLICY_REJECT;
	r->applied = DMARC_POLICY_NONE;
	r->sampled_out = true;
	str_copy(r->action, sizeof(r->action), i % 2 ? "tempfail" : "accept");
	if (i % 2)
		str_copy(r->smtp_reply, sizeof(r->smtp_reply), "451 4.7.5");
	r->noverrides = 2;
	r->overrides[0].reason = OVERRIDE_SAMPLED_OUT;
	str_copy(r->overrides[0].comment, OVERRIDE_COMMENT_MAX, "pct=50");
	r->overrides[1].reason = OVERRIDE_POLICY_TEST_MODE;
	r->spf_result = AUTH_SOFTFAIL;
	r->spf_scope = SPF_SCOPE_HELO;
	str_copy(r->spf_domain, sizeof(r->spf_domain), "mx.example.net");
	r->ndkim = 2;
	str_copy(r->dkim[0].domain, FROM_DOMAIN_MAX, "example.org");
	str_copy(r->dkim[0].selector, SELECTOR_MAX, "sel1");
	r->dkim[0].result = i % 2 ? AUTH_FAIL : AUTH_PASS;
	r->dkim[0].aligned = true;
	str_copy(r->dkim[1].domain, FROM_DOMAIN_MAX, "esp.example");
	str_copy(r->dkim[1].selector, SELECTOR_MAX, "s2");
	r->dkim[1].result = AUTH_TEMPERROR;
	str_copy(r->dkim[1].human_result, sizeof(r->dkim[1].human_result),
	    "key query timed out");
}

/* One row of a query, columns joined by '|', NULL as "NULL". */
static const char *query_text(const char *path, const char *sql)
{
	static char out[4096];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	strbuf_t sb;

	strbuf_init(&sb, sizeof(out) - 1);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const char *v;

			v = (const char *)sqlite3_column_text(st, i);

			strbuf_appendf(&sb, "%s%s", i ? "|" : "",
			    v ? v : "NULL");
		}
	} else {
		strbuf_appendf(&sb, "ERROR %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	str_copy(out, sizeof(out), strbuf_str(&sb));
	strbuf_free(&sb);
	return out;
}

static long long query_int(const char *path, const char *sql)
{
	return atoll(query_text(path, sql));
}

struct submitter {
	history_t *h;
	int t, n;
};

static void *submit_thread(void *arg)
{
	struct submitter *s = arg;
	history_row_t *row = malloc(sizeof(*row));

	for (int i = 0; i < s->n; i++) {
		make_row(row, s->t, i);
		history_submit(s->h, row);
	}
	free(row);
	return NULL;
}

static void test_threads(void)
{
	char path[512], err[256] = "";
	struct submitter s[4];
	pthread_t th[4];
	history_t *h;

	path_in(path, sizeof(path), "threads.db");
	h = history_open(path, 2000, err, sizeof(err));
	ok(h != NULL, "open a new database (%s)", err);
	if (h == NULL)
		return;
	for (int t = 0; t < 4; t++) {
		s[t] = (struct submitter){ h, t, 250 };
		pthread_create(&th[t], NULL, submit_thread, &s[t]);
	}
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	is_int(wait_written(h, 1000, 5000), 1000, "1000 rows from 4 threads "
	    "written before close");
	is_int(stats_of(h).buffered, 0, "nothing left buffered");
	is_int(stats_of(h).dropped, 0, "nothing dropped");
	history_close(h);

	is_int(query_int(path, "SELECT count(*) FROM messages"), 1000,
	    "1000 message rows");
	is_int(query_int(path, "SELECT count(DISTINCT qid) FROM messages"),
	    1000, "every row once");
	is_int(query_int(path, "SELECT count(*) FROM message_dkim"), 2000,
	    "2000 dkim rows");
	is_int(query_int(path, "SELECT count(*) FROM message_rcpt"), 2000,
	    "2000 recipient domain rows");
	is_int(query_int(path, "SELECT count(*) FROM message_override"), 2000,
	    "2000 override rows");
	is_int(query_int(path, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION,
	    "user_version set");
	is_str(query_text(path, "SELECT value FROM meta WHERE "
	    "key='schema_version'"), "4", "meta schema_version");
	is_int(HISTORY_SCHEMA_VERSION, 4, "schema version 4");
	ok(query_int(path, "SELECT value FROM meta WHERE key='created'") >
	    1600000000, "meta created time");
	is_str(query_text(path, "PRAGMA journal_mode"), "wal", "WAL mode");
	is_str(query_text(path, "SELECT time, qid, source_ip, helo, "
	    "envelope_from, header_from, policy_domain, org_domain, discovery, "
	    "policy_found, policy_p, policy_sp, policy_np, policy_adkim, "
	    "policy_aspf, policy_pct, policy_testing, policy_fo, policy_psd, "
	    "result, disposition_requested, disposition_evaluated, "
	    "disposition_applied, np_applied, sampled_out, spf_domain, "
	    "spf_scope, spf_result, spf_aligned, dkim_aligned, arc_result, "
	    "arc_sealers, reported, action, smtp_reply FROM messages WHERE "
	    "qid = 'Q-3-17'"),
	    "1700003017|Q-3-17|192.0.2.4|mx.example.net|bounce.example.org|"
	    "news.example.org|example.org|example.org|psl|1|quarantine|reject|"
	    "none|s|r|50|y|1:d|n|fail|quarantine|reject|none|0|1|"
	    "mx.example.net|helo|softfail|0|0|||NULL|tempfail|451 4.7.5",
	    "every column of a sample row (odd: dkim fail)");
	is_str(query_text(path, "SELECT discovery, dkim_aligned FROM messages "
	    "WHERE qid = 'Q-2-18'"), "treewalk|1",
	    "even row: aligned dkim pass, treewalk");
	is_str(query_text(path, "SELECT group_concat(seq || ',' || domain || "
	    "',' || selector || ',' || result || ',' || aligned || ',' || "
	    "human_result, ';') FROM (SELECT d.* FROM message_dkim d JOIN "
	    "messages m ON m.id = d.message_id WHERE m.qid = 'Q-3-17' "
	    "ORDER BY seq)"),
	    "0,example.org,sel1,fail,1,;1,esp.example,s2,temperror,0,"
	    "key query timed out", "dkim children of the sample row");
	is_str(query_text(path, "SELECT group_concat(seq || ',' || reason || "
	    "',' || comment, ';') FROM (SELECT o.* FROM message_override o "
	    "JOIN messages m ON m.id = o.message_id WHERE m.qid = 'Q-3-17' "
	    "ORDER BY seq)"),
	    "0,sampled_out,pct=50;1,policy_test_mode,",
	    "override children of the sample row");
	is_str(query_text(path, "SELECT group_concat(domain, ',') FROM "
	    "(SELECT r.* FROM message_rcpt r JOIN messages m ON "
	    "m.id = r.message_id WHERE m.qid = 'Q-3-17' ORDER BY seq)"),
	    "example.com,example.net", "recipient domains of the sample row");
	is_str(query_text(path, "SELECT max(qid) FROM messages WHERE qid "
	    "LIKE 'Q-0-%' AND id > (SELECT id FROM messages WHERE "
	    "qid = 'Q-0-249')"), "NULL", "one thread's rows kept in order");

	h = history_open(path, 10, err, sizeof(err));
	ok(h != NULL, "reopen an existing database of our version");
	history_close(h);
}

static void make_db(const char *path, const char *sql)
{
	sqlite3 *db;

	sqlite3_open(path, &db);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

static void test_refused(void)
{
	char path[512], err[256];
	FILE *fp;
	history_t *h;

	err[0] = '\0';
	ok(history_open("", 10, err, sizeof(err)) == NULL && err[0],
	    "empty path refused: %s", err);
	ok(history_open(NULL, 10, err, sizeof(err)) == NULL, "NULL path");

	path_in(path, sizeof(path), "v99.db");
	make_db(path, "CREATE TABLE x (a); PRAGMA user_version = 99;");
	err[0] = '\0';
	h = history_open(path, 10, err, sizeof(err));
	ok(h == NULL && strstr(err, "99") != NULL,
	    "schema version 99 refused: %s", err);
	history_close(h);

	path_in(path, sizeof(path), "foreign.db");
	make_db(path, "CREATE TABLE messages (a, b);");
	err[0] = '\0';
	h = history_open(path, 10, err, sizeof(err));
	ok(h == NULL && err[0], "foreign database refused: %s", err);
	history_close(h);
	is_str(query_text(path, "SELECT count(*) FROM sqlite_master"), "1",
	    "foreign database untouched");

	path_in(path, sizeof(path), "garbage.db");
	fp = fopen(path, "w");
	for (int i = 0; fp && i < 100; i++)
		fputs("this is not an SQLite database at all\n", fp);
	if (fp)
		fclose(fp);
	err[0] = '\0';
	h = history_open(path, 10, err, sizeof(err));
	ok(h == NULL && err[0], "non-database file refused: %s", err);
	history_close(h);
}

/* A second connection holds the write lock: rows wait, the buffer bound
 * drops and counts the excess, and the rows arrive after release. */
static void test_locked(void)
{
	char path[512], err[256] = "";
	history_row_t *row = malloc(sizeof(*row));
	sqlite3 *locker;
	history_t *h;

	path_in(path, sizeof(path), "locked.db");
	h = history_open(path, 10, err, sizeof(err));
	ok(h != NULL, "open (%s)", err);
	sqlite3_open(path, &locker);
	is_int(sqlite3_exec(locker, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
	    SQLITE_OK, "second connection holds an exclusive lock");
	for (int i = 0; i < 15; i++) {
		make_row(row, 5, i);
		history_submit(h, row);
	}
	/* Wait past the 2 s busy timeout: the writer gives up once. */
	for (int waited = 0; waited < 8000 && stats_of(h).errors == 0;
	    waited += 50)
		sleep_ms(50);
	is_int(stats_of(h).written, 0, "nothing written while locked");
	is_int(stats_of(h).buffered, 10, "10 rows buffered (the limit)");
	is_int(stats_of(h).dropped, 5, "5 rows dropped and counted");
	ok(stats_of(h).errors >= 1, "write errors counted (%llu)",
	    (unsigned long long)stats_of(h).errors);
	sqlite3_exec(locker, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(locker);
	is_int(wait_written(h, 10, 4000), 10, "buffered rows written after "
	    "the lock is released");
	is_int(stats_of(h).buffered, 0, "buffer empty again");
	history_close(h);
	is_str(query_text(path, "SELECT count(*), min(qid), max(qid) FROM "
	    "messages"), "10|Q-5-0|Q-5-9", "the first 10 rows kept, in order");
	free(row);
}

/* The database's directory does not exist yet: open succeeds, rows wait,
 * and arrive once the directory appears. */
static void test_missing_dir(void)
{
	char dir[512], path[600], err[256] = "";
	history_row_t *row = malloc(sizeof(*row));
	history_t *h;

	path_in(dir, sizeof(dir), "later");
	str_format(path, sizeof(path), "%s/h.db", dir);
	h = history_open(path, 100, err, sizeof(err));
	ok(h != NULL, "open with a missing directory is not fatal");
	for (int i = 0; i < 3; i++) {
		make_row(row, 6, i);
		history_submit(h, row);
	}
	sleep_ms(300);
	is_int(stats_of(h).written, 0, "nothing written yet");
	is_int(stats_of(h).buffered, 3, "rows buffered");
	ok(stats_of(h).errors >= 1, "open errors counted");
	mkdir(dir, 0700);
	is_int(wait_written(h, 3, 4000), 3, "rows written once the directory "
	    "exists");
	history_close(h);
	is_int(query_int(path, "SELECT count(*) FROM messages"), 3,
	    "3 rows in the new database");
	free(row);
}

/* The file is deleted under the running writer: new rows reach a new
 * file at the same path. */
static void test_deleted(void)
{
	char path[512], err[256] = "";
	history_row_t *row = malloc(sizeof(*row));
	history_t *h;

	path_in(path, sizeof(path), "deleted.db");
	h = history_open(path, 100, err, sizeof(err));
	for (int i = 0; i < 5; i++) {
		make_row(row, 7, i);
		history_submit(h, row);
	}
	is_int(wait_written(h, 5, 3000), 5, "5 rows in the first file");
	ok(unlink(path) == 0, "database deleted under the writer");
	for (int i = 5; i < 12; i++) {
		make_row(row, 7, i);
		history_submit(h, row);
	}
	is_int(wait_written(h, 12, 4000), 12, "7 more rows written");
	history_close(h);
	is_str(query_text(path, "SELECT count(*), min(qid), max(qid) FROM "
	    "messages"), "7|Q-7-10|Q-7-9", "they are in the new file");
	is_int(query_int(path, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION,
	    "the new file has the schema");
	free(row);
}

/* A version 2 database (no action/smtp_reply columns) is upgraded in
 * place: old rows get '', new rows say what the MTA was told. */
static void test_upgrade_v2(void)
{
	char path[512], err[256] = "";
	history_row_t *row = malloc(sizeof(*row));
	history_t *h;

	path_in(path, sizeof(path), "v2.db");
	h = history_open(path, 100, err, sizeof(err));
	make_row(row, 11, 0);
	history_submit(h, row);
	is_int(wait_written(h, 1, 3000), 1, "v2: first row");
	history_close(h);
	make_db(path, "ALTER TABLE messages DROP COLUMN action;"
	    " ALTER TABLE messages DROP COLUMN smtp_reply;"
	    " ALTER TABLE messages DROP COLUMN row_uid;"
	    " ALTER TABLE messages DROP COLUMN host;"
	    " UPDATE meta SET value = '2' WHERE key = 'schema_version';"
	    " PRAGMA user_version = 2;");
	is_int(query_int(path, "PRAGMA user_version"), 2, "made version 2");
	h = history_open(path, 100, err, sizeof(err));
	ok(h != NULL, "version 2 opened: %s", err);
	make_row(row, 11, 1);
	history_submit(h, row);
	is_int(wait_written(h, 1, 3000), 1, "v2: row after the upgrade");
	history_close(h);
	is_int(query_int(path, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION,
	    "upgraded to the current version");
	is_str(query_text(path, "SELECT group_concat(qid || '=' || action ||"
	    " '/' || smtp_reply, ',') FROM messages"),
	    "Q-11-0=/,Q-11-1=tempfail/451 4.7.5",
	    "old row '', new row with action and reply");
	free(row);
}

/* Rows the database refuses (here: triggers) are dropped one by one; the
 * rest of their batch is written, and no half row stays behind. */
static void test_poison(void)
{
	char path[512], err[256] = "";
	history_row_t *row = malloc(sizeof(*row));
	history_t *h;

	path_in(path, sizeof(path), "poison.db");
	h = history_open(path, 100, err, sizeof(err));
	make_db(path, "CREATE TRIGGER poison BEFORE INSERT ON messages "
	    "WHEN NEW.qid = 'POISON' BEGIN SELECT RAISE(ABORT, 'poisoned'); "
	    "END; CREATE TRIGGER poison2 BEFORE INSERT ON message_dkim "
	    "WHEN NEW.selector = 'bad' BEGIN SELECT RAISE(ABORT, 'bad'); END;");
	for (int i = 0; i < 8; i++) {
		make_row(row, 10, i);
		if (i == 3)
			str_copy(row->qid, sizeof(row->qid), "POISON");
		if (i == 5)
			str_copy(row->dkim[1].selector, SELECTOR_MAX, "bad");
		history_submit(h, row);
	}
	is_int(wait_written(h, 6, 3000), 6, "6 good rows written");
	is_int(stats_of(h).dropped, 2, "2 refused rows dropped and counted");
	is_int(stats_of(h).buffered, 0, "refused rows do not block the queue");
	history_close(h);
	is_str(query_text(path, "SELECT count(*), group_concat(qid) FROM "
	    "(SELECT qid FROM messages ORDER BY id)"),
	    "6|Q-10-0,Q-10-1,Q-10-2,Q-10-4,Q-10-6,Q-10-7",
	    "refused rows left out entirely, the others in order");
	is_int(query_int(path, "SELECT count(*) FROM message_dkim WHERE "
	    "message_id NOT IN (SELECT id FROM messages)"), 0,
	    "no orphan children");
	free(row);
}

static void hostile_row(history_row_t *r)
{
	make_row(r, 8, 999);
	memset(r->qid, 'A', sizeof(r->qid));            /* no NUL */
	str_copy(r->header_from, sizeof(r->header_from),
	    "x'); DROP TABLE messages; --");
	r->nrcpt_domains = 1000;
	r->noverrides = 1000;
	r->ndkim = 1000;
	for (int i = 0; i < EVAL_MAX_DKIM; i++)
		str_format(r->dkim[i].domain, FROM_DOMAIN_MAX, "d%d.example",
		    i);
	r->rec.psd = '\n';
	r->rec.pct = 5000;
}

static void test_close_flushes(void)
{
	char path[512], err[256] = "", want[64];
	history_row_t *row = malloc(sizeof(*row));
	history_t *h;

	path_in(path, sizeof(path), "flush.db");
	h = history_open(path, 1000, err, sizeof(err));
	for (int i = 0; i < 50; i++) {
		make_row(row, 9, i);
		history_submit(h, row);
	}
	make_row(row, 9, 50);
	row->policy_found = false;
	row->policy_domain[0] = '\0';
	row->requested = row->evaluated = row->applied = DMARC_POLICY_UNSPEC;
	row->result = DMARC_RESULT_NONE;
	history_submit(h, row);
	hostile_row(row);
	history_submit(h, row);
	history_close(h);
	is_int(query_int(path, "SELECT count(*) FROM messages"), 52,
	    "history_close flushed every row");
	is_str(query_text(path, "SELECT policy_domain, policy_found, "
	    "policy_p, policy_sp, policy_np, policy_adkim, policy_aspf, "
	    "policy_pct, policy_testing, policy_fo, policy_psd, result, "
	    "disposition_requested, disposition_evaluated, "
	    "disposition_applied FROM messages WHERE qid = 'Q-9-50'"),
	    "|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|none|NULL|NULL|"
	    "NULL", "no policy: policy columns NULL");
	memset(want, 'A', HISTORY_QID_MAX);
	want[HISTORY_QID_MAX] = '\0';
	is_str(query_text(path, "SELECT qid FROM messages WHERE header_from "
	    "LIKE 'x''); DROP%'"), want,
	    "unterminated field stored bounded; quotes stored verbatim");
	is_str(query_text(path, "SELECT policy_psd, policy_pct FROM messages "
	    "WHERE qid LIKE 'AAAA%'"), "u|100", "bad psd and pct clamped");
	is_str(query_text(path, "SELECT (SELECT count(*) FROM message_dkim d "
	    "WHERE d.message_id = m.id), (SELECT count(*) FROM message_rcpt r "
	    "WHERE r.message_id = m.id), (SELECT count(*) FROM "
	    "message_override o WHERE o.message_id = m.id), (SELECT domain "
	    "FROM message_dkim d WHERE d.message_id = m.id AND seq = 31) FROM "
	    "messages m WHERE qid LIKE 'AAAA%'"),
	    "32|8|4|d31.example", "counts from the row clamped to the arrays");
	free(row);
}

int main(void)
{
	char tmpl[] = "/tmp/history-test.XXXXXX";
	char cmd[600];

	if (mkdtemp(tmpl) == NULL)
		return 1;
	str_copy(tmpdir, sizeof(tmpdir), tmpl);
	log_open("history-test", false, "mail", true);

	test_threads();
	test_refused();
	test_locked();
	test_missing_dir();
	test_deleted();
	test_upgrade_v2();
	test_poison();
	test_close_flushes();
	history_close(NULL);

	if (tap_failed == 0) {
		str_format(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	} else {
		diag("files kept in %s", tmpdir);
	}
	return tap_done();
}
