/*
 * authres - Authentication-Results header fields (RFC 8601): write ours,
 * recognise forged ones.
 *
 * SYNOPSIS
 *	authres_format(&ar_in, &sb);            value for our header
 *	authres_authserv_id(value, len, id, sizeof(id));
 *
 * DESCRIPTION
 *	authres_format() writes the field body of one Authentication-Results
 *	header: our authserv-id, then one spf result, one dkim result per
 *	signature (or dkim=none), the arc result (RFC 8617 section 6:
 *	arc=none|pass|fail, a comment with the failure reason,
 *	header.oldest-pass for a passing chain, smtp.remote-ip, and
 *	arc.chain, the sealer domains of a passing chain in instance order
 *	joined with ':', as OpenARC writes it; quoted, since ':' is not a
 *	token character), and the dmarc result with header.from and the
 *	policy properties:
 *	  policy.dmarc               the disposition the domain's published
 *	                             policy gives this message after its
 *	                             own t= and pct= (RFC 9989)
 *	  policy.applied-disposition what dmarcwarden did
 *	  policy.evaluated-disposition  what full local enforcement would do
 *	                             (local exceptions included, the
 *	                             enforcement stage not)
 *	  policy.override-reason     first override reason, when any,
 *	                             followed by its comment as a comment
 *	                             ("(trusted ARC sealer lists.example.org
 *	                             i=1: dmarc=pass)")
 *	Values that are not RFC 8601 tokens (local parts, odd d= values) are
 *	written as quoted strings; untrusted text in comments is made
 *	printable and stripped of parentheses and backslashes.
 *
 *	authres_authserv_id() extracts the authserv-id of an existing
 *	header (skipping CFWS, honouring quoted strings) of at most len bytes,
 *	so the milter can delete headers that claim to be ours.
 *	authres_id_is_ours() says whether such an id names us: compared
 *	case-insensitively, one trailing dot on either side ignored (a
 *	forger writing "MX.Example.COM." claims the same host; RFC 8601
 *	section 5 asks to remove every header that claims to be ours).
 *
 * DIAGNOSTICS
 *	authres_authserv_id() returns 0, or -1 when the field has no
 *	parseable authserv-id (such a field claims nothing and is kept).
 */
#ifndef MILTER_AUTHRES_H
#define MILTER_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "../policy/evaluate.h"
#include "../util/strbuf.h"
#include "arc.h"
#include "dkim.h"
#include "spf.h"

#define AUTHRES_MAX 8192

typedef struct authres_input {
	const char *authserv_id;
	const spf_outcome_t *spf;
	const char *mailfrom_local;     /* local part, may be NULL */
	const dkim_results_t *dkim;
	const arc_result_t *arc;        /* NULL: no arc result written */
	const char *client_ip;          /* smtp.remote-ip of arc=, or NULL */
	const verdict_t *verdict;       /* NULL: no dmarc evaluation */
} authres_input_t;

void authres_format(const authres_input_t *in, strbuf_t *out);
int authres_authserv_id(const char *value, size_t len, char *id,
    size_t idlen);
bool authres_id_is_ours(const char *id, const char *ours);

#endif
