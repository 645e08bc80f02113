/*
 * npcheck - non-existent author domains of a report.  See npcheck.h.
 */
#include "npcheck.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../policy/align.h"

static bool enforcing(const char *policy)
{
	return strcmp(policy, "quarantine") == 0 ||
	    strcmp(policy, "reject") == 0;
}

static bool listed(char **list, size_t n, const char *d)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i], d) == 0)
			return true;
	return false;
}

static void push(char ***list, size_t *n, size_t *cap, const char *d)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((*list = realloc(*list, *cap * sizeof(**list))) == NULL)
			abort();
	}
	if (((*list)[(*n)++] = strdup(d)) == NULL)
		abort();
}

/* Whether the record is a DMARC pass from a subdomain of the policy
 * domain not asked about yet (asked: every domain queried so far). */
static bool candidate(const agg_report_t *rep, const char *const *f,
    char **asked, size_t nasked)
{
	return strcmp(f[AGG_F_RESULT], "pass") == 0 &&
	    strcasecmp(f[AGG_F_HEADER_FROM], rep->domain) != 0 &&
	    domain_within(f[AGG_F_HEADER_FROM], rep->domain) &&
	    !listed(asked, nasked, f[AGG_F_HEADER_FROM]);
}

unsigned npcheck_report(const agg_report_t *rep, const dns_ops_t *dns,
    char ***out, size_t *n)
{
	const agg_policy_t *p = &rep->policy;
	char **asked = NULL, reason[256], *buf;
	size_t nasked = 0, capasked = 0, cap = 0;
	const char *f[AGG_NFIELDS];

	*out = NULL;
	*n = 0;
	if (dns == NULL || dns->exists == NULL || p->np[0] == '\0' ||
	    enforcing(p->sp) == enforcing(p->np))
		return 0;
	for (size_t i = 0; i < rep->nrecords &&
	    nasked < NPCHECK_MAX_QUERIES; i++) {
		if (agg_fields(&rep->records[i], f, &buf) == 0 &&
		    candidate(rep, f, asked, nasked)) {
			push(&asked, &nasked, &capasked, f[AGG_F_HEADER_FROM]);
			if (dns->exists(dns->ctx, f[AGG_F_HEADER_FROM], reason,
			    sizeof(reason)) == DNSOPS_NXDOMAIN)
				push(out, n, &cap, f[AGG_F_HEADER_FROM]);
		}
		free(buf);
	}
	npcheck_free(asked, nasked);
	return (unsigned)nasked;
}

void npcheck_free(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}
