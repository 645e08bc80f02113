/*
 * render_text - terminal tables for report and advise.  See view.h.
 */
#include <string.h>

#include "../../util/strbuf.h"
#include "view.h"

static void header(FILE *f, const view_t *v, const char *what)
{
	char a[16], b[16];

	view_date(v->ds.from, a, sizeof(a));
	view_date(v->ds.to - 1, b, sizeof(b));
	fprintf(f, "%s for %s, %s .. %s (last %u days; %u days with data)\n",
	    what, v->o->domain[0] ? v->o->domain : "all domains", a, b,
	    v->o->days, view_days_with_data(v));
	if (v->ds.history) {
		fprintf(f, "Data: dmarcwarden history %s, %zu messages\n",
		    v->history_shown, v->ds.n);
		if (v->tempfailed > 0)
			fprintf(f, "Not counted: %llu tempfailed attempts "
			    "(the sender retries; a retry is counted when it "
			    "is accepted or refused)\n", v->tempfailed);
	} else
		fprintf(f, "Data: %zu aggregate reports from %zu reporters\n",
		    v->ds.nreports, v->ds.nreporters);
	fprintf(f, "Messages: %llu, DMARC pass %.1f%%\n\n", v->a.total,
	    view_pct(v->a.dmarc_pass, v->a.total));
}

static void classes(FILE *f, const view_t *v)
{
	int c;

	fprintf(f, "%-28s %10s %7s %8s\n", "CLASS", "MESSAGES", "SHARE",
	    "SOURCES");
	for (c = 0; c < CLASS_COUNT; c++)
		fprintf(f, "%-28s %10llu %6.1f%% %8llu\n", class_label(c),
		    v->a.class_total[c], view_pct(v->a.class_total[c],
		    v->a.total), v->a.class_sources[c]);
	fputc('\n', f);
}

/* Beyond these, sources and groups are summed up in one line: a report
 * of thousands of sources is read by provider (--json lists them all). */
#define TEXT_MAX_SOURCES 40
#define TEXT_MAX_GROUPS 60

static void sources(FILE *f, const view_t *v)
{
	double days = view_days_with_data(v) ? view_days_with_data(v) : 1;
	unsigned long long rest = 0;
	size_t i;

	fprintf(f, "%-15s %-28s %8s %8s %7s %7s %7s  %s\n", "SOURCE", "PTR",
	    "MESSAGES", "PER DAY", "SPF AL", "DKIM AL", "DMARC", "CLASS");
	for (i = TEXT_MAX_SOURCES; i < v->a.nsrc; i++)
		rest += v->a.src[i].total;
	for (i = 0; i < v->a.nsrc && i < TEXT_MAX_SOURCES; i++) {
		const source_t *s = &v->a.src[i];

		fprintf(f, "%-15s %-28.28s %8llu %8.1f %6.1f%% %6.1f%% %6.1f%%  "
		    "%s\n", s->ip, s->ptr[0] ? s->ptr : "-", s->total,
		    (double)s->total / days, view_pct(s->spf_aligned, s->total),
		    view_pct(s->dkim_aligned, s->total), view_pct(s->dmarc_pass,
		    s->total), class_name(s->cls));
		fprintf(f, "%15s   %s (group %s, %u reporters, %u days)\n", "",
		    s->why, s->group, s->nreporters, s->ndays);
	}
	if (v->a.nsrc > TEXT_MAX_SOURCES)
		fprintf(f, "... and %zu smaller sources (%llu messages, "
		    "%.1f%%): see the providers below; --json lists every "
		    "source\n",
		    v->a.nsrc - TEXT_MAX_SOURCES, rest, view_pct(rest,
		    v->a.total));
	fputc('\n', f);
}

/* Sources grouped by provider (forward-confirmed PTR registrable
 * domain) or network, largest first. */
