/*
 * collect - the period's reportable rows of every database, grouped into
 * one report per policy domain, a partition of domains at a time.
 *
 * SYNOPSIS
 *	collect_t *c = collect_new(dbs, ndbs, begin, end, tmpdir, err,
 *	    errlen);
 *	for (i = 0; i < collect_parts(c); i++) {
 *		collect_partition(c, i, &jobs, &n);   jobs sorted by domain
 *		... each jobs[k] is the caller's (rjob_free)
 *		free(jobs);
 *	}
 *	collect_free(c);
 *
 * DESCRIPTION
 *	collect_new() reads every database once (repdb_scan(): time order,
 *	nearly sequential) and writes each row's (policy domain, record key)
 *	to a temporary partition file chosen by the domain
 *	(partition.h: compressed, in tmpdir), about COLLECT_ROWS_PER_PART
 *	rows a partition.  collect_tmp_bytes() tells the bytes spilled.
 *	Several databases (a fleet) go to the same partitions, so their
 *	counts add up.
 *
 *	collect_partition() reads partition i back and groups it: one
 *	rjob_t per domain whose rep holds the records with their counts
 *	(aggregate.h), the policy of the domain's latest row across the
 *	databases (repdb_policy()), sorted.  Memory: the domains of one
 *	partition, never the whole period.  The array and the jobs belong
 *	to the caller.
 *
 *	collect_domain() adds rep's domain's rows of one database to rep and
 *	offers the policy of its latest row (repdb_collect(),
 *	repdb_policy()): the per-domain path, for tests and small tools.
 *	Returns the rows added, or -1 (repdb_error()).
 *
 *	The databases are borrowed.  collect_free() accepts NULL.
 */
#ifndef REPORTER_COLLECT_H
#define REPORTER_COLLECT_H

#include <stddef.h>
#include <time.h>

#include "../history/repdb.h"
#include "reportjob.h"

#define COLLECT_ROWS_PER_PART 100000

typedef struct collect collect_t;

collect_t *collect_new(repdb_t *const *dbs, size_t ndbs, time_t begin,
    time_t end, const char *tmpdir, char *err, size_t errlen);
unsigned long long collect_tmp_bytes(const collect_t *c);
unsigned collect_parts(const collect_t *c);
unsigned long long collect_rows(const collect_t *c);
int collect_partition(collect_t *c, unsigned i, rjob_t ***jobs, size_t *n);
void collect_free(collect_t *c);
long long collect_domain(repdb_t *db, time_t begin, time_t end,
    agg_report_t *rep);

#endif
