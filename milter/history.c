/*
 * history - the verdict history in SQLite, written by one thread.
 * See history.h for the contract and history_schema.h for the tables.
 *
 * Design.  history_submit() turns the (large, fixed-size) history_row_t
 * into a compact heap item (scalars plus one block of strings, only the
 * DKIM entries used) and appends it to a FIFO under a mutex; the milter
 * thread never touches SQLite.  The writer thread takes up to
 * HISTORY_BATCH items per transaction.  A failed batch goes back to the
 * head of the FIFO, so order is kept and nothing is lost until the FIFO
 * holds max_buffered items (those in flight count too); past that,
 * history_submit() drops and counts.  After a failure the writer waits
 * HISTORY_RETRY_MS before trying again, whatever arrives meanwhile.
 * Except for SQLITE_BUSY/LOCKED (someone else holds the lock) the
 * connection is closed on error and reopened on the next try, so a file
 * that was deleted, replaced or whose directory reappeared is picked up.
 * Before each batch, and about once a second when idle, the writer
 * compares the path's device and inode with those of the open file and
 * reopens when they differ (the database was deleted or replaced under
 * the running daemon).
 */
#include "history.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "../policy/strbuf.h"
#include "history_schema.h"
#include "log.h"

#define HISTORY_BATCH 200
#define HISTORY_RETRY_MS 1000
#define HISTORY_CLOSE_RETRY_MS 100
#define HISTORY_CLOSE_WAIT_S 3        /* history_close keeps trying */
#define HISTORY_BUSY_TIMEOUT_MS 2000
#define HISTORY_ERR_INTERVAL 60
#define HISTORY_ITEM_STR_MAX 65536    /* far above the sum of all fields */

enum hist_str {
	HS_QID, HS_IP, HS_HELO, HS_ENVFROM, HS_HFROM, HS_PDOM, HS_ORG,
	HS_SPFDOM, HS_FO, HS_ARC, HS_ARCSEAL, HS_COUNT
};

typedef struct hist_dkim {
	size_t domain, selector, human;  /* offsets into strs */
	auth_result_t result;
	bool aligned;
} hist_dkim_t;

typedef struct hist_item {
	struct hist_item *next;
	time_t when;
	discovery_method_t discovery;
	bool policy_found, testing, np_applied, sampled_out, spf_aligned;
	dmarc_policy_t p, sp, np, requested, evaluated, applied;
	dmarc_align_t adkim, aspf;
	unsigned pct;
	char psd;
	dmarc_result_t result;
	auth_result_t spf_result;
	spf_scope_t spf_scope;
	size_t str[HS_COUNT];
	size_t nrcpt, rcpt[HISTORY_MAX_RCPT_DOMAINS];
	size_t nover, comment[EVAL_MAX_OVERRIDES];
	override_reason_t reason[EVAL_MAX_OVERRIDES];
	char *strs;
	size_t ndkim;
	hist_dkim_t dkim[];
} hist_item_t;

struct history {
	char *path;
	size_t max_buffered;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* Under lock. */
	hist_item_t *head, *tail;
	size_t nqueued;                 /* in the FIFO plus in flight */
	bool stopping;
	struct timespec stop_deadline;
	uint64_t written, dropped, errors;
	time_t last_drop_log;
	/* Writer thread only (history_open before the thread starts). */
	sqlite3 *db;
	sqlite3_stmt *ins_msg, *ins_rcpt, *ins_dkim, *ins_over;
	dev_t dev;
	ino_t ino;
	time_t last_err_log, last_check;
	bool failing;
};

