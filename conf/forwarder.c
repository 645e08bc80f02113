/*
 * forwarder - TrustedForwarders matching.  See forwarder.h.
 */
#include "forwarder.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../policy/domain.h"
#include "../policy/netlist.h"
#include "../util/strbuf.h"

typedef struct fwd_host {
	bool subdomains;            /* entry was ".name" */
	char name[DOMAIN_MAX];
} fwd_host_t;

struct forwarders {
	netlist_t *nets;
	size_t nhosts;
	fwd_host_t host[FORWARDER_MAX_HOSTS];
};

/* An address or address/prefix (netlist.c checks the rest). */
static bool is_network(const char *p, size_t n)
{
	char buf[NETLIST_ENTRY_MAX];
	unsigned char a[16];

	if (memchr(p, ':', n) != NULL)
		return true;
	n = strcspn(p, "/, \t") < n ? strcspn(p, "/, \t") : n;
	if (str_ncopy(buf, sizeof(buf), p, n) < 0)
		return false;
	return inet_pton(AF_INET, buf, a) == 1;
}

static int add_host(forwarders_t *f, const char *p, size_t n, char *err,
    size_t errlen)
{
	fwd_host_t *h;
	char shown[80];

	str_printable(shown, sizeof(shown), p, n);
	if (f->nhosts >= FORWARDER_MAX_HOSTS) {
		str_format(err, errlen, "more than %d host names",
		    FORWARDER_MAX_HOSTS);
		return -1;
	}
	h = &f->host[f->nhosts];
	h->subdomains = p[0] == '.';
	if (h->subdomains) {
		p++;
		n--;
	}
	if (n == 0 || domain_normalize(p, n, h->name, sizeof(h->name)) < 0) {
		str_format(err, errlen, "'%s': not a network or host name",
		    shown);
		return -1;
	}
	f->nhosts++;
	return 0;
}

forwarders_t *forwarders_parse(const char *text, char *err, size_t errlen)
{
	forwarders_t *f = calloc(1, sizeof(*f));
	const char *p = text;
	strbuf_t nets;
	size_t n;

	if (f == NULL)
		abort();
	strbuf_init(&nets, 1024 * 1024);
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		if (is_network(p, n)) {
			strbuf_appendf(&nets, "%s%.*s", nets.len ? ", " : "",
			    (int)n, p);
		} else if (add_host(f, p, n, err, errlen) < 0) {
			goto fail;
		}
		p += n;
	}
	f->nets = netlist_parse(strbuf_str(&nets), err, errlen);
	if (f->nets == NULL)
		goto fail;
	strbuf_free(&nets);
	return f;
fail:
	strbuf_free(&nets);
	forwarders_free(f);
	return NULL;
}

void forwarders_free(forwarders_t *f)
{
	if (f == NULL)
		return;
	netlist_free(f->nets);
	free(f);
}

bool forwarders_empty(const forwarders_t *f)
{
	return f == NULL || (netlist_count(f->nets) == 0 && f->nhosts == 0);
}

