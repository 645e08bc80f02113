/*
 * run - one reporter run.  See run.h.
 */
#include "run.h"
#include "run_ctx.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../dns/dns.h"
#include "../util/log.h"
#include "../util/strbuf.h"
#include "aggregate.h"
#include "backlog.h"
#include "collect.h"
#include "dest.h"
#include "failrep.h"
#include "feedback_xml.h"
#include "mailmsg.h"
#include "npcheck.h"
#include "../history/repdb.h"
#include "reportjob.h"
#include "sendpool.h"
#include "signer.h"
#include "transport.h"
#include "version.h"

#define GENERATOR REPORTER_NAME " " DW_VERSION
#define RUN_WORKERS 2           /* the dev machine has 2 cores */
#define RUN_DEPTH 16            /* reports in flight */
#define RUN_SEND_QUEUE 4        /* mails queued per sender thread */

/* A built report while its mails are being sent: freed by the last
 * sent_back() (left counts the sends in flight, plus one while
 * finish_job() is still handing them out). */
typedef struct sending {
	rjob_t *j;
	unsigned left;
	bool all_final;              /* no destination left pending */
	struct send_slot {
		sendpool_item_t it;
		repdb_dest_t s;
		struct sending *sj;
		size_t k;
	} slot[DEST_MAX];
} sending_t;


/* ---- set-up --------------------------------------------------------- */

static void identity(run_ctx_t *r)
{
	const config_t *c = r->o.cfg;
	const char *at;

	if (c->report_sender[0])
		str_copy(r->sender, sizeof(r->sender), c->report_sender);
	else
		str_format(r->sender, sizeof(r->sender), "noreply-dmarc@%s",
		    c->authserv_id);
	at = strrchr(r->sender, '@');
	str_copy(r->submitter, sizeof(r->submitter), at ? at + 1 : "");
	str_lower(r->submitter);
	str_copy(r->org_name, sizeof(r->org_name), c->report_org_name[0] ?
	    c->report_org_name : c->authserv_id);
}

/* Spill files go next to the history (partition.h), where the space for
 * a day of it is, rather than into a /tmp that may be a small tmpfs. */
static void temp_dir(run_ctx_t *r)
{
	const char *slash, *tmp = getenv("TMPDIR");

	if (hdb_spec_is_pg(r->o.dbs[0])) {    /* no local file: TMPDIR */
		str_copy(r->tmpdir, sizeof(r->tmpdir), tmp && *tmp ? tmp :
		    "/var/tmp");
		return;
	}
	str_copy(r->tmpdir, sizeof(r->tmpdir), r->o.dbs[0]);
	if ((slash = strrchr(r->tmpdir, '/')) == NULL)
		str_copy(r->tmpdir, sizeof(r->tmpdir), ".");
	else if (slash == r->tmpdir)
		r->tmpdir[1] = '\0';
	else
		r->tmpdir[slash - r->tmpdir] = '\0';
}

static int open_resolver(run_ctx_t *r, char *err, size_t errlen)
{
	const config_t *c = r->o.cfg;
	dns_cfg_t dc = {
		.nameservers = c->nameservers,
		.timeout_ms = c->dns_timeout * 1000,
		.dnssec = c->dnssec,
		.trust_anchor = c->trust_anchor,
	};
	char e[256];

	if ((r->dns = dns_resolver_new(&dc, e, sizeof(e))) == NULL) {
		str_format(err, errlen, "resolver: %s", e);
		return -1;
	}
	dns_resolver_ops(r->dns, &r->ops);
	r->disc.method = c->discovery;
	if (c->discovery == DISCOVERY_PSL) {
		if ((r->psl = psl_load_file(c->psl_file)) == NULL) {
			str_format(err, errlen, "cannot load PublicSuffixList "
			    "%s", c->psl_file);
			return -1;
		}
		r->disc.psl = r->psl;
	}
	r->verifier = dest_verifier_new(&r->ops, &r->disc);
	return 0;
}

static int open_signer(run_ctx_t *r, char *err, size_t errlen)
{
	const config_t *c = r->o.cfg;
	char e[256];

	if (c->report_sign_key[0] == '\0')
		return 0;
	if (c->report_sign_selector[0] == '\0') {
		str_copy(err, errlen, "ReportSigningKey needs a "
		    "ReportSigningSelector");
		return -1;
	}
	r->signer = signer_new(c->report_sign_key, c->report_sign_selector,
	    c->report_sign_domain[0] ? c->report_sign_domain : r->submitter,
	    e, sizeof(e));
	if (r->signer == NULL) {
		str_format(err, errlen, "ReportSigningKey: %s", e);
		return -1;
	}
	return 0;
}

