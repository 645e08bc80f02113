/*
 * advise - the staged path from p=none to p=reject, and what the next
 * stage would break, by replaying the received reports under it.
 *
 * SYNOPSIS
 *	advise_cfg_t cfg = ADVISE_CFG_DEFAULT;
 *	advice_t adv;
 *	advise_run(&analysis, &current, &cfg, &adv);
 *	... adv.stage, adv.next, adv.ready, adv.blocker[], adv.impact[] ...
 *	advise_free(&adv);
 *
 * DESCRIPTION
 *	Stages: STAGE_NONE (p=none or no record), STAGE_QUARANTINE_RAMP
 *	(p=quarantine with t=y or pct < 100), STAGE_QUARANTINE,
 *	STAGE_REJECT_RAMP (p=reject with t=y or pct < 100), STAGE_REJECT.
 *	A ramp record carries both "pct=<ramp_pct>" for RFC 7489 receivers
 *	and "t=y" for RFC 9989 receivers (which ignore pct and apply the
 *	next weaker policy under t=y), so neither kind jumps to full
 *	enforcement.
 *
 *	Replay: every record that failed DMARC (neither aligned DKIM nor
 *	aligned SPF passed) is given the disposition the next stage's
 *	record would give it: p for the domain itself, the advised sp for
 *	subdomains; under a ramp, a receiver that sent RFC 9990 reports
 *	applies t=y (one step weaker) and one that sent RFC 7489 reports
 *	applies pct (that share gets the policy, the rest one step weaker).
 *	Results are messages per day of data (quarantined and rejected, per
 *	source and per class), for the next stage and for full enforcement
 *	of the next stage's policy.
 *
 *	Readiness (every threshold is in advise_cfg_t and stated in the
 *	output): at least min_days days with data from at least
 *	min_reporters reporters; every authorized source with at least
 *	min_source_volume messages passes aligned in at least min_pass
 *	percent of its mail; authorized-but-misaligned sources carry at
 *	most max_unexplained percent of the volume (legitimate mail that
 *	would break); before a reject stage, failing forwarder and mailing
 *	list mail is at most max_indirect percent; the current stage (other
 *	than p=none) has been seen in reports for stage_days days (a policy
 *	not yet seen in any report is a blocker too).  Each
 *	unmet condition is a blocker with the figures.
 *
 *	sp advice: subdomains follow p unless a legitimate source fails
 *	DMARC for a subdomain, then sp stays at the current policy.  np
 *	(RFC 9989, non-existent subdomains) is advised reject from the first
 *	enforcing stage: no legitimate mail comes from names that do not
 *	exist.
 *
 *	The advice owns its arrays; advise_free() accepts NULL.
 */
#ifndef PTOOL_ADVISE_H
#define PTOOL_ADVISE_H

#include <stdbool.h>
#include <stddef.h>

#include "analysis.h"

#define ADVISE_MAX_BLOCKERS 12
#define ADVISE_TEXT_MAX 320
#define ADVISE_RECORD_MAX 1024

typedef struct advise_cfg {
	unsigned min_days;                 /* 14 */
	unsigned min_reporters;            /* 2 */
	double min_pass;                   /* 98 (percent) */
	double max_unexplained;            /* 0.5 (percent of volume) */
	double max_indirect;               /* 2 (percent of volume) */
	unsigned ramp_pct;                 /* 25 */
	unsigned stage_days;               /* 14 */
	unsigned long long min_source_volume; /* 10 messages */
} advise_cfg_t;

#define ADVISE_CFG_DEFAULT { 14, 2, 98.0, 0.5, 2.0, 25, 14, 10 }

typedef enum stage {
	STAGE_NONE = 0,
	STAGE_QUARANTINE_RAMP,
	STAGE_QUARANTINE,
	STAGE_REJECT_RAMP,
	STAGE_REJECT,
} stage_t;

typedef struct current_policy {
	bool found;
	char p[RUA_WORD_MAX], sp[RUA_WORD_MAX], np[RUA_WORD_MAX];
	int pct;                           /* -1 absent */
	bool testing;
	char origin[64];                   /* "DNS", "--record", "reports" */
	char rua[ADVISE_RECORD_MAX];       /* "rua=..." or "" */
	char extra[ADVISE_RECORD_MAX];     /* adkim/aspf/fo/ruf kept */
} current_policy_t;

typedef struct impact {
	size_t src;                        /* index in analysis src[] */
	double quarantine, reject;         /* per day, at the next stage */
	double full;                       /* per day, next policy in full */
	char fix[ADVISE_TEXT_MAX];
} impact_t;

typedef struct advice {
	stage_t stage, next;
	bool ready, final;
	unsigned days_with_data, reporters, days_at_stage;
	bool days_at_stage_known;
	size_t nblockers;
	char blocker[ADVISE_MAX_BLOCKERS][ADVISE_TEXT_MAX];
	/* next stage, messages per day */
	double quarantine[CLASS_COUNT], reject[CLASS_COUNT];
	double full[CLASS_COUNT];          /* next policy without ramp */
	const char *next_policy;           /* "quarantine" or "reject" */
	size_t nimpact;
	impact_t *impact;                  /* legitimate first, by volume */
	char record[ADVISE_RECORD_MAX];    /* to publish next */
	char sp_note[ADVISE_TEXT_MAX], np_note[ADVISE_TEXT_MAX];
	double pass_rate;                  /* overall DMARC pass, percent */
	unsigned ramp_pct;
} advice_t;

void advise_run(const analysis_t *a, const current_policy_t *cur,
    const advise_cfg_t *cfg, advice_t *out);
void advise_free(advice_t *adv);

stage_t advise_stage_of(const current_policy_t *cur);
const char *stage_name(stage_t s);          /* "none", "quarantine-ramp" */
const char *stage_label(stage_t s);         /* "p=none (monitoring)" */
/* Current policy from the newest report in the dataset. */
void advise_policy_from_reports(const dataset_t *ds, current_policy_t *cur);
/* Parse "key=value" lines (names as the long options) into cfg. */
int advise_cfg_set(advise_cfg_t *cfg, const char *key, const char *value);
int advise_cfg_load(advise_cfg_t *cfg, const char *path, char *err,
    size_t errlen);

#endif
