/*
 * advise - stages, readiness and replayed impact.  See advise.h.
 */
#include "advise.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/strbuf.h"

const char *stage_name(stage_t s)
{
	static const char *const names[] = { "none", "quarantine-ramp",
		"quarantine", "reject-ramp", "reject" };

	return s <= STAGE_REJECT ? names[s] : "?";
}

const char *stage_label(stage_t s)
{
	static const char *const names[] = { "p=none (monitoring only)",
		"p=quarantine, ramping up (pct / t=y)", "p=quarantine",
		"p=reject, ramping up (pct / t=y)", "p=reject" };

	return s <= STAGE_REJECT ? names[s] : "?";
}

stage_t advise_stage_of(const current_policy_t *cur)
{
	bool ramp = cur->testing || (cur->pct >= 0 && cur->pct < 100);

	if (!cur->found || (strcmp(cur->p, "quarantine") != 0 &&
	    strcmp(cur->p, "reject") != 0))
		return STAGE_NONE;
	if (strcmp(cur->p, "quarantine") == 0)
		return ramp ? STAGE_QUARANTINE_RAMP : STAGE_QUARANTINE;
	return ramp ? STAGE_REJECT_RAMP : STAGE_REJECT;
}

void advise_policy_from_reports(const dataset_t *ds, current_policy_t *cur)
{
	const arow_t *newest = NULL;
	size_t i;

	memset(cur, 0, sizeof(*cur));
	cur->pct = -1;
	for (i = 0; i < ds->n; i++)
		if (ds->rows[i].p[0] && (newest == NULL ||
		    ds->rows[i].end > newest->end))
			newest = &ds->rows[i];
	if (newest == NULL)
		return;
	cur->found = true;
	str_copy(cur->p, sizeof(cur->p), newest->p);
	str_copy(cur->sp, sizeof(cur->sp), newest->sp);
	cur->pct = newest->pct;
	cur->testing = newest->testing;
	str_copy(cur->origin, sizeof(cur->origin), ds->history ?
	    "history" : "reports");
}

/* ---- configuration --------------------------------------------------- */

int advise_cfg_set(advise_cfg_t *cfg, const char *key, const char *value)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (*value == '\0' || *end != '\0' || errno || v < 0)
		return -1;
	static const struct {
		const char *name;
		double max;
		int kind;      /* 0 percent, 1 whole number */
	} keys[] = {
		{ "min-pass", 100, 0 }, { "max-unexplained", 100, 0 },
		{ "max-indirect", 100, 0 }, { "min-days", 366, 1 },
		{ "min-reporters", 1000, 1 }, { "stage-days", 366, 1 },
		{ "ramp-pct", 99, 1 }, { "min-source-volume", 1e12, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].name) != 0)
			continue;
		if (v > keys[i].max || (keys[i].kind == 1 && v != (double)
		    (unsigned long long)v) || (i == 6 && v < 1))
			return -1;
		switch (i) {
		case 0: cfg->min_pass = v; break;
		case 1: cfg->max_unexplained = v; break;
		case 2: cfg->max_indirect = v; break;
		case 3: cfg->min_days = (unsigned)v; break;
		case 4: cfg->min_reporters = (unsigned)v; break;
		case 5: cfg->stage_days = (unsigned)v; break;
		case 6: cfg->ramp_pct = (unsigned)v; break;
		default: cfg->min_source_volume = (unsigned long long)v;
		}
		return 0;
	}
	return -1;
}

int advise_cfg_load(advise_cfg_t *cfg, const char *path, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[256], *eq, *k, *v, *e;
	unsigned lineno = 0;

	if (f == NULL) {
		str_format(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "#\r\n")] = '\0';
		for (k = line; *k == ' ' || *k == '\t'; k++)
			;
		if (*k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL)
			goto bad;
		for (e = eq; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t');
		    e--)
			;
		*e = '\0';
		if (advise_cfg_set(cfg, k, v) < 0)
			goto bad;
	}
	fclose(f);
	return 0;
