/*
 * sealer - does a trusted ARC sealer vouch for the author domain?  The
 * ArcTrustedSealers decision, apart from ARC verification itself.
 *
 * SYNOPSIS
 *	sealer_set_t sets[] = { { 1, "lists.example.org", aar, true, true }, ... };
 *	sealer_input_t in = { chain_pass, sets, nsets, trusted, &verdict };
 *	char what[SEALER_WHAT_MAX];
 *	if (sealer_vouches(&in, &discovery, &dns, what, sizeof(what))) ...
 *
 * DESCRIPTION
 *	The caller verified the ARC chain (milter/arc.h) and hands over, per
 *	ARC set, the instance, the sealer (ARC-Seal d=), the text of its
 *	ARC-Authentication-Results (after "i=N;") and whether its
 *	ARC-Message-Signature still verifies.  sealer_vouches() is true
 *	when all of these hold:
 *	 1. the chain as a whole passed (cv=pass: every seal verifies and
 *	    the newest AMS verifies); a broken or absent chain never
 *	    vouches;
 *	 2. some set, looked at newest first, was sealed by a trusted domain
 *	    (equal to, or a subdomain of, an ArcTrustedSealers entry), its
 *	    own AMS still verifies and signs the From field, so the message
 *	    and its author are the ones that sealer saw and described (an
 *	    intermediary after it cannot swap the content or the From under
 *	    the old seal);
 *	 3. that set's ARC-Authentication-Results parses (authres_parse.h)
 *	    and recorded, for the current header-From domain, either
 *	    dmarc=pass with header.from equal to it, or, absent any dmarc
 *	    result for it other than pass, spf=pass with an smtp.mailfrom
 *	    (address or domain) or dkim=pass with a header.d (or header.i
 *	    domain) aligned with it under the record's aspf/adkim modes
 *	    (align.h, same organizational domain discovery as DMARC).
 *	The first set that satisfies 2 and 3 wins; what receives
 *	"SEALER i=N: dmarc=pass" (or "spf=pass aligned", "dkim=pass
 *	aligned") for the override comment.
 *
 *	Only the verdict's from_domain, policy.org_domain and the record's
 *	alignment modes are read.  DNS only through dns, for relaxed
 *	alignment.  The sets array and trusted list (NULL-ended, lower-case
 *	A-labels) belong to the caller.
 */
#ifndef SEALER_H
#define SEALER_H

#include <stdbool.h>
#include <stddef.h>

#include "discovery.h"
#include "evaluate.h"

#define SEALER_WHAT_MAX 96

typedef struct sealer_set {
	unsigned instance;
	const char *sealer;         /* ARC-Seal d= */
	const char *aar;            /* AAR payload after "i=N;" */
	bool ams_valid;             /* this set's AMS verifies */
	bool ams_signs_from;        /* and its h= names From */
} sealer_set_t;

typedef struct sealer_input {
	bool chain_pass;
	const sealer_set_t *sets;   /* oldest first */
	size_t nsets;
	char *const *trusted;       /* ArcTrustedSealers, NULL-ended */
	const verdict_t *verdict;
} sealer_input_t;

bool sealer_trusted(char *const *trusted, const char *domain);
bool sealer_vouches(const sealer_input_t *in, const discovery_cfg_t *cfg,
    const dns_ops_t *dns, char *what, size_t whatlen);

#endif
