/*
 * history_db - the SQLite side of the verdict history.  See history_db.h;
 * the tables are documented in history/schema.h.
 */
#include "history_db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/strbuf.h"
#include "migrate.h"
#include "schema.h"
#include "../util/log.h"

#define HISTORY_BUSY_TIMEOUT_MS 2000
#define HISTORY_ITEM_STR_MAX (256 * 1024) /* above the sum of all fields */
#define HISTORY_ROW_LOG_INTERVAL 60

static const char history_insert_msg[] =
	"INSERT INTO messages (time, qid, source_ip, helo, envelope_from,"
	" header_from, policy_domain, org_domain, discovery, policy_found,"
	" policy_p, policy_sp, policy_np, policy_adkim, policy_aspf,"
	" policy_pct, policy_testing, policy_fo, policy_psd, result,"
	" disposition_requested, disposition_evaluated, disposition_applied,"
	" np_applied, sampled_out, spf_domain, spf_scope, spf_result,"
	" spf_aligned, dkim_aligned, arc_result, arc_sealers, policy_rua,"
	" policy_ruf, is_report, envelope_to, dkim_summary, override_summary,"
	" action, smtp_reply)"
	" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
	"?,?,?,?,?,?,?,?,?,?,?)";
static const char history_insert_rcpt[] =
	"INSERT INTO message_rcpt (message_id, seq, domain) VALUES (?,?,?)";
static const char history_insert_dkim[] =
	"INSERT INTO message_dkim (message_id, seq, domain, selector, result,"
	" aligned, human_result) VALUES (?,?,?,?,?,?,?)";
static const char history_insert_over[] =
	"INSERT INTO message_override (message_id, seq, reason, comment)"
	" VALUES (?,?,?,?)";
static const char history_insert_sample[] =
	"INSERT INTO failure_samples (message_id, time, policy_domain,"
	" header_from, source_ip, mail_from, ruf, auth_failure, headers)"
	" VALUES (?,?,?,?,?,?,?,?,?)";

/* ---- items ---------------------------------------------------------- */

static size_t item_str(strbuf_t *sb, const char *s, size_t max)
{
	size_t off = sb->len;

	strbuf_append(sb, s, strnlen(s, max));
	strbuf_putc(sb, '\0');
	return off;
}

#define ITEM_STR(sb, field) item_str((sb), (field), sizeof(field))

/* messages.dkim_summary / override_summary: entries joined by 0x1e,
 * fields by 0x1d (history/schema.h). */
static size_t item_summaries(strbuf_t *sb, const history_row_t *row,
    bool dkim)
{
	size_t off = sb->len, i, n;

	n = dkim ? row->ndkim : row->noverrides;
	if (n > (dkim ? EVAL_MAX_DKIM : EVAL_MAX_OVERRIDES))
		n = dkim ? EVAL_MAX_DKIM : EVAL_MAX_OVERRIDES;
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_putc(sb, '\x1e');
		if (dkim) {
			const history_dkim_t *d = &row->dkim[i];

			strbuf_appendf(sb, "%.*s\x1d%.*s\x1d%s\x1d%.*s",
			    (int)strnlen(d->domain, sizeof(d->domain)),
			    d->domain, (int)strnlen(d->selector,
			    sizeof(d->selector)), d->selector,
			    auth_result_name(d->result) ?
			    auth_result_name(d->result) : "",
			    (int)strnlen(d->human_result,
			    sizeof(d->human_result)), d->human_result);
		} else {
			const override_t *o = &row->overrides[i];

			strbuf_appendf(sb, "%s\x1d%.*s",
			    override_reason_name(o->reason) ?
			    override_reason_name(o->reason) : "",
			    (int)strnlen(o->comment, sizeof(o->comment)),
			    o->comment);
		}
	}
	strbuf_putc(sb, '\0');
	return off;
}

/* rua/ruf as stored in messages.policy_rua: "uri[!bytes],..." */
static size_t item_uris(strbuf_t *sb, const dmarc_uri_t *uris, size_t n)
{
	size_t off = sb->len, i;

	if (n > DMARC_MAX_URIS)
		n = DMARC_MAX_URIS;
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_putc(sb, ',');
		strbuf_append(sb, uris[i].uri, strnlen(uris[i].uri,
		    sizeof(uris[i].uri)));
		if (uris[i].size > 0)
			strbuf_appendf(sb, "!%llu", uris[i].size);
	}
	strbuf_putc(sb, '\0');
	return off;
}

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

