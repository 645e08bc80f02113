/*
 * fakedns - table-driven replacement of dns/dns.c for fuzz targets.
 * See fakedns.h.
 */
#include "fakedns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../util/strbuf.h"

#define FAKE_NAME_MAX 256
#define FAKE_FAIL 0x10000   /* pseudo type: the name fails temporarily */

typedef struct fake_rr {
	char name[FAKE_NAME_MAX];
	int type;
	size_t len;
	unsigned char *data;
	char reason[16];        /* for FAKE_FAIL */
} fake_rr_t;

struct dns_resolver {
	int unused;
};

static fake_rr_t zone[FAKEDNS_MAX_RR];
static size_t nzone;
static unsigned long nqueries;
static struct dns_resolver the_resolver;

static void zone_clear(void)
{
	size_t i;

	for (i = 0; i < nzone; i++)
		free(zone[i].data);
	memset(zone, 0, sizeof(zone));
	nzone = 0;
	nqueries = 0;
}

/* Canonical owner name: lower case, one trailing dot dropped. */
static void canon_name(const char *p, size_t n, char *out, size_t outlen)
{
	if (n > 0 && p[n - 1] == '.')
		n--;
	str_ncopy(out, outlen, p, n);
	str_lower(out);
}

/* Host name into DNS wire form; returns its length or 0. */
static size_t wire_name(const char *host, unsigned char *out, size_t size)
{
	size_t pos = 0, n;
	const char *dot;

	while (*host != '\0') {
		dot = strchr(host, '.');
		n = dot ? (size_t)(dot - host) : strlen(host);
		if (n == 0 || n > 63 || pos + n + 2 > size)
			return 0;
		out[pos++] = (unsigned char)n;
		memcpy(out + pos, host, n);
		pos += n;
		host += n;
		if (*host == '.')
			host++;
	}
	if (pos + 1 > size)
		return 0;
	out[pos++] = 0;
	return pos;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode "\n" and "\xHH" escapes; returns the decoded length. */
static size_t unescape(const char *p, size_t n, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n && p[i + 1] == 'n') {
			out[o++] = '\n';
			i++;
		} else if (p[i] == '\\' && i + 3 < n && p[i + 1] == 'x' &&
		    hexval((unsigned char)p[i + 2]) >= 0 &&
		    hexval((unsigned char)p[i + 3]) >= 0) {
			out[o++] = (unsigned char)(hexval((unsigned char)p[i + 2])
			    * 16 + hexval((unsigned char)p[i + 3]));
			i += 3;
		} else {
			out[o++] = (unsigned char)p[i];
		}
	}
	return o;
}

/* TXT text into character-strings of at most 255 bytes. */
static size_t txt_rdata(const char *v, size_t n, unsigned char *out,
    size_t size)
{
	unsigned char *text = malloc(n + 1);
	size_t tlen, pos = 0, i = 0, chunk;

	if (text == NULL)
		abort();
	tlen = unescape(v, n, text);
	do {
		chunk = tlen - i > 255 ? 255 : tlen - i;
		if (pos + chunk + 1 > size)
			break;
		out[pos++] = (unsigned char)chunk;
		memcpy(out + pos, text + i, chunk);
		pos += chunk;
		i += chunk;
	} while (i < tlen);
	free(text);
	return pos;
}

/* RDATA for one typed value; returns the length, or -1 when invalid. */
static long make_rdata(const char *type, const char *v, size_t n,
    int *rrtype, unsigned char *out, size_t size)
{
	char tmp[FAKE_NAME_MAX];

	str_ncopy(tmp, sizeof(tmp), v, n);
	if (strcasecmp(type, "TXT") == 0) {
		*rrtype = DNS_T_TXT;
		return (long)txt_rdata(v, n, out, size);
	}
	if (strcasecmp(type, "TXTWIRE") == 0) {
		*rrtype = DNS_T_TXT;
		if (n > size)
			n = size;
		memcpy(out, v, n);
		return (long)n;
	}
	if (strcasecmp(type, "A") == 0) {
		*rrtype = DNS_T_A;
		return inet_pton(AF_INET, tmp, out) == 1 ? 4 : -1;
	}
	if (strcasecmp(type, "AAAA") == 0) {
		*rrtype = DNS_T_AAAA;
		return inet_pton(AF_INET6, tmp, out) == 1 ? 16 : -1;
	}
	if (strcasecmp(type, "MX") == 0) {
		char *end;
		unsigned long pref = strtoul(tmp, &end, 10);
		size_t w;

		*rrtype = DNS_T_MX;
		while (*end == ' ' || *end == '\t')
			end++;
		out[0] = (unsigned char)(pref >> 8);
		out[1] = (unsigned char)pref;
		w = wire_name(end, out + 2, size - 2);
		return w ? (long)w + 2 : -1;
	}
	if (strcasecmp(type, "PTR") == 0 || strcasecmp(type, "CNAME") == 0) {
		size_t w;

		*rrtype = type[0] == 'P' || type[0] == 'p' ? DNS_T_PTR :
		    DNS_T_CNAME;
		w = wire_name(tmp, out, size);
		return w ? (long)w : -1;
	}
	return -1;
}

