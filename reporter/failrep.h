/*
 * failrep - failure reports (RFC 9991) in the Authentication Failure
 * Reporting Format (AFRF, RFC 6591 over RFC 5965), from the failure
 * samples the milter recorded (FailureReports yes).
 *
 * SYNOPSIS
 *	failrep_run(cfg, db, verifier, &transport, signer, sender,
 *	    dry_run_dir_or_NULL, &stats);
 *	failrep_message(&sample, sender, to, now, &msg);   (one report)
 *
 * DESCRIPTION
 *	failrep_run() takes the unhandled samples of the history
 *	(failure_samples.reported IS NULL, oldest first, at most
 *	FAILREP_BATCH a run) and sends each to the mailto: destinations of
 *	its ruf, with the same checks as aggregate reports (dest.h): not
 *	mailto, NoReportsList and an external destination that has not
 *	authorized the policy domain are skipped (RFC 9991 asks for the
 *	same verification as rua; OpenDMARC skips it, we do not).  At most
 *	FailureReportHourlyCap reports go to one destination address in
 *	any hour (counted over runs in report_dest); the rest wait for a
 *	later run.  Bookkeeping uses report_log/report_dest with report ids
 *	"fr" followed by the sample id; a sample is marked handled once
 *	every destination is final.  Dry run: FILE.eml files, no writes.
 *
 *	failrep_message() builds one report: multipart/report;
 *	report-type=feedback-report with a text/plain part, the
 *	message/feedback-report part (Feedback-Type: auth-failure, Version,
 *	User-Agent, Auth-Failure, Original-Mail-From, Arrival-Date,
 *	Source-IP, Reported-Domain) and the sample's header as
 *	text/rfc822-headers (already redacted by the milter: only the
 *	FailureReportHeaders fields).  Header bytes that are not 7-bit
 *	printable (or tab) are replaced by '?'.
 */
#ifndef REPORTER_FAILREP_H
#define REPORTER_FAILREP_H

#include <stddef.h>
#include <time.h>

#include "../milter/config.h"
#include "../policy/strbuf.h"
#include "dest.h"
#include "repdb.h"
#include "run.h"
#include "signer.h"
#include "transport.h"

#define FAILREP_BATCH 10000

typedef struct failrep_sample {
	long long id;
	time_t time;
	char policy_domain[FROM_DOMAIN_MAX];
	char header_from[FROM_DOMAIN_MAX];
	char source_ip[64];
	char mail_from[512];
	char auth_failure[16];
	char ruf[2048];
	char *headers;               /* owned */
} failrep_sample_t;

int failrep_message(const failrep_sample_t *s, const char *sender,
    const char *to, const char *msgid, time_t now, strbuf_t *msg);
void failrep_run(const config_t *cfg, repdb_t *db, dest_verifier_t *v,
    const transport_t *tp, signer_t *signer, const char *sender,
    const char *dry_run, run_stats_t *st);

#endif
