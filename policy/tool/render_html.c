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

#include "../../util/strbuf.h"
#include "view.h"

#define W 760
#define H 260
#define ML 48   /* left margin */
#define MB 30   /* bottom margin */
#define MT 14
#define SRC_BAR_X 300          /* source chart: bars start here */
#define SRC_BAR_W 300.0        /* ... and are at most this wide */
#define SRC_LABEL_CHARS 46     /* label characters that fit before them */

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
	".legend span{margin-right:14px;display:inline-block}.legend i{display:inline-block;"
	"width:10px;height:10px;margin-right:4px}"
	"#tip{position:fixed;display:none;background:#333;color:#fff;"
	"padding:3px 6px;border-radius:3px;font-size:12px;pointer-events:none}"
	".small{color:#666;font-size:12px}dd{margin:2px 0 8px 24px}"
	".box{border:2px solid #ddd;border-radius:6px;padding:4px 14px;"
	"margin:12px 0}.box.ok{border-color:#2e7d32;background:#f1f8f1}"
	".box.bad{border-color:#c62828;background:#fdf3f3}"
	"#verdict{font-size:18px;margin:8px 0}#warnings{color:#8a5a00}"
	"td.wrap,td .small,#summary li{overflow-wrap:anywhere}"
	"td.ip{white-space:nowrap}"
	"@media (max-width:700px){body{font-size:13px}"
	"#sources th:nth-child(2),#sources td:nth-child(2),"
	"#sources th:nth-child(3),#sources td:nth-child(3),"
	"#sources th:nth-child(5),#sources td:nth-child(5){display:none}}";

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
	"document.body.setAttribute('data-charts',"
	"document.querySelectorAll('svg.chart').length);\n"
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

/* A day without data: a hatched column, not an interpolated line. */
static void gap(FILE *f, const char *chart, double x, double w, double ph,
    long long day)
{
	char d[16];

	view_date(day * 86400, d, sizeof(d));
	fprintf(f, "<rect class=\"gap\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
	    "height=\"%.1f\" fill=\"url(#nodata-%s)\" data-tip=\"%s: no "
	    "reports\"/>\n", x, MT, w, ph, chart, d);
}

static void gap_pattern(FILE *f, const char *chart)
{
	fprintf(f, "<defs><pattern id=\"nodata-%s\" width=\"6\" height=\"6\" "
	    "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
	    "<rect width=\"6\" height=\"6\" fill=\"#fafafa\"/><line x1=\"0\" "
	    "y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#ddd\" stroke-width=\"2\"/>"
	    "</pattern></defs>\n", chart);
}

/* First, middle and last date under a day axis. */
static void day_axis(FILE *f, const analysis_t *a, double step)
{
	char d[16];

	if (a->ndays == 0)
		return;
	view_date(a->day[0].day * 86400, d, sizeof(d));
	fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>", ML, H - 10, d);
	if (a->ndays > 2) {
		view_date(a->day[a->ndays / 2].day * 86400, d, sizeof(d));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s"
		    "</text>", ML + step * ((double)(a->ndays / 2) + 0.5), H - 10,
		    d);
	}
	if (a->ndays > 1) {
		view_date(a->day[a->ndays - 1].day * 86400, d, sizeof(d));
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
		    W - 10, H - 10, d);
	}
	fputc('\n', f);
}

static double pass_y(const day_stat_t *ds, double ph)
{
	return MT + ph * (1 - view_pct(ds->dmarc_pass, ds->total) / 100);
}

/* Chart 1: DMARC aligned pass rate per day, with daily volume behind; a
 * day without reports breaks the line (one polyline per run of days). */
static void chart_passrate(FILE *f, const analysis_t *a)
{
	double pw = W - ML - 10, ph = H - MB - MT, step, y;
	unsigned long long vmax = 1;
	char d[16];
	size_t i;
	int open = 0;

	svg_open(f, "chart-passrate", "aligned pass rate over time", H);
	gap_pattern(f, "passrate");
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

		if (ds->total == 0) {
			gap(f, "passrate", ML + step * (double)i, step, ph,
			    ds->day);
			continue;
		}
		view_date(ds->day * 86400, d, sizeof(d));
		fprintf(f, "<rect class=\"vol\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
		    " height=\"%.1f\" fill=\"#e3ecf7\" data-tip=\"%s: %llu messages"
		    "\"/>\n", ML + step * (double)i + 1, MT + ph - bh, step - 2, bh,
		    d, ds->total);
	}
	for (i = 0; i < a->ndays; i++) {
		if (a->day[i].total == 0) {
			if (open)
				fputs("\"/>\n", f);
			open = 0;
			continue;
		}
		fprintf(f, "%s%.1f,%.1f", open ? " " : "<polyline class=\"line\" "
		    "fill=\"none\" stroke=\"#2e7d32\" stroke-width=\"2\" points=\"",
		    ML + step * ((double)i + 0.5), pass_y(&a->day[i], ph));
		open = 1;
	}
	if (open)
		fputs("\"/>\n", f);
	for (i = 0; i < a->ndays; i++) {
		if (a->day[i].total == 0)
			continue;
		view_date(a->day[i].day * 86400, d, sizeof(d));
		fprintf(f, "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
		    "fill=\"#2e7d32\" data-tip=\"%s: %.1f%% aligned pass\"/>\n",
		    ML + step * ((double)i + 0.5), pass_y(&a->day[i], ph), d,
		    view_pct(a->day[i].dmarc_pass, a->day[i].total));
	}
	day_axis(f, a, step);
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
	gap_pattern(f, "volume");
	for (i = 0; i < a->ndays; i++) {
		y = MT + ph;
		if (a->day[i].total == 0)
			gap(f, "volume", ML + step * (double)i, step, ph,
			    a->day[i].day);
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
	day_axis(f, a, step);
	fputs("</svg>\n", f);
	legend(f);
}

