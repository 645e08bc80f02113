/*
 * analysis - what received aggregate reports (or the milter's own
 * history) say about a domain's senders: per-source volumes, aligned pass
 * rates and a classification.
 *
 * SYNOPSIS
 *	dataset_t ds;
 *	dataset_load_reports(db, "example.com", from, to, &ds, err, n);
 *	dataset_load_history(vd, "example.com" or "", from, to, &ds, err, n);
 *	analysis_t a; analysis_run(&ds, &a);  (then analysis_ptr(&a, dns))
 *	... a.src[i], a.day[i], a.class_total[c] ...
 *	analysis_free(&a); dataset_free(&ds);
 *
 * DESCRIPTION
 *	A dataset holds the records about DOMAIN and its subdomains
 *	(header_from equal to it or below it) whose report interval ends
 *	after `from` and begins before `to`.  For each record it derives,
 *	with the alignment mode the domain published (adkim/aspf as the
 *	report or the history row gives it; relaxed when absent), relaxed
 *	alignment comparing organizational domains by the Public Suffix List
 *	(libpsl, offline): dmarc pass (policy_evaluated dkim or spf pass),
 *	whether a DKIM signature of the author's organizational domain was
 *	present and failed ("own signature broken"), whether SPF or DKIM passed
 *	for a
 *	domain not aligned with the author domain ("foreign pass", keeping
 *	that domain; "relaxed pass" when that domain is in the author's
 *	organization but strict alignment was published), whether SPF was
 *	checked for an aligned domain and did not pass, and the override reasons
 *	the receiver gave.  Records
 *	beyond DATASET_MAX_ROWS are refused (err says so).
 *
 *	Classification of a source (one IP address), by message volume n,
 *	in this order (documented in dmarcwarden-policy(1)):
 *	 1. DMARC passes for at least half of n:
 *	    forwarder when no message passed aligned SPF, some passed
 *	    aligned DKIM, and at least half had SPF fail for the author's
 *	    own domain or were reported with reason forwarded or
 *	    trusted_forwarder (DKIM survives forwarding, SPF does not);
 *	    otherwise authorized.
 *	 2. Otherwise (DMARC fails for most messages):
 *	    mailing list when at least half carry reason mailing_list, or
 *	    have our own signature broken and a foreign pass (a list that
 *	    modifies the message and re-authenticates as itself);
 *	    forwarder when at least half carry reason forwarded or
 *	    trusted_forwarder, or have our own signature broken;
 *	    authorized but misaligned when at least half authenticate
 *	    (SPF or DKIM pass) as another domain: typically an ESP signing
 *	    with its own domain and using its own bounce domain, or the
 *	    owner's own mail authenticated as a subdomain (or parent) while
 *	    adkim=s / aspf=s require the exact domain;
 *	    otherwise authorized when some of its mail passes DMARC, and
 *	    authorized but misaligned when some authenticates as any domain;
 *	    unknown/spoof only when nothing passed at all (no DMARC pass, no
 *	    SPF or DKIM pass for any domain).
 *
 *	Days are UTC days of the middle of each report interval; day[] is
 *	dense from the first to the last day with data (at most
 *	ANALYSIS_MAX_DAYS; later rows are left out of the day series).  Sources
 *	are sorted by volume (largest first), then address.
 *
 *	analysis_ptr() looks up the PTR name of at most ANALYSIS_MAX_PTR
 *	sources (largest first) and groups sources by the registrable domain
 *	of that name ("provider") when the name is forward-confirmed (its
 *	A/AAAA records include the address: anyone can make the PTR of their
 *	own address say google.com); other sources are grouped by network,
 *	"192.0.2.0/24" or "2001:db8:1::/48", marked "(no PTR)" or
 *	"(PTR not confirmed)".  groups[] then holds one entry per group with
 *	its sources, volume, DMARC passes and classes, largest first, so a
 *	report of thousands of sources can be read by provider.
 *
 *	Everything is owned by the structures and freed by *_free (NULL-safe).
 */
#ifndef PTOOL_ANALYSIS_H
#define PTOOL_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "../../history/verdicts.h"
#include "rua_xml.h"

#define DATASET_MAX_ROWS 200000
#define ANALYSIS_MAX_PTR 500
#define ANALYSIS_MAX_DAYS 400
#define ANALYSIS_WHY_MAX 200

typedef enum src_class {
	CLASS_AUTHORIZED = 0,
	CLASS_MISALIGNED,
	CLASS_FORWARDER,
	CLASS_LIST,
	CLASS_SPOOF,
	CLASS_COUNT
} src_class_t;

enum {                              /* override reasons seen, bit mask */
	REASON_FORWARDED = 1 << 0,     /* forwarded, trusted_forwarder */
	REASON_LIST = 1 << 1,          /* mailing_list */
	REASON_OTHER = 1 << 2,
};

