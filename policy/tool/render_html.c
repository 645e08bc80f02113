/*
 * render_html - one self-contained static page: inline CSS, inline SVG
 * charts, a few lines of inline JavaScript (table sorting, tooltips); no
 * external script, style, font or image.  See view.h.
 *
 * Every string that came from outside (domains, PTR names, reporter
 * names, reasons) goes through html() which escapes & < > " '.
 * Charts are <svg class="chart" id="chart-..."> elements:
 * chart-passrate, chart-volume, chart-sources, chart-impact, and for the
 * milter's history chart-actions.
 */
#include <string.h>

#include "../strbuf.h"
#include "view.h"

#define W 760
#define H 260
#define ML 48   /* left margin */
#define MB 30   /* bottom margin */
#define MT 14

static const char *const class_color[CLASS_COUNT] = { "#2e7d32", "#f9a825",
	"#1565c0", "#6a1b9a", "#c62828" };

static void html(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;"
	"max-width:980px;color:#222;padding:0 12px}"
	"h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;"
	"border-bottom:1px solid #ddd;padding-bottom:4px}"
	".cards{display:flex;gap:12px;flex-wrap:wrap}"
	".card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;"
	"min-width:130px}.card b{display:block;font-size:20px}"
	"table{border-collapse:collapse;width:100%;margin:8px 0}"
	"th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;"
	"vertical-align:top}th{background:#f5f5f5;cursor:pointer}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".badge{color:#fff;border-radius:3px;padding:1px 6px;font-size:12px;"
	"white-space:nowrap}"
	".ready{color:#2e7d32;font-weight:bold}.notready{color:#c62828;"
	"font-weight:bold}code{background:#f3f3f3;padding:2px 4px;"
	"word-break:break-all}svg.chart{max-width:100%;height:auto;"
	"border:1px solid #eee}svg text{font:11px sans-serif;fill:#444}"
	".legend span{margin-right:14px}.legend i{display:inline-block;"
	"width:10px;height:10px;margin-right:4px}"
	"#tip{position:fixed;display:none;background:#333;color:#fff;"
	"padding:3px 6px;border-radius:3px;font-size:12px;pointer-events:none}"
	".small{color:#666;font-size:12px}dd{margin:2px 0 8px 24px}";

static const char js[] =
	"window.addEventListener('error',function(e){document.body."
	"setAttribute('data-js-error',String(e.message));});\n"
	"(function(){\n"
	"var tip=document.getElementById('tip');\n"
	"document.querySelectorAll('[data-tip]').forEach(function(e){\n"
	" e.addEventListener('mousemove',function(ev){tip.textContent="
	"e.getAttribute('data-tip');tip.style.display='block';"
	"tip.style.left=(ev.clientX+12)+'px';tip.style.top=(ev.clientY+12)+'px';"
	"});\n"
	" e.addEventListener('mouseleave',function(){tip.style.display='none';});"
	"\n});\n"
	"document.querySelectorAll('table.sortable').forEach(function(t){\n"
	" t.querySelectorAll('th').forEach(function(th,i){\n"
	"  th.addEventListener('click',function(){\n"
	"   var rows=Array.prototype.slice.call(t.tBodies[0].rows);\n"
	"   var dir=th.getAttribute('data-dir')==='a'?-1:1;"
	"th.setAttribute('data-dir',dir>0?'a':'d');\n"
	"   rows.sort(function(a,b){var x=a.cells[i].getAttribute('data-v')||"
	"a.cells[i].textContent,y=b.cells[i].getAttribute('data-v')||"
	"b.cells[i].textContent;var nx=parseFloat(x),ny=parseFloat(y);"
	"if(!isNaN(nx)&&!isNaN(ny))return dir*(nx-ny);return dir*x.localeCompare(y);});\n"
	"   rows.forEach(function(r){t.tBodies[0].appendChild(r);});\n"
	"  });\n });\n});\n"
	"var n=document.querySelectorAll('svg.chart').length;\n"
	"document.getElementById('js-status').textContent='interactive: '+n+"
	"' charts';\n"
	"document.body.setAttribute('data-js','ok');\n"
	"})();\n";

static void badge(FILE *f, src_class_t c)
{
	fprintf(f, "<span class=\"badge\" style=\"background:%s\">%s</span>",
	    class_color[c], class_label(c));
}

/* What each class means, for readers who never saw the XML. */
static void class_help(FILE *f)
{
	static const char *const help[CLASS_COUNT] = {
		"passes DMARC: your own servers and services you set up "
		"correctly",
		"sends for you but authenticates as another domain (often an "
		"email service provider): fix it before enforcing, or its mail "
		"will be quarantined or rejected",
		"forwarding service: DKIM survives, SPF cannot; fine as long "
		"as your mail is DKIM-signed",
		"mailing list that changes your messages: expect some losses "
		"under p=reject",
		"nothing authenticates: spoofing or an unknown sender; this is "
		"what enforcement stops",
	};
	int c;

	fputs("<dl class=\"small\" id=\"classes\">", f);
	for (c = 0; c < CLASS_COUNT; c++) {
		fputs("<dt>", f);
		badge(f, c);
		fprintf(f, "</dt><dd>%s</dd>", help[c]);
	}
	fputs("</dl>\n", f);
}

static void legend(FILE *f)
{
	int c;

	fputs("<div class=\"legend\">", f);
	for (c = 0; c < CLASS_COUNT; c++)
		fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>",
		    class_color[c], class_label(c));
	fputs("</div>\n", f);
}

static void svg_open(FILE *f, const char *id, const char *label, int h)
{
	fprintf(f, "<svg class=\"chart\" id=\"%s\" role=\"img\" aria-label=\"%s\""
	    " xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\">\n", id, label, W, h, W, h);
}

/* Chart 1: DMARC aligned pass rate per day, with daily volume behind. */
static void chart_passrate(FILE *f, const analysis_t *a)
{
	double pw = W - ML - 10, ph = H - MB - MT, step, x, y;
	unsigned long long vmax = 1;
	char d[16];
	size_t i;
	int first = 1;

	svg_open(f, "chart-passrate", "aligned pass rate over time", H);
	for (i = 0; i < a->ndays; i++)
		if (a->day[i].total > vmax)
			vmax = a->day[i].total;
	step = a->ndays ? pw / (double)a->ndays : pw;
	for (y = 0; y <= 100; y += 25)
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\""
		    ">%.0f%%</text>\n", ML, W - 10, MT + ph * (1 - y / 100),
		    MT + ph * (1 - y / 100), ML - 4, MT + ph * (1 - y / 100) + 4,
		    y);
	for (i = 0; i < a->ndays; i++) {
		const day_stat_t *ds = &a->day[i];
		double bh = ph * (double)ds->total / (double)vmax;

		view_date(ds->day * 86400, d, sizeof(d));
		fprintf(f, "<rect class=\"vol\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
		    " height=\"%.1f\" fill=\"#e3ecf7\" data-tip=\"%s: %llu messages"
		    "\"/>\n", ML + step * (double)i + 1, MT + ph - bh, step - 2, bh,
		    d, ds->total);
	}
	fputs("<polyline fill=\"none\" stroke=\"#2e7d32\" stroke-width=\"2\" "
	    "points=\"", f);
	for (i = 0; i < a->ndays; i++) {
		if (a->day[i].total == 0)
			continue;
		x = ML + step * ((double)i + 0.5);
		y = MT + ph * (1 - view_pct(a->day[i].dmarc_pass,
		    a->day[i].total) / 100);
		fprintf(f, "%s%.1f,%.1f", first ? "" : " ", x, y);
		first = 0;
	}
	fputs("\"/>\n", f);
	for (i = 0; i < a->ndays; i++) {
		if (a->day[i].total == 0)
			continue;
		view_date(a->day[i].day * 86400, d, sizeof(d));
		fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
		    "fill=\"#2e7d32\" data-tip=\"%s: %.1f%% aligned pass\"/>\n",
		    ML + step * ((double)i + 0.5), MT + ph * (1 -
		    view_pct(a->day[i].dmarc_pass, a->day[i].total) / 100), d,
		    view_pct(a->day[i].dmarc_pass, a->day[i].total));
	}
	if (a->ndays) {
		view_date(a->day[0].day * 86400, d, sizeof(d));
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>", ML, H - 10, d);
		view_date(a->day[a->ndays - 1].day * 86400, d, sizeof(d));
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
		    W - 10, H - 10, d);
	}
	fputs("</svg>\n", f);
}