/* Address bytes of ip (IPv4-mapped IPv6 as IPv4); family or -1. */
static int ip_bytes(const char *ip, unsigned char *out)
{
	if (strncmp(ip, "IPv6:", 5) == 0)
		ip += 5;
	if (strncasecmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.'))
		ip += 7;
	if (inet_pton(AF_INET, ip, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, out) == 1)
		return AF_INET6;
	return -1;
}

int forwarders_ptr_name(const char *ip, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	strbuf_t sb;
	int fam = ip_bytes(ip, a), i, rc;

	if (fam < 0)
		return -1;
	strbuf_init(&sb, outlen - 1);
	if (fam == AF_INET) {
		strbuf_appendf(&sb, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
		    a[0]);
	} else {
		for (i = 15; i >= 0; i--)
			strbuf_appendf(&sb, "%c.%c.", hex[a[i] & 15],
			    hex[a[i] >> 4]);
		strbuf_puts(&sb, "ip6.arpa");
	}
	rc = sb.truncated ? -1 : str_copy(out, outlen, strbuf_str(&sb));
	strbuf_free(&sb);
	return rc;
}

int forwarders_wire_name(const unsigned char *p, size_t len, char *out,
    size_t outlen)
{
	strbuf_t sb;
	size_t i = 0, j;
	int rc = -1;

	strbuf_init(&sb, 253);
	while (i < len && p[i] != 0) {
		size_t l = p[i++];

		if (l > 63 || i + l > len)      /* pointer or overrun */
			goto out;
		if (sb.len)
			strbuf_putc(&sb, '.');
		for (j = 0; j < l; j++) {
			if (p[i + j] <= 0x20 || p[i + j] >= 0x7f ||
			    p[i + j] == '.')
				goto out;
			strbuf_putc(&sb, (char)p[i + j]);
		}
		i += l;
	}
	if (i < len && !sb.truncated && sb.len > 0)
		rc = str_copy(out, outlen, strbuf_str(&sb));
out:
	strbuf_free(&sb);
	return rc;
}

static bool host_listed(const forwarders_t *f, const char *name)
{
	size_t i, n = strlen(name), m;

	for (i = 0; i < f->nhosts; i++) {
		const fwd_host_t *h = &f->host[i];

		m = strlen(h->name);
		if (!h->subdomains && strcmp(name, h->name) == 0)
			return true;
		if (h->subdomains && n > m && name[n - m - 1] == '.' &&
		    strcmp(name + n - m, h->name) == 0)
			return true;
	}
	return false;
}

/* Do name's A/AAAA records include the address? */
static bool forward_confirmed(dns_resolver_t *r, const char *name, int fam,
    const unsigned char *addr)
{
	size_t alen = fam == AF_INET ? 4 : 16, i;
	dns_result_t res;
	bool hit = false;

	dns_lookup(r, name, fam == AF_INET ? DNS_T_A : DNS_T_AAAA, &res);
	for (i = 0; res.status == DNSOPS_OK && i < res.count; i++)
		if (res.len[i] == alen && memcmp(res.data[i], addr, alen) == 0)
			hit = true;
	dns_result_free(&res);
	return hit;
}

static bool ptr_match(const forwarders_t *f, dns_resolver_t *r,
    const char *ip, char *what, size_t whatlen)
{
	char rev[80], raw[DOMAIN_MAX], name[DOMAIN_MAX];
	unsigned char addr[16];
	int fam = ip_bytes(ip, addr);
	size_t i, tried = 0;
	dns_result_t res;
	bool hit = false;

	if (fam < 0 || r == NULL ||
	    forwarders_ptr_name(ip, rev, sizeof(rev)) < 0)
		return false;
	dns_lookup(r, rev, DNS_T_PTR, &res);
	for (i = 0; res.status == DNSOPS_OK && i < res.count && !hit; i++) {
		if (forwarders_wire_name(res.data[i], res.len[i], raw,
		    sizeof(raw)) < 0 || domain_normalize(raw, strlen(raw),
		    name, sizeof(name)) < 0 || !host_listed(f, name))
			continue;
		if (tried++ >= FORWARDER_MAX_FORWARD)
			break;
		if (forward_confirmed(r, name, fam, addr)) {
			hit = true;
			str_format(what, whatlen, "verified PTR %s", name);
		}
	}
	dns_result_free(&res);
	return hit;
}

bool forwarders_match(const forwarders_t *f, dns_resolver_t *r,
    const char *client_ip, char *what, size_t whatlen)
{
	what[0] = '\0';
	if (forwarders_empty(f) || client_ip == NULL || *client_ip == '\0')
		return false;
	if (netlist_match(f->nets, client_ip)) {
		str_format(what, whatlen, "network (client %s)", client_ip);
		return true;
	}
	return f->nhosts > 0 && ptr_match(f, r, client_ip, what, whatlen);
}
