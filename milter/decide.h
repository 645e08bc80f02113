/*
 * decide - from a DMARC verdict to what the milter tells the MTA.
 *
 * SYNOPSIS
 *	decision_t d;
 *	decide_action(cfg, stage, &verdict, &d);
 *	decide_bad_from(cfg, stage, &d);
 *	decide_forged(&d);
 *
 * DESCRIPTION
 *	A pure function of the configuration and the verdict:
 *	 - DMARC fail with applied reject: reject, 550 5.7.1 with RejectText
 *	   ("%d" replaced by the author domain);
 *	 - applied quarantine: quarantine (hold queue or a header, per
 *	   QuarantineMode);
 *	 - DMARC temperror: TempErrorAction (accept, or tempfail 451 4.7.5);
 *	 - otherwise accept.
 *	The enforcement stage (monitor, quarantine) has already been applied
 *	to the verdict by override_apply() (policy/override.h), so decide
 *	acts on verdict->applied as it stands.  stage is the message's
 *	effective enforcement stage: the global Enforcement, or the one a
 *	LocalPolicyFile entry set for it (exceptions_stage()).  Under stage
 *	monitor TempErrorAction and BadFromAction never refuse mail either.
 *
 *	decide_bad_from() covers messages DMARC cannot evaluate: no From,
 *	an unparseable one, or several author domains under MultipleFrom
 *	reject.
 *
 *	decide_forged() refuses a message carrying more Authentication-
 *	Results fields claiming our authserv-id than the milter can remove
 *	(MSG_MAX_FORGED): 550 5.7.1, whatever the stage, since the message
 *	cannot be passed on without a forged result that the filters
 *	behind us trust.  Legitimate mail carries at most one (ours, from
 *	an earlier pass through this host, which that pass wrote after
 *	removing the others).
 *
 *	decide_rcpt_mixed() tempfails (451 4.7.1) a message whose recipients
 *	have different LocalPolicyFile rcpt settings, which happens only
 *	when a reload added rcpt entries while the MTA's connection was
 *	open without replies to RCPT (message.h); the retry comes on a new
 *	connection, where the recipients that differ are refused one by one.
 */
#ifndef MILTER_DECIDE_H
#define MILTER_DECIDE_H

#include "../policy/evaluate.h"
#include "../conf/config.h"

#define DECIDE_TEXT_MAX 256

typedef enum milter_action {
	ACTION_ACCEPT = 0,
	ACTION_REJECT,
	ACTION_QUARANTINE,
	ACTION_TEMPFAIL,
} milter_action_t;

typedef struct decision {
	milter_action_t action;
	char rcode[4];                 /* "550", "451" */
	char xcode[8];                 /* "5.7.1", "4.7.5" */
	char text[DECIDE_TEXT_MAX];    /* reply text or quarantine reason */
} decision_t;

void decide_action(const config_t *cfg, enforce_stage_t stage,
    verdict_t *v, decision_t *d);
void decide_bad_from(const config_t *cfg, enforce_stage_t stage,
    decision_t *d);
void decide_forged(decision_t *d);
void decide_rcpt_mixed(decision_t *d);
const char *milter_action_name(milter_action_t a);
/* Expand "%d" in a template with domain, "%%" to "%"; other '%' dropped
 * (libmilter reply texts must not carry stray '%'). */
void decide_expand(const char *tmpl, const char *domain, char *out,
    size_t outlen);

#endif
