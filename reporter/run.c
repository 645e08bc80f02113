/*
 * run - one reporter run.  See run.h.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../milter/dns.h"
#include "../milter/log.h"
#include "../policy/strbuf.h"
#include "aggregate.h"
#include "dest.h"
#include "failrep.h"
#include "feedback_xml.h"
#include "mailmsg.h"
#include "repdb.h"
#include "signer.h"
#include "transport.h"

#define GENERATOR "dmarcwarden-report"
#define PACE_SLOTS 4096

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
};

/* What one report is while it is being sent. */
typedef struct job {
	agg_report_t rep;
	char id[REPDB_ID_MAX];
	char filename[600];
	unsigned char *gz;
	size_t gzlen;
	bool all_final;
	bool resumed;
} job_t;

static const char *const skip_names[SKIP_COUNT] = {
	"no rua", "not mailto", "NoReportsList", "size limit",
	"external not authorized"
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
	return r;
bad:
	run_free(r);
	return NULL;
}

void run_free(run_ctx_t *r)
{
	if (r == NULL)
		return;
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
	if (done != total && done % 64 != 0)
		return;
	fill = (int)((unsigned long long)done * (unsigned)width / total);
	fprintf(stderr, "\r[%-*.*s] %zu/%zu domains", width, fill, bar, done,
	    total);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

static int write_file(const char *dir, const char *name, const void *p,
    size_t n)
{
	char path[4096];
	int fd;
	ssize_t w;

	if (str_format(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_err("dry run: %s: %s", path, strerror(errno));
		return -1;
	}
	w = write(fd, p, n);
	if (close(fd) < 0 || w != (ssize_t)n) {
		log_err("dry run: %s: write failed", path);
		return -1;
	}
	return 0;
}

/* ---- one report ----------------------------------------------------- */

static int build_report(run_ctx_t *r, job_t *j)
{
	const config_t *c = r->o.cfg;
	fxml_meta_t meta = {
		.org_name = r->org_name, .email = r->sender,
		.contact = c->report_contact, .report_id = j->id,
		.begin = r->o.begin, .end = r->o.end, .generator = GENERATOR,
	};
	unsigned char *xml;
	size_t len;
	char err[FXML_ERR_MAX];

	if (fxml_report(r->schemas, r->o.format, &meta, &j->rep, &xml, &len,
	    err, sizeof(err)) < 0) {
		log_err("report %s for %s not sent: %s", j->id, j->rep.domain,
		    err);
		r->st.invalid++;
		return -1;
	}
	if (mailmsg_gzip(xml, len, &j->gz, &j->gzlen) < 0) {
		log_err("report %s for %s: gzip failed", j->id, j->rep.domain);
		free(xml);
		r->st.errors++;
		return -1;
	}
	free(xml);
	str_format(j->filename, sizeof(j->filename), "%s!%s!%lld!%lld!%s"
	    ".xml.gz", r->submitter, j->rep.domain, (long long)r->o.begin,
	    (long long)r->o.end - 1, j->id);
	if (r->o.dry_run)
		write_file(r->o.dry_run, j->filename, j->gz, j->gzlen);
	return 0;
}

static int build_mail(run_ctx_t *r, const job_t *j, const dest_t *d,
    strbuf_t *msg)
{
	char subject[700], msgid[400], text[1024], ct[800], disp[800];
	char b[32], e[32], err[256];
	unsigned long h = 5381;
	mailmsg_part_t parts[2];
	mailmsg_t m;

	for (const char *s = d->uri; *s; s++)
		h = h * 33 + (unsigned char)*s;
	str_format(subject, sizeof(subject), "Report Domain: %s Submitter: "
	    "%s Report-ID: <%s>", j->rep.domain, r->submitter, j->id);
	str_format(msgid, sizeof(msgid), "%s.%08lx@%s", j->id,
	    h & 0xffffffffUL, r->submitter);
	mailmsg_date(r->o.begin, b, sizeof(b));
	mailmsg_date(r->o.end - 1, e, sizeof(e));
	str_format(text, sizeof(text), "This is a DMARC aggregate report "
	    "from %s about mail from %s,\nfrom %s to %s (UTC): %llu messages "
	    "in %zu records.\nReport-ID: %s\n", r->org_name, j->rep.domain, b,
	    e, j->rep.messages, j->rep.nrecords, j->id);
	str_format(ct, sizeof(ct), "application/gzip; name=\"%s\"",
	    j->filename);
	str_format(disp, sizeof(disp), "attachment; filename=\"%s\"",
	    j->filename);
	parts[0] = (mailmsg_part_t){ "text/plain; charset=us-ascii", NULL,
	    (const unsigned char *)text, strlen(text), false };
	parts[1] = (mailmsg_part_t){ ct, disp, j->gz, j->gzlen, true };
	m = (mailmsg_t){ r->sender, r->org_name, d->addr, subject, msgid,
	    time(NULL), "mixed" };
	strbuf_init(msg, MAILMSG_MAX);
	if (mailmsg_build(&m, parts, 2, msg) < 0) {
		log_err("report %s to %s: cannot build the message", j->id,
		    d->addr);
		return -1;
	}
	if (r->signer && signer_sign(r->signer, j->id, msg, err,
	    sizeof(err)) < 0) {
		log_err("report %s to %s: %s", j->id, d->addr, err);
		return -1;
	}
	return 0;
}

/* Why a destination gets nothing; SKIP_COUNT when it may get the report,
 * -1 when that cannot be told now (DNS). */
static int skip_reason(run_ctx_t *r, const job_t *j, const dest_t *d,
    char *why, size_t whylen)
{
	int v;

	if (d->addr[0] == '\0') {
		str_format(why, whylen, "%s", d->why);
		return SKIP_SCHEME;
	}
	if (dest_listed(r->o.cfg->no_reports, d->addr)) {
		str_copy(why, whylen, "in NoReportsList");
		return SKIP_NOREPORTS;
	}
	if (d->size > 0 && j->gzlen > d->size) {
		str_format(why, whylen, "report of %zu bytes exceeds the "
		    "destination's limit of %llu bytes", j->gzlen, d->size);
		return SKIP_SIZE;
	}
	v = dest_verify(r->verifier, j->rep.domain, d->domain, why, whylen);
	if (v < 0)
		return -1;
	return v == 0 ? SKIP_EXTERNAL : SKIP_COUNT;
}

static void record_state(run_ctx_t *r, const job_t *j, const dest_t *d,
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
static void attempt_failed(run_ctx_t *r, const job_t *j, const dest_t *d,
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

static void deliver(run_ctx_t *r, const job_t *j, const dest_t *d,
    repdb_dest_t *s, unsigned n)
{
	char why[512], name[700];
	strbuf_t msg;
	send_status_t ss;

	if (build_mail(r, j, d, &msg) < 0) {
		strbuf_free(&msg);
		attempt_failed(r, j, d, s, false, "cannot build the message");
		return;
	}
	if (r->o.dry_run) {
		str_format(name, sizeof(name), "%.*s.%u.eml",
		    (int)(strlen(j->filename) - 7), j->filename, n);
		write_file(r->o.dry_run, name, msg.s, msg.len);
		s->state = DEST_SENT;
		r->st.sent++;
		strbuf_free(&msg);
		return;
	}
	ss = transport_send(&r->tp, r->sender, d->addr, strbuf_str(&msg),
	    msg.len, why, sizeof(why));
	strbuf_free(&msg);
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

static void one_destination(run_ctx_t *r, job_t *j, const dest_t *d,
    unsigned n)
{
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
		deliver(r, j, d, &s, n);
	}
	record_state(r, j, d, &s);
	if (s.state == DEST_PENDING)
		j->all_final = false;
}

/* Mark the rows of every database, then close the report. */
static void finish(run_ctx_t *r, const job_t *j, const char *mark)
{
	long long n;

	if (r->o.dry_run)
		return;
	for (size_t i = 0; i < r->o.ndbs; i++) {
		if (repdb_mark(r->db[i], j->rep.domain, r->o.begin, r->o.end,
		    mark, &n) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			r->st.errors++;
			return;
		}
		r->st.marked += (unsigned long long)n;
	}
	if (strcmp(mark, "-") != 0 && repdb_report_done(r->db[0], j->id) < 0) {
		log_err("%s: %s", repdb_path(r->db[0]), repdb_error(r->db[0]));
		r->st.errors++;
	}
}

/* Resume the pending report of this domain and period, or start one. */
static int report_id(run_ctx_t *r, job_t *j, const dest_t *d, size_t nd)
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
	for (size_t i = 0; i < nd; i++)
		uris[i] = d[i].uri;
	return repdb_report_start(r->db[0], j->id, j->rep.domain, r->o.begin,
	    r->o.end, j->rep.messages, uris, nd);
}

static void one_domain(run_ctx_t *r, const char *domain)
{
	dest_t d[DEST_MAX];
	job_t j;
	size_t nd, i;
	long long n;

	memset(&j, 0, sizeof(j));
	agg_init(&j.rep, domain);
	for (i = 0; i < r->o.ndbs; i++) {
		if ((n = repdb_collect(r->db[i], domain, r->o.begin, r->o.end,
		    &j.rep)) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			r->st.errors++;
			goto out;
		}
		r->st.rows += (unsigned long long)n;
	}
	if (j.rep.overflow)
		log_warn("report for %s: %llu messages beyond %d records left "
		    "out", domain, j.rep.overflow, AGG_MAX_RECORDS);
	if (j.rep.nrecords == 0)
		goto out;
	r->st.domains++;
	agg_sort(&j.rep);
	nd = dest_parse_list(j.rep.policy.rua, d, DEST_MAX);
	if (nd == 0) {
		r->st.skipped[SKIP_NO_RUA]++;
		finish(r, &j, "-");
		goto out;
	}
	if (report_id(r, &j, d, nd) < 0) {
		log_err("%s: %s", repdb_path(r->db[0]), repdb_error(r->db[0]));
		r->st.errors++;
		goto out;
	}
	if (build_report(r, &j) < 0)
		goto out;
	r->st.reports++;
	j.all_final = true;
	for (i = 0; i < nd; i++)
		one_destination(r, &j, &d[i], (unsigned)i);
	if (j.all_final)
		finish(r, &j, j.id);
out:
	free(j.gz);
	agg_free(&j.rep);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int run_reports(run_ctx_t *r)
{
	repdb_list_t all = { 0 };
	size_t i, k;

	for (i = 0; i < r->o.ndbs; i++) {
		if (repdb_domains(r->db[i], r->o.begin, r->o.end, &all) < 0) {
			log_err("%s: %s", repdb_path(r->db[i]),
			    repdb_error(r->db[i]));
			repdb_list_free(&all);
			return -1;
		}
	}
	if (all.n > 1)
		qsort(all.item, all.n, sizeof(*all.item), cmp_str);
	for (i = k = 0; i < all.n; i++) {
		if (i > 0 && strcmp(all.item[i], all.item[i - 1]) == 0)
			continue;
		one_domain(r, all.item[i]);
		progress(r, ++k, all.n);
	}
	if (r->o.progress && all.n > 0 && k != all.n)
		progress(r, all.n, all.n);
	repdb_list_free(&all);
	if (r->o.failure_reports)
		failrep_run(r->o.cfg, r->db[0], r->verifier, &r->tp,
		    r->signer, r->sender, r->o.dry_run, &r->st);
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