static const char history_insert_msg[] =
	"INSERT INTO messages (time, qid, source_ip, helo, envelope_from,"
	" header_from, policy_domain, org_domain, discovery, policy_found,"
	" policy_p, policy_sp, policy_np, policy_adkim, policy_aspf,"
	" policy_pct, policy_testing, policy_fo, policy_psd, result,"
	" disposition_requested, disposition_evaluated, disposition_applied,"
	" np_applied, sampled_out, spf_domain, spf_scope, spf_result,"
	" spf_aligned, dkim_aligned, arc_result, arc_sealers) VALUES"
	" (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char history_insert_rcpt[] =
	"INSERT INTO message_rcpt (message_id, seq, domain) VALUES (?,?,?)";
static const char history_insert_dkim[] =
	"INSERT INTO message_dkim (message_id, seq, domain, selector, result,"
	" aligned, human_result) VALUES (?,?,?,?,?,?,?)";
static const char history_insert_over[] =
	"INSERT INTO message_override (message_id, seq, reason, comment)"
	" VALUES (?,?,?,?)";

/* ---- items ---------------------------------------------------------- */

static size_t item_str(strbuf_t *sb, const char *s, size_t max)
{
	size_t off = sb->len;

	strbuf_append(sb, s, strnlen(s, max));
	strbuf_putc(sb, '\0');
	return off;
}

#define ITEM_STR(sb, field) item_str((sb), (field), sizeof(field))

static void item_copy_policy(hist_item_t *it, const history_row_t *row)
{
	it->policy_found = row->policy_found;
	it->p = row->rec.p;
	it->sp = row->rec.sp;
	it->np = row->rec.np;
	it->adkim = row->rec.adkim;
	it->aspf = row->rec.aspf;
	it->pct = row->rec.pct > 100 ? 100 : row->rec.pct;
	it->testing = row->rec.testing;
	it->psd = row->rec.psd;
	it->discovery = row->discovery;
	it->result = row->result;
	it->requested = row->requested;
	it->evaluated = row->evaluated;
	it->applied = row->applied;
	it->np_applied = row->np_applied;
	it->sampled_out = row->sampled_out;
	it->spf_result = row->spf_result;
	it->spf_scope = row->spf_scope;
	it->spf_aligned = row->spf_aligned;
}

static void item_copy_lists(hist_item_t *it, strbuf_t *sb,
    const history_row_t *row)
{
	size_t i;

	it->nrcpt = row->nrcpt_domains;
	if (it->nrcpt > HISTORY_MAX_RCPT_DOMAINS)
		it->nrcpt = HISTORY_MAX_RCPT_DOMAINS;
	for (i = 0; i < it->nrcpt; i++)
		it->rcpt[i] = ITEM_STR(sb, row->rcpt_domain[i]);
	it->nover = row->noverrides;
	if (it->nover > EVAL_MAX_OVERRIDES)
		it->nover = EVAL_MAX_OVERRIDES;
	for (i = 0; i < it->nover; i++) {
		it->reason[i] = row->overrides[i].reason;
		it->comment[i] = ITEM_STR(sb, row->overrides[i].comment);
	}
	for (i = 0; i < it->ndkim; i++) {
		it->dkim[i].domain = ITEM_STR(sb, row->dkim[i].domain);
		it->dkim[i].selector = ITEM_STR(sb, row->dkim[i].selector);
		it->dkim[i].human = ITEM_STR(sb, row->dkim[i].human_result);
		it->dkim[i].result = row->dkim[i].result;
		it->dkim[i].aligned = row->dkim[i].aligned;
	}
}