/* One run at a time per database (repdb.h LOCKING); a dry run writes
 * nothing and needs no lock. */
static int lock_dbs(run_ctx_t *r, char *err, size_t errlen)
{
	int rc;

	for (size_t i = 0; i < r->o.ndbs && !r->o.dry_run && !r->busy; i++) {
		if ((rc = repdb_lock(r->db[i])) < 0) {
			str_format(err, errlen, "%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			return -1;
		}
		if (rc == 0) {
			r->busy = true;
			str_copy(r->busy_db, sizeof(r->busy_db),
			    repdb_path(r->db[i]));
		}
	}
	return 0;
}

const char *run_busy(const run_ctx_t *r)
{
	return r->busy ? r->busy_db : NULL;
}

run_ctx_t *run_new(const run_opts_t *opts, char *err, size_t errlen)
{
	run_ctx_t *r = calloc(1, sizeof(*r));
	char e[FXML_ERR_MAX];

	if (r == NULL)
		abort();
	r->o = *opts;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	identity(r);
	temp_dir(r);
	for (size_t i = 0; i < r->o.ndbs; i++) {
		r->db[i] = repdb_open(r->o.dbs[i], r->o.dry_run != NULL, err,
		    errlen);
		if (r->db[i] == NULL)
			goto bad;
	}
	if (lock_dbs(r, err, errlen) < 0)
		goto bad;
	if ((r->schemas = fxml_schemas_new(e, sizeof(e))) == NULL) {
		str_copy(err, errlen, e);
		goto bad;
	}
	if (open_resolver(r, err, errlen) < 0 || open_signer(r, err,
	    errlen) < 0)
		goto bad;
	r->tp.sendmail = r->o.cfg->report_sendmail;
	r->tp.relay = r->o.cfg->report_smtp_relay;
	r->tp.helo = r->o.cfg->authserv_id;
	r->env = (rjob_env_t){ r->schemas, r->o.format, r->org_name,
	    r->sender, r->submitter, r->o.cfg->report_contact, GENERATOR,
	    r->o.begin, r->o.end, r->signer, r->o.dry_run };
	r->pool = rjob_pool_new(&r->env, RUN_WORKERS, RUN_DEPTH);
	/* Pacing (--batch) counts messages in order: one at a time then. */
	r->sends = sendpool_new(&r->tp, r->o.batch || r->o.dry_run ? 0 :
	    r->o.cfg->report_send_concurrency);
	return r;
bad:
	run_free(r);
	return NULL;
}

void run_free(run_ctx_t *r)
{
	if (r == NULL)
		return;
	sendpool_free(r->sends);
	rjob_pool_free(r->pool);
	for (size_t i = 0; i < r->o.ndbs; i++)
		repdb_close(r->db[i]);
	fxml_schemas_free(r->schemas);
	dest_verifier_free(r->verifier);
	if (r->dns)
		dns_resolver_free(r->dns);
	if (r->psl)
		psl_free(r->psl);
	signer_free(r->signer);
	for (size_t i = 0; i < PACE_SLOTS; i++)
		free(r->pace[i].domain);
	free(r);
}

const run_stats_t *run_stats(const run_ctx_t *r)
{
	return &r->st;
}

/* ---- helpers -------------------------------------------------------- */

static void new_report_id(time_t begin, char *id, size_t idlen)
{
	unsigned char rnd[8];
	struct tm tm;
	char day[16];
	strbuf_t sb;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		abort();
	gmtime_r(&begin, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	strbuf_init(&sb, idlen - 1);
	strbuf_puts(&sb, day);
	for (size_t i = 0; i < sizeof(rnd); i++)
		strbuf_appendf(&sb, "%02x", rnd[i]);
	str_copy(id, idlen, strbuf_str(&sb));
	strbuf_free(&sb);
}

/* Sleep after every `batch` messages to one destination domain. */
static void pace(run_ctx_t *r, const char *domain)
{
	unsigned long h = 5381;
	pace_t *p;

	if (r->o.batch == 0 || r->o.dry_run)
		return;
	for (const char *s = domain; *s; s++)
		h = h * 33 + (unsigned char)*s;
	p = &r->pace[h % PACE_SLOTS];
	if (p->domain == NULL || strcmp(p->domain, domain) != 0) {
		free(p->domain);
		if ((p->domain = strdup(domain)) == NULL)
			abort();
		p->sent = 0;
	}
	if (++p->sent % r->o.batch == 0 && r->o.delay > 0)
		sleep(r->o.delay);
}

static void progress(run_ctx_t *r, size_t done, size_t total)
{
	static const char bar[] = "########################################";
	int width = 40, fill;

	if (!r->o.progress || total == 0)
		return;
	fill = (int)((unsigned long long)done * (unsigned)width / total);
	fprintf(stderr, "\r[%-*.*s] %zu/%zu, %lu domains", width, fill, bar,
	    done, total, r->st.domains);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* ---- one report ----------------------------------------------------- */

/* Why a destination gets nothing; SKIP_COUNT when it may get the report,
 * -1 when that cannot be told now (DNS). */
static int skip_reason(run_ctx_t *r, const rjob_t *j, const dest_t *d,
    char *why, size_t whylen)
{
	int v;

	if (d->replaced) {
		str_format(why, whylen, "%s", d->why);
		return SKIP_REPLACED;
	}
	if (d->addr[0] == '\0') {
		str_format(why, whylen, "%s", d->why);
		return SKIP_SCHEME;
	}
	if (dest_listed(r->o.cfg->no_reports, d->addr)) {
		str_copy(why, whylen, "in NoReportsList");
		return SKIP_NOREPORTS;
	}
	/* A "!size" suffix (RFC 7489) is ignored: RFC 9989 removed it, and
	 * a report too big for it would be refused for good. */
	v = dest_verify(r->verifier, j->rep.domain, d->domain, why, whylen);
	if (v < 0)
		return -1;
	return v == 0 ? SKIP_EXTERNAL : SKIP_COUNT;
}

static void record_state(run_ctx_t *r, const rjob_t *j, const dest_t *d,
    const repdb_dest_t *s)
{
	if (r->o.dry_run)
		return;
	if (repdb_dest_set(r->db[0], j->id, d->uri, s) < 0) {
		log_err("%s: %s", repdb_path(r->db[0]), repdb_error(r->db[0]));
		r->st.errors++;
	}
}

/* A temporary failure: one more attempt, failed for good at the limit. */
static void attempt_failed(run_ctx_t *r, const rjob_t *j, const dest_t *d,
    repdb_dest_t *s, bool permanent, const char *why)
{
	s->attempts++;
	str_copy(s->detail, sizeof(s->detail), why);
	if (permanent || s->attempts >= r->o.cfg->report_max_attempts) {
		s->state = DEST_FAILED;
		r->st.failed++;
		log_err("report %s for %s to %s failed for good after %u "
		    "attempt%s: %s", j->id, j->rep.domain, d->uri, s->attempts,
		    s->attempts == 1 ? "" : "s", why);
	} else {
		r->st.retry++;
		log_warn("report %s for %s to %s: attempt %u failed, will "
		    "retry: %s", j->id, j->rep.domain, d->uri, s->attempts, why);
	}
}

static void finish(run_ctx_t *r, const rjob_t *j, const char *mark);

/* The mail to destination k goes to the send pool (sendpool.h); true
 * when it went, and sent_back() settles it when it comes back.  A dry
 * run writes the file at once. */
static bool deliver(run_ctx_t *r, sending_t *sj, size_t k)
{
	rjob_t *j = sj->j;
	struct send_slot *slot = &sj->slot[k];
	char name[700];
	const strbuf_t *msg = &j->msg[k];

	if (!j->have_msg[k]) {
		attempt_failed(r, j, &j->d[k], &slot->s, false,
		    "cannot build the message");
		return false;
	}
	if (r->o.dry_run) {
		str_format(name, sizeof(name), "%.*s.%zu.eml",
		    (int)(strlen(j->filename) - 7), j->filename, k);
		if (reportjob_write(r->o.dry_run, name, msg->s, msg->len) < 0)
			r->st.errors++;
		slot->s.state = DEST_SENT;
		r->st.sent++;
		return false;
	}
	slot->it = (sendpool_item_t){ .sender = r->sender,
	    .rcpt = j->d[k].addr, .msg = strbuf_str(msg), .len = msg->len,
	    .ctx = slot };
	slot->sj = sj;
	slot->k = k;
	sj->left++;
	sendpool_submit(r->sends, &slot->it);
	return true;
}

/* A destination's state is final for this run: record it. */
static void settle(run_ctx_t *r, sending_t *sj, size_t k)
{
	record_state(r, sj->j, &sj->j->d[k], &sj->slot[k].s);
	if (sj->slot[k].s.state == DEST_PENDING)
		sj->all_final = false;
}

/* One reference to the report less; the last one finishes it. */
static void release(run_ctx_t *r, sending_t *sj)
{
	if (--sj->left > 0)
		return;
	if (sj->all_final)
		finish(r, sj->j, sj->j->id);
	rjob_free(sj->j);
	free(sj);
}

/* A send came back from the pool. */
static void sent_back(run_ctx_t *r, sendpool_item_t *it)
{
	struct send_slot *slot = it->ctx;
	sending_t *sj = slot->sj;
	rjob_t *j = sj->j;
	const dest_t *d = &j->d[slot->k];

	if (it->status == SEND_OK) {
		slot->s.state = DEST_SENT;
		slot->s.attempts++;
		str_copy(slot->s.detail, sizeof(slot->s.detail), it->why);
		r->st.sent++;
		log_info("report %s for %s sent to %s (%zu bytes gzip, %llu "
		    "messages)", j->id, j->rep.domain, d->addr, j->gzlen,
		    j->rep.messages);
		pace(r, d->domain);
	} else {
		attempt_failed(r, j, d, &slot->s, it->status == SEND_PERMFAIL,
		    it->why);
	}
	settle(r, sj, slot->k);
	release(r, sj);
}

/* Collect the sends that came back.  First wait until none is in flight
 * (wait_all), or else until no more than RUN_SEND_QUEUE per sender thread
 * are, so that the reports waiting for their mail stay few. */
static void collect_sends(run_ctx_t *r, bool wait_all)
{
	size_t bound = RUN_SEND_QUEUE * (sendpool_threads(r->sends) + 1);
	sendpool_item_t *it;

	while (sendpool_inflight(r->sends) > (wait_all ? 0 : bound))
		if ((it = sendpool_done(r->sends, true)) != NULL)
			sent_back(r, it);
	while ((it = sendpool_done(r->sends, false)) != NULL)
		sent_back(r, it);
}

/* A retry of an earlier period waits ReportRetryBackoff after the first
 * failed attempt, doubled for each further one, at most a day; the
 * period the run was started for is always tried. */
static bool backing_off(const run_ctx_t *r, const repdb_dest_t *s)
{
	unsigned long long wait = r->o.cfg->report_retry_backoff;

	if (!r->earlier || s->attempts == 0 || wait == 0)
		return false;
	for (unsigned i = 1; i < s->attempts && wait < 86400; i++)
		wait *= 2;
	if (wait > 86400)
		wait = 86400;
	return time(NULL) - s->last_attempt < (time_t)wait;
}

static void one_destination(run_ctx_t *r, sending_t *sj, size_t k)
{
	rjob_t *j = sj->j;
	const dest_t *d = &j->d[k];
	repdb_dest_t *s = &sj->slot[k].s;
	char why[512];
	int skip;

	if (!r->o.dry_run && repdb_dest_get(r->db[0], j->id, d->uri, s) < 0)
		r->st.errors++;
	if (s->state != DEST_PENDING)
		return;                 /* sent, skipped or failed before */
	if (backing_off(r, s)) {
		r->st.deferred++;
		sj->all_final = false;
		return;
	}
	skip = skip_reason(r, j, d, why, sizeof(why));
	if (skip < 0) {
		attempt_failed(r, j, d, s, false, why);
	} else if (skip < SKIP_COUNT) {
		s->state = DEST_SKIPPED;
		str_copy(s->detail, sizeof(s->detail), why);
		r->st.skipped[skip]++;
		log_info("report %s for %s: %s skipped: %s", j->id,
		    j->rep.domain, d->uri, why);
	} else if (deliver(r, sj, k)) {
		return;                 /* settled by sent_back() */
	}
	settle(r, sj, k);
}

/* Every destination is final: note the rows for marking (done in one
 * pass per database at the end of the run, mark_flush), and record the
 * report as complete. */
static void finish(run_ctx_t *r, const rjob_t *j, const char *mark)
{
	if (r->o.dry_run)
		return;
	for (size_t i = 0; i < r->o.ndbs; i++) {
		if (repdb_mark_later(r->db[i], j->rep.domain, mark) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			r->st.errors++;
			return;
		}
	}
	if (strcmp(mark, "-") != 0 &&
	    repdb_report_complete(r->db[0], j->id) < 0) {
		log_err("%s: %s", repdb_path(r->db[0]), repdb_error(r->db[0]));
		r->st.errors++;
	}
}

/* Mark the rows of every finished domain, then close their reports.  A
 * crash before this leaves the reports complete and the rows unmarked:
 * the next run finds them, sends nothing (every destination is final)
 * and marks. */
static void mark_flush(run_ctx_t *r)
{
	long long n;

	if (r->o.dry_run)
		return;
	for (size_t i = 0; i < r->o.ndbs; i++) {
		if (repdb_mark_flush(r->db[i], r->env.begin, r->env.end,
		    &n) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			r->st.errors++;
			return;
		}
		r->st.marked += (unsigned long long)n;
	}
	if (repdb_reports_done(r->db[0], r->env.begin, r->env.end) < 0) {
		log_err("%s: %s", repdb_path(r->db[0]), repdb_error(r->db[0]));
		r->st.errors++;
	}
}

/* Resume the pending report of this domain and period, or start one. */
static int report_id(run_ctx_t *r, rjob_t *j)
{
	const char *uris[DEST_MAX];
	int found = 0;

	if (!r->o.dry_run)
		found = repdb_report_find(r->db[0], j->rep.domain,
		    r->env.begin, r->env.end, j->id, sizeof(j->id));
	if (found < 0)
		return -1;
	if (found) {
		j->resumed = true;
		return 0;
	}
	new_report_id(r->env.begin, j->id, sizeof(j->id));
	if (r->o.dry_run)
		return 0;
	for (size_t i = 0; i < j->nd; i++)
		uris[i] = j->d[i].uri;
	return repdb_report_start(r->db[0], j->id, j->rep.domain,
	    r->env.begin, r->env.end, j->rep.messages, uris, j->nd);
}

/* The report could not be built (invalid, signing, memory): one failed
 * attempt for each destination still pending, so that a report that can
 * never be built is given up after ReportMaxAttempts runs. */
static void not_built(run_ctx_t *r, rjob_t *j, size_t k, bool *all_final)
{
	repdb_dest_t s;

	memset(&s, 0, sizeof(s));
	if (r->o.dry_run || repdb_dest_get(r->db[0], j->id, j->d[k].uri,
	    &s) < 0 || s.state != DEST_PENDING)
		return;
	attempt_failed(r, j, &j->d[k], &s, false, "the report could not be "
	    "built");
	record_state(r, j, &j->d[k], &s);
	if (s.state == DEST_PENDING)
		*all_final = false;
}

/* A built report comes back from the pool: send it, record, mark. */
static void finish_job(run_ctx_t *r, rjob_t *j)
{
	bool all_final = true;
	sending_t *sj;

	if (j->rc == 0) {
		/* The report lives until its last send comes back. */
		if ((sj = calloc(1, sizeof(*sj))) == NULL)
			abort();
		*sj = (sending_t){ .j = j, .left = 1, .all_final = true };
		r->st.reports++;
		for (size_t k = 0; k < j->nd; k++)
			one_destination(r, sj, k);
		release(r, sj);
		collect_sends(r, false);
		return;
	}
	log_err("report %s for %s not sent: %s", j->id, j->rep.domain,
	    j->err);
	if (j->invalid)
		r->st.invalid++;
	else
		r->st.errors++;
	for (size_t k = 0; k < j->nd; k++)
		not_built(r, j, k, &all_final);
	if (all_final)
		finish(r, j, j->id);
	rjob_free(j);
}

static void drain(run_ctx_t *r, bool all)
{
	rjob_t *j;

	while (rjob_inflight(r->pool) >= rjob_depth(r->pool) ||
	    (all && rjob_inflight(r->pool) > 0))
		if ((j = rjob_done(r->pool, true)) != NULL)
			finish_job(r, j);
	while ((j = rjob_done(r->pool, false)) != NULL)
		finish_job(r, j);
	collect_sends(r, all);
}

/* One domain's records are complete: hand the report to the pool, or
 * finish the domain at once when there is nothing to build. */
static void one_domain(run_ctx_t *r, rjob_t *j)
{
	if (j->rep.overflow)
		log_warn("report for %s: %llu messages beyond %d records left "
		    "out", j->rep.domain, j->rep.overflow, AGG_MAX_RECORDS);
	if (j->rep.nrecords == 0 || !j->rep.policy.valid)
		goto done;
	r->st.domains++;
	j->nd = dest_override(r->verifier, j->rep.domain, 'a', j->d,
	    dest_parse_list(j->rep.policy.rua, j->d, DEST_MAX), DEST_MAX);
	if (j->nd == 0) {
		r->st.skipped[SKIP_NO_RUA]++;
		finish(r, j, "-");
		goto done;
	}
	if (r->o.format == REPORT_RFC9990)
		npcheck_report(&j->rep, &r->ops, &j->nonexistent,
		    &j->nnonexistent);
	if (report_id(r, j) < 0) {
		log_err("%s: %s", repdb_path(r->db[0]), repdb_error(r->db[0]));
		r->st.errors++;
		goto done;
	}
	rjob_submit(r->pool, j);
	drain(r, false);
	return;
done:
	rjob_free(j);
}

/* One period: every domain's report, sent, recorded, rows marked. */
static int run_period(run_ctx_t *r, time_t begin, time_t end, bool earlier)
{
	char err[512];
	struct timespec t1;
	collect_t *c;
	rjob_t **jobs;
	size_t n, k;
	unsigned i;

	r->env.begin = begin;           /* the pool is idle between periods */
	r->env.end = end;
	r->earlier = earlier;
	if ((c = collect_new(r->db, r->o.ndbs, r->env.begin, r->env.end,
	    r->tmpdir, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return -1;
	}
	r->st.rows += collect_rows(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("read %llu rows into %u partitions (%.1f MB compressed, in "
	    "%s) in %.1f s", collect_rows(c), collect_parts(c),
	    (double)collect_tmp_bytes(c) / 1e6, r->tmpdir,
	    (double)(t1.tv_sec - r->t0.tv_sec) +
	    (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9);
	for (i = 0; i < collect_parts(c); i++) {
		if (collect_partition(c, i, &jobs, &n) < 0) {
			log_err("reading partition %u failed", i);
			r->st.errors++;
		}
		for (k = 0; k < n; k++)
			one_domain(r, jobs[k]);
		free(jobs);
		progress(r, i + 1, collect_parts(c));
	}
	drain(r, true);
	collect_free(c);
	mark_flush(r);
	return 0;
}

/* Earlier periods first, oldest first (a pending report then marks its
 * rows before a later one could count them), then the run's own. */
int run_reports(run_ctx_t *r)
{
	char err[512];
	backlog_t *bl = calloc(1, sizeof(*bl));
	unsigned closed;

	if (bl == NULL)
		abort();
	if (backlog_find(r->db, r->o.ndbs, r->o.begin, r->o.end,
	    r->o.cfg->report_catchup_days, bl, err, sizeof(err)) < 0) {
		log_err("%s", err);
		r->st.errors++;
		bl->n = 0;
	}
	for (size_t i = 0; i < bl->n; i++) {
		log_info("earlier period %lld..%lld: retrying its reports",
		    (long long)bl->p[i].begin, (long long)bl->p[i].end);
		r->st.earlier++;
		if (run_period(r, bl->p[i].begin, bl->p[i].end, true) < 0)
			r->st.errors++;
		if (r->o.dry_run)
			continue;
		if (backlog_close_orphans(r->db, r->o.ndbs, bl->p[i].begin,
		    bl->p[i].end, &closed) < 0) {
			log_err("%s: %s", repdb_path(r->db[0]),
			    repdb_error(r->db[0]));
			r->st.errors++;
		}
		r->st.orphans += closed;
	}
	free(bl);
	if (run_period(r, r->o.begin, r->o.end, false) < 0)
		return -1;
	if (r->o.failure_reports) {
		failrep_env_t fe = { r->o.cfg, r->verifier, &r->ops, &r->tp,
		    r->signer, r->sender, r->o.cfg->authserv_id, r->o.dry_run };

		failrep_run(&fe, r->db, r->o.ndbs, &r->st);
	}
	return 0;
}