static unsigned long long failing(const source_t *s)
{
	return s->total - s->dmarc_pass;
}

/* Failing sources first (most failing messages first), then by volume. */
static void failing_first(const analysis_t *a, size_t *idx, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < a->nsrc; i++) {
		/* insertion into the top n */
		for (j = i < n ? i : n; j > 0; j--) {
			const source_t *p = &a->src[idx[j - 1]], *s = &a->src[i];

			if (failing(p) > failing(s) || (failing(p) == failing(s) &&
			    p->total >= s->total))
				break;
		}
		if (j >= n)
			continue;
		for (k = (i < n ? i : n - 1); k > j; k--)
			idx[k] = idx[k - 1];
		idx[j] = i;
	}
}

/* The source's label, cut to fit the label column (full text as tip). */
static void source_label(FILE *f, const source_t *s, int y)
{
	char full[RUA_IP_MAX + RUA_DOMAIN_MAX + 4], cut[SRC_LABEL_CHARS + 4];

	str_format(full, sizeof(full), s->ptr[0] ? "%s (%s)" : "%s", s->ip,
	    s->ptr);
	str_copy(cut, sizeof(cut), full);
	if (strlen(full) > SRC_LABEL_CHARS)
		str_format(cut, sizeof(cut), "%.*s...", SRC_LABEL_CHARS - 3,
		    full);
	fprintf(f, "<text class=\"label\" x=\"4\" y=\"%d\">", y);
	html(f, cut);
	fputs("<title>", f);
	html(f, full);
	fputs("</title></text>", f);
}

/* Chart 3: the 12 sources with the most failing mail first (then the
 * largest): the failing part of each bar in the class colour, the
 * passing part in light green. */
static void chart_sources(FILE *f, const analysis_t *a)
{
	size_t i, n = a->nsrc < 12 ? a->nsrc : 12, idx[12];
	int h = MT + 22 * (int)(n ? n : 1) + 10, y;
	unsigned long long max = 1;
	double bf, bp;

	svg_open(f, "chart-sources", "volume by source, failing first", h);
	failing_first(a, idx, n);
	for (i = 0; i < a->nsrc; i++)
		if (a->src[i].total > max)
			max = a->src[i].total;
	for (i = 0; i < n; i++) {
		const source_t *s = &a->src[idx[i]];

		y = MT + 22 * (int)i;
		bf = SRC_BAR_W * (double)failing(s) / (double)max;
		bp = SRC_BAR_W * (double)s->dmarc_pass / (double)max;
		source_label(f, s, y + 12);
		fprintf(f, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
		    "height=\"16\" fill=\"%s\" data-fail=\"%llu\" data-tip=\"%s: "
		    "%llu failing DMARC\"/><rect class=\"passbar\" x=\"%.1f\" "
		    "y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"#a5d6a7\" "
		    "data-tip=\"%llu passing DMARC\"/><text x=\"%.1f\" y=\"%d\">"
		    "%llu, %llu failing</text>\n", SRC_BAR_X, y, bf,
		    class_color[s->cls], failing(s), class_label(s->cls),
		    failing(s), SRC_BAR_X + bf, y, bp, s->dmarc_pass,
		    SRC_BAR_X + bf + bp + 4, y + 12, s->total, failing(s));
	}
	fputs("</svg>\n", f);
}

/* Chart 4: what the next stage would quarantine or reject, per class;
 * the figures under each bar, so no text runs past the chart. */
static void chart_impact(FILE *f, const advice_t *adv)
{
	double max = 0.01, q, r, bw = W - 200.0 - 20;
	int c, y, h = MT + 40 * CLASS_COUNT + 4;

	svg_open(f, "chart-impact", "next stage impact", h);
	for (c = 0; c < CLASS_COUNT; c++)
		if (adv->quarantine[c] + adv->reject[c] > max)
			max = adv->quarantine[c] + adv->reject[c];
	for (c = 0; c < CLASS_COUNT; c++) {
		y = MT + 40 * c;
		q = bw * adv->quarantine[c] / max;
		r = bw * adv->reject[c] / max;
		fprintf(f, "<text x=\"4\" y=\"%d\">%s</text>"
		    "<rect class=\"bar\" x=\"200\" y=\"%d\" width=\"%.1f\" "
		    "height=\"14\" fill=\"%s\" opacity=\"0.55\" data-tip=\"%.2f/day"
		    " quarantined\"/><rect class=\"bar\" x=\"%.1f\" y=\"%d\" "
		    "width=\"%.1f\" height=\"14\" fill=\"%s\" data-tip=\"%.2f/day "
		    "rejected\"/><text x=\"200\" y=\"%d\">%.1f quarantined, %.1f "
		    "rejected per day (%.1f at full %s)</text>\n",
		    y + 11, class_label(c), y, q, class_color[c],
		    adv->quarantine[c], 200 + q, y, r, class_color[c],
		    adv->reject[c], y + 28, adv->quarantine[c], adv->reject[c],
		    adv->full[c], adv->next_policy ? adv->next_policy : "policy");
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

/* An address that may break after each ':' (IPv6) but nowhere else. */
void render_html_ip(FILE *f, const char *ip)
{
	char one[2] = "";

	for (; *ip; ip++) {
		one[0] = *ip;
		html(f, one);
		if (*ip == ':' && ip[1])
			fputs("<wbr>", f);
	}
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
	if (v->o->domain[0] && !v->ds.history)
		render_html_verdict(f, v);
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
	fprintf(f, "<div id=\"tip\"></div>\n<script>%s</script>\n"
	    "</body></html>\n", js);
	return ferror(f) ? -1 : 0;
}
