/*
 * failrep - failure reports (RFC 9991) from the failure samples the
 * milter recorded (FailureReports yes): which samples, to whom, and the
 * bookkeeping.  The report itself is built by afrf.h.
 *
 * SYNOPSIS
 *	failrep_env_t env = { cfg, verifier, &dns_ops, &transport, signer,
 *	    sender, authserv, dry_run_dir_or_NULL };
 *	failrep_run(&env, dbs, ndbs, &stats);
 *
 * DESCRIPTION
 *	failrep_run() takes, in every database of the run (a fleet's --db
 *	list), the unhandled samples of the history
 *	(failure_samples.reported IS NULL, oldest first, at most
 *	FAILREP_BATCH a database and run) and sends each to the mailto:
 *	destinations of its ruf, with the same checks as aggregate reports
 *	(dest.h): not mailto, NoReportsList and an external destination
 *	that has not authorized the policy domain are skipped (RFC 9991 asks
 *	for the same verification as rua), and an authorization record's
 *	ruf= replaces the destination (dest_override).  A sample whose
 *	policy record had psd=y is never reported (RFC 9991: no failure
 *	reports for public suffix domain policies): it is marked handled
 *	with that reason.  At most FailureReportHourlyCap reports go to one
 *	destination address in any hour, counted over runs and over all the
 *	databases of the run; the rest wait for a later run.
 *
 *	Bookkeeping, in the sample's own database: report_log/report_dest
 *	with the report id "fr", the sample id, "." and the sample's time
 *	(ids are reused once the newest rows have been expired; with the
 *	time the report id is new for a new sample).  The Message-ID adds
 *	the destination's index and the database's instance tag (a random
 *	value kept in meta as report.instance, made on first use), so two
 *	databases of a fleet never give the same Message-ID.  A sample is
 *	marked handled (reported = the time) once every destination is
 *	final.  The SPF record for SPF-DNS is looked up at report time
 *	(the history does not keep it).  Dry run: FILE.eml files, no
 *	writes (the instance tag is then "dryrun" when none is stored).
 */
#ifndef REPORTER_FAILREP_H
#define REPORTER_FAILREP_H

#include <stddef.h>
#include <time.h>

#include "../conf/config.h"
#include "../policy/dnsops.h"
#include "afrf.h"
#include "dest.h"
#include "../history/repdb.h"
#include "run.h"
#include "signer.h"
#include "transport.h"

#define FAILREP_BATCH 10000

typedef struct failrep_env {
	const config_t *cfg;
	dest_verifier_t *verifier;
	const dns_ops_t *dns;        /* SPF records for SPF-DNS */
	const transport_t *tp;
	signer_t *signer;            /* NULL: unsigned */
	const char *sender;          /* ReportSender address */
	const char *authserv;        /* authserv-id of Authentication-Results */
	const char *dry_run;         /* directory or NULL */
} failrep_env_t;

void failrep_run(const failrep_env_t *env, repdb_t *const *dbs,
    size_t ndbs, run_stats_t *st);

#endif