/* Chart 2: daily volume stacked by classification. */
static void chart_volume(FILE *f, const analysis_t *a)
{
	double pw = W - ML - 10, ph = H - MB - MT, step, y;
	unsigned long long vmax = 1;
	char d[16];
	size_t i;
	int c;

	svg_open(f, "chart-volume", "volume by classification per day", H);
	for (i = 0; i < a->ndays; i++)
		if (a->day[i].total > vmax)
			vmax = a->day[i].total;
	step = a->ndays ? pw / (double)a->ndays : pw;
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu</text>"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", ML - 4,
	    MT + 8, vmax, ML - 4, MT + (int)ph);
	for (i = 0; i < a->ndays; i++) {
		y = MT + ph;
		view_date(a->day[i].day * 86400, d, sizeof(d));
		for (c = 0; c < CLASS_COUNT; c++) {
			double bh = ph * (double)a->day[i].by_class[c] /
			    (double)vmax;

			if (a->day[i].by_class[c] == 0)
				continue;
			y -= bh;
			fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\" data-tip=\""
			    "%s %s: %llu\"/>\n", ML + step * (double)i + 1, y,
			    step - 2, bh, class_color[c], d, class_label(c),
			    a->day[i].by_class[c]);
		}
	}
	fputs("</svg>\n", f);
	legend(f);
}

