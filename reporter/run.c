/*
 * run - one reporter run.  See run.h.
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../milter/dns.h"
#include "../milter/log.h"
#include "../policy/strbuf.h"
#include "aggregate.h"
#include "collect.h"
#include "dest.h"
#include "failrep.h"
#include "feedback_xml.h"
#include "mailmsg.h"
#include "npcheck.h"
#include "repdb.h"
#include "reportjob.h"
#include "signer.h"
#include "transport.h"
#include "version.h"

#define GENERATOR REPORTER_NAME " " DW_VERSION
#define PACE_SLOTS 4096
#define RUN_WORKERS 2           /* the dev machine has 2 cores */
#define RUN_DEPTH 16            /* reports in flight */

typedef struct pace {
	char *domain;
	unsigned sent;
} pace_t;

struct run_ctx {
	run_opts_t o;
	repdb_t *db[RUN_MAX_DBS];
	fxml_schemas_t *schemas;
	dns_resolver_t *dns;
	dns_ops_t ops;
	psl_ctx_t *psl;
	discovery_cfg_t disc;
	dest_verifier_t *verifier;
	signer_t *signer;
	transport_t tp;
	char sender[DEST_ADDR_MAX];
	char submitter[FROM_DOMAIN_MAX];
	char org_name[256];
	pace_t pace[PACE_SLOTS];
	run_stats_t st;
	struct timespec t0;
	rjob_env_t env;
	rjob_pool_t *pool;
};

static const char *const skip_names[SKIP_COUNT] = {
	"no rua", "not mailto", "NoReportsList",
	"replaced by authorization record", "external not authorized"
};

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

run_ctx_t *run_new(const run_opts_t *opts, char *err, size_t errlen)
{
	run_ctx_t *r = calloc(1, sizeof(*r));
	char e[FXML_ERR_MAX];

	if (r == NULL)
		abort();
	r->o = *opts;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	identity(r);
	for (size_t i = 0; i < r->o.ndbs; i++) {
		r->db[i] = repdb_open(r->o.dbs[i], r->o.dry_run != NULL, err,
		    errlen);
		if (r->db[i] == NULL)
			goto bad;
	}
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
	return r;
bad:
	run_free(r);
	return NULL;
}

