/*
 * render_csv - report --csv: one CSV record per aggregate report record
 * (with its source's PTR name, provider and class), or with --failures
 * one per failure report.  See view.h and csv.h.
 */
#include "csv.h"
#include "view.h"

static void date_field(FILE *f, long long epoch)
{
	char d[16];

	if (epoch == 0) {
		csv_text(f, "");
		return;
	}
	view_date(epoch, d, sizeof(d));
	csv_text(f, d);
}

void render_report_csv(FILE *f, const view_t *v)
{
	static const char *const cols[] = { "begin", "end", "reporter",
		"format", "source_ip", "ptr", "provider", "messages",
		"header_from", "disposition", "dkim_aligned", "spf_aligned",
		"dmarc_pass", "class", "p", NULL };
	size_t i;

	csv_header(f, cols);
	for (i = 0; i < v->ds.n; i++) {
		const arow_t *r = &v->ds.rows[i];
		const source_t *s = v->a.row_src ? &v->a.src[v->a.row_src[i]] :
		    NULL;

		date_field(f, r->begin); csv_sep(f);
		date_field(f, r->end); csv_sep(f);
		csv_text(f, r->reporter < v->ds.nreporters ?
		    v->ds.reporters[r->reporter] : ""); csv_sep(f);
		csv_text(f, v->ds.history ? "history" : r->rfc9990 ?
		    "rfc9990" : "rfc7489"); csv_sep(f);
		csv_text(f, r->source_ip); csv_sep(f);
		csv_text(f, s ? s->ptr : ""); csv_sep(f);
		csv_text(f, s ? s->group : ""); csv_sep(f);
		csv_num(f, r->count); csv_sep(f);
		csv_text(f, r->header_from); csv_sep(f);
		csv_text(f, r->disposition); csv_sep(f);
		csv_num(f, r->dkim_aligned); csv_sep(f);
		csv_num(f, r->spf_aligned); csv_sep(f);
		csv_num(f, r->dkim_aligned || r->spf_aligned); csv_sep(f);
		csv_text(f, s ? class_name(s->cls) : ""); csv_sep(f);
		csv_text(f, r->p);
		csv_end(f);
	}
}

void render_failures_csv(FILE *f, const view_t *v)
{
	static const char *const cols[] = { "arrival", "domain", "reporter",
		"source_ip", "auth_failure", "delivery_result",
		"identity_alignment", "dkim_domain", "mail_from", "header_from",
		"subject", "authentication_results", NULL };
	size_t i;

	csv_header(f, cols);
	for (i = 0; i < v->fails.n; i++) {
		const ruf_t *r = &v->fails.items[i];

		date_field(f, r->arrival); csv_sep(f);
		csv_text(f, r->domain); csv_sep(f);
		csv_text(f, r->reporter); csv_sep(f);
		csv_text(f, r->source_ip); csv_sep(f);
		csv_text(f, r->auth_failure); csv_sep(f);
		csv_text(f, r->delivery_result); csv_sep(f);
		csv_text(f, r->identity_alignment); csv_sep(f);
		csv_text(f, r->dkim_domain); csv_sep(f);
		csv_text(f, r->mail_from); csv_sep(f);
		csv_text(f, r->header_from); csv_sep(f);
		csv_text(f, r->subject); csv_sep(f);
		csv_text(f, r->auth_results);
		csv_end(f);
	}
}