/* Chart 3: volume by source (largest 12), coloured by class. */
static void chart_sources(FILE *f, const analysis_t *a)
{
	size_t i, n = a->nsrc < 12 ? a->nsrc : 12;
	int h = MT + 22 * (int)(n ? n : 1) + 10;
	double bw;

	svg_open(f, "chart-sources", "volume by source", h);
	for (i = 0; i < n; i++) {
		const source_t *s = &a->src[i];

		bw = a->src[0].total ? (W - 330.0) * (double)s->total /
		    (double)a->src[0].total : 0;
		fprintf(f, "<text x=\"4\" y=\"%d\">", MT + 22 * (int)i + 12);
		html(f, s->ip);
		if (s->ptr[0]) {
			fputs(" (", f);
			html(f, s->ptr);
			fputc(')', f);
		}
		fprintf(f, "</text><rect class=\"bar\" x=\"300\" y=\"%d\" "
		    "width=\"%.1f\" height=\"16\" fill=\"%s\" data-tip=\"%s: "
		    "%llu messages\"/><text x=\"%.1f\" y=\"%d\">%llu</text>\n",
		    MT + 22 * (int)i, bw, class_color[s->cls], class_label(s->cls),
		    s->total, 304 + bw, MT + 22 * (int)i + 12, s->total);
	}
	fputs("</svg>\n", f);
}

/* Chart 4: what the next stage would quarantine or reject, per class. */
static void chart_impact(FILE *f, const advice_t *adv)
{
	double max = 0.01, q, r;
	int c, h = MT + 26 * CLASS_COUNT + 10;

	svg_open(f, "chart-impact", "next stage impact", h);
	for (c = 0; c < CLASS_COUNT; c++)
		if (adv->full[c] > max)
			max = adv->full[c];
	for (c = 0; c < CLASS_COUNT; c++) {
		q = (W - 420.0) * adv->quarantine[c] / max;
		r = (W - 420.0) * adv->reject[c] / max;
		fprintf(f, "<text x=\"4\" y=\"%d\">%s</text>"
		    "<rect class=\"bar\" x=\"200\" y=\"%d\" width=\"%.1f\" "
		    "height=\"16\" fill=\"%s\" opacity=\"0.55\" data-tip=\"%.2f/day"
		    " quarantined\"/><rect class=\"bar\" x=\"%.1f\" y=\"%d\" "
		    "width=\"%.1f\" height=\"16\" fill=\"%s\" data-tip=\"%.2f/day "
		    "rejected\"/><text x=\"%.1f\" y=\"%d\">%.1f quarantined, %.1f "
		    "rejected per day (%.1f at full %s)</text>\n",
		    MT + 26 * c + 12, class_label(c), MT + 26 * c, q,
		    class_color[c], adv->quarantine[c], 200 + q, MT + 26 * c, r,
		    class_color[c], adv->reject[c], 206 + q + r, MT + 26 * c + 12,
		    adv->quarantine[c], adv->reject[c], adv->full[c],
		    adv->next_policy ? adv->next_policy : "policy");
	}
	fputs("</svg>\n", f);
}

