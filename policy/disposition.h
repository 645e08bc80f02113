/*
 * disposition - from a published DMARC policy to what is done with a
 * message that failed DMARC.
 *
 * SYNOPSIS
 *	dmarc_policy_t req = disposition_requested(&lookup, exists);
 *	dmarc_policy_t ev = disposition_evaluate(&rec, req, roll, &v);
 *
 * DESCRIPTION
 *	disposition_requested(): p= when the record was found at the author
 *	domain itself; otherwise sp= for an existing subdomain and np= for a
 *	non-existent one (RFC 9989 4.7; the record parser already defaulted
 *	sp to p and np to sp).
 *
 *	disposition_evaluate() applies the published modifiers: t=y testing
 *	(RFC 9989: apply the next weaker policy, reason policy_test_mode), or
 *	for a legacy record with pct < 100 and no t= tag (RFC 7489 6.6.4),
 *	sampling: the policy applies when roll (uniform 0..99) < pct, else the
 *	next weaker policy (reason sampled_out).  Reasons are added to v.
 *
 *	disposition_weaker() steps reject -> quarantine -> none.
 *	disposition_stricter() orders two dispositions.
 */
#ifndef DISPOSITION_H
#define DISPOSITION_H

#include "evaluate.h"

dmarc_policy_t disposition_requested(const policy_lookup_t *pl,
    bool author_exists);
dmarc_policy_t disposition_evaluate(const dmarc_record_t *rec,
    dmarc_policy_t requested, unsigned roll, verdict_t *v);
dmarc_policy_t disposition_weaker(dmarc_policy_t p);
/* Returns the stricter of a and b. */
dmarc_policy_t disposition_stricter(dmarc_policy_t a, dmarc_policy_t b);

#endif
