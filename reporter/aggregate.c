/*
 * aggregate - records of one report, merged by their fields.  See
 * aggregate.h.
 */
#include "aggregate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"


static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL && n > 0)
		abort();
	return q;
}

void agg_init(agg_report_t *rep, const char *domain)
{
	memset(rep, 0, sizeof(*rep));
	str_copy(rep->domain, sizeof(rep->domain), domain);
}

void agg_free(agg_report_t *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nrecords; i++)
		free(rep->records[i].key);
	free(rep->records);
	free(rep->slots);
	rep->records = NULL;
	rep->slots = NULL;
	rep->nrecords = rep->cap = rep->nslots = 0;
}

/* FNV-1a, 64 bit. */
static uint64_t key_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Join the fields; control bytes other than the list separators become
 * '?' (a list field keeps its own separators).  NULL when too long. */
char *agg_key(const char *const fields[AGG_NFIELDS])
{
	size_t len[AGG_NFIELDS], total = 0, i, k;
	char *key, *p;

	for (i = 0; i < AGG_NFIELDS; i++) {
		len[i] = fields[i] ? strlen(fields[i]) : 0;
		total += len[i] + 1;
	}
	if (total > AGG_KEY_MAX)
		return NULL;
	if ((key = malloc(total)) == NULL)
		abort();
	for (i = 0, p = key; i < AGG_NFIELDS; i++) {
		bool list = i == AGG_F_DKIM || i == AGG_F_REASONS;

		for (k = 0; k < len[i]; k++) {
			unsigned char c = (unsigned char)fields[i][k];

			if ((c < 0x20 || c == 0x7f) && !(list &&
			    (c == AGG_LIST_SEP || c == AGG_SUB_SEP)))
				c = '?';
			*p++ = (char)c;
		}
		*p++ = i + 1 < AGG_NFIELDS ? '\x1f' : '\0';
	}
	return key;
}

/* A table of at least 1,024 slots and more than twice the records, so
 * that probing always finds a free slot; the size comes from nrecords,
 * not from the old table (agg_sort() starts from none). */
static void rehash(agg_report_t *rep)
{
	size_t n = 1024, i, j;

	while (n <= 2 * rep->nrecords + 1)
		n *= 2;

	free(rep->slots);
	rep->slots = calloc(n, sizeof(*rep->slots));
	if (rep->slots == NULL)
		abort();
	rep->nslots = n;
	for (i = 0; i < rep->nrecords; i++) {
		j = key_hash(rep->records[i].key) & (n - 1);
		while (rep->slots[j] != 0)
			j = (j + 1) & (n - 1);
		rep->slots[j] = i + 1;
	}
}

int agg_add(agg_report_t *rep, const char *const fields[AGG_NFIELDS],
    unsigned long long count)
{
	char *key = agg_key(fields);

	if (key == NULL) {
		rep->overflow += count;
		return -1;
	}
	return agg_add_key(rep, key, count);
}

int agg_add_key(agg_report_t *rep, char *key, unsigned long long count)
{
	size_t j;

	if (rep->nrecords * 2 >= rep->nslots)
		rehash(rep);
	j = key_hash(key) & (rep->nslots - 1);
	while (rep->slots[j] != 0) {
		agg_record_t *r = &rep->records[rep->slots[j] - 1];

		if (strcmp(r->key, key) == 0) {
			r->count += count;
			rep->messages += count;
			free(key);
			return 0;
		}
		j = (j + 1) & (rep->nslots - 1);
	}
	if (rep->nrecords >= AGG_MAX_RECORDS) {
		rep->overflow += count;
		free(key);
		return -1;
	}
	if (rep->nrecords == rep->cap) {
		rep->cap = rep->cap ? rep->cap * 2 : 64;
		rep->records = xrealloc(rep->records,
		    rep->cap * sizeof(*rep->records));
	}
	rep->records[rep->nrecords].key = key;
	rep->records[rep->nrecords].count = count;
	rep->slots[j] = ++rep->nrecords;
	rep->messages += count;
	return 0;
}

void agg_policy_offer(agg_report_t *rep, const agg_policy_t *p)
{
	if (!p->valid)
		return;
	if (!rep->policy.valid || p->seen > rep->policy.seen)
		rep->policy = *p;
}

static int record_cmp(const void *a, const void *b)
{
	const agg_record_t *x = a, *y = b;

	return strcmp(x->key, y->key);
}

void agg_sort(agg_report_t *rep)
{
	if (rep->nrecords > 1)
		qsort(rep->records, rep->nrecords, sizeof(*rep->records),
		    record_cmp);
	/* The hash table refers to old positions. */
	free(rep->slots);
	rep->slots = NULL;
	rep->nslots = 0;
	if (rep->nrecords > 0)
		rehash(rep);
}

size_t agg_split(char *list, char sep, char **parts, size_t max)
{
	size_t n = 0;
	char *p = list, *q;

	if (list == NULL || *list == '\0')
		return 0;
	while (n < max) {
		parts[n++] = p;
		if ((q = strchr(p, sep)) == NULL)
			break;
		*q = '\0';
		p = q + 1;
	}
	return n;
}

int agg_fields(const agg_record_t *r, const char *f[AGG_NFIELDS], char **buf)
{
	char *parts[AGG_NFIELDS];
	size_t i, n;

	*buf = strdup(r->key);
	if (*buf == NULL)
		abort();
	n = agg_split(*buf, '\x1f', parts, AGG_NFIELDS);
	for (i = 0; i < AGG_NFIELDS; i++)
		f[i] = i < n ? parts[i] : "";
	return n == AGG_NFIELDS ? 0 : -1;
}