/* One zone line: NAME TYPE [VALUE]. */
static void load_line(const char *p, size_t n)
{
	static unsigned char rdata[FAKEDNS_RDATA_MAX];
	char type[16];
	size_t i = 0, ns, ts;
	fake_rr_t *rr;
	long len;
	int rrtype = 0;

	while (i < n && isspace((unsigned char)p[i]))
		i++;
	ns = i;
	while (i < n && !isspace((unsigned char)p[i]))
		i++;
	if (i == ns || nzone >= FAKEDNS_MAX_RR)
		return;
	rr = &zone[nzone];
	canon_name(p + ns, i - ns, rr->name, sizeof(rr->name));
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	ts = i;
	while (i < n && !isspace((unsigned char)p[i]))
		i++;
	str_ncopy(type, sizeof(type), p + ts, i - ts);
	if (i < n)
		i++;            /* one separator; the value keeps the rest */
	if (strcasecmp(type, "SERVFAIL") == 0 ||
	    strcasecmp(type, "REFUSED") == 0 ||
	    strcasecmp(type, "TIMEOUT") == 0) {
		rr->type = FAKE_FAIL;
		str_copy(rr->reason, sizeof(rr->reason), type);
		if (strcasecmp(type, "TIMEOUT") == 0)
			str_copy(rr->reason, sizeof(rr->reason), "timeout");
		nzone++;
		return;
	}
	len = make_rdata(type, p + i, n - i, &rrtype, rdata, sizeof(rdata));
	if (len < 0)
		return;
	rr->type = rrtype;
	rr->len = (size_t)len;
	rr->data = malloc(rr->len + 1);
	if (rr->data == NULL)
		abort();
	memcpy(rr->data, rdata, rr->len);
	nzone++;
}

void fakedns_load(const char *text, size_t len)
{
	const char *p = text, *end, *nl;

	zone_clear();
	if (text == NULL)
		return;
	end = text + len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		load_line(p, (size_t)(nl - p));
		p = nl + 1;
	}
}

unsigned long fakedns_queries(void)
{
	return nqueries;
}

dns_resolver_t *dns_resolver_new(const dns_cfg_t *cfg, char *err,
    size_t errlen)
{
	(void)cfg;
	(void)err;
	(void)errlen;
	return &the_resolver;
}

void dns_resolver_free(dns_resolver_t *r)
{
	(void)r;
}

/* Same name checks as dns.c: 1..253 octets, labels 1..63. */
static bool name_ok(const char *name)
{
	size_t len, label = 0, i;

	if (name == NULL)
		return false;
	len = strnlen(name, 255);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

dnsops_status_t dns_lookup(dns_resolver_t *r, const char *name, int rrtype,
    dns_result_t *res)
{
	char key[FAKE_NAME_MAX];
	bool exists = false;
	size_t i;

	(void)r;
	memset(res, 0, sizeof(*res));
	res->rrtype = rrtype;
	res->ttl = 300;
	if (!name_ok(name)) {
		res->status = DNSOPS_NXDOMAIN;
		str_copy(res->reason, sizeof(res->reason), "invalid name");
		return res->status;
	}
	nqueries++;
	canon_name(name, strlen(name), key, sizeof(key));
	for (i = 0; i < nzone; i++) {
		if (strcmp(zone[i].name, key) != 0)
			continue;
		exists = true;
		if (zone[i].type == FAKE_FAIL) {
			dns_result_free(res);
			res->status = DNSOPS_TEMPFAIL;
			str_copy(res->reason, sizeof(res->reason),
			    zone[i].reason);
			return res->status;
		}
		if (zone[i].type != rrtype)
			continue;
		if (res->count >= DNS_MAX_RR) {
			res->truncated = true;
			continue;
		}
		res->data[res->count] = malloc(zone[i].len + 1);
		if (res->data[res->count] == NULL)
			abort();
		memcpy(res->data[res->count], zone[i].data, zone[i].len);
		res->len[res->count++] = zone[i].len;
	}
	res->status = res->count ? DNSOPS_OK :
	    exists ? DNSOPS_NODATA : DNSOPS_NXDOMAIN;
	return res->status;
}

void dns_resolver_stats(dns_resolver_t *r, dns_stats_t *out)
{
	(void)r;
	memset(out, 0, sizeof(*out));
	out->queries = nqueries;
}