hist_item_t *hist_item_new(const history_row_t *row)
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
	it->str[HS_RUA] = item_uris(&sb, row->rec.rua, row->rec.nrua);
	it->str[HS_RUF] = item_uris(&sb, row->rec.ruf, row->rec.nruf);
	it->is_report = row->is_report;
	it->has_sample = row->failure_headers != NULL;
	it->str[HS_SAMPLE_HDRS] = item_str(&sb, row->failure_headers ?
	    row->failure_headers : "", HISTORY_SAMPLE_MAX);
	it->str[HS_SAMPLE_AUTH] = ITEM_STR(&sb, row->failure_auth);
	it->str[HS_SAMPLE_MAILFROM] = ITEM_STR(&sb, row->mail_from);
	it->str[HS_DKIMSUM] = item_summaries(&sb, row, true);
	it->str[HS_OVERSUM] = item_summaries(&sb, row, false);
	it->str[HS_ACTION] = ITEM_STR(&sb, row->action);
	it->str[HS_REPLY] = ITEM_STR(&sb, row->smtp_reply);
	item_copy_lists(it, &sb, row);
	it->strs_len = sb.len;
	it->strs = strbuf_steal(&sb);
	return it;
}

void hist_item_free_list(hist_item_t *it)
{
	hist_item_t *next;

	for (; it != NULL; it = next) {
		next = it->next;
		free(it->strs);
		free(it);
	}
}

/* ---- database ------------------------------------------------------- */

void history_db_close(history_db_t *d)
{
	sqlite3_finalize(d->ins_msg);
	sqlite3_finalize(d->ins_rcpt);
	sqlite3_finalize(d->ins_dkim);
	sqlite3_finalize(d->ins_over);
	sqlite3_finalize(d->ins_sample);
	d->ins_msg = d->ins_rcpt = d->ins_dkim = d->ins_over = NULL;
	d->ins_sample = NULL;
	hdb_close(d->h);
	d->h = NULL;
	d->db = NULL;
}

static int db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		str_format(err, errlen, "%s", sqlite3_errmsg(db));
	return rc;
}

static int db_prepare(history_db_t *d, char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(d->db, history_insert_msg, -1, &d->ins_msg,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, history_insert_rcpt, -1, &d->ins_rcpt,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, history_insert_dkim, -1, &d->ins_dkim,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, history_insert_over, -1, &d->ins_over,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, history_insert_sample, -1,
	    &d->ins_sample, NULL) != SQLITE_OK) {
		str_format(err, errlen, "prepare: %s", sqlite3_errmsg(d->db));
		return -1;
	}
	return 0;
}

/* Open, configure and check the database.  Returns 0, -1 (unavailable
 * now, try later) or -2 (a database we must not use). */
int history_db_open(history_db_t *d, char *err, size_t errlen)
{
	bool unavailable = false;
	struct stat st;
	int rc;

	/* hdb: WAL, synchronous=NORMAL, busy timeout; migrate.h: create,
	 * upgrade or refuse the schema (the one place that does). */
	d->h = hdb_open(d->path, HDB_CREATE, err, errlen, &unavailable);
	if (d->h == NULL)
		return unavailable ? -1 : -2;
	d->db = hdb_sqlite(d->h);
	/* shorter than hdb's: a locked database shows as an error (and the
	 * rows stay queued) within seconds */
	sqlite3_busy_timeout(d->db, HISTORY_BUSY_TIMEOUT_MS);
	if ((rc = hist_schema_open(d->h, HIST_SCHEMA_CREATE |
	    HIST_SCHEMA_UPGRADE, err, errlen)) < 0 ||
	    (rc = db_prepare(d, err, errlen)) != 0 ||
	    (rc = stat(d->path, &st)) != 0) {
		if (rc == -1 && err[0] == '\0')
			str_format(err, errlen, "stat: %s", strerror(errno));
		history_db_close(d);
		return rc < 0 ? rc : -1;
	}
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	return 0;
}

