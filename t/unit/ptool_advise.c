/*
 * ptool_advise - unit tests of policy/tool/analysis.c and advise.c on
 * synthetic datasets: every classification rule, the stage table, the
 * replay under ramps for RFC 7489 and RFC 9990 receivers, readiness
 * thresholds, sp advice and threshold parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "../../util/strbuf.h"
#include "../../policy/tool/advise.h"
#include "../tap.h"

#define DAY0 1772323200LL

typedef struct spec {
	const char *ip, *hf;
	unsigned long long count;
	bool dkim, spf, own_broken, foreign, spf_own_failed;
	unsigned reasons;
	int day;
	bool rfc9990;
} spec_t;

static void add(dataset_t *ds, const spec_t *s, const char *p, int pct,
    bool testing)
{
	arow_t *r;

	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? 2 * ds->cap : 64;
		ds->rows = realloc(ds->rows, ds->cap * sizeof(*r));
	}
	r = &ds->rows[ds->n++];
	memset(r, 0, sizeof(*r));
	r->begin = DAY0 + s->day * 86400LL;
	r->end = r->begin + 86399;
	r->reporter = s->rfc9990;
	r->rfc9990 = s->rfc9990;
	str_copy(r->source_ip, sizeof(r->source_ip), s->ip);
	str_copy(r->header_from, sizeof(r->header_from), s->hf);
	r->count = s->count;
	r->dkim_aligned = s->dkim;
	r->spf_aligned = s->spf;
	r->own_sig_failed = s->own_broken;
	r->foreign_pass = s->foreign;
	r->spf_own_failed = s->spf_own_failed;
	r->reasons = s->reasons;
	if (s->foreign)
		str_copy(r->foreign_domain, sizeof(r->foreign_domain),
		    "esp.example.net");
	str_copy(r->spf_domain, sizeof(r->spf_domain), "example.com");
	str_copy(r->disposition, sizeof(r->disposition), "none");
	str_copy(r->p, sizeof(r->p), p);
	str_copy(r->sp, sizeof(r->sp), p);
	r->pct = pct;
	r->testing = testing;
}

static void init(dataset_t *ds)
{
	memset(ds, 0, sizeof(*ds));
	str_copy(ds->domain, sizeof(ds->domain), "example.com");
	ds->nreporters = 2;
}

static const source_t *find(const analysis_t *a, const char *ip)
{
	size_t i;

	for (i = 0; i < a->nsrc; i++)
		if (strcmp(a->src[i].ip, ip) == 0)
			return &a->src[i];
	return NULL;
}

static void test_classes(void)
{
	static const struct {
		spec_t s[2];
		const char *want;
	} t[] = {
		{ { { "10.0.0.1", "example.com", 10, true, true, 0, 0, 0, 0, 0,
		    0 } }, "authorized" },
		{ { { "10.0.0.2", "example.com", 10, true, false, 0, 0, true, 0,
		    0, 0 } }, "forwarder" },
		{ { { "10.0.0.3", "example.com", 10, true, false, 0, true, 0, 0,
		    0, 0 } }, "authorized" },    /* DKIM + ESP bounce domain */
		{ { { "10.0.0.4", "example.com", 10, 0, 0, true, true, 0, 0, 0,
		    0 } }, "mailing_list" },
		{ { { "10.0.0.5", "example.com", 10, 0, 0, 0, 0, 0, REASON_LIST,
		    0, 0 } }, "mailing_list" },
		{ { { "10.0.0.6", "example.com", 10, 0, 0, true, 0, true, 0, 0,
		    0 } }, "forwarder" },        /* modified in transit */
		{ { { "10.0.0.7", "example.com", 10, 0, 0, 0, 0, 0,
		    REASON_FORWARDED, 0, 0 } }, "forwarder" },
		{ { { "10.0.0.8", "news.example.com", 10, 0, 0, 0, true, 0, 0,
		    0, 0 } }, "misaligned" },
		{ { { "10.0.0.9", "example.com", 10, 0, 0, 0, 0, true, 0, 0,
		    0 } }, "spoof" },
		/* exactly half passing counts as passing */
		{ { { "10.0.0.10", "example.com", 5, true, true, 0, 0, 0, 0, 0,
		    0 }, { "10.0.0.10", "example.com", 5, 0, 0, 0, 0, 0, 0, 1,
		    0 } }, "authorized" },
		/* a minority of forwarded reasons does not make a forwarder */
		{ { { "10.0.0.11", "example.com", 7, 0, 0, 0, 0, 0, 0, 0, 0 },
		    { "10.0.0.11", "example.com", 3, 0, 0, 0, 0, 0,
		    REASON_FORWARDED, 1, 0 } }, "spoof" },
	};
	size_t i, j;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		dataset_t ds;
		analysis_t a;
		const source_t *s;

		init(&ds);
		for (j = 0; j < 2 && t[i].s[j].ip; j++)
			add(&ds, &t[i].s[j], "none", -1, false);
		analysis_run(&ds, &a);
		s = find(&a, t[i].s[0].ip);
		ok(s && strcmp(class_name(s->cls), t[i].want) == 0,
		    "class of %s is %s (got %s: %s)", t[i].s[0].ip, t[i].want,
		    s ? class_name(s->cls) : "-", s ? s->why : "");
		analysis_free(&a);
		dataset_free(&ds);
	}
}