static hist_item_t *item_from_row(const history_row_t *row)
{
	size_t ndkim = row->ndkim > EVAL_MAX_DKIM ? EVAL_MAX_DKIM : row->ndkim;
	hist_item_t *it;
	strbuf_t sb;

	it = calloc(1, sizeof(*it) + ndkim * sizeof(hist_dkim_t));
	if (it == NULL)
		return NULL;
	it->ndkim = ndkim;
	it->when = row->when;
	item_copy_policy(it, row);
	strbuf_init(&sb, HISTORY_ITEM_STR_MAX);
	it->str[HS_QID] = ITEM_STR(&sb, row->qid);
	it->str[HS_IP] = ITEM_STR(&sb, row->client_ip);
	it->str[HS_HELO] = ITEM_STR(&sb, row->helo);
	it->str[HS_ENVFROM] = ITEM_STR(&sb, row->envelope_from);
	it->str[HS_HFROM] = ITEM_STR(&sb, row->header_from);
	it->str[HS_PDOM] = ITEM_STR(&sb, row->policy_domain);
	it->str[HS_ORG] = ITEM_STR(&sb, row->org_domain);
	it->str[HS_SPFDOM] = ITEM_STR(&sb, row->spf_domain);
	it->str[HS_FO] = ITEM_STR(&sb, row->rec.fo);
	it->str[HS_ARC] = ITEM_STR(&sb, row->arc_result);
	it->str[HS_ARCSEAL] = ITEM_STR(&sb, row->arc_sealers);
	item_copy_lists(it, &sb, row);
	it->strs = strbuf_steal(&sb);
	return it;
}

static void item_free_list(hist_item_t *it)
{
	hist_item_t *next;

	for (; it != NULL; it = next) {
		next = it->next;
		free(it->strs);
		free(it);
	}
}

/* ---- time ----------------------------------------------------------- */