bad:
	str_format(err, errlen, "%s:%u: expected NAME = VALUE with a known "
	    "threshold name and a valid value", path, lineno);
	fclose(f);
	return -1;
}

/* ---- replay ---------------------------------------------------------- */

static stage_t next_stage(stage_t s)
{
	return s >= STAGE_REJECT ? STAGE_REJECT : (stage_t)(s + 1);
}

static bool is_ramp(stage_t s)
{
	return s == STAGE_QUARANTINE_RAMP || s == STAGE_REJECT_RAMP;
}

static bool is_reject(stage_t s)
{
	return s >= STAGE_REJECT_RAMP;
}

/* Disposition weight of one failing row under stage s: fractions of the
 * row that are quarantined (*q) and rejected (*r). */
static void replay_row(const arow_t *row, stage_t s, unsigned ramp_pct,
    double *q, double *r)
{
	double share = 1.0;

	*q = *r = 0;
	if (s == STAGE_NONE)
		return;
	if (is_ramp(s))
		share = row->rfc9990 ? 0.0 : ramp_pct / 100.0;
	if (is_reject(s)) {
		*r = share;
		*q = 1.0 - share;
	} else {
		*q = share;
	}
}

static void fix_text(const source_t *s, const char *domain, char *buf,
    size_t size)
{
	switch (s->cls) {
	case CLASS_AUTHORIZED:
		str_format(buf, size, "some mail from %s fails: add %s to the "
		    "SPF record of %s and sign every message with DKIM d=%s",
		    s->ip, s->ip, s->spf_domain[0] ? s->spf_domain : domain,
		    domain);
		break;
	case CLASS_MISALIGNED:
		if (s->relaxed_pass * 2 >= s->foreign_pass && s->foreign_pass)
			str_format(buf, size, "your own mail authenticates as "
			    "%s but strict alignment requires %s exactly: "
			    "publish adkim=r and aspf=r (relaxed), or sign with "
			    "DKIM d=%s and use a bounce address in %s",
			    s->foreign_domain, s->header_from, s->header_from,
			    s->header_from);
		else
			str_format(buf, size, "configure this sender "
			    "(authenticating as %s) to sign with DKIM d=%s, or "
			    "to use a bounce address under %s that its SPF "
			    "covers", s->foreign_domain, domain, domain);
		break;
	case CLASS_FORWARDER:
		str_copy(buf, size, "forwarded mail: make sure every message "
		    "is DKIM-signed by you (DKIM survives plain forwarding); the "
		    "forwarder can add ARC or SRS");
		break;
	case CLASS_LIST:
		str_copy(buf, size, "a mailing list modifies your mail: the "
		    "list should rewrite From: or ARC-seal (RFC 7960); expect "
		    "losses under reject");
		break;
	default:
		str_copy(buf, size, "none: this is the mail the policy is meant "
		    "to stop");
	}
}

static int cmp_impact(const void *pa, const void *pb)
{
	const impact_t *a = pa, *b = pb;
	double fa = a->quarantine + a->reject + a->full;
	double fb = b->quarantine + b->reject + b->full;

	return fa > fb ? -1 : fa < fb ? 1 : 0;
}

