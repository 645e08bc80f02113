/*
 * failrep - failure reports from failure samples.  See failrep.h.
 */
#include "failrep.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../milter/log.h"
#include "mailmsg.h"

static const char sql_ids[] =
	"SELECT id FROM failure_samples WHERE reported IS NULL"
	" ORDER BY time, id LIMIT ?1";
static const char sql_sample[] =
	"SELECT id, time, policy_domain, header_from, source_ip, mail_from,"
	" auth_failure, ruf, headers FROM failure_samples WHERE id = ?1";

static void col(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_copy(dst, size, t ? (const char *)t : "");
}

/* Header bytes as 7-bit text; CRLF kept. */
static char *clean_headers(const char *h)
{
	size_t n = strlen(h);
	char *out = malloc(n + 1);

	if (out == NULL)
		abort();
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)h[i];

		out[i] = (c >= 0x80 || (c < 0x20 && c != '\r' && c != '\n' &&
		    c != '\t' && c != '\0') || c == 0x7f) ? '?' : (char)c;
	}
	return out;
}

int failrep_message(const failrep_sample_t *s, const char *sender,
    const char *to, const char *msgid, time_t now, strbuf_t *msg)
{
	char subject[600], text[1024], arrival[64];
	strbuf_t fb;
	mailmsg_part_t parts[3];
	mailmsg_t m;
	char *hdrs = clean_headers(s->headers ? s->headers : "");
	int rc;

	mailmsg_date(s->time, arrival, sizeof(arrival));
	str_format(subject, sizeof(subject), "DMARC Failure Report for %s "
	    "from %s", s->header_from, s->source_ip);
	str_format(text, sizeof(text), "This is a DMARC failure report "
	    "(RFC 9991) for a message claiming to be from %s, received from "
	    "%s at %s.\nThe header of the message follows; fields not needed "
	    "to identify it were left out.\n", s->header_from, s->source_ip,
	    arrival);
	strbuf_init(&fb, 4096);
	strbuf_puts(&fb, "Feedback-Type: auth-failure\nVersion: 1\n"
	    "User-Agent: dmarcwarden-report\n");
	strbuf_appendf(&fb, "Auth-Failure: %s\n", s->auth_failure);
	strbuf_appendf(&fb, "Original-Mail-From: <%s>\n", s->mail_from);
	strbuf_appendf(&fb, "Arrival-Date: %s\n", arrival);
	strbuf_appendf(&fb, "Source-IP: %s\n", s->source_ip);
	strbuf_appendf(&fb, "Reported-Domain: %s\n", s->header_from);
	parts[0] = (mailmsg_part_t){ "text/plain; charset=us-ascii", NULL,
	    (const unsigned char *)text, strlen(text), false };
	parts[1] = (mailmsg_part_t){ "message/feedback-report", NULL,
	    (const unsigned char *)fb.s, fb.len, false };
	parts[2] = (mailmsg_part_t){ "text/rfc822-headers", NULL,
	    (const unsigned char *)hdrs, strlen(hdrs), false };
	m = (mailmsg_t){ sender, NULL, to, subject, msgid, now,
	    "report; report-type=feedback-report" };
	strbuf_init(msg, MAILMSG_MAX);
	rc = fb.truncated ? -1 : mailmsg_build(&m, parts, 3, msg);
	strbuf_free(&fb);
	free(hdrs);
	return rc;
}

/* Reports sent to this address in the last hour (all runs). */
static long long sent_last_hour(repdb_t *db, const char *uri, time_t now)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;

	if (sqlite3_prepare_v2(repdb_handle(db), "SELECT count(*) FROM"
	    " report_dest WHERE uri = ?1 AND state = 'sent' AND"
	    " report_id LIKE 'fr%' AND last_attempt >= ?2", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(now - 3600));
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

typedef struct fr_ctx {
	const config_t *cfg;
	repdb_t *db;
	dest_verifier_t *v;
	const transport_t *tp;
	signer_t *signer;
	const char *sender, *dry_run;
	run_stats_t *st;
	time_t now;
} fr_ctx_t;

static void fr_write(const fr_ctx_t *c, const char *id, unsigned n,
    const strbuf_t *msg)
{
	char path[4096];
	int fd;

	str_format(path, sizeof(path), "%s/%s.%u.eml", c->dry_run, id, n);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, msg->s, msg->len) != (ssize_t)msg->len)
		log_err("dry run: cannot write %s", path);
	if (fd >= 0)
		close(fd);
}