/* True when the path no longer names the file we have open. */
bool history_db_moved(const history_db_t *d)
{
	struct stat st;

	if (stat(d->path, &st) != 0)
		return true;
	return st.st_ino != d->ino || st.st_dev != d->dev;
}

/* ---- inserting ------------------------------------------------------ */

static const char *policy_text(dmarc_policy_t p)
{
	return p == DMARC_POLICY_UNSPEC ? NULL : dmarc_policy_name(p);
}

/* For NOT NULL columns: a name function never returns NULL today, but a
 * NULL would make every later batch fail. */
static const char *nn(const char *s)
{
	return s != NULL ? s : "";
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

static int insert_message(history_db_t *d, const hist_item_t *it)
{
	sqlite3_stmt *st = d->ins_msg;
	const char *s = it->strs;
	int i = 1, rc = 0;

	sqlite3_reset(st);
	rc |= sqlite3_bind_int64(st, i++, (sqlite3_int64)it->when);
	for (int k = HS_QID; k <= HS_ORG; k++)
		rc |= bind_text(st, i++, s + it->str[k]);
	rc |= bind_text(st, i++, nn(discovery_method_name(it->discovery)));
	rc |= sqlite3_bind_int(st, i++, it->policy_found);
	rc |= bind_policy(st, i, it);
	i += 9;
	rc |= bind_text(st, i++, nn(dmarc_result_name(it->result)));
	rc |= bind_text(st, i++, policy_text(it->requested));
	rc |= bind_text(st, i++, policy_text(it->evaluated));
	rc |= bind_text(st, i++, policy_text(it->applied));
	rc |= sqlite3_bind_int(st, i++, it->np_applied);
	rc |= sqlite3_bind_int(st, i++, it->sampled_out);
	rc |= bind_text(st, i++, s + it->str[HS_SPFDOM]);
	rc |= bind_text(st, i++, nn(spf_scope_name(it->spf_scope)));
	rc |= bind_text(st, i++, nn(auth_result_name(it->spf_result)));
	rc |= sqlite3_bind_int(st, i++, it->spf_aligned);
	rc |= sqlite3_bind_int(st, i++, item_dkim_aligned(it));
	rc |= bind_text(st, i++, s + it->str[HS_ARC]);
	rc |= bind_text(st, i++, s + it->str[HS_ARCSEAL]);
	rc |= bind_text(st, i++, it->policy_found ? s + it->str[HS_RUA] : NULL);
	rc |= bind_text(st, i++, it->policy_found ? s + it->str[HS_RUF] : NULL);
	rc |= sqlite3_bind_int(st, i++, it->is_report);
	rc |= bind_text(st, i++, it->nrcpt ? s + it->rcpt[0] : "");
	rc |= bind_text(st, i++, s + it->str[HS_DKIMSUM]);
	rc |= bind_text(st, i++, s + it->str[HS_OVERSUM]);
	rc |= bind_text(st, i++, s + it->str[HS_ACTION]);
	rc |= bind_text(st, i, s + it->str[HS_REPLY]);
	if (rc != SQLITE_OK)
		return SQLITE_MISUSE;
	return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK :
	    sqlite3_errcode(d->db);
}

static int step_done(sqlite3 *db, sqlite3_stmt *st, int bindrc)
{
	if (bindrc != SQLITE_OK)
		return SQLITE_MISUSE;
	return sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK :
	    sqlite3_errcode(db);
}

static int insert_children(history_db_t *d, const hist_item_t *it,
    sqlite3_int64 id)
{
	const char *s = it->strs;
	sqlite3_stmt *st;
	int rc = SQLITE_OK, b;

	for (size_t k = 0; rc == SQLITE_OK && k < it->nrcpt; k++) {
		st = d->ins_rcpt;
		sqlite3_reset(st);
		b = sqlite3_bind_int64(st, 1, id) |
		    sqlite3_bind_int(st, 2, (int)k) |
		    bind_text(st, 3, s + it->rcpt[k]);
		rc = step_done(d->db, st, b);
	}
	for (size_t k = 0; rc == SQLITE_OK && k < it->ndkim; k++) {
		const hist_dkim_t *sig = &it->dkim[k];

		st = d->ins_dkim;
		sqlite3_reset(st);
		b = sqlite3_bind_int64(st, 1, id) |
		    sqlite3_bind_int(st, 2, (int)k) |
		    bind_text(st, 3, s + sig->domain) |
		    bind_text(st, 4, s + sig->selector) |
		    bind_text(st, 5, nn(auth_result_name(sig->result))) |
		    sqlite3_bind_int(st, 6, sig->aligned) |
		    bind_text(st, 7, s + sig->human);
		rc = step_done(d->db, st, b);
	}
	for (size_t k = 0; rc == SQLITE_OK && k < it->nover; k++) {
		st = d->ins_over;
		sqlite3_reset(st);
		b = sqlite3_bind_int64(st, 1, id) |
		    sqlite3_bind_int(st, 2, (int)k) |
		    bind_text(st, 3, nn(override_reason_name(it->reason[k]))) |
		    bind_text(st, 4, s + it->comment[k]);
		rc = step_done(d->db, st, b);
	}
	return rc;
}

/* Errors that come from one row, not from the database: retrying would
 * fail again, so the row is dropped (and counted) instead of blocking
 * every row behind it. */
static bool row_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT: case SQLITE_TOOBIG: case SQLITE_MISMATCH:
	case SQLITE_MISUSE: case SQLITE_RANGE:
		return true;
	}
	return false;
}

