/*
 * reportjob - building one aggregate report (XML, validation, gzip, the
 * mail for each destination), on worker threads.
 *
 * SYNOPSIS
 *	rjob_env_t env = { schemas, format, ... };     read-only for the run
 *	rjob_pool_t *p = rjob_pool_new(&env, 2, 16);
 *	rjob_submit(p, job);                 job: rep, id, d[], nd filled
 *	while ((job = rjob_done(p, wait)) != NULL) { use; rjob_free(job); }
 *	rjob_pool_free(p);
 *
 * DESCRIPTION
 *	rjob_build() does the CPU work of one report: the XML
 *	(feedback_xml.h, validated), gzip, the file name
 *	receiver!domain!begin!end!id.xml.gz, in a dry run the .xml.gz file,
 *	and for every destination with a mailto address the complete mail
 *	(mailmsg.h; DKIM-signed when env->signer is set).  It logs nothing
 *	and touches no database: rc and err tell the caller what happened.
 *	What to do with each destination (skip, send, record) is decided by
 *	the caller, in one thread.
 *
 *	The pool (a work queue, workq.h) runs rjob_build() on nthreads
 *	threads (0: in rjob_submit() itself).  At most `depth` jobs are in flight:
 *	rjob_submit() does not block, the caller keeps the count with
 *	rjob_inflight() and collects finished jobs with rjob_done() (wait:
 *	block until one is finished; NULL when none is in flight).  Finished
 *	jobs come back in any order.  The schemas, the signer and the
 *	strings of env are shared read-only (libxml2 validation contexts and
 *	libopendkim handles are per job).
 *
 *	A job belongs to the caller before rjob_submit() and after
 *	rjob_done(); rjob_free() releases it (NULL ok).  rjob_pool_free()
 *	waits for the threads; jobs not collected are freed.
 */
#ifndef REPORTER_REPORTJOB_H
#define REPORTER_REPORTJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../conf/config.h"
#include "../util/strbuf.h"
#include "aggregate.h"
#include "dest.h"
#include "feedback_xml.h"
#include "../history/repdb.h"
#include "signer.h"

typedef struct rjob_env {
	const fxml_schemas_t *schemas;
	report_format_t format;
	const char *org_name, *sender, *submitter, *contact, *generator;
	time_t begin, end;
	signer_t *signer;            /* NULL: unsigned */
	const char *dry_run;         /* directory or NULL */
} rjob_env_t;

typedef struct rjob {
	/* input */
	agg_report_t rep;
	char id[REPDB_ID_MAX];
	dest_t d[DEST_MAX];
	size_t nd;
	bool resumed;
	char **nonexistent;          /* author domains, npcheck.h */
	size_t nnonexistent;
	/* output */
	int rc;                      /* 0, or -1 with err */
	bool invalid;                /* the XML did not validate */
	char err[FXML_ERR_MAX];
	char filename[600];
	unsigned char *gz;
	size_t gzlen;
	strbuf_t msg[DEST_MAX];      /* per destination with an address */
	bool have_msg[DEST_MAX];
} rjob_t;

typedef struct rjob_pool rjob_pool_t;

rjob_t *rjob_new(const char *domain);
/* Write n bytes to DIR/NAME (0644); 0 or -1 (logged). */
int reportjob_write(const char *dir, const char *name, const void *p,
    size_t n);
void rjob_build(const rjob_env_t *env, rjob_t *j);
void rjob_free(rjob_t *j);

rjob_pool_t *rjob_pool_new(const rjob_env_t *env, unsigned nthreads,
    unsigned depth);
void rjob_submit(rjob_pool_t *p, rjob_t *j);
rjob_t *rjob_done(rjob_pool_t *p, bool wait);
size_t rjob_inflight(const rjob_pool_t *p);
unsigned rjob_depth(const rjob_pool_t *p);
void rjob_pool_free(rjob_pool_t *p);

#endif