/* One destination of one sample; false when it stays pending. */
static bool fr_dest(const fr_ctx_t *c, const failrep_sample_t *s,
    const char *id, const dest_t *d, unsigned n)
{
	repdb_dest_t ds;
	char why[512], msgid[400], err[256];
	strbuf_t msg;
	int v;

	memset(&ds, 0, sizeof(ds));
	if (!c->dry_run && repdb_dest_get(c->db, id, d->uri, &ds) < 0)
		return false;
	if (ds.state != DEST_PENDING)
		return true;
	if (d->replaced || d->addr[0] == '\0' ||
	    dest_listed(c->cfg->no_reports, d->addr) ||
	    (v = dest_verify(c->v, s->policy_domain, d->domain, why,
	    sizeof(why))) == 0) {
		ds.state = DEST_SKIPPED;
		str_copy(ds.detail, sizeof(ds.detail), d->replaced ||
		    d->addr[0] == '\0' ? d->why :
		    dest_listed(c->cfg->no_reports, d->addr) ?
		    "in NoReportsList" : why);
		c->st->fr_skipped++;
		log_info("failure report %s to %s skipped: %s", id, d->uri,
		    ds.detail);
		goto record;
	}
	if (v < 0 || (!c->dry_run && sent_last_hour(c->db, d->uri, c->now) >=
	    (long long)c->cfg->failure_hourly_cap)) {
		c->st->fr_deferred++;
		return false;           /* DNS trouble or hourly cap: later */
	}
	str_format(msgid, sizeof(msgid), "%s.%u@%s", id, n,
	    strrchr(c->sender, '@') + 1);
	if (failrep_message(s, c->sender, d->addr, msgid, c->now, &msg) < 0 ||
	    (c->signer && signer_sign(c->signer, id, &msg, err,
	    sizeof(err)) < 0)) {
		strbuf_free(&msg);
		ds.state = DEST_FAILED;
		str_copy(ds.detail, sizeof(ds.detail), "cannot build report");
		goto record;
	}
	if (c->dry_run) {
		fr_write(c, id, n, &msg);
		ds.state = DEST_SENT;
	} else if (transport_send(c->tp, c->sender, d->addr, msg.s, msg.len,
	    why, sizeof(why)) == SEND_OK) {
		ds.state = DEST_SENT;
	} else if (++ds.attempts >= c->cfg->report_max_attempts) {
		ds.state = DEST_FAILED;
		log_err("failure report %s to %s failed: %s", id, d->uri, why);
	}
	str_copy(ds.detail, sizeof(ds.detail), why);
	strbuf_free(&msg);
	if (ds.state == DEST_SENT)
		c->st->fr_sent++;
record:
	if (!c->dry_run)
		repdb_dest_set(c->db, id, d->uri, &ds);
	return ds.state != DEST_PENDING;
}

static void fr_sample(const fr_ctx_t *c, const failrep_sample_t *s)
{
	dest_t d[DEST_MAX];
	const char *uris[DEST_MAX];
	char id[REPDB_ID_MAX], sql[128];
	size_t nd = dest_override(c->v, s->policy_domain, 'f', d,
	    dest_parse_list(s->ruf, d, DEST_MAX), DEST_MAX), i;
	bool done = true;
	int found = 0;

	str_format(id, sizeof(id), "fr%lld", s->id);
	for (i = 0; i < nd; i++)
		uris[i] = d[i].uri;
	if (!c->dry_run) {
		found = repdb_report_known(c->db, id);
		if (found < 0 || (found == 0 && repdb_report_start(c->db, id,
		    s->policy_domain, s->time, s->time + 1, 1, uris, nd) < 0))
			return;
	}
	for (i = 0; i < nd; i++)
		if (!fr_dest(c, s, id, &d[i], (unsigned)i))
			done = false;
	if (!done || c->dry_run)
		return;
	str_format(sql, sizeof(sql), "UPDATE failure_samples SET reported ="
	    " %lld WHERE id = %lld", (long long)c->now, s->id);
	if (repdb_exec(c->db, sql) == 0)
		repdb_report_done(c->db, id);
}

/* Ids first, then one sample at a time: the scan never runs while rows
 * are updated, and only one sample's header is in memory. */
static long long *sample_ids(repdb_t *db, size_t *n)
{
	sqlite3_stmt *q = NULL;
	long long *ids = calloc(FAILREP_BATCH, sizeof(*ids));

	*n = 0;
	if (ids == NULL)
		abort();
	if (sqlite3_prepare_v2(repdb_handle(db), sql_ids, -1, &q, NULL) !=
	    SQLITE_OK) {
		free(ids);
		return NULL;
	}
	sqlite3_bind_int(q, 1, FAILREP_BATCH);
	while (*n < FAILREP_BATCH && sqlite3_step(q) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return ids;
}

static int sample_read(sqlite3_stmt *q, long long id, failrep_sample_t *s)
{
	const unsigned char *h;

	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) != SQLITE_ROW)
		return -1;
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(q, 0);
	s->time = (time_t)sqlite3_column_int64(q, 1);
	col(q, 2, s->policy_domain, sizeof(s->policy_domain));
	col(q, 3, s->header_from, sizeof(s->header_from));
	col(q, 4, s->source_ip, sizeof(s->source_ip));
	col(q, 5, s->mail_from, sizeof(s->mail_from));
	col(q, 6, s->auth_failure, sizeof(s->auth_failure));
	col(q, 7, s->ruf, sizeof(s->ruf));
	h = sqlite3_column_text(q, 8);
	if ((s->headers = strdup(h ? (const char *)h : "")) == NULL)
		abort();
	sqlite3_reset(q);
	return 0;
}

void failrep_run(const config_t *cfg, repdb_t *db, dest_verifier_t *v,
    const transport_t *tp, signer_t *signer, const char *sender,
    const char *dry_run, run_stats_t *st)
{
	fr_ctx_t c = { cfg, db, v, tp, signer, sender, dry_run, st,
	    time(NULL) };
	sqlite3_stmt *q = NULL;
	failrep_sample_t s;
	long long *ids;
	size_t n, i;

	if ((ids = sample_ids(db, &n)) == NULL ||
	    sqlite3_prepare_v2(repdb_handle(db), sql_sample, -1, &q, NULL) !=
	    SQLITE_OK) {
		log_err("failure samples: %s",
		    sqlite3_errmsg(repdb_handle(db)));
		st->errors++;
		free(ids);
		return;
	}
	for (i = 0; i < n; i++) {
		if (sample_read(q, ids[i], &s) < 0)
			continue;
		fr_sample(&c, &s);
		free(s.headers);
	}
	sqlite3_finalize(q);
	free(ids);
}
