/*
 * failrep - failure reports from failure samples.  See failrep.h.
 */
#include "failrep.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../util/log.h"

#define INSTANCE_MAX 24

static const char sql_ids[] =
	"SELECT id FROM failure_samples WHERE reported IS NULL"
	" ORDER BY time, id LIMIT ?1";
/* The sample and what its message's history row says about it. */
static const char sql_sample[] =
	"SELECT f.id, f.time, f.policy_domain, f.header_from, f.source_ip,"
	" f.mail_from, f.auth_failure, f.ruf, f.headers,"
	" coalesce(m.policy_psd, ''), coalesce(m.spf_domain, ''),"
	" coalesce(m.spf_scope, ''), coalesce(m.spf_result, ''),"
	" coalesce(m.spf_aligned, 0), coalesce(m.dkim_aligned, 0),"
	" coalesce(m.dkim_summary, (SELECT group_concat(d.domain || char(29)"
	"  || d.selector || char(29) || d.result || char(29) ||"
	"  d.human_result, char(30)) FROM (SELECT * FROM message_dkim"
	"  WHERE message_id = m.id ORDER BY seq) d), ''),"
	" coalesce(m.result, '')"
	" FROM failure_samples f LEFT JOIN messages m ON m.id = f.message_id"
	" WHERE f.id = ?1";

static void col(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	str_copy(dst, size, t ? (const char *)t : "");
}

typedef struct fr_ctx {
	const failrep_env_t *env;
	repdb_t *const *dbs;
	size_t ndbs;
	repdb_t *db;                 /* the sample's database */
	char instance[INSTANCE_MAX];
	run_stats_t *st;
	time_t now;
} fr_ctx_t;