static void providers(FILE *f, const view_t *v)
{
	unsigned long long rest = 0, rest_src = 0;
	size_t i;
	int c;

	fprintf(f, "%-34s %8s %10s %7s  %-15s %s\n", "PROVIDER OR NETWORK",
	    "SOURCES", "MESSAGES", "DMARC", "LARGEST", "CLASSES");
	for (i = 0; i < v->a.ngroups; i++) {
		const src_group_t *g = &v->a.groups[i];
		char cls[96] = "";

		if (i >= TEXT_MAX_GROUPS) {
			rest += g->total;
			rest_src += g->nsrc;
			continue;
		}
		for (c = 0; c < CLASS_COUNT; c++)
			if (g->classes & (1u << c)) {
				size_t l = strlen(cls);

				str_format(cls + l, sizeof(cls) - l, "%s%s", l ?
				    "," : "", class_name(c));
			}
		fprintf(f, "%-34.34s %8zu %10llu %6.1f%%  %-15s %s\n", g->name,
		    g->nsrc, g->total, view_pct(g->dmarc_pass, g->total),
		    g->first < v->a.nsrc ? v->a.src[g->first].ip : "-", cls);
	}
	if (v->a.ngroups > TEXT_MAX_GROUPS)
		fprintf(f, "... and %zu smaller groups (%llu sources, %llu "
		    "messages)\n", v->a.ngroups - TEXT_MAX_GROUPS, rest_src,
		    rest);
	fputc('\n', f);
}

static void history_domains(FILE *f, const view_t *v)
{
	size_t i;

	fprintf(f, "What dmarcwarden did, by author domain:\n");
	fprintf(f, "%-30s %8s %8s %8s %8s %8s %8s  %s\n", "DOMAIN", "MESSAGES",
	    "PASS", "FAIL", "QUARANT", "REJECTED", "OVERRIDE", "REASONS");
	for (i = 0; i < v->nhdom; i++) {
		const hist_domain_t *h = &v->hdom[i];

		fprintf(f, "%-30.30s %8llu %8llu %8llu %8llu %8llu %8llu  %s\n",
		    h->domain, h->total, h->pass, h->fail, h->quarantined,
		    h->rejected, h->overridden, h->reasons[0] ? h->reasons :
		    "-");
	}
	fputc('\n', f);
}

/* Failure reports (ruf) about the domain, newest first. */
static void failures(FILE *f, const view_t *v)
{
	size_t i, n = v->fails.n < 20 ? v->fails.n : 20;
	char d[16];

	if (v->fails.total == 0)
		return;
	fprintf(f, "Failure reports: %llu in the window%s\n", v->fails.total,
	    v->fails.total > n ? " (newest 20)" : "");
	fprintf(f, "%-10s %-15s %-28s %-8s %-10s %-6s  %s\n", "ARRIVED",
	    "SOURCE", "REPORTER", "FAILURE", "RESULT", "ALIGN", "FROM / SUBJECT");
	for (i = 0; i < n; i++) {
		const ruf_t *r = &v->fails.items[i];

		view_date_known(r->arrival, d, sizeof(d));
		fprintf(f, "%-10s %-15s %-28.28s %-8.8s %-10.10s %-6.6s  %s / "
		    "%.60s\n", d, r->source_ip[0] ? r->source_ip : "-",
		    r->reporter[0] ? r->reporter : "-", r->auth_failure[0] ?
		    r->auth_failure : "-", r->delivery_result[0] ?
		    r->delivery_result : "-", r->identity_alignment[0] ?
		    r->identity_alignment : "-", r->header_from[0] ?
		    r->header_from : "-", r->subject);
	}
	fputc('\n', f);
}

void render_report_text(FILE *f, const view_t *v)
{
	header(f, v, v->ds.history ? "dmarcwarden history" :
	    "DMARC aggregate report");
	if (v->ds.history)
		history_domains(f, v);
	if (v->a.total == 0) {
		fprintf(f, "No records in this window.\n");
		failures(f, v);
		return;
	}
	classes(f, v);
	sources(f, v);
	providers(f, v);
	failures(f, v);
}

