/*
 * resolve - DNS for the tool.  See resolve.h.
 */
#include "resolve.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/strbuf.h"

resolve_t *resolve_new(const char *nameservers, unsigned timeout_ms,
    char *err, size_t errlen)
{
	dns_cfg_t cfg = { nameservers, timeout_ms, false, NULL, 0, 0 };
	resolve_t *r = calloc(1, sizeof(*r));

	if (r == NULL)
		abort();
	if ((r->dns = dns_resolver_new(&cfg, err, errlen)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void resolve_free(resolve_t *r)
{
	if (r == NULL)
		return;
	dns_resolver_free(r->dns);
	free(r);
}

void resolve_ops(resolve_t *r, dns_ops_t *ops)
{
	dns_resolver_ops(r->dns, ops);
}

int resolve_reverse_name(const char *ip, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	strbuf_t sb;
	int i, rc;

	if (inet_pton(AF_INET, ip, a) == 1)
		return str_format(out, size, "%u.%u.%u.%u.in-addr.arpa", a[3],
		    a[2], a[1], a[0]) < 0 ? -1 : 0;
	if (inet_pton(AF_INET6, ip, a) != 1)
		return -1;
	strbuf_init(&sb, 128);
	for (i = 15; i >= 0; i--)
		strbuf_appendf(&sb, "%c.%c.", hex[a[i] & 15], hex[a[i] >> 4]);
	strbuf_puts(&sb, "ip6.arpa");
	rc = str_copy(out, size, strbuf_str(&sb));
	strbuf_free(&sb);
	return rc;
}

int resolve_wire_name(const unsigned char *p, size_t n, char *out,
    size_t size)
{
	size_t pos = 0, len, o = 0;

	if (size == 0)
		return -1;
	while (pos < n && p[pos] != 0) {
		len = p[pos++];
		if (len > 63 || len > n - pos || o + len + 1 >= size)
			return -1;
		if (o > 0)
			out[o++] = '.';
		str_printable(out + o, size - o, (const char *)p + pos, len);
		o += len;
		pos += len;
	}
	if (pos >= n)
		return -1;
	out[o] = '\0';
	str_lower(out);
	return 0;
}

/* FCrDNS: 1 when the name's A (or AAAA) records include ip, else 0.
 * Anyone controlling the reverse zone of an address can make its PTR
 * say "mail.google.com"; only the forward zone's owner can confirm it. */
static int forward_confirmed(resolve_t *r, const char *name, const char *ip)
{
	unsigned char addr[16];
	bool v6 = strchr(ip, ':') != NULL;
	size_t alen = v6 ? 16 : 4, i;
	dns_result_t res;
	int ok = 0;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, addr) != 1)
		return 0;
	r->lookups++;
	if (dns_lookup(r->dns, name, v6 ? DNS_T_AAAA : DNS_T_A, &res) ==
	    DNSOPS_OK)
		for (i = 0; i < res.count && !ok; i++)
			ok = res.len[i] == alen && memcmp(res.data[i], addr,
			    alen) == 0;
	dns_result_free(&res);
	return ok;
}

int resolve_ptr(void *ctx, const char *ip, char *name, size_t size)
{
	resolve_t *r = ctx;
	char rev[80];
	dns_result_t res;
	dnsops_status_t st;
	int rc = -1;

	name[0] = '\0';
	if (r->ptr_failures >= RESOLVE_MAX_PTR_FAILURES ||
	    resolve_reverse_name(ip, rev, sizeof(rev)) < 0)
		return -1;
	r->lookups++;
	st = dns_lookup(r->dns, rev, DNS_T_PTR, &res);
	r->ptr_failures = st == DNSOPS_TEMPFAIL ? r->ptr_failures + 1 : 0;
	if (r->ptr_failures == RESOLVE_MAX_PTR_FAILURES)
		fprintf(stderr, "dmarcwarden-policy: %u PTR lookups failed in a "
		    "row (%s); no more PTR names\n", r->ptr_failures,
		    res.reason);
	if (st == DNSOPS_OK && res.count > 0)
		rc = resolve_wire_name(res.data[0], res.len[0], name, size);
	dns_result_free(&res);
	if (rc < 0)
		name[0] = '\0';
	else
		rc = forward_confirmed(r, name, ip);
	return rc;
}
