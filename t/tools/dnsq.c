/*
 * dnsq - query through dns/dns.c from the command line (test helper).
 *
 * SYNOPSIS
 *	dnsq [-n NAMESERVERS] [-t TIMEOUT_MS] [-d -a ANCHOR] TYPE NAME
 *
 * DESCRIPTION
 *	Resolves NAME with the daemon's resolver and prints
 *		status: ok|nodata|nxdomain|tempfail
 *		reason: TEXT		(only when there is one)
 *		rr: RECORD		(one line per record)
 *	TYPE is A, AAAA, MX, TXT, PTR, CNAME, NS, a number, or EXISTS (the
 *	policy core's exists()).  TXT records are printed as one quoted
 *	string (the concatenated character-strings); other records in
 *	presentation form, unknown types as hex.  Unprintable bytes are shown
 *	as \DDD.  Exit status: 0 ok/nodata/nxdomain, 1 tempfail, 2 usage.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../../dns/dns.h"
#include "../../util/strbuf.h"

static void put_bytes(const unsigned char *p, size_t n, int quote)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] > 0x7e || (quote && (p[i] == '"' ||
		    p[i] == '\\')))
			printf("\\%03u", p[i]);
		else
			putchar(p[i]);
	}
}

/* Print an uncompressed wire-format name at p[*pos]; -1 if malformed. */
static int put_name(const unsigned char *p, size_t n, size_t *pos)
{
	size_t len;

	if (*pos < n && p[*pos] == 0) {
		putchar('.');
		(*pos)++;
		return 0;
	}
	while (*pos < n && p[*pos] != 0) {
		len = p[(*pos)++];
		if (len > 63 || len > n - *pos)
			return -1;
		put_bytes(p + *pos, len, 0);
		putchar('.');
		*pos += len;
	}
	if (*pos >= n)
		return -1;
	(*pos)++;
	return 0;
}

static void put_hex(const unsigned char *p, size_t n)
{
	size_t i;

	printf("\\# %zu ", n);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void put_rr(int type, const unsigned char *p, size_t n)
{
	char addr[INET6_ADDRSTRLEN];
	size_t pos = 0;

	if (type == DNS_T_A && n == 4) {
		printf("%s", inet_ntop(AF_INET, p, addr, sizeof(addr)));
	} else if (type == DNS_T_AAAA && n == 16) {
		printf("%s", inet_ntop(AF_INET6, p, addr, sizeof(addr)));
	} else if (type == DNS_T_MX && n >= 3) {
		printf("%u ", (unsigned)(p[0] << 8 | p[1]));
		pos = 2;
		if (put_name(p, n, &pos) < 0 || pos != n)
			printf(" (malformed)");
	} else if (type == DNS_T_NS || type == DNS_T_PTR ||
	    type == DNS_T_CNAME) {
		if (put_name(p, n, &pos) < 0 || pos != n)
			printf(" (malformed)");
	} else {
		put_hex(p, n);
	}
}

static int parse_type(const char *s)
{
	static const struct { const char *name; int type; } types[] = {
		{"A", DNS_T_A}, {"AAAA", DNS_T_AAAA}, {"MX", DNS_T_MX},
		{"TXT", DNS_T_TXT}, {"PTR", DNS_T_PTR}, {"NS", DNS_T_NS},
		{"CNAME", DNS_T_CNAME}, {"EXISTS", -1},
	};
	size_t i;
	char *end;
	long v;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (str_ieq(s, types[i].name))
			return types[i].type;
	v = strtol(s, &end, 10);
	return *s && *end == '\0' && v > 0 && v < 65536 ? (int)v : 0;
}

static dnsops_status_t query(dns_resolver_t *r, int type, const char *name)
{
	dns_result_t res;
	txt_answer_t txt;
	char reason[DNS_REASON_MAX];
	dnsops_status_t st;
	size_t i;

	if (type < 0) {
		st = dns_exists(r, name, reason, sizeof(reason));
		printf("status: %s\n", dnsops_status_name(st));
		if (*reason)
			printf("reason: %s\n", reason);
		return st;
	}
	if (type == DNS_T_TXT) {
		st = dns_txt(r, name, &txt);
		printf("status: %s\n", dnsops_status_name(st));
		if (*txt.reason)
			printf("reason: %s\n", txt.reason);
		for (i = 0; i < txt.count; i++) {
			printf("rr: \"");
			put_bytes((const unsigned char *)txt.rec[i], txt.len[i],
			    1);
			printf("\"\n");
		}
		if (txt.truncated)
			printf("truncated: yes\n");
		txt_answer_free(&txt);
		return st;
	}
	st = dns_lookup(r, name, type, &res);
	printf("status: %s\n", dnsops_status_name(st));
	if (*res.reason)
		printf("reason: %s\n", res.reason);
	for (i = 0; i < res.count; i++) {
		printf("rr: ");
		put_rr(type, res.data[i], res.len[i]);
		putchar('\n');
	}
	dns_result_free(&res);
	return st;
}

int main(int argc, char **argv)
{
	dns_cfg_t cfg = {NULL, 5000, false, NULL, 0, 0};
	dns_resolver_t *r;
	char err[256];
	int c, type;
	dnsops_status_t st;

	while ((c = getopt(argc, argv, "n:t:da:")) != -1) {
		switch (c) {
		case 'n': cfg.nameservers = optarg; break;
		case 't': cfg.timeout_ms = (unsigned)atoi(optarg); break;
		case 'd': cfg.dnssec = true; break;
		case 'a': cfg.trust_anchor = optarg; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || (type = parse_type(argv[optind])) == 0)
		goto usage;
	if ((r = dns_resolver_new(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dnsq: %s\n", err);
		return 2;
	}
	st = query(r, type, argv[optind + 1]);
	dns_resolver_free(r);
	return st == DNSOPS_TEMPFAIL ? 1 : 0;
usage:
	fprintf(stderr, "usage: dnsq [-n NAMESERVERS] [-t TIMEOUT_MS] "
	    "[-d -a ANCHOR] TYPE NAME\n");
	return 2;
}