static void thresholds(FILE *f, const advise_cfg_t *t)
{
	fprintf(f, "Thresholds: min-days %u, min-reporters %u, min-pass "
	    "%.1f%%, max-unexplained %.1f%%, max-indirect %.1f%%, ramp-pct "
	    "%u, stage-days %u, min-source-volume %llu\n", t->min_days,
	    t->min_reporters, t->min_pass, t->max_unexplained, t->max_indirect,
	    t->ramp_pct, t->stage_days, t->min_source_volume);
}

static void impact(FILE *f, const view_t *v)
{
	const advice_t *adv = &v->adv;
	size_t i, shown = 0, more = 0;
	double more_day = 0;
	int c;

	fprintf(f, "Replayed under the next stage (%s), messages per day:\n",
	    stage_label(adv->next));
	fprintf(f, "%-28s %11s %9s %15s\n", "CLASS", "QUARANTINED", "REJECTED",
	    "FULL POLICY");
	for (c = 0; c < CLASS_COUNT; c++)
		fprintf(f, "%-28s %11.2f %9.2f %15.2f\n", class_label(c),
		    adv->quarantine[c], adv->reject[c], adv->full[c]);
	if (adv->nimpact)
		fprintf(f, "\nSources affected (legitimate ones need a fix):\n");
	for (i = 0; i < adv->nimpact; i++) {
		const impact_t *im = &adv->impact[i];
		const source_t *s = &v->a.src[im->src];

		/* every legitimate source; spoofers past a screenful summed */
		if (!class_legitimate(s->cls) && ++shown > TEXT_MAX_SOURCES) {
			more++;
			more_day += im->quarantine + im->reject;
			continue;
		}
		fprintf(f, "  %-15s %-12s %7.2f/day quarantined, %7.2f/day "
		    "rejected (%.2f/day at full %s)\n", s->ip, class_name(s->cls),
		    im->quarantine, im->reject, im->full, adv->next_policy);
		fprintf(f, "  %15s fix: %s\n", "", im->fix);
	}
	if (more)
		fprintf(f, "  ... and %zu more unknown/spoof sources "
		    "(%.2f/day)\n", more, more_day);
	fputc('\n', f);
}

void render_advise_text(FILE *f, const view_t *v)
{
	const advice_t *adv = &v->adv;
	size_t i;

	header(f, v, "DMARC advice");
	fprintf(f, "Current stage: %s (policy from %s%s%s)\n",
	    stage_label(adv->stage), v->cur.found ? v->cur.origin : "nowhere",
	    v->policy_note[0] ? "; " : "", v->policy_note);
	thresholds(f, &v->o->thresholds);
	fprintf(f, "Evidence: %u days with data, %u reporters, DMARC pass "
	    "%.1f%%%s\n\n", adv->days_with_data, adv->reporters, adv->pass_rate,
	    adv->days_at_stage_known ? "" : ", current policy not yet seen in "
	    "reports");
	if (adv->final) {
		fprintf(f, "Final stage reached: p=reject.  Keep watching the "
		    "reports for new legitimate senders.\n\n");
	} else if (adv->ready) {
		fprintf(f, "Verdict: READY for the next stage: %s\n\n",
		    stage_label(adv->next));
	} else {
		fprintf(f, "Verdict: NOT READY for %s; fix first:\n",
		    stage_label(adv->next));
		for (i = 0; i < adv->nblockers; i++)
			fprintf(f, "  - %s\n", adv->blocker[i]);
		fputc('\n', f);
	}
	impact(f, v);
	if (!adv->final) {
		fprintf(f, "Record to publish %s:\n  _dmarc.%s TXT \"%s\"\n",
		    adv->ready ? "next" : "once the blockers are fixed",
		    v->o->domain, adv->record);
		fprintf(f, "  %s\n  %s\n", adv->sp_note, adv->np_note);
		if (!v->cur.rua[0])
			fprintf(f, "  (no rua= known: add your own rua=mailto:"
			    "... to keep receiving reports)\n");
	}
}