/* History: quarantined and rejected per author domain (largest 12). */
static void chart_actions(FILE *f, const view_t *v)
{
	size_t i, n = v->nhdom < 12 ? v->nhdom : 12;
	unsigned long long max = 1;
	int h = MT + 22 * (int)(n ? n : 1) + 10;
	double q, r;

	svg_open(f, "chart-actions", "what dmarcwarden did per domain", h);
	for (i = 0; i < n; i++)
		if (v->hdom[i].total > max)
			max = v->hdom[i].total;
	for (i = 0; i < n; i++) {
		const hist_domain_t *d = &v->hdom[i];

		q = (W - 330.0) * (double)d->quarantined / (double)max;
		r = (W - 330.0) * (double)d->rejected / (double)max;
		fprintf(f, "<text x=\"4\" y=\"%d\">", MT + 22 * (int)i + 12);
		html(f, d->domain);
		fprintf(f, "</text><rect class=\"bar\" x=\"260\" y=\"%d\" "
		    "width=\"%.1f\" height=\"16\" fill=\"#f9a825\" data-tip=\"%llu "
		    "quarantined\"/><rect class=\"bar\" x=\"%.1f\" y=\"%d\" "
		    "width=\"%.1f\" height=\"16\" fill=\"#c62828\" data-tip=\"%llu "
		    "rejected\"/><text x=\"%.1f\" y=\"%d\">%llu of %llu</text>\n",
		    MT + 22 * (int)i, q, d->quarantined, 260 + q, MT + 22 * (int)i,
		    r, d->rejected, 264 + q + r, MT + 22 * (int)i + 12,
		    d->quarantined + d->rejected, d->total);
	}
	fputs("</svg>\n", f);
}

void render_html_escape(FILE *f, const char *s)
{
	html(f, s);
}

void render_html_badge(FILE *f, src_class_t c)
{
	badge(f, c);
}

static void cards(FILE *f, const view_t *v)
{
	fprintf(f, "<div class=\"cards\"><div class=\"card\">messages<b id=\""
	    "total\">%llu</b></div><div class=\"card\">aligned pass<b>%.1f%%"
	    "</b></div><div class=\"card\">sources<b>%zu</b></div>"
	    "<div class=\"card\">days with data<b>%u</b></div>",
	    v->a.total, view_pct(v->a.dmarc_pass, v->a.total), v->a.nsrc,
	    view_days_with_data(v));
	if (v->o->domain[0] && !v->ds.history)
		fprintf(f, "<div class=\"card\">stage<b id=\"stage\">%s</b></div>",
		    stage_name(v->adv.stage));
	fputs("</div>\n", f);
}

int render_html(FILE *f, const view_t *v)
{
	const char *dom = v->o->domain[0] ? v->o->domain : "all domains";
	char a[16], b[16];

	view_date(v->ds.from, a, sizeof(a));
	view_date(v->ds.to - 1, b, sizeof(b));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	    "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
	    "<title>DMARC: ", f);
	html(f, dom);
	fprintf(f, "</title><style>%s</style></head>\n<body>\n<h1>DMARC %s for ",
	    css, v->ds.history ? "history" : "report");
	html(f, dom);
	fprintf(f, "</h1>\n<p class=\"small\">%s .. %s, %s. Generated by "
	    "dmarcwarden-policy.</p>\n", a, b, v->ds.history ? "from "
	    "dmarcwarden's own verdict history" : "from received aggregate "
	    "reports");
	cards(f, v);
	if (v->ds.history) {
		fputs("<h2>What dmarcwarden did</h2>\n", f);
		chart_actions(f, v);
		render_html_history(f, v);
	}
	fputs("<h2>Aligned pass rate over time</h2>\n<p class=\"small\">Share "
	    "of messages passing DMARC (aligned SPF or aligned DKIM) per day; "
	    "bars show the day's volume.</p>\n", f);
	chart_passrate(f, &v->a);
	fputs("<h2>Volume by classification</h2>\n", f);
	chart_volume(f, &v->a);
	class_help(f);
	fputs("<h2>Volume by source</h2>\n", f);
	chart_sources(f, &v->a);
	render_html_sources(f, v);
	if (v->o->domain[0]) {
		fputs("<h2>What the next stage would affect</h2>\n", f);
		chart_impact(f, &v->adv);
		render_html_advice(f, v);
	}
	if (!v->ds.history && v->o->domain[0])
		render_html_failures(f, v);
	fprintf(f, "<div id=\"tip\"></div><p class=\"small\" id=\"js-status\">"
	    "static page (JavaScript off)</p>\n<script>%s</script>\n"
	    "</body></html>\n", js);
	return ferror(f) ? -1 : 0;
}