static void test_stages(void)
{
	static const struct {
		const char *p;
		int pct;
		bool t, found;
		stage_t want;
	} t[] = {
		{ "none", -1, false, true, STAGE_NONE },
		{ "", -1, false, false, STAGE_NONE },
		{ "quarantine", 25, false, true, STAGE_QUARANTINE_RAMP },
		{ "quarantine", 100, true, true, STAGE_QUARANTINE_RAMP },
		{ "quarantine", 100, false, true, STAGE_QUARANTINE },
		{ "quarantine", -1, false, true, STAGE_QUARANTINE },
		{ "reject", 0, false, true, STAGE_REJECT_RAMP },
		{ "reject", -1, true, true, STAGE_REJECT_RAMP },
		{ "reject", -1, false, true, STAGE_REJECT },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		current_policy_t c = { .found = t[i].found, .pct = t[i].pct,
			.testing = t[i].t };

		str_copy(c.p, sizeof(c.p), t[i].p);
		is_str(stage_name(advise_stage_of(&c)), stage_name(t[i].want),
		    "stage of p=%s pct=%d t=%d", t[i].p, t[i].pct, t[i].t);
	}
}

/* p=quarantine for 20 days; next is the reject ramp. */
static void test_replay(void)
{
	advise_cfg_t cfg = ADVISE_CFG_DEFAULT;
	current_policy_t cur = { .found = true, .pct = -1 };
	dataset_t ds;
	analysis_t a;
	advice_t adv;
	int d;

	init(&ds);
	str_copy(cur.p, sizeof(cur.p), "quarantine");
	for (d = 0; d < 20; d++) {
		spec_t own = { "192.0.2.1", "example.com", 100, true, true, 0, 0,
			0, 0, d, false };
		spec_t spoof7489 = { "198.18.0.1", "example.com", 8, 0, 0, 0, 0,
			0, 0, d, false };
		spec_t spoof9990 = { "198.18.0.1", "example.com", 4, 0, 0, 0, 0,
			0, 0, d, true };

		add(&ds, &own, "quarantine", -1, false);
		add(&ds, &spoof7489, "quarantine", -1, false);
		add(&ds, &spoof9990, "quarantine", -1, false);
	}
	analysis_run(&ds, &a);
	advise_run(&a, &cur, &cfg, &adv);
	is_str(stage_name(adv.stage), "quarantine", "current stage");
	is_str(stage_name(adv.next), "reject-ramp", "next stage");
	ok(adv.ready, "ready (20 days, clean)");
	is_int(adv.days_at_stage, 20, "20 days at the stage");
	/* per day: 8 from RFC 7489 receivers (25% rejected, 75% quarantined),
	 * 4 from RFC 9990 receivers (t=y: quarantined) */
	ok(adv.reject[CLASS_SPOOF] > 1.999 && adv.reject[CLASS_SPOOF] < 2.001,
	    "ramp: 2.00/day rejected (got %.3f)", adv.reject[CLASS_SPOOF]);
	ok(adv.quarantine[CLASS_SPOOF] > 9.999 &&
	    adv.quarantine[CLASS_SPOOF] < 10.001,
	    "ramp: 10.00/day quarantined (got %.3f)",
	    adv.quarantine[CLASS_SPOOF]);
	ok(adv.full[CLASS_SPOOF] > 11.999 && adv.full[CLASS_SPOOF] < 12.001,
	    "full reject: 12/day");
	is_str(adv.record, "v=DMARC1; p=reject; pct=25; t=y; np=reject",
	    "reject ramp record");
	advise_free(&adv);

	str_copy(cur.p, sizeof(cur.p), "reject");
	cur.testing = true;
	advise_run(&a, &cur, &cfg, &adv);
	ok(!adv.ready && adv.nblockers == 1 && strstr(adv.blocker[0],
	    "does not appear in the reports yet"),
	    "a policy no report has seen yet blocks the next stage");
	advise_free(&adv);
	str_copy(cur.p, sizeof(cur.p), "quarantine");
	cur.testing = false;

	cfg.stage_days = 30;
	advise_run(&a, &cur, &cfg, &adv);
	ok(!adv.ready && adv.nblockers == 1 && strstr(adv.blocker[0],
	    "seen for 20 days (stage-days 30)"), "stage-days blocker");
	advise_free(&adv);
	cfg.stage_days = 14;

	/* mailing list mail failing: blocks reject, not quarantine */
	for (d = 0; d < 20; d++) {
		spec_t list = { "203.0.113.1", "example.com", 5, 0, 0, true,
			true, 0, 0, d, false };

		add(&ds, &list, "quarantine", -1, false);
	}
	analysis_free(&a);
	analysis_run(&ds, &a);
	advise_run(&a, &cur, &cfg, &adv);
	ok(!adv.ready && adv.nblockers == 1 && strstr(adv.blocker[0],
	    "forwarded or mailing list"), "indirect mail blocks reject: %s",
	    adv.nblockers ? adv.blocker[0] : "");
	advise_free(&adv);
	str_copy(cur.p, sizeof(cur.p), "none");
	advise_run(&a, &cur, &cfg, &adv);
	ok(adv.ready, "but not the quarantine ramp");
	advise_free(&adv);
	analysis_free(&a);
	dataset_free(&ds);
}

