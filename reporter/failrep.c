/*
 * failrep - failure reports from failure samples.  See failrep.h.
 */
#include "failrep.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../history/failstore.h"
#include "../util/log.h"

#define INSTANCE_MAX 24

typedef struct fr_ctx {
	const failrep_env_t *env;
	repdb_t *const *dbs;
	size_t ndbs;
	repdb_t *db;                 /* the sample's database */
	hdb_t *h;                    /* its connection */
	char instance[INSTANCE_MAX];
	run_stats_t *st;
	time_t now;
} fr_ctx_t;

/* The database's instance tag (meta report.instance), made once. */
static void instance_tag(const fr_ctx_t *c, char *out, size_t len)
{
	bool dry_run = c->env->dry_run != NULL;

	if (failstore_instance(c->h, !dry_run, out, len) < 0)
		log_warn("%s: cannot store report.instance: %s",
		    repdb_path(c->db), hdb_error(c->h));
	if (out[0] == '\0')
		str_copy(out, len, "dryrun");
}

/* Reports sent to this address in the last hour (all runs, every
 * database of this run). */
static long long sent_last_hour(const fr_ctx_t *c, const char *uri)
{
	long long n = 0, k;

	for (size_t i = 0; i < c->ndbs; i++) {
		hdb_t *h = repdb_hdb(c->dbs[i]);

		if (h != NULL && (k = failstore_sent_since(h, uri, c->now -
		    3600)) > 0)
			n += k;
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
	if (failstore_mark(c->h, id, value, detail) < 0)
		c->st->errors++;
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

static void copy_sample(void *ctx, const failstore_row_t *r)
{
	afrf_sample_t *s = ctx;

	memset(s, 0, sizeof(*s));
	s->id = r->id;
	s->time = (time_t)r->time;
	str_copy(s->policy_domain, sizeof(s->policy_domain), r->policy_domain);
	str_copy(s->header_from, sizeof(s->header_from), r->header_from);
	str_copy(s->source_ip, sizeof(s->source_ip), r->source_ip);
	str_copy(s->mail_from, sizeof(s->mail_from), r->mail_from);
	str_copy(s->auth_failure, sizeof(s->auth_failure), r->auth_failure);
	str_copy(s->ruf, sizeof(s->ruf), r->ruf);
	str_copy(s->psd, sizeof(s->psd), r->psd);
	str_copy(s->spf_domain, sizeof(s->spf_domain), r->spf_domain);
	str_copy(s->spf_scope, sizeof(s->spf_scope), r->spf_scope);
	str_copy(s->spf_result, sizeof(s->spf_result), r->spf_result);
	s->spf_aligned = r->spf_aligned;
	s->dkim_aligned = r->dkim_aligned;
	str_copy(s->dkim, sizeof(s->dkim), r->dkim);
	str_copy(s->result, sizeof(s->result), r->result);
	if ((s->headers = strdup(r->headers)) == NULL)
		abort();
}

/* Ids first, then one sample at a time (failstore.h). */
static void failrep_db(fr_ctx_t *c)
{
	afrf_sample_t *s = malloc(sizeof(*s));
	long long *ids = calloc(FAILREP_BATCH, sizeof(*ids));
	long long n, i;

	if (s == NULL || ids == NULL)
		abort();
	if (c->h == NULL || (n = failstore_pending(c->h, ids,
	    FAILREP_BATCH)) < 0) {
		log_err("%s: failure samples: %s", repdb_path(c->db),
		    c->h ? hdb_error(c->h) : "no connection");
		c->st->errors++;
		n = 0;
	}
	if (n > 0)
		instance_tag(c, c->instance, sizeof(c->instance));
	for (i = 0; i < n; i++) {
		s->headers = NULL;
		if (failstore_read(c->h, ids[i], copy_sample, s) != 1)
			continue;
		fr_sample(c, s);
		free(s->headers);
	}
	free(ids);
	free(s);
}

void failrep_run(const failrep_env_t *env, repdb_t *const *dbs,
    size_t ndbs, run_stats_t *st)
{
	fr_ctx_t c = { env, dbs, ndbs, NULL, NULL, "", st, time(NULL) };

	for (size_t i = 0; i < ndbs; i++) {
		c.db = dbs[i];
		c.h = repdb_hdb(dbs[i]);
		failrep_db(&c);
	}
}
