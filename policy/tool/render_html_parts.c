/*
 * render_html_parts - the tables and advice text of the HTML page (see
 * render_html.c).  Untrusted strings go through render_html_escape().
 */
#include <string.h>

#include "view.h"

#define esc render_html_escape

void render_html_sources(FILE *f, const view_t *v)
{
	double days = view_days_with_data(v) ? view_days_with_data(v) : 1;
	size_t i;

	fputs("<table class=\"sortable\" id=\"sources\"><thead><tr><th>source"
	    "</th><th>PTR name</th><th>provider</th><th>messages</th>"
	    "<th>per day</th><th>SPF aligned</th><th>DKIM aligned</th>"
	    "<th>DMARC pass</th><th>class</th></tr></thead><tbody>\n", f);
	for (i = 0; i < v->a.nsrc; i++) {
		const source_t *s = &v->a.src[i];

		fputs("<tr><td class=\"ip\">", f);
		render_html_ip(f, s->ip);
		fputs("</td><td class=\"wrap\">", f);
		esc(f, s->ptr[0] ? s->ptr : "-");
		fputs("</td><td>", f);
		esc(f, s->group);
		fprintf(f, "</td><td class=\"n\">%llu</td><td class=\"n\">%.1f</td>"
		    "<td class=\"n\">%.1f%%</td><td class=\"n\">%.1f%%</td>"
		    "<td class=\"n\">%.1f%%</td><td data-v=\"%s\">", s->total,
		    (double)s->total / days, view_pct(s->spf_aligned, s->total),
		    view_pct(s->dkim_aligned, s->total), view_pct(s->dmarc_pass,
		    s->total), class_name(s->cls));
		render_html_badge(f, s->cls);
		fputs("<br><span class=\"small\">", f);
		esc(f, s->why);
		fputs("</span></td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void thresholds(FILE *f, const advise_cfg_t *t)
{
	fprintf(f, "<p class=\"small\">Thresholds used: at least %u days of "
	    "data from at least %u reporters; every authorized source with at "
	    "least %llu messages passes aligned in at least %.1f%% of its mail; "
	    "misaligned legitimate mail at most %.1f%% of the volume; failing "
	    "forwarded and mailing list mail at most %.1f%% before reject; "
	    "%u days at a stage before the next; ramps use pct=%u with t=y."
	    "</p>\n", t->min_days, t->min_reporters, t->min_source_volume,
	    t->min_pass, t->max_unexplained, t->max_indirect, t->stage_days,
	    t->ramp_pct);
}

static void impact_table(FILE *f, const view_t *v)
{
	const advice_t *adv = &v->adv;
	size_t i;

	if (adv->nimpact == 0) {
		fputs("<p>No received mail would be affected.</p>\n", f);
		return;
	}
	fputs("<table id=\"impact\"><thead><tr><th>source</th><th>class</th>"
	    "<th>quarantined a day</th><th>rejected a day</th><th>at full policy"
	    "</th><th>fix</th></tr></thead><tbody>\n", f);
	for (i = 0; i < adv->nimpact; i++) {
		const impact_t *im = &adv->impact[i];
		const source_t *s = &v->a.src[im->src];

		fputs("<tr><td class=\"ip\">", f);
		render_html_ip(f, s->ip);
		fputs("</td><td>", f);
		render_html_badge(f, s->cls);
		fprintf(f, "</td><td class=\"n\">%.2f</td><td class=\"n\">%.2f</td>"
		    "<td class=\"n\">%.2f</td><td class=\"wrap\">", im->quarantine,
		    im->reject,
		    im->full);
		esc(f, im->fix);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

void render_html_advice(FILE *f, const view_t *v)
{
	const advice_t *adv = &v->adv;

	impact_table(f, v);
	fputs("<h2>Advice</h2>\n<p>Current stage: <b>", f);
	esc(f, stage_label(adv->stage));
	fputs("</b> (policy from ", f);
	esc(f, v->cur.found ? v->cur.origin : "nowhere");
	fputs(").</p>\n", f);
	thresholds(f, &v->o->thresholds);
	fputs("<p class=\"small\">The verdict, the blockers and the warnings "
	    "are at the top of the page.</p>\n", f);
	if (adv->final)
		return;
	fprintf(f, "<p>Record to publish %s:</p><p><code id=\"record\">_dmarc.",
	    adv->ready ? "next" : "once the blockers are fixed");
	esc(f, v->o->domain);
	fputs(" TXT \"", f);
	esc(f, adv->record);
	fputs("\"</code></p>\n<ul class=\"small\"><li>", f);
	esc(f, adv->sp_note);
	fputs("</li><li>", f);
	esc(f, adv->np_note);
	fputs("</li></ul>\n", f);
}

void render_html_history(FILE *f, const view_t *v)
{
	size_t i;

	fputs("<table class=\"sortable\" id=\"history\"><thead><tr><th>author "
	    "domain</th><th>messages</th><th>pass</th><th>fail</th>"
	    "<th>quarantined</th><th>rejected</th><th>overridden</th>"
	    "<th>override reasons</th></tr></thead><tbody>\n", f);
	for (i = 0; i < v->nhdom; i++) {
		const hist_domain_t *h = &v->hdom[i];

		fputs("<tr><td>", f);
		esc(f, h->domain);
		fprintf(f, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
		    "<td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
		    "<td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
		    h->total, h->pass, h->fail, h->quarantined, h->rejected,
		    h->overridden);
		esc(f, h->reasons[0] ? h->reasons : "-");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

/* Failure reports (ruf) about the domain, newest first. */
void render_html_failures(FILE *f, const view_t *v)
{
	size_t i, n = v->fails.n < 100 ? v->fails.n : 100;
	char d[16];

	fprintf(f, "<h2>Failure reports</h2>\n<p class=\"small\">%llu failure "
	    "report%s (RFC 6591) arrived in this window%s.</p>\n",
	    v->fails.total, v->fails.total == 1 ? "" : "s",
	    v->fails.total > n ? "; the newest 100 are shown" : "");
	if (n == 0)
		return;
	fputs("<table class=\"sortable\" id=\"failures\"><thead><tr><th>"
	    "arrived</th><th>source</th><th>reporter</th><th>failure</th>"
	    "<th>result</th><th>alignment</th><th>From</th><th>subject</th>"
	    "</tr></thead><tbody>\n", f);
	for (i = 0; i < n; i++) {
		const ruf_t *r = &v->fails.items[i];

		view_date_known(r->arrival, d, sizeof(d));
		fprintf(f, "<tr><td>%s</td><td class=\"ip\">", d);
		render_html_ip(f, r->source_ip[0] ? r->source_ip : "-");
		fputs("</td><td class=\"wrap\">", f);
		esc(f, r->reporter[0] ? r->reporter : "-");
		fputs("</td><td>", f);
		esc(f, r->auth_failure[0] ? r->auth_failure : "-");
		fputs("</td><td>", f);
		esc(f, r->delivery_result[0] ? r->delivery_result : "-");
		fputs("</td><td>", f);
		esc(f, r->identity_alignment[0] ? r->identity_alignment : "-");
		fputs("</td><td class=\"wrap\">", f);
		esc(f, r->header_from[0] ? r->header_from : "-");
		fputs("</td><td class=\"wrap\">", f);
		esc(f, r->subject);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}