static struct timespec mono_after_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool mono_passed(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec ||
	    (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* ---- database ------------------------------------------------------- */

static void db_close(history_t *h)
{
	sqlite3_finalize(h->ins_msg);
	sqlite3_finalize(h->ins_rcpt);
	sqlite3_finalize(h->ins_dkim);
	sqlite3_finalize(h->ins_over);
	h->ins_msg = h->ins_rcpt = h->ins_dkim = h->ins_over = NULL;
	sqlite3_close_v2(h->db);
	h->db = NULL;
}

static int db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		str_format(err, errlen, "%s", sqlite3_errmsg(db));
	return rc;
}

static int db_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* A database is ours when its user_version is ours, or when it is empty
 * (then we create the schema).  Returns 0, -1 (try again later) or -2
 * (never usable). */
static int db_schema(sqlite3 *db, char *err, size_t errlen)
{
	long long version = -1, ntables = -1;
	char sql[64];
	int rc;

	if ((rc = db_int(db, "PRAGMA user_version", &version)) != SQLITE_OK)
		goto sqlfail;
	if (version == HISTORY_SCHEMA_VERSION)
		return 0;
	if (version != 0) {
		str_format(err, errlen, "schema version %lld, this program "
		    "knows version %d", version, HISTORY_SCHEMA_VERSION);
		return -2;
	}
	if ((rc = db_exec(db, "BEGIN IMMEDIATE", err, errlen)) != SQLITE_OK)
		return (rc & 0xff) == SQLITE_NOTADB ? -2 : -1;
	rc = db_int(db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = db_int(db, "SELECT count(*) FROM sqlite_master", &ntables);
	if (rc != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto sqlfail;
	}
	if (version != 0 || ntables != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		if (version == HISTORY_SCHEMA_VERSION)
			return 0;       /* another process created it */
		str_format(err, errlen, "not a dmarcwarden history database "
		    "(user_version %lld, %lld objects)", version, ntables);
		return -2;
	}
	str_format(sql, sizeof(sql), "PRAGMA user_version = %d",
	    HISTORY_SCHEMA_VERSION);
	if (db_exec(db, HISTORY_SCHEMA_SQL, err, errlen) != SQLITE_OK ||
	    db_exec(db, "INSERT INTO meta (key, value) VALUES"
	    " ('schema_version', '1'),"
	    " ('created', CAST(strftime('%s','now') AS TEXT))",
	    err, errlen) != SQLITE_OK ||
	    db_exec(db, sql, err, errlen) != SQLITE_OK ||
	    db_exec(db, "COMMIT", err, errlen) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
sqlfail:
	str_format(err, errlen, "%s", sqlite3_errstr(rc));
	return (rc & 0xff) == SQLITE_NOTADB ? -2 : -1;
}

static int db_prepare(history_t *h, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(h->db, history_insert_msg, -1, &h->ins_msg,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db, history_insert_rcpt, -1, &h->ins_rcpt,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db, history_insert_dkim, -1, &h->ins_dkim,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db, history_insert_over, -1, &h->ins_over,
	    NULL) != SQLITE_OK) {
		str_format(err, errlen, "prepare: %s", sqlite3_errmsg(h->db));
		return -1;
	}
	return 0;
}

/* Open, configure and check the database.  Returns 0, -1 (unavailable
 * now, try later) or -2 (a database we must not use). */
static int db_open(history_t *h, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	rc = sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		str_format(err, errlen, "open: %s", h->db ?
		    sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
		db_close(h);
		return -1;
	}
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, HISTORY_BUSY_TIMEOUT_MS);
	rc = db_exec(h->db, "PRAGMA journal_mode=WAL", err, errlen);
	if (rc == SQLITE_OK)
		rc = db_exec(h->db, "PRAGMA synchronous=NORMAL", err, errlen);
	if (rc != SQLITE_OK) {
		db_close(h);
		return (rc & 0xff) == SQLITE_NOTADB ? -2 : -1;
	}
	if ((rc = db_schema(h->db, err, errlen)) != 0 ||
	    (rc = db_prepare(h, err, errlen)) != 0 ||
	    (rc = stat(h->path, &st)) != 0) {
		if (rc == -1 && err[0] == '\0')
			str_format(err, errlen, "stat: %s", strerror(errno));
		db_close(h);
		return rc < 0 ? rc : -1;
	}
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	return 0;
}

/* True when the path no longer names the file we have open. */
static bool db_moved(const history_t *h)
{
	struct stat st;

	if (stat(h->path, &st) != 0)
		return true;
	return st.st_ino != h->ino || st.st_dev != h->dev;
}

/* ---- inserting ------------------------------------------------------ */

static const char *policy_text(dmarc_policy_t p)
{
	return p == DMARC_POLICY_UNSPEC ? NULL : dmarc_policy_name(p);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int bind_policy(sqlite3_stmt *st, int i, const hist_item_t *it)
{
	char psd[2] = { it->psd, '\0' };
	int rc = 0;

	if (psd[0] != 'y' && psd[0] != 'n')
		psd[0] = 'u';
	if (!it->policy_found) {
		for (int k = 0; k < 9; k++)
			rc |= sqlite3_bind_null(st, i + k);
		return rc;
	}
	rc |= bind_text(st, i++, policy_text(it->p));
	rc |= bind_text(st, i++, policy_text(it->sp));
	rc |= bind_text(st, i++, policy_text(it->np));
	rc |= bind_text(st, i++, dmarc_align_name(it->adkim));
	rc |= bind_text(st, i++, dmarc_align_name(it->aspf));
	rc |= sqlite3_bind_int(st, i++, (int)it->pct);
	rc |= bind_text(st, i++, it->testing ? "y" : "n");
	rc |= bind_text(st, i++, it->strs + it->str[HS_FO]);
	rc |= sqlite3_bind_text(st, i, psd, 1, SQLITE_TRANSIENT);
	return rc;
}

static bool item_dkim_aligned(const hist_item_t *it)
{
	for (size_t i = 0; i < it->ndkim; i++)
		if (it->dkim[i].aligned && it->dkim[i].result == AUTH_PASS)
			return true;
	return false;
}

static int insert_message(history_t *h, const hist_item_t *it)
{
	sqlite3_stmt *st = h->ins_msg;
	const char *s = it->strs;
	int i = 1, rc = 0;

	sqlite3_reset(st);
	rc |= sqlite3_bind_int64(st, i++, (sqlite3_int64)it->when);
	for (int k = HS_QID; k <= HS_ORG; k++)
		rc |= bind_text(st, i++, s + it->str[k]);
	rc |= bind_text(st, i++, discovery_method_name(it->discovery));
	rc |= sqlite3_bind_int(st, i++, it->policy_found);
	rc |= bind_policy(st, i, it);
	i += 9;
	rc |= bind_text(st, i++, dmarc_result_name(it->result));
	rc |= bind_text(st, i++, policy_text(it->requested));
	rc |= bind_text(st, i++, policy_text(it->evaluated));
	rc |= bind_text(st, i++, policy_text(it->applied));
	rc |= sqlite3_bind_int(st, i++, it->np_applied);
	rc |= sqlite3_bind_int(st, i++, it->sampled_out);
	rc |= bind_text(st, i++, s + it->str[HS_SPFDOM]);
	rc |= bind_text(st, i++, spf_scope_name(it->spf_scope));
	rc |= bind_text(st, i++, auth_result_name(it->spf_result));
	rc |= sqlite3_bind_int(st, i++, it->spf_aligned);
	rc |= sqlite3_bind_int(st, i++, item_dkim_aligned(it));
	rc |= bind_text(st, i++, s + it->str[HS_ARC]);
	rc |= bind_text(st, i, s + it->str[HS_ARCSEAL]);
	if (rc != SQLITE_OK)
		return SQLITE_MISUSE;
	return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK :
	    sqlite3_errcode(h->db);
}

static int step_done(sqlite3 *db, sqlite3_stmt *st, int bindrc)
{
	if (bindrc != SQLITE_OK)
		return SQLITE_MISUSE;
	return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK :
	    sqlite3_errcode(db);
}

static int insert_children(history_t *h, const hist_item_t *it,
    sqlite3_int64 id)
{
	const char *s = it->strs;
	sqlite3_stmt *st;
	int rc = SQLITE_OK, b;

	for (size_t k = 0; rc == SQLITE_OK && k < it->nrcpt; k++) {
		st = h->ins_rcpt;
		sqlite3_reset(st);
		b = sqlite3_bind_int64(st, 1, id) |
		    sqlite3_bind_int(st, 2, (int)k) |
		    bind_text(st, 3, s + it->rcpt[k]);
		rc = step_done(h->db, st, b);
	}
	for (size_t k = 0; rc == SQLITE_OK && k < it->ndkim; k++) {
		const hist_dkim_t *d = &it->dkim[k];

		st = h->ins_dkim;
		sqlite3_reset(st);
		b = sqlite3_bind_int64(st, 1, id) |
		    sqlite3_bind_int(st, 2, (int)k) |
		    bind_text(st, 3, s + d->domain) |
		    bind_text(st, 4, s + d->selector) |
		    bind_text(st, 5, auth_result_name(d->result)) |
		    sqlite3_bind_int(st, 6, d->aligned) |
		    bind_text(st, 7, s + d->human);
		rc = step_done(h->db, st, b);
	}
	for (size_t k = 0; rc == SQLITE_OK && k < it->nover; k++) {
		st = h->ins_over;
		sqlite3_reset(st);
		b = sqlite3_bind_int64(st, 1, id) |
		    sqlite3_bind_int(st, 2, (int)k) |
		    bind_text(st, 3, override_reason_name(it->reason[k])) |
		    bind_text(st, 4, s + it->comment[k]);
		rc = step_done(h->db, st, b);
	}
	return rc;
}

/* Write one batch in one transaction; all or nothing. */
static int write_batch(history_t *h, const hist_item_t *batch, char *err,
    size_t errlen)
{
	const hist_item_t *it;
	int rc;

	if ((rc = db_exec(h->db, "BEGIN IMMEDIATE", err, errlen)) != SQLITE_OK)
		return rc;
	for (it = batch; it != NULL; it = it->next) {
		rc = insert_message(h, it);
		if (rc == SQLITE_OK)
			rc = insert_children(h, it,
			    sqlite3_last_insert_rowid(h->db));
		if (rc != SQLITE_OK)
			break;
	}
	if (rc != SQLITE_OK)
		str_format(err, errlen, "insert: %s", sqlite3_errmsg(h->db));
	else
		rc = db_exec(h->db, "COMMIT", err, errlen);
	if (rc != SQLITE_OK)
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_reset(h->ins_msg);
	sqlite3_reset(h->ins_rcpt);
	sqlite3_reset(h->ins_dkim);
	sqlite3_reset(h->ins_over);
	return rc;
}

/* ---- the writer thread ---------------------------------------------- */

static void writer_failed(history_t *h, const char *what, const char *err)
{
	size_t queued;
	uint64_t dropped;

	pthread_mutex_lock(&h->lock);
	h->errors++;
	queued = h->nqueued;
	dropped = h->dropped;
	pthread_mutex_unlock(&h->lock);
	h->failing = true;
	log_ratelimited(&h->last_err_log, HISTORY_ERR_INTERVAL, LOG_ERR,
	    "history: %s: %s: %s; %zu rows buffered, %llu rows dropped so far",
	    h->path, what, err, queued, (unsigned long long)dropped);
}

/* Detach up to HISTORY_BATCH items from the head of the FIFO. */
static hist_item_t *batch_take(history_t *h, size_t *n)
{
	hist_item_t *batch, *last;

	pthread_mutex_lock(&h->lock);
	batch = last = h->head;
	*n = 0;
	if (batch != NULL) {
		for (*n = 1; *n < HISTORY_BATCH && last->next; (*n)++)
			last = last->next;
		h->head = last->next;
		if (h->head == NULL)
			h->tail = NULL;
		last->next = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	return batch;
}

static void batch_done(history_t *h, hist_item_t *batch, size_t n,
    bool written)
{
	hist_item_t *last;

	pthread_mutex_lock(&h->lock);
	if (written) {
		h->nqueued -= n;
		h->written += n;
	} else {
		for (last = batch; last->next != NULL; last = last->next)
			;
		last->next = h->head;
		h->head = batch;
		if (h->tail == NULL)
			h->tail = last;
		batch = NULL;
	}
	pthread_mutex_unlock(&h->lock);
	item_free_list(batch);
}

/* One round of work.  Returns 1 when rows were written, 0 when there was
 * nothing to do, -1 on failure (the caller backs off). */
static int writer_round(history_t *h, bool have_rows)
{
	char err[256] = "";
	hist_item_t *batch;
	bool reopen = false;
	size_t n;
	int rc;

	if (h->db != NULL && (have_rows || h->last_check != time(NULL))) {
		h->last_check = time(NULL);
		if (db_moved(h)) {
			log_warn("history: %s was deleted or replaced, reopening",
			    h->path);
			db_close(h);
			reopen = true;
		}
	}
	if (!have_rows && !reopen)
		return 0;
	if (h->db == NULL && db_open(h, err, sizeof(err)) != 0) {
		writer_failed(h, "cannot open", err);
		return -1;
	}
	if ((batch = batch_take(h, &n)) == NULL)
		return 0;
	rc = write_batch(h, batch, err, sizeof(err));
	batch_done(h, batch, n, rc == SQLITE_OK);
	if (rc != SQLITE_OK) {
		writer_failed(h, "cannot write", err);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			db_close(h);
		return -1;
	}
	if (h->failing) {
		h->failing = false;
		log_info("history: %s is writable again", h->path);
	}
	return 1;
}

/* Called with the lock held: sleep until there is work, a second passed,
 * or (after a failure) the retry delay passed. */
static void writer_wait(history_t *h, bool backoff)
{
	struct timespec until;

	if (h->stopping && !backoff)
		return;
	until = mono_after_ms(h->stopping ? HISTORY_CLOSE_RETRY_MS :
	    HISTORY_RETRY_MS);
	while (backoff || (h->head == NULL && !h->stopping))
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) ==
		    ETIMEDOUT)
			break;
}

static void *writer_main(void *arg)
{
	history_t *h = arg;
	hist_item_t *left;
	bool backoff = false, have_rows;
	size_t nleft;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		writer_wait(h, backoff);
		if (h->stopping && (h->head == NULL ||
		    (backoff && mono_passed(&h->stop_deadline))))
			break;
		have_rows = h->head != NULL;
		pthread_mutex_unlock(&h->lock);
		backoff = writer_round(h, have_rows) < 0;
		pthread_mutex_lock(&h->lock);
	}
	left = h->head;
	nleft = h->nqueued;
	h->dropped += nleft;
	h->head = h->tail = NULL;
	h->nqueued = 0;
	pthread_mutex_unlock(&h->lock);
	if (nleft > 0)
		log_err("history: %s: %zu rows not written at shutdown",
		    h->path, nleft);
	item_free_list(left);
	db_close(h);
	return NULL;
}

