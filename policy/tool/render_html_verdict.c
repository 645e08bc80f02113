/*
 * render_html_verdict - the box at the top of the HTML page: ready or not
 * for the next stage, what it would break and by how much (legitimate
 * messages a day quarantined or rejected, their share of the mail, the
 * sources to fix first), the blockers, and the warnings `advise` gives
 * (how the current policy was found, a policy not yet seen in reports, no
 * rua=, no data).  Untrusted strings go through render_html_escape().
 */
#include <string.h>

#include "../../util/strbuf.h"
#include "view.h"

#define esc render_html_escape
#define MAX_WARNINGS 6
#define FIX_FIRST 3

/* The warnings of `advise` (render_advise_text() prints the same facts). */
static size_t warnings(const view_t *v, char out[][ADVISE_TEXT_MAX])
{
	size_t n = 0;

	if (v->a.total == 0)
		str_copy(out[n++], ADVISE_TEXT_MAX, "no aggregate report data in "
		    "this window: the verdict rests on nothing");
	if (v->policy_note[0])
		str_format(out[n++], ADVISE_TEXT_MAX, "current policy: %s",
		    v->policy_note);
	if (!v->cur.found)
		str_copy(out[n++], ADVISE_TEXT_MAX, "no current policy found "
		    "(DNS, --record or reports): assuming p=none");
	if (v->adv.stage != STAGE_NONE && !v->adv.days_at_stage_known)
		str_format(out[n++], ADVISE_TEXT_MAX, "the current policy (%s) "
		    "is not yet seen in any report", stage_label(v->adv.stage));
	if (!v->cur.rua[0] && !v->adv.final)
		str_copy(out[n++], ADVISE_TEXT_MAX, "no rua= known: add your own "
		    "rua=mailto:... to the record to keep receiving reports");
	return n;
}

/* Legitimate mail the next stage would hit, per day, and its share. */
static void breaks(FILE *f, const view_t *v)
{
	const advice_t *adv = &v->adv;
	double q = 0, r = 0, days, daily;
	unsigned nd = view_days_with_data(v);
	size_t i, shown = 0;
	int c;

	days = nd ? nd : 1;
	daily = (double)v->a.total / days;
	for (c = 0; c < CLASS_COUNT; c++)
		if (class_legitimate(c)) {
			q += adv->quarantine[c];
			r += adv->reject[c];
		}
	fprintf(f, "<p id=\"breaks\">At that stage <b>%.1f</b> legitimate "
	    "messages a day would be quarantined and <b>%.1f</b> rejected: "
	    "<b>%.2f%%</b> of the %.1f messages a day; %.1f a day of "
	    "unauthenticated mail (spoofing) would be stopped.</p>\n", q, r,
	    daily > 0 ? 100.0 * (q + r) / daily : 0.0, daily,
	    adv->quarantine[CLASS_SPOOF] + adv->reject[CLASS_SPOOF]);
	for (i = 0; i < adv->nimpact && shown < FIX_FIRST; i++) {
		const impact_t *im = &adv->impact[i];
		const source_t *s = &v->a.src[im->src];

		if (!class_legitimate(s->cls) || im->quarantine + im->reject <= 0)
			continue;
		fputs(shown++ ? "" : "<p class=\"small\">Fix first:</p>"
		    "<ul id=\"fixfirst\" class=\"small\">", f);
		fputs("<li><b>", f);
		render_html_ip(f, s->ip);
		fprintf(f, "</b> (%s, %.2f a day): ", class_label(s->cls),
		    im->quarantine + im->reject);
		esc(f, im->fix);
		fputs("</li>", f);
	}
	if (shown)
		fputs("</ul>\n", f);
}

void render_html_verdict(FILE *f, const view_t *v)
{
	const advice_t *adv = &v->adv;
	char warn[MAX_WARNINGS][ADVISE_TEXT_MAX];
	size_t i, nw = warnings(v, warn);

	fprintf(f, "<section id=\"summary\" class=\"box %s\">\n", adv->final ||
	    adv->ready ? "ok" : "bad");
	if (adv->final)
		fputs("<p id=\"verdict\" class=\"ready\">Final stage reached: "
		    "p=reject.</p>\n", f);
	else
		fprintf(f, "<p id=\"verdict\" class=\"%s\">%s for %s</p>\n",
		    adv->ready ? "ready" : "notready", adv->ready ? "Ready" :
		    "Not ready", stage_label(adv->next));
	if (!adv->final)
		breaks(f, v);
	if (adv->nblockers) {
		fputs("<p class=\"small\">Blocking the next stage:</p>"
		    "<ul id=\"blockers\">", f);
		for (i = 0; i < adv->nblockers; i++) {
			fputs("<li>", f);
			esc(f, adv->blocker[i]);
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	if (nw) {
		fputs("<ul id=\"warnings\">", f);
		for (i = 0; i < nw; i++) {
			fputs("<li>Warning: ", f);
			esc(f, warn[i]);
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("</section>\n", f);
}
