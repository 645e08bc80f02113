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

/* Author domains asked about so far (existing or not), to ask once. */
typedef struct seen {
	char **d;
	size_t n, cap;
} seen_t;

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

unsigned npcheck_report(const agg_report_t *rep, const dns_ops_t *dns,
    char ***out, size_t *n)
{
	const agg_policy_t *p = &rep->policy;
	seen_t seen = { NULL, 0, 0 };
	size_t cap = 0;
	unsigned queries = 0;
	char reason[256], *buf;
	const char *f[AGG_NFIELDS];

	*out = NULL;
	*n = 0;
	if (dns == NULL || dns->exists == NULL || p->np[0] == '\0' ||
	    enforcing(p->sp) == enforcing(p->np))
		return 0;
	for (size_t i = 0; i < rep->nrecords; i++) {
		if (agg_fields(&rep->records[i], f, &buf) == 0 &&
		    strcmp(f[AGG_F_RESULT], "pass") == 0 &&
		    strcasecmp(f[AGG_F_HEADER_FROM], rep->domain) != 0 &&
		    domain_within(f[AGG_F_HEADER_FROM], rep->domain) &&
		    !listed(seen.d, seen.n, f[AGG_F_HEADER_FROM]) &&
		    queries < NPCHECK_MAX_QUERIES) {
			push(&seen.d, &seen.n, &seen.cap, f[AGG_F_HEADER_FROM]);
			queries++;
			if (dns->exists(dns->ctx, f[AGG_F_HEADER_FROM], reason,
			    sizeof(reason)) == DNSOPS_NXDOMAIN)
				push(out, n, &cap, f[AGG_F_HEADER_FROM]);
		}
		free(buf);
	}
	npcheck_free(seen.d, seen.n);
	return queries;
}

void npcheck_free(char **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i]);
	free(list);
}