static void test_sp(void)
{
	advise_cfg_t cfg = ADVISE_CFG_DEFAULT;
	current_policy_t cur = { .found = true, .pct = -1 };
	dataset_t ds;
	analysis_t a;
	advice_t adv;
	int d;

	init(&ds);
	str_copy(cur.p, sizeof(cur.p), "quarantine");
	str_copy(cur.rua, sizeof(cur.rua), "rua=mailto:d@example.com");
	for (d = 0; d < 20; d++) {
		spec_t own = { "192.0.2.1", "example.com", 1000, true, true, 0,
			0, 0, 0, d, false };
		spec_t sub = { "192.0.2.2", "shop.example.com", 2, 0, 0, 0, 0,
			0, 0, d, false };
		spec_t subok = { "192.0.2.2", "shop.example.com", 8, true, true,
			0, 0, 0, 0, d, false };

		add(&ds, &own, "quarantine", -1, false);
		add(&ds, &sub, "quarantine", -1, false);
		add(&ds, &subok, "quarantine", -1, false);
	}
	analysis_run(&ds, &a);
	advise_run(&a, &cur, &cfg, &adv);
	ok(!adv.ready && strstr(adv.blocker[0], "192.0.2.2 passes aligned for "
	    "80.0% of 200 messages"), "failing authorized subdomain sender "
	    "blocks");
	is_str(adv.record, "v=DMARC1; p=reject; pct=25; t=y; sp=quarantine; "
	    "np=reject; rua=mailto:d@example.com",
	    "subdomains held one step behind, rua kept");
	advise_free(&adv);
	analysis_free(&a);
	dataset_free(&ds);
}

static void test_cfg(void)
{
	advise_cfg_t c = ADVISE_CFG_DEFAULT;

	ok(advise_cfg_set(&c, "min-pass", "99.5") == 0 && c.min_pass == 99.5,
	    "min-pass 99.5");
	ok(advise_cfg_set(&c, "min-pass", "100.1") < 0, "min-pass > 100");
	ok(advise_cfg_set(&c, "min-days", "2.5") < 0, "min-days not whole");
	ok(advise_cfg_set(&c, "ramp-pct", "0") < 0, "ramp-pct 0 refused");
	ok(advise_cfg_set(&c, "ramp-pct", "100") < 0, "ramp-pct 100 refused");
	ok(advise_cfg_set(&c, "stage-days", "") < 0, "empty value");
	ok(advise_cfg_set(&c, "stage-days", "-1") < 0, "negative value");
	ok(advise_cfg_set(&c, "nope", "1") < 0, "unknown name");
	ok(advise_cfg_set(&c, "min-source-volume", "1000") == 0 &&
	    c.min_source_volume == 1000, "min-source-volume");
}

int main(void)
{
	test_classes();
	test_stages();
	test_replay();
	test_sp();
	test_cfg();
	return tap_done();
}