/* ---- the interface -------------------------------------------------- */

static void history_free(history_t *h)
{
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->path);
	free(h);
}

static history_t *history_alloc(const char *path, unsigned max_buffered)
{
	pthread_condattr_t ca;
	history_t *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->path = strdup(path)) == NULL) {
		free(h);
		return NULL;
	}
	h->max_buffered = max_buffered > 0 ? max_buffered : 1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	return h;
}

history_t *history_open(const char *path, unsigned max_buffered, char *err,
    size_t errlen)
{
	char why[256] = "";
	history_t *h;
	int rc;

	if (path == NULL || *path == '\0' || strnlen(path, PATH_MAX) >=
	    PATH_MAX) {
		str_format(err, errlen, "history: empty or too long path");
		return NULL;
	}
	if ((h = history_alloc(path, max_buffered)) == NULL) {
		str_format(err, errlen, "history: out of memory");
		return NULL;
	}
	rc = db_open(h, why, sizeof(why));
	if (rc == -2) {
		str_format(err, errlen, "history: %s: %s", path, why);
		history_free(h);
		return NULL;
	}
	if (rc != 0) {
		h->errors++;
		h->failing = true;
		log_ratelimited(&h->last_err_log, HISTORY_ERR_INTERVAL,
		    LOG_WARNING, "history: %s: %s; will retry", path, why);
	}
	if (pthread_create(&h->thread, NULL, writer_main, h) != 0) {
		str_format(err, errlen, "history: cannot start writer thread");
		db_close(h);
		history_free(h);
		return NULL;
	}
	return h;
}

