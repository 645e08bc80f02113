/*
 * view - everything report, advise and html show, gathered once: the
 * dataset (received reports or the milter's history), its analysis, PTR
 * names, the current policy and the advice.
 *
 * SYNOPSIS
 *	view_t v;
 *	if (view_open(&v, &opts, err, sizeof(err)) < 0) ...
 *	render_report_text(stdout, &v); ...
 *	view_close(&v);
 *
 * DESCRIPTION
 *	The window is the last o->days days before o->now.  With
 *	o->history the rows come from the milter's history database (an
 *	SQLite path or a PostgreSQL URI; history/verdicts.h: any schema
 *	version up to the current one, read-only; rows the milter
 *	tempfailed are not counted, `tempfailed` says how many were left
 *	out: the sender retries and the retry has its own row), and `hdom` lists, per
 *	author domain, what dmarcwarden did (pass, fail, quarantined,
 *	rejected, overridden, with the override reasons); DOMAIN is then
 *	optional (all domains).  Otherwise the rows come from the report
 *	database and DOMAIN is required; the failure reports about DOMAIN
 *	that arrived in the window are loaded too (`fails`, ruf_store.h).
 *
 *	The current policy, in order of preference: o->record (parsed with
 *	dmarc_record_parse()); the domain's record found in DNS by the RFC
 *	9989 tree walk (unless o->no_dns); the newest report's
 *	policy_published in the window; the newest stored report's
 *	policy_published, whatever its age (so a window without data never
 *	restarts the advice at p=none, which would advise a downgrade from
 *	p=reject; policy_note then says so).  PTR names are looked up unless
 *	o->no_dns.
 *
 *	view_close() frees everything (safe after a failed view_open()).
 */
#ifndef PTOOL_VIEW_H
#define PTOOL_VIEW_H

#include <stdio.h>

#include "advise.h"
#include "analysis.h"
#include "cmd.h"
#include "resolve.h"
#include "ruf_store.h"

#define VIEW_MAX_HDOM 1000
#define VIEW_REASONS_MAX 200

typedef struct hist_domain {
	char domain[RUA_DOMAIN_MAX];
	unsigned long long total, pass, fail, quarantined, rejected;
	unsigned long long overridden;
	char reasons[VIEW_REASONS_MAX];   /* "local_policy 3, ..." */
} hist_domain_t;

typedef struct view {
	const cmd_opts_t *o;
	dataset_t ds;
	analysis_t a;
	current_policy_t cur;
	current_policy_t last;            /* newest stored report's policy */
	advice_t adv;
	resolve_t *dns;
	char policy_note[256];            /* how the current policy was found */
	size_t nhdom;
	hist_domain_t *hdom;
	unsigned long long tempfailed;    /* history rows not counted */
	char history_shown[512];          /* o->history, password hidden */
	ruf_list_t fails;                 /* failure reports (with --db) */
} view_t;

int view_open(view_t *v, const cmd_opts_t *o, char *err, size_t errlen);
void view_close(view_t *v);

/* Renderers (render_text.c, render_json.c, render_csv.c, render_html.c). */
void render_report_text(FILE *f, const view_t *v);
void render_advise_text(FILE *f, const view_t *v);
void render_report_json(FILE *f, const view_t *v, int with_advice);
void render_report_csv(FILE *f, const view_t *v);
void render_failures_csv(FILE *f, const view_t *v);
int render_html(FILE *f, const view_t *v);

/* HTML tables and advice (render_html_parts.c) and shared pieces. */
void render_html_sources(FILE *f, const view_t *v);
void render_html_advice(FILE *f, const view_t *v);
void render_html_history(FILE *f, const view_t *v);
void render_html_failures(FILE *f, const view_t *v);
void render_html_verdict(FILE *f, const view_t *v);   /* top of the page */
void render_html_escape(FILE *f, const char *s);
void render_html_ip(FILE *f, const char *ip);   /* IPv6 breaks at ':' */
void render_html_badge(FILE *f, src_class_t c);

/* Helpers shared by the renderers. */
void view_date(long long epoch, char *buf, size_t size);   /* YYYY-MM-DD */
void view_date_known(long long epoch, char *buf, size_t size); /* 0: "?" */
double view_pct(unsigned long long part, unsigned long long whole);
unsigned view_days_with_data(const view_t *v);

#endif
