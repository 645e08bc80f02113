/*
 * reportjob - report building on worker threads.  See reportjob.h.
 */
#include "reportjob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/log.h"
#include "mailmsg.h"
#include "npcheck.h"
#include "workq.h"

struct rjob_pool {
	workq_t *q;
	unsigned depth;
};

rjob_t *rjob_new(const char *domain)
{
	rjob_t *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	agg_init(&j->rep, domain);
	return j;
}

void rjob_free(rjob_t *j)
{
	if (j == NULL)
		return;
	agg_free(&j->rep);
	npcheck_free(j->nonexistent, j->nnonexistent);
	free(j->gz);
	for (size_t i = 0; i < DEST_MAX; i++)
		strbuf_free(&j->msg[i]);
	free(j);
}

static int write_file(const char *dir, const char *name, const void *p,
    size_t n, char *err, size_t errlen)
{
	char path[4096];
	ssize_t w;
	int fd;

	if (str_format(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		str_format(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	w = write(fd, p, n);
	if (close(fd) < 0 || w != (ssize_t)n) {
		str_format(err, errlen, "%s: write failed", path);
		return -1;
	}
	return 0;
}

int reportjob_write(const char *dir, const char *name, const void *p,
    size_t n)
{
	char err[512];

	if (write_file(dir, name, p, n, err, sizeof(err)) < 0) {
		log_err("dry run: %s", err);
		return -1;
	}
	return 0;
}

static int build_mail(const rjob_env_t *env, rjob_t *j, size_t k)
{
	const dest_t *d = &j->d[k];
	char subject[700], msgid[400], text[1024], ct[800], disp[800];
	char b[32], e[32];
	unsigned long h = 5381;
	mailmsg_part_t parts[2];
	mailmsg_t m;

	for (const char *s = d->uri; *s; s++)
		h = h * 33 + (unsigned char)*s;
	str_format(subject, sizeof(subject), "Report Domain: %s Submitter: "
	    "%s Report-ID: <%s>", j->rep.domain, env->submitter, j->id);
	/* Stable for this report and destination: a retry or a repeat after
	 * a crash carries the same Message-ID. */
	str_format(msgid, sizeof(msgid), "%s.%08lx@%s", j->id,
	    h & 0xffffffffUL, env->submitter);
	mailmsg_date(env->begin, b, sizeof(b));
	mailmsg_date(env->end - 1, e, sizeof(e));
	str_format(text, sizeof(text), "This is a DMARC aggregate report "
	    "from %s about mail from %s,\nfrom %s to %s (UTC): %llu messages "
	    "in %zu records.\nReport-ID: %s\n", env->org_name, j->rep.domain,
	    b, e, j->rep.messages, j->rep.nrecords, j->id);
	str_format(ct, sizeof(ct), "application/gzip; name=\"%s\"",
	    j->filename);
	str_format(disp, sizeof(disp), "attachment; filename=\"%s\"",
	    j->filename);
	parts[0] = (mailmsg_part_t){ "text/plain; charset=us-ascii", NULL,
	    (const unsigned char *)text, strlen(text), false };
	parts[1] = (mailmsg_part_t){ ct, disp, j->gz, j->gzlen, true };
	m = (mailmsg_t){ env->sender, env->org_name, d->addr, subject, msgid,
	    time(NULL), "mixed" };
	strbuf_init(&j->msg[k], MAILMSG_MAX);
	if (mailmsg_build(&m, parts, 2, &j->msg[k]) < 0) {
		str_format(j->err, sizeof(j->err), "cannot build the message to "
		    "%s", d->addr);
		return -1;
	}
	if (env->signer && signer_sign(env->signer, j->id, &j->msg[k], j->err,
	    sizeof(j->err)) < 0)
		return -1;
	j->have_msg[k] = true;
	return 0;
}

static int gzip_sink(void *gz, const unsigned char *p, size_t n)
{
	return mailmsg_gzip_push(gz, p, n);
}

void rjob_build(const rjob_env_t *env, rjob_t *j)
{
	fxml_meta_t meta = {
		.org_name = env->org_name, .email = env->sender,
		.contact = env->contact, .report_id = j->id,
		.begin = env->begin, .end = env->end,
		.generator = env->generator,
		.nonexistent = (const char *const *)j->nonexistent,
		.nnonexistent = j->nnonexistent,
	};
	mailmsg_gz_t *gz = mailmsg_gzip_new();
	int rc;

	j->rc = -1;
	if (gz == NULL) {
		str_copy(j->err, sizeof(j->err), "gzip failed");
		return;
	}
	/* The XML is gzipped as it is written: it never exists whole. */
	rc = fxml_report_write(env->schemas, env->format, &meta, &j->rep,
	    gzip_sink, gz, j->err, sizeof(j->err));
	if (rc < 0) {
		j->invalid = rc == -1;
		mailmsg_gzip_free(gz);
		return;
	}
	if (mailmsg_gzip_finish(gz, &j->gz, &j->gzlen) < 0) {
		str_copy(j->err, sizeof(j->err), "gzip failed");
		return;
	}
	str_format(j->filename, sizeof(j->filename), "%s!%s!%lld!%lld!%s"
	    ".xml.gz", env->submitter, j->rep.domain, (long long)env->begin,
	    (long long)env->end - 1, j->id);
	if (env->dry_run && write_file(env->dry_run, j->filename, j->gz,
	    j->gzlen, j->err, sizeof(j->err)) < 0)
		return;
	for (size_t k = 0; k < j->nd; k++)
		if (j->d[k].addr[0] && !j->d[k].replaced &&
		    build_mail(env, j, k) < 0)
			return;
	j->rc = 0;
}

/* ---- the pool (workq.h) -------------------------------------------- */

static void build_one(const void *env, void *job)
{
	rjob_build(env, job);
}

static void drop_job(void *job)
{
	rjob_free(job);
}

rjob_pool_t *rjob_pool_new(const rjob_env_t *env, unsigned nthreads,
    unsigned depth)
{
	rjob_pool_t *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->depth = depth ? depth : 1;
	p->q = workq_new(build_one, env, nthreads);
	return p;
}

void rjob_submit(rjob_pool_t *p, rjob_t *j)
{
	workq_submit(p->q, j);
}

rjob_t *rjob_done(rjob_pool_t *p, bool wait)
{
	return workq_done(p->q, wait);
}

size_t rjob_inflight(const rjob_pool_t *p)
{
	return workq_inflight(p->q);
}

unsigned rjob_depth(const rjob_pool_t *p)
{
	return p->depth;
}

void rjob_pool_free(rjob_pool_t *p)
{
	if (p == NULL)
		return;
	workq_free(p->q, drop_job);
	free(p);
}