static void replay(const analysis_t *a, const advise_cfg_t *cfg,
    advice_t *adv, double days)
{
	stage_t full = is_ramp(adv->next) ? next_stage(adv->next) : adv->next;
	double q, r, fq, fr, *per_src;
	size_t i, n = 0;

	if ((per_src = calloc(a->nsrc * 3 + 1, sizeof(double))) == NULL)
		abort();
	for (i = 0; i < a->ds->n; i++) {
		const arow_t *row = &a->ds->rows[i];
		size_t s = a->row_src[i];
		src_class_t c = a->src[s].cls;
		double cnt = (double)row->count / days;

		if (row->dkim_aligned || row->spf_aligned)
			continue;
		replay_row(row, adv->next, cfg->ramp_pct, &q, &r);
		replay_row(row, full, cfg->ramp_pct, &fq, &fr);
		adv->quarantine[c] += q * cnt;
		adv->reject[c] += r * cnt;
		adv->full[c] += (fq + fr) * cnt;
		per_src[3 * s] += q * cnt;
		per_src[3 * s + 1] += r * cnt;
		per_src[3 * s + 2] += (fq + fr) * cnt;
	}
	if ((adv->impact = calloc(a->nsrc + 1, sizeof(*adv->impact))) == NULL)
		abort();
	for (i = 0; i < a->nsrc; i++) {
		if (per_src[3 * i] + per_src[3 * i + 1] + per_src[3 * i + 2] <= 0)
			continue;
		adv->impact[n].src = i;
		adv->impact[n].quarantine = per_src[3 * i];
		adv->impact[n].reject = per_src[3 * i + 1];
		adv->impact[n].full = per_src[3 * i + 2];
		fix_text(&a->src[i], a->ds->domain, adv->impact[n].fix,
		    sizeof(adv->impact[n].fix));
		n++;
	}
	adv->nimpact = n;
	qsort(adv->impact, n, sizeof(*adv->impact), cmp_impact);
	free(per_src);
}

/* ---- readiness ------------------------------------------------------- */

