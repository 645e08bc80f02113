/*
 * disposition - published policy to disposition.  See disposition.h.
 */
#include "disposition.h"

#include <stdio.h>

dmarc_policy_t disposition_requested(const policy_lookup_t *pl,
    bool author_exists)
{
	if (pl->policy_is_author)
		return pl->rec.p;
	return author_exists ? pl->rec.sp : pl->rec.np;
}

dmarc_policy_t disposition_weaker(dmarc_policy_t p)
{
	switch (p) {
	case DMARC_POLICY_REJECT:
		return DMARC_POLICY_QUARANTINE;
	case DMARC_POLICY_QUARANTINE:
	case DMARC_POLICY_NONE:
	case DMARC_POLICY_UNSPEC:
		break;
	}
	return DMARC_POLICY_NONE;
}

static int disposition_rank(dmarc_policy_t p)
{
	switch (p) {
	case DMARC_POLICY_REJECT:
		return 3;
	case DMARC_POLICY_QUARANTINE:
		return 2;
	case DMARC_POLICY_NONE:
		return 1;
	case DMARC_POLICY_UNSPEC:
		break;
	}
	return 0;
}

dmarc_policy_t disposition_stricter(dmarc_policy_t a, dmarc_policy_t b)
{
	return disposition_rank(a) >= disposition_rank(b) ? a : b;
}

dmarc_policy_t disposition_evaluate(const dmarc_record_t *rec,
    dmarc_policy_t requested, unsigned roll, verdict_t *v)
{
	char comment[OVERRIDE_COMMENT_MAX];

	if (requested == DMARC_POLICY_UNSPEC)
		requested = DMARC_POLICY_NONE;
	if (requested == DMARC_POLICY_NONE)
		return DMARC_POLICY_NONE;
	if (rec->testing) {
		verdict_add_override(v, OVERRIDE_POLICY_TEST_MODE, "t=y");
		return disposition_weaker(requested);
	}
	if (!rec->t_present && rec->pct_present && rec->pct < 100 &&
	    roll >= rec->pct) {
		snprintf(comment, sizeof(comment), "pct=%u", rec->pct);
		verdict_add_override(v, OVERRIDE_SAMPLED_OUT, comment);
		v->sampled_out = true;
		return disposition_weaker(requested);
	}
	return requested;
}