static int insert_sample(history_db_t *d, const hist_item_t *it,
    sqlite3_int64 id)
{
	sqlite3_stmt *st = d->ins_sample;
	const char *s = it->strs;
	int b;

	sqlite3_reset(st);
	b = sqlite3_bind_int64(st, 1, id) |
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)it->when) |
	    bind_text(st, 3, s + it->str[HS_PDOM]) |
	    bind_text(st, 4, s + it->str[HS_HFROM]) |
	    bind_text(st, 5, s + it->str[HS_IP]) |
	    bind_text(st, 6, s + it->str[HS_SAMPLE_MAILFROM]) |
	    bind_text(st, 7, s + it->str[HS_RUF]) |
	    bind_text(st, 8, s + it->str[HS_SAMPLE_AUTH]) |
	    bind_text(st, 9, s + it->str[HS_SAMPLE_HDRS]);
	return step_done(d->db, st, b);
}

static int insert_item(history_db_t *d, const hist_item_t *it)
{
	int rc = insert_message(d, it);
	sqlite3_int64 id = sqlite3_last_insert_rowid(d->db);

	if (rc == SQLITE_OK)
		rc = insert_children(d, it, id);
	if (rc == SQLITE_OK && it->has_sample)
		rc = insert_sample(d, it, id);
	return rc;
}

/* Write one batch in one transaction, each row inside a savepoint so a
 * row the database refuses (*nbad counts them) is left out alone.  Any
 * other error rolls the whole batch back. */
int history_db_write(history_db_t *d, const hist_item_t *batch, size_t *nbad,
    char *err, size_t errlen)
{
	const hist_item_t *it;
	int rc;

	*nbad = 0;
	if ((rc = db_exec(d->db, "BEGIN IMMEDIATE", err, errlen)) != SQLITE_OK)
		return rc;
	for (it = batch; it != NULL && rc == SQLITE_OK; it = it->next) {
		if ((rc = db_exec(d->db, "SAVEPOINT item", err, errlen)) !=
		    SQLITE_OK)
			break;
		rc = insert_item(d, it);
		if (rc != SQLITE_OK)
			str_format(err, errlen, "insert: %s",
			    sqlite3_errmsg(d->db));
		if (rc != SQLITE_OK && row_error(rc)) {
			(*nbad)++;
			log_ratelimited(&d->last_row_log,
			    HISTORY_ROW_LOG_INTERVAL, LOG_ERR,
			    "history: %s: row dropped: %s", d->path, err);
			rc = db_exec(d->db, "ROLLBACK TO item", err, errlen);
		}
		if (rc == SQLITE_OK)
			rc = db_exec(d->db, "RELEASE item", err, errlen);
	}
	if (rc == SQLITE_OK)
		rc = db_exec(d->db, "COMMIT", err, errlen);
	if (rc != SQLITE_OK)
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_reset(d->ins_msg);
	sqlite3_reset(d->ins_rcpt);
	sqlite3_reset(d->ins_dkim);
	sqlite3_reset(d->ins_over);
	sqlite3_reset(d->ins_sample);
	return rc;
}

