/*
 * collect - one scan, then grouping a partition at a time.  See
 * collect.h.
 */
#include "collect.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "partition.h"

struct collect {
	repdb_t *const *dbs;
	size_t ndbs;
	time_t begin, end;
	partition_t *parts;
	unsigned long long rows, skipped;
};

/* Domains of one partition: open addressing over rjob_t pointers. */
typedef struct dommap {
	rjob_t **slot;
	size_t nslots, n;
} dommap_t;

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void dommap_grow(dommap_t *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 256, j;
	rjob_t **s = calloc(n, sizeof(*s));

	if (s == NULL)
		abort();
	for (size_t i = 0; i < m->nslots; i++) {
		if (m->slot[i] == NULL)
			continue;
		j = hash(m->slot[i]->rep.domain) & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = m->slot[i];
	}
	free(m->slot);
	m->slot = s;
	m->nslots = n;
}

static rjob_t *dommap_get(dommap_t *m, const char *domain)
{
	size_t j;

	if (m->n * 2 >= m->nslots)
		dommap_grow(m);
	j = hash(domain) & (m->nslots - 1);
	while (m->slot[j]) {
		if (strcmp(m->slot[j]->rep.domain, domain) == 0)
			return m->slot[j];
		j = (j + 1) & (m->nslots - 1);
	}
	m->slot[j] = rjob_new(domain);
	m->n++;
	return m->slot[j];
}

static int scan_row(void *ctx, const char *domain,
    const char *const fields[AGG_NFIELDS])
{
	collect_t *c = ctx;
	char *key = agg_key(fields);

	if (key == NULL || partition_put(c->parts, domain, key) < 0) {
		c->skipped++;           /* a record too long for a report */
		free(key);
		return 0;
	}
	free(key);
	c->rows++;
	return 0;
}

collect_t *collect_new(repdb_t *const *dbs, size_t ndbs, time_t begin,
    time_t end, const char *tmpdir, char *err, size_t errlen)
{
	collect_t *c = calloc(1, sizeof(*c));
	long long total = 0, n;
	size_t i;

	if (c == NULL)
		abort();
	*c = (collect_t){ dbs, ndbs, begin, end, NULL, 0, 0 };
	for (i = 0; i < ndbs; i++) {
		if ((n = repdb_count(dbs[i], begin, end)) < 0)
			goto dberr;
		total += n;
	}
	c->parts = partition_new((unsigned)(total / COLLECT_ROWS_PER_PART + 1),
	    tmpdir, err, errlen);
	if (c->parts == NULL)
		goto bad;
	for (i = 0; i < ndbs; i++)
		if (repdb_scan(dbs[i], begin, end, scan_row, c) < 0)
			goto dberr;
	return c;
dberr:
	str_format(err, errlen, "%s: %s", repdb_path(dbs[i]),
	    repdb_error(dbs[i]));
bad:
	collect_free(c);
	return NULL;
}

void collect_free(collect_t *c)
{
	if (c == NULL)
		return;
	partition_free(c->parts);
	free(c);
}

unsigned collect_parts(const collect_t *c)
{
	return partition_count(c->parts);
}

unsigned long long collect_tmp_bytes(const collect_t *c)
{
	return partition_bytes(c->parts);
}

unsigned long long collect_rows(const collect_t *c)
{
	return c->rows;
}

static int part_row(void *ctx, const char *domain, char *key)
{
	rjob_t *j = dommap_get(ctx, domain);

	agg_add_key(&j->rep, key, 1);
	return 0;
}

/* The policy of the domain's latest row in db, offered to rep. */
static int offer_policy(repdb_t *db, time_t begin, time_t end,
    agg_report_t *rep)
{
	agg_policy_t p;
	int got = repdb_policy(db, rep->domain, begin, end, &p);

	if (got > 0)
		agg_policy_offer(rep, &p);
	return got < 0 ? -1 : 0;
}

static int add_row(void *ctx, const char *const f[REPDB_NFIELDS],
    unsigned long long n)
{
	agg_add(ctx, f, n);
	return 0;
}

long long collect_domain(repdb_t *db, time_t begin, time_t end,
    agg_report_t *rep)
{
	if (offer_policy(db, begin, end, rep) < 0)
		return -1;
	return repdb_collect(db, rep->domain, begin, end, add_row, rep);
}

static int cmp_job(const void *a, const void *b)
{
	const rjob_t *x = *(rjob_t *const *)a, *y = *(rjob_t *const *)b;

	return strcmp(x->rep.domain, y->rep.domain);
}

int collect_partition(collect_t *c, unsigned i, rjob_t ***jobs, size_t *n)
{
	dommap_t m = { NULL, 0, 0 };
	size_t k = 0, s;
	int rc = partition_read(c->parts, i, part_row, &m);

	*jobs = calloc(m.n ? m.n : 1, sizeof(**jobs));
	if (*jobs == NULL)
		abort();
	for (s = 0; s < m.nslots; s++)
		if (m.slot[s])
			(*jobs)[k++] = m.slot[s];
	free(m.slot);
	*n = k;
	if (k > 1)
		qsort(*jobs, k, sizeof(**jobs), cmp_job);
	for (s = 0; s < k; s++) {
		for (size_t d = 0; d < c->ndbs; d++)
			if (offer_policy(c->dbs[d], c->begin, c->end,
			    &(*jobs)[s]->rep) < 0)
				rc = -1;
		agg_sort(&(*jobs)[s]->rep);
	}
	return rc;
}