void history_submit(history_t *h, const history_row_t *row)
{
	hist_item_t *it;

	if (h == NULL || row == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	if (h->nqueued < h->max_buffered && !h->stopping) {
		pthread_mutex_unlock(&h->lock);
		it = item_from_row(row);
		pthread_mutex_lock(&h->lock);
		if (it != NULL && h->nqueued < h->max_buffered &&
		    !h->stopping) {
			if (h->tail != NULL)
				h->tail->next = it;
			else
				h->head = it;
			h->tail = it;
			h->nqueued++;
			pthread_cond_signal(&h->cond);
			pthread_mutex_unlock(&h->lock);
			return;
		}
		item_free_list(it);
	}
	h->dropped++;
	log_ratelimited(&h->last_drop_log, HISTORY_ERR_INTERVAL, LOG_ERR,
	    "history: %s: %zu rows buffered, the limit; %llu rows dropped "
	    "so far", h->path, h->nqueued, (unsigned long long)h->dropped);
	pthread_mutex_unlock(&h->lock);
}

void history_stats(history_t *h, history_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	out->written = h->written;
	out->buffered = h->nqueued;
	out->dropped = h->dropped;
	out->errors = h->errors;
	pthread_mutex_unlock(&h->lock);
}

void history_close(history_t *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	h->stop_deadline = mono_after_ms(HISTORY_CLOSE_WAIT_S * 1000L);
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	history_free(h);
}