void run_free(run_ctx_t *r)
{
	if (r == NULL)
		return;
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

static void deliver(run_ctx_t *r, rjob_t *j, size_t k, repdb_dest_t *s)
{
	const dest_t *d = &j->d[k];
	char why[512], name[700];
	const strbuf_t *msg = &j->msg[k];
	send_status_t ss;

	if (!j->have_msg[k]) {
		attempt_failed(r, j, d, s, false, "cannot build the message");
		return;
	}
	if (r->o.dry_run) {
		str_format(name, sizeof(name), "%.*s.%zu.eml",
		    (int)(strlen(j->filename) - 7), j->filename, k);
		if (reportjob_write(r->o.dry_run, name, msg->s, msg->len) < 0)
			r->st.errors++;
		s->state = DEST_SENT;
		r->st.sent++;
		return;
	}
	ss = transport_send(&r->tp, r->sender, d->addr, strbuf_str(msg),
	    msg->len, why, sizeof(why));
	if (ss == SEND_OK) {
		s->state = DEST_SENT;
		s->attempts++;
		str_copy(s->detail, sizeof(s->detail), why);
		r->st.sent++;
		log_info("report %s for %s sent to %s (%zu bytes gzip, %llu "
		    "messages)", j->id, j->rep.domain, d->addr, j->gzlen,
		    j->rep.messages);
		pace(r, d->domain);
		return;
	}
	attempt_failed(r, j, d, s, ss == SEND_PERMFAIL, why);
}

static void one_destination(run_ctx_t *r, rjob_t *j, size_t k,
    bool *all_final)
{
	const dest_t *d = &j->d[k];
	repdb_dest_t s;
	char why[512];
	int skip;

	memset(&s, 0, sizeof(s));
	if (!r->o.dry_run && repdb_dest_get(r->db[0], j->id, d->uri, &s) < 0)
		r->st.errors++;
	if (s.state != DEST_PENDING)
		return;                 /* sent, skipped or failed before */
	skip = skip_reason(r, j, d, why, sizeof(why));
	if (skip < 0) {
		attempt_failed(r, j, d, &s, false, why);
	} else if (skip < SKIP_COUNT) {
		s.state = DEST_SKIPPED;
		str_copy(s.detail, sizeof(s.detail), why);
		r->st.skipped[skip]++;
		log_info("report %s for %s: %s skipped: %s", j->id,
		    j->rep.domain, d->uri, why);
	} else {
		deliver(r, j, k, &s);
	}
	record_state(r, j, d, &s);
	if (s.state == DEST_PENDING)
		*all_final = false;
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
		if (repdb_mark_flush(r->db[i], r->o.begin, r->o.end, &n) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			r->st.errors++;
			return;
		}
		r->st.marked += (unsigned long long)n;
	}
	if (repdb_reports_done(r->db[0], r->o.begin, r->o.end) < 0) {
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
		found = repdb_report_find(r->db[0], j->rep.domain, r->o.begin,
		    r->o.end, j->id, sizeof(j->id));
	if (found < 0)
		return -1;
	if (found) {
		j->resumed = true;
		return 0;
	}
	new_report_id(r->o.begin, j->id, sizeof(j->id));
	if (r->o.dry_run)
		return 0;
	for (size_t i = 0; i < j->nd; i++)
		uris[i] = j->d[i].uri;
	return repdb_report_start(r->db[0], j->id, j->rep.domain, r->o.begin,
	    r->o.end, j->rep.messages, uris, j->nd);
}

/* A built report comes back from the pool: send it, record, mark. */
static void finish_job(run_ctx_t *r, rjob_t *j)
{
	bool all_final = true;

	if (j->rc < 0) {
		log_err("report %s for %s not sent: %s", j->id, j->rep.domain,
		    j->err);
		if (j->invalid)
			r->st.invalid++;
		else
			r->st.errors++;
	} else {
		r->st.reports++;
		for (size_t k = 0; k < j->nd; k++)
			one_destination(r, j, k, &all_final);
		if (all_final)
			finish(r, j, j->id);
	}
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

int run_reports(run_ctx_t *r)
{
	char err[512];
	struct timespec t1;
	collect_t *c;
	rjob_t **jobs;
	size_t n, k;
	unsigned i;

	if ((c = collect_new(r->db, r->o.ndbs, r->o.begin, r->o.end, err,
	    sizeof(err))) == NULL) {
		log_err("%s", err);
		return -1;
	}
	r->st.rows = collect_rows(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("read %llu rows into %u partitions in %.1f s", r->st.rows,
	    collect_parts(c), (double)(t1.tv_sec - r->t0.tv_sec) +
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
	if (r->o.failure_reports) {
		failrep_env_t fe = { r->o.cfg, r->verifier, &r->ops, &r->tp,
		    r->signer, r->sender, r->o.cfg->authserv_id, r->o.dry_run };

		failrep_run(&fe, r->db, r->o.ndbs, &r->st);
	}
	return 0;
}

int run_expire(run_ctx_t *r)
{
	time_t before;
	long long n;

	if (r->o.expire_days < 0 || r->o.dry_run)
		return 0;
	before = time(NULL) - (time_t)r->o.expire_days * 86400;
	for (size_t i = 0; i < r->o.ndbs; i++) {
		if ((n = repdb_expire(r->db[i], before)) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			r->st.errors++;
			return -1;
		}
		r->st.expired += (unsigned long long)n;
	}
	return 0;
}

void run_summary(const run_ctx_t *r, FILE *fp)
{
	struct timespec t1;
	unsigned long skipped = 0;
	double secs;
	strbuf_t sb;
	int k;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - r->t0.tv_sec) +
	    (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
	strbuf_init(&sb, 1024);
	for (k = 0; k < SKIP_COUNT; k++)
		skipped += r->st.skipped[k];
	strbuf_appendf(&sb, "dmarcwarden-report: %lu domains, %lu reports, "
	    "%lu %s, %lu skipped", r->st.domains, r->st.reports, r->st.sent,
	    r->o.dry_run ? "written" : "sent", skipped);
	for (k = 0, skipped = 0; k < SKIP_COUNT; k++)
		if (r->st.skipped[k])
			strbuf_appendf(&sb, "%s%s %lu", skipped++ ? ", " : " (",
			    skip_names[k], r->st.skipped[k]);
	strbuf_appendf(&sb, "%s, %lu failed, %lu to retry, %lu invalid, "
	    "%llu rows", skipped ? ")" : "", r->st.failed, r->st.retry,
	    r->st.invalid, r->st.rows);
	if (r->o.failure_reports)
		strbuf_appendf(&sb, ", failure reports %lu sent %lu skipped "
		    "%lu deferred", r->st.fr_sent, r->st.fr_skipped,
		    r->st.fr_deferred);
	if (r->o.expire_days >= 0)
		strbuf_appendf(&sb, ", %llu expired", r->st.expired);
	if (r->st.errors)
		strbuf_appendf(&sb, ", %lu errors", r->st.errors);
	strbuf_appendf(&sb, ", %.1f s", secs);
	fprintf(fp, "%s\n", strbuf_str(&sb));
	strbuf_free(&sb);
}
