/*
 * dnsops - TXT answer container shared by resolvers and the policy core.
 */
#include "dnsops.h"

#include <stdlib.h>
#include <string.h>

void txt_answer_init(txt_answer_t *a)
{
	memset(a, 0, sizeof(*a));
}

void txt_answer_add(txt_answer_t *a, const char *p, size_t n)
{
	char *copy;

	if (a->count >= TXT_MAX_RECORDS) {
		a->truncated = true;
		return;
	}
	if (n > TXT_MAX_RECORD_LEN) {
		n = TXT_MAX_RECORD_LEN;
		a->oversize = true;
	}
	copy = malloc(n + 1);
	if (copy == NULL)
		abort();
	if (n)
		memcpy(copy, p, n);
	copy[n] = '\0';
	a->rec[a->count] = copy;
	a->len[a->count] = n;
	a->count++;
}

void txt_answer_free(txt_answer_t *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->count; i++)
		free(a->rec[i]);
	txt_answer_init(a);
}

const char *dnsops_status_name(dnsops_status_t s)
{
	switch (s) {
	case DNSOPS_OK: return "ok";
	case DNSOPS_NODATA: return "nodata";
	case DNSOPS_NXDOMAIN: return "nxdomain";
	case DNSOPS_TEMPFAIL: return "tempfail";
	}
	return "unknown";
}
