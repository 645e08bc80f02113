/*
 * view - gather the data report, advise and html show.  See view.h.
 */
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../discovery.h"
#include "../dmarc_record.h"
#include "../../history/hdb.h"
#include "../../util/strbuf.h"
#include "rua_store.h"

void view_date(long long epoch, char *buf, size_t size)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d",
	    &tm) == 0)
		str_copy(buf, size, "?");
}

void view_date_known(long long epoch, char *buf, size_t size)
{
	if (epoch == 0)
		str_copy(buf, size, "?");
	else
		view_date(epoch, buf, size);
}

double view_pct(unsigned long long part, unsigned long long whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

unsigned view_days_with_data(const view_t *v)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < v->a.ndays; i++)
		n += v->a.day[i].total > 0;
	return n;
}

/* ---- the milter's history: per-domain actions ------------------------ */

static int hdom_reason(void *ctx, const char *reason,
    unsigned long long count)
{
	strbuf_t *sb = ctx;

	strbuf_appendf(sb, "%s%s %llu", sb->len ? ", " : "", reason, count);
	return 0;
}

static int hdom_add(void *ctx, const verdict_domain_t *d)
{
	view_t *v = ctx;
	hist_domain_t *h;

	if (v->nhdom >= VIEW_MAX_HDOM)
		return 1;
	h = &v->hdom[v->nhdom++];
	str_copy(h->domain, sizeof(h->domain), d->domain);
	h->total = d->total;
	h->pass = d->pass;
	h->fail = d->fail;
	h->quarantined = d->quarantined;
	h->rejected = d->rejected;
	h->overridden = d->overridden;
	return 0;
}

/* Per author domain what dmarcwarden did, then each one's override
 * reasons (one query at a time: a PostgreSQL connection streams one). */
static int load_hdom(view_t *v, verdicts_t *vd, char *err, size_t errlen)
{
	strbuf_t sb;
	size_t i;

	if ((v->hdom = calloc(VIEW_MAX_HDOM, sizeof(*v->hdom))) == NULL)
		abort();
	if (verdicts_domains(vd, v->o->domain, v->ds.from, v->ds.to,
	    VIEW_MAX_HDOM, hdom_add, v) < 0)
		goto fail;
	for (i = 0; i < v->nhdom; i++) {
		hist_domain_t *h = &v->hdom[i];

		strbuf_init(&sb, sizeof(h->reasons) - 1);
		if (verdicts_reasons(vd, h->domain, v->ds.from, v->ds.to,
		    hdom_reason, &sb) < 0) {
			strbuf_free(&sb);
			goto fail;
		}
		str_copy(h->reasons, sizeof(h->reasons), strbuf_str(&sb));
		strbuf_free(&sb);
	}
	return 0;
fail:
	str_format(err, errlen, "history: %s", verdicts_error(vd));
	return -1;
}

/* The milter's history (SQLite file or PostgreSQL), read-only. */
static int load_history(view_t *v, long long from, long long to, char *err,
    size_t errlen)
{
	verdicts_t *vd = verdicts_open(v->o->history, err, errlen);
	long long tf;
	int rc;

	if (vd == NULL)
		return -1;
	hdb_spec_redacted(v->o->history, v->history_shown,
	    sizeof(v->history_shown));
	rc = dataset_load_history(vd, v->o->domain, from, to, &v->ds, err,
	    errlen);
	if (rc == 0)
		rc = load_hdom(v, vd, err, errlen);
	if (rc == 0 && (tf = verdicts_tempfailed(vd, v->o->domain, from,
	    to)) > 0)
		v->tempfailed = (unsigned long long)tf;
	verdicts_close(vd);
	return rc;
}

static const char *text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* The policy of the newest stored report about the domain, whatever
 * its age: what the domain published last, when the window is empty. */
static void last_policy(view_t *v, sqlite3 *db)
{
	sqlite3_stmt *st;
	current_policy_t *c = &v->last;
	char day[16];

	if (sqlite3_prepare_v2(db, "SELECT p, sp, np, pct, testing, end FROM"
	    " reports WHERE domain = ? ORDER BY end DESC, id DESC LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, v->o->domain, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		c->found = true;
		str_copy(c->p, sizeof(c->p), text(st, 0));
		str_copy(c->sp, sizeof(c->sp), text(st, 1));
		str_copy(c->np, sizeof(c->np), text(st, 2));
		c->pct = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 3);
		c->testing = strcmp(text(st, 4), "y") == 0;
		view_date(sqlite3_column_int64(st, 5), day, sizeof(day));
		str_format(c->origin, sizeof(c->origin), "the last stored "
		    "report (%s)", day);
	}
	sqlite3_finalize(st);
}

static int load_data(view_t *v, char *err, size_t errlen)
{
	long long to = v->o->now, from = to - (long long)v->o->days * 86400;
	char path[4096];
	rua_store_t *s;
	int rc;

	if (v->o->history)
		return load_history(v, from, to, err, errlen);
	if (cmd_db_path(v->o, path, sizeof(path)) < 0) {
		str_copy(err, errlen, "no database path");
		return -1;
	}
	if ((s = rua_store_open(path, false, err, errlen)) == NULL)
		return -1;
	rc = dataset_load_reports(rua_store_db(s), v->o->domain, from, to,
	    &v->ds, err, errlen);
	if (rc == 0 && v->o->domain[0]) {
		last_policy(v, rua_store_db(s));
		rc = ruf_store_load(rua_store_db(s), v->o->domain, from, to,
		    &v->fails, err, errlen);
	}
	rua_store_close(s);
	return rc;
}