/* The database's instance tag (meta report.instance), made once. */
static void instance_tag(repdb_t *db, bool dry_run, char *out, size_t len)
{
	sqlite3_stmt *st = NULL;
	unsigned char rnd[8];
	char sql[160];

	str_copy(out, len, "");
	if (sqlite3_prepare_v2(repdb_handle(db), "SELECT value FROM meta"
	    " WHERE key = 'report.instance'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		col(st, 0, out, len);
	sqlite3_finalize(st);
	if (out[0] != '\0')
		return;
	if (dry_run) {
		str_copy(out, len, "dryrun");
		return;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		abort();
	str_format(out, len, "%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0],
	    rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	str_format(sql, sizeof(sql), "INSERT OR REPLACE INTO meta (key, value)"
	    " VALUES ('report.instance', '%s')", out);
	if (repdb_exec(db, sql) < 0)
		log_warn("%s: cannot store report.instance", repdb_path(db));
}

/* Reports sent to this address in the last hour (all runs, every
 * database of this run). */
static long long sent_last_hour(const fr_ctx_t *c, const char *uri)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;

	for (size_t i = 0; i < c->ndbs; i++) {
		if (sqlite3_prepare_v2(repdb_handle(c->dbs[i]), "SELECT"
		    " count(*) FROM report_dest WHERE uri = ?1 AND state ="
		    " 'sent' AND report_id LIKE 'fr%' AND last_attempt >= ?2",
		    -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 2, (sqlite3_int64)(c->now -
			    3600));
			if (sqlite3_step(st) == SQLITE_ROW)
				n += sqlite3_column_int64(st, 0);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	return n;
}

static void fr_write(const fr_ctx_t *c, const char *id, unsigned n,
    const strbuf_t *msg)
{
	char path[4096];
	int fd;

	str_format(path, sizeof(path), "%s/%s.%u.eml", c->env->dry_run, id, n);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, msg->s, msg->len) != (ssize_t)msg->len)
		log_err("dry run: cannot write %s", path);
	if (fd >= 0)
		close(fd);
}

/* Skipped for good: why, or "" when it may be sent (v: the
 * verification's answer, -1 DNS trouble). */
static bool fr_skip(const fr_ctx_t *c, const afrf_sample_t *s,
    const dest_t *d, char *why, size_t whylen, int *v)
{
	*v = 1;
	if (d->replaced || d->addr[0] == '\0') {
		str_copy(why, whylen, d->why);
		return true;
	}
	if (dest_listed(c->env->cfg->no_reports, d->addr)) {
		str_copy(why, whylen, "in NoReportsList");
		return true;
	}
	*v = dest_verify(c->env->verifier, s->policy_domain, d->domain, why,
	    whylen);
	return *v == 0;
}

/* Build and hand over one report; the new state. */
static dest_state_t fr_send(const fr_ctx_t *c, const afrf_sample_t *s,
    const char *id, const dest_t *d, unsigned n, repdb_dest_t *ds)
{
	const failrep_env_t *e = c->env;
	char why[512] = "", msgid[400], err[256];
	strbuf_t msg;

	str_format(msgid, sizeof(msgid), "%s.%u.%s@%s", id, n, c->instance,
	    strrchr(e->sender, '@') + 1);
	if (afrf_message(s, e->authserv, e->sender, d->addr, msgid, c->now,
	    &msg) < 0 || (e->signer && signer_sign(e->signer, id, &msg, err,
	    sizeof(err)) < 0)) {
		strbuf_free(&msg);
		str_copy(ds->detail, sizeof(ds->detail), "cannot build report");
		return DEST_FAILED;
	}
	if (e->dry_run) {
		fr_write(c, id, n, &msg);
		ds->state = DEST_SENT;
	} else if (transport_send(e->tp, e->sender, d->addr, msg.s, msg.len,
	    why, sizeof(why)) == SEND_OK) {
		ds->state = DEST_SENT;
	} else if (++ds->attempts >= e->cfg->report_max_attempts) {
		ds->state = DEST_FAILED;
		log_err("failure report %s to %s failed: %s", id, d->uri, why);
	}
	str_copy(ds->detail, sizeof(ds->detail), why);
	strbuf_free(&msg);
	if (ds->state == DEST_SENT)
		c->st->fr_sent++;
	return ds->state;
}

/* One destination of one sample; false when it stays pending. */
static bool fr_dest(const fr_ctx_t *c, const afrf_sample_t *s,
    const char *id, const dest_t *d, unsigned n)
{
	repdb_dest_t ds;
	char why[512];
	int v;

	memset(&ds, 0, sizeof(ds));
	if (!c->env->dry_run && repdb_dest_get(c->db, id, d->uri, &ds) < 0)
		return false;
	if (ds.state != DEST_PENDING)
		return true;
	if (fr_skip(c, s, d, why, sizeof(why), &v)) {
		ds.state = DEST_SKIPPED;
		str_copy(ds.detail, sizeof(ds.detail), why);
		c->st->fr_skipped++;
		log_info("failure report %s to %s skipped: %s", id, d->uri,
		    ds.detail);
	} else if (v < 0 || (!c->env->dry_run && sent_last_hour(c, d->uri) >=
	    (long long)c->env->cfg->failure_hourly_cap)) {
		c->st->fr_deferred++;
		return false;           /* DNS trouble or hourly cap: later */
	} else {
		ds.state = fr_send(c, s, id, d, n, &ds);
	}
	if (!c->env->dry_run)
		repdb_dest_set(c->db, id, d->uri, &ds);
	return ds.state != DEST_PENDING;
}

static void mark_sample(const fr_ctx_t *c, long long id, long long value,
    const char *detail)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(repdb_handle(c->db), "UPDATE failure_samples"
	    " SET reported = ?1, detail = ?2 WHERE id = ?3", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, value);
		sqlite3_bind_text(st, 2, detail, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			c->st->errors++;
	}
	sqlite3_finalize(st);
}

/* The SPF record of s->spf_domain for SPF-DNS ("" when none). */
static void spf_record(const fr_ctx_t *c, afrf_sample_t *s)
{
	txt_answer_t a;

	s->spf_record[0] = '\0';
	if (s->spf_domain[0] == '\0' || c->env->dns == NULL)
		return;
	txt_answer_init(&a);
	if (c->env->dns->txt(c->env->dns->ctx, s->spf_domain, &a) ==
	    DNSOPS_OK)
		for (size_t i = 0; i < a.count; i++)
			if (a.len[i] >= 6 && strncasecmp(a.rec[i], "v=spf1",
			    6) == 0 && (a.len[i] == 6 || a.rec[i][6] == ' ')) {
				str_ncopy(s->spf_record, sizeof(s->spf_record),
				    a.rec[i], a.len[i]);
				break;
			}
	txt_answer_free(&a);
}

static void fr_sample(const fr_ctx_t *c, afrf_sample_t *s)
{
	dest_t d[DEST_MAX];
	const char *uris[DEST_MAX];
	char id[REPDB_ID_MAX];
	size_t nd, i;
	bool done = true;
	int found = 0;

	if (strcmp(s->psd, "y") == 0) {
		c->st->fr_skipped++;
		log_info("failure sample %lld for %s not reported: the policy "
		    "is a public suffix domain's (psd=y)", s->id,
		    s->policy_domain);
		if (!c->env->dry_run)
			mark_sample(c, s->id, 0, "psd=y policy: RFC 9991 sends "
			    "no failure reports");
		return;
	}
	nd = dest_override(c->env->verifier, s->policy_domain, 'f', d,
	    dest_parse_list(s->ruf, d, DEST_MAX), DEST_MAX);
	str_format(id, sizeof(id), "fr%lld.%lld", s->id, (long long)s->time);
	for (i = 0; i < nd; i++)
		uris[i] = d[i].uri;
	if (!c->env->dry_run) {
		found = repdb_report_known(c->db, id);
		if (found < 0 || (found == 0 && repdb_report_start(c->db, id,
		    s->policy_domain, s->time, s->time + 1, 1, uris, nd) < 0))
			return;
	}
	spf_record(c, s);
	for (i = 0; i < nd; i++)
		if (!fr_dest(c, s, id, &d[i], (unsigned)i))
			done = false;
	if (!done || c->env->dry_run)
		return;
	mark_sample(c, s->id, (long long)c->now, "");
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

static int sample_read(sqlite3_stmt *q, long long id, afrf_sample_t *s)
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
	col(q, 9, s->psd, sizeof(s->psd));
	col(q, 10, s->spf_domain, sizeof(s->spf_domain));
	col(q, 11, s->spf_scope, sizeof(s->spf_scope));
	col(q, 12, s->spf_result, sizeof(s->spf_result));
	s->spf_aligned = sqlite3_column_int(q, 13) != 0;
	s->dkim_aligned = sqlite3_column_int(q, 14) != 0;
	col(q, 15, s->dkim, sizeof(s->dkim));
	col(q, 16, s->result, sizeof(s->result));
	if ((s->headers = strdup(h ? (const char *)h : "")) == NULL)
		abort();
	sqlite3_reset(q);
	return 0;
}

static void failrep_db(fr_ctx_t *c)
{
	sqlite3_stmt *q = NULL;
	afrf_sample_t *s = malloc(sizeof(*s));
	long long *ids;
	size_t n, i;

	if (s == NULL)
		abort();
	if ((ids = sample_ids(c->db, &n)) == NULL ||
	    sqlite3_prepare_v2(repdb_handle(c->db), sql_sample, -1, &q,
	    NULL) != SQLITE_OK) {
		log_err("%s: failure samples: %s", repdb_path(c->db),
		    sqlite3_errmsg(repdb_handle(c->db)));
		c->st->errors++;
		free(ids);
		free(s);
		return;
	}
	if (n > 0)
		instance_tag(c->db, c->env->dry_run != NULL, c->instance,
		    sizeof(c->instance));
	for (i = 0; i < n; i++) {
		if (sample_read(q, ids[i], s) < 0)
			continue;
		fr_sample(c, s);
		free(s->headers);
	}
	sqlite3_finalize(q);
	free(ids);
	free(s);
}

void failrep_run(const failrep_env_t *env, repdb_t *const *dbs,
    size_t ndbs, run_stats_t *st)
{
	fr_ctx_t c = { env, dbs, ndbs, NULL, "", st, time(NULL) };

	for (size_t i = 0; i < ndbs; i++) {
		c.db = dbs[i];
		failrep_db(&c);
	}
}
