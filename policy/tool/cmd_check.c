/*
 * cmd_check - "dmarcwarden-policy check DOMAIN": explain the domain's
 * DMARC record, organizational domain, SPF record and report
 * destinations.  Exit 0 when the setup is valid, 1 when it has an
 * error, 2 on usage or DNS set-up failure, or when a DNS lookup failed
 * and no error was found otherwise (the setup could not be checked:
 * that is not an invalid setup).  Warnings do not change the exit
 * status.
 */
#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../discovery.h"
#include "../dmarc_record.h"
#include "../domain.h"
#include "../../util/strbuf.h"
#include "analysis.h"
#include "check_syntax.h"
#include "resolve.h"
#include "spfwalk.h"

typedef struct check {
	resolve_t *r;
	dns_ops_t ops;
	const char *domain;
	unsigned errors, warnings, dnsfail;
} check_t;

static void problem(check_t *c, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(check_t *c, bool error, const char *fmt, ...)
{
	va_list ap;

	if (error)
		c->errors++;
	else
		c->warnings++;
	printf("  %s: ", error ? "ERROR" : "warning");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A lookup failed: the setup could not be checked, it is not wrong. */
static void dns_failure(check_t *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dns_failure(check_t *c, const char *fmt, ...)
{
	va_list ap;

	c->dnsfail++;
	printf("  DNS failure: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Print each "; "-separated note of err, with a caret under the byte
 * offset it names. */
static void show_notes(check_t *c, bool error, const char *rec,
    const char *err)
{
	char note[DMARC_ERR_MAX];
	const char *p = err, *off;
	size_t n, pos;

	while (*p) {
		n = strcspn(p, ";");
		str_ncopy(note, sizeof(note), p, n);
		problem(c, error, "%s", note);
		if ((off = strstr(note, "offset ")) != NULL) {
			pos = strtoul(off + 7, NULL, 10);
			if (pos <= strlen(rec))
				printf("      %s\n      %*s^\n", rec, (int)pos, "");
		}
		p += n;
		p += strspn(p, "; ");
	}
}

/* Every syntax problem of the record, not only the first few that
 * dmarc_record_parse() keeps (check_syntax.h). */
static void every_note(check_t *c, const char *rec, const char *err)
{
	char (*notes)[DMARC_ERR_MAX] = calloc(CHECK_MAX_NOTES, sizeof(*notes));
	size_t i, n;

	if (notes == NULL)
		abort();
	n = check_syntax_notes(rec, strlen(rec), err, notes, CHECK_MAX_NOTES);
	for (i = 0; i < n; i++)
		show_notes(c, true, rec, notes[i]);
	if (n == 0)
		show_notes(c, true, rec, err);
	free(notes);
}

static void explain(const dmarc_record_t *r)
{
	char uris[DMARC_URI_MAX * 2];
	size_t i;

#define ROW(tag, val, present, what) \
	printf("    %-7s %-14s %-10s %s\n", tag, val, present ? "" : "(default)", \
	    what)
	ROW("p", dmarc_policy_name(r->p), r->p_present,
	    "policy for the domain itself");
	ROW("sp", dmarc_policy_name(r->sp), r->sp_present,
	    "policy for existing subdomains (default: p)");
	ROW("np", dmarc_policy_name(r->np), r->np_present,
	    "policy for non-existent subdomains (RFC 9989; default: sp)");
	ROW("adkim", dmarc_align_name(r->adkim), r->adkim_present,
	    r->adkim ? "DKIM alignment strict" : "DKIM alignment relaxed");
	ROW("aspf", dmarc_align_name(r->aspf), r->aspf_present,
	    r->aspf ? "SPF alignment strict" : "SPF alignment relaxed");
	ROW("t", r->testing ? "y" : "n", r->t_present, r->testing ?
	    "testing: receivers apply one step weaker (RFC 9989)" :
	    "not testing");
	ROW("psd", r->psd == 'y' ? "y" : r->psd == 'n' ? "n" : "u",
	    r->psd != 'u', "public suffix domain flag (RFC 9989)");
	ROW("fo", r->fo, strcmp(r->fo, "0") != 0, "failure report options");
	if (r->pct_present) {
		char pct[8];

		str_format(pct, sizeof(pct), "%u", r->pct);
		ROW("pct", pct, true, "RFC 7489 sampling; removed in RFC 9989 "
		    "(use t=y)");
	}
	for (i = 0; i < r->nrua || i < r->nruf; i++) {
		if (i < r->nrua) {
			str_copy(uris, sizeof(uris), r->rua[i].uri);
			ROW(i ? "" : "rua", uris, true, "aggregate reports");
		}
	}
	for (i = 0; i < r->nruf; i++)
		ROW(i ? "" : "ruf", r->ruf[i].uri, true, "failure reports");
	if (r->nrua == 0)
		ROW("rua", "-", false, "no aggregate reports requested");
#undef ROW
}

/* RFC 9990 external destination verification of one mailto: URI. */
static void destination(check_t *c, const char *kind, const char *uri,
    const char *policy_domain, const char *policy_org)
{
	char dom[DOMAIN_MAX], org[DOMAIN_MAX], name[DOMAIN_MAX * 2 + 32];
	const char *at, *end;
	txt_answer_t a;
	size_t i, found = 0;

	if (strncasecmp(uri, "mailto:", 7) != 0) {
		problem(c, false, "%s %s: only mailto: URIs are used for reports",
		    kind, uri);
		return;
	}
	at = strrchr(uri, '@');
	end = at ? at + 1 + strcspn(at + 1, "?") : NULL;
	if (at == NULL || domain_normalize(at + 1, (size_t)(end - at - 1), dom,
	    sizeof(dom)) < 0) {
		problem(c, true, "%s %s: no valid domain in the address", kind,
		    uri);
		return;
	}
	if (dmarc_org_domain(dom, &(discovery_cfg_t){ DISCOVERY_TREEWALK,
	    NULL }, &c->ops, org, sizeof(org), NULL) != DNSOPS_OK)
		analysis_org_domain(dom, org, sizeof(org));
	if (strcmp(org, policy_org) == 0) {
		printf("    %s %s: same organizational domain, no authorization "
		    "needed\n", kind, uri);
		return;
	}
	str_format(name, sizeof(name), "%s._report._dmarc.%s", policy_domain,
	    dom);
	if (dns_txt(c->r->dns, name, &a) == DNSOPS_TEMPFAIL) {
		dns_failure(c, "%s %s: external; %s: DNS failure (%s)", kind,
		    uri, name, a.reason);
		txt_answer_free(&a);
		return;
	}
	for (i = 0; i < a.count; i++)
		found += a.len[i] >= 8 && strncmp(a.rec[i], "v=DMARC1", 8) == 0;
	txt_answer_free(&a);
	if (found)
		printf("    %s %s: external, authorized by %s\n", kind, uri, name);
	else
		problem(c, true, "%s %s: external destination not authorized: "
		    "no \"v=DMARC1\" TXT record at %s (receivers will not send "
		    "reports there)", kind, uri, name);
}

static void check_dmarc(check_t *c, policy_lookup_t *pl)
{
	char name[DOMAIN_MAX + 8], err[DMARC_ERR_MAX], rec[DMARC_RECORD_MAX_LEN];
	txt_answer_t a;
	dmarc_record_t r;
	size_t i, n = 0;

	str_format(name, sizeof(name), "_dmarc.%s", c->domain);
	printf("DMARC record\n");
	if (dns_txt(c->r->dns, name, &a) == DNSOPS_TEMPFAIL) {
		dns_failure(c, "%s: DNS failure (%s)", name, a.reason);
		txt_answer_free(&a);
		return;
	}
	for (i = 0; i < a.count; i++) {
		if (a.len[i] < 8 || strncmp(a.rec[i], "v=DMARC1", 8) != 0)
			continue;
		n++;
		str_printable(rec, sizeof(rec), a.rec[i], a.len[i]);
		printf("  %s TXT \"%s\"\n", name, rec);
	}
	if (n == 0) {
		printf("  %s: no DMARC record\n", name);
	} else if (n > 1) {
		problem(c, true, "%zu DMARC records at %s: receivers apply none "
		    "of them", n, name);
	} else {
		for (i = 0; a.len[i] < 8 || strncmp(a.rec[i], "v=DMARC1", 8);
		    i++)
			;
		str_printable(rec, sizeof(rec), a.rec[i], a.len[i]);
		switch (dmarc_record_parse(a.rec[i], a.len[i], &r, err,
		    sizeof(err))) {
		case DMARC_RECORD_OK:
			printf("  syntax: %s\n", err[0] ? "usable, with errors "
			    "(receivers ignore the bad parts)" : "valid");
			if (err[0])
				every_note(c, rec, err);
			if (r.policy_invalid)
				problem(c, true, "invalid policy value: applied as "
				    "p=none");
			explain(&r);
			break;
		default:
			problem(c, true, "the record is invalid and applies no "
			    "policy");
			every_note(c, rec, err);
		}
	}
	txt_answer_free(&a);
	(void)pl;
}

static void check_discovery(check_t *c, policy_lookup_t *pl)
{
	char psl_org[DOMAIN_MAX];

	dmarc_policy_lookup(c->domain, &(discovery_cfg_t){ DISCOVERY_TREEWALK,
	    NULL }, &c->ops, pl);
	analysis_org_domain(c->domain, psl_org, sizeof(psl_org));
	printf("Organizational domain\n");
	printf("  %s (RFC 9989 DNS tree walk, %u queries)\n", pl->org_domain,
	    pl->queries);
	printf("  %s (RFC 7489 Public Suffix List)%s\n", psl_org,
	    strcmp(psl_org, pl->org_domain) ? "  -- differs: RFC 7489 and "
	    "RFC 9989 receivers align differently" : "");
	if (pl->status == POLICY_FOUND)
		printf("  policy applied from _dmarc.%s%s\n", pl->policy_domain,
		    pl->policy_is_author ? " (the domain itself: p applies)" :
		    " (inherited: sp or np applies)");
	else if (pl->status == POLICY_TEMPERROR)
		dns_failure(c, "policy discovery failed: %s", pl->reason);
	else
		problem(c, true, "no DMARC policy applies to %s%s%s", c->domain,
		    pl->reason[0] ? ": " : "", pl->reason);
}

static void check_spf(check_t *c)
{
	spfwalk_t w;

	printf("SPF record\n");
	spfwalk_run(c->r, c->domain, &w);
	if (!w.found && w.errors == 0 && !w.tempfail) {
		problem(c, false, "%s has no SPF record: DMARC then relies on "
		    "DKIM alone", c->domain);
	} else {
		if (w.record[0])
			printf("  %s TXT \"%s\"\n", c->domain, w.record);
		fputs(strbuf_str(&w.log), stdout);
		printf("  DNS lookups: %u of %d; void lookups: %u of %d%s\n",
		    w.lookups, SPFWALK_MAX_LOOKUPS, w.voids, SPFWALK_MAX_VOID,
		    w.tempfail ? " (DNS failures: counts are lower bounds)" : "");
		c->errors += w.errors;
		if (w.tempfail)
			dns_failure(c, "some SPF lookups failed");
	}
	spfwalk_free(&w);
}

static void check_destinations(check_t *c, const policy_lookup_t *pl)
{
	char porg[DOMAIN_MAX];
	size_t i;

	if (pl->status != POLICY_FOUND)
		return;
	printf("Report destinations\n");
	if (dmarc_org_domain(pl->policy_domain, &(discovery_cfg_t){
	    DISCOVERY_TREEWALK, NULL }, &c->ops, porg, sizeof(porg), NULL) !=
	    DNSOPS_OK)
		analysis_org_domain(pl->policy_domain, porg, sizeof(porg));
	for (i = 0; i < pl->rec.nrua; i++)
		destination(c, "rua", pl->rec.rua[i].uri, pl->policy_domain,
		    porg);
	for (i = 0; i < pl->rec.nruf; i++)
		destination(c, "ruf", pl->rec.ruf[i].uri, pl->policy_domain,
		    porg);
	if (pl->rec.nrua == 0)
		problem(c, false, "no rua=: you receive no aggregate reports, so "
		    "dmarcwarden-policy has nothing to analyse");
}

int cmd_check(int argc, char **argv)
{
	char err[256];
	cmd_opts_t o;
	check_t c = { 0 };
	policy_lookup_t *pl;

	if (cmd_parse(argc, argv, CMD_OPT_DNS, &o) < 0 ||
	    cmd_domain(&o, argv, true) < 0)
		return CMD_USAGE;
	if ((c.r = resolve_new(o.nameservers, o.timeout_ms, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "dmarcwarden-policy check: DNS: %s\n", err);
		return CMD_USAGE;
	}
	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		abort();
	resolve_ops(c.r, &c.ops);
	c.domain = o.domain;
	printf("Checking %s\n\n", c.domain);
	check_dmarc(&c, pl);
	putchar('\n');
	check_discovery(&c, pl);
	putchar('\n');
	check_spf(&c);
	putchar('\n');
	check_destinations(&c, pl);
	printf("\nResult: %s (%u errors, %u warnings%s)\n", c.errors ?
	    "INVALID" : c.dnsfail ? "UNKNOWN: DNS failures, the setup could "
	    "not be checked" : "VALID", c.errors, c.warnings, c.dnsfail ?
	    ", DNS failures" : "");
	free(pl);
	resolve_free(c.r);
	return c.errors ? CMD_FINDING : c.dnsfail ? CMD_USAGE : CMD_OK;
}