static void blocker(advice_t *adv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void blocker(advice_t *adv, const char *fmt, ...)
{
	va_list ap;

	if (adv->nblockers >= ADVISE_MAX_BLOCKERS)
		return;
	va_start(ap, fmt);
	vsnprintf(adv->blocker[adv->nblockers++], ADVISE_TEXT_MAX, fmt, ap);
	va_end(ap);
}

static double pct_of(unsigned long long part, unsigned long long whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void readiness(const analysis_t *a, const advise_cfg_t *cfg,
    advice_t *adv)
{
	unsigned long long indirect = 0;
	size_t i;

	if (adv->days_with_data < cfg->min_days)
		blocker(adv, "only %u days with data (min-days %u)",
		    adv->days_with_data, cfg->min_days);
	if (adv->reporters < cfg->min_reporters)
		blocker(adv, "reports from %u reporters (min-reporters %u)",
		    adv->reporters, cfg->min_reporters);
	for (i = 0; i < a->nsrc; i++) {
		const source_t *s = &a->src[i];

		if (s->cls == CLASS_AUTHORIZED && s->total >=
		    cfg->min_source_volume && pct_of(s->dmarc_pass, s->total) <
		    cfg->min_pass)
			blocker(adv, "authorized source %s%s%s%s passes aligned "
			    "for %.1f%% of %llu messages (min-pass %.1f%%)",
			    s->ip, s->ptr[0] ? " (" : "", s->ptr, s->ptr[0] ? ")" :
			    "", pct_of(s->dmarc_pass, s->total), s->total,
			    cfg->min_pass);
		if (s->cls == CLASS_FORWARDER || s->cls == CLASS_LIST)
			indirect += s->total - s->dmarc_pass;
	}
	if (pct_of(a->class_total[CLASS_MISALIGNED], a->total) >
	    cfg->max_unexplained)
		blocker(adv, "%.1f%% of the mail comes from legitimate senders "
		    "that are not aligned (max-unexplained %.1f%%)",
		    pct_of(a->class_total[CLASS_MISALIGNED], a->total),
		    cfg->max_unexplained);
	if (is_reject(adv->next) && pct_of(indirect, a->total) >
	    cfg->max_indirect)
		blocker(adv, "%.1f%% of the mail is forwarded or mailing list "
		    "mail failing DMARC (max-indirect %.1f%% before reject)",
		    pct_of(indirect, a->total), cfg->max_indirect);
	if (adv->stage != STAGE_NONE && !adv->days_at_stage_known)
		blocker(adv, "the current policy does not appear in the "
		    "reports yet: wait for %u days of reports under it "
		    "(stage-days)", cfg->stage_days);
	else if (adv->stage != STAGE_NONE && adv->days_at_stage <
	    cfg->stage_days)
		blocker(adv, "the current policy has been seen for %u days "
		    "(stage-days %u)", adv->days_at_stage, cfg->stage_days);
	adv->ready = adv->nblockers == 0;
}

/* Days the newest policy has been in the reports without change. */
static void stage_age(const dataset_t *ds, const current_policy_t *cur,
    advice_t *adv)
{
	long long since = -1, newest = 0;
	size_t i;

	for (i = 0; i < ds->n; i++) {
		const arow_t *r = &ds->rows[i];
		current_policy_t seen = { .found = true, .pct = r->pct,
			.testing = r->testing };

		str_copy(seen.p, sizeof(seen.p), r->p);
		if (r->end > newest)
			newest = r->end;
		if (advise_stage_of(&seen) == adv->stage &&
		    strcmp(r->p, cur->p) == 0 && (since < 0 || r->begin < since))
			since = r->begin;
	}
	adv->days_at_stage_known = since >= 0;
	adv->days_at_stage = since >= 0 ? (unsigned)((newest - since + 43200)
	    / 86400) : 0;
}

static void next_record(const analysis_t *a, const current_policy_t *cur,
    advice_t *adv)
{
	stage_t n = adv->next, keep = adv->stage;
	const char *p = is_reject(n) ? "reject" : "quarantine";
	const char *sp = p;
	unsigned long long sub_fail = 0;
	char ramp[48] = "";
	size_t i;

	for (i = 0; i < a->nsrc; i++)
		if (class_legitimate(a->src[i].cls) && a->src[i].subdomain &&
		    a->src[i].dmarc_pass < a->src[i].total)
			sub_fail += a->src[i].subdomain;
	if (sub_fail > 0 && keep != STAGE_NONE) {
		sp = is_reject(keep) ? "reject" : "quarantine";
		str_format(adv->sp_note, sizeof(adv->sp_note), "sp=%s: legitimate"
		    " mail from subdomains still fails DMARC; keep subdomains "
		    "one step behind", sp);
	} else if (sub_fail > 0) {
		sp = "none";
		str_copy(adv->sp_note, sizeof(adv->sp_note), "sp=none: "
		    "legitimate mail from subdomains still fails DMARC");
	} else {
		str_format(adv->sp_note, sizeof(adv->sp_note), "sp=%s: no "
		    "failing legitimate mail from subdomains", p);
	}
	str_copy(adv->np_note, sizeof(adv->np_note), "np=reject: names that "
	    "do not exist send no legitimate mail (RFC 9989; RFC 7489 "
	    "receivers use sp instead)");
	if (is_ramp(n))
		str_format(ramp, sizeof(ramp), "; pct=%u; t=y", adv->ramp_pct);
	str_format(adv->record, sizeof(adv->record), "v=DMARC1; p=%s%s%s%s; "
	    "np=reject%s%s%s%s", p, ramp, strcmp(sp, p) ? "; sp=" : "",
	    strcmp(sp, p) ? sp : "", cur->extra[0] ? "; " : "", cur->extra,
	    cur->rua[0] ? "; " : "", cur->rua);
}

void advise_run(const analysis_t *a, const current_policy_t *cur,
    const advise_cfg_t *cfg, advice_t *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->ramp_pct = cfg->ramp_pct;
	out->stage = advise_stage_of(cur);
	out->final = out->stage == STAGE_REJECT;
	out->next = next_stage(out->stage);
	out->next_policy = is_reject(out->next) ? "reject" : "quarantine";
	for (i = 0; i < a->ndays; i++)
		out->days_with_data += a->day[i].total > 0;
	out->reporters = (unsigned)a->ds->nreporters;
	out->pass_rate = pct_of(a->dmarc_pass, a->total);
	stage_age(a->ds, cur, out);
	replay(a, cfg, out, out->days_with_data ? out->days_with_data : 1);
	if (out->final) {
		str_copy(out->record, sizeof(out->record), "(keep the current "
		    "record: p=reject is the last stage)");
		out->ready = true;
		return;
	}
	readiness(a, cfg, out);
	next_record(a, cur, out);
}

void advise_free(advice_t *adv)
{
	if (adv == NULL)
		return;
	free(adv->impact);
	adv->impact = NULL;
	adv->nimpact = 0;
}
