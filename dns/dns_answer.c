/*
 * dns_answer - what the resolver's raw answers become: TXT strings, a
 * name's existence, and the policy core's dns_ops.  See dns_answer.h.
 */
#include "dns_answer.h"

#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"

void dns_result_free(dns_result_t *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->count && i < DNS_MAX_RR; i++)
		free(res->data[i]);
	res->count = 0;
}

/*
 * Concatenate the character-strings of one TXT RDATA into buf (room for
 * len bytes: the text is always shorter than its RDATA).  Returns the
 * text length, or -1 when a length octet points past the RDATA.
 */
static long dns_txt_parse(const unsigned char *rd, size_t len, char *buf)
{
	size_t pos = 0, out = 0, n;

	while (pos < len) {
		n = rd[pos++];
		if (n > len - pos)
			return -1;
		memcpy(buf + out, rd + pos, n);
		out += n;
		pos += n;
	}
	return (long)out;
}

dnsops_status_t dns_txt(dns_resolver_t *r, const char *name,
    txt_answer_t *out)
{
	dns_result_t res;
	size_t i;
	long n;
	char *buf;

	txt_answer_init(out);
	dns_lookup(r, name, DNS_T_TXT, &res);
	str_copy(out->reason, sizeof(out->reason), res.reason);
	if (res.status != DNSOPS_OK) {
		dns_result_free(&res);
		return res.status;
	}
	for (i = 0; i < res.count; i++) {
		if ((buf = malloc(res.len[i] + 1)) == NULL)
			abort();
		n = dns_txt_parse(res.data[i], res.len[i], buf);
		if (n >= 0)
			txt_answer_add(out, buf, (size_t)n);
		free(buf);
		if (n < 0) {
			txt_answer_free(out);
			str_copy(out->reason, sizeof(out->reason),
			    "malformed TXT RDATA");
			dns_result_free(&res);
			return DNSOPS_TEMPFAIL;
		}
	}
	if (res.truncated)
		out->truncated = true;
	out->stale = res.stale;
	dns_result_free(&res);
	return DNSOPS_OK;
}

/*
 * Does name exist?  Any answer or NODATA for A, AAAA or MX says yes
 * (DNSOPS_OK); NXDOMAIN for all three says no; otherwise TEMPFAIL.  A
 * timeout ends the search, so exists() waits at most one timeout.
 */
dnsops_status_t dns_exists(dns_resolver_t *r, const char *name,
    char *reason, size_t reasonlen)
{
	static const int types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_MX};
	dns_result_t res;
	dnsops_status_t verdict = DNSOPS_NXDOMAIN;
	size_t i;

	if (reasonlen)
		reason[0] = '\0';
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		dns_lookup(r, name, types[i], &res);
		dns_result_free(&res);
		if (res.status == DNSOPS_OK || res.status == DNSOPS_NODATA)
			return DNSOPS_OK;
		if (res.status == DNSOPS_TEMPFAIL) {
			verdict = DNSOPS_TEMPFAIL;
			if (reasonlen)
				str_copy(reason, reasonlen, res.reason);
			/* A silent server: do not wait three times over. */
			if (strcmp(res.reason, "timeout") == 0)
				break;
		}
	}
	if (verdict == DNSOPS_NXDOMAIN && reasonlen)
		str_copy(reason, reasonlen, "NXDOMAIN");
	return verdict;
}

static dnsops_status_t dns_ops_txt(void *ctx, const char *name,
    txt_answer_t *out)
{
	return dns_txt(ctx, name, out);
}

static dnsops_status_t dns_ops_exists(void *ctx, const char *name,
    char *reason, size_t reasonlen)
{
	return dns_exists(ctx, name, reason, reasonlen);
}

void dns_resolver_ops(dns_resolver_t *r, dns_ops_t *ops)
{
	ops->txt = dns_ops_txt;
	ops->exists = dns_ops_exists;
	ops->ctx = r;
}
