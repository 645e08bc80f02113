/*
 * override - local exceptions and staged enforcement: from the
 * disposition the published policy gives a message to the one
 * dmarcwarden applies, with the reasons (RFC 7489 PolicyOverrideType).
 *
 * SYNOPSIS
 *	override_ctx_t ctx = { .stage = ENFORCE_REJECT, ... };
 *	dmarc_evaluate(&in, &cfg, &dns, &v);
 *	override_apply(&ctx, &v);
 *	dmarc_policy_t pub = override_published(&v);
 *
 * DESCRIPTION
 *	A pure function: the caller gathers the facts (does the client match
 *	TrustedForwarders, did a trusted ARC sealer vouch, is this
 *	authenticated list mail, which LocalPolicyFile entry applies, which
 *	enforcement stage) and override_apply() turns them into
 *	v->evaluated (what full enforcement would do) and v->applied (what
 *	is done now), adding one override reason for each step that changed
 *	the disposition.  Only DMARC failures are touched; for any other
 *	result the verdict is left as it is.
 *
 *	The steps, in order, starting from the disposition the published
 *	policy gives (p/sp/np after t=y and pct=, dmarc_evaluate's applied):
 *	 1. local action always-reject: reject, and steps 2 and 3 are
 *	    skipped (the operator asked for it explicitly; reason
 *	    local_policy).
 *	 2. local action never-reject: reject becomes quarantine
 *	    (local_policy).
 *	 3. the first exception that applies, if the disposition is not
 *	    already none:
 *	    a. a trusted ARC sealer vouched for the author domain: none
 *	       (local_policy, the comment names the sealer);
 *	    b. the client is a trusted forwarder: forwarder_disposition
 *	       (none or quarantine) when that is weaker (trusted_forwarder);
 *	    c. authenticated mailing-list traffic: list_action (quarantine:
 *	       reject becomes quarantine; none; policy: no change) when that
 *	       is weaker (mailing_list).
 *	    The result is v->evaluated.
 *	 4. the enforcement stage: monitor applies none, quarantine turns
 *	    reject into quarantine, reject applies the evaluated disposition
 *	    (local_policy, "Enforcement <stage>", or the LocalPolicyFile
 *	    entry when the stage came from there).
 *	    The result is v->applied.
 *
 *	override_published() is the disposition the published policy gives
 *	the message after its own modifiers (t=y, pct=): RFC 9989's
 *	policy.dmarc, whatever local exceptions did.
 *
 *	enforce_stage_parse() accepts monitor, quarantine, reject and the
 *	historical aliases off (monitor) and on (reject), case-insensitive.
 *	The enum keeps off = 0 and on = 1 so that code and tests written
 *	when Enforcement was on|off still read correctly.
 */
#ifndef OVERRIDE_H
#define OVERRIDE_H

#include <stdbool.h>

#include "evaluate.h"

#define OVERRIDE_WHAT_MAX 96

typedef enum enforce_stage {
	ENFORCE_MONITOR = 0,       /* off: never act */
	ENFORCE_REJECT = 1,        /* on: full enforcement */
	ENFORCE_QUARANTINE = 2,    /* reject becomes quarantine */
} enforce_stage_t;

typedef enum local_action {
	LOCAL_ACTION_NONE = 0,     /* no entry, or an entry without action */
	LOCAL_NEVER_REJECT,
	LOCAL_ALWAYS_REJECT,
} local_action_t;

typedef enum list_action {
	LIST_ACTION_QUARANTINE = 0,    /* reject becomes quarantine */
	LIST_ACTION_NONE,              /* deliver */
	LIST_ACTION_POLICY,            /* no exception for lists */
} list_action_t;

typedef struct override_ctx {
	enforce_stage_t stage;          /* effective stage */
	bool stage_local;               /* stage set by a local entry */
	char stage_where[OVERRIDE_WHAT_MAX];  /* that entry: "file:line ..." */
	local_action_t local_action;
	char local_where[OVERRIDE_WHAT_MAX];  /* the action's entry */
	bool arc_vouched;               /* a trusted sealer vouched */
	char arc_what[OVERRIDE_WHAT_MAX];     /* "sealer: dmarc=pass" */
	bool trusted_forwarder;
	dmarc_policy_t forwarder_disposition; /* none or quarantine */
	char forwarder_what[OVERRIDE_WHAT_MAX]; /* the entry matched */
	bool list_mail;                 /* authenticated list traffic */
	list_action_t list_action;
	char list_what[OVERRIDE_WHAT_MAX];    /* the list id */
} override_ctx_t;

void override_apply(const override_ctx_t *ctx, verdict_t *v);
dmarc_policy_t override_published(const verdict_t *v);

int enforce_stage_parse(const char *s, enforce_stage_t *out);
const char *enforce_stage_name(enforce_stage_t s);

#endif
