/*
 * render_json - the report (and advice) as one JSON object.  See view.h;
 * the fields are listed in dmarcwarden-policy(1).
 */
#include <string.h>

#include "view.h"

static void jstr(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void jkey(FILE *f, const char *k)
{
	jstr(f, k);
	fputc(':', f);
}

/* "failures": the failure reports (ruf) about the domain. */
static void jfailures(FILE *f, const view_t *v)
{
	size_t i;

	fprintf(f, ",\"failures\":{\"total\":%llu,\"items\":[",
	    v->fails.total);
	for (i = 0; i < v->fails.n; i++) {
		const ruf_t *r = &v->fails.items[i];

		fprintf(f, "%s{\"arrival\":%lld,", i ? "," : "", r->arrival);
		jkey(f, "domain"); jstr(f, r->domain);
		fputc(',', f); jkey(f, "reporter"); jstr(f, r->reporter);
		fputc(',', f); jkey(f, "source_ip"); jstr(f, r->source_ip);
		fputc(',', f); jkey(f, "auth_failure"); jstr(f, r->auth_failure);
		fputc(',', f); jkey(f, "delivery_result");
		jstr(f, r->delivery_result);
		fputc(',', f); jkey(f, "identity_alignment");
		jstr(f, r->identity_alignment);
		fputc(',', f); jkey(f, "dkim_domain"); jstr(f, r->dkim_domain);
		fputc(',', f); jkey(f, "mail_from"); jstr(f, r->mail_from);
		fputc(',', f); jkey(f, "header_from"); jstr(f, r->header_from);
		fputc(',', f); jkey(f, "subject"); jstr(f, r->subject);
		fputc(',', f); jkey(f, "auth_results"); jstr(f, r->auth_results);
		fputc('}', f);
	}
	fputs("]}", f);
}

static void jsource(FILE *f, const source_t *s, double days)
{
	fputc('{', f);
	jkey(f, "ip"); jstr(f, s->ip);
	fputc(',', f); jkey(f, "ptr"); jstr(f, s->ptr);
	fputc(',', f); jkey(f, "group"); jstr(f, s->group);
	fprintf(f, ",\"messages\":%llu,\"per_day\":%.2f,\"dmarc_pass\":%llu,"
	    "\"spf_aligned\":%llu,\"dkim_aligned\":%llu,\"spf_aligned_rate\":"
	    "%.2f,\"dkim_aligned_rate\":%.2f,\"dmarc_pass_rate\":%.2f,"
	    "\"quarantined\":%llu,\"rejected\":%llu,\"reporters\":%u,"
	    "\"days\":%u,", s->total, (double)s->total / days, s->dmarc_pass,
	    s->spf_aligned, s->dkim_aligned, view_pct(s->spf_aligned, s->total),
	    view_pct(s->dkim_aligned, s->total), view_pct(s->dmarc_pass,
	    s->total), s->quarantined, s->rejected, s->nreporters, s->ndays);
	jkey(f, "class"); jstr(f, class_name(s->cls));
	fputc(',', f); jkey(f, "why"); jstr(f, s->why);
	fputc(',', f); jkey(f, "authenticated_as"); jstr(f, s->foreign_domain);
	fputc('}', f);
}

static void jdays(FILE *f, const view_t *v)
{
	char d[16];
	size_t i;
	int c;

	fputs(",\"days\":[", f);
	for (i = 0; i < v->a.ndays; i++) {
		const day_stat_t *ds = &v->a.day[i];

		view_date(ds->day * 86400, d, sizeof(d));
		fprintf(f, "%s{\"date\":\"%s\",\"messages\":%llu,\"dmarc_pass\":"
		    "%llu,\"by_class\":{", i ? "," : "", d, ds->total,
		    ds->dmarc_pass);
		for (c = 0; c < CLASS_COUNT; c++)
			fprintf(f, "%s\"%s\":%llu", c ? "," : "", class_name(c),
			    ds->by_class[c]);
		fputs("}}", f);
	}
	fputc(']', f);
}

static void jhistory(FILE *f, const view_t *v)
{
	size_t i;

	fprintf(f, ",\"tempfailed_not_counted\":%llu", v->tempfailed);
	fputs(",\"history_domains\":[", f);
	for (i = 0; i < v->nhdom; i++) {
		const hist_domain_t *h = &v->hdom[i];

		fprintf(f, "%s{", i ? "," : "");
		jkey(f, "domain"); jstr(f, h->domain);
		fprintf(f, ",\"messages\":%llu,\"pass\":%llu,\"fail\":%llu,"
		    "\"quarantined\":%llu,\"rejected\":%llu,\"overridden\":%llu,",
		    h->total, h->pass, h->fail, h->quarantined, h->rejected,
		    h->overridden);
		jkey(f, "reasons"); jstr(f, h->reasons);
		fputc('}', f);
	}
	fputc(']', f);
}

static void jadvice(FILE *f, const view_t *v)
{
	const advice_t *a = &v->adv;
	const advise_cfg_t *t = &v->o->thresholds;
	size_t i;
	int c;

	fprintf(f, ",\"advice\":{\"stage\":\"%s\",\"next\":\"%s\",\"ready\":%s,"
	    "\"final\":%s,\"days_with_data\":%u,\"reporters\":%u,"
	    "\"days_at_stage\":%u,", stage_name(a->stage), stage_name(a->next),
	    a->ready ? "true" : "false", a->final ? "true" : "false",
	    a->days_with_data, a->reporters, a->days_at_stage);
	jkey(f, "policy_origin"); jstr(f, v->cur.found ? v->cur.origin : "");
	fputc(',', f); jkey(f, "policy_note"); jstr(f, v->policy_note);
	fprintf(f, ",\"thresholds\":{\"min_days\":%u,\"min_reporters\":%u,"
	    "\"min_pass\":%.2f,\"max_unexplained\":%.2f,\"max_indirect\":%.2f,"
	    "\"ramp_pct\":%u,\"stage_days\":%u,\"min_source_volume\":%llu},",
	    t->min_days, t->min_reporters, t->min_pass, t->max_unexplained,
	    t->max_indirect, t->ramp_pct, t->stage_days, t->min_source_volume);
	fputs("\"blockers\":[", f);
	for (i = 0; i < a->nblockers; i++) {
		fputs(i ? "," : "", f);
		jstr(f, a->blocker[i]);
	}
	fputs("],\"impact_per_day\":{", f);
	for (c = 0; c < CLASS_COUNT; c++)
		fprintf(f, "%s\"%s\":{\"quarantined\":%.2f,\"rejected\":%.2f,"
		    "\"full\":%.2f}", c ? "," : "", class_name(c),
		    a->quarantine[c], a->reject[c], a->full[c]);
	fputs("},\"affected_sources\":[", f);
	for (i = 0; i < a->nimpact; i++) {
		fprintf(f, "%s{\"ip\":", i ? "," : "");
		jstr(f, v->a.src[a->impact[i].src].ip);
		fprintf(f, ",\"class\":\"%s\",\"quarantined\":"
		    "%.2f,\"rejected\":%.2f,\"full\":%.2f,",
		    class_name(v->a.src[a->impact[i].src].cls),
		    a->impact[i].quarantine, a->impact[i].reject,
		    a->impact[i].full);
		jkey(f, "fix"); jstr(f, a->impact[i].fix);
		fputc('}', f);
	}
	fputs("],", f);
	jkey(f, "record"); jstr(f, a->record);
	fputc(',', f); jkey(f, "sp_note"); jstr(f, a->sp_note);
	fputc(',', f); jkey(f, "np_note"); jstr(f, a->np_note);
	fputc('}', f);
}

void render_report_json(FILE *f, const view_t *v, int with_advice)
{
	double days = view_days_with_data(v) ? view_days_with_data(v) : 1;
	size_t i;
	int c;

	fputc('{', f);
	jkey(f, "domain"); jstr(f, v->o->domain);
	fprintf(f, ",\"source\":\"%s\",\"from\":%lld,\"to\":%lld,"
	    "\"days_with_data\":%u,\"reports\":%zu,\"reporters\":%zu,"
	    "\"messages\":%llu,\"dmarc_pass\":%llu,\"dmarc_pass_rate\":%.2f,"
	    "\"classes\":{", v->ds.history ? "history" : "reports", v->ds.from,
	    v->ds.to, view_days_with_data(v), v->ds.nreports,
	    v->ds.nreporters, v->a.total, v->a.dmarc_pass,
	    view_pct(v->a.dmarc_pass, v->a.total));
	for (c = 0; c < CLASS_COUNT; c++)
		fprintf(f, "%s\"%s\":{\"messages\":%llu,\"sources\":%llu}",
		    c ? "," : "", class_name(c), v->a.class_total[c],
		    v->a.class_sources[c]);
	fputs("},\"sources\":[", f);
	for (i = 0; i < v->a.nsrc; i++) {
		fputs(i ? "," : "", f);
		jsource(f, &v->a.src[i], days);
	}
	fputs("],\"groups\":[", f);
	for (i = 0; i < v->a.ngroups; i++) {
		const src_group_t *g = &v->a.groups[i];

		fputs(i ? ",{" : "{", f);
		jkey(f, "name"); jstr(f, g->name);
		fprintf(f, ",\"sources\":%zu,\"messages\":%llu,\"dmarc_pass\":"
		    "%llu,\"classes\":[", g->nsrc, g->total, g->dmarc_pass);
		for (c = 0; c < CLASS_COUNT; c++)
			if (g->classes & (1u << c))
				fprintf(f, "%s\"%s\"", g->classes &
				    ((1u << c) - 1) ? "," : "", class_name(c));
		fputs("]}", f);
	}
	fputc(']', f);
	jdays(f, v);
	if (v->ds.history)
		jhistory(f, v);
	else if (v->o->domain[0])
		jfailures(f, v);
	if (with_advice && v->o->domain[0])
		jadvice(f, v);
	fputs("}\n", f);
}