/* ---- current policy -------------------------------------------------- */

static void uri_list(strbuf_t *sb, const char *tag, const dmarc_uri_t *u,
    size_t n)
{
	size_t i;

	if (n == 0)
		return;
	strbuf_appendf(sb, "%s%s=", sb->len ? "; " : "", tag);
	for (i = 0; i < n; i++)
		strbuf_appendf(sb, "%s%s", i ? "," : "", u[i].uri);
}

static void policy_from_record(current_policy_t *cur,
    const dmarc_record_t *rec, const char *origin)
{
	strbuf_t sb;

	memset(cur, 0, sizeof(*cur));
	cur->found = true;
	str_copy(cur->p, sizeof(cur->p), dmarc_policy_name(rec->p));
	str_copy(cur->sp, sizeof(cur->sp), dmarc_policy_name(rec->sp));
	str_copy(cur->np, sizeof(cur->np), dmarc_policy_name(rec->np));
	cur->pct = rec->pct_present ? (int)rec->pct : -1;
	cur->testing = rec->testing;
	str_copy(cur->origin, sizeof(cur->origin), origin);
	strbuf_init(&sb, sizeof(cur->rua) - 1);
	uri_list(&sb, "rua", rec->rua, rec->nrua);
	str_copy(cur->rua, sizeof(cur->rua), strbuf_str(&sb));
	strbuf_reset(&sb);
	if (rec->adkim_present && rec->adkim == DMARC_ALIGN_STRICT)
		strbuf_puts(&sb, "adkim=s");
	if (rec->aspf_present && rec->aspf == DMARC_ALIGN_STRICT)
		strbuf_appendf(&sb, "%saspf=s", sb.len ? "; " : "");
	if (strcmp(rec->fo, "0") != 0)
		strbuf_appendf(&sb, "%sfo=%s", sb.len ? "; " : "", rec->fo);
	uri_list(&sb, "ruf", rec->ruf, rec->nruf);
	str_copy(cur->extra, sizeof(cur->extra), strbuf_str(&sb));
	strbuf_free(&sb);
}

static void find_policy(view_t *v)
{
	char err[DMARC_ERR_MAX];
	dmarc_record_t rec;
	policy_lookup_t *pl;
	discovery_cfg_t cfg = { DISCOVERY_TREEWALK, NULL };
	dns_ops_t ops;

	if (v->o->record) {
		if (dmarc_record_parse(v->o->record, strlen(v->o->record), &rec,
		    err, sizeof(err)) == DMARC_RECORD_OK) {
			policy_from_record(&v->cur, &rec, "--record");
			return;
		}
		str_format(v->policy_note, sizeof(v->policy_note), "--record "
		    "ignored: %s", err[0] ? err : "not a DMARC record");
	}
	if (v->dns && v->o->domain[0]) {
		if ((pl = malloc(sizeof(*pl))) == NULL)
			abort();
		resolve_ops(v->dns, &ops);
		dmarc_policy_lookup(v->o->domain, &cfg, &ops, pl);
		if (pl->status == POLICY_FOUND) {
			policy_from_record(&v->cur, &pl->rec, "DNS");
			free(pl);
			return;
		}
		str_format(v->policy_note, sizeof(v->policy_note), "no DMARC "
		    "policy in DNS (%s)", pl->status == POLICY_TEMPERROR ?
		    "temporary DNS error" : "none published");
		free(pl);
	}
	advise_policy_from_reports(&v->ds, &v->cur);
	if (!v->cur.found && v->last.found) {
		/* no data in the window: never start over at p=none (that
		 * would advise a downgrade from reject); say so */
		v->cur = v->last;
		str_copy(v->policy_note, sizeof(v->policy_note), "no reports "
		    "in the window: the last published policy is kept");
	}
}

int view_open(view_t *v, const cmd_opts_t *o, char *err, size_t errlen)
{
	char derr[256];

	memset(v, 0, sizeof(*v));
	v->o = o;
	if (load_data(v, err, errlen) < 0)
		return -1;
	if (!o->no_dns && (v->dns = resolve_new(o->nameservers, o->timeout_ms,
	    derr, sizeof(derr))) == NULL)
		fprintf(stderr, "dmarcwarden-policy: DNS unavailable (%s); no "
		    "PTR names\n", derr);
	analysis_run(&v->ds, &v->a);
	analysis_ptr(&v->a, v->dns ? resolve_ptr : NULL, v->dns);
	find_policy(v);
	if (o->domain[0])
		advise_run(&v->a, &v->cur, &o->thresholds, &v->adv);
	return 0;
}

void view_close(view_t *v)
{
	advise_free(&v->adv);
	analysis_free(&v->a);
	dataset_free(&v->ds);
	ruf_list_free(&v->fails);
	resolve_free(v->dns);
	free(v->hdom);
	v->dns = NULL;
	v->hdom = NULL;
}