typedef struct arow {
	long long begin, end;
	unsigned reporter;              /* index into dataset reporters */
	bool rfc9990;                   /* reported in the RFC 9990 format */
	char source_ip[RUA_IP_MAX];
	unsigned long long count;
	char header_from[RUA_DOMAIN_MAX];
	char disposition[RUA_WORD_MAX]; /* what the receiver applied */
	bool dkim_aligned, spf_aligned; /* policy_evaluated pass */
	bool own_sig_failed, foreign_pass, spf_own_failed;
	bool adkim_strict, aspf_strict; /* published adkim=s / aspf=s */
	bool relaxed_pass;              /* passed for the author's organization
	                                 * but not for the exact domain that
	                                 * strict alignment requires */
	char foreign_domain[RUA_DOMAIN_MAX];
	char spf_domain[RUA_DOMAIN_MAX];
	char spf_result[RUA_WORD_MAX];
	unsigned reasons;
	/* the policy the receiver saw */
	char p[RUA_WORD_MAX], sp[RUA_WORD_MAX];
	int pct;                        /* -1 absent */
	bool testing;
} arow_t;

typedef struct dataset {
	char domain[RUA_DOMAIN_MAX];
	bool history;                   /* rows from the milter's history */
	long long from, to;
	size_t n, cap;
	arow_t *rows;
	size_t nreporters;
	char (*reporters)[RUA_NAME_MAX];
	size_t nreports;                /* reports (or history messages) */
} dataset_t;

typedef struct source {
	char ip[RUA_IP_MAX];
	char ptr[RUA_DOMAIN_MAX];       /* '' unknown */
	char group[RUA_DOMAIN_MAX];     /* provider or network */
	bool ptr_confirmed;             /* ptr forward-confirmed */
	unsigned long long total, dmarc_pass, spf_aligned, dkim_aligned;
	unsigned long long own_sig_failed, foreign_pass, spf_own_failed;
	unsigned long long relaxed_pass;
	unsigned long long forwarded, listed, quarantined, rejected;
	unsigned long long subdomain;   /* header_from below the domain */
	src_class_t cls;
	/* of the source's largest record: */
	char foreign_domain[RUA_DOMAIN_MAX];
	char spf_domain[RUA_DOMAIN_MAX];
	char header_from[RUA_DOMAIN_MAX];
	unsigned long long largest;
	char why[ANALYSIS_WHY_MAX];
	unsigned ndays, nreporters;
	unsigned long long daybits[(ANALYSIS_MAX_DAYS + 63) / 64];
	unsigned long long repbits[4];  /* first 256 reporters */
	size_t slot;                    /* internal */
} source_t;

typedef struct day_stat {
	long long day;                  /* epoch / 86400 */
	unsigned long long total, dmarc_pass;
	unsigned long long by_class[CLASS_COUNT];
} day_stat_t;

typedef struct src_group {
	char name[RUA_DOMAIN_MAX];
	size_t nsrc;
	unsigned long long total, dmarc_pass;
	unsigned classes;               /* bit mask of src_class_t */
	size_t first;                   /* its largest source in src[] */
} src_group_t;

typedef struct analysis {
	const dataset_t *ds;
	size_t nsrc;
	source_t *src;                  /* by volume, largest first */
	size_t *row_src;                /* per dataset row: index in src */
	size_t ndays;
	day_stat_t day[ANALYSIS_MAX_DAYS];
	unsigned long long total, dmarc_pass;
	unsigned long long class_total[CLASS_COUNT];
	unsigned long long class_sources[CLASS_COUNT];
	size_t ngroups;
	src_group_t *groups;            /* by analysis_ptr(), largest first */
} analysis_t;

int dataset_load_reports(sqlite3 *db, const char *domain, long long from,
    long long to, dataset_t *ds, char *err, size_t errlen);
int dataset_load_history(verdicts_t *vd, const char *domain,
    long long from, long long to, dataset_t *ds, char *err, size_t errlen);
void dataset_free(dataset_t *ds);

int analysis_run(const dataset_t *ds, analysis_t *a);
/* ptr() returns 1 with a forward-confirmed name, 0 with a name that is
 * not confirmed, -1 when there is none. */
typedef int (*analysis_ptr_fn)(void *ctx, const char *ip, char *name,
    size_t size);
void analysis_ptr(analysis_t *a, analysis_ptr_fn ptr, void *ctx);
void analysis_free(analysis_t *a);

const char *class_name(src_class_t c);     /* "authorized", ... */
const char *class_label(src_class_t c);    /* "authorized sender", ... */
bool class_legitimate(src_class_t c);      /* all but spoof */
/* Organizational (registrable) domain by the PSL, lower-case. */
void analysis_org_domain(const char *domain, char *out, size_t size);
/* Relaxed alignment of two domains by the PSL. */
bool analysis_aligned(const char *a, const char *b);

#endif
