/*
 * npcheck - which author domains of a report's passing records do not
 * exist, so that RFC 9990's disposition "pass" follows np= for them
 * (RFC 9989: np= is the policy of non-existent subdomains).
 *
 * SYNOPSIS
 *	char **nx; size_t n;
 *	npcheck_report(&rep, &dns_ops, &nx, &n);
 *	meta.nonexistent = (const char *const *)nx; meta.nnonexistent = n;
 *	npcheck_free(nx, n);
 *
 * DESCRIPTION
 *	The milter asks the DNS whether the author domain exists only when
 *	DMARC fails (that is when np= may change the disposition), so the
 *	history cannot tell it for a message that passed.  For the report
 *	it matters only where sp= and np= differ in whether they enforce
 *	("none" against quarantine/reject): then npcheck_report() asks the
 *	DNS (dns->exists) once for each distinct author domain below the
 *	policy domain among the records with DMARC result "pass", and lists
 *	those that do not exist (NXDOMAIN).  A temporary failure counts as
 *	existing, as in the milter.  At most NPCHECK_MAX_QUERIES queries a
 *	report; the rest count as existing.
 *
 *	The list and its strings belong to the caller (npcheck_free,
 *	NULL fine).  Returns the number of DNS queries made.
 */
#ifndef REPORTER_NPCHECK_H
#define REPORTER_NPCHECK_H

#include <stddef.h>

#include "../policy/dnsops.h"
#include "aggregate.h"

#define NPCHECK_MAX_QUERIES 1000

unsigned npcheck_report(const agg_report_t *rep, const dns_ops_t *dns,
    char ***out, size_t *n);
void npcheck_free(char **list, size_t n);

#endif
