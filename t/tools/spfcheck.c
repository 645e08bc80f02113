/*
 * spfcheck - run one or many SPF checks through dmarcwarden's spf module.
 *
 * SYNOPSIS
 *	spfcheck [-n NAMESERVERS] [-t TIMEOUT_MS] IP HELO MAILFROM
 *	spfcheck [-n NAMESERVERS] [-t TIMEOUT_MS] -b  < lines
 *
 * DESCRIPTION
 *	Prints "RESULT SCOPE DOMAIN REASON" for each check.  HELO and
 *	MAILFROM may be "" (null sender: the HELO identity is checked).
 *	With -b, each input line is "IP<TAB>HELO<TAB>MAILFROM" and one
 *	output line is written (and flushed) per input line, so a test
 *	driver can run many checks against one resolver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../dns/dns.h"
#include "../../milter/spf.h"
#include "../../policy/evaluate.h"
#include "../../util/strbuf.h"

static void print_outcome(const spf_outcome_t *o)
{
	printf("%s %s %s %s\n", auth_result_name(o->result),
	    spf_scope_name(o->scope), o->domain[0] ? o->domain : "-",
	    o->reason[0] ? o->reason : "-");
	fflush(stdout);
}

/* Split "IP\tHELO\tMAILFROM" in place; returns 0 when all three exist. */
static int split_line(char *line, char **f)
{
	size_t i;

	line[strcspn(line, "\r\n")] = '\0';
	f[0] = line;
	for (i = 1; i < 3; i++) {
		char *tab = strchr(f[i - 1], '\t');

		if (tab == NULL)
			return -1;
		*tab = '\0';
		f[i] = tab + 1;
	}
	return 0;
}

static int batch(spf_checker_t *c)
{
	char line[2048], *f[3];
	spf_outcome_t o;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (split_line(line, f) < 0) {
			printf("error bad-input - -\n");
			fflush(stdout);
			continue;
		}
		spf_check(c, f[0], f[1], f[2], &o);
		print_outcome(&o);
	}
	return 0;
}

int main(int argc, char **argv)
{
	dns_cfg_t cfg = { NULL, 5000, false, NULL, 0, 0 };
	dns_resolver_t *r;
	spf_checker_t *c;
	spf_outcome_t o;
	char err[256];
	int ch, rc = 0, batch_mode = 0;

	while ((ch = getopt(argc, argv, "bn:t:")) != -1) {
		switch (ch) {
		case 'b':
			batch_mode = 1;
			break;
		case 'n':
			cfg.nameservers = optarg;
			break;
		case 't':
			cfg.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (!batch_mode && argc - optind != 3)
		goto usage;
	r = dns_resolver_new(&cfg, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "spfcheck: %s\n", err);
		return 2;
	}
	c = spf_checker_new(r, err, sizeof(err));
	if (c == NULL) {
		fprintf(stderr, "spfcheck: %s\n", err);
		dns_resolver_free(r);
		return 2;
	}
	if (batch_mode)
		rc = batch(c);
	else {
		spf_check(c, argv[optind], argv[optind + 1], argv[optind + 2],
		    &o);
		print_outcome(&o);
	}
	spf_checker_free(c);
	dns_resolver_free(r);
	return rc;
usage:
	fprintf(stderr, "usage: spfcheck [-n NS] [-t MS] IP HELO MAILFROM\n"
	    "       spfcheck [-n NS] [-t MS] -b < IP<TAB>HELO<TAB>MAILFROM\n");
	return 2;
}
